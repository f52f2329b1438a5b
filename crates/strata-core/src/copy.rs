//! Copying a database's columns from one backend to another, and checking that two databases hold
//! the same columns: counts and a hash per column.
//!
//! [`copy`] walks each column of the source with a cursor, in key order, and writes what it reads
//! to the destination in bounded [`Transaction`] batches ([`CopyOptions`]); the last batch is
//! applied with [`Durability::Sync`], so a finished copy survives power loss. It refuses a
//! destination column that already holds data ([`CopyError::DestinationNotEmpty`]) before writing
//! anything: a copy never merges into existing data. [`summarize`] reads a database's columns into
//! [`ColumnSummary`]s — entries, bytes and a hash — and [`verify`] compares two databases column by
//! column ([`CopyError::Mismatch`]).
//!
//! **One consistent snapshot.** Each column is read through its own cursor, and a cursor reads a
//! snapshot taken when it is created, so a copy of a database that changes while it is copied
//! takes each column at a different moment. For one consistent snapshot of the whole database,
//! copy from a source that does not change: a read-only open, or a checkpoint. (`strata copy`
//! opens its source read-only.)
//!
//! **The hash** of a column is BLAKE3 over its entries in key order, each entry as the key's
//! length (a little-endian `u64`), the key, the value's length (a little-endian `u64`) and the
//! value. Two columns with the same hash hold the same entries, byte for byte; the length
//! prefixes keep `("ab", "c")` and `("a", "bc")` apart.
//!
//! ```
//! use strata_core::copy::{self, CopyOptions};
//! use strata_core::{Column, Database, MemoryDb};
//!
//! const NOTES: Column = Column::new("notes");
//! let src = MemoryDb::new([NOTES]);
//! src.put(NOTES, b"a", b"first")?;
//! src.put(NOTES, b"b", b"")?;
//!
//! let dst = MemoryDb::new([NOTES]);
//! let mut seen = 0;
//! let report = copy::copy(&src, &dst, &[NOTES], &CopyOptions::default(), |progress| {
//!     seen = progress.entries;
//! })?;
//! assert_eq!((report.entries(), seen), (2, 2));
//!
//! // Both sides hold the same entries: the same counts and hashes.
//! let summaries = copy::verify(&src, &dst, &[NOTES])?;
//! assert_eq!(summaries, report.columns);
//!
//! // A second copy into the same destination is refused: it never merges.
//! let again = copy::copy(&src, &dst, &[NOTES], &CopyOptions::default(), |_| {});
//! assert!(matches!(again, Err(copy::CopyError::DestinationNotEmpty { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::column::Column;
use crate::database::{Cursor, Database, Durability};
use crate::error::StorageError;
use crate::range::KeyRange;
use crate::transaction::Transaction;

/// The default largest batch, in entries.
pub const DEFAULT_BATCH_KEYS: usize = 10_000;

/// The default largest batch, in bytes of keys and values.
pub const DEFAULT_BATCH_BYTES: usize = 16 << 20;

/// How a copy batches its writes.
///
/// A batch closes when it holds [`batch_keys`](CopyOptions::with_batch_keys) entries, or when the
/// next entry would take it past [`batch_bytes`](CopyOptions::with_batch_bytes) (an entry larger
/// than that goes in a batch of its own). Each batch is one atomic commit to the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOptions {
    batch_keys: usize,
    batch_bytes: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self { batch_keys: DEFAULT_BATCH_KEYS, batch_bytes: DEFAULT_BATCH_BYTES }
    }
}

impl CopyOptions {
    /// At most `keys` entries per batch (0 counts as 1).
    #[must_use]
    pub fn with_batch_keys(mut self, keys: usize) -> Self {
        self.batch_keys = keys.max(1);
        self
    }

    /// At most `bytes` of keys and values per batch, unless one entry alone is larger (0 counts
    /// as 1: one entry per batch).
    #[must_use]
    pub fn with_batch_bytes(mut self, bytes: usize) -> Self {
        self.batch_bytes = bytes.max(1);
        self
    }

    /// The largest batch, in entries.
    pub fn batch_keys(&self) -> usize {
        self.batch_keys
    }

