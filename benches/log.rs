//! Strata's log store (`strata_log::LogStore<RocksDb>`) against raw RocksDB, side by side in one
//! process on one disk.
//!
//! Every database is opened with Strata's benchmark configuration (`RocksConfig::new`): the
//! log store through `RocksDb::open` with `strata_log::COLUMNS`, raw `rocksdb` with exactly the
//! options that gives (`RocksConfig::rocksdb_options`). All of them live in temporary directories
//! under Cargo's `CARGO_TARGET_TMPDIR` (`target/tmp`), so they share the target directory's
//! filesystem.
//!
//! Local appends are signed by `strata_log::Unsigned` (an empty signature), so that signing is
//! not what is measured; one function of `append_sync_1_thread` signs with ed25519 instead. Each
//! append carries a 256-byte payload and no idempotency key. The raw sides are what a careful
//! user of `rocksdb` would write instead of the log store:
//!
//! - `rocksdb`: **one write per append of the same bytes** — one key (the entry's 48-byte
//!   position) whose value is as long as the stored header (arrival offset included) plus the
//!   payload. This is the baseline of every target.
//! - `rocksdb_strata_keys`: the keys and values Strata's append writes (payload, hash index, log
//!   state, header, arrival, arrival counter: 6 keys in 6 column families) as one write batch, and
//!   nothing else (no reads, no hashing): what the log store's layout costs RocksDB by itself.
//!
//! | group | one element |
//! |---|---|
//! | `append_sync_{1,4,16,64}_thread(s)` | one durable append (`Durability::Sync`, the default; raw: `WriteOptions::set_sync(true)`), from 1, 4, 16 or 64 threads at once, each appending to a log of its own author |
//! | `append_wal_{1,4}_thread(s)` | the same with `Durability::Wal` (raw: `set_sync(false)`): in the WAL, not synced |
//! | `range_1k` | one entry of `entries(author, log, after, None).take(1000)` over a 10 000-entry log (raw: the same range of one-key entries; `rocksdb_strata_keys`: the headers' range in Strata's own database and a point read of each payload) |
//! | `heights_10k` | one author of `heights(&authors)` over 10 000 authors with one log each (raw: one iterator over Strata's own `log_logs` column, seeking to each author's prefix) |
//! | `insert_batch_10k` | one entry of `insert_batch` of 10 000 entries of one log from a peer, into a fresh store, synced (raw: one synced write batch of the same entries) |
//!
//! The peer's entries are built beforehand in a `MemoryDb`-backed log store: signed by `Unsigned`
//! and inserted into a store opened with `NoVerification` (`strata`), or signed by ed25519 and
//! verified with `Ed25519` (`strata_ed25519`). Reads run after a flush, on table files.
//!
//! ## Views
//!
//! Views (`strata_views`) are measured against the log store without them, both on RocksDB opened
//! with the log's, the view registry's and the built-in views' columns (`strata_log::COLUMNS`,
//! `strata_views::COLUMNS`, `strata_views::builtin::COLUMNS`), with the same options:
//!
//! | group | one element |
//! |---|---|
//! | `append_view_sync_{1,16}_thread(s)` | one synced append, as in `append_sync_*`, to a log store keeping `builtin::EntryCounts` in step (`strata_view`: updated in every commit; opened without the background worker and caught up before timing, so the view is attached) against one without views (`strata`) |
//! | `rebuild_10k` | one entry of a rebuild of `EntryCounts` (kept behind, no worker) over a 10 000-entry log of 64 authors, one log each, appended in turn: `rebuild("entry_counts")` then `catch_up()` (`rebuild`), against one entry of a `stream(None)` walk of the same log reading every entry (`stream`) |
//!
//! Then, outside criterion's timing (`view_lag`, run when no filter is given or the filter, read
//! as plain text with `|` between alternatives, occurs in `view_lag`): `EntryCounts` kept behind
//! by the background worker while 1 and then 16 threads append synced, as fast as they go, for
//! three seconds. The main thread samples `lag("entry_counts")` every millisecond meanwhile;
//! then each thread times `wait_for` of its last append.
//!
//! ## Output
//!
//! Every group's throughput is in elements, so a ratio of throughputs is a ratio per append,
//! entry or author. After criterion's own report the benchmark prints the ratio tables of
//! `docs/performance.md`: per side the median of criterion's measured samples, Strata ÷ raw (with
//! the view ÷ without), the targets, and for the append groups how many appends each WAL sync
//! carried on each side (RocksDB's own count, `rocksdb.stats`); then the lag figures: median,
//! 99th percentile and largest lag sampled, in entries, and the longest `wait_for`.
//!
//! ```sh
//! cargo bench --bench log
//! cargo bench --bench log -- append_sync   # only the groups whose names contain `append_sync`
//! cargo bench --bench log -- 'append_view|rebuild|view_lag'   # only the views' part
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) criterion runs every function once,
//! at smoke scale (logs of 200 entries, 100 authors, batches of 100, 20 ms of appends for the
//! lag), and no table is printed.

#![expect(clippy::cast_precision_loss, reason = "throughputs and ratios are shown as floats")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocksdb::{ColumnFamily, DB, ReadOptions, WriteBatch, WriteOptions};
use strata::rocksdb::RocksDb;
use strata::{AsKeyParts, Durability, MemoryDb};
use strata_bench_support::rates::{Rates, format_rate};
use strata_log::schema::{
    ARRIVALS, ArrivalKey, Counter, EntryKey, HASHES, HEADERS, HashKey, LOG_META, LOGS, Location,
    LogKey, LogState, PAYLOADS, PayloadKey,
};
use strata_log::{
    Author, Ed25519, Ed25519Signer, Entry, LogConfig, LogStore, NoVerification, Signer, Unsigned,
};
use strata_views::builtin::{self, EntryCounts};
use strata_views::{Phase, Views, ViewsBuilder};
use tempfile::TempDir;

/// Bytes of every appended payload: a typical peer-to-peer operation.
const PAYLOAD: usize = 256;
/// Thread counts of the synced append groups.
const SYNC_THREADS: [usize; 4] = [1, 4, 16, 64];
/// Thread counts of the unsynced append groups.
const WAL_THREADS: [usize; 2] = [1, 4];
/// Thread counts of the synced append groups with a view kept in step.
const VIEW_THREADS: [usize; 2] = [1, 16];
/// Thread counts of the lag measurement of a view kept behind.
const LAG_THREADS: [usize; 2] = [1, 16];
/// Seconds of appends per lag measurement (under `cargo bench`).
const LAG_SECONDS: u64 = 3;
/// How often the lag is sampled while threads append.
const LAG_EVERY: Duration = Duration::from_millis(1);
/// Criterion samples per function (criterion's minimum); the ratio table reads the last this many
/// samples each function recorded, which are the measured ones (warm-up comes first).
const SAMPLES: usize = 10;
/// The seed of every author, payload and key.
const SEED: u64 = 0x4c4f_4753_5452_4154;
/// The key of the log store's arrival counter in `log_meta` (`LogMetaKey { counter: 0 }`), which
/// the raw side writes as Strata does.
const COUNTER_KEY: [u8; 1] = [0];

