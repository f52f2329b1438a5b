//! Exact per-log locks: a writer holds its logs from validation until its commit lands, and
//! writers to different logs never wait for each other.
//!
//! The table holds only the logs locked right now, so it stays as small as the number of writers.
//! A writer locking several logs (a peer's batch) takes all of them at once or waits, so two
//! writers can never each hold a log the other needs.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::entry::Author;

/// One log: its author and log id.
pub(crate) type LogId = (Author, u64);

/// The logs locked right now, and a condition variable to wait for one to be released.
#[derive(Default)]
pub(crate) struct LogLocks {
    held: Mutex<HashSet<LogId>>,
    released: Condvar,
}

/// Holds a set of logs locked until dropped.
pub(crate) struct LogGuard<'a> {
    locks: &'a LogLocks,
    logs: Vec<LogId>,
}

fn held(mutex: &Mutex<HashSet<LogId>>) -> MutexGuard<'_, HashSet<LogId>> {
    // The set is changed by single inserts and removals, consistent at every panic point.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LogLocks {
    /// Locks one log, waiting while another writer holds it.
    pub(crate) fn lock(&self, log: LogId) -> LogGuard<'_> {
        self.lock_all(vec![log])
    }

    /// Locks every log of `logs` at once (duplicates are fine), waiting while another writer
    /// holds any of them.
    pub(crate) fn lock_all(&self, mut logs: Vec<LogId>) -> LogGuard<'_> {
        logs.sort_unstable();
        logs.dedup();
        let mut set = held(&self.held);
        while logs.iter().any(|log| set.contains(log)) {
            set = self.released.wait(set).unwrap_or_else(PoisonError::into_inner);
        }
        set.extend(logs.iter().copied());
        LogGuard { locks: self, logs }
    }
}

impl Drop for LogGuard<'_> {
    fn drop(&mut self) {
        let mut set = held(&self.locks.held);
        for log in &self.logs {
            set.remove(log);
        }
        drop(set);
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

    fn log(byte: u8, id: u64) -> LogId {
        (Author([byte; 32]), id)
    }

    #[test]
    fn different_logs_do_not_wait_and_the_table_empties() {
        let locks = LogLocks::default();
        let a = locks.lock(log(1, 0));
        let b = locks.lock(log(1, 1));
        let c = locks.lock_all(vec![log(2, 0), log(2, 0), log(3, 7)]);
        assert_eq!(held(&locks.held).len(), 4);
        drop((a, b, c));
        assert!(held(&locks.held).is_empty());
    }

    #[test]
    fn a_held_log_makes_a_batch_wait_until_released() {
        let locks = Arc::new(LogLocks::default());
        let first = locks.lock(log(1, 0));
        let entered = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (locks, entered) = (Arc::clone(&locks), Arc::clone(&entered));
            thread::spawn(move || {
                let _batch = locks.lock_all(vec![log(9, 9), log(1, 0)]);
                entered.store(true, Ordering::SeqCst);
            })
        };
        thread::sleep(Duration::from_millis(50));
        assert!(!entered.load(Ordering::SeqCst), "the batch must wait for the held log");
        // Nor does the waiting batch hold its other log meanwhile.
        drop(locks.lock(log(9, 9)));
        drop(first);
        waiter.join().unwrap();
        assert!(entered.load(Ordering::SeqCst));
        assert!(held(&locks.held).is_empty());
    }
}
