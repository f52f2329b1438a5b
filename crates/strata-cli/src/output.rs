//! Human-readable tables by default, JSON with `--json`.
//!
//! A leaf of the CLI's module graph: callers hand it plain values (text already decoded, counts,
//! names) and it only prints them.

use std::path::Path;
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use serde_json::{Value, json};
use strata::copy::ColumnSummary;
use strata::kv::Address;

/// `rows` of cells under `header`, as the text of a table.
pub(crate) fn table_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row.clone());
    }
    table.to_string()
}

/// One row of output, kept both as text cells and as JSON.
pub(crate) struct Row {
    cells: Vec<String>,
    json: Value,
}

impl Row {
    /// A column's statistics, with the schema that owns it if one does; `bytes` is `None` where
    /// the backend has no per-column size (etcd), `lsm` where it is not RocksDB.
    pub(crate) fn stats(
        column: &str,
        schema: Option<&str>,
        prefix: &str,
        keys: u64,
        bytes: Option<u64>,
        lsm: Option<&Lsm>,
    ) -> Self {
        let levels = lsm.map(|lsm| {
            let shown: Vec<String> = lsm
                .files_per_level
                .iter()
                .enumerate()
                .filter(|(_, files)| **files > 0)
                .map(|(level, files)| format!("L{level}:{files}"))
                .collect();
            if shown.is_empty() { "none".to_owned() } else { shown.join(" ") }
        });
        Self {
            cells: vec![
                column.to_owned(),
                schema.unwrap_or("-").to_owned(),
                prefix.to_owned(),
                keys.to_string(),
                bytes.map_or_else(|| "-".to_owned(), human_bytes),
                lsm.map_or_else(|| "-".to_owned(), |lsm| human_bytes(lsm.memtable_bytes)),
                levels.clone().unwrap_or_else(|| "-".to_owned()),
                lsm.map_or_else(|| "-".to_owned(), |lsm| human_bytes(lsm.pending_compaction_bytes)),
            ],
            json: json!({
                "column": column,
                "schema": schema,
                "prefix_len": prefix,
                "approximate_keys": keys,
                "approximate_bytes": bytes,
                "memtable_bytes": lsm.map(|lsm| lsm.memtable_bytes),
                "table_files_per_level": lsm.map(|lsm| lsm.files_per_level.clone()),
                "pending_compaction_bytes": lsm.map(|lsm| lsm.pending_compaction_bytes),
            }),
        }
    }

    /// An entry: its bytes, and the text they are shown as (decoded, or hex).
    pub(crate) fn entry(key: &[u8], value: &[u8], key_text: String, value_text: String) -> Self {
        Self {
            json: json!({ "key_hex": hex::encode(key), "key": key_text, "value_hex": hex::encode(value), "value": value_text }),
            cells: vec![key_text, value_text],
        }
    }

    /// An encrypted database's entry read without its key: the key, and the stored value's size
    /// alone (never its bytes).
    pub(crate) fn sealed(key: &[u8], key_text: String, stored_bytes: usize) -> Self {
        Self {
            json: json!({ "key_hex": hex::encode(key), "key": key_text, "sealed_bytes": stored_bytes }),
            cells: vec![key_text, format!("<sealed, {stored_bytes} bytes>")],
        }
    }

    /// An entry whose value failed authentication: its key and the error, in place of a value.
    pub(crate) fn value_error(key: &[u8], key_text: String, error: &str) -> Self {
        Self {
            json: json!({ "key_hex": hex::encode(key), "key": key_text, "error": error }),
            cells: vec![key_text, format!("<error: {error}>")],
        }
    }

    /// A problem `check` found.
    pub(crate) fn problem(column: &str, key: &[u8], problem: &str) -> Self {
        Self {
            cells: vec![column.to_owned(), hex::encode(key), problem.to_owned()],
            json: json!({ "column": column, "key_hex": hex::encode(key), "problem": problem }),
        }
    }
}

/// A RocksDB column family's own state, as its properties report it.
pub(crate) struct Lsm {
    /// Bytes in its memtables (`rocksdb.cur-size-all-mem-tables`).
    pub(crate) memtable_bytes: u64,
    /// Table files at each level, 0 to 6 (`rocksdb.num-files-at-level<N>`).
    pub(crate) files_per_level: Vec<u64>,
    /// Bytes compaction still has to rewrite (`rocksdb.estimate-pending-compaction-bytes`).
    pub(crate) pending_compaction_bytes: u64,
}

/// RocksDB's block cache, shared by every column family.
pub(crate) struct BlockCache {
    /// Bytes in use.
    pub(crate) usage: u64,
    /// Its capacity.
    pub(crate) capacity: u64,
}

/// Where and how results are printed.
pub(crate) struct Output {
    /// Print JSON instead of tables.
    pub(crate) json: bool,
}

impl Output {
    fn table(header: &[&str], rows: &[Row]) {
        let cells: Vec<Vec<String>> = rows.iter().map(|row| row.cells.clone()).collect();
        println!("{}", table_text(header, &cells));
    }

    fn print_json(value: &Value) {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
    }

    /// `stats` output.
    pub(crate) fn stats(
        &self,
        rows: &[Row],
        undeclared: &[String],
        versions: Option<&strata::versions::Recorded>,
        cache: Option<&BlockCache>,
        encrypted: bool,
    ) {
        if self.json {
            let columns: Vec<_> = rows.iter().map(|r| r.json.clone()).collect();
            let versions = versions.map(|recorded| {
                let schemas: serde_json::Map<String, serde_json::Value> = recorded
                    .schemas
                    .iter()
                    .map(|(name, version)| (name.clone(), json!(version)))
                    .collect();
                let migrating: serde_json::Map<String, serde_json::Value> =
                    recorded.migrating.iter().map(|(name, to)| (name.clone(), json!(to))).collect();
                json!({ "format": recorded.format, "schemas": schemas, "migrating_to": migrating })
            });
            Self::print_json(&json!({
                "columns": columns,
                "unregistered_column_families": undeclared,
                "versions": versions,
                "block_cache": cache.map(|cache| json!({ "usage_bytes": cache.usage, "capacity_bytes": cache.capacity })),
                "encrypted": encrypted,
            }));
        } else {
            Self::table(
                &[
                    "column",
                    "schema",
                    "prefix",
                    "≈ keys",
                    "≈ size",
                    "memtables",
                    "table files per level",
                    "compaction debt",
                ],
                rows,
            );
            if let Some(cache) = cache {
                println!(
                    "block cache (shared by every column): {} of {} in use",
                    human_bytes(cache.usage),
                    human_bytes(cache.capacity)
                );
            }
            if !undeclared.is_empty() {
                println!("column families without a valid Strata name: {}", undeclared.join(", "));
            }
            if encrypted {
                println!(
                    "encrypted: values are sealed (AES-256-GCM-SIV) under the key ring in \
                     strata_versions; `get`, `scan` and `check` read them with the database's key"
                );
            }
            match versions {
                None => println!("recorded versions: none (written before versions were recorded)"),
                Some(recorded) => {
                    let format = recorded.format.map_or_else(|| "-".to_owned(), |f| f.to_string());
                    let schemas: Vec<String> = recorded
                        .schemas
                        .iter()
                        .map(|(name, version)| {
                            match recorded.migrating.iter().find(|(n, _)| n == name) {
                                Some((_, to)) => format!(
                                    "{name} {version} (a migration to {to} is part-way: run \
                                     `strata migrate`)"
                                ),
                                None => format!("{name} {version}"),
                            }
                        })
                        .collect();
                    println!("recorded versions: format {format}; {}", schemas.join(", "));
                }
            }
        }
    }