/// The log store as this benchmark opens it.
type Store = LogStore<RocksDb>;
/// A log store with views, as this benchmark opens it.
type ViewStore = Views<RocksDb>;

/// How much data a run uses.
#[derive(Clone, Copy)]
struct Scale {
    /// Entries of the log read by `range_1k`.
    log: usize,
    /// Entries per range read.
    range: usize,
    /// Authors of `heights_10k`.
    authors: usize,
    /// Entries per inserted batch.
    batch: usize,
    /// Whether this is a measured run (`cargo bench`) rather than `cargo test`'s single pass.
    full: bool,
}

impl Scale {
    /// The full scale under `cargo bench` (which passes `--bench`), the smoke scale otherwise.
    fn from_args() -> Self {
        if std::env::args().any(|arg| arg == "--bench") {
            Self { log: 10_000, range: 1000, authors: 10_000, batch: 10_000, full: true }
        } else {
            Self { log: 200, range: 100, authors: 100, batch: 100, full: false }
        }
    }
}

/// Authors and payloads, generated from [`SEED`].
struct Data {
    /// One unsigned author per appending thread.
    unsigned: Vec<Unsigned>,
    /// One ed25519 author per appending thread.
    ed25519: Vec<Ed25519Signer>,
    /// Payloads the appends cycle through.
    payloads: Vec<Vec<u8>>,
    /// The raw side's values: as long as a stored header (with its arrival offset) plus the
    /// payload, one per payload.
    raw_values: Vec<Vec<u8>>,
}

/// `len` random bytes.
fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rng.fill(&mut bytes[..]);
    bytes
}

/// The length of the value Strata stores in `log_headers` for an unsigned entry past seq 0
/// (arrival offset, then the header), measured on a memory-backed store.
fn stored_header_len(payload: &[u8]) -> usize {
    let store =
        LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).expect("a log store");
    let signer = Unsigned(Author([1; 32]));
    store.append(&signer, 0, payload, None).expect("append");
    store.append(&signer, 0, payload, None).expect("append");
    let entry = store.entry(&signer.0, 0, 1).expect("read").expect("the entry");
    8 + entry.header.to_bytes().len()
}

impl Data {
    /// Authors for every thread and 64 payloads, from [`SEED`].
    fn generate() -> Self {
        let mut rng = StdRng::seed_from_u64(SEED);
        let threads = SYNC_THREADS.into_iter().chain(WAL_THREADS).max().unwrap_or(1);
        let unsigned = (0..threads).map(|_| Unsigned(Author(rng.random()))).collect();
        let ed25519 = (0..threads).map(|_| Ed25519Signer::from_secret(&rng.random())).collect();
        let payloads: Vec<_> = (0..64).map(|_| random_bytes(&mut rng, PAYLOAD)).collect();
        let header = stored_header_len(&payloads[0]);
        let raw_values = payloads
            .iter()
            .map(|payload| [random_bytes(&mut rng, header), payload.clone()].concat())
            .collect();
        Self { unsigned, ed25519, payloads, raw_values }
    }
}

/// The throughputs each benchmark recorded, for the ratio table.
static RECORDED: Rates = Rates::new();

/// Appends per WAL sync of each side of each append group, by `group/side`, for the ratio
/// tables.
static PER_SYNC: Mutex<BTreeMap<String, f64>> = Mutex::new(BTreeMap::new());

/// Runs `routine` as criterion's timing loop for `group/name`, recording each sample's
/// throughput (see [`Rates::bench`]).
fn bench(
    group: &mut BenchmarkGroup<'_, WallTime>,
    group_name: &str,
    name: &str,
    elements: u64,
    routine: impl FnMut(u64) -> Duration,
) {
    RECORDED.bench(group, group_name, name, elements, routine);
}

/// A new temporary directory on the target directory's filesystem.
fn temp_dir() -> TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory")
}

/// Opens a log store at `path` with `config`, checking peers' entries with `verifier`.
fn open_store(
    path: &Path,
    verifier: impl strata_log::Verifier + 'static,
    config: LogConfig,
) -> Store {
    let db = RocksDb::open(&strata_bench_support::config(path), &strata_log::COLUMNS)
        .expect("open RocksDB");
    LogStore::with_config(db, verifier, config).expect("open the log store")
}

/// Opens raw RocksDB at `path` with exactly the options the log store's database gets.
fn open_raw(path: &Path) -> DB {
    let (options, descriptors) =
        strata_bench_support::config(path).rocksdb_options(strata_log::COLUMNS);
    DB::open_cf_descriptors(&options.db, path, descriptors).expect("open raw RocksDB")
}

/// The column family of `column` in `db`.
fn cf(db: &DB, column: strata::Column) -> &ColumnFamily {
    db.cf_handle(column.name()).expect("a log store column family")
}

/// Waits until `db` has no flush or compaction pending or running, so that the next function
/// measured is not timed against it.
fn settle(db: &DB) {
    strata_bench_support::settle(db, cf(db, HEADERS));
}

/// Waits until `db` has no background work, after flushing every column family.
fn flush_and_settle(db: &DB) {
    for column in strata_log::COLUMNS {
        db.flush_cf(cf(db, column)).expect("flush");
    }
    settle(db);
}

/// WAL writes and syncs of `db` since the previous call, from RocksDB's `rocksdb.stats` (whose
/// "interval" figures restart at every read). RocksDB prints counts of 10 000 and more in
/// thousands (`12K`), so they are exact to 0.1–10 %.
fn wal_interval(db: &DB) -> Option<(f64, f64)> {
    let stats = db.property_value("rocksdb.stats").ok()??;
    let line = stats.lines().find(|line| line.starts_with("Interval WAL:"))?;
    let count = |text: &str| -> Option<f64> {
        let text = text.trim();
        let (digits, scale) = match text.as_bytes().last()? {
            b'K' => (&text[..text.len() - 1], 1e3),
            b'M' => (&text[..text.len() - 1], 1e6),
            b'G' => (&text[..text.len() - 1], 1e9),
            _ => (text, 1.0),
        };
        digits.parse::<f64>().ok().map(|n| n * scale)
    };
    let rest = line.strip_prefix("Interval WAL:")?;
    let (writes, rest) = rest.split_once(" writes,")?;
    let (syncs, _) = rest.split_once(" syncs,")?;
    Some((count(writes)?, count(syncs)?))
}

