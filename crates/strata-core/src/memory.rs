//! [`MemoryDb`]: the in-memory backend, with the same semantics as the RocksDB one.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::column::Column;
use crate::database::{Cursor, Database};
use crate::error::{StorageError, StorageResult as Result};
use crate::range::KeyRange;
use crate::transaction::{Op, Transaction};
use crate::value::Slice;

type Tree = BTreeMap<Arc<[u8]>, Arc<[u8]>>;
type SharedEntry = (Arc<[u8]>, Arc<[u8]>);

/// An in-memory [`Database`] for tests, tools and ephemeral state.
///
/// Each column is a sorted map shared copy-on-write with open cursors: a cursor holds the map as
/// it was when the cursor was created, and the first write after that copies the column. Writes
/// are cheap while no cursor is open on their column.
///
/// ```
/// use strata_core::{Column, Database, MemoryDb};
///
/// const NOTES: Column = Column::new("notes");
/// let db = MemoryDb::new([NOTES]);
/// db.put(NOTES, b"k", b"v").unwrap();
/// assert_eq!(db.get(NOTES, b"k").unwrap().unwrap(), b"v"[..]);
/// assert!(db.get(Column::new("other"), b"k").is_err());
/// ```
#[derive(Debug, Default)]
pub struct MemoryDb {
    columns: RwLock<BTreeMap<Column, Arc<Tree>>>,
}

impl MemoryDb {
    /// An empty database with the given columns.
    pub fn new(columns: impl IntoIterator<Item = Column>) -> Self {
        let columns = columns.into_iter().map(|column| (column, Arc::default())).collect();
        Self { columns: RwLock::new(columns) }
    }

    // A panic while a lock is held cannot leave a map half-written: every write below first checks
    // its columns, then only inserts and removes. So a poisoned lock is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Column, Arc<Tree>>> {
        self.columns.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Column, Arc<Tree>>> {
        self.columns.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn unknown(column: Column) -> StorageError {
    StorageError::UnknownColumn(column.name().to_owned())
}

fn tree_mut(columns: &mut BTreeMap<Column, Arc<Tree>>, column: Column) -> Result<&mut Tree> {
    columns.get_mut(&column).map(Arc::make_mut).ok_or_else(|| unknown(column))
}

impl Database for MemoryDb {
    type Cursor<'a> = MemoryCursor;

    fn columns(&self) -> Vec<Column> {
        self.read().keys().copied().collect()
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        let columns = self.read();
        let tree = columns.get(&column).ok_or_else(|| unknown(column))?;
        Ok(tree.get(key).map(|value| Slice::from(Arc::clone(value))))
    }

    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        tree_mut(&mut self.write(), column)?.insert(key.into(), value.into());
        Ok(())
    }

    fn delete(&self, column: Column, key: &[u8]) -> Result<()> {
        tree_mut(&mut self.write(), column)?.remove(key);
        Ok(())
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<MemoryCursor> {
        let tree = Arc::clone(self.read().get(&column).ok_or_else(|| unknown(column))?);
        Ok(MemoryCursor { tree, range: range.clone(), current: None })
    }

    fn apply(&self, transaction: &Transaction) -> Result<()> {
        let mut columns = self.write();
        if let Some(missing) = transaction.columns().find(|column| !columns.contains_key(column)) {
            return Err(unknown(missing));
        }
        for (column, key, op) in transaction.iter() {
            let tree = tree_mut(&mut columns, column)?;
            match op {
                Op::Put(value) => tree.insert(key.into(), Arc::from(value)),
                Op::Delete => tree.remove(key),
            };
        }
        Ok(())
    }
}

/// A cursor over a snapshot of one [`MemoryDb`] column.
#[derive(Debug)]
pub struct MemoryCursor {
    tree: Arc<Tree>,
    range: KeyRange,
    current: Option<SharedEntry>,
}

impl MemoryCursor {
    fn first_from(&self, from: Bound<&[u8]>) -> Option<SharedEntry> {
        let (key, value) = self.tree.range::<[u8], _>((from, Bound::Unbounded)).next()?;
        self.range.contains(key).then(|| (Arc::clone(key), Arc::clone(value)))
    }

    fn last_before(&self, to: Bound<&[u8]>) -> Option<SharedEntry> {
        let (key, value) = self.tree.range::<[u8], _>((Bound::Unbounded, to)).next_back()?;
        self.range.contains(key).then(|| (Arc::clone(key), Arc::clone(value)))
    }
}

impl Cursor for MemoryCursor {
    fn seek(&mut self, key: &[u8]) {
        let from = key.max(self.range.start());
        self.current = self.first_from(Bound::Included(from));
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        self.current = match self.range.end() {
            Some(end) if key >= end => self.last_before(Bound::Excluded(end)),
            _ => self.last_before(Bound::Included(key)),
        };
    }

    fn seek_to_first(&mut self) {
        self.current = self.first_from(Bound::Included(self.range.start()));
    }

    fn seek_to_last(&mut self) {
        self.current = self.last_before(self.range.end().map_or(Bound::Unbounded, Bound::Excluded));
    }

    fn next(&mut self) {
        self.current = match self.current.take() {
            Some((key, _)) => self.first_from(Bound::Excluded(&key)),
            None => None,
        };
    }

    fn prev(&mut self) {
        self.current = match self.current.take() {
            Some((key, _)) => self.last_before(Bound::Excluded(&key)),
            None => None,
        };
    }

    fn key(&self) -> Option<&[u8]> {
        self.current.as_ref().map(|(key, _)| &key[..])
    }

    fn value(&self) -> Option<&[u8]> {
        self.current.as_ref().map(|(_, value)| &value[..])
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}
