//! Keyed hashing of key components: for columns whose keys must not show what they are made
//! of (a peer's public key, an invoice's payment hash).

use strata_core::Column;

use crate::key::Secret;

/// A keyed BLAKE3 hash, under the database's key-hashing secret, of key components.
///
/// Keys stay in the clear so that ranges and prefix scans work; a component hashed with this
/// shows only equality (the same input in the same column gives the same 32 bytes), not its
/// value, to someone without the key. Hashed components lose their order, so hash only those
/// looked up by equality. The secret is made with the key ring, wrapped with it, and kept
/// across value-key rotations: rotating it would change every hashed key.
///
/// ```
/// use strata_core::{Column, MemoryDb, ReadLayer, Store, WriteLayer, versions};
/// use strata_encryption::{Encrypted, UnlockKey};
///
/// const BY_PEER: Column = Column::new("by_peer");
/// let db = MemoryDb::new([BY_PEER, versions::VERSIONS]);
/// let mut encrypted =
///     Encrypted::create(Store::new(&db), &UnlockKey::from_bytes([1; 32]), &[BY_PEER])?;
/// let peer = [0x02; 33]; // a public key the database must not reveal
/// let key = encrypted.key_hasher().hash(BY_PEER, &peer);
/// encrypted.put(BY_PEER, &key, b"channel state")?;
/// assert!(encrypted.get(BY_PEER, &encrypted.key_hasher().hash(BY_PEER, &peer))?.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct KeyHasher<'a> {
    secret: &'a Secret,
}

impl std::fmt::Debug for KeyHasher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher(<redacted>)")
    }
}

impl<'a> KeyHasher<'a> {
    pub(crate) fn new(secret: &'a Secret) -> Self {
        Self { secret }
    }

    /// The keyed hash of `component` for keys of `column` (the column is hashed in, so the
    /// same component gives unrelated bytes in two columns).
    pub fn hash(&self, column: Column, component: &[u8]) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.secret.0);
        let name = column.name().as_bytes();
        hasher.update(&(name.len() as u64).to_be_bytes());
        hasher.update(name);
        hasher.update(component);
        let hash = *hasher.finalize().as_bytes();
        // The hasher's state holds the key.
        zeroize::Zeroize::zeroize(&mut hasher);
        hash
    }
}
