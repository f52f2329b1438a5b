//! The `strata` command as a user runs it: every subcommand, good input and bad.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use strata::Database;
use strata::rocksdb::{RocksConfig, RocksDb};

fn strata() -> Command {
    Command::cargo_bin("strata").expect("the strata binary is built")
}

/// Runs a small demo into `dir/db` and returns that path.
fn demo_db(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let db = dir.path().join("db");
    strata()
        .args(["demo", "--contexts", "4", "--calls", "30", "--no-etcd", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("verification passed"))
        .stdout(predicate::str::contains("108 committed, 12 rolled back"))
        .stdout(predicate::str::contains("Encryption at rest"))
        .stdout(predicate::str::contains("strata stats --db"));
    db
}

fn first_key_hex(db: &Path, column: &str) -> String {
    let output =
        strata().args(["scan", column, "--limit", "1", "--json", "--db"]).arg(db).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json[0]["key_hex"].as_str().unwrap().to_owned()
}

#[test]
fn demo_runs_verifies_and_refuses_to_run_twice_without_reset() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    strata()
        .args(["demo", "--contexts", "4", "--calls", "30", "--db"])
        .arg(&db)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("--reset"));
    strata()
        .args(["demo", "--contexts", "2", "--calls", "10", "--reset", "--json", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"verification\": \"passed\""))
        .stdout(predicate::str::contains("\"committed\": 18"))
        // Decoded through the node schema's descriptor, not shown as hex.
        .stdout(predicate::str::contains("\"key\": \"ContextMeta { context_id: ContextId("))
        .stdout(predicate::str::contains("\"value\": \"MetaRecord { application_id: "))
        // The etcd step (the one demo run here with it): a cluster, the copy verified, a member
        // killed and restarted.
        .stdout(predicate::str::contains("\"member_killed_and_restarted\": true"))
        // The bulk-load step: the state column ingested into a new database and read back equal.
        .stdout(predicate::str::contains("\"bulk_load\""))
        .stdout(predicate::str::contains("\"read_back_equal\": true"))
        // The encryption step: secrets sealed, read back, a moved value refused, the key rotated.
        .stdout(predicate::str::contains("\"encryption\": {"))
        .stdout(predicate::str::contains("\"plaintext_visible_underneath\": 0"))
        .stdout(predicate::str::contains("\"left_tampered\": 1"))
        .stdout(predicate::str::contains("\"key_version_after\": 2"));
}

