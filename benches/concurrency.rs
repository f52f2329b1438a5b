//! Concurrency: Strata's RocksDB backend against raw RocksDB with exactly Strata's options, from
//! the same number of threads, over the same 200 000 loaded keys.
//!
//! - `synced_put`: each thread commits one new key at a time with `Durability::Sync` (raw: a
//!   one-entry `WriteBatch` written with `sync`). RocksDB merges concurrent synced writes into
//!   one log write and one `fsync` (group commit); Strata must not serialise them above it.
//! - `synced_cross_column`: the same with one key in each of four columns per commit.
//! - `get`: point reads of existing keys; `short_scan`: 10 entries from an existing key, within
//!   its context (both sides bound the iterator to the context's keys).
//!
//! Writes from 1, 4, 16 and 64 threads, reads from 1, 4 and 16. Each (workload, threads) runs
//! paired rounds: both sides run for the same window with the same threads, back to back, the
//! side going first alternating; a round's ratio is Strata's operations ÷ raw's. Prints the
//! median rates, the median ratio and the lowest and highest round's; asserts nothing. Under
//! `cargo test` it runs one short round per case to check that everything works.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rocksdb::{DB, ReadOptions, WriteBatch, WriteOptions};
use strata::rocksdb::RocksDb;
use strata::{Column, Cursor, Database, Durability, KeyRange, Transaction};
use strata_bench_support::rates::format_rate;
use strata_bench_support::{
    CROSS_COLUMNS, Dataset, SHORT_SCAN, Scale, VALUE_LEN, config, load, open_raw_same_options,
};

const STATE: Column = strata_node::STATE;
const VALUE: [u8; VALUE_LEN] = [0x5a; VALUE_LEN];

/// How a run is sized: full under `cargo bench`, a smoke run under `cargo test`.
struct Settings {
    scale: Scale,
    write_threads: &'static [usize],
    read_threads: &'static [usize],
    rounds: usize,
    window: Duration,
}

impl Settings {
    fn from_args() -> Self {
        if std::env::args().any(|arg| arg == "--bench") {
            Self {
                scale: Scale::FULL,
                write_threads: &[1, 4, 16, 64],
                read_threads: &[1, 4, 16],
                rounds: 5,
                window: Duration::from_millis(400),
            }
        } else {
            Self {
                scale: Scale::SMOKE,
                write_threads: &[1, 4],
                read_threads: &[1, 4],
                rounds: 1,
                window: Duration::from_millis(20),
            }
        }
    }
}

/// A new 64-byte key of `thread`'s: its own 32-byte context, then a counter.
fn new_key(side: u8, thread: usize, n: u64) -> Vec<u8> {
    let mut key = vec![0_u8; 64];
    key[0] = 0xfe;
    key[1] = side;
    key[2..10].copy_from_slice(&(thread as u64).to_be_bytes());
    key[32..40].copy_from_slice(&n.to_be_bytes());
    key
}

/// The context a state key belongs to: its first 32 bytes.
fn context(key: &[u8]) -> &[u8] {
    &key[..32]
}

/// One operation of a workload on one side; `n` counts the thread's operations.
trait Side: Sync {
    fn synced_put(&self, thread: usize, n: u64);
    fn synced_cross_column(&self, thread: usize, n: u64);
    fn get(&self, key: &[u8]) -> bool;
    fn short_scan(&self, from: &[u8]) -> usize;
}

impl Side for RocksDb {
    fn synced_put(&self, thread: usize, n: u64) {
        let mut transaction = Transaction::new();
        transaction.put(STATE, new_key(0, thread, n), VALUE);
        self.apply_durable(&transaction, Durability::Sync).expect("commit");
    }

    fn synced_cross_column(&self, thread: usize, n: u64) {
        let mut transaction = Transaction::new();
        for column in CROSS_COLUMNS {
            transaction.put(column, new_key(0, thread, n), VALUE);
        }
        self.apply_durable(&transaction, Durability::Sync).expect("commit");
    }

    fn get(&self, key: &[u8]) -> bool {
        Database::get(self, STATE, key).expect("get").is_some()
    }

    fn short_scan(&self, from: &[u8]) -> usize {
        let mut cursor = self.cursor(STATE, &KeyRange::prefix(context(from))).expect("cursor");
        cursor.seek(from);
        let mut read = 0;
        while read < SHORT_SCAN && cursor.item().is_some() {
            read += 1;
            cursor.next();
        }
        read
    }
}

/// Raw RocksDB and the write options Strata's synced commits use.
struct Raw {
    db: DB,
    synced: WriteOptions,
}

impl Side for Raw {
    fn synced_put(&self, thread: usize, n: u64) {
        let cf = self.db.cf_handle(STATE.name()).expect("state");
        let mut batch = WriteBatch::default();
        batch.put_cf(cf, new_key(1, thread, n), VALUE);
        self.db.write_opt(batch, &self.synced).expect("commit");
    }

