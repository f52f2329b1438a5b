//! Group commit: the writes of many concurrent appends and inserts land in one atomic, synced
//! database commit, and arrival offsets are assigned there — consecutively, so they have no gaps.
//!
//! A writer hands its staged writes to the [`Committer`], a [`GroupCommit`]: whichever writer
//! leads takes every write queued so far (its own included), numbers their entries from the next
//! offset, trims idempotency keys that left the window, and commits all of it as one transaction
//! with one `fsync`. Writers that queued while a leader was committing are carried by the next
//! leader, so under load each `fsync` carries many writes.

use std::sync::{Mutex, MutexGuard, PoisonError};

use strata_core::{
    AsKeyParts, DataType, Database, Durability, Error, FromKeyParts, KeyRange, Transaction,
    Unstructured, group::GroupCommit,
};

use crate::entry::Hash;
use crate::error::{LogError, LogResult};
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
}

/// A writer's staged writes: everything but what depends on offsets, and the entries that get
/// them.
#[derive(Default)]
pub(crate) struct Staged {
    pub(crate) transaction: Transaction,
    pub(crate) arrivals: Vec<Arrival>,
}

pub(crate) struct Committer {
    group: GroupCommit<Staged, Vec<u64>, Error>,
    /// The next arrival offset; only the leader of a group touches it.
    next_offset: Mutex<u64>,
    durability: Durability,
    window: u64,
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
        Self { group: GroupCommit::new(), next_offset: Mutex::new(next_offset), durability, window }
    }

    /// The next arrival offset to be assigned.
    pub(crate) fn next_offset(&self) -> u64 {
        *lock(&self.next_offset)
    }

    /// Commits `staged` with whatever else is queued; the offsets its arrivals got.
    pub(crate) fn commit<D: Database>(&self, db: &D, staged: Staged) -> LogResult<Vec<u64>> {
        self.group.commit(staged, |group| self.lead(db, group)).map_err(LogError::Commit)
    }

    /// Commits a group as one transaction: numbers its arrivals from the next offset, trims
    /// idempotency keys that left the window, records the new next offset.
    fn lead<D: Database>(&self, db: &D, group: Vec<Staged>) -> Result<Vec<Vec<u64>>, Error> {
        let mut next = lock(&self.next_offset);
        let start = *next;
        let mut transaction = Transaction::new();
        let mut offsets = Vec::with_capacity(group.len());
        let mut end = start;
        let outcome = (|| {
            let mut added = 0;
            for staged in group {
                transaction.merge(staged.transaction);
                let mut mine = Vec::with_capacity(staged.arrivals.len());
                for arrival in &staged.arrivals {
                    stage_arrival(&mut transaction, arrival, end)?;
                    added += usize::from(arrival.idempotency.is_some());
                    mine.push(end);
                    end += 1;
                }
                offsets.push(mine);
            }
            self.trim(db, &mut transaction, end, added + TRIM_EXTRA)?;
            transaction.put_entry(&NEXT_OFFSET, &Counter(end))?;
            db.apply_durable(&transaction, self.durability).map_err(Error::from)
        })();
        match outcome {
            Ok(()) => {
                *next = end;
                Ok(offsets)
            }
            Err(error) => {
                // A commit that reports failure may still have landed (an outcome-unknown
                // error): offsets are never handed out twice, so they are skipped unless the
                // database shows the counter did not move.
                *next = match read_next_offset(db) {
                    Ok(stored) if stored == start => start,
                    _ => end,
                };
                Err(error)
            }
        }
    }

    /// Adds deletions of idempotency keys made at offsets that left the window (at most `limit`).
    fn trim<D: Database>(
        &self,
        db: &D,
        transaction: &mut Transaction,
        end: u64,
        limit: usize,
    ) -> Result<(), Error> {
        let Some(horizon) = end.checked_sub(self.window) else { return Ok(()) };
        let bound = ArrivalKey { offset: horizon };
        let range = KeyRange::new(Vec::new(), Some(bound.as_key().as_bytes().to_vec()));
        let mut expired = Unstructured::new(db.cursor(EXPIRY, &range)?, range);
        let mut trimmed = 0;
        while let Some(entry) = expired.next_entry() {
            if trimmed == limit {
                break;
            }
            let (key, _) = entry?;
            let key = ExpiryKey::from_bytes(key)?;
            let idempotency =
                IdempotencyKey { author: key.author, log_id: key.log_id, key: key.key };
            transaction.delete_entry(&idempotency);
            transaction.delete_entry(&key);
            trimmed += 1;
        }
        Ok(())
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
