//! # Strata node-runtime schema
//!
//! The columns, keys and values a node runtime keeps per context, declared only through
//! `strata-core`'s public API — proof that an application owns its schema and the engine needs
//! no list of application columns.
//!
//! | column | entry (key → value) |
//! |---|---|
//! | [`META`] | [`ContextMeta`]: context id → [`MetaRecord`] (application id, last transaction hash) |
//! | [`CONFIG`] | [`ContextConfig`]: context id → [`ConfigRecord`] |
//! | [`IDENTITY`] | [`ContextIdentity`]: context id + public key → [`IdentityRecord`] (optional private key) |
//! | [`STATE`] | [`ContextState`]: context id + state key → raw bytes |
//! | [`TRANSACTION`] | [`ContextTransaction`]: context id + transaction hash → [`TransactionRecord`] |
//! | [`GENERIC`] | [`Generic`]: 16-byte scope + 32-byte fragment → raw bytes |
//!
//! Every per-context column declares the 32-byte context id as its prefix, so a backend can
//! build prefix bloom filters and walking one context's entries is one prefix scan.
//!
//! [`SCHEMA`] describes all of it to tools (the `strata` inspector decodes every column with
//! it): each column's key layout and how its keys and values are shown.
//!
//! ```
//! use strata_core::{MemoryDb, Store};
//! use strata_node::{ContextId, ContextState, StateKey};
//!
//! let mut store = Store::new(MemoryDb::new(strata_node::COLUMNS));
//! let mut state = store.handle();
//! let context = ContextId([7; 32]);
//! state.put(&ContextState { context_id: context, state_key: StateKey([1; 32]) }, &b"hello"[..].into())?;
//! let entries = state.iter_prefix::<ContextState, _>(&context)?.count();
//! assert_eq!(entries, 1);
//! # Ok::<(), strata_core::Error>(())
//! ```
#![forbid(unsafe_code)]

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::{
    BorshValue, Column, ColumnDescriptor, Entry, KeyComponent, KeyError, Schema, Slice, key,
};

/// Length of a context id, the prefix of every per-context column.
pub const CONTEXT_ID_LEN: usize = 32;

/// Per-context metadata.
pub const META: Column = Column::new("meta");
/// Per-context configuration.
pub const CONFIG: Column = Column::new("config");
/// Identities (key pairs) taking part in a context.
pub const IDENTITY: Column = Column::new("identity").with_prefix_len(CONTEXT_ID_LEN);
/// Application state entries of each context.
pub const STATE: Column = Column::new("state").with_prefix_len(CONTEXT_ID_LEN);
/// Executed transactions of each context, chained by hash.
pub const TRANSACTION: Column = Column::new("transaction").with_prefix_len(CONTEXT_ID_LEN);
/// Application-defined data, grouped by scope.
pub const GENERIC: Column = Column::new("generic").with_prefix_len(16);

/// Every column of the schema, for opening a database.
pub const COLUMNS: [Column; 6] = [META, CONFIG, IDENTITY, STATE, TRANSACTION, GENERIC];

macro_rules! fixed_bytes {
    ($($(#[$meta:meta])* $name:ident($len:literal);)+) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize)]
        pub struct $name(pub [u8; $len]);

        impl KeyComponent for $name {
            type Len = <[u8; $len] as KeyComponent>::Len;

            fn write_to(&self, out: &mut [u8]) {
                self.0.write_to(out);
            }

            fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
                <[u8; $len]>::read_from(bytes).map(Self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($name))?;
                for byte in &self.0 {
                    write!(f, "{byte:02x}")?;
                }
                write!(f, ")")
            }
        }
    )+};
}

fixed_bytes! {
    /// Identifies a context: one application instance shared by its members.
    ContextId(32);
    /// Identifies an application.
    ApplicationId(32);
    /// A member's public key.
    PublicKey(32);
    /// A member's private key, kept only for identities this node owns.
    PrivateKey(32);
    /// A key in an application's state.
    StateKey(32);
    /// A transaction hash.
    Hash(32);
    /// A scope of generic data.
    Scope(16);
    /// A fragment within a scope.
    Fragment(32);
}

key! {
    /// Metadata of one context.
    pub struct ContextMeta in META {
        /// The context.
        pub context_id: ContextId,
    }
}

key! {
    /// Configuration of one context.
    pub struct ContextConfig in CONFIG {
        /// The context.
        pub context_id: ContextId,
    }
}

key! {
    /// One identity of one context.
    pub struct ContextIdentity in IDENTITY {
        /// The context.
        pub context_id: ContextId,
        /// The member's public key.
        pub public_key: PublicKey,
    }
}

key! {
    /// One state entry of one context.
    pub struct ContextState in STATE {
        /// The context.
        pub context_id: ContextId,
        /// The application's key.
        pub state_key: StateKey,
    }
}

key! {
    /// One executed transaction of one context.
    pub struct ContextTransaction in TRANSACTION {
        /// The context.
        pub context_id: ContextId,
        /// The transaction's hash.
        pub hash: Hash,
    }
}

key! {
    /// One fragment of generic data.
    pub struct Generic in GENERIC {
        /// The scope.
        pub scope: Scope,
        /// The fragment.
        pub fragment: Fragment,
    }
}

/// What a node knows about a context.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct MetaRecord {
    /// The application the context runs.
    pub application_id: ApplicationId,
    /// The most recent executed transaction, or all zeroes before the first.
    pub last_transaction_hash: Hash,
}

/// A context's configuration revisions.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ConfigRecord {
    /// Revision of the application binary the context runs.
    pub application_revision: u64,
    /// Revision of the context's member list.
    pub members_revision: u64,
}

