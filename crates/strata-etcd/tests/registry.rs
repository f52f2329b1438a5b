//! The column registry each root keeps: `open_existing` finds a database's columns and prefix
//! lengths without its schema, a column cannot be reopened with another prefix length, roots do
//! not see each other's columns, and handles opening at once agree.

use strata_core::{Column, Database};
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb, EtcdSnapshot, OpenError};

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
fn keys_outside_every_recorded_column_are_counted_at_one_revision() {
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "stray");
    let db = EtcdDb::open(&config, &[STATE, META]).unwrap();
    db.put(STATE, b"ctx1key", b"v").unwrap();
    assert_eq!(db.unaccounted_keys().unwrap(), 0);
    // Data of a column never recorded (written by hand), and a snapshot taken before it.
    let before = EtcdSnapshot::new(&db).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut kv = db.client().kv_client();
    for key in [&b"stray\0ghost\0a"[..], b"stray\0ghost\0b"] {
        runtime.block_on(kv.put(key.to_vec(), b"x".to_vec(), None)).unwrap();
    }
    assert_eq!(db.unaccounted_keys().unwrap(), 2);
    assert_eq!(EtcdSnapshot::new(&db).unwrap().unaccounted_keys().unwrap(), 2);
    assert_eq!(before.unaccounted_keys().unwrap(), 0, "the snapshot counts at its revision");
    assert_eq!(before.count_entries(STATE).unwrap(), 1);
    // A handle opened with fewer columns counts the others' data as unaccounted too.
    let narrow = EtcdDb::open(&config, &[META]).unwrap();
    assert_eq!(narrow.unaccounted_keys().unwrap(), 3);
    assert_eq!(narrow.stored_keys().unwrap(), 5, "two records and three entries");
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
fn handles_opening_at_once_with_conflicting_prefix_lengths_leave_one_winner() {
    const NAMES: [&str; 8] = ["own0", "own1", "own2", "own3", "own4", "own5", "own6", "own7"];
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "race");
    let barrier = std::sync::Barrier::new(NAMES.len());
    // Handle n declares its own column and `shared`, with prefix length n + 1 for both.
    let outcomes: Vec<Result<(), OpenError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..NAMES.len())
            .map(|n| {
                let (config, barrier) = (&config, &barrier);
                scope.spawn(move || {
                    let columns = [
                        Column::new(NAMES[n]).with_prefix_len(n + 1),
                        Column::new("shared").with_prefix_len(n + 1),
                    ];
                    barrier.wait();
                    EtcdDb::open(config, &columns).map(drop)
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let winners: Vec<usize> = (0..NAMES.len()).filter(|n| outcomes[*n].is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one handle records `shared`: {outcomes:?}");
    let winner = winners[0];
    for (n, outcome) in outcomes.iter().enumerate().filter(|(n, _)| *n != winner) {
        assert!(
            matches!(
                outcome,
                Err(OpenError::PrefixMismatch { column, recorded, declared })
                    if column == "shared" && *recorded == Some(winner + 1)
                        && *declared == Some(n + 1)
            ),
            "handle {n}: {outcome:?}"
        );
    }
    // A loser records nothing, not even its own column: each handle's records land together.
    let db = EtcdDb::open_existing(&config).unwrap();
    let found: Vec<(&str, Option<usize>)> =
        db.columns().iter().map(|c| (c.name(), c.prefix_len())).collect();
    assert_eq!(found, [(NAMES[winner], Some(winner + 1)), ("shared", Some(winner + 1))]);
}
