//! `strata demo`: a node runtime at work, then a reopen that verifies everything it wrote.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use lightning::util::persist::{
    ARCHIVED_CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE as ARCHIVED,
    ARCHIVED_CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE as ARCHIVED_SECONDARY,
    CHANNEL_MANAGER_PERSISTENCE_KEY as MANAGER,
    CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE as MANAGER_PRIMARY,
    CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE as MANAGER_SECONDARY,
    CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE as MONITORS,
    CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE as MONITORS_SECONDARY,
    CHANNEL_MONITOR_UPDATE_PERSISTENCE_PRIMARY_NAMESPACE as MONITOR_UPDATES,
};
use sha2::{Digest, Sha256};
use strata::encryption::{EncryptedDb, EncryptionError, ResealOptions, UnlockKey};
use strata::kv::{KvStore, WriteBatch};
use strata::log::{
    Appended, Author, Ed25519, Ed25519Signer, Entry as LogEntry, Hash as EntryHash, Inserted,
    LogConfig, LogError, LogStore, Signer as _, Topic,
};
use strata::node::{
    ApplicationId, COLUMNS, ConfigRecord, ContextConfig, ContextId, ContextIdentity, ContextMeta,
    ContextState, ContextTransaction, Hash, IdentityRecord, MetaRecord, PrivateKey, PublicKey,
    StateKey, TransactionRecord,
};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::views::builtin::{EntryCounts, Indexed, LatestByTopic, Totals, topic_in_extensions};
use strata::views::{Mode, Phase, ViewError, ViewReader};
use strata::{
    Column, Database as _, Handle, MemoryDb, ReadLayer, ReadOnly, Slice, StorageError, Store,
    Temporal, Transaction,
};

use crate::error::CliError;
use crate::output::{
    BulkDemo, DemoSummary, EncryptionDemo, EtcdDemo, KvDemo, LogDemo, Output, Rejection, ViewsDemo,
};
use crate::views::{
    DEMO_VIEWS, SETTINGS, SETTINGS_VERSION, SettingsKey, demo_views, demo_views_at, settings_index,
    status_row,
};

/// Demo parameters.
pub(crate) struct DemoArgs {
    /// Database directory.
    pub(crate) db: PathBuf,
    /// Contexts to create.
    pub(crate) contexts: u32,
    /// Calls to execute per context.
    pub(crate) calls: u32,
    /// Delete the directory first.
    pub(crate) reset: bool,
    /// Run the etcd step.
    pub(crate) etcd: bool,
}

/// State slots each context's calls write to.
const SLOTS: u32 = 16;
/// State keys each call updates.
const KEYS_PER_CALL: u32 = 3;
/// Identities per context.
const IDENTITIES: u32 = 3;
/// Channel monitors the demo's Lightning side persists.
const CHANNELS: u32 = 3;
/// Keys per page when the demo lists monitors page by page.
const PAGE_SIZE: usize = 2;
/// The channel that closes: its monitor is archived.
const CLOSED_CHANNEL: u32 = 1;

/// The log the demo's authors post to.
const POSTS: u64 = 0;
/// A second log of one author's: its profile.
const PROFILE: u64 = 1;
/// The topic the authors' posts name, in their signed headers and in the node's topic table.
const TOPIC: &str = "chat";

/// The node's own author: it appends settings and a post in the views step.
const NODE: &str = "node";
/// The node's log of settings: `key=value` payloads, indexed by the settings view.
const SETTINGS_LOG: u64 = 2;
/// What the node appends to its settings log, in order.
const NODE_SETTINGS: [&str; 3] = ["fee_rate=5", "alias=strata-node", "fee_rate=7"];
/// The node's post under the topic.
const NODE_POST: &str = "views are up";
/// How long the demo waits for a view to reach an entry.
const VIEW_TIMEOUT: Duration = Duration::from_secs(30);
/// Entries per batch when the demo rebuilds its bumped view: several batches, each committed.
const REBUILD_BATCH: usize = 4;

/// The node schema's columns, the KV store's, the log store's and the views': one database holds
/// them all.
fn all_columns() -> Vec<Column> {
    COLUMNS
        .iter()
        .chain(&strata::kv::COLUMNS)
        .chain(&strata::log::COLUMNS)
        .copied()
        .chain(crate::views::columns())
        .collect()
}

