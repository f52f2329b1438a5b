//! Strata's KV store against lightning-persister's `FilesystemStore`, side by side on one disk.
//!
//! Both stores are driven through LDK's `KVStoreSync` trait, so every call is identical:
//! `KvStore<RocksDb>` (opened with `RocksConfig::new`, as every other benchmark opens Strata, and
//! the KV store's default durability: every write a synced RocksDB commit) and `FilesystemStore`
//! (one file per key; a write is a temporary file, its `fsync`, a rename and an `fsync` of the
//! directory). Both live in temporary directories under Cargo's `CARGO_TARGET_TMPDIR`
//! (`target/tmp`), so they share the target directory's filesystem.
//!
//! | group | one element |
//! |---|---|
//! | `write_1k_1_writer`, `write_64k_1_writer` | one durable overwrite of a channel monitor (64 fixed keys, cycled) |
//! | `write_1k_16_writers`, `write_64k_16_writers` | the same from 16 threads at once, each rewriting 4 keys of its own |
//! | `read_1k`, `read_64k` | a read of an existing key, in a fixed random order |
//! | `list_10k` | one key of a `list` of a namespace holding 10 000 keys |
//! | `import_10k` | one key of an import of 10 000 keys (1 KiB values) out of a `FilesystemStore` |
//!
//! Every group's throughput is in elements (operations, or keys for `list` and `import`), so a
//! ratio of throughputs is a ratio per operation. After criterion's own report the benchmark
//! prints the ratio table of `docs/performance.md`: per side the median of criterion's samples
//! (warm-up excluded), Strata ÷ filesystem, the targets, and for the write groups how many writes
//! the KV store committed per WAL sync (its group commit; the filesystem store syncs twice per
//! write).
//!
//! ```sh
//! cargo bench --bench kv
//! cargo bench --bench kv -- write     # only the groups whose names contain `write`
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) criterion runs every function once,
//! at smoke scale (100 keys instead of 10 000), and no table is printed.

#![expect(clippy::cast_precision_loss, reason = "throughputs and ratios are shown as floats")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::{Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use lightning::util::persist::{
    CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE as MONITORS, KVStoreSync, MigratableKVStore,
    migrate_kv_store_data,
};
use lightning_persister::fs_store::FilesystemStore;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use strata::rocksdb::RocksDb;
use strata_bench_support::rates::{Rates, format_rate};
use strata_kv::{KvStore, WriteBatch};
use tempfile::TempDir;

/// The namespace listed, read and imported: payments, as LDK Node keeps them (a 64-hex-digit id
/// per payment).
const PAYMENTS: &str = "payments";
/// Channel monitors rewritten by the write workloads.
const MONITOR_KEYS: usize = 64;
/// Concurrent writers in the `16_writers` groups; each rewrites `MONITOR_KEYS / WRITERS` keys.
const WRITERS: usize = 16;
/// Keys per `KvStore::write_batch` in the batched import: `strata kv import`'s batch size.
const IMPORT_CHUNK: usize = 1000;
/// Criterion samples per function (criterion's minimum); the ratio table reads the last this many
/// samples each function recorded, which are the measured ones (warm-up comes first).
const SAMPLES: usize = 10;
/// The seed of every key name, value and read order.
const SEED: u64 = 0x4b56_5354_5241_5441;

/// Strata's KV store as this benchmark opens it.
type Strata = KvStore<RocksDb>;

/// How much data a run uses.
#[derive(Clone, Copy)]
struct Scale {
    /// Keys in the listed and imported namespace.
    keys: usize,
    /// Whether this is a measured run (`cargo bench`) rather than `cargo test`'s single pass.
    full: bool,
}

impl Scale {
    fn from_args() -> Self {
        let full = std::env::args().any(|arg| arg == "--bench");
        Self { keys: if full { 10_000 } else { 100 }, full }
    }
}

