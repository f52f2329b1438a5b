//! The scale curve: Strata against raw RocksDB at 200 000, 2 million and 20 million keys — the
//! largest far beyond the 64 MiB block cache, so that reads miss it.
//!
//! At each scale, for three engines — Strata (`Store` over `RocksDb`, raw-bytes API), raw
//! `rocksdb` opened with exactly Strata's options, and raw `rocksdb` with RocksDB's defaults:
//!
//! 1. **Bulk load**, measured, by two methods: batches of 10 000 keys written through each
//!    engine's write path (write-ahead log on, as Strata always writes), then a flush and the
//!    compactions let finish; and sorted runs written as table files and ingested
//!    (`RocksDb::ingest_sorted` for Strata; `SstFileWriter` and `ingest_external_file_cf_opts`
//!    for raw RocksDB). Both are measured up to 2 million keys (median of 3 runs, the engines'
//!    order rotated per run); above that only the one that was faster for Strata at the scale
//!    below (ingesting, when run alone), unless `STRATA_SCALE_LOAD=both`. The faster method's
//!    databases are the ones the workloads run on.
//! 2. **Reads** in paired rounds (21 by default), the engines' order shuffled per round:
//!    `get_hit`, `get_miss_in_prefix`, `multi_get` (32 keys), `prefix_scan` (one context, 250
//!    entries) and `short_scan` (seek + 10), at random keys over the whole key space. Strata and
//!    raw RocksDB with Strata's options read Strata's database (so they differ only in the code
//!    that reads it); raw defaults its own. Within a round no two engines read the same keys, so
//!    none reads blocks another just brought into the shared block cache; each engine's sample
//!    holds as many operations as fill 60 ms on it. Twice: with the page cache warm (every
//!    table file read once first: a block-cache miss costs a copy from memory) and cold (the
//!    table files dropped from the page cache with `dd iflag=nocache` before every sample: a
//!    miss reads the device; skipped where the block cache holds Strata's database twice over).
//!    After each, RocksDB's perf context says what a `get_hit` costs below the block cache.
//!    Then the scans once more against raw RocksDB taking a snapshot per scan, as Strata's
//!    prefix-mode cursor does.
//! 3. **Writes**: `batched_put`, 1000 random fresh keys per batch, into each engine's own loaded
//!    database, a tenth of the loaded keys in all (at least 8 batches a sample); after every
//!    sample the runner waits for that database's flushes and compactions, timed apart.
//! 4. Per engine: throughput, the ratios Strata ÷ same options and Strata ÷ defaults (median of
//!    the per-round ratios and their interquartile range), peak RSS (`VmHWM`, reset through
//!    `/proc/self/clear_refs`), size on disk and space amplification (every file in the database
//!    directory ÷ the keys and values loaded), and write amplification: the bytes of every table
//!    file RocksDB wrote for the column (flushes and compactions, from the `table_file_creation`
//!    events of its own event log: `rocksdb.cfstats` prints gigabytes to two decimals, shown
//!    beside as a cross-check) plus the bytes of the ingested files, ÷ the keys and values
//!    written — after the load and after the writes. The write-ahead log is not counted.
//!
//! The data: the node schema's `state` column, 32-byte context id + 32-byte state key → 128
//! random bytes, 250 entries per context, generated from a seed in key order as a stream (every
//! key, value and probe is a function of its index), so 20 million keys never sit in memory.
//!
//! ```sh
//! cargo bench --bench scale                                     # 200 000, 2 and 20 million keys
//! STRATA_SCALE_KEYS=200000,2000000 cargo bench --bench scale    # a subset
//! STRATA_SCALE_LOAD=both cargo bench --bench scale              # both load methods at every scale
//! STRATA_BENCH_ROUNDS=31 STRATA_SCALE_LOAD_RUNS=1 cargo bench --bench scale
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it runs 2 000 keys, checks that
//! every loaded database holds exactly the generated data and that the engines give the same
//! answers, and asserts nothing about speed.

#![expect(
    clippy::cast_precision_loss,
    reason = "throughputs, sizes and ratios are shown as floats"
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rocksdb::{DB, IngestExternalFileOptions, Options, SstFileWriter, WriteBatch};
use strata::rocksdb::RocksDb;
use strata::{Store, Transaction, WriteLayer};
use strata_bench_support::memory;
use strata_bench_support::paired::Spread;
use strata_bench_support::rates::format_rate;
use strata_bench_support::{
    BATCH, Engine, Raw, SHORT_SCAN, Strata, config, open_raw_defaults, open_raw_same_options,
    settle,
};
use strata_node::STATE;

use data::{KEY_LEN, Keyspace, PER_CONTEXT, VALUE_LEN};

/// Keys a full run measures.
const FULL_SCALES: [u64; 3] = [200_000, 2_000_000, 20_000_000];
/// Keys of a smoke run (8 contexts).
const SMOKE_KEYS: u64 = 2_000;
/// Keys per write batch of the batched load.
const LOAD_BATCH: usize = 10_000;
/// Keys per call of `multi_get`.
const MULTI_GET: usize = 32;
/// Table files of the raw engines' ingest are cut at this size, as Strata's are.
const INGEST_FILE_BYTES: u64 = 64 << 20;
/// Strata's default block cache (`RocksConfig::new`).
const BLOCK_CACHE_BYTES: u64 = 64 << 20;
/// Logical bytes of one entry: key and value.
const ENTRY_BYTES: u64 = (KEY_LEN + VALUE_LEN) as u64;

/// The key space, generated as a stream: every key, value and probe is a function of its index.
mod data {
    /// Entries per context.
    pub(crate) const PER_CONTEXT: u64 = 250;
    /// A context id and a state key.
    pub(crate) const KEY_LEN: usize = 64;
    /// Every value.
    pub(crate) const VALUE_LEN: usize = 128;

    const SEED: u64 = 0x5354_5241_5441_5343;
    const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
    /// Each state key's first 8 bytes lie in its own slice of the `u64` range, in order.
    const STATE_STEP: u64 = u64::MAX / PER_CONTEXT;

    /// Hash domains, so that no two uses of the generator correlate.
    const CONTEXT: u64 = 1;
    const STATE: u64 = 2;
    const VALUE: u64 = 3;
    const MISS: u64 = 4;
    const FRESH: u64 = 5;

    /// `SplitMix64`'s finaliser.
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn hash(domain: u64, a: u64, b: u64) -> u64 {
        mix(mix(mix(SEED ^ domain.wrapping_mul(GOLDEN)) ^ a).wrapping_add(b.wrapping_mul(GOLDEN)))
    }

    /// Fills `out` with hashes of (`domain`, `index`, 1..).
    fn fill(out: &mut [u8], domain: u64, index: u64) {
        for (i, chunk) in (1..).zip(out.chunks_mut(8)) {
            chunk.copy_from_slice(&hash(domain, index, i).to_le_bytes()[..chunk.len()]);
        }
    }

    /// `contexts` contexts of [`PER_CONTEXT`] entries. Context `j`'s id starts with a number in
    /// the `j`th of `contexts` equal slices of the `u64` range and state key `k` likewise, the
    /// rest of each is hashed: ids and keys look random, yet entry `(j, k)` is the
    /// `j * PER_CONTEXT + k`th in key order.
    #[derive(Clone, Copy)]
    pub(crate) struct Keyspace {
        contexts: u64,
        step: u64,
    }

