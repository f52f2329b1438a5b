//! [`EtcdDb`]: the etcd implementation of [`Database`].

use std::future::Future;
use std::sync::mpsc;

use etcd_client::{
    Client, Compare, CompareOp, GetOptions, KvClient, SortOrder, SortTarget, Txn, TxnOp,
    TxnOpResponse,
};
use strata_core::{
    Column, Database, Durability, KeyRange, Op, Slice, StorageError, StorageResult as Result,
    Transaction,
};
use tokio::runtime::{Handle, Runtime};

use crate::config::EtcdConfig;
use crate::cursor::{EtcdCursor, Page, Pages};
use crate::error::{EtcdError, TxnLimit};
use crate::registry;

/// Bytes a request spends on each operation besides its key and value (protobuf framing, the
/// operation's fields), counted against `--max-request-bytes` with a margin.
const OP_OVERHEAD: usize = 32;

/// Why a database could not be opened on etcd.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The root is empty or holds a NUL byte (NUL separates the root from the column).
    #[error("an etcd root must be non-empty and hold no NUL byte")]
    InvalidRoot,
    /// The same column was declared twice.
    #[error("column `{0}` is declared twice")]
    DuplicateColumn(String),
    /// The backend's runtime could not be started.
    #[error("starting the etcd backend's runtime failed: {0}")]
    Runtime(#[source] std::io::Error),
    /// The cluster could not be reached, refused the login, or failed reading or writing the
    /// column registry.
    #[error("cannot open the database on etcd at {endpoints}: {source}")]
    Connect {
        /// The endpoints tried.
        endpoints: String,
        /// What failed.
        #[source]
        source: EtcdError,
    },
    /// A column is declared with another prefix length than the one recorded for it.
    #[error(
        "column `{column}` is recorded with prefix length {recorded:?} but declared with \
         {declared:?}"
    )]
    PrefixMismatch {
        /// The column.
        column: String,
        /// The prefix length in the root's registry.
        recorded: Option<usize>,
        /// The prefix length declared now.
        declared: Option<usize>,
    },
    /// A record of the root's column registry is not one this build reads.
    #[error("the column registry of root `{root}` is unreadable: {reason}")]
    Registry {
        /// The root.
        root: String,
        /// What is wrong with it.
        reason: String,
    },
    /// [`EtcdDb::open_existing`] found no columns recorded under the root.
    #[error("no Strata database is stored under root `{root}` (its column registry is empty)")]
    Missing {
        /// The root.
        root: String,
    },
}

/// A Strata database stored in an etcd cluster under one root.
///
/// Every key of column `c` is stored at `root ‖ 0x00 ‖ c ‖ 0x00 ‖ key`: binary-safe, and within
/// a column the stored order is the keys' byte order. `apply` is one etcd transaction; a cursor
/// reads at the revision pinned when it was created, in bounded pages.
///
/// **Threading.** The `Database` trait is synchronous and etcd's client is async: the handle
/// owns a small Tokio runtime (two worker threads) that runs every request; a call hands its
/// request to that runtime and waits on a channel. So a call from a plain thread and a call from
/// inside another async runtime both work — the latter blocks that runtime's worker for the
/// request's duration, as any blocking call does (wrap it in `spawn_blocking` there), but never
/// deadlocks, since the request runs on the backend's own threads.
pub struct EtcdDb {
    runtime: Option<Runtime>,
    handle: Handle,
    client: Client,
    config: EtcdConfig,
    /// Each declared column with its key prefix, sorted by column.
    columns: Vec<(Column, Vec<u8>)>,
}

