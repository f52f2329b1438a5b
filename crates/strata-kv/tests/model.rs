//! Model-based tests: random operation sequences run against the KV store and against a plain
//! `BTreeMap` model, compared after every step — on the in-memory backend, on RocksDB (with
//! reopens), and under injected faults, where a failed operation must leave the store exactly as
//! before it or exactly as after it, never in between.
//!
//! `STRATA_KV_MODEL_CASES` sets the number of cases per test (default 64).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strata_core::{Database, MemoryDb};
use strata_kv::{KvError, KvStore, WriteBatch};
use strata_rocksdb::{RocksConfig, RocksDb};
use strata_testkit::fault::{Faulty, OpKind, Outcome};

type Addr = (String, String, String);

#[derive(Debug, Clone)]
enum Op {
    Write(Addr, Vec<u8>),
    Remove(Addr, bool),
    Batch(Vec<(Addr, Option<Vec<u8>>)>),
    Read(Addr),
    List(String, String),
    Pages(String, String, usize),
    Reopen,
}

/// The model: each address's value and its creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Model {
    values: BTreeMap<Addr, (u64, Vec<u8>)>,
    created: u64,
}

impl Model {
    fn write(&mut self, addr: &Addr, value: &[u8]) {
        let created = if let Some((created, _)) = self.values.get(addr) {
            *created
        } else {
            self.created += 1;
            self.created
        };
        self.values.insert(addr.clone(), (created, value.to_vec()));
    }

    fn keys(&self, primary: &str, secondary: &str) -> Vec<String> {
        self.values
            .keys()
            .filter(|(p, s, _)| p == primary && s == secondary)
            .map(|(_, _, k)| k.clone())
            .collect()
    }

    fn newest_first(&self, primary: &str, secondary: &str) -> Vec<String> {
        let mut keys: Vec<_> = self
            .values
            .iter()
            .filter(|((p, s, _), _)| p == primary && s == secondary)
            .map(|((_, _, k), (created, _))| (*created, k.clone()))
            .collect();
        keys.sort_unstable_by(|a, b| b.cmp(a));
        keys.into_iter().map(|(_, k)| k).collect()
    }

    fn values(&self) -> BTreeMap<Addr, Vec<u8>> {
        self.values.iter().map(|(a, (_, v))| (a.clone(), v.clone())).collect()
    }
}

fn valid_name(name: &str) -> bool {
    name.len() <= 120 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn valid_namespace(primary: &str, secondary: &str) -> bool {
    valid_name(primary) && valid_name(secondary) && (!primary.is_empty() || secondary.is_empty())
}

fn valid(addr: &Addr) -> bool {
    let (p, s, k) = addr;
    valid_namespace(p, s) && valid_name(k) && !k.is_empty()
}

fn namespace() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        4 => Just(("monitors".to_owned(), String::new())),
        3 => Just(("monitors".to_owned(), "archive".to_owned())),
        3 => Just((String::new(), String::new())),
        1 => Just(("P".repeat(120), "S".repeat(120))),
        1 => Just((String::new(), "orphan".to_owned())),
        1 => Just(("bad/ns".to_owned(), String::new())),
    ]
}

fn addr() -> impl Strategy<Value = Addr> {
    let key = prop_oneof![
        6 => prop::sample::select(vec!["a", "b", "c", "chan_1", "chan_2", "manager", "a-_Z9"])
            .prop_map(str::to_owned),
        1 => Just("K".repeat(120)),
        1 => Just("K".repeat(121)),
        1 => Just(String::new()),
        1 => Just("späce".to_owned()),
    ];
    (namespace(), key).prop_map(|((p, s), k)| (p, s, k))
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..16),
        1 => proptest::collection::vec(any::<u8>(), 0..3000),
    ]
}

fn op(reopen: bool) -> impl Strategy<Value = Op> {
    let reopen_weight = u32::from(reopen);
    prop_oneof![
        8 => (addr(), value()).prop_map(|(a, v)| Op::Write(a, v)),
        4 => (addr(), any::<bool>()).prop_map(|(a, lazy)| Op::Remove(a, lazy)),
        2 => proptest::collection::vec((addr(), proptest::option::of(value())), 0..6)
            .prop_map(Op::Batch),
        3 => addr().prop_map(Op::Read),
        2 => namespace().prop_map(|(p, s)| Op::List(p, s)),
        2 => (namespace(), 1..4usize).prop_map(|((p, s), n)| Op::Pages(p, s, n)),
        reopen_weight => Just(Op::Reopen),
    ]
}

