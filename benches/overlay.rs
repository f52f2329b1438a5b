//! The `Temporal` overlay against the overlay a user would write by hand on raw RocksDB.
//!
//! The hand-written overlay is the obvious one: a `BTreeMap<Vec<u8>, Option<Vec<u8>>>` of
//! buffered writes (owned keys and values, as a buffer must own them), gets that look in the map
//! and fall through to `get_pinned_cf`, a scan that merges the map with a raw iterator in place,
//! and a commit that writes the map as one sized `WriteBatch`. `Temporal` does the same over
//! Strata's `Store`. Both read one base database (the `state` column loaded as
//! `benches/support` loads it, 200 000 keys), and each commits into a scratch database of its own.
//!
//! For every buffer size (10 to 1 000 000 writes, in random key order: a third overwrite base
//! keys, a third insert under existing contexts, a third delete base keys) four workloads are
//! timed, the two sides alternating round by round in a shuffled order:
//!
//! - **build**: an empty buffer filled with the writes, then its first key read in order (a
//!   buffer that sorts lazily pays for the sort here); dropping it is not timed;
//! - **get**: read-through gets — a quarter buffered keys, a quarter absent, half base keys;
//! - **scan**: the whole column through the merge, in place; a third side, a plain `Store` over a
//!   database with the same writes committed, gives the merged scan's cost over no overlay;
//! - **commit**: the buffer written as one atomic batch (building and sorting it is not timed); a
//!   third side, `Store::apply` of the same `Transaction`, gives the commit's cost over a plain
//!   apply.
//!
//! A ratio is the median of the per-round ratios, shown with their interquartile range. Memory is
//! measured in a child process per size and side (this benchmark started again with `--memory`):
//! the rise of its resident set while it builds the buffer, against the bytes of the keys and
//! values the buffer holds (from 8 MiB held: smaller buffers fit in memory the allocator already
//! holds).
//!
//! ```sh
//! cargo bench --bench overlay                                  # every size
//! STRATA_OVERLAY_SIZES=10000,100000 cargo bench --bench overlay
//! STRATA_OVERLAY_BASE=2000000 cargo bench --bench overlay      # a larger base
//! STRATA_BENCH_ROUNDS=21 cargo bench --bench overlay
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it runs tiny sizes once, checks that
//! both overlays read and commit the same data, and asserts nothing about speed.

#![expect(clippy::cast_precision_loss, reason = "timings and ratios are shown as floats")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rocksdb::{ColumnFamily, DB, WriteBatch};
use strata::rocksdb::RocksDb;
use strata::{ReadLayer, Store, Temporal, Transaction, WriteLayer};
use strata_bench_support::memory;
use strata_bench_support::paired::Spread;
use strata_bench_support::rates::format_rate;
use strata_bench_support::{self as workload, Dataset, SEED, Scale, VALUE_LEN};
use strata_node::STATE;

/// The buffer sizes measured by default.
const SIZES: [usize; 5] = [10, 1_000, 10_000, 100_000, 1_000_000];

/// Buffers smaller than this many bytes are not in the memory table: the allocator serves them
/// from memory it already holds, so the resident set does not show them.
const MEASURABLE: usize = 8 << 20;

/// Buffered writes: key, then the value or `None` for a delete.
type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

struct Settings {
    full: bool,
    rounds: usize,
    sample: Duration,
    sizes: Vec<usize>,
    base: Scale,
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
        let sizes = env("STRATA_OVERLAY_SIZES").map_or_else(
            || if full { SIZES.to_vec() } else { vec![10, 300] },
            |sizes| sizes.split(',').map(|s| s.trim().parse().expect("a buffer size")).collect(),
        );
        let mut base = if full { Scale::FULL } else { Scale::SMOKE };
        if let Some(keys) = env("STRATA_OVERLAY_BASE").and_then(|k| k.parse::<usize>().ok()) {
            base.contexts = keys.div_ceil(base.per_context);
        }
        let sample = if full { Duration::from_millis(60) } else { Duration::ZERO };
        Self { full, rounds, sample, sizes, base }
    }
}