    /// The largest batch, in bytes of keys and values.
    pub fn batch_bytes(&self) -> usize {
        self.batch_bytes
    }
}

/// How far a copy has come in one column, reported after each commit to the destination.
///
/// Counts only what is committed, so they grow monotonically; each column is reported at least
/// once, with [`total`](CopyProgress::total) set, when its last entry is committed (an empty
/// column: as soon as it is found empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyProgress {
    /// The column.
    pub column: Column,
    /// Its entries committed to the destination so far.
    pub entries: u64,
    /// Their bytes, keys and values.
    pub bytes: u64,
    /// The column's entry count, once known: when its last entry is committed (then equal to
    /// `entries`). `None` while the column is still being read.
    pub total: Option<u64>,
}

/// A column's contents in brief: how many entries, how many bytes, and a hash of them all.
///
/// The hash is BLAKE3 over the entries in key order, each as `len(key)` (little-endian `u64`),
/// `key`, `len(value)` (little-endian `u64`), `value`: see the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSummary {
    /// The column's name.
    pub column: String,
    /// How many entries it holds.
    pub entries: u64,
    /// The total length of their keys and values.
    pub bytes: u64,
    /// BLAKE3 over its entries, in key order.
    pub hash: [u8; 32],
}

impl ColumnSummary {
    /// The hash as lowercase hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

impl fmt::Display for ColumnSummary {
    /// `12 entries, 345 bytes, hash 0123456789abcdef…`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hash_hex();
        write!(f, "{} entries, {} bytes, hash {}…", self.entries, self.bytes, &hex[..16])
    }
}

/// What a finished [`copy`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Each column as it was read from the source (and written to the destination), in the order
    /// given.
    pub columns: Vec<ColumnSummary>,
    /// How many batches were committed.
    pub batches: u64,
}

impl CopyReport {
    /// Entries copied, over every column.
    pub fn entries(&self) -> u64 {
        self.columns.iter().map(|c| c.entries).sum()
    }

    /// Bytes of keys and values copied, over every column.
    pub fn bytes(&self) -> u64 {
        self.columns.iter().map(|c| c.bytes).sum()
    }
}

/// One column that two databases hold differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMismatch {
    /// The column's name.
    pub column: String,
    /// The column in the source.
    pub src: ColumnSummary,
    /// The column in the destination.
    pub dst: ColumnSummary,
}

impl fmt::Display for ColumnMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: source {}; destination {}", self.column, self.src, self.dst)
    }
}

/// Why a copy or a verification failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// A column of the destination already holds data. Nothing was written: a copy writes only
    /// into empty columns.
    #[error(
        "column `{column}` of the destination already holds data: a copy writes only into empty \
         columns and never merges into existing data (nothing was written)"
    )]
    DestinationNotEmpty {
        /// The column.
        column: String,
    },

    /// The same column was named twice. Nothing was written.
    #[error("column `{column}` is named twice: each column is copied once (nothing was written)")]
    DuplicateColumn {
        /// The column.
        column: String,
    },

    /// The two databases do not hold the same entries: each column whose counts or hash differ.
    #[error(
        "{} column(s) differ between the source and the destination: {}",
        .mismatches.len(),
        .mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Mismatch {
        /// Every column that differs, in the order given.
        mismatches: Vec<ColumnMismatch>,
    },

    /// Reading the source failed.
    #[error("reading column `{column}` of the source failed: {error}")]
    Source {
        /// The column being read.
        column: String,
        /// The source's error.
        #[source]
        error: StorageError,
    },

    /// Reading or writing the destination failed. Batches committed before the failure stay: the
    /// destination holds part of the copy, which a new copy refuses until it is emptied.
    #[error("writing column `{column}` of the destination failed: {error}")]
    Destination {
        /// The column being written (or checked).
        column: String,
        /// The destination's error.
        #[source]
        error: StorageError,
    },
}

