//! `strata kv`: the namespaced blobs of `strata::kv` (LDK's `KVStore` semantics) in a database —
//! list, read, write, remove, and move them from and to LDK's own `FilesystemStore`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use lightning::util::persist::{
    KVSTORE_NAMESPACE_KEY_ALPHABET, KVSTORE_NAMESPACE_KEY_MAX_LEN, KVStoreSync, MigratableKVStore,
};
use lightning_persister::fs_store::FilesystemStore;
use serde_json::json;
use strata::Database;
use strata::copy::{ColumnSummary, Summarizer};
use strata::kv::{Address, KvStore, WriteBatch};
use strata::rocksdb::{OpenError, RocksConfig, RocksDb};

use crate::error::{CliError, parse_hex};
use crate::key::{self, Unlocked};
use crate::output::{Output, TransferReport};

/// The database under a KV store: as stored, or through its encryption (see [`key::unlock`]).
type Db = Unlocked<RocksDb>;

/// The most keys `kv import` commits in one atomic batch.
pub(crate) const BATCH_KEYS: usize = 1000;
/// The most value bytes `kv import` commits in one atomic batch (a larger value goes alone).
pub(crate) const BATCH_BYTES: usize = 64 << 20;

/// Whether the database was opened with every column of the KV store.
fn has_kv_columns(db: &impl Database) -> bool {
    let columns = db.columns();
    strata::kv::COLUMNS.iter().all(|column| columns.contains(column))
}

/// Opens the KV store of an existing database for reading: [`CliError::NoKvData`] when the
/// database has no KV columns (nothing is created). An encrypted database is read with its key.
fn open_read(path: &Path) -> Result<KvStore<Db>, CliError> {
    let db = RocksDb::open_existing(&RocksConfig::new(path))?;
    if !has_kv_columns(&db) {
        return Err(CliError::NoKvData(path.to_owned()));
    }
    Ok(KvStore::open(key::unlock(db, &path.display().to_string())?)?)
}

/// Opens the KV store for writing: every column already in the database keeps its recorded
/// options, and the KV columns are created if they are missing (the database too, if `create`:
/// a plaintext one, encrypting is `strata encrypt`'s job). An encrypted database is written with
/// its key, checked before any column is added: what is written is sealed.
fn open_write(path: &Path, create: bool) -> Result<KvStore<Db>, CliError> {
    let what = path.display().to_string();
    let config = RocksConfig::new(path).create_if_missing(create);
    let (mut columns, key) = match RocksDb::open_existing(&config) {
        Ok(db) if has_kv_columns(&db) => return Ok(KvStore::open(key::unlock(db, &what)?)?),
        Ok(db) => {
            let key = key::for_database(&db, &what)?;
            let columns = db.columns();
            drop(db); // closed before it is reopened with the KV columns
            (columns, key)
        }
        Err(OpenError::Missing { .. }) if create => (Vec::new(), None),
        Err(error) => return Err(error.into()),
    };
    columns.extend(strata::kv::COLUMNS);
    let db = RocksDb::open(&config, &columns)?;
    Ok(KvStore::open(key::unlock_with(db, key.as_ref())?)?)
}

/// `kv ls` without a namespace: every namespace with its key count (`all`: every address too).
pub(crate) fn ls_namespaces(path: &Path, all: bool, out: &Output) -> Result<(), CliError> {
    let kv = open_read(path)?;
    let addresses = kv.list_all_keys()?;
    let mut counts: BTreeMap<(String, String), usize> =
        kv.namespaces().into_iter().map(|pair| (pair, 0)).collect();
    for address in &addresses {
        *counts.entry((address.primary.clone(), address.secondary.clone())).or_default() += 1;
    }
    let counts: Vec<(String, String, usize)> =
        counts.into_iter().map(|((primary, secondary), keys)| (primary, secondary, keys)).collect();
    out.kv_namespaces(&counts, all.then_some(addresses.as_slice()));
    Ok(())
}

/// `kv ls PRIMARY [SECONDARY]`: the keys of one namespace, sorted.
pub(crate) fn ls_keys(
    path: &Path,
    primary: &str,
    secondary: &str,
    out: &Output,
) -> Result<(), CliError> {
    let kv = open_read(path)?;
    let keys = kv.list(primary, secondary)?;
    out.kv_keys(primary, secondary, &keys);
    Ok(())
}

/// `kv get`: the value's bytes to stdout as they are, or as hex.
pub(crate) fn get(path: &Path, address: &Address, hex: bool, out: &Output) -> Result<(), CliError> {
    let kv = open_read(path)?;
    let value = kv.read(&address.primary, &address.secondary, &address.key)?;
    if out.json || hex {
        out.kv_value(address, &value);
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&value).and_then(|()| stdout.flush()).map_err(CliError::io("<stdout>"))
}

