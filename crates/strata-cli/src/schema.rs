//! What the CLI knows about the node-runtime schema: how to show and check each known column.

use std::fmt::Debug;

use strata_core::{DataType, Entry, Slice};
use strata_node::{
    ContextConfig, ContextIdentity, ContextMeta, ContextState, ContextTransaction, Generic,
};

/// How one known column's keys and values are decoded.
pub(crate) struct Known {
    /// The column's name.
    pub(crate) column: &'static str,
    /// The only key length the schema allows.
    pub(crate) key_len: usize,
    /// Decodes a key for display.
    pub(crate) key: fn(&[u8]) -> Result<String, String>,
    /// Decodes a value for display.
    pub(crate) value: fn(&[u8]) -> Result<String, String>,
}

fn key_of<E: Entry + Debug>(bytes: &[u8]) -> Result<String, String> {
    E::from_bytes(bytes).map(|key| format!("{key:?}")).map_err(|e| e.to_string())
}

fn value_of<E: Entry>(bytes: &[u8]) -> Result<String, String>
where
    for<'a> E::Value<'a>: Debug,
{
    E::Value::from_slice(Slice::from(bytes))
        .map(|value| format!("{value:?}"))
        .map_err(|e| e.to_string())
}

// Shaped like every other decoder so it fits `Known::value`; raw bytes always "decode".
#[allow(clippy::unnecessary_wraps)]
fn raw_value(bytes: &[u8]) -> Result<String, String> {
    Ok(hex::encode(bytes))
}

/// A column whose values are raw bytes: keys decoded, values shown as hex.
fn known_raw<E: Entry + Debug>() -> Known {
    Known { column: E::COLUMN.name(), key_len: E::key_len(), key: key_of::<E>, value: raw_value }
}

fn known<E: Entry + Debug>() -> Known
where
    for<'a> E::Value<'a>: Debug,
{
    Known {
        column: E::COLUMN.name(),
        key_len: E::key_len(),
        key: key_of::<E>,
        value: value_of::<E>,
    }
}

/// The known column named `name`, if any.
pub(crate) fn lookup(name: &str) -> Option<Known> {
    [
        known::<ContextMeta>(),
        known::<ContextConfig>(),
        known::<ContextIdentity>(),
        known_raw::<ContextState>(),
        known::<ContextTransaction>(),
        known_raw::<Generic>(),
    ]
    .into_iter()
    .find(|known| known.column == name)
}

/// A key and value as text: decoded for known columns, hex otherwise or when decoding fails.
pub(crate) fn show(column: &str, key: &[u8], value: &[u8]) -> (String, String) {
    match lookup(column) {
        Some(known) => (
            (known.key)(key).unwrap_or_else(|_| hex::encode(key)),
            (known.value)(value)
                .unwrap_or_else(|e| format!("{} (undecodable: {e})", hex::encode(value))),
        ),
        None => (hex::encode(key), hex::encode(value)),
    }
}

/// What is wrong with an entry of a known column, if anything.
pub(crate) fn problem(column: &str, key: &[u8], value: &[u8]) -> Option<String> {
    let known = lookup(column)?;
    if key.len() != known.key_len {
        return Some(format!("key is {} bytes, the schema requires {}", key.len(), known.key_len));
    }
    if let Err(e) = (known.key)(key) {
        return Some(format!("key does not decode: {e}"));
    }
    (known.value)(value).err().map(|e| format!("value does not decode: {e}"))
}
