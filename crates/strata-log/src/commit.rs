//! Group commit: the writes of many concurrent appends and inserts land in one atomic, synced
//! database commit, and arrival offsets are assigned there — consecutively, so they have no gaps.
//!
//! A writer hands its staged writes to the [`Committer`], a [`GroupCommit`]: whichever writer
//! leads takes every write queued so far (its own included), numbers their entries from the next
//! offset, trims idempotency keys that left the window, and commits all of it as one transaction
//! with one `fsync`. Writers that queued while a leader was committing are carried by the next
//! leader, so under load each `fsync` carries many writes. Without an `fsync` to share
//! ([`Durability::Wal`]) there is nothing to gain from waiting: each writer commits its own writes
//! directly, in turn.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use strata_core::{
    AsKeyParts, DataType, Database, Durability, Error, FromKeyParts, KeyRange, Transaction,
    Unstructured, group::GroupCommit,
};

use crate::entry::{Entry, Hash};
use crate::error::{LogError, LogResult};
use crate::observe::{Failure, Observer};
use crate::schema::{
    Appended, ArrivalKey, Counter, EXPIRY, EntryKey, ExpiryKey, HEADERS, IdempotencyKey, LOG_META,
    Location, NEXT_OFFSET,
};

/// One entry whose arrival offset the leader assigns.
pub(crate) struct Arrival {
    pub(crate) key: EntryKey,
    pub(crate) hash: Hash,
    /// The stored header (the leader puts the offset in front).
    pub(crate) header: Vec<u8>,
    /// The append's idempotency key, recorded with the offset.
    pub(crate) idempotency: Option<[u8; 32]>,
    /// The entry itself, for the store's observer (`None` when the store has none).
    pub(crate) entry: Option<Entry>,
}

/// A writer's staged writes: everything but what depends on offsets, and the entries that get
/// them.
#[derive(Default)]
pub(crate) struct Staged {
    pub(crate) transaction: Transaction,
    pub(crate) arrivals: Vec<Arrival>,
}

pub(crate) struct Committer {
    group: GroupCommit<Staged, Vec<u64>, Failure>,
    /// Where offsets stand; only the writer committing touches it.
    offsets: Mutex<Offsets>,
    /// `offsets.next`, readable without waiting for a commit in progress (which holds `offsets`
    /// through its `fsync`).
    published: AtomicU64,
    durability: Durability,
    window: u64,
}

/// The committer's offsets.
struct Offsets {
    /// The next arrival offset.
    next: u64,
    /// No idempotency key made below this offset is left to trim: trimming starts here instead of
    /// stepping over the tombstones of every key trimmed before (0 after open, so one pass over
    /// old tombstones per process).
    trimmed_below: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before it can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many expired idempotency keys one commit trims at most, beyond one per entry it adds: the
/// index shrinks faster than it grows until it is within the window.
const TRIM_EXTRA: usize = 64;

impl Committer {
    pub(crate) fn new(next_offset: u64, durability: Durability, window: u64) -> Self {
        let offsets = Mutex::new(Offsets { next: next_offset, trimmed_below: 0 });
        let published = AtomicU64::new(next_offset);
        Self { group: GroupCommit::new(), offsets, published, durability, window }
    }

    /// The next arrival offset to be assigned: one past the last committed entry. Does not wait
    /// for a commit in progress.
    pub(crate) fn next_offset(&self) -> u64 {
        self.published.load(Ordering::Acquire)
    }

    /// Runs `f` with the next arrival offset while no group can commit.
    pub(crate) fn exclusive<R>(&self, f: impl FnOnce(u64) -> R) -> R {
        let offsets = lock(&self.offsets);
        f(offsets.next)
    }

    /// Commits `staged` (with whatever else is queued when commits are synced); the offsets its
    /// arrivals got.
    pub(crate) fn commit<D: Database>(
        &self,
        db: &D,
        observer: Option<&dyn Observer<D>>,
        staged: Staged,
    ) -> LogResult<Vec<u64>> {
        let failed = |failure: &Failure| match failure {
            Failure::Storage(error) => LogError::Commit(Arc::clone(error)),
            Failure::Observer(error) => LogError::Observer(Arc::clone(error)),
        };
        if self.durability == Durability::Sync {
            return self
                .group
                .commit(staged, |group| self.lead(db, observer, group))
                .map_err(|failure| failed(&failure));
        }
        match self.lead(db, observer, vec![staged]) {
            Ok(mut offsets) => Ok(offsets.pop().unwrap_or_default()),
            Err(failure) => Err(failed(&failure)),
        }
    }

