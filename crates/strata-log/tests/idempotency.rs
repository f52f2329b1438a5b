//! Idempotency keys are kept for a window of arrivals and then trimmed: retries within the window
//! return the first append, and the key index never grows past the window.

use std::sync::Arc;

use strata_core::{Database, Durability, KeyRange, MemoryDb};
use strata_log::{Author, LogConfig, LogStore, NoVerification, Unsigned};

fn keys_held<D: Database>(store: &LogStore<D>) -> usize {
    let range = KeyRange::all();
    let mut cursor = store.database().cursor(strata_log::schema::IDEMPOTENCY, &range).unwrap();
    let mut count = 0;
    strata_core::Cursor::seek_to_first(&mut cursor);
    while strata_core::Cursor::key(&cursor).is_some() {
        count += 1;
        strata_core::Cursor::next(&mut cursor);
    }
    count
}

#[test]
fn keys_leave_the_window_and_the_index_stays_bounded() {
    let config = LogConfig::default().idempotency_window(8);
    let store =
        LogStore::with_config(MemoryDb::new(strata_log::COLUMNS), NoVerification, config).unwrap();
    let me = Unsigned(Author([1; 32]));
    let first = store.append(&me, 0, b"a", Some([0; 32])).unwrap();
    for n in 1..5u8 {
        store.append(&me, 0, b"x", Some([n; 32])).unwrap();
    }
    let retry = store.append(&me, 0, b"a", Some([0; 32])).unwrap();
    assert!(retry.repeated, "within the window a retry returns the first append");
    assert_eq!((retry.seq, retry.hash, retry.offset), (first.seq, first.hash, first.offset));

    for n in 5..200u8 {
        store.append(&me, 0, b"x", Some([n; 32])).unwrap();
        assert!(keys_held(&store) <= 8, "the index holds at most the window's keys");
    }
    let late = store.append(&me, 0, b"a", Some([0; 32])).unwrap();
    assert!(!late.repeated, "a key older than the window is forgotten");
    assert_eq!(late.seq, 200);
    assert!(store.verify_log(&me.0, 0).unwrap().is_empty());
}

#[test]
fn a_backlog_of_expired_keys_is_trimmed_over_several_commits() {
    for durability in [Durability::Sync, Durability::Wal] {
        // 300 keys kept under a wide window; reopened with a window of 8, 292 have expired at
        // once: more than one commit trims, so later commits resume where earlier ones stopped.
        let db = Arc::new(MemoryDb::new(strata_log::COLUMNS));
        let me = Unsigned(Author([1; 32]));
        let wide = LogConfig::default().idempotency_window(1_000).durability(durability);
        let store = LogStore::with_config(Arc::clone(&db), NoVerification, wide).unwrap();
        for n in 0..300u16 {
            let key = [n.to_be_bytes(), [0; 2]].concat().repeat(8).try_into().unwrap();
            store.append(&me, 0, b"x", Some(key)).unwrap();
        }
        assert_eq!(keys_held(&store), 300);
        drop(store);

        let narrow = LogConfig::default().idempotency_window(8).durability(durability);
        let store = LogStore::with_config(Arc::clone(&db), NoVerification, narrow).unwrap();
        store.append(&me, 0, b"y", None).unwrap();
        let after_one = keys_held(&store);
        assert!(after_one < 300, "the first commit trims");
        assert!(after_one > 8, "one commit trims a bounded number, not the whole backlog");
        for _ in 0..8 {
            store.append(&me, 0, b"y", None).unwrap();
        }
        assert_eq!(keys_held(&store), 0, "the backlog is gone after a few commits");
        let again = store.append(&me, 0, b"x", Some([0; 32])).unwrap();
        assert!(!again.repeated, "a trimmed key is forgotten");
        assert!(store.verify_log(&me.0, 0).unwrap().is_empty());
    }
}