/// One way of appending to per-thread logs.
trait Appender: Sync {
    /// One append to `thread`'s log.
    fn append(&self, thread: usize);
    /// How many appends were made so far.
    fn appended(&self) -> u64;
    /// The database written.
    fn db(&self) -> &DB;
}

/// The next seq of each thread's log on a raw side (each thread touches only its own).
fn counters(threads: usize) -> Vec<AtomicU64> {
    (0..threads).map(|_| AtomicU64::new(0)).collect()
}

/// The total of a side's per-thread counters.
fn total(counters: &[AtomicU64]) -> u64 {
    counters.iter().map(|n| n.load(Ordering::Relaxed)).sum()
}

/// The log store: `LogStore::append` of a payload to log 0 of the thread's author.
struct StrataAppender<'a> {
    store: &'a Store,
    signers: Vec<&'a dyn Signer>,
    payloads: &'a [Vec<u8>],
    next: Vec<AtomicU64>,
}

impl<'a> StrataAppender<'a> {
    /// Appends by `signers[thread]` to `store`.
    fn new(store: &'a Store, signers: Vec<&'a dyn Signer>, data: &'a Data) -> Self {
        let next = counters(signers.len());
        Self { store, signers, payloads: &data.payloads, next }
    }
}

impl Appender for StrataAppender<'_> {
    fn append(&self, thread: usize) {
        let n = self.next[thread].fetch_add(1, Ordering::Relaxed) as usize;
        let payload = &self.payloads[n % self.payloads.len()];
        self.store.append(self.signers[thread], 0, payload, None).expect("append");
    }

    fn appended(&self) -> u64 {
        total(&self.next)
    }

    fn db(&self) -> &DB {
        self.store.database().rocksdb()
    }
}

/// Raw RocksDB, one write per append: the entry's position → a value as long as Strata's stored
/// header and the payload.
struct RawAppender<'a> {
    db: &'a DB,
    headers: &'a ColumnFamily,
    options: WriteOptions,
    authors: Vec<Author>,
    values: &'a [Vec<u8>],
    next: Vec<AtomicU64>,
}

impl<'a> RawAppender<'a> {
    /// Writes to `db`, synced if `sync`, under the unsigned authors' positions.
    fn new(db: &'a DB, sync: bool, data: &'a Data) -> Self {
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        let authors: Vec<Author> = data.unsigned.iter().map(|signer| signer.0).collect();
        let next = counters(authors.len());
        Self { db, headers: cf(db, HEADERS), options, authors, values: &data.raw_values, next }
    }
}

impl Appender for RawAppender<'_> {
    fn append(&self, thread: usize) {
        let seq = self.next[thread].fetch_add(1, Ordering::Relaxed);
        let key = EntryKey { author: self.authors[thread], log_id: 0, seq }.as_key();
        let value = &self.values[seq as usize % self.values.len()];
        self.db.put_cf_opt(self.headers, key.as_bytes(), value, &self.options).expect("put");
    }

    fn appended(&self) -> u64 {
        total(&self.next)
    }

    fn db(&self) -> &DB {
        self.db
    }
}

/// Raw RocksDB writing what Strata's append writes, as one batch per append: payload, hash
/// index, log state, header (arrival offset in front), arrival and the arrival counter.
struct RawStrataKeys<'a> {
    db: &'a DB,
    /// Payloads, hashes, logs, headers, arrivals and meta, in that order.
    cfs: [&'a ColumnFamily; 6],
    options: WriteOptions,
    authors: Vec<Author>,
    payloads: &'a [Vec<u8>],
    /// A stored header's length (arrival offset included).
    header: Vec<u8>,
    next: Vec<AtomicU64>,
    /// The next arrival offset.
    offset: AtomicU64,
}

impl<'a> RawStrataKeys<'a> {
    /// Writes to `db`, synced if `sync`, under the unsigned authors' keys.
    fn new(db: &'a DB, sync: bool, data: &'a Data) -> Self {
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        let cfs =
            [PAYLOADS, HASHES, LOGS, HEADERS, ARRIVALS, LOG_META].map(|column| cf(db, column));
        let authors: Vec<Author> = data.unsigned.iter().map(|signer| signer.0).collect();
        let header = data.raw_values[0][..data.raw_values[0].len() - PAYLOAD].to_vec();
        let next = counters(authors.len());
        Self {
            db,
            cfs,
            options,
            authors,
            payloads: &data.payloads,
            header,
            next,
            offset: AtomicU64::new(0),
        }
    }
}

/// Borsh bytes of a value type of the log store's schema.
fn borsh(value: &impl strata::borsh::BorshSerialize) -> Vec<u8> {
    strata::borsh::to_vec(value).expect("serialise")
}

impl Appender for RawStrataKeys<'_> {
    fn append(&self, thread: usize) {
        let seq = self.next[thread].fetch_add(1, Ordering::Relaxed);
        let offset = self.offset.fetch_add(1, Ordering::Relaxed);
        let author = self.authors[thread];
        let payload = &self.payloads[seq as usize % self.payloads.len()];
        let mut hash = author.0;
        hash[..8].copy_from_slice(&seq.to_be_bytes());
        let location = borsh(&Location { author: author.0, log_id: 0, seq });
        let state = LogState {
            first_seq: 0,
            latest_seq: seq,
            latest_hash: hash,
            count: seq + 1,
            bytes: (seq + 1) * (self.header.len() + PAYLOAD) as u64,
        };
        let [payloads, hashes, logs, headers, arrivals, meta] = self.cfs;
        let mut batch = WriteBatch::with_capacity_bytes(1024);
        batch.put_cf(payloads, PayloadKey { author, log_id: 0, seq }.as_key().as_bytes(), payload);
        batch.put_cf(
            hashes,
            HashKey { hash: strata_log::Hash(hash) }.as_key().as_bytes(),
            &location,
        );
        batch.put_cf(logs, LogKey { author, log_id: 0 }.as_key().as_bytes(), borsh(&state));
        batch.put_cf(
            headers,
            EntryKey { author, log_id: 0, seq }.as_key().as_bytes(),
            &self.header,
        );
        batch.put_cf(arrivals, ArrivalKey { offset }.as_key().as_bytes(), &location);
        batch.put_cf(meta, COUNTER_KEY, borsh(&Counter(offset + 1)));
        self.db.write_opt(batch, &self.options).expect("write");
    }

    fn appended(&self) -> u64 {
        total(&self.next)
    }

    fn db(&self) -> &DB {
        self.db
    }
}

