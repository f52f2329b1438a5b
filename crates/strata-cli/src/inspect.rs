//! The inspector: `stats`, `scan`, `get`, `check` on any Strata database, in a directory or on
//! etcd; `checkpoint` and `compact` on a directory.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, Either, KeyRange, ReadLayer, Store};

use crate::error::{CliError, parse_hex};
use crate::location::{AnyDb, Location};
use crate::output::{BlockCache, Lsm, Output, Row};
use crate::schema;

/// Opens an existing database in a directory with the columns recorded in it.
pub(crate) fn open(path: &Path) -> Result<Store<RocksDb>, CliError> {
    Ok(Store::new(RocksDb::open_existing(&RocksConfig::new(path))?))
}

/// Opens an existing database, in a directory or on etcd, with the columns recorded in it.
fn open_any(location: &Location) -> Result<Store<AnyDb>, CliError> {
    Ok(Store::new(location.open_existing()?))
}

fn column<D: Database>(store: &Store<D>, name: &str) -> Result<Column, CliError> {
    let columns = store.db().columns();
    columns.iter().copied().find(|c| c.name() == name).ok_or_else(|| CliError::UnknownColumn {
        name: name.to_owned(),
        available: columns.iter().map(Column::name).collect::<Vec<_>>().join(", "),
    })
}

/// Per column: keys and bytes (RocksDB's estimates), or keys (etcd's exact count).
pub(crate) fn stats(location: &Location, out: &Output) -> Result<(), CliError> {
    let store = open_any(location)?;
    let db = store.db();
    let mut rows = Vec::new();
    for column in db.columns() {
        let prefix = column.prefix_len().map_or_else(|| "-".to_owned(), |len| len.to_string());
        let schema = schema::owner(column.name());
        let (keys, bytes, lsm) = match db {
            Either::Left(rocks) => {
                let property = |name: &str| -> Result<u64, CliError> {
                    Ok(rocks.property(column, name)?.unwrap_or(0))
                };
                let keys = property("rocksdb.estimate-num-keys")?;
                let tables = property("rocksdb.total-sst-files-size")?;
                let memtable_bytes = property("rocksdb.cur-size-all-mem-tables")?;
                let files_per_level = (0..7)
                    .map(|level| property(&format!("rocksdb.num-files-at-level{level}")))
                    .collect::<Result<Vec<u64>, CliError>>()?;
                let pending_compaction_bytes =
                    property("rocksdb.estimate-pending-compaction-bytes")?;
                let lsm = Lsm { memtable_bytes, files_per_level, pending_compaction_bytes };
                (keys, Some(tables + memtable_bytes), Some(lsm))
            }
            // etcd counts a range's keys exactly; its sizes are per cluster, not per range.
            Either::Right(etcd) => (etcd.count_entries(column)?, None, None),
        };
        rows.push(Row::stats(column.name(), schema, &prefix, keys, bytes, lsm.as_ref()));
    }
    // The versions the database records (databases written before versions were recorded
    // have none).
    let recorded = if db.columns().iter().any(|c| c.name() == strata::versions::VERSIONS.name()) {
        Some(strata::versions::recorded(db).map_err(|e| CliError::Verification(e.to_string()))?)
    } else {
        None
    };
    let (undeclared, cache) = match db {
        Either::Left(rocks) => {
            // Every column's table options hold the same cache: ask the first column.
            let cache = match rocks.columns().first() {
                Some(column) => Some(BlockCache {
                    usage: rocks.property(*column, "rocksdb.block-cache-usage")?.unwrap_or(0),
                    capacity: rocks.property(*column, "rocksdb.block-cache-capacity")?.unwrap_or(0),
                }),
                None => None,
            };
            (rocks.undeclared_columns(), cache)
        }
        Either::Right(_) => (&[][..], None),
    };
    out.stats(&rows, undeclared, recorded.as_ref(), cache.as_ref());
    Ok(())
}

/// What `scan` walks.
pub(crate) struct ScanArgs<'a> {
    /// The column's name.
    pub(crate) column: &'a str,
    /// Only keys with this hex prefix.
    pub(crate) prefix: Option<&'a str>,
    /// From this hex key (inclusive).
    pub(crate) from: Option<&'a str>,
    /// To this hex key (exclusive).
    pub(crate) to: Option<&'a str>,
    /// Largest keys first.
    pub(crate) reverse: bool,
    /// At most this many entries.
    pub(crate) limit: usize,
}

/// A range bound given as `flag`, in hex.
fn bound(hex: Option<&str>) -> Result<Option<Vec<u8>>, CliError> {
    hex.map(parse_hex).transpose()
}

