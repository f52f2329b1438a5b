//! lightning-persister's own test functions, run against Strata's KV store on RocksDB.
//!
//! `build.rs` points `LIGHTNING_PERSISTER_TEST_UTILS` at `src/test_utils.rs` of the
//! lightning-persister package cargo fetched (the version locked in `Cargo.lock`); it is
//! included here unchanged.

use std::path::Path;

use lightning::util::persist::{KVStore, KVStoreSync};
use lightning_persister::fs_store::FilesystemStore;
use strata_kv::KvStore;
use strata_rocksdb::{RocksConfig, RocksDb};

#[allow(
    clippy::all,
    clippy::pedantic,
    unreachable_pub,
    missing_docs,
    reason = "LDK's code, included unchanged"
)]
mod persister {
    include!(env!("LIGHTNING_PERSISTER_TEST_UTILS"));
}

fn open(dir: &Path) -> KvStore<RocksDb> {
    let db = RocksDb::open(&RocksConfig::new(dir), &strata_kv::COLUMNS).expect("open RocksDB");
    KvStore::open(db).expect("open the KV store")
}

#[test]
fn the_included_functions_are_lightning_persisters() {
    let path = env!("LIGHTNING_PERSISTER_TEST_UTILS");
    assert!(path.contains(&format!("lightning-persister-{}", env!("LIGHTNING_PERSISTER_VERSION"))));
    assert!(!path.starts_with(env!("CARGO_MANIFEST_DIR")), "never a copy in this repository");
}

#[test]
fn ldk_read_write_remove_list_persist() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    persister::do_read_write_remove_list_persist(&store);
    // And again after reopening: what LDK wrote is still there.
    drop(store);
    let store = open(dir.path());
    assert_eq!(KVStoreSync::list(&store, "", "").unwrap(), ["testkey"]);
}

#[test]
fn ldk_two_nodes_persist_their_monitors_through_strata() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let store_0 = open(dirs[0].path());
    let store_1 = open(dirs[1].path());
    persister::do_test_store(&store_0, &store_1);
}

#[test]
fn ldk_data_migration_from_filesystem_store_to_strata() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut source = FilesystemStore::new(dirs[0].path().to_path_buf());
    let mut target = open(dirs[1].path());
    persister::do_test_data_migration(&mut source, &mut target);
}

#[test]
fn ldk_data_migration_from_strata_to_filesystem_store() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut source = open(dirs[0].path());
    let mut target = FilesystemStore::new(dirs[1].path().to_path_buf());
    persister::do_test_data_migration(&mut source, &mut target);
}

/// Polls a future to completion on this thread (the KV store's futures need no runtime).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};

    struct Thread(std::thread::Thread);
    impl Wake for Thread {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Thread(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn async_writes_to_one_key_land_in_the_order_they_were_issued() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    for round in 0..20u8 {
        // Issue many writes, then await them newest first: the last issued must win.
        let futures: Vec<_> = (0..16u8)
            .map(|i| KVStore::write(&store, "monitors", "", "chan", vec![round, i]))
            .collect();
        for future in futures.into_iter().rev() {
            block_on(future).unwrap();
        }
        assert_eq!(KVStoreSync::read(&store, "monitors", "", "chan").unwrap(), [round, 15]);
    }
    // A remove issued after a write wins over it, however they are awaited.
    let write = KVStore::write(&store, "monitors", "", "chan", b"late".to_vec());
    let remove = KVStore::remove(&store, "monitors", "", "chan", false);
    block_on(remove).unwrap();
    block_on(write).unwrap();
    assert_eq!(
        KVStoreSync::read(&store, "monitors", "", "chan").unwrap_err().kind(),
        lightning::io::ErrorKind::NotFound
    );
    assert!(block_on(KVStore::list(&store, "monitors", "")).unwrap().is_empty());
}

#[test]
fn async_calls_run_off_the_callers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    block_on(KVStore::write(&store, "a", "b", "k", b"v".to_vec())).unwrap();
    assert_eq!(block_on(KVStore::read(&store, "a", "b", "k")).unwrap(), b"v");
    let missing = block_on(KVStore::read(&store, "a", "b", "absent")).unwrap_err();
    assert_eq!(missing.kind(), lightning::io::ErrorKind::NotFound);
}
