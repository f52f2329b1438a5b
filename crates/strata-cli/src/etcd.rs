//! `strata etcd-dev`: a local etcd cluster to try Strata on etcd, running until interrupted; and
//! the demo's etcd step, the node's database on a replicated cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use strata::copy;
use strata::etcd::dev::{Cluster, DevError};
use strata::etcd::{EtcdConfig, EtcdDb, EtcdError, etcd_error};
use strata::kv::{KvError, KvStore};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database};

use crate::error::CliError;
use crate::output::{EtcdDemo, Output};

/// Members of the demo's cluster, and the one it kills.
const MEMBERS: usize = 3;
const KILLED: usize = 2;

/// The demo's etcd step: a three-member cluster on loopback (its data in a temporary
/// directory, removed afterwards); every column of the database in `path` copied to it in
/// transactions within its limits and verified column by column; then one member killed, and
/// the node's LDK persistence (the KV store) writing and reading on the two left; the member
/// restarted, and the write read from it alone. Skipped, saying why, when the `etcd` binary is
/// missing or the cluster cannot start (`strata demo --no-etcd` skips it too).
pub(crate) fn demo(path: &Path) -> Result<EtcdDemo, CliError> {
    // The members' data goes in a new temporary directory, removed when the step ends.
    let dir = tempfile::Builder::new()
        .prefix("strata-demo-etcd-")
        .tempdir()
        .map_err(CliError::io(std::env::temp_dir()))?;
    // Every column in the directory, the migrated ledger's too.
    let db = RocksDb::open_existing(&RocksConfig::new(path))?;
    run_demo(&db, dir.path())
}

fn run_demo(db: &RocksDb, dir: &Path) -> Result<EtcdDemo, CliError> {
    let started = Instant::now();
    let mut cluster = match Cluster::start(dir, MEMBERS) {
        Ok(cluster) => cluster,
        Err(DevError::NotInstalled) => {
            return Ok(EtcdDemo::Skipped(
                "the `etcd` binary is not on PATH (`.ci/prereqs` installs Debian's etcd-server)"
                    .to_owned(),
            ));
        }
        // A cluster that cannot start here (ports, a slow machine) is the environment's
        // problem, not the database's: say so and go on.
        Err(error) => return Ok(EtcdDemo::Skipped(format!("the cluster did not start: {error}"))),
    };
    let started_in = started.elapsed();
    let columns: Vec<Column> = db.columns();
    // A generous request timeout: three members and the copy share the machine with the demo.
    let config =
        EtcdConfig::new(cluster.endpoints(), "demo-node").request_timeout(Duration::from_secs(30));
    let etcd = EtcdDb::open(&config, &columns)?;

    let copying = Instant::now();
    let incomplete =
        |error| CliError::CopyIncomplete { dst: "the demo's etcd cluster".to_owned(), error };
    let report =
        copy::copy(db, &etcd, &columns, &etcd.copy_options(), |_| {}).map_err(incomplete)?;
    let copied_in = copying.elapsed();
    let verified = copy::verify(db, &etcd, &columns).map_err(incomplete)?;
    if verified != report.columns {
        return Err(verification("the copy on etcd differs from what was read"));
    }

    // One member down: a majority is left, and the node's persistence goes on.
    cluster.kill(KILLED);
    let kv = KvStore::open(&etcd)?;
    let (primary, secondary, key) = ("monitor_updates", "etcd-demo", "1");
    let value = b"written with one member of three down".to_vec();
    // A write whose connection broke under it (to the killed member, say) has an unknown
    // outcome; this one puts the same bytes again, so it is safe to retry.
    let mut attempts = 1;
    while let Err(error) = kv.write(primary, secondary, key, &value) {
        if !outcome_unknown(&error) || attempts == 3 {
            return Err(error.into());
        }
        attempts += 1;
    }
    let read_back = kv.read(primary, secondary, key)?;
    if read_back != value {
        return Err(verification("the KV value written on etcd reads back differently"));
    }
    cluster.restart(KILLED).map_err(|error| verification(&format!("restarting: {error}")))?;
    cluster.wait_until_led().map_err(|error| verification(&format!("restarting: {error}")))?;
    // Read from the restarted member alone (etcd's linearizable read goes through the leader,
    // so it also shows the member rejoined the cluster).
    let alone = EtcdDb::open(
        &EtcdConfig::new([cluster.endpoint(KILLED)], "demo-node")
            .request_timeout(Duration::from_secs(30)),
        &columns,
    )?;
    if KvStore::open(&alone)?.read(primary, secondary, key)? != value {
        return Err(verification("the restarted member does not serve the write"));
    }
    Ok(EtcdDemo::Ran {
        members: MEMBERS,
        started_in,
        columns: report.columns.len(),
        entries: report.entries(),
        bytes: report.bytes(),
        transactions: report.batches,
        copied_in,
    })
}

/// Whether the KV store's `error` is etcd's "the write may or may not have been applied".
fn outcome_unknown(error: &KvError) -> bool {
    let unknown = |e: &EtcdError| matches!(e, EtcdError::Timeout { outcome_unknown: true });
    if let KvError::Commit(storage) = error {
        return etcd_error(storage).is_some_and(unknown);
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.downcast_ref::<EtcdError>().is_some_and(unknown) {
            return true;
        }
        source = cause.source();
    }
    false
}

fn verification(message: &str) -> CliError {
    CliError::Verification(format!("etcd step: {message}"))
}

/// Starts a cluster of `members` with its data under `dir`, prints its endpoints, and runs until
/// the process is interrupted (the members die with it).
pub(crate) fn dev(dir: &Path, members: usize, out: &Output) -> Result<(), CliError> {
    let cluster = Cluster::start(dir, members)
        .map_err(|error| CliError::Verification(format!("cannot start the cluster: {error}")))?;
    let endpoints = cluster.endpoints().join(",");
    let text = format!(
        "etcd cluster of {members} member(s) running, data in {}\nendpoints: {endpoints}\n\
         in Rust: EtcdDb::open(&EtcdConfig::new(\"{endpoints}\".split(','), \"my-root\"), \
         &columns)\nstop it with Ctrl-C (the members stop with this process)",
        dir.display()
    );
    out.done(&text, &json!({ "members": members, "endpoints": cluster.endpoints(), "data": dir.display().to_string() }));
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
