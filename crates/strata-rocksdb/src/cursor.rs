//! [`RocksCursor`]: a Strata cursor over a RocksDB raw iterator.

use rocksdb::{ColumnFamily, DB, DBRawIterator, SnapshotWithThreadMode};
use strata_core::{Cursor, KeyRange, StorageResult as Result};

use crate::error::classify;
use crate::read_options::read_options;

/// A cursor over one column family within a range, reading one snapshot.
///
/// Bounds are set in RocksDB's read options, so scans stop at the range without reading past it.
/// When the range lies inside one declared prefix, the cursor starts in prefix mode, where seeks
/// consult the prefix bloom filters. RocksDB's prefix mode is only sound for seeks whose target
/// carries that prefix, which a backward seek to the range's end does not, so the first backward
/// move reopens the iterator in total order on the same snapshot and carries on from the same
/// key.
pub struct RocksCursor<'a> {
    // Field order matters: the iterator reads through the snapshot, so it is dropped first.
    iter: DBRawIterator<'a>,
    snapshot: Option<SnapshotWithThreadMode<'a, DB>>,
    db: &'a DB,
    cf: &'a ColumnFamily,
    range: KeyRange,
    prefix_mode: bool,
}

impl<'a> RocksCursor<'a> {
    pub(crate) fn new(
        db: &'a DB,
        cf: &'a ColumnFamily,
        range: KeyRange,
        prefix_mode: bool,
    ) -> Self {
        if prefix_mode {
            // An explicit snapshot lets the total-order iterator created later see the same data.
            let snapshot = db.snapshot();
            let mut options = read_options(&range, true);
            options.set_snapshot(&snapshot);
            let iter = db.raw_iterator_cf_opt(cf, options);
            Self { iter, snapshot: Some(snapshot), db, cf, range, prefix_mode }
        } else {
            // A RocksDB iterator reads an implicit snapshot taken when it is created.
            let iter = db.raw_iterator_cf_opt(cf, read_options(&range, false));
            Self { iter, snapshot: None, db, cf, range, prefix_mode }
        }
    }

    /// Leaves prefix mode before a backward move.
    fn total_order(&mut self) {
        if !self.prefix_mode {
            return;
        }
        let mut options = read_options(&self.range, false);
        if let Some(snapshot) = &self.snapshot {
            options.set_snapshot(snapshot);
        }
        let position = self.iter.key().map(<[u8]>::to_vec);
        self.iter = self.db.raw_iterator_cf_opt(self.cf, options);
        self.prefix_mode = false;
        if let Some(key) = position {
            self.iter.seek(&key);
        }
    }
}

impl Cursor for RocksCursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        // RocksDB does not promise to honour the lower bound for targets below it.
        if key < self.range.start() {
            self.seek_to_first();
        } else {
            self.iter.seek(key);
        }
    }

    fn seek_for_prev(&mut self, key: &[u8]) {
        self.total_order();
        match self.range.end() {
            Some(end) if key >= end => self.iter.seek_to_last(),
            _ => self.iter.seek_for_prev(key),
        }
    }

    fn seek_to_first(&mut self) {
        if self.range.start().is_empty() {
            self.iter.seek_to_first();
        } else {
            self.iter.seek(self.range.start());
        }
    }

    fn seek_to_last(&mut self) {
        self.total_order();
        self.iter.seek_to_last();
    }

    #[inline]
    fn next(&mut self) {
        self.iter.next();
    }

    #[inline]
    fn prev(&mut self) {
        self.total_order();
        self.iter.prev();
    }

    #[inline]
    fn key(&self) -> Option<&[u8]> {
        self.iter.key()
    }

    #[inline]
    fn value(&self) -> Option<&[u8]> {
        self.iter.value()
    }

    #[inline]
    fn item(&self) -> Option<(&[u8], &[u8])> {
        self.iter.item()
    }

    fn status(&self) -> Result<()> {
        self.iter.status().map_err(classify)
    }
}