impl std::fmt::Debug for EtcdDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdDb")
            .field("config", &self.config)
            .field("columns", &self.columns.iter().map(|(c, _)| c.name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The prefix of `column`'s keys under `root`.
fn column_prefix(root: &[u8], column: Column) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(root.len() + column.name().len() + 2);
    prefix.extend_from_slice(root);
    prefix.push(0);
    prefix.extend_from_slice(column.name().as_bytes());
    prefix.push(0);
    prefix
}

/// The root of `config`, as text for messages.
fn root_text(config: &EtcdConfig) -> String {
    String::from_utf8_lossy(&config.root).into_owned()
}

/// The first key after every key starting with `prefix` (which ends in `0x00`).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

impl EtcdDb {
    /// Connects to the cluster of `config` and opens the database under its root with `columns`.
    ///
    /// # Errors
    ///
    /// [`OpenError`]: an invalid root, a duplicate column, the cluster unreachable (within the
    /// connect timeout) or refusing the login.
    pub fn open(config: &EtcdConfig, columns: &[Column]) -> std::result::Result<Self, OpenError> {
        if config.root.is_empty() || config.root.contains(&0) {
            return Err(OpenError::InvalidRoot);
        }
        let mut declared: Vec<(Column, Vec<u8>)> = Vec::with_capacity(columns.len());
        for column in columns {
            if declared.iter().any(|(c, _)| c == column) {
                return Err(OpenError::DuplicateColumn(column.name().to_owned()));
            }
            declared.push((*column, column_prefix(&config.root, *column)));
        }
        declared.sort_by_key(|(column, _)| *column);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("strata-etcd")
            .enable_all()
            .build()
            .map_err(OpenError::Runtime)?;
        let handle = runtime.handle().clone();
        let connect = {
            let endpoints = config.endpoints.clone();
            let options = config.options.clone();
            let (start, end) = registry::range(&config.root);
            move || {
                let (endpoints, options) = (endpoints.clone(), options.clone());
                let (start, end) = (start.clone(), end.clone());
                async move {
                    let mut client = Client::connect(endpoints, Some(options)).await?;
                    // One read within the root (all a user may be allowed to read), so that an
                    // unreachable cluster or a refused login fails the open.
                    let options = GetOptions::new().with_range(end).with_count_only();
                    client.get(start, Some(options)).await?;
                    Ok::<_, etcd_client::Error>(client)
                }
            }
        };
        let client =
            run(&handle, config.request_timeout, false, None, connect).map_err(|source| {
                OpenError::Connect { endpoints: config.endpoints.join(","), source }
            })?;
        let db = Self {
            runtime: Some(runtime),
            handle,
            client,
            config: config.clone(),
            columns: declared,
        };
        db.register()?;
        Ok(db)
    }

    /// Opens the database under the root of `config` with every column recorded in its
    /// registry, with the recorded prefix lengths: how tools open a database without knowing
    /// its schema. Column names read from the cluster live as long as the process (they are
    /// leaked once per open), as `RocksDb::open_existing`'s do.
    ///
    /// # Errors
    ///
    /// As [`EtcdDb::open`], and [`OpenError::Missing`] when nothing is recorded under the root.
    pub fn open_existing(config: &EtcdConfig) -> std::result::Result<Self, OpenError> {
        let mut db = Self::open(config, &[])?;
        let recorded = db.read_registry()?;
        if recorded.is_empty() {
            return Err(OpenError::Missing { root: root_text(config) });
        }
        // The registry's range read is sorted by name, as `columns` must be.
        db.columns = recorded
            .into_iter()
            .map(|(name, prefix_len)| {
                let name: &'static str = Box::leak(name.into_boxed_str());
                let column = prefix_len
                    .map_or(Column::new(name), |len| Column::new(name).with_prefix_len(len));
                (column, column_prefix(&config.root, column))
            })
            .collect();
        Ok(db)
    }

    /// The columns recorded in the root's registry, with their prefix lengths, sorted by name.
    ///
    /// # Errors
    ///
    /// The cluster failing, or an unreadable record.
    pub fn recorded_columns(&self) -> std::result::Result<Vec<(String, Option<usize>)>, OpenError> {
        self.read_registry()
    }

    /// How many keys are stored under the root, registry records included: zero for a root no
    /// database has been opened under.
    ///
    /// # Errors
    ///
    /// The cluster failing.
    pub fn stored_keys(&self) -> Result<u64> {
        let (start, end) = registry::root_range(&self.config.root);
        Ok(self.count(start, end, None)?.0)
    }

    /// How many keys under the root belong to none of the columns this handle was opened with
    /// and are no registry record: data that scans of those columns (a copy, a check) would not
    /// see — columns written without being recorded, or left by a schema that no longer
    /// declares them.
    ///
    /// # Errors
    ///
    /// The cluster failing.
    pub fn unaccounted_keys(&self) -> Result<u64> {
        self.unaccounted_keys_at(None).map(|(_, unaccounted)| unaccounted)
    }

    /// Every key under the root, and those of them [`EtcdDb::unaccounted_keys`] counts, at
    /// `revision` (or the current one: the first count's, which the others then read at).
    pub(crate) fn unaccounted_keys_at(&self, revision: Option<i64>) -> Result<(u64, u64)> {
        let (start, end) = registry::root_range(&self.config.root);
        let (stored, revision) = self.count(start, end, revision)?;
        let (start, end) = registry::range(&self.config.root);
        let mut accounted = self.count(start, end, Some(revision))?.0;
        for (_, prefix) in &self.columns {
            accounted += self.count(prefix.clone(), prefix_end(prefix), Some(revision))?.0;
        }
        Ok((stored, stored.saturating_sub(accounted)))
    }

    /// Batches for [`copy`](strata_core::copy::copy) into this database: each within the
    /// cluster's limits on one transaction, counting the keys' prefixes and each operation's
    /// framing as `apply` does (an entry larger than a request on its own still fails, as
    /// [`EtcdError::TooLarge`]).
    pub fn copy_options(&self) -> strata_core::copy::CopyOptions {
        let longest_prefix = self.columns.iter().map(|(_, prefix)| prefix.len()).max().unwrap_or(0);
        let ops = self.config.max_txn_ops.max(1);
        let framing = ops * (OP_OVERHEAD + longest_prefix);
        strata_core::copy::CopyOptions::default()
            .with_batch_keys(ops)
            .with_batch_bytes(self.config.max_request_bytes.saturating_sub(framing).max(1))
    }

    /// How many entries `column` holds (an exact count, made by the cluster).
    ///
    /// # Errors
    ///
    /// An unknown column, or the cluster failing.
    pub fn count_entries(&self, column: Column) -> Result<u64> {
        self.count_entries_at(column, None)
    }

    /// [`EtcdDb::count_entries`] now or at `revision`.
    pub(crate) fn count_entries_at(&self, column: Column, revision: Option<i64>) -> Result<u64> {
        let prefix = self.prefix(column)?;
        Ok(self.count(prefix.to_vec(), prefix_end(prefix), revision)?.0)
    }

    /// The keys in `[start, end)`, counted by the cluster now or at `revision`, and the revision
    /// counted at.
    fn count(&self, start: Vec<u8>, end: Vec<u8>, revision: Option<i64>) -> Result<(u64, i64)> {
        self.count_keys(start, end, revision).map_err(EtcdError::into_storage)
    }

    /// [`EtcdDb::count`] with the backend's own error.
    fn count_keys(
        &self,
        start: Vec<u8>,
        end: Vec<u8>,
        revision: Option<i64>,
    ) -> std::result::Result<(u64, i64), EtcdError> {
        let mut options = GetOptions::new().with_range(end).with_count_only();
        if let Some(revision) = revision {
            options = options.with_revision(revision);
        }
        let response = self.request(false, revision, move |mut kv| {
            let (start, options) = (start.clone(), options.clone());
            async move { kv.get(start, Some(options)).await }
        })?;
        let read_at = response.header().map_or(0, etcd_client::ResponseHeader::revision);
        Ok((u64::try_from(response.count()).unwrap_or_default(), revision.unwrap_or(read_at)))
    }

    /// Every record of the root's registry.
    fn read_registry(&self) -> std::result::Result<Vec<(String, Option<usize>)>, OpenError> {
        let root = self.config.root.clone();
        let (start, end) = registry::range(&root);
        let mut response = self
            .request(false, None, move |mut kv| {
                let (start, end) = (start.clone(), end.clone());
                async move { kv.get(start, Some(GetOptions::new().with_range(end))).await }
            })
            .map_err(|source| self.connect_error(source))?;
        response
            .take_kvs()
            .iter()
            .map(|entry| registry::decode(&root, entry.key(), entry.value()))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(|reason| OpenError::Registry { root: root_text(&self.config), reason })
    }

    /// Checks every declared column against the registry and records those it lacks. Each
    /// record is written only if still absent, so two handles opening at once cannot record a
    /// column with two prefix lengths: the loser reads the winner's records and checks again.
    fn register(&self) -> std::result::Result<(), OpenError> {
        for _attempt in 0..8 {
            let recorded = self.read_registry()?;
            let mut missing = Vec::new();
            for (column, _) in &self.columns {
                match recorded.iter().find(|(name, _)| name == column.name()) {
                    Some((_, prefix_len)) if *prefix_len == column.prefix_len() => {}
                    Some((_, prefix_len)) => {
                        return Err(OpenError::PrefixMismatch {
                            column: column.name().to_owned(),
                            recorded: *prefix_len,
                            declared: column.prefix_len(),
                        });
                    }
                    None => missing.push(*column),
                }
            }
            if missing.is_empty() {
                return Ok(());
            }
            let mut lost = false;
            // A compare and a put per column, within the cluster's operations per transaction.
            for chunk in missing.chunks((self.config.max_txn_ops / 2).max(1)) {
                let keys: Vec<Vec<u8>> =
                    chunk.iter().map(|c| registry::key(&self.config.root, c.name())).collect();
                let txn = Txn::new()
                    .when(
                        keys.iter()
                            .map(|key| Compare::version(key.clone(), CompareOp::Equal, 0))
                            .collect::<Vec<_>>(),
                    )
                    .and_then(
                        keys.iter()
                            .zip(chunk)
                            .map(|(key, c)| {
                                TxnOp::put(key.clone(), registry::encode(c.prefix_len()), None)
                            })
                            .collect::<Vec<_>>(),
                    );
                let response = self.request(true, None, move |mut kv| {
                    let txn = txn.clone();
                    async move { kv.txn(txn).await }
                });
                match response {
                    Ok(response) => lost |= !response.succeeded(),
                    // Whether the records landed is unknown: reading the registry again tells
                    // (and the compares keep a second attempt from writing them twice).
                    Err(EtcdError::Timeout { outcome_unknown: true }) => lost = true,
                    Err(source) => return Err(self.connect_error(source)),
                }
            }
            if !lost {
                return Ok(());
            }
        }
        Err(OpenError::Registry {
            root: root_text(&self.config),
            reason: "other handles kept changing it while this one opened".to_owned(),
        })
    }

    fn connect_error(&self, source: EtcdError) -> OpenError {
        OpenError::Connect { endpoints: self.config.endpoints.join(","), source }
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &EtcdConfig {
        &self.config
    }

    /// The cluster's current revision.
    ///
    /// # Errors
    ///
    /// The cluster failing ([`EtcdError`] inside the `StorageError`).
    pub fn revision(&self) -> Result<i64> {
        self.current_revision().map_err(EtcdError::into_storage)
    }

    /// Compacts the cluster's history up to `revision`: what a long scan at an older revision
    /// then reports as `SnapshotExpired`. Compaction is cluster-wide.
    ///
    /// # Errors
    ///
    /// The cluster failing.
    pub fn compact(&self, revision: i64) -> Result<()> {
        self.call(true, None, move |mut kv| async move { kv.compact(revision, None).await })
            .map(drop)
    }

    /// The underlying client, for what Strata does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn prefix(&self, column: Column) -> Result<&[u8]> {
        match self.columns.iter().find(|(c, _)| *c == column) {
            Some((_, prefix)) => Ok(prefix),
            None => Err(StorageError::UnknownColumn(column.name().to_owned())),
        }
    }

    /// Runs the request `request` makes with a client on the backend's runtime and waits for
    /// it (made again while it cannot connect: see [`run`]).
    pub(crate) fn call<T, F>(
        &self,
        write: bool,
        revision: Option<i64>,
        request: impl Fn(KvClient) -> F + Send + 'static,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = std::result::Result<T, etcd_client::Error>> + Send + 'static,
    {
        self.request(write, revision, request).map_err(EtcdError::into_storage)
    }

    /// [`EtcdDb::call`] with the backend's own error.
    fn request<T, F>(
        &self,
        write: bool,
        revision: Option<i64>,
        request: impl Fn(KvClient) -> F + Send + 'static,
    ) -> std::result::Result<T, EtcdError>
    where
        T: Send + 'static,
        F: Future<Output = std::result::Result<T, etcd_client::Error>> + Send + 'static,
    {
        let client = self.client.clone();
        run(&self.handle, self.config.request_timeout, write, revision, move || {
            request(client.kv_client())
        })
    }

    /// The revision reads see now.
    fn current_revision(&self) -> std::result::Result<i64, EtcdError> {
        // A count of the root's registry: a read within the root, all a user may be allowed.
        let (start, end) = registry::range(&self.config.root);
        Ok(self.count_keys(start, end, None)?.1)
    }

    /// The value of `key` in `column`, now or at `revision`.
    pub(crate) fn get_at(
        &self,
        column: Column,
        key: &[u8],
        revision: Option<i64>,
    ) -> Result<Option<Slice<'_>>> {
        let stored = [self.prefix(column)?, key].concat();
        let options = revision.map(|revision| GetOptions::new().with_revision(revision));
        let mut response = self.call(false, revision, move |mut kv| {
            let (stored, options) = (stored.clone(), options.clone());
            async move { kv.get(stored, options).await }
        })?;
        Ok(response
            .take_kvs()
            .into_iter()
            .next()
            .map(|entry| Slice::from(entry.into_key_value().1)))
    }

    /// The values of `keys` in `column`, now or at `revision`.
    pub(crate) fn get_many_at(
        &self,
        column: Column,
        keys: &[&[u8]],
        revision: Option<i64>,
    ) -> Result<Vec<Option<Slice<'_>>>> {
        let prefix = self.prefix(column)?;
        let mut values = Vec::with_capacity(keys.len());
        // One transaction of gets per chunk: every key of a chunk read at one revision.
        for chunk in keys.chunks(self.config.max_txn_ops.max(1)) {
            let options = || revision.map(|revision| GetOptions::new().with_revision(revision));
            let operations: Vec<TxnOp> =
                chunk.iter().map(|key| TxnOp::get([prefix, key].concat(), options())).collect();
            let txn = Txn::new().and_then(operations);
            let response = self.call(false, revision, move |mut kv| {
                let txn = txn.clone();
                async move { kv.txn(txn).await }
            })?;
            for op in response.op_responses() {
                values.push(match op {
                    TxnOpResponse::Get(mut get) => {
                        get.take_kvs().into_iter().next().map(|e| Slice::from(e.into_key_value().1))
                    }
                    _ => None,
                });
            }
        }
        Ok(values)
    }

    /// A cursor over `column` within `range` reading at `revision`.
    pub(crate) fn cursor_at(
        &self,
        column: Column,
        range: &KeyRange,
        revision: i64,
    ) -> Result<EtcdCursor<'_>> {
        let prefix = self.prefix(column)?.to_vec();
        Ok(EtcdCursor::new(self, prefix, range.clone(), revision))
    }

    /// A page of the column with key prefix `prefix` within `[from, to)`, at `revision` or (with
    /// `None`) the current one, and the revision it was read at: ascending from `from`, or
    /// descending from just below `to` when `reverse`. Keys come back without the prefix.
    fn range_page(
        &self,
        prefix: &[u8],
        from: &[u8],
        to: Option<&[u8]>,
        revision: Option<i64>,
        reverse: bool,
    ) -> std::result::Result<(Page, i64), EtcdError> {
        let start = [prefix, from].concat();
        let end = to.map_or_else(|| prefix_end(prefix), |to| [prefix, to].concat());
        if start >= end {
            return match revision {
                Some(revision) => Ok((Vec::new(), revision)),
                None => Ok((Vec::new(), self.current_revision()?)),
            };
        }
        let limit = i64::try_from(self.config.page_size).unwrap_or(i64::MAX);
        let mut options = GetOptions::new().with_range(end).with_limit(limit);
        if let Some(revision) = revision {
            options = options.with_revision(revision);
        }
        if reverse {
            options = options.with_sort(SortTarget::Key, SortOrder::Descend);
        }
        let mut response = self.request(false, revision, move |mut kv| {
            let (start, options) = (start.clone(), options.clone());
            async move { kv.get(start, Some(options)).await }
        })?;
        let read_at = response.header().map_or(0, etcd_client::ResponseHeader::revision);
        let strip = prefix.len();
        let page = response
            .take_kvs()
            .into_iter()
            .map(|entry| {
                let (mut key, value) = entry.into_key_value();
                key.drain(..strip);
                (key, value)
            })
            .collect();
        Ok((page, revision.unwrap_or(read_at)))
    }

    fn commit(&self, transaction: &Transaction) -> Result<()> {
        if let Some(missing) = transaction.columns().find(|c| self.prefix(*c).is_err()) {
            return Err(StorageError::UnknownColumn(missing.name().to_owned()));
        }
        if transaction.is_empty() {
            return Ok(());
        }
        let mut operations = Vec::with_capacity(transaction.len());
        let mut bytes = 0;
        for (column, key, op) in transaction.iter() {
            let stored = [self.prefix(column)?, key].concat();
            bytes += stored.len() + OP_OVERHEAD;
            operations.push(match op {
                Op::Put(value) => {
                    bytes += value.len();
                    TxnOp::put(stored, value, None)
                }
                Op::Delete => TxnOp::delete(stored, None),
            });
        }
        let ops = operations.len();
        for limit in
            [TxnLimit::Ops(self.config.max_txn_ops), TxnLimit::Bytes(self.config.max_request_bytes)]
        {
            let over = match limit {
                TxnLimit::Ops(max) => ops > max,
                TxnLimit::Bytes(max) => bytes > max,
            };
            if over {
                return Err(EtcdError::TooLarge { ops, bytes, limit }.into_storage());
            }
        }
        let txn = Txn::new().and_then(operations);
        self.call(true, None, move |mut kv| {
            let txn = txn.clone();
            async move { kv.txn(txn).await }
        })
        .map(drop)
    }
}

