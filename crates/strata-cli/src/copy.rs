//! `strata copy SRC DST`: every column of a database into a new one, from one snapshot, then a
//! verification pass that re-reads both sides and compares counts and a hash per column.

use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use strata::copy::{self, ColumnSummary, CopyError, CopyOptions, CopyProgress};
use strata::etcd::{EtcdDb, EtcdSnapshot};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, Either};

use crate::error::CliError;
use crate::location::{AnyDb, Location};
use crate::output::{Output, table_text};

/// `strata copy --help`'s exit codes.
pub(crate) const EXIT_CODES: &str = "\
Exit codes: 0 success (copied, and the verification passed), 1 internal error (a read or a write
failed part-way: delete DST and copy again), 2 usage error, 3 SRC cannot be opened (missing, not
a Strata database, damaged, a cluster unreachable or refusing the login) or DST cannot be
created, 4 DST exists and is not an empty directory, or the directory it would be created in
does not exist, or DST is an etcd root with keys under it, or a location is malformed, 5 the
verification found the copy differs from SRC (delete DST and copy again, from a source nothing
writes to), or SRC holds column families whose names Strata cannot read, or keys on etcd outside
every recorded column (nothing is copied).";

/// The source opened read-only with every column on disk, and the column families it has that
/// are not valid Strata column names (which no Strata handle can read, so they are not copied).
fn open_source_dir(path: &Path) -> Result<(RocksDb, Vec<Column>, Vec<String>), CliError> {
    let config = RocksConfig::new(path);
    // Opened with no columns, every family on disk is undeclared: their names, and the prefix
    // lengths Strata's registry records for them, without writing a byte.
    let (names, registry) = {
        let probe = RocksDb::open_read_only(&config, &[])?;
        (probe.undeclared_columns().to_vec(), probe.recorded_columns()?)
    };
    let (valid, invalid): (Vec<String>, Vec<String>) =
        names.into_iter().partition(|name| strata::column::is_valid_name(name));
    let columns: Vec<Column> = valid
        .into_iter()
        .map(|name| {
            let prefix = registry.iter().find(|(n, _)| *n == name).and_then(|(_, p)| *p);
            // Column names read from disk live as long as the process, as `open_existing`'s do.
            let name: &'static str = Box::leak(name.into_boxed_str());
            prefix.map_or(Column::new(name), |len| Column::new(name).with_prefix_len(len))
        })
        .collect();
    Ok((RocksDb::open_read_only(&config, &columns)?, columns, invalid))
}

/// The source with every column it records: a directory opened read-only (one snapshot), or a
/// root on etcd (read at one pinned revision, see [`copy`]).
fn open_source(src: &Location) -> Result<(AnyDb, Vec<Column>), CliError> {
    match src {
        Location::Dir(path) => {
            let (source, columns, not_copied) = open_source_dir(path)?;
            if !not_copied.is_empty() {
                // A copy without them would not be the database: refuse rather than report
                // success.
                return Err(CliError::Verification(format!(
                    "`{}` holds column families whose names are not valid Strata column names \
                     ({}); Strata cannot read them, so a copy would leave them out: nothing was \
                     copied",
                    path.display(),
                    not_copied.join(", ")
                )));
            }
            Ok((Either::Left(source), columns))
        }
        Location::Etcd { .. } => {
            let source = src.open_existing()?;
            let columns = source.columns();
            Ok((source, columns))
        }
    }
}

/// Refuses a destination that holds anything: a directory that is not empty (or whose parent
/// does not exist), a root on etcd with any key under it.
fn check_target(dst: &Location) -> Result<(), CliError> {
    match dst {
        Location::Dir(path) => check_target_dir(path),
        Location::Etcd { endpoints, root } => {
            let probe = EtcdDb::open(&Location::etcd_config(endpoints, root)?, &[])?;
            match probe.stored_keys()? {
                0 => Ok(()),
                keys => Err(CliError::CopyRootNotEmpty { location: dst.to_string(), keys }),
            }
        }
    }
}

