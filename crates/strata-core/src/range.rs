//! Half-open byte ranges: what a cursor walks.
//!
//! Every `RangeBounds<[u8]>` (and every key prefix) normalises to one [`KeyRange`]
//! `[start, end)`: the immediate successor of a key `k` in byte order is `k ++ [0x00]`, so an
//! excluded start or an included end becomes an inclusive start or an exclusive end exactly.
//!
//! Iteration methods take `impl Into<KeyRange>`, so any std range over byte strings works:
//!
//! ```
//! use strata_core::KeyRange;
//!
//! assert!(KeyRange::from(..).contains(b"anything"));
//! assert!(KeyRange::from(b"a"..b"c").contains(b"b"));
//! assert!(KeyRange::from(b"a".to_vec()..=b"c".to_vec()).contains(b"c"));
//! assert!(!KeyRange::from(..b"c").contains(b"c"));
//! ```

use std::ops::{
    Bound, Range, RangeBounds, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive,
};

/// The keys `k` with `start <= k` and, when `end` is set, `k < end`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyRange {
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> Self {
        Self::default()
    }

    /// The keys from `start` (inclusive) to `end` (exclusive, `None` for no end).
    pub fn new(start: Vec<u8>, end: Option<Vec<u8>>) -> Self {
        Self { start, end }
    }

    /// Normalises any standard range of byte strings.
    pub fn from_bounds<R: RangeBounds<[u8]> + ?Sized>(range: &R) -> Self {
        let start = match range.start_bound() {
            Bound::Included(key) => key.to_vec(),
            Bound::Excluded(key) => successor(key),
            Bound::Unbounded => Vec::new(),
        };
        let end = match range.end_bound() {
            Bound::Included(key) => Some(successor(key)),
            Bound::Excluded(key) => Some(key.to_vec()),
            Bound::Unbounded => None,
        };
        Self { start, end }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        Self { start: prefix.to_vec(), end: prefix_end(prefix) }
    }

    /// The inclusive start (empty when unbounded below).
    pub fn start(&self) -> &[u8] {
        &self.start
    }

    /// The exclusive end, if any.
    pub fn end(&self) -> Option<&[u8]> {
        self.end.as_deref()
    }

    /// The inclusive start and the exclusive end.
    pub fn into_parts(self) -> (Vec<u8>, Option<Vec<u8>>) {
        (self.start, self.end)
    }

    /// Whether no key can fall in the range.
    pub fn is_empty(&self) -> bool {
        self.end.as_deref().is_some_and(|end| end <= self.start.as_slice())
    }

    /// Whether `key` falls in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|end| key < end)
    }

    /// The same bounds as a standard `(Bound, Bound)` pair.
    pub fn as_bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (
            Bound::Included(self.start.as_slice()),
            self.end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        )
    }

    /// The longest prefix shared by every key in the range, as far as the bounds tell.
    pub fn common_prefix(&self) -> &[u8] {
        let len = (0..=self.start.len()).rev().find(|&len| self.within_prefix(len)).unwrap_or(0);
        &self.start[..len]
    }

    /// Whether every key in the range starts with the same `len` bytes (those of `start`), as
    /// far as the bounds tell. Backends use it to decide whether a scan stays inside one
    /// bloom-filter prefix.
    pub fn within_prefix(&self, len: usize) -> bool {
        // [start, end) stays under p when start begins with p and end <= prefix_end(p).
        let (Some(prefix), Some(end)) = (self.start.get(..len), self.end.as_deref()) else {
            return false;
        };
        // prefix_end(p) is p up to its last byte below 0xff, that byte incremented; compared
        // with `end` in place rather than built.
        let Some(last) = prefix.iter().rposition(|&byte| byte != 0xff) else {
            return false;
        };
        let limit = prefix[..last].iter().copied().chain([prefix[last] + 1]);
        end.iter().copied().cmp(limit) != std::cmp::Ordering::Greater
    }
}

impl From<RangeFull> for KeyRange {
    fn from(_: RangeFull) -> Self {
        Self::all()
    }
}

macro_rules! from_std_range {
    ($($range:ident),*) => {$(
        impl<K: AsRef<[u8]>> From<$range<K>> for KeyRange {
            fn from(range: $range<K>) -> Self {
                let start = range.start_bound().map(AsRef::as_ref);
                let end = range.end_bound().map(AsRef::as_ref);
                Self::from_bounds(&(start, end))
            }
        }
    )*};
}

from_std_range!(Range, RangeInclusive, RangeFrom, RangeTo, RangeToInclusive);

impl<K: AsRef<[u8]>> From<(Bound<K>, Bound<K>)> for KeyRange {
    fn from((start, end): (Bound<K>, Bound<K>)) -> Self {
        Self::from_bounds(&(start.as_ref().map(AsRef::as_ref), end.as_ref().map(AsRef::as_ref)))
    }
}

/// The immediate successor of `key` in byte order: `key ++ [0x00]`.
pub fn successor(key: &[u8]) -> Vec<u8> {
    let mut next = Vec::with_capacity(key.len() + 1);
    next.extend_from_slice(key);
    next.push(0);
    next
}

/// The smallest key greater than every key starting with `prefix`, or `None` if there is none
/// (the prefix is empty or all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&byte| byte != 0xff)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_normalise_to_half_open() {
        let r = KeyRange::from_bounds(&(Bound::Excluded(&b"a"[..]), Bound::Included(&b"c"[..])));
        assert_eq!(r, KeyRange::new(b"a\0".to_vec(), Some(b"c\0".to_vec())));
        assert!(!r.contains(b"a"));
        assert!(r.contains(b"a\0"));
        assert!(r.contains(b"c"));
        assert!(!r.contains(b"c\0"));
        assert_eq!(KeyRange::from(..), KeyRange::all());
    }

    #[test]
    fn empty_ranges_are_detected() {
        assert!(KeyRange::from(b"b"..b"a").is_empty());
        assert!(KeyRange::from(b"a"..b"a").is_empty());
        assert!(!KeyRange::from(b"a"..=b"a").is_empty());
        assert!(!KeyRange::all().is_empty());
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
        let r = KeyRange::prefix(b"ab");
        assert!(r.contains(b"ab") && r.contains(b"ab\xff\xff") && !r.contains(b"ac"));
        assert_eq!(r.common_prefix(), b"ab");
        assert_eq!(KeyRange::prefix(b"\xff").common_prefix(), b"");
        assert_eq!(KeyRange::from(b"abc"..b"abd").common_prefix(), b"abc");
        assert_eq!(KeyRange::from(b"abc"..b"abz").common_prefix(), b"ab");
        assert_eq!(KeyRange::from(&b"ab\xff"[..]..&b"ac"[..]).common_prefix(), b"ab\xff");
        assert_eq!(KeyRange::from(b"ab\xff"..b"ac\x00").common_prefix(), b"a");
        assert!(KeyRange::prefix(b"abc").within_prefix(3));
        assert!(!KeyRange::prefix(b"abc").within_prefix(4));
        assert!(!KeyRange::from(b"abc"..).within_prefix(1));
    }
}
