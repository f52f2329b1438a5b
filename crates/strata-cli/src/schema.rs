//! The schemas this build of the CLI knows, in one place, and what the inspector does with their
//! descriptors: decode keys and values for display, check entries, check key lengths of
//! arguments. A column no schema claims is shown as raw hex and not checked for content.

use strata::{AsKeyParts as _, ColumnDescriptor, Schema};

use crate::error::CliError;

/// Every schema the CLI is built with. A schema crate (the KV store, the logs, …) joins by
/// adding its descriptor here. The views' registry comes from `strata::views`; the columns of the
/// demo's views (the built-in ones and the settings index) are described by the CLI, which
/// defines those views.
pub(crate) const SCHEMAS: &[Schema] = &[
    strata::node::SCHEMA,
    strata::kv::SCHEMA,
    strata::log::SCHEMA,
    strata::views::SCHEMA,
    crate::views::DEMO_VIEWS_SCHEMA,
    crate::ledger::LEDGER_SCHEMA,
    strata::versions::SCHEMA,
];

/// The schema that declares the column named `name`, and the column's descriptor.
pub(crate) fn lookup(name: &str) -> Option<(&'static Schema, &'static ColumnDescriptor)> {
    SCHEMAS.iter().find_map(|schema| schema.column(name).map(|column| (schema, column)))
}

/// The name of the schema that owns the column named `name`, if any.
pub(crate) fn owner(name: &str) -> Option<&'static str> {
    lookup(name).map(|(schema, _)| schema.name())
}

/// Whether `key` of `column` is an encrypted database's key ring: an entry of the meta column
/// that is not a version record (its value is the ring, wrapped under the caller's key).
pub(crate) fn is_key_ring(column: &str, key: &[u8]) -> bool {
    column == strata::versions::VERSIONS.name()
        && key == strata::encryption::RING_KEY.as_key().as_bytes()
}

/// A key and value as text: decoded for known columns, hex otherwise or when decoding fails.
pub(crate) fn show(column: &str, key: &[u8], value: &[u8]) -> (String, String) {
    if is_key_ring(column, key) {
        return (
            "encryption key ring".to_owned(),
            format!("<key ring, wrapped under the database's key, {} bytes>", value.len()),
        );
    }
    match lookup(column) {
        Some((_, descriptor)) => (
            descriptor.render_key(key).unwrap_or_else(|_| hex::encode(key)),
            descriptor
                .render_value(value)
                .unwrap_or_else(|e| format!("{} (undecodable: {e})", hex::encode(value))),
        ),
        None => (hex::encode(key), hex::encode(value)),
    }
}

/// A key as text, with its value shown by size alone: an encrypted database's value read
/// without its key.
pub(crate) fn show_key(column: &str, key: &[u8]) -> String {
    lookup(column)
        .and_then(|(_, descriptor)| descriptor.render_key(key).ok())
        .unwrap_or_else(|| hex::encode(key))
}

/// What is wrong with an entry of a known column, if anything.
pub(crate) fn problem(column: &str, key: &[u8], value: &[u8]) -> Option<String> {
    if let Some(problem) = key_problem(column, key) {
        return Some(problem);
    }
    if is_key_ring(column, key) {
        return None;
    }
    let (_, descriptor) = lookup(column)?;
    descriptor.render_value(value).err().map(|e| format!("value does not decode: {e}"))
}

/// What is wrong with the key of an entry of a known column, if anything: what can be checked
/// of an encrypted database's entry without its key.
pub(crate) fn key_problem(column: &str, key: &[u8]) -> Option<String> {
    if is_key_ring(column, key) {
        return None;
    }
    let (_, descriptor) = lookup(column)?;
    if key.len() != descriptor.key_len() {
        return Some(wrong_length(descriptor, key.len()));
    }
    descriptor.render_key(key).err().map(|e| format!("key does not decode: {e}"))
}

/// Checks that `key` has the length its column's schema requires (any length for unknown
/// columns).
pub(crate) fn check_key(column: &str, key: &[u8]) -> Result<(), CliError> {
    match lookup(column) {
        Some((_, descriptor)) if key.len() != descriptor.key_len() => {
            Err(CliError::KeyLength(wrong_length(descriptor, key.len())))
        }
        _ => Ok(()),
    }
}

/// Checks that a `--prefix` is no longer than its column's keys: a longer one could match
/// nothing, which is surely a mistake.
pub(crate) fn check_prefix(column: &str, prefix: &[u8]) -> Result<(), CliError> {
    match lookup(column) {
        Some((_, descriptor)) if prefix.len() > descriptor.key_len() => {
            Err(CliError::KeyLength(format!(
                "--prefix length {}, column {column} expects at most {}{}",
                prefix.len(),
                descriptor.key_len(),
                layout_note(descriptor)
            )))
        }
        _ => Ok(()),
    }
}

/// `key length 1, column meta expects 32 (context_id: 32 bytes)`.
fn wrong_length(descriptor: &ColumnDescriptor, len: usize) -> String {
    format!(
        "key length {len}, column {} expects {}{}",
        descriptor.column().name(),
        descriptor.key_len(),
        layout_note(descriptor)
    )
}

/// ` (name: width bytes, …)` when the layout is known, nothing otherwise.
fn layout_note(descriptor: &ColumnDescriptor) -> String {
    let layout = descriptor.layout_text();
    if layout.is_empty() { layout } else { format!(" ({layout})") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_schemas_claim_one_column() {
        let mut names: Vec<&str> =
            SCHEMAS.iter().flat_map(Schema::columns).map(|d| d.column().name()).collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a column is claimed twice: {names:?}");
    }

    #[test]
    fn every_node_column_is_known() {
        for column in strata::node::COLUMNS {
            assert_eq!(owner(column.name()), Some("node"), "{column}");
        }
        assert_eq!(owner("custom"), None);
    }

    #[test]
    fn every_kv_column_is_known() {
        for column in strata::kv::COLUMNS {
            assert_eq!(owner(column.name()), Some("kv"), "{column}");
        }
    }

    #[test]
    fn every_log_column_is_known() {
        for column in strata::log::COLUMNS {
            assert_eq!(owner(column.name()), Some("log"), "{column}");
        }
    }

    #[test]
    fn every_views_column_is_known() {
        for column in crate::views::columns() {
            assert_eq!(owner(column.name()), Some("views"), "{column}");
        }
    }

    #[test]
    fn the_key_ring_is_shown_by_size_and_is_no_problem() {
        let key = strata::encryption::RING_KEY.as_key();
        let ring = key.as_bytes();
        assert!(is_key_ring("strata_versions", ring));
        assert!(!is_key_ring("meta", ring));
        assert_eq!(problem("strata_versions", ring, b"not a version"), None);
        let (key_text, value) = show("strata_versions", ring, &[0; 90]);
        assert_eq!(key_text, "encryption key ring");
        assert!(value.contains("90 bytes"), "{value}");
        assert_eq!(key_problem("meta", &[0; 32]), None);
        assert!(key_problem("meta", &[0; 3]).is_some());
    }

    #[test]
    fn lengths_are_checked_against_the_layout() {
        let error = check_key("meta", &[0]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "key length 1, column meta expects 32 (context_id: 32 bytes)"
        );
        assert!(check_key("meta", &[0; 32]).is_ok());
        assert!(check_key("custom", &[0]).is_ok());
        assert!(check_prefix("meta", &[0; 32]).is_ok());
        let error = check_prefix("state", &[0; 65]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "--prefix length 65, column state expects at most 64 \
             (context_id: 32 bytes, state_key: 32 bytes)"
        );
    }
}
