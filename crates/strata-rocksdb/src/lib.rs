//! # Strata on RocksDB
//!
//! [`RocksDb`] implements `strata_core::Database` over RocksDB: every declared column is a column
//! family, a `Transaction` is one atomic `WriteBatch`, reads are pinned (no value copy), and
//! iterators run on RocksDB's raw iterator with the range set as iterate bounds.
//!
//! Columns that declare a prefix length (for example a 32-byte context id) get a fixed-length
//! prefix extractor, prefix bloom filters in table files and a memtable prefix bloom; scans that
//! stay inside one prefix use them. The prefix length of each column is recorded in the database,
//! and reopening with a different one is refused unless asked for ([`PrefixChange`]).
//!
//! ```
//! use strata_core::{Column, ReadLayer, Store, Transaction, WriteLayer};
//! use strata_rocksdb::{RocksConfig, RocksDb};
//!
//! const STATE: Column = Column::new("state").with_prefix_len(4);
//! const LOG: Column = Column::new("log");
//!
//! let dir = tempfile::tempdir()?;
//! let mut store = Store::new(RocksDb::open(&RocksConfig::new(dir.path()), &[STATE, LOG])?);
//!
//! let mut tx = Transaction::new();
//! tx.put(STATE, b"ctx1:a", b"1");
//! tx.put(STATE, b"ctx1:b", b"2");
//! tx.put(LOG, b"0001", b"set a, b");
//! store.apply(&tx)?; // all three or none
//!
//! let keys: Vec<_> = store.iter_prefix(STATE, b"ctx1")?.rev().map(|e| e.map(|(k, _)| k)).collect::<Result<_, _>>()?;
//! assert_eq!(keys, [b"ctx1:b".to_vec().into(), b"ctx1:a".to_vec().into()]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod bulk;
mod config;
mod cursor;
mod db;
mod error;
mod read_options;

pub use bulk::{IngestError, Ingested};
pub use config::{
    Compression, DEFAULT_MAX_TOTAL_WAL_BYTES, DEFAULT_WRITE_BUFFER_BYTES, Durability, PrefixChange,
    RocksConfig,
};
pub use cursor::RocksCursor;
pub use db::{RocksDb, RocksOptions};
pub use error::OpenError;
