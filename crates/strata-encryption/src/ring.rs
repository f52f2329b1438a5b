//! The key ring: the database's value keys and key-hashing secret, each wrapped by the caller's
//! key-encryption key, and how far a conversion or rotation has got. It is one borsh record in
//! the database's meta column ([`VERSIONS`], under [`RING_KEY`]) and holds no secret in the
//! clear.

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::versions::{MAX_SCHEMA_NAME, VERSIONS, VersionKey};
use strata_core::{AsKeyParts as _, Column, Transaction};

use crate::error::EncryptionError;
use crate::key::{Derivation, KEY_LEN, Secret, UnlockKey};
use crate::seal::{FORMAT, Sealer};

/// The key ring's key in [`VERSIONS`]: a version record of kind 3 with an empty name.
pub const RING_KEY: VersionKey = VersionKey { kind: 3, name: [0; MAX_SCHEMA_NAME] };

/// The purpose bound into the sealed body's associated data.
const RING_PURPOSE: u8 = 1;

/// The stored key ring: how to derive the key-encryption key (public), and everything else
/// sealed under it, so that no part of it can be altered or mixed with an older ring's.
#[derive(Debug, Clone, BorshSerialize, BorshDeserialize)]
struct StoredRing {
    format: u8,
    derivation: Derivation,
    sealed: Vec<u8>,
}

/// The sealed part of the ring. Its secrets are wiped when it is dropped.
#[derive(BorshSerialize, BorshDeserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct Body {
    /// Value keys by version, oldest first: the newest seals, the others only open.
    keys: Vec<(u32, [u8; KEY_LEN])>,
    hashing: [u8; KEY_LEN],
    #[zeroize(skip)]
    progress: Option<Progress>,
}

/// A conversion or rotation part-way: every column named before `column` (in name order), and
/// the keys of `column` up to and including `after`, are sealed under the newest key.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) struct Progress {
    /// What is being done.
    pub(crate) kind: ProgressKind,
    /// The column being worked through.
    pub(crate) column: String,
    /// The last key of `column` done, if any.
    pub(crate) after: Option<Vec<u8>>,
}

/// What a [`Progress`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) enum ProgressKind {
    /// Plaintext values are being sealed (`encrypt_existing`).
    Encrypting,
    /// Values sealed under version `from` are being resealed under the newest key.
    Rotating {
        /// The version being retired.
        from: u32,
    },
}

impl Progress {
    /// Whether the work has already passed `key` of `column`.
    pub(crate) fn passed(&self, column: &str, key: &[u8]) -> bool {
        match column.cmp(self.column.as_str()) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => self.after.as_deref().is_some_and(|after| key <= after),
        }
    }
}

/// The key ring, unlocked: its ciphers in memory (wiped when dropped).
#[derive(Clone)]
pub(crate) struct Keys {
    derivation: Derivation,
    wrapper: Sealer,
    ring: Vec<(Secret, Sealer)>,
    hashing: Secret,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("versions", &self.versions())
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// A new key ring with one value key (version 1) and a key-hashing secret.
    pub(crate) fn generate(unlock: &UnlockKey) -> Result<Self, EncryptionError> {
        let derivation = unlock.new_derivation();
        let wrapper = Sealer::new(0, &unlock.derive(&derivation)?);
        let key = Secret::random();
        let sealer = Sealer::new(1, &key);
        Ok(Self {
            derivation,
            wrapper,
            ring: vec![(key, sealer)],
            hashing: Secret::random(),
            progress: None,
        })
    }

    /// Unlocks a stored key ring: [`EncryptionError::WrongKey`] unless `unlock` opens it.
    pub(crate) fn unlock(bytes: &[u8], unlock: &UnlockKey) -> Result<Self, EncryptionError> {
        let stored = StoredRing::try_from_slice(bytes)
            .map_err(|e| EncryptionError::BadKeyRing(e.to_string()))?;
        if stored.format != FORMAT {
            return Err(EncryptionError::BadKeyRing(format!(
                "format {} (this build reads {FORMAT})",
                stored.format
            )));
        }
        let wrapper = Sealer::new(0, &unlock.derive(&stored.derivation)?);
        let mut plain = zeroize::Zeroizing::new(Vec::new());
        if !wrapper.open_wrapped(RING_PURPOSE, &stored.sealed, &mut plain) {
            return Err(EncryptionError::WrongKey);
        }
        let mut body =
            Body::try_from_slice(&plain).map_err(|e| EncryptionError::BadKeyRing(e.to_string()))?;
        if body.keys.is_empty() {
            return Err(EncryptionError::BadKeyRing("no value key".to_owned()));
        }
        let keys = body
            .keys
            .iter()
            .map(|(version, key)| {
                let secret = Secret(zeroize::Zeroizing::new(*key));
                let sealer = Sealer::new(*version, &secret);
                (secret, sealer)
            })
            .collect();
        Ok(Self {
            derivation: stored.derivation,
            wrapper,
            ring: keys,
            hashing: Secret(zeroize::Zeroizing::new(body.hashing)),
            progress: body.progress.take(),
        })
    }

