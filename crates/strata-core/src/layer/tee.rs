//! [`Tee`]: read from one layer falling back to a second, write to both.

use crate::column::Column;
use crate::error::StorageResult as Result;
use crate::layer::merge::{MergeCursor, Plain};
use crate::layer::{Layer, ReadLayer, WriteLayer};
use crate::range::KeyRange;
use crate::transaction::Transaction;
use crate::value::Slice;

/// Two layers as one: reads come from the first and fall back to the second when the key is
/// absent there; writes go to the first, then the second; iteration merges both, the first
/// winning on equal keys.
///
/// **Atomicity.** Each write is atomic within each layer exactly as that layer promises (an
/// `apply` to a `Store` is one atomic batch). It is *not* atomic across the two: the first layer
/// is written first, and if that fails the second is not touched; if the second then fails, the
/// first keeps the write and the second's error is returned. A reader of the `Tee` between the
/// two writes sees the new value, because the first layer answers first.
///
/// ```
/// use strata_core::{Column, MemoryDb, ReadLayer, Store, Tee, WriteLayer};
///
/// const C: Column = Column::new("c");
/// let cache = Store::new(MemoryDb::new([C]));
/// let mut archive = Store::new(MemoryDb::new([C]));
/// archive.put(C, b"old", b"archived")?;
///
/// let mut both = Tee::new(cache, archive);
/// both.put(C, b"new", b"written to both")?;
/// assert_eq!(both.get(C, b"old")?.unwrap(), b"archived"[..]);
/// assert_eq!(both.iter(C, ..)?.count(), 2);
/// # Ok::<(), strata_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Tee<A, B> {
    layers: (A, B),
}

impl<A, B> Tee<A, B> {
    /// Joins `first` (read first) and `second` (the fallback).
    pub fn new(first: A, second: B) -> Self {
        Self { layers: (first, second) }
    }

    /// The first layer.
    pub fn first(&self) -> &A {
        &self.layers.0
    }

    /// The second layer.
    pub fn second(&self) -> &B {
        &self.layers.1
    }

    /// The second layer, mutably (to write to it alone).
    pub fn second_mut(&mut self) -> &mut B {
        &mut self.layers.1
    }
}

impl<A, B> Layer for Tee<A, B> {
    type Base = (A, B);

    fn base(&self) -> &(A, B) {
        &self.layers
    }

    fn base_mut(&mut self) -> &mut (A, B) {
        &mut self.layers
    }

    fn into_base(self) -> (A, B) {
        self.layers
    }
}

impl<A: ReadLayer, B: ReadLayer> ReadLayer for Tee<A, B> {
    type Cursor<'a>
        = MergeCursor<Plain<A::Cursor<'a>>, B::Cursor<'a>>
    where
        Self: 'a;

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        Ok(self.layers.0.has(column, key)? || self.layers.1.has(column, key)?)
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        match self.layers.0.get(column, key)? {
            Some(value) => Ok(Some(value)),
            None => self.layers.1.get(column, key),
        }
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        let first = self.layers.0.cursor(column, range)?;
        let second = self.layers.1.cursor(column, range)?;
        Ok(MergeCursor::new(Plain(first), second))
    }
}

impl<A: WriteLayer, B: WriteLayer> WriteLayer for Tee<A, B> {
    fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        self.layers.0.put(column, key, value)?;
        self.layers.1.put(column, key, value)
    }

    fn delete(&mut self, column: Column, key: &[u8]) -> Result<()> {
        self.layers.0.delete(column, key)?;
        self.layers.1.delete(column, key)
    }

    fn apply(&mut self, transaction: &Transaction) -> Result<()> {
        self.layers.0.apply(transaction)?;
        self.layers.1.apply(transaction)
    }
}
