//! Layers: the read and write interface shared by the base [`Store`](crate::Store) and every
//! layer stacked on it, and the layers themselves.
//!
//! A [`ReadLayer`] answers point reads and opens cursors; a [`WriteLayer`] also accepts writes.
//! Iteration, prefix scans and typed access are provided on top of those few methods, so each
//! layer implements only what makes it different. A [`Layer`] sits on another layer.
//!
//! | layer | reads | writes |
//! |---|---|---|
//! | [`Store`](crate::Store) | the database | the database |
//! | [`Temporal`] | its buffer, then the inner layer | its buffer, until `commit` |
//! | [`ReadOnly`] | the inner layer | none: not a `WriteLayer` |
//! | [`Tee`] | the first layer, then the second | both |
//!
//! They compose freely: `ReadOnly<Temporal<Store<D>>>`, `Temporal<Temporal<Store<D>>>`,
//! `Temporal<Tee<Store<D>, Store<E>>>`, …
//!
//! A new layer writes only what makes it different: the [`forward`] macros,
//! [`forward_read_layer!`](crate::forward_read_layer) and
//! [`forward_write_layer!`](crate::forward_write_layer), write the methods it passes through to
//! the layer below.

pub mod forward;
pub mod merge;
mod read_only;
mod tee;
mod temporal;

pub use read_only::ReadOnly;
pub use tee::Tee;
pub use temporal::Temporal;

use crate::column::Column;
use crate::database::Cursor;
use crate::error::StorageResult as Result;
use crate::iter::Unstructured;
use crate::range::KeyRange;
use crate::transaction::Transaction;
use crate::value::Slice;

/// A layer stacked on another layer (or, for `Tee`, on a pair of them).
pub trait Layer {
    /// What this layer sits on.
    type Base;

    /// The layer underneath.
    fn base(&self) -> &Self::Base;

    /// The layer underneath, mutably: for example to commit an inner `Temporal`.
    fn base_mut(&mut self) -> &mut Self::Base;

    /// Takes this layer apart, giving back what it sits on.
    fn into_base(self) -> Self::Base;
}

/// Read access to columns of bytes.
pub trait ReadLayer {
    /// The cursor type this layer reads ranges with.
    type Cursor<'a>: Cursor
    where
        Self: 'a;

    /// Whether `key` is present in `column`.
    fn has(&self, column: Column, key: &[u8]) -> Result<bool>;

    /// The value stored under `key` in `column`, if any.
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>>;

    /// A cursor over the keys of `column` within `range`.
    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>>;

    /// Raw entries of `column` within `range`, in key order (use `rev()` for reverse order).
    fn iter(
        &self,
        column: Column,
        range: impl Into<KeyRange>,
    ) -> Result<Unstructured<Self::Cursor<'_>>> {
        self.iter_range(column, range.into())
    }

    /// Raw entries of `column` whose keys start with `prefix`, in key order.
    fn iter_prefix(&self, column: Column, prefix: &[u8]) -> Result<Unstructured<Self::Cursor<'_>>> {
        self.iter_range(column, KeyRange::prefix(prefix))
    }

    /// Raw entries of `column` within a normalised range.
    fn iter_range(
        &self,
        column: Column,
        range: KeyRange,
    ) -> Result<Unstructured<Self::Cursor<'_>>> {
        let cursor = self.cursor(column, &range)?;
        Ok(Unstructured::new(cursor, range))
    }
}

/// Write access on top of [`ReadLayer`].
pub trait WriteLayer: ReadLayer {
    /// Stores `value` under `key` in `column`.
    fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> Result<()>;

    /// Removes `key` from `column`.
    fn delete(&mut self, column: Column, key: &[u8]) -> Result<()>;

    /// Applies every write of `transaction`, atomically where the layer promises it.
    fn apply(&mut self, transaction: &Transaction) -> Result<()>;
}

impl<L: ReadLayer + ?Sized> ReadLayer for &L {
    type Cursor<'a>
        = L::Cursor<'a>
    where
        Self: 'a;

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        (**self).has(column, key)
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        (**self).get(column, key)
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        (**self).cursor(column, range)
    }
}

impl<L: ReadLayer + ?Sized> ReadLayer for &mut L {
    type Cursor<'a>
        = L::Cursor<'a>
    where
        Self: 'a;

    fn has(&self, column: Column, key: &[u8]) -> Result<bool> {
        (**self).has(column, key)
    }

    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Slice<'_>>> {
        (**self).get(column, key)
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> Result<Self::Cursor<'_>> {
        (**self).cursor(column, range)
    }
}

impl<L: WriteLayer + ?Sized> WriteLayer for &mut L {
    fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> Result<()> {
        (**self).put(column, key, value)
    }

    fn delete(&mut self, column: Column, key: &[u8]) -> Result<()> {
        (**self).delete(column, key)
    }

    fn apply(&mut self, transaction: &Transaction) -> Result<()> {
        (**self).apply(transaction)
    }
}
