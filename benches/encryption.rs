//! What encryption at rest costs: `Encrypted<Store<RocksDb>>` against the plain
//! `Store<RocksDb>`, in one process, on the same data.
//!
//! Each side has a database of its own (it must: one holds sealed values, the other plaintext),
//! opened with the same `RocksConfig` (Strata's defaults) and the node schema's columns plus
//! `strata_versions`, where the encrypted side keeps its key ring. Both are loaded with the same
//! entries of the `state` column — 32-byte context id + 32-byte state key → random bytes, 250
//! entries a context — through their own `apply`, an eighth of the contexts at a time, each
//! eighth flushed to its own table file and the last left in the memtable; background
//! compactions are let finish before anything is measured. Two data sets:
//!
//! - **128 B**: 200 000 entries of 128-byte values (the size of `compare`'s);
//! - **4 KiB**: 20 000 entries of 4096-byte values (about 80 MiB: more than the 64 MiB block
//!   cache, so full scans read most blocks from the page cache on both sides).
//!
//! Workloads, on each set: **get** (a random existing key), **prefix scan** (every entry of one
//! context, 250, read in place with `next_entry`), **full scan** (the whole column in place);
//! and on the 128-byte set **commit** (a `Transaction` of 100 puts of fresh keys, applied with
//! `apply`; the encrypted side seals every value inside `apply`, so sealing is timed).
//!
//! The two sides alternate round by round in a shuffled order; after a commit sample the
//! runner waits for that database's flushes and compactions. A throughput is the median of the
//! rounds; the ratio encrypted ÷ plain is the median of the per-round ratios, with their
//! interquartile range. Targets: ≥ 0.7 for get, commit and scans of 128-byte values, ≥ 0.9 for
//! scans of 4 KiB values.
//!
//! ```sh
//! cargo bench --bench encryption                            # asserts the targets
//! STRATA_BENCH_ROUNDS=21 cargo bench --bench encryption
//! STRATA_BENCH_REPORT_ONLY=1 cargo bench --bench encryption  # print, do not assert
//! STRATA_BENCH_ONLY=scan cargo bench --bench encryption      # only workloads named *scan*
//! STRATA_ENCRYPTION_ENTRIES=200000,12000 cargo bench --bench encryption  # 128 B, 4 KiB entries
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it runs tiny sets once, checks that
//! both sides read exactly the data loaded (and that the encrypted database stores it sealed),
//! and asserts nothing about speed.

#![expect(clippy::cast_precision_loss, reason = "timings and ratios are shown as floats")]

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hasher as _};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use strata::rocksdb::RocksDb;
use strata::versions::VERSIONS;
use strata::{Column, KeyRange, Layer as _, ReadLayer, Store, Transaction, WriteLayer};
use strata_bench_support::paired::Spread;
use strata_bench_support::rates::format_rate;
use strata_bench_support::{self as workload, SEED};
use strata_encryption::{Encrypted, OVERHEAD, UnlockKey};
use strata_node::STATE;

/// Entries per context (a prefix scan reads one context).
const PER_CONTEXT: usize = 250;
/// The small values, as `compare` writes them.
const SMALL: usize = 128;
/// The large values.
const LARGE: usize = 4096;
/// Puts per commit.
const COMMIT: usize = 100;
/// Commits prepared (they cycle; rewriting a key is still a full write).
const COMMITS: usize = 64;
/// Target ratio, encrypted ÷ plain, on 128-byte values.
const TARGET_SMALL: f64 = 0.7;
/// Target ratio on scans of 4 KiB values.
const TARGET_LARGE_SCAN: f64 = 0.9;

type Plain = Store<RocksDb>;
type Sealed = Encrypted<Store<RocksDb>>;

struct Settings {
    full: bool,
    rounds: usize,
    sample: Duration,
    /// Run only the workloads whose names contain this.
    only: Option<String>,
    /// Entries of 128-byte values, then of 4 KiB values.
    entries: [usize; 2],
    per_context: usize,
}