    /// `scan` and `get` output; `note` (text only) says how the values were read, when it
    /// matters (an encrypted database read without its key).
    pub(crate) fn entries(&self, rows: &[Row], note: Option<&str>) {
        if self.json {
            Self::print_json(&Value::Array(rows.iter().map(|r| r.json.clone()).collect()));
        } else {
            Self::table(&["key", "value"], rows);
            println!("{} entr{}", rows.len(), if rows.len() == 1 { "y" } else { "ies" });
            if let Some(note) = note {
                println!("{note}");
            }
        }
    }

    /// `check` output; `unknown` are the columns no schema describes; `values_skipped` says why
    /// values were not decoded (an encrypted database checked without its key), if they were not.
    pub(crate) fn check(
        &self,
        checked: u64,
        problems: &[Row],
        unknown: &[&str],
        values_skipped: Option<&str>,
    ) {
        if self.json {
            let list: Vec<_> = problems.iter().map(|r| r.json.clone()).collect();
            Self::print_json(&json!({
                "checked": checked,
                "problems": list,
                "columns_without_schema": unknown,
                "values_decoded": values_skipped.is_none(),
                "values_not_decoded_because": values_skipped,
            }));
            return;
        }
        if let Some(reason) = values_skipped {
            println!("values not decoded: {reason}");
        }
        if problems.is_empty() {
            println!("checked {checked} entries: no problems");
        } else {
            Self::table(&["column", "key", "problem"], problems);
            println!("checked {checked} entries: {} problem(s)", problems.len());
        }
        if !unknown.is_empty() {
            println!(
                "columns without a known schema (not checked for content): {}",
                unknown.join(", ")
            );
        }
    }

    /// A one-line result.
    pub(crate) fn message(&self, text: &str) {
        if self.json {
            Self::print_json(&json!({ "result": text }));
        } else {
            println!("{text}");
        }
    }

    /// A command's one-line result as text, or `json` with `--json`.
    pub(crate) fn done(&self, text: &str, json: &Value) {
        if self.json {
            Self::print_json(json);
        } else {
            println!("{text}");
        }
    }

    /// `kv ls` without a namespace: (primary, secondary, keys) per namespace; every address too
    /// when given.
    pub(crate) fn kv_namespaces(
        &self,
        namespaces: &[(String, String, usize)],
        addresses: Option<&[Address]>,
    ) {
        let total: usize = namespaces.iter().map(|(_, _, keys)| keys).sum();
        if self.json {
            let list: Vec<_> = namespaces
                .iter()
                .map(|(p, s, keys)| json!({ "primary": p, "secondary": s, "keys": keys }))
                .collect();
            let mut value = json!({ "namespaces": list, "keys": total });
            if let Some(addresses) = addresses {
                value["addresses"] = addresses
                    .iter()
                    .map(
                        |a| json!({ "primary": a.primary, "secondary": a.secondary, "key": a.key }),
                    )
                    .collect();
            }
            Self::print_json(&value);
            return;
        }
        let rows: Vec<Row> = namespaces
            .iter()
            .map(|(p, s, keys)| Row {
                cells: vec![shown_name(p), shown_name(s), keys.to_string()],
                json: Value::Null,
            })
            .collect();
        Self::table(&["primary namespace", "secondary namespace", "keys"], &rows);
        println!("{total} key(s) in {} namespace(s)", namespaces.len());
        if let Some(addresses) = addresses {
            for address in addresses {
                println!("{address}");
            }
        }
    }

    /// `kv ls PRIMARY [SECONDARY]`: one namespace's keys, one per line.
    pub(crate) fn kv_keys(&self, primary: &str, secondary: &str, keys: &[String]) {
        if self.json {
            Self::print_json(&json!({ "primary": primary, "secondary": secondary, "keys": keys }));
        } else {
            for key in keys {
                println!("{key}");
            }
        }
    }

    /// `kv get --hex` or `--json`: a value as hex.
    pub(crate) fn kv_value(&self, address: &Address, value: &[u8]) {
        if self.json {
            Self::print_json(&json!({
                "primary": address.primary,
                "secondary": address.secondary,
                "key": address.key,
                "len": value.len(),
                "value_hex": hex::encode(value),
            }));
        } else {
            println!("{}", hex::encode(value));
        }
    }

    /// `kv import` and `kv export`: what moved and what the verification found.
    pub(crate) fn kv_transfer(&self, report: &TransferReport<'_>) {
        let TransferReport {
            action,
            from,
            to,
            keys,
            bytes,
            batches,
            verified,
            mismatches,
            summaries,
            elapsed,
        } = *report;
        if self.json {
            Self::print_json(&json!({
                "action": action,
                "from": from.display().to_string(),
                "to": to.display().to_string(),
                "keys": keys,
                "bytes": bytes,
                "batches": batches,
                "verified": verified,
                "mismatches": mismatches.len(),
                "mismatched": mismatches,
                "summaries": {
                    "source": summary_json(&summaries[0]),
                    "target": summary_json(&summaries[1]),
                },
                "seconds": elapsed.as_secs_f64(),
            }));
            return;
        }
        let batches = batches.map_or_else(String::new, |n| format!(" in {n} atomic batch(es)"));
        println!(
            "{action} {keys} keys ({}) from {} to {}{batches} in {:.2} s",
            human_bytes(bytes),
            from.display(),
            to.display(),
            elapsed.as_secs_f64()
        );
        for mismatch in mismatches {
            println!("  mismatch: {mismatch}");
        }
        println!(
            "verified {verified} of {keys} keys byte for byte on both sides: {} mismatch(es)",
            mismatches.len()
        );
        println!("  {}: {}\n  {}: {}", from.display(), summaries[0], to.display(), summaries[1]);
    }

