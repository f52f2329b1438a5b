//! The benchmark workloads, written once and run against every engine by both the criterion
//! benchmarks (`benches/rocksdb.rs`, `benches/layers.rs`) and the side-by-side comparison
//! (`benches/compare.rs`).
//!
//! The data is a node runtime's per-context state, generated from a fixed seed: `contexts`
//! contexts of `per_context` entries in the schema's `state` column (32-byte context id +
//! 32-byte state key → 128 random bytes). It is loaded the way a node writes it — a group of
//! contexts at a time, each group flushed to its own table file, the newest group left in the
//! memtable — and background compactions are let finish before anything is measured.
//!
//! An [`Engine`] is one way of running the operations: Strata through its raw-bytes API, Strata
//! through its typed API, and raw `rocksdb` opened with Strata's exact options or with RocksDB's
//! defaults. A [`Workload`] is one operation, numbered so that every engine sees the same
//! sequence of keys.
#![forbid(unsafe_code)]
#![expect(clippy::missing_panics_doc, reason = "a benchmark stops at its first failure")]

pub mod memory;
pub mod paired;
pub mod rates;

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rocksdb::{ColumnFamily, DB, Options, ReadOptions, WriteBatch, WriteOptions};
use strata_core::{
    Column, Database, FromKeyParts, Handle, KeyRange, ReadLayer, Slice, Store, Temporal,
    Transaction, WriteLayer,
};
use strata_node::{ContextId, ContextState, IDENTITY, META, STATE, TRANSACTION};
use strata_rocksdb::{RocksConfig, RocksDb};

/// Length of every value written.
pub const VALUE_LEN: usize = 128;
/// Keys per batch in the batched-put workload.
pub const BATCH: usize = 1000;
/// Keys per call in the multi-get workload.
pub const MULTI_GET: usize = 32;
/// Entries read by a short scan.
pub const SHORT_SCAN: usize = 10;
/// The columns a cross-column commit writes to, two keys each.
pub const CROSS_COLUMNS: [Column; 4] = [META, IDENTITY, STATE, TRANSACTION];
/// The seed every dataset is generated from.
pub const SEED: u64 = 0x5354_5241_5441;

/// How much data a run uses.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Contexts in the `state` column.
    pub contexts: usize,
    /// Entries per context.
    pub per_context: usize,
    /// Contexts written (and flushed) together while loading.
    pub contexts_per_flush: usize,
    /// Writes buffered in the `Temporal` overlay.
    pub buffered: usize,
}

impl Scale {
    /// What the benchmarks measure: 800 contexts × 250 entries = 200 000 keys, 10 000 buffered.
    pub const FULL: Self =
        Self { contexts: 800, per_context: 250, contexts_per_flush: 100, buffered: 10_000 };
    /// A quick run that exercises every path, for `cargo test`.
    pub const SMOKE: Self =
        Self { contexts: 16, per_context: 20, contexts_per_flush: 4, buffered: 60 };

    /// [`Scale::FULL`] when the process was started by `cargo bench` (which passes `--bench`),
    /// [`Scale::SMOKE`] when `cargo test` runs a benchmark once to check it works.
    pub fn from_args() -> Self {
        if std::env::args().any(|arg| arg == "--bench") { Self::FULL } else { Self::SMOKE }
    }

    /// Keys in the `state` column.
    pub fn keys(&self) -> usize {
        self.contexts * self.per_context
    }
}

/// One buffered write of the overlay or of a cross-column commit.
#[derive(Debug, Clone)]
pub struct Write {
    /// Where.
    pub column: Column,
    /// The key.
    pub key: Vec<u8>,
    /// The value, or `None` for a delete.
    pub value: Option<Vec<u8>>,
}

