//! Human-readable tables by default, JSON with `--json`.
//!
//! A leaf of the CLI's module graph: callers hand it plain values (text already decoded, counts,
//! names) and it only prints them.

use std::path::Path;
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use serde_json::{Value, json};
use strata::kv::Address;

/// One row of output, kept both as text cells and as JSON.
pub(crate) struct Row {
    cells: Vec<String>,
    json: Value,
}

impl Row {
    /// A column's statistics, with the schema that owns it if one does.
    pub(crate) fn stats(
        column: &str,
        schema: Option<&str>,
        prefix: &str,
        keys: u64,
        bytes: u64,
    ) -> Self {
        Self {
            cells: vec![
                column.to_owned(),
                schema.unwrap_or("-").to_owned(),
                prefix.to_owned(),
                keys.to_string(),
                human_bytes(bytes),
            ],
            json: json!({ "column": column, "schema": schema, "prefix_len": prefix, "approximate_keys": keys, "approximate_bytes": bytes }),
        }
    }

    /// An entry: its bytes, and the text they are shown as (decoded, or hex).
    pub(crate) fn entry(key: &[u8], value: &[u8], key_text: String, value_text: String) -> Self {
        Self {
            json: json!({ "key_hex": hex::encode(key), "key": key_text, "value_hex": hex::encode(value), "value": value_text }),
            cells: vec![key_text, value_text],
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

/// Where and how results are printed.
pub(crate) struct Output {
    /// Print JSON instead of tables.
    pub(crate) json: bool,
}

impl Output {
    fn table(header: &[&str], rows: &[Row]) {
        let mut table = Table::new();
        table
            .load_preset(UTF8_BORDERS_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(120)
            .set_header(header.to_vec());
        for row in rows {
            table.add_row(row.cells.clone());
        }
        println!("{table}");
    }

    fn print_json(value: &Value) {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
    }

    /// `stats` output.
    pub(crate) fn stats(&self, rows: &[Row], undeclared: &[String]) {
        if self.json {
            let columns: Vec<_> = rows.iter().map(|r| r.json.clone()).collect();
            Self::print_json(
                &json!({ "columns": columns, "unregistered_column_families": undeclared }),
            );
        } else {
            Self::table(&["column", "schema", "prefix", "≈ keys", "≈ size"], rows);
            if !undeclared.is_empty() {
                println!("column families without a valid Strata name: {}", undeclared.join(", "));
            }
        }
    }

    /// `scan` and `get` output.
    pub(crate) fn entries(&self, rows: &[Row]) {
        if self.json {
            Self::print_json(&Value::Array(rows.iter().map(|r| r.json.clone()).collect()));
        } else {
            Self::table(&["key", "value"], rows);
            println!("{} entr{}", rows.len(), if rows.len() == 1 { "y" } else { "ies" });
        }
    }

    /// `check` output; `unknown` are the columns no schema describes.
    pub(crate) fn check(&self, checked: u64, problems: &[Row], unknown: &[&str]) {
        if self.json {
            let list: Vec<_> = problems.iter().map(|r| r.json.clone()).collect();
            Self::print_json(
                &json!({ "checked": checked, "problems": list, "columns_without_schema": unknown }),
            );
            return;
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
        let db = path.display();
        println!("\nlook inside next:");
        println!("  strata stats --db {db}");
        println!("  strata scan transaction --db {db} --limit 5");
        println!("  strata scan state --db {db} --reverse --limit 5");
        println!("  strata check --db {db}");
        println!("  strata kv ls --db {db}");
        println!("  strata kv ls monitors --db {db}");
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
    /// How long it took.
    pub(crate) elapsed: Duration,
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
