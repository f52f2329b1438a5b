//! [`LogStore`]: append-only, hash-linked logs per author over any Strata [`Database`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use strata_core::lock::{KeyGuard, KeyLocks};
use strata_core::{
    AsKeyParts, Cursor, DataType, Database, Durability, Error, FromKeyParts, KeyRange,
    StorageError, Transaction, Unstructured,
};

use crate::commit::{Arrival, Committer, Staged, read_next_offset};
use crate::entry::{Author, Entry, Hash, Header, Topic};
use crate::error::{LogError, LogResult};
use crate::observe::Observer;
use crate::schema::{
    ARRIVALS, Appended, ArrivalKey, EntryKey, HASHES, HEADERS, HashKey, IDEMPOTENCY,
    IdempotencyKey, LOGS, Location, LogKey, LogState, PAYLOADS, PayloadKey, TOPICS, TopicKey,
};
use crate::verify::{Signer, Verifier};

/// How many entries one pruning commit removes at most.
const PRUNE_BATCH: usize = 1024;

/// How a [`LogStore`] writes and what it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogConfig {
    durability: Durability,
    max_payload: u64,
    max_extensions: u64,
    idempotency_window: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            durability: Durability::Sync,
            max_payload: 16 << 20,
            max_extensions: 64 << 10,
            idempotency_window: 1 << 20,
        }
    }
}

impl LogConfig {
    /// How durable an append or insert is when it returns: [`Durability::Sync`] by default (it
    /// survives power loss; concurrent ones share one `fsync`).
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The largest payload accepted, in bytes (default 16 MiB).
    #[must_use]
    pub fn max_payload(mut self, bytes: u64) -> Self {
        self.max_payload = bytes;
        self
    }

    /// The largest extension accepted, in bytes (default 64 KiB).
    #[must_use]
    pub fn max_extensions(mut self, bytes: u64) -> Self {
        self.max_extensions = bytes;
        self
    }

    /// For how many arrivals an idempotency key is kept (default 2²⁰): a retried append within
    /// that many later arrivals returns its first result; older keys are trimmed, so the index
    /// stays bounded.
    #[must_use]
    pub fn idempotency_window(mut self, arrivals: u64) -> Self {
        self.idempotency_window = arrivals.max(1);
        self
    }
}

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The entry was new; it arrived at this offset.
    New {
        /// Its arrival offset.
        offset: u64,
    },
    /// The store already held the entry (its payload is stored now if it was missing): nothing
    /// else was written.
    AlreadyPresent,
}

/// One broken log found by [`LogStore::verify_log`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The seq where the chain breaks.
    pub seq: u64,
    /// What is wrong there.
    pub problem: String,
}

/// Append-only, hash-linked logs per author, in any Strata [`Database`].
///
/// Entries from peers are validated and inserted ([`insert`](LogStore::insert),
/// [`insert_batch`](LogStore::insert_batch)); the node's own authors append
/// ([`append`](LogStore::append)), idempotently. Every inserted entry also gets a database-wide
/// arrival offset, and [`stream`](LogStore::stream) reads entries in that order. The store is
/// `Send + Sync` and cheap to clone.
///
/// ```
/// use strata_core::MemoryDb;
/// use strata_log::{LogStore, NoVerification, Unsigned, Author};
///
/// let store = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification)?;
/// let me = Unsigned(Author([1; 32]));
/// let first = store.append(&me, 0, b"hello", Some([7; 32]))?;
/// let retry = store.append(&me, 0, b"hello", Some([7; 32]))?;
/// assert_eq!((first.seq, retry.seq, retry.repeated), (0, 0, true));
/// store.append(&me, 0, b"world", None)?;
/// let payloads: Vec<_> = store
///     .entries(&me.0, 0, None, None)?
///     .map(|entry| entry.map(|e| e.payload.unwrap()))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(payloads, [b"hello".to_vec(), b"world".to_vec()]);
/// # Ok::<(), strata_log::LogError>(())
/// ```
pub struct LogStore<D> {
    inner: Arc<Inner<D>>,
}

impl<D> Clone for LogStore<D> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<D> std::fmt::Debug for LogStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

struct Inner<D> {
    db: D,
    config: LogConfig,
    verifier: Box<dyn Verifier>,
    /// Each log is locked from validation until its commit lands.
    locks: KeyLocks<(Author, u64)>,
    committer: Committer,
    /// Commits with every group of new entries (see [`Observer`]).
    observer: Option<Arc<dyn Observer<D>>>,
}

