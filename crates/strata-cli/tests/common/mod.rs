//! What the CLI tests that run the demo share: the binary, JSON output, a small demo database.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// The `strata` binary.
pub(crate) fn strata() -> Command {
    Command::cargo_bin("strata").expect("the strata binary is built")
}

/// A successful command's JSON output.
pub(crate) fn json_of(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Runs a small demo into `dir/db`; returns its path and the demo's JSON summary.
pub(crate) fn demo(dir: &tempfile::TempDir) -> (PathBuf, Value) {
    let db = dir.path().join("db");
    let output = strata()
        // The etcd step has a test of its own (`tests/etcd.rs`): skipped here, so that the many
        // tests running the demo at once do not each start a cluster.
        .args([
            "demo",
            "--contexts",
            "2",
            "--calls",
            "10",
            "--reset",
            "--no-etcd",
            "--json",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let json = json_of(&output);
    (db, json)
}