impl Settings {
    fn from_env() -> Self {
        let full = std::env::args().any(|arg| arg == "--bench");
        let env = |name: &str| std::env::var(name).ok();
        let rounds = env("STRATA_BENCH_ROUNDS").and_then(|r| r.parse().ok()).unwrap_or(if full {
            11
        } else {
            1
        });
        let entries = env("STRATA_ENCRYPTION_ENTRIES").map_or(
            if full { [200_000, 20_000] } else { [320, 80] },
            |entries| {
                let counts: Vec<usize> = entries
                    .split(',')
                    .map(|n| n.trim().parse().expect("a number of entries"))
                    .collect();
                counts.try_into().expect("two counts: entries of 128 B, entries of 4 KiB")
            },
        );
        Self {
            full,
            rounds,
            sample: if full { Duration::from_millis(60) } else { Duration::ZERO },
            only: env("STRATA_BENCH_ONLY"),
            entries,
            per_context: if full { PER_CONTEXT } else { 20 },
        }
    }

    fn selects(&self, name: &str) -> bool {
        self.only.as_deref().is_none_or(|only| name.contains(only))
    }
}

/// One data set: entries of one value length, sorted by key, context by context.
struct Set {
    label: &'static str,
    value_len: usize,
    per_context: usize,
    contexts: Vec<[u8; 32]>,
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Indices into `entries`, shuffled: the keys point gets read.
    hits: Vec<usize>,
}

fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rng.fill(&mut bytes[..]);
    bytes
}

impl Set {
    fn generate(
        label: &'static str,
        entries: usize,
        value_len: usize,
        settings: &Settings,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(SEED ^ value_len as u64);
        let per_context = settings.per_context;
        let mut contexts: Vec<[u8; 32]> =
            (0..entries.div_ceil(per_context)).map(|_| rng.random()).collect();
        contexts.sort_unstable();
        let mut all = Vec::with_capacity(entries);
        for (i, context) in contexts.iter().enumerate() {
            let count = per_context.min(entries - i * per_context);
            let mut keys: Vec<Vec<u8>> =
                (0..count).map(|_| [&context[..], &rng.random::<[u8; 32]>()].concat()).collect();
            keys.sort_unstable();
            all.extend(keys.into_iter().map(|key| (key, random_bytes(&mut rng, value_len))));
        }
        let mut hits: Vec<usize> = (0..all.len()).collect();
        hits.shuffle(&mut rng);
        hits.truncate(1 << 16);
        Self { label, value_len, per_context, contexts, entries: all, hits }
    }

    /// The entries under `prefix`.
    fn under(&self, prefix: &[u8]) -> &[(Vec<u8>, Vec<u8>)] {
        let start = self.entries.partition_point(|(key, _)| key.as_slice() < prefix);
        let end = start + self.entries[start..].partition_point(|(key, _)| key.starts_with(prefix));
        &self.entries[start..end]
    }
}

/// The `n`th item of a scattered walk over `items` (the stride is prime to every size here).
fn pick<T>(items: &[T], n: usize) -> &T {
    &items[n.wrapping_mul(7919) % items.len()]
}

/// The node schema's columns and the meta column holding the key ring.
fn columns() -> Vec<Column> {
    strata_node::COLUMNS.into_iter().chain([VERSIONS]).collect()
}

fn open(path: &Path) -> RocksDb {
    RocksDb::open(&workload::config(path), &columns()).expect("open RocksDB")
}

/// Waits until `db` has no flush or compaction pending or running.
fn settle(db: &RocksDb) {
    let raw = db.rocksdb();
    workload::settle(raw, raw.cf_handle(STATE.name()).expect("the state column family"));
}

fn flush(db: &RocksDb) {
    let raw = db.rocksdb();
    raw.flush_cf(raw.cf_handle(STATE.name()).expect("the state column family"))
        .expect("flush the state column");
}

/// The two sides over one data set.
struct Pair {
    sealed: Sealed,
    plain: Plain,
}

