//! [`KvError`]: everything the KV store can report, each case matchable.

use std::sync::Arc;

use strata_core::{Error, StorageError};

use crate::name::{NamePart, NameReason};

/// An error of the KV store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// A primary namespace, secondary namespace or key breaks LDK's naming rules. Nothing was
    /// written.
    #[error("invalid {part} {name:?}: {reason}")]
    InvalidName {
        /// Which part of the address.
        part: NamePart,
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: NameReason,
    },

    /// No value is stored at the address.
    #[error("no value at {primary:?}/{secondary:?}/{key:?}")]
    NotFound {
        /// The primary namespace.
        primary: String,
        /// The secondary namespace.
        secondary: String,
        /// The key.
        key: String,
    },

    /// A value is larger than the store's limit ([`KvConfig::max_value_len`](crate::KvConfig::max_value_len)).
    /// Nothing was written.
    #[error("a value of {len} bytes is larger than the limit of {max} bytes")]
    ValueTooLarge {
        /// The value's length.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// A page token that no listing of this store produced.
    #[error("invalid page token {token:?}: {reason}")]
    InvalidPageToken {
        /// The token as given.
        token: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Every namespace id (2³² of them) has been assigned. Nothing was written.
    #[error("every namespace id has been assigned")]
    NamespacesExhausted,

    /// The database failed, or holds bytes the store did not write.
    #[error(transparent)]
    Storage(#[from] Error),

    /// The group commit that carried this write together with other threads' writes failed; every
    /// write of the group gets the same error, and none of them landed (or, for an
    /// outcome-unknown failure, all of them may have).
    #[error("the group commit carrying this write failed: {0}")]
    Commit(Arc<StorageError>),
}

impl From<StorageError> for KvError {
    fn from(error: StorageError) -> Self {
        Self::Storage(error.into())
    }
}

/// A result of the KV store.
pub type KvResult<T> = Result<T, KvError>;
