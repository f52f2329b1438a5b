//! [`EncryptedDb`]: the [`Encrypted`] layer over a database, as a database, for code that takes
//! a [`Database`] (the KV, log, views and node stores, the migrator, copies).

use std::ops::{Deref, DerefMut};

use strata_core::{
    Column, Database, Durability, KeyRange, ReadLayer as _, Slice, StorageResult, Store,
    Transaction,
};

use crate::error::EncryptionError;
use crate::key::UnlockKey;
use crate::layer::{Encrypted, EncryptedCursor};

/// A database whose values are sealed: [`Encrypted<Store<D>>`](Encrypted), usable wherever a
/// [`Database`] is. It derefs to the layer for rotation, key changes and the key hasher.
///
/// ```
/// use strata_core::{Column, Database, MemoryDb, versions};
/// use strata_encryption::{EncryptedDb, UnlockKey};
///
/// const MONITORS: Column = Column::new("monitors");
/// let key = UnlockKey::from_bytes([9; 32]);
/// let db = EncryptedDb::create(MemoryDb::new([MONITORS, versions::VERSIONS]), &key)?;
/// db.put(MONITORS, b"channel-1", b"state")?;
/// assert_eq!(db.get(MONITORS, b"channel-1")?.unwrap(), b"state"[..]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct EncryptedDb<D>(Encrypted<Store<D>>);

impl<D: Database> EncryptedDb<D> {
    /// [`Encrypted::open`] over `db`.
    pub fn open(db: D, unlock: &UnlockKey) -> Result<Self, EncryptionError> {
        Encrypted::open(Store::new(db), unlock).map(Self)
    }

    /// [`Encrypted::create`] over `db`, sealing every column it was opened with.
    pub fn create(db: D, unlock: &UnlockKey) -> Result<Self, EncryptionError> {
        let columns = db.columns();
        Encrypted::create(Store::new(db), unlock, &columns).map(Self)
    }

    /// [`EncryptedDb::open`] when `db` has a key ring, [`EncryptedDb::create`] otherwise.
    pub fn open_or_create(db: D, unlock: &UnlockKey) -> Result<Self, EncryptionError> {
        let columns = db.columns();
        Encrypted::open_or_create(Store::new(db), unlock, &columns).map(Self)
    }

    /// The database underneath, where values are sealed.
    pub fn raw(&self) -> &D {
        self.0.inner.db()
    }

    /// Gives back the database underneath.
    pub fn into_inner(self) -> D {
        self.0.inner.into_inner()
    }
}

impl<D> Deref for EncryptedDb<D> {
    type Target = Encrypted<Store<D>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<D> DerefMut for EncryptedDb<D> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<D: Database> Database for EncryptedDb<D> {
    type Cursor<'a>
        = EncryptedCursor<'a, D::Cursor<'a>>
    where
        Self: 'a;

    fn columns(&self) -> Vec<Column> {
        self.raw().columns()
    }

    fn has(&self, column: Column, key: &[u8]) -> StorageResult<bool> {
        self.0.has(column, key)
    }

    fn get(&self, column: Column, key: &[u8]) -> StorageResult<Option<Slice<'_>>> {
        self.0.get(column, key)
    }

    fn get_many(&self, column: Column, keys: &[&[u8]]) -> StorageResult<Vec<Option<Slice<'_>>>> {
        let stored = self.raw().get_many(column, keys)?;
        stored
            .into_iter()
            .zip(keys)
            .map(|(value, key)| {
                value.map(|value| self.0.open_value(column, key, value)).transpose()
            })
            .collect()
    }

    fn put(&self, column: Column, key: &[u8], value: &[u8]) -> StorageResult<()> {
        self.raw().put(column, key, &self.0.seal(column, key, value)?)
    }

    fn delete(&self, column: Column, key: &[u8]) -> StorageResult<()> {
        crate::layer::check_delete(column, key)?;
        self.raw().delete(column, key)
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> StorageResult<Self::Cursor<'_>> {
        self.0.cursor(column, range)
    }

    fn apply(&self, transaction: &Transaction) -> StorageResult<()> {
        self.raw().apply(&self.0.seal_transaction(transaction)?)
    }

    fn apply_durable(
        &self,
        transaction: &Transaction,
        durability: Durability,
    ) -> StorageResult<()> {
        self.raw().apply_durable(&self.0.seal_transaction(transaction)?, durability)
    }
}
