//! Many threads append at once: to one shared log (every seq handed out once, the chain intact)
//! and to logs of their own; synced appends are group-committed, so one `fsync` carries many, and
//! unsynced ones are committed one by one.

use std::collections::BTreeSet;

use strata_core::Durability;
use strata_log::{Author, LogConfig, LogStore, NoVerification, Unsigned};
use strata_rocksdb::{RocksConfig, RocksDb};

const THREADS: u8 = 8;
const APPENDS: usize = 100;

/// Synced WAL writes so far, from RocksDB's cumulative statistics.
fn wal_syncs(db: &RocksDb) -> u64 {
    let stats = db.rocksdb().property_value("rocksdb.stats").unwrap().unwrap();
    let line = stats.lines().find(|line| line.starts_with("Cumulative WAL:")).unwrap();
    let (before, _) = line.split_once(" syncs").unwrap();
    let count = before.rsplit(' ').next().unwrap();
    match count.strip_suffix('K') {
        Some(thousands) => thousands.parse::<u64>().unwrap() * 1000,
        None => count.parse().unwrap(),
    }
}

#[test]
fn concurrent_appends_get_distinct_seqs_and_share_fsyncs() {
    let dir = tempfile::tempdir().unwrap();
    let db = RocksDb::open(&RocksConfig::new(dir.path()), &strata_log::COLUMNS).unwrap();
    let store = LogStore::open(db, NoVerification).unwrap();
    // First every thread appends to a log of its own: nothing serialises them but the disk.
    let before = wal_syncs(store.database());
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let store = store.clone();
            scope.spawn(move || {
                let own = Unsigned(Author([t; 32]));
                for i in 0..APPENDS {
                    store.append(&own, 0, format!("{t}:{i}").as_bytes(), None).unwrap();
                }
            });
        }
    });
    let syncs = wal_syncs(store.database()) - before;
    let appends = u64::from(THREADS) * APPENDS as u64;
    strata_testkit::report(&format!(
        "log concurrency: {appends} synced appends to {THREADS} logs from {THREADS} threads in \
         {syncs} WAL syncs ({}.{} appends per sync)",
        appends / syncs.max(1),
        appends * 10 / syncs.max(1) % 10
    ));
    assert!(syncs > 0, "the appends were synced");
    assert!(syncs < appends, "concurrent synced appends share fsyncs");
    interleaved(&store, 1);

    // The same from writers that do not sync, and so commit one by one instead of in groups.
    let dir = tempfile::tempdir().unwrap();
    let db = RocksDb::open(&RocksConfig::new(dir.path()), &strata_log::COLUMNS).unwrap();
    let config = LogConfig::default().durability(Durability::Wal);
    let store = LogStore::with_config(db, NoVerification, config).unwrap();
    interleaved(&store, 0);
}

/// Every thread appends to its own log and to one shared log, interleaved, after `earlier`
/// appends of its own (each thread's log holding `earlier × APPENDS` entries): every seq is handed
/// out once, in order per thread, chains verify and arrival offsets have no gap.
fn interleaved(store: &LogStore<RocksDb>, earlier: u64) {
    let shared = Unsigned(Author([0xaa; 32]));
    let seqs: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = store.clone();
                scope.spawn(move || {
                    let own = Unsigned(Author([t; 32]));
                    let mut shared_seqs = Vec::new();
                    for i in 0..APPENDS {
                        let payload = format!("{t}:{i}");
                        store.append(&own, 0, payload.as_bytes(), None).unwrap();
                        let appended = store.append(&shared, 0, payload.as_bytes(), None).unwrap();
                        shared_seqs.push(appended.seq);
                    }
                    shared_seqs
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let all: BTreeSet<u64> = seqs.iter().flatten().copied().collect();
    let total = usize::from(THREADS) * APPENDS;
    assert_eq!(all.len(), total, "no seq of the shared log was handed out twice");
    assert_eq!(all.iter().copied().collect::<Vec<_>>(), (0..total as u64).collect::<Vec<_>>());
    for thread_seqs in &seqs {
        assert!(thread_seqs.windows(2).all(|w| w[0] < w[1]), "each thread's appends in order");
    }
    assert!(store.verify_log(&shared.0, 0).unwrap().is_empty());
    for t in 0..THREADS {
        let state = store.log_state(&Author([t; 32]), 0).unwrap().unwrap();
        assert_eq!(state.count, (earlier + 1) * APPENDS as u64);
        assert!(store.verify_log(&Author([t; 32]), 0).unwrap().is_empty());
    }
    let offsets: Vec<u64> = store.stream(None).unwrap().map(|item| item.unwrap().0).collect();
    let expected = (earlier + 2) * total as u64;
    assert_eq!(offsets, (0..expected).collect::<Vec<_>>(), "gapless arrival order");
}
