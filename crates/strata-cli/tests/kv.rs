//! `strata kv` as a user runs it: the KV store's values by address, and moving an LDK
//! `FilesystemStore` in and out with LDK's real store on the other side.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use lightning::util::persist::{KVStoreSync, MigratableKVStore};
use lightning_persister::fs_store::FilesystemStore;
use predicates::prelude::*;
use strata::Database;
use strata::rocksdb::{RocksConfig, RocksDb};

fn strata() -> Command {
    Command::cargo_bin("strata").expect("the strata binary is built")
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every (address → value) of a `FilesystemStore`, read through LDK's own store.
fn fs_contents(dir: &Path) -> BTreeMap<(String, String, String), Vec<u8>> {
    let store = FilesystemStore::new(dir.to_owned());
    store
        .list_all_keys()
        .unwrap()
        .into_iter()
        .map(|(p, s, k)| {
            let value = KVStoreSync::read(&store, &p, &s, &k).unwrap();
            ((p, s, k), value)
        })
        .collect()
}

/// Writes four values through `kv put`, each way a value can be given; creates the database.
fn put_sample(db: &Path) {
    // `put` creates the database; the value comes from the argument, stdin or hex.
    strata()
        .args(["kv", "put", "monitors", "", "chan_1", "monitor one", "--db"])
        .arg(db)
        .assert()
        .success()
        .stdout("wrote 11 bytes at monitors//chan_1\n");
    strata()
        .args(["kv", "put", "monitors", "", "chan_0", "--db"])
        .arg(db)
        .write_stdin(&b"\x00\xffbinary\n"[..])
        .assert()
        .success();
    strata()
        .args(["kv", "put", "", "", "manager", "-", "--db"])
        .arg(db)
        .write_stdin("manager bytes")
        .assert()
        .success();
    let output = strata()
        .args(["kv", "put", "monitor_updates", "chan_1", "1", "0a0b", "--hex", "--json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    let json = json_of(&output);
    assert_eq!(json["bytes"], 2);
    assert_eq!(json["written"]["secondary"], "chan_1");
}

#[test]
fn put_get_ls_rm_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    put_sample(&db);

    // Raw bytes to stdout, exactly; hex with --hex; both with --json.
    strata()
        .args(["kv", "get", "monitors", "", "chan_0", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(&b"\x00\xffbinary\n"[..]);
    strata()
        .args(["kv", "get", "monitor_updates", "chan_1", "1", "--hex", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout("0a0b\n");
    let json = json_of(
        &strata()
            .args(["kv", "get", "", "", "manager", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap(),
    );
    assert_eq!(json["len"], 13);
    assert_eq!(json["value_hex"], hex::encode("manager bytes"));

    // One namespace's keys, sorted, one per line; every namespace with counts.
    strata()
        .args(["kv", "ls", "monitors", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout("chan_0\nchan_1\n");
    let json = json_of(
        &strata().args(["kv", "ls", "monitors", "", "--json", "--db"]).arg(&db).output().unwrap(),
    );
    assert_eq!(json["keys"], serde_json::json!(["chan_0", "chan_1"]));
    let json =
        json_of(&strata().args(["kv", "ls", "--all", "--json", "--db"]).arg(&db).output().unwrap());
    assert_eq!(json["keys"], 4);
    assert_eq!(
        json["namespaces"],
        serde_json::json!([
            { "primary": "", "secondary": "", "keys": 1 },
            { "primary": "monitor_updates", "secondary": "chan_1", "keys": 1 },
            { "primary": "monitors", "secondary": "", "keys": 2 },
        ])
    );
    assert_eq!(
        json["addresses"][0],
        serde_json::json!({ "primary": "", "secondary": "", "key": "manager" })
    );
    strata()
        .args(["kv", "ls", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("monitor_updates"))
        .stdout(predicate::str::contains("4 key(s) in 3 namespace(s)"));

    // Removing: eager, lazy, and an absent key (not an error).
    strata()
        .args(["kv", "rm", "monitors", "", "chan_0", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout("removed monitors//chan_0\n");
    let json = json_of(
        &strata()
            .args(["kv", "rm", "monitors", "", "chan_1", "--lazy", "--json", "--db"])
            .arg(&db)
            .output()
            .unwrap(),
    );
    assert_eq!((json["existed"].as_bool(), json["lazy"].as_bool()), (Some(true), Some(true)));
    strata()
        .args(["kv", "rm", "monitors", "", "chan_0", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to remove"));
    strata().args(["kv", "ls", "monitors", "--db"]).arg(&db).assert().success().stdout("");

    // The inspector decodes the KV columns through the KV schema's descriptor.
    strata()
        .args(["scan", "kv_entries", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("EntryKey { namespace: "))
        .stdout(predicate::str::contains("StoredValue { created: "));
    strata()
        .args(["check", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("no problems"));
}

#[test]
fn a_missing_key_and_bad_names_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    strata().args(["kv", "put", "p", "", "k", "v", "--db"]).arg(&db).assert().success();
    strata()
        .args(["kv", "get", "p", "", "absent", "--db"])
        .arg(&db)
        .assert()
        .code(6)
        .stdout("")
        .stderr("error: no value at \"p\"/\"\"/\"absent\"\n");
    let long_key = "k".repeat(121);
    let refused: [(&[&str], i32, &str); 5] = [
        (&["kv", "get", "nowhere", "s", "k", "--hex"], 6, "no value at"),
        (&["kv", "put", "a/b", "", "k", "v"], 4, "invalid primary namespace \"a/b\""),
        (&["kv", "put", "", "s", "k", "v"], 4, "needs a non-empty primary namespace"),
        (&["kv", "get", "p", "", &long_key], 4, "invalid key"),
        (&["kv", "put", "p", "", "k", "zz", "--hex"], 4, "not valid hex"),
    ];
    for (args, code, message) in refused {
        strata()
            .args(args)
            .arg("--db")
            .arg(&db)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("panicked").not());
    }
    // Reading a database that does not exist is an open error; `rm` creates nothing.
    for args in [&["kv", "ls"][..], &["kv", "rm", "p", "", "k"]] {
        strata().args(args).arg("--db").arg(dir.path().join("missing")).assert().code(3);
    }
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn a_database_without_kv_columns_says_so_and_takes_kv_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let custom = strata::Column::new("custom").with_prefix_len(2);
    let raw = RocksDb::open(&RocksConfig::new(&db), &[custom]).unwrap();
    raw.put(custom, b"\x01\x02key", b"value").unwrap();
    drop(raw);

    for args in [&["kv", "ls"][..], &["kv", "ls", "monitors"], &["kv", "get", "p", "", "k"]] {
        strata()
            .args(args)
            .arg("--db")
            .arg(&db)
            .assert()
            .code(6)
            .stderr(predicate::str::contains("holds no KV data"))
            .stderr(predicate::str::contains("panicked").not());
    }
    strata()
        .args(["kv", "export"])
        .arg(dir.path().join("out"))
        .arg("--db")
        .arg(&db)
        .assert()
        .code(6);
    // A write adds the KV columns beside the existing ones, which keep their data and options.
    strata().args(["kv", "put", "p", "", "k", "v", "--db"]).arg(&db).assert().success();
    strata().args(["kv", "get", "p", "", "k", "--db"]).arg(&db).assert().success().stdout("v");
    strata()
        .args(["scan", "custom", "--prefix", "0102", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("76616c7565"));
    let reopened = RocksDb::open_existing(&RocksConfig::new(&db)).unwrap();
    let names: Vec<&str> = reopened.columns().iter().map(strata::Column::name).collect();
    assert_eq!(names, ["custom", "kv_created", "kv_entries", "kv_meta", "kv_namespaces"]);
    let custom = reopened.columns()[0];
    assert_eq!(custom.prefix_len(), Some(2));
}

/// Writes a store with LDK's own `FilesystemStore`: the empty primary namespace, a secondary
/// namespace, names of the longest length LDK allows, an empty value, a large one, and enough
/// keys for several import batches.
fn write_filesystem_store(dir: &Path) -> usize {
    let store = FilesystemStore::new(dir.to_owned());
    let long = |c: &str| c.repeat(120);
    let mut written = 0;
    let mut write = |p: &str, s: &str, k: &str, value: Vec<u8>| {
        KVStoreSync::write(&store, p, s, k, value).unwrap();
        written += 1;
    };
    write("", "", "manager", b"channel manager".to_vec());
    write("", "", "network_graph", (0..=255).collect());
    write("", "", "empty", Vec::new());
    write("monitors", "", "chan_1", vec![7; 200_000]);
    write("monitor_updates", "chan_1", "1", b"update 1".to_vec());
    write("monitor_updates", "chan_1", "2", b"update 2".to_vec());
    write(&long("p"), &long("s"), &long("k"), b"longest names".to_vec());
    write(&long("P"), "", &long("K"), b"long primary".to_vec());
    write("", "", &long("r"), b"long root key".to_vec());
    for i in 0..1100 {
        write("payments", "", &format!("payment_{i:04}"), format!("payment {i}").into_bytes());
    }
    written
}

#[test]
fn import_and_export_move_a_filesystem_store_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("ldk");
    let written = write_filesystem_store(&source);
    // The store's own leftovers are skipped, as LDK skips them.
    std::fs::write(source.join("monitors").join("chan_9.tmp"), b"partial").unwrap();
    let expected = fs_contents(&source);
    assert_eq!(expected.len(), written);

    // Into an existing database of another schema, beside its data.
    let db = dir.path().join("db");
    let custom = strata::Column::new("custom");
    let raw = RocksDb::open(&RocksConfig::new(&db), &[custom]).unwrap();
    raw.put(custom, b"k", b"v").unwrap();
    drop(raw);
    let json = json_of(
        &strata()
            .args(["kv", "import"])
            .arg(&source)
            .arg("--json")
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap(),
    );
    assert_eq!(json["keys"], written);
    assert_eq!(json["verified"], written);
    assert_eq!(json["mismatches"], 0);
    let bytes: usize = expected.values().map(Vec::len).sum();
    assert_eq!(json["bytes"], bytes);
    assert_eq!(json["batches"], written.div_ceil(1000));

    // Values read back through `kv get`, byte for byte (every one but most payments: each
    // `kv get` is a process; the import's own verification compared every key).
    let sampled = expected.iter().filter(|((p, _, k), _)| p != "payments" || k.ends_with("00"));
    for ((p, s, k), value) in sampled {
        strata()
            .args(["kv", "get", p, s, k, "--db"])
            .arg(&db)
            .assert()
            .success()
            .stdout(value.clone());
    }
    let json = json_of(&strata().args(["kv", "ls", "--json", "--db"]).arg(&db).output().unwrap());
    assert_eq!(json["keys"], written);
    strata()
        .args(["kv", "ls", "", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(format!("empty\nmanager\nnetwork_graph\n{}\n", "r".repeat(120)));

    // Back out to a new FilesystemStore: LDK's store reads the same keys and values, and every
    // file holds the same bytes as the original.
    let exported = dir.path().join("exported");
    strata()
        .args(["kv", "export"])
        .arg(&exported)
        .arg("--db")
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("exported {written} keys")))
        .stdout(predicate::str::contains(format!(
            "verified {written} of {written} keys byte for byte on both sides: 0 mismatch(es)"
        )));
    assert_eq!(fs_contents(&exported), expected);
    for (p, s, k) in expected.keys() {
        let relative: std::path::PathBuf =
            [p, s, k].into_iter().filter(|part| !part.is_empty()).collect();
        assert_eq!(
            std::fs::read(source.join(&relative)).unwrap(),
            std::fs::read(exported.join(&relative)).unwrap(),
            "{}",
            relative.display()
        );
    }
    // An export never writes into a directory that holds something.
    strata()
        .args(["kv", "export"])
        .arg(&exported)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("is not empty"));
    // The other schema's data is untouched, and everything decodes.
    strata().args(["get", "custom", "6b", "--db"]).arg(&db).assert().success();
    strata().args(["check", "--db"]).arg(&db).assert().success();
}

#[test]
fn import_refuses_what_is_not_a_filesystem_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    strata()
        .args(["kv", "import"])
        .arg(dir.path().join("missing"))
        .arg("--db")
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("is not a directory"));
    let source = dir.path().join("ldk");
    let store = FilesystemStore::new(source.clone());
    KVStoreSync::write(&store, "monitors", "", "chan_1", b"m".to_vec()).unwrap();
    std::fs::write(source.join("README.md"), b"not a key").unwrap();
    strata()
        .args(["kv", "import"])
        .arg(&source)
        .arg("--db")
        .arg(&db)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("README.md"))
        .stderr(predicate::str::contains("nothing was imported"))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!db.exists(), "nothing was written");
}

#[test]
fn the_demo_persists_lightning_state_beside_the_node_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let output = strata()
        .args(["demo", "--contexts", "2", "--calls", "10", "--no-etcd", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let json = json_of(&output);
    let kv = &json["kv"];
    assert_eq!(kv["verification"], "passed");
    assert_eq!(kv["batch_keys"], 4);
    assert_eq!(kv["monitors_listed"].as_array().unwrap().len(), 3);
    let pages: Vec<usize> =
        kv["pages"].as_array().unwrap().iter().map(|p| p.as_array().unwrap().len()).collect();
    assert_eq!(pages, [2, 1]);
    let archived = kv["archived_monitor"].as_str().unwrap();
    assert_eq!(json["keys_per_column"]["kv_entries"], 5);

    // What the demo left is there for the kv commands and the inspector.
    let listed = json_of(
        &strata().args(["kv", "ls", "monitors", "--json", "--db"]).arg(&db).output().unwrap(),
    );
    let monitors = listed["keys"].as_array().unwrap();
    assert_eq!(monitors.len(), 2);
    assert!(!monitors.iter().any(|m| m == archived));
    strata()
        .args(["kv", "get", "archived_monitors", "", archived, "--db"])
        .arg(&db)
        .assert()
        .success();
    strata().args(["kv", "get", "", "", "manager", "--db"]).arg(&db).assert().success();
    strata().args(["check", "--db"]).arg(&db).assert().success();

    strata()
        .args(["demo", "--contexts", "2", "--calls", "10", "--reset", "--no-etcd", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("LDK persistence through the KV store"))
        .stdout(predicate::str::contains("one atomic write_batch"))
        .stdout(predicate::str::contains("reopened: every blob re-read byte for byte"))
        .stdout(predicate::str::contains("strata kv ls --db"));
}
