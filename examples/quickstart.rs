//! Quickstart: a node keeps one context's metadata, identities and state in RocksDB, commits a
//! call's writes atomically, walks the context's state by key range, and finds it all again after
//! reopening the database.
//!
//! `cargo run --example quickstart --features node [DB-DIR]` (a fresh temporary directory if none).

use strata::node::{
    ApplicationId, ContextId, ContextIdentity, ContextMeta, ContextState, ContextTransaction, Hash,
    IdentityRecord, MetaRecord, PublicKey, StateKey, TransactionRecord,
};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Handle, Slice, Store, Transaction, WriteLayer};

fn main() -> eyre::Result<()> {
    let temporary = tempfile::tempdir()?;
    let path = std::env::args_os().nth(1).map_or_else(|| temporary.path().join("db"), Into::into);
    let config = RocksConfig::new(&path);
    let mut store = Store::new(RocksDb::open(&config, &strata::node::COLUMNS)?);
    println!("opened {}", path.display());
    let context = ContextId([0x42; 32]);

    // One call's writes, committed together or not at all.
    let call = Hash([1; 32]);
    let mut tx = Transaction::new();
    tx.put_entry(
        &ContextMeta { context_id: context },
        &MetaRecord { application_id: ApplicationId([7; 32]), last_transaction_hash: call },
    )?;
    tx.put_entry(
        &ContextIdentity { context_id: context, public_key: PublicKey([3; 32]) },
        &IdentityRecord { private_key: None },
    )?;
    for n in 0..5_u8 {
        let key = ContextState { context_id: context, state_key: StateKey([n; 32]) };
        tx.put_entry(&key, &Slice::from(format!("value {n}").into_bytes()))?;
    }
    tx.put_entry(
        &ContextTransaction { context_id: context, hash: call },
        &TransactionRecord {
            method: "set".into(),
            payload: vec![1, 2, 3],
            prior_hash: Hash([0; 32]),
        },
    )?;
    store.apply(&tx)?;
    println!("committed {} writes in one transaction", tx.len());

    // Walk the context's state by prefix, then a bounded range in reverse.
    let handle = Handle::new(&store);
    for item in handle.iter_prefix::<ContextState, _>(&context)? {
        let (key, value) = item?;
        println!("state {:02x}.. = {}", key.state_key.0[0], String::from_utf8_lossy(&value));
    }
    let from = ContextState { context_id: context, state_key: StateKey([1; 32]) };
    let to = ContextState { context_id: context, state_key: StateKey([3; 32]) };
    let reversed: Vec<u8> = handle
        .iter(from..=to)?
        .rev()
        .map(|item| item.map(|(key, _)| key.state_key.0[0]))
        .collect::<Result<_, _>>()?;
    println!("keys 1..=3 in reverse: {reversed:?}");

    // Close, reopen, and check that everything is still there.
    drop(store);
    let store = Store::new(RocksDb::open(&config, &strata::node::COLUMNS)?);
    let handle = Handle::new(&store);
    let meta = handle
        .get(&ContextMeta { context_id: context })?
        .ok_or_else(|| eyre::eyre!("meta missing after reopening"))?;
    eyre::ensure!(meta.last_transaction_hash == call, "meta does not point at the last call");
    let entries = handle.iter_prefix::<ContextState, _>(&context)?.count();
    eyre::ensure!(entries >= 5, "expected 5 state entries after reopening, found {entries}");
    println!("quickstart passed: reopened, meta points at the last call, {entries} state entries");
    Ok(())
}