/// `size` writes over `data`, in random key order: a third overwrite base keys, a third insert
/// under existing contexts, a third delete base keys. Keys repeat where chance has it.
fn writes(data: &Dataset, size: usize) -> Writes {
    let mut rng = StdRng::seed_from_u64(SEED ^ size as u64);
    let value = |rng: &mut StdRng| (0..VALUE_LEN).map(|_| rng.random()).collect::<Vec<u8>>();
    (0..size)
        .map(|i| {
            let existing =
                |rng: &mut StdRng| data.entries[rng.random_range(0..data.entries.len())].0.clone();
            match i % 3 {
                0 => {
                    let key = existing(&mut rng);
                    (key, Some(value(&mut rng)))
                }
                1 => {
                    let context = data.contexts[rng.random_range(0..data.contexts.len())];
                    let key = [&context[..], &rng.random::<[u8; 32]>()].concat();
                    (key, Some(value(&mut rng)))
                }
                _ => (existing(&mut rng), None),
            }
        })
        .collect()
}

/// Read-through probes: a quarter buffered keys, a quarter absent keys, half base keys.
fn probes(data: &Dataset, writes: &Writes) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(SEED + 2);
    (0..4096)
        .map(|i| match i % 4 {
            0 => writes[rng.random_range(0..writes.len())].0.clone(),
            1 => data.misses_in_prefix[i % data.misses_in_prefix.len()].clone(),
            _ => data.hits[rng.random_range(0..data.hits.len())].clone(),
        })
        .collect()
}

/// The overlay a careful user writes by hand over raw RocksDB.
struct Hand<'a> {
    db: &'a DB,
    cf: &'a ColumnFamily,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Hand<'a> {
    fn new(db: &'a DB) -> Self {
        let cf = db.cf_handle(STATE.name()).expect("the state column family");
        Self { db, cf, writes: BTreeMap::new() }
    }

    fn build(db: &'a DB, writes: &Writes) -> Self {
        let mut hand = Self::new(db);
        for (key, value) in writes {
            hand.writes.insert(key.clone(), value.clone());
        }
        hand
    }

    fn get(&self, key: &[u8]) -> usize {
        match self.writes.get(key) {
            Some(value) => value.as_ref().map_or(0, Vec::len),
            None => self.db.get_pinned_cf(self.cf, key).expect("get").map_or(0, |v| v.len()),
        }
    }

    /// The whole column through the merge, in place: the total length of the live entries.
    fn scan(&self) -> usize {
        let mut base = self.db.raw_iterator_cf(self.cf);
        base.seek_to_first();
        let mut shadow = self.writes.iter().peekable();
        let mut total = 0;
        loop {
            let from_shadow = match (base.key(), shadow.peek()) {
                (None, None) => break,
                (Some(base_key), Some((key, _))) => key.as_slice() <= base_key,
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            if from_shadow {
                let (key, value) = shadow.next().expect("peeked");
                if base.key() == Some(key.as_slice()) {
                    base.next();
                }
                total += value.as_ref().map_or(0, |value| key.len() + value.len());
            } else {
                let (key, value) = base.item().expect("a base entry");
                total += key.len() + value.len();
                base.next();
            }
        }
        base.status().expect("scan");
        total
    }

    /// Writes the buffer as one atomic batch; the emptied map is returned, to be dropped untimed.
    fn commit(&mut self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        let writes = std::mem::take(&mut self.writes);
        let bytes = 12
            + writes
                .iter()
                .map(|(key, value)| 16 + key.len() + value.as_ref().map_or(0, Vec::len))
                .sum::<usize>();
        let mut batch = WriteBatch::with_capacity_bytes(bytes);
        for (key, value) in &writes {
            match value {
                Some(value) => batch.put_cf(self.cf, key, value),
                None => batch.delete_cf(self.cf, key),
            }
        }
        self.db.write(batch).expect("commit");
        writes
    }
}

fn build_temporal<'a>(db: &'a RocksDb, writes: &Writes) -> Temporal<Store<&'a RocksDb>> {
    let mut layer = Temporal::new(Store::new(db));
    for (key, value) in writes {
        match value {
            Some(value) => layer.put(STATE, key, value),
            None => layer.delete(STATE, key),
        }
        .expect("buffer a write");
    }
    layer
}

