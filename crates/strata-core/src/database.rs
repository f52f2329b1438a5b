//! The backend seam: [`Database`] and its [`Cursor`].
//!
//! A backend stores bytes in columns and nothing more; keys, values and layers are built on top
//! by the engine. The trait is deliberately narrow so that it is easy to implement twice (the
//! in-memory [`MemoryDb`](crate::MemoryDb) and the RocksDB backend) and to test once, with the
//! shared conformance suite.

use crate::column::Column;
use crate::error::StorageResult as Result;
use crate::range::KeyRange;
use crate::transaction::Transaction;
use crate::value::Slice;
use either::Either;

/// How durable a commit is when it returns.
///
/// A backend opens with a default for `put`, `delete` and `apply`;
/// [`Database::apply_durable`] chooses per commit, so one database can hold both state that must
/// survive power loss and state that may lag it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Written to the write-ahead log without `fsync` (RocksDB's default). A process crash loses
    /// nothing; an operating-system crash or power loss may lose the most recent commits, but
    /// never part of one.
    #[default]
    Wal,
    /// Written to the write-ahead log and `fsync`ed before returning: a returned commit survives
    /// power loss. Each commit costs a disk flush; concurrent synced commits share one on RocksDB.
    Sync,
}

/// A byte-level key-value store organised in columns.
///
/// Contracts every backend keeps (the conformance suite checks them):
///
/// - Keys are compared as unsigned bytes; the empty key and empty values are allowed.
/// - Naming a column the database was not opened with is
///   [`StorageError::UnknownColumn`](crate::StorageError::UnknownColumn),
///   and the call changes nothing.
/// - `put` and `delete` are atomic and immediately visible to later reads on any thread.
/// - `apply` writes a whole [`Transaction`] atomically across all its columns: a reader sees
///   either none of it or all of it, and a crash leaves none or all of it. It validates every
///   column before writing anything.
/// - Cursors read a snapshot taken when they were created: later writes are invisible to them.
pub trait Database: Send + Sync {
    /// The cursor type returned by [`Database::cursor`].
    type Cursor<'a>: Cursor
    where
        Self: 'a;

    /// The columns this database was opened with.
    fn columns(&self) -> Vec<Column>;

    /// Whether `key` is present in `column`.
    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        Ok(self.get(column, key)?.is_some())
    }

    /// The value stored under `key` in `column`, if any.
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>>;

    /// The values of several keys of one column, in the order of `keys`.
    ///
    /// Backends that can batch lookups override this; the default calls [`Database::get`].
    fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
        keys.iter().map(|key| self.get(column, key)).collect()
    }

    /// Stores `value` under `key` in `column`, replacing any earlier value.
    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()>;

    /// Removes `key` from `column`; removing an absent key is not an error.
    fn delete(&self, column: Column, key: &[u8]) -> Result<()>;

    /// A cursor over the keys of `column` that fall in `range`, reading a snapshot taken now.
    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>>;

    /// Applies every operation of `transaction` atomically.
    fn apply(&self, transaction: &Transaction) -> Result<()>;

    /// Applies `transaction` atomically with the given durability instead of the database's
    /// default: with [`Durability::Sync`] it survives power loss once this returns, and makes every
    /// earlier commit durable with it (the write-ahead log is one sequence).
    ///
    /// A backend that persists data overrides this. The default calls [`Database::apply`], which
    /// is right only for a backend with nothing to sync, such as [`MemoryDb`](crate::MemoryDb).
    fn apply_durable(&self, transaction: &Transaction, durability: Durability) -> Result<()> {
        let _ = durability;
        self.apply(transaction)
    }
}

/// A position in one column's sorted keys, within the range it was created for.
///
/// A new cursor is unpositioned. Seeks and steps never leave the cursor's range: stepping past
/// either end (or seeking where no key qualifies) makes the cursor invalid, after which
/// [`Cursor::key`] is `None` until the next seek. When a cursor becomes invalid because of an
/// error, [`Cursor::status`] reports it; callers check it whenever `key` returns `None`.
pub trait Cursor {
    /// Moves to the first key `>= key` in range.
    fn seek(&mut self, key: &[u8]);

    /// Moves to the last key `<= key` in range.
    fn seek_for_prev(&mut self, key: &[u8]);

    /// Moves to the first key in range.
    fn seek_to_first(&mut self);

    /// Moves to the last key in range.
    fn seek_to_last(&mut self);

    /// Steps to the next key. Only valid on a valid cursor.
    fn next(&mut self);

    /// Steps to the previous key. Only valid on a valid cursor.
    fn prev(&mut self);

    /// The current key, or `None` when the cursor is invalid.
    fn key(&self) -> Option<&[u8]>;

    /// The current value, or `None` when the cursor is invalid.
    fn value(&self) -> Option<&[u8]>;

    /// The current key and value together, or `None` when the cursor is invalid.
    ///
    /// Backends whose `key` and `value` each re-check validity (RocksDB's does, across the FFI)
    /// override this to check once; scans read every entry through it.
    fn item(&self) -> Option<(&[u8], &[u8])> {
        Some((self.key()?, self.value()?))
    }