/// An identity: the private key is present only for identities this node owns.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct IdentityRecord {
    /// The private key, if this node holds it.
    pub private_key: Option<PrivateKey>,
}

/// An executed transaction, linked to the one before it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TransactionRecord {
    /// The method that was called.
    pub method: String,
    /// The call's arguments.
    pub payload: Vec<u8>,
    /// The hash of the context's previous transaction, all zeroes for the first.
    pub prior_hash: Hash,
}

impl BorshValue for MetaRecord {}
impl BorshValue for ConfigRecord {}
impl BorshValue for IdentityRecord {}
impl BorshValue for TransactionRecord {}

impl Entry for ContextMeta {
    type Value<'a> = MetaRecord;
}

impl Entry for ContextConfig {
    type Value<'a> = ConfigRecord;
}

impl Entry for ContextIdentity {
    type Value<'a> = IdentityRecord;
}

impl Entry for ContextState {
    type Value<'a> = Slice<'a>;
}

impl Entry for ContextTransaction {
    type Value<'a> = TransactionRecord;
}

impl Entry for Generic {
    type Value<'a> = Slice<'a>;
}

/// The node-runtime schema's descriptor: every column with its key layout, keys shown as their
/// typed form, structured values through `Debug` and raw-byte values as hex.
///
/// ```
/// let state = strata_node::SCHEMA.column("state").unwrap();
/// assert_eq!(state.key_len(), 64);
/// assert_eq!(state.layout_text(), "context_id: 32 bytes, state_key: 32 bytes");
/// assert_eq!(state.render_value(b"\x01\xff")?, "01ff");
///
/// let meta = strata_node::SCHEMA.column("meta").unwrap();
/// assert!(meta.render_key(&[0]).is_err());
/// # Ok::<(), strata_core::Error>(())
/// ```
pub const SCHEMA: Schema = Schema::new(
    "node",
    &[
        ColumnDescriptor::of::<ContextMeta>(),
        ColumnDescriptor::of::<ContextConfig>(),
        ColumnDescriptor::of::<ContextIdentity>(),
        ColumnDescriptor::of_raw::<ContextState>(),
        ColumnDescriptor::of::<ContextTransaction>(),
        ColumnDescriptor::of_raw::<Generic>(),
    ],
);

#[cfg(test)]
mod tests {
    use strata_core::key::KeyField;
    use strata_core::{AsKeyParts, FromKeyParts, HasPrefix, KeyComponent, len_of};

    use super::*;

    fn prefix_matches<K: AsKeyParts + HasPrefix<P>, P: KeyComponent>() {
        assert_eq!(K::COLUMN.prefix_len(), Some(len_of::<(P,)>()), "{}", K::COLUMN);
    }

    #[test]
    fn declared_prefixes_are_the_leading_components() {
        prefix_matches::<ContextIdentity, ContextId>();
        prefix_matches::<ContextState, ContextId>();
        prefix_matches::<ContextTransaction, ContextId>();
        prefix_matches::<Generic, Scope>();
    }

    #[test]
    fn key_lengths() {
        assert_eq!(ContextMeta::key_len(), 32);
        assert_eq!(ContextState::key_len(), 64);
        assert_eq!(Generic::key_len(), 48);
    }

    #[test]
    fn keys_round_trip_and_group_by_context() {
        let a = ContextState { context_id: ContextId([1; 32]), state_key: StateKey([9; 32]) };
        let b = ContextState { context_id: ContextId([2; 32]), state_key: StateKey([0; 32]) };
        assert!(a.as_key() < b.as_key());
        assert_eq!(ContextState::from_bytes(a.as_key().as_bytes()).unwrap(), a);
        assert!(ContextState::from_bytes(&[0; 63]).is_err());
    }

    #[test]
    fn the_descriptor_covers_every_column_and_matches_the_keys() {
        assert_eq!(SCHEMA.name(), "node");
        assert_eq!(SCHEMA.column_set().collect::<Vec<_>>(), COLUMNS);
        for descriptor in SCHEMA.columns() {
            let column = descriptor.column();
            let widths: usize = descriptor.key_layout().iter().map(KeyField::width).sum();
            assert_eq!(widths, descriptor.key_len(), "{column}");
            // A declared prefix ends on a component boundary of the layout.
            if let Some(prefix) = column.prefix_len() {
                let mut boundaries = descriptor.key_layout().iter().scan(0, |at, f| {
                    *at += f.width();
                    Some(*at)
                });
                assert!(boundaries.any(|at| at == prefix), "{column}");
            }
        }
        let identity = SCHEMA.column("identity").unwrap();
        assert_eq!(identity.layout_text(), "context_id: 32 bytes, public_key: 32 bytes");
        assert_eq!(identity.key_layout()[1].type_name(), "PublicKey");
    }

    #[test]
    fn the_descriptor_renders_keys_and_values() {
        let key = ContextMeta { context_id: ContextId([0xab; 32]) };
        let meta = SCHEMA.column("meta").unwrap();
        assert_eq!(meta.render_key(key.as_key().as_bytes()).unwrap(), format!("{key:?}"));
        let record = MetaRecord {
            application_id: ApplicationId([1; 32]),
            last_transaction_hash: Hash([2; 32]),
        };
        let bytes = borsh::to_vec(&record).unwrap();
        assert_eq!(meta.render_value(&bytes).unwrap(), format!("{record:?}"));
        assert!(meta.render_value(&bytes[1..]).is_err());
        assert_eq!(SCHEMA.column("generic").unwrap().render_value(&[0xca, 0xfe]).unwrap(), "cafe");
    }

    #[test]
    fn debug_prints_hex() {
        assert_eq!(format!("{:?}", Scope([0xab; 16])), format!("Scope({})", "ab".repeat(16)));
    }
}