/// Builds a [`ColumnSummary`] from entries handed to it in key order: how [`copy`], [`verify`]
/// and [`summarize`] summarise a column, and how a transfer between something other than two
/// `Database`s (the `strata` CLI's `kv import` from LDK's `FilesystemStore`) summarises each side
/// the same way.
///
/// ```
/// use strata_core::copy::Summarizer;
///
/// let mut summary = Summarizer::new();
/// summary.add(b"k", b"v");
/// let summary = summary.finish("notes");
/// assert_eq!((summary.entries, summary.bytes), (1, 2));
/// assert_ne!(summary, Summarizer::new().finish("notes"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Summarizer {
    entries: u64,
    bytes: u64,
    hasher: blake3::Hasher,
}

impl Summarizer {
    /// Nothing summarised yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next entry (entries must come in key order for summaries to compare).
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        self.entries += 1;
        self.bytes += (key.len() + value.len()) as u64;
        self.hasher.update(&(key.len() as u64).to_le_bytes());
        self.hasher.update(key);
        self.hasher.update(&(value.len() as u64).to_le_bytes());
        self.hasher.update(value);
    }

    /// The summary of the entries added so far, under the name `column`.
    pub fn finish(&self, column: &str) -> ColumnSummary {
        ColumnSummary {
            column: column.to_owned(),
            entries: self.entries,
            bytes: self.bytes,
            hash: *self.hasher.finalize().as_bytes(),
        }
    }
}

/// Walks every entry of `column` in key order, handing each to `visit`; `Err` carries the source's
/// error, or `visit`'s.
fn walk<D: Database + ?Sized>(
    db: &D,
    column: Column,
    mut visit: impl FnMut(&[u8], &[u8]) -> Result<(), CopyError>,
) -> Result<(), CopyError> {
    let source = |error| CopyError::Source { column: column.name().to_owned(), error };
    let mut cursor = db.cursor(column, &KeyRange::all()).map_err(source)?;
    cursor.seek_to_first();
    while let Some((key, value)) = cursor.item() {
        visit(key, value)?;
        cursor.next();
    }
    cursor.status().map_err(source)
}

/// Reads each of `columns` of `db` into a [`ColumnSummary`], in the order given. Each column is
/// read through its own cursor (see the [module documentation](self) on snapshots).
///
/// # Errors
///
/// [`CopyError::Source`] when reading fails (a column `db` was not opened with, say).
pub fn summarize<D: Database + ?Sized>(
    db: &D,
    columns: &[Column],
) -> Result<Vec<ColumnSummary>, CopyError> {
    columns
        .iter()
        .map(|&column| {
            let mut summary = Summarizer::new();
            walk(db, column, |key, value| {
                summary.add(key, value);
                Ok(())
            })?;
            Ok(summary.finish(column.name()))
        })
        .collect()
}

/// Checks that `src` and `dst` hold the same entries in each of `columns`: reads both
/// ([`summarize`]) and compares counts, bytes and hashes. Returns the summaries (the same on both
/// sides).
///
/// # Errors
///
/// [`CopyError::Mismatch`] listing every column that differs; [`CopyError::Source`] or
/// [`CopyError::Destination`] when reading one of them fails.
pub fn verify<S, D>(src: &S, dst: &D, columns: &[Column]) -> Result<Vec<ColumnSummary>, CopyError>
where
    S: Database + ?Sized,
    D: Database + ?Sized,
{
    let in_src = summarize(src, columns)?;
    let in_dst = summarize(dst, columns).map_err(|error| match error {
        CopyError::Source { column, error } => CopyError::Destination { column, error },
        other => other,
    })?;
    let mismatches: Vec<ColumnMismatch> = in_src
        .iter()
        .zip(&in_dst)
        .filter(|(src, dst)| src != dst)
        .map(|(src, dst)| ColumnMismatch {
            column: src.column.clone(),
            src: src.clone(),
            dst: dst.clone(),
        })
        .collect();
    if mismatches.is_empty() { Ok(in_src) } else { Err(CopyError::Mismatch { mismatches }) }
}

/// One column's state during a copy.
struct Copied {
    column: Column,
    read: Summarizer,
    committed: (u64, u64),
    finished: bool,
}

/// The destination side of a copy: the open batch and what each column has committed.
struct Writer<'a, D: ?Sized, F> {
    dst: &'a D,
    options: CopyOptions,
    batch: Transaction,
    batch_keys: usize,
    batch_bytes: usize,
    batches: u64,
    columns: Vec<Copied>,
    progress: F,
}

