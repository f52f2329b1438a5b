//! Strata on etcd against the raw `etcd-client` doing the same requests, on a three-member
//! cluster on loopback started by the benchmark (`strata_etcd::dev::Cluster`), and Strata on
//! RocksDB for information.
//!
//! The raw side is what a synchronous application writes with the client: a Tokio runtime of its
//! own and `block_on` per request, with the connection options Strata uses. Workloads, each the same requests on both sides:
//!
//! - `batch_put`: one transaction of 100 puts of 128-byte values;
//! - `get`: a point read of an existing key (linearizable, as Strata's are);
//! - `prefix_scan`: the 100 entries under one prefix, one page;
//! - `cross_column_commit`: one transaction writing a key in each of two columns.
//!
//! `cargo bench --bench etcd` prints, after criterion's report, each side's rate and the ratio
//! Strata on etcd ÷ raw client (target ≥ 0.9) from a paired measurement: rounds alternating the
//! two sides back to back, the median ratio and its interquartile range (see [`paired`]). Needs the `etcd` binary (`.ci/prereqs` installs it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use etcd_client::{Client, ConnectOptions, GetOptions, Txn, TxnOp};
use strata::rocksdb::RocksDb;
use strata::{Column, Database, KeyRange, ReadLayer, Store, Transaction};
use strata_bench_support::rates::{Rates, format_rate};
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb};

const A: Column = Column::new("a");
const B: Column = Column::new("b");
const VALUE: [u8; 128] = [7; 128];
const BATCH: u64 = 100;
const SAMPLES: usize = 10;

static RECORDED: Rates = Rates::new();

/// The raw client's key for `key` of `column` under `root`: the layout Strata uses.
fn raw_key(root: &str, column: Column, key: &[u8]) -> Vec<u8> {
    [root.as_bytes(), &[0], column.name().as_bytes(), &[0], key].concat()
}

struct Raw {
    runtime: tokio::runtime::Runtime,
    client: Client,
    root: &'static str,
}

impl Raw {
    fn new(endpoints: Vec<String>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        // The connection options Strata's `EtcdConfig` uses, so that only the layer differs.
        let options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(2))
            .with_timeout(strata_etcd::DEFAULT_REQUEST_TIMEOUT)
            .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2))
            .with_require_leader(true);
        let client = runtime.block_on(Client::connect(endpoints, Some(options))).expect("connect");
        Self { runtime, client, root: "raw" }
    }

    fn batch_put(&self, round: u64) {
        let ops: Vec<TxnOp> = (0..BATCH)
            .map(|n| {
                TxnOp::put(raw_key(self.root, A, &(round * BATCH + n).to_be_bytes()), VALUE, None)
            })
            .collect();
        let mut kv = self.client.kv_client();
        self.runtime.block_on(kv.txn(Txn::new().and_then(ops))).expect("txn");
    }

    fn get(&self, n: u64) -> usize {
        let mut kv = self.client.kv_client();
        let key = raw_key(self.root, A, &(n % BATCH).to_be_bytes());
        let response = self.runtime.block_on(kv.get(key, None)).expect("get");
        response.kvs().len()
    }

    fn prefix_scan(&self) -> usize {
        let start = raw_key(self.root, B, b"p");
        let end = raw_key(self.root, B, b"q");
        let mut kv = self.client.kv_client();
        let options = GetOptions::new().with_range(end).with_limit(512);
        self.runtime.block_on(kv.get(start, Some(options))).expect("range").kvs().len()
    }

    fn cross_column_commit(&self, n: u64) {
        let ops = vec![
            TxnOp::put(raw_key(self.root, A, &n.to_be_bytes()), VALUE, None),
            TxnOp::put(raw_key(self.root, B, &n.to_be_bytes()), VALUE, None),
        ];
        let mut kv = self.client.kv_client();
        self.runtime.block_on(kv.txn(Txn::new().and_then(ops))).expect("txn");
    }
}

fn batch_put(db: &impl Database, round: u64) {
    let mut transaction = Transaction::new();
    for n in 0..BATCH {
        transaction.put(A, (round * BATCH + n).to_be_bytes(), VALUE);
    }
    db.apply(&transaction).expect("apply");
}

fn get(db: &impl Database, n: u64) -> bool {
    db.get(A, &(n % BATCH).to_be_bytes()).expect("get").is_some()
}

