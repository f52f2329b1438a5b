//! Model-based tests of layer stacks: random actions through `Store`, `Temporal<Store>`,
//! `Temporal<Temporal<Store>>` and `Tee<Store, Store>` on any backend, every read checked against
//! a model — through the stack itself and through a `ReadOnly` view of it.
//!
//! The backend always sits inside a [`Faulty`] wrapper, so an action can arm an injected fault
//! ([`Action::Arm`]) and [`check_every_fault`] can fail each position of a workload in turn. What
//! a failure must leave behind:
//!
//! - a failed write (`put`, `delete`, `apply`, a `Temporal` commit) leaves the database equal to
//!   the model either before it or after it — exactly before when the fault struck before the
//!   write reached the database — never a part of it;
//! - a `Temporal` whose commit failed keeps its buffer: committing again lands it once, dropping
//!   it leaves the database as the failed commit left it;
//! - a failed read (`get`, opening a cursor, a cursor step) reports the injected error after a
//!   correct prefix of its entries, and the same read right after it is correct in full;
//! - a `Tee` is atomic per layer and writes its first layer first: after a failed write its
//!   first layer is before or after it, and its second layer is before it unless the first is
//!   after it (both layers sit on `Faulty` databases, so either can fail).
//!
//! Every fault that fires must reach the caller as an error: a layer that swallowed one fails
//! the run.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use strata_core::{
    Database, KeyRange, Layer, MemoryDb, RawEntry, ReadLayer, ReadOnly, StorageError,
    StorageResult, Store, Tee, Temporal, Transaction, WriteLayer,
};

use crate::fault::{Counts, Faults, Faulty, OpKind, Outcome, injected};
use crate::model::{bound, col, column, scan, small_key};
use crate::{COLUMNS, Harness};

/// Which stack of layers is under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `Store<D>`.
    Store,
    /// `Temporal<Store<D>>`.
    Temporal,
    /// `Temporal<Temporal<Store<D>>>`.
    TemporalTemporal,
    /// `Tee<Store<D>, Store<MemoryDb>>`, both behind the same fault control.
    Tee,
}

/// One action on a stack.
#[derive(Debug, Clone)]
pub enum Action {
    /// Put through the stack.
    Put(usize, Vec<u8>, Vec<u8>),
    /// Delete through the stack.
    Delete(usize, Vec<u8>),
    /// `get` and `has`, checked.
    Get(usize, Vec<u8>),
    /// Iterate a range forward or in reverse, checked.
    Range(usize, Bound<Vec<u8>>, Bound<Vec<u8>>, bool),
    /// Iterate a range after seeking to a key, then take the rest from the back, checked.
    Seek(usize, Bound<Vec<u8>>, Bound<Vec<u8>>, Vec<u8>, usize),
    /// Apply a transaction of puts and deletes through the stack.
    Apply(Vec<(usize, Vec<u8>, Option<Vec<u8>>)>),
    /// Commit the outermost `Temporal`.
    Commit,
    /// Commit the inner `Temporal` of `Temporal<Temporal<_>>`.
    CommitInner,
    /// Roll back the outermost `Temporal`.
    Rollback,
    /// Write to the second layer of a `Tee` alone.
    PutSecond(usize, Vec<u8>, Vec<u8>),
    /// Drop the whole stack (uncommitted writes with it) and reopen the database.
    Reopen,
    /// Arm a fault: the n-th operation of a kind from now fails (see [`crate::fault`]).
    Arm(OpKind, u64, Outcome),
}

/// A random action that writes, reads, commits or reopens, but arms no fault.
pub fn plain_action() -> impl Strategy<Value = Action> {
    let value = proptest::collection::vec(any::<u8>(), 0..4);
    prop_oneof![
        6 => (column(), small_key(), value.clone()).prop_map(|(c, k, v)| Action::Put(c, k, v)),
        3 => (column(), small_key()).prop_map(|(c, k)| Action::Delete(c, k)),
        3 => (column(), small_key()).prop_map(|(c, k)| Action::Get(c, k)),
        3 => (column(), bound(), bound(), any::<bool>()).prop_map(|(c, s, e, r)| Action::Range(c, s, e, r)),
        2 => (column(), bound(), bound(), small_key(), 0..4_usize)
            .prop_map(|(c, s, e, k, n)| Action::Seek(c, s, e, k, n)),
        2 => proptest::collection::vec((column(), small_key(), proptest::option::of(value.clone())), 0..5)
            .prop_map(Action::Apply),
        2 => Just(Action::Commit),
        1 => Just(Action::CommitInner),
        1 => Just(Action::Rollback),
        2 => (column(), small_key(), value).prop_map(|(c, k, v)| Action::PutSecond(c, k, v)),
        1 => Just(Action::Reopen),
    ]
}

