//! Entries: the header every log entry carries, its canonical encoding and its hash.
//!
//! The canonical encoding of a header without its signature (what the author signs) is, byte by
//! byte:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version, `1` |
//! | 32 | author (public key) |
//! | 8 | log id, u64 big-endian |
//! | 8 | seq, u64 big-endian |
//! | 1 | backlink tag: `0` none (seq 0), `1` present |
//! | 0 or 32 | backlink: the previous entry's hash |
//! | 8 | timestamp, u64 big-endian (milliseconds since the Unix epoch, as the author claims) |
//! | 32 | payload hash: BLAKE3 of the payload |
//! | 8 | payload size in bytes, u64 big-endian |
//! | 4 | extension length, u32 big-endian (`0` when there are none) |
//! | n | extension bytes |
//!
//! The stored header is that, then the signature's length (u16 big-endian) and the signature.
//! The **entry hash** is BLAKE3 over the whole stored header, signature included, so two entries
//! with the same content but different signatures are different entries.

use std::fmt;

use strata_core::{KeyComponent, KeyError};

/// The format version of the canonical header encoding.
pub const FORMAT_VERSION: u8 = 1;

macro_rules! bytes32 {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default,
            borsh::BorshSerialize, borsh::BorshDeserialize,
        )]
        pub struct $name(pub [u8; 32]);

        impl KeyComponent for $name {
            type Len = <[u8; 32] as KeyComponent>::Len;

            fn write_to(&self, out: &mut [u8]) {
                self.0.write_to(out);
            }

            fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
                <[u8; 32]>::read_from(bytes).map(Self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for byte in &self.0 {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
        }
    )+};
}

bytes32! {
    /// An author: the public key that signs its entries.
    Author;
    /// A BLAKE3 hash: of an entry's header (its identity) or of a payload.
    Hash;
    /// A topic: an application's name for a set of logs.
    Topic;
}

impl Hash {
    /// BLAKE3 of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }
}

/// An entry's header: everything but the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The author.
    pub author: Author,
    /// Which of the author's logs.
    pub log_id: u64,
    /// The position in the log, from 0, without gaps.
    pub seq: u64,
    /// The previous entry's hash; `None` exactly at seq 0.
    pub backlink: Option<Hash>,
    /// When the author wrote it, in milliseconds since the Unix epoch (the author's claim).
    pub timestamp: u64,
    /// BLAKE3 of the payload.
    pub payload_hash: Hash,
    /// The payload's length in bytes.
    pub payload_size: u64,
    /// Application-defined bytes signed with the header; empty when there are none.
    pub extensions: Vec<u8>,
    /// The author's signature over [`Header::signing_bytes`].
    pub signature: Vec<u8>,
}

/// Why stored or received header bytes are not a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderDecodeError {
    /// The bytes end inside a field.
    #[error("the header ends inside its {field} field")]
    Truncated {
        /// The field.
        field: &'static str,
    },
    /// A format version this build does not read.
    #[error("unknown header format version {0}")]
    UnknownVersion(u8),
    /// A backlink tag other than 0 or 1.
    #[error("invalid backlink tag {0}")]
    BadBacklinkTag(u8),
    /// Bytes after the signature.
    #[error("{0} bytes after the signature")]
    TrailingBytes(usize),
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], HeaderDecodeError> {
        if self.0.len() < n {
            return Err(HeaderDecodeError::Truncated { field });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], HeaderDecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, HeaderDecodeError> {
        self.array(field).map(u64::from_be_bytes)
    }
}

