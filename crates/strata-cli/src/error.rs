//! The CLI's errors and the exit code each one maps to.

use std::path::PathBuf;

use strata::rocksdb::OpenError;

/// Everything the `strata` command can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The database could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The database on etcd could not be opened.
    #[error(transparent)]
    EtcdOpen(#[from] strata::etcd::OpenError),
    /// A database location (`etcd://…`, `--etcd`, `--root`, `STRATA_ETCD_USER`) is malformed.
    #[error("`{input}` is not a valid database location: {reason}")]
    BadLocation {
        /// The argument as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `copy` was pointed at an etcd root that holds keys.
    #[error(
        "{location} holds {keys} key(s): a copy creates a new database, so give a root nothing is \
         stored under (if an earlier copy was interrupted there, delete its keys, e.g. `etcdctl \
         del --prefix` on the root, and copy again)"
    )]
    CopyRootNotEmpty {
        /// The destination.
        location: String,
        /// The keys stored under it.
        keys: u64,
    },
    /// A migration cannot run, or failed (what it committed stays; running it again resumes).
    #[error(transparent)]
    Migrate(#[from] strata::migrate::MigrateError),
    /// An argument is not valid hex.
    #[error("`{input}` is not valid hex: {reason}")]
    BadHex {
        /// The argument as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The column is not in the database.
    #[error("no column `{name}` in this database (it has: {available})")]
    UnknownColumn {
        /// The name asked for.
        name: String,
        /// The columns that exist.
        available: String,
    },
    /// A key, or a range bound, does not fit its column's key length.
    #[error("{0}")]
    KeyLength(String),
    /// `checkpoint` was pointed at a path that already exists.
    #[error(
        "`{}` already exists: a checkpoint creates a new directory, so give a path that does not exist yet",
        .0.display()
    )]
    CheckpointExists(PathBuf),
    /// `checkpoint` was pointed into a directory that does not exist.
    #[error("`{}` does not exist: create it first, a checkpoint creates only its own directory", .0.display())]
    CheckpointParentMissing(PathBuf),
    /// `get` found no value.
    #[error("no entry under key {0} in column `{1}`")]
    NotFound(String, String),
    /// `check` found problems.
    #[error("check found {0} problem(s)")]
    CheckFailed(usize),
    /// The demo's verification failed.
    #[error("verification failed: {0}")]
    Verification(String),
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The engine reported an error.
    #[error(transparent)]
    Engine(#[from] strata::Error),
    /// A `kv` command that only reads found no KV columns in the database.
    #[error(
        "{} holds no KV data (it has no kv_* columns); `strata kv put` or `strata kv import` writes some",
        .0.display()
    )]
    NoKvData(PathBuf),
    /// The KV store refused the request (an invalid name, a missing key, …) or failed.
    #[error(transparent)]
    Kv(#[from] strata::kv::KvError),
    /// `kv import` was pointed at something that is not a directory.
    #[error("`{}` is not a directory: give the data directory of an LDK FilesystemStore", .0.display())]
    NotAStoreDirectory(PathBuf),
    /// `kv export` was pointed at a directory that already holds something.
    #[error(
        "`{}` is not empty: an export writes a new FilesystemStore, so give an empty or new directory",
        .0.display()
    )]
    ExportTargetNotEmpty(PathBuf),
    /// A file of a `FilesystemStore` directory has a name LDK's stores never write.
    #[error("{}: {reason}; not a FilesystemStore entry, nothing was imported", .path.display())]
    NotAStoreEntry {
        /// The file.
        path: PathBuf,
        /// What is wrong with its name.
        reason: String,
    },
    /// A `log` command found no log columns in the database.
    #[error(
        "{} holds no log data (it has no log_* columns); `strata demo` writes some, as does any \
         application using strata::log",
        .0.display()
    )]
    NoLogData(PathBuf),
    /// The log store failed (the CLI only reads logs, so a rejection is not expected here).
    #[error(transparent)]
    Log(#[from] strata::log::LogError),
    /// An author argument is valid hex but not a 32-byte public key.
    #[error("`{input}` is {len} bytes of hex, an author is a 32-byte public key (64 hex digits)")]
    BadAuthor {
        /// The argument as given.
        input: String,
        /// How many bytes it decodes to.
        len: usize,
    },
    /// `log show` asked for a log that has no entries.
    #[error("author {author} has no log {log_id} (`strata log authors` lists the logs)")]
    NoSuchLog {
        /// The author, in hex.
        author: String,
        /// The log asked for.
        log_id: u64,
    },
    /// `log verify` found broken logs.
    #[error("{broken} of {logs} log(s) are broken")]
    LogsBroken {
        /// Logs with at least one problem.
        broken: usize,
        /// Logs walked.
        logs: usize,
    },
    /// A `views` command found no views registry in the database.
    #[error(
        "{} holds no views (it has no view_registry column); `strata demo` keeps some, as does \
         any application using strata::views",
        .0.display()
    )]
    NoViewsData(PathBuf),
    /// `views rebuild` named a view the registry does not hold.
    #[error("no view is named {name:?} in this database (registered: {registered})")]
    UnknownView {
        /// The name asked for.
        name: String,
        /// The names the registry holds.
        registered: String,
    },
    /// The views failed (a name that is not valid, a reducer, the log store or the database).
    #[error(transparent)]
    Views(#[from] strata::views::ViewError),
    /// `copy` was pointed at a destination that holds something (or is not a directory).
    #[error(
        "`{}` exists and is not an empty directory: a copy creates a new database, so give a new \
         or empty directory (if an earlier copy was interrupted there, delete it and copy again)",
        .0.display()
    )]
    CopyTargetNotEmpty(PathBuf),
    /// `copy` was pointed into a directory that does not exist.
    #[error("`{}` does not exist: create it first, a copy creates only its own directory", .0.display())]
    CopyParentMissing(PathBuf),
    /// A copy failed part-way: the destination holds part of it, which a new copy refuses.
    #[error("the copy to {dst} did not finish: delete what it wrote there and copy again")]
    CopyIncomplete {
        /// The destination (a directory, or `etcd://…/ROOT`).
        dst: String,
        /// What failed.
        #[source]
        error: strata::copy::CopyError,
    },
    /// Opening, converting or rekeying an encrypted database failed: a wrong key, a database
    /// that is not encrypted, a conversion left unfinished, an unreadable key ring.
    #[error(transparent)]
    Encryption(#[from] strata::encryption::EncryptionError),
    /// An encrypted database's key is needed and none was given.
    #[error("no key given: set {variables}, or run the command on a terminal to be asked for it")]
    NoKey {
        /// The variables that give it.
        variables: &'static str,
    },
    /// A key variable (or the prompt) holds something that is not a key; the message never
    /// quotes it.
    #[error("{origin} is not a valid key: {reason}")]
    BadKey {
        /// Where the key came from: a variable's name, or the prompt.
        origin: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The new key typed twice was not the same both times.
    #[error("the two keys typed differ: nothing was changed")]
    KeysDiffer,
    /// `scan` showed entries whose values failed authentication (each is a line of the output).
    #[error(
        "{0} value(s) failed authentication: altered, moved from another key or column, or \
         replayed from an older key version (shown above)"
    )]
    TamperedEntries(usize),
    /// LDK's `FilesystemStore` failed.
    #[error("FilesystemStore at {}: {action}", .path.display())]
    FilesystemStore {
        /// The store's data directory.
        path: PathBuf,
        /// What was being done.
        action: String,
        /// LDK's report.
        #[source]
        source: lightning::io::Error,
    },
}