    impl Keyspace {
        /// The key space of `keys` keys (rounded down to whole contexts, at least one).
        pub(crate) fn new(keys: u64) -> Self {
            let contexts = (keys / PER_CONTEXT).max(1);
            Self { contexts, step: u64::MAX / contexts }
        }

        /// Keys it holds.
        pub(crate) fn keys(&self) -> u64 {
            self.contexts * PER_CONTEXT
        }

        /// Contexts it holds.
        pub(crate) fn contexts(&self) -> u64 {
            self.contexts
        }

        /// Context `j`'s id.
        pub(crate) fn context(&self, j: u64) -> [u8; 32] {
            let mut id = [0; 32];
            let first = j * self.step + hash(CONTEXT, j, 0) % self.step;
            id[..8].copy_from_slice(&first.to_be_bytes());
            fill(&mut id[8..], CONTEXT, j);
            id
        }

        /// The key of entry `k` of context `j` (whose id is `context`), or with `miss` a key
        /// that is absent but sorts next to it, under the same context.
        fn key(context: &[u8; 32], j: u64, k: u64, miss: bool) -> [u8; KEY_LEN] {
            let index = j * PER_CONTEXT + k;
            let mut key = [0; KEY_LEN];
            key[..32].copy_from_slice(context);
            let first = k * STATE_STEP + hash(STATE, index, 0) % STATE_STEP;
            key[32..40].copy_from_slice(&first.to_be_bytes());
            fill(&mut key[40..], if miss { MISS } else { STATE }, index);
            key
        }

        /// The value of the entry at `index` (or of fresh entry `index` with `fresh`).
        fn value(index: u64, fresh: bool) -> [u8; VALUE_LEN] {
            let mut value = [0; VALUE_LEN];
            fill(&mut value, if fresh { FRESH } else { VALUE }, index);
            value
        }

        /// Every entry, in key order.
        pub(crate) fn entries(&self) -> impl Iterator<Item = ([u8; KEY_LEN], [u8; VALUE_LEN])> {
            let space = *self;
            (0..self.contexts).flat_map(move |j| {
                let context = space.context(j);
                (0..PER_CONTEXT).map(move |k| {
                    (Self::key(&context, j, k, false), Self::value(j * PER_CONTEXT + k, false))
                })
            })
        }

        /// The entry `(j, k)` that probe `n` of `stream` picks, uniformly over the key space.
        fn pick(&self, stream: u64, n: u64) -> (u64, u64) {
            let hashed = hash(stream, n, 0);
            (hashed % self.contexts, hash(stream, n, 1) % PER_CONTEXT)
        }

        /// Probe `n` of `stream`: an existing key.
        pub(crate) fn hit(&self, stream: u64, n: u64) -> [u8; KEY_LEN] {
            let (j, k) = self.pick(stream, n);
            Self::key(&self.context(j), j, k, false)
        }

        /// Probe `n` of `stream`: an absent key under an existing context.
        pub(crate) fn miss(&self, stream: u64, n: u64) -> [u8; KEY_LEN] {
            let (j, k) = self.pick(stream, n);
            Self::key(&self.context(j), j, k, true)
        }

        /// The value stored under probe `n` of `stream`'s key.
        pub(crate) fn hit_value(&self, stream: u64, n: u64) -> [u8; VALUE_LEN] {
            let (j, k) = self.pick(stream, n);
            Self::value(j * PER_CONTEXT + k, false)
        }

        /// Fresh entry `n`: a random key, almost surely under a context of its own.
        pub(crate) fn fresh(n: u64) -> (Vec<u8>, Vec<u8>) {
            let mut key = vec![0; KEY_LEN];
            fill(&mut key, FRESH, n.wrapping_add(1 << 62));
            (key, Self::value(n, true).to_vec())
        }
    }
}

/// How a run is sized.
struct Settings {
    full: bool,
    scales: Vec<u64>,
    rounds: usize,
    sample: Duration,
    /// `STRATA_SCALE_LOAD`: `both`, `batched` or `ingest`; `None` decides per scale.
    load: Option<Vec<Method>>,
    load_runs: Option<usize>,
}

impl Settings {
    fn from_env() -> Self {
        let full = std::env::args().any(|arg| arg == "--bench");
        let scales = match std::env::var("STRATA_SCALE_KEYS") {
            Ok(list) if full => list.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
            _ if full => FULL_SCALES.to_vec(),
            _ => vec![SMOKE_KEYS],
        };
        let rounds = std::env::var("STRATA_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(if full { 21 } else { 1 });
        let load = std::env::var("STRATA_SCALE_LOAD").ok().map(|load| match load.as_str() {
            "batched" => vec![Method::Batched],
            "ingest" => vec![Method::Ingest],
            _ => vec![Method::Batched, Method::Ingest],
        });
        let load_runs = std::env::var("STRATA_SCALE_LOAD_RUNS").ok().and_then(|r| r.parse().ok());
        let sample = if full { Duration::from_millis(60) } else { Duration::ZERO };
        Self { full, scales, rounds: rounds.max(1), sample, load, load_runs }
    }
}

fn median(values: &[f64]) -> f64 {
    Spread::of(values).median
}

fn median_duration(values: &[Duration]) -> Duration {
    Duration::from_secs_f64(median(&values.iter().map(Duration::as_secs_f64).collect::<Vec<_>>()))
}

fn mib(bytes: u64) -> String {
    format!("{:.0}", bytes as f64 / f64::from(1 << 20))
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GiB", bytes as f64 / f64::from(1 << 30))
    } else {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    }
}

fn secs(time: Duration) -> String {
    format!("{:.1} s", time.as_secs_f64())
}

/// The order engines run in during `round`: a different shuffle each round, from a fixed seed.
fn order(round: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..SIDES.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(round as u64));
    order
}

/// One of the three engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Strata,
    Same,
    Defaults,
}

const SIDES: [Side; 3] = [Side::Strata, Side::Same, Side::Defaults];

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::Strata => "strata",
            Self::Same => "rocksdb, same options",
            Self::Defaults => "rocksdb, defaults",
        }
    }

    fn open(self, path: &Path) -> Db {
        match self {
            Self::Strata => Db::Strata(
                RocksDb::open(&config(path), &strata_node::COLUMNS).expect("open Strata"),
            ),
            Self::Same => Db::Raw(open_raw_same_options(path)),
            Self::Defaults => Db::Raw(open_raw_defaults(path)),
        }
    }
}

/// An open database of one engine.
enum Db {
    Strata(RocksDb),
    Raw(DB),
}

impl Db {
    fn rocks(&self) -> &DB {
        match self {
            Self::Strata(db) => db.rocksdb(),
            Self::Raw(db) => db,
        }
    }

    fn engine(&self) -> Box<dyn Engine + '_> {
        match self {
            Self::Strata(db) => Box::new(Strata::new(db)),
            Self::Raw(db) => Box::new(Raw::new(db)),
        }
    }

    fn state(&self) -> &rocksdb::ColumnFamily {
        self.rocks().cf_handle(STATE.name()).expect("the state column family")
    }

    /// Flushes `state`'s memtable and waits for every flush and compaction to finish.
    fn flush_and_settle(&self) {
        self.rocks().flush_cf(self.state()).expect("flush");
        settle(self.rocks(), self.state());
    }
}

/// A bulk-load method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// Batches of [`LOAD_BATCH`] keys through the engine's write path, then flush and settle.
    Batched,
    /// Sorted runs written as table files and ingested.
    Ingest,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::Batched => "batched writes",
            Self::Ingest => "ingest",
        }
    }
}