/// The store's whole state: every address and its value.
fn observe<D: Database>(store: &KvStore<D>) -> Result<BTreeMap<Addr, Vec<u8>>, KvError> {
    let mut state = BTreeMap::new();
    for address in store.list_all_keys()? {
        let value = store.read(&address.primary, &address.secondary, &address.key)?;
        state.insert((address.primary, address.secondary, address.key), value);
    }
    Ok(state)
}

/// Walks every page of a namespace; the keys, newest first.
fn all_pages<D: Database>(
    store: &KvStore<D>,
    p: &str,
    s: &str,
    limit: usize,
) -> Result<Vec<String>, KvError> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = store.list_page(p, s, token.as_ref(), limit)?;
        assert!(page.keys.len() <= limit);
        keys.extend(page.keys);
        match page.next {
            None => return Ok(keys),
            Some(next) => token = Some(next),
        }
    }
}

/// Applies `op` to `model` as the store must when it succeeds.
fn apply_to_model(model: &mut Model, op: &Op) {
    match op {
        Op::Write(addr, value) if valid(addr) => model.write(addr, value),
        Op::Remove(addr, _) if valid(addr) => {
            model.values.remove(addr);
        }
        Op::Batch(ops) if ops.iter().all(|(a, _)| valid(a)) => {
            // The last operation per address wins; new keys are created in address order.
            let last: BTreeMap<_, _> = ops.iter().cloned().collect();
            for (addr, value) in last {
                match value {
                    Some(value) => model.write(&addr, &value),
                    None => {
                        model.values.remove(&addr);
                    }
                }
            }
        }
        _ => {}
    }
}

/// An invalid name must be reported as such.
fn expect_invalid(result: &Result<(), KvError>) {
    assert!(matches!(result, Err(KvError::InvalidName { .. })), "expected InvalidName: {result:?}");
}

/// Runs `op` on the store, checking what it returns against the model (already updated).
fn run<D: Database>(store: &KvStore<D>, model: &Model, op: &Op) -> Result<(), KvError> {
    match op {
        Op::Write(addr @ (p, s, k), value) => {
            let result = store.write(p, s, k, value);
            if valid(addr) {
                result
            } else {
                expect_invalid(&result);
                Ok(())
            }
        }
        Op::Remove(addr @ (p, s, k), lazy) => {
            let result = store.remove(p, s, k, *lazy);
            if valid(addr) {
                result
            } else {
                expect_invalid(&result);
                Ok(())
            }
        }
        Op::Batch(ops) => {
            let mut batch = WriteBatch::new();
            for ((p, s, k), value) in ops {
                match value {
                    Some(value) => batch.write(p, s, k, value.clone()),
                    None => batch.remove(p, s, k),
                };
            }
            let result = store.write_batch(&batch);
            if ops.iter().all(|(a, _)| valid(a)) {
                result
            } else {
                expect_invalid(&result);
                Ok(())
            }
        }
        Op::Read(addr @ (p, s, k)) => match store.read(p, s, k) {
            Ok(value) => {
                assert_eq!(Some(&value), model.values.get(addr).map(|(_, v)| v));
                Ok(())
            }
            Err(KvError::NotFound { .. }) if valid(addr) => {
                assert!(!model.values.contains_key(addr));
                Ok(())
            }
            Err(KvError::InvalidName { .. }) if !valid(addr) => Ok(()),
            Err(other) => Err(other),
        },
        Op::List(p, s) => match store.list(p, s) {
            Ok(keys) => {
                assert_eq!(keys, model.keys(p, s));
                Ok(())
            }
            Err(KvError::InvalidName { .. }) if !valid_namespace(p, s) => Ok(()),
            Err(other) => Err(other),
        },
        Op::Pages(p, s, limit) => match all_pages(store, p, s, *limit) {
            Ok(keys) => {
                assert_eq!(keys, model.newest_first(p, s));
                Ok(())
            }
            Err(KvError::InvalidName { .. }) if !valid_namespace(p, s) => Ok(()),
            Err(other) => Err(other),
        },
        Op::Reopen => Ok(()),
    }
}