    /// Commits a group as one transaction: numbers its arrivals from the next offset, trims
    /// idempotency keys that left the window, records the new next offset.
    fn lead<D: Database>(
        &self,
        db: &D,
        observer: Option<&dyn Observer<D>>,
        group: Vec<Staged>,
    ) -> Result<Vec<Vec<u64>>, Failure> {
        let mut offsets_now = lock(&self.offsets);
        let start = offsets_now.next;
        let mut transaction = Transaction::new();
        let mut offsets = Vec::with_capacity(group.len());
        let mut end = start;
        let mut trimmed_below = offsets_now.trimmed_below;
        let storage = |error: Error| Failure::Storage(Arc::new(error));
        let outcome = (|| {
            let mut added = 0;
            let mut arrivals = Vec::with_capacity(group.len());
            for staged in group {
                transaction.merge(staged.transaction);
                let mut mine = Vec::with_capacity(staged.arrivals.len());
                for arrival in &staged.arrivals {
                    stage_arrival(&mut transaction, arrival, end).map_err(storage)?;
                    added += usize::from(arrival.idempotency.is_some());
                    mine.push(end);
                    end += 1;
                }
                offsets.push(mine);
                arrivals.push(staged.arrivals);
            }
            if let Some(observer) = observer {
                let arrived: Vec<(u64, &Entry)> = arrivals
                    .iter()
                    .flatten()
                    .zip(start..)
                    .filter_map(|(arrival, offset)| Some((offset, arrival.entry.as_ref()?)))
                    .collect();
                observer
                    .stage(db, &arrived, &mut transaction)
                    .map_err(|error| Failure::Observer(Arc::new(error)))?;
            }
            trimmed_below = self
                .trim(db, &mut transaction, trimmed_below, end, added + TRIM_EXTRA)
                .map_err(storage)?;
            transaction.put_entry(&NEXT_OFFSET, &Counter(end)).map_err(|e| storage(e.into()))?;
            db.apply_durable(&transaction, self.durability).map_err(|e| storage(e.into()))
        })();
        match outcome {
            Ok(()) => {
                *offsets_now = Offsets { next: end, trimmed_below };
                self.published.store(end, Ordering::Release);
                if let Some(observer) = observer {
                    observer.committed(end);
                }
                Ok(offsets)
            }
            Err(error) => {
                // A commit that reports failure may still have landed (an outcome-unknown
                // error): offsets are never handed out twice, so they are skipped unless the
                // database shows the counter did not move.
                offsets_now.next = match read_next_offset(db) {
                    Ok(stored) if stored == start => start,
                    _ => end,
                };
                self.published.store(offsets_now.next, Ordering::Release);
                Err(error)
            }
        }
    }

    /// Adds deletions of idempotency keys made at offsets in `from..` that left the window (at
    /// most `limit`); returns the offset below which none is left once they are deleted.
    fn trim<D: Database>(
        &self,
        db: &D,
        transaction: &mut Transaction,
        from: u64,
        end: u64,
        limit: usize,
    ) -> Result<u64, Error> {
        let Some(horizon) = end.checked_sub(self.window) else { return Ok(from) };
        if from >= horizon {
            return Ok(from);
        }
        let start = ArrivalKey { offset: from }.as_key().as_bytes().to_vec();
        let bound = ArrivalKey { offset: horizon }.as_key().as_bytes().to_vec();
        let range = KeyRange::new(start, Some(bound));
        let mut expired = Unstructured::new(db.cursor(EXPIRY, &range)?, range);
        let mut trimmed = 0;
        while let Some(entry) = expired.next_entry() {
            let (key, _) = entry?;
            let key = ExpiryKey::from_bytes(key)?;
            if trimmed == limit {
                // The first key left for a later commit.
                return Ok(key.offset);
            }
            let idempotency =
                IdempotencyKey { author: key.author, log_id: key.log_id, key: key.key };
            transaction.delete_entry(&idempotency);
            transaction.delete_entry(&key);
            trimmed += 1;
        }
        Ok(horizon)
    }
}

/// Adds one arrival's offset-bearing writes: its header, its arrival record and, for an
/// idempotent append, the key's record and its place in the expiry index.
fn stage_arrival(
    transaction: &mut Transaction,
    arrival: &Arrival,
    offset: u64,
) -> Result<(), Error> {
    let mut value = Vec::with_capacity(8 + arrival.header.len());
    value.extend_from_slice(&offset.to_be_bytes());
    value.extend_from_slice(&arrival.header);
    let EntryKey { author, log_id, seq } = arrival.key;
    transaction.put(HEADERS, arrival.key.as_key().as_bytes(), value);
    let location = Location { author: author.0, log_id, seq };
    transaction.put_entry(&ArrivalKey { offset }, &location)?;
    if let Some(key) = arrival.idempotency {
        let record = Appended { seq, hash: arrival.hash, offset, repeated: false };
        transaction.put_entry(&IdempotencyKey { author, log_id, key }, &record)?;
        let expiry = ExpiryKey { offset, author, log_id, key };
        transaction.put(EXPIRY, expiry.as_key().as_bytes(), []);
    }
    Ok(())
}

/// The next arrival offset recorded in the database (0 when none is).
pub(crate) fn read_next_offset<D: Database>(db: &D) -> Result<u64, Error> {
    match db.get(LOG_META, NEXT_OFFSET.as_key().as_bytes())? {
        None => Ok(0),
        Some(bytes) => Ok(Counter::from_lent(&bytes)?.0),
    }
}