impl Pair {
    /// Two new databases under `dir`, loaded with `set` the same way.
    fn load(dir: &Path, set: &Set) -> Self {
        let key = UnlockKey::from_bytes([7; 32]);
        let sealed_db = open(&dir.join(format!("{}-encrypted", set.value_len)));
        let mut sealed =
            Encrypted::create(Store::new(sealed_db), &key, &[STATE]).expect("encrypt a database");
        let mut plain = Store::new(open(&dir.join(format!("{}-plain", set.value_len))));
        // An eighth of the contexts per table file, the last eighth left in the memtable.
        let group = set.contexts.len().div_ceil(8) * set.per_context;
        let groups: Vec<_> = set.entries.chunks(group).collect();
        for (i, chunk) in groups.iter().enumerate() {
            let mut tx = Transaction::new();
            for (key, value) in *chunk {
                tx.put(STATE, key, value);
            }
            sealed.apply(&tx).expect("load the encrypted database");
            plain.apply(&tx).expect("load the plain database");
            if i + 1 < groups.len() {
                flush(sealed.base().db());
                flush(plain.db());
            }
        }
        settle(sealed.base().db());
        settle(plain.db());
        Self { sealed, plain }
    }
}

/// A read workload, run identically on both sides.
#[derive(Debug, Clone, Copy)]
enum Read {
    Get,
    PrefixScan,
    FullScan,
}

impl Read {
    fn name(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::PrefixScan => "prefix scan",
            Self::FullScan => "full scan",
        }
    }

    /// Entries one operation reads.
    fn items(self, set: &Set) -> u64 {
        match self {
            Self::Get => 1,
            Self::PrefixScan => set.per_context as u64,
            Self::FullScan => set.entries.len() as u64,
        }
    }

    /// Operation `n`: the key and value bytes read.
    fn run(self, layer: &impl ReadLayer, set: &Set, n: usize) -> usize {
        match self {
            Self::Get => {
                let (key, _) = &set.entries[*pick(&set.hits, n)];
                layer.get(STATE, key).expect("get").map_or(0, |value| key.len() + value.len())
            }
            Self::PrefixScan => {
                scan(layer, KeyRange::prefix(pick(&set.contexts, n).as_slice()), |_, _| {})
            }
            Self::FullScan => scan(layer, KeyRange::all(), |_, _| {}),
        }
    }

    /// Operation `n`'s answer in full, and what the loaded data says it must be.
    fn check(self, layer: &impl ReadLayer, set: &Set, n: usize) -> (Digest, Digest) {
        let mut got = Digest::default();
        let expected: &[(Vec<u8>, Vec<u8>)] = match self {
            Self::Get => {
                let entry = &set.entries[*pick(&set.hits, n)];
                if let Some(value) = layer.get(STATE, &entry.0).expect("get") {
                    got.add(&entry.0, &value);
                }
                std::slice::from_ref(entry)
            }
            Self::PrefixScan => {
                let context = pick(&set.contexts, n);
                scan(layer, KeyRange::prefix(context), |key, value| got.add(key, value));
                set.under(context)
            }
            Self::FullScan => {
                scan(layer, KeyRange::all(), |key, value| got.add(key, value));
                &set.entries
            }
        };
        (got, Digest::of(expected))
    }
}

/// Reads `range` of `state` in place; the total key and value length.
fn scan(layer: &impl ReadLayer, range: KeyRange, mut each: impl FnMut(&[u8], &[u8])) -> usize {
    let mut entries = layer.iter_range(STATE, range).expect("iter");
    let mut total = 0;
    while let Some(entry) = entries.next_entry() {
        let (key, value) = entry.expect("read an entry");
        each(key, value);
        total += key.len() + value.len();
    }
    total
}

/// A count and a hash of entries, in order: what two reads are compared by.
#[derive(Default)]
struct Digest {
    entries: usize,
    hasher: DefaultHasher,
}

impl Digest {
    fn of(entries: &[(Vec<u8>, Vec<u8>)]) -> Self {
        let mut digest = Self::default();
        for (key, value) in entries {
            digest.add(key, value);
        }
        digest
    }

    fn add(&mut self, key: &[u8], value: &[u8]) {
        self.entries += 1;
        self.hasher.write_usize(key.len());
        self.hasher.write(key);
        self.hasher.write_usize(value.len());
        self.hasher.write(value);
    }

    fn finish(&self) -> (usize, u64) {
        (self.entries, self.hasher.finish())
    }
}

