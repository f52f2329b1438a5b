//! [`KeyLocks`]: exact locks on keys, for writers that must hold a key from reading it until
//! their commit lands.
//!
//! A store that validates a write against what is stored (the next seq of a log, the creation
//! number of a key) must keep other writers of the same key out until its commit lands — through
//! a [`GroupCommit`](crate::group::GroupCommit), possibly a while. Striped locks (a fixed array of
//! mutexes the keys hash onto) make unrelated keys wait for each other whenever two hash onto one
//! stripe, and a waiting writer misses its group. [`KeyLocks`] locks exactly the keys asked for:
//! writers of different keys never wait for each other.
//!
//! The table holds only the keys locked right now, so it stays as small as the number of writers.
//! A writer locking several keys takes all of them at once or waits, so two writers can never each
//! hold a key the other needs: no lock order to keep, no deadlock.
//!
//! ```
//! use strata_core::lock::KeyLocks;
//!
//! let locks: KeyLocks<(u64, u64)> = KeyLocks::new();
//! let log_a = locks.lock((1, 0));
//! let batch = locks.lock_all([(2, 0), (3, 0)]); // different keys: no wait
//! drop((log_a, batch));
//! ```

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The keys locked right now, and a condition variable to wait for one to be released.
#[derive(Debug)]
pub struct KeyLocks<K> {
    held: Mutex<HashSet<K>>,
    released: Condvar,
}

/// Holds a set of keys locked until dropped.
#[must_use = "the keys are unlocked when the guard is dropped"]
#[derive(Debug)]
pub struct KeyGuard<'a, K: Hash + Eq> {
    locks: &'a KeyLocks<K>,
    keys: Vec<K>,
}

impl<K> Default for KeyLocks<K> {
    fn default() -> Self {
        Self { held: Mutex::new(HashSet::new()), released: Condvar::new() }
    }
}

impl<K: Hash + Eq + Clone> KeyLocks<K> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    fn held(&self) -> MutexGuard<'_, HashSet<K>> {
        // The set is changed only by inserts and removals, consistent at every panic point.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks `key`, waiting while another writer holds it.
    pub fn lock(&self, key: K) -> KeyGuard<'_, K> {
        self.lock_all([key])
    }

    /// Locks every key of `keys` at once (repeats are fine), waiting while another writer holds
    /// any of them. Keys free meanwhile are not held while waiting.
    pub fn lock_all(&self, keys: impl IntoIterator<Item = K>) -> KeyGuard<'_, K> {
        let keys: Vec<K> = keys.into_iter().collect();
        let mut held = self.held();
        while keys.iter().any(|key| held.contains(key)) {
            held = self.released.wait(held).unwrap_or_else(PoisonError::into_inner);
        }
        held.extend(keys.iter().cloned());
        KeyGuard { locks: self, keys }
    }

    /// How many keys are locked right now.
    pub fn held_count(&self) -> usize {
        self.held().len()
    }
}

impl<K: Hash + Eq> Drop for KeyGuard<'_, K> {
    fn drop(&mut self) {
        let mut held = self.locks.held.lock().unwrap_or_else(PoisonError::into_inner);
        for key in &self.keys {
            held.remove(key);
        }
        drop(held);
        self.locks.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;
    use std::time::Duration;

    use super::*;

    #[test]
    fn different_keys_do_not_wait_and_the_table_empties() {
        let locks = KeyLocks::new();
        let a = locks.lock((1, 0));
        let b = locks.lock((1, 1));
        let c = locks.lock_all([(2, 0), (2, 0), (3, 7)]);
        assert_eq!(locks.held_count(), 4);
        drop((a, b, c));
        assert_eq!(locks.held_count(), 0);
    }

    #[test]
    fn a_held_key_makes_a_batch_wait_until_released() {
        let locks = Arc::new(KeyLocks::new());
        let first = locks.lock((1, 0));
        let entered = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (locks, entered) = (Arc::clone(&locks), Arc::clone(&entered));
            thread::spawn(move || {
                let _batch = locks.lock_all([(9, 9), (1, 0)]);
                entered.store(true, Ordering::SeqCst);
            })
        };
        thread::sleep(Duration::from_millis(50));
        assert!(!entered.load(Ordering::SeqCst), "the batch must wait for the held key");
        // Nor does the waiting batch hold its other key meanwhile.
        drop(locks.lock((9, 9)));
        drop(first);
        waiter.join().unwrap();
        assert!(entered.load(Ordering::SeqCst));
        assert_eq!(locks.held_count(), 0);
    }

    #[test]
    fn many_writers_of_one_key_take_turns() {
        let locks = KeyLocks::new();
        let inside = AtomicBool::new(false);
        thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let _guard = locks.lock_all([0_u8, 1]);
                        assert!(!inside.swap(true, Ordering::SeqCst), "two writers inside");
                        inside.store(false, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(locks.held_count(), 0);
    }
}
