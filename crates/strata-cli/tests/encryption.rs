//! `strata encrypt`, `strata rekey` and the inspector on an encrypted database: the demo's
//! database encrypted in place (no plaintext left in any of its files), read with its key, by
//! size without it, refused with a wrong one; rekeyed with a rotation; an interrupted conversion
//! resumed; a value moved to another key reported as its entry's error; and the demo's own
//! encryption step.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{demo, json_of};
use predicates::prelude::*;
use serde_json::Value;
use strata::encryption::{Encrypted, EncryptionError, ResealOptions, UnlockKey};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::versions::VERSIONS;
use strata::{Column, Database, Store};

/// The key the tests encrypt with, as `STRATA_KEY` takes it.
const KEY: &str = "8f14e45fceea167a5a36dedd4bea2543c9f0f895fb98ab9159f51fd0297e236d";
/// Another key: it opens nothing.
const WRONG_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
/// The passphrase `rekey` moves the database to.
const NEW_PASSPHRASE: &str = "a new passphrase for the tests";
/// What `EncryptionError::WrongKey` says.
const WRONG_KEY_MESSAGE: &str =
    "wrong key: the key or passphrase given does not unlock this database's keys";
/// A post of the demo's log exchange, stored as its payload: plaintext to look for in the files.
const PLAINTEXT: &str = "the channel to bob is open";

/// The `strata` binary with no key in its environment (and stdin not a terminal: no prompt).
fn strata() -> Command {
    let mut command = common::strata();
    for variable in ["STRATA_KEY", "STRATA_PASSPHRASE", "STRATA_NEW_KEY", "STRATA_NEW_PASSPHRASE"] {
        command.env_remove(variable);
    }
    command
}

/// `strata` with `STRATA_KEY` set.
fn with_key(key: &str) -> Command {
    let mut command = strata();
    command.env("STRATA_KEY", key);
    command
}

/// Every file under `dir` (RocksDB's tables, logs, manifests, options) holding `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle) {
            found.push(path);
        }
    }
    found
}

/// The table files under `dir` that hold the database's columns: all but those of Strata's own
/// registry of columns (its keys start `strata/`), which holds no values.
fn table_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sst"))
        .filter(|path| !std::fs::read(path).unwrap().windows(7).any(|w| w == b"strata/"))
        .collect()
}

/// `strata scan COLUMN --json` (every entry) as run by `command`.
fn scan(mut command: Command, db: &Path, column: &str) -> Vec<Value> {
    let output = command
        .args(["scan", column, "--json", "--limit", "100000", "--db"])
        .arg(db)
        .output()
        .unwrap();
    json_of(&output).as_array().unwrap().clone()
}

/// The (key, value) pairs of scanned entries, in hex.
fn pairs(entries: &[Value]) -> Vec<(String, String)> {
    entries
        .iter()
        .map(|e| {
            let key = e["key_hex"].as_str().unwrap().to_owned();
            let value = e["value_hex"].as_str().unwrap_or_else(|| panic!("no value: {e}"));
            (key, value.to_owned())
        })
        .collect()
}

/// A value as the demo wrote it: (key, value) in hex.
type Pairs = Vec<(String, String)>;

#[test]
fn encrypt_then_read_with_without_and_with_a_wrong_key_then_rekey_with_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    let state = pairs(&scan(strata(), &db, "state"));
    let payloads = pairs(&scan(strata(), &db, "log_payloads"));
    assert_eq!(state.len(), 2 * 16);
    assert!(payloads.iter().any(|(_, value)| value.contains(&hex::encode(PLAINTEXT))));
    // The first context's meta key: the state keys start with their context.
    let meta_key = state[0].0[..64].to_owned();

    encrypt_the_demo(&db);
    read_with_the_key(&db, &state, &payloads, &meta_key);
    read_without_a_key(&db, &state, &meta_key);
    refuse_wrong_keys(&db, &meta_key);
    rekey_with_a_rotation(&db, &state);
    report_a_moved_value(&db, &state);
}

