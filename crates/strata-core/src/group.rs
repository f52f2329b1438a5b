//! [`GroupCommit`]: many threads' commits carried by one database write.
//!
//! A durable commit costs a disk flush. When many threads commit at once, a [`GroupCommit`]
//! lets one of them — the leader — take every commit queued so far and write them together, so
//! one flush carries them all; the others wait for the leader's outcome. While a leader writes,
//! new commits queue up for the next leader, so the more threads commit, the more each write
//! carries. RocksDB groups concurrent writes too, but only those that reach its write queue in
//! the same instant; a group commit above it also gathers the commits that arrive while the
//! previous flush is in progress.
//!
//! The leader's work is the caller's: [`GroupCommit::commit`] takes the item and a closure that
//! commits a whole group and returns each item's result (or one error for all of them).
//!
//! ```
//! use strata_core::{Column, Database, Durability, MemoryDb, Transaction};
//! use strata_core::group::GroupCommit;
//!
//! const C: Column = Column::new("c");
//! let db = MemoryDb::new([C]);
//! let group: GroupCommit<Transaction, ()> = GroupCommit::new();
//! std::thread::scope(|scope| {
//!     for n in 0..4u8 {
//!         let (db, group) = (&db, &group);
//!         scope.spawn(move || {
//!             let mut tx = Transaction::new();
//!             tx.put(C, [n], b"v");
//!             group
//!                 .commit(tx, |txs| {
//!                     let mut all = Transaction::new();
//!                     let n = txs.len();
//!                     txs.into_iter().for_each(|tx| all.merge(tx));
//!                     db.apply_durable(&all, Durability::Sync)?;
//!                     Ok::<_, strata_core::StorageError>(vec![(); n])
//!                 })
//!                 .unwrap();
//!         });
//!     }
//! });
//! for n in 0..4u8 {
//!     assert!(db.get(C, &[n])?.is_some());
//! }
//! # Ok::<(), strata_core::StorageError>(())
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

type Outcome<R, E> = Result<R, Arc<E>>;

/// Where a leader leaves an item's outcome. Followers block on the leader lock, not on this: a
/// leader finishes every item of its group before it lets the next leader in.
struct Waiter<R, E> {
    outcome: Mutex<Option<Outcome<R, E>>>,
}

/// Items waiting for a leader, each with where its outcome goes.
type Queue<W, R, E> = Vec<(W, Arc<Waiter<R, E>>)>;

/// Commits from many threads, written a group at a time (see the [module docs](self)).
pub struct GroupCommit<W, R, E = crate::StorageError> {
    queue: Mutex<Queue<W, R, E>>,
    /// Held by the leader while it writes a group.
    leader: Mutex<()>,
}

impl<W, R, E> Default for GroupCommit<W, R, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W, R, E> std::fmt::Debug for GroupCommit<W, R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("queued", &lock(&self.queue).len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before it can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W, R, E> GroupCommit<W, R, E> {
    /// An empty group commit.
    pub fn new() -> Self {
        Self { queue: Mutex::new(Vec::new()), leader: Mutex::new(()) }
    }

    /// Queues `item` and returns its result once a leader has committed it. If this thread
    /// becomes the leader, it calls `lead` with every queued item, in queue order; `lead` must
    /// return one result per item, in the same order, or one error, which every item of the
    /// group receives. Groups are committed one at a time.
    ///
    /// # Panics
    ///
    /// If `lead` returns a number of results other than the number of items it was given: a bug
    /// in the caller, which would otherwise leave some items without an outcome.
    pub fn commit(
        &self,
        item: W,
        lead: impl FnOnce(Vec<W>) -> Result<Vec<R>, E>,
    ) -> Result<R, Arc<E>> {
        let waiter = Arc::new(Waiter { outcome: Mutex::new(None) });
        lock(&self.queue).push((item, Arc::clone(&waiter)));
        let leader = lock(&self.leader);
        // A leader may have carried this item while we waited to lead.
        if let Some(outcome) = lock(&waiter.outcome).take() {
            return outcome;
        }
        // Not carried, and no leader is writing: the item is still queued, so we lead.
        let group = std::mem::take(&mut *lock(&self.queue));
        let (items, waiters): (Vec<W>, Vec<_>) = group.into_iter().unzip();
        let count = waiters.len();
        match lead(items) {
            Ok(results) if results.len() == count => {
                for (waiter, result) in waiters.iter().zip(results) {
                    finish(waiter, Ok(result));
                }
            }
            Ok(_) => panic!("a group commit's leader must return one result per item"),
            Err(error) => {
                let error = Arc::new(error);
                for waiter in &waiters {
                    finish(waiter, Err(Arc::clone(&error)));
                }
            }
        }
        drop(leader);
        let outcome = lock(&waiter.outcome).take();
        outcome.unwrap_or_else(|| unreachable!("the leader's own item is in its group"))
    }
}

fn finish<R, E>(waiter: &Waiter<R, E>, outcome: Outcome<R, E>) {
    *lock(&waiter.outcome) = Some(outcome);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn every_item_gets_its_own_result_and_groups_form_under_load() {
        let group: GroupCommit<usize, usize, String> = GroupCommit::new();
        let groups = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for t in 0..8 {
                let (group, groups) = (&group, &groups);
                scope.spawn(move || {
                    for i in 0..200 {
                        let item = t * 1000 + i;
                        let result = group.commit(item, |items| {
                            groups.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(std::time::Duration::from_micros(50));
                            Ok(items.iter().map(|n| n * 2).collect())
                        });
                        assert_eq!(result.unwrap(), item * 2);
                    }
                });
            }
        });
        let groups = groups.into_inner();
        assert!(groups < 1600, "{groups} groups for 1600 commits: some were carried");
    }

    #[test]
    fn a_failed_group_fails_every_item_in_it() {
        let group: GroupCommit<u8, (), String> = GroupCommit::new();
        let error = group.commit(1, |_| Err("disk on fire".to_owned())).unwrap_err();
        assert_eq!(*error, "disk on fire");
        assert!(group.commit(2, |items| Ok(vec![(); items.len()])).is_ok());
    }
}
