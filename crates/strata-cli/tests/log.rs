//! `strata log` as a user runs it, on the logs the demo writes: authors, entries, topics, and a
//! verification that passes on the demo and fails, naming the log, once a chain is broken.
//!
//! The demo's peers (alice and bob) send 9 entries in 3 logs; in its views step the node appends
//! 4 of its own, in 2 logs: 13 entries in 5 logs of 3 authors.

mod common;

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;
use strata::log::schema::{EntryKey, HEADERS, LogKey};
use strata::log::{Author, LogState, LogStore, NoVerification};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{AsKeyParts, Database, Store, Transaction, WriteLayer};

use common::{demo, json_of, strata};

/// The demo author named `name`, in hex.
fn author(summary: &Value, name: &str) -> String {
    let authors = summary["log"]["authors"].as_array().unwrap();
    let found = authors.iter().find(|a| a["name"] == name).unwrap();
    found["author"].as_str().unwrap().to_owned()
}

/// The node's own author (it appends in the demo's views step), in hex.
fn node_author(db: &Path) -> String {
    let json = log_json(db, &["authors"]);
    let authors = json["authors"].as_array().unwrap();
    let node = authors.iter().find(|a| a["logs"].as_array().unwrap().iter().any(|l| l["log"] == 2));
    node.unwrap()["author"].as_str().unwrap().to_owned()
}

fn log_json(db: &Path, args: &[&str]) -> Value {
    json_of(&strata().arg("log").args(args).arg("--json").arg("--db").arg(db).output().unwrap())
}

#[test]
fn the_demo_exchanges_logs_and_refuses_forgeries() {
    let dir = tempfile::tempdir().unwrap();
    let (_, summary) = demo(&dir);
    let log = &summary["log"];
    assert_eq!(log["verification"], "passed");
    assert_eq!(log["idempotent_retry"], serde_json::json!({ "seq": 3, "repeated": true }));
    let kinds: Vec<&str> =
        log["rejected"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["BadSignature", "BadSignature", "SeqGap"]);
    assert!(log["rejected"][0]["error"].as_str().unwrap().starts_with("entry 1 of the batch: "));
    assert_eq!(log["rejected"][2]["error"], "seq gap: the log's next seq is 0, the entry has 2");
    assert_eq!((log["ingested"].as_u64(), log["stream_len"].as_u64()), (Some(9), Some(13)));
    assert_eq!(log["verified_logs"], 5);
    assert_eq!(
        log["heights_after_reopen"],
        serde_json::json!([
            { "author": "alice", "log": 0, "height": 3, "entries": 4 },
            { "author": "bob", "log": 0, "height": 2, "entries": 3 },
            { "author": "bob", "log": 1, "height": 1, "entries": 2 },
            { "author": "node", "log": 0, "height": 0, "entries": 1 },
            { "author": "node", "log": 2, "height": 2, "entries": 3 },
        ])
    );
    // The log columns are counted beside the node's and the KV store's.
    assert_eq!(summary["keys_per_column"]["log_headers"], 13);
    assert_eq!(summary["keys_per_column"]["log_topics"], 2);

    // The same authors every run: their keys come from fixed seeds.
    let again = tempfile::tempdir().unwrap();
    let (_, second) = demo(&again);
    assert_eq!(second["log"]["authors"], log["authors"]);

    // The text summary tells the same story, and points at the log commands.
    strata()
        .args(["demo", "--contexts", "2", "--calls", "10", "--reset", "--no-etcd", "--db"])
        .arg(again.path().join("db"))
        .assert()
        .success()
        .stdout(predicate::str::contains("repeated: true"))
        .stdout(predicate::str::contains(": BadSignature (entry 1 of the batch: bad signature"))
        .stdout(predicate::str::contains(": SeqGap (seq gap"))
        .stdout(predicate::str::contains("the arrival stream holds 13 entries"))
        .stdout(predicate::str::contains("strata log authors --db"))
        .stdout(predicate::str::contains("strata log verify --db"));
}