/// `strata encrypt` on the demo's database: refused without a key; then every value sealed and
/// no plaintext left in any file; run again, already done.
fn encrypt_the_demo(db: &Path) {
    let plaintext = PLAINTEXT.as_bytes();
    let holding = files_holding(db, plaintext);
    assert!(!holding.is_empty(), "the demo's files hold {PLAINTEXT:?}");

    // Without a key (and no terminal to ask on), nothing is encrypted.
    strata()
        .arg("encrypt")
        .arg(db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no key given: set STRATA_KEY"));

    let output = with_key(KEY).args(["encrypt", "--json"]).arg(db).output().unwrap();
    let report = json_of(&output);
    assert_eq!(report["already_encrypted"], false);
    assert_eq!(report["compacted"], true);
    assert!(report["sealed"].as_u64().unwrap() > 50_000, "{report}");
    let leftovers = files_holding(db, plaintext);
    assert!(leftovers.is_empty(), "plaintext left in {leftovers:?}");
    // Not just hidden by compression: the files that held it are gone (compaction rewrote them).
    assert!(holding.iter().all(|path| !path.exists()), "{holding:?} survived the encryption");
    // The key itself is nowhere either: the ring holds it wrapped, and no output quotes it.
    assert!(files_holding(db, KEY.as_bytes()).is_empty());
    assert!(!String::from_utf8_lossy(&output.stdout).contains(KEY));

    // Run again: already done.
    with_key(KEY)
        .arg("encrypt")
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("is already encrypted: nothing to do"));
}