/// `kv put`: `value` as given (hex-decoded with `hex`), or stdin when it is absent or `-`.
pub(crate) fn put(
    path: &Path,
    address: &Address,
    value: Option<&str>,
    hex: bool,
    out: &Output,
) -> Result<(), CliError> {
    let bytes = match value {
        Some(value) if value != "-" => value.as_bytes().to_vec(),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin().lock().read_to_end(&mut bytes).map_err(CliError::io("<stdin>"))?;
            bytes
        }
    };
    let bytes = if hex { parse_hex(String::from_utf8_lossy(&bytes).trim())? } else { bytes };
    let kv = open_write(path, true)?;
    kv.write(&address.primary, &address.secondary, &address.key, &bytes)?;
    out.done(
        &format!("wrote {} bytes at {address}", bytes.len()),
        &json!({ "written": address_json(address), "bytes": bytes.len() }),
    );
    Ok(())
}

/// `kv rm`: removes a value (absent is not an error); `lazy` as LDK's lazy remove.
pub(crate) fn rm(path: &Path, address: &Address, lazy: bool, out: &Output) -> Result<(), CliError> {
    let kv = open_write(path, false)?;
    let existed = kv.get(&address.primary, &address.secondary, &address.key)?.is_some();
    kv.remove(&address.primary, &address.secondary, &address.key, lazy)?;
    let text = if existed {
        format!("removed {address}{}", if lazy { " (lazily)" } else { "" })
    } else {
        format!("no value at {address}: nothing to remove")
    };
    out.done(&text, &json!({ "removed": address_json(address), "existed": existed, "lazy": lazy }));
    Ok(())
}

/// An address as JSON.
pub(crate) fn address_json(address: &Address) -> serde_json::Value {
    json!({ "primary": address.primary, "secondary": address.secondary, "key": address.key })
}

