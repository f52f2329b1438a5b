//! One column's buffered writes: a log of every key and value in one growing buffer, and a
//! sorted index of the live writes over it, kept in short runs.
//!
//! This is the shape of RocksDB's `WriteBatchWithIndex`: a write appends a record — an 8-byte
//! header with the key's and the value's lengths, then the key and the value — and inserts one
//! entry into the index, with no allocation of its own. A run of the index holds at most [`RUN`]
//! entries, so an insert moves little memory however large the transaction grows, and stepping
//! from one entry to the next is an index increment, which is what a cursor over the writes does
//! most.
//!
//! Searches rarely read the log. Keys in one run share a prefix (they are neighbours: at scale,
//! typically one context's keys), so each run records the length of the prefix its keys share, and
//! each index entry carries the eight bytes of its key that follow it: a search within a run
//! checks the shared prefix once, then compares integers, and reads the log only to break ties.
//! The runs are found by a binary search over the first eight bytes of their last keys, held in
//! the run itself, reading the log only where those tie. An index entry points straight at its
//! record, so reading a key is one look into the log.
//!
//! A write to a key already buffered rewrites its record in place when the new value fits in the
//! old one's bytes (a same-sized value, a delete); otherwise it appends a new record and points
//! the entry at it, leaving the old bytes dead. Once dead bytes outweigh half the live ones (and
//! [`SLACK`]), the log is rewritten with only the live records, so the log stays within 1.5 times
//! what is buffered.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Bound;

use super::Op;

/// The most entries one run of the index holds before it splits in two.
const RUN: usize = if cfg!(test) { 4 } else { 256 };
/// Dead bytes always tolerated in the log before it is compacted.
const SLACK: usize = if cfg!(test) { 64 } else { 64 << 10 };
/// A record's header: the key's length, then the value's (or [`DELETED`]), little-endian `u32`s.
const HEADER: usize = 8;
/// The value length that marks a delete.
const DELETED: u32 = u32::MAX;

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

/// A key searched for, with its first eight bytes taken once.
#[derive(Debug, Clone, Copy)]
struct Probe<'k> {
    key: &'k [u8],
    head: u64,
}

impl<'k> Probe<'k> {
    fn new(key: &'k [u8]) -> Self {
        Self { key, head: head(key, 0) }
    }
}

/// A length as a header field.
///
/// # Panics
///
/// Panics at 4 GiB - 1 or more: no backend stores such a key or value.
fn field(len: usize) -> u32 {
    u32::try_from(len).ok().filter(|&len| len != DELETED).expect("keys and values under 4 GiB")
}

/// The records of every write, in write order; superseded ones until the next compaction.
#[derive(Clone, Default)]
struct Log {
    bytes: Vec<u8>,
}

impl Log {
    /// The key's length and the value's (`None` for a delete) of the record at `at`.
    fn header(&self, at: usize) -> (usize, Option<usize>) {
        let word = |from: usize| {
            let bytes: [u8; 4] = self.bytes[from..from + 4].try_into().expect("four bytes");
            u32::from_le_bytes(bytes)
        };
        let value = word(at + 4);
        (word(at) as usize, (value != DELETED).then_some(value as usize))
    }

    /// How many bytes the record at `at` takes.
    fn record_len(&self, at: usize) -> usize {
        let (key, value) = self.header(at);
        HEADER + key + value.unwrap_or(0)
    }

    fn key(&self, at: usize) -> &[u8] {
        let (key, _) = self.header(at);
        &self.bytes[at + HEADER..at + HEADER + key]
    }

    fn op(&self, at: usize) -> Op<'_> {
        match self.header(at) {
            (key, Some(value)) => {
                let from = at + HEADER + key;
                Op::Put(&self.bytes[from..from + value])
            }
            (_, None) => Op::Delete,
        }
    }

    /// Appends a record; returns where it starts.
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> usize {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&field(key.len()).to_le_bytes());
        self.bytes.extend_from_slice(&value.map_or(DELETED, |v| field(v.len())).to_le_bytes());
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value.unwrap_or_default());
        at
    }

    /// Rewrites the value of the record at `at`, which must have room for it.
    fn overwrite(&mut self, at: usize, value: Option<&[u8]>) {
        let (key, _) = self.header(at);
        let word = value.map_or(DELETED, |v| field(v.len()));
        self.bytes[at + 4..at + HEADER].copy_from_slice(&word.to_le_bytes());
        if let Some(value) = value {
            let from = at + HEADER + key;
            self.bytes[from..from + value.len()].copy_from_slice(value);
        }
    }

    /// How `run`'s last key compares with `probe`.
    fn compare_last(&self, run: &Run, probe: Probe<'_>) -> Ordering {
        let last = run.entries.last().expect("runs are never empty");
        run.last_head.cmp(&probe.head).then_with(|| self.key(last.at).cmp(probe.key))
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
        let shared = first.iter().zip(last).take_while(|(a, b)| a == b).count();
        run.last_head = head(last, 0);
        if shared != run.shared {
            run.shared = shared;
            for entry in &mut run.entries {
                entry.head = head(self.key(entry.at), shared);
            }
        }
    }
}

