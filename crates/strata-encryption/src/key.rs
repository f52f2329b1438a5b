//! Key material: the caller's key-encryption key, given as bytes or derived from a passphrase
//! with Argon2id, and the 32-byte secrets it protects. Every secret lives in a
//! [`Zeroizing`] buffer, wiped when dropped, and prints as `<redacted>`.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use rand::RngCore as _;
use zeroize::Zeroizing;

use crate::error::EncryptionError;

/// Length of every key Strata's encryption uses: AES-256 keys and the key-hashing secret.
pub const KEY_LEN: usize = 32;

/// A 32-byte secret, wiped from memory when dropped.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) Zeroizing<[u8; KEY_LEN]>);

impl Secret {
    /// A fresh secret from the operating system's generator (through `rand`'s thread-local
    /// `ChaCha` generator, seeded and reseeded from it).
    pub(crate) fn random() -> Self {
        let mut secret = Zeroizing::new([0; KEY_LEN]);
        rand::rng().fill_bytes(secret.as_mut());
        Self(secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The caller's key-encryption key: what unlocks the database's own keys.
///
/// Give either 32 bytes the application keeps (in a hardware module, an OS keystore, a
/// secrets manager) or a passphrase, which is stretched with Argon2id and a salt stored in the
/// database. The bytes and the passphrase are wiped from memory when this is dropped, and
/// `Debug` shows neither.
///
/// ```
/// use strata_encryption::{Argon2Params, UnlockKey};
///
/// let from_bytes = UnlockKey::from_bytes([7; 32]);
/// let from_passphrase = UnlockKey::passphrase("correct horse battery staple");
/// let quick = UnlockKey::passphrase_with("for tests only", Argon2Params::insecure_for_tests());
/// assert_eq!(format!("{from_bytes:?}"), "UnlockKey::Bytes(<redacted>)");
/// # let _ = (from_passphrase, quick);
/// ```
pub struct UnlockKey {
    kind: Kind,
}

enum Kind {
    Bytes(Secret),
    Passphrase(Zeroizing<String>, Argon2Params),
}

impl fmt::Debug for UnlockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Bytes(_) => f.write_str("UnlockKey::Bytes(<redacted>)"),
            Kind::Passphrase(_, params) => {
                write!(f, "UnlockKey::Passphrase(<redacted>, {params:?})")
            }
        }
    }
}

impl UnlockKey {
    /// A key the application holds as 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self { kind: Kind::Bytes(Secret(Zeroizing::new(bytes))) }
    }

    /// A passphrase, stretched with Argon2id at [`Argon2Params::default`] when a database is
    /// created with it. Opening uses the parameters stored with the database instead.
    pub fn passphrase(passphrase: impl Into<String>) -> Self {
        Self::passphrase_with(passphrase, Argon2Params::default())
    }

    /// A passphrase with chosen Argon2id parameters for a new database.
    pub fn passphrase_with(passphrase: impl Into<String>, params: Argon2Params) -> Self {
        Self { kind: Kind::Passphrase(Zeroizing::new(passphrase.into()), params) }
    }

    /// How a new key ring records this key: raw, or Argon2id with a fresh salt.
    pub(crate) fn new_derivation(&self) -> Derivation {
        match &self.kind {
            Kind::Bytes(_) => Derivation::Raw,
            Kind::Passphrase(_, params) => {
                let mut salt = [0; SALT_LEN];
                rand::rng().fill_bytes(&mut salt);
                Derivation::Argon2id { salt, params: *params }
            }
        }
    }

    /// The key-encryption key under `derivation`; a mismatch of kinds is a wrong key.
    pub(crate) fn derive(&self, derivation: &Derivation) -> Result<Secret, EncryptionError> {
        match (&self.kind, derivation) {
            (Kind::Bytes(secret), Derivation::Raw) => Ok(secret.clone()),
            (Kind::Passphrase(passphrase, _), Derivation::Argon2id { salt, params }) => {
                // The costs come from the database, before anything in it is authenticated: a
                // planted key ring must not make opening allocate terabytes or spin for hours.
                if params.memory_kib > MAX_MEMORY_KIB || params.iterations > MAX_ITERATIONS {
                    return Err(EncryptionError::Kdf(format!(
                        "the key ring asks for Argon2id with {} KiB and {} passes, beyond the \
                         {MAX_MEMORY_KIB} KiB and {MAX_ITERATIONS} passes this build accepts",
                        params.memory_kib, params.iterations
                    )));
                }
                let argon = argon2::Argon2::new(
                    argon2::Algorithm::Argon2id,
                    argon2::Version::V0x13,
                    argon2::Params::new(
                        params.memory_kib,
                        params.iterations,
                        params.parallelism,
                        Some(KEY_LEN),
                    )
                    .map_err(|e| EncryptionError::Kdf(e.to_string()))?,
                );
                let mut key = Zeroizing::new([0; KEY_LEN]);
                argon
                    .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
                    .map_err(|e| EncryptionError::Kdf(e.to_string()))?;
                Ok(Secret(key))
            }
            _ => Err(EncryptionError::WrongKey),
        }
    }
}

