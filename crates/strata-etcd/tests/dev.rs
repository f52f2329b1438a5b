//! The development cluster reports a member that cannot start at once, with its log, instead of
//! waiting out the start timeout.

use std::net::{Ipv4Addr, TcpListener};
use std::time::Instant;

use strata_etcd::dev::{Cluster, DevError, START_TIMEOUT};

#[test]
fn a_member_that_cannot_bind_is_reported_with_its_log_without_waiting_out_the_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Every member is told to serve metrics on a port held here, so each start fails the same
    // way: the bounded retries on new ports run and end.
    let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let flag = format!("--listen-metrics-urls=http://{}", held.local_addr().expect("addr"));
    let started = Instant::now();
    let error = Cluster::start_with(dir.path(), 1, &[&flag]).expect_err("the port is held");
    let DevError::Exited { member, tail, .. } = &error else {
        panic!("expected Exited, got {error}");
    };
    assert_eq!(*member, 0);
    assert!(tail.contains("address already in use"), "the log's tail names the cause: {tail}");
    assert!(error.to_string().contains("address already in use"), "{error}");
    assert!(started.elapsed() < START_TIMEOUT, "reported after {:?}", started.elapsed());
    assert!(dir.path().join("attempt-3").exists(), "tried three times on new ports");
    assert!(!dir.path().join("attempt-4").exists());
}
