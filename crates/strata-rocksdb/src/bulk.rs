//! Bulk loading: sorted entries written straight to table files, then ingested whole.
//!
//! Writing through the memtable costs a write-ahead-log record per entry, a flush per memtable
//! and compactions that rewrite the data level by level. Entries that arrive sorted — a restore,
//! a copy, a rebuilt index — can skip all of that: [`RocksDb::ingest_sorted`] writes them into
//! table files of their own with RocksDB's `SstFileWriter`, with the column family's table
//! settings, and hands the files to RocksDB in one atomic ingestion, which links them into the
//! database without copying. Into an empty column the files land on the bottommost level, where
//! compaction never needs to rewrite them.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use rocksdb::{IngestExternalFileOptions, Options, SstFileWriter};
use strata_core::{Column, Database, StorageError};

use crate::config::RocksConfig;
use crate::db::{RocksDb, column_options};
use crate::error::classify;

/// Table files are cut once they reach this size: RocksDB's own target size for the files its
/// compactions write (`target_file_size_base`), so ingested files look like compacted ones.
const FILE_BYTES: u64 = 64 << 20;

/// Prefix of the directories, inside the database directory, that hold table files while they
/// are written. A staging directory is removed when its ingest ends, whether it succeeded or not.
const STAGING_PREFIX: &str = "strata-ingest-";

/// What [`RocksDb::ingest_sorted`] loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Ingested {
    /// Entries ingested.
    pub entries: u64,
    /// Table files written and ingested.
    pub files: usize,
    /// The files' total size in bytes: what the ingest wrote to disk.
    pub file_bytes: u64,
}

/// Why [`RocksDb::ingest_sorted`] ingested nothing.
///
/// Whatever the error, the database is unchanged: entries are checked as they are written to
/// staging files, and the files are ingested only once every entry has been written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// An entry's key sorts before the key of the entry just before it (keys compare as unsigned
    /// bytes).
    #[error("entry {index} is out of order: its key sorts before the previous entry's")]
    Unsorted {
        /// The entry's position in the input, from 0.
        index: u64,
    },
    /// An entry's key equals the key of the entry just before it.
    #[error("entry {index} repeats the previous entry's key")]
    Duplicate {
        /// The entry's position in the input, from 0.
        index: u64,
    },
    /// The column is unknown, a file could not be written (a full disk is
    /// [`StorageError::StorageFull`]), or RocksDB refused the ingestion (on a database opened
    /// read-only, for one).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl RocksDb {
    /// Loads `entries`, sorted by key in strictly ascending byte order, into `column`, as table
    /// files written directly and ingested in one atomic step, instead of through the memtable:
    /// no write-ahead-log record, no flush and, into an empty column (or a key range where it
    /// holds nothing), no compaction.
    ///
    /// `config` must be the configuration the database was opened with: its compression is the
    /// one the files are written with (the rest of a column's table settings — bloom filters,
    /// prefix extractor, block size — follow from the column itself). Another configuration
    /// changes nothing but how the ingested files are compressed.
    ///
    /// The entries are streamed: files are cut at 64 MiB, and only the file being written is in
    /// memory. They are staged in a directory inside the database directory (so that ingesting
    /// links them instead of copying), which is removed when the call returns; one left behind
    /// by a process that died mid-ingest is removed by the next successful ingest. As RocksDB's
    /// `SstFileWriter` writes a file it drops the file's pages from the operating system's page
    /// cache, so that a bulk load does not evict what is already cached: the first reads of
    /// ingested entries go to the device.
    ///
    /// Ingested entries are newer than everything in the column: a key already present takes the
    /// ingested value; other keys are untouched. A reader sees all the entries or none. When the
    /// call returns the entries are durable (the files are synced and recorded in RocksDB's
    /// manifest) — as a [`Durability::Sync`](crate::Durability::Sync) commit would be.
    ///
    /// An empty `entries` ingests nothing and succeeds.
    ///
    /// # Errors
    ///
    /// [`IngestError::Unsorted`] or [`IngestError::Duplicate`] at the first entry whose key is
    /// not greater than the previous one's; [`IngestError::Storage`] for an unknown column, a
    /// failed write or a refused ingestion. In every case nothing is ingested.
    ///
    /// ```
    /// use strata_core::{Column, Database};
    /// use strata_rocksdb::{IngestError, RocksConfig, RocksDb};
    ///
    /// const STATE: Column = Column::new("state").with_prefix_len(2);
    /// let dir = tempfile::tempdir()?;
    /// let config = RocksConfig::new(dir.path());
    /// let db = RocksDb::open(&config, &[STATE])?;
    ///
    /// let entries = (0_u16..1000).map(|n| (n.to_be_bytes(), n.to_le_bytes()));
    /// let ingested = db.ingest_sorted(&config, STATE, entries)?;
    /// assert_eq!((ingested.entries, ingested.files), (1000, 1));
    /// assert_eq!(db.get(STATE, &7_u16.to_be_bytes())?.unwrap(), 7_u16.to_le_bytes()[..]);
    ///
    /// let unsorted = [(b"b", b"1"), (b"a", b"2")];
    /// assert!(matches!(
    ///     db.ingest_sorted(&config, STATE, unsorted),
    ///     Err(IngestError::Unsorted { index: 1 })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ingest_sorted<K, V>(
        &self,
        config: &RocksConfig,
        column: Column,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Ingested, IngestError>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        // The column as declared: its prefix length decides the table settings.
        let unknown = || StorageError::UnknownColumn(column.name().to_owned());
        let declared = self.columns().into_iter().find(|c| *c == column).ok_or_else(unknown)?;
        let cf = self.rocksdb().cf_handle(column.name()).ok_or_else(unknown)?;

        let options = config.table_file_options(declared);
        let mut runs = Runs::new(&options, self.rocksdb().path());
        let mut previous: Vec<u8> = Vec::new();
        let mut count = 0_u64;
        for (key, value) in entries {
            let key = key.as_ref();
            if count > 0 {
                match key.cmp(&previous) {
                    Ordering::Greater => {}
                    Ordering::Less => return Err(IngestError::Unsorted { index: count }),
                    Ordering::Equal => return Err(IngestError::Duplicate { index: count }),
                }
            }
            runs.put(key, value.as_ref())?;
            previous.clear();
            previous.extend_from_slice(key);
            count += 1;
        }
        runs.finish()?;
        if runs.files.is_empty() {
            return Ok(Ingested::default());
        }

        let mut ingest = IngestExternalFileOptions::default();
        // Link the files into the database instead of copying them (RocksDB copies when it
        // cannot link); they are unlinked from the staging directory once ingested.
        ingest.set_move_files(true);
        let ingested =
            Ingested { entries: count, files: runs.files.len(), file_bytes: runs.file_bytes };
        let files = std::mem::take(&mut runs.files);
        self.rocksdb().ingest_external_file_cf_opts(cf, &ingest, files).map_err(classify)?;
        drop(runs);
        // Only the process holding the database's lock ingests, and this one just did: staging
        // directories of other processes were left by ones that died mid-ingest.
        remove_stale_staging(self.rocksdb().path());
        Ok(ingested)
    }
}

