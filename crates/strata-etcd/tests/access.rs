//! A cluster that refuses: authentication enabled (no credentials, a wrong password, a user
//! without permission on the root), and the storage quota reached (the space alarm). Each test
//! starts a member of its own, since both change the whole cluster.

use std::time::Duration;

use etcd_client::{Client, Permission};
use strata_core::{Column, Database, StorageError, Transaction};
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb, EtcdError, EtcdSnapshot, OpenError, etcd_error};

const C: Column = Column::new("c");

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Users `root` (every permission) and `reader` (may read the root `node`, nothing else), then
/// authentication switched on.
fn enable_auth(cluster: &Cluster) {
    runtime().block_on(async {
        let mut client = Client::connect(cluster.endpoints(), None).await.unwrap();
        client.user_add("root", "root-secret", None).await.unwrap();
        client.user_grant_role("root", "root").await.unwrap();
        client.role_add("node-reader").await.unwrap();
        let read = Permission::read(b"node\0".to_vec()).with_range_end(b"node\x01".to_vec());
        client.role_grant_permission("node-reader", read).await.unwrap();
        client.user_add("reader", "reader-secret", None).await.unwrap();
        client.user_grant_role("reader", "node-reader").await.unwrap();
        client.auth_enable().await.unwrap();
    });
}

fn connect_error(result: Result<EtcdDb, OpenError>) -> EtcdError {
    match result {
        Err(OpenError::Connect { source, .. }) => source,
        Err(other) => panic!("not a connection error: {other}"),
        Ok(_) => panic!("opened"),
    }
}

#[test]
fn wrong_or_missing_credentials_and_missing_permissions_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 1).expect("start an etcd member");
    let config =
        EtcdConfig::new(cluster.endpoints(), "node").request_timeout(Duration::from_secs(3));
    // Written before authentication is on, so that the reader has something to read.
    let db = EtcdDb::open(&config, &[C]).unwrap();
    db.put(C, b"k", b"v").unwrap();
    drop(db);
    enable_auth(&cluster);

    let error = connect_error(EtcdDb::open(&config, &[C]));
    assert!(matches!(error, EtcdError::Unauthenticated { .. }), "no credentials: {error}");
    let wrong = config.clone().user("root", "not-the-password");
    let error = connect_error(EtcdDb::open(&wrong, &[C]));
    assert!(matches!(error, EtcdError::Unauthenticated { .. }), "wrong password: {error}");

    // The reader reads the root but may not write it, nor open another.
    let reader = config.clone().user("reader", "reader-secret");
    let db = EtcdDb::open(&reader, &[C]).unwrap();
    assert_eq!(db.get(C, b"k").unwrap().as_deref(), Some(&b"v"[..]));
    // Scans and snapshots read only within the root, so the reader may make them.
    assert_eq!(strata_testkit::column_contents(&db, C), [(b"k".to_vec(), b"v".to_vec())]);
    let snapshot = EtcdSnapshot::new(&db).unwrap();
    assert_eq!(strata_testkit::column_contents(&snapshot, C).len(), 1);
    assert_eq!(EtcdDb::open_existing(&reader).unwrap().columns().len(), 1);
    let error = db.put(C, b"k", b"w").unwrap_err();
    assert!(
        matches!(etcd_error(&error), Some(EtcdError::PermissionDenied { .. })),
        "a write: {error}"
    );
    assert_eq!(db.get(C, b"k").unwrap().as_deref(), Some(&b"v"[..]), "nothing written");
    let elsewhere = EtcdConfig::new(cluster.endpoints(), "other").user("reader", "reader-secret");
    let error = connect_error(EtcdDb::open(&elsewhere, &[C]));
    assert!(matches!(error, EtcdError::PermissionDenied { .. }), "another root: {error}");

    // The root user does everything.
    let admin = config.clone().user("root", "root-secret");
    let db = EtcdDb::open(&admin, &[C]).unwrap();
    db.put(C, b"k", b"w").unwrap();
    assert_eq!(db.get(C, b"k").unwrap().as_deref(), Some(&b"w"[..]));
    strata_testkit::report(
        "etcd, authentication on: no credentials and a wrong password Unauthenticated at open; a \
         read-only user reads, scans and snapshots its root, its write PermissionDenied with nothing written, another \
         root PermissionDenied at open",
    );
}

#[test]
fn the_space_alarm_is_quota_exceeded_and_the_full_write_is_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    // A 4 MiB quota: reached after a few megabytes of writes.
    let cluster = Cluster::start_with(dir.path(), 1, &["--quota-backend-bytes=4194304"])
        .expect("start an etcd member");
    let config = EtcdConfig::new(cluster.endpoints(), "full");
    let db = EtcdDb::open(&config, &[C]).unwrap();
    let value = vec![0x5a; 256 * 1024];
    let mut acknowledged = 0_u32;
    let error = loop {
        assert!(acknowledged < 200, "a 4 MiB quota never filled");
        let mut transaction = Transaction::new();
        transaction.put(C, acknowledged.to_be_bytes(), &value);
        transaction.put(C, b"count", acknowledged.to_be_bytes());
        match db.apply(&transaction) {
            Ok(()) => acknowledged += 1,
            Err(error) => break error,
        }
    };
    assert!(matches!(error, StorageError::StorageFull(_)), "{error}");
    assert!(matches!(etcd_error(&error), Some(EtcdError::QuotaExceeded)), "{error}");
    assert!(acknowledged > 0);
    // Reads go on; everything acknowledged is there and the refused commit is not.
    let count = db.get(C, b"count").unwrap().expect("the count");
    assert_eq!(count.as_ref(), (acknowledged - 1).to_be_bytes());
    for n in 0..acknowledged {
        assert_eq!(db.get(C, &n.to_be_bytes()).unwrap().as_deref(), Some(value.as_slice()));
    }
    assert_eq!(db.get(C, &acknowledged.to_be_bytes()).unwrap(), None);
    strata_testkit::report(&format!(
        "etcd, 4 MiB quota: {acknowledged} commits of 256 KiB acknowledged, the next one \
         QuotaExceeded (StorageFull) and not applied; reads still served"
    ));
}
