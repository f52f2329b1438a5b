//! Paginated listing: pages of keys newest-created first, and the token that continues them.

use std::fmt;
use std::str::FromStr;

use crate::error::KvError;
use crate::name::{self, NameReason};

/// Where the next page of a listing starts: the last key returned and its creation number.
///
/// Pages walk a namespace's keys newest-created first; a key keeps its creation number when it is
/// overwritten, so an overwrite during pagination never moves a key between pages. The token
/// carries the creation number as well as the key, so a listing resumes correctly even when the
/// key it names has been removed since.
///
/// As text (for LDK's string tokens) it is the creation number as 16 hexadecimal digits followed
/// by the key, as in `000000000000002amonitor_7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageToken {
    pub(crate) created: u64,
    pub(crate) key: String,
}

impl PageToken {
    /// The last key of the page this token follows.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for PageToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{}", self.created, self.key)
    }
}

impl FromStr for PageToken {
    type Err = KvError;

    fn from_str(token: &str) -> Result<Self, KvError> {
        let invalid = |reason| KvError::InvalidPageToken { token: token.to_owned(), reason };
        let (created, key) = token
            .split_at_checked(16)
            .ok_or_else(|| invalid("shorter than its 16-digit creation number"))?;
        let created = u64::from_str_radix(created, 16)
            .map_err(|_| invalid("does not start with a 16-digit hexadecimal number"))?;
        match name::check(key) {
            Ok(()) if !key.is_empty() => Ok(Self { created, key: key.to_owned() }),
            Ok(()) | Err(NameReason::Empty) => Err(invalid("names no key")),
            Err(_) => Err(invalid("names an invalid key")),
        }
    }
}

/// One page of a namespace's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Keys, most recently created first.
    pub keys: Vec<String>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<PageToken>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_through_text() {
        let token = PageToken { created: 0x1234, key: "monitor_7".into() };
        assert_eq!(token.to_string(), "0000000000001234monitor_7");
        assert_eq!(token.to_string().parse::<PageToken>().unwrap(), token);
    }

    #[test]
    fn malformed_tokens_are_typed_errors() {
        for bad in ["", "123", "zzzzzzzzzzzzzzzzkey", "0000000000000001", "0000000000000001a/b"] {
            assert!(
                matches!(bad.parse::<PageToken>(), Err(KvError::InvalidPageToken { .. })),
                "{bad:?}"
            );
        }
    }
}