fn check_target_dir(dst: &Path) -> Result<(), CliError> {
    match dst.symlink_metadata() {
        Ok(meta) => {
            let empty = meta.is_dir()
                && std::fs::read_dir(dst).map_err(CliError::io(dst))?.next().is_none();
            if empty { Ok(()) } else { Err(CliError::CopyTargetNotEmpty(dst.to_owned())) }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dst.parent().filter(|parent| !parent.as_os_str().is_empty())
                && !parent.is_dir()
            {
                return Err(CliError::CopyParentMissing(parent.to_owned()));
            }
            Ok(())
        }
        Err(error) => Err(CliError::io(dst)(error)),
    }
}

/// The new database at `dst` with `columns`, and the batches it takes: etcd's are bounded by
/// the cluster's limits on a transaction (operations, request bytes), with room for the keys'
/// prefixes and each operation's framing.
fn create_target(dst: &Location, columns: &[Column]) -> Result<(AnyDb, CopyOptions), CliError> {
    match dst {
        Location::Dir(path) => Ok((
            Either::Left(RocksDb::open(&RocksConfig::new(path), columns)?),
            CopyOptions::default(),
        )),
        Location::Etcd { endpoints, root } => {
            let db = EtcdDb::open(&Location::etcd_config(endpoints, root)?, columns)?;
            let options = db.copy_options();
            Ok((Either::Right(db), options))
        }
    }
}

/// The copy as it now is, opened again to be re-read.
fn reopen_target(dst: &Location, columns: &[Column]) -> Result<AnyDb, CliError> {
    match dst {
        Location::Dir(path) => {
            Ok(Either::Left(RocksDb::open_read_only(&RocksConfig::new(path), columns)?))
        }
        Location::Etcd { endpoints, root } => {
            Ok(Either::Right(EtcdDb::open(&Location::etcd_config(endpoints, root)?, columns)?))
        }
    }
}

/// Entries a column is expected to hold: RocksDB's estimate, or etcd's exact count at the
/// snapshot's revision.
fn estimate(source: &Either<&RocksDb, EtcdSnapshot<'_>>, column: Column) -> Result<u64, CliError> {
    Ok(match source {
        Either::Left(rocks) => rocks.property(column, "rocksdb.estimate-num-keys")?.unwrap_or(0),
        Either::Right(snapshot) => snapshot.count_entries(column)?,
    })
}