/// Every name and value the workloads use, generated from [`SEED`].
struct Data {
    /// Channel monitor names, LDK's `<funding txid>_<output index>`.
    monitors: Vec<String>,
    /// Payment ids of the listed namespace.
    payments: Vec<String>,
    /// A 1 KiB value per payment.
    payment_values: Vec<Vec<u8>>,
    /// 1 KiB values the write workloads cycle through.
    small: Vec<Vec<u8>>,
    /// 64 KiB values the write workloads cycle through.
    large: Vec<Vec<u8>>,
    /// The order reads visit keys in (indices, shuffled).
    read_order: Vec<usize>,
}

fn hex_id(rng: &mut StdRng) -> String {
    format!("{:032x}{:032x}", rng.random::<u128>(), rng.random::<u128>())
}

fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rng.fill(&mut bytes[..]);
    bytes
}

impl Data {
    fn generate(scale: Scale) -> Self {
        let mut rng = StdRng::seed_from_u64(SEED);
        let monitors =
            (0..MONITOR_KEYS).map(|i| format!("{}_{}", hex_id(&mut rng), i % 3)).collect();
        let payments = (0..scale.keys).map(|_| hex_id(&mut rng)).collect();
        let payment_values = (0..scale.keys).map(|_| random_bytes(&mut rng, 1 << 10)).collect();
        let small = (0..16).map(|_| random_bytes(&mut rng, 1 << 10)).collect();
        let large = (0..16).map(|_| random_bytes(&mut rng, 64 << 10)).collect();
        let mut read_order: Vec<usize> = (0..scale.keys.max(MONITOR_KEYS) * 4).collect();
        read_order.shuffle(&mut rng);
        Self { monitors, payments, payment_values, small, large, read_order }
    }
}

/// The throughputs each benchmark recorded, for the ratio table.
static RECORDED: Rates = Rates::new();

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

fn open_strata(path: &Path) -> Strata {
    let db = RocksDb::open(&strata_bench_support::config(path), &strata_kv::COLUMNS)
        .expect("open RocksDB");
    KvStore::open(db).expect("open the KV store")
}

/// Waits until Strata's database has no flush or compaction pending or running, so that the
/// next function measured is not timed against it.
fn settle(store: &Strata) {
    let db = store.database().rocksdb();
    let cf = db.cf_handle(strata_kv::schema::ENTRIES.name()).expect("the entries column family");
    strata_bench_support::settle(db, cf);
}

/// Synced WAL writes of Strata's database since the previous call, from RocksDB's `rocksdb.stats`
/// (whose "interval" figures restart at every read; counts of 10 000 and more are rounded to
/// thousands there).
fn wal_syncs(store: &Strata) -> Option<f64> {
    let stats = store.database().rocksdb().property_value("rocksdb.stats").ok()??;
    let line = stats.lines().find(|line| line.starts_with("Interval WAL:"))?;
    let (before, _) = line.split_once(" syncs")?;
    let count = before.rsplit(' ').next()?;
    let (digits, scale) = match count.strip_suffix('K') {
        Some(digits) => (digits, 1e3),
        None => match count.strip_suffix('M') {
            Some(digits) => (digits, 1e6),
            None => (count, 1.0),
        },
    };
    digits.parse::<f64>().ok().map(|n| n * scale)
}

/// Strata's writes (KV store commits) per WAL sync in each write group, for the ratio table: the
/// store's group commit merges concurrent writes into one RocksDB write, so RocksDB's own
/// "writes per sync" would count a merged group as one.
static WAL_SYNCS: Mutex<BTreeMap<String, f64>> = Mutex::new(BTreeMap::new());

/// Runs `routine` for one side of a write group, noting Strata's writes per WAL sync and letting
/// Strata's background work finish before the next function.
fn bench_write(
    group: &mut BenchmarkGroup<'_, WallTime>,
    group_name: &str,
    (side, strata): (&str, &Strata),
    elements: u64,
    routine: impl FnMut(u64) -> Duration,
) {
    let is_strata = side == "strata";
    if is_strata {
        wal_syncs(strata);
    }
    let mut routine = routine;
    let written = std::cell::Cell::new(0_u64);
    bench(group, group_name, side, elements, |iters| {
        written.set(written.get() + iters * elements);
        routine(iters)
    });
    if is_strata && let Some(syncs) = wal_syncs(strata).filter(|syncs| *syncs > 0.0) {
        WAL_SYNCS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(group_name.to_owned(), written.get() as f64 / syncs);
    }
    settle(strata);
}

