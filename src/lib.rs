//! # Strata
//!
//! A layered, typed key-value storage engine over RocksDB, built to be embedded in node runtimes.
//! This is the one crate an application depends on; each optional part is a feature:
//!
//! | path | feature | what it is |
//! |---|---|---|
//! | `strata::{Column, Store, Temporal, …}` | always | the engine core: keys, columns, values, the [`Database`] seam, transactions, iterators, layers, the in-memory backend |
//! | [`strata::rocksdb`](crate::rocksdb) | `rocksdb` (default) | the RocksDB backend |
//! | `strata::node` | `node` | the node-runtime schema (contexts, identities, state, transactions) |
//! | `strata::log` | `log` | append-only, hash-linked logs per author (`ed25519` adds the ed25519 verifier and signer) |
//! | `strata::views` | `views` | versioned views over the log, kept in step or behind, rebuilt on a version change |
//! | `strata::kv` | `kv` | namespaced blobs with LDK's `KVStore` semantics (`lightning` adds LDK's traits) |
//! | [`strata::borsh`](crate::borsh) | always | the borsh version values are encoded with |
//!
//! The parts stay separate crates underneath (`strata-core`, `strata-rocksdb`, `strata-node`), so
//! a backend or schema crate can depend on `strata-core` alone. `docs/extending.md` in the
//! repository shows how to write a backend, a layer and a schema crate.
//!
//! ```
//! use strata::borsh::{BorshDeserialize, BorshSerialize};
//! use strata::{key, BorshValue, Column, Entry, MemoryDb, Store};
//!
//! const ACCOUNTS: Column = Column::new("accounts").with_prefix_len(8);
//! key! {
//!     /// One account of one bank.
//!     pub struct Account in ACCOUNTS { bank: u64, number: u32 }
//! }
//!
//! #[derive(Debug, PartialEq, BorshSerialize, BorshDeserialize)]
//! #[borsh(crate = "strata::borsh")] // borsh through the facade: no borsh dependency of your own
//! pub struct Balance(i64);
//! impl BorshValue for Balance {}
//! impl Entry for Account { type Value<'a> = Balance; }
//!
//! let mut store = Store::new(MemoryDb::new([ACCOUNTS]));
//! store.handle().put(&Account { bank: 1, number: 7 }, &Balance(90))?;
//! assert_eq!(store.handle().get(&Account { bank: 1, number: 7 })?, Some(Balance(90)));
//! # Ok::<(), strata::Error>(())
//! ```
#![forbid(unsafe_code)]

// The README shows the KV store too, so it is tested with the `kv` feature on (as the README's
// workspace-wide test command has it: the CLI enables it).
#[cfg(all(doctest, feature = "kv"))]
#[doc = include_str!("../README.md")]
struct ReadmeExample;

#[cfg(doctest)]
#[doc = include_str!("../docs/extending.md")]
struct ExtendingGuide;

pub use strata_core::*;

/// The borsh crate Strata encodes structured values with. Derive `BorshSerialize` and
/// `BorshDeserialize` through it with `#[borsh(crate = "strata::borsh")]` on the type, so an
/// application needs no borsh dependency of its own (or depend on `borsh` 1.x and derive as usual).
pub use borsh;

/// The RocksDB backend: [`RocksDb`](strata_rocksdb::RocksDb) and its configuration.
#[cfg(feature = "rocksdb")]
pub use strata_rocksdb as rocksdb;

/// The node-runtime schema: its columns, keys and values, and its descriptor.
#[cfg(feature = "node")]
pub use strata_node as node;

/// The namespaced key-value store with LDK's `KVStore` semantics.
#[cfg(feature = "kv")]
pub use strata_kv as kv;

/// Append-only, hash-linked logs per author: validated peer inserts, idempotent appends, topics,
/// pruning, arrival order.
#[cfg(feature = "log")]
pub use strata_log as log;

/// Views over the log store: versioned, persisted reductions kept in step with the log or caught
/// up behind it, rebuilt when their version changes.
#[cfg(feature = "views")]
pub use strata_views as views;

/// The etcd backend: the same `Database` over a Raft-replicated etcd cluster.
#[cfg(feature = "etcd")]
pub use strata_etcd as etcd;

/// Encryption at rest: the `Encrypted` layer, values sealed and bound to their place.
#[cfg(feature = "encryption")]
pub use strata_encryption as encryption;