/// `threads` threads, each making `iters` appends to its own log; timed from the moment all of
/// them are ready until the last is done.
fn append_threads(appender: &dyn Appender, threads: usize, iters: u64) -> Duration {
    let ready = Barrier::new(threads + 1);
    let start = std::thread::scope(|scope| {
        for thread in 0..threads {
            let ready = &ready;
            scope.spawn(move || {
                ready.wait();
                for _ in 0..iters {
                    appender.append(thread);
                }
            });
        }
        ready.wait();
        Instant::now()
    });
    start.elapsed()
}

/// The append groups of one durability: each thread count against every side, noting appends
/// per WAL sync and letting each database's background work finish before the next function.
fn append_groups(
    c: &mut Criterion,
    prefix: &str,
    thread_counts: &[usize],
    sides: &[(&str, &dyn Appender)],
) {
    for &threads in thread_counts {
        let name = format!("{prefix}_{threads}_thread{}", if threads == 1 { "" } else { "s" });
        let mut group = c.benchmark_group(&name);
        group.throughput(Throughput::Elements(threads as u64)).sampling_mode(SamplingMode::Flat);
        for &(side, appender) in sides {
            // The ed25519 signer is measured from one thread only.
            if side.ends_with("ed25519") && threads > 1 {
                continue;
            }
            wal_interval(appender.db());
            let before = appender.appended();
            bench(&mut group, &name, side, threads as u64, |iters| {
                append_threads(appender, threads, iters)
            });
            let appended = (appender.appended() - before) as f64;
            if let Some((_, syncs)) = wal_interval(appender.db()).filter(|&(_, s)| s > 0.0) {
                PER_SYNC
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(format!("{name}/{side}"), appended / syncs);
            }
            settle(appender.db());
        }
        group.finish();
    }
}

/// Synced appends (the log store's default durability) from 1 to 64 threads, unsigned and (from
/// one thread) ed25519-signed, against raw synced writes.
fn sync_groups(c: &mut Criterion, data: &Data) {
    let dir = temp_dir();
    let store = open_store(&dir.path().join("strata"), NoVerification, LogConfig::default());
    let raw = open_raw(&dir.path().join("rocksdb"));
    let raw_keys = open_raw(&dir.path().join("rocksdb_strata_keys"));
    let unsigned = data.unsigned.iter().map(|s| s as &dyn Signer).collect();
    let ed25519 = data.ed25519.iter().map(|s| s as &dyn Signer).collect();
    let strata = StrataAppender::new(&store, unsigned, data);
    let strata_ed25519 = StrataAppender::new(&store, ed25519, data);
    let rocksdb = RawAppender::new(&raw, true, data);
    let rocksdb_keys = RawStrataKeys::new(&raw_keys, true, data);
    let sides: [(&str, &dyn Appender); 4] = [
        ("strata", &strata),
        ("strata_ed25519", &strata_ed25519),
        ("rocksdb", &rocksdb),
        ("rocksdb_strata_keys", &rocksdb_keys),
    ];
    append_groups(c, "append_sync", &SYNC_THREADS, &sides);
}

/// Unsynced appends (`Durability::Wal`) against raw unsynced writes.
fn wal_groups(c: &mut Criterion, data: &Data) {
    let dir = temp_dir();
    let config = LogConfig::default().durability(Durability::Wal);
    let store = open_store(&dir.path().join("strata"), NoVerification, config);
    let raw = open_raw(&dir.path().join("rocksdb"));
    let raw_keys = open_raw(&dir.path().join("rocksdb_strata_keys"));
    let unsigned = data.unsigned.iter().map(|s| s as &dyn Signer).collect();
    let strata = StrataAppender::new(&store, unsigned, data);
    let rocksdb = RawAppender::new(&raw, false, data);
    let rocksdb_keys = RawStrataKeys::new(&raw_keys, false, data);
    let sides: [(&str, &dyn Appender); 3] =
        [("strata", &strata), ("rocksdb", &rocksdb), ("rocksdb_strata_keys", &rocksdb_keys)];
    append_groups(c, "append_wal", &WAL_THREADS, &sides);
}

/// What the read groups read: a log store holding one long log and many one-entry logs, and a
/// raw database holding the long log as one key per entry.
struct Reads {
    store: Store,
    raw: DB,
    /// The author of the long log (log 0).
    author: Author,
    /// The authors of the one-entry logs, in the order `heights` is asked for them.
    authors: Vec<Author>,
    _dir: TempDir,
}

impl Reads {
    /// Writes the logs (unsynced, for speed: reads do not depend on it) and flushes both
    /// databases.
    fn open(scale: Scale, data: &Data) -> Self {
        let dir = temp_dir();
        let config = LogConfig::default().durability(Durability::Wal);
        let store = open_store(&dir.path().join("strata"), NoVerification, config);
        let raw = open_raw(&dir.path().join("rocksdb"));
        let mut rng = StdRng::seed_from_u64(SEED ^ 1);
        let author = Unsigned(Author(rng.random()));
        let loading = Instant::now();
        for n in 0..scale.log {
            store
                .append(&author, 0, &data.payloads[n % data.payloads.len()], None)
                .expect("append");
        }
        let authors: Vec<Author> = (0..scale.authors).map(|_| Author(rng.random())).collect();
        for (n, author) in authors.iter().enumerate() {
            let payload = &data.payloads[n % data.payloads.len()];
            store.append(&Unsigned(*author), 0, payload, None).expect("append");
        }
        let headers = cf(&raw, HEADERS);
        let mut batch = WriteBatch::default();
        for entry in store.entries(&author.0, 0, None, None).expect("entries") {
            let entry = entry.expect("an entry");
            let key = EntryKey { author: author.0, log_id: 0, seq: entry.header.seq };
            let payload = entry.payload.expect("a payload");
            let value = [&[0; 8][..], &entry.header.to_bytes(), &payload].concat();
            batch.put_cf(headers, key.as_key().as_bytes(), value);
        }
        raw.write(batch).expect("write the raw log");
        flush_and_settle(store.database().rocksdb());
        flush_and_settle(&raw);
        eprintln!(
            "a log of {} entries and {} one-entry logs written in {:.1?}",
            scale.log,
            scale.authors,
            loading.elapsed()
        );
        Self { store, raw, author: author.0, authors, _dir: dir }
    }
}

/// The bounds of log 0 of `author` from `seq` on, as raw read options.
fn log_read_options(author: Author, seq: u64) -> ReadOptions {
    let mut options = ReadOptions::default();
    options.set_iterate_lower_bound(EntryKey { author, log_id: 0, seq }.as_key().as_bytes());
    let log = LogKey { author, log_id: 0 };
    let end = strata::range::prefix_end(log.as_key().as_bytes()).expect("a log's end");
    options.set_iterate_upper_bound(end);
    options.set_prefix_same_as_start(true);
    options
}