/// Everything a run reads and writes, generated from [`SEED`].
#[derive(Debug)]
pub struct Dataset {
    /// The scale it was generated at.
    pub scale: Scale,
    /// Context ids, in the order they were loaded.
    pub contexts: Vec<[u8; 32]>,
    /// Every loaded entry of `state`, context by context.
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Existing keys, shuffled.
    pub hits: Vec<Vec<u8>>,
    /// Absent keys under existing context prefixes.
    pub misses_in_prefix: Vec<Vec<u8>>,
    /// Absent keys under context prefixes that hold nothing.
    pub misses_no_prefix: Vec<Vec<u8>>,
    /// Fresh random entries for the write workloads, enough for [`Dataset::batch`] to cycle.
    pub fresh: Vec<(Vec<u8>, Vec<u8>)>,
    /// Cross-column commits: 8 writes over [`CROSS_COLUMNS`] each.
    pub commits: Vec<Vec<Write>>,
    /// The `Temporal` overlay: a third each overwrites, inserts and deletes.
    pub overlay: Vec<Write>,
}

fn state_key(context: &[u8; 32], rest: &[u8; 32]) -> Vec<u8> {
    [context.as_slice(), rest.as_slice()].concat()
}

fn value(rng: &mut StdRng) -> Vec<u8> {
    (0..VALUE_LEN).map(|_| rng.random()).collect()
}

impl Dataset {
    /// Generates the data for `scale`.
    pub fn generate(scale: Scale) -> Self {
        let mut rng = StdRng::seed_from_u64(SEED);
        let contexts: Vec<[u8; 32]> = (0..scale.contexts).map(|_| rng.random()).collect();
        let mut entries = Vec::with_capacity(scale.keys());
        for context in &contexts {
            for _ in 0..scale.per_context {
                entries.push((state_key(context, &rng.random()), value(&mut rng)));
            }
        }
        let mut hits: Vec<Vec<u8>> = entries.iter().map(|(k, _)| k.clone()).collect();
        hits.shuffle(&mut rng);
        hits.truncate(1 << 16);
        let probes = 4096;
        let misses_in_prefix =
            (0..probes).map(|i| state_key(&contexts[i % contexts.len()], &rng.random())).collect();
        let misses_no_prefix =
            (0..probes).map(|_| state_key(&rng.random(), &rng.random())).collect();
        let fresh = (0..BATCH * 8)
            .map(|_| (state_key(&rng.random(), &rng.random()), value(&mut rng)))
            .collect();
        let commits = (0..256)
            .map(|_| {
                let context: [u8; 32] = rng.random();
                CROSS_COLUMNS
                    .iter()
                    .flat_map(|&column| [column, column])
                    .map(|column| {
                        let key = if column == META {
                            context.to_vec()
                        } else {
                            state_key(&context, &rng.random())
                        };
                        Write { column, key, value: Some(value(&mut rng)) }
                    })
                    .collect()
            })
            .collect();
        let overlay = (0..scale.buffered)
            .map(|i| {
                let existing = entries[rng.random_range(0..entries.len())].0.clone();
                match i % 3 {
                    0 => Write { column: STATE, key: existing, value: Some(value(&mut rng)) },
                    1 => {
                        let context = &contexts[rng.random_range(0..contexts.len())];
                        let key = state_key(context, &rng.random());
                        Write { column: STATE, key, value: Some(value(&mut rng)) }
                    }
                    _ => Write { column: STATE, key: existing, value: None },
                }
            })
            .collect();
        Self {
            scale,
            contexts,
            entries,
            hits,
            misses_in_prefix,
            misses_no_prefix,
            fresh,
            commits,
            overlay,
        }
    }

    /// The `n`th batch of [`BATCH`] fresh entries (batches cycle; rewriting a key is still a
    /// full write).
    pub fn batch(&self, n: usize) -> &[(Vec<u8>, Vec<u8>)] {
        let batches = self.fresh.len() / BATCH;
        let start = (n % batches) * BATCH;
        &self.fresh[start..start + BATCH]
    }

    /// The overlay as a transaction.
    pub fn overlay_transaction(&self) -> Transaction {
        let mut tx = Transaction::new();
        for write in &self.overlay {
            match &write.value {
                Some(value) => tx.put(write.column, &write.key, value),
                None => tx.delete(write.column, &write.key),
            }
        }
        tx
    }
}

