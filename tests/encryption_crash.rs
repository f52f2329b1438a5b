//! Crash safety of key rotation: a child process rotates the value key of an encrypted RocksDB
//! database (60 000 values in three columns, in batches of 500) and is killed with SIGKILL at
//! random moments, 30 times in CI (`STRATA_CRASH_CYCLES` changes the count). Each new child
//! resumes the rotation where the last one's committed batches left it. After every kill the
//! database must open with the key, and every value must read back equal to what was written —
//! sealed under the old key or the new one; once a rotation completes the old key must be gone,
//! and a fresh copy of the pristine database starts the next one.
//!
//! The test re-executes its own binary as the rotator (the ignored test
//! `rotation_crash_child`).

use std::path::Path;

use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, ReadLayer as _, versions};
use strata_encryption::{EncryptedDb, ResealOptions, UnlockKey};
use strata_testkit::crash::{Plan, Resumable, restore, run_killed, say};

const DIR_VAR: &str = "STRATA_ROTATION_CRASH_DIR";
const COLUMNS: [Column; 4] =
    [Column::new("identities"), Column::new("monitors"), Column::new("notes"), versions::VERSIONS];
const PER_COLUMN: u32 = 20_000;
/// Small batches, so that a kill lands between many commits.
const BATCH: usize = 500;
const KEY: [u8; 32] = [0x42; 32];

fn open(dir: &Path) -> RocksDb {
    RocksDb::open(&RocksConfig::new(dir).parallelism(1), &COLUMNS).expect("open RocksDB")
}

fn value(column: Column, i: u32) -> Vec<u8> {
    format!("{}-secret-{i:08}-{}", column.name(), "x".repeat((i % 64) as usize)).into_bytes()
}

/// The rotator: resumes or starts a rotation and says when it is done.
#[test]
#[ignore = "the rotation crash test's child process; it runs only when the crash test starts it"]
fn rotation_crash_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let mut db = EncryptedDb::open(open(Path::new(&dir)), &UnlockKey::from_bytes(KEY))
        .expect("open with the key");
    say(&format!("opened resuming={}", db.is_rotating()));
    let options = ResealOptions { batch_keys: BATCH, ..ResealOptions::default() };
    db.rotate(&COLUMNS, options, |p| say(&format!("batch {} {}", p.column, p.done)))
        .expect("rotate");
    say("done");
}

/// Every value reads back equal to what was written; returns the key versions held.
fn check_all(dir: &Path) -> (Vec<u32>, bool) {
    let db = EncryptedDb::open(open(dir), &UnlockKey::from_bytes(KEY))
        .expect("the database opens with its key after a kill");
    for column in &COLUMNS[..3] {
        let mut count = 0;
        for entry in db.iter(*column, ..).expect("iterate") {
            let (key, read) = entry.expect("every value opens after a kill");
            let i = u32::from_be_bytes(key[..].try_into().expect("4-byte keys"));
            assert_eq!(&read[..], &value(*column, i)[..], "{} {i}", column.name());
            count += 1;
        }
        assert_eq!(count, PER_COLUMN, "{}", column.name());
    }
    (db.key_versions(), db.is_rotating())
}

#[test]
fn a_rotation_killed_at_random_moments_ends_with_every_value_under_the_new_key() {
    let mut plan = Plan::from_env_or("rotation crash", 30);
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("v1");
    {
        let db = EncryptedDb::create(open(&pristine), &UnlockKey::from_bytes(KEY)).expect("create");
        for column in &COLUMNS[..3] {
            let mut transaction = strata::Transaction::new();
            for i in 0..PER_COLUMN {
                transaction.put(*column, i.to_be_bytes(), value(*column, i));
            }
            db.apply(&transaction).expect("fill");
        }
    }
    let dir = root.path().join("db");
    restore(&pristine, &dir);

    let (mut completed, mut killed_mid_rotation, mut resumed, mut batches) = (0, 0, 0, 0);
    for _ in 0..plan.cycles {
        let delay = plan.kill_delay();
        let run = run_killed(
            "rotation_crash_child",
            &[(DIR_VAR, dir.as_os_str())],
            delay,
            Resumable::read,
        );
        resumed += u64::from(run.resuming);
        batches += run.batches;
        let (versions, rotating) = check_all(&dir);
        if rotating {
            assert!(!run.done, "a rotator that finished left the rotation running");
            assert_eq!(versions, [1, 2], "both keys are held while a rotation runs");
            killed_mid_rotation += 1;
        } else if versions == [2] {
            completed += 1;
            restore(&pristine, &dir);
        } else {
            assert_eq!(versions, [1], "killed before the rotation began");
        }
    }
    // Finish the last one uninterrupted, then check that only the new key is left.
    {
        let mut db = EncryptedDb::open(open(&dir), &UnlockKey::from_bytes(KEY)).expect("open");
        let options = ResealOptions { batch_keys: BATCH, ..ResealOptions::default() };
        db.rotate(&COLUMNS, options, |_| {}).expect("finish the rotation");
    }
    let (versions, rotating) = check_all(&dir);
    assert!(!rotating);
    assert_eq!(versions.len(), 1, "the old key is forgotten");
    completed += 1;

    strata_testkit::report(&format!(
        "rotation crash: {} kills, {killed_mid_rotation} mid-rotation, {resumed} rotators resumed \
         a rotation, {batches} batches committed before kills, {completed} rotations completed \
         with every value readable under the new key",
        plan.cycles
    ));
    assert!(killed_mid_rotation > 0, "no kill landed in a rotation");
    assert!(resumed > 0, "no rotator resumed a rotation");
}