/// One load of one engine's database.
struct LoadRun {
    /// Until the last write returned (or the ingest did).
    written: Duration,
    /// Of which inside the engine's commit calls (batched loads; zero for ingests).
    committing: Duration,
    /// Until everything was flushed and compacted.
    total: Duration,
    peak_rise: u64,
    /// Bytes of table files written outside RocksDB and ingested.
    ingested: u64,
}

/// Loads every entry of `space` into `db` by `method`.
fn load(side: Side, method: Method, db: &Db, path: &Path, space: &Keyspace) -> LoadRun {
    memory::reset_peak();
    let before = memory::current();
    let started = Instant::now();
    // Time inside the engine's commit calls (batched loads only): the rest of the writing time
    // is generating the entries and building the batches.
    let mut committing = Duration::ZERO;
    let ingested = match (method, db) {
        (Method::Batched, Db::Strata(db)) => {
            let mut store = Store::new(db);
            let mut tx = Transaction::new();
            for (key, value) in space.entries() {
                tx.put(STATE, key, value);
                if tx.len() == LOAD_BATCH {
                    let started = Instant::now();
                    store.apply(&tx).expect("a batch");
                    committing += started.elapsed();
                    tx.clear();
                }
            }
            if !tx.is_empty() {
                let started = Instant::now();
                store.apply(&tx).expect("the last batch");
                committing += started.elapsed();
            }
            0
        }
        (Method::Batched, Db::Raw(db)) => {
            let cf = db.cf_handle(STATE.name()).expect("the state column family");
            let capacity = 12 + LOAD_BATCH * (16 + KEY_LEN + VALUE_LEN);
            let mut batch = WriteBatch::with_capacity_bytes(capacity);
            for (key, value) in space.entries() {
                batch.put_cf(cf, key, value);
                if batch.len() == LOAD_BATCH {
                    let full =
                        std::mem::replace(&mut batch, WriteBatch::with_capacity_bytes(capacity));
                    let started = Instant::now();
                    db.write(full).expect("a batch");
                    committing += started.elapsed();
                }
            }
            if !batch.is_empty() {
                let started = Instant::now();
                db.write(batch).expect("the last batch");
                committing += started.elapsed();
            }
            0
        }
        (Method::Ingest, Db::Strata(db)) => {
            let ingested = db.ingest_sorted(&config(path), STATE, space.entries()).expect("ingest");
            assert_eq!(ingested.entries, space.keys());
            ingested.file_bytes
        }
        (Method::Ingest, Db::Raw(db)) => {
            let options = match side {
                Side::Defaults => Options::default(),
                _ => config(path).table_file_options(STATE),
            };
            raw_ingest(db, &options, space)
        }
    };
    let written = started.elapsed();
    db.flush_and_settle();
    let total = started.elapsed();
    LoadRun {
        written,
        committing,
        total,
        peak_rise: memory::peak().saturating_sub(before),
        ingested,
    }
}

/// What a careful raw-RocksDB user writes to bulk-load sorted entries: table files of about
/// [`INGEST_FILE_BYTES`] written with `options` in a directory inside the database's (so they
/// can be linked, not copied), ingested in one call. Returns the files' total size.
fn raw_ingest(db: &DB, options: &Options, space: &Keyspace) -> u64 {
    let staging = db.path().join("bench-ingest");
    std::fs::create_dir_all(&staging).expect("a staging directory");
    let mut files = Vec::new();
    let mut bytes = 0;
    let mut writer: Option<SstFileWriter<'_>> = None;
    for (key, value) in space.entries() {
        if writer.is_none() {
            let path = staging.join(format!("{:06}.sst", files.len()));
            let opened = SstFileWriter::create(options);
            opened.open(&path).expect("open a table file");
            files.push(path);
            writer = Some(opened);
        }
        if let Some(current) = writer.as_mut() {
            current.put(key, value).expect("write an entry");
            if current.file_size() >= INGEST_FILE_BYTES {
                current.finish().expect("finish a table file");
                bytes += current.file_size();
                writer = None;
            }
        }
    }
    if let Some(mut current) = writer {
        current.finish().expect("finish the last table file");
        bytes += current.file_size();
    }
    let mut ingest = IngestExternalFileOptions::default();
    ingest.set_move_files(true);
    let cf = db.cf_handle(STATE.name()).expect("the state column family");
    db.ingest_external_file_cf_opts(cf, &ingest, files).expect("ingest");
    std::fs::remove_dir_all(&staging).expect("remove the staging directory");
    bytes
}

/// A database's footprint on disk and what RocksDB wrote for it.
#[derive(Debug, Clone, Default)]
struct Footprint {
    /// Every file in the database directory.
    on_disk: u64,
    /// Of which write-ahead-log files.
    wal: u64,
    /// Table files written by flushes and compactions of `state` (RocksDB's event log).
    tables_written: u64,
    /// Table files of `state` by level, e.g. `L0 2, L6 58`.
    levels: String,
    /// RocksDB's own `rocksdb.cfstats` figures, to cross-check: flushed, compaction-written and
    /// ingested GB.
    cfstats: String,
}

fn footprint(db: &DB, path: &Path) -> Footprint {
    let cf = db.cf_handle(STATE.name()).expect("the state column family");
    let levels = (0..7)
        .filter_map(|level| {
            let files = db
                .property_int_value_cf(cf, format!("rocksdb.num-files-at-level{level}").as_str())
                .ok()??;
            (files > 0).then(|| format!("L{level} {files}"))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let cfstats = db.property_value_cf(cf, "rocksdb.cfstats").ok().flatten().unwrap_or_default();
    let pick = |prefix: &str| {
        cfstats
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|rest| rest.split([' ', ',']).find(|word| !word.is_empty()))
            .unwrap_or("?")
            .to_owned()
    };
    let cfstats = format!(
        "flush {} GB, compaction write {} GB, ingested {} GB",
        pick("Flush(GB): cumulative"),
        pick("Cumulative compaction:"),
        pick("AddFile(GB): cumulative")
    );
    let wal = std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".log"))
            .filter_map(|entry| entry.metadata().ok())
            .map(|meta| meta.len())
            .sum()
    });
    Footprint {
        on_disk: dir_bytes(path),
        wal,
        tables_written: tables_written(path),
        levels,
        cfstats,
    }
}

/// The total size of every file under `path`.
fn dir_bytes(path: &Path) -> u64 {
    std::fs::read_dir(path).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| match entry.metadata() {
                Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
                Ok(meta) => meta.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

/// The bytes of every `state` table file RocksDB's event log records as created (by flushes
/// and compactions; ingested files are not among them).
fn tables_written(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    let mut total = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("LOG") {
            continue;
        }
        let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in log.lines() {
            if !line.contains("\"event\": \"table_file_creation\"")
                || !line.contains(&format!("\"cf_name\": \"{}\"", STATE.name()))
            {
                continue;
            }
            let size = line
                .split("\"file_size\": ")
                .nth(1)
                .map_or("", |rest| rest.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""));
            total += size.parse::<u64>().unwrap_or(0);
        }
    }
    total
}

/// Load measurements of one method at one scale: per engine, every run.
struct LoadResults {
    method: Method,
    runs: [Vec<LoadRun>; 3],
    footprints: [Footprint; 3],
}

/// The databases a scale measures, and where they are.
struct Loaded {
    dbs: Vec<Db>,
    paths: Vec<PathBuf>,
    ingested: [u64; 3],
}