/// The table files of one ingest: written one after the other into a staging directory,
/// created with the first file.
struct Runs<'a> {
    // Dropped in this order: a file still open is closed before its directory is removed.
    writer: Option<SstFileWriter<'a>>,
    staging: Option<Staging>,
    options: &'a Options,
    db_dir: &'a Path,
    files: Vec<PathBuf>,
    file_bytes: u64,
}

impl<'a> Runs<'a> {
    fn new(options: &'a Options, db_dir: &'a Path) -> Self {
        Self { options, db_dir, staging: None, writer: None, files: Vec::new(), file_bytes: 0 }
    }

    /// Appends an entry to the current file, starting one if needed and finishing it once it
    /// reaches [`FILE_BYTES`].
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        if self.writer.is_none() {
            if self.staging.is_none() {
                self.staging = Some(Staging::create(self.db_dir)?);
            }
            let dir = self.staging.as_ref().map_or(self.db_dir, |staging| staging.path.as_path());
            let path = dir.join(format!("{:06}.sst", self.files.len()));
            let writer = SstFileWriter::create(self.options);
            writer.open(&path).map_err(classify)?;
            self.files.push(path);
            self.writer = Some(writer);
        }
        if let Some(writer) = &mut self.writer {
            writer.put(key, value).map_err(classify)?;
            if writer.file_size() >= FILE_BYTES {
                self.finish()?;
            }
        }
        Ok(())
    }

    /// Finishes (and syncs) the file being written, if any.
    fn finish(&mut self) -> Result<(), StorageError> {
        if let Some(mut writer) = self.writer.take() {
            writer.finish().map_err(classify)?;
            self.file_bytes += writer.file_size();
        }
        Ok(())
    }
}

impl RocksConfig {
    /// The options that `column`'s table files are written with when the database is opened
    /// with this configuration — block-based tables with a 10-bit bloom filter over whole keys,
    /// and for a column with a declared prefix its fixed-length prefix extractor (so the files
    /// carry prefix blooms) and 16 KiB blocks; the configured compression, the bottommost
    /// level's for every file — for an `SstFileWriter` that writes files to ingest into `column`
    /// (as [`RocksDb::ingest_sorted`] does).
    ///
    /// Files written with other options ingest just as well, but keep those options' filters and
    /// blocks until compaction rewrites them, which for files on the bottommost level may be
    /// never.
    pub fn table_file_options(&self, column: Column) -> Options {
        // The column family's own options (`SstFileWriter` compresses every file with the
        // bottommost level's compression when one is set); the block cache is the database's.
        column_options(self, None, column.prefix_len())
    }
}

/// A staging directory inside the database directory, removed with everything in it on drop.
struct Staging {
    path: PathBuf,
}

impl Staging {
    fn create(db_dir: &Path) -> Result<Self, StorageError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, AtomicOrdering::Relaxed);
        let path = db_dir.join(format!("{STAGING_PREFIX}{}-{n}", std::process::id()));
        std::fs::create_dir(&path).map_err(io_error)?;
        Ok(Self { path })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Best effort: after a successful ingest the directory is empty; after a failure it
        // holds the files written so far, which nothing refers to.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the staging directories in `db_dir` that other processes left (best effort).
fn remove_stale_staging(db_dir: &Path) {
    let own = format!("{STAGING_PREFIX}{}-", std::process::id());
    let Ok(entries) = std::fs::read_dir(db_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(STAGING_PREFIX) && !name.starts_with(&own) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn io_error(error: std::io::Error) -> StorageError {
    if error.kind() == std::io::ErrorKind::StorageFull {
        StorageError::StorageFull(error.into())
    } else {
        StorageError::backend(error)
    }
}
