//! The [`View`] trait: a named, versioned reduction of the log into the view's own columns.

use strata_core::{Column, Database, Store, Temporal};
use strata_log::{BoxError, Entry};

/// What a reducer reads its current state through and writes to: the database under a write
/// buffer. Reads see the view's committed state plus every write of the batch so far (earlier
/// entries of the same batch included); the buffer is committed with the batch and its `since`,
/// atomically. Wrap it in a [`Handle`](strata_core::Handle) for the typed API:
/// `Handle::new(&mut *state).put(&key, &value)`.
pub type ViewState<'a, D> = Temporal<Store<&'a D>>;

/// A view: a named reduction of the log's entries, in arrival order, into columns of its own.
///
/// The state is a pure function of the entries the view was given, in order: the same entries
/// reduced from scratch give the same state. It lives in ordinary Strata columns, which the view
/// owns alone (a rebuild deletes them), so it is queried with the typed API and iterators.
///
/// Implement it for every `D: Database` (`impl<D: Database> View<D> for MyView`), so that the
/// view runs over any backend.
pub trait View<D: Database>: Send + Sync + 'static {
    /// The view's name: 1 to 64 characters of `[A-Za-z0-9_.-]`, unique among the views of a
    /// database.
    fn name(&self) -> &str;

    /// The version of the reduction. When it differs from the version that built the stored
    /// state, the state is deleted and rebuilt from the start of the log.
    fn version(&self) -> u32;

    /// The columns holding the view's state: the view's alone (the database must be opened with
    /// them).
    fn columns(&self) -> Vec<Column>;

    /// Reduces one entry, at arrival `offset`, into the view's state. An error stops the view
    /// (and refuses the commit, for a view kept in step).
    ///
    /// # Errors
    ///
    /// Whatever the reduction fails with; [`strata_core::Error`] converts with `?`.
    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        offset: u64,
        entry: &Entry,
    ) -> Result<(), BoxError>;
}