    /// The demo's summary.
    pub(crate) fn demo_summary(&self, summary: &DemoSummary<'_>) {
        let DemoSummary {
            path,
            contexts,
            calls,
            committed,
            elapsed,
            walked,
            counts,
            size,
            decoded,
            kv,
            log,
            views,
            ledger,
            bulk,
            encryption,
            etcd,
        } = *summary;
        #[expect(clippy::cast_precision_loss, reason = "a rate for display; exact to 2^52 calls")]
        let per_second = calls as f64 / elapsed.as_secs_f64().max(1e-9);
        if self.json {
            let keys: serde_json::Map<String, Value> =
                counts.iter().map(|(name, count)| ((*name).to_owned(), json!(count))).collect();
            Self::print_json(&json!({
                "database": path.display().to_string(),
                "contexts": contexts,
                "calls": calls,
                "committed": committed,
                "rolled_back": calls - committed,
                "calls_per_second": per_second.round(),
                "state_entries_walked_in_context_0": walked,
                "keys_per_column": keys,
                "bytes_on_disk": size,
                "verification": "passed",
                "first_meta_decoded": { "key": decoded.0, "value": decoded.1 },
                "kv": kv.to_json(),
                "log": log.to_json(),
                "views": views.to_json(),
                "migration": ledger.map(ledger_json),
                "bulk_load": bulk.to_json(),
                "encryption": encryption.to_json(),
                "etcd": etcd.to_json(),
            }));
            return;
        }
        println!(
            "executed {calls} calls over {contexts} contexts in {:.2} s ({per_second:.0} calls/s): {committed} committed, {} rolled back",
            elapsed.as_secs_f64(),
            calls - committed
        );
        println!("walked context 0's state by key range: {walked} entries");
        let rows: Vec<Row> = counts
            .iter()
            .map(|(name, count)| Row {
                cells: vec![(*name).to_owned(), count.to_string()],
                json: Value::Null,
            })
            .collect();
        Self::table(&["column", "keys"], &rows);
        println!("size on disk: {}", human_bytes(size));
        println!(
            "reopened {} and verified every count and hash chain, read-only: verification passed",
            path.display()
        );
        println!("first meta entry, decoded by the node schema's descriptor:");
        println!("  {}\n  → {}", decoded.0, decoded.1);
        Self::kv_demo(kv);
        Self::log_demo(log);
        Self::views_demo(views);
        if let Some(ledger) = ledger {
            ledger_text(ledger);
        }
        bulk.print();
        encryption.print();
        etcd.print();
        let db = path.display();
        println!("\nlook inside next:");
        println!("  strata stats --db {db}");
        println!("  strata scan transaction --db {db} --limit 5");
        println!("  strata scan state --db {db} --reverse --limit 5");
        println!("  strata check --db {db}");
        println!("  strata kv ls --db {db}");
        println!("  strata kv ls monitors --db {db}");
        println!("  strata log authors --db {db}");
        println!("  strata log verify --db {db}");
        println!("  strata views --db {db}");
        println!("  strata views rebuild entry_counts --db {db}");
        println!("  strata migrate --dry-run --db {db}");
        println!("  strata copy {db} {db}-copy");
        println!(
            "  strata checkpoint {db}-encrypted --db {db}, then: STRATA_KEY=<64 hex digits> strata encrypt {db}-encrypted"
        );
        println!("  strata etcd-dev, then: strata copy {db} etcd://ENDPOINT/node-1");
    }

    /// The demo's KV step, as text.
    fn kv_demo(kv: &KvDemo) {
        println!("\nLDK persistence through the KV store, in the same database:");
        println!(
            "  wrote the channel manager and {} monitors in one atomic write_batch ({} keys, {})",
            kv.monitors.len(),
            kv.batch_keys,
            human_bytes(kv.batch_bytes as u64)
        );
        let monitors: Vec<String> = kv.monitors.iter().map(|m| short(m)).collect();
        println!("  monitors listed, sorted: {}", monitors.join(", "));
        let pages: Vec<String> = kv
            .pages
            .iter()
            .map(|page| {
                format!("[{}]", page.iter().map(|m| short(m)).collect::<Vec<_>>().join(", "))
            })
            .collect();
        println!("  listed {} per page, newest first: {}", kv.page_size, pages.join(" then "));
        println!(
            "  channel closed: monitor {} archived (written to archived_monitors and removed \
             from monitors in one batch)",
            short(&kv.archived)
        );
        println!("  reopened: every blob re-read byte for byte; namespaces now:");
        let rows: Vec<Row> = kv
            .after_reopen
            .iter()
            .map(|(p, s, keys)| Row {
                cells: vec![shown_name(p), shown_name(&short(s)), keys.to_string()],
                json: Value::Null,
            })
            .collect();
        Self::table(&["primary namespace", "secondary namespace", "keys"], &rows);
    }
}

/// What the demo's etcd step did.
pub(crate) enum EtcdDemo {
    /// Not run, and why.
    Skipped(String),
    /// Run.
    Ran {
        /// Members of the cluster.
        members: usize,
        /// How long the cluster took to start and elect a leader.
        started_in: Duration,
        /// Columns copied.
        columns: usize,
        /// Entries copied.
        entries: u64,
        /// Bytes of keys and values copied.
        bytes: u64,
        /// Transactions the copy took.
        transactions: u64,
        /// How long the copy took.
        copied_in: Duration,
    },
}

impl EtcdDemo {
    fn to_json(&self) -> Value {
        match self {
            Self::Skipped(reason) => json!({ "skipped": reason }),
            Self::Ran { members, started_in, columns, entries, bytes, transactions, copied_in } => {
                json!({
                    "members": members,
                    "started_in_seconds": started_in.as_secs_f64(),
                    "columns": columns,
                    "entries": entries,
                    "bytes": bytes,
                    "transactions": transactions,
                    "copied_in_seconds": copied_in.as_secs_f64(),
                    "verification": "passed",
                    "member_killed_and_restarted": true,
                })
            }
        }
    }

    fn print(&self) {
        println!(
            "
the same database on a replicated cluster (etcd):"
        );
        match self {
            Self::Skipped(reason) => println!("  skipped: {reason}"),
            Self::Ran { members, started_in, columns, entries, bytes, transactions, copied_in } => {
                println!(
                    "  started {members} etcd members on loopback in {:.1} s",
                    started_in.as_secs_f64()
                );
                println!(
                    "  copied {columns} columns, {entries} entries ({}), in {transactions} atomic \
                     transactions in {:.1} s; verified: every column's entries, bytes and hash equal",
                    human_bytes(*bytes),
                    copied_in.as_secs_f64()
                );
                println!(
                    "  killed one member: the KV store (LDK persistence) wrote and read a monitor \
                     update on the two left; restarted it: it serves that write"
                );
            }
        }
    }
}

