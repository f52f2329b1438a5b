//! Injectable faults: [`Faulty`] wraps any [`Database`] and fails the n-th operation of a chosen
//! kind, countdown style, the way redb's fuzzer and SQLite's I/O-error tests do.
//!
//! A test arms one fault at a time through the [`Faults`] control it keeps (the database itself
//! moves into a layer stack): "fail the 3rd `apply` from now". Every operation of that kind counts
//! down; the one that reaches zero fails with [`StorageError::Backend`] carrying an
//! [`InjectedFault`], and the fault disarms. [`Faults::counts`] tells how many operations of each
//! kind a workload performed, so a test can fail every position in turn, not a sample.
//!
//! A fault either happens before the operation reaches the database ([`Outcome::NotApplied`]: the
//! call changes nothing, as a refused write does) or after it ([`Outcome::Applied`]: the write
//! landed but the caller is told it failed — an outcome-unknown error, as a networked backend
//! reports on a timeout). Reads and cursor steps only fail before.
//!
//! ```
//! use strata_core::{Column, Database, MemoryDb, StorageError};
//! use strata_testkit::fault::{Faulty, OpKind, Outcome};
//!
//! const C: Column = Column::new("c");
//! let db = Faulty::new(MemoryDb::new([C]));
//! let faults = db.faults();
//! faults.fail_nth(OpKind::Put, 2, Outcome::NotApplied);
//! db.put(C, b"a", b"1")?;
//! let second = db.put(C, b"b", b"2");
//! assert!(matches!(&second, Err(e) if strata_testkit::fault::is_injected(e)));
//! assert_eq!(db.get(C, b"b")?, None, "a write failed before it applied changes nothing");
//! db.put(C, b"b", b"2")?; // the fault fired once and disarmed
//! assert_eq!(faults.counts().get(OpKind::Put), 3);
//! # Ok::<(), StorageError>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use strata_core::{
    Column, Cursor, Database, Durability, KeyRange, Slice, StorageError, Transaction,
};

type Result<T> = std::result::Result<T, StorageError>;

/// The kinds of operation a fault can be aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `get`, `has` and each key of `get_many`.
    Get,
    /// Opening a cursor.
    Cursor,
    /// A cursor move: any seek, `next` or `prev`.
    Step,
    /// `put`.
    Put,
    /// `delete`.
    Delete,
    /// `apply`.
    Apply,
}

impl OpKind {
    /// Every kind.
    pub const ALL: [Self; 6] =
        [Self::Get, Self::Cursor, Self::Step, Self::Put, Self::Delete, Self::Apply];

    fn index(self) -> usize {
        self as usize
    }

    /// Whether operations of this kind write.
    pub fn writes(self) -> bool {
        matches!(self, Self::Put | Self::Delete | Self::Apply)
    }
}

/// When an injected write failure happens relative to the write itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The operation fails before it reaches the database: nothing changes.
    NotApplied,
    /// The write reaches the database, then the caller gets the error: the outcome is unknown
    /// to the caller. For reads and cursor steps this is the same as `NotApplied`.
    Applied,
}

/// The error an injected fault reports, as the source of a [`StorageError::Backend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    /// The kind of operation that failed.
    pub kind: OpKind,
    /// Its position among operations of that kind since the fault was armed (1 = the first).
    pub nth: u64,
    /// Whether the write landed before the error was reported.
    pub outcome: Outcome,
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "injected fault: {:?} #{} ({:?})", self.kind, self.nth, self.outcome)
    }
}

impl std::error::Error for InjectedFault {}

/// The injected fault behind `error`, if it is one.
pub fn injected(error: &StorageError) -> Option<&InjectedFault> {
    match error {
        StorageError::Backend(source) => source.downcast_ref::<InjectedFault>(),
        _ => None,
    }
}

/// Whether `error` is an injected fault.
pub fn is_injected(error: &StorageError) -> bool {
    injected(error).is_some()
}