/// Raw: `len` entries of one-key-per-entry log from `seq`, each value copied out; the total
/// length.
fn raw_range(db: &DB, author: Author, seq: u64, len: usize) -> usize {
    let mut iter = db.raw_iterator_cf_opt(cf(db, HEADERS), log_read_options(author, seq));
    iter.seek_to_first();
    let mut total = 0;
    for _ in 0..len {
        let Some(value) = iter.value() else { break };
        total += black_box(value.to_vec()).len();
        iter.next();
    }
    iter.status().expect("iterate");
    total
}

/// Raw, on the log store's own database: `len` headers from `seq`, each with a point read of its
/// payload, both copied out; the total length.
fn raw_strata_range(db: &DB, author: Author, seq: u64, len: usize) -> usize {
    let payloads = cf(db, PAYLOADS);
    let mut iter = db.raw_iterator_cf_opt(cf(db, HEADERS), log_read_options(author, seq));
    iter.seek_to_first();
    let mut total = 0;
    for _ in 0..len {
        let Some((key, value)) = iter.item() else { break };
        let header = black_box(value[8..].to_vec());
        let payload = db.get_pinned_cf(payloads, key).expect("read").expect("a payload");
        total += 8 + header.len() + black_box(payload.to_vec()).len();
        iter.next();
    }
    iter.status().expect("iterate");
    total
}

/// Strata: `len` entries of one log from `seq`; the total length.
fn strata_range(store: &Store, author: Author, seq: u64, len: usize) -> usize {
    let entries = store.entries(&author, 0, seq.checked_sub(1), None).expect("entries");
    entries
        .take(len)
        .map(|entry| {
            let entry = black_box(entry.expect("an entry"));
            8 + entry.header.to_bytes().len() + entry.payload.map_or(0, |p| p.len())
        })
        .sum()
}

/// Range reads of one log, after checking that every side reads the same number of bytes.
fn range_group(c: &mut Criterion, reads: &Reads, scale: Scale) {
    let (store, author) = (&reads.store, reads.author);
    let strata_db = store.database().rocksdb();
    let starts: Vec<u64> = (0..scale.log / scale.range).map(|n| (n * scale.range) as u64).collect();
    for &start in &starts {
        let expected = strata_range(store, author, start, scale.range);
        assert_eq!(raw_range(&reads.raw, author, start, scale.range), expected);
        assert_eq!(raw_strata_range(strata_db, author, start, scale.range), expected);
    }
    let name = "range_1k";
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(scale.range as u64)).sampling_mode(SamplingMode::Flat);
    let sides: [(&str, &dyn Fn(u64) -> usize); 3] = [
        ("strata", &|start| strata_range(store, author, start, scale.range)),
        ("rocksdb", &|start| raw_range(&reads.raw, author, start, scale.range)),
        ("rocksdb_strata_keys", &|start| raw_strata_range(strata_db, author, start, scale.range)),
    ];
    for (side, read) in sides {
        let mut next = 0;
        bench(&mut group, name, side, scale.range as u64, |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(read(starts[next % starts.len()]));
                next += 1;
            }
            start.elapsed()
        });
    }
    group.finish();
}

/// Raw, on the log store's own database: every log of each author, by one iterator seeking to
/// each author's prefix of `log_logs`; `(author, log id, latest seq)`.
fn raw_heights(db: &DB, authors: &[Author]) -> Vec<(Author, u64, u64)> {
    let mut options = ReadOptions::default();
    options.set_prefix_same_as_start(true);
    let mut iter = db.raw_iterator_cf_opt(cf(db, LOGS), options);
    let mut heights = Vec::new();
    for author in authors {
        iter.seek(author.0);
        while let Some((key, value)) = iter.item() {
            let log_id = u64::from_be_bytes(key[32..40].try_into().expect("a log key"));
            let latest = u64::from_le_bytes(value[8..16].try_into().expect("a log state"));
            heights.push((*author, log_id, latest));
            iter.next();
        }
    }
    iter.status().expect("iterate");
    heights
}

/// `heights` over many authors, after checking that both sides find the same heights.
fn heights_group(c: &mut Criterion, reads: &Reads) {
    let (store, authors) = (&reads.store, &reads.authors[..]);
    let db = store.database().rocksdb();
    let expected = store.heights(authors).expect("heights");
    assert_eq!(expected.len(), authors.len());
    assert_eq!(raw_heights(db, authors), expected);
    let name = "heights_10k";
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(authors.len() as u64)).sampling_mode(SamplingMode::Flat);
    let sides: [(&str, &dyn Fn() -> usize); 2] = [
        ("strata", &|| store.heights(authors).expect("heights").len()),
        ("rocksdb", &|| raw_heights(db, authors).len()),
    ];
    for (side, heights) in sides {
        bench(&mut group, name, side, authors.len() as u64, |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(heights());
            }
            start.elapsed()
        });
    }
    group.finish();
}

/// One log of `len` entries from a peer, built in a memory-backed log store.
fn peer_entries(signer: &dyn Signer, data: &Data, len: usize) -> Vec<Entry> {
    let peer =
        LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).expect("a log store");
    for n in 0..len {
        peer.append(signer, 0, &data.payloads[n % data.payloads.len()], None).expect("append");
    }
    let author = signer.author();
    peer.entries(&author, 0, None, None).expect("entries").collect::<Result<_, _>>().expect("read")
}

/// `iters` inserts into fresh databases opened by `open`, timing only `insert`. The databases'
/// directories are kept until the group ends, so that deleting them does not slow the next one.
fn time_inserts<T>(
    iters: u64,
    done: &mut Vec<TempDir>,
    open: impl Fn(&Path) -> T,
    mut insert: impl FnMut(&T),
) -> Duration {
    let mut took = Duration::ZERO;
    for _ in 0..iters {
        let dir = temp_dir();
        let target = open(dir.path());
        let start = Instant::now();
        insert(&target);
        took += start.elapsed();
        drop(target);
        done.push(dir);
    }
    took
}

