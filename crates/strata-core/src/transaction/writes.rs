//! One column's buffered writes: a log of every key and value in one growing buffer, a hash
//! table over it for point reads and rewrites, and a sorted index for ordered reads, built when
//! the first one comes.
//!
//! A write appends a record to the log — a 12-byte header (the key's length, the room for the
//! value, the value's length or a delete mark), then the key and the value — and puts its offset
//! in the hash table, with no allocation of its own. A write to a key already buffered finds its
//! record through the table and rewrites it in place when the new value fits in the room the key
//! has had so far (a same-sized value, a delete, a put after a delete); otherwise it marks the old
//! record dead and appends a new one. Dead bytes are superseded records and room a shorter value
//! left empty; once they outweigh half the live ones (and [`SLACK`]), the log is rewritten with
//! only the live records, each with room for its value alone, so the log stays within 1.5 times
//! what it holds.
//!
//! Ordered reads (seeks, ranges, iteration, a backend's `apply`) need the sorted index. A column
//! of at most [`EAGER`] keys keeps it from its first write; past that, while nothing has asked
//! for order, writes only append and hash: a transaction built and then read
//! in order pays for one sort — a radix-like sort on eight key bytes at a time, skipping the
//! bytes a group of keys shares — instead of a search per write. Once built, the index is kept up
//! to date write by write. It is the shape of RocksDB's `WriteBatchWithIndex` index: runs of at
//! most [`RUN`] entries, so an insert moves little memory however large the transaction grows,
//! and stepping from one entry to the next is an increment, which is what a cursor does most.
//!
//! Searches in the index rarely read the log. Keys in one run share a prefix (they are
//! neighbours: at scale, typically one context's keys), so each run records the length of the
//! prefix its keys share, and each entry carries the eight bytes of its key that follow it: a
//! search within a run checks the shared prefix once, then compares integers, and reads the log
//! only to break ties. Runs are found by a binary search over the first eight bytes of their last
//! keys, held in the run itself.

use std::cmp::Ordering;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use hashbrown::{DefaultHashBuilder, HashTable};

use super::Op;

/// The most entries one run of the index holds before it splits in two.
const RUN: usize = if cfg!(test) { 4 } else { 256 };
/// How full the sort fills the runs, leaving room for later inserts.
const FILL: usize = RUN * 3 / 4;
/// Dead bytes always tolerated in the log before it is compacted.
const SLACK: usize = if cfg!(test) { 64 } else { 64 << 10 };
/// A record's header: the key's length, the value's room, and the value's length or
/// [`DELETED`] or [`DEAD`], as little-endian `u32`s.
const HEADER: usize = 12;
/// The value length that marks a delete.
const DELETED: u32 = u32::MAX;
/// The value length that marks a record superseded by a later one.
const DEAD: u32 = u32::MAX - 1;
/// Tie groups at most this large are sorted by comparing keys rather than by heads.
const SMALL_GROUP: usize = if cfg!(test) { 2 } else { 16 };
/// The log's first allocation, so small transactions do not grow it byte by byte.
const FIRST_LOG: usize = 1024;
/// The hash table's first size, in keys.
const FIRST_KEYS: usize = 16;
/// Up to this many keys, a column's index is kept from its first write on, without waiting for
/// an ordered read: sorting a handful of keys costs more in allocation than inserting them one
/// by one, and a small transaction reused for batch after batch then allocates nothing.
const EAGER: usize = if cfg!(test) { 2 } else { 64 };

/// One entry of the index: where a live write's record starts in the log, and the eight bytes of
/// its key after its run's shared prefix, which settle most comparisons without a look into the
/// log.
#[derive(Debug, Clone, Copy)]
struct Indexed {
    head: u64,
    at: usize,
}

/// A run of the index: 1 to [`RUN`] entries in key order, the length of the prefix all their
/// keys share, and the first eight bytes of the last key, for finding runs.
#[derive(Debug, Clone, Default)]
struct Run {
    entries: Vec<Indexed>,
    shared: usize,
    last_head: u64,
}

