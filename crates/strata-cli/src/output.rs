//! Human-readable tables by default, JSON with `--json`.

use std::path::Path;
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use serde_json::{Value, json};
use strata_core::Column;

use crate::demo::DemoArgs;
use crate::schema;

/// One row of output, kept both as text cells and as JSON.
pub(crate) struct Row {
    cells: Vec<String>,
    json: Value,
}

impl Row {
    /// A column's statistics.
    pub(crate) fn stats(column: &str, prefix: &str, keys: u64, bytes: u64) -> Self {
        Self {
            cells: vec![column.to_owned(), prefix.to_owned(), keys.to_string(), human_bytes(bytes)],
            json: json!({ "column": column, "prefix_len": prefix, "approximate_keys": keys, "approximate_bytes": bytes }),
        }
    }

    /// An entry, decoded when its column is known.
    pub(crate) fn entry(column: &str, key: &[u8], value: &[u8]) -> Self {
        let (key_text, value_text) = schema::show(column, key, value);
        Self {
            cells: vec![key_text.clone(), value_text.clone()],
            json: json!({ "key_hex": hex::encode(key), "key": key_text, "value_hex": hex::encode(value), "value": value_text }),
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
            Self::table(&["column", "prefix", "≈ keys", "≈ size"], rows);
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

    /// `check` output.
    pub(crate) fn check(&self, checked: u64, problems: &[Row], columns: &[Column]) {
        let unknown: Vec<&str> = columns
            .iter()
            .map(Column::name)
            .filter(|name| schema::lookup(name).is_none())
            .collect();
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
    #[allow(clippy::too_many_arguments)]
    // A rate for display: losing precision beyond 2^52 calls is harmless.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn demo_summary(
        &self,
        path: &Path,
        args: &DemoArgs,
        committed: u64,
        elapsed: Duration,
        walked: usize,
        counts: &[(&str, usize)],
        size: u64,
    ) {
        let total = u64::from(args.contexts) * u64::from(args.calls);
        let per_second = total as f64 / elapsed.as_secs_f64().max(1e-9);
        if self.json {
            let keys: serde_json::Map<String, Value> =
                counts.iter().map(|(name, count)| ((*name).to_owned(), json!(count))).collect();
            Self::print_json(&json!({
                "database": path.display().to_string(),
                "contexts": args.contexts,
                "calls": total,
                "committed": committed,
                "rolled_back": total - committed,
                "calls_per_second": per_second.round(),
                "state_entries_walked_in_context_0": walked,
                "keys_per_column": keys,
                "bytes_on_disk": size,
                "verification": "passed",
            }));
            return;
        }
        println!(
            "executed {total} calls over {} contexts in {:.2} s ({per_second:.0} calls/s): {committed} committed, {} rolled back",
            args.contexts,
            elapsed.as_secs_f64(),
            total - committed
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
            "reopened {} and verified every count and hash chain: verification passed",
            path.display()
        );
        let db = path.display();
        println!("\nlook inside next:");
        println!("  strata stats --db {db}");
        println!("  strata scan transaction --db {db} --limit 5");
        println!("  strata scan state --db {db} --reverse --limit 5");
        println!("  strata check --db {db}");
    }
}

// A size for display, rounded to one decimal anyway.
#[allow(clippy::cast_precision_loss)]
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

/// Total size of the files under `path`.
pub(crate) fn dir_size(path: &Path) -> u64 {
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
