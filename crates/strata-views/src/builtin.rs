//! Views that users of a log store ask for, each also a worked example of writing one:
//!
//! - [`EntryCounts`]: entries and payload bytes per author and per log;
//! - [`LatestByTopic`]: the latest entry per (topic, author), the topic taken from the entry;
//! - [`LatestByKey`]: "latest value per key", the application extracting a key and a value from
//!   each entry's payload.
//!
//! "Latest" means latest to arrive (the highest arrival offset). Each reduces entries in arrival
//! order, so its state is the same whether it was kept in step, caught up behind, or rebuilt.

use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::{BorshValue, Column, DataType, Database, Entry, Error, Handle, WriteLayer, key};
use strata_log::{Author, BoxError, Entry as LogEntry, Topic};

use crate::error::ViewResult;
use crate::view::{View, ViewState};
use crate::views::ViewReader;

/// [`EntryCounts`]' totals per author.
pub const AUTHOR_COUNTS: Column = Column::new("view_author_counts");
/// [`EntryCounts`]' totals per log.
pub const LOG_COUNTS: Column = Column::new("view_log_counts").with_prefix_len(32);
/// [`LatestByTopic`]'s latest entry per (topic, author).
pub const TOPIC_LATEST: Column = Column::new("view_topic_latest").with_prefix_len(32);

/// The columns of [`EntryCounts`] and [`LatestByTopic`], for opening a database.
/// ([`LatestByKey`] uses a column its user names.)
pub const COLUMNS: [Column; 3] = [AUTHOR_COUNTS, LOG_COUNTS, TOPIC_LATEST];

key! {
    /// One author's totals.
    pub struct AuthorCountsKey in AUTHOR_COUNTS {
        /// The author.
        pub author: Author,
    }
}

key! {
    /// One log's totals.
    pub struct LogCountsKey in LOG_COUNTS {
        /// The author.
        pub author: Author,
        /// The log.
        pub log_id: u64,
    }
}

key! {
    /// The latest entry of one author under one topic.
    pub struct TopicLatestKey in TOPIC_LATEST {
        /// The topic.
        pub topic: Topic,
        /// The author.
        pub author: Author,
    }
}

/// Entries and payload bytes (as the headers state them, held or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Totals {
    /// Entries.
    pub entries: u64,
    /// Payload bytes.
    pub payload_bytes: u64,
}

/// Where the latest entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Latest {
    /// Its arrival offset.
    pub offset: u64,
    /// Its log.
    pub log_id: u64,
    /// Its seq.
    pub seq: u64,
    /// Its hash.
    pub hash: [u8; 32],
}

/// One key's latest value in a [`LatestByKey`] index.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Indexed {
    /// The application's key.
    pub key: Vec<u8>,
    /// Its latest value.
    pub value: Vec<u8>,
    /// The arrival offset of the entry it came from.
    pub offset: u64,
    /// That entry's author.
    pub author: Author,
    /// Its log.
    pub log_id: u64,
    /// Its seq.
    pub seq: u64,
}

impl BorshValue for Totals {}
impl BorshValue for Latest {}
impl BorshValue for Indexed {}

impl Entry for AuthorCountsKey {
    type Value<'a> = Totals;
}
impl Entry for LogCountsKey {
    type Value<'a> = Totals;
}
impl Entry for TopicLatestKey {
    type Value<'a> = Latest;
}

/// Entries and payload bytes per author and per log, over every entry that arrived (pruning
/// does not take entries back out of it).
///
/// ```
/// use std::time::Duration;
/// use strata_core::MemoryDb;
/// use strata_log::{Author, LogConfig, NoVerification, Unsigned};
/// use strata_views::{Views, builtin::EntryCounts};
///
/// let columns = [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &strata_views::builtin::COLUMNS]
///     .concat();
/// let views = Views::builder()
///     .in_step(EntryCounts)
///     .open(MemoryDb::new(columns), NoVerification, LogConfig::default())?;
/// let alice = Unsigned(Author([1; 32]));
/// let appended = views.log().append(&alice, 0, b"hello", None)?;
/// views.wait_for("entry_counts", appended.offset, Duration::from_secs(5))?;
///
/// let reader = views.reader("entry_counts")?;
/// let totals = EntryCounts::author(&reader, &alice.0)?.unwrap();
/// assert_eq!((totals.entries, totals.payload_bytes), (1, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EntryCounts;

