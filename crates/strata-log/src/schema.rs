//! The log store's columns, keys and values.
//!
//! | column | key → value |
//! |---|---|
//! | [`HEADERS`] | [`EntryKey`] (author, log, seq) → arrival offset (u64 BE) ‖ stored header |
//! | [`PAYLOADS`] | [`PayloadKey`] (author, log, seq) → payload bytes (absent once dropped or never fetched) |
//! | [`HASHES`] | [`HashKey`] (entry hash) → [`Location`] (author, log, seq) |
//! | [`LOGS`] | [`LogKey`] (author, log) → [`LogState`] (first and latest seq, latest hash, count, bytes) |
//! | [`ARRIVALS`] | [`ArrivalKey`] (offset) → [`Location`] |
//! | [`IDEMPOTENCY`] | [`IdempotencyKey`] (author, log, key) → [`Appended`](Appended) |
//! | [`EXPIRY`] | [`ExpiryKey`] (offset, author, log, key) → nothing: idempotency keys by age |
//! | [`TOPICS`] | [`TopicKey`] (topic, author, log) → nothing |
//! | [`LOG_META`] | [`LogMetaKey`] → next arrival offset (u64) |
//!
//! Every per-log key starts with author and log id (40 bytes), declared as the prefix, so a log's
//! entries are one contiguous range in seq order.

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::{BorshValue, Column, ColumnDescriptor, Entry, Schema, Slice, key};

use crate::entry::{Author, Hash, Topic};

/// Length of the (author, log id) prefix of per-log keys.
pub const LOG_PREFIX_LEN: usize = 40;

/// Entry headers, with their arrival offsets.
pub const HEADERS: Column = Column::new("log_headers").with_prefix_len(LOG_PREFIX_LEN);
/// Entry payloads.
pub const PAYLOADS: Column = Column::new("log_payloads").with_prefix_len(LOG_PREFIX_LEN);
/// Entries by hash.
pub const HASHES: Column = Column::new("log_hashes");
/// Each log's state: first and latest seq, latest hash, count and bytes.
pub const LOGS: Column = Column::new("log_logs").with_prefix_len(32);
/// Entries in arrival order.
pub const ARRIVALS: Column = Column::new("log_arrivals");
/// Idempotency keys of local appends.
pub const IDEMPOTENCY: Column = Column::new("log_idempotency").with_prefix_len(LOG_PREFIX_LEN);
/// Idempotency keys by the offset they were made at, oldest first: what the window trims.
pub const EXPIRY: Column = Column::new("log_expiry");
/// Topics and the logs they name.
pub const TOPICS: Column = Column::new("log_topics").with_prefix_len(32);
/// The store's counters.
pub const LOG_META: Column = Column::new("log_meta");

/// Every column of the log store, for opening a database (beside any other schema's columns).
pub const COLUMNS: [Column; 9] =
    [HEADERS, PAYLOADS, HASHES, LOGS, ARRIVALS, IDEMPOTENCY, EXPIRY, TOPICS, LOG_META];

key! {
    /// One entry's header.
    pub struct EntryKey in HEADERS {
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
        /// The position in the log.
        pub seq: u64,
    }
}

key! {
    /// One entry's payload.
    pub struct PayloadKey in PAYLOADS {
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
        /// The position in the log.
        pub seq: u64,
    }
}

key! {
    /// An entry by its hash.
    pub struct HashKey in HASHES {
        /// The entry's hash.
        pub hash: Hash,
    }
}

key! {
    /// One log.
    pub struct LogKey in LOGS {
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
    }
}

key! {
    /// One arrival.
    pub struct ArrivalKey in ARRIVALS {
        /// The database-wide arrival offset.
        pub offset: u64,
    }
}

key! {
    /// One idempotency key of a log.
    pub struct IdempotencyKey in IDEMPOTENCY {
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
        /// The caller's key.
        pub key: [u8; 32],
    }
}

key! {
    /// An idempotency key, by the offset of the append that made it.
    pub struct ExpiryKey in EXPIRY {
        /// The append's arrival offset.
        pub offset: u64,
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
        /// The caller's key.
        pub key: [u8; 32],
    }
}

key! {
    /// A log named by a topic.
    pub struct TopicKey in TOPICS {
        /// The topic.
        pub topic: Topic,
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
    }
}

key! {
    /// One of the store's counters.
    pub struct LogMetaKey in LOG_META {
        /// Which counter.
        pub counter: u8,
    }
}

/// The counter holding the next arrival offset.
pub(crate) const NEXT_OFFSET: LogMetaKey = LogMetaKey { counter: 0 };

/// Where an entry is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct Location {
    /// The author.
    pub author: [u8; 32],
    /// The log.
    pub log_id: u64,
    /// The position in the log.
    pub seq: u64,
}

/// A log's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LogState {
    /// The lowest seq still stored (0 until the log is pruned).
    pub first_seq: u64,
    /// The latest seq: the log's height.
    pub latest_seq: u64,
    /// The latest entry's hash, the next entry's backlink.
    pub latest_hash: [u8; 32],
    /// How many entries are stored.
    pub count: u64,
    /// The bytes stored: headers and the payloads still held.
    pub bytes: u64,
}

/// What a local append produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Appended {
    /// The entry's seq.
    pub seq: u64,
    /// The entry's hash.
    pub hash: Hash,
    /// Its arrival offset.
    pub offset: u64,
    /// Whether this is a retry: the idempotency key was seen and nothing was appended.
    pub repeated: bool,
}

/// A counter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Counter(pub u64);

impl BorshValue for Location {}
impl BorshValue for LogState {}
impl BorshValue for Counter {}
impl BorshValue for Appended {}

impl Entry for EntryKey {
    type Value<'a> = Slice<'a>;
}
impl Entry for PayloadKey {
    type Value<'a> = Slice<'a>;
}
impl Entry for HashKey {
    type Value<'a> = Location;
}
impl Entry for LogKey {
    type Value<'a> = LogState;
}
impl Entry for ArrivalKey {
    type Value<'a> = Location;
}
impl Entry for IdempotencyKey {
    type Value<'a> = Appended;
}
impl Entry for ExpiryKey {
    type Value<'a> = Slice<'a>;
}
impl Entry for TopicKey {
    type Value<'a> = Slice<'a>;
}
impl Entry for LogMetaKey {
    type Value<'a> = Counter;
}

/// The log store's descriptor, for tools.
///
/// ```
/// let logs = strata_log::SCHEMA.column("log_logs").unwrap();
/// assert_eq!(logs.layout_text(), "author: 32 bytes, log_id: 8 bytes");
/// ```
pub const SCHEMA: Schema = Schema::new(
    "log",
    &[
        ColumnDescriptor::of_raw::<EntryKey>(),
        ColumnDescriptor::of_raw::<PayloadKey>(),
        ColumnDescriptor::of::<HashKey>(),
        ColumnDescriptor::of::<LogKey>(),
        ColumnDescriptor::of::<ArrivalKey>(),
        ColumnDescriptor::of::<IdempotencyKey>(),
        ColumnDescriptor::of_raw::<ExpiryKey>(),
        ColumnDescriptor::of_raw::<TopicKey>(),
        ColumnDescriptor::of::<LogMetaKey>(),
    ],
);
