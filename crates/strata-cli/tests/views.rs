//! `strata views` as a user runs it, on the views the demo keeps over its log: the registry as a
//! table and as JSON, a rebuild that ends where it started, a view the CLI has no code for
//! marked for its application, and clear errors for names and databases without views.

mod common;

use std::path::Path;

use predicates::prelude::*;
use serde_json::{Value, json};
use strata::log::{LogConfig, NoVerification};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::views::Views;
use strata::views::builtin::LatestByKey;
use strata::{Column, Database};

use common::{demo, json_of, strata};

fn views_json(db: &Path, args: &[&str]) -> Value {
    json_of(&strata().arg("views").args(args).arg("--json").arg("--db").arg(db).output().unwrap())
}

/// Every entry of a column, as `strata scan --json` gives them.
fn scan(db: &Path, column: &str) -> Value {
    json_of(
        &strata()
            .args(["scan", column, "--limit", "100000", "--json", "--db"])
            .arg(db)
            .output()
            .unwrap(),
    )
}

/// (name, version, mode, state, since, lag) per view.
fn rows(views: &Value) -> Vec<(String, u64, String, String, u64, u64)> {
    views["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["version"].as_u64().unwrap(),
                v["mode"].as_str().unwrap().to_owned(),
                v["state"].as_str().unwrap().to_owned(),
                v["since"].as_u64().unwrap(),
                v["lag"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A view's row of the `strata views` table, as a pattern.
fn table_row(name: &str, version: u64, mode: &str, state: &str, since: u64, lag: u64) -> String {
    let state = state.replace('(', r"\(").replace(')', r"\)");
    format!(r"│ {name}\s+{version}\s+{mode}\s+{since}\s+{lag}\s+{state}\s+│")
}

#[test]
fn the_demo_keeps_views_and_bumps_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let (_, summary) = demo(&dir);
    let views = &summary["views"];
    assert_eq!(views["verification"], "passed");
    assert_eq!(views["built_from"], 9);
    assert_eq!(views["lag_after_append"], json!({ "entry_counts": 0, "settings": 0 }));
    assert_eq!(views["waited_for"], json!({ "view": "latest_by_topic", "offset": 12 }));
    // The counts are what every log holds: the peers' 9 entries and the node's 4.
    let counts: Vec<(&str, u64, u64)> = views["entry_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["author"].as_str().unwrap(),
                c["log"].as_u64().unwrap(),
                c["entries"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("alice", 0, 4), ("bob", 0, 3), ("bob", 1, 2), ("node", 0, 1), ("node", 2, 3)]
    );
    let latest: Vec<(&str, u64, u64)> = views["latest_by_topic"]["latest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["author"].as_str().unwrap(),
                l["seq"].as_u64().unwrap(),
                l["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    // In author order (the views' key order): compared as a set.
    let mut sorted = latest.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [("alice", 3, 3), ("bob", 2, 6), ("node", 0, 12)], "{latest:?}");
    assert_eq!(
        views["settings"],
        json!([
            { "key": "alias", "value": "strata-node", "offset": 10 },
            { "key": "fee_rate", "value": "7", "offset": 11 },
        ])
    );
    let bump = &views["version_bump"];
    assert_eq!(
        (bump["view"].as_str(), bump["from"].as_u64(), bump["to"].as_u64()),
        (Some("settings"), Some(1), Some(2))
    );
    assert_eq!(bump["state_on_reopen"], "rebuilding (clearing)");
    assert_eq!(
        bump["reader_refused"],
        "view \"settings\" is rebuilding (clearing): 0 of 13 entries reduced"
    );
    assert_eq!((bump["rebuilt_entries"].as_u64(), bump["batches"].as_u64()), (Some(13), Some(4)));
    assert_eq!(bump["equal_to_before"], true);
    let after: Vec<(&str, &str, u64)> = views["after_reopen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (v["name"].as_str().unwrap(), v["state"].as_str().unwrap(), v["lag"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        after,
        [("entry_counts", "ready", 0), ("latest_by_topic", "ready", 0), ("settings", "ready", 0)]
    );

    // The text summary tells the same story, and points at the views commands.
    strata()
        .args(["demo", "--contexts", "2", "--calls", "10", "--reset", "--no-etcd", "--db"])
        .arg(dir.path().join("db"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Views over the log"))
        .stdout(predicate::str::contains("wait_for(latest_by_topic, offset 12)"))
        .stdout(predicate::str::contains("its reader refused: view \"settings\" is rebuilding"))
        .stdout(predicate::str::contains("ready, equal to before"))
        .stdout(predicate::str::contains("strata views --db"))
        .stdout(predicate::str::contains("strata views rebuild entry_counts --db"));
}

#[test]
fn views_lists_the_demo_registry_as_a_table_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    let json = views_json(&db, &[]);
    assert_eq!(json["log_next_offset"], 13);
    assert_eq!(
        rows(&json),
        [
            ("entry_counts".into(), 1, "in step".into(), "ready".into(), 13, 0),
            ("latest_by_topic".into(), 1, "behind".into(), "ready".into(), 13, 0),
            ("settings".into(), 2, "in step".into(), "ready".into(), 13, 0),
        ]
    );
    assert!(json["views"].as_array().unwrap().iter().all(|v| v["phase"] == "ready"));

    let mut table = strata().args(["views", "--db"]).arg(&db).assert().success();
    for (name, version, mode, state, since, lag) in rows(&json) {
        let line = table_row(&name, version, &mode, &state, since, lag);
        table = table.stdout(predicate::str::is_match(line).unwrap());
    }
    table.stdout(predicate::str::contains("3 view(s); the log's next arrival offset is 13"));

    // The inspector decodes the registry and the views' columns, and finds them sound.
    let registry = scan(&db, "view_registry");
    let records: Vec<&str> =
        registry.as_array().unwrap().iter().map(|e| e["value"].as_str().unwrap()).collect();
    assert_eq!(
        records,
        [
            "ViewRecord { version: 1, mode: InStep, phase: Ready, since: 13 }",
            "ViewRecord { version: 1, mode: Behind, phase: Ready, since: 13 }",
            "ViewRecord { version: 2, mode: InStep, phase: Ready, since: 13 }",
        ]
    );
    strata()
        .args(["scan", "view_author_counts", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("Totals { entries: 4"));
    strata().args(["check", "--db"]).arg(&db).assert().success().stdout(
        predicate::str::contains("no problems")
            .and(predicate::str::contains("columns without a known schema").not()),
    );
}

#[test]
fn rebuild_ends_ready_at_lag_0_with_the_state_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    let state = |db: &Path| {
        ["view_author_counts", "view_log_counts", "view_topic_latest", "view_settings"]
            .map(|column| scan(db, column))
    };
    let before = state(&db);
    let registry = views_json(&db, &[]);
    assert_eq!(before[0].as_array().unwrap().len(), 3, "one total per author");

    let json = views_json(&db, &["rebuild", "entry_counts"]);
    assert_eq!(json["rebuilt"], true);
    assert_eq!(
        json["view"],
        json!({
            "name": "entry_counts",
            "version": 1,
            "mode": "in step",
            "phase": "ready",
            "state": "ready",
            "since": 13,
            "lag": 0,
        })
    );
    assert_eq!(json["batches"], 1);
    assert_eq!(state(&db), before, "rebuilt from the log, the counts are what they were");
    assert_eq!(views_json(&db, &[]), registry, "the registry is where it was");

    // Every view of the demo rebuilds, whatever its mode; the text ends with its status.
    for (name, version, mode) in [("latest_by_topic", 1, "behind"), ("settings", 2, "in step")] {
        let line = table_row(name, version, mode, "ready", 13, 0);
        strata()
            .args(["views", "rebuild", name, "--db"])
            .arg(&db)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "rebuilt view {name} from the start of the log: 13 entries reduced"
            )))
            .stdout(predicate::str::is_match(line).unwrap());
    }
    assert_eq!(state(&db), before);
    assert_eq!(views_json(&db, &[]), registry);
    strata().args(["check", "--db"]).arg(&db).assert().success();
}

/// The column of an application's own view, which the CLI has no code for.
const OTHER: Column = Column::new("other_index");

#[test]
fn a_view_the_cli_has_no_code_for_is_marked_for_its_application() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    // An application of its own registers an index over the same log.
    let index = || {
        LatestByKey::new("other_index", 1, OTHER, |entry| {
            Some((entry.header.author.0.to_vec(), entry.header.seq.to_be_bytes().to_vec()))
        })
    };
    let open = || {
        let config = RocksConfig::new(&db);
        let mut columns = RocksDb::open_existing(&config).unwrap().columns();
        if !columns.contains(&OTHER) {
            columns.push(OTHER);
        }
        let db = RocksDb::open(&config, &columns).unwrap();
        let views = Views::builder()
            .in_step(index())
            .background(false)
            .open(db, NoVerification, LogConfig::default())
            .unwrap();
        views.catch_up().unwrap();
        views
    };
    let views = open();
    assert_eq!(views.lag("other_index").unwrap(), 0);
    drop(views);

    strata().args(["views", "rebuild", "other_index", "--db"]).arg(&db).assert().success().stdout(
        predicate::str::contains(
            "view other_index is not one of this CLI's views: marked for rebuild; the \
             application that defines it rebuilds it from the start of the log the next time it \
             opens its views",
        ),
    );
    let json = views_json(&db, &[]);
    let other = json["views"].as_array().unwrap().iter().find(|v| v["name"] == "other_index");
    let other = other.unwrap();
    assert_eq!(
        (
            other["phase"].as_str(),
            other["state"].as_str(),
            other["since"].as_u64(),
            other["lag"].as_u64()
        ),
        (Some("clearing"), Some("rebuilding (clearing)"), Some(0), Some(13))
    );
    let line = table_row("other_index", 1, "in step", "rebuilding (clearing)", 0, 13);
    strata()
        .args(["views", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::is_match(line).unwrap());
    let marked = views_json(&db, &["rebuild", "other_index"]);
    assert_eq!(
        marked,
        json!({ "view": "other_index", "marked_for_rebuild": true, "rebuilt": false })
    );

    // The application rebuilds it the next time it opens its views.
    let views = open();
    let status = views.status("other_index").unwrap();
    assert_eq!((status.since, status.lag), (13, 0));
    drop(views);
    let json = views_json(&db, &[]);
    assert!(
        json["views"].as_array().unwrap().iter().all(|v| v["state"] == "ready" && v["lag"] == 0)
    );
}

#[test]
fn unknown_and_invalid_view_names_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    strata()
        .args(["views", "rebuild", "nope", "--db"])
        .arg(&db)
        .assert()
        .code(6)
        .stdout("")
        .stderr(predicate::str::contains(
            "no view is named \"nope\" in this database (registered: entry_counts, \
             latest_by_topic, settings)",
        ));
    strata()
        .args(["views", "rebuild", "not a name!", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("invalid view name \"not a name!\""));
    strata().args(["views", "rebuild", &"v".repeat(65), "--db"]).arg(&db).assert().code(4);
    // Nothing was touched.
    let json = views_json(&db, &[]);
    assert!(
        json["views"].as_array().unwrap().iter().all(|v| v["state"] == "ready" && v["lag"] == 0)
    );
    strata().args(["views", "rebuild", "--db"]).arg(&db).assert().code(2);
}

#[test]
fn a_database_without_views_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    strata().args(["kv", "put", "a", "", "k", "v", "--db"]).arg(&db).assert().success();
    let commands: [&[&str]; 4] =
        [&[], &["--json"], &["rebuild", "entry_counts"], &["rebuild", "nope"]];
    for command in commands {
        strata()
            .arg("views")
            .args(command)
            .arg("--db")
            .arg(&db)
            .assert()
            .code(6)
            .stdout("")
            .stderr(predicate::str::contains("holds no views (it has no view_registry column)"))
            .stderr(predicate::str::contains("panicked").not());
    }
    // Nothing was created by looking.
    let raw = RocksDb::open_existing(&RocksConfig::new(&db)).unwrap();
    assert!(raw.columns().iter().all(|c| !c.name().starts_with("view_")));
    drop(raw);
    strata().args(["views", "--db"]).arg(dir.path().join("missing")).assert().code(3);
    strata()
        .args(["views", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"))
        .stdout(predicate::str::contains("rebuild"));
}