/// Prints the entries of a column within a range.
pub(crate) fn scan(location: &Location, args: &ScanArgs<'_>, out: &Output) -> Result<(), CliError> {
    let store = open_any(location)?;
    let column = column(&store, args.column)?;
    // A prefix longer than the column's keys could match nothing; `--from`/`--to` may be any
    // bytes (a key followed by 00 is a fine lower bound).
    let prefix = bound(args.prefix)?;
    if let Some(prefix) = &prefix {
        schema::check_prefix(args.column, prefix)?;
    }
    let from = bound(args.from)?;
    let to = bound(args.to)?;
    let range = prefix.map_or_else(KeyRange::all, |prefix| KeyRange::prefix(&prefix));
    let (start, end) = range.into_parts();
    let start = match from {
        Some(from) => start.max(from),
        None => start,
    };
    let end = match (to, end) {
        (Some(to), Some(end)) => Some(to.min(end)),
        (to, end) => to.or(end),
    };
    let range = KeyRange::new(start, end);

    let iter = store.iter_range(column, range)?;
    let items: Box<dyn Iterator<Item = _>> =
        if args.reverse { Box::new(iter.rev()) } else { Box::new(iter) };
    let mut rows = Vec::new();
    for item in items.take(args.limit) {
        let (key, value) = item?;
        rows.push(entry_row(column.name(), &key, &value));
    }
    out.entries(&rows);
    Ok(())
}

/// Prints one entry.
pub(crate) fn get(
    location: &Location,
    column_name: &str,
    key_hex: &str,
    out: &Output,
) -> Result<(), CliError> {
    let store = open_any(location)?;
    let column = column(&store, column_name)?;
    let key = parse_hex(key_hex)?;
    schema::check_key(column_name, &key)?;
    let value = store
        .get(column, &key)?
        .ok_or_else(|| CliError::NotFound(hex::encode(&key), column_name.to_owned()))?;
    out.entries(&[entry_row(column.name(), &key, &value)]);
    Ok(())
}

/// An entry as a row, decoded when a schema knows its column.
fn entry_row(column: &str, key: &[u8], value: &[u8]) -> Row {
    let (key_text, value_text) = schema::show(column, key, value);
    Row::entry(key, value, key_text, value_text)
}

/// Checks every entry of every known column: key length and decoding, value decoding.
pub(crate) fn check(location: &Location, out: &Output) -> Result<(), CliError> {
    let store = open_any(location)?;
    let columns = store.db().columns();
    let progress = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} checked {pos} entries ({per_sec}) {msg}")
    {
        progress.set_style(style);
    }
    let mut problems = Vec::new();
    let mut checked = 0_u64;
    for column in &columns {
        progress.set_message(column.name());
        let mut last_key: Option<Box<[u8]>> = None;
        for item in store.iter(*column, ..)? {
            let (key, value) = match item {
                Ok(entry) => entry,
                Err(error) => {
                    // A read error (a checksum mismatch, say) ends this column's scan: report
                    // where it happened and go on with the next column.
                    let after = last_key.as_deref().unwrap_or_default();
                    let problem = format!("unreadable after this key: {}", error_chain(&error));
                    problems.push(Row::problem(column.name(), after, &problem));
                    break;
                }
            };
            if let Some(problem) = schema::problem(column.name(), &key, &value) {
                problems.push(Row::problem(column.name(), &key, &problem));
            }
            checked += 1;
            progress.inc(1);
            last_key = Some(key);
        }
    }
    progress.finish_and_clear();
    // On etcd, keys under the root outside every recorded column are data no scan above saw.
    if let Either::Right(etcd) = store.db() {
        let unaccounted = etcd.unaccounted_keys()?;
        if unaccounted > 0 {
            let problem = format!(
                "{unaccounted} key(s) under the root belong to no column its registry records"
            );
            problems.push(Row::problem("(root)", &[], &problem));
        }
    }
    let unknown: Vec<&str> =
        columns.iter().map(Column::name).filter(|name| schema::owner(name).is_none()).collect();
    out.check(checked, &problems, &unknown);
    if problems.is_empty() { Ok(()) } else { Err(CliError::CheckFailed(problems.len())) }
}

/// An error and its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text = format!("{text}: {message}");
        }
        source = cause.source();
    }
    text
}

/// Writes a consistent copy to `dir`, which must not exist yet.
pub(crate) fn checkpoint(path: &Path, dir: &Path, out: &Output) -> Result<(), CliError> {
    // Anything at `dir` (a directory, a file, a dangling link), or no directory to create it in,
    // makes RocksDB refuse; say so plainly, before opening the database.
    if dir.symlink_metadata().is_ok() {
        return Err(CliError::CheckpointExists(dir.to_owned()));
    }
    if let Some(parent) = dir.parent().filter(|parent| !parent.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(CliError::CheckpointParentMissing(parent.to_owned()));
    }
    let store = open(path)?;
    store.db().checkpoint(dir)?;
    out.message(&format!("checkpoint written to {}", dir.display()));
    Ok(())
}

/// Compacts every column.
pub(crate) fn compact(path: &Path, out: &Output) -> Result<(), CliError> {
    let store = open(path)?;
    let spinner = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    spinner.set_message("compacting");
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    store.db().compact()?;
    spinner.finish_and_clear();
    out.message(&format!("compacted {}", path.display()));
    Ok(())
}
