//! `strata demo`: a node runtime at work, then a reopen that verifies everything it wrote.

use std::path::{Path, PathBuf};
use std::time::Instant;

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
use strata::kv::{KvStore, WriteBatch};
use strata::node::{
    ApplicationId, COLUMNS, ConfigRecord, ContextConfig, ContextId, ContextIdentity, ContextMeta,
    ContextState, ContextTransaction, Hash, IdentityRecord, MetaRecord, PrivateKey, PublicKey,
    StateKey, TransactionRecord,
};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Handle, ReadLayer, ReadOnly, Slice, Store, Temporal};

use crate::error::CliError;
use crate::output::{DemoSummary, KvDemo, Output};

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

/// The node schema's columns and the KV store's: one database holds both.
fn all_columns() -> Vec<Column> {
    COLUMNS.iter().chain(&strata::kv::COLUMNS).copied().collect()
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
    let mut store = Store::new(RocksDb::open(&config, &columns)?);
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
    drop(store);

    // Verification reads through a `ReadOnly` view: the compiler guarantees it writes nothing.
    let db = RocksDb::open(&config, &columns)?;
    let store = ReadOnly::new(Store::new(&db));
    verify(&store, args)?;
    kv.after_reopen = verify_lightning_state(&KvStore::open(&db)?)?;
    let counts = count_columns(&store, &columns)?;
    let decoded = decode_first_meta(&store)?;
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
    });
    Ok(())
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
