//! LDK's persistence traits for [`KvStore`]: `KVStoreSync`, `KVStore` and `MigratableKVStore`
//! (feature `lightning`).
//!
//! Hand a `KvStore` (or an `Arc` of one) to LDK wherever it asks for a `KVStoreSync`, as the
//! persister of a `ChainMonitor`, or wrap one store in several of LDK's helpers: they share it.
//!
//! **LDK's conventions, kept here only.** An invalid name is a programming error in LDK's own
//! stores: they `debug_assert!` on it (panicking in debug builds, as LDK's tests demand) and return
//! an `io::Error` in release builds. This adapter does the same; [`KvStore`]'s own methods return
//! the typed [`KvError::InvalidName`] and never panic. A missing key is
//! `io::ErrorKind::NotFound`, as LDK requires.
//!
//! **The async trait.** RocksDB calls block, so the futures of `KVStore` run each call on the
//! [`blocking`] crate's thread pool (`blocking::unblock`): an executor thread only polls a
//! future, it never waits for a disk flush. The pool is runtime-agnostic, so the store works under
//! tokio, async-std, smol or a hand-rolled executor alike. LDK requires that writes to one key
//! land in the order they were issued: each write or remove takes a version number for its key
//! when it is *called* (not when its future is first polled); when it runs, it holds its key's
//! slot, and skips itself if a later version has already landed. So the stored value only ever
//! moves forward through the issued writes, whatever order the pool runs them in.

use lightning::io;
use lightning::util::async_poll::AsyncResult;
use lightning::util::persist::{KVStore, KVStoreSync, MigratableKVStore};
use strata_core::Database;

use crate::error::KvError;
use crate::name::Address;
use crate::store::{KvStore, validate};

/// Converts a store error to the `io::Error` LDK expects (LDK's `io::Error` carries a kind and a
/// message), asserting in debug builds that the caller passed valid names, as LDK's own stores do.
fn to_io(error: KvError) -> io::Error {
    let message = error.to_string();
    let kind = match &error {
        KvError::InvalidName { .. } => {
            debug_assert!(false, "{message}");
            io::ErrorKind::InvalidInput
        }
        KvError::NotFound { .. } => io::ErrorKind::NotFound,
        _ => io::ErrorKind::Other,
    };
    drop(error);
    io::Error::new(kind, message)
}

/// Checks names at the call, before any future exists, so LDK's debug assertion fires in the
/// caller's thread.
fn check(primary: &str, secondary: &str, key: Option<&str>) -> Result<(), io::Error> {
    validate(primary, secondary, key).map_err(to_io)
}

impl<D: Database> KVStoreSync for KvStore<D> {
    fn read(&self, primary: &str, secondary: &str, key: &str) -> Result<Vec<u8>, io::Error> {
        KvStore::read(self, primary, secondary, key).map_err(to_io)
    }

    fn write(
        &self,
        primary: &str,
        secondary: &str,
        key: &str,
        buf: Vec<u8>,
    ) -> Result<(), io::Error> {
        KvStore::write(self, primary, secondary, key, &buf).map_err(to_io)
    }

    fn remove(
        &self,
        primary: &str,
        secondary: &str,
        key: &str,
        lazy: bool,
    ) -> Result<(), io::Error> {
        KvStore::remove(self, primary, secondary, key, lazy).map_err(to_io)
    }

    fn list(&self, primary: &str, secondary: &str) -> Result<Vec<String>, io::Error> {
        KvStore::list(self, primary, secondary).map_err(to_io)
    }
}

impl<D: Database> MigratableKVStore for KvStore<D> {
    fn list_all_keys(&self) -> Result<Vec<(String, String, String)>, io::Error> {
        let addresses = KvStore::list_all_keys(self).map_err(to_io)?;
        Ok(addresses.into_iter().map(|a| (a.primary, a.secondary, a.key)).collect())
    }
}

impl<D: Database + 'static> KVStore for KvStore<D> {
    fn read(
        &self,
        primary: &str,
        secondary: &str,
        key: &str,
    ) -> AsyncResult<'static, Vec<u8>, io::Error> {
        if let Err(error) = check(primary, secondary, Some(key)) {
            return Box::pin(std::future::ready(Err(error)));
        }
        let (store, address) = (self.clone(), Address::new(primary, secondary, key));
        Box::pin(blocking::unblock(move || {
            KvStore::read(&store, &address.primary, &address.secondary, &address.key).map_err(to_io)
        }))
    }

    fn write(
        &self,
        primary: &str,
        secondary: &str,
        key: &str,
        buf: Vec<u8>,
    ) -> AsyncResult<'static, (), io::Error> {
        self.ordered(Address::new(primary, secondary, key), Change::Write(buf))
    }

    fn remove(
        &self,
        primary: &str,
        secondary: &str,
        key: &str,
        lazy: bool,
    ) -> AsyncResult<'static, (), io::Error> {
        self.ordered(Address::new(primary, secondary, key), Change::Remove { lazy })
    }

    fn list(&self, primary: &str, secondary: &str) -> AsyncResult<'static, Vec<String>, io::Error> {
        if let Err(error) = check(primary, secondary, None) {
            return Box::pin(std::future::ready(Err(error)));
        }
        let (store, primary, secondary) = (self.clone(), primary.to_owned(), secondary.to_owned());
        Box::pin(blocking::unblock(move || {
            KvStore::list(&store, &primary, &secondary).map_err(to_io)
        }))
    }
}

/// A write or a remove, as issued through the async trait.
enum Change {
    Write(Vec<u8>),
    Remove { lazy: bool },
}

impl<D: Database + 'static> KvStore<D> {
    /// Issues `change` at `address` with the next version for that key, and returns the future
    /// that applies it on the blocking pool unless a later version has landed first.
    fn ordered(&self, address: Address, change: Change) -> AsyncResult<'static, (), io::Error> {
        let key = Some(address.key.as_str());
        if let Err(error) = check(&address.primary, &address.secondary, key) {
            return Box::pin(std::future::ready(Err(error)));
        }
        let ticket = self.write_order().issue(address);
        let store = self.clone();
        Box::pin(blocking::unblock(move || {
            store.write_order().run(&ticket, |address| {
                let (p, s, k) = (&address.primary, &address.secondary, &address.key);
                match change {
                    Change::Write(value) => KvStore::write(&store, p, s, k, &value),
                    Change::Remove { lazy } => KvStore::remove(&store, p, s, k, lazy),
                }
                .map_err(to_io)
            })
        }))
    }
}