/// Eight bytes of `key` from `at` as a big-endian integer, zero-padded. Two keys that agree
/// before `at` and whose heads there differ are ordered as their heads are; equal heads need a
/// full comparison.
fn head(key: &[u8], at: usize) -> u64 {
    let rest = key.get(at..).unwrap_or_default();
    let mut bytes = [0; 8];
    let len = rest.len().min(8);
    bytes[..len].copy_from_slice(&rest[..len]);
    u64::from_be_bytes(bytes)
}

/// A length as a header field.
///
/// # Panics
///
/// Panics at 4 GiB - 2 or more: no backend stores such a key or value.
fn field(len: usize) -> u32 {
    u32::try_from(len).ok().filter(|&len| len < DEAD).expect("keys and values under 4 GiB")
}

/// A record's header.
#[derive(Debug, Clone, Copy)]
struct Header {
    key: usize,
    room: usize,
    /// The value's length; `None` for a delete.
    value: Option<usize>,
    dead: bool,
}

impl Header {
    /// How many bytes the record takes in the log.
    fn record_len(self) -> usize {
        HEADER + self.key + self.room
    }

    /// How many of them hold its header, key and current value: the rest of its room is dead
    /// until a later value fills it or a compaction drops it.
    fn used_len(self) -> usize {
        HEADER + self.key + self.value.unwrap_or(0)
    }
}

/// The records of every write, in write order; superseded ones until the next compaction.
#[derive(Clone, Default)]
struct Log {
    bytes: Vec<u8>,
}

impl Log {
    fn word(&self, at: usize) -> u32 {
        let bytes: [u8; 4] = self.bytes[at..at + 4].try_into().expect("four bytes");
        u32::from_le_bytes(bytes)
    }

    fn header(&self, at: usize) -> Header {
        let value = self.word(at + 8);
        Header {
            key: self.word(at) as usize,
            room: self.word(at + 4) as usize,
            value: (value < DEAD).then_some(value as usize),
            dead: value == DEAD,
        }
    }

    fn key(&self, at: usize) -> &[u8] {
        let key = self.word(at) as usize;
        &self.bytes[at + HEADER..at + HEADER + key]
    }

