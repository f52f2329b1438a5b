//! The inspector and `strata copy` on a database stored in etcd, as a user runs them against a
//! real three-member cluster: the demo's database copied from its directory into a root on etcd
//! and back is the same column for column; `stats`, `scan`, `get` and `check` read it there with
//! `--etcd ENDPOINTS --root NAME`; a root holding keys, a malformed location or
//! `STRATA_ETCD_USER`, a missing root and an unreachable cluster are each refused with their exit
//! code. (Wrong credentials against a cluster with authentication on are tested in
//! `strata-etcd`'s `tests/access.rs`; the CLI passes them through `EtcdConfig::user`.)

mod common;

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;
use strata::etcd::dev::Cluster;

use common::{demo, json_of, strata};

/// `--etcd` and `--root` for `root` of `cluster`.
fn on(cluster: &Cluster, root: &str) -> [String; 4] {
    ["--etcd".to_owned(), cluster.endpoints().join(","), "--root".to_owned(), root.to_owned()]
}

/// `etcd://HOST:PORT,…/root`.
fn url(cluster: &Cluster, root: &str) -> String {
    let hosts: Vec<String> =
        cluster.endpoints().iter().map(|e| e.trim_start_matches("http://").to_owned()).collect();
    format!("etcd://{}/{root}", hosts.join(","))
}

/// (column, prefix length) per column, as `strata stats --json` lists them.
fn columns(stats: &Value) -> Vec<(String, String)> {
    stats["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["column"].as_str().unwrap().to_owned(), c["prefix_len"].to_string()))
        .collect()
}

fn stats_dir(db: &Path) -> Value {
    json_of(&strata().args(["stats", "--json", "--db"]).arg(db).output().unwrap())
}

fn scan(args: &[String]) -> Value {
    json_of(&strata().args(["scan", "--limit", "1000000", "--json"]).args(args).output().unwrap())
}

#[test]
fn the_demo_copied_to_etcd_and_back_is_the_same_and_inspectable_there() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(&dir.path().join("etcd"), 3).expect("start a cluster");
    let (db, _) = demo(&dir);

    // Directory → etcd.
    let report = json_of(
        &strata().arg("copy").arg(&db).arg(url(&cluster, "node-1")).arg("--json").output().unwrap(),
    );
    assert_eq!(report["verification"], "passed", "{report}");
    assert_eq!(report["destination"], url(&cluster, "node-1"));

    // The inspector on etcd: the same columns and prefix lengths, exact key counts, the same
    // recorded versions, and every column's entries.
    let source = stats_dir(&db);
    let remote =
        json_of(&strata().args(["stats", "--json"]).args(on(&cluster, "node-1")).output().unwrap());
    let mut expected = columns(&source);
    expected.sort();
    assert_eq!(columns(&remote), expected);
    assert_eq!(remote["versions"], source["versions"]);
    let mut total = 0;
    for (name, _) in &expected {
        let here = scan(&[name.clone(), "--db".to_owned(), db.display().to_string()]);
        let there = scan(&[[name.clone()].as_slice(), &on(&cluster, "node-1")].concat());
        assert_eq!(there, here, "column {name}");
        let count = here.as_array().unwrap().len() as u64;
        let row =
            remote["columns"].as_array().unwrap().iter().find(|c| c["column"] == name.as_str());
        assert_eq!(row.unwrap()["approximate_keys"], count, "an exact count on etcd: {name}");
        total += count;
    }
    assert!(total > 100, "{total} entries");
    assert_eq!(report["entries"], total);
    strata().arg("check").args(on(&cluster, "node-1")).assert().success();
    // One entry by its key, and a reverse scan with a limit.
    let versions =
        scan(&["strata_versions".to_owned(), "--db".to_owned(), db.display().to_string()]);
    let key = versions[0]["key_hex"].as_str().unwrap();
    strata()
        .args(["get", "strata_versions", key])
        .args(on(&cluster, "node-1"))
        .assert()
        .success()
        .stdout(predicate::str::contains(versions[0]["value"].as_str().unwrap()));
    let last = json_of(
        &strata()
            .args(["scan", "strata_versions", "--reverse", "--limit", "1", "--json"])
            .args(on(&cluster, "node-1"))
            .output()
            .unwrap(),
    );
    assert_eq!(last[0], *versions.as_array().unwrap().last().unwrap());

    // etcd → a new directory: the same database again.
    let back = dir.path().join("back");
    strata()
        .arg("copy")
        .arg(url(&cluster, "node-1"))
        .arg(&back)
        .assert()
        .success()
        .stdout(predicate::str::contains("verification passed"));
    let returned = stats_dir(&back);
    let mut back_columns = columns(&returned);
    back_columns.sort();
    assert_eq!(back_columns, expected);
    for (name, _) in &expected {
        let here = scan(&[name.clone(), "--db".to_owned(), db.display().to_string()]);
        let again = scan(&[name.clone(), "--db".to_owned(), back.display().to_string()]);
        assert_eq!(again, here, "column {name}");
    }
    strata().args(["check", "--db"]).arg(&back).assert().success();
}

#[test]
fn refusals_on_etcd_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(&dir.path().join("etcd"), 1).expect("start a member");
    let (db, _) = demo(&dir);
    strata().arg("copy").arg(&db).arg(url(&cluster, "taken")).assert().success();

    // A root with keys under it is not a destination; nothing is written to it.
    let before =
        json_of(&strata().args(["stats", "--json"]).args(on(&cluster, "taken")).output().unwrap());
    strata()
        .arg("copy")
        .arg(&db)
        .arg(url(&cluster, "taken"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("holds"))
        .stderr(predicate::str::contains("key(s)"));
    let after =
        json_of(&strata().args(["stats", "--json"]).args(on(&cluster, "taken")).output().unwrap());
    assert_eq!(after, before);

    // Malformed locations; a root nothing is stored under; --etcd without --root.
    for bad in ["etcd://127.0.0.1:1", "etcd:///root"] {
        strata()
            .arg("copy")
            .arg(&db)
            .arg(bad)
            .assert()
            .code(4)
            .stderr(predicate::str::contains("is not a valid database location"));
    }
    strata()
        .arg("stats")
        .args(on(&cluster, "nothing-here"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no Strata database is stored under root `nothing-here`"));
    strata().args(["stats", "--etcd", "127.0.0.1:1"]).assert().code(2);

    // Malformed credentials are refused before connecting.
    strata()
        .arg("stats")
        .args(on(&cluster, "taken"))
        .env("STRATA_ETCD_USER", "nocolon")
        .assert()
        .code(4);
    // No cluster at all: the open fails within the request timeout, exit 3.
    strata()
        .args(["stats", "--etcd", "127.0.0.1:9", "--root", "x"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("cannot open the database on etcd"));
}