/// A byte-level failure (the inspector reads raw bytes) is an engine error like any other.
impl From<strata::StorageError> for CliError {
    fn from(error: strata::StorageError) -> Self {
        Self::Engine(error.into())
    }
}

impl CliError {
    /// The process exit code: 1 internal, 2 usage (clap: the command line does not parse),
    /// 3 database cannot be opened (a wrong key too), 4 bad input (arguments that parse but do
    /// not fit: hex, column, key length, a checkpoint path that exists or whose parent does not,
    /// a view name that is not valid, a missing or malformed key, a database that is not
    /// encrypted), 5 problems found (a check, a verification, a broken log, a value that fails
    /// authentication), 6 not found (an entry, a KV value, a log, a view, any KV, log or views
    /// data at all).
    pub(crate) fn exit_code(&self) -> u8 {
        use strata::encryption::EncryptionError;
        use strata::kv::KvError;
        use strata::migrate::MigrateError;
        use strata::views::ViewError;
        match self {
            // Cannot be opened, or this build cannot migrate it: newer, or no path of steps.
            Self::Open(_)
            | Self::EtcdOpen(_)
            | Self::Encryption(
                EncryptionError::WrongKey
                | EncryptionError::Unfinished { .. }
                | EncryptionError::BadKeyRing(_),
            )
            | Self::Migrate(
                MigrateError::Version(_)
                | MigrateError::NoStep { .. }
                | MigrateError::UnknownProgress { .. },
            ) => 3,
            Self::BadHex { .. }
            | Self::UnknownColumn { .. }
            | Self::KeyLength(_)
            | Self::CheckpointExists(_)
            | Self::CheckpointParentMissing(_)
            | Self::NotAStoreDirectory(_)
            | Self::ExportTargetNotEmpty(_)
            | Self::NotAStoreEntry { .. }
            | Self::CopyTargetNotEmpty(_)
            | Self::CopyRootNotEmpty { .. }
            | Self::BadLocation { .. }
            | Self::CopyParentMissing(_)
            | Self::BadAuthor { .. }
            | Self::NoKey { .. }
            | Self::BadKey { .. }
            | Self::KeysDiffer
            | Self::Encryption(
                EncryptionError::NotEncrypted | EncryptionError::PlaintextData { .. },
            )
            | Self::Views(ViewError::InvalidName { .. })
            | Self::Kv(
                KvError::InvalidName { .. }
                | KvError::ValueTooLarge { .. }
                | KvError::InvalidPageToken { .. },
            ) => 4,
            Self::CheckFailed(_)
            | Self::Verification(_)
            | Self::LogsBroken { .. }
            | Self::TamperedEntries(_)
            | Self::Engine(strata::Error::Tampered { .. }) => 5,
            Self::NotFound(..)
            | Self::NoKvData(_)
            | Self::Kv(KvError::NotFound { .. })
            | Self::NoLogData(_)
            | Self::NoSuchLog { .. }
            | Self::NoViewsData(_)
            | Self::UnknownView { .. }
            | Self::Views(ViewError::UnknownView { .. }) => 6,
            Self::Io { .. }
            | Self::Engine(_)
            | Self::Kv(_)
            | Self::Log(_)
            | Self::Views(_)
            | Self::FilesystemStore { .. }
            | Self::CopyIncomplete { .. }
            | Self::Encryption(_)
            | Self::Migrate(_) => 1,
        }
    }

    /// Wraps an error of LDK's `FilesystemStore` at `path` with what was being done.
    pub(crate) fn filesystem_store(
        path: &std::path::Path,
        action: impl Into<String>,
    ) -> impl FnOnce(lightning::io::Error) -> Self {
        let (path, action) = (path.to_owned(), action.into());
        move |source| Self::FilesystemStore { path, action, source }
    }

    /// Wraps an I/O error with its path.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// Parses a hex argument.
pub(crate) fn parse_hex(input: &str) -> Result<Vec<u8>, CliError> {
    let digits = input.strip_prefix("0x").unwrap_or(input);
    hex::decode(digits)
        .map_err(|e| CliError::BadHex { input: input.to_owned(), reason: e.to_string() })
}
