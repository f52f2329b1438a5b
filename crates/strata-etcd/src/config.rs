//! [`EtcdConfig`]: where the cluster is, which root this database lives under, and the limits
//! and timeouts of the requests.

use std::time::Duration;

use etcd_client::ConnectOptions;

/// etcd's default `--max-txn-ops`.
pub const DEFAULT_MAX_TXN_OPS: usize = 128;
/// etcd's default `--max-request-bytes` (1.5 MiB).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1_572_864;
/// Entries a cursor fetches per request unless set with [`EtcdConfig::page_size`].
pub const DEFAULT_PAGE_SIZE: usize = 512;
/// How long a request may take unless set with [`EtcdConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How to reach the cluster and lay a database out in it.
///
/// ```
/// use strata_etcd::EtcdConfig;
///
/// let config = EtcdConfig::new(["http://127.0.0.1:2379"], "node-1")
///     .user("strata", "secret")
///     .page_size(256);
/// assert_eq!(config.root(), b"node-1");
/// ```
#[derive(Clone)]
pub struct EtcdConfig {
    pub(crate) endpoints: Vec<String>,
    pub(crate) root: Vec<u8>,
    pub(crate) options: ConnectOptions,
    pub(crate) page_size: usize,
    pub(crate) max_txn_ops: usize,
    pub(crate) max_request_bytes: usize,
    pub(crate) request_timeout: Duration,
}

impl std::fmt::Debug for EtcdConfig {
    /// Leaves out the connect options, which may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdConfig")
            .field("endpoints", &self.endpoints)
            .field("root", &String::from_utf8_lossy(&self.root))
            .field("page_size", &self.page_size)
            .field("max_txn_ops", &self.max_txn_ops)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl EtcdConfig {
    /// A database under `root` in the cluster at `endpoints` (client URLs). Several databases
    /// share a cluster under distinct roots; a root holds no NUL byte.
    pub fn new(
        endpoints: impl IntoIterator<Item = impl Into<String>>,
        root: impl AsRef<[u8]>,
    ) -> Self {
        Self {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            root: root.as_ref().to_vec(),
            options: ConnectOptions::new()
                .with_connect_timeout(Duration::from_secs(2))
                .with_timeout(DEFAULT_REQUEST_TIMEOUT)
                .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2))
                // Without a leader a request fails at once instead of waiting for one.
                .with_require_leader(true),
            page_size: DEFAULT_PAGE_SIZE,
            max_txn_ops: DEFAULT_MAX_TXN_OPS,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Logs in as `name` with `password`, and logs in again when the cluster's token expires
    /// (etcd's simple tokens expire after `--auth-token-ttl`, 300 s, unused).
    #[must_use]
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.options = self.options.with_user(name, password).with_auto_token_refresh(true);
        self
    }

    /// Connects with `options` instead of the defaults: TLS (enable one of `etcd-client`'s TLS
    /// features in your application and build its `TlsOptions`), keep-alive, credentials.
    #[must_use]
    pub fn connect_options(mut self, options: ConnectOptions) -> Self {
        self.options = options;
        self
    }

    /// Entries a cursor fetches per request (at least 1).
    #[must_use]
    pub fn page_size(mut self, entries: usize) -> Self {
        self.page_size = entries.max(1);
        self
    }

    /// The cluster's `--max-txn-ops`, if it was raised: transactions with more operations are
    /// refused with `TooLarge` before they are sent.
    #[must_use]
    pub fn max_txn_ops(mut self, ops: usize) -> Self {
        self.max_txn_ops = ops;
        self
    }

    /// The cluster's `--max-request-bytes`, if it was raised.
    #[must_use]
    pub fn max_request_bytes(mut self, bytes: usize) -> Self {
        self.max_request_bytes = bytes;
        self
    }

    /// How long a request may take before it is a `Timeout`.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self.options = self.options.with_timeout(timeout);
        self
    }

    /// The root this database lives under.
    pub fn root(&self) -> &[u8] {
        &self.root
    }

    /// The cluster's client URLs.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }
}
