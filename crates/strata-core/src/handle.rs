//! [`Handle`]: typed reads and writes through any layer.

use std::ops::{Bound, RangeBounds};

use crate::error::{Error, Result};
use crate::iter::Structured;
use crate::key::{AsKeyParts, HasPrefix, KeyComponent, encode_component};
use crate::layer::{ReadLayer, WriteLayer};
use crate::range::KeyRange;
use crate::value::{DataType, Entry};

/// Typed access to a layer: keys and values are the types an [`Entry`] declares.
///
/// ```
/// use strata_core::{key, Column, Entry, MemoryDb, Store};
///
/// const SCORES: Column = Column::new("scores").with_prefix_len(4);
/// key! { pub struct Score in SCORES { game: u32, player: u64 } }
/// impl Entry for Score { type Value<'a> = String; }
///
/// let mut store = Store::new(MemoryDb::new([SCORES]));
/// let mut scores = store.handle();
/// scores.put(&Score { game: 1, player: 2 }, &"gold".to_owned())?;
/// scores.put(&Score { game: 1, player: 1 }, &"silver".to_owned())?;
/// scores.put(&Score { game: 2, player: 1 }, &"bronze".to_owned())?;
///
/// assert_eq!(scores.get(&Score { game: 1, player: 2 })?.as_deref(), Some("gold"));
/// let game_one: Vec<_> = scores.iter_prefix::<Score, _>(&1_u32)?.collect::<Result<_, _>>()?;
/// assert_eq!(game_one.len(), 2);
/// assert_eq!(game_one[0].0, Score { game: 1, player: 1 });
/// # Ok::<(), strata_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Handle<L> {
    layer: L,
}

impl<L> Handle<L> {
    /// Typed access to `layer`.
    pub fn new(layer: L) -> Self {
        Self { layer }
    }

    /// The layer underneath.
    pub fn layer(&self) -> &L {
        &self.layer
    }

    /// The layer underneath, mutably.
    pub fn layer_mut(&mut self) -> &mut L {
        &mut self.layer
    }

    /// Gives the layer back.
    pub fn into_inner(self) -> L {
        self.layer
    }
}

impl<L: ReadLayer> Handle<L> {
    /// Whether an entry is stored under `key`.
    pub fn has<E: Entry>(&self, key: &E) -> Result<bool> {
        Ok(self.layer.has(E::COLUMN, key.as_key().as_bytes())?)
    }

    /// The value stored under `key`, decoded.
    pub fn get<E: Entry>(&self, key: &E) -> Result<Option<E::Value<'_>>> {
        match self.layer.get(E::COLUMN, key.as_key().as_bytes())? {
            Some(slice) => Ok(Some(E::Value::from_slice(slice)?)),
            None => Ok(None),
        }
    }

    /// Entries of type `E` whose keys fall in `range`, in key order.
    pub fn iter<E: Entry>(
        &self,
        range: impl RangeBounds<E>,
    ) -> Result<Structured<E, L::Cursor<'_>>> {
        let encode = |bound: Bound<&E>| bound.map(|key| key.as_key().as_bytes().to_vec());
        let (start, end) = (encode(range.start_bound()), encode(range.end_bound()));
        Ok(Structured::new(self.layer.iter_range(E::COLUMN, KeyRange::from((start, end)))?))
    }

    /// Entries of type `E` whose keys begin with `prefix`, in key order.
    pub fn iter_prefix<E: Entry + HasPrefix<P>, P: KeyComponent>(
        &self,
        prefix: &P,
    ) -> Result<Structured<E, L::Cursor<'_>>> {
        let range = KeyRange::prefix(&encode_component(prefix));
        Ok(Structured::new(self.layer.iter_range(E::COLUMN, range)?))
    }
}

impl<L: WriteLayer> Handle<L> {
    /// Stores `value` under `key`.
    pub fn put<E: Entry>(&mut self, key: &E, value: &E::Value<'_>) -> Result<()> {
        let bytes = value.as_slice().map_err(Error::from)?;
        Ok(self.layer.put(E::COLUMN, key.as_key().as_bytes(), &bytes)?)
    }

    /// Removes the entry under `key`.
    pub fn delete<K: AsKeyParts>(&mut self, key: &K) -> Result<()> {
        Ok(self.layer.delete(K::COLUMN, key.as_key().as_bytes())?)
    }
}