/// A bar over the entries to copy (RocksDB's estimate, corrected as each column completes),
/// hidden under `--json`.
fn progress_bar(total: u64, out: &Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "copying {msg:20} {bar:40} {pos}/{len} entries ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Copies the database at `src` into a new database at `dst` and verifies it.
///
/// A directory source is opened read-only, one snapshot; an etcd source is read through an
/// [`EtcdSnapshot`] pinned at one revision, so every column comes from the same moment there too.
pub(crate) fn copy(src: &Location, dst: &Location, out: &Output) -> Result<(), CliError> {
    check_target(dst)?;
    let (source, columns) = open_source(src)?;
    let reader: Either<&RocksDb, EtcdSnapshot<'_>> = match &source {
        Either::Left(rocks) => Either::Left(rocks),
        Either::Right(etcd) => {
            let snapshot = EtcdSnapshot::new(etcd)?;
            // Keys outside every recorded column would be left out: refuse, as for a directory
            // with families Strata cannot read.
            let unaccounted = snapshot.unaccounted_keys()?;
            if unaccounted > 0 {
                return Err(CliError::Verification(format!(
                    "{src} holds {unaccounted} key(s) under its root outside every column its \
                     registry records; a copy would leave them out: nothing was copied"
                )));
            }
            Either::Right(snapshot)
        }
    };
    let incomplete = |error| CliError::CopyIncomplete { dst: dst.to_string(), error };

    // The copy: the new database gets the same columns and prefix lengths.
    let (target, options) = create_target(dst, &columns)?;
    let mut expected = Vec::with_capacity(columns.len());
    for column in &columns {
        expected.push(estimate(&reader, *column)?);
    }
    let bar = progress_bar(expected.iter().sum(), out);
    let mut copied = vec![0_u64; columns.len()];
    let report = copy::copy(&reader, &target, &columns, &options, |progress| {
        track(&bar, &columns, &mut expected, &mut copied, progress);
    })
    .map_err(incomplete)?;
    bar.finish_and_clear();
    drop(target);

    // The verification pass: both sides re-read, the copy as it is stored.
    let spinner = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    spinner.set_message("verifying: re-reading the source and the copy");
    spinner.enable_steady_tick(Duration::from_millis(100));
    let target = reopen_target(dst, &columns)?;
    let verified = copy::verify(&reader, &target, &columns);
    spinner.finish_and_clear();
    let summaries = match verified {
        Ok(summaries) if summaries == report.columns => summaries,
        Ok(_) => {
            return Err(CliError::Verification(format!(
                "the source changed while it was copied, so {dst} is not one snapshot of it: \
                 delete it and copy again while nothing writes to the source"
            )));
        }
        Err(error @ CopyError::Mismatch { .. }) => {
            return Err(CliError::Verification(format!(
                "{error}. {dst} is not a faithful copy: delete it and copy again, from a source \
                 nothing writes to"
            )));
        }
        Err(error) => return Err(incomplete(error)),
    };
    print(src, dst, &columns, &summaries, report.batches, out);
    Ok(())
}

/// Moves the bar to the entries committed so far; a column's estimate gives way to its count.
fn track(
    bar: &ProgressBar,
    columns: &[Column],
    expected: &mut [u64],
    copied: &mut [u64],
    progress: &CopyProgress,
) {
    let Some(at) = columns.iter().position(|column| *column == progress.column) else {
        return;
    };
    copied[at] = progress.entries;
    if let Some(total) = progress.total {
        expected[at] = total;
    }
    let length = expected.iter().zip(copied.iter()).map(|(e, c)| *e.max(c)).sum();
    bar.set_length(length);
    bar.set_position(copied.iter().sum());
    bar.set_message(progress.column.name());
}

/// The report: per column entries, bytes and hash, as a table or JSON.
fn print(
    src: &Location,
    dst: &Location,
    columns: &[Column],
    summaries: &[ColumnSummary],
    batches: u64,
    out: &Output,
) {
    let entries: u64 = summaries.iter().map(|s| s.entries).sum();
    let bytes: u64 = summaries.iter().map(|s| s.bytes).sum();
    let rows: Vec<serde_json::Value> = columns
        .iter()
        .zip(summaries)
        .map(|(column, summary)| {
            json!({
                "column": summary.column,
                "prefix_len": column.prefix_len(),
                "entries": summary.entries,
                "bytes": summary.bytes,
                "hash": summary.hash_hex(),
            })
        })
        .collect();
    let json = json!({
        "source": src.to_string(),
        "destination": dst.to_string(),
        "columns": rows,
        "entries": entries,
        "bytes": bytes,
        "batches": batches,
        "verification": "passed",
    });

    let cells: Vec<Vec<String>> = summaries
        .iter()
        .map(|summary| {
            vec![
                summary.column.clone(),
                summary.entries.to_string(),
                summary.bytes.to_string(),
                format!("{}…", &summary.hash_hex()[..16]),
            ]
        })
        .collect();
    let table = table_text(&["column", "entries", "bytes", "hash (BLAKE3)"], &cells);
    let mut text = format!(
        "copied {} column(s), {entries} entries ({bytes} bytes of keys and values), from {src} to \
         {dst} in {batches} batch(es)\n{table}\n",
        summaries.len(),
    );
    text.push_str(
        "verification passed: every column has the same entries, bytes and hash in the source \
         and the copy",
    );
    out.done(&text, &json);
}
