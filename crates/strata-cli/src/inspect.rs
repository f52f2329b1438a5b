//! The inspector: `stats`, `scan`, `get`, `check` on any Strata database, in a directory or on
//! etcd; `checkpoint` and `compact` on a directory.
//!
//! An encrypted database (one with a key ring) is read through `EncryptedDb` when its key is
//! given (`crate::key`): values show as plaintext, and one that fails authentication as an error
//! of its own entry. Without the key, `scan` and `get` show each value's size alone, `check`
//! checks keys and not values, and `stats` needs nothing.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use strata::encryption::EncryptedDb;
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, Either, KeyRange, ReadLayer, StorageError, Store};

use crate::error::{CliError, parse_hex};
use crate::location::{AnyDb, Location};
use crate::output::{BlockCache, Lsm, Output, Row};
use crate::{key, schema};

/// What the inspector says of an encrypted database read without its key.
const SEALED_NOTE: &str = "the database is encrypted and no key was given (STRATA_KEY or \
                           STRATA_PASSPHRASE): values are shown by size only";

/// A database as the inspector reads its values.
enum Values {
    /// A plaintext database: values as stored.
    Plain(Store<AnyDb>),
    /// An encrypted database without its key: sizes only.
    Sealed(Store<AnyDb>),
    /// An encrypted database opened with its key: values opened and authenticated.
    Unlocked(Box<EncryptedDb<AnyDb>>),
}

impl Values {
    /// Opens the database at `location`, with its key if it is encrypted and one is given.
    fn open(location: &Location) -> Result<Self, CliError> {
        let store = open_any(location)?;
        if !key::is_encrypted(&store)? {
            return Ok(Self::Plain(store));
        }
        match key::current(&location.to_string(), true)? {
            Some(key) => Ok(Self::Unlocked(Box::new(EncryptedDb::open(store.into_inner(), &key)?))),
            None => Ok(Self::Sealed(store)),
        }
    }

    /// The database underneath.
    fn db(&self) -> &AnyDb {
        match self {
            Self::Plain(store) | Self::Sealed(store) => store.db(),
            Self::Unlocked(db) => db.raw(),
        }
    }
}

/// Opens an existing database in a directory with the columns recorded in it.
pub(crate) fn open(path: &Path) -> Result<Store<RocksDb>, CliError> {
    Ok(Store::new(RocksDb::open_existing(&RocksConfig::new(path))?))
}

/// Opens an existing database, in a directory or on etcd, with the columns recorded in it.
fn open_any(location: &Location) -> Result<Store<AnyDb>, CliError> {
    Ok(Store::new(location.open_existing()?))
}