fn corrupt(what: String) -> LogError {
    LogError::Storage(Error::from(StorageError::Corruption(what.into())))
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A log's state as a batch sees it while validating: the stored state plus the batch's own
/// entries so far.
#[derive(Clone, Copy)]
struct Tip {
    next_seq: u64,
    latest_hash: Option<Hash>,
}

impl Tip {
    /// Where a log with `state` (none when it has no entries) continues.
    fn of(state: Option<&LogState>) -> Self {
        match state {
            None => Self { next_seq: 0, latest_hash: None },
            Some(state) => {
                Self { next_seq: state.latest_seq + 1, latest_hash: Some(Hash(state.latest_hash)) }
            }
        }
    }
}

impl<D: Database> LogStore<D> {
    /// Opens the store in `db` with the default [`LogConfig`], checking peers' entries with
    /// `verifier` ([`NoVerification`](crate::NoVerification) to accept any signature).
    ///
    /// `db` must have been opened with [`COLUMNS`](crate::COLUMNS) (beside any others).
    pub fn open(db: D, verifier: impl Verifier + 'static) -> LogResult<Self> {
        Self::with_config(db, verifier, LogConfig::default())
    }

    /// Opens the store with `config`. Reads the next arrival offset; writes nothing.
    pub fn with_config(
        db: D,
        verifier: impl Verifier + 'static,
        config: LogConfig,
    ) -> LogResult<Self> {
        Self::build(db, Box::new(verifier), config, None)
    }

    /// Opens the store with `config` and an [`Observer`] that commits with every group of new
    /// entries (views kept in step with the log are one). Writes nothing.
    pub fn with_observer(
        db: D,
        verifier: impl Verifier + 'static,
        config: LogConfig,
        observer: Arc<dyn Observer<D>>,
    ) -> LogResult<Self> {
        Self::build(db, Box::new(verifier), config, Some(observer))
    }

    fn build(
        db: D,
        verifier: Box<dyn Verifier>,
        config: LogConfig,
        observer: Option<Arc<dyn Observer<D>>>,
    ) -> LogResult<Self> {
        let next_offset = read_next_offset(&db)?;
        let committer = Committer::new(next_offset, config.durability, config.idempotency_window);
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                config,
                verifier,
                locks: KeyLocks::new(),
                committer,
                observer,
            }),
        })
    }

    /// The database the store lives in.
    pub fn database(&self) -> &D {
        &self.inner.db
    }

    /// One past the arrival offset of the last committed entry: the offset the next inserted
    /// entry gets, unless a commit is in progress. Never waits for one.
    pub fn next_offset(&self) -> u64 {
        self.inner.committer.next_offset()
    }

    /// Runs `f` with the next arrival offset while no entry can be committed: every append and
    /// insert waits until `f` returns. For handing derived state over to an [`Observer`] without
    /// missing an entry (a view that caught up joins the commits from here on). `f` must not
    /// append or insert into this store: it would wait for itself.
    pub fn exclusive<R>(&self, f: impl FnOnce(u64) -> R) -> R {
        self.inner.committer.exclusive(f)
    }

    fn lock_log(&self, author: &Author, log_id: u64) -> KeyGuard<'_, (Author, u64)> {
        self.inner.locks.lock((*author, log_id))
    }

    /// The state of one log, if it has entries.
    pub fn log_state(&self, author: &Author, log_id: u64) -> LogResult<Option<LogState>> {
        match self.inner.db.get(LOGS, LogKey { author: *author, log_id }.as_key().as_bytes())? {
            None => Ok(None),
            Some(bytes) => Ok(Some(LogState::from_lent(&bytes).map_err(Error::from)?)),
        }
    }

    fn tip(&self, author: &Author, log_id: u64) -> LogResult<Tip> {
        Ok(Tip::of(self.log_state(author, log_id)?.as_ref()))
    }

    /// The stored header at `key` and its arrival offset.
    fn header_at(&self, key: &EntryKey) -> LogResult<Option<(u64, Header)>> {
        match self.inner.db.get(HEADERS, key.as_key().as_bytes())? {
            None => Ok(None),
            Some(bytes) => decode_stored(&bytes).map(Some),
        }
    }

    fn check_limits(&self, header: &Header, payload: Option<&[u8]>) -> LogResult<()> {
        let config = &self.inner.config;
        let too_large = |what, len: u64, max| LogError::TooLarge { what, len, max };
        let payload_len = payload.map_or(header.payload_size, |p| p.len() as u64);
        if payload_len > config.max_payload || header.payload_size > config.max_payload {
            return Err(too_large(
                "payload",
                payload_len.max(header.payload_size),
                config.max_payload,
            ));
        }
        if header.extensions.len() as u64 > config.max_extensions {
            return Err(too_large(
                "extensions",
                header.extensions.len() as u64,
                config.max_extensions,
            ));
        }
        if header.signature.len() > usize::from(u16::MAX) {
            return Err(too_large("signature", header.signature.len() as u64, u64::from(u16::MAX)));
        }
        Ok(())
    }

    /// Checks what an entry says about itself: size limits, payload, signature.
    fn check_entry(&self, entry: &Entry) -> LogResult<()> {
        let header = &entry.header;
        self.check_limits(header, entry.payload.as_deref())?;
        if let Some(payload) = &entry.payload {
            let actual_hash = Hash::of(payload);
            if actual_hash != header.payload_hash || payload.len() as u64 != header.payload_size {
                return Err(LogError::PayloadMismatch {
                    expected_hash: header.payload_hash,
                    expected_size: header.payload_size,
                    actual_hash,
                    actual_size: payload.len() as u64,
                });
            }
        }
        if !self.inner.verifier.verify(&header.author, &header.signing_bytes(), &header.signature) {
            return Err(LogError::BadSignature {
                author: header.author,
                log_id: header.log_id,
                seq: header.seq,
            });
        }
        Ok(())
    }

    /// Inserts an entry received from a peer, validating it first; a refused entry is a typed
    /// error and writes nothing. Inserting an entry already present returns
    /// [`Inserted::AlreadyPresent`] (storing its payload if the store lacked it).
    pub fn insert(&self, entry: &Entry) -> LogResult<Inserted> {
        match self.insert_batch(std::slice::from_ref(entry)) {
            Ok(mut inserted) => Ok(inserted.pop().unwrap_or(Inserted::AlreadyPresent)),
            Err(LogError::InBatch { source, .. }) => Err(*source),
            Err(other) => Err(other),
        }
    }

    /// Inserts the entries of one sync atomically: all of them, or — when any is refused, as
    /// [`LogError::InBatch`] naming it — none. Entries are validated in order, each against the
    /// log as the earlier entries of the batch leave it.
    pub fn insert_batch(&self, entries: &[Entry]) -> LogResult<Vec<Inserted>> {
        for (index, entry) in entries.iter().enumerate() {
            self.check_entry(entry)
                .map_err(|source| LogError::InBatch { index, source: Box::new(source) })?;
        }
        let _guard =
            self.inner.locks.lock_all(entries.iter().map(|e| (e.header.author, e.header.log_id)));

        let mut tips: HashMap<(Author, u64), Tip> = HashMap::new();
        let mut states: BTreeMap<(Author, u64), Option<LogState>> = BTreeMap::new();
        // The states as read, so that only logs the batch changes are written.
        let mut loaded = BTreeMap::new();
        let mut staged = Staged::default();
        let mut outcomes = Vec::with_capacity(entries.len());
        let mut new_positions = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let in_batch = |source| LogError::InBatch { index, source: Box::new(source) };
            let header = &entry.header;
            let log = (header.author, header.log_id);
            let tip = if let Some(tip) = tips.get(&log) {
                *tip
            } else {
                let tip = self.tip(&header.author, header.log_id)?;
                tips.insert(log, tip);
                let state = self.log_state(&header.author, header.log_id)?;
                loaded.insert(log, state);
                states.insert(log, state);
                tip
            };
            let hash = header.hash();
            let key = EntryKey { author: header.author, log_id: header.log_id, seq: header.seq };
            if header.seq < tip.next_seq {
                // The log already has this seq: the same entry, a fork, or pruned history.
                let existing = match self.header_at(&key)? {
                    Some((_, existing)) => Some(existing.hash()),
                    None => staged
                        .arrivals
                        .iter()
                        .find(|arrival| arrival.key == key)
                        .map(|arrival| arrival.hash),
                };
                match existing {
                    Some(existing) if existing == hash => {
                        self.fill_payload(&mut staged.transaction, &key, entry, &mut states)?;
                        outcomes.push(Inserted::AlreadyPresent);
                        continue;
                    }
                    Some(existing) => {
                        return Err(in_batch(LogError::Fork {
                            seq: header.seq,
                            existing,
                            new: hash,
                        }));
                    }
                    None => {
                        return Err(in_batch(LogError::SeqGap {
                            expected: tip.next_seq,
                            got: header.seq,
                        }));
                    }
                }
            }
            if header.seq > tip.next_seq {
                return Err(in_batch(LogError::SeqGap { expected: tip.next_seq, got: header.seq }));
            }
            if header.backlink != tip.latest_hash {
                return Err(in_batch(LogError::BacklinkMismatch {
                    seq: header.seq,
                    expected: tip.latest_hash,
                    got: header.backlink,
                }));
            }
            self.stage_new(&mut staged, &key, hash, entry, None, &mut states)?;
            tips.insert(log, Tip { next_seq: header.seq + 1, latest_hash: Some(hash) });
            new_positions.push(outcomes.len());
            outcomes.push(Inserted::New { offset: 0 });
        }
        for ((author, log_id), state) in &states {
            if let Some(state) =
                state.filter(|state| loaded.get(&(*author, *log_id)) != Some(&Some(*state)))
            {
                staged
                    .transaction
                    .put_entry(&LogKey { author: *author, log_id: *log_id }, &state)
                    .map_err(Error::from)?;
            }
        }
        if staged.arrivals.is_empty() && staged.transaction.is_empty() {
            return Ok(outcomes);
        }
        let offsets =
            self.inner.committer.commit(&self.inner.db, self.inner.observer.as_deref(), staged)?;
        for (position, offset) in new_positions.into_iter().zip(offsets) {
            outcomes[position] = Inserted::New { offset };
        }
        Ok(outcomes)
    }

    /// Stages a new entry: its payload, hash index and log state; the header and arrival are
    /// written by the committer with the offset.
    fn stage_new(
        &self,
        staged: &mut Staged,
        key: &EntryKey,
        hash: Hash,
        entry: &Entry,
        idempotency: Option<[u8; 32]>,
        states: &mut BTreeMap<(Author, u64), Option<LogState>>,
    ) -> LogResult<()> {
        let header_bytes = entry.header.to_bytes();
        let payload_len = entry.payload.as_ref().map_or(0, Vec::len);
        if let Some(payload) = &entry.payload {
            let payload_key = PayloadKey { author: key.author, log_id: key.log_id, seq: key.seq };
            staged.transaction.put(PAYLOADS, payload_key.as_key().as_bytes(), payload);
        }
        let location = Location { author: key.author.0, log_id: key.log_id, seq: key.seq };
        staged.transaction.put_entry(&HashKey { hash }, &location).map_err(Error::from)?;
        let bytes = (8 + header_bytes.len() + payload_len) as u64;
        let state = states.entry((key.author, key.log_id)).or_insert(None);
        *state = Some(match *state {
            None => LogState {
                first_seq: key.seq,
                latest_seq: key.seq,
                latest_hash: hash.0,
                count: 1,
                bytes,
            },
            Some(s) => LogState {
                latest_seq: key.seq,
                latest_hash: hash.0,
                count: s.count + 1,
                bytes: s.bytes + bytes,
                ..s
            },
        });
        let entry = self.inner.observer.is_some().then(|| entry.clone());
        staged.arrivals.push(Arrival {
            key: key.clone(),
            hash,
            header: header_bytes,
            idempotency,
            entry,
        });
        Ok(())
    }

    /// Stores the payload of an entry already present if the store lacks it.
    fn fill_payload(
        &self,
        transaction: &mut Transaction,
        key: &EntryKey,
        entry: &Entry,
        states: &mut BTreeMap<(Author, u64), Option<LogState>>,
    ) -> LogResult<()> {
        let Some(payload) = &entry.payload else { return Ok(()) };
        let payload_key = PayloadKey { author: key.author, log_id: key.log_id, seq: key.seq };
        let bytes = payload_key.as_key();
        if self.inner.db.has(PAYLOADS, bytes.as_bytes())?
            || transaction.get(PAYLOADS, bytes.as_bytes()).is_some()
        {
            return Ok(());
        }
        transaction.put(PAYLOADS, bytes.as_bytes(), payload);
        if let Some(Some(state)) = states.get_mut(&(key.author, key.log_id)) {
            state.bytes += payload.len() as u64;
        }
        Ok(())
    }

    /// Appends `payload` to the signer's log `log_id`: assigns the next seq and backlink, signs,
    /// and commits. With an `idempotency_key`, a retry returns the first append's result
    /// (`repeated: true`) and appends nothing, as long as the key is within the idempotency
    /// window.
    pub fn append(
        &self,
        signer: &dyn Signer,
        log_id: u64,
        payload: &[u8],
        idempotency_key: Option<[u8; 32]>,
    ) -> LogResult<Appended> {
        self.append_with(signer, log_id, payload, Vec::new(), idempotency_key)
    }

    /// [`append`](LogStore::append) with extension bytes signed into the header.
    pub fn append_with(
        &self,
        signer: &dyn Signer,
        log_id: u64,
        payload: &[u8],
        extensions: Vec<u8>,
        idempotency_key: Option<[u8; 32]>,
    ) -> LogResult<Appended> {
        let author = signer.author();
        let _guard = self.lock_log(&author, log_id);
        if let Some(key) = idempotency_key {
            let record = IdempotencyKey { author, log_id, key };
            if let Some(bytes) = self.inner.db.get(IDEMPOTENCY, record.as_key().as_bytes())? {
                let first = Appended::from_lent(&bytes).map_err(Error::from)?;
                return Ok(Appended { repeated: true, ..first });
            }
        }
        let state = self.log_state(&author, log_id)?;
        let tip = Tip::of(state.as_ref());
        let mut header = Header {
            author,
            log_id,
            seq: tip.next_seq,
            backlink: tip.latest_hash,
            timestamp: now_millis(),
            payload_hash: Hash::of(payload),
            payload_size: payload.len() as u64,
            extensions,
            signature: Vec::new(),
        };
        self.check_limits(&header, Some(payload))?;
        header.signature = signer.sign(&header.signing_bytes());
        let hash = header.hash();
        let key = EntryKey { author, log_id, seq: header.seq };
        let entry = Entry { header, payload: Some(payload.to_vec()) };
        let mut states = BTreeMap::new();
        states.insert((author, log_id), state);
        let mut staged = Staged::default();
        self.stage_new(&mut staged, &key, hash, &entry, idempotency_key, &mut states)?;
        if let Some(Some(state)) = states.get(&(author, log_id)) {
            staged.transaction.put_entry(&LogKey { author, log_id }, state).map_err(Error::from)?;
        }
        let offsets =
            self.inner.committer.commit(&self.inner.db, self.inner.observer.as_deref(), staged)?;
        let offset = offsets.first().copied().unwrap_or_default();
        Ok(Appended { seq: key.seq, hash, offset, repeated: false })
    }

    /// The entry with hash `hash`.
    pub fn get(&self, hash: &Hash) -> LogResult<Option<Entry>> {
        match self.inner.db.get(HASHES, HashKey { hash: *hash }.as_key().as_bytes())? {
            None => Ok(None),
            Some(bytes) => {
                let at = Location::from_lent(&bytes).map_err(Error::from)?;
                self.entry(&Author(at.author), at.log_id, at.seq)
            }
        }
    }

    /// The entry at `seq` of `author`'s log `log_id`.
    pub fn entry(&self, author: &Author, log_id: u64, seq: u64) -> LogResult<Option<Entry>> {
        let key = EntryKey { author: *author, log_id, seq };
        let Some((_, header)) = self.header_at(&key)? else { return Ok(None) };
        let payload = self.payload(&key)?;
        Ok(Some(Entry { header, payload }))
    }

    fn payload(&self, key: &EntryKey) -> LogResult<Option<Vec<u8>>> {
        let payload_key = PayloadKey { author: key.author, log_id: key.log_id, seq: key.seq };
        Ok(self
            .inner
            .db
            .get(PAYLOADS, payload_key.as_key().as_bytes())?
            .map(strata_core::Slice::into_vec))
    }

    /// The latest entry of a log.
    pub fn latest(&self, author: &Author, log_id: u64) -> LogResult<Option<Entry>> {
        match self.log_state(author, log_id)? {
            None => Ok(None),
            Some(state) => self.entry(author, log_id, state.latest_seq),
        }
    }

    /// The height (latest seq) of every log of each of `authors`: `(author, log id, seq)`, in
    /// the order of `authors`, then log order. Reads one snapshot.
    pub fn heights(&self, authors: &[Author]) -> LogResult<Vec<(Author, u64, u64)>> {
        // One cursor, sought forward to each author in byte order.
        let mut sorted: Vec<Author> = authors.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut logs = self.inner.db.cursor(LOGS, &KeyRange::all())?;
        let mut found: Vec<(Author, u64, u64)> = Vec::new();
        for author in &sorted {
            logs.seek(&author.0);
            while let Some((key, value)) = logs.item() {
                let key = LogKey::from_bytes(key).map_err(Error::from)?;
                if key.author != *author {
                    break;
                }
                let state = LogState::from_lent(value).map_err(Error::from)?;
                found.push((key.author, key.log_id, state.latest_seq));
                logs.next();
            }
            logs.status()?;
        }
        if authors.windows(2).all(|pair| pair[0] < pair[1]) {
            return Ok(found);
        }
        // Back into the caller's order, repeats included.
        let mut heights = Vec::with_capacity(found.len());
        for author in authors {
            let first = found.partition_point(|(a, _, _)| a < author);
            heights.extend(found[first..].iter().take_while(|(a, _, _)| a == author));
        }
        Ok(heights)
    }

    /// The entries of a log with seq in `(after, until]` (from the first when `after` is `None`,
    /// to the latest when `until` is `None`), as a std iterator in seq order; `.rev()` walks it
    /// newest first. Reads one snapshot.
    pub fn entries(
        &self,
        author: &Author,
        log_id: u64,
        after: Option<u64>,
        until: Option<u64>,
    ) -> LogResult<Entries<'_, D>> {
        let start = match after {
            None => EntryKey { author: *author, log_id, seq: 0 }.as_key().as_bytes().to_vec(),
            Some(seq) => match seq.checked_add(1) {
                Some(first) => {
                    EntryKey { author: *author, log_id, seq: first }.as_key().as_bytes().to_vec()
                }
                None => return self.empty_entries(),
            },
        };
        let log_end = || {
            let log = LogKey { author: *author, log_id };
            strata_core::range::prefix_end(log.as_key().as_bytes()).unwrap_or_default()
        };
        // `until` of u64::MAX (or none) reaches the end of the log.
        let end = match until.and_then(|seq| seq.checked_add(1)) {
            Some(end) => {
                EntryKey { author: *author, log_id, seq: end }.as_key().as_bytes().to_vec()
            }
            None => log_end(),
        };
        let range = KeyRange::new(start, Some(end));
        self.entries_in(range)
    }

    fn empty_entries(&self) -> LogResult<Entries<'_, D>> {
        self.entries_in(KeyRange::new(vec![0], Some(vec![0])))
    }

    fn entries_in(&self, range: KeyRange) -> LogResult<Entries<'_, D>> {
        let headers = self.inner.db.cursor(HEADERS, &range)?;
        // Payloads share the headers' key bytes, so one cursor over the same range walks them in
        // step with the headers.
        let payloads = Payloads { cursor: self.inner.db.cursor(PAYLOADS, &range)?, heading: None };
        Ok(Entries { raw: Unstructured::new(headers, range), payloads })
    }

    /// The log ids of `author` that have entries.
    pub fn logs(&self, author: &Author) -> LogResult<Vec<u64>> {
        Ok(self.heights(std::slice::from_ref(author))?.into_iter().map(|(_, log, _)| log).collect())
    }

    /// Every author with entries, in order.
    pub fn authors(&self) -> LogResult<Vec<Author>> {
        let range = KeyRange::all();
        let mut logs = Unstructured::new(self.inner.db.cursor(LOGS, &range)?, range);
        let mut authors = Vec::new();
        loop {
            let Some(item) = logs.next_entry() else { break };
            let (key, _) = item?;
            let key = LogKey::from_bytes(key).map_err(Error::from)?;
            authors.push(key.author);
            // Skip the rest of this author's logs.
            match strata_core::range::prefix_end(&key.author.0) {
                Some(next) => logs.seek(&next),
                None => break,
            }
        }
        Ok(authors)
    }

    /// Removes the entries of a log below `seq` (the latest entry is always kept), in bounded
    /// atomic batches; returns how many were removed. The kept entries still verify: the first
    /// one's backlink names a removed entry, which [`LogStore::verify_log`] accepts.
    pub fn prune(&self, author: &Author, log_id: u64, below: u64) -> LogResult<u64> {
        let _guard = self.lock_log(author, log_id);
        let mut removed = 0;
        loop {
            let Some(mut state) = self.log_state(author, log_id)? else { return Ok(removed) };
            let target = below.min(state.latest_seq);
            if state.first_seq >= target {
                return Ok(removed);
            }
            let entries =
                self.entries(author, log_id, state.first_seq.checked_sub(1), Some(target - 1))?;
            let mut transaction = Transaction::new();
            let mut last = state.first_seq;
            for (n, item) in entries.raw_items().enumerate() {
                if n == PRUNE_BATCH {
                    break;
                }
                let (key, offset, header, header_len) = item?;
                let payload_len = self.payload(&key)?.map_or(0, |p| p.len());
                transaction.delete_entry(&key);
                transaction.delete_entry(&PayloadKey { author: key.author, log_id, seq: key.seq });
                transaction.delete_entry(&HashKey { hash: header.hash() });
                transaction.delete_entry(&ArrivalKey { offset });
                state.count -= 1;
                state.bytes = state.bytes.saturating_sub((8 + header_len + payload_len) as u64);
                last = key.seq;
                removed += 1;
            }
            state.first_seq = last + 1;
            transaction
                .put_entry(&LogKey { author: *author, log_id }, &state)
                .map_err(Error::from)?;
            self.inner.db.apply_durable(&transaction, self.inner.config.durability)?;
        }
    }

    /// Drops the payload of one entry but keeps its header, so the chain still verifies; returns
    /// whether there was a payload to drop.
    pub fn drop_payload(&self, author: &Author, log_id: u64, seq: u64) -> LogResult<bool> {
        let _guard = self.lock_log(author, log_id);
        let key = EntryKey { author: *author, log_id, seq };
        let Some(payload) = self.payload(&key)? else { return Ok(false) };
        let Some(mut state) = self.log_state(author, log_id)? else { return Ok(false) };
        state.bytes = state.bytes.saturating_sub(payload.len() as u64);
        let mut transaction = Transaction::new();
        transaction.delete_entry(&PayloadKey { author: *author, log_id, seq });
        transaction.put_entry(&LogKey { author: *author, log_id }, &state).map_err(Error::from)?;
        self.inner.db.apply_durable(&transaction, self.inner.config.durability)?;
        Ok(true)
    }

    /// Associates `topic` with `author`'s log `log_id`.
    pub fn add_topic(&self, topic: &Topic, author: &Author, log_id: u64) -> LogResult<()> {
        let key = TopicKey { topic: *topic, author: *author, log_id };
        let mut transaction = Transaction::new();
        transaction.put(TOPICS, key.as_key().as_bytes(), []);
        Ok(self.inner.db.apply_durable(&transaction, self.inner.config.durability)?)
    }

    /// Removes the association of `topic` with `author`'s log `log_id`.
    pub fn remove_topic(&self, topic: &Topic, author: &Author, log_id: u64) -> LogResult<()> {
        let key = TopicKey { topic: *topic, author: *author, log_id };
        let mut transaction = Transaction::new();
        transaction.delete_entry(&key);
        Ok(self.inner.db.apply_durable(&transaction, self.inner.config.durability)?)
    }

    /// The logs `topic` names, in author then log order.
    pub fn resolve_topic(&self, topic: &Topic) -> LogResult<Vec<(Author, u64)>> {
        let range = KeyRange::prefix(&topic.0);
        let mut keys = Unstructured::new(self.inner.db.cursor(TOPICS, &range)?, range);
        let mut logs = Vec::new();
        while let Some(item) = keys.next_entry() {
            let (key, _) = item?;
            let key = TopicKey::from_bytes(key).map_err(Error::from)?;
            logs.push((key.author, key.log_id));
        }
        Ok(logs)
    }

    /// Every topic naming at least one log, in order.
    pub fn topics(&self) -> LogResult<Vec<Topic>> {
        let range = KeyRange::all();
        let mut keys = Unstructured::new(self.inner.db.cursor(TOPICS, &range)?, range);
        let mut topics = Vec::new();
        loop {
            let Some(item) = keys.next_entry() else { break };
            let (key, _) = item?;
            let key = TopicKey::from_bytes(key).map_err(Error::from)?;
            topics.push(key.topic);
            match strata_core::range::prefix_end(&key.topic.0) {
                Some(next) => keys.seek(&next),
                None => break,
            }
        }
        Ok(topics)
    }

    /// Entries in arrival order, from the first arrival after `after` (from the first when
    /// `None`): `(offset, entry)`. Reads one snapshot of the arrival order.
    pub fn stream(&self, after: Option<u64>) -> LogResult<Stream<'_, D>> {
        let start = match after {
            None => Vec::new(),
            Some(offset) => match offset.checked_add(1) {
                Some(first) => ArrivalKey { offset: first }.as_key().as_bytes().to_vec(),
                None => return Err(corrupt("no arrival comes after offset u64::MAX".into())),
            },
        };
        let range = KeyRange::new(start, None);
        let cursor = self.inner.db.cursor(ARRIVALS, &range)?;
        Ok(Stream { store: self, raw: Unstructured::new(cursor, range) })
    }

    /// Walks a log's chain: every header decodes, every hash matches its index, seqs have no
    /// gaps, every backlink names the previous entry, every payload held matches its header.
    /// Returns each break found (empty when the log is sound).
    pub fn verify_log(&self, author: &Author, log_id: u64) -> LogResult<Vec<Broken>> {
        let mut broken = Vec::new();
        let Some(state) = self.log_state(author, log_id)? else { return Ok(broken) };
        let mut previous: Option<(u64, Hash)> = None;
        let mut count = 0;
        for item in self.entries(author, log_id, None, None)?.raw_items() {
            let (key, _, header, _) = match item {
                Ok(item) => item,
                Err(LogError::CorruptHeader(error)) => {
                    broken.push(Broken {
                        seq: previous.map_or(0, |p| p.0 + 1),
                        problem: error.to_string(),
                    });
                    continue;
                }
                Err(other) => return Err(other),
            };
            count += 1;
            let hash = header.hash();
            let mut problem = |text: String| broken.push(Broken { seq: key.seq, problem: text });
            if header.author != *author || header.log_id != log_id || header.seq != key.seq {
                problem("the header names another place than where it is stored".into());
            }
            match previous {
                None if key.seq != state.first_seq => {
                    problem(format!(
                        "the log starts at {}, its state says {}",
                        key.seq, state.first_seq
                    ));
                }
                None if key.seq == 0 && header.backlink.is_some() => {
                    problem("seq 0 has a backlink".into());
                }
                Some((seq, _)) if key.seq != seq + 1 => problem(format!("gap after seq {seq}")),
                Some((_, hash)) if header.backlink != Some(hash) => {
                    problem("the backlink is not the previous entry's hash".into());
                }
                _ => {}
            }
            match self.inner.db.get(HASHES, HashKey { hash }.as_key().as_bytes())? {
                Some(bytes) => {
                    let at = Location::from_lent(&bytes).map_err(Error::from)?;
                    if (at.author, at.log_id, at.seq) != (author.0, log_id, key.seq) {
                        problem("the hash index points elsewhere".into());
                    }
                }
                None => problem("the entry's hash is not indexed".into()),
            }
            let payload = self.payload(&key)?;
            if payload.is_some_and(|p| {
                Hash::of(&p) != header.payload_hash || p.len() as u64 != header.payload_size
            }) {
                problem("the payload does not match its header".into());
            }
            previous = Some((key.seq, hash));
        }
        if previous.map(|p| p.0) != Some(state.latest_seq) || count != state.count {
            broken.push(Broken {
                seq: state.latest_seq,
                problem: format!(
                    "the log's state says {} entries up to seq {}, the log holds {count}",
                    state.count, state.latest_seq
                ),
            });
        }
        if previous.map(|p| p.1.0) != Some(state.latest_hash) && previous.is_some() {
            broken.push(Broken {
                seq: state.latest_seq,
                problem: "the state's latest hash is stale".into(),
            });
        }
        Ok(broken)
    }
}

