//! Encryption at rest for Strata.
//!
//! [`Encrypted`] is a layer, like `Temporal` or `ReadOnly`, that seals every value written
//! through it and authenticates every value read:
//!
//! - **Values** are encrypted with AES-256-GCM-SIV (`RustCrypto`'s audited implementation),
//!   under a random 32-byte value key, with a fresh random nonce per write. The associated data
//!   binds the column, the key and the key's version, so a value moved to another key or
//!   column, replayed from before a rotation or altered reads as
//!   [`StorageError::Tampered`](strata_core::StorageError::Tampered), for that entry alone.
//! - **Keys** stay in the clear so that order, ranges and prefix scans work; a
//!   [`KeyHasher`] hashes the components that must not show.
//! - **The key ring** (value keys and the key-hashing secret) is sealed under the caller's
//!   [`UnlockKey`] — 32 bytes, or a passphrase stretched with Argon2id — in the meta column.
//!   A wrong key is [`EncryptionError::WrongKey`] before any value is read.
//! - **Rotation** ([`Encrypted::rotate`]) and **conversion** of a plaintext database
//!   ([`Encrypted::encrypt_existing`]) reseal in bounded batches that resume where a killed
//!   run stopped; [`Encrypted::change_unlock_key`] rewraps the ring in one write.
//! - **Secrets** are wiped from memory when dropped, and no `Debug` output or error message
//!   contains one.
//!
//! [`EncryptedDb`] is the same layer as a [`Database`](strata_core::Database), for the stores
//! built on one. `docs/security.md` has the threat model and the construction.

mod db;
mod error;
mod hash;
mod key;
mod layer;
mod reseal;
mod ring;
mod seal;

pub use db::EncryptedDb;
pub use error::EncryptionError;
pub use hash::KeyHasher;
pub use key::{Argon2Params, KEY_LEN, UnlockKey};
pub use layer::{Encrypted, EncryptedCursor};
pub use reseal::{ResealOptions, ResealProgress, ResealReport};
pub use ring::RING_KEY;
pub use seal::OVERHEAD;
