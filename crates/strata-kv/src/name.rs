//! Names: the three parts of an address, validated, and their fixed-width key encoding.

use std::fmt;

use strata_core::{KeyComponent, KeyError};

/// The longest primary namespace, secondary namespace or key, in characters (LDK's
/// `KVSTORE_NAMESPACE_KEY_MAX_LEN`).
pub const MAX_NAME_LEN: usize = 120;

/// Which part of an address a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamePart {
    /// The primary namespace.
    Primary,
    /// The secondary namespace.
    Secondary,
    /// The key within a namespace.
    Key,
}

impl fmt::Display for NamePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NamePart::Primary => "primary namespace",
            NamePart::Secondary => "secondary namespace",
            NamePart::Key => "key",
        })
    }
}

/// Why a name is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameReason {
    /// The key is empty; only namespaces may be empty.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name has a character outside `[A-Za-z0-9_-]`.
    BadChar {
        /// The character.
        ch: char,
        /// Its byte offset in the name.
        at: usize,
    },
    /// The secondary namespace is set while the primary namespace is empty.
    SecondaryWithoutPrimary,
}

impl fmt::Display for NameReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameReason::Empty => f.write_str("a key may not be empty"),
            NameReason::TooLong { len } => {
                write!(f, "{len} characters, more than the {MAX_NAME_LEN} allowed")
            }
            NameReason::BadChar { ch, at } => {
                write!(f, "character {ch:?} at byte {at} is not one of [A-Za-z0-9_-]")
            }
            NameReason::SecondaryWithoutPrimary => {
                f.write_str("a secondary namespace needs a non-empty primary namespace")
            }
        }
    }
}

/// Where a value lives: primary namespace, secondary namespace, key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The primary namespace (may be empty).
    pub primary: String,
    /// The secondary namespace (empty when the primary namespace is).
    pub secondary: String,
    /// The key (never empty).
    pub key: String,
}

impl Address {
    /// An address from its three parts (not yet validated).
    pub fn new(
        primary: impl Into<String>,
        secondary: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self { primary: primary.into(), secondary: secondary.into(), key: key.into() }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.primary, self.secondary, self.key)
    }
}

/// Which bytes may appear in a name: LDK's `KVSTORE_NAMESPACE_KEY_ALPHABET`, as a table, since
/// names are checked on every call and every listed key (a table lookup per byte, no branches
/// that mispredict on random names).
const ALLOWED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        byte += 1;
    }
    table
};

/// Whether `ch` may appear in a name.
pub(crate) fn allowed(ch: char) -> bool {
    ch.is_ascii() && ALLOWED[ch as usize]
}

/// Whether `bytes` is a name: at most [`MAX_NAME_LEN`] bytes of the alphabet.
pub(crate) fn is_name(bytes: &[u8]) -> bool {
    bytes.len() <= MAX_NAME_LEN && bytes.iter().all(|&b| ALLOWED[usize::from(b)])
}

/// Checks one name's length and alphabet (not emptiness).
pub(crate) fn check(name: &str) -> Result<(), NameReason> {
    if is_name(name.as_bytes()) {
        return Ok(());
    }
    if let Some((at, ch)) = name.char_indices().find(|&(_, ch)| !allowed(ch)) {
        return Err(NameReason::BadChar { ch, at });
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameReason::TooLong { len: name.len() });
    }
    Ok(())
}

/// A name as a fixed-width key component: its bytes, then zero bytes up to [`MAX_NAME_LEN`].
///
/// The alphabet has no NUL byte, so padding keeps names unique, and since NUL sorts before every
/// allowed character, padded names sort exactly as the names do (a name before its extensions).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name([u8; MAX_NAME_LEN]);

impl Name {
    /// Pads a name already checked by [`check`].
    pub(crate) fn padded(name: &str) -> Self {
        let mut bytes = [0; MAX_NAME_LEN];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Self(bytes)
    }

    /// The name without its padding.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(MAX_NAME_LEN);
        // Decoding admits only the alphabet, which is ASCII.
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl KeyComponent for Name {
    type Len = <[u8; MAX_NAME_LEN] as KeyComponent>::Len;

    fn write_to(&self, out: &mut [u8]) {
        self.0.write_to(out);
    }

    fn read_from(bytes: &[u8]) -> Result<Self, KeyError> {
        let raw = <[u8; MAX_NAME_LEN]>::read_from(bytes)?;
        let len = raw.iter().position(|&b| b == 0).unwrap_or(MAX_NAME_LEN);
        let valid = is_name(&raw[..len]) && raw[len..].iter().all(|&b| b == 0);
        if valid {
            Ok(Self(raw))
        } else {
            Err(KeyError::InvalidComponent {
                component: "Name",
                reason: "not a zero-padded name of [A-Za-z0-9_-]".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_keeps_order_and_round_trips() {
        let names = ["", "a", "a-", "aA", "ab", "b", "z_"];
        let mut padded: Vec<Name> = names.iter().map(|n| Name::padded(n)).collect();
        padded.sort();
        let back: Vec<&str> = padded.iter().map(Name::as_str).collect();
        let mut sorted = names.to_vec();
        sorted.sort_unstable();
        assert_eq!(back, sorted);
        let max = "A".repeat(MAX_NAME_LEN);
        assert_eq!(Name::padded(&max).as_str(), max);
    }

    #[test]
    fn decoding_rejects_bytes_no_name_encodes_to() {
        let mut bytes = [0u8; MAX_NAME_LEN];
        bytes[0] = b'a';
        assert!(Name::read_from(&bytes).is_ok());
        bytes[2] = b'b'; // a character after the padding started
        assert!(Name::read_from(&bytes).is_err());
        bytes[2] = 0;
        bytes[1] = b'/';
        assert!(Name::read_from(&bytes).is_err());
    }

    #[test]
    fn check_names_the_first_bad_character() {
        assert_eq!(check("ok_-9"), Ok(()));
        assert_eq!(check("a/b"), Err(NameReason::BadChar { ch: '/', at: 1 }));
        assert_eq!(check("é"), Err(NameReason::BadChar { ch: 'é', at: 0 }));
        assert_eq!(check(&"x".repeat(121)), Err(NameReason::TooLong { len: 121 }));
    }
}
