//! Resealing every value in bounded, resumable batches: converting a plaintext database
//! ([`Encrypted::encrypt_existing`]) and rotating the value key ([`Encrypted::rotate`]).
//!
//! They follow the migrations' rules (`strata_core::migrate`): each batch is one atomic commit
//! holding its rewritten values **and** the key ring recording how far the work has got, so a
//! process killed at any moment resumes after the last batch it committed. Columns are worked
//! through in name order, each in key order. While a rotation runs both keys open values, but a
//! value under the old key behind the rotation's position was put back from an older copy and
//! reads as tampered; the batch that finishes drops the old key.

use strata_core::migrate::{DEFAULT_BATCH_BYTES, DEFAULT_BATCH_KEYS};
use strata_core::range::successor;
use strata_core::{Column, Cursor as _, KeyRange, Transaction, WriteLayer};

use crate::error::EncryptionError;
use crate::key::UnlockKey;
use crate::layer::Encrypted;
use crate::ring::{Keys, Progress, ProgressKind, ring_key};
use crate::seal::version_of;

/// How big each batch of a conversion or rotation is.
#[derive(Debug, Clone, Copy)]
pub struct ResealOptions {
    /// Entries per batch at most.
    pub batch_keys: usize,
    /// Bytes read per batch (keys and values) at most; a batch holds at least one entry.
    pub batch_bytes: usize,
}

impl Default for ResealOptions {
    /// The migrations' defaults: 10 000 entries or 16 MiB.
    fn default() -> Self {
        Self { batch_keys: DEFAULT_BATCH_KEYS, batch_bytes: DEFAULT_BATCH_BYTES }
    }
}

/// Where a conversion or rotation is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct ResealProgress<'a> {
    /// The column being worked through.
    pub column: &'a str,
    /// Entries done by this run so far, all columns together.
    pub done: u64,
    /// Entries this run had left to do when it started.
    pub total: u64,
}

/// What a conversion or rotation did in this run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Values sealed under the new key.
    pub resealed: u64,
    /// Values that did not open under the old key and were left as they were (they read as
    /// tampered before and after; resealing them would launder them).
    pub tampered: u64,
    /// Values already under the new key (written since the rotation began).
    pub current: u64,
    /// Commits made.
    pub batches: u64,
    /// Whether this run resumed work an earlier one started.
    pub resumed: bool,
}

/// The columns to work through: every one but the meta column, in name order.
fn work_columns(columns: &[Column]) -> Vec<Column> {
    let mut work: Vec<Column> = columns.iter().copied().filter(|&c| !Keys::is_meta(c)).collect();
    work.sort_by_key(Column::name);
    work.dedup_by_key(|c| c.name());
    work
}