/// The demo's migration step, as text.
fn ledger_text(ledger: &LedgerDemo) {
    println!("\nschema migration: the demo ledger, as version 1 of the application wrote it:");
    println!(
        "  wrote {} entries at version 1; `strata migrate --dry-run` (read-only) reported:",
        ledger.entries
    );
    println!("{}", ledger.dry_table);
    println!(
        "  migrated in {:.2} s, each batch committing its progress: {}; the same counts as the \
         dry run",
        ledger.elapsed.as_secs_f64(),
        ledger.steps.join(", ")
    );
    println!(
        "  recorded versions: {}; the emptied families (ledger_wide, ledger_totals) removed; \
         read back {} entries, each its version-1 original converted",
        ledger.versions.join(", "),
        ledger.verified
    );
}

/// What the demo's migration step did: plain values.
pub(crate) struct LedgerDemo {
    /// Ledger entries written at version 1.
    pub(crate) entries: u64,
    /// The dry run's report, as a table.
    pub(crate) dry_table: String,
    /// The dry run's report, as JSON.
    pub(crate) dry_json: Value,
    /// The migration's report, as JSON.
    pub(crate) run_json: Value,
    /// How long the migration took.
    pub(crate) elapsed: Duration,
    /// Each step run: `1 → 2 (what it is for)`.
    pub(crate) steps: Vec<String>,
    /// Every recorded version afterwards: `ledger 3`.
    pub(crate) versions: Vec<String>,
    /// Entries read back at version 3, each equal to its version-1 original converted.
    pub(crate) verified: u64,
}

/// The demo's migration step, as JSON.
fn ledger_json(ledger: &LedgerDemo) -> Value {
    json!({
        "written_at_version_1": ledger.entries,
        "dry_run": ledger.dry_json,
        "run": ledger.run_json,
        "verified": ledger.verified,
    })
}

/// What the demo's bulk-load step did: the `state` column restored into a new database by
/// ingesting table files, and read back.
pub(crate) struct BulkDemo {
    /// Entries ingested (and read back equal).
    pub(crate) entries: u64,
    /// Table files ingested.
    pub(crate) files: usize,
    /// Their size in bytes.
    pub(crate) bytes: u64,
    /// How long the ingest took.
    pub(crate) elapsed: Duration,
}

impl BulkDemo {
    fn to_json(&self) -> Value {
        json!({
            "entries": self.entries,
            "files": self.files,
            "bytes": self.bytes,
            "milliseconds": self.elapsed.as_millis(),
            "read_back_equal": true,
        })
    }

    fn print(&self) {
        println!(
            "
Bulk load: the state column restored into a new database by ingest:"
        );
        println!(
            "  {} entries written as {} table file(s) ({}) and ingested in {:.0} ms; read back, every entry equal",
            self.entries,
            self.files,
            human_bytes(self.bytes),
            self.elapsed.as_secs_f64() * 1000.0
        );
    }
}

/// What the demo's encryption step did: a small encrypted database of a node's secrets.
pub(crate) struct EncryptionDemo {
    /// The column the secrets are in.
    pub(crate) column: String,
    /// Each secret's name and its size in bytes, as written.
    pub(crate) secrets: Vec<(String, usize)>,
    /// Bytes of the secrets' plaintext.
    pub(crate) plaintext_bytes: u64,
    /// Bytes stored for them: sealed, with nonce, tag and key version.
    pub(crate) sealed_bytes: u64,
    /// Secrets read back equal, through the encryption layer.
    pub(crate) read_back: usize,
    /// Secrets whose plaintext shows in the stored bytes underneath (0).
    pub(crate) visible_underneath: usize,
    /// The key a sealed value was copied to, and the error reading it gave.
    pub(crate) tampered: (String, String),
    /// The rotation: values resealed, left as they were (the tampered copy), batches.
    pub(crate) rotation: (u64, u64, u64),
    /// The key versions before and after the rotation.
    pub(crate) key_versions: (u32, u32),
    /// Secrets read back equal after the rotation, from the database reopened with its key.
    pub(crate) after_rotation: usize,
    /// Why another key was refused on reopening.
    pub(crate) wrong_key: String,
    /// How long each part took: creating the key ring, writing, reading back, rotating.
    pub(crate) timings: [(&'static str, Duration); 4],
}

impl EncryptionDemo {
    fn to_json(&self) -> Value {
        let secrets: Vec<Value> = self
            .secrets
            .iter()
            .map(|(name, bytes)| json!({ "key": name, "bytes": bytes }))
            .collect();
        let timings: serde_json::Map<String, Value> = self
            .timings
            .iter()
            .map(|(name, took)| (format!("{name}_ms"), json!(took.as_secs_f64() * 1000.0)))
            .collect();
        json!({
            "column": self.column,
            "secrets": secrets,
            "plaintext_bytes": self.plaintext_bytes,
            "sealed_bytes": self.sealed_bytes,
            "read_back_equal": self.read_back,
            "plaintext_visible_underneath": self.visible_underneath,
            "tampered": { "key": self.tampered.0, "error": self.tampered.1 },
            "rotation": {
                "resealed": self.rotation.0,
                "left_tampered": self.rotation.1,
                "batches": self.rotation.2,
                "key_version_before": self.key_versions.0,
                "key_version_after": self.key_versions.1,
                "read_back_equal": self.after_rotation,
            },
            "wrong_key_refused": self.wrong_key,
            "timings": timings,
            "verification": "passed",
        })
    }

    fn print(&self) {
        println!(
            "
Encryption at rest: a node's secrets in an encrypted database (random 32-byte key):"
        );
        let names: Vec<&str> = self.secrets.iter().map(|(name, _)| name.as_str()).collect();
        println!(
            "  wrote {} secrets to column {} ({}): {} plaintext, {} stored sealed; none of \
             them shows in the stored bytes",
            self.secrets.len(),
            self.column,
            names.join(", "),
            human_bytes(self.plaintext_bytes),
            human_bytes(self.sealed_bytes)
        );
        println!("  read back through the layer: {} of them equal", self.read_back);
        println!(
            "  a sealed value copied underneath to key {:?} reads as tampered: {}",
            self.tampered.0, self.tampered.1
        );
        println!(
            "  rotated the value key (version {} to {}): {} values resealed, {} tampered one left \
             as it was, in {} batch(es); reopened: {} secrets read back equal",
            self.key_versions.0,
            self.key_versions.1,
            self.rotation.0,
            self.rotation.1,
            self.rotation.2,
            self.after_rotation
        );
        println!("  another key refused: {}", self.wrong_key);
        let timings: Vec<String> = self
            .timings
            .iter()
            .map(|(name, took)| format!("{name} {:.1} ms", took.as_secs_f64() * 1000.0))
            .collect();
        println!("  {}", timings.join(", "));
    }
}

/// What the demo's KV step did: plain values.
pub(crate) struct KvDemo {
    /// Keys written by the first atomic batch (the manager and every monitor).
    pub(crate) batch_keys: usize,
    /// Value bytes in that batch.
    pub(crate) batch_bytes: usize,
    /// The monitors as listed (sorted), before one was archived.
    pub(crate) monitors: Vec<String>,
    /// Keys per page when listing page by page.
    pub(crate) page_size: usize,
    /// The monitors page by page, newest first.
    pub(crate) pages: Vec<Vec<String>>,
    /// The monitor archived (moved to `archived_monitors`).
    pub(crate) archived: String,
    /// After reopening: (primary, secondary, keys) per namespace.
    pub(crate) after_reopen: Vec<(String, String, usize)>,
}

impl KvDemo {
    fn to_json(&self) -> Value {
        let namespaces: Vec<Value> = self
            .after_reopen
            .iter()
            .map(|(p, s, keys)| json!({ "primary": p, "secondary": s, "keys": keys }))
            .collect();
        json!({
            "batch_keys": self.batch_keys,
            "batch_bytes": self.batch_bytes,
            "monitors_listed": self.monitors,
            "page_size": self.page_size,
            "pages": self.pages,
            "archived_monitor": self.archived,
            "namespaces_after_reopen": namespaces,
            "verification": "passed",
        })
    }
}

/// A long LDK name shortened for display: `0a1b2c3d…_7`.
fn short(name: &str) -> String {
    match name.rsplit_once('_') {
        Some((txid, index)) if txid.len() > 12 => format!("{}…_{index}", &txid[..8]),
        _ => name.to_owned(),
    }
}

/// What the demo did, for its summary: plain values, so printing needs nothing from the demo.
#[derive(Clone, Copy)]
pub(crate) struct DemoSummary<'a> {
    /// The database directory.
    pub(crate) path: &'a Path,
    /// Contexts created.
    pub(crate) contexts: u32,
    /// Calls executed, over all contexts.
    pub(crate) calls: u64,
    /// Calls committed (the rest were rolled back).
    pub(crate) committed: u64,
    /// How long the calls took.
    pub(crate) elapsed: Duration,
    /// State entries walked in context 0.
    pub(crate) walked: usize,
    /// Keys per column after reopening.
    pub(crate) counts: &'a [(&'a str, usize)],
    /// Bytes on disk.
    pub(crate) size: u64,
    /// The first `meta` entry's key and value, rendered through the schema descriptor.
    pub(crate) decoded: (&'a str, &'a str),
    /// What the KV step did.
    pub(crate) kv: &'a KvDemo,
    /// What the log step did.
    pub(crate) log: &'a LogDemo,
    /// What the views step did.
    pub(crate) views: &'a ViewsDemo,
    /// What the migration step did (only on a new database).
    pub(crate) ledger: Option<&'a LedgerDemo>,
    /// What the bulk-load step did.
    pub(crate) bulk: &'a BulkDemo,
    /// What the encryption step did.
    pub(crate) encryption: &'a EncryptionDemo,
    /// What the etcd step did.
    pub(crate) etcd: &'a EtcdDemo,
}