/// Inserts of a peer's batch into fresh stores: unsigned with `NoVerification`, ed25519 with
/// `Ed25519`, and raw synced write batches of the same entries.
fn insert_group(c: &mut Criterion, data: &Data, scale: Scale) {
    let unsigned = peer_entries(&data.unsigned[0], data, scale.batch);
    let ed25519 = peer_entries(&data.ed25519[0], data, scale.batch);
    // What a raw receiver writes: each entry's position → arrival offset, header, payload.
    let raw_entries: Vec<(EntryKey, Vec<u8>)> = unsigned
        .iter()
        .map(|entry| {
            let header = &entry.header;
            let key = EntryKey { author: header.author, log_id: 0, seq: header.seq };
            let payload = entry.payload.as_deref().unwrap_or_default();
            (key, [&[0; 8][..], &header.to_bytes(), payload].concat())
        })
        .collect();
    let mut synced = WriteOptions::default();
    synced.set_sync(true);
    let name = "insert_batch_10k";
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(scale.batch as u64))
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(4));
    let mut done = Vec::new();
    let sync = LogConfig::default();
    bench(&mut group, name, "strata", scale.batch as u64, |iters| {
        let open = |path: &Path| open_store(path, NoVerification, sync);
        time_inserts(iters, &mut done, open, |store| {
            let inserted = store.insert_batch(&unsigned).expect("insert");
            assert_eq!(inserted.len(), unsigned.len());
        })
    });
    bench(&mut group, name, "strata_ed25519", scale.batch as u64, |iters| {
        let open = |path: &Path| open_store(path, Ed25519, sync);
        time_inserts(iters, &mut done, open, |store| {
            let inserted = store.insert_batch(&ed25519).expect("insert");
            assert_eq!(inserted.len(), ed25519.len());
        })
    });
    bench(&mut group, name, "rocksdb", scale.batch as u64, |iters| {
        time_inserts(iters, &mut done, open_raw, |db| {
            let headers = cf(db, HEADERS);
            let bytes = raw_entries.iter().map(|(_, value)| 64 + value.len()).sum();
            let mut batch = WriteBatch::with_capacity_bytes(bytes);
            for (key, value) in &raw_entries {
                batch.put_cf(headers, key.as_key().as_bytes(), value);
            }
            db.write_opt(batch, &synced).expect("write");
        })
    });
    bench(&mut group, name, "rocksdb_strata_keys", scale.batch as u64, |iters| {
        time_inserts(iters, &mut done, open_raw, |db| {
            raw_insert_strata_keys(db, &unsigned, &synced);
        })
    });
    group.finish();
}

/// Raw: the keys and values Strata's insert of `entries` (one log) writes, as one synced batch.
fn raw_insert_strata_keys(db: &DB, entries: &[Entry], options: &WriteOptions) {
    let [payloads, hashes, logs, headers, arrivals, meta] =
        [PAYLOADS, HASHES, LOGS, HEADERS, ARRIVALS, LOG_META].map(|column| cf(db, column));
    let bytes = entries.iter().map(|e| 400 + e.payload.as_ref().map_or(0, Vec::len)).sum();
    let mut batch = WriteBatch::with_capacity_bytes(bytes);
    let mut state = None;
    for (offset, entry) in entries.iter().enumerate() {
        let header = &entry.header;
        let (author, seq) = (header.author, header.seq);
        let stored = [&(offset as u64).to_be_bytes()[..], &header.to_bytes()].concat();
        let hash = strata_log::Hash::of(&stored[8..]);
        let payload = entry.payload.as_deref().unwrap_or_default();
        let location = borsh(&Location { author: author.0, log_id: 0, seq });
        batch.put_cf(payloads, PayloadKey { author, log_id: 0, seq }.as_key().as_bytes(), payload);
        batch.put_cf(hashes, HashKey { hash }.as_key().as_bytes(), &location);
        batch.put_cf(headers, EntryKey { author, log_id: 0, seq }.as_key().as_bytes(), &stored);
        let arrival = ArrivalKey { offset: offset as u64 };
        batch.put_cf(arrivals, arrival.as_key().as_bytes(), &location);
        state = Some((
            author,
            LogState {
                first_seq: 0,
                latest_seq: seq,
                latest_hash: hash.0,
                count: seq + 1,
                bytes: 0,
            },
        ));
    }
    if let Some((author, state)) = state {
        batch.put_cf(logs, LogKey { author, log_id: 0 }.as_key().as_bytes(), borsh(&state));
    }
    batch.put_cf(meta, COUNTER_KEY, borsh(&Counter(entries.len() as u64)));
    db.write_opt(batch, options).expect("write");
}

/// The columns of a database holding a log store with views: the log's, the view registry's and
/// the built-in views' (`EntryCounts` among them).
fn view_columns() -> Vec<strata::Column> {
    [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &builtin::COLUMNS].concat()
}

/// Opens RocksDB at `path` with the log's, the registry's and the built-in views' columns.
fn open_view_db(path: &Path) -> RocksDb {
    RocksDb::open(&strata_bench_support::config(path), &view_columns()).expect("open RocksDB")
}

/// Opens the views of `builder` over a log store at `path`, checking peers' entries with
/// `NoVerification`.
fn open_views(path: &Path, builder: ViewsBuilder<RocksDb>, config: LogConfig) -> ViewStore {
    builder.open(open_view_db(path), NoVerification, config).expect("open the views")
}

/// The entries `EntryCounts` has counted for `authors`, all together.
fn counted(views: &ViewStore, authors: &[Unsigned]) -> u64 {
    let reader = views.reader(EntryCounts::NAME).expect("a ready view");
    let totals = authors.iter().map(|signer| EntryCounts::author(&reader, &signer.0));
    totals.map(|totals| totals.expect("read").map_or(0, |totals| totals.entries)).sum()
}

/// Synced appends through a log store keeping `EntryCounts` in step, against the same appends
/// to a log store without views; both on RocksDB opened with the same columns and options.
fn view_append_groups(c: &mut Criterion, data: &Data) {
    let dir = temp_dir();
    let plain_db = open_view_db(&dir.path().join("strata"));
    let plain = LogStore::with_config(plain_db, NoVerification, LogConfig::default())
        .expect("open the log store");
    let builder = Views::builder().in_step(EntryCounts).background(false);
    let views = open_views(&dir.path().join("strata_view"), builder, LogConfig::default());
    // A new view starts by rebuilding (here from an empty log): it joins the log's commits once
    // caught up.
    views.catch_up().expect("catch up");
    assert!(views.status(EntryCounts::NAME).expect("a view").attached, "the view is in step");
    let signers = || data.unsigned.iter().map(|s| s as &dyn Signer).collect();
    let strata = StrataAppender::new(&plain, signers(), data);
    let strata_view = StrataAppender::new(views.log(), signers(), data);
    let sides: [(&str, &dyn Appender); 2] = [("strata", &strata), ("strata_view", &strata_view)];
    append_groups(c, "append_view_sync", &VIEW_THREADS, &sides);
    // Still in step, and every append counted.
    let status = views.status(EntryCounts::NAME).expect("a view");
    assert!(status.attached && status.lag == 0, "the view stayed in step: {status:?}");
    assert_eq!(counted(&views, &data.unsigned), strata_view.appended());
}