/// Runs the request `make` builds on `handle`'s runtime within `timeout`, and waits for it on
/// this thread. A request that failed without effect is made again ([`retryable`]), against
/// whichever member the client picks, until the timeout: a dead member or a leader election
/// costs a retry, not a failure, while the cluster can serve. When time runs out between
/// attempts the last failure is reported (`Unavailable`: nothing was applied); when it runs out
/// during a write, the write's outcome is unknown.
fn run<T, F>(
    handle: &Handle,
    timeout: std::time::Duration,
    write: bool,
    revision: Option<i64>,
    make: impl Fn() -> F + Send + 'static,
) -> std::result::Result<T, EtcdError>
where
    T: Send + 'static,
    F: Future<Output = std::result::Result<T, etcd_client::Error>> + Send + 'static,
{
    let work = async move {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = std::time::Duration::from_millis(10);
        loop {
            match tokio::time::timeout_at(deadline, make()).await {
                // The request itself ran out of time: a write's outcome is unknown.
                Err(_elapsed) => break Err(EtcdError::Timeout { outcome_unknown: write }),
                Ok(Err(error)) if retryable(&error, write) => {
                    // Nothing was applied: retry while time is left, else report this failure.
                    if tokio::time::Instant::now() + pause >= deadline {
                        break Err(EtcdError::classify(error, write, revision));
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_millis(200));
                }
                Ok(Err(error)) => break Err(EtcdError::classify(error, write, revision)),
                Ok(Ok(value)) => break Ok(value),
            }
        }
    };
    // On a plain thread the request runs right here, as a synchronous client's `block_on` would;
    // inside another runtime (where `block_on` is refused) it runs on the backend's own workers
    // while this thread waits.
    if Handle::try_current().is_err() {
        return handle.block_on(work);
    }
    let (sender, receiver) = mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = sender.send(work.await);
    });
    receiver.recv().unwrap_or_else(|_| {
        Err(EtcdError::Unavailable { reason: "the backend's runtime stopped".to_owned() })
    })
}