/// Writes the dataset the way a node does — a group of contexts per table file, the newest group
/// left in the memtable — then waits for background compactions, so every engine starts from the
/// same shape of LSM tree.
pub fn load(db: &DB, data: &Dataset) {
    let cf = db.cf_handle(STATE.name()).expect("the state column family");
    let group = data.scale.contexts_per_flush * data.scale.per_context;
    let groups: Vec<_> = data.entries.chunks(group).collect();
    for (i, chunk) in groups.iter().enumerate() {
        let mut batch = WriteBatch::default();
        for (key, value) in *chunk {
            batch.put_cf(cf, key, value);
        }
        db.write(batch).expect("load a group of contexts");
        if i + 1 < groups.len() {
            db.flush_cf(cf).expect("flush a group of contexts");
        }
    }
    settle(db, cf);
}

/// Waits until no flush or compaction of the database is pending or running.
pub fn settle(db: &DB, cf: &ColumnFamily) {
    let busy = || {
        let above_zero =
            |value: Result<Option<u64>, rocksdb::Error>| matches!(value, Ok(Some(n)) if n > 0);
        above_zero(db.property_int_value_cf(cf, "rocksdb.compaction-pending"))
            || above_zero(db.property_int_value_cf(cf, "rocksdb.mem-table-flush-pending"))
            || above_zero(db.property_int_value("rocksdb.num-running-compactions"))
            || above_zero(db.property_int_value("rocksdb.num-running-flushes"))
    };
    while busy() {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Opens Strata's RocksDB backend with the node schema's columns and the benchmark configuration.
pub fn open_strata(path: &std::path::Path) -> RocksDb {
    RocksDb::open(&config(path), &strata_node::COLUMNS).expect("open Strata")
}

/// The benchmark configuration: Strata's defaults.
pub fn config(path: &std::path::Path) -> RocksConfig {
    RocksConfig::new(path)
}

/// Opens raw RocksDB with exactly the options Strata would use at `path`.
pub fn open_raw_same_options(path: &std::path::Path) -> DB {
    let (options, descriptors) = config(path).rocksdb_options(strata_node::COLUMNS);
    DB::open_cf_descriptors(&options.db, path, descriptors).expect("open raw RocksDB")
}

/// Opens raw RocksDB with its default options (creating what is missing, nothing else).
pub fn open_raw_defaults(path: &std::path::Path) -> DB {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    let names = strata_node::COLUMNS.map(|column| column.name());
    DB::open_cf(&options, path, names).expect("open raw RocksDB with defaults")
}

/// One way of running the workloads' operations. Every method returns a number derived from
/// what it read or wrote, so that nothing can be optimised away and engines can be compared.
pub trait Engine {
    /// Reads one key; the value's length, 0 when absent.
    fn get(&mut self, key: &[u8]) -> usize;
    /// Reads many keys of `state` at once; the total length of the values found.
    fn multi_get(&mut self, keys: &[&[u8]]) -> usize;
    /// Reads every entry under a 32-byte context prefix in place; their total key and value
    /// length.
    fn scan_prefix(&mut self, prefix: &[u8]) -> usize;
    /// The same, taking an owned copy of every entry (as a std `Iterator` of owned items does).
    fn scan_prefix_owned(&mut self, prefix: &[u8]) -> usize;
    /// Reads at most `limit` entries from `from` on, within `from`'s context; their total length.
    fn scan_from(&mut self, from: &[u8], limit: usize) -> usize;
    /// Writes one key of `state`, as its own commit.
    fn put(&mut self, key: &[u8], value: &[u8]);
    /// Writes many keys of `state` as one atomic batch.
    fn put_batch(&mut self, entries: &[(Vec<u8>, Vec<u8>)]);
    /// Writes one cross-column commit atomically; `None` when the engine cannot express it.
    fn commit(&mut self, writes: &[Write]) -> Option<()>;
    /// Whether the engine answers multi-gets (`multi_get` is not called otherwise).
    fn has_multi_get(&self) -> bool {
        true
    }
    /// Waits for the database's background flushes and compactions, so that the work one
    /// engine's writes caused is not timed against the next engine.
    fn quiesce(&self);
}

fn context_end(key: &[u8]) -> Vec<u8> {
    KeyRange::prefix(&key[..32]).end().expect("a context prefix has an end").to_vec()
}

/// Strata's RocksDB store through the raw-bytes API, reusing one transaction for its writes as a
/// node's commit loop does.
pub struct Strata<'a> {
    store: Store<&'a RocksDb>,
    tx: Transaction,
}

impl<'a> Strata<'a> {
    /// The engine over `db`.
    pub fn new(db: &'a RocksDb) -> Self {
        Self { store: Store::new(db), tx: Transaction::new() }
    }
}

fn sum_entries<I, K, V, E>(items: I) -> usize
where
    I: Iterator<Item = Result<(K, V), E>>,
    E: std::fmt::Debug,
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    items
        .map(|item| item.map(|(k, v)| k.as_ref().len() + v.as_ref().len()).expect("read an entry"))
        .sum()
}

