//! [`Observer`]: code that commits with the log store — derived state kept in the same atomic
//! commit as the entries it is derived from.
//!
//! A store opened with [`LogStore::with_observer`](crate::LogStore::with_observer) hands every
//! group of new entries to its observer before committing them: the observer adds its own writes
//! to the group's transaction, and they land with the entries or not at all. This is how views
//! kept *in step* with the log (`strata-views`) can never disagree with it. After a commit lands
//! the observer hears the new end of the arrival order, which is how views kept *behind* learn
//! that there is more to read.

use std::sync::Arc;

use strata_core::Transaction;

use crate::entry::Entry;

/// The error type observers report: whatever the observer's own code failed with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sees every group of entries the log store commits, and may add writes to the commit.
pub trait Observer<D>: Send + Sync {
    /// Called by the writer committing a group, with the group's new entries in arrival order
    /// (`(offset, entry)`), before the commit. Writes added to `transaction` are committed with
    /// the entries, atomically; an error fails the whole group (every append and insert in it
    /// gets [`LogError::Observer`](crate::LogError::Observer)) and nothing is written.
    ///
    /// `db` is the store's database, for reading the observer's own state. No other group
    /// commits while this runs, so what it reads is not changed under it by another group.
    fn stage(
        &self,
        db: &D,
        arrived: &[(u64, &Entry)],
        transaction: &mut Transaction,
    ) -> Result<(), ObserverError>;

    /// Called after a group's commit landed, with the next arrival offset (one past the group's
    /// last entry). The default does nothing.
    fn committed(&self, next_offset: u64) {
        let _ = next_offset;
    }
}

/// An observer refused a commit.
#[derive(Debug, thiserror::Error)]
#[error("{observer} failed at arrival offset {offset}: {source}")]
pub struct ObserverError {
    /// Which observer (or which part of it) failed, e.g. a view's name.
    pub observer: String,
    /// The arrival offset of the entry it failed on.
    pub offset: u64,
    /// What failed.
    #[source]
    pub source: BoxError,
}

/// How a group commit fails: the database, or an observer. Shared by every writer of the group.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    Storage(Arc<strata_core::Error>),
    Observer(Arc<ObserverError>),
}
