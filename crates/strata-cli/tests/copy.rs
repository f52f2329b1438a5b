//! `strata copy` as a user runs it: the demo's database copied into a new directory holds the same
//! columns, prefix lengths and entries (every column scanned on both sides), the verification
//! pass is reported as a table and as JSON, and a destination that holds anything is refused
//! untouched with a clear error.

mod common;

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

use common::{demo, json_of, strata};

/// (column, prefix length) per column, as `strata stats --json` lists them.
fn columns(db: &Path) -> Vec<(String, String)> {
    let stats = json_of(&strata().args(["stats", "--json", "--db"]).arg(db).output().unwrap());
    stats["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let prefix = c["prefix_len"].as_str().unwrap().to_owned();
            (c["column"].as_str().unwrap().to_owned(), prefix)
        })
        .collect()
}

/// Every entry of a column, as `strata scan --json` gives them.
fn scan(db: &Path, column: &str) -> Value {
    json_of(
        &strata()
            .args(["scan", column, "--limit", "1000000", "--json", "--db"])
            .arg(db)
            .output()
            .unwrap(),
    )
}

#[test]
fn a_copy_of_the_demo_holds_every_entry_and_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    let copy = dir.path().join("copy");

    let report = json_of(&strata().arg("copy").arg(&db).arg(&copy).arg("--json").output().unwrap());
    assert_eq!(report["verification"], "passed");

    // The same columns with the same prefix lengths, and in each the same entries.
    let source_columns = columns(&db);
    assert_eq!(columns(&copy), source_columns);
    let reported = report["columns"].as_array().unwrap();
    assert_eq!(reported.len(), source_columns.len());
    let mut total = 0;
    for (name, _) in &source_columns {
        let entries = scan(&db, name);
        assert_eq!(scan(&copy, name), entries, "column {name}");
        let count = entries.as_array().unwrap().len() as u64;
        // The report lists the columns in the order the source's families were created.
        let summary = reported.iter().find(|c| c["column"] == name.as_str()).unwrap();
        assert_eq!(summary["entries"], count, "column {name}");
        assert_eq!(summary["hash"].as_str().unwrap().len(), 64);
        total += count;
    }
    assert!(total > 100, "the demo wrote {total} entries");
    assert_eq!(report["entries"], total);
    assert!(reported.iter().any(|c| c["column"] == "strata_versions"), "versions are copied");

    // The copy is a database like any other: `check` passes on it.
    strata().args(["check", "--db"]).arg(&copy).assert().success();

    // As a table: a row per column and the verification's verdict.
    let again = dir.path().join("again");
    std::fs::create_dir(&again).unwrap(); // an empty directory is fine too
    let first = &source_columns[0].0;
    strata()
        .arg("copy")
        .arg(&db)
        .arg(&again)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("copied {} column(s)", source_columns.len())))
        .stdout(
            predicate::str::is_match(format!(r"│ {first}\s+\d+\s+\d+\s+[0-9a-f]{{16}}…")).unwrap(),
        )
        .stdout(predicate::str::contains("verification passed"));
    assert_eq!(scan(&again, first), scan(&db, first));
}

#[test]
fn a_destination_that_holds_anything_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);

    // A directory with a file in it.
    let occupied = dir.path().join("occupied");
    std::fs::create_dir(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), b"mine").unwrap();
    strata()
        .arg("copy")
        .arg(&db)
        .arg(&occupied)
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("exists and is not an empty directory"))
        .stderr(predicate::str::contains("delete it and copy again"));
    let names: Vec<_> =
        std::fs::read_dir(&occupied).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["notes.txt"]);
    assert_eq!(std::fs::read(occupied.join("notes.txt")).unwrap(), b"mine");

    // A database (the source itself, or an earlier copy), and a file.
    strata().arg("copy").arg(&db).arg(&db).assert().code(4);
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    strata().arg("copy").arg(&db).arg(&file).arg("--json").assert().code(4).stdout("");

    // No directory to create it in; no source.
    let orphan = dir.path().join("no-such-dir").join("copy");
    strata()
        .arg("copy")
        .arg(&db)
        .arg(&orphan)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("does not exist: create it first"));
    let nowhere = dir.path().join("nowhere");
    strata().arg("copy").arg(&nowhere).arg(dir.path().join("new")).assert().code(3);
    assert!(!dir.path().join("new").exists(), "nothing is created for a missing source");
}