/// Whether an injected fault is anywhere in `error`'s chain of sources: for errors of the layers
/// above the backend (a migration's, a store's) that wrap the backend's.
pub fn caused_by_injected(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<InjectedFault>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// How many operations of each kind a [`Faulty`] database performed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([u64; OpKind::ALL.len()]);

impl Counts {
    /// Operations of `kind`.
    pub fn get(&self, kind: OpKind) -> u64 {
        self.0[kind.index()]
    }
}

#[derive(Debug, Clone, Copy)]
struct Armed {
    kind: OpKind,
    remaining: u64,
    nth: u64,
    outcome: Outcome,
}

#[derive(Debug, Default)]
struct Plan {
    armed: Mutex<Option<Armed>>,
    counts: [AtomicU64; OpKind::ALL.len()],
    fired: AtomicU64,
}

/// The control of a [`Faulty`] database's faults, shared with it; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Plan>);

impl Faults {
    /// Arms one fault: the `nth` operation of `kind` from now (1 = the next one) fails. Replaces
    /// any fault armed before.
    ///
    /// # Panics
    ///
    /// Panics if `nth` is 0.
    pub fn fail_nth(&self, kind: OpKind, nth: u64, outcome: Outcome) {
        assert!(nth > 0, "positions count from 1");
        *self.armed() = Some(Armed { kind, remaining: nth, nth, outcome });
    }

    /// Disarms any armed fault.
    pub fn disarm(&self) {
        *self.armed() = None;
    }

    /// Whether a fault is armed and has not fired yet.
    pub fn is_armed(&self) -> bool {
        self.armed().is_some()
    }

    /// How many faults have fired.
    pub fn fired(&self) -> u64 {
        self.0.fired.load(Ordering::Relaxed)
    }

    /// Operations of each kind performed so far (failed ones included).
    pub fn counts(&self) -> Counts {
        Counts(std::array::from_fn(|i| self.0.counts[i].load(Ordering::Relaxed)))
    }

    fn armed(&self) -> std::sync::MutexGuard<'_, Option<Armed>> {
        self.0.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one operation of `kind`; the fault it triggers, if any.
    fn tick(&self, kind: OpKind) -> Option<InjectedFault> {
        // Counted under the lock, so that concurrent callers agree on positions and countdown.
        let mut armed = self.armed();
        self.0.counts[kind.index()].fetch_add(1, Ordering::Relaxed);
        let fault = armed.as_mut().filter(|fault| fault.kind == kind)?;
        fault.remaining -= 1;
        if fault.remaining > 0 {
            return None;
        }
        let fault = armed.take()?;
        self.0.fired.fetch_add(1, Ordering::Relaxed);
        let outcome = if kind.writes() { fault.outcome } else { Outcome::NotApplied };
        Some(InjectedFault { kind, nth: fault.nth, outcome })
    }

    /// Runs a write of `kind`, failing it before or after as armed.
    fn write(&self, kind: OpKind, run: impl FnOnce() -> Result<()>) -> Result<()> {
        match self.tick(kind) {
            None => run(),
            Some(fault @ InjectedFault { outcome: Outcome::NotApplied, .. }) => {
                Err(StorageError::backend(fault))
            }
            Some(fault) => {
                run()?;
                Err(StorageError::backend(fault))
            }
        }
    }

    /// Fails a read of `kind` if armed.
    fn read(&self, kind: OpKind) -> Result<()> {
        self.tick(kind).map_or(Ok(()), |fault| Err(StorageError::backend(fault)))
    }
}

/// A [`Database`] that fails the operations its [`Faults`] control is armed for, and otherwise
/// passes every call through unchanged.
#[derive(Debug)]
pub struct Faulty<D> {
    inner: D,
    faults: Faults,
}

impl<D: Database> Faulty<D> {
    /// Wraps `inner` with nothing armed.
    pub fn new(inner: D) -> Self {
        Self::with_faults(inner, Faults::default())
    }

    /// Wraps `inner` under an existing control, for example after a reopen.
    pub fn with_faults(inner: D, faults: Faults) -> Self {
        Self { inner, faults }
    }

    /// The fault control, to keep while the database moves into a layer stack.
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }

    /// The database underneath.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// Gives the database back.
    pub fn into_inner(self) -> D {
        self.inner
    }
}

impl<D: Database> Database for Faulty<D> {
    type Cursor<'a>
        = FaultyCursor<D::Cursor<'a>>
    where
        Self: 'a;

