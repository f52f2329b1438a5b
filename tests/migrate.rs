//! Migrations: the three-step bank migration of `strata_testkit::migration` over 126 000 keys on
//! RocksDB and in memory equals the result computed without it; a dry run writes nothing and
//! reports what the run then does; a migration failed at any commit (before or after the commit
//! lands) and run again ends exactly as an uninterrupted one; and every kind of bad migration is
//! refused with a typed error before it writes.

use proptest::prelude::*;
use strata::error::BoxError;
use strata::migrate::{Change, MigrateError, Migrator, Relaid, Step};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::versions::{self, SchemaState, VERSIONS};
use strata::{Column, Database, MemoryDb, Schema};
use strata_testkit::fault::{Faulty, OpKind, Outcome, caused_by_injected};
use strata_testkit::migration::{
    self, ACCOUNTS, AUDIT, COLUMNS, LEGACY, MEMOS, NOTES, V4, contents, expected_v4,
};

/// 100 000 accounts, 25 000 notes, 1 000 legacy entries.
const ACCOUNT_COUNT: u32 = 100_000;

fn memory() -> MemoryDb {
    MemoryDb::new(COLUMNS)
}

/// Every column with the versions, for comparing whole databases.
fn everything(db: &impl Database) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
    COLUMNS.iter().map(|&column| strata_testkit::column_contents(db, column)).collect()
}

fn assert_migrated(db: &impl Database, accounts: u32) {
    assert_eq!(contents(db), expected_v4(accounts));
    assert_eq!(versions::check(db, &[V4]).unwrap(), [SchemaState::Current]);
    assert!(Migrator::new(&[V4]).pending(db).unwrap().is_empty());
    let recorded = versions::recorded(db).unwrap();
    assert_eq!(recorded.schemas, [("bank".to_owned(), 4)]);
    assert!(recorded.migrating.is_empty());
    // No progress record is left behind: the versions column holds the format and the schema.
    assert_eq!(strata_testkit::column_contents(db, VERSIONS).len(), 2);
}

#[test]
fn three_steps_over_126_000_keys_on_rocksdb_equal_the_expected_result() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open(&config, &COLUMNS).unwrap();
    migration::populate_v1(&db, ACCOUNT_COUNT).unwrap();
    let pending = Migrator::new(&[V4]).pending(&db).unwrap();
    assert_eq!((pending[0].from, pending[0].to, pending[0].resuming), (1, 4, false));

    let mut observed = 0;
    let reports = Migrator::new(&[V4]).on_progress(|_| observed += 1).run(&db).unwrap();
    assert_eq!(
        reports.iter().map(|r| (r.from, r.to)).collect::<Vec<_>>(),
        [(1, 2), (2, 3), (3, 4)]
    );
    let closed = (0..ACCOUNT_COUNT).filter(|&id| migration::balance(id) == 0).count() as u64;
    let step1 = &reports[0].changes[0];
    assert_eq!((step1.read, step1.written, step1.deleted), (100_000, 100_000 - closed, closed));
    assert_eq!(step1.batches, 10, "10 000 entries a batch");
    let step2: Vec<_> = reports[1].changes.iter().map(|c| (c.column, c.read)).collect();
    assert_eq!(step2, [("notes", 25_000), ("legacy", 1_000), ("audit", 0)]);
    assert!(observed > 0);
    drop(db);

    // Reopened, the result is all there, and nothing is left to do.
    let db = RocksDb::open(&config, &COLUMNS).unwrap();
    assert_migrated(&db, ACCOUNT_COUNT);
    assert!(Migrator::new(&[V4]).run(&db).unwrap().is_empty());
}

#[test]
fn a_dry_run_writes_nothing_and_reports_what_the_run_does() {
    let db = memory();
    migration::populate_v1(&db, 20_000).unwrap();
    let before = everything(&db);
    let dry = Migrator::new(&[V4]).batch_keys(777).dry_run(&db).unwrap();
    assert_eq!(everything(&db), before, "a dry run writes nothing");
    let run = Migrator::new(&[V4]).batch_keys(777).run(&db).unwrap();
    assert_eq!(dry, run, "later steps of the dry run see earlier steps' results");
    assert_migrated(&db, 20_000);
}