/// Loads `space` by `method` into fresh databases, `runs` times (the engines' order rotated per
/// run); keeps the last run's databases open.
fn load_method(method: Method, runs: usize, dir: &Path, space: &Keyspace) -> (LoadResults, Loaded) {
    let mut results = LoadResults {
        method,
        runs: [Vec::new(), Vec::new(), Vec::new()],
        footprints: Default::default(),
    };
    let mut kept: Option<Loaded> = None;
    for run in 0..runs {
        // The previous run's databases go first: at most one set per method on disk.
        if let Some(previous) = kept.take() {
            discard(previous);
        }
        let mut dbs: Vec<Option<Db>> = vec![None, None, None];
        let mut paths = vec![PathBuf::new(); 3];
        let mut ingested = [0; 3];
        for turn in 0..SIDES.len() {
            let e = (run + turn) % SIDES.len();
            let side = SIDES[e];
            let path = dir.join(format!("{}-{}-{run}", method_tag(method), tag(side)));
            let db = side.open(&path);
            let measured = load(side, method, &db, &path, space);
            eprintln!(
                "  {} keys, {} ({}), run {}: {} ({} written)",
                space.keys(),
                side.name(),
                method.name(),
                run + 1,
                secs(measured.total),
                secs(measured.written)
            );
            ingested[e] = measured.ingested;
            results.runs[e].push(measured);
            results.footprints[e] = footprint(db.rocks(), &path);
            dbs[e] = Some(db);
            paths[e] = path;
        }
        let dbs = dbs.into_iter().map(|db| db.expect("every engine loaded")).collect();
        kept = Some(Loaded { dbs, paths, ingested });
    }
    (results, kept.expect("at least one run"))
}

fn tag(side: Side) -> &'static str {
    match side {
        Side::Strata => "strata",
        Side::Same => "same",
        Side::Defaults => "defaults",
    }
}

fn method_tag(method: Method) -> &'static str {
    match method {
        Method::Batched => "batched",
        Method::Ingest => "ingest",
    }
}

/// Checks that `db` holds exactly the entries of `space` (smoke runs only: it reads them all).
fn check_contents(db: &Db, space: &Keyspace) {
    let mut iter = db.rocks().raw_iterator_cf(db.state());
    iter.seek_to_first();
    let mut expected = space.entries();
    while let Some((key, value)) = iter.item() {
        let (want_key, want_value) = expected.next().expect("no more entries than loaded");
        assert_eq!((key, value), (&want_key[..], &want_value[..]));
        iter.next();
    }
    iter.status().expect("scan");
    assert!(expected.next().is_none(), "every loaded entry is there");
}

/// A read workload.
#[derive(Debug, Clone, Copy)]
enum Read {
    GetHit,
    GetMissInPrefix,
    MultiGet,
    PrefixScan,
    ShortScan,
}

const READS: [Read; 5] =
    [Read::GetHit, Read::GetMissInPrefix, Read::MultiGet, Read::PrefixScan, Read::ShortScan];

impl Read {
    fn name(self) -> &'static str {
        match self {
            Self::GetHit => "get_hit",
            Self::GetMissInPrefix => "get_miss_in_prefix",
            Self::MultiGet => "multi_get",
            Self::PrefixScan => "prefix_scan",
            Self::ShortScan => "short_scan",
        }
    }

    /// Items (keys or entries) per operation.
    fn items(self) -> u64 {
        match self {
            Self::GetHit | Self::GetMissInPrefix => 1,
            Self::MultiGet => MULTI_GET as u64,
            Self::PrefixScan => PER_CONTEXT,
            Self::ShortScan => SHORT_SCAN as u64,
        }
    }

    fn keys_per_op(self) -> usize {
        match self {
            Self::MultiGet => MULTI_GET,
            _ => 1,
        }
    }

    /// The probe stream of this workload.
    fn stream(self) -> u64 {
        100 + self as u64
    }

    /// The keys of operations `first..first + ops`.
    fn probes(self, space: &Keyspace, first: u64, ops: usize) -> Vec<[u8; KEY_LEN]> {
        let keys = (ops * self.keys_per_op()) as u64;
        let first = first * self.keys_per_op() as u64;
        (first..first + keys)
            .map(|n| match self {
                Self::GetMissInPrefix => space.miss(self.stream(), n),
                _ => space.hit(self.stream(), n),
            })
            .collect()
    }

    /// Runs one operation on `keys` (one key, or [`MULTI_GET`]); what the engine returned.
    fn op(self, engine: &mut dyn Engine, keys: &[[u8; KEY_LEN]]) -> usize {
        match self {
            Self::GetHit | Self::GetMissInPrefix => engine.get(&keys[0]),
            Self::MultiGet => {
                let keys: [&[u8]; MULTI_GET] = std::array::from_fn(|i| keys[i].as_slice());
                engine.multi_get(&keys)
            }
            Self::PrefixScan => engine.scan_prefix(&keys[0][..32]),
            Self::ShortScan => engine.scan_from(&keys[0], SHORT_SCAN),
        }
    }

    /// Runs every operation of `probes`; how long they took.
    fn run(self, engine: &mut dyn Engine, probes: &[[u8; KEY_LEN]]) -> Duration {
        let started = Instant::now();
        let mut total = 0;
        for keys in probes.chunks_exact(self.keys_per_op()) {
            total += self.op(engine, keys);
        }
        let took = started.elapsed();
        black_box(total);
        took
    }

    /// What operation `n`'s answer must be, where it is known.
    fn expected(self) -> Option<usize> {
        match self {
            Self::GetHit => Some(VALUE_LEN),
            Self::GetMissInPrefix => Some(0),
            Self::MultiGet => Some(MULTI_GET * VALUE_LEN),
            Self::PrefixScan => Some(PER_CONTEXT as usize * (KEY_LEN + VALUE_LEN)),
            Self::ShortScan => None,
        }
    }
}

/// One engine's samples of one workload.
#[derive(Debug, Clone, Default)]
struct Samples {
    /// Items per second, one per round.
    rates: Vec<f64>,
    /// Largest rise of the peak resident set during a sample, in bytes.
    peak_rise: u64,
}