/// A random action, now and then arming a fault.
pub fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        14 => plain_action(),
        1 => (fault_kind(), 1..4_u64, fault_outcome()).prop_map(|(k, n, o)| Action::Arm(k, n, o)),
    ]
}

fn fault_kind() -> impl Strategy<Value = OpKind> {
    proptest::sample::select(OpKind::ALL.to_vec())
}

fn fault_outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![Just(Outcome::NotApplied), Just(Outcome::Applied)]
}

type Key = (usize, Vec<u8>);

/// The reference: committed data, the second layer of a `Tee`, and one shadow per `Temporal`.
#[derive(Debug, Default, Clone)]
struct StackModel {
    base: BTreeMap<Key, Vec<u8>>,
    second: BTreeMap<Key, Vec<u8>>,
    shadows: Vec<BTreeMap<Key, Option<Vec<u8>>>>,
    tee: bool,
}

impl StackModel {
    fn new(kind: Kind) -> Self {
        let shadows = match kind {
            Kind::Store | Kind::Tee => 0,
            Kind::Temporal => 1,
            Kind::TemporalTemporal => 2,
        };
        Self { shadows: vec![BTreeMap::new(); shadows], tee: kind == Kind::Tee, ..Self::default() }
    }

    fn write(&mut self, key: Key, value: Option<Vec<u8>>) {
        if let Some(top) = self.shadows.last_mut() {
            top.insert(key, value);
            return;
        }
        let targets: &mut [&mut BTreeMap<Key, Vec<u8>>] =
            if self.tee { &mut [&mut self.base, &mut self.second] } else { &mut [&mut self.base] };
        for map in targets {
            match &value {
                Some(v) => map.insert(key.clone(), v.clone()),
                None => map.remove(&key),
            };
        }
    }

    fn view(&self) -> BTreeMap<Key, Vec<u8>> {
        let mut first = self.base.clone();
        for shadow in &self.shadows {
            for (key, value) in shadow {
                match value {
                    Some(v) => first.insert(key.clone(), v.clone()),
                    None => first.remove(key),
                };
            }
        }
        let mut view = self.second.clone();
        view.extend(first);
        view
    }

    /// The model once the write `action` has landed.
    fn after(&self, action: &Action) -> Self {
        let mut after = self.clone();
        match action {
            Action::Put(c, k, v) => after.write((*c, k.clone()), Some(v.clone())),
            Action::Delete(c, k) => after.write((*c, k.clone()), None),
            Action::Apply(ops) => {
                for (c, k, v) in ops {
                    after.write((*c, k.clone()), v.clone());
                }
            }
            _ => {}
        }
        after
    }

    fn commit_level(&mut self, level: usize) {
        let Some(shadow) = self.shadows.get_mut(level).map(std::mem::take) else { return };
        if level == 0 {
            for (key, value) in shadow {
                match value {
                    Some(v) => self.base.insert(key, v),
                    None => self.base.remove(&key),
                };
            }
        } else {
            self.shadows[level - 1].extend(shadow);
        }
    }
}

/// A stack over the database under test, always behind a [`Faulty`] wrapper.
enum System<D> {
    Store(Store<Faulty<D>>),
    Temporal(Temporal<Store<Faulty<D>>>),
    TemporalTemporal(Temporal<Temporal<Store<Faulty<D>>>>),
    Tee(Tee<Store<Faulty<D>>, Store<Faulty<MemoryDb>>>),
}

macro_rules! with_layer {
    ($system:expr, $layer:ident => $body:expr) => {
        match $system {
            System::Store($layer) => $body,
            System::Temporal($layer) => $body,
            System::TemporalTemporal($layer) => $body,
            System::Tee($layer) => $body,
        }
    };
}

impl<D: Database> System<D> {
    fn build(kind: Kind, db: Faulty<D>, second: Faulty<MemoryDb>) -> Self {
        let store = Store::new(db);
        match kind {
            Kind::Store => Self::Store(store),
            Kind::Temporal => Self::Temporal(Temporal::new(store)),
            Kind::TemporalTemporal => Self::TemporalTemporal(Temporal::new(Temporal::new(store))),
            Kind::Tee => Self::Tee(Tee::new(store, Store::new(second))),
        }
    }

