//! A version bump throws a view's state away and rebuilds it from the start of the log, on
//! RocksDB: readers are refused while it runs, progress is reported batch by batch, it ends equal
//! to the reduction from scratch, and a rebuild stopped half-way resumes from its last committed
//! batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use strata_core::{Column, Database, Handle, MemoryDb, Store, Temporal};
use strata_log::{Author, BoxError, Entry, LogConfig, LogStore, NoVerification, Unsigned};
use strata_rocksdb::{RocksConfig, RocksDb};
use strata_views::builtin::{self, AuthorCountsKey, EntryCounts, Totals};
use strata_views::{Committed, Phase, Progress, View, ViewError, ViewState, Views};

const ENTRIES: u64 = 3_000;
const BATCH: usize = 200;

fn columns() -> Vec<Column> {
    [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &builtin::COLUMNS].concat()
}

/// Entry counts at a chosen version, failing (once armed) at one arrival offset.
struct Counts {
    version: u32,
    fail_at: Arc<AtomicU64>,
}

impl<D: Database> View<D> for Counts {
    fn name(&self) -> &str {
        EntryCounts::NAME
    }
    fn version(&self) -> u32 {
        self.version
    }
    fn columns(&self) -> Vec<Column> {
        View::<D>::columns(&EntryCounts)
    }
    fn reduce(
        &self,
        state: &mut ViewState<'_, D>,
        offset: u64,
        entry: &Entry,
    ) -> Result<(), BoxError> {
        if offset == self.fail_at.load(Ordering::SeqCst) {
            return Err("stopped on purpose".into());
        }
        EntryCounts.reduce(state, offset, entry)
    }
}

fn counts(version: u32) -> Counts {
    Counts { version, fail_at: Arc::new(AtomicU64::new(u64::MAX)) }
}

/// The view's columns, read raw.
fn state_of(db: &impl Database) -> Vec<(Vec<u8>, Vec<u8>)> {
    View::<MemoryDb>::columns(&EntryCounts)
        .into_iter()
        .flat_map(|column| strata_testkit::column_contents(db, column))
        .collect()
}

/// The reduction of the whole log from scratch.
fn from_scratch(log: &LogStore<RocksDb>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let fresh = MemoryDb::new(columns());
    let mut state = Temporal::new(Committed::new(&fresh));
    for item in log.stream(None).unwrap() {
        let (offset, entry) = item.unwrap();
        View::<MemoryDb>::reduce(&EntryCounts, &mut state, offset, &entry).unwrap();
    }
    fresh.apply(&state.take_shadow()).unwrap();
    state_of(&fresh)
}

fn open(dir: &std::path::Path, view: Counts, seen: &Arc<Mutex<Vec<Progress>>>) -> Views<RocksDb> {
    let db = RocksDb::open(&RocksConfig::new(dir), &columns()).unwrap();
    let seen = Arc::clone(seen);
    Views::builder()
        .in_step(view)
        .batch(BATCH)
        .background(false)
        .on_progress(move |progress| seen.lock().unwrap().push(progress.clone()))
        .open(db, NoVerification, LogConfig::default().durability(strata_core::Durability::Wal))
        .unwrap()
}

#[test]
fn a_version_bump_rebuilds_equal_to_the_reduction_and_a_stopped_rebuild_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let views = open(dir.path(), counts(1), &seen);
    views.catch_up().unwrap();
    for n in 0..ENTRIES {
        let author = Unsigned(Author([(n % 4) as u8 + 1; 32]));
        views.log().append(&author, n % 3, format!("entry {n}").as_bytes(), None).unwrap();
    }
    let status = views.status(EntryCounts::NAME).unwrap();
    assert!(status.attached && status.since == ENTRIES, "in step: {status:?}");
    let before = state_of(views.log().database());
    assert_eq!(before, from_scratch(views.log()));
    drop(views);

    // Version 2, with a reducer that stops at offset 1 234: the rebuild commits its batches up
    // to the one containing it, then stops with a typed error.
    let view = counts(2);
    view.fail_at.store(1_234, Ordering::SeqCst);
    seen.lock().unwrap().clear();
    let views = open(dir.path(), view, &seen);
    let status = views.status(EntryCounts::NAME).unwrap();
    assert_eq!((status.version, status.phase, status.since), (2, Phase::Clearing, 0));
    assert!(matches!(
        views.reader(EntryCounts::NAME),
        Err(ViewError::Rebuilding { phase: Phase::Clearing, .. })
    ));
    let stopped = views.catch_up().unwrap_err();
    match &stopped {
        ViewError::Stopped { view, source } => {
            assert_eq!(view, EntryCounts::NAME);
            assert!(matches!(**source, ViewError::Reduce { offset: 1_234, .. }), "{source}");
        }
        other => panic!("expected the view to stop, got {other:?}"),
    }
    let status = views.status(EntryCounts::NAME).unwrap();
    assert_eq!((status.phase, status.since), (Phase::Rebuilding, 1_200));
    assert!(matches!(
        views.reader(EntryCounts::NAME),
        Err(ViewError::Rebuilding { phase: Phase::Rebuilding, since: 1_200, end: ENTRIES, .. })
    ));
    // The partial state is exactly the first 1 200 entries' reduction, never presented as ready.
    let progress: Vec<(Phase, u64)> =
        seen.lock().unwrap().iter().map(|p| (p.phase, p.since)).collect();
    assert_eq!(progress.first(), Some(&(Phase::Clearing, 0)), "clearing reported first");
    assert!(progress.contains(&(Phase::Rebuilding, 1_200)));
    drop(views);

    // Reopened at the same version: the rebuild resumes at 1 200, not at 0.
    seen.lock().unwrap().clear();
    let views = open(dir.path(), counts(2), &seen);
    assert_eq!(views.status(EntryCounts::NAME).unwrap().since, 1_200);
    views.catch_up().unwrap();
    let progress: Vec<(Phase, u64)> =
        seen.lock().unwrap().iter().map(|p| (p.phase, p.since)).collect();
    assert_eq!(progress.first(), Some(&(Phase::Rebuilding, 1_400)), "resumed: {progress:?}");
    assert_eq!(progress.last(), Some(&(Phase::Ready, ENTRIES)));
    let status = views.status(EntryCounts::NAME).unwrap();
    assert!(status.attached && status.phase == Phase::Ready && status.since == ENTRIES);
    assert_eq!(state_of(views.log().database()), before, "the rebuild ends where it started");
    assert_eq!(state_of(views.log().database()), from_scratch(views.log()));

    // In step again: an append lands in the view in the same commit.
    let author = Unsigned(Author([1; 32]));
    let appended = views.log().append(&author, 0, b"after", None).unwrap();
    let reader = views.reader(EntryCounts::NAME).unwrap();
    assert_eq!(reader.since(), appended.offset + 1);
    let totals: Totals = Handle::new(strata_core::ReadOnly::new(Store::new(reader.database())))
        .get(&AuthorCountsKey { author: author.0 })
        .unwrap()
        .unwrap();
    assert_eq!(totals.entries, ENTRIES / 4 + 1);
}
