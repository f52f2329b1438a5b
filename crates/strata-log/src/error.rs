//! [`LogError`]: why an entry was refused, or what else went wrong — each case matchable.

use std::sync::Arc;

use strata_core::{Error, StorageError};

use crate::entry::{Author, Hash, HeaderDecodeError};
use crate::observe::ObserverError;

/// An error of the log store. The rejections (`SeqGap` … `TooLarge`) wrote nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The entry's seq is not the next one of its log.
    #[error("seq gap: the log's next seq is {expected}, the entry has {got}")]
    SeqGap {
        /// The next seq the log accepts.
        expected: u64,
        /// The entry's seq.
        got: u64,
    },

    /// The entry's backlink is not the hash of the log's previous entry (or is set at seq 0, or
    /// missing after it).
    #[error("backlink mismatch at seq {seq}: expected {expected:?}, the entry has {got:?}")]
    BacklinkMismatch {
        /// The entry's seq.
        seq: u64,
        /// The previous entry's hash (`None` at seq 0).
        expected: Option<Hash>,
        /// The entry's backlink.
        got: Option<Hash>,
    },

    /// Another entry already holds this seq of the log: the author forked it.
    #[error("fork at seq {seq}: the log holds {existing}, the entry is {new}")]
    Fork {
        /// The seq.
        seq: u64,
        /// The hash of the entry the log holds.
        existing: Hash,
        /// The hash of the refused entry.
        new: Hash,
    },

    /// The payload does not match the header's payload hash or size.
    #[error(
        "payload mismatch: the header says {expected_size} bytes hashing to {expected_hash}, \
         the payload is {actual_size} bytes hashing to {actual_hash}"
    )]
    PayloadMismatch {
        /// The header's payload hash.
        expected_hash: Hash,
        /// The header's payload size.
        expected_size: u64,
        /// The payload's hash.
        actual_hash: Hash,
        /// The payload's size.
        actual_size: u64,
    },

    /// The signature is not the author's over the header.
    #[error("bad signature on seq {seq} of {author}'s log {log_id}")]
    BadSignature {
        /// The author.
        author: Author,
        /// The log.
        log_id: u64,
        /// The entry's seq.
        seq: u64,
    },

    /// A payload, extension or signature over the store's limit.
    #[error("{what} of {len} bytes is over the limit of {max}")]
    TooLarge {
        /// Which part.
        what: &'static str,
        /// Its length.
        len: u64,
        /// The limit.
        max: u64,
    },

    /// Entry `index` of a batch was refused; nothing of the batch was written.
    #[error("entry {index} of the batch: {source}")]
    InBatch {
        /// The refused entry's position in the batch.
        index: usize,
        /// Why it was refused.
        source: Box<LogError>,
    },

    /// A stored header does not decode: the database holds bytes the store did not write.
    #[error("a stored header does not decode: {0}")]
    CorruptHeader(#[from] HeaderDecodeError),

    /// The database failed.
    #[error(transparent)]
    Storage(#[from] Error),

    /// The group commit carrying this write failed (every write in the group gets the error).
    #[error("the commit failed: {0}")]
    Commit(Arc<Error>),

    /// The store's [`Observer`](crate::Observer) refused the group carrying this write (every
    /// write in the group gets the error); nothing was written.
    #[error("the commit was refused: {0}")]
    Observer(Arc<ObserverError>),
}

impl From<StorageError> for LogError {
    fn from(error: StorageError) -> Self {
        Self::Storage(error.into())
    }
}

impl LogError {
    /// Whether the entry was refused for what it is (a rejection), rather than the store failing.
    pub fn is_rejection(&self) -> bool {
        match self {
            LogError::SeqGap { .. }
            | LogError::BacklinkMismatch { .. }
            | LogError::Fork { .. }
            | LogError::PayloadMismatch { .. }
            | LogError::BadSignature { .. }
            | LogError::TooLarge { .. } => true,
            LogError::InBatch { source, .. } => source.is_rejection(),
            _ => false,
        }
    }
}

/// A result of the log store.
pub type LogResult<T> = Result<T, LogError>;