    fn into_parts(self) -> (Faulty<D>, Option<Faulty<MemoryDb>>) {
        match self {
            Self::Store(s) => (s.into_inner(), None),
            Self::Temporal(t) => (t.into_base().into_inner(), None),
            Self::TemporalTemporal(t) => (t.into_base().into_base().into_inner(), None),
            Self::Tee(t) => {
                let (first, second) = t.into_base();
                (first.into_inner(), Some(second.into_inner()))
            }
        }
    }

    /// The `Temporal` that commits into the store, if the stack has one.
    fn committing(&mut self) -> Option<&mut Temporal<Store<Faulty<D>>>> {
        match self {
            Self::Temporal(t) => Some(t),
            Self::TemporalTemporal(t) => Some(t.base_mut()),
            Self::Store(_) | Self::Tee(_) => None,
        }
    }

    /// The second layer's database of a `Tee`.
    fn second(&self) -> Option<&Faulty<MemoryDb>> {
        match self {
            Self::Tee(t) => Some(t.second().db()),
            _ => None,
        }
    }

    /// The store directly over the database under test.
    fn store(&self) -> &Store<Faulty<D>> {
        match self {
            Self::Store(s) => s,
            Self::Temporal(t) => t.base(),
            Self::TemporalTemporal(t) => t.base().base(),
            Self::Tee(t) => t.first(),
        }
    }
}

fn expected(
    view: &BTreeMap<Key, Vec<u8>>,
    column: usize,
    range: &KeyRange,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    view.iter()
        .filter(|((c, k), _)| *c == column && range.contains(k))
        .map(|((_, k), v)| (k.clone(), v.clone()))
        .collect()
}

/// Every entry of every column of `db`, read past its fault control.
fn stored<D: Database>(db: &Faulty<D>) -> BTreeMap<Key, Vec<u8>> {
    (0..COLUMNS.len())
        .flat_map(|c| {
            scan(db.inner(), c, KeyRange::all(), false).into_iter().map(move |(k, v)| ((c, k), v))
        })
        .collect()
}

/// Checks a read's outcome: the injected fault, or a real error, which fails the test.
fn faulted(error: &StorageError) -> Result<bool, TestCaseError> {
    prop_assert!(injected(error).is_some(), "an error no fault was injected for: {error}");
    Ok(true)
}

/// Drains `iter` into `got`; whether it ended with an injected fault.
fn drain(
    iter: impl Iterator<Item = StorageResult<RawEntry>>,
    got: &mut Vec<(Vec<u8>, Vec<u8>)>,
) -> Result<bool, TestCaseError> {
    for item in iter {
        match item {
            Ok((k, v)) => got.push((k.into_vec(), v.into_vec())),
            Err(error) => return faulted(&error),
        }
    }
    Ok(false)
}

/// Checks one read action against the model's view through `layer`. A read cut short by an
/// injected fault must have returned a correct part of its answer; the result says whether one
/// was.
fn check_read<L: ReadLayer>(
    layer: &L,
    action: &Action,
    view: &BTreeMap<Key, Vec<u8>>,
) -> Result<bool, TestCaseError> {
    match action {
        Action::Get(c, k) => {
            let got = match layer.get(col(*c), k) {
                Ok(got) => got.map(|v| v.to_vec()),
                Err(error) => return faulted(&error),
            };
            prop_assert_eq!(got.as_ref(), view.get(&(*c, k.clone())));
            match layer.has(col(*c), k) {
                Ok(has) => prop_assert_eq!(has, got.is_some()),
                Err(error) => return faulted(&error),
            }
        }
        Action::Range(c, start, end, reverse) => {
            let range = KeyRange::from((start.clone(), end.clone()));
            let mut want = expected(view, *c, &range);
            if *reverse {
                want.reverse();
            }
            let iter = match layer.iter_range(col(*c), range) {
                Ok(iter) => iter,
                Err(error) => return faulted(&error),
            };
            let mut got = Vec::new();
            let cut = if *reverse { drain(iter.rev(), &mut got)? } else { drain(iter, &mut got)? };
            if cut {
                prop_assert!(want.starts_with(&got), "a failed scan returned wrong entries");
                return Ok(true);
            }
            prop_assert_eq!(got, want);
        }
        Action::Seek(c, start, end, target, take) => {
            let range = KeyRange::from((start.clone(), end.clone()));
            let want: Vec<_> =
                expected(view, *c, &range).into_iter().filter(|(k, _)| k >= target).collect();
            let mut iter = match layer.iter_range(col(*c), range) {
                Ok(iter) => iter,
                Err(error) => return faulted(&error),
            };
            iter.seek(target);
            let mut front = Vec::new();
            if drain(iter.by_ref().take(*take), &mut front)? {
                prop_assert!(want.starts_with(&front), "a failed seek returned wrong entries");
                return Ok(true);
            }
            let mut back = Vec::new();
            let cut = drain(iter.rev(), &mut back)?;
            prop_assert!(want.starts_with(&front));
            let rest: Vec<_> = want[front.len()..].iter().rev().cloned().collect();
            if cut {
                prop_assert!(
                    rest.starts_with(&back),
                    "a failed reverse scan returned wrong entries"
                );
                return Ok(true);
            }
            prop_assert_eq!(back, rest);
        }
        _ => {}
    }
    Ok(false)
}

