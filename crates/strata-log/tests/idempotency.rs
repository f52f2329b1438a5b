//! Idempotency keys are kept for a window of arrivals and then trimmed: retries within the window
//! return the first append, and the key index never grows past the window.

use strata_core::{Database, KeyRange, MemoryDb};
use strata_log::{Author, LogConfig, LogStore, NoVerification, Unsigned};

fn keys_held(store: &LogStore<MemoryDb>) -> usize {
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
