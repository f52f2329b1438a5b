//! `strata encrypt DIR`: turns a plaintext database into an encrypted one, resumably; and
//! `strata rekey DIR [--rotate]`: puts the database under a new key, rotating the value key too
//! if asked. Both compact every column afterwards, so that what they replaced (plaintext, or the
//! key ring wrapped under the old key and values sealed under the old value key) leaves the table
//! files.

use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use strata::encryption::{Encrypted, EncryptionError, ResealOptions, ResealProgress, ResealReport};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::versions::VERSIONS;
use strata::{Column, Database as _, Layer as _, Store};

use crate::error::CliError;
use crate::key;
use crate::output::Output;

/// `strata encrypt --help`'s exit codes.
pub(crate) const ENCRYPT_EXIT_CODES: &str = "\
Exit codes: 0 success (encrypted, or already encrypted), 1 internal error (what was committed
stays: running it again resumes), 2 usage error, 3 the database cannot be opened, or the key does
not unlock the keys an earlier (interrupted or finished) run wrote, 4 no key was given, or it is
not 64 hex digits, or the two typed differ, 5 the database holds column families whose names
Strata cannot read (they would stay in plaintext: nothing is encrypted).";

/// `strata rekey --help`'s exit codes.
pub(crate) const REKEY_EXIT_CODES: &str = "\
Exit codes: 0 success (rekeyed, or the new key already opens the database), 1 internal error
(what was committed stays: running it again resumes a rotation), 2 usage error, 3 the database
cannot be opened, or neither key opens it, or its encryption was never finished (run `strata
encrypt` again), 4 the database is not encrypted, or a key is missing or not 64 hex digits, or
the two typed differ.";

/// A progress bar for a conversion or rotation: entries done of the total, and the column.
fn reseal_bar(out: &Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:24} {bar:40} {pos}/{len} entries ({per_sec}, {eta})")
    {
        bar.set_style(style);
    }
    bar
}

/// Moves `bar` to where a conversion or rotation reports it is.
fn observe(bar: &ProgressBar, what: &str, progress: &ResealProgress<'_>) {
    bar.set_length(progress.total);
    bar.set_position(progress.done);
    bar.set_message(format!("{what} {}", progress.column));
}

/// Flushes and compacts every column, with a spinner: the values a conversion or rotation
/// replaced are dropped from the table files, and the write-ahead log that held them retired.
fn compact(db: &RocksDb, out: &Output) -> Result<Duration, CliError> {
    let started = Instant::now();
    let spinner = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    spinner.set_message("compacting every column");
    spinner.enable_steady_tick(Duration::from_millis(100));
    db.flush()?;
    db.compact()?;
    db.flush()?;
    spinner.finish_and_clear();
    Ok(started.elapsed())
}

/// The database in `dir` with every column it holds, and the meta column, where the key ring
/// goes, created if it has none (a database written before versions were recorded).
fn open_dir(config: &RocksConfig) -> Result<RocksDb, CliError> {
    let db = RocksDb::open_existing(config)?;
    let mut columns = db.columns();
    if columns.iter().any(|c| c.name() == VERSIONS.name()) {
        return Ok(db);
    }
    drop(db);
    columns.push(VERSIONS);
    Ok(RocksDb::open(config, &columns)?)
}

/// `strata encrypt DIR`.
pub(crate) fn encrypt(dir: &Path, out: &Output) -> Result<(), CliError> {
    let config = RocksConfig::new(dir);
    let db = open_dir(&config)?;
    if !db.undeclared_columns().is_empty() {
        return Err(CliError::Verification(format!(
            "`{}` holds column families whose names are not valid Strata column names ({}); \
             Strata cannot read them, so they would stay in plaintext: nothing was encrypted",
            dir.display(),
            db.undeclared_columns().join(", ")
        )));
    }
    let columns: Vec<Column> =
        db.columns().into_iter().filter(|c| c.name() != VERSIONS.name()).collect();
    let key = key::for_new_database(&dir.display().to_string())?;

    let started = Instant::now();
    let bar = reseal_bar(out);
    let converted = Encrypted::encrypt_existing(
        Store::new(db),
        &key,
        &columns,
        ResealOptions::default(),
        |progress| observe(&bar, "encrypting", progress),
    );
    bar.finish_and_clear();
    let (db, report) = match converted {
        Ok((encrypted, report)) => (encrypted.into_base().into_inner(), Some(report)),
        // Finished before; compacting again costs little and makes sure no plaintext is left
        // where an earlier run was stopped before its compaction.
        Err(EncryptionError::AlreadyEncrypted) => (RocksDb::open_existing(&config)?, None),
        Err(error) => return Err(error.into()),
    };
    let elapsed = started.elapsed();
    let compacted_in = compact(&db, out)?;
    drop(db);

    let path = dir.display();
    let (text, json) = match report {
        Some(report) => {
            let resumed = if report.resumed { ", resuming an interrupted run" } else { "" };
            let text = format!(
                "encrypted {path}: {} values in {} column(s) sealed in {} committed batch(es) in \
                 {:.2} s{resumed}\ncompacted every column in {:.2} s: the plaintext they \
                 replaced is gone from the table files\nkeep the key: without it the values \
                 cannot be read",
                report.resealed,
                columns.len(),
                report.batches,
                elapsed.as_secs_f64(),
                compacted_in.as_secs_f64()
            );
            let json = json!({
                "database": path.to_string(),
                "already_encrypted": false,
                "columns": columns.len(),
                "sealed": report.resealed,
                "batches": report.batches,
                "resumed": report.resumed,
                "seconds": elapsed.as_secs_f64(),
                "compacted": true,
            });
            (text, json)
        }
        None => (
            format!(
                "{path} is already encrypted: nothing to do (compacted every column, so no \
                 plaintext is left in its table files)"
            ),
            json!({
                "database": path.to_string(),
                "already_encrypted": true,
                "compacted": true,
            }),
        ),
    };
    out.done(&text, &json);
    Ok(())
}