impl Engine for Strata<'_> {
    fn quiesce(&self) {
        let db = self.store.db().rocksdb();
        settle(db, db.cf_handle(STATE.name()).expect("the state column family"));
    }

    fn get(&mut self, key: &[u8]) -> usize {
        self.store.get(STATE, key).expect("get").map_or(0, |v| v.len())
    }

    fn multi_get(&mut self, keys: &[&[u8]]) -> usize {
        let values = self.store.db().get_many(STATE, keys).expect("get_many");
        values.iter().flatten().map(|v| v.len()).sum()
    }

    fn scan_prefix(&mut self, prefix: &[u8]) -> usize {
        let mut entries = self.store.iter_prefix(STATE, prefix).expect("iter_prefix");
        let mut total = 0;
        while let Some(entry) = entries.next_entry() {
            let (key, value) = entry.expect("read an entry");
            total += key.len() + value.len();
        }
        total
    }

    fn scan_prefix_owned(&mut self, prefix: &[u8]) -> usize {
        let entries: Vec<strata_core::RawEntry> = self
            .store
            .iter_prefix(STATE, prefix)
            .expect("iter_prefix")
            .collect::<Result<_, _>>()
            .expect("read the entries");
        entries.iter().map(|(key, value)| key.len() + value.len()).sum()
    }

    fn scan_from(&mut self, from: &[u8], limit: usize) -> usize {
        let range = KeyRange::new(from.to_vec(), Some(context_end(from)));
        let mut entries = self.store.iter_range(STATE, range).expect("iter_range");
        let mut total = 0;
        for _ in 0..limit {
            let Some(entry) = entries.next_entry() else { break };
            let (key, value) = entry.expect("read an entry");
            total += key.len() + value.len();
        }
        total
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.store.put(STATE, key, value).expect("put");
    }

    fn put_batch(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) {
        self.tx.clear();
        for (key, value) in entries {
            self.tx.put(STATE, key, value);
        }
        self.store.apply(&self.tx).expect("apply");
    }

    fn commit(&mut self, writes: &[Write]) -> Option<()> {
        self.tx.clear();
        for write in writes {
            match &write.value {
                Some(value) => self.tx.put(write.column, &write.key, value),
                None => self.tx.delete(write.column, &write.key),
            }
        }
        self.store.apply(&self.tx).expect("apply");
        Some(())
    }
}

/// Strata's RocksDB store through the typed API: `ContextState` keys, encoded and decoded.
pub struct Typed<'a> {
    handle: Handle<Store<&'a RocksDb>>,
    tx: Transaction,
}

impl<'a> Typed<'a> {
    /// The engine over `db`.
    pub fn new(db: &'a RocksDb) -> Self {
        Self { handle: Handle::new(Store::new(db)), tx: Transaction::new() }
    }
}

fn typed(key: &[u8]) -> ContextState {
    ContextState::from_bytes(key).expect("a state key")
}

