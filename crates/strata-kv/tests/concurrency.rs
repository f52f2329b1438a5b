//! Many threads on one store: writers on their own keys, a batch writer moving a token between
//! keys atomically, and readers listing — every listing sees one snapshot (exactly one token),
//! every thread's last write reads back, nothing is lost.

use std::sync::atomic::{AtomicBool, Ordering};

use strata_kv::{KvStore, WriteBatch};
use strata_rocksdb::{RocksConfig, RocksDb};

const WRITERS: usize = 8;
const WRITES: usize = 200;

#[test]
fn threads_share_one_store_and_listings_read_one_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = RocksDb::open(&RocksConfig::new(dir.path()), &strata_kv::COLUMNS).unwrap();
    let store = KvStore::open(db).unwrap();
    store.write("token", "", "slot0", b"t").unwrap();
    let done = AtomicBool::new(false);
    let mut listings = 0;
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..WRITES {
                    let key = format!("w{w}_k{}", i % 10);
                    store.write("monitors", "", &key, format!("{w}:{i}").as_bytes()).unwrap();
                }
            });
        }
        let mover = store.clone();
        let done = &done;
        scope.spawn(move || {
            for i in 0..WRITES {
                let mut batch = WriteBatch::new();
                batch.remove("token", "", &format!("slot{}", i % 7));
                batch.write("token", "", &format!("slot{}", (i + 1) % 7), b"t".to_vec());
                mover.write_batch(&batch).unwrap();
            }
            done.store(true, Ordering::SeqCst);
        });
        while !done.load(Ordering::SeqCst) {
            let tokens = store.list("token", "").unwrap();
            assert_eq!(tokens.len(), 1, "one snapshot holds exactly one token: {tokens:?}");
            let page = store.list_page("token", "", None, 10).unwrap();
            assert_eq!(page.keys.len(), 1, "{page:?}");
            let keys = store.list("monitors", "").unwrap();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
            listings += 1;
        }
    });
    assert!(listings > 0);
    let keys = store.list("monitors", "").unwrap();
    assert_eq!(keys.len(), WRITERS * 10);
    for w in 0..WRITERS {
        for k in 0..10 {
            let last = (0..WRITES).rev().find(|i| i % 10 == k).unwrap();
            let value = store.read("monitors", "", &format!("w{w}_k{k}")).unwrap();
            assert_eq!(value, format!("{w}:{last}").as_bytes());
        }
    }
    assert_eq!(store.list("token", "").unwrap(), [format!("slot{}", WRITES % 7)]);
}

#[test]
fn the_store_is_send_sync_and_clone() {
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<KvStore<RocksDb>>();
    assert_shareable::<KvStore<std::sync::Arc<strata_core::MemoryDb>>>();
}
