//! Failures on a real cluster, each test with a three-member cluster of its own: transactions
//! over the cluster's limits refused whole; a scan whose revision is compacted away; one member
//! killed mid-workload (the workload goes on, nothing acknowledged is lost); two members killed
//! (operations fail with a typed error within the request timeout) and restarted (service
//! resumes, every acknowledged write is there).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use strata_core::{Column, Cursor, Database, KeyRange, Transaction};
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb, EtcdError, TxnLimit, etcd_error};

const C: Column = Column::new("c");

fn start() -> (tempfile::TempDir, Cluster) {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3).expect("start a three-member etcd cluster");
    (dir, cluster)
}

fn open(cluster: &Cluster, timeout: Duration) -> EtcdDb {
    let config = EtcdConfig::new(cluster.endpoints(), "faults").request_timeout(timeout);
    EtcdDb::open(&config, &[C]).expect("open on etcd")
}

fn typed(error: &strata_core::StorageError) -> &EtcdError {
    etcd_error(error).unwrap_or_else(|| panic!("not an etcd error: {error}"))
}

#[test]
fn transactions_over_the_clusters_limits_are_refused_whole() {
    let (_dir, cluster) = start();
    let db = open(&cluster, Duration::from_secs(5));
    let mut transaction = Transaction::new();
    for n in 0..129_u32 {
        transaction.put(C, n.to_be_bytes(), b"v");
    }
    let error = db.apply(&transaction).unwrap_err();
    assert!(
        matches!(typed(&error), EtcdError::TooLarge { ops: 129, limit: TxnLimit::Ops(128), .. }),
        "{error}"
    );
    assert!(error.to_string().contains("--max-txn-ops"), "{error}");
    assert_eq!(db.get(C, &0_u32.to_be_bytes()).unwrap(), None, "nothing was written");

    let mut transaction = Transaction::new();
    transaction.put(C, b"big", vec![0; 2 << 20]);
    let error = db.apply(&transaction).unwrap_err();
    assert!(
        matches!(typed(&error), EtcdError::TooLarge { ops: 1, limit: TxnLimit::Bytes(_), .. }),
        "{error}"
    );
    assert_eq!(db.get(C, b"big").unwrap(), None);

    // At the limit, it goes through as one transaction.
    let mut transaction = Transaction::new();
    for n in 0..128_u32 {
        transaction.put(C, n.to_be_bytes(), b"v");
    }
    db.apply(&transaction).unwrap();
    assert_eq!(strata_testkit::column_contents(&db, C).len(), 128);
}

#[test]
fn a_scan_whose_revision_is_compacted_away_is_snapshot_expired() {
    let (_dir, cluster) = start();
    let config = EtcdConfig::new(cluster.endpoints(), "compaction").page_size(5);
    let db = EtcdDb::open(&config, &[C]).unwrap();
    for n in 0..20_u32 {
        db.put(C, &n.to_be_bytes(), b"old").unwrap();
    }
    let mut cursor = db.cursor(C, &KeyRange::all()).unwrap();
    cursor.seek_to_first();
    let mut seen = 0;
    while cursor.key().is_some() && seen < 3 {
        seen += 1;
        cursor.next();
    }
    // Newer writes, then the history up to now compacted: the cursor's revision is gone.
    for n in 0..20_u32 {
        db.put(C, &n.to_be_bytes(), b"new").unwrap();
    }
    db.compact(db.revision().unwrap()).unwrap();
    while cursor.key().is_some() {
        cursor.next();
    }
    let error = cursor.status().unwrap_err();
    assert!(matches!(typed(&error), EtcdError::SnapshotExpired { .. }), "{error}");
    assert!(error.to_string().contains("start the scan again"), "{error}");
    // A new scan reads the new values.
    let values: Vec<_> = strata_testkit::column_contents(&db, C).into_iter().map(|e| e.1).collect();
    assert!(values.iter().all(|v| v == b"new") && values.len() == 20);
}

