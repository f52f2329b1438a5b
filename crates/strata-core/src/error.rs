//! The engine's error types, one per seam.
//!
//! - [`StorageError`]: what the byte-level seam — a [`Database`](crate::Database), a layer, a
//!   raw iterator — can fail with: an unknown column, corruption, a full device, any other
//!   backend failure. Nothing there decodes a key or a value, so it has no variant for that.
//! - [`Error`]: what the typed API ([`Handle`](crate::Handle), [`Structured`](crate::Structured),
//!   typed transaction writes) can fail with: every storage failure, plus keys and values that
//!   do not decode or encode. A [`StorageError`] converts into the [`Error`] variant of the same
//!   name with `?`, and so do the more specific [`KeyError`], [`DecodeError`] and [`EncodeError`].

/// A boxed error from a backend or a codec, kept as the source of a Strata error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias of the typed API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Result alias of the byte-level seam: [`Database`](crate::Database), layers, raw iterators.
pub type StorageResult<T, E = StorageError> = std::result::Result<T, E>;

/// What a byte-level operation can fail with: a backend, a layer or a raw iterator.
///
/// Backends build these; the typed API turns them into the [`Error`] variant of the same name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The column is not one the database was opened with.
    #[error("unknown column `{0}`: the database was not opened with it")]
    UnknownColumn(String),

    /// Stored data failed the backend's integrity checks (a checksum mismatch, a damaged file).
    /// Other keys may still read fine; nothing was written by the failed call.
    #[error("stored data is corrupt: {0}")]
    Corruption(#[source] BoxError),

    /// A value failed authentication: an authenticating layer (encryption at rest) found it
    /// altered, copied from another key or column, or sealed under a key that is no longer
    /// valid there. Only this entry is affected: an iterator reports it and goes on to the next.
    #[error(
        "the value of key {} in column `{column}` failed authentication: it was altered, moved \
         from another key or column, or replayed from an older key version",
        hex::encode(key)
    )]
    Tampered {
        /// The column read.
        column: String,
        /// The entry's key (keys are not secret: they are stored in the clear).
        key: Vec<u8>,
    },

    /// The storage device is full. The failed write was not applied; reads keep working. On
    /// RocksDB the database refuses further writes until it is reopened with space available.
    #[error("no space left for the write: {0}")]
    StorageFull(#[source] BoxError),

    /// Any other backend failure (I/O, a lock held elsewhere, …).
    #[error("backend error: {0}")]
    Backend(#[source] BoxError),
}

impl StorageError {
    /// Wraps a backend's own error.
    pub fn backend(error: impl Into<BoxError>) -> Self {
        Self::Backend(error.into())
    }
}

/// Anything the typed API can fail with: a [`StorageError`] (each variant mirrored under the
/// same name) or a key or value that does not decode or encode.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The column is not one the database was opened with.
    #[error("unknown column `{0}`: the database was not opened with it")]
    UnknownColumn(String),

    /// Key bytes could not be turned into a typed key.
    #[error(transparent)]
    Key(#[from] KeyError),

    /// Stored bytes could not be decoded as the expected value type.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// A value could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),

    /// Stored data failed the backend's integrity checks (a checksum mismatch, a damaged file).
    /// Other keys may still read fine; nothing was written by the failed call.
    #[error("stored data is corrupt: {0}")]
    Corruption(#[source] BoxError),

    /// A value failed authentication: an authenticating layer (encryption at rest) found it
    /// altered, copied from another key or column, or sealed under a key that is no longer
    /// valid there. Only this entry is affected: an iterator reports it and goes on to the next.
    #[error(
        "the value of key {} in column `{column}` failed authentication: it was altered, moved \
         from another key or column, or replayed from an older key version",
        hex::encode(key)
    )]
    Tampered {
        /// The column read.
        column: String,
        /// The entry's key (keys are not secret: they are stored in the clear).
        key: Vec<u8>,
    },

    /// The storage device is full. The failed write was not applied; reads keep working. On
    /// RocksDB the database refuses further writes until it is reopened with space available.
    #[error("no space left for the write: {0}")]
    StorageFull(#[source] BoxError),

    /// Any other backend failure (I/O, a lock held elsewhere, …).
    #[error("backend error: {0}")]
    Backend(#[source] BoxError),
}

impl From<StorageError> for Error {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::UnknownColumn(column) => Self::UnknownColumn(column),
            StorageError::Corruption(source) => Self::Corruption(source),
            StorageError::Tampered { column, key } => Self::Tampered { column, key },
            StorageError::StorageFull(source) => Self::StorageFull(source),
            StorageError::Backend(source) => Self::Backend(source),
        }
    }
}

/// Key bytes that do not form a valid key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The byte string has the wrong length for the key type.
    #[error("key for column `{column}` must be {expected} bytes long, got {actual}")]
    WrongLength {
        /// The column the key was read from.
        column: &'static str,
        /// The length the key type requires.
        expected: usize,
        /// The length that was found.
        actual: usize,
    },
    /// One component's bytes are not a valid value of that component.
    #[error("invalid key component `{component}`: {reason}")]
    InvalidComponent {
        /// The component's type name.
        component: &'static str,
        /// Why the bytes were rejected.
        reason: String,
    },
}

/// Stored bytes that could not be decoded as the expected value type.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode a `{type_name}` from {len} stored bytes: {source}")]
pub struct DecodeError {
    /// The value type that was expected.
    pub type_name: &'static str,
    /// How many bytes were offered.
    pub len: usize,
    /// Why decoding failed.
    #[source]
    pub source: BoxError,
}

impl DecodeError {
    /// Builds a decode error for type `T` from `len` bytes.
    pub fn new<T: ?Sized>(len: usize, source: impl Into<BoxError>) -> Self {
        Self { type_name: std::any::type_name::<T>(), len, source: source.into() }
    }
}

/// A value that could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a `{type_name}`: {source}")]
pub struct EncodeError {
    /// The value type being encoded.
    pub type_name: &'static str,
    /// Why encoding failed.
    #[source]
    pub source: BoxError,
}

impl EncodeError {
    /// Builds an encode error for type `T`.
    pub fn new<T: ?Sized>(source: impl Into<BoxError>) -> Self {
        Self { type_name: std::any::type_name::<T>(), source: source.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync_and_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
        check::<StorageError>();
        check::<KeyError>();
        check::<DecodeError>();
        check::<EncodeError>();
    }

    /// Each storage variant arrives in the typed API under the same name and with the same
    /// message, so the two enums cannot drift apart.
    #[test]
    fn storage_errors_convert_one_to_one() {
        let source = || BoxError::from("disk says no");
        let cases = [
            (StorageError::UnknownColumn("c".to_owned()), "UnknownColumn"),
            (StorageError::Corruption(source()), "Corruption"),
            (StorageError::Tampered { column: "c".to_owned(), key: vec![0xab] }, "Tampered"),
            (StorageError::StorageFull(source()), "StorageFull"),
            (StorageError::Backend(source()), "Backend"),
        ];
        for (storage, name) in cases {
            let message = storage.to_string();
            let typed = Error::from(storage);
            assert_eq!(typed.to_string(), message);
            assert!(format!("{typed:?}").starts_with(name), "{typed:?} is not {name}");
        }
    }
}