fn column(db: &impl Database, name: &str) -> Result<Column, CliError> {
    let columns = db.columns();
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
    out.stats(&rows, undeclared, recorded.as_ref(), cache.as_ref(), key::is_encrypted(&store)?);
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

/// Prints the entries of a column within a range. Entries whose values fail authentication
/// are shown as errors, and the scan goes on; it then fails with their count.
pub(crate) fn scan(location: &Location, args: &ScanArgs<'_>, out: &Output) -> Result<(), CliError> {
    let values = Values::open(location)?;
    let column = column(values.db(), args.column)?;
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

    let (rows, failed) = match &values {
        Values::Plain(store) => scan_rows(store, column, range, args, entry_row)?,
        Values::Sealed(store) => scan_rows(store, column, range, args, sealed_row)?,
        Values::Unlocked(db) => scan_rows(&***db, column, range, args, entry_row)?,
    };
    let sealed = matches!(values, Values::Sealed(_)) && column != strata::versions::VERSIONS;
    out.entries(&rows, sealed.then_some(SEALED_NOTE));
    if failed > 0 { Err(CliError::TamperedEntries(failed)) } else { Ok(()) }
}

/// The rows of a scan through `layer`, each made by `row`, and how many entries failed
/// authentication (each a row of its own).
fn scan_rows<L: ReadLayer>(
    layer: &L,
    column: Column,
    range: KeyRange,
    args: &ScanArgs<'_>,
    row: fn(&str, &[u8], &[u8]) -> Row,
) -> Result<(Vec<Row>, usize), CliError> {
    let iter = layer.iter_range(column, range)?;
    let items: Box<dyn Iterator<Item = _>> =
        if args.reverse { Box::new(iter.rev()) } else { Box::new(iter) };
    let mut rows = Vec::new();
    let mut failed = 0;
    for item in items.take(args.limit) {
        match item {
            Ok((key, value)) => rows.push(row(column.name(), &key, &value)),
            Err(StorageError::Tampered { key, .. }) => {
                let text = schema::show_key(column.name(), &key);
                rows.push(Row::value_error(&key, text, "failed authentication (tampered)"));
                failed += 1;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok((rows, failed))
}

/// Prints one entry.
pub(crate) fn get(
    location: &Location,
    column_name: &str,
    key_hex: &str,
    out: &Output,
) -> Result<(), CliError> {
    let values = Values::open(location)?;
    let column = column(values.db(), column_name)?;
    let key = parse_hex(key_hex)?;
    schema::check_key(column_name, &key)?;
    let not_found = || CliError::NotFound(hex::encode(&key), column_name.to_owned());
    let row = match &values {
        Values::Plain(store) => {
            entry_row(column.name(), &key, &store.get(column, &key)?.ok_or_else(not_found)?)
        }
        Values::Sealed(store) => {
            sealed_row(column.name(), &key, &store.get(column, &key)?.ok_or_else(not_found)?)
        }
        Values::Unlocked(db) => {
            entry_row(column.name(), &key, &db.get(column, &key)?.ok_or_else(not_found)?)
        }
    };
    let sealed = matches!(values, Values::Sealed(_)) && column != strata::versions::VERSIONS;
    out.entries(&[row], sealed.then_some(SEALED_NOTE));
    Ok(())
}

/// An entry as a row, decoded when a schema knows its column.
fn entry_row(column: &str, key: &[u8], value: &[u8]) -> Row {
    let (key_text, value_text) = schema::show(column, key, value);
    Row::entry(key, value, key_text, value_text)
}

/// An encrypted database's entry read without its key: its value by size alone, except in the
/// meta column, which is not sealed.
fn sealed_row(column: &str, key: &[u8], value: &[u8]) -> Row {
    if column == strata::versions::VERSIONS.name() {
        return entry_row(column, key, value);
    }
    Row::sealed(key, schema::show_key(column, key), value.len())
}

/// Checks every entry of every known column: key length and decoding, value decoding. Values
/// of an encrypted database are decoded once opened with its key; without the key, only keys
/// (and the meta column, which is not sealed) are checked, and the output says so.
pub(crate) fn check(location: &Location, out: &Output) -> Result<(), CliError> {
    let values = Values::open(location)?;
    let columns = values.db().columns();
    let progress = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} checked {pos} entries ({per_sec}) {msg}")
    {
        progress.set_style(style);
    }
    let (checked, mut problems) = match &values {
        Values::Plain(store) => check_entries(store, &columns, true, &progress)?,
        Values::Sealed(store) => check_entries(store, &columns, false, &progress)?,
        Values::Unlocked(db) => check_entries(&***db, &columns, true, &progress)?,
    };
    progress.finish_and_clear();
    // On etcd, keys under the root outside every recorded column are data no scan above saw.
    if let Either::Right(etcd) = values.db() {
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
    let skipped = matches!(values, Values::Sealed(_)).then_some(
        "the database is encrypted and no key was given (STRATA_KEY or STRATA_PASSPHRASE); \
         keys were checked",
    );
    out.check(checked, &problems, &unknown, skipped);
    if problems.is_empty() { Ok(()) } else { Err(CliError::CheckFailed(problems.len())) }
}

/// Checks every entry of `columns` through `layer`: keys, and values when `decode_values` (the
/// meta column's always: it is never sealed). A value that fails authentication is a problem of
/// its entry, and the column's check goes on; any other read error ends the column's check.
fn check_entries<L: ReadLayer>(
    layer: &L,
    columns: &[Column],
    decode_values: bool,
    progress: &ProgressBar,
) -> Result<(u64, Vec<Row>), CliError> {
    let mut problems = Vec::new();
    let mut checked = 0_u64;
    for column in columns {
        progress.set_message(column.name());
        let decode = decode_values || column.name() == strata::versions::VERSIONS.name();
        let mut last_key: Option<Box<[u8]>> = None;
        for item in layer.iter(*column, ..)? {
            let (key, value) = match item {
                Ok(entry) => entry,
                Err(StorageError::Tampered { key, .. }) => {
                    let problem = "value failed authentication: altered, moved from another \
                                   key or column, or replayed from an older key version";
                    problems.push(Row::problem(column.name(), &key, problem));
                    checked += 1;
                    progress.inc(1);
                    last_key = Some(key.into_boxed_slice());
                    continue;
                }
                Err(error) => {
                    // A read error (a checksum mismatch, say) ends this column's scan: report
                    // where it happened and go on with the next column.
                    let after = last_key.as_deref().unwrap_or_default();
                    let problem = format!("unreadable after this key: {}", error_chain(&error));
                    problems.push(Row::problem(column.name(), after, &problem));
                    break;
                }
            };
            let problem = if decode {
                schema::problem(column.name(), &key, &value)
            } else {
                schema::key_problem(column.name(), &key)
            };
            if let Some(problem) = problem {
                problems.push(Row::problem(column.name(), &key, &problem));
            }
            checked += 1;
            progress.inc(1);
            last_key = Some(key);
        }
    }
    Ok((checked, problems))
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