/// Checks a read, and when a fault cut it short, that the same read right after is correct.
/// Whether a fault cut it short.
fn check_read_twice<L: ReadLayer>(
    layer: &L,
    action: &Action,
    view: &BTreeMap<Key, Vec<u8>>,
) -> Result<bool, TestCaseError> {
    if check_read(layer, action, view)? {
        prop_assert!(!check_read(layer, action, view)?, "a fault struck twice");
        return Ok(true);
    }
    Ok(false)
}

fn write<L: WriteLayer>(layer: &mut L, action: &Action) -> StorageResult<()> {
    match action {
        Action::Put(c, k, v) => layer.put(col(*c), k, v),
        Action::Delete(c, k) => layer.delete(col(*c), k),
        Action::Apply(ops) => {
            let mut tx = Transaction::new();
            for (c, k, v) in ops {
                match v {
                    Some(v) => tx.put(col(*c), k, v),
                    None => tx.delete(col(*c), k),
                }
            }
            layer.apply(&tx)
        }
        _ => Ok(()),
    }
}

/// The model after a write that failed with `error`, read off the databases and checked: before
/// the write when the fault struck before it reached the database, after it when it struck after.
/// A `Tee` writes its first layer, then its second, so it may also hold the write in its first
/// layer only — never in its second alone, and never a part of it in either.
fn after_failed_write<D: Database>(
    error: &StorageError,
    system: &System<D>,
    before: StackModel,
    after: StackModel,
) -> Result<StackModel, TestCaseError> {
    let Some(fault) = injected(error) else {
        return Err(TestCaseError::fail(format!("an error no fault was injected for: {error}")));
    };
    let first = stored(system.store().db());
    let Some(second) = system.second().map(stored) else {
        let model = match fault.outcome {
            Outcome::NotApplied => before,
            Outcome::Applied => after,
        };
        prop_assert_eq!(&first, &model.base, "the database holds part of a failed write");
        return Ok(model);
    };
    let first_only = StackModel { second: before.second.clone(), ..after.clone() };
    let allowed = match fault.outcome {
        Outcome::NotApplied => [before, first_only],
        Outcome::Applied => [first_only, after],
    };
    let found = allowed.into_iter().find(|model| model.base == first && model.second == second);
    found.ok_or_else(|| {
        TestCaseError::fail(format!(
            "a Tee holds part of a failed write ({fault}): first {first:?}, second {second:?}"
        ))
    })
}

/// What a run does with a `Temporal` whose commit failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Commit it again at once: the buffer must land, once.
    Retry,
    /// Throw its buffer away: the database keeps what the failed commit left.
    Drop,
}

/// One fault armed at the start of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The kind of operation that fails.
    pub op: OpKind,
    /// Its position among operations of that kind (1 = the first).
    pub nth: u64,
    /// Whether a failed write landed.
    pub outcome: Outcome,
    /// What happens to a `Temporal` whose commit failed.
    pub recovery: Recovery,
}

/// What a fault-schedule run saw.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Operations of each kind the database performed.
    pub counts: Counts,
    /// How many injected faults fired.
    pub fired: u64,
}

