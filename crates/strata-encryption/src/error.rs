//! What opening, creating and converting an encrypted database can fail with.
//!
//! Reads and writes through [`Encrypted`](crate::Encrypted) fail with the engine's own
//! [`StorageError`]; a value that fails authentication is
//! [`StorageError::Tampered`] for that entry alone. No error here carries a secret: keys,
//! passphrases and plaintexts never reach a message or `Debug` output.

use strata_core::StorageError;

/// Why an encrypted database could not be opened, created, converted or rotated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptionError {
    /// The key (or passphrase) given does not unwrap the database's keys. Nothing was read but
    /// the wrapped key ring.
    #[error("wrong key: the key or passphrase given does not unlock this database's keys")]
    WrongKey,

    /// The database has no key ring: it was never encrypted.
    #[error(
        "the database is not encrypted (it has no key ring); create one with `Encrypted::create` \
         or convert existing data with `Encrypted::encrypt_existing` (`strata encrypt`)"
    )]
    NotEncrypted,

    /// `create` found a key ring already there.
    #[error("the database is already encrypted: open it with `Encrypted::open`")]
    AlreadyEncrypted,

    /// `create` found plaintext values, which would read as tampered once encrypted.
    #[error(
        "column `{column}` holds plaintext data: convert it with `Encrypted::encrypt_existing` \
         (`strata encrypt`) instead of creating an empty key ring over it"
    )]
    PlaintextData {
        /// The first column found holding data.
        column: String,
    },

    /// A conversion of plaintext data was started and not finished: the database holds both
    /// plaintext and encrypted values, and opens only to finish it.
    #[error(
        "encrypting the existing data was interrupted in column `{column}`: run \
         `Encrypted::encrypt_existing` (`strata encrypt`) again to finish it"
    )]
    Unfinished {
        /// The column the conversion had reached.
        column: String,
    },

    /// A conversion or rotation is working through a column the call was not given (or the
    /// database was not opened with).
    #[error(
        "the key ring's conversion or rotation is at column `{column}`, which was not given: \
         pass every column the database holds"
    )]
    ColumnNotOpen {
        /// The column.
        column: String,
    },

    /// The key ring does not decode, or names a format this build does not know.
    #[error("the key ring is unreadable: {0}")]
    BadKeyRing(String),

    /// A passphrase's key derivation failed (parameters out of Argon2's range).
    #[error("deriving a key from the passphrase failed: {0}")]
    Kdf(String),

    /// The layer underneath failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<EncryptionError> for strata_core::Error {
    fn from(error: EncryptionError) -> Self {
        match error {
            EncryptionError::Storage(storage) => storage.into(),
            other => strata_core::Error::Backend(Box::new(other)),
        }
    }
}
