//! Human-readable tables by default, JSON with `--json`.
//!
//! A leaf of the CLI's module graph: callers hand it plain values (text already decoded, counts,
//! names) and it only prints them.

use std::path::Path;
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use serde_json::{Value, json};

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
        let db = path.display();
        println!("\nlook inside next:");
        println!("  strata stats --db {db}");
        println!("  strata scan transaction --db {db} --limit 5");
        println!("  strata scan state --db {db} --reverse --limit 5");
        println!("  strata check --db {db}");
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
