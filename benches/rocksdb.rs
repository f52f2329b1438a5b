//! Strata's RocksDB store side by side with raw `rocksdb` opened with exactly the same options.
//!
//! Data: 200 contexts x 250 state entries (32-byte context id + 32-byte state key, 128-byte
//! values), flushed to table files, generated from a fixed seed. Run with
//! `cargo bench --bench rocksdb`; `docs/performance.md` holds the latest ratios.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocksdb::{DB, ReadOptions, WriteBatch, WriteOptions};
use strata_core::{Column, Database, ReadLayer, Store, Transaction};
use strata_rocksdb::RocksDb;
use strata_testkit::RocksHarness;

const STATE: Column = Column::new("state").with_prefix_len(32);
const CONTEXTS: usize = 200;
const PER_CONTEXT: usize = 250;
const VALUE_LEN: usize = 128;
const BATCH: usize = 1000;

struct Fixture {
    _dir: tempfile::TempDir,
    strata: Store<RocksDb>,
    raw: DB,
    contexts: Vec<[u8; 32]>,
    keys: Vec<Vec<u8>>,
    misses: Vec<Vec<u8>>,
}

fn key(context: &[u8; 32], state: &[u8; 32]) -> Vec<u8> {
    [context.as_slice(), state.as_slice()].concat()
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = RocksHarness::config(dir.path().join("strata")).block_cache_bytes(64 << 20);
        let strata = Store::new(RocksDb::open(&config, &[STATE]).expect("open strata"));
        let (options, descriptors) = config.rocksdb_options([STATE]);
        let raw = DB::open_cf_descriptors(&options.db, dir.path().join("raw"), descriptors)
            .expect("open raw");

        let mut rng = StdRng::seed_from_u64(0x5742_7A7A);
        let contexts: Vec<[u8; 32]> = (0..CONTEXTS).map(|_| rng.random()).collect();
        let mut keys = Vec::with_capacity(CONTEXTS * PER_CONTEXT);
        let mut tx = Transaction::new();
        let mut batch = WriteBatch::default();
        let cf = raw.cf_handle(STATE.name()).expect("state column family");
        for context in &contexts {
            for _ in 0..PER_CONTEXT {
                let k = key(context, &rng.random());
                let value: Vec<u8> = (0..VALUE_LEN).map(|_| rng.random()).collect();
                tx.put(STATE, &k, &value);
                batch.put_cf(cf, &k, &value);
                keys.push(k);
            }
        }
        strata.db().apply(&tx).expect("load strata");
        raw.write(batch).expect("load raw");
        strata.db().flush().expect("flush strata");
        raw.flush_cf(cf).expect("flush raw");

        // Absent keys under existing prefixes.
        let misses = (0..1024).map(|i| key(&contexts[i % CONTEXTS], &rng.random())).collect();
        Self { _dir: dir, strata, raw, contexts, keys, misses }
    }
}

fn random_batch(rng: &mut StdRng) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..BATCH).map(|_| (key(&rng.random(), &rng.random()), vec![7; VALUE_LEN])).collect()
}

fn benches(c: &mut Criterion) {
    let fixture = Fixture::new();
    let cf = fixture.raw.cf_handle(STATE.name()).expect("state column family");
    let write_options = WriteOptions::default();

    let mut group = c.benchmark_group("batched_put");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut rng = StdRng::seed_from_u64(1);
    group.bench_function("strata", |b| {
        b.iter_batched(
            || random_batch(&mut rng),
            |entries| {
                let mut tx = Transaction::new();
                for (k, v) in &entries {
                    tx.put(STATE, k, v);
                }
                fixture.strata.db().apply(&tx).expect("apply");
            },
            BatchSize::SmallInput,
        );
    });
    let mut rng = StdRng::seed_from_u64(1);
    group.bench_function("raw", |b| {
        b.iter_batched(
            || random_batch(&mut rng),
            |entries| {
                let mut batch = WriteBatch::default();
                for (k, v) in &entries {
                    batch.put_cf(cf, k, v);
                }
                fixture.raw.write_opt(batch, &write_options).expect("write");
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();

    for (name, keys) in [("get_hit", &fixture.keys), ("get_miss", &fixture.misses)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        let mut i = 0;
        group.bench_function("strata", |b| {
            b.iter(|| {
                i = (i + 7919) % keys.len();
                black_box(fixture.strata.db().get(STATE, &keys[i]).expect("get").map(|v| v.len()))
            });
        });
        let mut i = 0;
        group.bench_function("raw", |b| {
            b.iter(|| {
                i = (i + 7919) % keys.len();
                black_box(fixture.raw.get_pinned_cf(cf, &keys[i]).expect("get").map(|v| v.len()))
            });
        });
        group.finish();
    }

    let mut group = c.benchmark_group("prefix_scan");
    group.throughput(Throughput::Elements(PER_CONTEXT as u64));
    let mut i = 0;
    group.bench_function("strata", |b| {
        b.iter(|| {
            i = (i + 1) % CONTEXTS;
            let mut bytes = 0;
            for item in fixture.strata.iter_prefix(STATE, &fixture.contexts[i]).expect("iter") {
                let (k, v) = item.expect("entry");
                bytes += k.len() + v.len();
            }
            black_box(bytes)
        });
    });
    let mut i = 0;
    group.bench_function("raw", |b| {
        b.iter(|| {
            i = (i + 1) % CONTEXTS;
            let prefix = &fixture.contexts[i];
            let mut end = prefix.to_vec();
            increment(&mut end);
            let mut options = ReadOptions::default();
            options.set_iterate_lower_bound(prefix.to_vec());
            options.set_iterate_upper_bound(end);
            let mut iter = fixture.raw.raw_iterator_cf_opt(cf, options);
            iter.seek(prefix);
            let mut bytes = 0;
            while let (Some(k), Some(v)) = (iter.key(), iter.value()) {
                bytes += k.len() + v.len();
                iter.next();
            }
            iter.status().expect("scan");
            black_box(bytes)
        });
    });
    group.finish();
}

/// Turns a prefix into the smallest key after every key with that prefix.
fn increment(prefix: &mut Vec<u8>) {
    while let Some(last) = prefix.pop() {
        if last < u8::MAX {
            prefix.push(last + 1);
            return;
        }
    }
}

criterion_group! {
    name = side_by_side;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(side_by_side);
