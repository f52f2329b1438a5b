//! Model-based tests of layer stacks: random actions through `Store`, `Temporal<Store>`,
//! `Temporal<Temporal<Store>>` and `Tee<Store, Store>` on any backend, every read checked against
//! a model — through the stack itself and through a `ReadOnly` view of it.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strata_core::{
    Column, Database, KeyRange, Layer, MemoryDb, ReadLayer, ReadOnly, Store, Tee, Temporal,
    Transaction, WriteLayer,
};

use crate::model::{bound, column, small_key};
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
    /// `Tee<Store<D>, Store<MemoryDb>>`.
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
}

fn action() -> impl Strategy<Value = Action> {
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

type Key = (usize, Vec<u8>);

/// The reference: committed data, the second layer of a `Tee`, and one shadow per `Temporal`.
#[derive(Debug, Default)]
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

enum System<D> {
    Store(Store<D>),
    Temporal(Temporal<Store<D>>),
    TemporalTemporal(Temporal<Temporal<Store<D>>>),
    Tee(Tee<Store<D>, Store<MemoryDb>>),
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
    fn build(kind: Kind, db: D, second: MemoryDb) -> Self {
        let store = Store::new(db);
        match kind {
            Kind::Store => Self::Store(store),
            Kind::Temporal => Self::Temporal(Temporal::new(store)),
            Kind::TemporalTemporal => Self::TemporalTemporal(Temporal::new(Temporal::new(store))),
            Kind::Tee => Self::Tee(Tee::new(store, Store::new(second))),
        }
    }

    fn into_parts(self) -> (D, Option<MemoryDb>) {
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
}

fn col(index: usize) -> Column {
    COLUMNS[index]
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

fn owned(item: strata_core::StorageResult<strata_core::RawEntry>) -> (Vec<u8>, Vec<u8>) {
    let (k, v) = item.expect("entry");
    (k.into_vec(), v.into_vec())
}

/// Checks one read action against the model's view through `layer`.
fn check_read<L: ReadLayer>(
    layer: &L,
    action: &Action,
    view: &BTreeMap<Key, Vec<u8>>,
) -> Result<(), TestCaseError> {
    match action {
        Action::Get(c, k) => {
            let got = layer.get(col(*c), k).expect("get").map(|v| v.to_vec());
            prop_assert_eq!(got.as_ref(), view.get(&(*c, k.clone())));
            prop_assert_eq!(layer.has(col(*c), k).expect("has"), got.is_some());
        }
        Action::Range(c, start, end, reverse) => {
            let range = KeyRange::from((start.clone(), end.clone()));
            let iter = layer.iter_range(col(*c), range.clone()).expect("iterate");
            let got: Vec<_> =
                if *reverse { iter.rev().map(owned).collect() } else { iter.map(owned).collect() };
            let mut want = expected(view, *c, &range);
            if *reverse {
                want.reverse();
            }
            prop_assert_eq!(got, want);
        }
        Action::Seek(c, start, end, target, take) => {
            let range = KeyRange::from((start.clone(), end.clone()));
            let mut iter = layer.iter_range(col(*c), range.clone()).expect("iterate");
            iter.seek(target);
            let mut got: Vec<_> = iter.by_ref().take(*take).map(owned).collect();
            let mut tail: Vec<_> = iter.rev().map(owned).collect();
            tail.reverse();
            got.extend(tail);
            let want: Vec<_> =
                expected(view, *c, &range).into_iter().filter(|(k, _)| k >= target).collect();
            prop_assert_eq!(got, want);
        }
        _ => {}
    }
    Ok(())
}

fn write<L: WriteLayer>(layer: &mut L, action: &Action) {
    match action {
        Action::Put(c, k, v) => layer.put(col(*c), k, v).expect("put"),
        Action::Delete(c, k) => layer.delete(col(*c), k).expect("delete"),
        Action::Apply(ops) => {
            let mut tx = Transaction::new();
            for (c, k, v) in ops {
                match v {
                    Some(v) => tx.put(col(*c), k, v),
                    None => tx.delete(col(*c), k),
                }
            }
            layer.apply(&tx).expect("apply");
        }
        _ => {}
    }
}

/// Runs `actions` on a `kind` stack over a fresh database from `harness`, checking every read.
pub fn run<H: Harness>(
    harness: &mut H,
    kind: Kind,
    actions: &[Action],
) -> Result<(), TestCaseError> {
    let mut system = Some(System::build(kind, harness.open(&COLUMNS), MemoryDb::new(COLUMNS)));
    let mut model = StackModel::new(kind);
    for action in actions {
        let current = system.as_mut().expect("stack is built");
        match action {
            Action::Put(c, k, v) => {
                with_layer!(current, layer => write(layer, action));
                model.write((*c, k.clone()), Some(v.clone()));
            }
            Action::Delete(c, k) => {
                with_layer!(current, layer => write(layer, action));
                model.write((*c, k.clone()), None);
            }
            Action::Apply(ops) => {
                with_layer!(current, layer => write(layer, action));
                for (c, k, v) in ops {
                    model.write((*c, k.clone()), v.clone());
                }
            }
            Action::Get(..) | Action::Range(..) | Action::Seek(..) => {
                let view = model.view();
                with_layer!(current, layer => {
                    check_read(layer, action, &view)?;
                    check_read(&ReadOnly::new(&*layer), action, &view)?;
                });
            }
            Action::Commit => match current {
                System::Temporal(t) => {
                    t.commit().expect("commit");
                    t.commit().expect("a second commit writes nothing");
                    model.commit_level(0);
                }
                System::TemporalTemporal(t) => {
                    t.commit().expect("commit");
                    model.commit_level(1);
                }
                System::Store(_) | System::Tee(_) => {}
            },
            Action::CommitInner => {
                if let System::TemporalTemporal(t) = current {
                    t.base_mut().commit().expect("commit");
                    model.commit_level(0);
                }
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
                    t.second_mut().put(col(*c), k, v).expect("put");
                    model.second.insert((*c, k.clone()), v.clone());
                }
            }
            Action::Reopen => {
                let (db, second) = system.take().expect("stack is built").into_parts();
                let db = harness.reopen(db);
                system =
                    Some(System::build(kind, db, second.unwrap_or_else(|| MemoryDb::new(COLUMNS))));
                model.shadows.iter_mut().for_each(BTreeMap::clear);
            }
        }
    }
    let view = model.view();
    let current = system.as_ref().expect("stack is built");
    for c in 0..COLUMNS.len() {
        with_layer!(current, layer => check_read(layer, &Action::Range(c, Bound::Unbounded, Bound::Unbounded, false), &view)?);
    }
    Ok(())
}

/// Runs `cases` random action sequences on a `kind` stack, each on a fresh harness.
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
