//! Crash safety of migrations: the three-step bank migration of `strata_testkit::migration`
//! over 126 000 keys on RocksDB is run by a child process that is killed with SIGKILL at random
//! moments, 30 times in CI (`STRATA_CRASH_CYCLES` changes the count). Each new child resumes the
//! migration where the last one's committed batches left it; whenever a migration completes, the
//! database must equal the result computed without migrating, and a fresh copy of the version-1
//! database starts the next one. After every kill the versions and the progress record must
//! read cleanly.
//!
//! The test re-executes its own binary as the writer (the ignored test
//! `migrate_crash_writer_child`).

use std::path::Path;

use strata::migrate::Migrator;
use strata::rocksdb::{RocksConfig, RocksDb};
use strata_testkit::crash::{Plan, Resumable, restore, run_killed, say};
use strata_testkit::migration::{self, COLUMNS, V4, contents, expected_v4};

const DIR_VAR: &str = "STRATA_MIGRATE_CRASH_DIR";
const ACCOUNTS: u32 = 100_000;
/// Small batches, so that a kill lands between many commits.
const BATCH: usize = 2_000;

fn open(dir: &Path) -> RocksDb {
    RocksDb::open(&RocksConfig::new(dir).parallelism(1), &COLUMNS).expect("open RocksDB")
}

/// The writer: migrates (resuming whatever an earlier writer left) and says when it is done.
#[test]
#[ignore = "the migration crash test's writer process; it runs only when the crash test starts it"]
fn migrate_crash_writer_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let db = open(Path::new(&dir));
    let resuming = Migrator::new(&[V4]).pending(&db).expect("pending").iter().any(|p| p.resuming);
    say(&format!("opened resuming={resuming}"));
    Migrator::new(&[V4])
        .batch_keys(BATCH)
        .on_progress(|p| say(&format!("batch {} {} {}", p.step.from(), p.change, p.done)))
        .run(&db)
        .expect("migrate");
    say("done");
}

#[test]
fn a_migration_killed_at_random_moments_ends_as_an_uninterrupted_one() {
    let mut plan = Plan::from_env_or("migrate crash", 30);
    let root = tempfile::tempdir().unwrap();
    let pristine = root.path().join("v1");
    {
        let db = open(&pristine);
        migration::populate_v1(&db, ACCOUNTS).expect("populate version 1");
    }
    let expected = expected_v4(ACCOUNTS);
    let dir = root.path().join("db");
    restore(&pristine, &dir);

    let (mut completed, mut killed_mid_migration, mut resumed, mut batches) = (0, 0, 0, 0);
    for _ in 0..plan.cycles {
        let delay = plan.kill_delay();
        let run = run_killed(
            "migrate_crash_writer_child",
            &[(DIR_VAR, dir.as_os_str())],
            delay,
            Resumable::read,
        );
        resumed += u64::from(run.resuming);
        batches += run.batches;
        // Whatever the kill interrupted, the records read cleanly.
        let db = open(&dir);
        let pending = Migrator::new(&[V4]).pending(&db).expect("the versions read after a kill");
        if pending.is_empty() {
            assert_eq!(contents(&db), expected, "a completed migration equals the expected result");
            completed += 1;
            drop(db);
            restore(&pristine, &dir);
        } else {
            assert!(!run.done, "a writer that finished left the migration pending");
            killed_mid_migration += 1;
        }
    }
    // Finish the last one uninterrupted.
    let db = open(&dir);
    Migrator::new(&[V4]).run(&db).expect("finish the migration");
    assert_eq!(contents(&db), expected);
    completed += 1;

    strata_testkit::report(&format!(
        "migrate crash: {} kills, {killed_mid_migration} mid-migration, {resumed} writers resumed \
         a migration, {batches} batches committed before kills, {completed} migrations completed \
         and equal to the expected result",
        plan.cycles
    ));
    assert!(killed_mid_migration > 0, "no kill landed in a migration");
    assert!(resumed > 0, "no writer resumed a migration");
}
