//! Bad input on disk and at open: typed errors, no panic, nothing already stored lost.
//!
//! Undecodable values and keys of the wrong length are covered for every backend by the
//! conformance suite (`bad_stored_bytes_are_typed_errors`); bad paths, locks, changed prefixes
//! and undeclared column families by `tests/rocksdb.rs`. This file adds damage below the engine:
//! table files corrupted on disk, and a directory the process may not read.

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};

use strata::rocksdb::{OpenError, RocksConfig, RocksDb};
use strata::{Column, Error, Handle, ReadLayer, Store, Transaction, WriteLayer};
use strata_node::{ContextId, ContextState, STATE, StateKey};

const LOG: Column = Column::new("log");

fn config(path: &Path) -> RocksConfig {
    RocksConfig::new(path).parallelism(1)
}

fn state(context: u8, n: u32) -> ContextState {
    let mut state_key = [0; 32];
    state_key[..4].copy_from_slice(&n.to_be_bytes());
    ContextState { context_id: ContextId([context; 32]), state_key: StateKey(state_key) }
}

/// Bytes that no compressor shrinks, so table files hold them as written.
fn noise(seed: u32) -> Vec<u8> {
    let mut x = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..1000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn table_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list the database directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sst"))
        .collect();
    files.sort();
    files
}

#[test]
fn corrupted_table_files_give_typed_corruption_errors_and_spare_the_rest() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path();
    // Opening writes Strata's registry and flushes it to a table file of its own.
    let registry_tables = {
        let mut store = Store::new(RocksDb::open(&config(path), &[STATE, LOG]).expect("open"));
        let registry_tables = table_files(path);
        let mut tx = Transaction::new();
        for n in 0..400 {
            tx.put_entry(&state(1, n), &noise(n).into()).expect("encode");
        }
        store.apply(&tx).expect("write state");
        store.db().flush().expect("flush state to a table file");
        store.put(LOG, b"still-here", b"yes").expect("write the log");
        registry_tables
    };
    // Damage the first half of the state table's data blocks; its index and footer stay intact.
    let mut tables = table_files(path);
    tables.retain(|table| !registry_tables.contains(table));
    assert_eq!(tables.len(), 1, "one table file, holding the state column: {tables:?}");
    let mut bytes = std::fs::read(&tables[0]).expect("read the table file");
    let damaged = bytes.len() / 8..bytes.len() / 2;
    for byte in &mut bytes[damaged] {
        *byte ^= 0x5a;
    }
    std::fs::write(&tables[0], &bytes).expect("corrupt the table file");

    let store = Store::new(RocksDb::open(&config(path), &[STATE, LOG]).expect("reopen"));
    let handle = Handle::new(&store);
    let (mut corrupt, mut good) = (0, 0);
    for n in 0..400 {
        match handle.get(&state(1, n)) {
            Ok(Some(value)) => {
                assert_eq!(value[..], noise(n)[..], "a value that reads is intact");
                good += 1;
            }
            Err(Error::Corruption(_)) => corrupt += 1,
            other => panic!("entry {n}: expected its value or a corruption error, got {other:?}"),
        }
    }
    strata_testkit::report(&format!("{corrupt} entries report corruption, {good} read intact"));
    assert!(corrupt > 0, "the damage is reported");
    assert!(good > 0, "entries outside the damaged blocks still read");

    let items: Vec<_> =
        handle.iter_prefix::<ContextState, _>(&ContextId([1; 32])).expect("iterate").collect();
    let last = items.last().expect("the scan yields something");
    assert!(
        matches!(last, Err(Error::Corruption(_))),
        "the scan ends with the typed error: {last:?}"
    );
    assert!(
        items[..items.len() - 1].iter().all(Result::is_ok),
        "entries before the damage read fine"
    );

    // The other column is untouched, and the database still takes writes.
    assert_eq!(store.get(LOG, b"still-here").expect("read the log").as_deref(), Some(&b"yes"[..]));
    let mut store = store;
    store.put(LOG, b"after", b"ok").expect("write after the corruption");
}

/// Helper for the unreadable-directory test: run as an unprivileged user, it opens the
/// directory named by `STRATA_UNREADABLE_DIR` and prints the error it gets.
#[test]
#[ignore = "run by unreadable_directories_are_a_permission_error as another user"]
fn open_unreadable_child() {
    let Some(dir) = std::env::var_os("STRATA_UNREADABLE_DIR") else { return };
    match RocksDb::open(&config(Path::new(&dir)), &[LOG]) {
        Err(OpenError::PermissionDenied { path, .. }) => {
            println!("permission-denied {}", path.display());
        }
        Err(other) => println!("other-error {other}"),
        Ok(_) => println!("opened"),
    }
}

#[test]
fn unreadable_directories_are_a_permission_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let db = dir.path().join("db");
    {
        let mut store = Store::new(RocksDb::open(&config(&db), &[LOG]).expect("create"));
        store.put(LOG, b"k", b"v").expect("write");
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");

    let running_as_root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt as _;
        m.uid() == 0
    });
    let mut child = strata_testkit::child_test("open_unreadable_child");
    child.env("STRATA_UNREADABLE_DIR", &db);
    if running_as_root {
        // Root reads anything, so the child opens the directory as `nobody`.
        child.uid(65534).gid(65534);
    }
    let output = child.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("permission-denied {}", db.display())),
        "expected a permission error naming the directory; the child printed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Nothing was lost: with access restored the data is there.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    let store = Store::new(RocksDb::open(&config(&db), &[LOG]).expect("reopen"));
    assert_eq!(store.get(LOG, b"k").expect("read").as_deref(), Some(&b"v"[..]));
}
