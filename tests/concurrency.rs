//! Concurrency: many threads committing, reading and iterating one database at once.
//!
//! Writers move money between accounts, each transfer one atomic transaction (two balances and
//! a log entry), half of them committed through a `Temporal` layer. Each writer owns its own
//! accounts, so the total of all balances is the same at every point in time — and therefore in
//! every snapshot. Scanners iterate all accounts, forward and backward, and must always see that
//! total; point readers must always read whole balances. At the end every acknowledged transfer
//! is in the log. A watchdog fails the test instead of letting a deadlock hang it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::{Column, Database, MemoryDb, ReadLayer, Store, Temporal, Transaction};
use strata_testkit::RocksHarness;

const ACCOUNTS: Column = Column::new("accounts");
const LOG: Column = Column::new("log");
const WRITERS: u64 = 4;
const PER_WRITER: u64 = 16;
const START_BALANCE: i64 = 1_000;
const ACCOUNT_COUNT: u64 = WRITERS * PER_WRITER;
const TOTAL: i64 = START_BALANCE * ACCOUNT_COUNT.cast_signed();

fn account(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn balance(bytes: &[u8]) -> i64 {
    i64::from_be_bytes(bytes.try_into().expect("a balance is 8 bytes"))
}

fn duration() -> Duration {
    let millis = std::env::var("STRATA_CONCURRENCY_MILLIS").ok().and_then(|m| m.parse().ok());
    Duration::from_millis(millis.unwrap_or(2_000))
}

/// Counts of what the threads did, for the report.
#[derive(Default)]
struct Counts {
    transfers: AtomicU64,
    scans: AtomicU64,
    reads: AtomicU64,
}

fn writer<D: Database>(db: &D, id: u64, stop: &AtomicBool, counts: &Counts) -> u64 {
    let mut rng = StdRng::seed_from_u64(id);
    let mut store = Store::new(db);
    let mut done = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        let from = id * PER_WRITER + rng.random_range(0..PER_WRITER);
        let to = id * PER_WRITER + rng.random_range(0..PER_WRITER);
        if from == to {
            continue;
        }
        let read = |n| balance(&store.get(ACCOUNTS, &account(n)).expect("read").expect("exists"));
        let amount = rng.random_range(1..50);
        let mut tx = Transaction::new();
        tx.put(ACCOUNTS, account(from), (read(from) - amount).to_be_bytes());
        tx.put(ACCOUNTS, account(to), (read(to) + amount).to_be_bytes());
        tx.put(LOG, [id.to_be_bytes(), done.to_be_bytes()].concat(), amount.to_be_bytes());
        if done.is_multiple_of(2) {
            strata::WriteLayer::apply(&mut store, &tx).expect("commit");
        } else {
            let mut call = Temporal::new(&mut store);
            strata::WriteLayer::apply(&mut call, &tx).expect("buffer");
            call.commit().expect("commit through Temporal");
        }
        done += 1;
        counts.transfers.fetch_add(1, Ordering::Relaxed);
    }
    done
}

fn scanner<D: Database>(db: &D, reverse: bool, stop: &AtomicBool, counts: &Counts) {
    let store = Store::new(db);
    while !stop.load(Ordering::Relaxed) {
        let iter = store.iter(ACCOUNTS, ..).expect("iterate");
        let items: Vec<_> = if reverse { iter.rev().collect() } else { iter.collect() };
        let mut total = 0;
        for item in &items {
            let (_, value) = item.as_ref().expect("read an entry");
            total += balance(value);
        }
        assert_eq!(items.len() as u64, WRITERS * PER_WRITER, "a scan lost or gained accounts");
        assert_eq!(total, TOTAL, "a scan saw a transfer half done: not one point in time");
        counts.scans.fetch_add(1, Ordering::Relaxed);
    }
}

fn reader<D: Database>(db: &D, seed: u64, stop: &AtomicBool, counts: &Counts) {
    let mut rng = StdRng::seed_from_u64(seed);
    while !stop.load(Ordering::Relaxed) {
        let keys: Vec<[u8; 8]> =
            (0..8).map(|_| account(rng.random_range(0..WRITERS * PER_WRITER))).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        for value in db.get_many(ACCOUNTS, &refs).expect("get_many") {
            let value = value.expect("every account exists");
            assert_eq!(value.len(), 8, "a torn balance");
        }
        assert!(db.has(ACCOUNTS, &keys[0]).expect("has"));
        counts.reads.fetch_add(1, Ordering::Relaxed);
    }
}

fn hammer<D: Database + 'static>(backend: &str, db: D) {
    let db = Arc::new(db);
    let mut setup = Transaction::new();
    for n in 0..WRITERS * PER_WRITER {
        setup.put(ACCOUNTS, account(n), START_BALANCE.to_be_bytes());
    }
    db.apply(&setup).expect("create the accounts");

    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let (done_tx, done_rx) = mpsc::channel();
    let mut handles = Vec::new();
    for id in 0..WRITERS {
        let (db, stop, counts, done) = (db.clone(), stop.clone(), counts.clone(), done_tx.clone());
        handles.push(std::thread::spawn(move || {
            let transfers = writer(&*db, id, &stop, &counts);
            done.send(()).expect("report");
            (id, transfers)
        }));
    }
    for (n, reverse) in [(0, false), (1, true), (2, false), (3, true)] {
        let (db, stop, counts, done) = (db.clone(), stop.clone(), counts.clone(), done_tx.clone());
        handles.push(std::thread::spawn(move || {
            if n < 2 {
                scanner(&*db, reverse, &stop, &counts);
            } else {
                reader(&*db, n, &stop, &counts);
            }
            done.send(()).expect("report");
            (u64::MAX, 0)
        }));
    }
    drop(done_tx);

    let started = Instant::now();
    std::thread::sleep(duration());
    stop.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..handles.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(()) => {}
            // A thread that panicked drops its sender without reporting; join shows the panic.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("threads still running 60 s after stop: deadlock")
            }
        }
    }
    let mut acknowledged = vec![0; WRITERS as usize];
    for handle in handles {
        let (id, transfers) = handle.join().expect("no thread panics");
        if id != u64::MAX {
            acknowledged[id as usize] = transfers;
        }
    }

    let store = Store::new(&*db);
    let total: i64 = store
        .iter(ACCOUNTS, ..)
        .expect("iterate")
        .map(|item| balance(&item.expect("read").1))
        .sum();
    assert_eq!(total, TOTAL);
    for (id, transfers) in acknowledged.iter().enumerate() {
        let logged = store.iter_prefix(LOG, &(id as u64).to_be_bytes()).expect("iterate").count();
        assert_eq!(logged as u64, *transfers, "writer {id}: every acknowledged transfer is logged");
    }
    strata_testkit::report(&format!(
        "{backend}, {:.1?}: {} transfers, {} consistent full scans, {} batched reads, no torn read",
        started.elapsed(),
        counts.transfers.load(Ordering::Relaxed),
        counts.scans.load(Ordering::Relaxed),
        counts.reads.load(Ordering::Relaxed)
    ));
}

#[test]
fn rocksdb_threads_commit_read_and_iterate_at_once() {
    let mut harness = RocksHarness::new();
    hammer("RocksDB", strata_testkit::Harness::open(&mut harness, &[ACCOUNTS, LOG]));
}

#[test]
fn memory_threads_commit_read_and_iterate_at_once() {
    hammer("in-memory", MemoryDb::new([ACCOUNTS, LOG]));
}
