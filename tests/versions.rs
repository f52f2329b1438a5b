//! Recorded versions on RocksDB: a database records Strata's format version and each schema's
//! version on first use; a binary that finds a newer one refuses to open before writing a single
//! byte, with a typed error that says to upgrade; a read-only open works whatever is recorded; an
//! older schema with no step from its version is refused untouched too, and with one opens
//! migrated.

use strata::migrate::{MigrateError, Step};
use strata::rocksdb::{OpenError, RocksConfig, RocksDb};
use strata::versions::{self, SchemaState, VERSIONS, Version, VersionError, VersionKey};
use strata::{Column, Database, Schema, Transaction};
use strata_testkit::directory_files;

const NOTES: Column = Column::new("notes");
const LEDGER: Schema = Schema::new("ledger", &[]);
/// A step from version 2 of the ledger to 3 that moves nothing.
const LEDGER_2_TO_3: &[Step] = &[Step::new(2, "nothing to move", &[])];

#[test]
fn versions_are_recorded_on_first_use_and_a_newer_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());

    // First use: the format and the schema's version are recorded.
    let v2 = LEDGER.with_version(2);
    let db = RocksDb::open_versioned(&config, &[v2], &[NOTES]).unwrap();
    db.put(NOTES, b"note", b"kept").unwrap();
    assert_eq!(versions::check(&db, &[v2]).unwrap(), [SchemaState::Current]);
    let recorded = versions::recorded(&db).unwrap();
    assert_eq!((recorded.format, recorded.schemas), (Some(1), vec![("ledger".to_owned(), 2)]));
    drop(db);
    // Reopening at the same version changes nothing recorded.
    drop(RocksDb::open_versioned(&config, &[v2], &[NOTES]).unwrap());

    // An older binary (version 1 of the schema) is refused, and the directory is untouched.
    let before = directory_files(dir.path());
    let error = RocksDb::open_versioned(&config, &[LEDGER], &[NOTES]).unwrap_err();
    assert!(
        matches!(
            &error,
            OpenError::Version(VersionError::SchemaTooNew { schema, found: 2, supported: 1 })
                if schema == "ledger"
        ),
        "{error}"
    );
    assert!(error.to_string().contains("upgrade to a newer release"), "{error}");
    assert_eq!(directory_files(dir.path()), before, "no byte changed on disk");

    // Read-only, it opens whatever is recorded.
    let read_only = RocksDb::open_read_only(&config, &[NOTES, VERSIONS]).unwrap();
    assert_eq!(read_only.get(NOTES, b"note").unwrap().unwrap(), b"kept"[..]);
    assert!(read_only.put(NOTES, b"other", b"refused").is_err(), "read-only refuses writes");
    drop(read_only);
    assert_eq!(directory_files(dir.path()), before, "a read-only open writes nothing either");

    // A newer binary (version 3) without a step from version 2 cannot migrate it: refused,
    // untouched.
    let v3 = LEDGER.with_version(3);
    let error = RocksDb::open_versioned(&config, &[v3], &[NOTES]).unwrap_err();
    assert!(
        matches!(
            error,
            OpenError::Migration(MigrateError::NoStep { from: 2, found: 2, to: 3, .. })
        ),
        "{error}"
    );
    assert_eq!(directory_files(dir.path()), before, "no byte changed on disk");
    let read_only = RocksDb::open_read_only(&config, &[VERSIONS]).unwrap();
    assert_eq!(versions::check(&read_only, &[v3]).unwrap(), [SchemaState::Older { found: 2 }]);
    drop(read_only);

    // With the step, it opens migrated.
    let v3 = v3.with_migrations(LEDGER_2_TO_3);
    let db = RocksDb::open_versioned(&config, &[v3], &[NOTES]).unwrap();
    assert_eq!(versions::check(&db, &[v3]).unwrap(), [SchemaState::Current]);
    assert_eq!(db.get(NOTES, b"note").unwrap().unwrap(), b"kept"[..]);
}

#[test]
fn a_newer_format_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = RocksConfig::new(dir.path());
    let db = RocksDb::open_versioned(&config, &[LEDGER], &[]).unwrap();
    // As a future Strata would record it.
    let mut transaction = Transaction::new();
    let format = VersionKey { kind: 0, name: [0; versions::MAX_SCHEMA_NAME] };
    transaction.put_entry(&format, &Version(99)).unwrap();
    db.apply(&transaction).unwrap();
    drop(db);
    let before = directory_files(dir.path());
    let error = RocksDb::open_versioned(&config, &[LEDGER], &[]).unwrap_err();
    assert!(
        matches!(error, OpenError::Version(VersionError::FormatTooNew { found: 99, supported: 1 })),
        "{error}"
    );
    assert_eq!(directory_files(dir.path()), before);
}