    /// The stored form: the body sealed under the key-encryption key with a fresh nonce.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let body = Body {
            keys: self.ring.iter().map(|(secret, sealer)| (sealer.version(), *secret.0)).collect(),
            hashing: *self.hashing.0,
            progress: self.progress.clone(),
        };
        let plain = zeroize::Zeroizing::new(
            borsh::to_vec(&body).unwrap_or_else(|_| unreachable!("a key ring always encodes")),
        );
        let stored = StoredRing {
            format: FORMAT,
            derivation: self.derivation.clone(),
            sealed: self.wrapper.seal_wrapped(RING_PURPOSE, &plain),
        };
        borsh::to_vec(&stored).unwrap_or_else(|_| unreachable!("a key ring always encodes"))
    }

    /// Adds the stored form to `transaction`.
    pub(crate) fn stage(&self, transaction: &mut Transaction) {
        transaction.put(VERSIONS, ring_key(), self.encode());
    }

    /// The newest key, which seals every write.
    pub(crate) fn current(&self) -> &Sealer {
        &self.ring.last().unwrap_or_else(|| unreachable!("a key ring has a key")).1
    }

    /// The key of `version`, if the ring still holds it.
    pub(crate) fn sealer(&self, version: u32) -> Option<&Sealer> {
        self.ring.iter().rev().map(|(_, sealer)| sealer).find(|sealer| sealer.version() == version)
    }

    /// Whether a value sealed under `version` may be read at `key` of `column`: under the newest
    /// key always; under the key being retired only where the rotation has not yet passed (a
    /// value of the old version behind it was put back from an older copy).
    pub(crate) fn accepts(&self, version: u32, column: &str, key: &[u8]) -> bool {
        if version == self.current().version() {
            return true;
        }
        match &self.progress {
            Some(progress @ Progress { kind: ProgressKind::Rotating { from }, .. }) => {
                version == *from && !progress.passed(column, key)
            }
            _ => false,
        }
    }

    pub(crate) fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    pub(crate) fn set_progress(&mut self, progress: Option<Progress>) {
        self.progress = progress;
    }

    /// Adds a new newest key; the ring must then be stored.
    pub(crate) fn add_key(&mut self) -> u32 {
        let version = self.current().version() + 1;
        let key = Secret::random();
        let sealer = Sealer::new(version, &key);
        self.ring.push((key, sealer));
        version
    }

    /// Forgets every key but the newest: values still sealed under them read as tampered.
    pub(crate) fn retire_old_keys(&mut self) {
        let newest = self.current().version();
        self.ring.retain(|(_, sealer)| sealer.version() == newest);
    }

    /// Seals the ring under a new key-encryption key from now on.
    pub(crate) fn rewrap(&mut self, unlock: &UnlockKey) -> Result<(), EncryptionError> {
        let derivation = unlock.new_derivation();
        self.wrapper = Sealer::new(0, &unlock.derive(&derivation)?);
        self.derivation = derivation;
        Ok(())
    }

    /// The versions held, oldest first.
    pub(crate) fn versions(&self) -> Vec<u32> {
        self.ring.iter().map(|(_, sealer)| sealer.version()).collect()
    }

    pub(crate) fn hashing(&self) -> &Secret {
        &self.hashing
    }

    /// Whether `column` is the meta column, which is never sealed: schema versions are not
    /// secret, and the key ring must be readable before anything is unlocked.
    pub(crate) fn is_meta(column: Column) -> bool {
        column == VERSIONS
    }
}

/// The key ring's key bytes.
pub(crate) fn ring_key() -> Vec<u8> {
    RING_KEY.as_key().as_bytes().to_vec()
}

impl Keys {
    /// Opens `sealed`, stored at `key` of `column`, into `out`: `false` when it is not an
    /// authentic value of that place under a key accepted there.
    pub(crate) fn open_value(
        &self,
        column: &str,
        key: &[u8],
        sealed: &[u8],
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(version) = crate::seal::version_of(sealed) else { return false };
        if !self.accepts(version, column, key) {
            return false;
        }
        self.sealer(version).is_some_and(|sealer| sealer.open(column, key, sealed, out))
    }
}