/// A progress bar over `total` keys, hidden under `--json`.
fn progress(total: usize, what: &str, out: &Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:9} {bar:40} {pos}/{len} keys ({per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// Checks a name as LDK's stores do, so that a stray file in a store's directory is reported
/// instead of reaching `FilesystemStore`'s own checks (which assert in debug builds).
fn ldk_name_problem(name: &str) -> Option<String> {
    if name.len() > KVSTORE_NAMESPACE_KEY_MAX_LEN {
        return Some(format!(
            "the name is {} bytes long, longer than {KVSTORE_NAMESPACE_KEY_MAX_LEN}",
            name.len()
        ));
    }
    name.chars()
        .find(|&ch| !KVSTORE_NAMESPACE_KEY_ALPHABET.contains(ch))
        .map(|ch| format!("{ch:?} is not one of LDK's name characters [A-Za-z0-9_-]"))
}

/// Checks every entry of a `FilesystemStore` directory before `list_all_keys` reads it: a name LDK
/// would refuse, a third level of directories or something that is neither a file nor a
/// directory is reported here (LDK's own checks assert in debug builds). `.tmp` and `.trash`
/// files are the store's own leftovers, skipped as LDK skips them.
fn check_store_directory(dir: &Path) -> Result<(), CliError> {
    /// Directory levels a store has: primary namespace, secondary namespace, keys.
    const LEVELS: usize = 3;
    fn walk(path: &Path, level: usize) -> Result<(), CliError> {
        for entry in std::fs::read_dir(path).map_err(CliError::io(path))? {
            let entry = entry.map_err(CliError::io(path))?;
            let entry_path = entry.path();
            if matches!(entry_path.extension().and_then(|e| e.to_str()), Some("tmp" | "trash")) {
                continue;
            }
            let kind = entry.metadata().map_err(CliError::io(&entry_path))?.file_type();
            let reason = match entry.file_name().to_str() {
                None => Some("the name is not valid UTF-8".to_owned()),
                Some(name) => ldk_name_problem(name),
            }
            .or_else(|| {
                (kind.is_dir() && level == LEVELS).then(|| {
                    "a directory inside a secondary namespace: LDK stores have two levels of \
                     namespaces"
                        .to_owned()
                })
            })
            .or_else(|| {
                (!kind.is_dir() && !kind.is_file())
                    .then(|| "neither a file nor a directory".to_owned())
            });
            if let Some(reason) = reason {
                return Err(CliError::NotAStoreEntry { path: entry_path, reason });
            }
            if kind.is_dir() {
                walk(&entry_path, level + 1)?;
            }
        }
        Ok(())
    }
    walk(dir, 1)
}

/// What a transfer's verification found.
struct Verification {
    /// Addresses whose bytes matched on both sides.
    verified: u64,
    /// Every address that did not, with what was wrong.
    mismatches: Vec<String>,
    /// Each side in brief, as `strata copy` summarises a column: entries (address → value, in
    /// address order, the address written `primary/secondary/key`), bytes and a BLAKE3 hash.
    summaries: [ColumnSummary; 2],
}

/// Compares every address's bytes on both sides, and summarises each side.
fn verify(
    addresses: &[Address],
    out: &Output,
    mut source: impl FnMut(&Address) -> Result<Vec<u8>, CliError>,
    mut target: impl FnMut(&Address) -> Result<Option<Vec<u8>>, CliError>,
) -> Result<Verification, CliError> {
    let bar = progress(addresses.len(), "verifying", out);
    let (mut verified, mut mismatches) = (0, Vec::new());
    let (mut from, mut to) = (Summarizer::new(), Summarizer::new());
    for address in addresses {
        let expected = source(address)?;
        let name = address.to_string();
        from.add(name.as_bytes(), &expected);
        let actual = target(address)?;
        if let Some(actual) = &actual {
            to.add(name.as_bytes(), actual);
        }
        match actual {
            Some(actual) if actual == expected => verified += 1,
            Some(actual) => mismatches.push(format!(
                "{address}: {} bytes, expected {}",
                actual.len(),
                expected.len()
            )),
            None => mismatches.push(format!("{address}: missing")),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Verification {
        verified,
        mismatches,
        summaries: [from.finish("source"), to.finish("target")],
    })
}

/// Fails with exit code 5 when a transfer's verification found mismatches.
fn verdict(mismatches: &[String], what: &str) -> Result<(), CliError> {
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(CliError::Verification(format!("{} key(s) differ after the {what}", mismatches.len())))
    }
}

/// `kv import DIR`: every key of the `FilesystemStore` at `dir` into the database, in bounded
/// atomic batches, then a verification pass re-reading both sides.
pub(crate) fn import(path: &Path, dir: &Path, out: &Output) -> Result<(), CliError> {
    if !dir.is_dir() {
        return Err(CliError::NotAStoreDirectory(dir.to_owned()));
    }
    check_store_directory(dir)?;
    let started = Instant::now();
    let fs = FilesystemStore::new(dir.to_owned());
    let mut addresses: Vec<Address> = MigratableKVStore::list_all_keys(&fs)
        .map_err(CliError::filesystem_store(dir, "cannot list its keys"))?
        .into_iter()
        .map(|(primary, secondary, key)| Address::new(primary, secondary, key))
        .collect();
    addresses.sort_unstable();
    let read = |address: &Address| {
        KVStoreSync::read(&fs, &address.primary, &address.secondary, &address.key)
            .map_err(CliError::filesystem_store(dir, format!("cannot read {address}")))
    };

    let kv = open_write(path, true)?;
    let bar = progress(addresses.len(), "importing", out);
    let (mut batch, mut batch_bytes) = (WriteBatch::new(), 0_usize);
    let (mut bytes, mut batches) = (0_u64, 0_u64);
    for address in &addresses {
        let value = read(address)?;
        if !batch.is_empty()
            && (batch.len() >= BATCH_KEYS || batch_bytes + value.len() > BATCH_BYTES)
        {
            kv.write_batch(&batch)?;
            bar.inc(batch.len() as u64);
            (batch, batch_bytes, batches) = (WriteBatch::new(), 0, batches + 1);
        }
        batch_bytes += value.len();
        bytes += value.len() as u64;
        batch.write(&address.primary, &address.secondary, &address.key, value);
    }
    if !batch.is_empty() {
        kv.write_batch(&batch)?;
        bar.inc(batch.len() as u64);
        batches += 1;
    }
    bar.finish_and_clear();

    let verified = verify(&addresses, out, read, |address| {
        Ok(kv.get(&address.primary, &address.secondary, &address.key)?)
    })?;
    out.kv_transfer(&TransferReport {
        action: "imported",
        from: dir,
        to: path,
        keys: addresses.len() as u64,
        bytes,
        batches: Some(batches),
        verified: verified.verified,
        mismatches: &verified.mismatches,
        summaries: &verified.summaries,
        elapsed: started.elapsed(),
    });
    verdict(&verified.mismatches, "import")
}

/// `kv export DIR`: every key of the database into a new `FilesystemStore` at `dir`, then a
/// verification pass re-reading both sides and checking the store holds no other key.
pub(crate) fn export(path: &Path, dir: &Path, out: &Output) -> Result<(), CliError> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => {}
        Ok(false) => return Err(CliError::ExportTargetNotEmpty(dir.to_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            return Err(CliError::ExportTargetNotEmpty(dir.to_owned()));
        }
        Err(error) => return Err(CliError::io(dir)(error)),
    }
    let started = Instant::now();
    let kv = open_read(path)?;
    let addresses = kv.list_all_keys()?;
    std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
    let fs = FilesystemStore::new(dir.to_owned());
    let read = |address: &Address| -> Result<Vec<u8>, CliError> {
        Ok(kv.read(&address.primary, &address.secondary, &address.key)?)
    };

    let bar = progress(addresses.len(), "exporting", out);
    let mut bytes = 0_u64;
    for address in &addresses {
        let value = read(address)?;
        bytes += value.len() as u64;
        KVStoreSync::write(&fs, &address.primary, &address.secondary, &address.key, value)
            .map_err(CliError::filesystem_store(dir, format!("cannot write {address}")))?;
        bar.inc(1);
    }
    bar.finish_and_clear();

    let Verification { verified, mut mismatches, summaries } =
        verify(&addresses, out, read, |address| {
            match KVStoreSync::read(&fs, &address.primary, &address.secondary, &address.key) {
                Ok(value) => Ok(Some(value)),
                Err(error) if error.kind() == lightning::io::ErrorKind::NotFound => Ok(None),
                Err(error) => {
                    Err(CliError::filesystem_store(dir, format!("cannot read {address}"))(error))
                }
            }
        })?;
    let exported: BTreeSet<&Address> = addresses.iter().collect();
    let listed = MigratableKVStore::list_all_keys(&fs)
        .map_err(CliError::filesystem_store(dir, "cannot list its keys"))?;
    for (primary, secondary, key) in listed {
        let address = Address::new(primary, secondary, key);
        if !exported.contains(&address) {
            mismatches.push(format!("{address}: in the FilesystemStore but not exported"));
        }
    }
    out.kv_transfer(&TransferReport {
        action: "exported",
        from: path,
        to: dir,
        keys: addresses.len() as u64,
        bytes,
        batches: None,
        verified,
        mismatches: &mismatches,
        summaries: &summaries,
        elapsed: started.elapsed(),
    });
    verdict(&mismatches, "export")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_ldk_checks_them() {
        assert_eq!(ldk_name_problem("monitors"), None);
        assert_eq!(ldk_name_problem(""), None);
        assert_eq!(ldk_name_problem(&"a".repeat(120)), None);
        assert!(ldk_name_problem(&"a".repeat(121)).unwrap().contains("121 bytes"));
        assert!(ldk_name_problem("README.md").unwrap().contains("'.'"));
    }

    #[test]
    fn verification_reports_every_difference_and_fails() {
        let out = Output { json: true };
        let addresses =
            [Address::new("", "", "a"), Address::new("", "", "b"), Address::new("", "", "c")];
        let Verification { verified, mismatches, summaries } = verify(
            &addresses,
            &out,
            |_| Ok(b"same".to_vec()),
            |address| {
                Ok(match address.key.as_str() {
                    "a" => Some(b"same".to_vec()),
                    "b" => Some(b"other!".to_vec()),
                    _ => None,
                })
            },
        )
        .unwrap();
        assert_eq!(verified, 1);
        assert_eq!(mismatches, ["//b: 6 bytes, expected 4", "//c: missing"]);
        assert_eq!((summaries[0].entries, summaries[1].entries), (3, 2));
        assert_ne!(summaries[0].hash, summaries[1].hash);
        let error = verdict(&mismatches, "import").unwrap_err();
        assert_eq!(error.exit_code(), 5);
        assert!(verdict(&[], "import").is_ok());
    }

    #[test]
    fn stray_entries_of_a_store_directory_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("monitors")).unwrap();
        std::fs::write(dir.path().join("monitors/chan_1"), b"").unwrap();
        std::fs::write(dir.path().join("monitors/chan_2.tmp"), b"").unwrap();
        assert!(check_store_directory(dir.path()).is_ok());
        std::fs::create_dir_all(dir.path().join("a/b/c")).unwrap();
        let error = check_store_directory(dir.path()).unwrap_err();
        assert!(error.to_string().contains("two levels"), "{error}");
        std::fs::remove_dir(dir.path().join("a/b/c")).unwrap();
        std::fs::write(dir.path().join("README.md"), b"").unwrap();
        let error = check_store_directory(dir.path()).unwrap_err();
        assert!(error.to_string().contains("README.md"), "{error}");
    }
}