/// What a rotation did, for the report.
fn rotation_json(report: &ResealReport, versions: (u32, u32), elapsed: Duration) -> Value {
    json!({
        "resealed": report.resealed,
        "left_tampered": report.tampered,
        "already_current": report.current,
        "batches": report.batches,
        "resumed": report.resumed,
        "key_version_before": versions.0,
        "key_version_after": versions.1,
        "seconds": elapsed.as_secs_f64(),
    })
}

/// `strata rekey DIR [--rotate]`.
pub(crate) fn rekey(dir: &Path, rotate: bool, out: &Output) -> Result<(), CliError> {
    let db = RocksDb::open_existing(&RocksConfig::new(dir))?;
    let store = Store::new(&db);
    if !key::is_encrypted(&store)? {
        return Err(EncryptionError::NotEncrypted.into());
    }
    let what = dir.display().to_string();
    let current = key::required(&what)?;
    let new = key::new_key(&what)?;
    let columns = db.columns();

    // The new key opens it already: an earlier rekey finished (its last write is the key
    // change). A rotation it started and left running is finished below all the same.
    let (mut encrypted, already) = match Encrypted::open(Store::new(&db), &current) {
        Ok(encrypted) => (encrypted, false),
        Err(EncryptionError::WrongKey) => match Encrypted::open(Store::new(&db), &new) {
            Ok(encrypted) => (encrypted, true),
            Err(EncryptionError::WrongKey) => return Err(EncryptionError::WrongKey.into()),
            Err(error) => return Err(error.into()),
        },
        Err(error) => return Err(error.into()),
    };
    drop(current);

    let mut rotation = None;
    if rotate && (!already || encrypted.is_rotating()) {
        // The version values are sealed under now: the older one while a rotation runs.
        let before = encrypted.key_versions().first().copied().unwrap_or(encrypted.key_version());
        let started = Instant::now();
        let bar = reseal_bar(out);
        let report = encrypted.rotate(&columns, ResealOptions::default(), |progress| {
            observe(&bar, "rotating", progress);
        });
        bar.finish_and_clear();
        rotation = Some((report?, (before, encrypted.key_version()), started.elapsed()));
    }
    if !already {
        encrypted.change_unlock_key(&new)?;
    }
    drop(encrypted);
    let compacted_in = compact(&db, out)?;

    let mut lines = Vec::new();
    if already {
        lines.push(format!(
            "{what} already opens with the new key (an earlier rekey finished): its keys were \
             left as they are"
        ));
    }
    if let Some((report, (from, to), elapsed)) = &rotation {
        let resumed = if report.resumed { ", resuming an interrupted rotation" } else { "" };
        lines.push(format!(
            "rotated the value key from version {from} to {to}: {} values resealed ({} that \
             failed authentication left as they were, {} already current) in {} committed \
             batch(es) in {:.2} s{resumed}",
            report.resealed,
            report.tampered,
            report.current,
            report.batches,
            elapsed.as_secs_f64()
        ));
    } else if rotate {
        lines.push(
            "no rotation was running to finish (to rotate the value key now, give the new key \
             as the current one too)"
                .to_owned(),
        );
    }
    if !already {
        lines.push(format!(
            "rekeyed {what}: its keys are now wrapped under the new key (one write); the old \
             key no longer opens it"
        ));
    }
    lines.push(format!(
        "compacted every column in {:.2} s: {} gone from the table files",
        compacted_in.as_secs_f64(),
        if rotation.is_some() {
            "the key ring wrapped under the old key and the values sealed under the old value \
             key are"
        } else {
            "the key ring wrapped under the old key is"
        }
    ));
    let json = json!({
        "database": what,
        "unlock_key_changed": !already,
        "already_rekeyed": already,
        "rotation": rotation.map(|(report, versions, elapsed)| rotation_json(&report, versions, elapsed)),
        "compacted": true,
    });
    out.done(&lines.join("\n"), &json);
    Ok(())
}