fn prefix_scan(db: &impl Database) -> usize {
    Store::new(db).iter(B, KeyRange::prefix(b"p")).expect("scan").count()
}

fn cross_column_commit(db: &impl Database, n: u64) {
    let mut transaction = Transaction::new();
    transaction.put(A, n.to_be_bytes(), VALUE);
    transaction.put(B, n.to_be_bytes(), VALUE);
    db.apply(&transaction).expect("apply");
}

fn load(db: &impl Database, raw: &Raw) {
    let mut transaction = Transaction::new();
    for n in 0..BATCH {
        transaction.put(B, [b"p".as_slice(), &n.to_be_bytes()].concat(), VALUE);
    }
    db.apply(&transaction).expect("load");
    batch_put(db, 0);
    let ops: Vec<TxnOp> = (0..BATCH)
        .map(|n| {
            TxnOp::put(
                raw_key(raw.root, B, &[b"p".as_slice(), &n.to_be_bytes()].concat()),
                VALUE,
                None,
            )
        })
        .collect();
    let mut kv = raw.client.kv_client();
    raw.runtime.block_on(kv.txn(Txn::new().and_then(ops))).expect("load raw");
    raw.batch_put(0);
}

/// Times `iters` runs of `op` (given the iteration number).
fn timed(iters: u64, mut op: impl FnMut(u64)) -> Duration {
    let started = Instant::now();
    for n in 0..iters {
        op(n);
    }
    started.elapsed()
}

/// The cluster, the three sides and where they keep their data.
struct Fixture {
    etcd: EtcdDb,
    raw: Raw,
    rocks: RocksDb,
    _cluster: Cluster,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
        let cluster = Cluster::start(&dir.path().join("etcd"), 3).expect("start etcd");
        let etcd = EtcdDb::open(&EtcdConfig::new(cluster.endpoints(), "strata"), &[A, B])
            .expect("open on etcd");
        let raw = Raw::new(cluster.endpoints());
        let rocks =
            RocksDb::open(&strata_bench_support::config(&dir.path().join("rocks")), &[A, B])
                .expect("open RocksDB");
        load(&etcd, &raw);
        load(&rocks, &raw);
        Self { etcd, raw, rocks, _cluster: cluster, _dir: dir }
    }
}

fn benches(c: &mut Criterion, fixture: &Fixture) {
    let Fixture { etcd, raw, rocks, .. } = fixture;
    let mut round = 1_000;
    let mut group = workload_group(c, "batch_put");
    RECORDED.bench(&mut group, "batch_put", "strata_etcd", BATCH, |iters| {
        timed(iters, |_| {
            round += 1;
            batch_put(etcd, round);
        })
    });
    RECORDED.bench(&mut group, "batch_put", "raw_client", BATCH, |iters| {
        timed(iters, |_| {
            round += 1;
            raw.batch_put(round);
        })
    });
    RECORDED.bench(&mut group, "batch_put", "strata_rocksdb", BATCH, |iters| {
        timed(iters, |_| {
            round += 1;
            batch_put(rocks, round);
        })
    });
    group.finish();

    let mut group = workload_group(c, "get");
    RECORDED.bench(&mut group, "get", "strata_etcd", 1, |iters| {
        timed(iters, |n| assert!(black_box(get(etcd, n))))
    });
    RECORDED.bench(&mut group, "get", "raw_client", 1, |iters| {
        timed(iters, |n| assert_eq!(black_box(raw.get(n)), 1))
    });
    RECORDED.bench(&mut group, "get", "strata_rocksdb", 1, |iters| {
        timed(iters, |n| assert!(black_box(get(rocks, n))))
    });
    group.finish();

    let mut group = workload_group(c, "prefix_scan");
    RECORDED.bench(&mut group, "prefix_scan", "strata_etcd", BATCH, |iters| {
        timed(iters, |_| assert_eq!(black_box(prefix_scan(etcd)), 100))
    });
    RECORDED.bench(&mut group, "prefix_scan", "raw_client", BATCH, |iters| {
        timed(iters, |_| assert_eq!(black_box(raw.prefix_scan()), 100))
    });
    RECORDED.bench(&mut group, "prefix_scan", "strata_rocksdb", BATCH, |iters| {
        timed(iters, |_| assert_eq!(black_box(prefix_scan(rocks)), 100))
    });
    group.finish();

    let mut group = workload_group(c, "cross_column_commit");
    RECORDED.bench(&mut group, "cross_column_commit", "strata_etcd", 1, |iters| {
        timed(iters, |n| cross_column_commit(etcd, n))
    });
    RECORDED.bench(&mut group, "cross_column_commit", "raw_client", 1, |iters| {
        timed(iters, |n| raw.cross_column_commit(n))
    });
    RECORDED.bench(&mut group, "cross_column_commit", "strata_rocksdb", 1, |iters| {
        timed(iters, |n| cross_column_commit(rocks, n))
    });
    group.finish();
}