impl Engine for Typed<'_> {
    fn quiesce(&self) {
        let db = self.handle.layer().db().rocksdb();
        settle(db, db.cf_handle(STATE.name()).expect("the state column family"));
    }

    fn get(&mut self, key: &[u8]) -> usize {
        self.handle.get(&typed(key)).expect("get").map_or(0, |v| v.len())
    }

    fn multi_get(&mut self, _: &[&[u8]]) -> usize {
        unreachable!("the typed API has no multi-get")
    }

    fn has_multi_get(&self) -> bool {
        false
    }

    fn scan_prefix(&mut self, prefix: &[u8]) -> usize {
        let context = ContextId(prefix.try_into().expect("a 32-byte context id"));
        let mut items = self.handle.iter_prefix::<ContextState, _>(&context).expect("iter_prefix");
        let mut total = 0;
        while let Some(item) = items.next_entry() {
            // The key is decoded (a `ContextState`, 64 bytes) whether or not it is looked at.
            let (_key, value) = item.expect("read an entry");
            total += 64 + value.len();
        }
        total
    }

    fn scan_prefix_owned(&mut self, prefix: &[u8]) -> usize {
        let context = ContextId(prefix.try_into().expect("a 32-byte context id"));
        let items = self.handle.iter_prefix::<ContextState, _>(&context).expect("iter_prefix");
        let entries: Vec<_> = items.collect::<Result<_, _>>().expect("read the entries");
        entries.iter().map(|(_, value)| 64 + value.len()).sum()
    }

    fn scan_from(&mut self, from: &[u8], limit: usize) -> usize {
        let start = typed(from);
        let end = ContextState {
            context_id: start.context_id,
            state_key: strata_node::StateKey([0xff; 32]),
        };
        let mut items = self.handle.iter(start..=end).expect("iter");
        let mut total = 0;
        for _ in 0..limit {
            let Some(item) = items.next_entry() else { break };
            // The key is decoded (a `ContextState`, 64 bytes) whether or not it is looked at.
            let (_key, value) = item.expect("read an entry");
            total += 64 + value.len();
        }
        total
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.handle.put(&typed(key), &Slice::from(value)).expect("put");
    }

    fn put_batch(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) {
        self.tx.clear();
        for (key, value) in entries {
            self.tx.put_entry(&typed(key), &Slice::from(&value[..])).expect("encode");
        }
        self.handle.layer_mut().apply(&self.tx).expect("apply");
    }

    fn commit(&mut self, _: &[Write]) -> Option<()> {
        // The cross-column commit writes raw bytes to columns whose typed values are records.
        None
    }
}

/// Raw `rocksdb` as a careful user would write it: column family handles resolved once, and each
/// write batch sized up front (rust-rocksdb consumes a batch on write, so it cannot be reused).
pub struct Raw<'a> {
    db: &'a DB,
    state: &'a ColumnFamily,
    columns: Vec<(Column, &'a ColumnFamily)>,
    write: WriteOptions,
}

impl<'a> Raw<'a> {
    /// The engine over `db`, opened with the node schema's column families.
    pub fn new(db: &'a DB) -> Self {
        let cf = |column: Column| db.cf_handle(column.name()).expect("a schema column family");
        let columns = CROSS_COLUMNS.iter().map(|&column| (column, cf(column))).collect();
        Self { db, state: cf(STATE), columns, write: WriteOptions::default() }
    }

    /// An iterator over `from`'s context, bounded as Strata bounds its own, positioned at `from`.
    fn seek(&self, from: &[u8]) -> rocksdb::DBRawIterator<'a> {
        let mut options = ReadOptions::default();
        options.set_iterate_lower_bound(from.to_vec());
        options.set_iterate_upper_bound(context_end(from));
        let mut iter = self.db.raw_iterator_cf_opt(self.state, options);
        iter.seek(from);
        iter
    }

    fn scan(&self, from: &[u8], limit: usize) -> usize {
        let mut iter = self.seek(from);
        let mut total = 0;
        let mut seen = 0;
        while let Some((key, value)) = iter.item() {
            total += key.len() + value.len();
            seen += 1;
            if seen == limit {
                break;
            }
            iter.next();
        }
        iter.status().expect("scan");
        total
    }
}