impl<D: Database + ?Sized, F: FnMut(&CopyProgress)> Writer<'_, D, F> {
    /// Buffers one entry of the last column, committing the open batch first when the entry
    /// does not fit in it.
    fn add(&mut self, key: &[u8], value: &[u8]) -> Result<(), CopyError> {
        let size = key.len() + value.len();
        if self.batch_keys > 0
            && (self.batch_keys >= self.options.batch_keys
                || self.batch_bytes + size > self.options.batch_bytes)
        {
            self.commit(Durability::Wal)?;
        }
        let Some(copied) = self.columns.last_mut() else {
            return Ok(());
        };
        self.batch.put(copied.column, key, value);
        copied.read.add(key, value);
        self.batch_keys += 1;
        self.batch_bytes += size;
        Ok(())
    }

    /// Marks the last column as read to its end, reporting it at once if it has nothing left to
    /// commit.
    fn finish_column(&mut self) {
        if let Some(copied) = self.columns.last_mut() {
            copied.finished = true;
            if copied.committed.0 == copied.read.entries {
                let (entries, bytes) = copied.committed;
                let column = copied.column;
                (self.progress)(&CopyProgress { column, entries, bytes, total: Some(entries) });
            }
        }
    }

    /// Commits the open batch, then reports every column it held.
    fn commit(&mut self, durability: Durability) -> Result<(), CopyError> {
        if self.batch_keys == 0 {
            return Ok(());
        }
        self.dst.apply_durable(&self.batch, durability).map_err(|error| {
            let column = self.batch.columns().last().map_or("", |c| c.name()).to_owned();
            CopyError::Destination { column, error }
        })?;
        self.batch.clear();
        self.batch_keys = 0;
        self.batch_bytes = 0;
        self.batches += 1;
        for copied in &mut self.columns {
            let read = (copied.read.entries, copied.read.bytes);
            if copied.committed != read {
                copied.committed = read;
                (self.progress)(&CopyProgress {
                    column: copied.column,
                    entries: read.0,
                    bytes: read.1,
                    total: copied.finished.then_some(read.0),
                });
            }
        }
        Ok(())
    }
}