/// What `kv import` or `kv export` did, for its report.
#[derive(Clone, Copy)]
pub(crate) struct TransferReport<'a> {
    /// `imported` or `exported`.
    pub(crate) action: &'a str,
    /// Where the keys came from.
    pub(crate) from: &'a Path,
    /// Where they went.
    pub(crate) to: &'a Path,
    /// Keys moved.
    pub(crate) keys: u64,
    /// Value bytes moved.
    pub(crate) bytes: u64,
    /// Atomic batches committed, when the target is the database.
    pub(crate) batches: Option<u64>,
    /// Keys whose bytes matched on both sides when re-read.
    pub(crate) verified: u64,
    /// Every key that did not, with what was wrong.
    pub(crate) mismatches: &'a [String],
    /// Each side in brief (entries, bytes, BLAKE3 hash), as `strata copy` summarises a column.
    pub(crate) summaries: &'a [ColumnSummary; 2],
    /// How long it took.
    pub(crate) elapsed: Duration,
}

/// A summary's figures, as JSON.
fn summary_json(summary: &ColumnSummary) -> Value {
    json!({ "entries": summary.entries, "bytes": summary.bytes, "hash": summary.hash_hex() })
}

/// A namespace name for a table: `""` when empty, so the empty namespace is visible.
fn shown_name(name: &str) -> String {
    if name.is_empty() { "\"\"".to_owned() } else { name.to_owned() }
}

/// A byte count for display, in B, KiB, MiB or GiB.
#[expect(clippy::cast_precision_loss, reason = "a size for display, rounded to one decimal")]
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// One log as `log authors`, `log show` and `log verify` show it: plain values.
pub(crate) struct LogSummary {
    /// The author, in hex.
    pub(crate) author: String,
    /// The log.
    pub(crate) log_id: u64,
    /// The lowest seq stored (above 0 once pruned).
    pub(crate) first_seq: u64,
    /// The latest seq.
    pub(crate) height: u64,
    /// Entries stored.
    pub(crate) entries: u64,
    /// Bytes stored: headers and the payloads held.
    pub(crate) bytes: u64,
    /// The latest entry's hash, in hex.
    pub(crate) latest_hash: String,
}

impl LogSummary {
    fn to_json(&self) -> Value {
        json!({
            "author": self.author,
            "log": self.log_id,
            "first_seq": self.first_seq,
            "height": self.height,
            "entries": self.entries,
            "bytes": self.bytes,
            "latest_hash": self.latest_hash,
        })
    }
}