#[test]
fn a_dry_run_reads_a_read_only_database_that_lacks_the_columns_the_steps_create() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    {
        let db = RocksDb::open(&config, &[ACCOUNTS, NOTES, LEGACY, VERSIONS]).unwrap();
        migration::populate_v1(&db, 3_000).unwrap();
    }
    let read_only = RocksDb::open_read_only(&config, &COLUMNS).unwrap();
    let dry = Migrator::new(&[V4]).dry_run(&read_only).unwrap();
    drop(read_only);
    let db = RocksDb::open(&config, &COLUMNS).unwrap();
    assert_eq!(dry, Migrator::new(&[V4]).run(&db).unwrap());
    assert_migrated(&db, 3_000);
}

#[test]
fn open_versioned_runs_the_missing_steps_and_removes_the_emptied_column_families() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    {
        let db = RocksDb::open(&config, &[ACCOUNTS, NOTES, LEGACY, VERSIONS]).unwrap();
        migration::populate_v1(&db, 5_000).unwrap();
    }
    let db = RocksDb::open_versioned(&config, &[V4], &[ACCOUNTS, MEMOS, AUDIT]).unwrap();
    assert_eq!(contents_of(&db, ACCOUNTS), expected_v4(5_000)["accounts"]);
    assert_eq!(contents_of(&db, MEMOS), expected_v4(5_000)["memos"]);
    assert_eq!(versions::check(&db, &[V4]).unwrap(), [SchemaState::Current]);
    assert!(db.undeclared_columns().is_empty(), "{:?}", db.undeclared_columns());
    drop(db);
    let families: Vec<_> =
        RocksDb::open_existing(&config).unwrap().columns().iter().map(Column::name).collect();
    for gone in ["notes", "legacy", "accounts_wide"] {
        assert!(!families.contains(&gone), "{gone} still on disk: {families:?}");
    }

    // A family nobody declares and no migration removed is kept and reported.
    {
        let db = RocksDb::open(&config, &[Column::new("stray"), VERSIONS]).unwrap();
        db.put(Column::new("stray"), b"k", b"v").unwrap();
    }
    let db = RocksDb::open_versioned(&config, &[V4], &[ACCOUNTS, MEMOS, AUDIT]).unwrap();
    assert_eq!(db.undeclared_columns(), ["stray"]);
}

fn contents_of(db: &impl Database, column: Column) -> Vec<(Vec<u8>, Vec<u8>)> {
    strata_testkit::column_contents(db, column)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A migration that fails at its `nth` commit — the commit refused, or landed with the
    /// caller told it failed — and is then run again (as many times as it takes, failing at
    /// another commit each time) ends with exactly the uninterrupted result.
    #[test]
    fn a_migration_failed_at_any_commit_resumes_to_the_same_result(
        batch in 1_usize..60,
        failures in proptest::collection::vec((1_u64..40, any::<bool>()), 1..4),
    ) {
        let accounts = 600;
        let db = Faulty::new(memory());
        migration::populate_v1(db.inner(), accounts).unwrap();
        let faults = db.faults();
        for (nth, applied) in failures {
            let outcome = if applied { Outcome::Applied } else { Outcome::NotApplied };
            faults.fail_nth(OpKind::Apply, nth, outcome);
            match Migrator::new(&[V4]).batch_keys(batch).run(&db) {
                Ok(_) => {}
                Err(error) if caused_by_injected(&error) => {
                    // Refused, the failing commit leaves the migration unfinished; landed, it
                    // may have been the last one.
                    if !applied {
                        prop_assert!(!Migrator::new(&[V4]).pending(&db).unwrap().is_empty());
                    }
                }
                Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
            }
            faults.disarm();
        }
        Migrator::new(&[V4]).batch_keys(batch).run(&db).unwrap();
        prop_assert_eq!(contents(&db), expected_v4(accounts));
        prop_assert_eq!(versions::check(&db, &[V4]).unwrap(), [SchemaState::Current]);
    }
}

#[test]
fn a_failed_migration_reports_that_it_resumes() {
    let db = Faulty::new(memory());
    migration::populate_v1(db.inner(), 1_000).unwrap();
    db.faults().fail_nth(OpKind::Apply, 3, Outcome::NotApplied);
    assert!(Migrator::new(&[V4]).batch_keys(100).run(&db).is_err());
    let pending = Migrator::new(&[V4]).pending(&db).unwrap();
    assert_eq!((pending[0].from, pending[0].resuming), (1, true));
    let reports = Migrator::new(&[V4]).batch_keys(100).run(&db).unwrap();
    let first = &reports[0].changes[0];
    assert!(first.resumed);
    assert_eq!(first.read, 800, "two batches of 100 were committed before the failure");
}