/// Whether a request that failed with `error` is made again: one that never reached a member,
/// or that the cluster refused without applying it (no leader yet); and a read whose connection
/// broke under it, or whose leader changed, since reading again changes nothing. A write whose
/// connection broke, or whose leader changed, may have been applied: its outcome is unknown,
/// and it is not retried.
fn retryable(error: &etcd_client::Error, write: bool) -> bool {
    never_sent(error)
        || status_says(error, "no leader")
        || (!write && (connection_broke(error) || status_says(error, "leader changed")))
}

/// Whether `error` is an `Unavailable` status from etcd whose message holds `text`.
fn status_says(error: &etcd_client::Error, text: &str) -> bool {
    matches!(
        error,
        etcd_client::Error::GRpcStatus(status)
            if status.code() == tonic::Code::Unavailable && status.message().contains(text)
    )
}

/// Whether `error` says the connection failed under the request (a member killed, say): a read
/// is made again on another member; a write's outcome is unknown, so it is not.
fn connection_broke(error: &etcd_client::Error) -> bool {
    match error {
        etcd_client::Error::TransportError(_) => true,
        etcd_client::Error::GRpcStatus(status) => {
            status.code() == tonic::Code::Unknown && status.message().contains("transport error")
        }
        _ => false,
    }
}

