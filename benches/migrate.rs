//! Migration throughput: a value-transform step run by Strata's `Migrator` against the loop a
//! user would write over raw RocksDB to do the same — iterate the column, rewrite each value,
//! write a `WriteBatch` every 10 000 entries — in one process, on the same data.
//!
//! Both databases are opened with Strata's options (`RocksConfig::new`) and hold the same
//! 200 000 entries (a 16-byte key → 128 bytes). Each iteration rewrites every value with the same
//! transform (every byte incremented, into a new value); the Strata side then sets the schema's
//! recorded version back, outside the timed part, so the next iteration migrates again. The
//! migrator's batches also carry its progress record, and its last one is synced; the raw loop
//! syncs its last batch too. After criterion's report the benchmark prints the ratio
//! (target ≥ 0.8): `cargo bench --bench migrate`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocksdb::{IteratorMode, WriteBatch, WriteOptions};
use strata::error::BoxError;
use strata::migrate::{Change, Migrator, Step};
use strata::rocksdb::RocksDb;
use strata::versions::{self, VERSIONS};
use strata::{Column, Database, Schema, Transaction};
use strata_bench_support::rates::{Rates, format_rate};

const ENTRIES: usize = 200_000;
const VALUE_LEN: usize = 128;
const BATCH: usize = 10_000;
const SAMPLES: usize = 10;

const VALUES: Column = Column::new("values");

/// The transform both sides run: a new value, every byte incremented.
fn bump(value: &[u8]) -> Vec<u8> {
    value.iter().map(|b| b.wrapping_add(1)).collect()
}

#[expect(clippy::unnecessary_wraps, reason = "a value transform's signature")]
fn transform(_key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
    Ok(Some(bump(value)))
}

const STEPS: &[Step] =
    &[Step::new(1, "bump every byte", &[Change::TransformValues { column: VALUES, transform }])];
const V1: Schema = Schema::new("bench", &[]);
const V2: Schema = Schema::new("bench", &[]).with_version(2).with_migrations(STEPS);

static RECORDED: Rates = Rates::new();

fn open(path: &std::path::Path) -> RocksDb {
    RocksDb::open(&strata_bench_support::config(path), &[VALUES, VERSIONS]).expect("open RocksDB")
}

fn load(db: &RocksDb) {
    let mut rng = StdRng::seed_from_u64(17);
    let mut transaction = Transaction::new();
    for _ in 0..ENTRIES {
        let key: [u8; 16] = rng.random();
        let mut value = [0; VALUE_LEN];
        rng.fill(&mut value[..]);
        transaction.put(VALUES, key, value);
    }
    db.apply(&transaction).expect("load");
    db.flush().expect("flush");
    settle(db);
}

/// Waits for `db`'s flushes and compactions, so that neither side is timed against the other's.
fn settle(db: &RocksDb) {
    strata_bench_support::settle(db.rocksdb(), db.rocksdb().cf_handle("values").expect("a family"));
}

/// The schema's recorded version, set back to 1.
fn reset(db: &RocksDb) {
    let mut transaction = Transaction::new();
    versions::stage_schema_version(&mut transaction, V1.name(), 1).expect("stage");
    db.apply(&transaction).expect("reset the version");
}

/// The raw loop: one iterator over the column, a batch of rewritten values every `BATCH`
/// entries, the last batch synced.
fn raw_read_modify_write(db: &rocksdb::DB) -> usize {
    let cf = db.cf_handle("values").expect("a family");
    let mut batch = WriteBatch::default();
    let mut done = 0;
    for item in db.iterator_cf(cf, IteratorMode::Start) {
        let (key, value) = item.expect("read");
        batch.put_cf(cf, &key, bump(&value));
        done += 1;
        if batch.len() == BATCH {
            db.write(std::mem::take(&mut batch)).expect("write");
        }
    }
    let mut synced = WriteOptions::default();
    synced.set_sync(true);
    db.write_opt(batch, &synced).expect("write");
    done
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let strata = open(&dir.path().join("strata"));
    let raw = open(&dir.path().join("raw"));
    load(&strata);
    load(&raw);
    versions::record(&strata, &[V1]).expect("record version 1");

    let mut group = c.benchmark_group("transform_values");
    group.sample_size(SAMPLES).warm_up_time(Duration::from_secs(1));
    let elements = ENTRIES as u64;
    RECORDED.bench(&mut group, "transform_values", "strata_migrator", elements, |iters| {
        let mut took = Duration::ZERO;
        for _ in 0..iters {
            reset(&strata);
            settle(&strata);
            let start = Instant::now();
            let reports = Migrator::new(&[V2]).batch_keys(BATCH).run(&strata).expect("migrate");
            took += start.elapsed();
            assert_eq!(reports[0].changes[0].written, elements);
        }
        took
    });
    RECORDED.bench(&mut group, "transform_values", "raw_rocksdb_loop", elements, |iters| {
        let mut took = Duration::ZERO;
        for _ in 0..iters {
            settle(&raw);
            let start = Instant::now();
            black_box(raw_read_modify_write(raw.rocksdb()));
            took += start.elapsed();
        }
        took
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    let strata = RECORDED.median("transform_values/strata_migrator", SAMPLES);
    let raw = RECORDED.median("transform_values/raw_rocksdb_loop", SAMPLES);
    if let (Some(strata), Some(raw)) = (strata, raw) {
        let ratio = strata / raw;
        println!(
            "\n| value-transform step, {ENTRIES} × {VALUE_LEN} B | Strata `Migrator` | raw RocksDB \
             loop | ratio (target ≥ 0.8) |\n|---|---|---|---|\n| entries/s (median of \
             {SAMPLES}) | {} | {} | {ratio:.2} {} |",
            format_rate(strata),
            format_rate(raw),
            if ratio >= 0.8 { "met" } else { "missed" }
        );
    }
}
