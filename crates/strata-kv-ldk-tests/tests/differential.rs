//! Differential test: random operation sequences — valid and invalid names, lazy and eager
//! removes, overwrites, listings — run through LDK's `KVStoreSync` against Strata's KV store and
//! against lightning-persister's `FilesystemStore`; every call must give the same result: the
//! same bytes, the same error kind, or a panic in both (LDK's debug assertion on invalid names).
//!
//! `STRATA_KV_DIFF_CASES` sets the number of cases (default 48).

use std::panic::{AssertUnwindSafe, catch_unwind};

use lightning::util::persist::{KVStoreSync, MigratableKVStore};
use lightning_persister::fs_store::FilesystemStore;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strata_kv::KvStore;
use strata_rocksdb::{RocksConfig, RocksDb};

#[derive(Debug, Clone)]
enum Op {
    Write(String, String, String, Vec<u8>),
    Read(String, String, String),
    Remove(String, String, String, bool),
    List(String, String),
    ListAll,
}

/// What one call gave.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Bytes(Vec<u8>),
    Keys(Vec<String>),
    All(Vec<(String, String, String)>),
    Failed(lightning::io::ErrorKind),
    Panicked,
}

// Namespaces and keys come from disjoint pools: LDK leaves a key named like a namespace beside
// it undefined (the filesystem store cannot hold both a file and a directory of one name).
fn namespace() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        4 => Just(("monitors".to_owned(), String::new())),
        3 => Just(("monitors".to_owned(), "archive".to_owned())),
        2 => Just(("payments".to_owned(), "pending".to_owned())),
        3 => Just((String::new(), String::new())),
        1 => Just(("P".repeat(120), "S".repeat(120))),
        1 => Just(("P".repeat(121), String::new())),
        1 => Just((String::new(), "orphan".to_owned())),
        1 => Just(("bad.ns".to_owned(), String::new())),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["k1", "k2", "chan_1", "manager", "a-_Z9"]).prop_map(str::to_owned),
        1 => Just("K".repeat(120)),
        1 => Just("K".repeat(121)),
        1 => Just(String::new()),
        1 => Just("bad/key".to_owned()),
        1 => Just("é".to_owned()),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let value = proptest::collection::vec(any::<u8>(), 0..64);
    prop_oneof![
        6 => (namespace(), key(), value).prop_map(|((p, s), k, v)| Op::Write(p, s, k, v)),
        4 => (namespace(), key()).prop_map(|((p, s), k)| Op::Read(p, s, k)),
        3 => (namespace(), key(), any::<bool>()).prop_map(|((p, s), k, l)| Op::Remove(p, s, k, l)),
        2 => namespace().prop_map(|(p, s)| Op::List(p, s)),
        1 => Just(Op::ListAll),
    ]
}

fn run<S: KVStoreSync + MigratableKVStore>(store: &S, op: &Op) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| match op {
        Op::Write(p, s, k, v) => store.write(p, s, k, v.clone()).map(|()| Outcome::Done),
        Op::Read(p, s, k) => store.read(p, s, k).map(Outcome::Bytes),
        Op::Remove(p, s, k, lazy) => store.remove(p, s, k, *lazy).map(|()| Outcome::Done),
        Op::List(p, s) => store.list(p, s).map(|mut keys| {
            keys.sort();
            Outcome::Keys(keys)
        }),
        Op::ListAll => store.list_all_keys().map(|mut all| {
            all.sort();
            Outcome::All(all)
        }),
    }));
    match result {
        Err(_) => Outcome::Panicked,
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => Outcome::Failed(error.kind()),
    }
}

#[test]
fn strata_and_the_filesystem_store_agree_call_for_call() {
    // LDK's debug assertions panic on every invalid name; keep their messages out of the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let cases = std::env::var("STRATA_KV_DIFF_CASES").ok().and_then(|v| v.parse().ok());
    let mut runner = TestRunner::new(Config { cases: cases.unwrap_or(48), ..Config::default() });
    let mut compared = std::cell::Cell::new(0_u64);
    let result = runner.run(&proptest::collection::vec(op(), 1..60), |ops| {
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let filesystem = FilesystemStore::new(dirs[0].path().to_path_buf());
        let db = RocksDb::open(&RocksConfig::new(dirs[1].path()), &strata_kv::COLUMNS).unwrap();
        let strata = KvStore::open(db).unwrap();
        for (i, op) in ops.iter().enumerate() {
            let expected = run(&filesystem, op);
            let actual = run(&strata, op);
            prop_assert_eq!(&actual, &expected, "step {} {:?}", i, op);
            compared.set(compared.get() + 1);
        }
        Ok(())
    });
    std::panic::set_hook(default_hook);
    result.unwrap();
    assert!(*compared.get_mut() > 0);
}