    fn columns(&self) -> Vec<Column> {
        self.inner.columns()
    }

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        self.faults.read(OpKind::Get)?;
        self.inner.has(column, key)
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        self.faults.read(OpKind::Get)?;
        self.inner.get(column, key)
    }

    fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
        for _ in keys {
            self.faults.read(OpKind::Get)?;
        }
        self.inner.get_many(column, keys)
    }

    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        self.faults.write(OpKind::Put, || self.inner.put(column, key, value))
    }

    fn delete(&self, column: Column, key: &[u8]) -> Result<()> {
        self.faults.write(OpKind::Delete, || self.inner.delete(column, key))
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        self.faults.read(OpKind::Cursor)?;
        let inner = self.inner.cursor(column, range)?;
        Ok(FaultyCursor { inner, faults: self.faults.clone(), failed: None })
    }

    fn apply(&self, transaction: &Transaction) -> Result<()> {
        self.faults.write(OpKind::Apply, || self.inner.apply(transaction))
    }

    fn apply_durable(&self, transaction: &Transaction, durability: Durability) -> Result<()> {
        self.faults.write(OpKind::Apply, || self.inner.apply_durable(transaction, durability))
    }
}

/// A cursor of a [`Faulty`] database: a failed move leaves it invalid, with the injected fault
/// as its [`Cursor::status`]; `next` and `prev` keep it so, and only a seek that does not fail
/// positions it again — as a backend's cursor behaves after an I/O error.
#[derive(Debug)]
pub struct FaultyCursor<C> {
    inner: C,
    faults: Faults,
    failed: Option<InjectedFault>,
}

impl<C: Cursor> FaultyCursor<C> {
    /// Seeks with `seek` unless the armed fault fires on this move.
    fn seek_with(&mut self, seek: impl FnOnce(&mut C)) {
        self.failed = self.faults.tick(OpKind::Step);
        if self.failed.is_none() {
            seek(&mut self.inner);
        }
    }

    /// Steps with `step`, unless the cursor already failed or the armed fault fires now.
    fn step_with(&mut self, step: impl FnOnce(&mut C)) {
        if self.failed.is_some() {
            return;
        }
        self.failed = self.faults.tick(OpKind::Step);
        if self.failed.is_none() {
            step(&mut self.inner);
        }
    }
}

impl<C: Cursor> Cursor for FaultyCursor<C> {
    fn seek(&mut self, key: &[u8]) {
        self.seek_with(|c| c.seek(key));
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        self.seek_with(|c| c.seek_for_prev(key));
    }

    fn seek_to_first(&mut self) {
        self.seek_with(Cursor::seek_to_first);
    }

    fn seek_to_last(&mut self) {
        self.seek_with(Cursor::seek_to_last);
    }

    fn next(&mut self) {
        self.step_with(Cursor::next);
    }

    fn prev(&mut self) {
        self.step_with(Cursor::prev);
    }

    fn key(&self) -> Option<&[u8]> {
        if self.failed.is_some() { None } else { self.inner.key() }
    }

    fn value(&self) -> Option<&[u8]> {
        if self.failed.is_some() { None } else { self.inner.value() }
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        if self.failed.is_some() { None } else { self.inner.item() }
    }

    fn status(&self) -> Result<()> {
        match &self.failed {
            Some(fault) => Err(StorageError::backend(fault.clone())),
            None => self.inner.status(),
        }
    }
    fn value_error(&self) -> Option<StorageError> {
        if self.failed.is_some() { None } else { self.inner.value_error() }
    }
}

/// Another harness's databases behind a [`Faulty`] wrapper with nothing armed: the conformance
/// suite run through it shows the wrapper changes nothing until a fault is armed, which every
/// fault-schedule test relies on.
///
/// ```
/// use strata_testkit::MemoryHarness;
/// use strata_testkit::fault::FaultyHarness;
///
/// strata_testkit::suite::iterators_read_a_snapshot(&mut FaultyHarness(MemoryHarness));
/// ```
#[derive(Debug, Default)]
pub struct FaultyHarness<H>(pub H);

impl<H: crate::Harness> crate::Harness for FaultyHarness<H> {
    type Db = Faulty<H::Db>;

    fn open(&mut self, columns: &[Column]) -> Faulty<H::Db> {
        Faulty::new(self.0.open(columns))
    }

    fn reopen(&mut self, db: Faulty<H::Db>) -> Faulty<H::Db> {
        let faults = db.faults();
        Faulty::with_faults(self.0.reopen(db.into_inner()), faults)
    }
}
