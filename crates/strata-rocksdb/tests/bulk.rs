//! `RocksDb::ingest_sorted`: sorted entries written to table files and ingested whole.

use std::path::Path;

use strata_core::{Column, Database, ReadLayer, StorageError, Store};
use strata_rocksdb::{IngestError, RocksConfig, RocksDb};

const STATE: Column = Column::new("state").with_prefix_len(4);
const LOG: Column = Column::new("log");

fn key(n: u32) -> [u8; 8] {
    let mut key = [0; 8];
    key[..4].copy_from_slice(&(n / 100).to_be_bytes());
    key[4..].copy_from_slice(&(n % 100).to_be_bytes());
    key
}

/// A value that compresses, so that a file written with the wrong compression shows in its size.
fn value(n: u32) -> Vec<u8> {
    format!("value {n:08} {}", "abcdefgh".repeat(8)).into_bytes()
}

fn entries(range: std::ops::Range<u32>) -> impl Iterator<Item = ([u8; 8], Vec<u8>)> {
    range.map(|n| (key(n), value(n)))
}

fn all(db: &RocksDb, column: Column) -> Vec<(Vec<u8>, Vec<u8>)> {
    let store = Store::new(db);
    let entries = store.iter(column, ..).unwrap();
    entries.map(|item| item.map(|(k, v)| (k.into_vec(), v.into_vec())).unwrap()).collect()
}

/// Counts the entries under `prefix` through a prefix cursor (prefix mode: the files' prefix
/// blooms are consulted).
fn count_prefix(db: &RocksDb, prefix: &[u8]) -> usize {
    let store = Store::new(db);
    store.iter_prefix(STATE, prefix).unwrap().map(Result::unwrap).count()
}

/// Entries in the database directory that are neither RocksDB's nor expected: staging leftovers.
fn staging_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("strata-ingest-"))
        .collect()
}

#[test]
fn ingested_entries_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open(&config, &[STATE, LOG]).unwrap();
    let ingested = db.ingest_sorted(&config, STATE, entries(0..10_000)).unwrap();
    assert_eq!((ingested.entries, ingested.files), (10_000, 1));
    assert!(ingested.file_bytes > 0);

    let expected: Vec<(Vec<u8>, Vec<u8>)> =
        entries(0..10_000).map(|(k, v)| (k.to_vec(), v)).collect();
    assert_eq!(all(&db, STATE), expected);
    assert_eq!(db.get(STATE, &key(4321)).unwrap().unwrap(), value(4321)[..]);
    assert!(db.get(STATE, &key(10_000)).unwrap().is_none());
    // A prefix scan (the prefix-mode cursor and the files' prefix blooms).
    let context = &key(4300)[..4];
    assert_eq!(count_prefix(&db, context), 100);
    assert_eq!(count_prefix(&db, &key(20_000)[..4]), 0);
    assert!(all(&db, LOG).is_empty());
    assert!(staging_dirs(dir.path()).is_empty(), "the staging directory is removed");

    // Reopened, the entries are still there.
    drop(db);
    let db = RocksDb::open(&config, &[STATE, LOG]).unwrap();
    assert_eq!(all(&db, STATE), expected);
}

#[test]
fn ingesting_over_existing_keys_replaces_their_values_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open(&config, &[STATE]).unwrap();
    db.put(STATE, &key(5), b"old").unwrap();
    db.put(STATE, &key(50_000), b"kept").unwrap();
    // Some of it flushed to a table file, some still in the memtable.
    db.flush().unwrap();
    db.put(STATE, &key(6), b"old too").unwrap();

    db.ingest_sorted(&config, STATE, entries(0..100)).unwrap();
    assert_eq!(db.get(STATE, &key(5)).unwrap().unwrap(), value(5)[..]);
    assert_eq!(db.get(STATE, &key(6)).unwrap().unwrap(), value(6)[..]);
    assert_eq!(db.get(STATE, &key(50_000)).unwrap().unwrap(), b"kept"[..]);
    assert_eq!(all(&db, STATE).len(), 101);
}