    fn synced_cross_column(&self, thread: usize, n: u64) {
        let mut batch = WriteBatch::default();
        for column in CROSS_COLUMNS {
            let cf = self.db.cf_handle(column.name()).expect("a column family");
            batch.put_cf(cf, new_key(1, thread, n), VALUE);
        }
        self.db.write_opt(batch, &self.synced).expect("commit");
    }

    fn get(&self, key: &[u8]) -> bool {
        let cf = self.db.cf_handle(STATE.name()).expect("state");
        self.db.get_pinned_cf(cf, key).expect("get").is_some()
    }

    fn short_scan(&self, from: &[u8]) -> usize {
        let cf = self.db.cf_handle(STATE.name()).expect("state");
        // Bounded to `from`'s context, as Strata bounds its cursor.
        let (start, end) = KeyRange::prefix(context(from)).into_parts();
        let mut options = ReadOptions::default();
        options.set_iterate_lower_bound(start);
        if let Some(end) = end {
            options.set_iterate_upper_bound(end);
        }
        let mut iterator = self.db.raw_iterator_cf_opt(cf, options);
        iterator.seek(from);
        let mut read = 0;
        while read < SHORT_SCAN && iterator.valid() {
            read += 1;
            iterator.next();
        }
        read
    }
}

#[derive(Clone, Copy)]
enum Workload {
    SyncedPut,
    SyncedCrossColumn,
    Get,
    ShortScan,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Self::SyncedPut => "synced_put",
            Self::SyncedCrossColumn => "synced_cross_column",
            Self::Get => "get",
            Self::ShortScan => "short_scan",
        }
    }
}

/// Operations per second `side` makes with `threads` threads during `window`.
fn run(
    side: &dyn Side,
    workload: Workload,
    threads: usize,
    window: Duration,
    data: &Dataset,
) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let base = NEXT.fetch_add(1 << 32, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let (stop, done) = (&stop, &done);
            scope.spawn(move || {
                let mut n = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    let at = (thread * 7919 + n as usize) % data.hits.len();
                    match workload {
                        Workload::SyncedPut => side.synced_put(thread, base + n),
                        Workload::SyncedCrossColumn => side.synced_cross_column(thread, base + n),
                        Workload::Get => assert!(side.get(&data.hits[at])),
                        Workload::ShortScan => assert!(side.short_scan(&data.hits[at]) > 0),
                    }
                    n += 1;
                }
                done.fetch_add(n, Ordering::Relaxed);
            });
        }
        std::thread::sleep(window);
        stop.store(true, Ordering::Relaxed);
    });
    let done = u32::try_from(done.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
    f64::from(done) / started.elapsed().as_secs_f64()
}

/// Distinct key counters for every window, so no commit rewrites an earlier key.
static NEXT: AtomicU64 = AtomicU64::new(0);

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let settings = Settings::from_args();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let data = Dataset::generate(settings.scale);
    let (strata_dir, raw_dir) = (dir.path().join("strata"), dir.path().join("raw"));
    for path in [&strata_dir, &raw_dir] {
        load(&open_raw_same_options(path), &data);
    }
    let strata = RocksDb::open(&config(&strata_dir), &strata_node::COLUMNS).expect("open Strata");
    let mut synced = WriteOptions::default();
    synced.set_sync(true);
    let raw = Raw { db: open_raw_same_options(&raw_dir), synced };

    println!(
        "\n{} keys loaded; {} rounds of {:?} per case\n\n| workload | threads | Strata | raw RocksDB, Strata's options | ratio, median (lowest–highest round) |\n|---|---|---|---|---|",
        settings.scale.keys(),
        settings.rounds,
        settings.window
    );
    let cases = [
        (Workload::SyncedPut, settings.write_threads),
        (Workload::SyncedCrossColumn, settings.write_threads),
        (Workload::Get, settings.read_threads),
        (Workload::ShortScan, settings.read_threads),
    ];
    for (workload, thread_counts) in cases {
        for &threads in thread_counts {
            let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..settings.rounds {
                let one = |side: &dyn Side| run(side, workload, threads, settings.window, &data);
                let (s, r) = if round % 2 == 0 {
                    let s = one(&strata);
                    (s, one(&raw))
                } else {
                    let r = one(&raw);
                    (one(&strata), r)
                };
                ours.push(s);
                theirs.push(r);
                ratios.push(s / r);
            }
            let (low, high) = ratios
                .iter()
                .fold((f64::MAX, f64::MIN), |(low, high), r| (low.min(*r), high.max(*r)));
            println!(
                "| {} | {threads} | {} | {} | {:.2} ({low:.2}–{high:.2}) |",
                workload.name(),
                format_rate(median(ours)),
                format_rate(median(theirs)),
                median(ratios),
            );
        }
    }
}