#[test]
fn authors_and_topics_read_the_demo_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (db, summary) = demo(&dir);
    let (alice, bob) = (author(&summary, "alice"), author(&summary, "bob"));

    let node = node_author(&db);
    let json = log_json(&db, &["authors"]);
    assert_eq!((json["logs"].as_u64(), json["entries"].as_u64()), (Some(5), Some(13)));
    let authors = json["authors"].as_array().unwrap();
    let listed: Vec<&str> = authors.iter().map(|a| a["author"].as_str().unwrap()).collect();
    let mut expected = [alice.as_str(), bob.as_str(), node.as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected);
    let bobs = authors.iter().find(|a| a["author"] == bob.as_str()).unwrap();
    let logs: Vec<(u64, u64, u64)> = bobs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["log"].as_u64().unwrap(),
                l["height"].as_u64().unwrap(),
                l["entries"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(logs, [(0, 2, 3), (1, 1, 2)]);
    assert!(bobs["logs"][0]["bytes"].as_u64().unwrap() > 0);
    strata()
        .args(["log", "authors", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains(&alice))
        .stdout(predicate::str::contains("3 author(s), 5 log(s), 13 entries"));

    // One topic naming both authors' posts.
    let json = log_json(&db, &["topics"]);
    let topics = json["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0]["topic"], summary["log"]["topic"]["topic"]);
    let mut named: Vec<(String, u64)> = topics[0]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["author"].as_str().unwrap().to_owned(), l["log"].as_u64().unwrap()))
        .collect();
    named.sort();
    let mut expected = vec![(alice.clone(), 0), (bob.clone(), 0)];
    expected.sort();
    assert_eq!(named, expected);
    strata()
        .args(["log", "topics", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 topic(s) naming 2 log(s)"));
}

#[test]
fn show_walks_a_log_both_ways_and_checks_its_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let (db, summary) = demo(&dir);
    let (alice, bob) = (author(&summary, "alice"), author(&summary, "bob"));

    // A whole log, oldest first: seqs, a chain of backlinks, text previews.
    let json = log_json(&db, &["show", &alice, "0"]);
    assert_eq!(json["log"]["height"], 3);
    let entries = json["entries"].as_array().unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
    assert!(entries[0]["backlink"].is_null());
    for pair in entries.windows(2) {
        assert_eq!(pair[1]["backlink"], pair[0]["hash"]);
    }
    assert_eq!(json["log"]["latest_hash"], entries[3]["hash"]);
    assert_eq!(entries[0]["payload_preview"], "hello from alice");
    assert_eq!(entries[0]["payload_encoding"], "utf8");
    assert_eq!(entries[3]["payload_preview"], "invoice 42 paid");
    assert_eq!(entries[3]["payload_size"], 15);
    assert!(entries[0]["time"].as_str().unwrap().ends_with('Z'));

    // --after, --limit, --reverse.
    let seqs = |args: &[&str]| -> Vec<u64> {
        let mut all = vec!["show", alice.as_str(), "0"];
        all.extend_from_slice(args);
        log_json(&db, &all)["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seqs(&["--after", "1"]), [2, 3]);
    assert_eq!(seqs(&["--limit", "2"]), [0, 1]);
    assert_eq!(seqs(&["--reverse"]), [3, 2, 1, 0]);
    assert_eq!(seqs(&["--reverse", "--limit", "1"]), [3]);
    assert_eq!(seqs(&["--after", "0", "--reverse", "--limit", "2"]), [3, 2]);
    assert_eq!(seqs(&["--after", "3"]), Vec::<u64>::new());

    // A binary payload is previewed as hex; text tables shorten hashes.
    let json = log_json(&db, &["show", &bob, "1"]);
    assert_eq!(json["entries"][1]["payload_encoding"], "hex");
    assert_eq!(json["entries"][1]["payload_size"], 32);
    strata()
        .args(["log", "show", &bob, "1", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("name: bob"))
        .stdout(predicate::str::contains("0x"))
        .stdout(predicate::str::contains("2 entries shown"));

    // Bad input, and logs that do not exist.
    strata()
        .args(["log", "show", "abcd", "0", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("an author is a 32-byte public key"));
    strata().args(["log", "show", "zz", "0", "--db"]).arg(&db).assert().code(4);
    strata()
        .args(["log", "show", &alice, "7", "--db"])
        .arg(&db)
        .assert()
        .code(6)
        .stderr(predicate::str::contains("has no log 7"));
    strata().args(["log", "show", &"00".repeat(32), "0", "--db"]).arg(&db).assert().code(6);
}

#[test]
fn a_dropped_payload_is_shown_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (db, summary) = demo(&dir);
    let alice = author(&summary, "alice");
    {
        let raw = RocksDb::open(&RocksConfig::new(&db), &strata::log::COLUMNS).unwrap();
        let store = LogStore::open(raw, NoVerification).unwrap();
        let key: [u8; 32] = hex::decode(&alice).unwrap().try_into().unwrap();
        assert!(store.drop_payload(&Author(key), 0, 1).unwrap());
    }
    let json = log_json(&db, &["show", &alice, "0"]);
    assert_eq!(json["entries"][1]["payload_dropped"], true);
    assert!(json["entries"][1]["payload_preview"].is_null());
    assert_eq!(json["entries"][1]["payload_size"], 26);
    strata()
        .args(["log", "show", &alice, "0", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("(payload dropped)"));
    strata().args(["log", "verify", "--ed25519", "--db"]).arg(&db).assert().success();
}

#[test]
fn verify_passes_on_the_demo_and_names_a_broken_log() {
    let dir = tempfile::tempdir().unwrap();
    let (db, summary) = demo(&dir);
    let (alice, bob) = (author(&summary, "alice"), author(&summary, "bob"));

    strata()
        .args(["log", "verify", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("verified 5 log(s) of 3 author(s), 13 entries"))
        .stdout(predicate::str::contains(": 0 broken"));
    let json = log_json(&db, &["verify", "--ed25519"]);
    assert_eq!(
        json["totals"],
        serde_json::json!({ "authors": 3, "logs": 5, "entries": 13, "broken": 0 })
    );
    assert_eq!(json["signatures_checked"], true);
    assert!(json["logs"].as_array().unwrap().iter().all(|l| l["ok"] == true));

    // Break alice's chain: delete the header of seq 1, in the middle of her log.
    let alice_key = Author(hex::decode(&alice).unwrap().try_into().unwrap());
    {
        let raw = RocksDb::open(&RocksConfig::new(&db), &strata::log::COLUMNS).unwrap();
        let key = EntryKey { author: alice_key, log_id: 0, seq: 1 };
        raw.delete(HEADERS, key.as_key().as_bytes()).unwrap();
    }
    let output = strata().args(["log", "verify", "--json", "--db"]).arg(&db).output().unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["totals"]["broken"], 1);
    let logs = json["logs"].as_array().unwrap();
    let broken: Vec<&Value> = logs.iter().filter(|l| l["ok"] == false).collect();
    assert_eq!(broken.len(), 1);
    assert_eq!((broken[0]["author"].as_str(), broken[0]["log"].as_u64()), (Some(&*alice), Some(0)));
    let problems: Vec<&str> = broken[0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["problem"].as_str().unwrap())
        .collect();
    assert!(problems.contains(&"gap after seq 0"), "{problems:?}");
    assert!(logs.iter().filter(|l| l["author"] == bob.as_str()).all(|l| l["ok"] == true));
    strata()
        .args(["log", "verify", "--db"])
        .arg(&db)
        .assert()
        .code(5)
        .stdout(predicate::str::contains(format!("broken: author {alice} log 0")))
        .stdout(predicate::str::contains("seq 2: gap after seq 0"))
        .stdout(predicate::str::contains(": 1 broken"))
        .stderr(predicate::str::contains("1 of 5 log(s) are broken"));

    // Overwriting a log's state breaks it too: bob's profile log now claims more than it holds.
    let bob_key = Author(hex::decode(&bob).unwrap().try_into().unwrap());
    {
        let raw = RocksDb::open(&RocksConfig::new(&db), &strata::log::COLUMNS).unwrap();
        let state = LogStore::open(&raw, NoVerification).unwrap().log_state(&bob_key, 1).unwrap();
        let lie = LogState { latest_seq: 5, count: 6, ..state.unwrap() };
        let mut transaction = Transaction::new();
        transaction.put_entry(&LogKey { author: bob_key, log_id: 1 }, &lie).unwrap();
        Store::new(raw).apply(&transaction).unwrap();
    }
    let json_output = strata().args(["log", "verify", "--json", "--db"]).arg(&db).output().unwrap();
    assert_eq!(json_output.status.code(), Some(5));
    let json: Value = serde_json::from_slice(&json_output.stdout).unwrap();
    assert_eq!(json["totals"]["broken"], 2);
    let profile = json["logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["author"] == bob.as_str() && l["log"] == 1)
        .unwrap();
    assert_eq!(profile["ok"], false);
    assert!(
        profile["problems"][0]["problem"].as_str().unwrap().contains("the log's state says 6"),
        "{profile}"
    );
}

#[test]
fn a_database_without_logs_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    strata().args(["kv", "put", "a", "", "k", "v", "--db"]).arg(&db).assert().success();
    let someone = "ab".repeat(32);
    let commands: [&[&str]; 4] = [&["authors"], &["topics"], &["verify"], &["show", &someone, "0"]];
    for command in commands {
        strata()
            .arg("log")
            .args(command)
            .arg("--db")
            .arg(&db)
            .assert()
            .code(6)
            .stdout("")
            .stderr(predicate::str::contains("holds no log data (it has no log_* columns)"));
    }
    // Nothing was created by looking.
    let raw = RocksDb::open_existing(&RocksConfig::new(&db)).unwrap();
    assert!(raw.columns().iter().all(|c| !c.name().starts_with("log_")));
    drop(raw);
    strata().args(["log", "authors", "--db"]).arg(dir.path().join("missing")).assert().code(3);
    strata()
        .args(["log", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"));
}
