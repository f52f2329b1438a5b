//! [`EtcdError`]: what a request to the cluster can fail with, typed so that a caller can tell
//! an unreachable cluster from a commit whose outcome is unknown, a full cluster, a refused
//! login, a transaction over the cluster's limits and a snapshot compacted away.
//!
//! The backend reports these through the `Database` trait as
//! [`StorageError::Backend`] (or [`StorageError::StorageFull`] for
//! [`EtcdError::QuotaExceeded`]); [`etcd_error`] finds the typed error again.

use strata_core::StorageError;

/// Which of the cluster's limits a transaction exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnLimit {
    /// The most operations in one transaction: etcd's `--max-txn-ops` (128 by default).
    Ops(usize),
    /// The most bytes in one request: etcd's `--max-request-bytes` (1.5 MiB by default).
    Bytes(usize),
}

impl TxnLimit {
    /// The etcd server flag that raises this limit.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Ops(_) => "--max-txn-ops",
            Self::Bytes(_) => "--max-request-bytes",
        }
    }
}

impl std::fmt::Display for TxnLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ops(n) => write!(f, "{n} operations ({})", self.flag()),
            Self::Bytes(n) => write!(f, "{n} bytes ({})", self.flag()),
        }
    }
}

/// A failed request to the etcd cluster.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum EtcdError {
    /// The cluster cannot serve the request: no member reachable, no leader, or no quorum. A
    /// write reported so was not applied (one that may have been is a [`EtcdError::Timeout`]
    /// with `outcome_unknown`).
    #[error(
        "the etcd cluster is unavailable (no reachable member, no leader or no quorum): {reason}"
    )]
    Unavailable {
        /// What the client or the cluster said.
        reason: String,
    },

    /// The request did not complete in time, or its connection failed under it. A write whose
    /// outcome is unknown may or may not have been applied: read before retrying it.
    #[error(
        "the etcd request timed out{}",
        if *outcome_unknown { "; the write may or may not have been applied" } else { "" }
    )]
    Timeout {
        /// Whether a write may have been applied.
        outcome_unknown: bool,
    },

    /// The cluster's space alarm is raised: its storage quota is used up, and it refuses writes
    /// until it is compacted and defragmented (or the quota raised with
    /// `--quota-backend-bytes`).
    #[error(
        "the etcd cluster's storage quota is used up (space alarm): compact and defragment it, \
         or raise --quota-backend-bytes"
    )]
    QuotaExceeded,

    /// The cluster refused the credentials.
    #[error("etcd refused the credentials: {reason}")]
    Unauthenticated {
        /// What the cluster said.
        reason: String,
    },

    /// The user may not do this.
    #[error("etcd denied permission: {reason}")]
    PermissionDenied {
        /// What the cluster said.
        reason: String,
    },

    /// The transaction exceeds the cluster's limits. It was not split and nothing was written.
    #[error(
        "the transaction is too large for the etcd cluster: {ops} operations, {bytes} bytes, over \
         the limit of {limit}; raise it with the server flag {}, or commit less at once",
        limit.flag()
    )]
    TooLarge {
        /// Operations in the transaction.
        ops: usize,
        /// Its approximate request size.
        bytes: usize,
        /// The limit exceeded.
        limit: TxnLimit,
    },

    /// The revision a cursor reads at was compacted away during its scan: start it again.
    #[error(
        "the snapshot at revision {revision} was compacted away during the scan; start the scan \
         again"
    )]
    SnapshotExpired {
        /// The cursor's revision.
        revision: i64,
    },

    /// Any other failure of the client or the cluster.
    #[error("etcd request failed: {0}")]
    Client(#[source] std::sync::Arc<etcd_client::Error>),
}

impl EtcdError {
    /// Classifies a client error; `write` says whether the request was a write (for the outcome
    /// of a timeout) and `revision` the revision a read was pinned at, if any.
    pub(crate) fn classify(error: etcd_client::Error, write: bool, revision: Option<i64>) -> Self {
        use etcd_client::Error as E;
        use tonic::Code;
        match error {
            E::GRpcStatus(status) => {
                let message = status.message().to_owned();
                match status.code() {
                    // etcd reports its own request timeout as unavailable.
                    Code::Unavailable | Code::Unknown if message.contains("timed out") => {
                        Self::Timeout { outcome_unknown: write }
                    }
                    Code::DeadlineExceeded | Code::Cancelled => {
                        Self::Timeout { outcome_unknown: write }
                    }
                    // The connection failed under the request: a write may have reached the
                    // cluster before it did, unless it was never connected.
                    Code::Unknown if message.contains("transport error") => {
                        transport_failure(&format!("{status:?}"), write)
                    }
                    // A leader change under a write may come after the write was committed.
                    Code::Unavailable if write && message.contains("leader changed") => {
                        Self::Timeout { outcome_unknown: true }
                    }
                    Code::Unavailable => Self::Unavailable { reason: message },
                    Code::ResourceExhausted if message.contains("space exceeded") => {
                        Self::QuotaExceeded
                    }
                    Code::Unauthenticated => Self::Unauthenticated { reason: message },
                    // etcd reports a wrong password and a missing user name as invalid
                    // arguments (an invalid token is `Unauthenticated`).
                    Code::InvalidArgument
                        if ["authentication failed", "user name is empty"]
                            .iter()
                            .any(|m| message.contains(m)) =>
                    {
                        Self::Unauthenticated { reason: message }
                    }
                    Code::PermissionDenied => Self::PermissionDenied { reason: message },
                    Code::OutOfRange if message.contains("compacted") => {
                        Self::SnapshotExpired { revision: revision.unwrap_or_default() }
                    }
                    _ => Self::Client(std::sync::Arc::new(E::GRpcStatus(status))),
                }
            }
            E::TransportError(error) => transport_failure(&format!("{error:?}"), write),
            other => Self::Client(std::sync::Arc::new(other)),
        }
    }

    /// As the byte-level seam reports it.
    pub(crate) fn into_storage(self) -> StorageError {
        match self {
            Self::QuotaExceeded => StorageError::StorageFull(Box::new(self)),
            other => StorageError::backend(other),
        }
    }
}

/// A failed connection: nothing sent when it was never established (refused), otherwise a
/// write's outcome is unknown.
fn transport_failure(detail: &str, write: bool) -> EtcdError {
    if write && !detail.contains("ConnectionRefused") && !detail.contains("Connection refused") {
        EtcdError::Timeout { outcome_unknown: true }
    } else {
        EtcdError::Unavailable { reason: detail.to_owned() }
    }
}

/// The [`EtcdError`] behind a `StorageError` from this backend, if it is one.
pub fn etcd_error(error: &StorageError) -> Option<&EtcdError> {
    match error {
        StorageError::Backend(source) | StorageError::StorageFull(source) => {
            source.downcast_ref::<EtcdError>()
        }
        _ => None,
    }
}