fn cases() -> u32 {
    std::env::var("STRATA_KV_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

/// Runs sequences of operations against a store opened by `open(fresh)`; `Reopen` opens the
/// same database again.
fn check<D: Database>(open: impl FnMut(bool) -> KvStore<D>) {
    let open = std::cell::RefCell::new(open);
    let open = |fresh| (open.borrow_mut())(fresh);
    let mut runner = TestRunner::new(Config { cases: cases(), ..Config::default() });
    runner
        .run(&proptest::collection::vec(op(true), 1..40), |ops| {
            let mut store = open(true);
            let mut model = Model::default();
            for op in &ops {
                if matches!(op, Op::Reopen) {
                    drop(store);
                    store = open(false);
                }
                apply_to_model(&mut model, op);
                run(&store, &model, op).expect("no backend error");
                assert_eq!(observe(&store).expect("observe"), model.values(), "after {op:?}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn memory_store_agrees_with_the_model() {
    let mut db = Arc::new(MemoryDb::new(strata_kv::COLUMNS));
    check(|fresh| {
        if fresh {
            db = Arc::new(MemoryDb::new(strata_kv::COLUMNS));
        }
        KvStore::open(Arc::clone(&db)).unwrap()
    });
}

#[test]
fn rocksdb_store_agrees_with_the_model_across_reopens() {
    let root = tempfile::tempdir().unwrap();
    let mut dir = PathBuf::new();
    let mut n = 0;
    check(|fresh| {
        if fresh {
            n += 1;
            dir = root.path().join(n.to_string());
        }
        let db = RocksDb::open(&RocksConfig::new(&dir), &strata_kv::COLUMNS).unwrap();
        KvStore::open(db).unwrap()
    });
}

/// One database operation of a sequence fails (a read, a cursor, or a commit before or after it
/// lands): the store must then hold exactly the state before the failed call or exactly the
/// state after it, and go on agreeing with the model.
#[test]
fn a_failed_operation_leaves_the_state_before_or_after_it() {
    let mut runner = TestRunner::new(Config { cases: cases() * 2, ..Config::default() });
    let kinds = [OpKind::Apply, OpKind::Get, OpKind::Cursor, OpKind::Step];
    let fired = std::cell::Cell::new(0);
    runner
        .run(
            &(
                proptest::collection::vec(op(false), 1..25),
                any::<prop::sample::Index>(),
                1..4u64,
                any::<bool>(),
                0..4usize,
            ),
            |(ops, step, nth, applied, kind)| {
                let db = Faulty::new(MemoryDb::new(strata_kv::COLUMNS));
                let faults = db.faults();
                let store = KvStore::open(db).unwrap();
                let kind = kinds[kind];
                let outcome =
                    if applied && kind.writes() { Outcome::Applied } else { Outcome::NotApplied };
                let step = step.index(ops.len());
                let mut model = Model::default();
                for (i, op) in ops.iter().enumerate() {
                    let before = model.clone();
                    apply_to_model(&mut model, op);
                    // The fault is armed for this one operation only; observing does not count.
                    if i == step {
                        faults.fail_nth(kind, nth, outcome);
                    }
                    let result = run(&store, &model, op);
                    faults.disarm();
                    if let Err(error) = result {
                        assert!(
                            matches!(&error, KvError::Storage(e) if e.to_string().contains("injected")),
                            "only the injected fault fails: {error}"
                        );
                        let state = observe(&store).expect("observe after the fault");
                        if state == before.values() {
                            model = before;
                        } else {
                            assert_eq!(state, model.values(), "neither before nor after {op:?}");
                        }
                    }
                    assert_eq!(observe(&store).expect("observe"), model.values(), "after {op:?}");
                }
                fired.set(fired.get() + faults.fired());
                Ok(())
            },
        )
        .unwrap();
    assert!(fired.get() > 0, "faults fired");
}

/// A registration whose commit landed but reported failure must not hand its id out again:
/// two namespaces sharing an id would read each other's keys.
#[test]
fn an_id_whose_registration_outcome_is_unknown_is_never_reused() {
    let db = Faulty::new(MemoryDb::new(strata_kv::COLUMNS));
    let faults = db.faults();
    let store = KvStore::open(db).unwrap();
    faults.fail_nth(OpKind::Apply, 1, Outcome::Applied);
    assert!(store.write("first", "", "k", b"1").is_err(), "the registration reports failure");
    store.write("second", "", "k", b"2").unwrap();
    assert_eq!(store.list("first", "").unwrap(), Vec::<String>::new());
    let reopened = KvStore::open(store.database().inner()).unwrap();
    assert_eq!(reopened.list("first", "").unwrap(), Vec::<String>::new(), "first sees no key");
    assert!(reopened.get("first", "", "k").unwrap().is_none());
    assert_eq!(reopened.read("second", "", "k").unwrap(), b"2");
    reopened.write("first", "", "k", b"1").unwrap();
    assert_eq!(reopened.list_all_keys().unwrap().len(), 2);
}