/// The topic named [`TOPIC`].
fn chat_topic() -> Topic {
    Topic(sha256(&[b"demo topic", TOPIC.as_bytes()]))
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn context_id(n: u32) -> ContextId {
    ContextId(sha256(&[b"context", &n.to_be_bytes()]))
}

fn slot(context: &ContextId, n: u32) -> StateKey {
    StateKey(sha256(&[&context.0, b"slot", &n.to_be_bytes()]))
}

/// Every call whose index has this remainder is rolled back instead of committed.
fn rolled_back(call: u32) -> bool {
    call % 10 == 7
}

fn transaction_hash(context: &ContextId, record: &TransactionRecord) -> Hash {
    Hash(sha256(&[&context.0, &record.prior_hash.0, record.method.as_bytes(), &record.payload]))
}

/// Runs the demo and prints its summary.
pub(crate) fn run(args: &DemoArgs, out: &Output) -> Result<(), CliError> {
    if args.reset && args.db.exists() {
        std::fs::remove_dir_all(&args.db).map_err(CliError::io(&args.db))?;
    }
    let config = RocksConfig::new(&args.db);
    let columns = all_columns();
    // A new database starts with the ledger an older version of the application wrote: it is
    // migrated to this build's version before anything else opens the database.
    let ledger = if args.db.join("CURRENT").exists() {
        None
    } else {
        Some(crate::migrate::ledger_demo(&args.db, !out.json)?)
    };
    // Every schema's version is recorded on first use; a newer database is refused untouched.
    let mut store = Store::new(RocksDb::open_versioned(&config, crate::schema::SCHEMAS, &columns)?);
    let existing = store.iter(strata::node::META, ..)?.next().is_some();
    if existing {
        return Err(CliError::Verification(format!(
            "{} already holds a demo database; pass --reset to start over",
            args.db.display()
        )));
    }

    let started = Instant::now();
    create_contexts(&mut store, args.contexts)?;
    let progress = progress_bar(u64::from(args.contexts) * u64::from(args.calls), out);
    let mut committed = 0_u64;
    for c in 0..args.contexts {
        let context = context_id(c);
        for call in 0..args.calls {
            committed += u64::from(execute_call(&mut store, &context, call)?);
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed();

    let walked = walk_one_context(&store, &context_id(0))?;
    let mut kv = persist_lightning_state(store.db())?;
    let (mut logs, mut expected_logs) = exchange_logs(store.db())?;
    drop(store);
    // Views own their database handle (their worker shares it): the database reopened in an Arc.
    let db = Arc::new(RocksDb::open(&config, &columns)?);
    let (mut views, node_logs) = keep_views(&db, &expected_logs)?;
    expected_logs.extend(node_logs);
    drop(db);

    // Verification reads through a `ReadOnly` view: the compiler guarantees it writes nothing.
    let db = Arc::new(RocksDb::open(&config, &columns)?);
    let store = ReadOnly::new(Store::new(&*db));
    verify(&store, args)?;
    kv.after_reopen = verify_lightning_state(&KvStore::open(&*db)?)?;
    verify_logs(&db, &expected_logs, &mut logs)?;
    verify_views(&db, &expected_logs, &mut views)?;
    let counts = count_columns(&store, &columns)?;
    let decoded = decode_first_meta(&store)?;
    let bulk = restore_by_ingest(&store)?;
    let encryption = keep_secrets()?;
    // The directory's lock is released for the etcd step, which opens every column in it.
    drop(db);
    let etcd = if args.etcd {
        crate::etcd::demo(&args.db)?
    } else {
        EtcdDemo::Skipped("--no-etcd".to_owned())
    };
    out.demo_summary(&DemoSummary {
        path: &args.db,
        contexts: args.contexts,
        calls: u64::from(args.contexts) * u64::from(args.calls),
        committed,
        elapsed,
        walked,
        counts: &counts,
        size: dir_size(&args.db),
        decoded: (&decoded.0, &decoded.1),
        kv: &kv,
        log: &logs,
        views: &views,
        ledger: ledger.as_ref(),
        bulk: &bulk,
        encryption: &encryption,
        etcd: &etcd,
    });
    Ok(())
}

/// Restores the `state` column into a new database in a temporary directory the way a bulk load
/// does — its entries, already in key order, written as table files and ingested whole — then
/// reads the copy back and compares it entry by entry.
fn restore_by_ingest(store: &impl ReadLayer) -> Result<BulkDemo, CliError> {
    let state = strata::node::STATE;
    let dir = tempfile::tempdir().map_err(CliError::io(Path::new("a temporary directory")))?;
    let config = RocksConfig::new(dir.path());
    let copy = RocksDb::open(&config, &[state])?;
    let entries: Vec<_> = store.iter(state, ..)?.collect::<Result<_, _>>()?;
    let started = Instant::now();
    let ingested = copy
        .ingest_sorted(&config, state, entries.iter().map(|(k, v)| (k, v)))
        .map_err(|e| CliError::Verification(format!("bulk load of the state column: {e}")))?;
    let elapsed = started.elapsed();
    let copied: Vec<_> = Store::new(&copy).iter(state, ..)?.collect::<Result<_, _>>()?;
    if copied != entries {
        return Err(CliError::Verification(format!(
            "the ingested state column differs: {} entries read back, {} loaded",
            copied.len(),
            entries.len()
        )));
    }
    Ok(BulkDemo {
        entries: ingested.entries,
        files: ingested.files,
        bytes: ingested.file_bytes,
        elapsed,
    })
}

/// The column of the demo's encrypted database.
const SECRETS: Column = Column::new("secrets");

/// The secrets the demo's node keeps encrypted: its identity's private key, a wallet's seed
/// words and an API token.
fn node_secrets() -> [(&'static str, Vec<u8>); 3] {
    [
        ("node/identity_key", sha256(&[b"demo node identity"]).to_vec()),
        (
            "node/wallet_seed",
            b"ribbon quantum orbit velvet lantern meadow fossil harbor tiny oyster giggle crane"
                .to_vec(),
        ),
        ("node/api_token", b"strata-demo-token-7f3a9c21".to_vec()),
    ]
}

/// A node's secrets in an encrypted database, in a temporary directory, unlocked by a random
/// 32-byte key: written in one atomic transaction, read back equal, nowhere in the stored bytes;
/// a sealed value copied underneath to another key reads as tampered; the value key rotated
/// (the tampered copy left as it was), the database reopened with its key and read back, and
/// another key refused.
fn keep_secrets() -> Result<EncryptionDemo, CliError> {
    let fail = |what: String| CliError::Verification(format!("encryption: {what}"));
    let dir = tempfile::tempdir().map_err(CliError::io(Path::new("a temporary directory")))?;
    let config = RocksConfig::new(dir.path());
    let columns = [SECRETS, strata::versions::VERSIONS];
    let key = UnlockKey::from_bytes(rand::random());
    let secrets = node_secrets();

    let started = Instant::now();
    let mut db = EncryptedDb::create(RocksDb::open(&config, &columns)?, &key)?;
    let created = started.elapsed();

    let started = Instant::now();
    let mut transaction = Transaction::new();
    for (name, value) in &secrets {
        transaction.put(SECRETS, name.as_bytes(), value.clone());
    }
    db.apply(&transaction)?;
    let written = started.elapsed();

    let started = Instant::now();
    let read_back = read_secrets(&db, &secrets)?;
    let read = started.elapsed();

    let (mut sealed_bytes, mut visible, mut identity) = (0, 0, Vec::new());
    for (name, value) in &secrets {
        let stored = db
            .raw()
            .get(SECRETS, name.as_bytes())?
            .ok_or_else(|| fail(format!("{name} is not stored")))?
            .into_vec();
        sealed_bytes += stored.len() as u64;
        visible += usize::from(stored.windows(value.len()).any(|window| window == value));
        if identity.is_empty() {
            identity = stored;
        }
    }
    if visible > 0 {
        return Err(fail(format!("{visible} secret(s) show in the stored bytes")));
    }

    // Someone with the files (not the key) copies the identity's sealed value to another key.
    let copy = "node/identity_key.copy";
    db.raw().put(SECRETS, copy.as_bytes(), &identity)?;
    let tampered = match db.get(SECRETS, copy.as_bytes()) {
        Err(error @ StorageError::Tampered { .. }) => error.to_string(),
        Err(error) => return Err(error.into()),
        Ok(_) => return Err(fail("a value copied to another key was read".to_owned())),
    };

    let before = db.key_version();
    let started = Instant::now();
    let report = db.rotate(&columns, ResealOptions::default(), |_| {})?;
    let rotated = started.elapsed();
    let after = db.key_version();
    if report.resealed != secrets.len() as u64 || report.tampered != 1 || after != before + 1 {
        return Err(fail(format!("the rotation from version {before} to {after}: {report:?}")));
    }

    let raw = db.into_inner();
    let wrong = match EncryptedDb::open(&raw, &UnlockKey::from_bytes(rand::random())) {
        Err(error @ EncryptionError::WrongKey) => error.to_string(),
        Err(error) => return Err(error.into()),
        Ok(_) => return Err(fail("another key opened the database".to_owned())),
    };
    let reopened = EncryptedDb::open(&raw, &key)?;
    let after_rotation = read_secrets(&reopened, &secrets)?;
    if !matches!(reopened.get(SECRETS, copy.as_bytes()), Err(StorageError::Tampered { .. })) {
        return Err(fail("the tampered copy reads after the rotation".to_owned()));
    }

    Ok(EncryptionDemo {
        column: SECRETS.name().to_owned(),
        secrets: secrets.iter().map(|(name, value)| ((*name).to_owned(), value.len())).collect(),
        plaintext_bytes: secrets.iter().map(|(_, value)| value.len() as u64).sum(),
        sealed_bytes,
        read_back,
        visible_underneath: visible,
        tampered: (copy.to_owned(), tampered),
        rotation: (report.resealed, report.tampered, report.batches),
        key_versions: (before, after),
        after_rotation,
        wrong_key: wrong,
        timings: [("create", created), ("write", written), ("read", read), ("rotate", rotated)],
    })
}

/// Reads every secret back through the encryption layer; how many equal what was written.
fn read_secrets<D: strata::Database>(
    db: &EncryptedDb<D>,
    secrets: &[(&str, Vec<u8>)],
) -> Result<usize, CliError> {
    for (name, value) in secrets {
        let read = db.get(SECRETS, name.as_bytes())?;
        if read.as_deref() != Some(value.as_slice()) {
            return Err(CliError::Verification(format!("encryption: {name} read back differs")));
        }
    }
    Ok(secrets.len())
}

/// A fake monitor's name, as LDK names them: funding transaction id, `_`, output index.
fn monitor_name(channel: u32) -> String {
    format!("{}_{channel}", hex::encode(sha256(&[b"funding", &channel.to_be_bytes()])))
}

/// A fake persisted blob of `len` bytes, derived from `name`.
fn blob(name: &str, len: usize) -> Vec<u8> {
    let seed = sha256(&[b"blob", name.as_bytes()]);
    seed.iter().copied().cycle().take(len).collect()
}

fn monitor_blob(channel: u32) -> Vec<u8> {
    blob(&monitor_name(channel), 2048)
}

/// The node's Lightning side persists through the KV store, in the same database as the node
/// schema: the channel manager and every monitor in one atomic batch, a monitor update in a
/// secondary namespace, listing (sorted, then page by page), and a closed channel's monitor
/// archived — written to `archived_monitors` and removed from `monitors` in one batch.
fn persist_lightning_state(db: &RocksDb) -> Result<KvDemo, CliError> {
    let kv = KvStore::open(db)?;
    let manager = blob(MANAGER, 4096);
    let mut batch = WriteBatch::new();
    batch.write(MANAGER_PRIMARY, MANAGER_SECONDARY, MANAGER, manager.clone());
    let mut batch_bytes = manager.len();
    for channel in 0..CHANNELS {
        let monitor = monitor_blob(channel);
        batch_bytes += monitor.len();
        batch.write(MONITORS, MONITORS_SECONDARY, &monitor_name(channel), monitor);
    }
    let batch_keys = batch.len();
    kv.write_batch(&batch)?;
    kv.write(MONITOR_UPDATES, &monitor_name(0), "1", &blob("update", 256))?;

    let monitors = kv.list(MONITORS, MONITORS_SECONDARY)?;
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = kv.list_page(MONITORS, MONITORS_SECONDARY, after.as_ref(), PAGE_SIZE)?;
        pages.push(page.keys);
        match page.next {
            Some(token) => after = Some(token),
            None => break,
        }
    }
    let listed: std::collections::BTreeSet<&String> = pages.iter().flatten().collect();
    if listed.len() != monitors.len() || !monitors.iter().all(|m| listed.contains(m)) {
        return Err(CliError::Verification("pages do not cover the monitors exactly".into()));
    }

    let closed = monitor_name(CLOSED_CHANNEL);
    let mut archive = WriteBatch::new();
    archive.write(ARCHIVED, ARCHIVED_SECONDARY, &closed, monitor_blob(CLOSED_CHANNEL));
    archive.remove(MONITORS, MONITORS_SECONDARY, &closed);
    kv.write_batch(&archive)?;

    Ok(KvDemo {
        batch_keys,
        batch_bytes,
        monitors,
        page_size: PAGE_SIZE,
        pages,
        archived: closed,
        after_reopen: Vec::new(),
    })
}

/// After reopening: every blob the Lightning side persisted reads back byte for byte, the
/// archived monitor moved. Returns each namespace with its key count.
fn verify_lightning_state(
    kv: &KvStore<&RocksDb>,
) -> Result<Vec<(String, String, usize)>, CliError> {
    let fail = |what: String| CliError::Verification(format!("kv store: {what}"));
    if kv.read(MANAGER_PRIMARY, MANAGER_SECONDARY, MANAGER)? != blob(MANAGER, 4096) {
        return Err(fail("the channel manager changed".into()));
    }
    let open: Vec<String> =
        (0..CHANNELS).filter(|&c| c != CLOSED_CHANNEL).map(monitor_name).collect();
    let mut expected = open.clone();
    expected.sort_unstable();
    if kv.list(MONITORS, MONITORS_SECONDARY)? != expected {
        return Err(fail("the monitors listed are not the open channels'".into()));
    }
    for channel in (0..CHANNELS).filter(|&c| c != CLOSED_CHANNEL) {
        if kv.read(MONITORS, MONITORS_SECONDARY, &monitor_name(channel))? != monitor_blob(channel) {
            return Err(fail(format!("the monitor of channel {channel} changed")));
        }
    }
    let closed = monitor_name(CLOSED_CHANNEL);
    if kv.get(MONITORS, MONITORS_SECONDARY, &closed)?.is_some()
        || kv.read(ARCHIVED, ARCHIVED_SECONDARY, &closed)? != monitor_blob(CLOSED_CHANNEL)
    {
        return Err(fail("the closed channel's monitor was not archived".into()));
    }
    if kv.read(MONITOR_UPDATES, &monitor_name(0), "1")? != blob("update", 256) {
        return Err(fail("the monitor update changed".into()));
    }
    let mut counts: std::collections::BTreeMap<(String, String), usize> =
        kv.namespaces().into_iter().map(|pair| (pair, 0)).collect();
    for address in kv.list_all_keys()? {
        *counts.entry((address.primary, address.secondary)).or_default() += 1;
    }
    Ok(counts.into_iter().map(|((primary, secondary), keys)| (primary, secondary, keys)).collect())
}

/// An author of the logs: a name, and an ed25519 key from a fixed seed, so every run has the same
/// authors.
fn log_signer(name: &str) -> Ed25519Signer {
    Ed25519Signer::from_secret(&sha256(&[b"demo log author", name.as_bytes()]))
}

/// An author's own device: its signer and its own log store, in memory. The node never sees the
/// device's store, only the entries it sends.
struct Device {
    name: &'static str,
    signer: Ed25519Signer,
    store: LogStore<MemoryDb>,
}

impl Device {
    fn new(name: &'static str) -> Result<Self, CliError> {
        // The device only appends, signing with its own key: the verifier would judge entries
        // inserted from elsewhere, and none are.
        let store = LogStore::open(MemoryDb::new(strata::log::COLUMNS), Ed25519)?;
        Ok(Self { name, signer: log_signer(name), store })
    }

    fn author(&self) -> Author {
        self.signer.author()
    }

    fn post(&self, log_id: u64, payload: &[u8]) -> Result<(), CliError> {
        self.store.append(&self.signer, log_id, payload, None)?;
        Ok(())
    }

    /// Appends a post that names `topic` in its signed header (the first 32 bytes of its
    /// extensions, where the latest-by-topic view finds it), with an idempotency key if given.
    fn post_about(
        &self,
        log_id: u64,
        payload: &[u8],
        topic: &Topic,
        key: Option<[u8; 32]>,
    ) -> Result<Appended, CliError> {
        Ok(self.store.append_with(&self.signer, log_id, payload, topic.0.to_vec(), key)?)
    }

    /// A log's entries as the device sends them to a peer.
    fn entries(&self, log_id: u64) -> Result<Vec<LogEntry>, CliError> {
        Ok(self.store.entries(&self.author(), log_id, None, None)?.collect::<Result<_, _>>()?)
    }
}

/// The `LogError` variant an entry was refused with (the inner one of an `InBatch`).
fn rejection_kind(error: &LogError) -> &'static str {
    match error {
        LogError::SeqGap { .. } => "SeqGap",
        LogError::BacklinkMismatch { .. } => "BacklinkMismatch",
        LogError::Fork { .. } => "Fork",
        LogError::PayloadMismatch { .. } => "PayloadMismatch",
        LogError::BadSignature { .. } => "BadSignature",
        LogError::TooLarge { .. } => "TooLarge",
        LogError::InBatch { source, .. } => rejection_kind(source),
        _ => "not a rejection",
    }
}

/// Checks that `sent` was refused with the `expected` rejection, and records it.
fn refused<T>(
    result: Result<T, LogError>,
    sent: &str,
    expected: &'static str,
) -> Result<Rejection, CliError> {
    match result {
        Err(error) if error.is_rejection() && rejection_kind(&error) == expected => {
            Ok(Rejection { sent: sent.to_owned(), kind: expected, error: error.to_string() })
        }
        Err(error) => Err(CliError::Verification(format!(
            "log store: {sent}: expected {expected}, got {error}"
        ))),
        Ok(_) => Err(CliError::Verification(format!("log store: {sent} was accepted"))),
    }
}

/// An entry with its payload replaced, and the header's payload hash and size made to match:
/// only the signature can tell.
fn with_payload(entry: &LogEntry, payload: &[u8]) -> LogEntry {
    let mut entry = entry.clone();
    entry.header.payload_hash = EntryHash::of(payload);
    entry.header.payload_size = payload.len() as u64;
    entry.payload = Some(payload.to_vec());
    entry
}

/// One log as the node must hold it after the exchange.
struct ExpectedLog {
    name: &'static str,
    author: Author,
    log_id: u64,
    entries: Vec<LogEntry>,
}

/// Two authors write signed logs on their own devices, their posts naming a topic in their signed
/// headers (one append retried with its idempotency key); the node ingests their entries into this database as a peer would, with the ed25519
/// verifier: a forged batch, an impostor's entry and an out-of-order entry are refused with
/// typed errors and write nothing, the real entries land in atomic batches, a resent one is
/// already present; the node associates a topic with both authors' posts.
fn exchange_logs(db: &RocksDb) -> Result<(LogDemo, Vec<ExpectedLog>), CliError> {
    let fail = |what: String| CliError::Verification(format!("log store: {what}"));
    let alice = Device::new("alice")?;
    let bob = Device::new("bob")?;
    let topic = chat_topic();
    for post in ["hello from alice", "the channel to bob is open", "gm"] {
        alice.post_about(POSTS, post.as_bytes(), &topic, None)?;
    }
    // A post sent with an idempotency key, then sent again (as if the reply was lost): the retry
    // returns the first append's result and appends nothing.
    let key = sha256(&[b"idempotency", b"invoice 42"]);
    let first = alice.post_about(POSTS, b"invoice 42 paid", &topic, Some(key))?;
    let retry = alice.post_about(POSTS, b"invoice 42 paid", &topic, Some(key))?;
    if first.repeated || !retry.repeated || (retry.seq, retry.hash) != (first.seq, first.hash) {
        return Err(fail("a retried append was not recognised by its idempotency key".into()));
    }
    for post in ["hi alice", "fees are low today", "closing a channel"] {
        bob.post_about(POSTS, post.as_bytes(), &topic, None)?;
    }
    bob.post(PROFILE, b"name: bob")?;
    bob.post(PROFILE, &sha256(&[b"bob's avatar"]))?; // binary: `log show` prints it as hex

    let expected = vec![
        ExpectedLog {
            name: alice.name,
            author: alice.author(),
            log_id: POSTS,
            entries: alice.entries(POSTS)?,
        },
        ExpectedLog {
            name: bob.name,
            author: bob.author(),
            log_id: POSTS,
            entries: bob.entries(POSTS)?,
        },
        ExpectedLog {
            name: bob.name,
            author: bob.author(),
            log_id: PROFILE,
            entries: bob.entries(PROFILE)?,
        },
    ];
    let alice_posts = &expected[0].entries;
    let bob_posts = &expected[1].entries;

    // The node: this database's log store, checking every entry's ed25519 signature.
    let node = LogStore::open(db, Ed25519)?;
    let mut rejected = Vec::new();
    let forged = with_payload(&alice_posts[1], b"the channel to mallory is open");
    let batch = [alice_posts[0].clone(), forged, alice_posts[2].clone()];
    rejected.push(refused(
        node.insert_batch(&batch),
        "a batch of alice's first 3 posts, post 1's payload altered after signing",
        "BadSignature",
    )?);
    if !node.heights(&[alice.author()])?.is_empty() {
        return Err(fail("a refused batch wrote some of its entries".into()));
    }
    let mallory = log_signer("mallory");
    let mut impostor = with_payload(&alice_posts[0], b"hello from alice, send me your keys");
    impostor.header.signature = mallory.sign(&impostor.header.signing_bytes());
    rejected.push(refused(
        node.insert(&impostor),
        "an entry in alice's name signed by mallory's key",
        "BadSignature",
    )?);
    rejected.push(refused(
        node.insert(&bob_posts[2]),
        "bob's seq 2 before seqs 0 and 1",
        "SeqGap",
    )?);

    let mut ingested = 0;
    for log in &expected {
        let inserted = node.insert_batch(&log.entries)?;
        ingested += inserted.iter().filter(|i| matches!(i, Inserted::New { .. })).count();
    }
    let resent = alice_posts.last().ok_or_else(|| fail("alice has no posts".into()))?;
    if node.insert(resent)? != Inserted::AlreadyPresent {
        return Err(fail("an entry sent twice was inserted twice".into()));
    }

    node.add_topic(&topic, &alice.author(), POSTS)?;
    node.add_topic(&topic, &bob.author(), POSTS)?;
    let name_of = |author: &Author| if *author == alice.author() { alice.name } else { bob.name };
    let topic_logs =
        node.resolve_topic(&topic)?.iter().map(|(a, l)| (name_of(a).to_owned(), *l)).collect();

    let demo = LogDemo {
        authors: [&alice, &bob]
            .iter()
            .map(|d| (d.name.to_owned(), d.author().to_string()))
            .collect(),
        appended: expected
            .iter()
            .map(|log| (log.name.to_owned(), log.log_id, log.entries.len() as u64))
            .collect(),
        retry: (retry.seq, retry.repeated),
        topic: (TOPIC.to_owned(), topic.to_string()),
        topic_logs,
        rejected,
        ingested,
        batches: expected.len(),
        already_present: 1,
        ..LogDemo::default()
    };
    Ok((demo, expected))
}

/// After reopening: every log verifies, holds exactly what its author wrote, and the arrival
/// stream has every entry (ingested or appended by the node) at consecutive offsets.
fn verify_logs(db: &RocksDb, expected: &[ExpectedLog], demo: &mut LogDemo) -> Result<(), CliError> {
    let fail = |what: String| CliError::Verification(format!("log store: {what}"));
    let node = LogStore::open(db, Ed25519)?;
    let mut logs = 0;
    for author in node.authors()? {
        for log_id in node.logs(&author)? {
            if let Some(broken) = node.verify_log(&author, log_id)?.first() {
                return Err(fail(format!(
                    "log {log_id} of {author} is broken at seq {}: {}",
                    broken.seq, broken.problem
                )));
            }
            logs += 1;
        }
    }
    if logs != expected.len() {
        return Err(fail(format!("{logs} logs stored, expected {}", expected.len())));
    }
    for log in expected {
        let stored: Vec<LogEntry> =
            node.entries(&log.author, log.log_id, None, None)?.collect::<Result<_, _>>()?;
        if stored != log.entries {
            return Err(fail(format!(
                "{}'s log {} differs from its device's",
                log.name, log.log_id
            )));
        }
        let state = node
            .log_state(&log.author, log.log_id)?
            .ok_or_else(|| fail(format!("{}'s log {} has no state", log.name, log.log_id)))?;
        demo.heights.push((log.name.to_owned(), log.log_id, state.latest_seq, state.count));
    }
    let offsets: Vec<u64> =
        node.stream(None)?.map(|item| item.map(|(offset, _)| offset)).collect::<Result<_, _>>()?;
    let total: usize = expected.iter().map(|log| log.entries.len()).sum();
    if offsets.len() != total || offsets.windows(2).any(|w| w[1] != w[0] + 1) {
        return Err(fail(format!(
            "the arrival stream has {} entries at offsets {offsets:?}, expected {total} consecutive",
            offsets.len(),
        )));
    }
    demo.verified_logs = logs;
    demo.stream_len = offsets.len();
    Ok(())
}

/// The name of the author `author` among the demo's logs.
fn author_name<'a>(logs: impl IntoIterator<Item = &'a ExpectedLog>, author: &Author) -> String {
    let mut logs = logs.into_iter();
    logs.find(|log| log.author == *author)
        .map_or_else(|| author.to_string(), |log| log.name.to_owned())
}

/// Every entry of the settings index, in key (digest) order.
fn settings_entries(reader: &ViewReader<'_, Arc<RocksDb>>) -> Result<Vec<Indexed>, CliError> {
    let handle = reader.handle();
    let entries = handle.iter::<SettingsKey>(..)?.map(|item| item.map(|(_, indexed)| indexed));
    Ok(entries.collect::<Result<_, _>>()?)
}

/// The settings as names, values and offsets, by name.
fn shown_settings(entries: &[Indexed]) -> Vec<(String, String, u64)> {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let mut shown: Vec<_> =
        entries.iter().map(|e| (text(&e.key), text(&e.value), e.offset)).collect();
    shown.sort();
    shown
}

/// The node opens its log through `Views` — entry counts in step, the latest entry per topic
/// behind, the latest value per key of its settings — over the entries the peers sent, each view
/// built from the start of the log; appends settings and a post, reads its writes through the
/// views (`wait_for`), then is upgraded: the settings index's version is bumped, it is reported
/// rebuilding and refused to readers until `catch_up` has rebuilt it, equal to before. Returns
/// what it did and the node's own logs.
fn keep_views(
    db: &Arc<RocksDb>,
    peers: &[ExpectedLog],
) -> Result<(ViewsDemo, Vec<ExpectedLog>), CliError> {
    let fail = |what: String| CliError::Verification(format!("views: {what}"));
    let topic = chat_topic();
    // The node's previous release: its settings index at the version before this release's.
    let previous = SETTINGS_VERSION - 1;
    let views = demo_views_at(previous).open(Arc::clone(db), Ed25519, LogConfig::default())?;
    let built_from = views.log().next_offset();
    // New views: the worker builds each from the start of the log.
    if let Some(last) = built_from.checked_sub(1) {
        for (name, _) in DEMO_VIEWS {
            views.wait_for(name, last, VIEW_TIMEOUT)?;
        }
    }

    let node = log_signer(NODE);
    let mut appended = Vec::new();
    for setting in NODE_SETTINGS {
        let done = views.log().append(&node, SETTINGS_LOG, setting.as_bytes(), None)?;
        appended.push((SETTINGS_LOG, setting.to_owned(), done.offset));
    }
    let post = NODE_POST.as_bytes();
    let posted = views.log().append_with(&node, POSTS, post, topic.0.to_vec(), None)?;
    appended.push((POSTS, NODE_POST.to_owned(), posted.offset));
    // Kept in step, a view is updated in the append's own commit: current when it returns.
    let mut lag_after_append = Vec::new();
    for (name, mode) in DEMO_VIEWS {
        if mode == Mode::InStep {
            let lag = views.lag(name)?;
            if lag != 0 {
                return Err(fail(format!("{name} is in step but {lag} entries behind")));
            }
            lag_after_append.push((name.to_owned(), lag));
        }
    }
    // Kept behind, it catches up after the commit: read your write once it has.
    views.wait_for(LatestByTopic::NAME, posted.offset, VIEW_TIMEOUT)?;

    let mut logs: Vec<ExpectedLog> = Vec::new();
    for log_id in [POSTS, SETTINGS_LOG] {
        let entries = views.log().entries(&node.author(), log_id, None, None)?;
        let entries = entries.collect::<Result<_, _>>()?;
        logs.push(ExpectedLog { name: NODE, author: node.author(), log_id, entries });
    }
    let all: Vec<&ExpectedLog> = peers.iter().chain(&logs).collect();

    let counts_reader = views.reader(EntryCounts::NAME)?;
    let mut counts = Vec::new();
    for log in &all {
        let totals = EntryCounts::log(&counts_reader, &log.author, log.log_id)?.unwrap_or_default();
        counts.push((log.name.to_owned(), log.log_id, totals.entries, totals.payload_bytes));
    }
    drop(counts_reader);
    let topic_reader = views.reader(LatestByTopic::NAME)?;
    let latest = LatestByTopic::authors(&topic_reader, &topic)?
        .into_iter()
        .map(|(author, latest)| {
            (author_name(all.iter().copied(), &author), latest.log_id, latest.seq, latest.offset)
        })
        .collect();
    drop(topic_reader);
    let before = settings_entries(&views.reader(SETTINGS)?)?;
    let settings = shown_settings(&before);
    let opened =
        DEMO_VIEWS.iter().map(|(name, mode)| ((*name).to_owned(), mode.to_string())).collect();
    drop(views);

    let bump = bump_settings(db, &before)?;
    let demo = ViewsDemo {
        opened,
        built_from,
        appended,
        lag_after_append,
        waited: (LatestByTopic::NAME.to_owned(), posted.offset),
        counts,
        topic: TOPIC.to_owned(),
        latest,
        settings,
        bump: (SETTINGS.to_owned(), previous, SETTINGS_VERSION),
        bumped_state: bump.0,
        refused: bump.1,
        rebuilt: (bump.2, bump.3, REBUILD_BATCH),
        after_reopen: Vec::new(),
    };
    Ok((demo, logs))
}

/// This release: the settings index at a new version. Reopened, the index is reported
/// rebuilding and its reader refused; `catch_up` (the demo drives it, without the worker, in
/// small batches, each committed with its progress) rebuilds it equal to `before`. Returns the
/// state it was reported in, the reader's refusal, and the entries and batches it was rebuilt
/// from.
fn bump_settings(
    db: &Arc<RocksDb>,
    before: &[Indexed],
) -> Result<(String, String, u64, u64), CliError> {
    let fail = |what: String| CliError::Verification(format!("views: {what}"));
    let batches = Arc::new(AtomicU64::new(0));
    let (counted, reached) = (Arc::clone(&batches), AtomicU64::new(0));
    let views = demo_views()
        .batch(REBUILD_BATCH)
        .background(false)
        .on_progress(move |progress| {
            let moved = reached.fetch_max(progress.since, Ordering::Relaxed) < progress.since;
            if progress.view == SETTINGS && moved {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        })
        .open(Arc::clone(db), Ed25519, LogConfig::default())?;
    let status = views.status(SETTINGS)?;
    if status.phase == Phase::Ready {
        return Err(fail(format!("{SETTINGS} at a new version was not set to be rebuilt")));
    }
    let refused = match views.reader(SETTINGS) {
        Err(error @ ViewError::Rebuilding { .. }) => error.to_string(),
        Err(error) => return Err(error.into()),
        Ok(_) => return Err(fail(format!("{SETTINGS} was read while rebuilding"))),
    };
    views.catch_up()?;
    let rebuilt = views.status(SETTINGS)?;
    if rebuilt.phase != Phase::Ready || rebuilt.lag != 0 || rebuilt.version != SETTINGS_VERSION {
        return Err(fail(format!("{SETTINGS} after catch_up: {rebuilt:?}")));
    }
    if settings_entries(&views.reader(SETTINGS)?)? != before {
        return Err(fail(format!("{SETTINGS} rebuilt differs from before")));
    }

    Ok((status.phase.to_string(), refused, rebuilt.since, batches.load(Ordering::Relaxed)))
}

/// After reopening: every view is ready at the version of this release's code (nothing to
/// rebuild) and current; the entry counts equal what every log holds, the latest entry per
/// author under the topic is the last post that names it, and the settings are the last ones set.
fn verify_views(
    db: &Arc<RocksDb>,
    expected: &[ExpectedLog],
    demo: &mut ViewsDemo,
) -> Result<(), CliError> {
    let fail = |what: String| CliError::Verification(format!("views: {what}"));
    let views =
        demo_views().background(false).open(Arc::clone(db), Ed25519, LogConfig::default())?;
    if let Some(status) = views.statuses().iter().find(|s| s.phase != Phase::Ready) {
        return Err(fail(format!("{} reopened {}", status.name, status.phase)));
    }
    views.catch_up()?;
    let statuses = views.statuses();
    if let Some(status) = statuses.iter().find(|s| s.lag != 0 || s.error.is_some()) {
        return Err(fail(format!("{} after catch_up: {status:?}", status.name)));
    }

    let reader = views.reader(EntryCounts::NAME)?;
    let mut per_author: Vec<(Author, Totals)> = Vec::new();
    for log in expected {
        let bytes = log.entries.iter().map(|entry| entry.header.payload_size).sum();
        let want = Totals { entries: log.entries.len() as u64, payload_bytes: bytes };
        let got = EntryCounts::log(&reader, &log.author, log.log_id)?;
        if got != Some(want) {
            return Err(fail(format!(
                "{}'s log {} counted {got:?}, appended {want:?}",
                log.name, log.log_id
            )));
        }
        match per_author.iter_mut().find(|(author, _)| *author == log.author) {
            Some((_, totals)) => {
                totals.entries += want.entries;
                totals.payload_bytes += want.payload_bytes;
            }
            None => per_author.push((log.author, want)),
        }
    }
    for (author, want) in &per_author {
        if EntryCounts::author(&reader, author)? != Some(*want) {
            return Err(fail(format!(
                "{}'s entries are miscounted",
                author_name(expected, author)
            )));
        }
    }

    let topic = chat_topic();
    let reader = views.reader(LatestByTopic::NAME)?;
    for log in expected {
        let last = log.entries.iter().rev().find(|e| topic_in_extensions(e) == Some(topic));
        let Some(last) = last else { continue };
        let latest = LatestByTopic::latest(&reader, &topic, &log.author)?;
        if latest.map(|l| (l.log_id, l.seq, l.hash))
            != Some((log.log_id, last.header.seq, last.hash().0))
        {
            return Err(fail(format!(
                "{}'s latest post under {TOPIC} is {latest:?}, not seq {}",
                log.name, last.header.seq
            )));
        }
    }

    let reader = views.reader(SETTINGS)?;
    let index = settings_index(SETTINGS_VERSION);
    // The last value set for each key wins.
    let set: std::collections::BTreeMap<&str, &str> =
        NODE_SETTINGS.iter().filter_map(|setting| setting.split_once('=')).collect();
    for (key, value) in set {
        let got = index.get(&reader, key.as_bytes())?.map(|indexed| indexed.value);
        if got.as_deref() != Some(value.as_bytes()) {
            return Err(fail(format!("setting {key} is not {value}")));
        }
    }
    demo.after_reopen = statuses.iter().map(status_row).collect();
    Ok(())
}

fn progress_bar(total: u64, out: &Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} calls ({per_sec})") {
        bar.set_style(style);
    }
    bar
}

