//! The database a dry run reads: the real one, with the columns the migration would create but
//! the database lacks (a read-only open cannot create them) served as empty ones.

use crate::column::Column;
use crate::database::Database;
use crate::error::{StorageError, StorageResult as Result};
use crate::memory::MemoryDb;
use crate::range::KeyRange;
use crate::transaction::Transaction;
use crate::value::Slice;
use either::Either;

/// `db` with `missing` columns added, empty. It refuses every write: a dry run buffers its
/// writes in a `Temporal` above it and never commits them.
pub(super) struct Padded<'a, D> {
    db: &'a D,
    missing: Vec<Column>,
    empty: MemoryDb,
}

impl<'a, D: Database> Padded<'a, D> {
    /// `db`, with each of `columns` it was not opened with served as an empty column.
    pub(super) fn new(db: &'a D, columns: impl IntoIterator<Item = Column>) -> Result<Self> {
        let mut missing: Vec<Column> = Vec::new();
        for column in columns {
            match db.cursor(column, &KeyRange::all()) {
                Err(StorageError::UnknownColumn(_)) if !missing.contains(&column) => {
                    missing.push(column);
                }
                Ok(_) | Err(StorageError::UnknownColumn(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let empty = MemoryDb::new(missing.iter().copied());
        Ok(Self { db, missing, empty })
    }

    fn is_missing(&self, column: Column) -> bool {
        self.missing.contains(&column)
    }
}

fn refused() -> StorageError {
    StorageError::backend("a dry run writes nothing")
}

impl<D: Database> Database for Padded<'_, D> {
    type Cursor<'c>
        = Either<D::Cursor<'c>, <MemoryDb as Database>::Cursor<'c>>
    where
        Self: 'c;

    fn columns(&self) -> Vec<Column> {
        let mut columns = self.db.columns();
        columns.extend(self.missing.iter().copied());
        columns
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        if self.is_missing(column) { self.empty.get(column, key) } else { self.db.get(column, key) }
    }

    fn put(&self, _: Column, _: &[u8], _: &[u8]) -> Result<()> {
        Err(refused())
    }

    fn delete(&self, _: Column, _: &[u8]) -> Result<()> {
        Err(refused())
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        if self.is_missing(column) {
            self.empty.cursor(column, range).map(Either::Right)
        } else {
            self.db.cursor(column, range).map(Either::Left)
        }
    }

    fn apply(&self, _: &Transaction) -> Result<()> {
        Err(refused())
    }
}
