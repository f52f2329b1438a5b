//! [`Transaction`]: a sorted set of writes to many columns, applied as one atomic write.

mod writes;

use std::collections::{BTreeMap, btree_map};
use std::ops::Bound;

use self::writes::Span;
pub(crate) use self::writes::{ColumnWrites, Position};
use crate::column::Column;
use crate::error::EncodeError;
use crate::key::AsKeyParts;
use crate::range::KeyRange;
use crate::value::{DataType, Entry};

/// One buffered write, as a transaction hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op<'a> {
    /// Store this value.
    Put(&'a [u8]),
    /// Remove the key.
    Delete,
}

impl<'a> Op<'a> {
    /// The value this write stores, or `None` for a delete.
    pub fn value(self) -> Option<&'a [u8]> {
        match self {
            Op::Put(value) => Some(value),
            Op::Delete => None,
        }
    }
}

/// Writes to many columns, kept sorted by column and key, later writes to a key replacing earlier
/// ones. The transaction owns its keys and values, so nothing needs to outlive it.
///
/// Each column's writes are a log of their bytes, a hash table over it for point reads and
/// rewrites, and a sorted index (the index of RocksDB's `WriteBatchWithIndex`), sorted on the
/// first ordered read once a column holds more than a few dozen keys: a write costs no
/// allocation of its own, and [`clear`] keeps the buffers, so a transaction reused for batch
/// after batch writes without allocating once it has grown to the largest batch (a sort
/// allocates one list of the column's entries). `docs/design.md` describes the layout.
///
/// # Panics
///
/// The writing methods (`put`, `delete`, `write`, `put_entry`) panic on a key or value of
/// 4 GiB − 2 bytes or more, which no write batch of RocksDB's can hold either (it records
/// lengths in 32 bits); the transaction is left unchanged.
///
/// [`clear`]: Transaction::clear
///
/// ```
/// use strata_core::{Column, Op, Transaction};
///
/// const A: Column = Column::new("a");
/// let mut tx = Transaction::new();
/// tx.put(A, b"k", b"v1");
/// tx.put(A, b"k", b"v2");
/// tx.delete(A, b"gone");
/// assert_eq!(tx.get(A, b"k"), Some(Op::Put(b"v2")));
/// assert_eq!(tx.get(A, b"gone"), Some(Op::Delete));
/// assert_eq!(tx.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    columns: BTreeMap<Column, ColumnWrites>,
}

impl PartialEq for Transaction {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Transaction {}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Buffers a put of `value` under `key` in `column`.
    pub fn put(&mut self, column: Column, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.write(column, key.as_ref(), Op::Put(value.as_ref()));
    }

    /// Buffers a delete of `key` in `column`.
    pub fn delete(&mut self, column: Column, key: impl AsRef<[u8]>) {
        self.write(column, key.as_ref(), Op::Delete);
    }

    /// Buffers `op` on `key` in `column`.
    pub fn write(&mut self, column: Column, key: &[u8], op: Op<'_>) {
        self.columns.entry(column).or_default().write(key, op.value());
    }

    /// Buffers a typed put.
    pub fn put_entry<E: Entry>(
        &mut self,
        key: &E,
        value: &E::Value<'_>,
    ) -> Result<(), EncodeError> {
        let bytes = value.as_slice()?;
        self.put(E::COLUMN, key.as_key().as_bytes(), bytes);
        Ok(())
    }

    /// Buffers a typed delete.
    pub fn delete_entry<K: AsKeyParts>(&mut self, key: &K) {
        self.delete(K::COLUMN, key.as_key().as_bytes());
    }

