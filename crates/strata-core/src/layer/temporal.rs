//! [`Temporal`]: buffer writes, read them back, commit them atomically or drop them.

use crate::column::Column;
use crate::error::StorageResult as Result;
use crate::layer::merge::{MergeCursor, ShadowCursor};
use crate::layer::{Layer, ReadLayer, WriteLayer};
use crate::range::KeyRange;
use crate::transaction::{Op, Transaction};
use crate::value::Slice;

/// A write buffer over a layer.
///
/// Writes go to a shadow [`Transaction`]; reads consult the shadow first (a buffered delete hides
/// the key underneath) and fall through to the inner layer. Iteration is a sorted merge of the
/// shadow and the inner layer: each key once, the shadow winning, deletes hiding, in either
/// direction and with `seek`. [`Temporal::commit`] applies the whole shadow to the inner layer in
/// one `apply` and empties it; dropping the layer without committing discards the shadow.
///
/// ```
/// use strata_core::{Column, MemoryDb, ReadLayer, Store, Temporal, WriteLayer};
///
/// const STATE: Column = Column::new("state");
/// let mut store = Store::new(MemoryDb::new([STATE]));
/// store.put(STATE, b"a", b"committed")?;
///
/// let mut call = Temporal::new(&mut store);
/// call.put(STATE, b"b", b"buffered")?;
/// call.delete(STATE, b"a")?;
/// let seen: Vec<_> = call.iter(STATE, ..)?.map(|e| e.map(|(k, _)| k)).collect::<Result<_, _>>()?;
/// assert_eq!(seen, [b"b".to_vec().into()]);
/// call.commit()?;
///
/// assert!(store.get(STATE, b"a")?.is_none());
/// assert_eq!(store.get(STATE, b"b")?.unwrap(), b"buffered"[..]);
/// # Ok::<(), strata_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Temporal<L> {
    inner: L,
    shadow: Transaction,
}

impl<L> Temporal<L> {
    /// An empty buffer over `inner`.
    pub fn new(inner: L) -> Self {
        Self { inner, shadow: Transaction::new() }
    }

    /// The buffered writes.
    pub fn shadow(&self) -> &Transaction {
        &self.shadow
    }

    /// Takes the buffered writes out, leaving the buffer empty: for committing them some other way
    /// (merged into a larger transaction, say).
    pub fn take_shadow(&mut self) -> Transaction {
        std::mem::take(&mut self.shadow)
    }

    /// Discards every buffered write.
    pub fn rollback(&mut self) {
        self.shadow.clear();
    }

    /// Commits the buffered writes, as [`Temporal::commit`] does, and gives the inner layer back.
    pub fn commit_into_inner(mut self) -> Result<L>
    where
        L: WriteLayer,
    {
        self.commit()?;
        Ok(self.inner)
    }
}

impl<L: WriteLayer> Temporal<L> {
    /// Applies every buffered write to the inner layer in one `apply` — atomically when the inner
    /// layer's `apply` is — and empties the buffer, so a second commit writes nothing. If the
    /// inner layer refuses, the buffer is kept and the error returned.
    pub fn commit(&mut self) -> Result<()> {
        if self.shadow.is_empty() {
            return Ok(());
        }
        self.inner.apply(&self.shadow)?;
        self.shadow.clear();
        Ok(())
    }
}

impl<L> Layer for Temporal<L> {
    type Base = L;

    fn base(&self) -> &L {
        &self.inner
    }

    fn base_mut(&mut self) -> &mut L {
        &mut self.inner
    }

    /// Gives the inner layer back, discarding uncommitted writes.
    fn into_base(self) -> L {
        self.inner
    }
}

impl<L: ReadLayer> ReadLayer for Temporal<L> {
    type Cursor<'a>
        = MergeCursor<ShadowCursor<'a>, L::Cursor<'a>>
    where
        Self: 'a;

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        match self.shadow.get(column, key) {
            Some(Op::Put(_)) => Ok(true),
            Some(Op::Delete) => Ok(false),
            None => self.inner.has(column, key),
        }
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        match self.shadow.get(column, key) {
            Some(Op::Put(value)) => Ok(Some(Slice::from(value))),
            Some(Op::Delete) => Ok(None),
            None => self.inner.get(column, key),
        }
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        let base = self.inner.cursor(column, range)?;
        let shadow = ShadowCursor::new(self.shadow.column_writes(column), range.clone());
        Ok(MergeCursor::new(shadow, base))
    }
}

impl<L: ReadLayer> WriteLayer for Temporal<L> {
    fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        self.shadow.put(column, key, value);
        Ok(())
    }

    fn delete(&mut self, column: Column, key: &[u8]) -> Result<()> {
        self.shadow.delete(column, key);
        Ok(())
    }

    /// Buffers every write of `transaction`; later writes win over earlier buffered ones.
    fn apply(&mut self, transaction: &Transaction) -> Result<()> {
        for (column, key, op) in transaction.iter() {
            self.shadow.write(column, key, op);
        }
        Ok(())
    }
}