    /// The error that invalidated the cursor, if one did — or the current entry's
    /// [`Cursor::value_error`].
    fn status(&self) -> Result<()>;

    /// Why the current entry's value cannot be read, when the cursor stands on an entry it can
    /// step past: a layer that authenticates values (encryption at rest) stops on a tampered one
    /// with [`Cursor::key`] giving its key, `value` and `item` giving `None`, and this giving
    /// [`StorageError::Tampered`](crate::StorageError::Tampered) (which [`Cursor::status`]
    /// reports too, so a loop that stops at the first `None` does not mistake it for the end).
    /// Iterators report it as that entry's error and go on to the next. `None` for backends,
    /// which have no such entries.
    fn value_error(&self) -> Option<crate::StorageError> {
        None
    }
}

/// Forwards every method to the database behind a shared pointer.
macro_rules! forward_database {
    ($($pointer:ty),+) => {$(
        impl<D: Database + ?Sized> Database for $pointer {
            type Cursor<'a>
                = D::Cursor<'a>
            where
                Self: 'a;

            fn columns(&self) -> Vec<Column> {
                (**self).columns()
            }

            fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
                (**self).has(column, key)
            }

            fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
                (**self).get(column, key)
            }

            fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
                (**self).get_many(column, keys)
            }

            fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
                (**self).put(column, key, value)
            }

            fn delete(&self, column: Column, key: &[u8]) -> Result<()> {
                (**self).delete(column, key)
            }

            fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
                (**self).cursor(column, range)
            }

            fn apply(&self, transaction: &Transaction) -> Result<()> {
                (**self).apply(transaction)
            }

            fn apply_durable(&self, transaction: &Transaction, durability: Durability) -> Result<()> {
                (**self).apply_durable(transaction, durability)
            }
        }
    )+};
}

forward_database!(&D, std::sync::Arc<D>);

/// One of two cursors: what [`Either`]'s database hands out.
macro_rules! either_cursor {
    ($self:ident, $cursor:ident => $call:expr) => {
        match $self {
            Either::Left($cursor) => $call,
            Either::Right($cursor) => $call,
        }
    };
}

/// One of two databases chosen at run time — a directory or a cluster, say, picked by
/// configuration — is a database: every call goes to the one it holds.
///
/// ```
/// use strata_core::{Column, Database, Either, MemoryDb};
///
/// const C: Column = Column::new("c");
/// let db: Either<MemoryDb, MemoryDb> = Either::Right(MemoryDb::new([C]));
/// db.put(C, b"k", b"v")?;
/// assert_eq!(db.get(C, b"k")?.as_deref(), Some(&b"v"[..]));
/// # Ok::<(), strata_core::StorageError>(())
/// ```
impl<L: Database, R: Database> Database for Either<L, R> {
    type Cursor<'a>
        = Either<L::Cursor<'a>, R::Cursor<'a>>
    where
        Self: 'a;

    fn columns(&self) -> Vec<Column> {
        either_cursor!(self, db => db.columns())
    }

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        either_cursor!(self, db => db.has(column, key))
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        either_cursor!(self, db => db.get(column, key))
    }

    fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
        either_cursor!(self, db => db.get_many(column, keys))
    }

    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        either_cursor!(self, db => db.put(column, key, value))
    }

    fn delete(&self, column: Column, key: &[u8]) -> Result<()> {
        either_cursor!(self, db => db.delete(column, key))
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        match self {
            Either::Left(db) => db.cursor(column, range).map(Either::Left),
            Either::Right(db) => db.cursor(column, range).map(Either::Right),
        }
    }

    fn apply(&self, transaction: &Transaction) -> Result<()> {
        either_cursor!(self, db => db.apply(transaction))
    }

    fn apply_durable(&self, transaction: &Transaction, durability: Durability) -> Result<()> {
        either_cursor!(self, db => db.apply_durable(transaction, durability))
    }
}

impl<A: Cursor, B: Cursor> Cursor for Either<A, B> {
    fn seek(&mut self, key: &[u8]) {
        either_cursor!(self, cursor => cursor.seek(key));
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        either_cursor!(self, cursor => cursor.seek_for_prev(key));
    }

    fn seek_to_first(&mut self) {
        either_cursor!(self, cursor => cursor.seek_to_first());
    }

    fn seek_to_last(&mut self) {
        either_cursor!(self, cursor => cursor.seek_to_last());
    }

    fn next(&mut self) {
        either_cursor!(self, cursor => cursor.next());
    }

    fn prev(&mut self) {
        either_cursor!(self, cursor => cursor.prev());
    }

    fn key(&self) -> Option<&[u8]> {
        either_cursor!(self, cursor => cursor.key())
    }

    fn value(&self) -> Option<&[u8]> {
        either_cursor!(self, cursor => cursor.value())
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        either_cursor!(self, cursor => cursor.item())
    }

    fn status(&self) -> Result<()> {
        either_cursor!(self, cursor => cursor.status())
    }

    fn value_error(&self) -> Option<crate::StorageError> {
        either_cursor!(self, cursor => cursor.value_error())
    }
}
