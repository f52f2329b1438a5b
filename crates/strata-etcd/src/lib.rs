//! # Strata on etcd
//!
//! [`EtcdDb`] implements Strata's `Database` over an etcd v3 cluster — Raft-replicated, ordered
//! keys, MVCC revisions, multi-key transactions — through etcd's maintained Rust client,
//! `etcd-client`. Everything built on the `Database` seam (layers, the typed API, the KV store,
//! the log store, views, migrations, `copy`) runs on it unchanged.
//!
//! - **Layout.** Column `c`'s key `k` is stored at `root ‖ 0x00 ‖ c ‖ 0x00 ‖ k`: binary-safe,
//!   byte order is iteration order, and databases share a cluster under distinct roots. Each
//!   root also records its columns and their prefix lengths, so [`EtcdDb::open_existing`] opens
//!   a database without knowing its schema.
//! - **Atomicity.** `apply` is one etcd transaction. One over the cluster's limits (operations
//!   per transaction, request bytes) is [`EtcdError::TooLarge`], naming the server flag that
//!   raises the limit — never split, never partly applied.
//! - **Snapshots.** A cursor pins the revision current when it is created and reads every page
//!   at it; a revision compacted away mid-scan is [`EtcdError::SnapshotExpired`].
//!   [`EtcdSnapshot`] pins one revision for every read of every column (a copy's source).
//! - **Failures** are typed: [`EtcdError::Unavailable`], [`EtcdError::Timeout`] (saying whether
//!   a write's outcome is unknown), [`EtcdError::QuotaExceeded`],
//!   [`EtcdError::Unauthenticated`], [`EtcdError::PermissionDenied`]; [`etcd_error`] finds them
//!   inside the `StorageError` the `Database` trait returns.
//! - **Threading**: see [`EtcdDb`].
//!
//! [`dev::Cluster`] starts a local multi-member cluster from the `etcd` binary, for tests and to
//! try Strata on etcd.
#![forbid(unsafe_code)]

mod config;
mod cursor;
mod db;
pub mod dev;
mod error;
mod registry;
mod snapshot;

pub use config::{
    DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_TXN_OPS, DEFAULT_PAGE_SIZE, DEFAULT_REQUEST_TIMEOUT,
    EtcdConfig,
};
pub use cursor::EtcdCursor;
pub use db::{EtcdDb, OpenError};
pub use error::{EtcdError, TxnLimit, etcd_error};
/// The client, re-exported so that applications build its options (TLS) with the same version.
pub use etcd_client;
pub use snapshot::EtcdSnapshot;
