//! Criterion benchmarks of every engine workload, Strata side by side with raw `rocksdb`.
//!
//! One criterion group per workload of `strata_bench_support::WORKLOADS`, one function per
//! engine: `strata` (raw-bytes API), `typed` (typed API), `rocksdb-same` (raw `rocksdb` with
//! Strata's exact options) and `rocksdb-defaults` (raw `rocksdb` with RocksDB's defaults). The
//! data is 200 000 state entries over 800 contexts, from a fixed seed. For the alternating
//! single-process ratio table, run `cargo bench --bench compare`; `docs/performance.md` explains
//! both.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use strata_bench_support::{
    self as workload, Dataset, Engine, Raw, Scale, Strata, Typed, WORKLOADS,
};

fn benches(c: &mut Criterion) {
    let data = Dataset::generate(Scale::from_args());
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Every engine writes to a database of its own, so none pays for another's writes.
    let strata_db = workload::open_strata(&dir.path().join("strata"));
    let typed_db = workload::open_strata(&dir.path().join("typed"));
    let same_db = workload::open_raw_same_options(&dir.path().join("same"));
    let defaults_db = workload::open_raw_defaults(&dir.path().join("defaults"));
    for db in [strata_db.rocksdb(), typed_db.rocksdb(), &same_db, &defaults_db] {
        workload::load(db, &data);
    }
    let mut engines: [(&str, Box<dyn Engine + '_>); 4] = [
        ("strata", Box::new(Strata::new(&strata_db))),
        ("typed", Box::new(Typed::new(&typed_db))),
        ("rocksdb-same", Box::new(Raw::new(&same_db))),
        ("rocksdb-defaults", Box::new(Raw::new(&defaults_db))),
    ];

    let reads = WORKLOADS.iter().filter(|w| !w.writes);
    for workload in reads.chain(WORKLOADS.iter().filter(|w| w.writes)) {
        let mut group = c.benchmark_group(workload.name);
        group.throughput(Throughput::Elements(workload.items));
        for (name, engine) in &mut engines {
            if (workload.run)(engine.as_mut(), &data, 0).is_none() {
                continue;
            }
            let mut n = 0;
            group.bench_function(*name, |b| {
                b.iter(|| {
                    n += 1;
                    black_box((workload.run)(engine.as_mut(), &data, n))
                });
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = side_by_side;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(side_by_side);