/// Creates each context's metadata, configuration and identities in one atomic commit each.
fn create_contexts(store: &mut Store<RocksDb>, contexts: u32) -> Result<(), CliError> {
    for c in 0..contexts {
        let context = context_id(c);
        let mut layer = Handle::new(Temporal::new(&mut *store));
        let meta = MetaRecord {
            application_id: ApplicationId(sha256(&[b"application"])),
            last_transaction_hash: Hash::default(),
        };
        layer.put(&ContextMeta { context_id: context }, &meta)?;
        let config = ConfigRecord { application_revision: 1, members_revision: 1 };
        layer.put(&ContextConfig { context_id: context }, &config)?;
        for i in 0..IDENTITIES {
            let public_key = PublicKey(sha256(&[&context.0, b"member", &i.to_be_bytes()]));
            let private_key = (i == 0).then(|| PrivateKey(sha256(&[&public_key.0, b"secret"])));
            layer.put(
                &ContextIdentity { context_id: context, public_key },
                &IdentityRecord { private_key },
            )?;
        }
        layer.into_inner().commit()?;
    }
    Ok(())
}

/// Executes one call in a `Temporal` layer: update state, record the transaction chained to the
/// previous one, move the context's head — then commit, or roll back one call in ten.
fn execute_call(
    store: &mut Store<RocksDb>,
    context: &ContextId,
    call: u32,
) -> Result<bool, CliError> {
    let mut layer = Handle::new(Temporal::new(&mut *store));
    let meta_key = ContextMeta { context_id: *context };
    let mut meta = layer
        .get(&meta_key)?
        .ok_or_else(|| CliError::Verification("context has no meta".into()))?;
    for k in 0..KEYS_PER_CALL {
        let key = ContextState {
            context_id: *context,
            state_key: slot(context, (call * KEYS_PER_CALL + k) % SLOTS),
        };
        let previous = layer.get(&key)?.map_or(0, |v| v.first().copied().unwrap_or(0));
        let value = [previous.wrapping_add(1)].repeat(64);
        layer.put(&key, &Slice::from(value))?;
    }
    let record = TransactionRecord {
        method: "update".into(),
        payload: call.to_be_bytes().to_vec(),
        prior_hash: meta.last_transaction_hash,
    };
    let hash = transaction_hash(context, &record);
    layer.put(&ContextTransaction { context_id: *context, hash }, &record)?;
    meta.last_transaction_hash = hash;
    layer.put(&meta_key, &meta)?;

    if rolled_back(call) {
        return Ok(false); // dropping the layer discards every write of the call
    }
    layer.into_inner().commit()?;
    Ok(true)
}

