//! `strata migrate [--dry-run]`: brings every schema this build knows up to its version, with a
//! progress bar, or reports what that would change without writing; and the demo's migration
//! step, over the ledger of `crate::ledger`.

use std::path::Path;
use std::time::{Duration, Instant};

use std::fmt::Write as _;

use borsh::BorshDeserialize;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use strata::encryption::{EncryptedDb, UnlockKey};
use strata::migrate::{Migrator, StepReport};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::versions::{self, VERSIONS};
use strata::{AsKeyParts, Column};

use crate::error::CliError;
use crate::key;
use crate::ledger::{LEDGER, LedgerEntry, LedgerKey, ledger_entry, write_ledger_v1};
use crate::output::{LedgerDemo, table_text};

/// The demo's migration step: writes the ledger at version 1 into the new database at `path`,
/// reports what migrating it would change, migrates it, and checks every entry.
pub(crate) fn ledger_demo(path: &Path, show_progress: bool) -> Result<LedgerDemo, CliError> {
    const ACCOUNTS: u32 = 100;
    const PER_ACCOUNT: u32 = 500;
    write_ledger_v1(&RocksConfig::new(path), ACCOUNTS, PER_ACCOUNT)?;
    let dry = run(path, true, false)?;
    let done = run(path, false, show_progress)?;
    if dry.steps != done.steps {
        return Err(CliError::Verification(
            "the migration did not do what its dry run reported".to_owned(),
        ));
    }
    let db = RocksDb::open_read_only(&RocksConfig::new(path), &[LEDGER])?;
    let mut verified = 0;
    for account in 0..ACCOUNTS {
        for seq in 0..PER_ACCOUNT {
            let key = LedgerKey { account, seq: u64::from(seq) }.as_key();
            let (units, memo) = ledger_entry(account, seq);
            let expected = LedgerEntry { cents: i64::from(units) * 100, memo };
            let found = strata::Database::get(&db, LEDGER, key.as_bytes())?
                .map(|bytes| LedgerEntry::try_from_slice(&bytes));
            if !matches!(&found, Some(Ok(entry)) if *entry == expected) {
                return Err(CliError::Verification(format!(
                    "ledger entry {seq} of account {account} is not what migrating it gives"
                )));
            }
            verified += 1;
        }
    }
    Ok(LedgerDemo {
        entries: u64::from(ACCOUNTS * PER_ACCOUNT),
        dry_table: table_text(&HEADER, &rows(&dry)),
        dry_json: to_json(&dry),
        run_json: to_json(&done),
        elapsed: done.elapsed,
        steps: done
            .steps
            .iter()
            .map(|step| format!("{} → {} ({})", step.from, step.to, step.description))
            .collect(),
        versions: done.versions.iter().map(|(name, v)| format!("{name} {v}")).collect(),
        verified,
    })
}

/// What a migration did or, dry, would do.
pub(crate) struct Migration {
    /// Whether nothing was written.
    pub(crate) dry_run: bool,
    /// Each step run.
    pub(crate) steps: Vec<StepReport>,
    /// How long it took.
    pub(crate) elapsed: Duration,
    /// Every recorded schema version afterwards (as they would be, for a dry run).
    pub(crate) versions: Vec<(String, u32)>,
    /// Column families on disk that no schema this build knows claims.
    pub(crate) unknown: Vec<String>,
}

/// Every column a migration of the CLI's schemas may touch.
fn all_columns() -> Vec<Column> {
    let mut columns = vec![VERSIONS];
    for schema in crate::schema::SCHEMAS {
        for column in schema.column_set().chain(schema.migration_columns()) {
            if !columns.iter().any(|c| c.name() == column.name()) {
                columns.push(column);
            }
        }
    }
    columns
}

/// A progress bar over each change's entries, hidden under `--json`.
fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "migrating {msg:50} {bar:30} {pos}/{len} entries ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Migrates the database at `path` (or, `dry_run`, reports what that would change, opening it
/// read-only), showing progress when `show_progress`. An encrypted database is migrated through
/// its encryption, with its key (`crate::key`): values are read opened and written sealed.
pub(crate) fn run(path: &Path, dry_run: bool, show_progress: bool) -> Result<Migration, CliError> {
    run_with(path, dry_run, show_progress, || key::required(&path.display().to_string()))
}

