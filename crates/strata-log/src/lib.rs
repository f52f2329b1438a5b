//! # Strata logs: append-only, hash-linked logs per author
//!
//! Peer-to-peer node runtimes keep their history as logs: each author (a public key) writes one
//! or more logs; each entry carries its seq (from 0, without gaps) and the hash of the entry
//! before it; peers exchange entries and check the chain. [`LogStore`] keeps such logs on
//! Strata's columns and transactions, in the same database as everything else:
//!
//! - entries from peers are validated — seq, backlink, fork, payload, signature, size — and
//!   refused with a typed [`LogError`] that writes nothing; a batch from one sync lands whole or
//!   not at all; an entry already present is [`Inserted::AlreadyPresent`];
//! - the node's own authors [`append`](LogStore::append), with idempotency keys kept for a
//!   bounded window, so a retried append returns its first result;
//! - queries by hash, by position, latest, heights, ranges of a log (forward and reverse), sizes;
//! - pruning below a seq, dropping payloads (headers stay, the chain still verifies), topics;
//! - a database-wide arrival offset per entry, gapless over committed inserts, and
//!   [`stream`](LogStore::stream) in that order: what views over the log are built on;
//! - concurrent appends are group-committed: one `fsync` carries many.
//!
//! The entry format and its hash are documented byte by byte in the [`entry`] module.
//!
//! ```
//! use strata_core::MemoryDb;
//! use strata_log::{Author, LogError, LogStore, NoVerification, Unsigned};
//!
//! let alice = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification)?;
//! let signer = Unsigned(Author([1; 32]));
//! alice.append(&signer, 0, b"first", None)?;
//! alice.append(&signer, 0, b"second", None)?;
//!
//! // A peer ingests alice's log entry by entry: the chain is checked.
//! let peer = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification)?;
//! let entries: Vec<_> = alice.entries(&signer.0, 0, None, None)?.collect::<Result<_, _>>()?;
//! assert!(matches!(peer.insert(&entries[1]), Err(LogError::SeqGap { expected: 0, got: 1 })));
//! peer.insert_batch(&entries)?;
//! assert_eq!(peer.heights(&[signer.0])?, [(signer.0, 0, 1)]);
//! # Ok::<(), LogError>(())
//! ```
#![forbid(unsafe_code)]

mod commit;
pub mod entry;
mod error;
mod observe;
pub mod schema;
mod store;
mod verify;

pub use entry::{Author, Entry, Hash, Header, HeaderDecodeError, Topic};
pub use error::{LogError, LogResult};
pub use observe::{BoxError, Observer, ObserverError};
pub use schema::{Appended, COLUMNS, LogState, SCHEMA};
pub use store::{Broken, Entries, Inserted, LogConfig, LogStore, Stream};
#[cfg(feature = "ed25519")]
pub use verify::{Ed25519, Ed25519Signer};
pub use verify::{NoVerification, Signer, Unsigned, Verifier};