/// Whether `error` says the request never reached a member (its connection was refused or
/// could not be made).
fn never_sent(error: &etcd_client::Error) -> bool {
    let detail = format!("{error:?}");
    detail.contains("ConnectionRefused") || detail.contains("tcp connect error")
}

impl Pages for EtcdDb {
    fn page_size(&self) -> usize {
        self.config.page_size
    }

    /// A page of `column`'s entries within `[from, to)` at `revision`: ascending from `from`, or
    /// descending from just below `to` when `reverse`. Keys come back without the prefix.
    fn page(
        &self,
        prefix: &[u8],
        from: &[u8],
        to: Option<&[u8]>,
        revision: i64,
        reverse: bool,
    ) -> std::result::Result<Page, EtcdError> {
        self.range_page(prefix, from, to, Some(revision), reverse).map(|(page, _)| page)
    }
}

impl Drop for EtcdDb {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its tasks end, which panics inside another runtime:
        // let it wind down in the background instead.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Database for EtcdDb {
    type Cursor<'a> = EtcdCursor<'a>;

    fn columns(&self) -> Vec<Column> {
        self.columns.iter().map(|(column, _)| *column).collect()
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        self.get_at(column, key, None)
    }

    fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
        self.get_many_at(column, keys, None)
    }

    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        let mut transaction = Transaction::new();
        transaction.put(column, key, value);
        self.commit(&transaction)
    }

    fn delete(&self, column: Column, key: &[u8]) -> Result<()> {
        let mut transaction = Transaction::new();
        transaction.delete(column, key);
        self.commit(&transaction)
    }

    /// The cursor's first request reads the range's first page at the current revision, which
    /// it pins: one round trip both takes the snapshot and fetches what a forward scan reads
    /// first (a backward scan of a range longer than a page then reads one page more).
    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        let prefix = self.prefix(column)?.to_vec();
        let (page, revision) = self
            .range_page(&prefix, range.start(), range.end(), None, false)
            .map_err(EtcdError::into_storage)?;
        Ok(EtcdCursor::with_first_page(self, prefix, range.clone(), revision, page))
    }

    fn apply(&self, transaction: &Transaction) -> Result<()> {
        self.commit(transaction)
    }

    /// Every etcd commit is durable once it returns: a majority of members has it in its
    /// write-ahead log, `fsync`ed. Both durabilities are the same commit.
    fn apply_durable(&self, transaction: &Transaction, _: Durability) -> Result<()> {
        self.commit(transaction)
    }
}