/// The two stores, as LDK sees them.
fn sides<'a>(
    strata: &'a Strata,
    filesystem: &'a FilesystemStore,
) -> [(&'static str, &'a (dyn KVStoreSync + Sync)); 2] {
    [("strata", strata), ("filesystem", filesystem)]
}

/// Writes every monitor once with `values`, so that every timed write is an overwrite of a value
/// of the same size.
fn fill_monitors(store: &dyn KVStoreSync, data: &Data, values: &[Vec<u8>]) {
    for (i, key) in data.monitors.iter().enumerate() {
        store.write(MONITORS, "", key, values[i % values.len()].clone()).expect("write a monitor");
    }
}

/// One writer: `iters` durable overwrites, cycling over every monitor.
fn write_one(
    store: &dyn KVStoreSync,
    data: &Data,
    values: &[Vec<u8>],
    next: &mut usize,
    iters: u64,
) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let n = *next;
        *next += 1;
        let key = &data.monitors[n % MONITOR_KEYS];
        store.write(MONITORS, "", key, values[n % values.len()].clone()).expect("write a monitor");
    }
    start.elapsed()
}

/// [`WRITERS`] threads, each making `iters` durable overwrites of its own monitors; timed from
/// the moment all of them are ready until the last is done.
fn write_many(
    store: &(dyn KVStoreSync + Sync),
    data: &Data,
    values: &[Vec<u8>],
    iters: u64,
) -> Duration {
    let per_writer = MONITOR_KEYS / WRITERS;
    let ready = Barrier::new(WRITERS + 1);
    let start = std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (ready, keys) = (&ready, &data.monitors[writer * per_writer..][..per_writer]);
            scope.spawn(move || {
                ready.wait();
                for n in 0..iters as usize {
                    let value = values[(n + writer) % values.len()].clone();
                    store
                        .write(MONITORS, "", &keys[n % per_writer], value)
                        .expect("write a monitor");
                }
            });
        }
        ready.wait();
        Instant::now()
    });
    start.elapsed()
}

/// `iters` reads of `keys` in the data's random order.
fn read(
    store: &dyn KVStoreSync,
    namespace: &str,
    keys: &[String],
    order: &[usize],
    next: &mut usize,
    iters: u64,
) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let key = &keys[order[*next % order.len()] % keys.len()];
        *next += 1;
        black_box(store.read(namespace, "", key).expect("read an existing key"));
    }
    start.elapsed()
}

/// Copies every key of `source` into `target`, sorted, with one atomic batch per
/// [`IMPORT_CHUNK`] keys, as `strata kv import` does (without its verification pass).
fn import_batched(source: &FilesystemStore, target: &Strata) {
    let mut keys = source.list_all_keys().expect("list the source");
    keys.sort_unstable();
    for chunk in keys.chunks(IMPORT_CHUNK) {
        let mut batch = WriteBatch::new();
        for (primary, secondary, key) in chunk {
            let value =
                KVStoreSync::read(source, primary, secondary, key).expect("read the source");
            batch.write(primary, secondary, key, value);
        }
        target.write_batch(&batch).expect("write a batch");
    }
}

/// `iters` imports of `source` into fresh targets made by `open`, timing only the import.
///
/// The targets' directories are kept in `done` (deleted when the group ends): deleting 10 000
/// files leaves the filesystem freeing inodes and discarding blocks, which would slow the next
/// import.
fn time_imports<T>(
    iters: u64,
    source: &mut FilesystemStore,
    done: &mut Vec<TempDir>,
    open: impl Fn(&Path) -> T,
    mut import: impl FnMut(&mut FilesystemStore, &mut T),
) -> Duration {
    let mut took = Duration::ZERO;
    for _ in 0..iters {
        let dir = temp_dir();
        let mut target = open(dir.path());
        let start = Instant::now();
        import(source, &mut target);
        took += start.elapsed();
        drop(target);
        done.push(dir);
    }
    took
}

