//! [`RocksConfig`]: where and how a database is opened.

use std::path::{Path, PathBuf};

pub use strata_core::Durability;

/// Block compression. Only these codecs are compiled into Strata's RocksDB build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// No compression.
    None,
    /// LZ4 for recent data, Zstandard for the bottommost level (most of the data).
    #[default]
    Lz4ThenZstd,
    /// Zstandard everywhere: smallest on disk, most CPU.
    Zstd,
}

/// What to do when a column's declared prefix length differs from the one recorded on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefixChange {
    /// Refuse to open with [`OpenError::PrefixChanged`](crate::OpenError::PrefixChanged).
    #[default]
    Refuse,
    /// Open with the new length and record it. RocksDB records the prefix extractor in every
    /// table file and ignores filters built with a different one, so reads stay correct; older
    /// files simply lose their prefix filters until they are compacted.
    Accept,
}

/// Options for opening a [`RocksDb`](crate::RocksDb).
///
/// ```
/// use strata_rocksdb::{Durability, RocksConfig};
///
/// let config = RocksConfig::new("/tmp/node-db")
///     .durability(Durability::Sync)
///     .block_cache_bytes(256 << 20);
/// assert_eq!(config.path().to_str(), Some("/tmp/node-db"));
/// ```
#[derive(Debug, Clone)]
pub struct RocksConfig {
    pub(crate) path: PathBuf,
    pub(crate) create_if_missing: bool,
    pub(crate) block_cache_bytes: usize,
    pub(crate) compression: Compression,
    pub(crate) max_open_files: i32,
    pub(crate) parallelism: usize,
    pub(crate) durability: Durability,
    pub(crate) prefix_change: PrefixChange,
    pub(crate) max_total_wal_bytes: u64,
    pub(crate) write_buffer_bytes: usize,
    pub(crate) rate_limit_bytes_per_second: Option<u64>,
}

/// The default size of each column's memtable: 64 MiB, RocksDB's own default.
pub const DEFAULT_WRITE_BUFFER_BYTES: usize = 64 << 20;

/// The default bound on the write-ahead log's total size: 256 MiB.
pub const DEFAULT_MAX_TOTAL_WAL_BYTES: u64 = 256 << 20;

impl RocksConfig {
    /// Defaults for a database at `path`: created if missing, a 64 MiB block cache shared by
    /// every column, LZ4 then Zstandard, at most 1024 open files, background work on every core,
    /// [`Durability::Wal`], [`PrefixChange::Refuse`], a write-ahead log bounded to
    /// [`DEFAULT_MAX_TOTAL_WAL_BYTES`], 64 MiB memtables ([`DEFAULT_WRITE_BUFFER_BYTES`]) and no
    /// rate limit on flushes and compactions.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            create_if_missing: true,
            block_cache_bytes: 64 << 20,
            compression: Compression::default(),
            max_open_files: 1024,
            parallelism: std::thread::available_parallelism().map_or(2, usize::from),
            durability: Durability::default(),
            prefix_change: PrefixChange::default(),
            max_total_wal_bytes: DEFAULT_MAX_TOTAL_WAL_BYTES,
            write_buffer_bytes: DEFAULT_WRITE_BUFFER_BYTES,
            rate_limit_bytes_per_second: None,
        }
    }

    /// The database directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether to create the database when the directory holds none (default `true`).
    #[must_use]
    pub fn create_if_missing(mut self, create: bool) -> Self {
        self.create_if_missing = create;
        self
    }

    /// Size of the block cache shared by all columns.
    #[must_use]
    pub fn block_cache_bytes(mut self, bytes: usize) -> Self {
        self.block_cache_bytes = bytes;
        self
    }

    /// Block compression.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Most table files kept open at once; `-1` keeps all open.
    #[must_use]
    pub fn max_open_files(mut self, files: i32) -> Self {
        self.max_open_files = files;
        self
    }

    /// Threads for flushes and compactions.
    #[must_use]
    pub fn parallelism(mut self, threads: usize) -> Self {
        self.parallelism = threads.max(1);
        self
    }

    /// Durability of every write.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// What to do when a column's prefix length changed since the database was written.
    #[must_use]
    pub fn prefix_change(mut self, policy: PrefixChange) -> Self {
        self.prefix_change = policy;
        self
    }

    /// Bounds the write-ahead log's total size (RocksDB's `max_total_wal_size`). RocksDB keeps a
    /// log file until every column with data in it has been flushed, so a column written rarely
    /// would pin the log and let it grow without end; past this size RocksDB flushes the columns
    /// holding the oldest log file so that it can be deleted. 0 leaves it to RocksDB (four times
    /// the memtables' total size, which with many columns is unbounded in practice).
    #[must_use]
    pub fn max_total_wal_bytes(mut self, bytes: u64) -> Self {
        self.max_total_wal_bytes = bytes;
        self
    }

    /// Size of each column's memtable (RocksDB's `write_buffer_size`): writes collect in it and
    /// are flushed to a table file when it fills. Larger means fewer, larger flushes and less
    /// write amplification, at the cost of memory (up to twice this per column written) and a
    /// longer log replay after a crash.
    #[must_use]
    pub fn write_buffer_bytes(mut self, bytes: usize) -> Self {
        self.write_buffer_bytes = bytes.max(64 << 10);
        self
    }

    /// Caps the disk bandwidth flushes and compactions use (RocksDB's rate limiter), so that
    /// background work does not starve a node's reads and synced commits; `None` (the default)
    /// leaves it unlimited. A cap below the sustained write rate makes writes stall.
    #[must_use]
    pub fn rate_limit_bytes_per_second(mut self, bytes: Option<u64>) -> Self {
        self.rate_limit_bytes_per_second = bytes.filter(|bytes| *bytes > 0);
        self
    }
}