    fn op(&self, at: usize) -> Op<'_> {
        self.record(at).1
    }

    /// The key and the write of the record at `at`, its header read once.
    fn record(&self, at: usize) -> (&[u8], Op<'_>) {
        let header = self.header(at);
        let key = at + HEADER;
        let value = key + header.key;
        let op = match header.value {
            Some(len) => Op::Put(&self.bytes[value..value + len]),
            None => Op::Delete,
        };
        (&self.bytes[key..value], op)
    }

    /// Appends a record with room for exactly its value; returns where it starts.
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> usize {
        if self.bytes.capacity() == 0 {
            self.bytes.reserve(FIRST_LOG);
        }
        let at = self.bytes.len();
        let room = value.map_or(0, <[u8]>::len);
        self.bytes.extend_from_slice(&field(key.len()).to_le_bytes());
        self.bytes.extend_from_slice(&field(room).to_le_bytes());
        self.bytes.extend_from_slice(&value.map_or(DELETED, |v| field(v.len())).to_le_bytes());
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value.unwrap_or_default());
        at
    }

    /// Rewrites the value of the record at `at`, which must have room for it.
    fn overwrite(&mut self, at: usize, value: Option<&[u8]>) {
        let key = self.word(at) as usize;
        let word = value.map_or(DELETED, |v| field(v.len()));
        self.bytes[at + 8..at + HEADER].copy_from_slice(&word.to_le_bytes());
        if let Some(value) = value {
            let from = at + HEADER + key;
            self.bytes[from..from + value.len()].copy_from_slice(value);
        }
    }

    /// Where each live record starts, in log order.
    fn live(&self) -> impl Iterator<Item = usize> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            while at < self.bytes.len() {
                let header = self.header(at);
                let record = at;
                at += header.record_len();
                if !header.dead {
                    return Some(record);
                }
            }
            None
        })
    }

    /// Marks the record at `at` superseded.
    fn kill(&mut self, at: usize) {
        self.bytes[at + 8..at + HEADER].copy_from_slice(&DEAD.to_le_bytes());
    }

    /// How `run`'s last key compares with `key`, whose first eight bytes are `key_head`.
    fn compare_last(&self, run: &Run, key: &[u8], key_head: u64) -> Ordering {
        let last = run.entries.last().expect("runs are never empty");
        run.last_head.cmp(&key_head).then_with(|| self.key(last.at).cmp(key))
    }

    /// Where `key` lies in `run`: `Ok` with the index of its entry, or `Err` with the index it
    /// would be inserted at.
    fn search(&self, run: &Run, key: &[u8]) -> Result<usize, usize> {
        let first = run.entries.first().expect("runs are never empty");
        let shared = run.shared;
        if shared > 0 {
            let prefix = &self.key(first.at)[..shared];
            let len = key.len().min(shared);
            match key[..len].cmp(&prefix[..len]) {
                Ordering::Less => return Err(0),
                Ordering::Greater => return Err(run.entries.len()),
                // A proper prefix of the shared prefix comes before every key of the run.
                Ordering::Equal if key.len() < shared => return Err(0),
                Ordering::Equal => {}
            }
        }
        let probe = head(key, shared);
        run.entries.binary_search_by(|entry| {
            entry.head.cmp(&probe).then_with(|| self.key(entry.at)[shared..].cmp(&key[shared..]))
        })
    }

    /// Sets `run`'s shared prefix from its first and last keys, retaking every head if it
    /// changed, and its last head.
    fn refresh(&self, run: &mut Run) {
        let (Some(first), Some(last)) = (run.entries.first(), run.entries.last()) else {
            return;
        };
        let (first, last) = (self.key(first.at), self.key(last.at));
        // Keys between the first and the last share at least what those two share.
        let shared = common_prefix(first, last);
        run.last_head = head(last, 0);
        if shared != run.shared {
            run.shared = shared;
            for entry in &mut run.entries {
                entry.head = head(self.key(entry.at), shared);
            }
        }
    }

    /// Sorts `entries` by key, their heads taken at the start of their keys.
    ///
    /// A radix-like sort: entries are sorted by head; each group of equal heads then has its
    /// heads retaken just past the bytes its keys share, and is sorted again, until groups are
    /// small (sorted by comparing keys) or their keys too short for heads to order them. A
    /// stack of groups to sort, rather than recursion, keeps crafted keys from exhausting the
    /// call stack.
    fn sort(&self, entries: &mut [Indexed]) {
        let mut pending = Vec::new();
        pending.push(0..entries.len());
        while let Some(range) = pending.pop() {
            let offset = range.start;
            let slice = &mut entries[range];
            slice.sort_unstable_by_key(|entry| entry.head);
            let mut start = 0;
            while start < slice.len() {
                let group_head = slice[start].head;
                let end =
                    start + slice[start..].iter().take_while(|e| e.head == group_head).count();
                let group = &mut slice[start..end];
                if group.len() > 1
                    && let Some(shared) = self.split_group(group)
                {
                    // The keys differ at byte `shared`, so heads taken there split the group.
                    for entry in group.iter_mut() {
                        entry.head = head(self.key(entry.at), shared);
                    }
                    pending.push(offset + start..offset + end);
                }
                start = end;
            }
        }
    }

    /// Sorts a group of entries with equal heads by comparing keys when it is small or its keys
    /// are too short for heads to order them, and returns `None`; otherwise returns the length of
    /// the prefix its keys share, where heads are to be retaken.
    fn split_group(&self, group: &mut [Indexed]) -> Option<usize> {
        let first = self.key(group[0].at);
        let (mut shared, mut shortest) = (first.len(), first.len());
        for entry in &group[1..] {
            let key = self.key(entry.at);
            shared = shared.min(common_prefix(first, key));
            shortest = shortest.min(key.len());
        }
        if group.len() > SMALL_GROUP && shortest >= shared + 8 {
            return Some(shared);
        }
        // Heads taken past the end of a key are zero-padded and cannot order it.
        group.sort_unstable_by(|a, b| self.key(a.at)[shared..].cmp(&self.key(b.at)[shared..]));
        None
    }
}

/// How many leading bytes `a` and `b` share.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The sorted index: every live record's entry, in key order, in runs of 1 to [`RUN`].
#[derive(Debug, Clone, Default)]
struct Index {
    runs: Vec<Run>,
}

