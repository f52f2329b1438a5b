//! The [`View`] trait: a named, versioned reduction of the log into the view's own columns.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use strata_core::{
    Column, Database, KeyRange, ReadLayer, Slice, StorageResult, Temporal, Transaction,
};
use strata_log::{BoxError, Entry};

/// What a reducer reads its current state through and writes to: the view's committed state
/// under a write buffer. Reads see the committed state plus every write of the batch so far
/// (earlier entries of the same batch included); the buffer is committed with the batch and its
/// `since`, atomically. Wrap it in a [`Handle`](strata_core::Handle) for the typed API:
/// `Handle::new(&mut *state).put(&key, &value)`.
pub type ViewState<'a, D> = Temporal<Committed<'a, D>>;

/// A view's committed state, read from the database — for a view in step, through a cache of the
/// values it has read and written (its state changes only in the log's commits it is part of, so
/// the cache stays exact without reading the database again).
pub struct Committed<'a, D> {
    db: &'a D,
    /// The cache and the view's own columns (the only ones it caches).
    cache: Option<(&'a Mutex<Cache>, &'a [Column])>,
}

impl<D> std::fmt::Debug for Committed<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committed").field("cached", &self.cache.is_some()).finish_non_exhaustive()
    }
}

impl<'a, D: Database> Committed<'a, D> {
    /// The state as the database holds it (for reducing outside [`Views`](crate::Views), e.g. to
    /// recompute a view from scratch).
    pub fn new(db: &'a D) -> Self {
        Self { db, cache: None }
    }

    /// The state as the database holds it, through `cache` for the view's own `columns`.
    pub(crate) fn cached(db: &'a D, cache: &'a Mutex<Cache>, columns: &'a [Column]) -> Self {
        Self { db, cache: Some((cache, columns)) }
    }
}

impl<D: Database> ReadLayer for Committed<'_, D> {
    type Cursor<'b>
        = D::Cursor<'b>
    where
        Self: 'b;

    fn has(&self, column: Column, key: &[u8]) -> StorageResult<bool> {
        Ok(self.get(column, key)?.is_some())
    }

    fn get(&self, column: Column, key: &[u8]) -> StorageResult<Option<Slice<'_>>> {
        // Only the view's own columns change in step with it; anything else it reads is read
        // fresh.
        let Some((cache, _)) =
            self.cache.filter(|(_, own)| own.iter().any(|c| c.name() == column.name()))
        else {
            return self.db.get(column, key);
        };
        let mut cache = lock(cache);
        let slot = (column.name(), key.to_vec());
        if let Some(value) = cache.values.get(&slot) {
            return Ok(value.clone().map(Slice::from));
        }
        let value = self.db.get(column, key)?.map(|value| value.to_vec());
        cache.values.insert(slot, value.clone());
        Ok(value.map(Slice::from))
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> StorageResult<Self::Cursor<'_>> {
        // Ranges read the database, which the cache only ever mirrors.
        self.db.cursor(column, range)
    }
}

/// Most values a view's cache keeps before it starts over.
const CACHE_LIMIT: usize = 1 << 16;

/// One write: column, key, and the value (`None`: deleted).
type Write = (&'static str, Vec<u8>, Option<Vec<u8>>);

/// The committed values of one view kept in step, by column and key (`None`: absent), and the
/// writes of the commit in flight, which enter the cache only once that commit has landed.
#[derive(Default)]
pub(crate) struct Cache {
    values: HashMap<(&'static str, Vec<u8>), Option<Vec<u8>>>,
    pending: Option<Vec<Write>>,
}

fn lock(cache: &Mutex<Cache>) -> MutexGuard<'_, Cache> {
    // Every critical section leaves the cache consistent before it can panic.
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cache {
    /// Before reducing a commit: a commit whose writes are still pending did not report landing,
    /// yet may have landed (an outcome-unknown failure), so nothing cached can be trusted.
    pub(crate) fn begin(cache: &Mutex<Cache>) {
        let mut cache = lock(cache);
        if cache.pending.take().is_some() {
            cache.values.clear();
        }
    }

    /// The writes of the commit about to be made, to enter the cache if it lands.
    pub(crate) fn stage(cache: &Mutex<Cache>, writes: &Transaction) {
        let pending = writes
            .iter()
            .map(|(column, key, op)| (column.name(), key.to_vec(), op.value().map(<[u8]>::to_vec)))
            .collect();
        lock(cache).pending = Some(pending);
    }

    /// The commit landed: its writes are the committed values now.
    pub(crate) fn landed(cache: &Mutex<Cache>) {
        let mut cache = lock(cache);
        let Some(pending) = cache.pending.take() else { return };
        if cache.values.len() + pending.len() > CACHE_LIMIT {
            cache.values.clear();
        }
        for (column, key, value) in pending {
            cache.values.insert((column, key), value);
        }
    }

    /// Forgets everything (the view left or joined the commits).
    pub(crate) fn clear(cache: &Mutex<Cache>) {
        let mut cache = lock(cache);
        cache.values.clear();
        cache.pending = None;
    }
}

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

/// A view at a version of the caller's choosing: the same name, columns and reduction as
/// `inner`. Raising the version rebuilds the view from the start of the log (for example after
/// changing what the reduction reads from an entry, or to rebuild a built-in view).
#[derive(Debug, Clone)]
pub struct Versioned<V> {
    inner: V,
    version: u32,
}

impl<V> Versioned<V> {
    /// `inner` at `version`.
    pub fn new(inner: V, version: u32) -> Self {
        Self { inner, version }
    }
}

impl<D: Database, V: View<D>> View<D> for Versioned<V> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn columns(&self) -> Vec<Column> {
        self.inner.columns()
    }

    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        offset: u64,
        entry: &Entry,
    ) -> Result<(), BoxError> {
        self.inner.reduce(state, offset, entry)
    }
}

/// A boxed view is a view (for choosing views at run time).
impl<D: Database + 'static> View<D> for Box<dyn View<D>> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn version(&self) -> u32 {
        (**self).version()
    }

    fn columns(&self) -> Vec<Column> {
        (**self).columns()
    }

    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        offset: u64,
        entry: &Entry,
    ) -> Result<(), BoxError> {
        (**self).reduce(state, offset, entry)
    }
}
