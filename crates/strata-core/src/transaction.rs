//! [`Transaction`]: a sorted set of writes to many columns, applied as one atomic write.

use std::collections::BTreeMap;
use std::collections::btree_map;

use crate::column::Column;
use crate::error::EncodeError;
use crate::key::AsKeyParts;
use crate::range::KeyRange;
use crate::value::{DataType, Entry};

/// One buffered write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Store this value.
    Put(Box<[u8]>),
    /// Remove the key.
    Delete,
}

impl Op {
    /// The value this write stores, or `None` for a delete.
    pub fn value(&self) -> Option<&[u8]> {
        match self {
            Op::Put(value) => Some(value),
            Op::Delete => None,
        }
    }
}

/// Writes to many columns, kept sorted by column and key, later writes to a key replacing earlier
/// ones. The transaction owns its keys and values; nothing needs to outlive it.
///
/// ```
/// use strata_core::{Column, Op, Transaction};
///
/// const A: Column = Column::new("a");
/// let mut tx = Transaction::new();
/// tx.put(A, b"k", b"v1");
/// tx.put(A, b"k", b"v2");
/// tx.delete(A, b"gone");
/// assert_eq!(tx.get(A, b"k"), Some(&Op::Put(b"v2".to_vec().into())));
/// assert_eq!(tx.get(A, b"gone"), Some(&Op::Delete));
/// assert_eq!(tx.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    columns: BTreeMap<Column, BTreeMap<Box<[u8]>, Op>>,
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Buffers a put of `value` under `key` in `column`.
    pub fn put(&mut self, column: Column, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let op = Op::Put(value.as_ref().into());
        self.columns.entry(column).or_default().insert(key.as_ref().into(), op);
    }

    /// Buffers a delete of `key` in `column`.
    pub fn delete(&mut self, column: Column, key: impl AsRef<[u8]>) {
        self.columns.entry(column).or_default().insert(key.as_ref().into(), Op::Delete);
    }

    /// Buffers a typed put.
    pub fn put_entry<E: Entry>(
        &mut self,
        key: &E,
        value: &E::Value<'_>,
    ) -> Result<(), EncodeError> {
        let bytes = value.as_slice()?.into_boxed();
        self.put(E::COLUMN, key.as_key().as_bytes(), bytes);
        Ok(())
    }

    /// Buffers a typed delete.
    pub fn delete_entry<K: AsKeyParts>(&mut self, key: &K) {
        self.delete(K::COLUMN, key.as_key().as_bytes());
    }

    /// The buffered write to `key` in `column`, if there is one.
    pub fn get(&self, column: Column, key: &[u8]) -> Option<&Op> {
        self.columns.get(&column)?.get(key)
    }

    /// Folds `other` into this transaction; where both write a key, `other`'s write wins (a
    /// delete in `other` replaces a put here, and a put in `other` replaces a delete here).
    pub fn merge(&mut self, other: Transaction) {
        for (column, ops) in other.columns {
            match self.columns.entry(column) {
                btree_map::Entry::Vacant(slot) => {
                    slot.insert(ops);
                }
                btree_map::Entry::Occupied(mut slot) => slot.get_mut().extend(ops),
            }
        }
    }

    /// Every buffered write, sorted by column then key.
    pub fn iter(&self) -> impl Iterator<Item = (Column, &[u8], &Op)> + '_ {
        self.columns
            .iter()
            .flat_map(|(column, ops)| ops.iter().map(move |(key, op)| (*column, &key[..], op)))
    }

    /// The buffered writes to `column` whose keys fall in `range`, in key order.
    pub fn range(&self, column: Column, range: impl Into<KeyRange>) -> TxRange<'_> {
        self.key_range(column, &range.into())
    }

    /// The buffered writes to `column` within a normalised [`KeyRange`].
    pub fn key_range(&self, column: Column, range: &KeyRange) -> TxRange<'_> {
        let inner = match self.columns.get(&column) {
            // `BTreeMap::range` panics on inverted ranges, so empty ones never reach it.
            Some(ops) if !range.is_empty() => Some(ops.range::<[u8], _>(range.as_bounds())),
            _ => None,
        };
        TxRange { inner }
    }

    /// The buffered writes to one column, for cursors over the transaction.
    pub(crate) fn column_ops(&self, column: Column) -> Option<&BTreeMap<Box<[u8]>, Op>> {
        self.columns.get(&column)
    }

    /// The columns this transaction writes to.
    pub fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns.iter().filter(|(_, ops)| !ops.is_empty()).map(|(column, _)| *column)
    }

    /// How many writes are buffered.
    pub fn len(&self) -> usize {
        self.columns.values().map(BTreeMap::len).sum()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.columns.values().all(BTreeMap::is_empty)
    }

    /// Discards every buffered write.
    pub fn clear(&mut self) {
        self.columns.clear();
    }
}

/// Buffered writes to one column within a range, in key order, from either end.
pub struct TxRange<'a> {
    inner: Option<btree_map::Range<'a, Box<[u8]>, Op>>,
}

impl<'a> Iterator for TxRange<'a> {
    type Item = (&'a [u8], &'a Op);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.as_mut()?.next().map(|(key, op)| (&key[..], op))
    }
}

impl DoubleEndedIterator for TxRange<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.as_mut()?.next_back().map(|(key, op)| (&key[..], op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Column = Column::new("a");
    const B: Column = Column::new("b");

    fn put(value: &[u8]) -> Op {
        Op::Put(value.into())
    }

    #[test]
    fn later_writes_replace_earlier_ones() {
        let mut tx = Transaction::new();
        tx.put(A, b"k", b"1");
        tx.delete(A, b"k");
        assert_eq!(tx.get(A, b"k"), Some(&Op::Delete));
        tx.put(A, b"k", b"2");
        assert_eq!(tx.get(A, b"k"), Some(&put(b"2")));
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
        let all: Vec<_> =
            first.iter().map(|(c, k, op)| (c.name(), k.to_vec(), op.clone())).collect();
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
