//! The column registry each root keeps: `open_existing` finds a database's columns and prefix
//! lengths without its schema, a column cannot be reopened with another prefix length, roots do
//! not see each other's columns, and handles opening at once agree.

use strata_core::{Column, Database};
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb, OpenError};

const STATE: Column = Column::new("state").with_prefix_len(4);
const META: Column = Column::new("meta");

fn start() -> (tempfile::TempDir, Cluster) {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 1).expect("start an etcd member");
    (dir, cluster)
}

#[test]
fn open_existing_finds_every_column_with_its_prefix_length() {
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "node");
    let db = EtcdDb::open(&config, &[STATE, META]).unwrap();
    db.put(STATE, b"ctx1key", b"v").unwrap();
    assert_eq!(db.stored_keys().unwrap(), 3, "two records and one entry");
    drop(db);

    let db = EtcdDb::open_existing(&config).unwrap();
    let columns: Vec<(&str, Option<usize>)> =
        db.columns().iter().map(|c| (c.name(), c.prefix_len())).collect();
    assert_eq!(columns, [("meta", None), ("state", Some(4))]);
    assert_eq!(db.get(STATE, b"ctx1key").unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(db.count_entries(STATE).unwrap(), 1);
    assert_eq!(db.count_entries(META).unwrap(), 0);
    assert_eq!(
        db.recorded_columns().unwrap(),
        [("meta".to_owned(), None), ("state".to_owned(), Some(4))]
    );

    // Reopening with one more column records it; the others stay.
    let extra = Column::new("extra");
    drop(EtcdDb::open(&config, &[extra]).unwrap());
    let names: Vec<&str> =
        EtcdDb::open_existing(&config).unwrap().columns().iter().map(Column::name).collect();
    assert_eq!(names, ["extra", "meta", "state"]);
}

#[test]
fn another_prefix_length_is_refused_and_roots_are_separate() {
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "a");
    drop(EtcdDb::open(&config, &[STATE]).unwrap());

    let error = EtcdDb::open(&config, &[Column::new("state").with_prefix_len(8)]).unwrap_err();
    assert!(
        matches!(
            &error,
            OpenError::PrefixMismatch { column, recorded: Some(4), declared: Some(8) }
                if column == "state"
        ),
        "{error}"
    );
    let error = EtcdDb::open(&config, &[Column::new("state")]).unwrap_err();
    assert!(matches!(error, OpenError::PrefixMismatch { declared: None, .. }), "{error}");

    // A root that shares a leading string sees none of it, and an unused root holds nothing.
    let other = EtcdConfig::new(cluster.endpoints(), "ab");
    let error = EtcdDb::open_existing(&other).unwrap_err();
    assert!(matches!(&error, OpenError::Missing { root } if root == "ab"), "{error}");
    let db = EtcdDb::open(&other, &[Column::new("state").with_prefix_len(8)]).unwrap();
    assert_eq!(db.stored_keys().unwrap(), 1);
    let names: Vec<&str> =
        EtcdDb::open_existing(&config).unwrap().columns().iter().map(Column::name).collect();
    assert_eq!(names, ["state"]);
}

#[test]
fn an_unreadable_record_is_a_typed_error() {
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "broken");
    let db = EtcdDb::open(&config, &[META]).unwrap();
    let client = db.client().clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime
        .block_on(client.kv_client().put(b"broken\0\0meta".to_vec(), b"garbage".to_vec(), None))
        .unwrap();
    drop(db);
    let error = EtcdDb::open(&config, &[META]).unwrap_err();
    assert!(matches!(&error, OpenError::Registry { root, .. } if root == "broken"), "{error}");
    assert!(error.to_string().contains("garbage"), "{error}");
}

#[test]
fn handles_opening_at_once_agree_on_the_registry() {
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "race");
    let columns: Vec<Column> = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]
        .into_iter()
        .enumerate()
        .map(|(n, name)| Column::new(name).with_prefix_len(n + 1))
        .collect();
    std::thread::scope(|scope| {
        for first in 0..5 {
            let (config, columns) = (&config, &columns);
            scope.spawn(move || {
                // Each handle declares an overlapping half of the columns.
                EtcdDb::open(config, &columns[first..first + 4]).expect("open");
            });
        }
    });
    let db = EtcdDb::open_existing(&config).unwrap();
    let found: Vec<(&str, Option<usize>)> =
        db.columns().iter().map(|c| (c.name(), c.prefix_len())).collect();
    let expected: Vec<(&str, Option<usize>)> =
        columns.iter().map(|c| (c.name(), c.prefix_len())).collect();
    assert_eq!(found, expected);
}
