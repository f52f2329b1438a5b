//! [`EtcdSnapshot`]: the database as it was at one revision, read-only — what a copy or a
//! backup reads so that every column comes from the same moment.

use strata_core::{
    Column, Database, KeyRange, Slice, StorageError, StorageResult as Result, Transaction,
};

use crate::cursor::EtcdCursor;
use crate::db::EtcdDb;

/// Every column of an [`EtcdDb`] as it was at one revision: gets, `get_many` and cursors all read
/// that revision, and every write is refused. RocksDB's snapshot is implicit in a read-only open;
/// etcd's is a revision, which this pins.
///
/// It reads until the cluster compacts the revision away; then each read fails with
/// [`EtcdError::SnapshotExpired`](crate::EtcdError::SnapshotExpired).
#[derive(Debug)]
pub struct EtcdSnapshot<'a> {
    db: &'a EtcdDb,
    revision: i64,
}

impl<'a> EtcdSnapshot<'a> {
    /// The database as it is now (at the cluster's current revision).
    ///
    /// # Errors
    ///
    /// The cluster failing.
    pub fn new(db: &'a EtcdDb) -> Result<Self> {
        Ok(Self::at(db, db.revision()?))
    }

    /// The database as it was at `revision`.
    pub fn at(db: &'a EtcdDb, revision: i64) -> Self {
        Self { db, revision }
    }

    /// The revision it reads.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// How many entries `column` held at the revision.
    ///
    /// # Errors
    ///
    /// An unknown column, or the cluster failing.
    pub fn count_entries(&self, column: Column) -> Result<u64> {
        self.db.count_entries_at(column, Some(self.revision))
    }

    /// [`EtcdDb::unaccounted_keys`] at the revision: keys under the root outside every column
    /// of the handle and the registry, which reading those columns would miss.
    ///
    /// # Errors
    ///
    /// The cluster failing.
    pub fn unaccounted_keys(&self) -> Result<u64> {
        self.db.unaccounted_keys_at(Some(self.revision)).map(|(_, unaccounted)| unaccounted)
    }
}

fn refused() -> StorageError {
    StorageError::backend("an etcd snapshot is read-only")
}

impl Database for EtcdSnapshot<'_> {
    type Cursor<'c>
        = EtcdCursor<'c>
    where
        Self: 'c;

    fn columns(&self) -> Vec<Column> {
        self.db.columns()
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        self.db.get_at(column, key, Some(self.revision))
    }

    fn get_many(&self, column: Column, keys: &[&[u8]]) -> Result<Vec<Option<Slice<'_>>>> {
        self.db.get_many_at(column, keys, Some(self.revision))
    }

    fn put(&self, _: Column, _: &[u8], _: &[u8]) -> Result<()> {
        Err(refused())
    }

    fn delete(&self, _: Column, _: &[u8]) -> Result<()> {
        Err(refused())
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        self.db.cursor_at(column, range, self.revision)
    }

    fn apply(&self, _: &Transaction) -> Result<()> {
        Err(refused())
    }
}
