//! Copying a database between backends: RocksDB → memory → RocksDB round-trips byte-identical —
//! binary keys, the empty key, empty and large values, a column with a prefix length, an empty
//! column — and the verification pass agrees; a copy from a read-only open does too, and the
//! copy reopens from disk with every entry.

use std::path::Path;

use strata::copy::{self, ColumnSummary, CopyError, CopyOptions};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, MemoryDb, Transaction};
use strata_testkit::{RocksHarness, column_contents};

/// Per-context state: 8-byte context id ‖ 4-byte index, values of 0 to 2 KiB (a few of 64 KiB).
const STATE: Column = Column::new("state").with_prefix_len(8);
/// Blobs under binary keys of any length, the empty key among them; values up to 200 KiB.
const BLOBS: Column = Column::new("blobs");
/// Keys only: every value is empty.
const FLAGS: Column = Column::new("flags");
/// Never written.
const NOTHING: Column = Column::new("nothing");
const COLUMNS: [Column; 4] = [STATE, BLOBS, FLAGS, NOTHING];

const STATE_ENTRIES: u32 = 20_000;

/// A small deterministic generator (xorshift64*), so the data is the same on every run.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn take(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, bound: u64) -> usize {
        (self.next() % bound) as usize
    }
}

fn config(path: &Path) -> RocksConfig {
    RocksHarness::config(path)
}

/// Writes the source: half of it flushed to table files, the rest left in the memtables and log.
fn populate(db: &RocksDb) -> usize {
    let mut bytes = Bytes(0x5eed_c091_e5f0_0001);
    let mut entries = 0;
    let mut transaction = Transaction::new();
    for i in 0..STATE_ENTRIES {
        let context = u64::from(i % 37).to_be_bytes();
        let mut key = context.to_vec();
        key.extend_from_slice(&i.to_be_bytes());
        let len = if i % 1000 == 0 { 64 << 10 } else { bytes.below(2049) };
        transaction.put(STATE, key, bytes.take(len));
        if i % 2_000 == 1_999 {
            db.apply(&transaction).unwrap();
            transaction = Transaction::new();
        }
        if i == STATE_ENTRIES / 2 {
            db.flush().unwrap();
        }
    }
    entries += STATE_ENTRIES as usize;
    transaction.put(BLOBS, b"", b"under the empty key");
    transaction.put(BLOBS, [0_u8], b"");
    transaction.put(BLOBS, [0xff_u8; 40], bytes.take(200 << 10));
    for _ in 0..500 {
        let key_len = 1 + bytes.below(40);
        let key = bytes.take(key_len);
        let len = bytes.below(4096);
        transaction.put(BLOBS, key, bytes.take(len));
    }
    for i in 0_u32..1_500 {
        transaction.put(FLAGS, bytes.take(4 + (i % 3) as usize), b"");
    }
    entries += transaction.len();
    db.apply(&transaction).unwrap();
    entries
}

/// One column's entries, in key order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every column's contents.
fn contents(db: &impl Database) -> Vec<Entries> {
    COLUMNS.iter().map(|&column| column_contents(db, column)).collect()
}

/// Copies `src` into `dst` with `options`, checking the progress reports against the result.
fn copy_checked(
    src: &impl Database,
    dst: &impl Database,
    options: &CopyOptions,
) -> Vec<ColumnSummary> {
    let mut last = vec![(0_u64, None); COLUMNS.len()];
    let report = copy::copy(src, dst, &COLUMNS, options, |progress| {
        let at = COLUMNS.iter().position(|c| *c == progress.column).unwrap();
        assert!(progress.entries >= last[at].0, "progress only grows");
        last[at] = (progress.entries, progress.total);
    })
    .unwrap();
    for (summary, (entries, total)) in report.columns.iter().zip(&last) {
        assert_eq!((*entries, *total), (summary.entries, Some(summary.entries)));
    }
    assert!(report.batches >= 3, "{} batches", report.batches);
    report.columns
}

#[test]
fn rocksdb_to_memory_to_rocksdb_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    let original = RocksDb::open(&config(&first), &COLUMNS).unwrap();
    let written = populate(&original);
    let expected = contents(&original);
    assert_eq!(expected.iter().map(Vec::len).sum::<usize>(), written);
    assert!(written >= 22_000, "{written} entries");
    assert!(expected[1].iter().any(|(key, _)| key.is_empty()), "the empty key is there");
    assert!(expected[3].is_empty());

    // RocksDB → memory, in batches of the default size.
    let memory = MemoryDb::new(COLUMNS);
    let summaries = copy_checked(&original, &memory, &CopyOptions::default());
    assert_eq!(contents(&memory), expected);
    assert_eq!(copy::verify(&original, &memory, &COLUMNS).unwrap(), summaries);
    let counts: Vec<u64> = summaries.iter().map(|s| s.entries).collect();
    assert_eq!(counts, expected.iter().map(|c| c.len() as u64).collect::<Vec<_>>());

    // Memory → a new RocksDB directory, in batches bounded by bytes.
    let copied = RocksDb::open(&config(&second), &COLUMNS).unwrap();
    let options = CopyOptions::default().with_batch_bytes(1 << 20);
    assert_eq!(copy_checked(&memory, &copied, &options), summaries);
    assert_eq!(contents(&copied), expected);
    assert_eq!(copy::verify(&original, &copied, &COLUMNS).unwrap(), summaries);

    // A second copy into it is refused, and leaves it as it was.
    let again = copy::copy(&memory, &copied, &COLUMNS, &CopyOptions::default(), |_| {});
    assert!(matches!(again, Err(CopyError::DestinationNotEmpty { column }) if column == "state"));

    // The copy is on disk: reopened, it holds the same entries.
    drop(copied);
    let reopened = RocksDb::open(&config(&second), &COLUMNS).unwrap();
    assert_eq!(contents(&reopened), expected);
    assert_eq!(copy::summarize(&reopened, &COLUMNS).unwrap(), summaries);

    // A changed value in the copy is found, in its column alone.
    reopened.put(BLOBS, b"", b"changed").unwrap();
    match copy::verify(&original, &reopened, &COLUMNS) {
        Err(CopyError::Mismatch { mismatches }) => {
            let columns: Vec<_> = mismatches.iter().map(|m| m.column.as_str()).collect();
            assert_eq!(columns, ["blobs"]);
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn a_copy_from_a_read_only_open_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (source, target) = (dir.path().join("source"), dir.path().join("target"));
    let expected = {
        let db = RocksDb::open(&config(&source), &COLUMNS).unwrap();
        populate(&db);
        contents(&db)
    };

    // Nothing else writes: the read-only open is one snapshot of the whole database.
    let read_only = RocksDb::open_read_only(&config(&source), &COLUMNS).unwrap();
    let copied = RocksDb::open(&config(&target), &COLUMNS).unwrap();
    let summaries =
        copy_checked(&read_only, &copied, &CopyOptions::default().with_batch_keys(4096));
    assert_eq!(contents(&copied), expected);
    assert_eq!(copy::verify(&read_only, &copied, &COLUMNS).unwrap(), summaries);
    drop(copied);

    let reopened = RocksDb::open_read_only(&config(&target), &COLUMNS).unwrap();
    assert_eq!(contents(&reopened), expected);
    assert_eq!(copy::verify(&read_only, &reopened, &COLUMNS).unwrap(), summaries);
}