/// Checks that every engine answers the first 64 operations alike (and as generated).
fn check_reads(workload: Read, space: &Keyspace, engines: &mut [Box<dyn Engine + '_>]) {
    let probes = workload.probes(space, 1 << 40, 64);
    for (n, keys) in probes.chunks_exact(workload.keys_per_op()).enumerate() {
        let answers: Vec<usize> =
            engines.iter_mut().map(|engine| workload.op(engine.as_mut(), keys)).collect();
        assert!(
            answers.windows(2).all(|pair| pair[0] == pair[1]),
            "{}: engines disagree on operation {n}: {answers:?}",
            workload.name()
        );
        if let Some(expected) = workload.expected() {
            assert_eq!(answers[0], expected, "{}: operation {n}", workload.name());
        }
        if let Read::ShortScan = workload {
            assert!(answers[0] > 0 && answers[0] <= SHORT_SCAN * (KEY_LEN + VALUE_LEN));
        }
    }
}

/// Checks the bytes of a few values read through Strata against the generator's.
fn check_values(db: &RocksDb, space: &Keyspace) {
    let stream = 999;
    for n in 0..64 {
        let value = strata::Database::get(db, STATE, &space.hit(stream, n)).expect("get");
        assert_eq!(value.as_deref(), Some(&space.hit_value(stream, n)[..]), "probe {n}");
    }
}

/// Paired rounds of `workload` on the three readers.
fn read_rounds(
    settings: &Settings,
    workload: Read,
    space: &Keyspace,
    engines: &mut [Box<dyn Engine + '_>],
    cache: Cache,
    paths: &[&Path],
) -> Vec<Samples> {
    check_reads(workload, space, engines);
    // The regimes read other keys, so no block stays cached from one to the other.
    let base = cache.base();
    // Operations per sample, per engine: as many as fill the sample time (from a stream of
    // their own, which also warms the block cache up). Engines differ by up to 50 times (a miss
    // without a bloom filter reads a block), so each gets its own count; rates stay comparable.
    let ops: Vec<usize> = (0..engines.len())
        .map(|e| {
            if cache == Cache::Cold {
                evict(paths[e]);
            }
            let first = base + (1 << 33) + ((e as u64) << 28);
            calibrate(settings, workload, space, engines[e].as_mut(), first)
        })
        .collect();
    let mut results = vec![Samples::default(); engines.len()];
    for round in 0..settings.rounds {
        for e in order(round) {
            // Every engine reads other keys than the others this round.
            let first = base + (((round * engines.len() + e) as u64) << 24);
            let probes = workload.probes(space, first, ops[e]);
            if cache == Cache::Cold {
                evict(paths[e]);
            }
            memory::reset_peak();
            let before = memory::current();
            let took = workload.run(engines[e].as_mut(), &probes);
            let rise = memory::peak().saturating_sub(before);
            let items = ops[e] as u64 * workload.items();
            results[e].rates.push(items as f64 / took.as_secs_f64());
            results[e].peak_rise = results[e].peak_rise.max(rise);
        }
    }
    results
}

/// How many operations of `workload` fill one sample on `engine` (at least 16).
fn calibrate(
    settings: &Settings,
    workload: Read,
    space: &Keyspace,
    engine: &mut dyn Engine,
    first: u64,
) -> usize {
    let started = Instant::now();
    let mut ops = 0;
    for chunk in 0.. {
        let probes = workload.probes(space, first + chunk * 64, 64);
        for keys in probes.chunks_exact(workload.keys_per_op()) {
            black_box(workload.op(engine, keys));
            ops += 1;
            if ops >= 16 && started.elapsed() >= settings.sample {
                return ops;
            }
        }
    }
    ops
}

/// Where the blocks that miss RocksDB's block cache come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cache {
    /// Every table file was read once before the rounds: the operating system's page cache
    /// holds them, so a block-cache miss costs a copy from memory, a checksum and decompression.
    Warm,
    /// Before every sample the database's table files are dropped from the page cache
    /// (`dd iflag=nocache count=0`): a block-cache miss reads the device.
    Cold,
}

impl Cache {
    fn name(self) -> &'static str {
        match self {
            Self::Warm => "page cache warm",
            Self::Cold => "page cache cold",
        }
    }

    /// The first operation number of the regime's probes.
    fn base(self) -> u64 {
        match self {
            Self::Warm => 0,
            Self::Cold => 1 << 36,
        }
    }
}

/// Reads every file under `path` once, so the page cache holds it; the bytes read.
fn warm(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    let mut total = 0;
    for entry in entries.flatten() {
        if !entry.metadata().is_ok_and(|meta| meta.is_file()) {
            continue;
        }
        if let Ok(mut file) = std::fs::File::open(entry.path()) {
            total += std::io::copy(&mut file, &mut std::io::sink()).unwrap_or(0);
        }
    }
    total
}

/// Drops the table files under `path` from the page cache (their pages are clean: RocksDB
/// syncs table files when it finishes them); false when that is not possible here.
fn evict(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else { return false };
    entries.flatten().filter(|entry| entry.file_name().to_string_lossy().ends_with(".sst")).all(
        |entry| {
            let input = format!("if={}", entry.path().display());
            std::process::Command::new("dd")
                .args([input.as_str(), "iflag=nocache", "count=0", "status=none"])
                .status()
                .is_ok_and(|status| status.success())
        },
    )
}

/// What a point read of an existing key costs below the block cache, from RocksDB's perf
/// context over 2 000 reads at new random keys: data blocks read from table files (block-cache
/// misses) and their bytes, and the microseconds spent reading, checksumming and decompressing
/// them, per read; and the read's whole time.
#[derive(Debug, Clone, Copy, Default)]
struct BlockProfile {
    blocks: f64,
    bytes: f64,
    read_us: f64,
    checksum_us: f64,
    decompress_us: f64,
    get_us: f64,
}

impl std::fmt::Display for BlockProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} blocks ({:.1} KiB) read, {:.1} µs reading, {:.1} µs checksumming, {:.1} µs decompressing, of {:.1} µs a read",
            self.blocks,
            self.bytes / 1024.0,
            self.read_us,
            self.checksum_us,
            self.decompress_us,
            self.get_us
        )
    }
}

fn block_profile(db: &DB, space: &Keyspace, base: u64) -> BlockProfile {
    use rocksdb::perf::{PerfContext, PerfMetric, PerfStatsLevel, set_perf_stats};
    let cf = db.cf_handle(STATE.name()).expect("the state column family");
    let probes = 2_000;
    // rust-rocksdb 0.25 numbers its levels as RocksDB did before `kEnableWait` (3) was added:
    // its `EnableTimeExceptForMutex` (3) is RocksDB 11's `kEnableWait`, which times no block
    // reads, and its `EnableTime` (5) is `kEnableTimeAndCPUTimeExceptForMutex`.
    set_perf_stats(PerfStatsLevel::EnableTime);
    let mut context = PerfContext::default();
    context.reset();
    let started = Instant::now();
    for n in base..base + probes {
        black_box(db.get_pinned_cf(cf, space.hit(77, n)).expect("get"));
    }
    let took = started.elapsed();
    set_perf_stats(PerfStatsLevel::Disable);
    let per_read = |metric| context.metric(metric) as f64 / probes as f64;
    BlockProfile {
        blocks: per_read(PerfMetric::BlockReadCount),
        bytes: per_read(PerfMetric::BlockReadByte),
        read_us: per_read(PerfMetric::BlockReadTime) / 1e3,
        checksum_us: per_read(PerfMetric::BlockChecksumTime) / 1e3,
        decompress_us: per_read(PerfMetric::BlockDecompressTime) / 1e3,
        get_us: took.as_secs_f64() * 1e6 / probes as f64,
    }
}

/// What the writes did to each engine's database.
struct Writes {
    samples: Vec<Samples>,
    /// Per engine: timed puts plus the untimed waits for flushes and compactions after them.
    absorbed: Vec<Duration>,
    keys: u64,
}