/// With the key, every value reads as it was written, and `check` decodes them.
fn read_with_the_key(db: &Path, state: &Pairs, payloads: &Pairs, meta_key: &str) {
    assert_eq!(&pairs(&scan(with_key(KEY), db, "state")), state);
    assert_eq!(&pairs(&scan(with_key(KEY), db, "log_payloads")), payloads);
    with_key(KEY)
        .args(["get", "meta", meta_key, "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("MetaRecord"));
    with_key(KEY)
        .args(["check", "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"))
        .stdout(predicate::str::contains("values not decoded").not());
}

/// Without the key: keys, and each value's size, never its bytes; `stats` and `check` work.
fn read_without_a_key(db: &Path, state: &Pairs, meta_key: &str) {
    let sealed = scan(strata(), db, "state");
    assert_eq!(sealed.len(), state.len());
    for (entry, (key, value)) in sealed.iter().zip(state) {
        assert_eq!(entry["key_hex"], key.as_str());
        assert!(entry.get("value_hex").is_none() && entry.get("value").is_none(), "{entry}");
        // Sealed: the plaintext (`value` is hex: two digits a byte), a nonce, a tag, a version.
        assert!(entry["sealed_bytes"].as_u64().unwrap() > value.len() as u64 / 2, "{entry}");
    }
    strata()
        .args(["scan", "log_payloads", "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("<sealed, "))
        .stdout(predicate::str::contains("no key was given"))
        .stdout(predicate::str::contains(PLAINTEXT).not())
        .stdout(predicate::str::contains(hex::encode(PLAINTEXT)).not());
    strata()
        .args(["get", "meta", meta_key, "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("<sealed, "))
        .stdout(predicate::str::contains("MetaRecord").not());
    // The meta column is not sealed: the versions and the key ring (wrapped) show as they are.
    strata()
        .args(["scan", "strata_versions", "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("encryption key ring"));
    let summary = json_of(&strata().args(["stats", "--json", "--db"]).arg(db).output().unwrap());
    assert_eq!(summary["encrypted"], true);
    let check = json_of(&strata().args(["check", "--json", "--db"]).arg(db).output().unwrap());
    assert_eq!(check["values_decoded"], false);
    assert_eq!(check["problems"].as_array().unwrap().len(), 0, "{check}");
    strata()
        .args(["check", "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout(predicate::str::contains("values not decoded: the database is encrypted"));
}

/// A wrong key opens nothing, and a malformed one is not quoted back.
fn refuse_wrong_keys(db: &Path, meta_key: &str) {
    for args in [&["scan", "state"][..], &["get", "meta", meta_key], &["check"]] {
        with_key(WRONG_KEY)
            .args(args)
            .arg("--db")
            .arg(db)
            .assert()
            .code(3)
            .stderr(format!("error: {WRONG_KEY_MESSAGE}\n"));
    }
    with_key("not hex")
        .args(["scan", "state", "--db"])
        .arg(db)
        .assert()
        .code(4)
        .stderr("error: STRATA_KEY is not a valid key: it must be 64 hex digits (32 bytes)\n");
}

/// `strata rekey --rotate` to a passphrase: the old key is refused, the new one reads, and the
/// files that held the old key ring and values are gone; run again, nothing to do.
fn rekey_with_a_rotation(db: &Path, state: &Pairs) {
    // What rekeying replaces: the key ring wrapped under the old key, and the values sealed under
    // the old value key. Compaction writes Zstandard at the bottommost level, where bytes do not
    // show as they are, so the table files holding them are followed instead: the rotation
    // rewrites every value (and the key change the ring), so none of them may stay.
    let tables_before = table_files(db);
    assert!(!tables_before.is_empty());

    let rekey = || {
        let mut command = with_key(KEY);
        command.env("STRATA_NEW_PASSPHRASE", NEW_PASSPHRASE).args(["rekey", "--rotate", "--json"]);
        command.arg(db).output().unwrap()
    };
    let report = json_of(&rekey());
    assert_eq!(report["unlock_key_changed"], true);
    assert_eq!(report["rotation"]["key_version_before"], 1);
    assert_eq!(report["rotation"]["key_version_after"], 2);
    assert!(report["rotation"]["resealed"].as_u64().unwrap() > 50_000, "{report}");
    assert_eq!(report["rotation"]["left_tampered"], 0);

    with_key(KEY)
        .args(["scan", "state", "--db"])
        .arg(db)
        .assert()
        .code(3)
        .stderr(format!("error: {WRONG_KEY_MESSAGE}\n"));
    let mut new = strata();
    new.env("STRATA_PASSPHRASE", NEW_PASSPHRASE);
    assert_eq!(&pairs(&scan(new, db, "state")), state);
    assert!(files_holding(db, PLAINTEXT.as_bytes()).is_empty());
    assert!(files_holding(db, NEW_PASSPHRASE.as_bytes()).is_empty());
    let kept: Vec<&PathBuf> = tables_before.iter().filter(|path| path.exists()).collect();
    assert!(kept.is_empty(), "{kept:?} survived the rekey");

    // Run again: the new key opens it already, and nothing changes.
    let again = json_of(&rekey());
    assert_eq!(again["already_rekeyed"], true);
    assert!(again["rotation"].is_null());
}

/// A sealed value moved to another key is that entry's error: `scan` shows the rest and fails
/// with exit code 5, `check` reports it, `get` of it fails.
fn report_a_moved_value(db: &Path, state: &Pairs) {
    let raw = RocksDb::open_existing(&RocksConfig::new(db)).unwrap();
    let column = raw.columns().into_iter().find(|c| c.name() == "state").unwrap();
    let first = hex::decode(&state[0].0).unwrap();
    let second = hex::decode(&state[1].0).unwrap();
    let moved = raw.get(column, &first).unwrap().unwrap().into_vec();
    raw.put(column, &second, &moved).unwrap();
    drop(raw);
    let unlocked = || {
        let mut command = strata();
        command.env("STRATA_PASSPHRASE", NEW_PASSPHRASE);
        command
    };

    let output = unlocked()
        .args(["scan", "state", "--json", "--limit", "1000", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", String::from_utf8_lossy(&output.stderr));
    let entries: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(entries.len(), state.len());
    assert_eq!(entries[1]["key_hex"], state[1].0.as_str());
    assert_eq!(entries[1]["error"], "failed authentication (tampered)");
    assert_eq!(pairs(&[entries[0].clone()]), state[..1]);
    assert_eq!(pairs(&entries[2..]), state[2..]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 value(s) failed authentication"));

    let output = unlocked().args(["check", "--json", "--db"]).arg(db).output().unwrap();
    assert_eq!(output.status.code(), Some(5));
    let check: Value = serde_json::from_slice(&output.stdout).unwrap();
    let problems = check["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["key_hex"], state[1].0.as_str());
    assert!(problems[0]["problem"].as_str().unwrap().contains("failed authentication"));

    unlocked()
        .args(["get", "state", &state[1].0, "--db"])
        .arg(db)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("failed authentication"));
}

#[test]
fn an_interrupted_encryption_is_refused_until_run_again_which_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    let state = pairs(&scan(strata(), &db, "state"));

    // A conversion stopped after its first committed batch (as if the process were killed).
    let raw = RocksDb::open_existing(&RocksConfig::new(&db)).unwrap();
    let columns: Vec<Column> = raw.columns().into_iter().filter(|c| *c != VERSIONS).collect();
    let key = UnlockKey::from_bytes(hex::decode(KEY).unwrap().try_into().unwrap());
    let options = ResealOptions { batch_keys: 1000, ..ResealOptions::default() };
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Encrypted::encrypt_existing(Store::new(raw), &key, &columns, options, |_| {
            panic!("stopped after the first batch")
        })
        .map(|_| ())
    }));
    assert!(stopped.is_err());

    with_key(KEY).args(["scan", "state", "--db"]).arg(&db).assert().code(3).stderr(
        predicate::str::contains("interrupted").and(predicate::str::contains("strata encrypt")),
    );
    let output = with_key(KEY).args(["encrypt", "--json"]).arg(&db).output().unwrap();
    let report = json_of(&output);
    assert_eq!(report["resumed"], true, "{report}");
    assert_eq!(pairs(&scan(with_key(KEY), &db, "state")), state);
    assert!(files_holding(&db, PLAINTEXT.as_bytes()).is_empty());

    // The library says the same of a finished one.
    let raw = RocksDb::open_existing(&RocksConfig::new(&db)).unwrap();
    let again = Encrypted::encrypt_existing(Store::new(raw), &key, &columns, options, |_| {});
    assert!(matches!(again, Err(EncryptionError::AlreadyEncrypted)));
}

#[test]
fn rekey_refuses_a_plaintext_database_and_missing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let column = strata::Column::new("custom");
    let raw = RocksDb::open(&RocksConfig::new(&db), &[column]).unwrap();
    raw.put(column, b"k", b"plain value").unwrap();
    drop(raw);
    with_key(KEY)
        .env("STRATA_NEW_KEY", WRONG_KEY)
        .arg("rekey")
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("the database is not encrypted"));
    // A database written before versions were recorded gets the meta column for its key ring.
    with_key(KEY).arg("encrypt").arg(&db).assert().success();
    strata()
        .args(["scan", "custom", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("<sealed, "));
    with_key(KEY)
        .args(["get", "custom", "6b", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains(hex::encode("plain value")));
    with_key(KEY)
        .arg("rekey")
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no key given: set STRATA_NEW_KEY"));
    with_key(KEY)
        .env("STRATA_PASSPHRASE", "both")
        .args(["scan", "custom", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("STRATA_PASSPHRASE is set too"));
    // Rekeyed to a new key without rotating: the old key is refused, the new one reads.
    with_key(KEY).env("STRATA_NEW_KEY", WRONG_KEY).arg("rekey").arg(&db).assert().success();
    with_key(KEY).args(["scan", "custom", "--db"]).arg(&db).assert().code(3);
    with_key(WRONG_KEY)
        .args(["scan", "custom", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains(hex::encode("plain value")));
}

#[test]
fn the_demo_keeps_secrets_in_an_encrypted_database() {
    let dir = tempfile::tempdir().unwrap();
    let (_, summary) = demo(&dir);
    let encryption = &summary["encryption"];
    assert_eq!(encryption["verification"], "passed");
    assert_eq!(encryption["read_back_equal"], 3);
    assert_eq!(encryption["plaintext_visible_underneath"], 0);
    assert!(encryption["tampered"]["error"].as_str().unwrap().contains("failed authentication"));
    assert_eq!(encryption["rotation"]["resealed"], 3);
    assert_eq!(encryption["rotation"]["left_tampered"], 1);
    assert_eq!(encryption["rotation"]["key_version_after"], 2);
    assert_eq!(encryption["rotation"]["read_back_equal"], 3);
    assert_eq!(encryption["wrong_key_refused"], WRONG_KEY_MESSAGE);
    for part in ["create_ms", "write_ms", "read_ms", "rotate_ms"] {
        assert!(encryption["timings"][part].is_f64(), "{encryption}");
    }
}

/// `strata kv`, `strata log`, `strata views`, `strata copy` and `strata migrate` on the demo's
/// database once encrypted: with the key, values read as plaintext and writes are sealed;
/// without it, a clear error; a wrong key opens nothing; a copy of the directory opens with
/// the same key.
#[test]
fn kv_log_views_copy_and_migrate_work_through_the_encryption() {
    const SECRET: &str = "a monitor that must not show";
    const WRITTEN: &str = "written once encrypted";
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = demo(&dir);
    strata()
        .args(["kv", "put", "secrets", "", "chan_1", SECRET, "--db"])
        .arg(&db)
        .assert()
        .success();
    let authors =
        json_of(&strata().args(["log", "authors", "--json", "--db"]).arg(&db).output().unwrap());
    let views = json_of(&strata().args(["views", "--json", "--db"]).arg(&db).output().unwrap());
    with_key(KEY).arg("encrypt").arg(&db).assert().success();
    assert!(files_holding(&db, SECRET.as_bytes()).is_empty());

    // kv: plaintext with the key; refused without one or with a wrong one.
    let kv_get = |mut command: Command, db: &Path, key: &str| {
        command.args(["kv", "get", "secrets", "", key, "--db"]).arg(db).assert()
    };
    kv_get(with_key(KEY), &db, "chan_1").success().stdout(SECRET);
    kv_get(strata(), &db, "chan_1")
        .code(4)
        .stderr(predicate::str::contains("no key given: set STRATA_KEY"));
    kv_get(with_key(WRONG_KEY), &db, "chan_1")
        .code(3)
        .stderr(format!("error: {WRONG_KEY_MESSAGE}\n"));
    with_key(KEY)
        .args(["kv", "ls", "secrets", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout("chan_1\n");
    // A write with the key is sealed, and reads back.
    with_key(KEY)
        .args(["kv", "put", "secrets", "", "chan_2", WRITTEN, "--db"])
        .arg(&db)
        .assert()
        .success();
    strata().args(["kv", "put", "secrets", "", "chan_3", "x", "--db"]).arg(&db).assert().code(4);
    kv_get(with_key(KEY), &db, "chan_2").success().stdout(WRITTEN);
    let sealed = scan(strata(), &db, "kv_entries");
    assert!(sealed.iter().all(|e| e.get("value_hex").is_none()), "{sealed:?}");
    assert!(sealed.len() > 2, "{sealed:?}");
    assert!(files_holding(&db, WRITTEN.as_bytes()).is_empty(), "a write left plaintext");
    with_key(KEY).args(["check", "--db"]).arg(&db).assert().success();

    // log: the same authors and logs, the payloads in the clear, the chains whole.
    let log = |args: &[&str]| {
        json_of(
            &with_key(KEY)
                .arg("log")
                .args(args)
                .args(["--json", "--db"])
                .arg(&db)
                .output()
                .unwrap(),
        )
    };
    assert_eq!(log(&["authors"]), authors);
    let first = &authors["authors"][0];
    let log_id = first["logs"][0]["log"].to_string();
    let shown = log(&["show", first["author"].as_str().unwrap(), &log_id]);
    let text = shown.to_string();
    assert!(text.contains("payload") && !text.contains("sealed"), "{shown}");
    with_key(KEY).args(["log", "verify", "--db"]).arg(&db).assert().success();
    strata().args(["log", "authors", "--db"]).arg(&db).assert().code(4);
    with_key(WRONG_KEY).args(["log", "authors", "--db"]).arg(&db).assert().code(3);

    // views: listed and rebuilt through the encryption.
    let listed =
        json_of(&with_key(KEY).args(["views", "--json", "--db"]).arg(&db).output().unwrap());
    assert_eq!(listed, views);
    with_key(KEY).args(["views", "rebuild", "settings", "--db"]).arg(&db).assert().success();
    strata().args(["views", "--db"]).arg(&db).assert().code(4);
    with_key(KEY).args(["check", "--db"]).arg(&db).assert().success();

    // copy: sealed bytes copied as they are; the copy opens with the same key, and no other.
    let copy = dir.path().join("copy");
    strata().arg("copy").arg(&db).arg(&copy).assert().success();
    assert_eq!(
        pairs(&scan(with_key(KEY), &copy, "state")),
        pairs(&scan(with_key(KEY), &db, "state"))
    );
    kv_get(with_key(KEY), &copy, "chan_2").success().stdout(WRITTEN);
    kv_get(with_key(WRONG_KEY), &copy, "chan_2").code(3);
    let summary = json_of(&strata().args(["stats", "--json", "--db"]).arg(&copy).output().unwrap());
    assert_eq!(summary["encrypted"], true);

    // migrate: with the key, through the encryption (the demo's database is up to date);
    // without it, or with a wrong one, refused before anything is written.
    let report =
        json_of(&with_key(KEY).args(["migrate", "--json", "--db"]).arg(&db).output().unwrap());
    assert_eq!(report["steps"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(report["versions"]["ledger"], 3);
    with_key(KEY).args(["migrate", "--dry-run", "--db"]).arg(&db).assert().success();
    strata()
        .args(["migrate", "--db"])
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no key given"));
    with_key(WRONG_KEY).args(["migrate", "--db"]).arg(&db).assert().code(3);
    kv_get(with_key(KEY), &db, "chan_1").success().stdout(SECRET);
}