fn transaction(writes: &Writes) -> Transaction {
    let mut tx = Transaction::new();
    for (key, value) in writes {
        match value {
            Some(value) => tx.put(STATE, key, value),
            None => tx.delete(STATE, key),
        }
    }
    tx
}

fn temporal_get(layer: &impl ReadLayer, key: &[u8]) -> usize {
    layer.get(STATE, key).expect("get").map_or(0, |v| v.len())
}

fn temporal_scan(layer: &impl ReadLayer) -> usize {
    let mut entries = layer.iter(STATE, ..).expect("iter");
    let mut total = 0;
    while let Some(entry) = entries.next_entry() {
        let (key, value) = entry.expect("read an entry");
        total += key.len() + value.len();
    }
    total
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// One side of a comparison: runs operation `n`, untimed set-up included, and returns how long
/// the timed part took.
type Side<'s> = Box<dyn FnMut(usize) -> Duration + 's>;

/// Runs `sides` alternately: each round one sample per side, in a shuffled order, `ops`
/// operations of `items` items a sample; `settle` runs (untimed) after each sample. Returns the
/// throughputs, one per round, per side.
fn rounds(
    settings: &Settings,
    items: u64,
    sides: &mut [Side<'_>],
    mut settle: impl FnMut(usize),
) -> Vec<Vec<f64>> {
    // Calibrate on the first side: enough operations to fill a sample.
    let start = Instant::now();
    let mut ops = 0;
    while ops < 1 || (settings.full && start.elapsed() < settings.sample) {
        (sides[0])(ops);
        ops += 1;
    }
    settle(0);
    let mut throughput = vec![Vec::new(); sides.len()];
    for round in 0..settings.rounds {
        let mut order: Vec<usize> = (0..sides.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(round as u64));
        for side in order {
            let elapsed: Duration = (0..ops).map(|n| (sides[side])(round * ops + n)).sum();
            throughput[side].push((ops as u64 * items) as f64 / elapsed.as_secs_f64());
            settle(side);
        }
    }
    throughput
}

fn median(values: &[f64]) -> f64 {
    Spread::of(values).median
}

/// One row of the table: the workload, each side's median throughput, the paired ratio.
fn row(table: &mut String, size: usize, workload: &str, results: &[Vec<f64>], extra: &str) {
    let ratio = Spread::of_ratios(&results[0], &results[1]);
    writeln!(
        table,
        "| {size} | {workload} | {} | {} | {ratio} | {extra} |",
        format_rate(median(&results[0])),
        format_rate(median(&results[1])),
    )
    .expect("write to a string");
}

/// The resident set now, in bytes.
fn memory_now() -> usize {
    usize::try_from(memory::current()).expect("a resident set fits in memory")
}

/// Memory of one side's buffer, measured in this child process: resident-set rise while building.
fn memory_child(size: usize, which: &str, base: Scale) {
    let data = Dataset::generate(base);
    // The data stays allocated: memory it freed would be reused by the buffer, unseen.
    let writes = writes(&data, size);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = workload::open_strata(dir.path());
    let before = memory_now();
    let held = if which == "temporal" {
        let layer = build_temporal(&db, &writes);
        // Sorted, as the buffer is once anything reads it in order.
        black_box(layer.shadow().range(STATE, ..).next());
        let rise = memory_now().saturating_sub(before);
        let held = layer.shadow().bytes();
        black_box(&layer);
        (rise, held)
    } else {
        let hand = Hand::build(db.rocksdb(), &writes);
        let rise = memory_now().saturating_sub(before);
        let held = hand
            .writes
            .iter()
            .map(|(key, value)| key.len() + value.as_ref().map_or(0, Vec::len))
            .sum();
        black_box(&hand);
        (rise, held)
    };
    println!("memory {} {}", held.0, held.1);
}

/// Runs the memory child for `side`; returns the rise in bytes and the bytes held.
fn memory(size: usize, which: &str, settings: &Settings) -> (usize, usize) {
    let exe = std::env::current_exe().expect("this benchmark's path");
    let mut command = Command::new(exe);
    command.args(["--memory", &size.to_string(), which]);
    if settings.full {
        command.arg("--bench");
    }
    if let Ok(base) = std::env::var("STRATA_OVERLAY_BASE") {
        command.env("STRATA_OVERLAY_BASE", base);
    }
    let output = command.output().expect("run the memory child");
    assert!(output.status.success(), "memory child: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find(|l| l.starts_with("memory ")).expect("the child's figures");
    let mut figures = line.split_whitespace().skip(1).map(|f| f.parse().expect("a number"));
    (figures.next().expect("rise"), figures.next().expect("held"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--memory") {
        let size = args[at + 1].parse().expect("a buffer size");
        memory_child(size, &args[at + 2], Settings::from_env().base);
        return;
    }
    let settings = Settings::from_env();
    let data = Dataset::generate(settings.base);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = workload::open_strata(&dir.path().join("base"));
    workload::load(base.rocksdb(), &data);
    eprintln!("base: {} keys", settings.base.keys());

    let mut table = String::from(
        "| buffered | workload | temporal | hand-written | temporal ÷ hand (IQR) | temporal ÷ plain store |\n|---|---|---|---|---|---|\n",
    );
    let mut memory_table = String::from(
        "| buffered | bytes held | temporal RSS rise | ÷ held | hand-written RSS rise | ÷ held |\n|---|---|---|---|---|---|\n",
    );
    for &size in &settings.sizes {
        let started = Instant::now();
        measure(&settings, &data, &base, dir.path(), size, &mut table, &mut memory_table);
        eprintln!("{size} buffered writes measured in {:.1?}", started.elapsed());
    }
    println!("\n{table}\n{memory_table}");
}

/// Measures every workload and the memory at one buffer size, adding rows to both tables.
#[expect(clippy::too_many_lines, reason = "one table row after another, each with its sides")]
fn measure(
    settings: &Settings,
    data: &Dataset,
    base: &RocksDb,
    dir: &std::path::Path,
    size: usize,
    table: &mut String,
    memory_table: &mut String,
) {
    let writes = writes(data, size);
    let probes = probes(data, &writes);

    // Both overlays, and a plain store with the writes committed, must read the same data.
    let temporal = build_temporal(base, &writes);
    let hand = Hand::build(base.rocksdb(), &writes);
    let committed_dir = dir.join(format!("committed-{size}"));
    let committed = workload::open_strata(&committed_dir);
    workload::load(committed.rocksdb(), data);
    Store::new(&committed).apply(&transaction(&writes)).expect("commit the writes");
    let plain = Store::new(&committed);
    let scanned = hand.scan();
    assert_eq!(temporal_scan(&temporal), scanned, "{size}: merged scans differ");
    assert_eq!(temporal_scan(&plain), scanned, "{size}: the committed store differs");
    for probe in &probes {
        assert_eq!(temporal_get(&temporal, probe), hand.get(probe), "{size}: get differs");
        assert_eq!(temporal_get(&plain, probe), hand.get(probe), "{size}: store differs");
    }

    // Build.
    let results = rounds(
        settings,
        size as u64,
        &mut [
            Box::new(|_| {
                let start = Instant::now();
                let layer = build_temporal(base, &writes);
                black_box(layer.shadow().range(STATE, ..).next());
                let took = start.elapsed();
                drop(black_box(layer));
                took
            }),
            Box::new(|_| {
                let start = Instant::now();
                let hand = Hand::build(base.rocksdb(), &writes);
                black_box(hand.writes.range::<[u8], _>(..).next());
                let took = start.elapsed();
                drop(black_box(hand));
                took
            }),
        ],
        |_| {},
    );
    row(table, size, "build", &results, "");

    // Read-through get.
    let pick = |n: usize| probes[n % probes.len()].as_slice();
    let results = rounds(
        settings,
        1,
        &mut [
            Box::new(|n| {
                timed(|| {
                    black_box(temporal_get(&temporal, pick(n)));
                })
            }),
            Box::new(|n| {
                timed(|| {
                    black_box(hand.get(pick(n)));
                })
            }),
        ],
        |_| {},
    );
    row(table, size, "read-through get", &results, "");

    // Merged scan, and the plain store's scan of the same data.
    let entries = plain.iter(STATE, ..).expect("iter").count() as u64;
    let results = rounds(
        settings,
        entries,
        &mut [
            Box::new(|_| {
                timed(|| {
                    black_box(temporal_scan(&temporal));
                })
            }),
            Box::new(|_| {
                timed(|| {
                    black_box(hand.scan());
                })
            }),
            Box::new(|_| {
                timed(|| {
                    black_box(temporal_scan(&plain));
                })
            }),
        ],
        |_| {},
    );
    let over_store = Spread::of_ratios(&results[0], &results[2]);
    row(table, size, "merged scan", &results, &over_store.to_string());
    drop((temporal, hand));

    // Commit, each side into a scratch database of its own; and `apply` of the same batch.
    let scratch: Vec<RocksDb> = (0..3)
        .map(|side| workload::open_strata(&dir.join(format!("scratch-{size}-{side}"))))
        .collect();
    let tx = transaction(&writes);
    black_box(tx.range(STATE, ..).next());
    let results = rounds(
        settings,
        size as u64,
        &mut [
            Box::new(|_| {
                let mut layer = build_temporal(&scratch[0], &writes);
                // Sorted untimed, as the build workload sorts it: the hand-written map is
                // sorted as it is built.
                black_box(layer.shadow().range(STATE, ..).next());
                let took = timed(|| layer.commit().expect("commit"));
                drop(layer);
                took
            }),
            Box::new(|_| {
                let mut hand = Hand::build(scratch[1].rocksdb(), &writes);
                let start = Instant::now();
                let emptied = hand.commit();
                let took = start.elapsed();
                drop(emptied);
                took
            }),
            Box::new(|_| timed(|| Store::new(&scratch[2]).apply(&tx).expect("apply"))),
        ],
        |side| {
            let db = scratch[side].rocksdb();
            workload::settle(db, db.cf_handle(STATE.name()).expect("the state column"));
        },
    );
    let over_apply = Spread::of_ratios(&results[0], &results[2]);
    row(table, size, "commit", &results, &over_apply.to_string());
    let committed_scan = temporal_scan(&Store::new(&scratch[0]));
    assert_eq!(
        committed_scan,
        temporal_scan(&Store::new(&scratch[1])),
        "{size}: the two commits wrote different data"
    );
    drop(scratch);
    drop(committed);

    let (temporal_rise, held) = memory(size, "temporal", settings);
    let (hand_rise, hand_held) = memory(size, "hand", settings);
    assert_eq!(held, hand_held, "{size}: the buffers hold different bytes");
    if held < MEASURABLE {
        // Small buffers fit in memory the allocator already holds (freed while the data was
        // generated), so the resident set does not see them.
        return;
    }
    let mib = |bytes: usize| format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20));
    let per = |rise: usize| format!("{:.2}", rise as f64 / held.max(1) as f64);
    writeln!(
        memory_table,
        "| {size} | {} | {} | {} | {} | {} |",
        mib(held),
        mib(temporal_rise),
        per(temporal_rise),
        mib(hand_rise),
        per(hand_rise),
    )
    .expect("write to a string");
}
