//! [`Encrypted`]: the layer that seals values on the way down and opens them on the way up.

use std::cell::{Cell, OnceCell};

use strata_core::{
    Column, Cursor, KeyRange, Layer, ReadLayer, Slice, StorageError, StorageResult, Transaction,
    WriteLayer,
};
use zeroize::Zeroize as _;

use crate::error::EncryptionError;
use crate::hash::KeyHasher;
use crate::key::UnlockKey;
use crate::ring::{Keys, ProgressKind, ring_key};

/// A layer that encrypts every value written through it and authenticates every value read.
///
/// Values are sealed with AES-256-GCM-SIV under the database's newest value key, with a fresh
/// random nonce and associated data binding the column, the key and the key's version: a value
/// copied to another key or column, relabelled, put back from before a rotation, or altered in
/// any bit reads as [`StorageError::Tampered`] for that entry (an iterator reports it and goes
/// on). Keys stay in the clear, so ordering, ranges and prefix scans work unchanged; where a
/// key component must not show, hash it with [`Encrypted::key_hasher`]. The meta column
/// ([`VERSIONS`](strata_core::versions::VERSIONS)) passes through unsealed: it holds schema
/// versions and the key ring, wrapped by the caller's [`UnlockKey`]. `docs/security.md` has the
/// threat model.
///
/// Put it directly over the store, under any buffering layer:
/// `Temporal<Encrypted<Store<D>>>` buffers plaintext in memory and seals once per key at
/// commit. For code that takes a [`Database`](strata_core::Database) (the KV, log and node
/// stores), [`EncryptedDb`](crate::EncryptedDb) is the same thing as a database.
///
/// ```
/// use strata_core::{Column, Database, MemoryDb, ReadLayer, StorageError, Store, WriteLayer};
/// use strata_core::versions;
/// use strata_encryption::{Encrypted, UnlockKey};
///
/// const SECRETS: Column = Column::new("secrets");
/// let db = MemoryDb::new([SECRETS, versions::VERSIONS]);
/// let key = UnlockKey::from_bytes([42; 32]);
///
/// let mut encrypted = Encrypted::create(Store::new(&db), &key, &[SECRETS])?;
/// encrypted.put(SECRETS, b"alice", b"seed words")?;
/// assert_eq!(encrypted.get(SECRETS, b"alice")?.unwrap(), b"seed words"[..]);
///
/// // Underneath, the value is sealed; moved to another key it no longer opens.
/// let sealed = db.get(SECRETS, b"alice")?.unwrap().into_vec();
/// assert!(!sealed.windows(10).any(|w| w == b"seed words"));
/// db.put(SECRETS, b"mallory", &sealed)?;
/// assert!(matches!(
///     encrypted.get(SECRETS, b"mallory"),
///     Err(StorageError::Tampered { .. })
/// ));
///
/// // Another key does not open the database at all.
/// let wrong = Encrypted::open(Store::new(&db), &UnlockKey::from_bytes([7; 32]));
/// assert!(matches!(wrong, Err(strata_encryption::EncryptionError::WrongKey)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Encrypted<L> {
    pub(crate) inner: L,
    pub(crate) keys: Keys,
}

impl<L> Encrypted<L> {
    /// The version of the key new writes are sealed under (1 for a new database, one more per
    /// rotation).
    pub fn key_version(&self) -> u32 {
        self.keys.current().version()
    }

    /// The key versions the ring holds, oldest first: one, or two while a rotation runs.
    pub fn key_versions(&self) -> Vec<u32> {
        self.keys.versions()
    }

    /// Whether a rotation was started and has not finished (values under the older key are
    /// still being resealed; both keys read).
    pub fn is_rotating(&self) -> bool {
        matches!(self.keys.progress(), Some(p) if matches!(p.kind, ProgressKind::Rotating { .. }))
    }

    /// A keyed hash for key components that must not be stored in the clear.
    pub fn key_hasher(&self) -> KeyHasher<'_> {
        KeyHasher::new(self.keys.hashing())
    }

    /// Seals `value` for `key` in `column` under the newest key; the meta column is not sealed.
    pub(crate) fn seal(&self, column: Column, key: &[u8], value: &[u8]) -> StorageResult<Vec<u8>> {
        if Keys::is_meta(column) {
            guard_ring(key)?;
            return Ok(value.to_vec());
        }
        Ok(self.keys.current().seal(column.name(), key, value))
    }

    /// `transaction` with every value sealed.
    pub(crate) fn seal_transaction(&self, transaction: &Transaction) -> StorageResult<Transaction> {
        let mut sealed = Transaction::new();
        for (column, key, op) in transaction.iter() {
            if let Some(value) = op.value() {
                sealed.put(column, key, self.seal(column, key, value)?);
            } else {
                check_delete(column, key)?;
                sealed.delete(column, key);
            }
        }
        Ok(sealed)
    }

    /// Opens a value read at `key` of `column`.
    pub(crate) fn open_value<'a>(
        &self,
        column: Column,
        key: &[u8],
        stored: Slice<'a>,
    ) -> StorageResult<Slice<'a>> {
        if Keys::is_meta(column) {
            return Ok(stored);
        }
        let mut out = Vec::new();
        if self.keys.open_value(column.name(), key, &stored, &mut out) {
            Ok(Slice::from(out))
        } else {
            Err(tampered(column, key))
        }
    }
}