/// Paired rounds of `batched_put` on the three writers, `batches` batches of fresh keys a
/// sample (the same keys on every engine).
fn write_rounds(
    settings: &Settings,
    batches: usize,
    engines: &mut [Box<dyn Engine + '_>],
) -> Writes {
    let mut samples = vec![Samples::default(); engines.len()];
    let mut absorbed = vec![Duration::ZERO; engines.len()];
    let per_sample = (batches * BATCH) as u64;
    for round in 0..settings.rounds {
        let first = round as u64 * per_sample;
        let entries: Vec<(Vec<u8>, Vec<u8>)> =
            (first..first + per_sample).map(Keyspace::fresh).collect();
        for e in order(round) {
            memory::reset_peak();
            let before = memory::current();
            let mut took = Duration::ZERO;
            for batch in entries.chunks(BATCH) {
                let started = Instant::now();
                engines[e].put_batch(batch);
                took += started.elapsed();
            }
            let rise = memory::peak().saturating_sub(before);
            let settling = Instant::now();
            engines[e].quiesce();
            absorbed[e] += took + settling.elapsed();
            samples[e].rates.push(per_sample as f64 / took.as_secs_f64());
            samples[e].peak_rise = samples[e].peak_rise.max(rise);
        }
    }
    Writes { samples, absorbed, keys: per_sample * settings.rounds as u64 }
}

/// A workload's row: the engines' rates, the two ratios and the peak RSS rises.
fn row(name: &str, samples: &[Samples]) -> (String, Spread, Spread) {
    let [strata, same, defaults] = samples else { unreachable!("three engines") };
    let vs_same = Spread::of_ratios(&strata.rates, &same.rates);
    let vs_defaults = Spread::of_ratios(&strata.rates, &defaults.rates);
    let line = format!(
        "| {name} | {} | {} | {} | {vs_same} | {vs_defaults} | {} / {} / {} |",
        format_rate(median(&strata.rates)),
        format_rate(median(&same.rates)),
        format_rate(median(&defaults.rates)),
        mib(strata.peak_rise),
        mib(same.peak_rise),
        mib(defaults.peak_rise),
    );
    (line, vs_same, vs_defaults)
}

/// The figures of one scale that the summary repeats.
struct ScaleSummary {
    keys: u64,
    method: Method,
    load: [Duration; 3],
    on_disk: [u64; 3],
    space_amp: [f64; 3],
    write_amp_load: [f64; 3],
    write_amp_after: [f64; 3],
    peak: u64,
    /// Per workload: Strata ÷ same options, Strata ÷ defaults.
    ratios: Vec<(String, Spread, Spread)>,
    wall: Duration,
}

fn main() {
    let settings = Settings::from_env();
    let mut summaries = Vec::new();
    let mut faster: Option<Method> = None;
    for &keys in &settings.scales {
        let (section, summary) = run_scale(&settings, keys, &mut faster);
        println!("{section}");
        summaries.push(summary);
    }
    println!("{}", summary_tables(&summaries));
    println!(
        "{} rounds, read samples of {:?}; rates in items per second (median of rounds); ratios: median of per-round ratios (interquartile range)",
        settings.rounds, settings.sample
    );
    if !memory::reset_peak() {
        println!("(peak RSS could not be reset on this kernel: the figures are peaks since start)");
    }
}

/// Loads the scale's databases by each load method (both up to 2 million keys, then the one
/// that was faster for Strata); keeps the faster method's databases open for the workloads.
fn load_scale(
    settings: &Settings,
    space: &Keyspace,
    dir: &Path,
    faster: &mut Option<Method>,
    phases: &mut Vec<String>,
) -> (Vec<LoadResults>, Method, Loaded) {
    let methods = settings.load.clone().unwrap_or_else(|| {
        if space.keys() <= 2_000_000 || faster.is_none() {
            vec![Method::Batched, Method::Ingest]
        } else {
            faster.iter().copied().collect()
        }
    });
    let runs = settings.load_runs.unwrap_or(if !settings.full || space.keys() > 2_000_000 {
        1
    } else {
        3
    });
    // Where the faster method is known from a smaller scale, the others run first and their
    // databases go as soon as they are measured: at 20 million keys two sets of three databases
    // would not fit on the disk.
    // Without a measurement from a smaller scale, above 2 million keys ingesting is preferred
    // (it was the faster at 2 million in every run so far).
    let preferred = faster
        .or((space.keys() > 2_000_000).then_some(Method::Ingest))
        .filter(|method| methods.contains(method));
    let mut methods = methods;
    methods.sort_by_key(|method| Some(*method) == preferred);
    let mut loads = Vec::new();
    let mut kept: Vec<(Method, Loaded)> = Vec::new();
    for &method in &methods {
        let started = Instant::now();
        let (results, loaded) = load_method(method, runs, dir, space);
        if !settings.full {
            for db in &loaded.dbs {
                check_contents(db, space);
            }
        }
        phases.push(format!("load by {}: {}", method.name(), secs(started.elapsed())));
        loads.push(results);
        if preferred.is_some_and(|preferred| preferred != method) {
            discard(loaded);
        } else {
            kept.push((method, loaded));
        }
    }
    // The faster method for Strata loads the databases the workloads run on.
    let strata_time = |results: &LoadResults| {
        median_duration(&results.runs[0].iter().map(|run| run.total).collect::<Vec<_>>())
    };
    let fastest = loads
        .iter()
        .min_by(|a, b| strata_time(a).cmp(&strata_time(b)))
        .map(|results| results.method)
        .expect("a load method");
    let chosen = preferred.unwrap_or(fastest);
    if methods.len() > 1 && preferred.is_none() {
        *faster = Some(chosen);
    }
    let mut loaded = None;
    for (method, set) in kept {
        if method == chosen {
            loaded = Some(set);
        } else {
            discard(set);
        }
    }
    (loads, chosen, loaded.expect("the chosen method's databases"))
}

/// Closes and deletes a set of databases.
fn discard(set: Loaded) {
    drop(set.dbs);
    for path in set.paths {
        std::fs::remove_dir_all(path).expect("remove a database");
    }
}

/// Every measurement at one scale; its markdown section and summary.
fn run_scale(
    settings: &Settings,
    keys: u64,
    faster: &mut Option<Method>,
) -> (String, ScaleSummary) {
    let wall = Instant::now();
    let space = Keyspace::new(keys);
    let logical = space.keys() * ENTRY_BYTES;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    eprintln!("{} keys ({} contexts), in {}", space.keys(), space.contexts(), dir.path().display());
    memory::reset_peak();

    let mut phases = Vec::new();
    let (loads, chosen, loaded) = load_scale(settings, &space, dir.path(), faster, &mut phases);
    let rss_loaded = memory::current();

    let mut section = String::new();
    writeln!(
        section,
        "\n### {} keys ({} contexts × {PER_CONTEXT}), {} logical\n",
        space.keys(),
        space.contexts(),
        size(logical)
    )
    .expect("write to a string");
    section.push_str(&load_table(&loads, logical));
    let started = Instant::now();
    let generated = space.entries().fold(0_u8, |acc, (key, value)| acc ^ key[63] ^ value[127]);
    black_box(generated);
    writeln!(
        section,
        "\nGenerating the {} entries alone (no database) takes {}; every load above includes it.",
        space.keys(),
        secs(started.elapsed())
    )
    .expect("write to a string");

    let started = Instant::now();
    let (reads_table, mut ratios) = reads(settings, &space, &loaded);
    phases.push(format!("reads: {}", secs(started.elapsed())));
    section.push_str(&reads_table);
    let started = Instant::now();
    warm(&loaded.paths[0]);
    section.push_str(&scan_diagnosis(settings, &space, &loaded));
    phases.push(format!("scans against a snapshot per scan: {}", secs(started.elapsed())));

    let started = Instant::now();
    let (writes_table, put_ratios, after) = writes(settings, &space, &loaded, logical);
    phases.push(format!("writes: {}", secs(started.elapsed())));
    ratios.push(("batched_put".to_owned(), put_ratios.0, put_ratios.1));
    section.push_str(&writes_table);

    let peak = memory::peak();
    let chosen_results = loads.iter().find(|r| r.method == chosen).expect("the chosen method");
    let load = std::array::from_fn(|e| {
        median_duration(&chosen_results.runs[e].iter().map(|r| r.total).collect::<Vec<_>>())
    });
    let summary = ScaleSummary {
        keys: space.keys(),
        method: chosen,
        load,
        on_disk: std::array::from_fn(|e| chosen_results.footprints[e].on_disk),
        space_amp: std::array::from_fn(|e| {
            chosen_results.footprints[e].on_disk as f64 / logical as f64
        }),
        write_amp_load: std::array::from_fn(|e| {
            write_amp(&chosen_results.footprints[e], loaded.ingested[e], logical)
        }),
        write_amp_after: after,
        peak,
        ratios,
        wall: Duration::ZERO,
    };

    drop(loaded);
    let started = Instant::now();
    drop(dir);
    phases.push(format!("removing the databases: {}", secs(started.elapsed())));
    let wall = wall.elapsed();
    writeln!(
        section,
        "\nPhases: {}; the scale took {}. Resident set with the three databases open after the load: {} MiB; peak over the scale: {} MiB.",
        phases.join("; "),
        secs(wall),
        mib(rss_loaded),
        mib(peak)
    )
    .expect("write to a string");
    (section, ScaleSummary { wall, ..summary })
}

fn write_amp(footprint: &Footprint, ingested: u64, logical: u64) -> f64 {
    (footprint.tables_written + ingested) as f64 / logical as f64
}

/// The load table: per method and engine, the median time, the rate, and the last run's
/// footprint.
fn load_table(loads: &[LoadResults], logical: u64) -> String {
    let mut table = String::from(
        "| load | engine | time, median of runs: writes (of which in commit calls) / with flush and compactions | keys/s | peak RSS rise MiB | on disk (of which WAL) | space amp | write amp | files per level | RocksDB cfstats |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for results in loads {
        for (e, side) in SIDES.iter().enumerate() {
            let runs = &results.runs[e];
            let written = median_duration(&runs.iter().map(|r| r.written).collect::<Vec<_>>());
            let committing =
                median_duration(&runs.iter().map(|r| r.committing).collect::<Vec<_>>());
            let total = median_duration(&runs.iter().map(|r| r.total).collect::<Vec<_>>());
            let peak = runs.iter().map(|r| r.peak_rise).max().unwrap_or(0);
            let footprint = &results.footprints[e];
            let ingested = runs.last().map_or(0, |r| r.ingested);
            writeln!(
                table,
                "| {} ({} run{}) | {} | {}{} / {} | {} | {} | {} ({}) | {:.2} | {:.2} | {} | {} |",
                results.method.name(),
                runs.len(),
                if runs.len() == 1 { "" } else { "s" },
                side.name(),
                secs(written),
                if committing.is_zero() {
                    String::new()
                } else {
                    format!(" ({})", secs(committing))
                },
                secs(total),
                format_rate((logical / ENTRY_BYTES) as f64 / total.as_secs_f64()),
                mib(peak),
                size(footprint.on_disk),
                size(footprint.wal),
                footprint.on_disk as f64 / logical as f64,
                write_amp(footprint, ingested, logical),
                footprint.levels,
                footprint.cfstats,
            )
            .expect("write to a string");
        }
    }
    table
}

/// The read workloads; their table and ratios against same options.
fn reads(
    settings: &Settings,
    space: &Keyspace,
    loaded: &Loaded,
) -> (String, Vec<(String, Spread, Spread)>) {
    let strata = match &loaded.dbs[0] {
        Db::Strata(db) => db,
        Db::Raw(_) => unreachable!("the first database is Strata's"),
    };
    check_values(strata, space);
    // Strata and raw RocksDB with Strata's options read one database, Strata's.
    let mut readers: Vec<Box<dyn Engine + '_>> =
        vec![loaded.dbs[0].engine(), Box::new(Raw::new(strata.rocksdb())), loaded.dbs[2].engine()];
    let paths = [loaded.paths[0].as_path(), loaded.paths[0].as_path(), loaded.paths[2].as_path()];
    let mut table = String::new();
    let mut ratios = Vec::new();
    for cache in [Cache::Warm, Cache::Cold] {
        match cache {
            Cache::Warm => {
                let started = Instant::now();
                let bytes = warm(paths[0]) + warm(paths[2]);
                eprintln!(
                    "  read {} to warm the page cache in {}",
                    size(bytes),
                    secs(started.elapsed())
                );
            }
            Cache::Cold => {
                // A database the block cache holds whole reads nothing below it.
                if dir_bytes(paths[0]) <= 2 * BLOCK_CACHE_BYTES && settings.full {
                    table.push_str(
                        "\n(No cold-cache reads: Strata's database fits the block cache twice over.)\n",
                    );
                    continue;
                }
                if !(evict(paths[0]) && evict(paths[2])) {
                    table.push_str(
                        "
(The page cache could not be dropped here: no cold reads.)
",
                    );
                    continue;
                }
            }
        }
        writeln!(
            table,
            "\nReads, {}:\n\n| workload | strata | rocksdb, same options | rocksdb, defaults | strata ÷ same | strata ÷ defaults | peak RSS rise MiB (strata / same / defaults) |\n|---|---|---|---|---|---|---|",
            cache.name()
        )
        .expect("write to a string");
        for workload in READS {
            let started = Instant::now();
            let samples = read_rounds(settings, workload, space, &mut readers, cache, &paths);
            eprintln!("  {} ({}): {}", workload.name(), cache.name(), secs(started.elapsed()));
            let (line, vs_same, vs_defaults) = row(workload.name(), &samples);
            table.push_str(&line);
            table.push('\n');
            ratios.push((format!("{} ({})", workload.name(), cache.name()), vs_same, vs_defaults));
        }
        let base = cache.base();
        if cache == Cache::Cold {
            evict(paths[0]);
            evict(paths[2]);
        }
        writeln!(
            table,
            "\nBelow the block cache, per `get_hit` (RocksDB's perf context, 2 000 reads at new random keys{}): Strata's database {}; raw defaults' {}.",
            if cache == Cache::Cold { ", the files just dropped from the page cache" } else { "" },
            block_profile(strata.rocksdb(), space, base),
            block_profile(loaded.dbs[2].rocks(), space, base)
        )
        .expect("write to a string");
    }
    (table, ratios)
}

/// Raw RocksDB reading as Strata's prefix-mode cursor does: a snapshot taken for every scan
/// (so that a backward move can reopen the iterator on the same data), released after it.
/// Everything but the scans is raw RocksDB's own.
struct SnapshotScans<'a> {
    raw: Raw<'a>,
    db: &'a DB,
}

