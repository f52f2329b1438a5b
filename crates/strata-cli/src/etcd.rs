//! `strata etcd-dev`: a local etcd cluster to try Strata on etcd, running until interrupted.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use strata::etcd::dev::Cluster;

use crate::error::CliError;
use crate::output::Output;

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