/// The most memory a stored key ring may ask Argon2id for: 4 GiB.
pub(crate) const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
/// The most passes a stored key ring may ask Argon2id for.
pub(crate) const MAX_ITERATIONS: u32 = 64;

/// Length of a passphrase's salt.
pub(crate) const SALT_LEN: usize = 16;

/// Argon2id's cost parameters for a passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Argon2Params {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// RFC 9106's second recommended setting for memory-constrained machines: 64 MiB, three
    /// passes, with one lane (the machine may have few cores) — about a quarter of a second
    /// here, paid once per open.
    fn default() -> Self {
        Self { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 }
    }
}

impl Argon2Params {
    /// The smallest costs Argon2 accepts: for tests and examples only, never for real data.
    pub const fn insecure_for_tests() -> Self {
        Self { memory_kib: 8, iterations: 1, parallelism: 1 }
    }
}

/// How the key-encryption key is obtained, as the key ring records it (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub(crate) enum Derivation {
    /// The caller's 32 bytes are the key.
    Raw,
    /// Argon2id of the passphrase with this salt and these costs.
    Argon2id {
        /// The salt, random per key ring.
        salt: [u8; SALT_LEN],
        /// The costs.
        params: Argon2Params,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_key_ring_cannot_ask_for_unbounded_costs() {
        let key = UnlockKey::passphrase_with("p", Argon2Params::insecure_for_tests());
        let greedy = Derivation::Argon2id {
            salt: [0; SALT_LEN],
            params: Argon2Params { memory_kib: u32::MAX, iterations: 1, parallelism: 1 },
        };
        assert!(matches!(key.derive(&greedy), Err(EncryptionError::Kdf(_))));
        let slow = Derivation::Argon2id {
            salt: [0; SALT_LEN],
            params: Argon2Params { memory_kib: 8, iterations: u32::MAX, parallelism: 1 },
        };
        assert!(matches!(key.derive(&slow), Err(EncryptionError::Kdf(_))));
        let fine = Derivation::Argon2id {
            salt: [0; SALT_LEN],
            params: Argon2Params::insecure_for_tests(),
        };
        assert!(key.derive(&fine).is_ok());
        assert!(matches!(key.derive(&Derivation::Raw), Err(EncryptionError::WrongKey)));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let bytes = UnlockKey::from_bytes([0xab; KEY_LEN]);
        let phrase = UnlockKey::passphrase("hunter2");
        let shown = format!("{bytes:?} {phrase:?} {:?}", Secret::random());
        assert!(!shown.contains("ab, ab") && !shown.contains("171") && !shown.contains("hunter2"));
        assert!(shown.contains("<redacted>"));
    }
}