impl SnapshotScans<'_> {
    fn scan(&self, from: &[u8], limit: usize) -> usize {
        let cf = self.db.cf_handle(STATE.name()).expect("the state column family");
        let snapshot = self.db.snapshot();
        let mut options = rocksdb::ReadOptions::default();
        options.set_snapshot(&snapshot);
        options.set_iterate_lower_bound(from.to_vec());
        options.set_iterate_upper_bound(
            strata::KeyRange::prefix(&from[..32]).end().expect("a context has an end").to_vec(),
        );
        let mut iter = self.db.raw_iterator_cf_opt(cf, options);
        iter.seek(from);
        let mut total = 0;
        for _ in 0..limit {
            let Some((key, value)) = iter.item() else { break };
            total += key.len() + value.len();
            iter.next();
        }
        iter.status().expect("scan");
        total
    }
}

impl Engine for SnapshotScans<'_> {
    fn get(&mut self, key: &[u8]) -> usize {
        self.raw.get(key)
    }

    fn multi_get(&mut self, keys: &[&[u8]]) -> usize {
        self.raw.multi_get(keys)
    }

    fn scan_prefix(&mut self, prefix: &[u8]) -> usize {
        self.scan(prefix, usize::MAX)
    }

    fn scan_prefix_owned(&mut self, prefix: &[u8]) -> usize {
        self.raw.scan_prefix_owned(prefix)
    }

    fn scan_from(&mut self, from: &[u8], limit: usize) -> usize {
        self.scan(from, limit)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.raw.put(key, value);
    }

    fn put_batch(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) {
        self.raw.put_batch(entries);
    }

    fn commit(&mut self, writes: &[strata_bench_support::Write]) -> Option<()> {
        self.raw.commit(writes)
    }

    fn quiesce(&self) {
        self.raw.quiesce();
    }
}

