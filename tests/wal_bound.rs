//! The write-ahead log stays bounded when a column is written rarely. RocksDB keeps a log file
//! until every column with data in it has been flushed, so one write to a cold column pins the
//! log while a hot column keeps writing — without a bound, the log grows with everything written
//! (a production report against a peer engine). `RocksConfig::max_total_wal_bytes` bounds it:
//! after one write to a cold column, 96 MiB written to a hot one at a sustained 100 MiB/s leave the
//! log directory within a small multiple of a 4 MiB bound (past the bound RocksDB flushes the
//! columns holding the oldest log file, in the background, so the log overshoots by what is
//! written while those flushes run); nothing is lost on reopen. The same run without the bound
//! keeps every byte in the log, so the test can tell the two apart.

use std::path::Path;

use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, Transaction};

const COLD: Column = Column::new("cold");
const HOT: Column = Column::new("hot");
const BOUND: u64 = 4 << 20;
const BATCHES: u32 = 96;
const PER_BATCH: u32 = 1024;

/// Bytes of write-ahead log files in `dir` (`NNNNNN.log`; RocksDB's info log is `LOG`).
fn wal_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("the database directory")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".log"))
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// Writes one key to the cold column, then `BATCHES` MiB to the hot one; the largest log size
/// seen after any batch. Reopens and checks that every key is there.
fn run(config: &RocksConfig) -> u64 {
    let db = RocksDb::open(config, &[COLD, HOT]).expect("open");
    db.put(COLD, b"pinned", b"once").expect("a cold write");
    let value = vec![7u8; 1024];
    let mut largest = 0;
    for batch in 0..BATCHES {
        let mut transaction = Transaction::new();
        for n in 0..PER_BATCH {
            transaction.put(HOT, (batch * PER_BATCH + n).to_be_bytes(), &value);
        }
        db.apply(&transaction).expect("a hot batch");
        largest = largest.max(wal_bytes(config.path()));
        // Sustained, not a burst: about 100 MiB/s, which background flushes keep up with (at
        // full speed the log overshoots by whatever is written while a flush runs).
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(db);
    let db = RocksDb::open(config, &[COLD, HOT]).expect("reopen");
    assert_eq!(db.get(COLD, b"pinned").expect("read").as_deref(), Some(&b"once"[..]));
    for key in [0, BATCHES * PER_BATCH / 2, BATCHES * PER_BATCH - 1] {
        assert_eq!(db.get(HOT, &key.to_be_bytes()).expect("read").as_deref(), Some(&value[..]));
    }
    largest
}

#[test]
fn a_cold_column_does_not_let_the_write_ahead_log_grow_without_bound() {
    let bounded_dir = tempfile::tempdir().expect("a temporary directory");
    let bounded = run(&RocksConfig::new(bounded_dir.path()).max_total_wal_bytes(BOUND));
    let unbounded_dir = tempfile::tempdir().expect("a temporary directory");
    let unbounded = run(&RocksConfig::new(unbounded_dir.path()).max_total_wal_bytes(0));
    strata_testkit::report(&format!(
        "WAL bound: {} MiB written after one cold write; largest log {} KiB with a {} MiB bound, \
         {} KiB without",
        BATCHES,
        bounded >> 10,
        BOUND >> 20,
        unbounded >> 10,
    ));
    assert!(bounded <= 3 * BOUND, "the log reached {bounded} bytes with a bound of {BOUND}");
    assert!(unbounded > 20 * BOUND, "without the bound the log should grow: {unbounded} bytes");
}

/// Strata's registry (RocksDB's `default` family) is flushed when it is written, so it pins no
/// log: once the only column written is flushed, its log files go. Unflushed, the registry's
/// records would keep every log file since the database was created, up to the bound.
#[test]
fn the_registry_pins_no_log() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open(&config, &[HOT]).expect("open");
    let value = vec![7u8; 1024];
    let mut transaction = Transaction::new();
    for n in 0..2048_u32 {
        transaction.put(HOT, n.to_be_bytes(), &value);
    }
    db.apply(&transaction).expect("2 MiB to one column");
    assert!(wal_bytes(dir.path()) >= 2 << 20, "the writes are in the log");
    let hot = db.rocksdb().cf_handle(HOT.name()).expect("the column's family");
    db.rocksdb().flush_cf(hot).expect("flush the column");
    let left = wal_bytes(dir.path());
    assert!(left < 64 << 10, "{left} bytes of log left after flushing the only column written");
}