/// One entry as `log show` shows it.
pub(crate) struct LogEntryView {
    /// Its seq.
    pub(crate) seq: u64,
    /// Its hash, in hex.
    pub(crate) hash: String,
    /// The previous entry's hash, in hex (none at seq 0).
    pub(crate) backlink: Option<String>,
    /// The author's timestamp, in milliseconds since the Unix epoch.
    pub(crate) timestamp: u64,
    /// The payload's size, as the header says.
    pub(crate) payload_size: u64,
    /// The payload's preview and its encoding (`utf8` or `hex`); none once dropped.
    pub(crate) payload: Option<(String, &'static str)>,
}

/// A topic and the (author in hex, log) pairs it names.
pub(crate) struct TopicView {
    /// The topic, in hex.
    pub(crate) topic: String,
    /// The logs it names.
    pub(crate) logs: Vec<(String, u64)>,
}

/// What `log verify` found in one log.
pub(crate) struct LogVerdict {
    /// The log.
    pub(crate) log: LogSummary,
    /// Each problem, at its seq when it has one; empty when the log is sound.
    pub(crate) problems: Vec<(Option<u64>, String)>,
}

/// A hash for a table: its first 16 hex digits (`--json` gives it whole).
fn short_hash(hash: &str) -> String {
    if hash.len() > 16 { format!("{}…", &hash[..16]) } else { hash.to_owned() }
}

/// Milliseconds since the Unix epoch as a UTC time: `2025-01-31 12:00:00.000Z`.
fn utc(millis: u64) -> String {
    let (secs, ms) = (millis / 1000, millis % 1000);
    let (days, day_secs) = (secs / 86_400, secs % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm), for days on or after 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{ms:03}Z",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

impl Output {
    /// `log authors`: every log of every author.
    pub(crate) fn log_authors(&self, logs: &[LogSummary]) {
        let mut authors: Vec<&str> = logs.iter().map(|log| log.author.as_str()).collect();
        authors.dedup();
        let entries: u64 = logs.iter().map(|log| log.entries).sum();
        let bytes: u64 = logs.iter().map(|log| log.bytes).sum();
        if self.json {
            let list: Vec<Value> = authors
                .iter()
                .map(|author| {
                    let own: Vec<Value> = logs
                        .iter()
                        .filter(|log| log.author == *author)
                        .map(|log| {
                            let mut value = log.to_json();
                            value.as_object_mut().map(|o| o.remove("author"));
                            value
                        })
                        .collect();
                    json!({ "author": author, "logs": own })
                })
                .collect();
            Self::print_json(&json!({
                "authors": list,
                "logs": logs.len(),
                "entries": entries,
                "bytes": bytes,
            }));
            return;
        }
        let rows: Vec<Row> = logs
            .iter()
            .map(|log| Row {
                cells: vec![
                    log.author.clone(),
                    log.log_id.to_string(),
                    log.first_seq.to_string(),
                    log.height.to_string(),
                    log.entries.to_string(),
                    human_bytes(log.bytes),
                ],
                json: Value::Null,
            })
            .collect();
        Self::table(&["author", "log", "first seq", "height", "entries", "bytes"], &rows);
        println!(
            "{} author(s), {} log(s), {entries} entries ({})",
            authors.len(),
            logs.len(),
            human_bytes(bytes)
        );
    }

    /// `log show`: a log's state and the entries asked for.
    pub(crate) fn log_entries(&self, log: &LogSummary, entries: &[LogEntryView]) {
        if self.json {
            let list: Vec<Value> = entries
                .iter()
                .map(|e| {
                    json!({
                        "seq": e.seq,
                        "hash": e.hash,
                        "backlink": e.backlink,
                        "timestamp": e.timestamp,
                        "time": utc(e.timestamp),
                        "payload_size": e.payload_size,
                        "payload_dropped": e.payload.is_none(),
                        "payload_preview": e.payload.as_ref().map(|p| &p.0),
                        "payload_encoding": e.payload.as_ref().map(|p| p.1),
                    })
                })
                .collect();
            Self::print_json(&json!({ "log": log.to_json(), "entries": list }));
            return;
        }
        println!(
            "author {} log {}: seq {}..={}, {} entries ({})",
            log.author,
            log.log_id,
            log.first_seq,
            log.height,
            log.entries,
            human_bytes(log.bytes)
        );
        let rows: Vec<Row> = entries
            .iter()
            .map(|e| Row {
                cells: vec![
                    e.seq.to_string(),
                    short_hash(&e.hash),
                    e.backlink.as_deref().map_or_else(|| "-".to_owned(), short_hash),
                    utc(e.timestamp),
                    e.payload_size.to_string(),
                    match &e.payload {
                        Some((text, "hex")) => format!("0x{text}"),
                        Some((text, _)) => text.clone(),
                        None => "(payload dropped)".to_owned(),
                    },
                ],
                json: Value::Null,
            })
            .collect();
        Self::table(&["seq", "hash", "backlink", "timestamp (UTC)", "size", "payload"], &rows);
        println!("{} entr{} shown", entries.len(), if entries.len() == 1 { "y" } else { "ies" });
    }

    /// `log topics`: every topic with the logs it names.
    pub(crate) fn log_topics(&self, topics: &[TopicView]) {
        if self.json {
            let list: Vec<Value> = topics
                .iter()
                .map(|t| {
                    let logs: Vec<Value> = t
                        .logs
                        .iter()
                        .map(|(author, log)| json!({ "author": author, "log": log }))
                        .collect();
                    json!({ "topic": t.topic, "logs": logs })
                })
                .collect();
            Self::print_json(&json!({ "topics": list }));
            return;
        }
        let mut logs = 0;
        for topic in topics {
            println!("topic {} names {} log(s):", topic.topic, topic.logs.len());
            for (author, log) in &topic.logs {
                println!("  author {author} log {log}");
            }
            logs += topic.logs.len();
        }
        println!("{} topic(s) naming {logs} log(s)", topics.len());
    }

    /// `log verify`: every log walked, and each broken one's problems.
    pub(crate) fn log_verify(&self, verdicts: &[LogVerdict], signatures: bool) {
        let mut authors: Vec<&str> = verdicts.iter().map(|v| v.log.author.as_str()).collect();
        authors.dedup();
        let broken = verdicts.iter().filter(|v| !v.problems.is_empty()).count();
        let entries: u64 = verdicts.iter().map(|v| v.log.entries).sum();
        if self.json {
            let list: Vec<Value> = verdicts
                .iter()
                .map(|v| {
                    let problems: Vec<Value> = v
                        .problems
                        .iter()
                        .map(|(seq, problem)| json!({ "seq": seq, "problem": problem }))
                        .collect();
                    let mut value = v.log.to_json();
                    value["ok"] = json!(v.problems.is_empty());
                    value["problems"] = Value::Array(problems);
                    value
                })
                .collect();
            Self::print_json(&json!({
                "logs": list,
                "signatures_checked": signatures,
                "totals": {
                    "authors": authors.len(),
                    "logs": verdicts.len(),
                    "entries": entries,
                    "broken": broken,
                },
            }));
            return;
        }
        let rows: Vec<Row> = verdicts
            .iter()
            .map(|v| Row {
                cells: vec![
                    v.log.author.clone(),
                    v.log.log_id.to_string(),
                    v.log.entries.to_string(),
                    if v.problems.is_empty() {
                        "ok".to_owned()
                    } else {
                        format!("BROKEN: {} problem(s)", v.problems.len())
                    },
                ],
                json: Value::Null,
            })
            .collect();
        Self::table(&["author", "log", "entries", "chain"], &rows);
        for verdict in verdicts.iter().filter(|v| !v.problems.is_empty()) {
            println!("broken: author {} log {}", verdict.log.author, verdict.log.log_id);
            for (seq, problem) in &verdict.problems {
                match seq {
                    Some(seq) => println!("  seq {seq}: {problem}"),
                    None => println!("  {problem}"),
                }
            }
        }
        let what = if signatures {
            "seqs, backlinks, hashes, payloads and ed25519 signatures"
        } else {
            "seqs, backlinks, hashes and payloads"
        };
        println!(
            "verified {} log(s) of {} author(s), {entries} entries ({what}): {broken} broken",
            verdicts.len(),
            authors.len()
        );
    }
}

/// One entry the demo's node refused.
pub(crate) struct Rejection {
    /// What was sent.
    pub(crate) sent: String,
    /// The `LogError` variant it was refused with (inside the batch's `InBatch`, if any).
    pub(crate) kind: &'static str,
    /// The error as the store words it.
    pub(crate) error: String,
}

/// What the demo's log step did: plain values.
#[derive(Default)]
pub(crate) struct LogDemo {
    /// The authors: name and public key (hex).
    pub(crate) authors: Vec<(String, String)>,
    /// What each author appended on its device: (name, log id, entries).
    pub(crate) appended: Vec<(String, u64, u64)>,
    /// The retried append: the seq it returned both times, and whether the retry was `repeated`.
    pub(crate) retry: (u64, bool),
    /// The topic's name and hex.
    pub(crate) topic: (String, String),
    /// The logs the topic names: (author name, log id).
    pub(crate) topic_logs: Vec<(String, u64)>,
    /// Entries the node refused.
    pub(crate) rejected: Vec<Rejection>,
    /// Entries the node ingested (new).
    pub(crate) ingested: usize,
    /// The atomic batches they came in.
    pub(crate) batches: usize,
    /// Entries sent again and found already present.
    pub(crate) already_present: usize,
    /// After reopening: (author name, log id, height, entries) per log.
    pub(crate) heights: Vec<(String, u64, u64, u64)>,
    /// After reopening: logs walked by `verify_log`, every one sound.
    pub(crate) verified_logs: usize,
    /// After reopening: entries in the arrival stream.
    pub(crate) stream_len: usize,
}

impl LogDemo {
    fn to_json(&self) -> Value {
        let authors: Vec<Value> =
            self.authors.iter().map(|(name, key)| json!({ "name": name, "author": key })).collect();
        let appended: Vec<Value> = self
            .appended
            .iter()
            .map(|(name, log, entries)| json!({ "author": name, "log": log, "entries": entries }))
            .collect();
        let rejected: Vec<Value> = self
            .rejected
            .iter()
            .map(|r| json!({ "sent": r.sent, "kind": r.kind, "error": r.error }))
            .collect();
        let heights: Vec<Value> = self
            .heights
            .iter()
            .map(|(name, log, height, entries)| {
                json!({ "author": name, "log": log, "height": height, "entries": entries })
            })
            .collect();
        let topic_logs: Vec<Value> = self
            .topic_logs
            .iter()
            .map(|(name, log)| json!({ "author": name, "log": log }))
            .collect();
        json!({
            "authors": authors,
            "appended": appended,
            "idempotent_retry": { "seq": self.retry.0, "repeated": self.retry.1 },
            "topic": { "name": self.topic.0, "topic": self.topic.1, "logs": topic_logs },
            "rejected": rejected,
            "ingested": self.ingested,
            "batches": self.batches,
            "already_present": self.already_present,
            "heights_after_reopen": heights,
            "verified_logs": self.verified_logs,
            "stream_len": self.stream_len,
            "verification": "passed",
        })
    }
}

impl Output {
    /// The demo's log step, as text.
    fn log_demo(log: &LogDemo) {
        println!(
            "\nLogs: authors sign entries on their own devices, the node ingests them as a peer:"
        );
        for (name, key) in &log.authors {
            println!("  {name} is ed25519 key {}", short_hash(key));
        }
        for (name, log_id, entries) in &log.appended {
            println!("  {name} appended {entries} entries to log {log_id}");
        }
        println!(
            "  a retried append with the same idempotency key returned seq {} again, repeated: {}",
            log.retry.0, log.retry.1
        );
        let named: Vec<String> =
            log.topic_logs.iter().map(|(name, log_id)| format!("{name}/{log_id}")).collect();
        println!(
            "  topic \"{}\" ({}) names {}; each of their posts names it in its signed header too",
            log.topic.0,
            short_hash(&log.topic.1),
            named.join(", ")
        );
        for rejection in &log.rejected {
            println!("  refused {}: {} ({})", rejection.sent, rejection.kind, rejection.error);
        }
        println!("  the refused entries wrote nothing: a batch lands whole or not at all");
        println!(
            "  ingested {} entries in {} atomic batches (ed25519 signatures, seqs and backlinks \
             checked); {} sent again: already present",
            log.ingested, log.batches, log.already_present
        );
        println!(
            "  reopened: verify_log passed on all {} logs; the arrival stream holds {} entries",
            log.verified_logs, log.stream_len
        );
        let rows: Vec<Row> = log
            .heights
            .iter()
            .map(|(name, log_id, height, entries)| Row {
                cells: vec![
                    name.clone(),
                    log_id.to_string(),
                    height.to_string(),
                    entries.to_string(),
                ],
                json: Value::Null,
            })
            .collect();
        Self::table(&["author", "log", "height", "entries"], &rows);
    }
}

/// One view as `views` shows it: plain values.
pub(crate) struct ViewRow {
    /// The view's name.
    pub(crate) name: String,
    /// The version of the code that built its state.
    pub(crate) version: u32,
    /// `in step` or `behind`.
    pub(crate) mode: String,
    /// `ready`, `clearing` or `rebuilding`, for JSON.
    pub(crate) phase: &'static str,
    /// `ready`, `rebuilding (clearing)` or `rebuilding`, for people.
    pub(crate) state: String,
    /// The view reflects every entry below this arrival offset.
    pub(crate) since: u64,
    /// Entries in the log the view does not reflect yet: the log's next arrival offset − since.
    pub(crate) lag: u64,
}

impl ViewRow {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "version": self.version,
            "mode": self.mode,
            "phase": self.phase,
            "state": self.state,
            "since": self.since,
            "lag": self.lag,
        })
    }

    fn cells(&self) -> Row {
        Row {
            cells: vec![
                self.name.clone(),
                self.version.to_string(),
                self.mode.clone(),
                self.since.to_string(),
                self.lag.to_string(),
                self.state.clone(),
            ],
            json: Value::Null,
        }
    }
}