impl Index {
    /// Sorts the records at `records` into runs [`FILL`] entries long.
    fn build(
        log: &Log,
        records: impl Iterator<Item = usize>,
        spare: &mut Vec<Vec<Indexed>>,
    ) -> Self {
        let mut entries: Vec<Indexed> =
            records.map(|at| Indexed { head: head(log.key(at), 0), at }).collect();
        log.sort(&mut entries);
        let runs = if entries.is_empty() {
            Vec::new()
        } else if entries.len() <= FILL {
            // One run: a spare one holding the sorted entries, or else the entries themselves.
            let entries = match spare.pop() {
                Some(mut run) => {
                    run.extend_from_slice(&entries);
                    run
                }
                None => entries,
            };
            let mut run = Run { entries, shared: usize::MAX, last_head: 0 };
            log.refresh(&mut run);
            vec![run]
        } else {
            entries
                .chunks(FILL)
                .map(|chunk| {
                    let mut run_entries =
                        spare.pop().unwrap_or_else(|| Vec::with_capacity(RUN + 1));
                    run_entries.extend_from_slice(chunk);
                    let mut run = Run { entries: run_entries, shared: usize::MAX, last_head: 0 };
                    log.refresh(&mut run);
                    run
                })
                .collect()
        };
        Self { runs }
    }

    /// The run where keys at or after `from` start: `None` when there are no runs, and the last
    /// run when `from` lies beyond every key.
    fn run_for(&self, log: &Log, from: Bound<&[u8]>) -> Option<usize> {
        let run = match from {
            Bound::Included(key) => {
                let key_head = head(key, 0);
                self.runs.partition_point(|run| log.compare_last(run, key, key_head).is_lt())
            }
            Bound::Excluded(key) => {
                let key_head = head(key, 0);
                self.runs.partition_point(|run| log.compare_last(run, key, key_head).is_le())
            }
            Bound::Unbounded => 0,
        };
        (!self.runs.is_empty()).then(|| run.min(self.runs.len() - 1))
    }

    /// Adds a new key's record, at `at`, in order.
    fn insert(&mut self, log: &Log, key: &[u8], at: usize, spare: &mut Vec<Vec<Indexed>>) {
        let Some(r) = self.run_for(log, Bound::Included(key)) else {
            // A column's first run grows as it fills: small transactions stay small.
            let mut entries = spare.pop().unwrap_or_else(|| Vec::with_capacity(4));
            entries.push(Indexed { head: 0, at });
            let mut run = Run { entries, shared: usize::MAX, last_head: 0 };
            log.refresh(&mut run);
            self.runs.push(run);
            return;
        };
        let run = &mut self.runs[r];
        let index = log.search(run, key).expect_err("a new key is not in the index");
        run.entries.insert(index, Indexed { head: head(key, run.shared), at });
        if index == 0 || index + 1 == run.entries.len() {
            log.refresh(run);
        }
        if run.entries.len() > RUN {
            let half = run.entries.len() / 2;
            // Split runs fill up, so the new one gets its full size at once.
            let mut tail = spare.pop().unwrap_or_else(|| Vec::with_capacity(RUN + 1));
            tail.extend(run.entries.drain(half..));
            log.refresh(run);
            let mut tail = Run { entries: tail, shared: usize::MAX, last_head: 0 };
            log.refresh(&mut tail);
            self.runs.insert(r + 1, tail);
        }
    }

    /// Points `key`'s entry at its record's new place.
    fn moved(&mut self, log: &Log, key: &[u8], at: usize) {
        let r = self.run_for(log, Bound::Included(key)).expect("a buffered key is indexed");
        let run = &mut self.runs[r];
        let index = log.search(run, key).expect("a buffered key is indexed");
        run.entries[index].at = at;
    }

    fn entry_at(&self, position: Position) -> Option<usize> {
        Some(self.runs.get(position.run)?.entries.get(position.index)?.at)
    }
}

/// Runs' entry lists kept for reuse. Behind a lock because the index is sorted from `&self`
/// (the first ordered read); cloning a transaction does not clone its spares.
#[derive(Debug, Default)]
struct Spare(Mutex<Vec<Vec<Indexed>>>);

