//! What the etcd tests share: one three-member cluster per test binary, started on first use,
//! and a harness that gives every database its own root in it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use strata_core::Column;
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb};

static CLUSTER: OnceLock<Mutex<Cluster>> = OnceLock::new();
static ROOTS: AtomicU64 = AtomicU64::new(0);

/// The binary's cluster, started on first use (its data in a directory that lives as long as
/// the process; the members die with it).
pub(crate) fn cluster() -> MutexGuard<'static, Cluster> {
    CLUSTER
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let cluster = Cluster::start(dir.path(), 3).expect("start a three-member etcd cluster");
            // The members keep their data here until the process ends.
            std::mem::forget(dir);
            Mutex::new(cluster)
        })
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A configuration for a new root of the binary's cluster.
pub(crate) fn config() -> EtcdConfig {
    let endpoints = cluster().endpoints();
    let root = format!("t{}-{}", std::process::id(), ROOTS.fetch_add(1, Ordering::Relaxed));
    EtcdConfig::new(endpoints, root).page_size(7)
}

/// Each `open` a fresh root (so an empty database); `reopen` connects again to the same root.
#[derive(Debug, Default)]
pub(crate) struct EtcdHarness {
    current: Option<(EtcdConfig, Vec<Column>)>,
}

impl strata_testkit::Harness for EtcdHarness {
    type Db = EtcdDb;

    fn open(&mut self, columns: &[Column]) -> EtcdDb {
        let config = config();
        let db = EtcdDb::open(&config, columns).expect("open on etcd");
        self.current = Some((config, columns.to_vec()));
        db
    }

    fn reopen(&mut self, db: EtcdDb) -> EtcdDb {
        drop(db);
        let (config, columns) = self.current.as_ref().expect("a database was opened");
        EtcdDb::open(config, columns).expect("reopen on etcd")
    }
}