/// Why scans read below raw RocksDB: the scans again (page cache warm), Strata against raw
/// RocksDB as before and against raw RocksDB taking a snapshot per scan, on Strata's database.
fn scan_diagnosis(settings: &Settings, space: &Keyspace, loaded: &Loaded) -> String {
    let Db::Strata(strata) = &loaded.dbs[0] else { unreachable!("the first database is Strata's") };
    let db = strata.rocksdb();
    let mut engines: Vec<Box<dyn Engine + '_>> = vec![
        Box::new(Strata::new(strata)),
        Box::new(Raw::new(db)),
        Box::new(SnapshotScans { raw: Raw::new(db), db }),
    ];
    let path = loaded.paths[0].as_path();
    let mut out = String::from(
        "\nScans again, against raw RocksDB taking a snapshot per scan as Strata's prefix-mode cursor does (page cache warm, Strata's database): ",
    );
    let mut parts = Vec::new();
    for workload in [Read::ShortScan, Read::PrefixScan] {
        let samples =
            read_rounds(settings, workload, space, &mut engines, Cache::Warm, &[path, path, path]);
        let [strata, raw, snapshot] = &samples[..] else { unreachable!("three engines") };
        parts.push(format!(
            "`{}` strata ÷ raw {}, strata ÷ raw with a snapshot {}",
            workload.name(),
            Spread::of_ratios(&strata.rates, &raw.rates),
            Spread::of_ratios(&strata.rates, &snapshot.rates)
        ));
    }
    out.push_str(&parts.join("; "));
    out.push_str(".\n");
    out
}

/// The write workload; its table, its ratios (Strata ÷ same options, ÷ defaults), and each
/// engine's write amplification afterwards.
fn writes(
    settings: &Settings,
    space: &Keyspace,
    loaded: &Loaded,
    logical: u64,
) -> (String, (Spread, Spread), [f64; 3]) {
    // A tenth of the loaded keys in all, at least 8 batches a sample (2 when smoke-testing).
    let least = if settings.full { 8 } else { 2 };
    let batches = (space.keys() / 10 / BATCH as u64 / settings.rounds as u64).max(least) as usize;
    let before: Vec<Footprint> = loaded
        .dbs
        .iter()
        .zip(&loaded.paths)
        .map(|(db, path)| footprint(db.rocks(), path))
        .collect();
    let mut engines: Vec<Box<dyn Engine + '_>> = loaded.dbs.iter().map(Db::engine).collect();
    let writes = write_rounds(settings, batches, &mut engines);
    drop(engines);
    let (line, vs_same, vs_defaults) = row("batched_put", &writes.samples);
    let mut table = String::from(
        "\n| workload | strata | rocksdb, same options | rocksdb, defaults | strata ÷ same | strata ÷ defaults | peak RSS rise MiB (strata / same / defaults) |\n|---|---|---|---|---|---|---|\n",
    );
    table.push_str(&line);
    table.push('\n');
    let put_logical = writes.keys * ENTRY_BYTES;
    writeln!(
        table,
        "\n{} fresh keys per engine, {batches} batches of {BATCH} a sample. Including the waits for flushes and compactions after each sample: {}.\n",
        writes.keys,
        SIDES
            .iter()
            .zip(&writes.absorbed)
            .map(|(side, took)| format!(
                "{} {}",
                side.name(),
                format_rate(writes.keys as f64 / took.as_secs_f64())
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .expect("write to a string");
    table.push_str(
        "| after the writes | on disk (of which WAL) | space amp | write amp, load and writes | write amp, the writes alone | files per level | RocksDB cfstats |\n|---|---|---|---|---|---|---|\n",
    );
    let mut after = [0.0; 3];
    for (e, side) in SIDES.iter().enumerate() {
        let (db, path) = (&loaded.dbs[e], &loaded.paths[e]);
        db.flush_and_settle();
        let now = footprint(db.rocks(), path);
        let total_logical = logical + put_logical;
        after[e] = write_amp(&now, loaded.ingested[e], total_logical);
        let alone =
            now.tables_written.saturating_sub(before[e].tables_written) as f64 / put_logical as f64;
        writeln!(
            table,
            "| {} | {} ({}) | {:.2} | {:.2} | {alone:.2} | {} | {} |",
            side.name(),
            size(now.on_disk),
            size(now.wal),
            now.on_disk as f64 / total_logical as f64,
            after[e],
            now.levels,
            now.cfstats
        )
        .expect("write to a string");
    }
    (table, (vs_same, vs_defaults), after)
}

/// The tables across scales.
fn summary_tables(summaries: &[ScaleSummary]) -> String {
    let mut out = String::from(
        "\n### Across scales\n\n| keys | load method | load s (strata / same / defaults) | on disk (strata / same / defaults) | space amp | write amp after load | write amp after writes | peak RSS MiB | scale took |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let three = |values: [String; 3]| values.join(" / ");
    for s in summaries {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.keys,
            s.method.name(),
            three(s.load.map(|t| format!("{:.1}", t.as_secs_f64()))),
            three(s.on_disk.map(size)),
            three(s.space_amp.map(|a| format!("{a:.2}"))),
            three(s.write_amp_load.map(|a| format!("{a:.2}"))),
            three(s.write_amp_after.map(|a| format!("{a:.2}"))),
            mib(s.peak),
            secs(s.wall)
        )
        .expect("write to a string");
    }
    // Every workload any scale measured (a scale whose database the block cache holds has no
    // cold-cache rows), in the order they ran.
    let mut names: Vec<&str> = Vec::new();
    for (name, _, _) in summaries.iter().flat_map(|s| &s.ratios) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    for (title, defaults) in [("strata ÷ same options", false), ("strata ÷ defaults", true)] {
        writeln!(
            out,
            "\n| {title} | {} |\n|---|{}",
            summaries.iter().map(|s| s.keys.to_string()).collect::<Vec<_>>().join(" | "),
            "---|".repeat(summaries.len())
        )
        .expect("write to a string");
        for name in &names {
            let cells: Vec<String> = summaries
                .iter()
                .map(|s| {
                    let found = s.ratios.iter().find(|(n, _, _)| n == name);
                    found.map_or("—".to_owned(), |(_, same, other)| {
                        if defaults { other.to_string() } else { same.to_string() }
                    })
                })
                .collect();
            writeln!(out, "| {name} | {} |", cells.join(" | ")).expect("write to a string");
        }
    }
    out
}
