//! A three-step migration over a small bank schema, for the migration tests, the migration crash
//! test and the migration benchmark: a database written at version 1, the steps that bring it
//! to version 4, and the expected result computed from version 1's data without them.
//!
//! Version 1 stores `accounts` (a `u32` id, big-endian → an `i32` balance in whole units,
//! little-endian), `notes` (account id → text, every fourth account) and `legacy` (1 000
//! entries nobody reads). The steps:
//!
//! 1. **1 → 2**, balances in cents as `i64`: transform every value of `accounts`; an account
//!    whose balance is zero is closed (deleted).
//! 2. **2 → 3**, `notes` renamed `memos`, `legacy` dropped, an empty `audit` column added.
//! 3. **3 → 4**, account ids widened to `u64`: re-lay `accounts` into `accounts_wide`, then
//!    rename that back to `accounts`.

use std::collections::BTreeMap;

use strata_core::error::BoxError;
use strata_core::migrate::{Change, Relaid, Step};
use strata_core::versions::{self, VERSIONS};
use strata_core::{Column, Database, Schema, StorageError, Transaction};

/// Each column's entries by name, in key order.
pub type Contents = BTreeMap<&'static str, Vec<(Vec<u8>, Vec<u8>)>>;

/// Accounts: id → balance.
pub const ACCOUNTS: Column = Column::new("accounts");
/// Notes on accounts (version 1 and 2).
pub const NOTES: Column = Column::new("notes");
/// Unused data (version 1 and 2).
pub const LEGACY: Column = Column::new("legacy");
/// Notes on accounts (version 3 on).
pub const MEMOS: Column = Column::new("memos");
/// An audit trail (version 3 on; empty).
pub const AUDIT: Column = Column::new("audit");
/// Scratch column of step 3 → 4.
pub const ACCOUNTS_WIDE: Column = Column::new("accounts_wide");

/// Every column any version uses, and the versions column.
pub const COLUMNS: [Column; 7] = [ACCOUNTS, NOTES, LEGACY, MEMOS, AUDIT, ACCOUNTS_WIDE, VERSIONS];

/// The schema at version 1.
pub const V1: Schema = Schema::new("bank", &[]);

/// The three steps.
pub const STEPS: &[Step] = &[
    Step::new(
        1,
        "balances in cents, zero balances closed",
        &[Change::TransformValues { column: ACCOUNTS, transform: to_cents }],
    ),
    Step::new(
        2,
        "notes become memos, legacy data dropped, audit trail added",
        &[
            Change::RenameColumn { from: NOTES, to: MEMOS },
            Change::DropColumn(LEGACY),
            Change::AddColumn(AUDIT),
        ],
    ),
    Step::new(
        3,
        "account ids widened to u64",
        &[
            Change::RelayKeys { from: ACCOUNTS, to: ACCOUNTS_WIDE, relay: widen },
            Change::RenameColumn { from: ACCOUNTS_WIDE, to: ACCOUNTS },
        ],
    ),
];

/// The schema at version 4, with its steps.
pub const V4: Schema = Schema::new("bank", &[]).with_version(4).with_migrations(STEPS);

/// Step 1 → 2: whole units as `i32` → cents as `i64`; zero closes the account.
///
/// # Errors
///
/// A value that is not 4 bytes.
pub fn to_cents(_key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
    let units = i32::from_le_bytes(value.try_into()?);
    Ok((units != 0).then(|| (i64::from(units) * 100).to_le_bytes().to_vec()))
}

/// Step 3 → 4: a `u32` id → a `u64` id.
///
/// # Errors
///
/// A key that is not 4 bytes.
pub fn widen(key: &[u8], value: &[u8]) -> Result<Relaid, BoxError> {
    let id = u32::from_be_bytes(key.try_into()?);
    Ok(Some((u64::from(id).to_be_bytes().to_vec(), value.to_vec())))
}

/// Account `id`'s balance at version 1: from −100 to 899, zero for one account in a thousand.
pub fn balance(id: u32) -> i32 {
    i32::try_from(id.wrapping_mul(2_654_435_761) % 1000).unwrap_or(0) - 100
}

/// Writes version 1 of the bank with `accounts` accounts (and a note on every fourth, and the
/// legacy data) in batches, and records version 1.
///
/// # Errors
///
/// The database failing.
pub fn populate_v1<D: Database>(db: &D, accounts: u32) -> Result<(), StorageError> {
    let mut transaction = Transaction::new();
    for id in 0..accounts {
        transaction.put(ACCOUNTS, id.to_be_bytes(), balance(id).to_le_bytes());
        if id % 4 == 0 {
            transaction.put(NOTES, id.to_be_bytes(), format!("note on account {id}"));
        }
        if id < 1000 {
            transaction.put(LEGACY, id.to_be_bytes(), [0xAB; 100]);
        }
        if transaction.len() >= 10_000 {
            db.apply(&transaction)?;
            transaction.clear();
        }
    }
    db.apply(&transaction)?;
    versions::record(db, &[V1]).map_err(|e| StorageError::backend(e.to_string()))?;
    Ok(())
}

/// Every column's expected contents at version 4 for a bank populated with `accounts`
/// accounts, computed from version 1's data directly.
pub fn expected_v4(accounts: u32) -> Contents {
    let mut expected: BTreeMap<_, Vec<_>> =
        [ACCOUNTS, NOTES, LEGACY, MEMOS, AUDIT, ACCOUNTS_WIDE].map(|c| (c.name(), vec![])).into();
    for id in 0..accounts {
        let cents = i64::from(balance(id)) * 100;
        if cents != 0 {
            let key = u64::from(id).to_be_bytes().to_vec();
            expected.entry(ACCOUNTS.name()).or_default().push((key, cents.to_le_bytes().to_vec()));
        }
        if id % 4 == 0 {
            let note = format!("note on account {id}").into_bytes();
            expected.entry(MEMOS.name()).or_default().push((id.to_be_bytes().to_vec(), note));
        }
    }
    expected
}

/// Every column's contents (versions aside), to compare with [`expected_v4`].
pub fn contents<D: Database>(db: &D) -> Contents {
    [ACCOUNTS, NOTES, LEGACY, MEMOS, AUDIT, ACCOUNTS_WIDE]
        .map(|column| (column.name(), crate::column_contents(db, column)))
        .into()
}