/// Runs `actions` on a `kind` stack over a fresh database from `harness`, checking every read.
pub fn run<H: Harness>(
    harness: &mut H,
    kind: Kind,
    actions: &[Action],
) -> Result<(), TestCaseError> {
    run_armed(harness, kind, actions, None).map(drop)
}

/// Runs `actions` like [`run`], with `fault` armed from the start, and checks what every failure
/// leaves behind (see the module documentation). Faults armed by [`Action::Arm`] recover from a
/// failed commit by committing again.
pub fn run_armed<H: Harness>(
    harness: &mut H,
    kind: Kind,
    actions: &[Action],
    fault: Option<Fault>,
) -> Result<Report, TestCaseError> {
    let db = Faulty::new(harness.open(&COLUMNS));
    let faults: Faults = db.faults();
    if let Some(Fault { op, nth, outcome, .. }) = fault {
        faults.fail_nth(op, nth, outcome);
    }
    let recovery = fault.map_or(Recovery::Retry, |fault| fault.recovery);
    let second = || Faulty::with_faults(MemoryDb::new(COLUMNS), faults.clone());
    let mut system = Some(System::build(kind, db, second()));
    let mut model = StackModel::new(kind);
    // Injected errors that reached this caller: every fault that fires must.
    let mut seen = 0;
    for action in actions {
        let current = system.as_mut().expect("stack is built");
        match action {
            Action::Put(..) | Action::Delete(..) | Action::Apply(..) => {
                let after = model.after(action);
                model = match with_layer!(current, layer => write(layer, action)) {
                    Ok(()) => after,
                    Err(error) => {
                        seen += 1;
                        after_failed_write(&error, current, model, after)?
                    }
                };
            }
            Action::Get(..) | Action::Range(..) | Action::Seek(..) => {
                let view = model.view();
                with_layer!(current, layer => {
                    seen += u64::from(check_read_twice(layer, action, &view)?);
                    seen += u64::from(check_read_twice(&ReadOnly::new(&*layer), action, &view)?);
                });
            }
            Action::Commit | Action::CommitInner => {
                let (result, level) = match (&mut *current, action) {
                    (System::Temporal(t), Action::Commit) => (t.commit(), 0),
                    (System::TemporalTemporal(t), Action::Commit) => (t.commit(), 1),
                    (System::TemporalTemporal(t), Action::CommitInner) => {
                        (t.base_mut().commit(), 0)
                    }
                    _ => continue,
                };
                let mut after = model.clone();
                after.commit_level(level);
                let Err(error) = result else {
                    model = after;
                    continue;
                };
                // Only the commit into the database can fail; its buffer is kept either way.
                let mut after_write = after.clone();
                after_write.shadows[level].clone_from(&model.shadows[level]);
                seen += 1;
                prop_assert_eq!(level, 0, "only a commit into the database can fail");
                model = after_failed_write(&error, current, model, after_write)?;
                let temporal = current.committing().expect("a Temporal committed");
                if recovery == Recovery::Retry {
                    // Committed again, the buffer lands once.
                    temporal.commit().map_err(|e| TestCaseError::fail(e.to_string()))?;
                    model.commit_level(0);
                } else {
                    // Dropped, the database keeps what the failed commit left.
                    temporal.rollback();
                    model.shadows[0].clear();
                }
                prop_assert_eq!(&stored(current.store().db()), &model.base);
            }
            Action::Rollback => {
                match current {
                    System::Temporal(t) => t.rollback(),
                    System::TemporalTemporal(t) => t.rollback(),
                    System::Store(_) | System::Tee(_) => {}
                }
                if let Some(top) = model.shadows.last_mut() {
                    top.clear();
                }
            }
            Action::PutSecond(c, k, v) => {
                if let System::Tee(t) = current {
                    // Another writer of the second layer, past its fault control.
                    t.second().db().inner().put(col(*c), k, v).expect("put to the second layer");
                    model.second.insert((*c, k.clone()), v.clone());
                }
            }
            Action::Reopen => {
                let (db, kept) = system.take().expect("stack is built").into_parts();
                let db = Faulty::with_faults(harness.reopen(db.into_inner()), faults.clone());
                system = Some(System::build(kind, db, kept.unwrap_or_else(&second)));
                model.shadows.iter_mut().for_each(BTreeMap::clear);
            }
            Action::Arm(op, nth, outcome) => faults.fail_nth(*op, *nth, *outcome),
        }
    }
    // What the workload did; the final check below runs with nothing armed and is not counted.
    let report = Report { counts: faults.counts(), fired: faults.fired() };
    prop_assert_eq!(seen, report.fired, "a fault fired but no caller saw its error");
    faults.disarm();
    let view = model.view();
    let current = system.as_ref().expect("stack is built");
    for c in 0..COLUMNS.len() {
        let all = Action::Range(c, Bound::Unbounded, Bound::Unbounded, false);
        with_layer!(current, layer => prop_assert!(!check_read(layer, &all, &view)?));
    }
    prop_assert_eq!(&stored(current.store().db()), &model.base);
    if let Some(second) = current.second() {
        prop_assert_eq!(&stored(second), &model.second);
    }
    Ok(report)
}

