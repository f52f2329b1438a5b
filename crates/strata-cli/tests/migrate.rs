//! `strata migrate` and the demo's migration step: the demo writes its ledger at version 1,
//! reports a dry run, migrates, and the run matches the dry run; a migrated database has
//! nothing left to migrate, and a dry run leaves every file as it was.

mod common;

use common::{demo, json_of, strata};
use strata_testkit::directory_files;

#[test]
fn the_demo_migrates_its_ledger_as_its_dry_run_said() {
    let dir = tempfile::tempdir().unwrap();
    let (db, summary) = demo(&dir);
    let migration = &summary["migration"];
    assert_eq!(migration["written_at_version_1"], 50_000);
    assert_eq!(migration["verified"], 50_000);
    assert_eq!(migration["dry_run"]["dry_run"], true);
    assert_eq!(migration["dry_run"]["steps"], migration["run"]["steps"]);
    let steps = migration["run"]["steps"].as_array().unwrap();
    let ran: Vec<(u64, u64)> =
        steps.iter().map(|s| (s["from"].as_u64().unwrap(), s["to"].as_u64().unwrap())).collect();
    assert_eq!(ran, [(1, 2), (2, 3)]);
    assert_eq!(migration["run"]["versions"]["ledger"], 3);
    assert_eq!(migration["run"]["unknown_columns"].as_array().unwrap().len(), 0);

    // The families the migration emptied are gone; the ledger is there.
    let stats = json_of(&strata().args(["stats", "--json", "--db"]).arg(&db).output().unwrap());
    let text = stats.to_string();
    assert!(text.contains("\"ledger\""), "{text}");
    assert!(!text.contains("ledger_wide") && !text.contains("ledger_totals"), "{text}");
}

#[test]
fn a_migrated_database_has_nothing_to_migrate_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    let report = json_of(&strata().args(["migrate", "--json", "--db"]).arg(&db).output().unwrap());
    assert_eq!(report["steps"].as_array().unwrap().len(), 0);
    assert_eq!(report["versions"]["ledger"], 3);

    let before = directory_files(&db);
    let dry = json_of(
        &strata().args(["migrate", "--dry-run", "--json", "--db"]).arg(&db).output().unwrap(),
    );
    assert_eq!(dry["dry_run"], true);
    assert_eq!(directory_files(&db), before, "a dry run changes no file");

    let text = strata().args(["migrate", "--db"]).arg(&db).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("nothing to migrate"));
}

#[test]
fn a_missing_database_is_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        strata().args(["migrate", "--db"]).arg(dir.path().join("nothing")).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
}
