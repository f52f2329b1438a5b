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

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

type Outcome<R, E> = Result<R, Arc<E>>;

/// What a waiting item is told: its outcome, that it leads the next group, or that the leader
/// carrying it panicked.
enum Slot<R, E> {
    Done(Outcome<R, E>),
    Lead,
    LeaderPanicked,
}

/// Where an item waits: each waiter sleeps on its own condition variable, so a leader wakes
/// exactly the items it carried, and the one it hands the lead to.
struct Waiter<R, E> {
    slot: Mutex<Option<Slot<R, E>>>,
    wake: Condvar,
}

/// Items waiting for a leader, each with where its outcome goes.
type Queue<W, R, E> = Vec<(W, Arc<Waiter<R, E>>)>;

struct State<W, R, E> {
    queue: Queue<W, R, E>,
    /// Whether a leader is writing a group (or has been handed the lead).
    leading: bool,
}

/// Commits from many threads, written a group at a time (see the [module docs](self)).
pub struct GroupCommit<W, R, E = crate::StorageError> {
    state: Mutex<State<W, R, E>>,
}

impl<W, R, E> Default for GroupCommit<W, R, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W, R, E> std::fmt::Debug for GroupCommit<W, R, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("GroupCommit")
            .field("queued", &state.queue.len())
            .field("leading", &state.leading)
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before it can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W, R, E> GroupCommit<W, R, E> {
    /// An empty group commit.
    pub fn new() -> Self {
        Self { state: Mutex::new(State { queue: Vec::new(), leading: false }) }
    }

    /// Queues `item` and returns its result once a leader has committed it. If this thread
    /// leads, it calls `lead` with every queued item, in queue order; `lead` must return one
    /// result per item, in the same order, or one error, which every item of the group receives.
    /// Groups are committed one at a time; a leader hands the lead to the first item queued
    /// while it wrote.
    ///
    /// # Panics
    ///
    /// If `lead` panics, or returns a number of results other than the number of items it was
    /// given (a bug in the caller): the leader's thread and every thread whose item it carried
    /// panic, and the next queued item leads.
    pub fn commit(
        &self,
        item: W,
        lead: impl FnOnce(Vec<W>) -> Result<Vec<R>, E>,
    ) -> Result<R, Arc<E>> {
        let waiter = Arc::new(Waiter { slot: Mutex::new(None), wake: Condvar::new() });
        {
            let mut state = lock(&self.state);
            state.queue.push((item, Arc::clone(&waiter)));
            if state.leading {
                drop(state);
                let mut slot = lock(&waiter.slot);
                loop {
                    match slot.take() {
                        Some(Slot::Done(outcome)) => return outcome,
                        Some(Slot::Lead) => break,
                        Some(Slot::LeaderPanicked) => {
                            panic!("the group commit's leader panicked while carrying this item")
                        }
                        None => {
                            slot = waiter.wake.wait(slot).unwrap_or_else(PoisonError::into_inner);
                        }
                    }
                }
            } else {
                state.leading = true;
            }
        }
        // This thread leads: its own item is in the group it takes now.
        let group = std::mem::take(&mut lock(&self.state).queue);
        let (items, waiters): (Vec<W>, Vec<_>) = group.into_iter().unzip();
        let count = waiters.len();
        let committed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let results = lead(items);
            if let Ok(results) = &results {
                assert_eq!(
                    results.len(),
                    count,
                    "a group commit's leader must return one result per item"
                );
            }
            results
        }));
        let committed = match committed {
            Ok(committed) => committed,
            Err(panic) => {
                // The carried items' commits are lost with the leader: their threads panic too
                // (as a poisoned lock would make them), and the next queued item leads.
                for other in waiters.iter().filter(|other| !Arc::ptr_eq(other, &waiter)) {
                    tell(other, Slot::LeaderPanicked);
                }
                self.hand_over();
                std::panic::resume_unwind(panic);
            }
        };
        let outcomes: Vec<Outcome<R, E>> = match committed {
            Ok(results) => results.into_iter().map(Ok).collect(),
            Err(error) => {
                let error = Arc::new(error);
                (0..count).map(|_| Err(Arc::clone(&error))).collect()
            }
        };
        let mut own = None;
        for (other, outcome) in waiters.iter().zip(outcomes) {
            if Arc::ptr_eq(other, &waiter) {
                own = Some(outcome);
            } else {
                tell(other, Slot::Done(outcome));
            }
        }
        self.hand_over();
        own.unwrap_or_else(|| unreachable!("a leader's own item is in the group it takes"))
    }

    /// Hands the lead to the first item queued while the leader wrote, or stops leading.
    fn hand_over(&self) {
        let mut state = lock(&self.state);
        match state.queue.first() {
            Some((_, next)) => tell(next, Slot::Lead),
            None => state.leading = false,
        }
    }
}

fn tell<R, E>(waiter: &Waiter<R, E>, slot: Slot<R, E>) {
    *lock(&waiter.slot) = Some(slot);
    waiter.wake.notify_one();
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
    fn a_panicking_leader_does_not_strand_the_others() {
        let group: GroupCommit<u8, (), String> = GroupCommit::new();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.commit(1, |_| -> Result<Vec<()>, String> { panic!("a bug in the leader") })
        }));
        assert!(panicked.is_err());
        assert!(group.commit(2, |items| Ok(vec![(); items.len()])).is_ok(), "the next leads");
    }

    #[test]
    fn a_failed_group_fails_every_item_in_it() {
        let group: GroupCommit<u8, (), String> = GroupCommit::new();
        let error = group.commit(1, |_| Err("disk on fire".to_owned())).unwrap_err();
        assert_eq!(*error, "disk on fire");
        assert!(group.commit(2, |items| Ok(vec![(); items.len()])).is_ok());
    }
}