/// Decodes a stored header value: the arrival offset, then the header.
fn decode_stored(bytes: &[u8]) -> LogResult<(u64, Header)> {
    let Some((offset, header)) = bytes.split_first_chunk::<8>() else {
        return Err(corrupt(format!("a stored header of {} bytes has no offset", bytes.len())));
    };
    Ok((u64::from_be_bytes(*offset), Header::from_bytes(header)?))
}

/// The entries of one log in seq order (see [`LogStore::entries`]); double-ended.
pub struct Entries<'a, D: Database + 'a> {
    raw: Unstructured<D::Cursor<'a>>,
    payloads: Payloads<D::Cursor<'a>>,
}

/// A cursor over the payloads of an [`Entries`] range, following the headers' walk: it steps
/// to the next header's key rather than seeking, unless the walk changed direction or skipped
/// far.
struct Payloads<C> {
    cursor: C,
    /// The direction of the walk the cursor follows, once positioned.
    heading: Option<Heading>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Heading {
    Forward,
    Backward,
}

/// Steps a payload cursor takes towards the next header's key before it seeks instead.
const PAYLOAD_STEPS: usize = 4;

impl<C: Cursor> Payloads<C> {
    /// The payload stored at `key` (a header's key), if any.
    fn at(&mut self, key: &[u8], heading: Heading) -> LogResult<Option<Vec<u8>>> {
        // Whether the cursor is still short of `key` in the walk's direction.
        let short = |at: &[u8]| match heading {
            Heading::Forward => at < key,
            Heading::Backward => at > key,
        };
        let mut positioned = self.heading == Some(heading);
        if positioned {
            let mut steps = 0;
            while let Some(at) = self.cursor.key() {
                if !short(at) {
                    break;
                }
                if steps == PAYLOAD_STEPS {
                    positioned = false;
                    break;
                }
                match heading {
                    Heading::Forward => self.cursor.next(),
                    Heading::Backward => self.cursor.prev(),
                }
                steps += 1;
            }
        }
        if !positioned {
            match heading {
                Heading::Forward => self.cursor.seek(key),
                Heading::Backward => self.cursor.seek_for_prev(key),
            }
            self.heading = Some(heading);
        }
        match self.cursor.item() {
            Some((at, value)) if at == key => Ok(Some(value.to_vec())),
            Some(_) => Ok(None),
            None => {
                // Past the range's end in the walk's direction: no payload lies further on.
                self.cursor.status()?;
                Ok(None)
            }
        }
    }
}

/// One raw item of an [`Entries`] walk: key, offset, header and the header's stored length.
type RawItem = (EntryKey, u64, Header, usize);

fn decode_item(key: &[u8], value: &[u8]) -> LogResult<RawItem> {
    let key = EntryKey::from_bytes(key).map_err(Error::from)?;
    let (offset, header) = decode_stored(value)?;
    Ok((key, offset, header, value.len() - 8))
}

impl<'a, D: Database + 'a> Entries<'a, D> {
    fn with_payload(&mut self, item: LogResult<RawItem>, heading: Heading) -> LogResult<Entry> {
        let (key, _, header, _) = item?;
        let payload = self.payloads.at(key.as_key().as_bytes(), heading)?;
        Ok(Entry { header, payload })
    }