/// The stores every workload runs on, in one temporary directory.
struct Stores {
    strata: Strata,
    /// The filesystem store the write workloads rewrite monitors in.
    filesystem: FilesystemStore,
    /// The filesystem store holding only the payments: listed, read and imported.
    payments: FilesystemStore,
    _dir: TempDir,
}

impl Stores {
    /// Opens the stores and writes the payments into both sides.
    fn open(data: &Data) -> Self {
        let dir = temp_dir();
        let strata = open_strata(&dir.path().join("strata"));
        let filesystem = FilesystemStore::new(dir.path().join("filesystem"));
        let payments = FilesystemStore::new(dir.path().join("payments"));
        let loading = Instant::now();
        for (key, value) in data.payments.iter().zip(&data.payment_values) {
            payments.write(PAYMENTS, "", key, value.clone()).expect("write a payment");
        }
        import_batched(&payments, &strata);
        eprintln!(
            "{} payments written to both stores in {:.1?}",
            data.payments.len(),
            loading.elapsed()
        );
        Self { strata, filesystem, payments, _dir: dir }
    }
}

/// Durable overwrites of the monitors, 1 KiB then 64 KiB, from one writer and from [`WRITERS`].
fn write_groups(c: &mut Criterion, stores: &Stores, data: &Data) {
    let strata = &stores.strata;
    let writes: [(&str, &[Vec<u8>]); 2] = [("1k", &data.small), ("64k", &data.large)];
    for (size, values) in writes {
        for (_, store) in sides(strata, &stores.filesystem) {
            fill_monitors(store, data, values);
        }
        settle(strata);
        let name = format!("write_{size}_1_writer");
        let mut group = c.benchmark_group(&name);
        group.throughput(Throughput::Elements(1)).sampling_mode(SamplingMode::Flat);
        for (side, store) in sides(strata, &stores.filesystem) {
            let mut next = 0;
            bench_write(&mut group, &name, (side, strata), 1, |iters| {
                write_one(store, data, values, &mut next, iters)
            });
        }
        group.finish();

        let name = format!("write_{size}_{WRITERS}_writers");
        let mut group = c.benchmark_group(&name);
        group.throughput(Throughput::Elements(WRITERS as u64)).sampling_mode(SamplingMode::Flat);
        for (side, store) in sides(strata, &stores.filesystem) {
            bench_write(&mut group, &name, (side, strata), WRITERS as u64, |iters| {
                write_many(store, data, values, iters)
            });
        }
        group.finish();
    }
}

/// Reads of random existing keys: 1 KiB payments and 64 KiB monitors, after checking that both
/// stores hold the same payments and every monitor.
fn read_groups(c: &mut Criterion, stores: &Stores, data: &Data) {
    let strata = &stores.strata;
    // Reads find Strata's data in table files, as a node running for a while does.
    strata.database().flush().expect("flush");
    settle(strata);
    for key in &data.payments {
        let same = KVStoreSync::read(strata, PAYMENTS, "", key).ok()
            == stores.payments.read(PAYMENTS, "", key).ok();
        assert!(same, "both stores hold payment {key}");
    }
    for (side, store) in sides(strata, &stores.filesystem) {
        for key in &data.monitors {
            let len = store.read(MONITORS, "", key).map(|value| value.len()).ok();
            assert_eq!(len, Some(64 << 10), "{side} holds monitor {key}");
        }
    }
    let reads: [(&str, &str, &[String], &FilesystemStore); 2] = [
        ("read_1k", PAYMENTS, &data.payments, &stores.payments),
        ("read_64k", MONITORS, &data.monitors, &stores.filesystem),
    ];
    for (name, namespace, keys, filesystem) in reads {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        for (side, store) in sides(strata, filesystem) {
            let mut next = 0;
            bench(&mut group, name, side, 1, |iters| {
                read(store, namespace, keys, &data.read_order, &mut next, iters)
            });
        }
        group.finish();
    }
}

