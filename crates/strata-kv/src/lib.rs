//! # Strata KV: namespaced blobs with LDK's `KVStore` semantics
//!
//! A node keeps named blobs beside its typed columns: the Lightning Development Kit persists
//! channel monitors, the channel manager, the network graph and the scorer through a store of
//! values at `primary_namespace / secondary_namespace / key`. [`KvStore`] is that store on
//! Strata, in any [`Database`](strata_core::Database) — sharing it with other schemas — with
//! LDK's naming rules as typed errors, synced writes by default, atomic multi-key
//! [`write_batch`](KvStore::write_batch)es, sorted and paginated listing from one snapshot.
//!
//! With the `lightning` feature, [`KvStore`] implements LDK's `KVStoreSync`, `KVStore` and
//! `MigratableKVStore` (see the `ldk` module).
//!
//! ```
//! use strata_core::MemoryDb;
//! use strata_kv::KvStore;
//!
//! let store = KvStore::open(MemoryDb::new(strata_kv::COLUMNS))?;
//! store.write("monitors", "", "chan_1", b"monitor bytes")?;
//! store.write("", "", "manager", b"manager bytes")?;
//! assert_eq!(store.list("monitors", "")?, ["chan_1"]);
//! assert_eq!(store.list_all_keys()?.len(), 2);
//! # Ok::<(), strata_kv::KvError>(())
//! ```
//!
//! ## How names become keys
//!
//! Strata keys are fixed-length. Each (primary, secondary) pair gets a compact 4-byte id from a
//! registry column the first time a value is written into it; a value's key is that id followed
//! by its name zero-padded to 120 bytes. The alphabet has no NUL, so padding keeps names unique
//! and sorted, and a namespace is one contiguous prefix. The [`schema`] module lists the columns.
#![forbid(unsafe_code)]

mod error;
#[cfg(feature = "lightning")]
pub mod ldk;
mod name;
#[cfg(feature = "lightning")]
mod order;
mod page;
pub mod schema;
mod store;

pub use error::{KvError, KvResult};
pub use name::{Address, MAX_NAME_LEN, Name, NamePart, NameReason};
pub use page::{Page, PageToken};
pub use schema::{COLUMNS, SCHEMA};
pub use store::{DEFAULT_MAX_VALUE_LEN, KvConfig, KvStore, MAX_VALUE_LEN_LIMIT, WriteBatch};
