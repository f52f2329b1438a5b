//! The conformance suite, the model test and every layer stack's model and fault tests on a
//! real three-member etcd cluster (started by the test binary), with pages of 7 entries so
//! that scans cross many page boundaries.

mod common;

strata_testkit::conformance!(common::EtcdHarness::default(), fault_workloads = 2);

/// A snapshot reads every column at the revision it pinned — gets, `get_many` and cursors, both
/// ways — whatever is written after, and refuses writes.
#[test]
fn a_snapshot_reads_every_column_at_one_revision() {
    use strata_core::{Column, Cursor, Database, KeyRange, Transaction};
    use strata_etcd::{EtcdDb, EtcdSnapshot};

    const A: Column = Column::new("a");
    const B: Column = Column::new("b");
    let db = EtcdDb::open(&common::config(), &[A, B]).unwrap();
    let mut before = Transaction::new();
    for n in 0..20_u8 {
        before.put(A, [n], [n]);
        before.put(B, [n], [n, n]);
    }
    db.apply(&before).unwrap();
    let snapshot = EtcdSnapshot::new(&db).unwrap();
    let mut after = Transaction::new();
    for n in 0..20_u8 {
        after.put(A, [n], b"changed");
        after.delete(B, [n]);
    }
    after.put(A, [200], b"new");
    db.apply(&after).unwrap();

    assert_eq!(snapshot.get(A, &[3]).unwrap().as_deref(), Some(&[3][..]));
    assert_eq!(snapshot.get(A, &[200]).unwrap(), None);
    let many = snapshot.get_many(B, &[&[1], &[19], &[200]]).unwrap();
    let many: Vec<Option<Vec<u8>>> =
        many.iter().map(|v| v.as_deref().map(<[u8]>::to_vec)).collect();
    assert_eq!(many, [Some(vec![1, 1]), Some(vec![19, 19]), None]);
    for column in [A, B] {
        let mut cursor = snapshot.cursor(column, &KeyRange::all()).unwrap();
        let (mut forward, mut backward) = (Vec::new(), Vec::new());
        cursor.seek_to_first();
        while let Some(key) = cursor.key() {
            forward.push(key[0]);
            cursor.next();
        }
        cursor.status().unwrap();
        cursor.seek_to_last();
        while let Some(key) = cursor.key() {
            backward.push(key[0]);
            cursor.prev();
        }
        backward.reverse();
        assert_eq!(forward, (0..20).collect::<Vec<u8>>(), "{}", column.name());
        assert_eq!(backward, forward);
    }
    assert!(snapshot.put(A, b"k", b"v").is_err());
    assert!(snapshot.apply(&before).is_err());
    // The database itself reads the present.
    assert_eq!(db.get(B, &[3]).unwrap(), None);
    assert_eq!(db.get(A, &[200]).unwrap().as_deref(), Some(&b"new"[..]));
}

/// Called from inside another async runtime — a current-thread one, whose only thread the call
/// blocks, and a task of a multi-thread one — every call completes (the request runs on the
/// backend's own workers), and dropping the handle there does not panic.
#[test]
fn calls_from_inside_another_runtime_do_not_deadlock() {
    use strata_core::{Column, Database, ReadLayer, Store};
    use strata_etcd::EtcdDb;

    const C: Column = Column::new("c");
    let config = common::config();
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    current.block_on(async {
        let db = EtcdDb::open(&config, &[C]).unwrap();
        db.put(C, b"k1", b"v1").unwrap();
        assert_eq!(db.get(C, b"k1").unwrap().as_deref(), Some(&b"v1"[..]));
        let entries = Store::new(&db).iter(C, ..).unwrap().count();
        assert_eq!(entries, 1);
        drop(db);
    });
    let multi =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = config.clone();
    let found = multi
        .block_on(async move {
            tokio::spawn(async move {
                let db = EtcdDb::open(&config, &[C]).unwrap();
                db.put(C, b"k2", b"v2").unwrap();
                Store::new(&db).iter(C, ..).unwrap().count()
            })
            .await
        })
        .unwrap();
    assert_eq!(found, 2);
}
