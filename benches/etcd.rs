//! Strata on etcd against the raw `etcd-client` doing the same requests, on a three-member
//! cluster on loopback started by the benchmark (`strata_etcd::dev::Cluster`), and Strata on
//! RocksDB for information.
//!
//! The raw side is what a synchronous application writes with the client: a Tokio runtime of its
//! own and `block_on` per request. Workloads, each the same requests on both sides:
//!
//! - `batch_put`: one transaction of 100 puts of 128-byte values;
//! - `get`: a point read of an existing key (linearizable, as Strata's are);
//! - `prefix_scan`: the 100 entries under one prefix, one page;
//! - `cross_column_commit`: one transaction writing a key in each of two columns.
//!
//! `cargo bench --bench etcd` prints the ratios (Strata on etcd ÷ raw client, target ≥ 0.9)
//! after criterion's report. Needs the `etcd` binary (`.ci/prereqs` installs it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use etcd_client::{Client, GetOptions, Txn, TxnOp};
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
        let client = runtime.block_on(Client::connect(endpoints, None)).expect("connect");
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

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let cluster = Cluster::start(&dir.path().join("etcd"), 3).expect("start etcd");
    let etcd = EtcdDb::open(&EtcdConfig::new(cluster.endpoints(), "strata"), &[A, B])
        .expect("open on etcd");
    let raw = Raw::new(cluster.endpoints());
    let rocks = RocksDb::open(&strata_bench_support::config(&dir.path().join("rocks")), &[A, B])
        .expect("open RocksDB");
    load(&etcd, &raw);
    load(&rocks, &raw);

    let mut round = 1_000;
    let mut group = workload_group(c, "batch_put");
    RECORDED.bench(&mut group, "batch_put", "strata_etcd", BATCH, |iters| {
        timed(iters, |_| {
            round += 1;
            batch_put(&etcd, round);
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
            batch_put(&rocks, round);
        })
    });
    group.finish();

    let mut group = workload_group(c, "get");
    RECORDED.bench(&mut group, "get", "strata_etcd", 1, |iters| {
        timed(iters, |n| assert!(black_box(get(&etcd, n))))
    });
    RECORDED.bench(&mut group, "get", "raw_client", 1, |iters| {
        timed(iters, |n| assert_eq!(black_box(raw.get(n)), 1))
    });
    RECORDED.bench(&mut group, "get", "strata_rocksdb", 1, |iters| {
        timed(iters, |n| assert!(black_box(get(&rocks, n))))
    });
    group.finish();

    let mut group = workload_group(c, "prefix_scan");
    RECORDED.bench(&mut group, "prefix_scan", "strata_etcd", BATCH, |iters| {
        timed(iters, |_| assert_eq!(black_box(prefix_scan(&etcd)), 100))
    });
    RECORDED.bench(&mut group, "prefix_scan", "raw_client", BATCH, |iters| {
        timed(iters, |_| assert_eq!(black_box(raw.prefix_scan()), 100))
    });
    RECORDED.bench(&mut group, "prefix_scan", "strata_rocksdb", BATCH, |iters| {
        timed(iters, |_| assert_eq!(black_box(prefix_scan(&rocks)), 100))
    });
    group.finish();

    let mut group = workload_group(c, "cross_column_commit");
    RECORDED.bench(&mut group, "cross_column_commit", "strata_etcd", 1, |iters| {
        timed(iters, |n| cross_column_commit(&etcd, n))
    });
    RECORDED.bench(&mut group, "cross_column_commit", "raw_client", 1, |iters| {
        timed(iters, |n| raw.cross_column_commit(n))
    });
    RECORDED.bench(&mut group, "cross_column_commit", "strata_rocksdb", 1, |iters| {
        timed(iters, |n| cross_column_commit(&rocks, n))
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

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    println!(
        "\n| workload | Strata on etcd | raw etcd-client | ratio (target ≥ 0.9) | Strata on RocksDB |\n|---|---|---|---|---|"
    );
    for workload in ["batch_put", "get", "prefix_scan", "cross_column_commit"] {
        let rate = |side: &str| RECORDED.median(&format!("{workload}/{side}"), SAMPLES);
        if let (Some(strata), Some(raw), Some(rocks)) =
            (rate("strata_etcd"), rate("raw_client"), rate("strata_rocksdb"))
        {
            let ratio = strata / raw;
            println!(
                "| {workload} | {} | {} | {ratio:.2} {} | {} |",
                format_rate(strata),
                format_rate(raw),
                if ratio >= 0.9 { "met" } else { "missed" },
                format_rate(rocks)
            );
        }
    }
}
