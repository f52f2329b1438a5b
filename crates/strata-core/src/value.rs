//! Values: how bytes become typed values and back.
//!
//! [`Slice`] is a byte string that is borrowed, owned, shared or pinned by a backend, so reads can
//! avoid copying. [`DataType`] turns a `Slice` into a value and back; it is implemented for raw
//! bytes (`Slice`, `Vec<u8>`, `Box<[u8]>`), `String`, and, through the one-line marker
//! [`BorshValue`], for any borsh type. [`Entry`] ties a key type to its value type.
//!
//! ```
//! use borsh::{BorshDeserialize, BorshSerialize};
//! use strata_core::{BorshValue, DataType, Slice};
//!
//! #[derive(Debug, PartialEq, BorshSerialize, BorshDeserialize)]
//! struct Balance { amount: u64 }
//! impl BorshValue for Balance {}
//!
//! let bytes = Balance { amount: 5 }.as_slice().unwrap().into_boxed();
//! assert_eq!(Balance::from_slice(Slice::from(bytes)).unwrap(), Balance { amount: 5 });
//! assert!(Balance::from_slice(Slice::from(&b"\x01"[..])).is_err());
//! ```

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::error::{DecodeError, EncodeError};
use crate::key::FromKeyParts;

/// Bytes read from a store: borrowed, owned, shared, or pinned inside the backend.
pub struct Slice<'a> {
    repr: Repr<'a>,
}

enum Repr<'a> {
    Borrowed(&'a [u8]),
    Owned(Box<[u8]>),
    Shared(Arc<[u8]>),
    Pinned(Box<dyn AsRef<[u8]> + Send + Sync + 'a>),
}

impl<'a> Slice<'a> {
    /// Wraps a backend-owned buffer (for example a RocksDB pinned slice) without copying it.
    pub fn pinned(owner: impl AsRef<[u8]> + Send + Sync + 'a) -> Self {
        Self { repr: Repr::Pinned(Box::new(owner)) }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.repr {
            Repr::Borrowed(bytes) => bytes,
            Repr::Owned(bytes) => bytes,
            Repr::Shared(bytes) => bytes,
            Repr::Pinned(owner) => (**owner).as_ref(),
        }
    }

    /// The bytes as an owned box, copying only if they are not already owned.
    pub fn into_boxed(self) -> Box<[u8]> {
        match self.repr {
            Repr::Owned(bytes) => bytes,
            other => Slice { repr: other }.as_bytes().into(),
        }
    }

    /// The bytes as a `Vec`, copying only if they are not already owned.
    pub fn into_vec(self) -> Vec<u8> {
        self.into_boxed().into_vec()
    }

    /// A `Slice` that no longer borrows from anything.
    pub fn into_owned(self) -> Slice<'static> {
        match self.repr {
            Repr::Owned(bytes) => Slice { repr: Repr::Owned(bytes) },
            Repr::Shared(bytes) => Slice { repr: Repr::Shared(bytes) },
            other => Slice { repr: Repr::Owned(Slice { repr: other }.as_bytes().into()) },
        }
    }
}

impl Deref for Slice<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Slice<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Slice<'_> {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<'a> From<&'a [u8]> for Slice<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self { repr: Repr::Borrowed(bytes) }
    }
}

impl From<Box<[u8]>> for Slice<'_> {
    fn from(bytes: Box<[u8]>) -> Self {
        Self { repr: Repr::Owned(bytes) }
    }
}

impl From<Vec<u8>> for Slice<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Self { repr: Repr::Owned(bytes.into_boxed_slice()) }
    }
}

impl From<Arc<[u8]>> for Slice<'_> {
    fn from(bytes: Arc<[u8]>) -> Self {
        Self { repr: Repr::Shared(bytes) }
    }
}

impl Clone for Slice<'_> {
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Borrowed(bytes) => Self { repr: Repr::Borrowed(bytes) },
            Repr::Shared(bytes) => Self { repr: Repr::Shared(Arc::clone(bytes)) },
            Repr::Owned(_) | Repr::Pinned(_) => Self { repr: Repr::Owned(self.as_bytes().into()) },
        }
    }
}

impl PartialEq for Slice<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Slice<'_> {}

impl PartialEq<[u8]> for Slice<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Slice<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl fmt::Debug for Slice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Slice({:?})", self.as_bytes().escape_ascii().to_string())
    }
}

/// A value type that can be read from and written as bytes.
///
/// `'a` is the lifetime of the bytes it is read from, so a value may borrow them (as [`Slice`]
/// does) instead of copying.
pub trait DataType<'a>: Sized {
    /// Decodes a value from stored bytes.
    fn from_slice(slice: Slice<'a>) -> Result<Self, DecodeError>;

    /// Decodes a value from bytes lent only for the call, as an iterator lends each entry. The
    /// default copies them and calls [`DataType::from_slice`]; types that never keep the bytes
    /// they decode (borsh values) decode in place and copy nothing.
    fn from_lent(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_slice(Slice::from(bytes.to_vec()))
    }

    /// Encodes the value, borrowing from it where it already holds its bytes.
    fn as_slice(&self) -> Result<Slice<'_>, EncodeError>;
}

