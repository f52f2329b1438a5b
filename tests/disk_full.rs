//! A full disk: commits fail with a typed error, reads keep working, and once space is freed a
//! reopen shows every acknowledged commit intact and the failed one all-or-nothing.
//!
//! The database lives on a small tmpfs mounted for the test, so the disk really fills. Mounting
//! needs root; elsewhere the test says why it skips and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use strata::rocksdb::{Durability, RocksConfig, RocksDb};
use strata::{Column, ReadLayer, StorageError, Store, Transaction, WriteLayer};

const A: Column = Column::new("a");
const B: Column = Column::new("b");
const MOUNT_BYTES: usize = 48 << 20;
// Freed before the reopen: room for recovery to flush the log to a table file.
const FILLER_BYTES: usize = 28 << 20;

/// A tmpfs mounted for the test and unmounted when dropped.
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().to_path_buf();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={MOUNT_BYTES}")])
            .arg("tmpfs")
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Self { _dir: dir, path })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn value(n: u64, column: Column) -> Vec<u8> {
    let mut value = format!("{column}:{n}:").into_bytes();
    // Varied bytes, so that nothing along the way can compress them away.
    value.extend((0..8_000_u64).map(|i| (i.wrapping_mul(n + 7) >> 3) as u8));
    value
}

fn transaction(n: u64) -> Transaction {
    let mut tx = Transaction::new();
    tx.put(A, n.to_be_bytes(), value(n, A));
    tx.put(B, n.to_be_bytes(), value(n, B));
    tx
}

fn open(path: &Path) -> Store<RocksDb> {
    let config = RocksConfig::new(path).durability(Durability::Sync).parallelism(1);
    Store::new(RocksDb::open(&config, &[A, B]).expect("open the database"))
}

/// The commits present, checking each is whole and intact.
fn present(store: &Store<RocksDb>, upto: u64) -> Vec<u64> {
    let mut found = Vec::new();
    for n in 1..=upto {
        let a = store.get(A, &n.to_be_bytes()).expect("read a");
        let b = store.get(B, &n.to_be_bytes()).expect("read b");
        match (a, b) {
            (Some(a), Some(b)) => {
                assert_eq!(a[..], value(n, A)[..], "a/{n} intact");
                assert_eq!(b[..], value(n, B)[..], "b/{n} intact");
                found.push(n);
            }
            (None, None) => {}
            _ => panic!("commit {n} is torn: present in one column only"),
        }
    }
    found
}

#[test]
fn a_full_disk_fails_commits_with_a_typed_error_and_loses_nothing() {
    let is_root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    });
    if !is_root {
        strata_testkit::report(
            "skipped: mounting a small tmpfs needs root, and this test runs as another user",
        );
        return;
    }
    let tmpfs = match Tmpfs::mount() {
        Ok(tmpfs) => tmpfs,
        Err(why) => {
            strata_testkit::report(&format!("skipped: cannot mount a tmpfs here: {why}"));
            return;
        }
    };
    // Space to give back later.
    let filler = tmpfs.path.join("filler");
    std::fs::write(&filler, vec![1_u8; FILLER_BYTES]).expect("write the filler");
    let db_path = tmpfs.path.join("db");

    let mut store = open(&db_path);
    let mut acknowledged = 0;
    let failure = loop {
        let n = acknowledged + 1;
        match store.apply(&transaction(n)) {
            Ok(()) => acknowledged = n,
            Err(error) => break error,
        }
        assert!(n < 100_000, "the disk never filled");
    };
    strata_testkit::report(&format!(
        "disk full after {acknowledged} acknowledged commits: {failure}"
    ));
    assert!(
        matches!(failure, StorageError::StorageFull(_)),
        "a typed storage-full error, got {failure:?}"
    );
    assert!(acknowledged > 10, "the database took some commits before filling");

    // Reads keep working, and see every acknowledged commit.
    assert_eq!(present(&store, acknowledged).len() as u64, acknowledged);
    let scanned = store.iter(A, ..).expect("iterate").collect::<Result<Vec<_>, _>>().expect("scan");
    assert!(scanned.len() as u64 >= acknowledged);
    // Further writes keep failing cleanly: no panic, a typed error.
    let again = store.apply(&transaction(acknowledged + 2)).expect_err("still full");
    assert!(matches!(again, StorageError::StorageFull(_) | StorageError::Backend(_)), "{again:?}");

    // Free space and reopen: every acknowledged commit is there, the failed ones all or nothing.
    drop(store);
    std::fs::remove_file(&filler).expect("free space");
    let mut store = open(&db_path);
    let found = present(&store, acknowledged + 2);
    assert_eq!(found[..acknowledged as usize], (1..=acknowledged).collect::<Vec<_>>()[..]);
    strata_testkit::report(&format!(
        "after freeing {} MiB and reopening: {} commits present, all {acknowledged} acknowledged ones intact",
        FILLER_BYTES >> 20,
        found.len()
    ));
    // And the database takes writes again.
    store.apply(&transaction(1_000_000)).expect("commit after space was freed");
}