/// Refuses a delete of the key ring.
pub(crate) fn check_delete(column: Column, key: &[u8]) -> StorageResult<()> {
    if Keys::is_meta(column) {
        guard_ring(key)?;
    }
    Ok(())
}

/// The key ring is written by this crate alone: a write to it through the layer would lock the
/// database's keys away or replace them.
fn guard_ring(key: &[u8]) -> StorageResult<()> {
    if key == ring_key() {
        return Err(StorageError::backend(
            "the key ring in `strata_versions` is written only by the encryption layer itself",
        ));
    }
    Ok(())
}

pub(crate) fn tampered(column: Column, key: &[u8]) -> StorageError {
    StorageError::Tampered { column: column.name().to_owned(), key: key.to_vec() }
}

impl<L: ReadLayer> Encrypted<L> {
    /// Opens an encrypted database through `inner` with the caller's key.
    ///
    /// Reads the key ring alone: with a wrong key this is [`EncryptionError::WrongKey`] before
    /// any value is read. A database whose conversion from plaintext was interrupted is
    /// [`EncryptionError::Unfinished`]; one never encrypted is
    /// [`EncryptionError::NotEncrypted`].
    pub fn open(inner: L, unlock: &UnlockKey) -> Result<Self, EncryptionError> {
        let stored = inner.get(strata_core::versions::VERSIONS, &ring_key())?.map(Slice::into_vec);
        let Some(stored) = stored else { return Err(EncryptionError::NotEncrypted) };
        let keys = Keys::unlock(&stored, unlock)?;
        if let Some(progress) = keys.progress()
            && progress.kind == ProgressKind::Encrypting
        {
            return Err(EncryptionError::Unfinished { column: progress.column.clone() });
        }
        Ok(Self { inner, keys })
    }

    /// Whether the database under `inner` has a key ring.
    pub fn is_encrypted(inner: &L) -> StorageResult<bool> {
        inner.has(strata_core::versions::VERSIONS, &ring_key())
    }
}

impl<L: WriteLayer> Encrypted<L> {
    /// Encrypts a new database: writes a key ring with a fresh value key, wrapped by `unlock`.
    ///
    /// `columns` are the columns it will seal; each must be empty
    /// ([`EncryptionError::PlaintextData`] otherwise: convert existing data with
    /// [`Encrypted::encrypt_existing`]). A database that already has a key ring is
    /// [`EncryptionError::AlreadyEncrypted`].
    pub fn create(
        mut inner: L,
        unlock: &UnlockKey,
        columns: &[Column],
    ) -> Result<Self, EncryptionError> {
        if Self::is_encrypted(&inner)? {
            return Err(EncryptionError::AlreadyEncrypted);
        }
        for &column in columns.iter().filter(|&&c| !Keys::is_meta(c)) {
            if inner.iter(column, ..)?.next().is_some() {
                return Err(EncryptionError::PlaintextData { column: column.name().to_owned() });
            }
        }
        let keys = Keys::generate(unlock)?;
        let mut transaction = Transaction::new();
        keys.stage(&mut transaction);
        inner.apply(&transaction)?;
        Ok(Self { inner, keys })
    }

    /// [`Encrypted::open`] when the database has a key ring, [`Encrypted::create`] otherwise.
    pub fn open_or_create(
        inner: L,
        unlock: &UnlockKey,
        columns: &[Column],
    ) -> Result<Self, EncryptionError> {
        if Self::is_encrypted(&inner)? {
            Self::open(inner, unlock)
        } else {
            Self::create(inner, unlock, columns)
        }
    }

    /// Wraps the database's keys under a new key-encryption key (a new passphrase, a key moved
    /// to another keystore). Values are not touched: this is one write. After it only
    /// `new_key` opens the database. To replace the value keys themselves, [`Encrypted::rotate`].
    pub fn change_unlock_key(&mut self, new_key: &UnlockKey) -> Result<(), EncryptionError> {
        let mut next = self.keys.clone();
        next.rewrap(new_key)?;
        let mut transaction = Transaction::new();
        next.stage(&mut transaction);
        self.inner.apply(&transaction)?;
        self.keys = next;
        Ok(())
    }
}

impl<L> Layer for Encrypted<L> {
    type Base = L;

    fn base(&self) -> &L {
        &self.inner
    }

    fn base_mut(&mut self) -> &mut L {
        &mut self.inner
    }

    fn into_base(self) -> L {
        self.inner
    }
}