    /// The walk without fetching payloads.
    fn raw_items(mut self) -> impl Iterator<Item = LogResult<RawItem>> + 'a {
        std::iter::from_fn(move || {
            let item = self.raw.next_entry()?;
            Some(item.map_err(LogError::from).and_then(|(k, v)| decode_item(k, v)))
        })
    }
}

impl<'a, D: Database + 'a> Iterator for Entries<'a, D> {
    type Item = LogResult<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self.raw.next_entry()? {
            Ok((key, value)) => decode_item(key, value),
            Err(error) => Err(error.into()),
        };
        Some(self.with_payload(item, Heading::Forward))
    }
}

impl<'a, D: Database + 'a> DoubleEndedIterator for Entries<'a, D> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = match self.raw.next_back_entry()? {
            Ok((key, value)) => decode_item(key, value),
            Err(error) => Err(error.into()),
        };
        Some(self.with_payload(item, Heading::Backward))
    }
}

/// Entries in arrival order (see [`LogStore::stream`]).
pub struct Stream<'a, D: Database> {
    store: &'a LogStore<D>,
    raw: Unstructured<D::Cursor<'a>>,
}

impl<'a, D: Database + 'a> Iterator for Stream<'a, D> {
    type Item = LogResult<(u64, Entry)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let item = self.raw.next_entry()?;
            let found = (|| {
                let (key, value) = item?;
                let offset = ArrivalKey::from_bytes(key).map_err(Error::from)?.offset;
                let at = Location::from_lent(value).map_err(Error::from)?;
                match self.store.entry(&Author(at.author), at.log_id, at.seq)? {
                    Some(entry) => Ok(Some((offset, entry))),
                    // The arrival order is read from a snapshot, the entries live: an entry
                    // pruned since the walk began is skipped, as a later walk would not see it.
                    // An arrival that still names a missing entry is damage.
                    None if self.store.inner.db.has(ARRIVALS, key)? => Err(corrupt(format!(
                        "arrival {offset} names seq {} of log {}, which is not stored",
                        at.seq, at.log_id
                    ))),
                    None => Ok(None),
                }
            })();
            match found {
                Ok(Some(item)) => return Some(Ok(item)),
                Ok(None) => {}
                Err(error) => return Some(Err(error)),
            }
        }
    }
}
