//! The demo application's ledger: a schema at version 3 whose steps bring version 1's layout
//! (32-bit sequence numbers, amounts in whole units, a totals cache) up to date. The demo writes
//! it at version 1 and migrates it.

use borsh::{BorshDeserialize, BorshSerialize};
use strata::error::BoxError;
use strata::migrate::{Change, Relaid, Step};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{AsKeyParts, BorshValue, Column, ColumnDescriptor, Entry, FromKeyParts, Schema, key};

use crate::error::CliError;

/// The demo ledger's entries.
pub(crate) const LEDGER: Column = Column::new("ledger");
/// Where step 2 → 3 re-lays the ledger before renaming it back.
const LEDGER_WIDE: Column = Column::new("ledger_wide");
/// Version 1's per-account totals, which version 3 no longer keeps.
const LEDGER_TOTALS: Column = Column::new("ledger_totals");

key! {
    /// A ledger entry's key: the account and the entry's sequence number in it.
    pub(crate) struct LedgerKey in LEDGER {
        /// The account.
        pub(crate) account: u32,
        /// The entry's number within the account (32 bits before version 3).
        pub(crate) seq: u64,
    }
}

key! {
    /// A ledger entry's key at versions 1 and 2.
    struct LedgerKeyV1 in LEDGER {
        account: u32,
        seq: u32,
    }
}

/// A ledger entry (versions 2 and 3).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) struct LedgerEntry {
    /// The amount, in cents.
    pub(crate) cents: i64,
    /// What it was for.
    pub(crate) memo: String,
}

impl BorshValue for LedgerEntry {}

impl Entry for LedgerKey {
    type Value<'a> = LedgerEntry;
}

/// A ledger entry at version 1: whole units.
#[derive(BorshSerialize, BorshDeserialize)]
struct LedgerEntryV1 {
    units: i32,
    memo: String,
}

/// Step 1 → 2: amounts in cents.
fn to_cents(_key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
    let old = LedgerEntryV1::try_from_slice(value)?;
    let new = LedgerEntry { cents: i64::from(old.units) * 100, memo: old.memo };
    Ok(Some(borsh::to_vec(&new)?))
}

/// Step 2 → 3: sequence numbers widened to 64 bits.
fn widen_seq(key: &[u8], value: &[u8]) -> Result<Relaid, BoxError> {
    let old = LedgerKeyV1::from_bytes(key)?;
    let new = LedgerKey { account: old.account, seq: u64::from(old.seq) };
    Ok(Some((new.as_key().as_bytes().to_vec(), value.to_vec())))
}

const LEDGER_STEPS: &[Step] = &[
    Step::new(
        1,
        "amounts in cents",
        &[Change::TransformValues { column: LEDGER, transform: to_cents }],
    ),
    Step::new(
        2,
        "sequence numbers widened to 64 bits, the totals cache dropped",
        &[
            Change::RelayKeys { from: LEDGER, to: LEDGER_WIDE, relay: widen_seq },
            Change::RenameColumn { from: LEDGER_WIDE, to: LEDGER },
            Change::DropColumn(LEDGER_TOTALS),
        ],
    ),
];

/// The demo application's ledger, at version 3, with the steps from versions 1 and 2.
pub(crate) const LEDGER_SCHEMA: Schema =
    Schema::new("ledger", &[ColumnDescriptor::of::<LedgerKey>()])
        .with_version(3)
        .with_migrations(LEDGER_STEPS);

/// The ledger as version 1 of the demo application wrote it.
pub(crate) const LEDGER_V1: Schema = Schema::new("ledger", &[]);

/// Entry `seq` of `account` in the demo's ledger: its amount in whole units and its memo.
pub(crate) fn ledger_entry(account: u32, seq: u32) -> (i32, String) {
    let units = i32::try_from((account * 7 + seq * 13) % 2000).unwrap_or(0) - 1000;
    (units, format!("payment {seq} of account {account}"))
}

/// Writes the ledger as version 1 did into a new database at `config`: `accounts` accounts of
/// `per_account` entries and a totals cache, and records the ledger at version 1.
pub(crate) fn write_ledger_v1(
    config: &RocksConfig,
    accounts: u32,
    per_account: u32,
) -> Result<(), CliError> {
    let db = RocksDb::open_versioned(config, &[LEDGER_V1], &[LEDGER, LEDGER_TOTALS])?;
    for account in 0..accounts {
        let mut transaction = strata::Transaction::new();
        let mut total = 0_i64;
        for seq in 0..per_account {
            let (units, memo) = ledger_entry(account, seq);
            total += i64::from(units);
            let key = LedgerKeyV1 { account, seq }.as_key();
            let value = borsh::to_vec(&LedgerEntryV1 { units, memo })
                .map_err(|e| CliError::Engine(strata::StorageError::backend(e).into()))?;
            transaction.put(LEDGER, key.as_bytes(), value);
        }
        transaction.put(LEDGER_TOTALS, account.to_be_bytes(), total.to_le_bytes());
        strata::Database::apply(&db, &transaction)?;
    }
    Ok(())
}