impl<'a> DataType<'a> for Slice<'a> {
    fn from_slice(slice: Slice<'a>) -> Result<Self, DecodeError> {
        Ok(slice)
    }

    fn as_slice(&self) -> Result<Slice<'_>, EncodeError> {
        Ok(Slice::from(self.as_bytes()))
    }
}

impl DataType<'_> for Vec<u8> {
    fn from_slice(slice: Slice<'_>) -> Result<Self, DecodeError> {
        Ok(slice.into_vec())
    }

    fn as_slice(&self) -> Result<Slice<'_>, EncodeError> {
        Ok(Slice::from(self.as_slice()))
    }
}

impl DataType<'_> for Box<[u8]> {
    fn from_slice(slice: Slice<'_>) -> Result<Self, DecodeError> {
        Ok(slice.into_boxed())
    }

    fn as_slice(&self) -> Result<Slice<'_>, EncodeError> {
        Ok(Slice::from(&self[..]))
    }
}

impl DataType<'_> for String {
    fn from_slice(slice: Slice<'_>) -> Result<Self, DecodeError> {
        let len = slice.len();
        String::from_utf8(slice.into_vec()).map_err(|e| DecodeError::new::<Self>(len, e))
    }

    fn as_slice(&self) -> Result<Slice<'_>, EncodeError> {
        Ok(Slice::from(self.as_bytes()))
    }
}

/// Marks a borsh type as a value: `impl BorshValue for MyType {}` is the whole declaration.
///
/// Decoding rejects trailing bytes, so a value that was stored as a different, longer type is an
/// error rather than a silent misread.
pub trait BorshValue: borsh::BorshSerialize + borsh::BorshDeserialize {}

impl<T: BorshValue> DataType<'_> for T {
    fn from_slice(slice: Slice<'_>) -> Result<Self, DecodeError> {
        Self::from_lent(&slice)
    }

    fn from_lent(bytes: &[u8]) -> Result<Self, DecodeError> {
        borsh::from_slice(bytes).map_err(|e| DecodeError::new::<T>(bytes.len(), e))
    }

    fn as_slice(&self) -> Result<Slice<'_>, EncodeError> {
        borsh::to_vec(self).map(Slice::from).map_err(EncodeError::new::<T>)
    }
}

/// A key type together with the type of the values stored under it.
///
/// ```
/// use strata_core::{key, Column, Entry, Slice};
///
/// const BLOBS: Column = Column::new("blobs");
/// key! { pub struct BlobKey in BLOBS { id: u64 } }
///
/// impl Entry for BlobKey {
///     type Value<'a> = Slice<'a>;
/// }
/// ```
pub trait Entry: FromKeyParts {
    /// The value type; `'a` lets it borrow the bytes it was read from.
    type Value<'a>: DataType<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
    struct Pair {
        a: u32,
        b: String,
    }
    impl BorshValue for Pair {}

    #[test]
    fn borsh_round_trip_and_rejection() {
        let value = Pair { a: 7, b: "x".into() };
        let bytes = value.as_slice().unwrap().into_vec();
        assert_eq!(Pair::from_slice(Slice::from(bytes.clone())).unwrap(), value);

        let mut longer = bytes.clone();
        longer.push(0);
        let err = Pair::from_slice(Slice::from(longer.clone())).unwrap_err();
        assert_eq!(err.len, bytes.len() + 1);
        assert!(err.type_name.ends_with("Pair"));
        assert!(Pair::from_slice(Slice::from(&bytes[..3])).is_err());
        assert_eq!(Pair::from_lent(&bytes).unwrap(), value);
        assert_eq!(Pair::from_lent(&longer).unwrap_err().len, bytes.len() + 1);
        assert_eq!(Slice::from_lent(b"lent").unwrap(), Slice::from(&b"lent"[..]));
    }

    #[test]
    fn raw_and_string_round_trip() {
        let raw = Slice::from(&b"abc"[..]);
        assert_eq!(Slice::from_slice(raw.clone()).unwrap(), raw);
        assert_eq!(Vec::<u8>::from_slice(Slice::from(vec![1, 2])).unwrap(), vec![1, 2]);
        assert_eq!(String::from_slice(Slice::from(&b"hi"[..])).unwrap(), "hi");
        assert!(String::from_slice(Slice::from(&[0xff_u8][..])).is_err());
    }

    #[test]
    fn slices_convert_without_losing_bytes() {
        let shared: Arc<[u8]> = Arc::from(&b"shared"[..]);
        let slice = Slice::from(Arc::clone(&shared));
        assert_eq!(slice.clone().into_owned(), slice);
        assert_eq!(Slice::pinned(vec![1_u8, 2]).into_boxed(), vec![1_u8, 2].into_boxed_slice());
    }
}