impl<L: ReadLayer> ReadLayer for Encrypted<L> {
    type Cursor<'a>
        = EncryptedCursor<'a, L::Cursor<'a>>
    where
        Self: 'a;

    fn has(&self, column: Column, key: &[u8]) -> StorageResult<bool> {
        self.inner.has(column, key)
    }

    fn get(&self, column: Column, key: &[u8]) -> StorageResult<Option<Slice<'_>>> {
        match self.inner.get(column, key)? {
            Some(stored) => self.open_value(column, key, stored).map(Some),
            None => Ok(None),
        }
    }

    fn cursor(&self, column: Column, range: &KeyRange) -> StorageResult<Self::Cursor<'_>> {
        Ok(EncryptedCursor::new(self.inner.cursor(column, range)?, &self.keys, column))
    }
}

impl<L: WriteLayer> WriteLayer for Encrypted<L> {
    fn put(&mut self, column: Column, key: &[u8], value: &[u8]) -> StorageResult<()> {
        let sealed = self.seal(column, key, value)?;
        self.inner.put(column, key, &sealed)
    }

    fn delete(&mut self, column: Column, key: &[u8]) -> StorageResult<()> {
        check_delete(column, key)?;
        self.inner.delete(column, key)
    }

    fn apply(&mut self, transaction: &Transaction) -> StorageResult<()> {
        let sealed = self.seal_transaction(transaction)?;
        self.inner.apply(&sealed)
    }
}

/// The current entry's key, and its plaintext or the failure to open it.
type Opened<'a> = (&'a [u8], Result<&'a [u8], ()>);

/// A cursor that opens each value the first time it is asked for, into a buffer it reuses and
/// wipes when dropped. A value that does not open leaves the cursor on its key, with
/// [`Cursor::value_error`] saying so, and steps on from there.
pub struct EncryptedCursor<'a, C> {
    inner: C,
    keys: &'a Keys,
    column: Column,
    meta: bool,
    /// The current entry's plaintext once opened, or the failure to open it.
    opened: OnceCell<Result<Vec<u8>, ()>>,
    /// A buffer to open the next value into.
    spare: Cell<Vec<u8>>,
}

impl<'a, C: Cursor> EncryptedCursor<'a, C> {
    pub(crate) fn new(inner: C, keys: &'a Keys, column: Column) -> Self {
        Self {
            inner,
            keys,
            column,
            meta: Keys::is_meta(column),
            opened: OnceCell::new(),
            spare: Cell::new(Vec::new()),
        }
    }

    /// Forgets the current entry's plaintext before a move, keeping its buffer.
    fn forget(&mut self) {
        if let Some(Ok(buffer)) = self.opened.take() {
            self.spare.set(buffer);
        }
    }

    /// The current entry's key and plaintext, opened now if it was not yet (`Err` when it does
    /// not open): one look at the cursor underneath for both.
    fn opened(&self) -> Option<Opened<'_>> {
        let (key, sealed) = self.inner.item()?;
        let opened = self.opened.get_or_init(|| {
            let mut out = self.spare.take();
            if self.keys.open_value(self.column.name(), key, sealed, &mut out) {
                Ok(out)
            } else {
                self.spare.set(out);
                Err(())
            }
        });
        Some((
            key,
            match opened {
                Ok(plain) => Ok(plain.as_slice()),
                Err(()) => Err(()),
            },
        ))
    }
}

impl<C> Drop for EncryptedCursor<'_, C> {
    fn drop(&mut self) {
        if let Some(Ok(buffer)) = self.opened.get_mut() {
            buffer.zeroize();
        }
        self.spare.get_mut().zeroize();
    }
}

impl<C: Cursor> Cursor for EncryptedCursor<'_, C> {
    fn seek(&mut self, key: &[u8]) {
        self.forget();
        self.inner.seek(key);
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        self.forget();
        self.inner.seek_for_prev(key);
    }

    fn seek_to_first(&mut self) {
        self.forget();
        self.inner.seek_to_first();
    }

    fn seek_to_last(&mut self) {
        self.forget();
        self.inner.seek_to_last();
    }

    fn next(&mut self) {
        self.forget();
        self.inner.next();
    }

    fn prev(&mut self) {
        self.forget();
        self.inner.prev();
    }

    fn key(&self) -> Option<&[u8]> {
        self.inner.key()
    }

    fn value(&self) -> Option<&[u8]> {
        if self.meta {
            return self.inner.value();
        }
        self.opened()?.1.ok()
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        if self.meta {
            return self.inner.item();
        }
        let (key, value) = self.opened()?;
        Some((key, value.ok()?))
    }

    fn status(&self) -> StorageResult<()> {
        self.inner.status()?;
        match self.value_error() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn value_error(&self) -> Option<StorageError> {
        if let Some(error) = self.inner.value_error() {
            return Some(error);
        }
        if self.meta {
            return None;
        }
        match self.opened()? {
            (_, Ok(_)) => None,
            (key, Err(())) => Some(tampered(self.column, key)),
        }
    }
}
