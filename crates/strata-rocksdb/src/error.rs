//! [`OpenError`]: why a database could not be opened; and how RocksDB's errors after opening
//! become Strata's typed [`StorageError`]s.

use std::path::PathBuf;

use strata_core::StorageError;

/// Classifies an error RocksDB reported on an open database.
pub(crate) fn classify(error: rocksdb::Error) -> StorageError {
    match error.kind() {
        rocksdb::ErrorKind::Corruption => StorageError::Corruption(error.into()),
        rocksdb::ErrorKind::IOError if error.to_string().contains("No space left on device") => {
            StorageError::StorageFull(error.into())
        }
        _ => StorageError::backend(error),
    }
}

/// Why [`RocksDb::open`](crate::RocksDb::open) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Another handle, in this process or another one, holds the database's lock file.
    #[error("database at {path} is already open (lock file {lock_file} is held)")]
    Locked {
        /// The database directory.
        path: PathBuf,
        /// The lock file that is held.
        lock_file: PathBuf,
        /// RocksDB's report.
        #[source]
        source: rocksdb::Error,
    },
    /// The path exists but is not a directory.
    #[error("{path} is a file, not a database directory")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// There is no database and `create_if_missing` is off.
    #[error("no database at {path} (and create_if_missing is off)")]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The operating system refused access to the directory or a file in it.
    #[error("permission denied opening {path}")]
    PermissionDenied {
        /// The database directory.
        path: PathBuf,
        /// RocksDB's or the OS's report.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The database's files are damaged.
    #[error("database at {path} is corrupt")]
    Corrupt {
        /// The database directory.
        path: PathBuf,
        /// RocksDB's report.
        #[source]
        source: rocksdb::Error,
    },
    /// The database records a format or schema version newer than this build supports (or a
    /// version record that does not decode). Nothing was written.
    #[error(transparent)]
    Version(strata_core::versions::VersionError),

    /// Bringing an older schema up to this build's version failed or cannot run. The batches
    /// committed before the failure stay, with the record of how far the migration got: the next
    /// open resumes it.
    #[error(transparent)]
    Migration(strata_core::migrate::MigrateError),

    /// The directory holds a database this version cannot open as asked.
    #[error("database at {path} is incompatible: {reason}")]
    Incompatible {
        /// The database directory.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// A column's declared prefix length differs from the one its data was written with.
    #[error(
        "column `{column}` was written with prefix length {stored:?} but is declared with {declared:?}; \
         open with PrefixChange::Accept to switch"
    )]
    PrefixChanged {
        /// The column.
        column: String,
        /// The length recorded on disk.
        stored: Option<usize>,
        /// The length declared now.
        declared: Option<usize>,
    },
    /// Two declared columns share a name.
    #[error("column `{0}` is declared twice")]
    DuplicateColumn(String),
    /// Any other failure reported by RocksDB.
    #[error("cannot open database at {path}")]
    Rocks {
        /// The database directory.
        path: PathBuf,
        /// RocksDB's report.
        #[source]
        source: rocksdb::Error,
    },
}

impl OpenError {
    /// Classifies a RocksDB error raised while opening `path`.
    pub(crate) fn from_rocks(path: PathBuf, source: rocksdb::Error) -> Self {
        let message = source.to_string();
        match source.kind() {
            rocksdb::ErrorKind::IOError if message.contains("lock") => {
                Self::Locked { lock_file: path.join("LOCK"), path, source }
            }
            rocksdb::ErrorKind::IOError if message.contains("Permission denied") => {
                Self::PermissionDenied { path, source: Box::new(source) }
            }
            rocksdb::ErrorKind::InvalidArgument if message.contains("does not exist") => {
                Self::Missing { path }
            }
            rocksdb::ErrorKind::Corruption => Self::Corrupt { path, source },
            rocksdb::ErrorKind::NotSupported => Self::Incompatible { path, reason: message },
            _ => Self::Rocks { path, source },
        }
    }
}