    /// The buffered write to `key` in `column`, if there is one.
    pub fn get(&self, column: Column, key: &[u8]) -> Option<Op<'_>> {
        self.columns.get(&column)?.get(key)
    }

    /// Folds `other` into this transaction; where both write a key, `other`'s write wins (a
    /// delete in `other` replaces a put here, and a put in `other` replaces a delete here).
    pub fn merge(&mut self, other: Transaction) {
        for (column, writes) in other.columns {
            match self.columns.entry(column) {
                btree_map::Entry::Vacant(slot) => {
                    slot.insert(writes);
                }
                btree_map::Entry::Occupied(mut slot) => {
                    let mine = slot.get_mut();
                    for (key, op) in writes.iter() {
                        mine.write(key, op.value());
                    }
                }
            }
        }
    }

    /// Every buffered write, sorted by column then key.
    pub fn iter(&self) -> impl Iterator<Item = (Column, &[u8], Op<'_>)> + '_ {
        self.columns
            .iter()
            .flat_map(|(column, writes)| writes.iter().map(move |(key, op)| (*column, key, op)))
    }

    /// The buffered writes to `column` whose keys fall in `range`, in key order.
    pub fn range(&self, column: Column, range: impl Into<KeyRange>) -> TxRange<'_> {
        self.key_range(column, &range.into())
    }

    /// The buffered writes to `column` within a normalised [`KeyRange`].
    pub fn key_range(&self, column: Column, range: &KeyRange) -> TxRange<'_> {
        let inner = self.columns.get(&column).filter(|_| !range.is_empty()).map(|writes| {
            let front = writes.seek(Bound::Included(range.start()));
            let back = range.end().map_or(writes.end(), |end| writes.seek(Bound::Included(end)));
            writes.span(front, back)
        });
        TxRange { inner }
    }

    /// The buffered writes to one column, for cursors over the transaction.
    pub(crate) fn column_writes(&self, column: Column) -> Option<&ColumnWrites> {
        self.columns.get(&column)
    }

    /// The columns this transaction writes to.
    pub fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns.iter().filter(|(_, writes)| writes.len() > 0).map(|(column, _)| *column)
    }

    /// How many writes are buffered (one per key and column).
    pub fn len(&self) -> usize {
        self.columns.values().map(ColumnWrites::len).sum()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.columns.values().all(|writes| writes.len() == 0)
    }

    /// The total length of the buffered keys and values: what the transaction will write, before
    /// any backend's own framing.
    pub fn bytes(&self) -> usize {
        self.columns.values().map(ColumnWrites::bytes).sum()
    }

    /// Discards every buffered write. The transaction keeps the memory it has grown, ready for
    /// the next writes; drop it (or start a new one) to give that memory back.
    pub fn clear(&mut self) {
        self.columns.values_mut().for_each(ColumnWrites::clear);
    }
}

/// Buffered writes to one column within a range, in key order, from either end.
pub struct TxRange<'a> {
    inner: Option<Span<'a>>,
}

impl<'a> Iterator for TxRange<'a> {
    type Item = (&'a [u8], Op<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.as_mut()?.next()
    }
}

impl DoubleEndedIterator for TxRange<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.as_mut()?.next_back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Column = Column::new("a");
    const B: Column = Column::new("b");

    fn put(value: &[u8]) -> Op<'_> {
        Op::Put(value)
    }

    #[test]
    fn later_writes_replace_earlier_ones() {
        let mut tx = Transaction::new();
        tx.put(A, b"k", b"1");
        tx.delete(A, b"k");
        assert_eq!(tx.get(A, b"k"), Some(Op::Delete));
        tx.put(A, b"k", b"2");
        assert_eq!(tx.get(A, b"k"), Some(put(b"2")));
        assert_eq!(tx.get(B, b"k"), None);
        assert_eq!(tx.len(), 1);
    }

    #[test]
    fn merge_keeps_puts_and_deletes_of_both_sides() {
        let mut first = Transaction::new();
        first.put(A, b"kept", b"1");
        first.put(A, b"overwritten", b"1");
        first.put(A, b"deleted-later", b"1");
        first.delete(A, b"revived-later");
        first.delete(B, b"only-deleted");

        let mut second = Transaction::new();
        second.put(A, b"overwritten", b"2");
        second.delete(A, b"deleted-later");
        second.put(A, b"revived-later", b"2");
        second.put(B, b"new", b"2");

        first.merge(second);
        let all: Vec<_> = first.iter().map(|(c, k, op)| (c.name(), k.to_vec(), op)).collect();
        assert_eq!(
            all,
            vec![
                ("a", b"deleted-later".to_vec(), Op::Delete),
                ("a", b"kept".to_vec(), put(b"1")),
                ("a", b"overwritten".to_vec(), put(b"2")),
                ("a", b"revived-later".to_vec(), put(b"2")),
                ("b", b"new".to_vec(), put(b"2")),
                ("b", b"only-deleted".to_vec(), Op::Delete),
            ]
        );
    }

    #[test]
    fn ranges_in_both_directions_and_empty_ranges() {
        let mut tx = Transaction::new();
        for key in [b"a", b"b", b"c", b"d"] {
            tx.put(A, key, key);
        }
        let keys = |r: TxRange<'_>| r.map(|(k, _)| k.to_vec()).collect::<Vec<_>>();
        assert_eq!(keys(tx.range(A, b"b"..b"d")), vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(
            tx.range(A, b"b"..).rev().map(|(k, _)| k.to_vec()).collect::<Vec<_>>(),
            vec![b"d".to_vec(), b"c".to_vec(), b"b".to_vec()]
        );
        assert!(keys(tx.range(A, b"d"..b"a")).is_empty());
        assert!(keys(tx.range(B, ..)).is_empty());
    }

    #[test]
    fn clear_and_columns() {
        let mut tx = Transaction::new();
        tx.put(B, b"x", b"");
        tx.put(A, b"x", b"");
        assert_eq!(tx.columns().collect::<Vec<_>>(), vec![A, B]);
        tx.clear();
        assert!(tx.is_empty());
        assert_eq!(tx.len(), 0);
    }
}