/// Walks one context's state by key range; returns how many entries it saw.
fn walk_one_context(store: &Store<RocksDb>, context: &ContextId) -> Result<usize, CliError> {
    let handle = Handle::new(store);
    let mut count = 0;
    for item in handle.iter_prefix::<ContextState, _>(context)? {
        let (key, _) = item?;
        if key.context_id != *context {
            return Err(CliError::Verification("prefix walk left its context".into()));
        }
        count += 1;
    }
    Ok(count)
}

/// The first entry of the `meta` column as a tool sees it: raw bytes, decoded through the node
/// schema's descriptor (what `strata scan` and `strata get` do for every column they know).
fn decode_first_meta(store: &impl ReadLayer) -> Result<(String, String), CliError> {
    let descriptor = strata::node::SCHEMA
        .column(strata::node::META.name())
        .ok_or_else(|| CliError::Verification("the node schema describes no meta column".into()))?;
    let (key, value) = store
        .iter(strata::node::META, ..)?
        .next()
        .ok_or_else(|| CliError::Verification("no meta entry".into()))??;
    let fail = |e: &dyn std::fmt::Display| CliError::Verification(format!("meta entry: {e}"));
    Ok((
        descriptor.render_key(&key).map_err(|e| fail(&e))?,
        descriptor.render_value(&value).map_err(|e| fail(&e))?,
    ))
}

