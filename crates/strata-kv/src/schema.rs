//! The KV store's columns, keys and values: how variable-length names become fixed-length keys.
//!
//! | column | key → value |
//! |---|---|
//! | [`NAMESPACES`] | [`Namespace`] (primary, secondary, each a padded [`Name`]) → [`NamespaceRecord`] (its id) |
//! | [`ENTRIES`] | [`EntryKey`] (namespace id, padded key) → [`StoredValue`] (creation number, bytes) |
//! | [`CREATED`] | [`CreatedKey`] (namespace id, creation number) → the key's name |
//! | [`KV_META`] | [`MetaKey`] → [`Counter`] (next namespace id, reserved creation numbers) |
//!
//! `ENTRIES` and `CREATED` start every key with the 4-byte namespace id and declare it as their
//! prefix, so one namespace is one contiguous range and listing it is one prefix scan.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::{
    BorshValue, Column, ColumnDescriptor, DataType, DecodeError, EncodeError, Entry, Schema, Slice,
    key,
};

use crate::name::Name;

/// Length of a namespace id, the prefix of [`ENTRIES`] and [`CREATED`].
pub const NAMESPACE_ID_LEN: usize = 4;

/// The namespace registry: each (primary, secondary) pair and its compact id.
pub const NAMESPACES: Column = Column::new("kv_namespaces");
/// The values, by namespace id and key.
pub const ENTRIES: Column = Column::new("kv_entries").with_prefix_len(NAMESPACE_ID_LEN);
/// Each namespace's keys in creation order: what paginated listing walks, newest first.
pub const CREATED: Column = Column::new("kv_created").with_prefix_len(NAMESPACE_ID_LEN);
/// The store's counters.
pub const KV_META: Column = Column::new("kv_meta");

/// Every column of the KV store, for opening a database (beside any other schema's columns).
pub const COLUMNS: [Column; 4] = [NAMESPACES, ENTRIES, CREATED, KV_META];

key! {
    /// A (primary, secondary) namespace pair in the registry.
    pub struct Namespace in NAMESPACES {
        /// The primary namespace.
        pub primary: Name,
        /// The secondary namespace.
        pub secondary: Name,
    }
}

key! {
    /// One stored value's place.
    pub struct EntryKey in ENTRIES {
        /// The namespace's id.
        pub namespace: u32,
        /// The key within the namespace.
        pub key: Name,
    }
}

key! {
    /// One key's place in its namespace's creation order.
    pub struct CreatedKey in CREATED {
        /// The namespace's id.
        pub namespace: u32,
        /// The key's creation number: increasing in the order keys were created, kept when a key
        /// is overwritten.
        pub created: u64,
    }
}

key! {
    /// One of the store's counters.
    pub struct MetaKey in KV_META {
        /// Which counter.
        pub counter: u8,
    }
}

/// The counter holding the next namespace id to assign.
pub(crate) const NEXT_NAMESPACE: MetaKey = MetaKey { counter: 0 };
/// The counter holding the first creation number not yet reserved.
pub(crate) const RESERVED_CREATION: MetaKey = MetaKey { counter: 1 };

/// A namespace's registry record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NamespaceRecord {
    /// The namespace's id, the prefix of its keys in [`ENTRIES`] and [`CREATED`].
    pub id: u32,
}

/// A counter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Counter(pub u64);

impl BorshValue for NamespaceRecord {}
impl BorshValue for Counter {}

/// A stored value: its key's creation number (8 bytes, big-endian), then the value's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredValue<'a> {
    /// The key's creation number (see [`CreatedKey::created`]).
    pub created: u64,
    /// The value.
    pub value: Slice<'a>,
}

/// Length of the creation number in front of every stored value.
pub(crate) const HEADER_LEN: usize = 8;

impl StoredValue<'_> {
    /// Splits stored bytes into the creation number and the value.
    pub(crate) fn split(bytes: &[u8]) -> Result<(u64, &[u8]), DecodeError> {
        match bytes.split_first_chunk::<HEADER_LEN>() {
            Some((created, value)) => Ok((u64::from_be_bytes(*created), value)),
            None => Err(DecodeError::new::<Self>(bytes.len(), "shorter than its 8-byte header")),
        }
    }

    /// The stored bytes of a value created as number `created`.
    pub(crate) fn encode(created: u64, value: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + value.len());
        bytes.extend_from_slice(&created.to_be_bytes());
        bytes.extend_from_slice(value);
        bytes
    }
}

impl<'a> DataType<'a> for StoredValue<'a> {
    fn from_slice(slice: Slice<'a>) -> Result<Self, DecodeError> {
        let (created, value) = Self::split(&slice)?;
        Ok(Self { created, value: value.to_vec().into() })
    }

    fn from_lent(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (created, value) = Self::split(bytes)?;
        Ok(Self { created, value: value.to_vec().into() })
    }

    fn as_slice(&self) -> Result<Slice<'_>, EncodeError> {
        Ok(Self::encode(self.created, &self.value).into())
    }
}

impl fmt::Debug for StoredValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 16;
        write!(f, "StoredValue {{ created: {}, len: {}, value: ", self.created, self.value.len())?;
        for byte in self.value.iter().take(SHOWN) {
            write!(f, "{byte:02x}")?;
        }
        if self.value.len() > SHOWN {
            f.write_str("…")?;
        }
        f.write_str(" }")
    }
}

impl Entry for Namespace {
    type Value<'a> = NamespaceRecord;
}

impl Entry for EntryKey {
    type Value<'a> = StoredValue<'a>;
}

impl Entry for CreatedKey {
    type Value<'a> = String;
}

impl Entry for MetaKey {
    type Value<'a> = Counter;
}

/// The KV store's descriptor, for tools: every column's key layout and how to show its entries.
///
/// ```
/// let entries = strata_kv::SCHEMA.column("kv_entries").unwrap();
/// assert_eq!(entries.layout_text(), "namespace: 4 bytes, key: 120 bytes");
/// ```
pub const SCHEMA: Schema = Schema::new(
    "kv",
    &[
        ColumnDescriptor::of::<Namespace>(),
        ColumnDescriptor::of::<EntryKey>(),
        ColumnDescriptor::of::<CreatedKey>(),
        ColumnDescriptor::of::<MetaKey>(),
    ],
);
