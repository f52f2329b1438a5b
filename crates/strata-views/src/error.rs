//! [`ViewError`]: everything views can fail with, each case typed and matchable.

use std::sync::Arc;

use strata_core::Error;
use strata_log::{BoxError, LogError};

use crate::schema::Phase;

/// A view operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// A view name is not 1 to 64 characters of `[A-Za-z0-9_.-]`.
    #[error("invalid view name {name:?}: 1 to 64 characters of [A-Za-z0-9_.-]")]
    InvalidName {
        /// The name given.
        name: String,
    },

    /// Two views were registered with one name.
    #[error("two views are named {name:?}")]
    DuplicateName {
        /// The name.
        name: String,
    },

    /// A column is claimed by two views, or by a view and the log store or the registry: a
    /// rebuild deletes a view's columns, so each must be the view's alone.
    #[error("column `{column}` of view {view:?} is already {owner}'s")]
    ColumnClaimed {
        /// The view claiming it.
        view: String,
        /// The column.
        column: String,
        /// Who has it: another view's name, the log store or the registry.
        owner: String,
    },

    /// No view of that name is registered.
    #[error("no view is named {name:?}")]
    UnknownView {
        /// The name asked for.
        name: String,
    },

    /// The view is being rebuilt: its state is incomplete and is not served.
    #[error("view {view:?} is {phase}: {since} of {end} entries reduced")]
    Rebuilding {
        /// The view.
        view: String,
        /// Clearing or rebuilding.
        phase: Phase,
        /// The arrival offset the rebuild has reached.
        since: u64,
        /// The log's end when asked.
        end: u64,
    },

    /// `wait_for` ran out of time before the view reached the offset.
    #[error(
        "view {view:?} did not reach arrival offset {offset} in time (it reflects entries below {since})"
    )]
    Timeout {
        /// The view.
        view: String,
        /// The offset waited for.
        offset: u64,
        /// Where the view stood when the time ran out.
        since: u64,
    },

    /// A view's reducer failed on an entry; the view stops there (its state and `since` are
    /// those of the last batch committed).
    #[error("view {view:?} failed to reduce the entry at arrival offset {offset}: {source}")]
    Reduce {
        /// The view.
        view: String,
        /// The entry's arrival offset.
        offset: u64,
        /// What the reducer said.
        #[source]
        source: Arc<BoxError>,
    },

    /// A view's code panicked while the worker (or `catch_up`) advanced it; the view stops
    /// there, the others go on.
    #[error("view {view:?} panicked: {message}")]
    Panicked {
        /// The view.
        view: String,
        /// What the panic said.
        message: String,
    },

    /// The view stopped on an error and advances no further in this process (until rebuilt or
    /// opened again).
    #[error("view {view:?} stopped: {source}")]
    Stopped {
        /// The view.
        view: String,
        /// What stopped it.
        #[source]
        source: Arc<ViewError>,
    },

    /// The log store failed.
    #[error(transparent)]
    Log(#[from] LogError),

    /// The database failed.
    #[error(transparent)]
    Storage(#[from] Error),
}

impl From<strata_core::StorageError> for ViewError {
    fn from(error: strata_core::StorageError) -> Self {
        Self::Storage(error.into())
    }
}

impl From<strata_core::EncodeError> for ViewError {
    fn from(error: strata_core::EncodeError) -> Self {
        Self::Storage(error.into())
    }
}

/// A result of a view operation.
pub type ViewResult<T> = Result<T, ViewError>;