/// [`run`], with `key` giving the key when the database is encrypted.
fn run_with(
    path: &Path,
    dry_run: bool,
    show_progress: bool,
    key: impl FnOnce() -> Result<UnlockKey, CliError>,
) -> Result<Migration, CliError> {
    let schemas = crate::schema::SCHEMAS;
    let config = RocksConfig::new(path).create_if_missing(false);
    let columns = all_columns();
    // What this build cannot migrate (newer, or no step from its version) is refused before
    // anything is written; so is a key that does not open an encrypted database.
    let probe = RocksDb::open_read_only(&config, &[VERSIONS])?;
    let key = if strata::Database::columns(&probe).contains(&VERSIONS) {
        Migrator::new(schemas).check(&probe)?;
        if key::is_encrypted(&strata::Store::new(&probe))? {
            let key = key()?;
            EncryptedDb::open(&probe, &key)?;
            Some(key)
        } else {
            None
        }
    } else {
        None
    };
    drop(probe);
    let started = Instant::now();
    let steps = if dry_run {
        let db = key::unlock_with(RocksDb::open_read_only(&config, &columns)?, key.as_ref())?;
        Migrator::new(schemas).dry_run(&db)?
    } else {
        let bar = progress_bar(show_progress);
        let db = key::unlock_with(RocksDb::open(&config, &columns)?, key.as_ref())?;
        let mut migrator = Migrator::new(schemas).on_progress(|progress| {
            let change = &progress.step.changes()[progress.change];
            bar.set_message(format!(
                "{} {} → {}: {}",
                progress.schema,
                progress.step.from(),
                progress.step.to(),
                change.describe()
            ));
            bar.set_length(progress.total);
            bar.set_position(progress.done);
        });
        let steps = migrator.run(&db)?;
        bar.finish_and_clear();
        versions::record(&db, schemas).map_err(|e| CliError::Migrate(e.into()))?;
        steps
    };
    let elapsed = started.elapsed();
    // Reopened as an application opens it: the families the migration emptied are removed, and
    // what is left that no schema claims is reported.
    let db = if dry_run {
        RocksDb::open_read_only(&config, &columns)?
    } else {
        RocksDb::open_versioned(&config, schemas, &[])?
    };
    let mut versions = versions::recorded(&db).map_err(|e| CliError::Migrate(e.into()))?.schemas;
    if dry_run {
        for step in &steps {
            if let Some(recorded) = versions.iter_mut().find(|(name, _)| name == step.schema) {
                recorded.1 = recorded.1.max(step.to);
            }
        }
    }
    let unknown = db
        .undeclared_columns()
        .iter()
        .filter(|name| {
            let removed =
                dry_run && steps.iter().flat_map(|s| &s.changes).any(|c| c.column == name.as_str());
            !removed && crate::schema::owner(name).is_none()
        })
        .cloned()
        .collect();
    Ok(Migration { dry_run, steps, elapsed, versions, unknown })
}

/// `strata migrate`: its report as text and as JSON.
pub(crate) fn migrate(
    path: &Path,
    dry_run: bool,
    show_progress: bool,
) -> Result<(String, Value), CliError> {
    let migration = run(path, dry_run, show_progress)?;
    let rows = rows(&migration);
    let json = to_json(&migration);
    let mut text = if migration.steps.is_empty() {
        "every schema is at this build's version: nothing to migrate\n".to_owned()
    } else {
        let verb = if dry_run { "would run" } else { "ran" };
        format!(
            "{verb} {} step(s) in {:.2} s{}\n{}\n",
            migration.steps.len(),
            migration.elapsed.as_secs_f64(),
            if dry_run { " (dry run: nothing was written)" } else { "" },
            table_text(&HEADER, &rows)
        )
    };
    let shown: Vec<String> = migration.versions.iter().map(|(s, v)| format!("{s} {v}")).collect();
    let _ = write!(
        text,
        "recorded versions{}: {}",
        if dry_run && !migration.steps.is_empty() { " after it" } else { "" },
        shown.join(", ")
    );
    if !migration.unknown.is_empty() {
        let _ = write!(
            text,
            "\ncolumns on disk that no schema of this build claims (kept, not migrated): {}",
            migration.unknown.join(", ")
        );
    }
    Ok((text, json))
}