/// Copies each of `columns` from `src` to `dst`, in the order given, and returns what it copied.
///
/// Each column is read with its own cursor, in key order (for one consistent snapshot, pass a
/// source that does not change: see the [module documentation](self)), and written to `dst` in
/// batches bounded by `options`, each one atomic commit; a batch may hold the end of one column
/// and the start of the next. The last batch is applied with [`Durability::Sync`]: when `copy`
/// returns, the copy survives power loss. `progress` hears of each commit ([`CopyProgress`]).
///
/// Before writing anything, every column of `dst` must be empty. The returned summaries are of
/// the entries as read; [`verify`] re-reads both sides to check them.
///
/// # Errors
///
/// - [`CopyError::DestinationNotEmpty`] or [`CopyError::DuplicateColumn`]: nothing was written.
/// - [`CopyError::Source`] or [`CopyError::Destination`] when a read or a write fails: the batches
///   committed before it stay in `dst`, which a new copy then refuses until it is emptied.
pub fn copy<S, D, F>(
    src: &S,
    dst: &D,
    columns: &[Column],
    options: &CopyOptions,
    progress: F,
) -> Result<CopyReport, CopyError>
where
    S: Database + ?Sized,
    D: Database + ?Sized,
    F: FnMut(&CopyProgress),
{
    for (at, column) in columns.iter().enumerate() {
        if columns[..at].contains(column) {
            return Err(CopyError::DuplicateColumn { column: column.name().to_owned() });
        }
    }
    for &column in columns {
        let destination =
            |error| CopyError::Destination { column: column.name().to_owned(), error };
        let mut cursor = dst.cursor(column, &KeyRange::all()).map_err(destination)?;
        cursor.seek_to_first();
        if cursor.key().is_some() {
            return Err(CopyError::DestinationNotEmpty { column: column.name().to_owned() });
        }
        cursor.status().map_err(destination)?;
    }

    let mut writer = Writer {
        dst,
        options: *options,
        batch: Transaction::new(),
        batch_keys: 0,
        batch_bytes: 0,
        batches: 0,
        columns: Vec::with_capacity(columns.len()),
        progress,
    };
    for &column in columns {
        writer.columns.push(Copied {
            column,
            read: Summarizer::new(),
            committed: (0, 0),
            finished: false,
        });
        walk(src, column, |key, value| writer.add(key, value))?;
        writer.finish_column();
    }
    writer.commit(Durability::Sync)?;
    Ok(CopyReport {
        columns: writer
            .columns
            .iter()
            .map(|copied| copied.read.finish(copied.column.name()))
            .collect(),
        batches: writer.batches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryDb;

    const A: Column = Column::new("a");
    const B: Column = Column::new("b");
    const EMPTY: Column = Column::new("empty");
    const COLUMNS: [Column; 3] = [A, EMPTY, B];

    /// A source with binary keys, an empty key, empty and larger values.
    fn source() -> MemoryDb {
        let db = MemoryDb::new(COLUMNS);
        for i in 0_u32..50 {
            db.put(A, &i.to_be_bytes(), &vec![i as u8; i as usize]).unwrap();
        }
        db.put(B, b"", b"the empty key").unwrap();
        db.put(B, &[0, 255, 0], b"").unwrap();
        db.put(B, &[255; 9], &[7; 1000]).unwrap();
        db
    }

    fn contents(db: &MemoryDb, column: Column) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut cursor = db.cursor(column, &KeyRange::all()).unwrap();
        cursor.seek_to_first();
        let mut all = Vec::new();
        while let Some((key, value)) = cursor.item() {
            all.push((key.to_vec(), value.to_vec()));
            cursor.next();
        }
        all
    }

    #[test]
    fn copies_memory_to_memory() {
        let src = source();
        let dst = MemoryDb::new(COLUMNS);
        let report = copy(&src, &dst, &COLUMNS, &CopyOptions::default(), |_| {}).unwrap();
        for column in COLUMNS {
            assert_eq!(contents(&src, column), contents(&dst, column), "{}", column.name());
        }
        assert_eq!(report.entries(), 53);
        assert_eq!(report.batches, 1);
        assert_eq!(report.columns, summarize(&src, &COLUMNS).unwrap());
        assert_eq!(verify(&src, &dst, &COLUMNS).unwrap(), report.columns);
        let empty = &report.columns[1];
        assert_eq!((empty.column.as_str(), empty.entries, empty.bytes), ("empty", 0, 0));
        assert_eq!(empty.hash, *blake3::hash(b"").as_bytes());
    }

    #[test]
    fn small_batches_still_copy_everything() {
        let src = source();
        let dst = MemoryDb::new(COLUMNS);
        let options = CopyOptions::default().with_batch_keys(3);
        let report = copy(&src, &dst, &COLUMNS, &options, |_| {}).unwrap();
        assert_eq!(report.batches, 53_u64.div_ceil(3));
        verify(&src, &dst, &COLUMNS).unwrap();

        // By bytes: B's 1009-byte entry goes in a batch of its own.
        let dst = MemoryDb::new(COLUMNS);
        let options = CopyOptions::default().with_batch_bytes(0).with_batch_keys(0);
        let report = copy(&src, &dst, &COLUMNS, &options, |_| {}).unwrap();
        assert_eq!(report.batches, 53);
        verify(&src, &dst, &COLUMNS).unwrap();
    }

    #[test]
    fn a_destination_with_data_is_refused_untouched() {
        let src = source();
        let dst = MemoryDb::new(COLUMNS);
        dst.put(B, b"mine", b"kept").unwrap();
        let error = copy(&src, &dst, &COLUMNS, &CopyOptions::default(), |_| {}).unwrap_err();
        assert!(matches!(&error, CopyError::DestinationNotEmpty { column } if column == "b"));
        assert!(error.to_string().contains("never merges"), "{error}");
        assert!(contents(&dst, A).is_empty(), "nothing was written");
        assert_eq!(contents(&dst, B), [(b"mine".to_vec(), b"kept".to_vec())]);
    }

    #[test]
    fn bad_columns_are_typed_errors() {
        let src = source();
        let dst = MemoryDb::new([A]);
        let twice = copy(&src, &dst, &[A, A], &CopyOptions::default(), |_| {});
        assert!(matches!(twice, Err(CopyError::DuplicateColumn { column }) if column == "a"));
        let missing = copy(&src, &dst, &[A, B], &CopyOptions::default(), |_| {});
        assert!(
            matches!(&missing, Err(CopyError::Destination { column, error: StorageError::UnknownColumn(_) }) if column == "b"),
            "{missing:?}"
        );
        assert!(contents(&dst, A).is_empty(), "nothing was written");
        let unknown = Column::new("unknown");
        let unread =
            copy(&src, &MemoryDb::new([unknown]), &[unknown], &CopyOptions::default(), |_| {});
        assert!(matches!(unread, Err(CopyError::Source { column, .. }) if column == "unknown"));
    }

    #[test]
    fn verify_finds_a_changed_a_missing_and_an_extra_entry() {
        let src = source();
        let copy_of = || {
            let dst = MemoryDb::new(COLUMNS);
            copy(&src, &dst, &COLUMNS, &CopyOptions::default(), |_| {}).unwrap();
            dst
        };
        let mismatched = |dst: &MemoryDb| match verify(&src, dst, &COLUMNS) {
            Err(CopyError::Mismatch { mismatches }) => mismatches,
            other => panic!("expected a mismatch, got {other:?}"),
        };

        // A changed value: same count and bytes, another hash.
        let dst = copy_of();
        dst.put(A, &7_u32.to_be_bytes(), &[8; 7]).unwrap();
        let found = mismatched(&dst);
        assert_eq!(found.len(), 1);
        let (src_a, dst_a) = (&found[0].src, &found[0].dst);
        assert_eq!((found[0].column.as_str(), src_a.entries, src_a.bytes), ("a", 50, dst_a.bytes));
        assert_eq!(dst_a.entries, 50);
        assert_ne!(src_a.hash, dst_a.hash);

        // A missing key, and an extra key in another column: both reported.
        let dst = copy_of();
        dst.delete(B, b"").unwrap();
        dst.put(EMPTY, b"extra", b"").unwrap();
        let found = mismatched(&dst);
        let columns: Vec<_> = found.iter().map(|m| m.column.as_str()).collect();
        assert_eq!(columns, ["empty", "b"]);
        assert_eq!((found[0].src.entries, found[0].dst.entries), (0, 1));
        assert_eq!((found[1].src.entries, found[1].dst.entries), (3, 2));
        let message = CopyError::Mismatch { mismatches: found }.to_string();
        assert!(message.starts_with("2 column(s) differ"), "{message}");

        // The same entries with a key and value boundary moved hash differently.
        let (left, right) = (MemoryDb::new([A]), MemoryDb::new([A]));
        left.put(A, b"ab", b"c").unwrap();
        right.put(A, b"a", b"bc").unwrap();
        assert!(matches!(verify(&left, &right, &[A]), Err(CopyError::Mismatch { .. })));
    }

    #[test]
    fn progress_grows_to_each_columns_total() {
        let src = source();
        let dst = MemoryDb::new(COLUMNS);
        let mut seen: Vec<CopyProgress> = Vec::new();
        let options = CopyOptions::default().with_batch_keys(7);
        let report = copy(&src, &dst, &COLUMNS, &options, |p| seen.push(*p)).unwrap();
        for summary in &report.columns {
            let reports: Vec<_> =
                seen.iter().filter(|p| p.column.name() == summary.column).collect();
            assert!(!reports.is_empty(), "{} is reported", summary.column);
            for pair in reports.windows(2) {
                assert!(pair[0].entries < pair[1].entries, "{pair:?}");
                assert!(pair[0].bytes < pair[1].bytes, "{pair:?}");
            }
            let last = reports.last().unwrap();
            assert_eq!((last.entries, last.bytes), (summary.entries, summary.bytes));
            assert_eq!(last.total, Some(summary.entries));
            assert!(reports[..reports.len() - 1].iter().all(|p| p.total.is_none()));
        }
        // Each column is first reported after the one before it.
        let first = |name: &str| seen.iter().position(|p| p.column.name() == name).unwrap();
        assert!(first("a") < first("empty") && first("empty") < first("b"));
    }
}