/// Both sides must read exactly the loaded data, and the encrypted database must hold it
/// sealed.
fn check(pair: &Pair, set: &Set, read: Read, settings: &Settings) {
    let ops = match read {
        Read::Get => {
            if settings.full {
                256
            } else {
                set.hits.len()
            }
        }
        Read::PrefixScan => {
            if settings.full {
                16
            } else {
                set.contexts.len()
            }
        }
        Read::FullScan => 1,
    };
    for n in 0..ops {
        let (sealed, expected) = read.check(&pair.sealed, set, n);
        let (plain, _) = read.check(&pair.plain, set, n);
        let name = read.name();
        assert_eq!(sealed.finish(), expected.finish(), "{name} {n}: encrypted side, {}", set.label);
        assert_eq!(plain.finish(), expected.finish(), "{name} {n}: plain side, {}", set.label);
    }
    for (key, value) in set.entries.iter().take(16) {
        let stored = pair.sealed.base().get(STATE, key).expect("get").expect("a stored value");
        assert_eq!(stored.len(), value.len() + OVERHEAD, "a sealed value's length");
        assert!(!stored.windows(16).any(|w| w == &value[..16]), "the value is stored in clear");
    }
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// What the sampling loop asks of one side.
enum Call {
    /// Run and time operation `n`.
    Op(usize),
    /// A sample of this side just ended (untimed): let background work finish.
    SampleEnd,
}

/// One side: runs a call, returns how long the timed part took.
type Side<'s> = Box<dyn FnMut(Call) -> Duration + 's>;

/// Runs both sides alternately, each round one sample per side in a shuffled order, a sample
/// `ops` operations of `items` items (calibrated on the first side to fill
/// `settings.sample`). A write workload gives the second side the calibration's writes too.
/// Returns the throughputs, one per round, per side.
fn rounds(
    settings: &Settings,
    items: u64,
    writes: bool,
    sides: &mut [Side<'_>; 2],
) -> [Vec<f64>; 2] {
    let start = Instant::now();
    let mut ops = 0;
    while ops < 1 || (settings.full && start.elapsed() < settings.sample) {
        (sides[0])(Call::Op(ops));
        ops += 1;
    }
    if writes {
        for n in 0..ops {
            (sides[1])(Call::Op(n));
        }
    }
    for side in sides.iter_mut() {
        side(Call::SampleEnd);
    }
    let mut throughput = [Vec::new(), Vec::new()];
    for round in 0..settings.rounds {
        let mut order = [0, 1];
        order.shuffle(&mut StdRng::seed_from_u64(round as u64));
        for side in order {
            let first = ops + round * ops;
            let elapsed: Duration = (0..ops).map(|n| (sides[side])(Call::Op(first + n))).sum();
            throughput[side].push((ops as u64 * items) as f64 / elapsed.as_secs_f64());
            (sides[side])(Call::SampleEnd);
        }
    }
    throughput
}

/// The table being built and the targets missed.
struct Report {
    table: String,
    misses: Vec<String>,
}

impl Report {
    fn new() -> Self {
        Self {
            table: String::from(
                "| workload | plain | encrypted | encrypted ÷ plain [IQR] | values MiB/s (plain / encrypted) |\n|---|---|---|---|---|\n",
            ),
            misses: Vec::new(),
        }
    }

    /// Adds a row for `results` (encrypted, then plain), judged against `target`.
    fn row(&mut self, name: &str, value_len: usize, results: &[Vec<f64>; 2], target: Option<f64>) {
        let ratio = Spread::of_ratios(&results[0], &results[1]);
        let spread = format!("[{:.2}–{:.2}]", ratio.low, ratio.high);
        let median = ratio.median;
        let verdict = match target {
            Some(target) if median >= target => format!("{median:.2} {spread} (≥ {target})"),
            Some(target) => {
                self.misses.push(format!("{name}: {median:.2} {spread} < {target}"));
                format!("**{median:.2}** {spread} (< {target})")
            }
            None => format!("{median:.2} {spread}"),
        };
        let [sealed, plain] = results.each_ref().map(|r| Spread::of(r).median);
        let mib = |rate: f64| rate * value_len as f64 / f64::from(1 << 20);
        writeln!(
            self.table,
            "| {name} | {} | {} | {verdict} | {:.0} / {:.0} |",
            format_rate(plain),
            format_rate(sealed),
            mib(plain),
            mib(sealed),
        )
        .expect("write to a string");
    }
}

/// Times `read` on both sides of `pair`.
fn measure_read(settings: &Settings, report: &mut Report, pair: &Pair, set: &Set, read: Read) {
    let name = format!("{}, {}", read.name(), set.label);
    if !settings.selects(&name) {
        return;
    }
    check(pair, set, read, settings);
    let target = match (read, set.value_len) {
        (_, SMALL) => Some(TARGET_SMALL),
        (Read::PrefixScan | Read::FullScan, _) => Some(TARGET_LARGE_SCAN),
        (Read::Get, _) => None,
    };
    let results = rounds(
        settings,
        read.items(set),
        false,
        &mut [
            Box::new(|call| match call {
                Call::Op(n) => timed(|| {
                    black_box(read.run(&pair.sealed, set, n));
                }),
                Call::SampleEnd => Duration::ZERO,
            }),
            Box::new(|call| match call {
                Call::Op(n) => timed(|| {
                    black_box(read.run(&pair.plain, set, n));
                }),
                Call::SampleEnd => Duration::ZERO,
            }),
        ],
    );
    report.row(&name, set.value_len, &results, target);
}

/// Commits of [`COMMIT`] fresh 128-byte values each, into both sides of `pair`; then checks
/// that both databases hold the same data.
fn measure_commit(settings: &Settings, report: &mut Report, pair: &mut Pair) {
    let name = format!("commit of {COMMIT} puts, 128 B");
    if !settings.selects(&name) {
        return;
    }
    let mut rng = StdRng::seed_from_u64(SEED + 3);
    let commits: Vec<Transaction> = (0..if settings.full { COMMITS } else { 4 })
        .map(|_| {
            let mut tx = Transaction::new();
            for _ in 0..COMMIT {
                let key = random_bytes(&mut rng, 64);
                tx.put(STATE, key, random_bytes(&mut rng, SMALL));
            }
            tx
        })
        .collect();
    let Pair { sealed, plain } = pair;
    let results = rounds(
        settings,
        COMMIT as u64,
        true,
        &mut [
            Box::new(|call| match call {
                Call::Op(n) => timed(|| sealed.apply(pick(&commits, n)).expect("apply")),
                Call::SampleEnd => {
                    settle(sealed.base().db());
                    Duration::ZERO
                }
            }),
            Box::new(|call| match call {
                Call::Op(n) => timed(|| plain.apply(pick(&commits, n)).expect("apply")),
                Call::SampleEnd => {
                    settle(plain.db());
                    Duration::ZERO
                }
            }),
        ],
    );
    report.row(&name, SMALL, &results, Some(TARGET_SMALL));
    let mut sealed_digest = Digest::default();
    let mut plain_digest = Digest::default();
    scan(&pair.sealed, KeyRange::all(), |key, value| sealed_digest.add(key, value));
    scan(&pair.plain, KeyRange::all(), |key, value| plain_digest.add(key, value));
    assert_eq!(sealed_digest.finish(), plain_digest.finish(), "the commits wrote different data");
}

fn main() {
    let settings = Settings::from_env();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let loading = Instant::now();
    let small = Set::generate("128 B", settings.entries[0], SMALL, &settings);
    let large = Set::generate("4 KiB", settings.entries[1], LARGE, &settings);
    let mut small_pair = Pair::load(dir.path(), &small);
    let large_pair = Pair::load(dir.path(), &large);
    eprintln!(
        "loaded {} entries of 128 B and {} of 4 KiB into two databases each in {:.1?}",
        small.entries.len(),
        large.entries.len(),
        loading.elapsed()
    );

    let mut report = Report::new();
    for (pair, set) in [(&small_pair, &small), (&large_pair, &large)] {
        for read in [Read::Get, Read::PrefixScan, Read::FullScan] {
            measure_read(&settings, &mut report, pair, set, read);
        }
    }
    // Writes last: the reads see the data as loaded.
    measure_commit(&settings, &mut report, &mut small_pair);

    println!("\n{}", report.table);
    println!(
        "{} rounds, samples of {:?}; throughput in entries per second (median of rounds); ratios are medians of per-round ratios [interquartile range]",
        settings.rounds, settings.sample
    );
    if settings.full && !report.misses.is_empty() {
        println!("\nbelow target:\n  {}", report.misses.join("\n  "));
        if std::env::var_os("STRATA_BENCH_REPORT_ONLY").is_none() {
            std::process::exit(1);
        }
    }
}
