//! Columns: the open set of keyspaces an application declares.
//!
//! A [`Column`] is a named keyspace with a stable on-disk name. Applications declare their own
//! columns as constants; the engine keeps no list of them. On RocksDB every column is a column
//! family of the same name.
//!
//! ```
//! use strata_core::Column;
//!
//! /// Per-context state, walked one context at a time.
//! pub const STATE: Column = Column::new("state").with_prefix_len(32);
//! assert_eq!(STATE.name(), "state");
//! assert_eq!(STATE.prefix_len(), Some(32));
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A named keyspace.
///
/// Two columns are the same column when their names are equal; the name is what is stored on
/// disk, so it must never change once data has been written. The optional prefix length declares
/// that keys in this column are usually read by a fixed-length leading prefix (for example a
/// context id), which backends may use to build prefix bloom filters.
#[derive(Clone, Copy)]
pub struct Column {
    name: &'static str,
    prefix_len: Option<usize>,
}

impl Column {
    /// Declares a column named `name`.
    ///
    /// # Panics
    ///
    /// Panics if `name` is empty, longer than 64 bytes, is RocksDB's reserved `default`, or holds
    /// anything but ASCII letters, digits, `_`, `-` and `.`. Columns are declared as constants, so
    /// this is a compile-time error in practice.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        assert!(
            is_valid_name(name),
            "column names are 1-64 bytes of [A-Za-z0-9_.-], not `default`"
        );
        Self { name, prefix_len: None }
    }

    /// Declares that keys in this column are read by a leading prefix of `len` bytes.
    ///
    /// # Panics
    ///
    /// Panics if `len` is zero.
    #[must_use]
    pub const fn with_prefix_len(mut self, len: usize) -> Self {
        assert!(len > 0, "a column's prefix length must be positive");
        self.prefix_len = Some(len);
        self
    }

    /// The column's stable on-disk name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The declared prefix length, if any.
    pub const fn prefix_len(&self) -> Option<usize> {
        self.prefix_len
    }
}

/// Whether `name` is acceptable as a column name.
pub const fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > 64 {
        return false;
    }
    if bytes.len() == 7 {
        let reserved = b"default";
        let mut i = 0;
        let mut same = true;
        while i < 7 {
            if bytes[i] != reserved[i] {
                same = false;
            }
            i += 1;
        }
        if same {
            return false;
        }
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.') {
            return false;
        }
        i += 1;
    }
    true
}

impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        // Columns are constants, so the same column nearly always shares one `&'static str`.
        std::ptr::eq(self.name, other.name) || self.name == other.name
    }
}

impl Eq for Column {}

impl PartialOrd for Column {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Column {
    fn cmp(&self, other: &Self) -> Ordering {
        if std::ptr::eq(self.name, other.name) {
            return Ordering::Equal;
        }
        self.name.cmp(other.name)
    }
}

impl Hash for Column {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl fmt::Debug for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len {
            Some(len) => write!(f, "Column({:?}, prefix {len})", self.name),
            None => write!(f, "Column({:?})", self.name),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(is_valid_name("state"));
        assert!(is_valid_name("app.meta-v2_1"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("default"));
        assert!(is_valid_name("defaults"));
        assert!(!is_valid_name("has space"));
        assert!(!is_valid_name(&"x".repeat(65)));
    }

    #[test]
    fn identity_is_the_name() {
        let a = Column::new("a");
        assert_eq!(a, Column::new("a").with_prefix_len(4));
        assert!(Column::new("a") < Column::new("b"));
    }
}