impl Spare {
    fn get_mut(&mut self) -> &mut Vec<Vec<Indexed>> {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Vec<Indexed>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clone for Spare {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// A place in the index: run `run`, entry `index`. The position past the last entry is
/// `{ run: runs.len(), index: 0 }`, so positions compare in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    run: usize,
    index: usize,
}

impl Position {
    /// The first position of any index (the end of an empty one).
    pub(crate) const START: Self = Self { run: 0, index: 0 };
}

/// One column's buffered writes, ordered by key, each key once (its latest write).
#[derive(Clone, Default)]
pub(crate) struct ColumnWrites {
    /// Every write's record, in write order; superseded ones until the next compaction.
    log: Log,
    /// The live records' offsets, by key.
    keys: HashTable<usize>,
    /// foldhash, seeded at random per buffer: no set of keys collides in every buffer, and a
    /// buffer never shows its hashes (it is iterated in key order), so its seed cannot be learnt
    /// from it. (`SipHash` would also resist an attacker who can time one buffer's probes, at
    /// 0.6-0.7 of the speed of building a buffer, measured with `benches/overlay.rs`.)
    hasher: DefaultHashBuilder,
    /// The live records in key order: from the first write while there are at most [`EAGER`]
    /// keys, then once an ordered read has asked for it.
    index: OnceLock<Index>,
    /// Whether the index was started by a write rather than sorted for a read.
    eager: bool,
    /// Runs' entry lists given back when the index is dropped (by `clear`, a compaction, or a
    /// column growing past [`EAGER`] keys unread), for the next index to take.
    spare: Spare,
    /// How many keys are buffered.
    len: usize,
    /// Total length of the live keys and values.
    live_bytes: usize,
    /// Bytes of the log the live records use: headers, keys and current values. The rest —
    /// superseded records, and room a shorter value left — is dead.
    live_log: usize,
}

impl ColumnWrites {
    /// How many keys are buffered.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Total length of the buffered keys and values.
    pub(crate) fn bytes(&self) -> usize {
        self.live_bytes
    }

    /// The live record of `key`, if it is buffered.
    fn find(&self, key: &[u8], hash: u64) -> Option<usize> {
        self.keys.find(hash, |&at| self.log.key(at) == key).copied()
    }

    /// Buffers a write of `key`: a put of `value`, or a delete when it is `None`. A later write
    /// to a key replaces the earlier one.
    ///
    /// # Panics
    ///
    /// Panics if `key` or `value` is 4 GiB - 2 bytes or longer (RocksDB's write batches store
    /// lengths in 32 bits).
    pub(crate) fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        // Checked before anything changes, so a caught panic leaves the buffer as it was.
        field(key.len());
        field(value.map_or(0, <[u8]>::len));
        let hash = self.hasher.hash_one(key);
        if let Some(at) = self.find(key, hash) {
            self.rewrite(at, key, hash, value);
        } else {
            self.add(key, hash, value);
        }
        let dead = self.log.bytes.len() - self.live_log;
        if dead > SLACK.max(self.live_log / 2) {
            self.compact();
        }
    }

    /// Writes again to the key whose live record is at `at`: in place if the value fits.
    fn rewrite(&mut self, at: usize, key: &[u8], hash: u64, value: Option<&[u8]>) {
        let value_len = value.map_or(0, <[u8]>::len);
        let old = self.log.header(at);
        self.live_bytes = self.live_bytes - old.value.unwrap_or(0) + value_len;
        self.live_log -= old.used_len();
        self.live_log += HEADER + key.len() + value_len;
        if value_len <= old.room {
            self.log.overwrite(at, value);
            return;
        }
        self.log.kill(at);
        let new = self.log.append(key, value);
        let log = &self.log;
        *self.keys.find_mut(hash, |&at| log.key(at) == key).expect("found by the caller") = new;
        if let Some(index) = self.index.get_mut() {
            index.moved(&self.log, key, new);
        }
    }

    /// Writes a key not buffered yet.
    fn add(&mut self, key: &[u8], hash: u64, value: Option<&[u8]>) {
        let at = self.log.append(key, value);
        self.len += 1;
        self.live_bytes += key.len() + value.map_or(0, <[u8]>::len);
        self.live_log += self.log.header(at).used_len();
        let (log, hasher) = (&self.log, &self.hasher);
        let rehash = |&at: &usize| hasher.hash_one(log.key(at));
        if self.keys.capacity() == 0 {
            // Skips the table's first few doublings, each a rehash of every key.
            self.keys.reserve(FIRST_KEYS, rehash);
        }
        self.keys.insert_unique(hash, at, rehash);
        if self.len == 1 && self.index.get().is_none() {
            self.eager = self.index.set(Index::default()).is_ok();
        }
        if self.eager && self.len > EAGER {
            // Grown past small without an ordered read: sort once, when one comes.
            self.eager = false;
            self.drop_index();
        }
        if let Some(index) = self.index.get_mut() {
            index.insert(&self.log, key, at, self.spare.get_mut());
        }
    }

    /// Rewrites the log with only the live records, in write order, each with room for its
    /// current value only, and rebuilds the hash table over them; the index is sorted again by
    /// the next ordered read.
    fn compact(&mut self) {
        let mut log = Log { bytes: Vec::with_capacity(self.live_log) };
        self.keys.clear();
        for at in self.log.live() {
            // Each record keeps room for its current value only.
            let (key, op) = self.log.record(at);
            let new = log.append(key, op.value());
            let (hasher, new_log) = (&self.hasher, &log);
            self.keys.insert_unique(hasher.hash_one(new_log.key(new)), new, |&at| {
                hasher.hash_one(new_log.key(at))
            });
        }
        self.log = log;
        self.drop_index();
        self.eager = false;
    }

    /// Forgets the index, keeping its runs' memory for the next one.
    fn drop_index(&mut self) {
        if let Some(index) = self.index.take() {
            for run in index.runs {
                let mut entries = run.entries;
                entries.clear();
                self.spare.get_mut().push(entries);
            }
        }
    }

    /// Forgets every write, keeping the memory of the log, the hash table and the index for the
    /// next ones.
    pub(crate) fn clear(&mut self) {
        self.log.bytes.clear();
        self.keys.clear();
        self.drop_index();
        self.eager = false;
        self.len = 0;
        self.live_bytes = 0;
        self.live_log = 0;
    }

    /// The buffered write to `key`, if there is one.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Op<'_>> {
        self.find(key, self.hasher.hash_one(key)).map(|at| self.log.op(at))
    }