/// The columns of the migration table.
pub(crate) const HEADER: [&str; 8] =
    ["schema", "step", "change", "column", "read", "written", "deleted", "batches"];

/// One row per change.
pub(crate) fn rows(migration: &Migration) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for step in &migration.steps {
        for change in &step.changes {
            rows.push(vec![
                step.schema.to_owned(),
                format!("{} → {}", step.from, step.to),
                format!("{}{}", change.change, if change.resumed { " (resumed)" } else { "" }),
                change.column.to_owned(),
                change.read.to_string(),
                change.written.to_string(),
                change.deleted.to_string(),
                change.batches.to_string(),
            ]);
        }
    }
    rows
}

/// The migration as JSON.
pub(crate) fn to_json(migration: &Migration) -> Value {
    let steps: Vec<Value> = migration
        .steps
        .iter()
        .map(|step| {
            let changes: Vec<Value> = step
                .changes
                .iter()
                .map(|change| {
                    json!({
                        "change": change.change,
                        "column": change.column,
                        "read": change.read,
                        "written": change.written,
                        "deleted": change.deleted,
                        "batches": change.batches,
                        "resumed": change.resumed,
                    })
                })
                .collect();
            json!({
                "schema": step.schema,
                "from": step.from,
                "to": step.to,
                "description": step.description,
                "changes": changes,
            })
        })
        .collect();
    let versions: serde_json::Map<String, Value> =
        migration.versions.iter().map(|(name, v)| (name.clone(), json!(v))).collect();
    json!({
        "dry_run": migration.dry_run,
        "steps": steps,
        "seconds": migration.elapsed.as_secs_f64(),
        "versions": versions,
        "unknown_columns": migration.unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata::encryption::{Encrypted, EncryptionError, ResealOptions};
    use strata::{Database as _, Store};

    /// The ledger at version 1, encrypted, migrated through its encryption: a wrong key is
    /// refused before anything is written; with the right one every entry reads migrated, and
    /// sealed (the raw bytes are not the entry).
    #[test]
    fn an_encrypted_database_migrates_through_its_encryption() {
        const ACCOUNTS: u32 = 3;
        const PER_ACCOUNT: u32 = 4;
        let dir = tempfile::tempdir().unwrap();
        let config = RocksConfig::new(dir.path().join("db"));
        write_ledger_v1(&config, ACCOUNTS, PER_ACCOUNT).unwrap();
        let key = || UnlockKey::from_bytes([7; 32]);
        {
            let db = RocksDb::open_existing(&config).unwrap();
            let columns: Vec<Column> =
                db.columns().into_iter().filter(|c| c.name() != VERSIONS.name()).collect();
            Encrypted::encrypt_existing(
                Store::new(db),
                &key(),
                &columns,
                ResealOptions::default(),
                |_| {},
            )
            .unwrap();
        }
        let path = config.path().to_owned();
        let wrong = run_with(&path, false, false, || Ok(UnlockKey::from_bytes([8; 32])));
        assert!(matches!(wrong, Err(CliError::Encryption(EncryptionError::WrongKey))));
        let dry = run_with(&path, true, false, || Ok(key())).unwrap();
        let done = run_with(&path, false, false, || Ok(key())).unwrap();
        assert_eq!(done.steps.len(), 2);
        assert_eq!(dry.steps, done.steps);

        let raw = RocksDb::open_read_only(&config, &[LEDGER, VERSIONS]).unwrap();
        let db = EncryptedDb::open(&raw, &key()).unwrap();
        for account in 0..ACCOUNTS {
            for seq in 0..PER_ACCOUNT {
                let key = LedgerKey { account, seq: u64::from(seq) }.as_key();
                let (units, memo) = ledger_entry(account, seq);
                let expected = LedgerEntry { cents: i64::from(units) * 100, memo };
                let stored = db.get(LEDGER, key.as_bytes()).unwrap().unwrap();
                assert_eq!(LedgerEntry::try_from_slice(&stored).unwrap(), expected);
                let sealed = raw.get(LEDGER, key.as_bytes()).unwrap().unwrap();
                assert!(LedgerEntry::try_from_slice(&sealed).ok() != Some(expected));
            }
        }
    }
}