impl EntryCounts {
    /// The view's name.
    pub const NAME: &'static str = "entry_counts";

    /// An author's totals.
    ///
    /// # Errors
    ///
    /// The database failing.
    pub fn author<D: Database>(
        reader: &ViewReader<'_, D>,
        author: &Author,
    ) -> ViewResult<Option<Totals>> {
        Ok(reader.handle().get(&AuthorCountsKey { author: *author })?)
    }

    /// A log's totals.
    ///
    /// # Errors
    ///
    /// The database failing.
    pub fn log<D: Database>(
        reader: &ViewReader<'_, D>,
        author: &Author,
        log_id: u64,
    ) -> ViewResult<Option<Totals>> {
        Ok(reader.handle().get(&LogCountsKey { author: *author, log_id })?)
    }
}

/// Adds one entry to the totals at `key`.
fn add<K: Entry + for<'a> Entry<Value<'a> = Totals>>(
    state: &mut Handle<impl WriteLayer>,
    key: &K,
    payload_bytes: u64,
) -> Result<(), Error> {
    let totals = state.get(key)?.unwrap_or_default();
    state.put(
        key,
        &Totals {
            entries: totals.entries + 1,
            payload_bytes: totals.payload_bytes + payload_bytes,
        },
    )
}

impl<D: Database> View<D> for EntryCounts {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn columns(&self) -> Vec<Column> {
        vec![AUTHOR_COUNTS, LOG_COUNTS]
    }

    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        _offset: u64,
        entry: &LogEntry,
    ) -> Result<(), BoxError> {
        let header = &entry.header;
        let mut state = Handle::new(state);
        add(&mut state, &AuthorCountsKey { author: header.author }, header.payload_size)?;
        let log = LogCountsKey { author: header.author, log_id: header.log_id };
        add(&mut state, &log, header.payload_size)?;
        Ok(())
    }
}

/// Finds an entry's topic (or none).
pub type TopicOf = Arc<dyn Fn(&LogEntry) -> Option<Topic> + Send + Sync>;

/// The latest entry per (topic, author).
///
/// The topic is read from the entry itself (by default the first 32 bytes of its header's
/// extensions, which the author signed), not from the log store's topic table: a view is a
/// reduction of the entries alone, so that rebuilding it gives what keeping it did — an
/// association made later could not be replayed.
#[derive(Clone)]
pub struct LatestByTopic {
    topic_of: TopicOf,
}

impl std::fmt::Debug for LatestByTopic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatestByTopic").finish_non_exhaustive()
    }
}

impl Default for LatestByTopic {
    fn default() -> Self {
        Self::new(topic_in_extensions)
    }
}

/// The topic in the first 32 bytes of an entry's extensions, if it has that many.
pub fn topic_in_extensions(entry: &LogEntry) -> Option<Topic> {
    let bytes = entry.header.extensions.get(..32)?;
    Some(Topic(bytes.try_into().ok()?))
}

impl LatestByTopic {
    /// The view's name.
    pub const NAME: &'static str = "latest_by_topic";

    /// The view with the topic found by `topic_of`.
    pub fn new(topic_of: impl Fn(&LogEntry) -> Option<Topic> + Send + Sync + 'static) -> Self {
        Self { topic_of: Arc::new(topic_of) }
    }

    /// The latest entry of `author` under `topic`.
    ///
    /// # Errors
    ///
    /// The database failing.
    pub fn latest<D: Database>(
        reader: &ViewReader<'_, D>,
        topic: &Topic,
        author: &Author,
    ) -> ViewResult<Option<Latest>> {
        Ok(reader.handle().get(&TopicLatestKey { topic: *topic, author: *author })?)
    }

    /// Every author's latest entry under `topic`, in author order.
    ///
    /// # Errors
    ///
    /// The database failing.
    pub fn authors<D: Database>(
        reader: &ViewReader<'_, D>,
        topic: &Topic,
    ) -> ViewResult<Vec<(Author, Latest)>> {
        let handle = reader.handle();
        let mut found = Vec::new();
        for item in handle.iter_prefix::<TopicLatestKey, _>(topic)? {
            let (key, latest) = item?;
            found.push((key.author, latest));
        }
        Ok(found)
    }
}