/// `list` of the payments namespace, after checking that both stores list the same keys.
fn list_group(c: &mut Criterion, stores: &Stores, data: &Data) {
    let keys = data.payments.len();
    let mut listed = [
        stores.strata.list(PAYMENTS, "").expect("list"),
        KVStoreSync::list(&stores.payments, PAYMENTS, "").expect("list"),
    ];
    for listed in &mut listed {
        listed.sort_unstable();
        assert_eq!(listed.len(), keys);
    }
    assert!(listed[0] == listed[1], "both stores list the same keys");
    let name = "list_10k";
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(keys as u64)).sampling_mode(SamplingMode::Flat);
    for (side, store) in sides(&stores.strata, &stores.payments) {
        bench(&mut group, name, side, keys as u64, |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(store.list(PAYMENTS, "").expect("list"));
            }
            start.elapsed()
        });
    }
    group.finish();
}

/// Imports of the payments out of their filesystem store: into Strata in batches, into Strata
/// and into a filesystem store through LDK's `migrate_kv_store_data`.
fn import_group(c: &mut Criterion, payments: &mut FilesystemStore, keys: u64) {
    let name = "import_10k";
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(keys))
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(10));
    let mut done = Vec::new();
    bench(&mut group, name, "strata_batched", keys, |iters| {
        time_imports(iters, payments, &mut done, open_strata, |source, target| {
            import_batched(source, target);
        })
    });
    bench(&mut group, name, "strata_migrate", keys, |iters| {
        time_imports(iters, payments, &mut done, open_strata, |source, target| {
            migrate_kv_store_data(source, target).expect("migrate");
        })
    });
    let open_filesystem = |path: &Path| FilesystemStore::new(path.to_owned());
    bench(&mut group, name, "filesystem_migrate", keys, |iters| {
        time_imports(iters, payments, &mut done, open_filesystem, |source, target| {
            migrate_kv_store_data(source, target).expect("migrate");
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let scale = Scale::from_args();
    let data = Data::generate(scale);
    let mut stores = Stores::open(&data);
    write_groups(c, &stores, &data);
    read_groups(c, &stores, &data);
    list_group(c, &stores, &data);
    import_group(c, &mut stores.payments, scale.keys as u64);
    if scale.full {
        println!("\n{}", ratio_table());
    }
}

/// The markdown ratio table: Strata ÷ filesystem per workload, with the targets.
fn ratio_table() -> String {
    let wal_syncs = WAL_SYNCS.lock().unwrap_or_else(PoisonError::into_inner);
    let rows: [(&str, &str, &str, Option<f64>); 9] = [
        ("write_1k_1_writer", "strata", "filesystem", Some(2.0)),
        ("write_64k_1_writer", "strata", "filesystem", Some(2.0)),
        ("write_1k_16_writers", "strata", "filesystem", Some(10.0)),
        ("write_64k_16_writers", "strata", "filesystem", Some(10.0)),
        ("read_1k", "strata", "filesystem", None),
        ("read_64k", "strata", "filesystem", None),
        ("list_10k", "strata", "filesystem", Some(10.0)),
        ("import_10k", "strata_batched", "filesystem_migrate", None),
        ("import_10k", "strata_migrate", "filesystem_migrate", None),
    ];
    let mut table = String::from(
        "| workload | strata | filesystem | strata ÷ filesystem | target | strata writes per WAL sync |\n|---|---|---|---|---|---|\n",
    );
    for (group, strata, filesystem, target) in rows {
        let (Some(a), Some(b)) = (
            RECORDED.median(&format!("{group}/{strata}"), SAMPLES),
            RECORDED.median(&format!("{group}/{filesystem}"), SAMPLES),
        ) else {
            continue;
        };
        let ratio = a / b;
        let verdict = match target {
            Some(target) if ratio >= target => format!("≥ {target} met"),
            Some(target) => format!("**≥ {target} missed**"),
            None => "—".to_owned(),
        };
        let label =
            if group == "import_10k" { format!("{group} ({strata})") } else { group.to_owned() };
        let per_sync = wal_syncs.get(group).map_or("—".to_owned(), |n| format!("{n:.1}"));
        writeln!(
            table,
            "| {label} | {} | {} | {ratio:.2} | {verdict} | {per_sync} |",
            format_rate(a),
            format_rate(b)
        )
        .expect("write to a string");
    }
    table
}

criterion::criterion_group! {
    name = kv;
    config = Criterion::default().sample_size(SAMPLES).warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion::criterion_main!(kv);