impl Engine for Raw<'_> {
    fn quiesce(&self) {
        settle(self.db, self.state);
    }

    fn get(&mut self, key: &[u8]) -> usize {
        self.db.get_pinned_cf(self.state, key).expect("get").map_or(0, |v| v.len())
    }

    fn multi_get(&mut self, keys: &[&[u8]]) -> usize {
        let values = self.db.batched_multi_get_cf(self.state, keys, false);
        values.into_iter().map(|v| v.expect("multi_get").map_or(0, |v| v.len())).sum()
    }

    fn scan_prefix(&mut self, prefix: &[u8]) -> usize {
        self.scan(prefix, usize::MAX)
    }

    fn scan_prefix_owned(&mut self, prefix: &[u8]) -> usize {
        let mut iter = self.seek(prefix);
        let mut entries: Vec<strata_core::RawEntry> = Vec::new();
        while let Some((key, value)) = iter.item() {
            entries.push((key.into(), value.into()));
            iter.next();
        }
        iter.status().expect("scan");
        entries.iter().map(|(key, value)| key.len() + value.len()).sum()
    }

    fn scan_from(&mut self, from: &[u8], limit: usize) -> usize {
        self.scan(from, limit)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.db.put_cf_opt(self.state, key, value, &self.write).expect("put");
    }

    fn put_batch(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) {
        let mut batch =
            WriteBatch::with_capacity_bytes(batch_bytes(entries.iter().map(|(k, v)| (k, v))));
        for (key, value) in entries {
            batch.put_cf(self.state, key, value);
        }
        self.db.write_opt(batch, &self.write).expect("write");
    }

    fn commit(&mut self, writes: &[Write]) -> Option<()> {
        let entries =
            writes.iter().map(|w| (&w.key, w.value.as_ref().map_or(&[][..], Vec::as_slice)));
        let mut batch = WriteBatch::with_capacity_bytes(batch_bytes(entries));
        for write in writes {
            let (_, cf) = self.columns.iter().find(|(c, _)| *c == write.column)?;
            match &write.value {
                Some(value) => batch.put_cf(*cf, &write.key, value),
                None => batch.delete_cf(*cf, &write.key),
            }
        }
        self.db.write_opt(batch, &self.write).expect("write");
        Some(())
    }
}

/// An upper bound on a RocksDB write batch holding `entries`: a 12-byte header, then per entry a
/// tag, a column family id and two varint lengths.
fn batch_bytes<K: AsRef<[u8]>, V: AsRef<[u8]>>(entries: impl Iterator<Item = (K, V)>) -> usize {
    12 + entries.map(|(key, value)| 16 + key.as_ref().len() + value.as_ref().len()).sum::<usize>()
}

/// A ratio a workload must reach, and against which engine.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Minimum Strata ÷ raw-rocksdb-same-options throughput.
    pub same_options: Option<f64>,
    /// Minimum Strata ÷ raw-rocksdb-defaults throughput.
    pub defaults: Option<f64>,
}

/// One operation, run identically against every engine.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Short name, used as the criterion group and in the table.
    pub name: &'static str,
    /// Items (keys or entries) one operation handles at full scale, for throughput.
    pub items: u64,
    /// Whether it writes (write workloads run after every read workload).
    pub writes: bool,
    /// What it must reach.
    pub target: Target,
    /// Runs operation number `n`; returns what the engine returned.
    pub run: fn(&mut dyn Engine, &Dataset, usize) -> Option<usize>,
}

const fn target(same_options: Option<f64>, defaults: Option<f64>) -> Target {
    Target { same_options, defaults }
}

fn pick<T>(items: &[T], n: usize) -> &T {
    // A stride that is prime to every table size here visits all of them, in scattered order.
    &items[n.wrapping_mul(7919) % items.len()]
}

