//! Per-key ordering of changes that are issued before they run: LDK's rule for its async
//! `KVStore`, that writes to one key land in the order they were issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::name::Address;

/// Each key's versions: a change takes the next version when it is issued; when it runs, it
/// applies only if no later version of its key has landed.
#[derive(Default)]
pub(crate) struct WriteOrder {
    slots: Mutex<HashMap<Address, Arc<Mutex<Slot>>>>,
}

/// One key's versions: the last one issued, and the last one that landed.
#[derive(Default)]
struct Slot {
    issued: u64,
    landed: u64,
}

/// An issued change's place in its key's order.
pub(crate) struct Ticket {
    address: Address,
    slot: Arc<Mutex<Slot>>,
    version: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before it can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl WriteOrder {
    /// Takes the next version of `address`'s key: call it when the change is issued.
    pub(crate) fn issue(&self, address: Address) -> Ticket {
        let mut slots = lock(&self.slots);
        let slot = Arc::clone(slots.entry(address.clone()).or_default());
        let version = {
            let mut versions = lock(&slot);
            versions.issued += 1;
            versions.issued
        };
        Ticket { address, slot, version }
    }

    /// Runs the change `apply` holding its key's slot, unless a later version of the key has
    /// already landed (then the change is superseded and `Ok`, as LDK allows: the state never goes
    /// back to an earlier write).
    pub(crate) fn run<E>(
        &self,
        ticket: &Ticket,
        apply: impl FnOnce(&Address) -> Result<(), E>,
    ) -> Result<(), E> {
        let result = {
            let mut versions = lock(&ticket.slot);
            if versions.landed > ticket.version {
                Ok(())
            } else {
                let result = apply(&ticket.address);
                if result.is_ok() {
                    versions.landed = ticket.version;
                }
                result
            }
        };
        // Forget the key once no other issued change of it is outstanding (clones are made only
        // under the map's lock, so the count cannot grow while it is held).
        let mut slots = lock(&self.slots);
        if Arc::strong_count(&ticket.slot) == 2 {
            slots.remove(&ticket.address);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_run_after_a_later_one_landed_is_superseded() {
        let order = WriteOrder::default();
        let address = Address::new("p", "", "k");
        let first = order.issue(address.clone());
        let second = order.issue(address.clone());
        let mut applied = Vec::new();
        order
            .run(&second, |_| -> Result<(), ()> {
                applied.push(2);
                Ok(())
            })
            .unwrap();
        drop(second);
        order
            .run(&first, |_| -> Result<(), ()> {
                applied.push(1);
                Ok(())
            })
            .unwrap();
        drop(first);
        assert_eq!(applied, [2], "the earlier change never overwrites the later one");
        assert!(lock(&order.slots).is_empty(), "nothing outstanding, nothing kept");
    }

    #[test]
    fn a_failed_change_does_not_supersede_earlier_ones() {
        let order = WriteOrder::default();
        let address = Address::new("p", "", "k");
        let first = order.issue(address.clone());
        let second = order.issue(address.clone());
        assert!(order.run(&second, |_| Err(())).is_err());
        let mut applied = false;
        order
            .run(&first, |_| -> Result<(), ()> {
                applied = true;
                Ok(())
            })
            .unwrap();
        assert!(applied);
    }
}