/// Writes key after key until `stop`, counting acknowledgements in `acked` (keys `0..acked` are
/// acknowledged); failures are counted, not fatal.
fn writer(db: &EtcdDb, stop: &AtomicBool, acked: &AtomicU64, failed: &AtomicU64) {
    let mut next = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        match db.put(C, &next.to_be_bytes(), b"acknowledged") {
            Ok(()) => {
                next += 1;
                acked.store(next, Ordering::Relaxed);
            }
            Err(error) => {
                let typed = typed(&error);
                assert!(
                    matches!(typed, EtcdError::Unavailable { .. } | EtcdError::Timeout { .. }),
                    "{typed}"
                );
                failed.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

fn wait_for(acked: &AtomicU64, at_least: u64, within: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        if acked.load(Ordering::Relaxed) >= at_least {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn all_present(db: &EtcdDb, acked: u64) {
    let stored = strata_testkit::column_contents(db, C);
    for n in 0..acked {
        assert!(
            stored.iter().any(|(key, _)| key.as_slice() == n.to_be_bytes()),
            "acknowledged write {n} is missing"
        );
    }
}

#[test]
fn one_member_down_the_workload_goes_on_and_nothing_acknowledged_is_lost() {
    let (_dir, mut cluster) = start();
    let db = open(&cluster, Duration::from_secs(3));
    let (stop, acked, failed) = (AtomicBool::new(false), AtomicU64::new(0), AtomicU64::new(0));
    let at_kill = std::thread::scope(|scope| {
        scope.spawn(|| writer(&db, &stop, &acked, &failed));
        assert!(wait_for(&acked, 50, Duration::from_secs(20)), "the workload started");
        cluster.kill(0);
        let at_kill = acked.load(Ordering::Relaxed);
        let went_on = wait_for(&acked, at_kill + 200, Duration::from_secs(30));
        stop.store(true, Ordering::Relaxed);
        assert!(
            went_on,
            "the workload went on with one member down (at {} after the kill at {at_kill})",
            acked.load(Ordering::Relaxed)
        );
        at_kill
    });
    let acked = acked.load(Ordering::Relaxed);
    all_present(&db, acked);
    strata_testkit::report(&format!(
        "etcd, one member killed: {acked} writes acknowledged ({at_kill} before the kill), {} \
         failed and retried, none lost",
        failed.load(Ordering::Relaxed)
    ));
}

#[test]
fn two_members_down_fail_within_the_timeout_and_service_resumes_with_every_acknowledged_write() {
    let (_dir, mut cluster) = start();
    let db = open(&cluster, Duration::from_secs(2));
    let mut acked = 0_u64;
    for n in 0..100_u64 {
        db.put(C, &n.to_be_bytes(), b"acknowledged").unwrap();
        acked += 1;
    }
    cluster.kill(1);
    cluster.kill(2);
    // Without a quorum, a write fails with a typed error within the request timeout.
    let mut slowest = Duration::ZERO;
    let mut kinds: Vec<String> = Vec::new();
    for attempt in 0..5_u64 {
        let started = Instant::now();
        let error = db.put(C, &(1_000 + attempt).to_be_bytes(), b"refused").unwrap_err();
        let took = started.elapsed();
        slowest = slowest.max(took);
        let typed = typed(&error);
        assert!(
            matches!(
                typed,
                EtcdError::Unavailable { .. } | EtcdError::Timeout { outcome_unknown: true }
            ),
            "{typed}"
        );
        assert!(took < Duration::from_secs(4), "a write without quorum took {took:?}");
        let kind =
            if matches!(typed, EtcdError::Unavailable { .. }) { "Unavailable" } else { "Timeout" };
        kinds.push(format!("{kind} after {took:.1?}"));
    }
    // Once the survivor knows it has no leader (an election timeout), the cluster refuses each
    // write without applying it; the backend retries that until the request timeout (a leader
    // election would end it sooner), then reports it as `Unavailable`.
    assert!(kinds.last().is_some_and(|kind| kind.starts_with("Unavailable")), "{kinds:?}");
    // Reads need the quorum too (they are linearizable).
    let error = db.get(C, &0_u64.to_be_bytes()).unwrap_err();
    assert!(
        matches!(typed(&error), EtcdError::Unavailable { .. } | EtcdError::Timeout { .. }),
        "{error}"
    );

    cluster.restart(1).unwrap();
    cluster.restart(2).unwrap();
    let started = Instant::now();
    // Every member knows the leader again (a member still rejoining may time a read out).
    cluster.wait_until_led().unwrap();
    loop {
        match db.put(C, &acked.to_be_bytes(), b"acknowledged") {
            Ok(()) => break,
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(error) => panic!("service did not resume: {error}"),
        }
    }
    acked += 1;
    let resumed = started.elapsed();
    all_present(&db, acked);
    strata_testkit::report(&format!(
        "etcd, two members killed: writes failed within {slowest:?} at most ({}); restarted, \
         service resumed in {resumed:?} with all {acked} acknowledged writes present",
        kinds.join(", ")
    ));
}