/// A place in the index: run `run`, entry `index`. The position past the last entry is
/// `{ run: runs.len(), index: 0 }`, so positions compare in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    run: usize,
    index: usize,
}

/// One column's buffered writes, ordered by key, each key once (its latest write).
#[derive(Clone, Default)]
pub(crate) struct ColumnWrites {
    /// Every write's record, in write order; superseded ones until the next compaction.
    log: Log,
    /// The live writes in key order, in runs of 1 to [`RUN`].
    runs: Vec<Run>,
    /// Emptied runs' entries kept by [`ColumnWrites::clear`] for the next writes.
    spare: Vec<Vec<Indexed>>,
    /// How many keys are buffered.
    len: usize,
    /// Total length of the live keys and values.
    live_bytes: usize,
    /// Bytes of the log that belong to live records, headers included.
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

    /// Buffers a write of `key`: a put of `value`, or a delete when it is `None`. A later write
    /// to a key replaces the earlier one.
    ///
    /// # Panics
    ///
    /// Panics if `key` or `value` is 4 GiB or longer (no backend stores such an entry).
    pub(crate) fn write(&mut self, key: &[u8], value: Option<&[u8]>) {
        let value_len = value.map_or(0, <[u8]>::len);
        let Some(r) = self.run_for(Bound::Included(key)) else {
            let at = self.log.append(key, value);
            self.added(at);
            // A column's first run grows as it fills: small transactions stay small.
            let mut entries = self.new_entries(4);
            entries.push(Indexed { head: 0, at });
            let mut run = Run { entries, shared: usize::MAX, last_head: 0 };
            self.log.refresh(&mut run);
            self.runs.push(run);
            return;
        };
        match self.log.search(&self.runs[r], key) {
            Ok(index) => {
                let at = self.runs[r].entries[index].at;
                let (_, old) = self.log.header(at);
                let old = old.unwrap_or(0);
                self.live_bytes = self.live_bytes - old + value_len;
                if value_len <= old {
                    self.log.overwrite(at, value);
                    self.live_log -= old - value_len;
                } else {
                    self.live_log -= self.log.record_len(at);
                    let at = self.log.append(key, value);
                    self.live_log += self.log.record_len(at);
                    self.runs[r].entries[index].at = at;
                }
            }
            Err(index) => {
                let at = self.log.append(key, value);
                self.added(at);
                let run = &mut self.runs[r];
                run.entries.insert(index, Indexed { head: head(key, run.shared), at });
                if index == 0 || index + 1 == run.entries.len() {
                    self.log.refresh(run);
                }
                if run.entries.len() > RUN {
                    let half = run.entries.len() / 2;
                    // Split runs fill up, so the new one gets its full size at once.
                    let mut tail = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(RUN + 1));
                    tail.extend(self.runs[r].entries.drain(half..));
                    let mut tail = Run { entries: tail, shared: usize::MAX, last_head: 0 };
                    self.log.refresh(&mut tail);
                    self.log.refresh(&mut self.runs[r]);
                    self.runs.insert(r + 1, tail);
                }
            }
        }
        let dead = self.log.bytes.len() - self.live_log;
        if dead > SLACK.max(self.live_log / 2) {
            self.compact();
        }
    }

    /// Counts a new key whose record was appended at `at`.
    fn added(&mut self, at: usize) {
        let (key, value) = self.log.header(at);
        self.len += 1;
        self.live_bytes += key + value.unwrap_or(0);
        self.live_log += self.log.record_len(at);
    }

    /// An empty entry list: a spare one if there is one, else a new one with room for
    /// `capacity`.
    fn new_entries(&mut self, capacity: usize) -> Vec<Indexed> {
        self.spare.pop().unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    /// The run where keys at or after `from` start: `None` when there are no runs, and the last
    /// run when `from` lies beyond every key.
    fn run_for(&self, from: Bound<&[u8]>) -> Option<usize> {
        let run = match from {
            Bound::Included(key) => {
                let probe = Probe::new(key);
                self.runs.partition_point(|run| self.log.compare_last(run, probe).is_lt())
            }
            Bound::Excluded(key) => {
                let probe = Probe::new(key);
                self.runs.partition_point(|run| self.log.compare_last(run, probe).is_le())
            }
            Bound::Unbounded => 0,
        };
        (!self.runs.is_empty()).then(|| run.min(self.runs.len() - 1))
    }

    /// Rewrites the log with only the live records, in key order.
    fn compact(&mut self) {
        let mut log = Log { bytes: Vec::with_capacity(self.live_log) };
        for run in &mut self.runs {
            for entry in &mut run.entries {
                let len = self.log.record_len(entry.at);
                let at = log.bytes.len();
                log.bytes.extend_from_slice(&self.log.bytes[entry.at..entry.at + len]);
                entry.at = at;
            }
        }
        self.log = log;
    }

    /// Forgets every write, keeping the memory of the log and the runs for the next ones.
    pub(crate) fn clear(&mut self) {
        self.log.bytes.clear();
        for run in self.runs.drain(..) {
            let mut entries = run.entries;
            entries.clear();
            self.spare.push(entries);
        }
        self.len = 0;
        self.live_bytes = 0;
        self.live_log = 0;
    }

    /// The buffered write to `key`, if there is one.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Op<'_>> {
        let run = &self.runs[self.run_for(Bound::Included(key))?];
        let index = self.log.search(run, key).ok()?;
        Some(self.log.op(run.entries[index].at))
    }

    /// The first position whose key is not before `from` (the end when there is none).
    pub(crate) fn seek(&self, from: Bound<&[u8]>) -> Position {
        let Some(run) = self.run_for(from) else {
            return self.end();
        };
        let index = match from {
            Bound::Included(key) => self.log.search(&self.runs[run], key).unwrap_or_else(|i| i),
            Bound::Excluded(key) => match self.log.search(&self.runs[run], key) {
                Ok(index) => index + 1,
                Err(index) => index,
            },
            Bound::Unbounded => 0,
        };
        self.normalise(Position { run, index })
    }

    /// The position past the last entry.
    pub(crate) fn end(&self) -> Position {
        Position { run: self.runs.len(), index: 0 }
    }

    /// `position` itself, or the end if it lies past the last entry of its run.
    fn normalise(&self, position: Position) -> Position {
        match self.runs.get(position.run) {
            Some(run) if position.index >= run.entries.len() => {
                Position { run: position.run + 1, index: 0 }
            }
            _ => position,
        }
    }

    /// The entry at `position`; `None` at the end.
    pub(crate) fn entry(&self, position: Position) -> Option<(&[u8], Op<'_>)> {
        let at = self.runs.get(position.run)?.entries.get(position.index)?.at;
        Some((self.log.key(at), self.log.op(at)))
    }

    /// The position after `position` (the end stays the end).
    pub(crate) fn next(&self, position: Position) -> Position {
        if position.run >= self.runs.len() {
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
        Some(Position { run, index: self.runs[run].entries.len() - 1 })
    }

    /// The entries from `front` up to (not including) `back`, in key order.
    pub(crate) fn span(&self, front: Position, back: Position) -> Span<'_> {
        Span { writes: self, front, back: back.max(front) }
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> Span<'_> {
        self.span(Position { run: 0, index: 0 }, self.end())
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
        }
        // The log holds the live records and at most max(SLACK, half of them) dead bytes.
        let live: usize = buffered
            .runs
            .iter()
            .flat_map(|run| &run.entries)
            .map(|e| buffered.log.record_len(e.at))
            .sum();
        prop_assert_eq!(buffered.live_log, live);
        prop_assert!(buffered.log.bytes.len() - live <= SLACK.max(live / 2));
        let expected: Entries = model.into_iter().collect();
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
    /// behind one 8-byte prefix (so whole heads tie and the log decides).
    fn key() -> impl Strategy<Value = Vec<u8>> {
        (any::<bool>(), prop::collection::vec(0_u8..6, 0..3))
            .prop_map(|(long, tail)| if long { [&[1; 8][..], &tail].concat() } else { tail })
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
        ) {
            check(&writes, &probes, clear_at.index(writes.len() + 1))?;
        }
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