/// The header of a table of [`ViewRow`]s.
const VIEW_HEADER: [&str; 6] = ["view", "version", "mode", "since", "lag", "state"];

impl Output {
    /// `views`: every registered view, and the log's next arrival offset they are measured
    /// against.
    pub(crate) fn views(&self, views: &[ViewRow], log_end: u64) {
        if self.json {
            let list: Vec<Value> = views.iter().map(ViewRow::to_json).collect();
            Self::print_json(&json!({ "views": list, "log_next_offset": log_end }));
            return;
        }
        let rows: Vec<Row> = views.iter().map(ViewRow::cells).collect();
        Self::table(&VIEW_HEADER, &rows);
        println!("{} view(s); the log's next arrival offset is {log_end}", views.len());
    }

    /// `views rebuild`: the view's status once rebuilt.
    pub(crate) fn view_rebuilt(&self, view: &ViewRow, batches: u64, elapsed: Duration) {
        if self.json {
            Self::print_json(&json!({
                "view": view.to_json(),
                "rebuilt": true,
                "batches": batches,
                "seconds": elapsed.as_secs_f64(),
            }));
            return;
        }
        println!(
            "rebuilt view {} from the start of the log: {} entries reduced in {batches} \
             committed batch(es), {:.2} s",
            view.name,
            view.since,
            elapsed.as_secs_f64()
        );
        Self::table(&VIEW_HEADER, &[view.cells()]);
    }