#[test]
fn unsorted_and_duplicate_input_is_a_typed_error_and_ingests_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open(&config, &[STATE]).unwrap();

    let mut unsorted: Vec<_> = entries(0..1000).collect();
    unsorted.swap(700, 701);
    let err = db.ingest_sorted(&config, STATE, unsorted).unwrap_err();
    assert!(matches!(err, IngestError::Unsorted { index: 701 }), "{err:?}");
    assert!(err.to_string().contains("entry 701 is out of order"), "{err}");

    let mut duplicate: Vec<_> = entries(0..1000).collect();
    duplicate[10].0 = duplicate[9].0;
    let err = db.ingest_sorted(&config, STATE, duplicate).unwrap_err();
    assert!(matches!(err, IngestError::Duplicate { index: 10 }), "{err:?}");

    // An error after the first table file has been written and a second started.
    let late = entries(0..60_000).chain(std::iter::once((key(1), value(1))));
    let err = db.ingest_sorted(&config, STATE, late).unwrap_err();
    assert!(matches!(err, IngestError::Unsorted { index: 60_000 }), "{err:?}");

    assert!(all(&db, STATE).is_empty(), "nothing was ingested");
    assert!(staging_dirs(dir.path()).is_empty(), "the staging files are removed");
}

#[test]
fn unknown_columns_empty_input_and_read_only_databases() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open(&config, &[STATE]).unwrap();

    let err = db.ingest_sorted(&config, LOG, entries(0..10)).unwrap_err();
    assert!(
        matches!(&err, IngestError::Storage(StorageError::UnknownColumn(name)) if name == "log"),
        "{err:?}"
    );

    let nothing = db.ingest_sorted(&config, STATE, std::iter::empty::<(&[u8], &[u8])>()).unwrap();
    assert_eq!((nothing.entries, nothing.files, nothing.file_bytes), (0, 0, 0));
    assert!(staging_dirs(dir.path()).is_empty());
    drop(db);

    let read_only = RocksDb::open_read_only(&config, &[STATE]).unwrap();
    let err = read_only.ingest_sorted(&config, STATE, entries(0..10)).unwrap_err();
    assert!(matches!(err, IngestError::Storage(_)), "{err:?}");
    assert!(all(&read_only, STATE).is_empty());
    assert!(staging_dirs(dir.path()).is_empty());
}

/// One figure of RocksDB's `rocksdb.aggregated-table-properties` for the column's table files.
fn table_property(db: &RocksDb, name: &str) -> u64 {
    let cf = db.rocksdb().cf_handle(STATE.name()).unwrap();
    let properties =
        db.rocksdb().property_value_cf(cf, "rocksdb.aggregated-table-properties").unwrap().unwrap();
    properties
        .split(';')
        .filter_map(|field| field.split_once('='))
        // `index block size (user-key? 1, delta-value? 1)`: the name, then details in brackets.
        .find(|(field, _)| field.trim() == name || field.trim().starts_with(&format!("{name} (")))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in {properties}"))
}

/// `RocksConfig::table_file_options` mirrors the options the column families are opened with:
/// a file it writes is the file a full compaction writes from the same entries — same blocks,
/// same filter, same index, same compression — for each compression setting.
#[test]
fn ingested_files_match_the_files_compaction_writes() {
    for compression in [
        strata_rocksdb::Compression::Lz4ThenZstd,
        strata_rocksdb::Compression::Zstd,
        strata_rocksdb::Compression::None,
    ] {
        let (ingested_dir, written_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let ingested_config = RocksConfig::new(ingested_dir.path()).compression(compression);
        let written_config = RocksConfig::new(written_dir.path()).compression(compression);
        let ingested = RocksDb::open(&ingested_config, &[STATE]).unwrap();
        let written = RocksDb::open(&written_config, &[STATE]).unwrap();

        ingested.ingest_sorted(&ingested_config, STATE, entries(0..20_000)).unwrap();
        // Two overlapping flushes (even keys, then odd ones), so that the compaction merges them
        // into a new bottommost file rather than moving a file down as it is.
        for parity in [0, 1] {
            for (key, value) in entries(0..20_000).filter(|(key, _)| key[7] % 2 == parity) {
                written.put(STATE, &key, &value).unwrap();
            }
            written.flush().unwrap();
        }
        written.compact().unwrap();

        for property in [
            "# entries",
            "# data blocks",
            "data block size",
            "index block size",
            "filter block size",
        ] {
            assert_eq!(
                table_property(&ingested, property),
                table_property(&written, property),
                "{property}, {compression:?}"
            );
        }
        assert!(table_property(&ingested, "filter block size") > 0, "a bloom filter is written");
        assert_eq!(all(&ingested, STATE), all(&written, STATE));
    }
}
