//! What only the RocksDB backend has: files, locks, column families, prefix settings, checkpoints.

use strata::rocksdb::{Durability, OpenError, PrefixChange, RocksDb};
use strata::{Column, Database, ReadLayer, Store, Transaction};
use strata_testkit::RocksHarness;

const CTX: Column = Column::new("ctx").with_prefix_len(4);
const LOG: Column = Column::new("log");

fn open(path: &std::path::Path, columns: &[Column]) -> Result<RocksDb, OpenError> {
    RocksDb::open(&RocksHarness::config(path), columns)
}

fn all_keys(db: &RocksDb, column: Column) -> Vec<Vec<u8>> {
    Store::new(db).iter(column, ..).unwrap().map(|item| item.unwrap().0.into_vec()).collect()
}

#[test]
fn second_open_is_a_typed_lock_error_and_the_first_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), &[LOG]).unwrap();
    first.put(LOG, b"k", b"v").unwrap();

    let err = open(dir.path(), &[LOG]).unwrap_err();
    match &err {
        OpenError::Locked { lock_file, .. } => assert_eq!(lock_file, &dir.path().join("LOCK")),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(err.to_string().contains("already open"), "{err}");

    first.put(LOG, b"k2", b"v2").unwrap();
    assert_eq!(all_keys(&first, LOG), vec![b"k".to_vec(), b"k2".to_vec()]);
    drop(first);
    assert!(open(dir.path(), &[LOG]).is_ok(), "the lock is released on drop");
}

#[test]
fn bad_paths_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a database").unwrap();
    assert!(matches!(open(&file, &[LOG]), Err(OpenError::NotADirectory { .. })));

    let missing = dir.path().join("missing");
    let config = RocksHarness::config(&missing).create_if_missing(false);
    assert!(matches!(RocksDb::open(&config, &[LOG]), Err(OpenError::Missing { .. })));
    assert!(matches!(RocksDb::open_existing(&config), Err(OpenError::Missing { .. })));

    let empty = tempfile::tempdir().unwrap();
    let config = RocksHarness::config(empty.path()).create_if_missing(false);
    assert!(matches!(RocksDb::open(&config, &[LOG]), Err(OpenError::Missing { .. })));

    assert!(
        matches!(open(dir.path(), &[LOG, LOG]), Err(OpenError::DuplicateColumn(name)) if name == "log")
    );
}

#[test]
fn corrupt_metadata_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), &[LOG]).unwrap());
    let current = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    std::fs::write(dir.path().join(current.trim()), b"garbage, not a manifest").unwrap();
    match open(dir.path(), &[LOG]) {
        Err(OpenError::Corrupt { .. }) => {}
        other => panic!("expected a corruption error, got {other:?}"),
    }
}

#[test]
fn undeclared_column_families_are_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path(), &[LOG, CTX]).unwrap();
    db.put(CTX, b"ctx1", b"kept").unwrap();
    drop(db);

    let db = open(dir.path(), &[LOG]).unwrap();
    assert_eq!(db.undeclared_columns(), ["ctx"]);
    assert!(matches!(db.get(CTX, b"ctx1"), Err(strata::StorageError::UnknownColumn(_))));
    drop(db);

    let db = open(dir.path(), &[LOG, CTX]).unwrap();
    assert!(db.undeclared_columns().is_empty());
    assert_eq!(db.get(CTX, b"ctx1").unwrap().unwrap(), b"kept"[..]);
}

#[test]
fn a_changed_prefix_length_is_refused_unless_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path(), &[CTX]).unwrap();
    for n in 0_u8..50 {
        db.put(CTX, &[b'c', b't', b'x', n % 3, n], b"v").unwrap();
    }
    db.flush().unwrap();
    drop(db);

    let wider = Column::new("ctx").with_prefix_len(5);
    match open(dir.path(), &[wider]) {
        Err(OpenError::PrefixChanged { column, stored, declared }) => {
            assert_eq!((column.as_str(), stored, declared), ("ctx", Some(4), Some(5)));
        }
        other => panic!("expected PrefixChanged, got {other:?}"),
    }

    let config = RocksHarness::config(dir.path()).prefix_change(PrefixChange::Accept);
    let db = RocksDb::open(&config, &[wider]).unwrap();
    let store = Store::new(&db);
    assert_eq!(
        store.iter_prefix(wider, b"ctx\x01").unwrap().count(),
        17,
        "old tables still read correctly"
    );
    assert_eq!(store.iter_prefix(wider, b"ctx\x01\x04").unwrap().count(), 1);
    assert_eq!(db.recorded_columns().unwrap(), vec![("ctx".to_owned(), Some(5))]);
}

#[test]
fn prefix_scans_in_both_directions_see_flushed_and_fresh_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path(), &[CTX]).unwrap();
    let key = |ctx: u8, n: u8| vec![b'c', b't', b'x', ctx, n];
    for ctx in 0..4 {
        for n in 0..10 {
            db.put(CTX, &key(ctx, n), &[n]).unwrap();
        }
        db.flush().unwrap();
    }
    db.put(CTX, &key(2, 100), b"memtable").unwrap();

    let store = Store::new(&db);
    let forward: Vec<_> =
        store.iter_prefix(CTX, &key(2, 0)[..4]).unwrap().map(|e| e.unwrap().0.into_vec()).collect();
    assert_eq!(forward.len(), 11);
    assert!(forward.iter().all(|k| k[3] == 2));
    let mut backward: Vec<_> = store
        .iter_prefix(CTX, &key(2, 0)[..4])
        .unwrap()
        .rev()
        .map(|e| e.unwrap().0.into_vec())
        .collect();
    backward.reverse();
    assert_eq!(backward, forward);

    // A prefix-mode iterator keeps its snapshot when it turns around.
    let mut iter = store.iter_prefix(CTX, &key(1, 0)[..4]).unwrap();
    assert_eq!(&*iter.next().unwrap().unwrap().0, &key(1, 0)[..]);
    db.put(CTX, &key(1, 200), b"too late").unwrap();
    assert_eq!(&*iter.next_back().unwrap().unwrap().0, &key(1, 9)[..]);
    assert_eq!(iter.count(), 8);
    assert!(store.iter_prefix(CTX, b"cty").unwrap().next().is_none());
}