/// Runs `cases` random action sequences on a `kind` stack, each on a fresh harness; one action
/// in fifteen arms a fault.
///
/// # Panics
///
/// Panics with the minimal failing sequence when the stack and the model disagree.
pub fn check<H: Harness>(new_harness: impl Fn() -> H, kind: Kind, cases: u32) {
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let actions = proptest::collection::vec(action(), 1..50);
    if let Err(failure) = runner.run(&actions, |actions| run(&mut new_harness(), kind, &actions)) {
        panic!("the {kind:?} stack disagrees with the model: {failure}");
    }
}

/// A fixed workload of `len` actions (no faults armed), the same for the same `seed`.
pub fn workload(seed: u64, len: usize) -> Vec<Action> {
    let mut seed_bytes = [0_u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    proptest::collection::vec(plain_action(), len)
        .new_tree(&mut runner)
        .expect("generate a workload")
        .current()
}

/// Fails every position of `op` in `actions`, one run per position (SQLite's I/O-error test
/// loop; for `apply`, one run per way of recovering from a failed commit), each on a fresh
/// harness: the workload first runs clean to count the positions.
/// Returns how many positions were failed.
///
/// # Panics
///
/// Panics when a run disagrees with the model, or a fault armed for an existing position did
/// not fire.
pub fn check_every_fault<H: Harness>(
    new_harness: impl Fn() -> H,
    kind: Kind,
    actions: &[Action],
    op: OpKind,
    outcome: Outcome,
) -> u64 {
    let clean = run_armed(&mut new_harness(), kind, actions, None)
        .unwrap_or_else(|failure| panic!("the {kind:?} stack fails without faults: {failure}"));
    let positions = clean.counts.get(op);
    // A failed commit is recovered from both ways; only `apply` failures reach a commit.
    let recoveries: &[Recovery] =
        if op == OpKind::Apply { &[Recovery::Retry, Recovery::Drop] } else { &[Recovery::Retry] };
    for nth in 1..=positions {
        for &recovery in recoveries {
            let fault = Fault { op, nth, outcome, recovery };
            let report = run_armed(&mut new_harness(), kind, actions, Some(fault))
                .unwrap_or_else(|failure| panic!("{kind:?} stack, {fault:?}: {failure}"));
            assert_eq!(report.fired, 1, "{kind:?} stack: {fault:?} did not fire");
        }
    }
    positions
}

/// The fault schedules of one stack: for each of `seeds`, a 50-action workload run once per
/// position of every kind of operation — writes failing both before and after they reach the
/// database — every run checked against the model. Reports the positions failed per kind.
///
/// # Panics
///
/// Panics when any run disagrees with the model, or a workload performs no `apply` at all (it
/// would prove nothing about atomicity).
pub fn check_fault_schedules<H: Harness>(new_harness: impl Fn() -> H, kind: Kind, seeds: &[u64]) {
    let mut failed = Vec::new();
    for op in OpKind::ALL {
        let outcomes: &[Outcome] = if op.writes() {
            &[Outcome::NotApplied, Outcome::Applied]
        } else {
            &[Outcome::NotApplied]
        };
        let mut positions = 0;
        for &seed in seeds {
            let actions = workload(seed, 50);
            for &outcome in outcomes {
                positions += check_every_fault(&new_harness, kind, &actions, op, outcome);
            }
        }
        assert!(op != OpKind::Apply || positions > 0, "{kind:?}: the workloads never apply");
        failed.push(format!("{op:?} {positions}"));
    }
    crate::report(&format!(
        "fault schedules, {kind:?} stack, {} workloads of 50 actions, positions failed: {}",
        seeds.len(),
        failed.join(", ")
    ));
}