/// Rebuilding `EntryCounts` over a log (`rebuild` then `catch_up`, no worker), against one walk
/// of the same log by `stream(None)` reading every entry.
fn rebuild_group(c: &mut Criterion, data: &Data, scale: Scale) {
    let dir = temp_dir();
    // The log is written unsynced, for speed: the rebuild reads it and commits as it always does.
    let config = LogConfig::default().durability(Durability::Wal);
    let builder = Views::builder().behind(EntryCounts).background(false);
    let views = open_views(dir.path(), builder, config);
    let log = views.log();
    let authors = &data.unsigned;
    for n in 0..scale.log {
        let payload = &data.payloads[n % data.payloads.len()];
        log.append(&authors[n % authors.len()], 0, payload, None).expect("append");
    }
    views.catch_up().expect("catch up");
    flush_and_settle(log.database().rocksdb());
    let walk = || {
        let mut entries = 0;
        for item in log.stream(None).expect("stream") {
            black_box(item.expect("an entry"));
            entries += 1;
        }
        entries
    };
    assert_eq!(walk(), scale.log);
    let name = "rebuild_10k";
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(scale.log as u64)).sampling_mode(SamplingMode::Flat);
    bench(&mut group, name, "rebuild", scale.log as u64, |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            views.rebuild(EntryCounts::NAME).expect("rebuild");
            views.catch_up().expect("catch up");
        }
        start.elapsed()
    });
    bench(&mut group, name, "stream", scale.log as u64, |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(walk());
        }
        start.elapsed()
    });
    group.finish();
    let status = views.status(EntryCounts::NAME).expect("a view");
    assert!(status.phase == Phase::Ready && status.lag == 0, "rebuilt: {status:?}");
    assert_eq!(counted(&views, authors), scale.log as u64);
}

/// Lag of a view kept behind while threads append, synced, as fast as they go.
#[derive(Debug)]
struct Lag {
    /// Appending threads.
    threads: usize,
    /// How long they appended.
    appending: Duration,
    /// Appends made.
    appended: u64,
    /// `lag("entry_counts")`, sampled every [`LAG_EVERY`] while they appended.
    samples: Vec<u64>,
    /// The longest any thread's `wait_for` its last append took.
    wait: Duration,
}

impl Lag {
    /// The sample at `percent` per cent of the sorted samples (50: the median; 100: the largest).
    fn percentile(&self, percent: usize) -> u64 {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let at = (sorted.len().saturating_sub(1) * percent + 50) / 100;
        sorted.get(at).copied().unwrap_or(0)
    }
}

/// Every lag measured, for the views table.
static LAGS: Mutex<Vec<Lag>> = Mutex::new(Vec::new());

/// The benchmark filter criterion was given: the first argument that is neither an option nor an
/// option's value, and whether `--exact` was passed.
fn filter() -> (Option<String>, bool) {
    const VALUED: [&str; 19] = [
        "-c",
        "--color",
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--format",
        "--profile-time",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|arg| arg == "--exact");
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if arg.starts_with('-') {
            skip_value = VALUED.contains(&arg.as_str());
            continue;
        }
        return (Some(arg), exact);
    }
    (None, exact)
}

/// Whether the lag measurement, named `view_lag`, is selected: no filter, or one of the filter's
/// `|`-separated alternatives found in `view_lag` (criterion's filter is a regular expression;
/// this reads it as plain text).
fn lag_selected() -> bool {
    const NAME: &str = "view_lag";
    match filter() {
        (None, _) => true,
        (Some(filter), true) => filter == NAME,
        (Some(filter), false) => {
            filter.split('|').any(|alt| NAME.contains(alt.trim_matches(['^', '$'])))
        }
    }
}

/// Runs `threads` threads appending to `EntryCounts`' log (kept behind, by the worker) for
/// `duration`, sampling the view's lag; then each waits for its last append.
fn measure_lag(data: &Data, threads: usize, duration: Duration) -> Lag {
    let dir = temp_dir();
    let builder = Views::builder().behind(EntryCounts);
    let views = open_views(dir.path(), builder, LogConfig::default());
    // Built (from an empty log) before the appends start; the worker runs alongside.
    views.catch_up().expect("catch up");
    assert_eq!(views.status(EntryCounts::NAME).expect("a view").phase, Phase::Ready);
    let running = AtomicUsize::new(threads);
    let ready = Barrier::new(threads + 1);
    let (samples, appending, results) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let (views, running, ready) = (&views, &running, &ready);
                scope.spawn(move || {
                    let signer = &data.unsigned[thread];
                    ready.wait();
                    let start = Instant::now();
                    let mut appended = 0;
                    let mut last = None;
                    while start.elapsed() < duration {
                        let payload = &data.payloads[appended % data.payloads.len()];
                        last = Some(views.log().append(signer, 0, payload, None).expect("append"));
                        appended += 1;
                    }
                    running.fetch_sub(1, Ordering::Relaxed);
                    let last = last.expect("an append");
                    let waiting = Instant::now();
                    let timeout = Duration::from_secs(60);
                    views.wait_for(EntryCounts::NAME, last.offset, timeout).expect("wait_for");
                    (appended as u64, waiting.elapsed())
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        let mut samples = Vec::new();
        while running.load(Ordering::Relaxed) > 0 {
            samples.push(views.lag(EntryCounts::NAME).expect("lag"));
            std::thread::sleep(LAG_EVERY);
        }
        let appending = start.elapsed();
        let results: Vec<_> =
            handles.into_iter().map(|handle| handle.join().expect("an appender")).collect();
        (samples, appending, results)
    });
    let appended = results.iter().map(|&(n, _)| n).sum();
    let wait = results.iter().map(|&(_, wait)| wait).max().unwrap_or_default();
    views.catch_up().expect("catch up");
    assert_eq!(counted(&views, &data.unsigned), appended);
    Lag { threads, appending, appended, samples, wait }
}

/// The lag measurements, when selected by the filter: [`LAG_SECONDS`] of appends per thread
/// count, or a moment at smoke scale.
fn lag_runs(data: &Data, scale: Scale) {
    if !lag_selected() {
        return;
    }
    let duration =
        if scale.full { Duration::from_secs(LAG_SECONDS) } else { Duration::from_millis(20) };
    for threads in LAG_THREADS {
        let lag = measure_lag(data, threads, duration);
        eprintln!(
            "view_lag/{threads}: {} appends in {:.1?}, lag median {} max {}, wait_for {:.1?}",
            lag.appended,
            lag.appending,
            lag.percentile(50),
            lag.percentile(100),
            lag.wait
        );
        LAGS.lock().unwrap_or_else(PoisonError::into_inner).push(lag);
    }
}