/// After reopening: every context's hash chain, call count, state and identities are complete.
fn verify(store: &impl ReadLayer, args: &DemoArgs) -> Result<(), CliError> {
    let handle = Handle::new(store);
    let committed_per_context = (0..args.calls).filter(|&c| !rolled_back(c)).count();
    let touched: std::collections::BTreeSet<u32> = (0..args.calls)
        .filter(|&c| !rolled_back(c))
        .flat_map(|c| (0..KEYS_PER_CALL).map(move |k| (c * KEYS_PER_CALL + k) % SLOTS))
        .collect();
    for c in 0..args.contexts {
        let context = context_id(c);
        let fail = |what: String| CliError::Verification(format!("context {c}: {what}"));
        let meta = handle
            .get(&ContextMeta { context_id: context })?
            .ok_or_else(|| fail("meta missing".into()))?;
        let mut head = meta.last_transaction_hash;
        let mut chain = 0;
        while head != Hash::default() {
            let record = handle
                .get(&ContextTransaction { context_id: context, hash: head })?
                .ok_or_else(|| fail(format!("transaction {head:?} missing from the chain")))?;
            if transaction_hash(&context, &record) != head {
                return Err(fail(format!("transaction {head:?} does not hash to its key")));
            }
            head = record.prior_hash;
            chain += 1;
        }
        if chain != committed_per_context {
            return Err(fail(format!("chain has {chain} calls, expected {committed_per_context}")));
        }
        let stored = handle.iter_prefix::<ContextTransaction, _>(&context)?.count();
        if stored != committed_per_context {
            return Err(fail(format!(
                "{stored} transactions stored, expected {committed_per_context}"
            )));
        }
        let state = handle.iter_prefix::<ContextState, _>(&context)?.count();
        if state != touched.len() {
            return Err(fail(format!("{state} state entries, expected {}", touched.len())));
        }
        let identities = handle.iter_prefix::<ContextIdentity, _>(&context)?.count();
        if identities != IDENTITIES as usize {
            return Err(fail(format!("{identities} identities, expected {IDENTITIES}")));
        }
    }
    Ok(())
}

fn count_columns(
    store: &impl ReadLayer,
    columns: &[Column],
) -> Result<Vec<(&'static str, usize)>, CliError> {
    columns.iter().map(|column| Ok((column.name(), store.iter(*column, ..)?.count()))).collect()
}

/// Total size of the files under `path`.
fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_chain() {
        let context = context_id(1);
        let first =
            TransactionRecord { method: "m".into(), payload: vec![1], prior_hash: Hash::default() };
        let second =
            TransactionRecord { prior_hash: transaction_hash(&context, &first), ..first.clone() };
        assert_ne!(transaction_hash(&context, &first), transaction_hash(&context, &second));
        assert!(rolled_back(7) && rolled_back(17) && !rolled_back(8));
    }
}