    /// The sorted index, sorted now if this is the first ordered read since it was dropped.
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            // The first ordered read holds only `&self`: the spare runs are behind a lock, taken
            // once per sort, so a transaction reused batch after batch sorts into the same runs.
            let mut spare = self.spare.lock();
            Index::build(&self.log, self.keys.iter().copied(), &mut spare)
        })
    }

    /// The first position whose key is not before `from` (the end when there is none).
    pub(crate) fn seek(&self, from: Bound<&[u8]>) -> Position {
        let index = self.index();
        let Some(run) = index.run_for(&self.log, from) else {
            return self.end();
        };
        let at = match from {
            Bound::Included(key) => self.log.search(&index.runs[run], key).unwrap_or_else(|i| i),
            Bound::Excluded(key) => match self.log.search(&index.runs[run], key) {
                Ok(found) => found + 1,
                Err(insert) => insert,
            },
            Bound::Unbounded => 0,
        };
        self.normalise(Position { run, index: at })
    }

    /// The position past the last entry.
    pub(crate) fn end(&self) -> Position {
        Position { run: self.index().runs.len(), index: 0 }
    }

    /// `position` itself, or the end if it lies past the last entry of its run.
    fn normalise(&self, position: Position) -> Position {
        match self.index().runs.get(position.run) {
            Some(run) if position.index >= run.entries.len() => {
                Position { run: position.run + 1, index: 0 }
            }
            _ => position,
        }
    }

    /// The entry at `position`; `None` at the end.
    pub(crate) fn entry(&self, position: Position) -> Option<(&[u8], Op<'_>)> {
        Some(self.log.record(self.index().entry_at(position)?))
    }

    /// The position after `position` (the end stays the end).
    pub(crate) fn next(&self, position: Position) -> Position {
        if position.run >= self.index().runs.len() {
            return self.end();
        }
        self.normalise(Position { index: position.index + 1, ..position })
    }

    /// The position before `position`; `None` before the first entry.
    pub(crate) fn prev(&self, position: Position) -> Option<Position> {
        if position.index > 0 {
            return Some(Position { index: position.index - 1, ..position });
        }
        let run = position.run.checked_sub(1)?;
        Some(Position { run, index: self.index().runs[run].entries.len() - 1 })
    }

    /// The entries from `front` up to (not including) `back`, in key order.
    pub(crate) fn span(&self, front: Position, back: Position) -> Span<'_> {
        Span { writes: self, front, back: back.max(front) }
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> Span<'_> {
        self.span(Position::START, self.end())
    }
}

