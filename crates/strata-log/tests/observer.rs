//! An observer's writes land in the same commit as the entries it saw, and an observer that fails
//! fails the whole commit: nothing of it is written.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use strata_core::{Column, Database, MemoryDb, Transaction};
use strata_log::{
    Author, Entry, LogConfig, LogError, LogStore, NoVerification, Observer, ObserverError, Unsigned,
};

const SEEN: Column = Column::new("seen");

/// Records each entry's offset and seq in its own column; refuses payloads saying "refuse".
#[derive(Default)]
struct Recorder {
    committed: AtomicU64,
    calls: Mutex<Vec<Vec<u64>>>,
}

impl Observer<Arc<MemoryDb>> for Recorder {
    fn stage(
        &self,
        _db: &Arc<MemoryDb>,
        arrived: &[(u64, &Entry)],
        transaction: &mut Transaction,
    ) -> Result<(), ObserverError> {
        self.calls.lock().unwrap().push(arrived.iter().map(|(offset, _)| *offset).collect());
        for (offset, entry) in arrived {
            if entry.payload.as_deref() == Some(b"refuse") {
                return Err(ObserverError {
                    observer: "recorder".into(),
                    offset: *offset,
                    source: "refused on purpose".into(),
                });
            }
            transaction.put(SEEN, offset.to_be_bytes(), entry.header.seq.to_be_bytes());
        }
        Ok(())
    }

    fn committed(&self, next_offset: u64) {
        self.committed.store(next_offset, Ordering::SeqCst);
    }
}

fn seen(db: &MemoryDb) -> Vec<(u64, u64)> {
    let range = strata_core::KeyRange::all();
    let mut cursor = db.cursor(SEEN, &range).unwrap();
    let mut out = Vec::new();
    strata_core::Cursor::seek_to_first(&mut cursor);
    while let Some((k, v)) = strata_core::Cursor::item(&cursor) {
        out.push((
            u64::from_be_bytes(k.try_into().unwrap()),
            u64::from_be_bytes(v.try_into().unwrap()),
        ));
        strata_core::Cursor::next(&mut cursor);
    }
    out
}

#[test]
fn observer_writes_commit_with_the_entries_and_its_failure_fails_the_commit() {
    let mut columns = strata_log::COLUMNS.to_vec();
    columns.push(SEEN);
    let db = Arc::new(MemoryDb::new(columns));
    let recorder = Arc::new(Recorder::default());
    let store = LogStore::with_observer(
        Arc::clone(&db),
        NoVerification,
        LogConfig::default(),
        Arc::clone(&recorder) as Arc<dyn Observer<Arc<MemoryDb>>>,
    )
    .unwrap();
    let me = Unsigned(Author([1; 32]));
    store.append(&me, 0, b"a", None).unwrap();
    store.append(&me, 0, b"b", None).unwrap();
    assert_eq!(seen(&db), [(0, 0), (1, 1)]);
    assert_eq!(recorder.committed.load(Ordering::SeqCst), 2);

    // A peer's batch: the observer sees all of it at once, in arrival order.
    let peer = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).unwrap();
    let them = Unsigned(Author([2; 32]));
    for payload in [&b"x"[..], b"y", b"refuse", b"z"] {
        peer.append(&them, 0, payload, None).unwrap();
    }
    let entries: Vec<Entry> =
        peer.entries(&them.0, 0, None, None).unwrap().collect::<Result<_, _>>().unwrap();
    store.insert_batch(&entries[..2]).unwrap();
    assert_eq!(recorder.calls.lock().unwrap().last().unwrap(), &[2, 3]);
    assert_eq!(seen(&db), [(0, 0), (1, 1), (2, 0), (3, 1)]);

    // The observer refuses the third: the batch is refused whole, and nothing is written.
    let refused = store.insert_batch(&entries[2..]).unwrap_err();
    match &refused {
        LogError::Observer(error) => {
            assert_eq!((error.observer.as_str(), error.offset), ("recorder", 4));
        }
        other => panic!("expected the observer's refusal, got {other:?}"),
    }
    assert!(refused.to_string().contains("refused on purpose"), "{refused}");
    assert_eq!(seen(&db), [(0, 0), (1, 1), (2, 0), (3, 1)]);
    assert_eq!(store.log_state(&them.0, 0).unwrap().unwrap().latest_seq, 1);
    assert_eq!(store.next_offset(), 4, "the refused group took no offsets");
    assert_eq!(recorder.committed.load(Ordering::SeqCst), 4);

    // Exclusive: no commit lands while it runs, and it sees the next offset.
    assert_eq!(store.exclusive(|next| next), 4);
}

#[test]
fn a_stream_skips_entries_pruned_after_it_began() {
    let store = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).unwrap();
    let me = Unsigned(Author([1; 32]));
    for n in 0..6u8 {
        store.append(&me, 0, &[n], None).unwrap();
    }
    let stream = store.stream(None).unwrap();
    assert_eq!(store.prune(&me.0, 0, 4).unwrap(), 4);
    // The walk began before the prune: the pruned entries are skipped, not reported as damage.
    let offsets: Vec<u64> = stream.map(|item| item.unwrap().0).collect();
    assert_eq!(offsets, [4, 5]);
}
