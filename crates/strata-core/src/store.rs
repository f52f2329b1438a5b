//! [`Store`]: the base layer, directly over a [`Database`].

use crate::column::Column;
use crate::database::Database;
use crate::error::StorageResult as Result;
use crate::handle::Handle;
use crate::layer::{Layer, ReadLayer, WriteLayer};
use crate::range::KeyRange;
use crate::transaction::Transaction;
use crate::value::Slice;

/// The base layer: every read and write goes straight to the database.
///
/// ```
/// use strata_core::{Column, MemoryDb, ReadLayer, Store, WriteLayer};
///
/// const LOG: Column = Column::new("log");
/// let mut store = Store::new(MemoryDb::new([LOG]));
/// for n in 0_u8..5 {
///     store.put(LOG, &[n], b"entry")?;
/// }
/// let last_two: Vec<_> = store.iter(LOG, ..)?.rev().take(2).collect::<Result<_, _>>()?;
/// assert_eq!(last_two[0].0[..], [4]);
/// assert_eq!(last_two[1].0[..], [3]);
/// # Ok::<(), strata_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Store<D> {
    db: D,
}

impl<D: Database> Store<D> {
    /// A store over `db`.
    pub fn new(db: D) -> Self {
        Self { db }
    }

    /// The database underneath.
    pub fn db(&self) -> &D {
        &self.db
    }

    /// Gives the database back.
    pub fn into_inner(self) -> D {
        self.db
    }

    /// Typed reads and writes through this store.
    pub fn handle(&mut self) -> Handle<&mut Self> {
        Handle::new(self)
    }
}

impl<D> Layer for Store<D> {
    type Base = D;

    fn base(&self) -> &D {
        &self.db
    }

    fn base_mut(&mut self) -> &mut D {
        &mut self.db
    }

    fn into_base(self) -> D {
        self.db
    }
}

impl<D: Database> ReadLayer for Store<D> {
    type Cursor<'a>
        = D::Cursor<'a>
    where
        Self: 'a;

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        self.db.has(column, key)
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        self.db.get(column, key)
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        self.db.cursor(column, range)
    }
}

impl<D: Database> WriteLayer for Store<D> {
    fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        self.db.put(column, key, value)
    }

    fn delete(&mut self, column: Column, key: &[u8]) -> Result<()> {
        self.db.delete(column, key)
    }

    fn apply(&mut self, transaction: &Transaction) -> Result<()> {
        self.db.apply(transaction)
    }
}