impl fmt::Debug for ColumnWrites {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Entries between two positions, from either end.
#[derive(Clone)]
pub(crate) struct Span<'a> {
    writes: &'a ColumnWrites,
    front: Position,
    back: Position,
}

impl<'a> Iterator for Span<'a> {
    type Item = (&'a [u8], Op<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let entry = self.writes.entry(self.front);
        self.front = self.writes.next(self.front);
        entry
    }
}

impl DoubleEndedIterator for Span<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back = self.writes.prev(self.back)?;
        self.writes.entry(self.back)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    use super::*;

    type Model = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

    fn entries<'a>(
        span: impl Iterator<Item = (&'a [u8], Op<'a>)>,
    ) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        span.map(|(key, op)| (key.to_vec(), op.value().map(<[u8]>::to_vec))).collect()
    }

    type Entries = Vec<(Vec<u8>, Option<Vec<u8>>)>;

    /// Writes `writes` (clearing first at `clear_at`), then checks every read against a model.
    fn check(
        writes: &[(Vec<u8>, Option<Vec<u8>>)],
        probes: &[Vec<u8>],
        clear_at: usize,
        read_every: usize,
    ) -> Result<(), TestCaseError> {
        let mut buffered = ColumnWrites::default();
        let mut model = Model::new();
        for (i, (key, value)) in writes.iter().enumerate() {
            if i == clear_at {
                buffered.clear();
                model.clear();
            }
            buffered.write(key, value.as_deref());
            model.insert(key.clone(), value.clone());
            prop_assert_eq!(
                buffered.get(key).map(|op| op.value().map(<[u8]>::to_vec)),
                Some(value.clone())
            );
            // An ordered read now and then sorts the index, which later writes keep up to date.
            if read_every > 0 && i % read_every == 0 {
                let now: Entries = model.clone().into_iter().collect();
                prop_assert_eq!(entries(buffered.iter()), now);
            }
        }
        // The log holds the live records and at most max(SLACK, half of them) dead bytes.
        let live: usize = buffered.keys.iter().map(|&at| buffered.log.header(at).used_len()).sum();
        prop_assert_eq!(buffered.live_log, live);
        prop_assert!(buffered.log.bytes.len() - live <= SLACK.max(live / 2));
        let expected: Entries = model.into_iter().collect();
        let mut in_log_order: Entries = buffered
            .log
            .live()
            .map(|at| buffered.log.record(at))
            .map(|(key, op)| (key.to_vec(), op.value().map(<[u8]>::to_vec)))
            .collect();
        in_log_order.sort();
        prop_assert_eq!(&in_log_order, &expected);
        prop_assert_eq!(entries(buffered.iter()), expected.clone());
        let reversed: Entries = expected.iter().rev().cloned().collect();
        prop_assert_eq!(entries(buffered.iter().rev()), reversed);
        prop_assert_eq!(buffered.len(), expected.len());
        let bytes: usize =
            expected.iter().map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len)).sum();
        prop_assert_eq!(buffered.bytes(), bytes);

        for probe in probes {
            let found = expected.iter().find(|(key, _)| key == probe).map(|(_, value)| value);
            prop_assert_eq!(
                buffered.get(probe).map(|op| op.value().map(<[u8]>::to_vec)),
                found.cloned()
            );
            for from in [Bound::Included(probe), Bound::Excluded(probe), Bound::Unbounded] {
                let position = buffered.seek(from.map(Vec::as_slice));
                // The seek splits the entries: those at or after it, then walking back from it,
                // those before it, last first.
                let split = expected.partition_point(|(key, _)| match from {
                    Bound::Included(probe) => key < probe,
                    Bound::Excluded(probe) => key <= probe,
                    Bound::Unbounded => false,
                });
                let after = entries(buffered.span(position, buffered.end()));
                prop_assert_eq!(after.as_slice(), &expected[split..]);
                let mut before = Vec::new();
                let mut at = position;
                while let Some(previous) = buffered.prev(at) {
                    let (key, op) = buffered.entry(previous).expect("an entry before a position");
                    before.push((key.to_vec(), op.value().map(<[u8]>::to_vec)));
                    at = previous;
                }
                before.reverse();
                prop_assert_eq!(before.as_slice(), &expected[..split]);
            }
        }
        Ok(())
    }

    /// Short keys from a small alphabet (zero included, so zero-padded heads tie), half of them
    /// behind one 8-byte prefix (so whole heads tie and the log decides); and long keys in groups.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        let short = (any::<bool>(), prop::collection::vec(0_u8..6, 0..3))
            .prop_map(|(long, tail)| if long { [&[1; 8][..], &tail].concat() } else { tail });
        // 24-byte keys whose groups share 8 or 16 bytes, so the sort splits groups by heads
        // taken past what they share.
        let long = (0_u8..3, prop::collection::vec(0_u8..3, 3)).prop_map(|(group, tail)| {
            [&[3; 8][..], &[group; 8], &[tail[0], tail[1], 0, 0, 0, 0, 0, tail[2]]].concat()
        });
        prop_oneof![short, long]
    }

    proptest! {
        /// Against a `BTreeMap`: lookups, ordered iteration both ways, seeks and sizes, through
        /// run splits (runs of 4 here) and log compactions (after 64 dead bytes here).
        #[test]
        fn matches_a_btree_map(
            writes in prop::collection::vec(
                (key(), prop::option::of(prop::collection::vec(any::<u8>(), 0..12))),
                0..200,
            ),
            probes in prop::collection::vec(key(), 8),
            clear_at in any::<prop::sample::Index>(),
            read_every in prop_oneof![Just(0_usize), 1_usize..40],
        ) {
            check(&writes, &probes, clear_at.index(writes.len() + 1), read_every)?;
        }
    }

    #[test]
    fn reuse_after_ordered_reads_keeps_memory_bounded() {
        // 3 keys: an index from the first write, dropped past `EAGER`, sorted into one run; 200:
        // sorted into many runs.
        for keys in [3_u32, 200] {
            let mut writes = ColumnWrites::default();
            let mut spares = Vec::new();
            for batch in 0..50_u32 {
                for i in 0..keys {
                    writes.write(&(i * 7919 % keys).to_be_bytes(), Some(&batch.to_be_bytes()));
                }
                assert_eq!(writes.iter().count(), keys as usize, "an ordered read sorts");
                writes.clear();
                spares.push(writes.spare.get_mut().len());
            }
            // Every sort takes its runs from the spares the previous batch gave back.
            assert!(spares.windows(2).skip(1).all(|w| w[0] == w[1]), "{keys}: {spares:?}");
        }
    }

    #[test]
    fn room_left_by_shorter_values_is_reclaimed() {
        let mut writes = ColumnWrites::default();
        for i in 0..100_u32 {
            writes.write(&i.to_be_bytes(), Some(&[7; 1000]));
        }
        // Deletes rewrite in place, leaving each record's room empty: dead, so compacted away.
        for i in 0..100_u32 {
            writes.write(&i.to_be_bytes(), None);
        }
        assert_eq!(writes.bytes(), 400);
        let log = writes.log.bytes.len();
        assert!(log <= 100 * (HEADER + 4) * 3 / 2 + SLACK, "log still {log} bytes");
    }

    #[test]
    fn overwriting_one_key_keeps_the_log_bounded() {
        let mut writes = ColumnWrites::default();
        for i in 0..10_000_u32 {
            // Values that grow and shrink: some rewrites fit in place, some append.
            let value = vec![0xab; (i % 7) as usize];
            writes.write(b"counter", Some(&value));
        }
        assert_eq!(writes.len(), 1);
        assert_eq!(writes.get(b"counter"), Some(Op::Put(&[0xab; 9_999 % 7][..])));
        let record = HEADER + 7 + 6;
        assert!(
            writes.log.bytes.len() <= SLACK + 2 * record,
            "log grew to {} bytes",
            writes.log.bytes.len()
        );
    }
}
