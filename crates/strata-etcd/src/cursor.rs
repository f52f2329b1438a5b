//! [`EtcdCursor`]: a cursor over one column at a pinned revision, in bounded pages.

use strata_core::{Cursor, KeyRange, StorageResult};

use crate::error::EtcdError;

/// A page of a column's entries, keys without the column's prefix.
pub(crate) type Page = Vec<(Vec<u8>, Vec<u8>)>;

/// Where a cursor's pages come from (the database that made it).
pub(crate) trait Pages: Sync {
    /// Entries a page holds at most.
    fn page_size(&self) -> usize;

    /// The entries of the column with key prefix `prefix` within `[from, to)` at `revision`:
    /// a page ascending from `from`, or descending from just below `to` when `reverse`.
    fn page(
        &self,
        prefix: &[u8],
        from: &[u8],
        to: Option<&[u8]>,
        revision: i64,
        reverse: bool,
    ) -> Result<Page, EtcdError>;
}

/// A cursor over one column's keys in a range, reading the revision pinned when it was created.
///
/// It holds one page of entries (at most `EtcdConfig::page_size`), fetched as it moves: forward
/// pages in key order, backward pages with etcd's descending key sort. Every page is read at the
/// cursor's revision, so a scan sees one snapshot however long it takes — until the cluster
/// compacts that revision away, which the cursor reports as [`EtcdError::SnapshotExpired`].
pub struct EtcdCursor<'a> {
    db: &'a dyn Pages,
    prefix: Vec<u8>,
    range: KeyRange,
    revision: i64,
    /// The current page, ascending, without gaps: no key of the range lies between two of its
    /// entries.
    page: Vec<(Vec<u8>, Vec<u8>)>,
    at: Option<usize>,
    /// Nothing in range after the page's last entry / before its first.
    ends_after: bool,
    ends_before: bool,
    error: Option<EtcdError>,
    /// `page` is the range's first page, read when the cursor was created, not yet used.
    prefetched: bool,
}

impl std::fmt::Debug for EtcdCursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdCursor")
            .field("revision", &self.revision)
            .field("range", &self.range)
            .field("key", &self.key())
            .finish_non_exhaustive()
    }
}

impl<'a> EtcdCursor<'a> {
    pub(crate) fn new(db: &'a dyn Pages, prefix: Vec<u8>, range: KeyRange, revision: i64) -> Self {
        Self {
            db,
            prefix,
            range,
            revision,
            page: Vec::new(),
            at: None,
            ends_after: false,
            ends_before: false,
            error: None,
            prefetched: false,
        }
    }

    /// A cursor whose creation already read `first`, the range's first ascending page, at
    /// `revision`: a first `seek_to_first` (and any seek, when the page holds the whole range)
    /// is served from it.
    pub(crate) fn with_first_page(
        db: &'a dyn Pages,
        prefix: Vec<u8>,
        range: KeyRange,
        revision: i64,
        first: Page,
    ) -> Self {
        let mut cursor = Self::new(db, prefix, range, revision);
        cursor.ends_after = first.len() < db.page_size();
        cursor.ends_before = true;
        cursor.page = first;
        cursor.prefetched = true;
        cursor
    }

    /// Whether the page held is the range's first and still unused since the cursor's creation
    /// (the only time `page` is set while unpositioned); takes it if so.
    fn take_prefetched(&mut self) -> bool {
        std::mem::take(&mut self.prefetched)
    }

    /// The revision the cursor reads at.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    fn fail(&mut self, error: EtcdError) {
        self.error = Some(error);
        self.page.clear();
        self.at = None;
    }

    /// Loads the page of keys `>= from` (within range) and stands on its first entry.
    fn load_from(&mut self, from: &[u8]) {
        let from =
            if from < self.range.start() { self.range.start().to_vec() } else { from.to_vec() };
        match self.db.page(&self.prefix, &from, self.range.end(), self.revision, false) {
            Ok(page) => {
                self.ends_after = page.len() < self.db.page_size();
                self.ends_before = false;
                self.at = if page.is_empty() { None } else { Some(0) };
                self.page = page;
            }
            Err(error) => self.fail(error),
        }
    }

    /// Loads the page of keys `< to` (within range; `None`: up to the range's end) and stands on
    /// its last entry.
    fn load_before(&mut self, to: Option<Vec<u8>>) {
        let to = match (to, self.range.end()) {
            (Some(to), Some(end)) if to.as_slice() > end => Some(end.to_vec()),
            (Some(to), _) => Some(to),
            (None, end) => end.map(<[u8]>::to_vec),
        };
        let start = self.range.start().to_vec();
        match self.db.page(&self.prefix, &start, to.as_deref(), self.revision, true) {
            Ok(mut page) => {
                page.reverse();
                self.ends_before = page.len() < self.db.page_size();
                self.ends_after = false;
                self.at = page.len().checked_sub(1);
                self.page = page;
            }
            Err(error) => self.fail(error),
        }
    }
}

/// The first key after `key`.
fn successor(key: &[u8]) -> Vec<u8> {
    let mut next = key.to_vec();
    next.push(0);
    next
}

impl Cursor for EtcdCursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        self.error = None;
        if self.take_prefetched() && (self.ends_after || key <= self.range.start()) {
            let at = self.page.partition_point(|(k, _)| k.as_slice() < key);
            self.at = (at < self.page.len()).then_some(at);
            return;
        }
        self.load_from(key);
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        self.error = None;
        if self.take_prefetched() && self.ends_after {
            let at = self.page.partition_point(|(k, _)| k.as_slice() <= key);
            self.at = at.checked_sub(1);
            return;
        }
        self.load_before(Some(successor(key)));
    }

    fn seek_to_first(&mut self) {
        self.error = None;
        if self.take_prefetched() {
            self.at = (!self.page.is_empty()).then_some(0);
            return;
        }
        let start = self.range.start().to_vec();
        self.load_from(&start);
    }

    fn seek_to_last(&mut self) {
        self.error = None;
        if self.take_prefetched() && self.ends_after {
            self.at = self.page.len().checked_sub(1);
            return;
        }
        self.load_before(None);
    }

    fn next(&mut self) {
        let Some(at) = self.at else { return };
        if at + 1 < self.page.len() {
            self.at = Some(at + 1);
        } else if self.ends_after {
            self.at = None;
        } else {
            let after = successor(&self.page[at].0);
            self.load_from(&after);
        }
    }

    fn prev(&mut self) {
        let Some(at) = self.at else { return };
        if at > 0 {
            self.at = Some(at - 1);
        } else if self.ends_before {
            self.at = None;
        } else {
            let before = self.page[0].0.clone();
            self.load_before(Some(before));
        }
    }

    fn key(&self) -> Option<&[u8]> {
        Some(&self.page[self.at?].0)
    }

    fn value(&self) -> Option<&[u8]> {
        Some(&self.page[self.at?].1)
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        let (key, value) = &self.page[self.at?];
        Some((key, value))
    }

    fn status(&self) -> StorageResult<()> {
        match &self.error {
            Some(error) => Err(error.clone().into_storage()),
            None => Ok(()),
        }
    }
}