#[test]
fn a_half_migrated_database_is_refused_by_the_build_it_was_migrated_from() {
    let db = Faulty::new(memory());
    migration::populate_v1(db.inner(), 1_000).unwrap();
    // Two batches of step 1 → 2 committed, then the third commit fails.
    db.faults().fail_nth(OpKind::Apply, 3, Outcome::NotApplied);
    assert!(Migrator::new(&[V4]).batch_keys(100).run(&db).is_err());
    // The build that wrote version 1 would misread the converted half: it refuses the database.
    let error = versions::check(&db, &[migration::V1]).unwrap_err();
    assert!(
        matches!(error, versions::VersionError::SchemaTooNew { found: 2, supported: 1, .. }),
        "{error}"
    );
    // This build knows the step is running, from version 1.
    assert_eq!(versions::check(&db, &[V4]).unwrap(), [SchemaState::Older { found: 1 }]);
    let recorded = versions::recorded(&db).unwrap();
    assert_eq!(
        (recorded.schemas, recorded.migrating),
        (vec![("bank".to_owned(), 1)], vec![("bank".to_owned(), 2)])
    );
    Migrator::new(&[V4]).batch_keys(100).run(&db).unwrap();
    assert_migrated(&db, 1_000);
}

// --- Refusals: each leaves the database exactly as it was. ---

fn refused(schema: Schema, columns: &[Column], prepare: impl Fn(&MemoryDb)) -> MigrateError {
    let db = MemoryDb::new(columns.iter().copied());
    migration::populate_v1(&db, 500).unwrap();
    prepare(&db);
    let before: Vec<_> = columns.iter().map(|&c| contents_of(&db, c)).collect();
    let error = Migrator::new(&[schema]).batch_keys(10_000).run(&db).unwrap_err();
    let after: Vec<_> = columns.iter().map(|&c| contents_of(&db, c)).collect();
    assert_eq!(before, after, "a refused migration writes nothing ({error})");
    error
}

#[test]
fn a_missing_step_is_refused() {
    const GAP: Schema = Schema::new("bank", &[]).with_version(4).with_migrations(&[]);
    let error = refused(GAP, &COLUMNS, |_| {});
    assert!(matches!(error, MigrateError::NoStep { from: 1, found: 1, to: 4, .. }), "{error}");
}

#[test]
fn a_step_declared_twice_is_refused() {
    const TWICE: &[Step] =
        &[Step::new(1, "a", &[Change::AddColumn(AUDIT)]), Step::new(1, "b", &[])];
    const SCHEMA: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(TWICE);
    let error = refused(SCHEMA, &COLUMNS, |_| {});
    assert!(matches!(error, MigrateError::InvalidStep { from: 1, .. }), "{error}");
}

#[test]
fn a_column_the_database_was_not_opened_with_is_refused() {
    let without_audit: Vec<Column> = COLUMNS.into_iter().filter(|&c| c != AUDIT).collect();
    let error = refused(V4, &without_audit, |_| {});
    assert!(matches!(error, MigrateError::ColumnNotOpen { column: "audit", .. }), "{error}");
}

#[test]
fn moving_into_a_column_that_holds_data_is_refused() {
    const RENAME: &[Step] =
        &[Step::new(1, "rename", &[Change::RenameColumn { from: NOTES, to: MEMOS }])];
    const SCHEMA: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(RENAME);
    let error = refused(SCHEMA, &COLUMNS, |db| db.put(MEMOS, b"already", b"here").unwrap());
    assert!(matches!(error, MigrateError::DestinationNotEmpty { column: "memos", .. }), "{error}");
}