impl<D: Database> View<D> for LatestByTopic {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn columns(&self) -> Vec<Column> {
        vec![TOPIC_LATEST]
    }

    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        offset: u64,
        entry: &LogEntry,
    ) -> Result<(), BoxError> {
        let Some(topic) = (self.topic_of)(entry) else { return Ok(()) };
        let header = &entry.header;
        let latest =
            Latest { offset, log_id: header.log_id, seq: header.seq, hash: entry.hash().0 };
        Handle::new(state).put(&TopicLatestKey { topic, author: header.author }, &latest)?;
        Ok(())
    }
}

/// Finds an entry's application key and value (or none).
pub type KeyOf = Arc<dyn Fn(&LogEntry) -> Option<(Vec<u8>, Vec<u8>)> + Send + Sync>;

/// A user-keyed index: the latest value per application key, where the application extracts
/// the key and the value from each entry (typically from its payload).
///
/// The extractor sees each entry as the store held it when the view reduced it: a payload dropped
/// (or fetched) later changes what a rebuild extracts, not what the view already holds.
///
/// Keys of any length are stored under their BLAKE3 digest (Strata keys are fixed-length), with
/// the key itself in the value. The index lives in a column the application names, so a database
/// can hold several.
///
/// ```
/// use strata_core::{Column, MemoryDb};
/// use strata_log::{Author, LogConfig, NoVerification, Unsigned};
/// use strata_views::{Views, builtin::LatestByKey};
///
/// // Payloads are `key=value`.
/// const SETTINGS: Column = Column::new("settings_index");
/// let settings = LatestByKey::new("settings", 1, SETTINGS, |entry| {
///     let payload = entry.payload.as_deref()?;
///     let at = payload.iter().position(|&b| b == b'=')?;
///     Some((payload[..at].to_vec(), payload[at + 1..].to_vec()))
/// });
/// let columns = [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &[SETTINGS]].concat();
/// let views = Views::builder()
///     .in_step(settings.clone())
///     .open(MemoryDb::new(columns), NoVerification, LogConfig::default())?;
/// let me = Unsigned(Author([1; 32]));
/// views.log().append(&me, 0, b"colour=red", None)?;
/// let appended = views.log().append(&me, 0, b"colour=blue", None)?;
/// // A new view is built by the worker first; from then on it is updated in every commit.
/// views.wait_for("settings", appended.offset, std::time::Duration::from_secs(5))?;
///
/// let reader = views.reader("settings")?;
/// assert_eq!(settings.get(&reader, b"colour")?.unwrap().value, b"blue");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LatestByKey {
    name: String,
    version: u32,
    column: Column,
    key_of: KeyOf,
}

impl std::fmt::Debug for LatestByKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LatestByKey")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("column", &self.column.name())
            .finish_non_exhaustive()
    }
}

impl LatestByKey {
    /// An index named `name` at `version` (bump it when `key_of` changes: the index is then
    /// rebuilt), kept in `column`.
    pub fn new(
        name: impl Into<String>,
        version: u32,
        column: Column,
        key_of: impl Fn(&LogEntry) -> Option<(Vec<u8>, Vec<u8>)> + Send + Sync + 'static,
    ) -> Self {
        Self { name: name.into(), version, column, key_of: Arc::new(key_of) }
    }

    /// The column the index is kept in.
    pub fn column(&self) -> Column {
        self.column
    }

    /// The latest value of `key`.
    ///
    /// # Errors
    ///
    /// The database failing, or a stored value that does not decode.
    pub fn get<D: Database>(
        &self,
        reader: &ViewReader<'_, D>,
        key: &[u8],
    ) -> ViewResult<Option<Indexed>> {
        let digest = blake3::hash(key);
        match reader.database().get(self.column, digest.as_bytes())? {
            None => Ok(None),
            Some(bytes) => Ok(Some(Indexed::from_lent(&bytes).map_err(Error::from)?)),
        }
    }
}

impl<D: Database> View<D> for LatestByKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn columns(&self) -> Vec<Column> {
        vec![self.column]
    }

    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        offset: u64,
        entry: &LogEntry,
    ) -> Result<(), BoxError> {
        let Some((key, value)) = (self.key_of)(entry) else { return Ok(()) };
        let header = &entry.header;
        let digest = blake3::hash(&key);
        let indexed = Indexed {
            key,
            value,
            offset,
            author: header.author,
            log_id: header.log_id,
            seq: header.seq,
        };
        let bytes = indexed.as_slice().map_err(Error::from)?;
        state.put(self.column, digest.as_bytes(), &bytes)?;
        Ok(())
    }
}