/// Every engine workload, reads first.
pub const WORKLOADS: [Workload; 10] = [
    Workload {
        name: "get_hit",
        items: 1,
        writes: false,
        target: target(Some(0.95), None),
        run: |e, d, n| Some(e.get(pick(&d.hits, n).as_slice())),
    },
    Workload {
        name: "get_miss_in_prefix",
        items: 1,
        writes: false,
        target: target(Some(0.95), Some(2.0)),
        run: |e, d, n| Some(e.get(pick(&d.misses_in_prefix, n).as_slice())),
    },
    Workload {
        name: "get_miss_no_prefix",
        items: 1,
        writes: false,
        target: target(Some(0.95), Some(2.0)),
        run: |e, d, n| Some(e.get(pick(&d.misses_no_prefix, n).as_slice())),
    },
    Workload {
        name: "multi_get",
        items: MULTI_GET as u64,
        writes: false,
        target: target(None, None),
        run: |e, d, n| {
            if !e.has_multi_get() {
                return None;
            }
            let start = (n * MULTI_GET) % (d.hits.len() - MULTI_GET);
            let keys: Vec<&[u8]> =
                d.hits[start..start + MULTI_GET].iter().map(Vec::as_slice).collect();
            Some(e.multi_get(&keys))
        },
    },
    Workload {
        name: "prefix_scan",
        items: 250,
        writes: false,
        target: target(Some(0.95), Some(1.2)),
        run: |e, d, n| Some(e.scan_prefix(pick(&d.contexts, n).as_slice())),
    },
    Workload {
        name: "prefix_scan_owned",
        items: 250,
        writes: false,
        target: target(None, None),
        run: |e, d, n| Some(e.scan_prefix_owned(pick(&d.contexts, n).as_slice())),
    },
    Workload {
        name: "short_scan",
        items: SHORT_SCAN as u64,
        writes: false,
        target: target(None, None),
        run: |e, d, n| Some(e.scan_from(pick(&d.hits, n).as_slice(), SHORT_SCAN)),
    },
    Workload {
        name: "single_commit",
        items: 1,
        writes: true,
        target: target(None, None),
        run: |e, d, n| {
            let (key, value) = pick(&d.fresh, n);
            e.put(key, value);
            Some(value.len())
        },
    },
    Workload {
        name: "batched_put",
        items: BATCH as u64,
        writes: true,
        target: target(Some(0.95), None),
        run: |e, d, n| {
            e.put_batch(d.batch(n));
            Some(BATCH)
        },
    },
    Workload {
        name: "cross_column_commit",
        items: 8,
        writes: true,
        target: target(Some(0.95), None),
        run: |e, d, n| e.commit(pick(&d.commits, n).as_slice()).map(|()| 8),
    },
];

/// What the `Temporal` overlay costs over the plain store, over the same logical data.
///
/// `shadowed` holds the dataset with the overlay buffered in a `Temporal`; `committed` holds the
/// dataset with the overlay applied. Reads through the first must match reads of the second.
pub struct Overlay<'a> {
    /// The `Temporal` over the base data, with the overlay buffered.
    pub temporal: Temporal<Store<&'a RocksDb>>,
    /// The same data with the overlay committed.
    pub committed: Store<&'a RocksDb>,
    /// Read-through probes: buffered keys, base keys and absent keys.
    pub probes: Vec<Vec<u8>>,
}

impl<'a> Overlay<'a> {
    /// Buffers the overlay over `shadowed` and commits it to `committed`; both must hold the
    /// loaded dataset.
    pub fn new(data: &Dataset, shadowed: &'a RocksDb, committed: &'a RocksDb) -> Self {
        let overlay = data.overlay_transaction();
        let mut temporal = Temporal::new(Store::new(shadowed));
        temporal.apply(&overlay).expect("buffer the overlay");
        let mut committed = Store::new(committed);
        committed.apply(&overlay).expect("commit the overlay");
        let mut rng = StdRng::seed_from_u64(SEED + 1);
        let probes = (0..4096)
            .map(|i| match i % 4 {
                0 => data.overlay[rng.random_range(0..data.overlay.len())].key.clone(),
                1 => data.misses_in_prefix[i % data.misses_in_prefix.len()].clone(),
                _ => data.hits[rng.random_range(0..data.hits.len())].clone(),
            })
            .collect();
        Self { temporal, committed, probes }
    }
}

/// Reads one probe through `layer`.
pub fn read_through_get(layer: &impl ReadLayer, overlay_probes: &[Vec<u8>], n: usize) -> usize {
    layer.get(STATE, pick(overlay_probes, n).as_slice()).expect("get").map_or(0, |v| v.len())
}

/// Scans the whole `state` column through `layer`, in key order.
pub fn merged_scan(layer: &impl ReadLayer) -> usize {
    sum_entries(layer.iter(STATE, ..).expect("iter"))
}
