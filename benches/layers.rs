//! What a `Temporal` layer costs over the plain `Store`, on RocksDB.
//!
//! Two databases hold the same 200 000 state entries. A `Temporal` over the first buffers 10 000
//! writes (a third each overwrites, inserts and deletes); the second has the same writes
//! committed, so both sides read the same logical data: read-through gets, an ordered scan of the
//! whole column, and the commit of the buffered writes.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use strata::{Store, Temporal, WriteLayer};
use strata_bench_support::{self as workload, Dataset, Overlay, Scale};

fn benches(c: &mut Criterion) {
    let data = Dataset::generate(Scale::from_args());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let shadowed = workload::open_strata(&dir.path().join("shadowed"));
    let committed = workload::open_strata(&dir.path().join("committed"));
    for db in [&shadowed, &committed] {
        workload::load(db.rocksdb(), &data);
    }
    let overlay = Overlay::new(&data, &shadowed, &committed);

    let mut group = c.benchmark_group("read_through_get");
    group.throughput(Throughput::Elements(1));
    let mut n = 0;
    group.bench_function("temporal", |b| {
        b.iter(|| {
            n += 1;
            black_box(workload::read_through_get(&overlay.temporal, &overlay.probes, n))
        });
    });
    let mut n = 0;
    group.bench_function("store", |b| {
        b.iter(|| {
            n += 1;
            black_box(workload::read_through_get(&overlay.committed, &overlay.probes, n))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("merged_scan");
    group.throughput(Throughput::Elements((data.scale.keys() + data.scale.buffered / 3) as u64));
    group.sample_size(10);
    group.bench_function("temporal", |b| {
        b.iter(|| black_box(workload::merged_scan(&overlay.temporal)));
    });
    group.bench_function("store", |b| {
        b.iter(|| black_box(workload::merged_scan(&overlay.committed)));
    });
    group.finish();

    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(data.scale.buffered as u64));
    let scratch = workload::open_strata(&dir.path().join("scratch"));
    let buffered = data.overlay_transaction();
    group.bench_function("temporal", |b| {
        b.iter_batched(
            || {
                let mut layer = Temporal::new(Store::new(&scratch));
                layer.apply(&buffered).expect("buffer");
                layer
            },
            |mut layer| {
                layer.commit().expect("commit");
                layer
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("store", |b| {
        b.iter_batched(
            || (Store::new(&scratch), buffered.clone()),
            |(mut store, tx)| {
                store.apply(&tx).expect("apply");
                tx
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group! {
    name = layers;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(layers);
