//! What a `Temporal` layer costs over the plain `Store`, on RocksDB.
//!
//! Two databases hold the same 20 000 committed keys of one column (16-byte keys, 100-byte
//! values, flushed). A `Temporal` over the first buffers 2 000 writes (overwrites, inserts and
//! deletes); the second has the same writes committed. Each benchmark does the same logical work
//! both ways: `temporal` reads through the buffer, `store` reads the committed equivalent.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata_core::{Column, Database, ReadLayer, Store, Temporal, Transaction, WriteLayer};
use strata_rocksdb::RocksDb;
use strata_testkit::RocksHarness;

const C: Column = Column::new("c");
const BASE: usize = 20_000;
const BUFFERED: usize = 2_000;

fn open(dir: &tempfile::TempDir, name: &str) -> Store<RocksDb> {
    Store::new(RocksDb::open(&RocksHarness::config(dir.path().join(name)), &[C]).expect("open"))
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = StdRng::seed_from_u64(42);
    let keys: Vec<[u8; 16]> = (0..BASE).map(|_| rng.random()).collect();
    let mut base = Transaction::new();
    for key in &keys {
        base.put(C, key, [1_u8; 100]);
    }
    let mut buffered = Transaction::new();
    for i in 0..BUFFERED {
        match i % 3 {
            0 => buffered.put(C, keys[rng.random_range(0..BASE)], [2_u8; 100]),
            1 => buffered.put(C, rng.random::<[u8; 16]>(), [3_u8; 100]),
            _ => buffered.delete(C, keys[rng.random_range(0..BASE)]),
        }
    }

    let shadowed = open(&dir, "shadowed");
    let mut committed = open(&dir, "committed");
    for store in [&shadowed, &committed] {
        store.db().apply(&base).expect("load");
    }
    committed.apply(&buffered).expect("commit the same writes");
    for store in [&shadowed, &committed] {
        store.db().flush().expect("flush");
    }
    let mut temporal = Temporal::new(&shadowed);
    temporal.apply(&buffered).expect("buffer");

    let probes: Vec<Vec<u8>> = (0..4096)
        .map(|i| {
            if i % 4 == 0 {
                rng.random::<[u8; 16]>().to_vec()
            } else {
                keys[rng.random_range(0..BASE)].to_vec()
            }
        })
        .collect();

    let mut group = c.benchmark_group("read_through_get");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("temporal", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(temporal.get(C, &probes[i]).expect("get").map(|v| v.len()))
        });
    });
    let mut i = 0;
    group.bench_function("store", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            black_box(committed.get(C, &probes[i]).expect("get").map(|v| v.len()))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("merged_scan");
    group.throughput(Throughput::Elements(BASE as u64));
    group.sample_size(10);
    group.bench_function("temporal", |b| {
        b.iter(|| {
            black_box(
                temporal
                    .iter(C, ..)
                    .expect("iter")
                    .map(|e| e.expect("entry").1.len())
                    .sum::<usize>(),
            )
        });
    });
    group.bench_function("store", |b| {
        b.iter(|| {
            black_box(
                committed
                    .iter(C, ..)
                    .expect("iter")
                    .map(|e| e.expect("entry").1.len())
                    .sum::<usize>(),
            )
        });
    });
    group.finish();

    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(BUFFERED as u64));
    let scratch = open(&dir, "scratch");
    group.bench_function("temporal", |b| {
        b.iter_batched(
            || {
                let mut layer = Temporal::new(Store::new(scratch.db()));
                layer.apply(&buffered).expect("buffer");
                layer
            },
            |mut layer| layer.commit().expect("commit"),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("store", |b| {
        b.iter(|| scratch.db().apply(&buffered).expect("apply"));
    });
    group.finish();
}

criterion_group! {
    name = layers;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(layers);
