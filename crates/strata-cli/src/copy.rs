//! `strata copy SRC DST`: every column of a database into a new one, from one snapshot, then a
//! verification pass that re-reads both sides and compares counts and a hash per column.

use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use strata::Column;
use strata::copy::{self, ColumnSummary, CopyError, CopyOptions, CopyProgress};
use strata::rocksdb::{RocksConfig, RocksDb};

use crate::error::CliError;
use crate::output::{Output, table_text};

/// `strata copy --help`'s exit codes.
pub(crate) const EXIT_CODES: &str = "\
Exit codes: 0 success (copied, and the verification passed), 1 internal error (a read or a write
failed part-way: delete DST and copy again), 2 usage error, 3 SRC cannot be opened (missing, not a
Strata database, damaged) or DST cannot be created, 4 DST exists and is not an empty directory,
or the directory it would be created in does not exist, 5 the verification found the copy differs
from SRC (delete DST and copy again, from a source nothing writes to), or SRC holds column
families whose names Strata cannot read (nothing is copied).";

/// The source opened read-only with every column on disk, and the column families it has that
/// are not valid Strata column names (which no Strata handle can read, so they are not copied).
fn open_source(path: &Path) -> Result<(RocksDb, Vec<Column>, Vec<String>), CliError> {
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

/// Refuses a destination that holds anything, or whose parent directory does not exist.
fn check_target(dst: &Path) -> Result<(), CliError> {
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

/// Copies the database in `src` into a new database in `dst` and verifies it.
pub(crate) fn copy(src: &Path, dst: &Path, out: &Output) -> Result<(), CliError> {
    check_target(dst)?;
    let (source, columns, not_copied) = open_source(src)?;
    if !not_copied.is_empty() {
        // A copy without them would not be the database: refuse rather than report success.
        return Err(CliError::Verification(format!(
            "`{}` holds column families whose names are not valid Strata column names ({}); \
             Strata cannot read them, so a copy would leave them out: nothing was copied",
            src.display(),
            not_copied.join(", ")
        )));
    }
    let incomplete = |error| CliError::CopyIncomplete { dst: dst.to_owned(), error };

    // The copy: the new database gets the same columns and prefix lengths.
    let target = RocksDb::open(&RocksConfig::new(dst), &columns)?;
    let mut expected = Vec::with_capacity(columns.len());
    for column in &columns {
        expected.push(source.property(*column, "rocksdb.estimate-num-keys")?.unwrap_or(0));
    }
    let bar = progress_bar(expected.iter().sum(), out);
    let mut copied = vec![0_u64; columns.len()];
    let report = copy::copy(&source, &target, &columns, &CopyOptions::default(), |progress| {
        track(&bar, &columns, &mut expected, &mut copied, progress);
    })
    .map_err(incomplete)?;
    bar.finish_and_clear();
    drop(target);

    // The verification pass: both sides re-read, the copy as it is on disk.
    let spinner = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    spinner.set_message("verifying: re-reading the source and the copy");
    spinner.enable_steady_tick(Duration::from_millis(100));
    let target = RocksDb::open_read_only(&RocksConfig::new(dst), &columns)?;
    let verified = copy::verify(&source, &target, &columns);
    spinner.finish_and_clear();
    let summaries = match verified {
        Ok(summaries) if summaries == report.columns => summaries,
        Ok(_) => {
            return Err(CliError::Verification(format!(
                "the source changed while it was copied, so `{}` is not one snapshot of it: \
                 delete it and copy again while nothing writes to the source",
                dst.display()
            )));
        }
        Err(error @ CopyError::Mismatch { .. }) => {
            return Err(CliError::Verification(format!(
                "{error}. `{}` is not a faithful copy: delete it and copy again, from a source \
                 nothing writes to",
                dst.display()
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
    src: &Path,
    dst: &Path,
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
        "source": src.display().to_string(),
        "destination": dst.display().to_string(),
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
        "copied {} column(s), {entries} entries ({bytes} bytes of keys and values), from {} to {} \
         in {batches} batch(es)\n{table}\n",
        summaries.len(),
        src.display(),
        dst.display(),
    );
    text.push_str(
        "verification passed: every column has the same entries, bytes and hash in the source \
         and the copy",
    );
    out.done(&text, &json);
}