impl<L: WriteLayer> Encrypted<L> {
    /// Turns a database of plaintext values into an encrypted one, or finishes a conversion an
    /// earlier run started. A database already encrypted is
    /// [`EncryptionError::AlreadyEncrypted`].
    ///
    /// Nothing else may write to the database meanwhile ([`Encrypted::open`] refuses it until
    /// the conversion finishes). Old plaintext may stay in the backend's files until they are
    /// compacted: on RocksDB, call `RocksDb::compact` after this returns (`strata encrypt`
    /// does).
    pub fn encrypt_existing(
        mut inner: L,
        unlock: &UnlockKey,
        columns: &[Column],
        options: ResealOptions,
        observe: impl FnMut(&ResealProgress<'_>),
    ) -> Result<(Self, ResealReport), EncryptionError> {
        let work = work_columns(columns);
        let stored = inner
            .get(strata_core::versions::VERSIONS, &ring_key())?
            .map(strata_core::Slice::into_vec);
        let (keys, resumed) = if let Some(stored) = stored {
            let keys = Keys::unlock(&stored, unlock)?;
            match keys.progress() {
                Some(p) if p.kind == ProgressKind::Encrypting => (keys, true),
                _ => return Err(EncryptionError::AlreadyEncrypted),
            }
        } else {
            {
                let mut keys = Keys::generate(unlock)?;
                keys.set_progress(work.first().map(|first| Progress {
                    kind: ProgressKind::Encrypting,
                    column: first.name().to_owned(),
                    after: None,
                }));
                let mut transaction = Transaction::new();
                keys.stage(&mut transaction);
                inner.apply(&transaction)?;
                (keys, false)
            }
        };
        let mut encrypted = Self { inner, keys };
        let mut report = encrypted.reseal(&work, options, observe)?;
        report.resumed = resumed;
        Ok((encrypted, report))
    }

    /// Replaces the value key: seals every value under a new key and then forgets the old one,
    /// or finishes a rotation an earlier run started. Reads and writes keep working between
    /// batches (see [`Encrypted::rotate_batch`] to interleave them); new writes use the new key
    /// from the start.
    ///
    /// `columns` are the columns holding sealed values (every column the database was opened
    /// with is right; the meta column is skipped).
    pub fn rotate(
        &mut self,
        columns: &[Column],
        options: ResealOptions,
        observe: impl FnMut(&ResealProgress<'_>),
    ) -> Result<ResealReport, EncryptionError> {
        let resumed = self.start_rotation(columns)?;
        let mut report = self.reseal(&work_columns(columns), options, observe)?;
        report.resumed = resumed;
        Ok(report)
    }

    /// Runs one batch of a rotation (starting one if none is running): `true` once it has
    /// finished. For callers that serve reads and writes between batches.
    pub fn rotate_batch(
        &mut self,
        columns: &[Column],
        options: ResealOptions,
    ) -> Result<bool, EncryptionError> {
        if !self.is_rotating() {
            self.start_rotation(columns)?;
        }
        let mut report = ResealReport::default();
        self.batch(&work_columns(columns), options, &mut report)
    }

    /// Adds a new key and records the rotation, unless one is running: whether it resumes.
    fn start_rotation(&mut self, columns: &[Column]) -> Result<bool, EncryptionError> {
        if self.is_rotating() {
            return Ok(true);
        }
        let work = work_columns(columns);
        let mut next = self.keys.clone();
        let from = next.current().version();
        next.add_key();
        match work.first() {
            Some(first) => next.set_progress(Some(Progress {
                kind: ProgressKind::Rotating { from },
                column: first.name().to_owned(),
                after: None,
            })),
            None => next.retire_old_keys(),
        }
        let mut transaction = Transaction::new();
        next.stage(&mut transaction);
        self.inner.apply(&transaction)?;
        self.keys = next;
        Ok(false)
    }

    /// Runs batches until the recorded work is done.
    fn reseal(
        &mut self,
        work: &[Column],
        options: ResealOptions,
        mut observe: impl FnMut(&ResealProgress<'_>),
    ) -> Result<ResealReport, EncryptionError> {
        let total = self.remaining(work)?;
        let mut report = ResealReport::default();
        while let Some(progress) = self.keys.progress() {
            let column = progress.column.clone();
            let done = self.batch(work, options, &mut report)?;
            observe(&ResealProgress {
                column: &column,
                done: report.resealed + report.tampered + report.current,
                total,
            });
            if done {
                break;
            }
        }
        Ok(report)
    }

    /// Entries left to reseal from the recorded position on.
    fn remaining(&self, work: &[Column]) -> Result<u64, EncryptionError> {
        let Some(progress) = self.keys.progress() else { return Ok(0) };
        let mut total = 0;
        for &column in work.iter().filter(|c| c.name() >= progress.column.as_str()) {
            let range = match (&progress.after, column.name() == progress.column) {
                (Some(after), true) => KeyRange::new(successor(after), None),
                _ => KeyRange::new(Vec::new(), None),
            };
            let mut cursor = self.inner.cursor(column, &range)?;
            cursor.seek_to_first();
            while cursor.key().is_some() {
                total += 1;
                cursor.next();
            }
            cursor.status()?;
        }
        Ok(total)
    }

    /// One batch: reseals up to the options' bounds from the recorded position, and commits the
    /// values with the new position (or the end of the work). `true` when the work is done.
    fn batch(
        &mut self,
        work: &[Column],
        options: ResealOptions,
        report: &mut ResealReport,
    ) -> Result<bool, EncryptionError> {
        let Some(progress) = self.keys.progress().cloned() else { return Ok(true) };
        let Some(index) = work.iter().position(|c| c.name() == progress.column) else {
            return Err(EncryptionError::ColumnNotOpen { column: progress.column });
        };
        let column = work[index];
        let start = progress.after.as_deref().map(successor).unwrap_or_default();
        let mut transaction = Transaction::new();
        let (mut keys, mut bytes, mut last) = (0, 0, None);
        let mut exhausted = true;
        let mut counts = ResealReport::default();
        {
            let mut cursor = self.inner.cursor(column, &KeyRange::new(start, None))?;
            cursor.seek_to_first();
            let mut plain = zeroize::Zeroizing::new(Vec::new());
            while let Some((key, value)) = cursor.item() {
                if keys >= options.batch_keys || (keys > 0 && bytes >= options.batch_bytes) {
                    exhausted = false;
                    break;
                }
                let current = self.keys.current();
                match progress.kind {
                    ProgressKind::Encrypting => {
                        transaction.put(column, key, current.seal(column.name(), key, value));
                        counts.resealed += 1;
                    }
                    ProgressKind::Rotating { from } => match version_of(value) {
                        Some(version) if version == current.version() => counts.current += 1,
                        Some(version)
                            if version == from
                                && self.keys.sealer(from).is_some_and(|old| {
                                    old.open(column.name(), key, value, &mut plain)
                                }) =>
                        {
                            transaction.put(column, key, current.seal(column.name(), key, &plain));
                            counts.resealed += 1;
                        }
                        _ => counts.tampered += 1,
                    },
                }
                keys += 1;
                bytes += key.len() + value.len();
                last = Some(key.to_vec());
                cursor.next();
            }
            cursor.status()?;
        }
        let mut next = self.keys.clone();
        let finished = exhausted && index + 1 == work.len();
        if finished {
            next.set_progress(None);
            next.retire_old_keys();
        } else if exhausted {
            next.set_progress(Some(Progress {
                kind: progress.kind,
                column: work[index + 1].name().to_owned(),
                after: None,
            }));
        } else {
            next.set_progress(Some(Progress { after: last, ..progress }));
        }
        next.stage(&mut transaction);
        self.inner.apply(&transaction)?;
        self.keys = next;
        report.resealed += counts.resealed;
        report.tampered += counts.tampered;
        report.current += counts.current;
        report.batches += 1;
        Ok(finished)
    }
}