impl Header {
    /// The canonical encoding without the signature: what the author signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(134 + self.extensions.len());
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.author.0);
        out.extend_from_slice(&self.log_id.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        match &self.backlink {
            None => out.push(0),
            Some(hash) => {
                out.push(1);
                out.extend_from_slice(&hash.0);
            }
        }
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.payload_hash.0);
        out.extend_from_slice(&self.payload_size.to_be_bytes());
        // Lengths are bounded by the store's limits (far below 4 GiB) before encoding.
        out.extend_from_slice(&(self.extensions.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.extensions);
        out
    }

    /// The stored encoding: the signing bytes, the signature's length (u16) and the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signing_bytes();
        out.extend_from_slice(&(self.signature.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.signature);
        out
    }

    /// Decodes a stored header, rejecting anything [`Header::to_bytes`] would not produce.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HeaderDecodeError> {
        let mut r = Reader(bytes);
        let version = r.array::<1>("version")?[0];
        if version != FORMAT_VERSION {
            return Err(HeaderDecodeError::UnknownVersion(version));
        }
        let author = Author(r.array("author")?);
        let log_id = r.u64("log id")?;
        let seq = r.u64("seq")?;
        let backlink = match r.array::<1>("backlink tag")?[0] {
            0 => None,
            1 => Some(Hash(r.array("backlink")?)),
            tag => return Err(HeaderDecodeError::BadBacklinkTag(tag)),
        };
        let timestamp = r.u64("timestamp")?;
        let payload_hash = Hash(r.array("payload hash")?);
        let payload_size = r.u64("payload size")?;
        let extensions_len = u32::from_be_bytes(r.array("extension length")?) as usize;
        let extensions = r.take(extensions_len, "extensions")?.to_vec();
        let signature_len = usize::from(u16::from_be_bytes(r.array("signature length")?));
        let signature = r.take(signature_len, "signature")?.to_vec();
        if !r.0.is_empty() {
            return Err(HeaderDecodeError::TrailingBytes(r.0.len()));
        }
        Ok(Self {
            author,
            log_id,
            seq,
            backlink,
            timestamp,
            payload_hash,
            payload_size,
            extensions,
            signature,
        })
    }

    /// The entry's hash: BLAKE3 over the stored encoding.
    pub fn hash(&self) -> Hash {
        Hash::of(&self.to_bytes())
    }
}

/// An entry: its header and, unless pruned or never fetched, its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The header.
    pub header: Header,
    /// The payload, when the store has it.
    pub payload: Option<Vec<u8>>,
}

impl Entry {
    /// The entry's hash (see [`Header::hash`]).
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            author: Author([1; 32]),
            log_id: 7,
            seq: 1,
            backlink: Some(Hash([2; 32])),
            timestamp: 1_700_000_000_000,
            payload_hash: Hash::of(b"payload"),
            payload_size: 7,
            extensions: b"ext".to_vec(),
            signature: vec![9; 64],
        }
    }

    #[test]
    fn the_encoding_is_the_documented_layout() {
        let h = header();
        let bytes = h.signing_bytes();
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..33], &[1; 32]);
        assert_eq!(&bytes[33..41], &7u64.to_be_bytes());
        assert_eq!(&bytes[41..49], &1u64.to_be_bytes());
        assert_eq!(bytes[49], 1);
        assert_eq!(&bytes[50..82], &[2; 32]);
        assert_eq!(&bytes[82..90], &1_700_000_000_000u64.to_be_bytes());
        assert_eq!(&bytes[90..122], blake3::hash(b"payload").as_bytes());
        assert_eq!(&bytes[122..130], &7u64.to_be_bytes());
        assert_eq!(&bytes[130..134], &3u32.to_be_bytes());
        assert_eq!(&bytes[134..], b"ext");
        let stored = h.to_bytes();
        assert_eq!(&stored[137..139], &64u16.to_be_bytes());
        assert_eq!(h.hash(), Hash(*blake3::hash(&stored).as_bytes()));
    }

    #[test]
    fn headers_round_trip_and_bad_bytes_are_typed_errors() {
        let h = header();
        assert_eq!(Header::from_bytes(&h.to_bytes()).unwrap(), h);
        let first = Header { seq: 0, backlink: None, extensions: Vec::new(), ..h.clone() };
        assert_eq!(Header::from_bytes(&first.to_bytes()).unwrap(), first);
        let bytes = h.to_bytes();
        for cut in 0..bytes.len() {
            assert!(Header::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Header::from_bytes(&longer), Err(HeaderDecodeError::TrailingBytes(1)));
        let mut version = bytes;
        version[0] = 2;
        assert_eq!(Header::from_bytes(&version), Err(HeaderDecodeError::UnknownVersion(2)));
    }
}