#[test]
fn a_move_into_a_column_that_will_hold_data_is_refused_before_any_change_runs() {
    // The transform would run first; the rename after it finds `memos` full.
    const STEPS: &[Step] = &[Step::new(
        1,
        "transform, then rename",
        &[
            Change::TransformValues { column: ACCOUNTS, transform: migration::to_cents },
            Change::RenameColumn { from: NOTES, to: MEMOS },
        ],
    )];
    const SCHEMA: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(STEPS);
    const FILLS: &[Step] = &[
        Step::new(1, "fill audit", &[Change::RenameColumn { from: NOTES, to: AUDIT }]),
        Step::new(2, "fill it again", &[Change::RenameColumn { from: LEGACY, to: AUDIT }]),
    ];
    const TWICE: Schema = Schema::new("bank", &[]).with_version(3).with_migrations(FILLS);
    let error = refused(SCHEMA, &COLUMNS, |db| db.put(MEMOS, b"already", b"here").unwrap());
    assert!(matches!(error, MigrateError::DestinationNotEmpty { column: "memos", .. }), "{error}");

    // A column an earlier change fills is refused as a destination too.
    let error = refused(TWICE, &COLUMNS, |_| {});
    assert!(matches!(error, MigrateError::DestinationNotEmpty { column: "audit", .. }), "{error}");
}

#[test]
fn a_step_touching_the_versions_or_another_schemas_column_is_refused() {
    const VERSIONED: &[Step] = &[Step::new(1, "drop versions", &[Change::DropColumn(VERSIONS)])];
    const SCHEMA: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(VERSIONED);
    // `audit` belongs to another schema given to the same migrator.
    const OTHERS: &[Step] = &[Step::new(1, "drop audit", &[Change::DropColumn(AUDIT)])];
    const DROPS: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(OTHERS);
    const AUDIT_ENTRY: &[strata::ColumnDescriptor] =
        &[strata::ColumnDescriptor::of_raw::<AuditKey>()];
    const OWNER: Schema = Schema::new("audit", AUDIT_ENTRY);
    let error = refused(SCHEMA, &COLUMNS, |_| {});
    assert!(matches!(error, MigrateError::InvalidStep { from: 1, .. }), "{error}");

    let db = MemoryDb::new(COLUMNS);
    migration::populate_v1(&db, 10).unwrap();
    let error = Migrator::new(&[DROPS, OWNER]).run(&db).unwrap_err();
    assert!(
        matches!(&error, MigrateError::InvalidStep { reason, .. } if reason.contains("`audit`")),
        "{error}"
    );
}

strata::key! {
    /// A key of the audit column, for a schema that owns it.
    struct AuditKey in AUDIT { id: u32 }
}

impl strata::Entry for AuditKey {
    type Value<'a> = strata::Slice<'a>;
}

#[test]
fn two_entries_relaid_to_one_key_are_refused() {
    #[expect(clippy::unnecessary_wraps, reason = "a key relay's signature")]
    fn collapse(_: &[u8], value: &[u8]) -> Result<Relaid, BoxError> {
        Ok(Some((b"same".to_vec(), value.to_vec())))
    }
    const STEPS: &[Step] = &[Step::new(
        1,
        "collapse",
        &[Change::RelayKeys { from: ACCOUNTS, to: AUDIT, relay: collapse }],
    )];
    const SCHEMA: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(STEPS);
    let error = refused(SCHEMA, &COLUMNS, |_| {});
    assert!(
        matches!(&error, MigrateError::Collision { from: "accounts", to: "audit", key, .. } if key == "73616d65"),
        "{error}"
    );
}

#[test]
fn a_failing_transform_names_the_entry_and_its_batch_is_not_written() {
    let error = refused(V4, &COLUMNS, |db| db.put(ACCOUNTS, &[0xff; 4], b"not 4 bytes").unwrap());
    match error {
        MigrateError::Change { from: 1, column: "accounts", key, .. } => {
            assert_eq!(key, "ffffffff");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_column_moved_onto_itself_is_refused() {
    const STEPS: &[Step] =
        &[Step::new(1, "self", &[Change::RenameColumn { from: NOTES, to: NOTES }])];
    const SCHEMA: Schema = Schema::new("bank", &[]).with_version(2).with_migrations(STEPS);
    let error = refused(SCHEMA, &COLUMNS, |_| {});
    assert!(matches!(error, MigrateError::InvalidStep { .. }), "{error}");
}

#[test]
fn a_database_newer_than_the_schema_is_refused() {
    let db = memory();
    versions::record(&db, &[V4.with_version(5)]).unwrap();
    let error = Migrator::new(&[V4]).run(&db).unwrap_err();
    assert!(
        matches!(
            error,
            MigrateError::Version(versions::VersionError::SchemaTooNew { found: 5, .. })
        ),
        "{error}"
    );
}

#[test]
fn a_new_database_has_nothing_to_migrate() {
    let db = memory();
    assert!(Migrator::new(&[V4]).run(&db).unwrap().is_empty());
}