#[test]
fn checkpoints_reopen_with_identical_contents() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("live"), &[LOG, CTX]).unwrap();
    let mut tx = Transaction::new();
    for n in 0_u16..500 {
        tx.put(LOG, n.to_be_bytes(), vec![1; 100]);
        tx.put(CTX, [b"ctx".as_slice(), &n.to_be_bytes()].concat(), n.to_le_bytes());
    }
    db.apply(&tx).unwrap();
    db.flush().unwrap();
    db.put(LOG, b"after-flush", b"in the memtable").unwrap();

    let copy_path = dir.path().join("copy");
    db.checkpoint(&copy_path).unwrap();
    db.put(LOG, b"after-checkpoint", b"not in the copy").unwrap();
    assert!(db.checkpoint(&copy_path).is_err(), "an existing directory is refused");

    let copy = open(&copy_path, &[LOG, CTX]).unwrap();
    let mut expected = all_keys(&db, LOG);
    expected.retain(|k| k != b"after-checkpoint");
    assert_eq!(all_keys(&copy, LOG), expected);
    assert_eq!(all_keys(&copy, CTX), all_keys(&db, CTX));
    assert_eq!(copy.get(CTX, b"ctx\x01\x00").unwrap().unwrap(), 256_u16.to_le_bytes()[..]);
}

#[test]
fn synced_writes_and_compaction_keep_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksHarness::config(dir.path()).durability(Durability::Sync);
    let db = RocksDb::open(&config, &[LOG]).unwrap();
    for n in 0_u32..100 {
        db.put(LOG, &n.to_be_bytes(), b"synced").unwrap();
    }
    for n in 0_u32..50 {
        db.delete(LOG, &n.to_be_bytes()).unwrap();
    }
    db.flush().unwrap();
    db.compact().unwrap();
    assert_eq!(all_keys(&db, LOG).len(), 50);
    assert!(db.property(LOG, "rocksdb.estimate-num-keys").unwrap().is_some());
}

#[test]
fn open_existing_uses_the_recorded_registry() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path(), &[LOG, CTX]).unwrap();
    db.put(CTX, b"ctx1key", b"v").unwrap();
    drop(db);

    let config = RocksHarness::config(dir.path());
    let db = RocksDb::open_existing(&config).unwrap();
    let columns = db.columns();
    assert_eq!(
        columns.iter().map(|c| (c.name(), c.prefix_len())).collect::<Vec<_>>(),
        vec![("ctx", Some(4)), ("log", None)]
    );
    assert_eq!(db.get(columns[0], b"ctx1key").unwrap().unwrap(), b"v"[..]);
}

/// The tuning a user reaches through `RocksConfig` arrives in RocksDB: the memtable size and the
/// rate limiter, as the OPTIONS file RocksDB writes at every open shows them.
#[test]
fn tuning_reaches_rocksdb() {
    use strata::rocksdb::{DEFAULT_WRITE_BUFFER_BYTES, RocksConfig};

    let options_file = |dir: &std::path::Path| {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("OPTIONS-"))
            .collect();
        files.sort();
        std::fs::read_to_string(files.last().expect("an OPTIONS file")).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let tuned = RocksConfig::new(dir.path())
        .write_buffer_bytes(8 << 20)
        .rate_limit_bytes_per_second(Some(32 << 20));
    let db = RocksDb::open(&tuned, &[Column::new("tuned")]).unwrap();
    db.put(Column::new("tuned"), b"k", b"v").unwrap();
    drop(db);
    let written = options_file(dir.path());
    let tuned = section(&written, "[CFOptions \"tuned\"]");
    assert!(tuned.contains("write_buffer_size=8388608"), "{tuned}");
    // The file does not name the rate limiter, but RocksDB derives the write-stall rate from
    // it (16 MiB/s without one).
    let db_options = section(&written, "[DBOptions]");
    assert!(db_options.contains("delayed_write_rate=33554432"), "{db_options}");

    let dir = tempfile::tempdir().unwrap();
    drop(RocksDb::open(&RocksConfig::new(dir.path()), &[Column::new("plain")]).unwrap());
    let written = options_file(dir.path());
    assert!(section(&written, "[DBOptions]").contains("delayed_write_rate=16777216"));
    let plain = section(&written, "[CFOptions \"plain\"]");
    assert!(plain.contains(&format!("write_buffer_size={DEFAULT_WRITE_BUFFER_BYTES}")), "{plain}");
}

/// The lines of an OPTIONS file's section `header`, up to the next section.
fn section<'a>(options: &'a str, header: &str) -> &'a str {
    let start = options.find(header).unwrap_or_else(|| panic!("no {header} in {options}"));
    let body = &options[start + header.len()..];
    &body[..body.find("\n[").unwrap_or(body.len())]
}
