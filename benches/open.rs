//! Opening and closing at scale: Strata's `RocksDb::open` (and `open_versioned`) and dropping
//! the handle, against raw RocksDB opened with exactly Strata's options, over the same data
//! (2 million 128-byte values in `state` under `cargo bench`, a few hundred under `cargo test`).
//!
//! - **After a settled load.** Two identical directories are loaded the way a node writes (a
//!   group of contexts per table file, the newest group left in the memtable, so its write-ahead
//!   log is replayed at the next open). The first open of each — Strata on one, raw on the
//!   other — is the open after a load; then rounds alternate the two engines on the first
//!   directory, timing open and close apart.
//! - **Right after a bulk write.** Each engine loads the same data into a new directory through
//!   its own write path (batches of 1 000), is closed at once — flushes and compactions still
//!   pending — and opened again; `open_versioned` the same, then closed and opened once more.
//!
//! Prints medians and single timings; asserts nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use strata::rocksdb::RocksDb;
use strata::{Database, Transaction};
use strata_bench_support::{Dataset, Scale, config, load, open_raw_same_options};

const ROUNDS: usize = 7;

/// Two million keys: 8 000 contexts × 250.
const TWO_MILLION: Scale =
    Scale { contexts: 8_000, per_context: 250, contexts_per_flush: 400, buffered: 0 };

fn timed<T>(open: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let db = open();
    (db, started.elapsed())
}

fn open_strata(path: &Path) -> (RocksDb, Duration) {
    timed(|| RocksDb::open(&config(path), &strata_node::COLUMNS).expect("open Strata"))
}

fn open_versioned(path: &Path) -> (RocksDb, Duration) {
    timed(|| {
        RocksDb::open_versioned(&config(path), &[strata_node::SCHEMA], &[])
            .expect("open Strata, versioned")
    })
}

fn open_raw(path: &Path) -> (rocksdb::DB, Duration) {
    timed(|| open_raw_same_options(path))
}

fn close<T>(db: T) -> Duration {
    timed(|| drop(db)).1
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(time: Duration) -> String {
    format!("{:.0} ms", time.as_secs_f64() * 1e3)
}

/// Writes `data` through Strata's `apply`, in batches of 1 000.
fn write_strata(db: &RocksDb, data: &Dataset) -> Duration {
    timed(|| {
        for chunk in data.entries.chunks(1_000) {
            let mut transaction = Transaction::new();
            for (key, value) in chunk {
                transaction.put(strata_node::STATE, key, value);
            }
            db.apply(&transaction).expect("a batch");
        }
    })
    .1
}

/// Writes `data` through raw RocksDB's `write`, in batches of 1 000.
fn write_raw(db: &rocksdb::DB, data: &Dataset) -> Duration {
    let cf = db.cf_handle(strata_node::STATE.name()).expect("the state column family");
    timed(|| {
        for chunk in data.entries.chunks(1_000) {
            let mut batch = rocksdb::WriteBatch::default();
            for (key, value) in chunk {
                batch.put_cf(cf, key, value);
            }
            db.write(batch).expect("a batch");
        }
    })
    .1
}

/// The settled-load rows: the first open and close after the load, then medians of `rounds`.
fn after_settled_load(dir: &Path, data: &Dataset, rounds: usize) {
    let (first, second) = (dir.join("a"), dir.join("b"));
    for path in [&first, &second] {
        let db = open_raw_same_options(path);
        load(&db, data);
    }
    let (db, strata_first_open) = open_strata(&first);
    let strata_first_close = close(db);
    let (db, raw_first_open) = open_raw(&second);
    let raw_first_close = close(db);

    let (mut strata_open, mut strata_close, mut raw_open, mut raw_close) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut strata = || {
            let (db, open) = open_strata(&first);
            strata_open.push(open);
            strata_close.push(close(db));
        };
        let mut raw = || {
            let (db, open) = open_raw(&first);
            raw_open.push(open);
            raw_close.push(close(db));
        };
        if round % 2 == 0 {
            strata();
            raw();
        } else {
            raw();
            strata();
        }
    }
    let row = |what: &str, strata: Duration, raw: Duration| {
        println!("| {what} | {} | {} |", ms(strata), ms(raw));
    };
    row("first open after a settled load", strata_first_open, raw_first_open);
    row("its close", strata_first_close, raw_first_close);
    row(&format!("open, median of {rounds}"), median(strata_open), median(raw_open));
    row(&format!("close, median of {rounds}"), median(strata_close), median(raw_close));
}

/// The bulk-write rows: load, close at once, open again.
fn after_bulk_write(dir: &Path, data: &Dataset) {
    let (strata_dir, raw_dir, versioned_dir) = (dir.join("c"), dir.join("d"), dir.join("e"));
    let (db, _) = open_strata(&strata_dir);
    let strata_load = write_strata(&db, data);
    let strata_close = close(db);
    let (db, strata_open) = open_strata(&strata_dir);
    drop(db);

    let (db, _) = open_raw(&raw_dir);
    let raw_load = write_raw(&db, data);
    let raw_close = close(db);
    let (db, raw_open) = open_raw(&raw_dir);
    drop(db);

    let (db, _) = open_versioned(&versioned_dir);
    write_strata(&db, data);
    let versioned_close = close(db);
    let (db, versioned_open) = open_versioned(&versioned_dir);
    let versioned_close_again = close(db);
    let (db, versioned_open_again) = open_versioned(&versioned_dir);
    drop(db);

    println!("| bulk write, batches of 1 000 | {} | {} |", ms(strata_load), ms(raw_load));
    println!("| close right after | {} | {} |", ms(strata_close), ms(raw_close));
    println!("| open after that | {} | {} |", ms(strata_open), ms(raw_open));
    println!(
        "| `open_versioned`: close right after; open; close; open | {}; {}; {}; {} | - |",
        ms(versioned_close),
        ms(versioned_open),
        ms(versioned_close_again),
        ms(versioned_open_again)
    );
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let scale = if full { TWO_MILLION } else { Scale::SMOKE };
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let data = Dataset::generate(scale);
    println!("\n| {} keys | Strata | raw RocksDB, Strata's options |\n|---|---|---|", scale.keys());
    after_settled_load(dir.path(), &data, if full { ROUNDS } else { 1 });
    after_bulk_write(dir.path(), &data);
}