/// Every group, then (under `cargo bench`) the ratio table.
fn benches(c: &mut Criterion) {
    let scale = Scale::from_args();
    let data = Data::generate();
    sync_groups(c, &data);
    wal_groups(c, &data);
    let reads = Reads::open(scale, &data);
    range_group(c, &reads, scale);
    heights_group(c, &reads);
    drop(reads);
    insert_group(c, &data, scale);
    view_append_groups(c, &data);
    rebuild_group(c, &data, scale);
    lag_runs(&data, scale);
    if scale.full {
        for table in [ratio_table(), views_table()].into_iter().flatten() {
            print!("\n{table}");
        }
    }
}

/// The markdown ratio table: Strata ÷ raw per workload, with the targets (none if no group of it
/// ran).
fn ratio_table() -> Option<String> {
    let per_sync = PER_SYNC.lock().unwrap_or_else(PoisonError::into_inner);
    let mut rows: Vec<(String, &str, Option<f64>)> = Vec::new();
    for threads in SYNC_THREADS {
        let s = if threads == 1 { "" } else { "s" };
        rows.push((format!("append_sync_{threads}_thread{s}"), "strata", Some(0.8)));
        if threads == 1 {
            rows.push((format!("append_sync_{threads}_thread{s}"), "strata_ed25519", None));
        }
    }
    for threads in WAL_THREADS {
        let s = if threads == 1 { "" } else { "s" };
        rows.push((format!("append_wal_{threads}_thread{s}"), "strata", Some(0.9)));
    }
    rows.push(("range_1k".to_owned(), "strata", None));
    rows.push(("heights_10k".to_owned(), "strata", None));
    rows.push(("insert_batch_10k".to_owned(), "strata", None));
    rows.push(("insert_batch_10k".to_owned(), "strata_ed25519", None));
    let mut table = String::from(
        "| workload | strata | rocksdb | strata ÷ rocksdb | target | rocksdb, Strata's keys | strata ÷ Strata's keys | appends per WAL sync (strata / rocksdb) |\n|---|---|---|---|---|---|---|---|\n",
    );
    let dash = || "—".to_owned();
    let mut any = false;
    for (group, strata, target) in rows {
        let rate_of = |side: &str| RECORDED.median(&format!("{group}/{side}"), SAMPLES);
        let (Some(a), Some(b)) = (rate_of(strata), rate_of("rocksdb")) else { continue };
        any = true;
        let ratio = a / b;
        let verdict = match target {
            Some(target) if ratio >= target => format!("≥ {target} met"),
            Some(target) => format!("**≥ {target} missed**"),
            None => dash(),
        };
        let (keys, keys_ratio) = rate_of("rocksdb_strata_keys")
            .map_or_else(|| (dash(), dash()), |k| (format_rate(k), format!("{:.2}", a / k)));
        let label = if strata == "strata" { group.clone() } else { format!("{group} (ed25519)") };
        let syncs_of = |side: &str| per_sync.get(&format!("{group}/{side}")).copied();
        let syncs = match (syncs_of("strata"), syncs_of("rocksdb")) {
            (Some(s), Some(r)) if strata == "strata" => format!("{s:.1} / {r:.1}"),
            _ => dash(),
        };
        writeln!(
            table,
            "| {label} | {} | {} | {ratio:.2} | {verdict} | {keys} | {keys_ratio} | {syncs} |",
            format_rate(a),
            format_rate(b)
        )
        .expect("write to a string");
    }
    any.then_some(table)
}

/// The markdown table of the views' workloads — with the view ÷ without, with the targets — and
/// of the lag of a view kept behind (none if none of them ran).
fn views_table() -> Option<String> {
    let per_sync = PER_SYNC.lock().unwrap_or_else(PoisonError::into_inner);
    let mut rows: Vec<(String, String, &str, &str, f64)> = Vec::new();
    for threads in VIEW_THREADS {
        let group =
            format!("append_view_sync_{threads}_thread{}", if threads == 1 { "" } else { "s" });
        rows.push((group.clone(), group, "strata_view", "strata", 0.75));
    }
    let label = "rebuild_10k (rebuild ÷ `stream` walk)".to_owned();
    rows.push(("rebuild_10k".to_owned(), label, "rebuild", "stream", 0.5));
    let mut table = String::from(
        "| workload | with the view | without | with ÷ without | target | appends per WAL sync (with / without) |\n|---|---|---|---|---|---|\n",
    );
    let mut any = false;
    for (group, label, with, without, target) in rows {
        let rate_of = |side: &str| RECORDED.median(&format!("{group}/{side}"), SAMPLES);
        let (Some(a), Some(b)) = (rate_of(with), rate_of(without)) else { continue };
        any = true;
        let ratio = a / b;
        let verdict = if ratio >= target {
            format!("≥ {target} met")
        } else {
            format!("**≥ {target} missed**")
        };
        let syncs_of = |side: &str| per_sync.get(&format!("{group}/{side}")).copied();
        let syncs = match (syncs_of(with), syncs_of(without)) {
            (Some(w), Some(o)) => format!("{w:.1} / {o:.1}"),
            _ => "—".to_owned(),
        };
        writeln!(
            table,
            "| {label} | {} | {} | {ratio:.2} | {verdict} | {syncs} |",
            format_rate(a),
            format_rate(b)
        )
        .expect("write to a string");
    }
    let lags = LAGS.lock().unwrap_or_else(PoisonError::into_inner);
    if !lags.is_empty() {
        if any {
            table.push('\n');
        }
        any = true;
        table.push_str(
            "| `EntryCounts` kept behind (worker on), synced appends | appends | lag samples | median lag | 99th percentile | max lag | `wait_for` the last append |\n|---|---|---|---|---|---|---|\n",
        );
        for lag in lags.iter() {
            let threads = lag.threads;
            writeln!(
                table,
                "| {threads} thread{} for {:.1?} | {} ({}) | {} | {} | {} | {} | {:.2?} |",
                if threads == 1 { "" } else { "s" },
                lag.appending,
                lag.appended,
                format_rate(lag.appended as f64 / lag.appending.as_secs_f64()),
                lag.samples.len(),
                lag.percentile(50),
                lag.percentile(99),
                lag.percentile(100),
                lag.wait
            )
            .expect("write to a string");
        }
    }
    any.then_some(table)
}

criterion::criterion_group! {
    name = log;
    config = Criterion::default().sample_size(SAMPLES).warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion::criterion_main!(log);
