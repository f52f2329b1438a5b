//! Local and remote together, on a real three-member etcd cluster started by the test:
//!
//! - a `Tee` over a local RocksDB database and the cluster reads locally (falling back to the
//!   cluster) and writes to both, so that a node that loses its disk gets its state back from the
//!   cluster;
//! - `copy` moves every column from a RocksDB directory to the cluster and back, byte-identical
//!   and verified (batches sized to etcd's transaction limits).

use strata::copy::{self, CopyOptions};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, ReadLayer, Store, Tee, WriteLayer};
use strata_etcd::dev::Cluster;
use strata_etcd::{EtcdConfig, EtcdDb};
use strata_testkit::column_contents;

const NOTES: Column = Column::new("notes");
const INDEX: Column = Column::new("index").with_prefix_len(2);
const COLUMNS: [Column; 2] = [NOTES, INDEX];

fn cluster(dir: &std::path::Path) -> Cluster {
    Cluster::start(&dir.join("etcd"), 3).expect("start a three-member etcd cluster")
}

#[test]
fn a_tee_reads_locally_and_writes_to_the_local_disk_and_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = cluster(dir.path());
    let config = EtcdConfig::new(cluster.endpoints(), "tee");
    let local = RocksDb::open(&RocksConfig::new(dir.path().join("local")), &COLUMNS).unwrap();
    let remote = EtcdDb::open(&config, &COLUMNS).unwrap();
    // Something only the cluster has: the tee falls back to it.
    remote.put(NOTES, b"from-another-node", b"remote").unwrap();

    let mut tee = Tee::new(Store::new(local), Store::new(remote));
    for n in 0..50_u16 {
        tee.put(INDEX, &n.to_be_bytes(), format!("entry {n}").as_bytes()).unwrap();
    }
    tee.put(NOTES, b"mine", b"both").unwrap();
    assert_eq!(tee.get(NOTES, b"mine").unwrap().unwrap(), b"both"[..]);
    assert_eq!(tee.get(NOTES, b"from-another-node").unwrap().unwrap(), b"remote"[..]);
    assert_eq!(tee.iter(INDEX, ..).unwrap().count(), 50);

    // The disk is lost: the cluster still has every write the tee made.
    let (local, remote) = (tee.first().db(), tee.second().db());
    assert_eq!(column_contents(local, INDEX), column_contents(remote, INDEX));
    let remote = EtcdDb::open(&config, &COLUMNS).unwrap();
    assert_eq!(remote.get(NOTES, b"mine").unwrap().unwrap(), b"both"[..]);
    assert_eq!(column_contents(&remote, INDEX).len(), 50);
}

#[test]
fn copy_moves_a_directory_to_the_cluster_and_back_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = cluster(dir.path());
    let source = RocksDb::open(&RocksConfig::new(dir.path().join("source")), &COLUMNS).unwrap();
    for n in 0..1_000_u32 {
        source
            .put(NOTES, &n.to_be_bytes(), &vec![u8::try_from(n % 251).unwrap(); (n % 300) as usize])
            .unwrap();
        source.put(INDEX, &[&n.to_le_bytes()[..2], b"k"].concat(), b"").unwrap();
    }
    source.put(NOTES, b"", b"the empty key").unwrap();

    // etcd commits at most 128 operations and 1.5 MiB a transaction.
    let options = CopyOptions::default().with_batch_keys(100).with_batch_bytes(512 << 10);
    let remote = EtcdDb::open(&EtcdConfig::new(cluster.endpoints(), "copy"), &COLUMNS).unwrap();
    copy::copy(&source, &remote, &COLUMNS, &options, |_| {}).unwrap();
    copy::verify(&source, &remote, &COLUMNS).unwrap();

    let back = RocksDb::open(&RocksConfig::new(dir.path().join("back")), &COLUMNS).unwrap();
    copy::copy(&remote, &back, &COLUMNS, &options, |_| {}).unwrap();
    for column in COLUMNS {
        assert_eq!(column_contents(&back, column), column_contents(&source, column), "{column:?}");
    }
    assert_eq!(copy::verify(&source, &back, &COLUMNS).unwrap().len(), 2);
}

/// The `Encrypted` layer works over the cluster as over a disk: the cluster holds sealed values
/// only, a value moved there reads as tampered, and another client with the key reads it all.
#[test]
fn an_encrypted_database_on_the_cluster_keeps_its_values_sealed() {
    use strata::versions::VERSIONS;
    use strata_encryption::{EncryptedDb, UnlockKey};

    let dir = tempfile::tempdir().unwrap();
    let cluster = cluster(dir.path());
    let config = EtcdConfig::new(cluster.endpoints(), "sealed");
    let columns = [NOTES, INDEX, VERSIONS];
    let key = UnlockKey::from_bytes([0x33; 32]);
    let db = EncryptedDb::create(EtcdDb::open(&config, &columns).unwrap(), &key).unwrap();
    let mut transaction = strata::Transaction::new();
    for n in 0..20_u16 {
        transaction.put(INDEX, n.to_be_bytes(), format!("private note {n}"));
    }
    db.apply(&transaction).unwrap();
    db.put(NOTES, b"seed", b"private seed").unwrap();

    let raw = EtcdDb::open(&config, &columns).unwrap();
    for (_, value) in column_contents(&raw, INDEX) {
        assert!(!value.windows(7).any(|w| w == b"private"), "the cluster holds sealed values");
    }
    let sealed = raw.get(NOTES, b"seed").unwrap().unwrap().into_vec();
    raw.put(NOTES, b"moved", &sealed).unwrap();

    let other = EncryptedDb::open(EtcdDb::open(&config, &columns).unwrap(), &key).unwrap();
    assert_eq!(other.get(NOTES, b"seed").unwrap().unwrap(), b"private seed"[..]);
    assert!(matches!(other.get(NOTES, b"moved"), Err(strata::StorageError::Tampered { .. })));
    assert_eq!(Store::new(&other).iter(INDEX, ..).unwrap().flatten().count(), 20);
}