    /// The demo's views step, as text.
    fn views_demo(views: &ViewsDemo) {
        println!(
            "\nViews over the log: versioned reductions kept beside it, in the same database:"
        );
        let opened: Vec<String> =
            views.opened.iter().map(|(name, mode)| format!("{name} ({mode})")).collect();
        println!(
            "  opened {} over the {} entries in the log: each new view built from the start",
            opened.join(", "),
            views.built_from
        );
        let appended: Vec<String> = views
            .appended
            .iter()
            .map(|(log, payload, offset)| format!("\"{payload}\" to log {log} at offset {offset}"))
            .collect();
        println!("  the node appended {}", appended.join(", "));
        let lags: Vec<String> =
            views.lag_after_append.iter().map(|(name, lag)| format!("{name} {lag}")).collect();
        println!(
            "  in step, updated in each append's own commit: lag as the appends returned: {}",
            lags.join(", ")
        );
        println!(
            "  read-your-writes: wait_for({}, offset {}) returned once the view reflected it",
            views.waited.0, views.waited.1
        );
        println!("  entry_counts, per log:");
        let rows: Vec<Row> = views
            .counts
            .iter()
            .map(|(name, log, entries, bytes)| Row {
                cells: vec![name.clone(), log.to_string(), entries.to_string(), bytes.to_string()],
                json: Value::Null,
            })
            .collect();
        Self::table(&["author", "log", "entries", "payload bytes"], &rows);
        let latest: Vec<String> = views
            .latest
            .iter()
            .map(|(name, log, seq, offset)| format!("{name}/{log} seq {seq} (offset {offset})"))
            .collect();
        println!("  latest_by_topic under \"{}\": {}", views.topic, latest.join(", "));
        let settings: Vec<String> = views
            .settings
            .iter()
            .map(|(name, value, offset)| format!("{name} = {value} (offset {offset})"))
            .collect();
        println!("  settings, the latest value per key: {}", settings.join(", "));
        let (view, from, to) = &views.bump;
        println!(
            "  version bump: reopened with {view} at version {to} (its state built by version \
             {from}): {}; its reader refused: {}",
            views.bumped_state, views.refused
        );
        let (entries, batches, batch) = views.rebuilt;
        println!(
            "  catch_up() rebuilt it from {entries} entries in {batches} committed batches of at \
             most {batch}: ready, equal to before"
        );
        println!("  reopened: every view ready, lag 0, the counts equal what was appended:");
        let rows: Vec<Row> = views.after_reopen.iter().map(ViewRow::cells).collect();
        Self::table(&VIEW_HEADER, &rows);
    }
}

/// What the demo's views step did: plain values.
#[derive(Default)]
pub(crate) struct ViewsDemo {
    /// The views opened: name and mode.
    pub(crate) opened: Vec<(String, String)>,
    /// Entries in the log when the views were opened: each was built from them.
    pub(crate) built_from: u64,
    /// What the node appended: (log id, payload, arrival offset).
    pub(crate) appended: Vec<(u64, String, u64)>,
    /// Each view kept in step, with its lag right after the appends returned.
    pub(crate) lag_after_append: Vec<(String, u64)>,
    /// The read-your-writes wait: the view and the offset waited for.
    pub(crate) waited: (String, u64),
    /// Entry counts per log: (author name, log id, entries, payload bytes).
    pub(crate) counts: Vec<(String, u64, u64, u64)>,
    /// The topic's name.
    pub(crate) topic: String,
    /// The latest entry per author under the topic: (author name, log id, seq, offset).
    pub(crate) latest: Vec<(String, u64, u64, u64)>,
    /// The settings index: (name, value, offset).
    pub(crate) settings: Vec<(String, String, u64)>,
    /// The version bump: the view, the version that built its state, the new version.
    pub(crate) bump: (String, u32, u32),
    /// The bumped view's state as reported right after reopening.
    pub(crate) bumped_state: String,
    /// Why its reader was refused.
    pub(crate) refused: String,
    /// The rebuild: entries reduced, batches committed, entries per batch at most.
    pub(crate) rebuilt: (u64, u64, usize),
    /// After the final reopen: every view.
    pub(crate) after_reopen: Vec<ViewRow>,
}

impl ViewsDemo {
    fn to_json(&self) -> Value {
        let opened: Vec<Value> =
            self.opened.iter().map(|(name, mode)| json!({ "view": name, "mode": mode })).collect();
        let appended: Vec<Value> = self
            .appended
            .iter()
            .map(|(log, payload, offset)| json!({ "log": log, "payload": payload, "offset": offset }))
            .collect();
        let lags: serde_json::Map<String, Value> =
            self.lag_after_append.iter().map(|(name, lag)| (name.clone(), json!(lag))).collect();
        let counts: Vec<Value> = self
            .counts
            .iter()
            .map(|(name, log, entries, bytes)| {
                json!({ "author": name, "log": log, "entries": entries, "payload_bytes": bytes })
            })
            .collect();
        let latest: Vec<Value> = self
            .latest
            .iter()
            .map(|(name, log, seq, offset)| {
                json!({ "author": name, "log": log, "seq": seq, "offset": offset })
            })
            .collect();
        let settings: Vec<Value> = self
            .settings
            .iter()
            .map(|(name, value, offset)| json!({ "key": name, "value": value, "offset": offset }))
            .collect();
        json!({
            "opened": opened,
            "built_from": self.built_from,
            "appended": appended,
            "lag_after_append": lags,
            "waited_for": { "view": self.waited.0, "offset": self.waited.1 },
            "entry_counts": counts,
            "latest_by_topic": { "topic": self.topic, "latest": latest },
            "settings": settings,
            "version_bump": {
                "view": self.bump.0,
                "from": self.bump.1,
                "to": self.bump.2,
                "state_on_reopen": self.bumped_state,
                "reader_refused": self.refused,
                "rebuilt_entries": self.rebuilt.0,
                "batches": self.rebuilt.1,
                "batch_size": self.rebuilt.2,
                "equal_to_before": true,
            },
            "after_reopen": self.after_reopen.iter().map(ViewRow::to_json).collect::<Vec<_>>(),
            "verification": "passed",
        })
    }
}