/// A criterion group for one workload, sampled as every group here is.
fn workload_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(SAMPLES).warm_up_time(Duration::from_millis(500));
    group
}

/// Rounds of the paired measurement.
const ROUNDS: usize = 21;

/// One side of a paired round: an operation to repeat.
type Side<'a> = Box<dyn FnMut() + 'a>;

/// The paired measurement: per workload, `ROUNDS` rounds each timing the same number of
/// operations on Strata-on-etcd and on the raw client back to back, the side that goes first
/// alternating, so that the cluster's background work (WAL fsyncs, bbolt commits, compaction)
/// falls on both alike. Each round gives a ratio; the median and the interquartile range are
/// reported. Criterion's per-side figures, taken minutes apart, drift by ±0.15 on this machine;
/// these hold within a few hundredths.
fn paired(fixture: &Fixture, rounds: usize) -> Vec<(&'static str, f64, f64, f64)> {
    let Fixture { etcd, raw, .. } = fixture;
    let round = std::cell::Cell::new(10_000_000_u64);
    let next = || {
        round.set(round.get() + 1);
        round.get()
    };
    let workloads: Vec<(&'static str, u64, Side<'_>, Side<'_>)> = vec![
        (
            "batch_put",
            10,
            Box::new(move || batch_put(etcd, next())),
            Box::new(move || raw.batch_put(20_000_000 + next())),
        ),
        (
            "get",
            100,
            Box::new(move || assert!(get(etcd, 7))),
            Box::new(|| assert_eq!(raw.get(7), 1)),
        ),
        (
            "prefix_scan",
            50,
            Box::new(move || assert_eq!(prefix_scan(etcd), 100)),
            Box::new(|| assert_eq!(raw.prefix_scan(), 100)),
        ),
        (
            "cross_column_commit",
            50,
            Box::new(move || cross_column_commit(etcd, 7)),
            Box::new(|| raw.cross_column_commit(7)),
        ),
    ];
    let mut results = Vec::new();
    for (name, ops, mut strata, mut raw_side) in workloads {
        let mut ratios = Vec::with_capacity(rounds);
        for n in 0..rounds {
            let time = |side: &mut Side<'_>| {
                let started = Instant::now();
                for _ in 0..ops {
                    side();
                }
                started.elapsed().as_secs_f64()
            };
            let (strata_time, raw_time) = if n % 2 == 0 {
                let s = time(&mut strata);
                (s, time(&mut raw_side))
            } else {
                let r = time(&mut raw_side);
                (time(&mut strata), r)
            };
            ratios.push(raw_time / strata_time);
        }
        ratios.sort_by(f64::total_cmp);
        // The quartiles by index: a quarter, half and three quarters of the way up.
        let last = ratios.len() - 1;
        results.push((name, ratios[last / 2], ratios[last / 4], ratios[last * 3 / 4]));
    }
    results
}

fn main() {
    let fixture = Fixture::new();
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion, &fixture);
    criterion.final_summary();
    // `cargo test` runs each benchmark once to check it works: a paired round each, too.
    let full = std::env::args().any(|arg| arg == "--bench");
    let ratios = paired(&fixture, if full { ROUNDS } else { 1 });
    println!(
        "\n| workload | Strata on etcd | raw etcd-client | Strata on RocksDB | paired ratio, median (IQR), target ≥ 0.9 |\n|---|---|---|---|---|"
    );
    for (workload, median, low, high) in ratios {
        let rate = |side: &str| RECORDED.median(&format!("{workload}/{side}"), SAMPLES);
        let shown = |rate: Option<f64>| rate.map_or_else(|| "-".to_owned(), format_rate);
        println!(
            "| {workload} | {} | {} | {} | {median:.2} ({low:.2}–{high:.2}) {} |",
            shown(rate("strata_etcd")),
            shown(rate("raw_client")),
            shown(rate("strata_rocksdb")),
            if median >= 0.9 { "met" } else { "missed" },
        );
    }
}