#[test]
fn stats_lists_every_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    let output = strata().args(["stats", "--json", "--db"]).arg(&db).output().unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> =
        json["columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    // The demo's database holds the node schema, the KV store (its LDK persistence step), the
    // log store (its log exchange step) and the views over it (its views step).
    assert_eq!(
        names,
        [
            "config",
            "generic",
            "identity",
            "kv_created",
            "kv_entries",
            "kv_meta",
            "kv_namespaces",
            "ledger",
            "log_arrivals",
            "log_expiry",
            "log_hashes",
            "log_headers",
            "log_idempotency",
            "log_logs",
            "log_meta",
            "log_payloads",
            "log_topics",
            "meta",
            "state",
            "strata_versions",
            "transaction",
            "view_author_counts",
            "view_log_counts",
            "view_registry",
            "view_settings",
            "view_topic_latest"
        ]
    );
    // RocksDB's own view of each column: memtables, table files at levels 0-6, compaction debt;
    // the migrated ledger's 50 000 entries are in table files.
    for column in json["columns"].as_array().unwrap() {
        assert_eq!(column["table_files_per_level"].as_array().unwrap().len(), 7, "{column}");
        assert!(column["memtable_bytes"].is_u64() && column["pending_compaction_bytes"].is_u64());
    }
    let ledger = json["columns"].as_array().unwrap().iter().find(|c| c["column"] == "ledger");
    let files: u64 = ledger.unwrap()["table_files_per_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(files > 0, "{ledger:?}");
    assert_eq!(json["block_cache"]["capacity_bytes"], 64 << 20);
    let schemas: Vec<&str> =
        json["columns"].as_array().unwrap().iter().map(|c| c["schema"].as_str().unwrap()).collect();
    assert_eq!(
        schemas,
        [
            "node", "node", "node", "kv", "kv", "kv", "kv", "ledger", "log", "log", "log", "log",
            "log", "log", "log", "log", "log", "node", "node", "strata", "node", "views", "views",
            "views", "views", "views"
        ]
    );
    // Every schema's version, recorded when the demo first used it; the ledger, written at
    // version 1, migrated to 3.
    assert_eq!(
        json["versions"],
        serde_json::json!({
            "format": 1,
            "schemas": { "kv": 1, "ledger": 3, "log": 1, "node": 1, "strata": 1, "views": 1 },
            "migrating_to": {}
        })
    );
    strata()
        .args(["stats", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("transaction"))
        .stdout(predicate::str::contains("schema"))
        .stdout(predicate::str::contains("node"))
        .stdout(predicate::str::contains(
            "recorded versions: format 1; kv 1, ledger 3, log 1, node 1, strata 1, views 1",
        ));
}

#[test]
fn scan_decodes_known_columns_and_honours_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    strata()
        .args(["scan", "transaction", "--limit", "3", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("TransactionRecord"))
        .stdout(predicate::str::contains("3 entries"));

    let all = |extra: &[&str]| -> Vec<String> {
        let output = strata()
            .args(["scan", "state", "--json", "--limit", "1000", "--db"])
            .arg(&db)
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json.as_array().unwrap().iter().map(|e| e["key_hex"].as_str().unwrap().to_owned()).collect()
    };
    let forward = all(&[]);
    assert_eq!(forward.len(), 4 * 16);
    let mut reversed = all(&["--reverse"]);
    reversed.reverse();
    assert_eq!(reversed, forward);

    let context = &forward[20][..64];
    let in_context = all(&["--prefix", context]);
    assert_eq!(in_context.len(), 16);
    assert!(in_context.iter().all(|k| k.starts_with(context)));
    let bounded = all(&["--from", &forward[3], "--to", &forward[7]]);
    assert_eq!(bounded, forward[3..7]);
}

#[test]
fn get_prints_one_entry_or_says_it_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    let key = first_key_hex(&db, "meta");
    strata()
        .args(["get", "meta", &key, "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("MetaRecord"));
    strata()
        .args(["get", "meta", &"00".repeat(32), "--db"])
        .arg(&db)
        .assert()
        .code(6)
        .stderr(format!("error: no entry under key {} in column `meta`\n", "00".repeat(32)));
}

#[test]
fn a_key_of_the_wrong_length_names_the_length_its_column_expects() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    strata()
        .args(["get", "meta", "00", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stdout("")
        .stderr("error: key length 1, column meta expects 32 (context_id: 32 bytes)\n");
    strata()
        .args(["get", "state", &"00".repeat(32), "--json", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(
            "error: key length 32, column state expects 64 \
             (context_id: 32 bytes, state_key: 32 bytes)\n",
        );

    // A prefix may be shorter than a key, never longer; `--from`/`--to` may be any bytes.
    strata()
        .args(["scan", "meta", "--prefix", &"ab".repeat(33), "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stdout("")
        .stderr(
            "error: --prefix length 33, column meta expects at most 32 (context_id: 32 bytes)\n",
        );
    strata()
        .args(["scan", "meta", "--prefix", &"ab".repeat(32), "--db"])
        .arg(&db)
        .assert()
        .success();
    for flag in ["--from", "--to"] {
        strata().args(["scan", "meta", flag, &"ab".repeat(33), "--db"]).arg(&db).assert().success();
    }

    // Columns no schema describes take keys of any length.
    let custom = dir.path().join("custom");
    let column = strata::Column::new("custom");
    drop(RocksDb::open(&RocksConfig::new(&custom), &[column]).unwrap());
    strata()
        .args(["get", "custom", "00", "--db"])
        .arg(&custom)
        .assert()
        .code(6)
        .stderr("error: no entry under key 00 in column `custom`\n");
}

#[test]
fn bad_input_gets_clear_errors_and_distinct_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    strata()
        .args(["get", "meta", "not-hex", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("not valid hex"))
        .stderr(predicate::str::contains("panicked").not());
    strata()
        .args(["scan", "no-such-column", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no column `no-such-column`"))
        .stderr(predicate::str::contains("transaction"));
    strata()
        .args(["stats", "--db"])
        .arg(dir.path().join("missing"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no database at"));
    strata().args(["scan"]).assert().code(2);
}

#[test]
fn a_locked_database_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    let holder = RocksDb::open_existing(&RocksConfig::new(&db)).unwrap();
    strata()
        .args(["stats", "--db"])
        .arg(&db)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("already open"))
        .stderr(predicate::str::contains("LOCK"));
    drop(holder);
    strata().args(["stats", "--db"]).arg(&db).assert().success();
}

#[test]
fn check_passes_on_the_demo_and_finds_every_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    strata()
        .args(["check", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"));

    let raw = RocksDb::open(&RocksConfig::new(&db), &strata::node::COLUMNS).unwrap();
    raw.put(strata::node::META, &[0xab; 32], b"\x01garbage").unwrap();
    raw.put(strata::node::STATE, &[0xcd; 10], b"short key").unwrap();
    raw.put(strata::node::TRANSACTION, &[0xef; 64], b"").unwrap();
    drop(raw);

    let output = strata().args(["check", "--json", "--db"]).arg(&db).output().unwrap();
    assert_eq!(output.status.code(), Some(5));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 3, "{problems:?}");
    let columns: Vec<&str> = problems.iter().map(|p| p["column"].as_str().unwrap()).collect();
    assert_eq!(columns, ["meta", "state", "transaction"]);
    assert_eq!(
        problems[1]["problem"],
        "key length 10, column state expects 64 (context_id: 32 bytes, state_key: 32 bytes)"
    );
    assert!(problems[0]["problem"].as_str().unwrap().starts_with("value does not decode: "));
    assert!(problems[2]["problem"].as_str().unwrap().starts_with("value does not decode: "));
    strata()
        .args(["check", "--db"])
        .arg(&db)
        .assert()
        .code(5)
        .stdout(predicate::str::contains("3 problem(s)"))
        .stderr(predicate::str::contains("check found 3 problem(s)"));
}

#[test]
fn checkpoint_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    let copy = dir.path().join("copy");
    strata().args(["checkpoint"]).arg(&copy).arg("--db").arg(&db).assert().success();
    strata()
        .args(["check", "--db"])
        .arg(&copy)
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"));
    strata()
        .args(["checkpoint"])
        .arg(&copy)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(4)
        .stdout("")
        .stderr(format!(
            "error: `{}` already exists: a checkpoint creates a new directory, so give a path that \
             does not exist yet\n",
            copy.display()
        ));
    strata()
        .args(["compact", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("compacted"));
    let counts = |path: &Path| {
        strata()
            .args(["scan", "transaction", "--limit", "1000", "--json", "--db"])
            .arg(path)
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(counts(&db), counts(&copy));
}

#[test]
fn help_shows_examples_and_exit_codes() {
    strata()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn columns_without_a_known_schema_print_hex() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let custom = strata::Column::new("custom").with_prefix_len(2);
    let raw = RocksDb::open(&RocksConfig::new(&db), &[custom]).unwrap();
    raw.put(custom, b"\x01\x02key", b"\xffvalue").unwrap();
    drop(raw);
    strata()
        .args(["scan", "custom", "--prefix", "0102", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("01026b6579"))
        .stdout(predicate::str::contains("ff76616c7565"));
    strata().args(["check", "--db"]).arg(&db).assert().success().stdout(predicate::str::contains(
        "columns without a known schema (not checked for content): custom",
    ));
    let output = strata().args(["stats", "--json", "--db"]).arg(&db).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["columns"][0]["column"], "custom");
    assert!(json["columns"][0]["schema"].is_null());
}

#[test]
fn checkpoint_refuses_an_existing_path_before_opening_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    // No database at `--db` at all: the path is refused first, so no open error (exit 3).
    for path in [&taken, &file] {
        strata()
            .args(["checkpoint"])
            .arg(path)
            .arg("--db")
            .arg(dir.path().join("missing"))
            .assert()
            .code(4)
            .stderr(predicate::str::contains("already exists"))
            .stderr(predicate::str::contains("Invalid argument").not());
    }
    assert!(!dir.path().join("missing").exists());

    let orphan = dir.path().join("no-parent").join("copy");
    strata()
        .args(["checkpoint"])
        .arg(&orphan)
        .arg("--db")
        .arg(dir.path().join("missing"))
        .assert()
        .code(4)
        .stderr(format!(
            "error: `{}` does not exist: create it first, a checkpoint creates only its own \
             directory\n",
            dir.path().join("no-parent").display()
        ));
}

/// Flips bytes at the start of every application table file in `db` (inside its first data
/// block; index, properties and footer stay intact) and returns how many it damaged. The files of
/// Strata's own registry, which opening reads (its keys start `strata/`; the demo's migration
/// writes it twice, so it may be two files), are left alone.
fn damage_table_files(db: &Path) -> usize {
    let mut damaged = 0;
    for entry in std::fs::read_dir(db).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "sst") {
            continue;
        }
        let mut bytes = std::fs::read(&path).unwrap();
        if bytes.windows(7).any(|window| window == b"strata/") {
            continue;
        }
        for byte in &mut bytes[16..64] {
            *byte ^= 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
        damaged += 1;
    }
    damaged
}

#[test]
fn check_reports_damaged_table_files_and_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(&dir);
    // Push everything into table files, then damage them.
    strata().args(["compact", "--db"]).arg(&db).assert().success();
    let stats = strata().args(["stats", "--json", "--db"]).arg(&db).output().unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let mut holding: Vec<String> = Vec::new();
    for column in stats["columns"].as_array().unwrap() {
        let column = column["column"].as_str().unwrap();
        let output = strata()
            .args(["scan", column, "--limit", "1", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap();
        let first: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        if !first.as_array().unwrap().is_empty() {
            holding.push(column.to_owned());
        }
    }
    let damaged = damage_table_files(&db);
    // A column may keep more than one file (a compaction moves files that do not overlap
    // without merging them), so there are at least as many files as columns holding entries.
    assert!(damaged >= holding.len() && holding.len() >= 4, "{damaged} files, {holding:?}");

    let output = strata().args(["check", "--json", "--db"]).arg(&db).output().unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let problems = json["problems"].as_array().unwrap();
    // One problem per damaged column: after each, check went on with the next column.
    let columns: Vec<&str> = problems.iter().map(|p| p["column"].as_str().unwrap()).collect();
    assert_eq!(columns, holding, "{problems:?}");
    assert!(columns.contains(&"state") && columns.contains(&"transaction"), "{columns:?}");
    for problem in problems {
        let problem = problem["problem"].as_str().unwrap();
        assert!(
            problem.contains("unreadable after this key") && problem.contains("corrupt"),
            "{problem}"
        );
    }
}

#[test]
fn an_unreadable_directory_is_a_clear_open_error() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;

    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = demo_db(&dir);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything, so run the command as `nobody` (as is: when not root).
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("strata"));
    command.args(["stats", "--db"]).arg(&db);
    if std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0) {
        command.uid(65534).gid(65534);
    }
    let output = command.output().unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("permission denied"), "{stderr}");
    // Nothing was lost.
    strata().args(["check", "--db"]).arg(&db).assert().success();
}
