//! A failed commit of the log leaves views kept in step exactly right: when the failure struck
//! before the write nothing of the group is anywhere, and when it struck after (the write landed,
//! the caller got an error: the outcome is unknown to it) the views' state landed with the
//! entries. Views kept in step read their committed values through a cache; a commit that did
//! not report landing must not leave it stale.

use std::sync::Arc;

use strata_core::{Column, Database, MemoryDb, Temporal};
use strata_log::{Author, Entry, LogConfig, LogStore, NoVerification, Unsigned};
use strata_testkit::fault::{Faulty, OpKind, Outcome};
use strata_views::builtin::{self, EntryCounts};
use strata_views::{Committed, View, Views};

fn columns() -> Vec<Column> {
    [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &builtin::COLUMNS].concat()
}

/// The view's columns equal its reduction from scratch over the log's entries below `since`.
fn assert_equals_reduction(db: &Arc<MemoryDb>, since: u64) {
    let log = LogStore::open(Arc::clone(db), NoVerification).unwrap();
    let entries: Vec<(u64, Entry)> = log.stream(None).unwrap().collect::<Result<_, _>>().unwrap();
    let fresh = MemoryDb::new(columns());
    let mut state = Temporal::new(Committed::new(&fresh));
    for (offset, entry) in entries.iter().filter(|(offset, _)| *offset < since) {
        View::<MemoryDb>::reduce(&EntryCounts, &mut state, *offset, entry).unwrap();
    }
    fresh.apply(&state.take_shadow()).unwrap();
    for column in View::<MemoryDb>::columns(&EntryCounts) {
        assert_eq!(
            strata_testkit::column_contents(&**db, column),
            strata_testkit::column_contents(&fresh, column),
            "{}",
            column.name()
        );
    }
}

#[test]
fn failed_commits_leave_views_in_step_equal_to_their_reduction() {
    let db = Arc::new(MemoryDb::new(columns()));
    let wrapped = Faulty::new(Arc::clone(&db));
    let faults = wrapped.faults();
    let views = Views::builder()
        .in_step(EntryCounts)
        .background(false)
        .open(wrapped, NoVerification, LogConfig::default())
        .unwrap();
    views.catch_up().unwrap();
    let me = Unsigned(Author([1; 32]));
    let mut landed = 0;
    for round in 0..6 {
        for _ in 0..3 {
            views.log().append(&me, 0, b"x", None).unwrap();
            landed += 1;
        }
        let outcome = if round % 2 == 0 { Outcome::Applied } else { Outcome::NotApplied };
        faults.fail_nth(OpKind::Apply, 1, outcome);
        assert!(views.log().append(&me, 0, b"lost or not", None).is_err());
        landed += u64::from(outcome == Outcome::Applied);
        // The counts read by the next commits must be the committed ones, whatever happened.
        views.log().append(&me, 0, b"y", None).unwrap();
        landed += 1;
        let status = views.status(EntryCounts::NAME).unwrap();
        assert!(status.attached);
        assert_eq!(status.since, views.log().next_offset());
        let reader = views.reader(EntryCounts::NAME).unwrap();
        assert_eq!(EntryCounts::author(&reader, &me.0).unwrap().unwrap().entries, landed);
        drop(reader);
        assert_equals_reduction(&db, status.since);
    }
}

const REFUSALS: Column = Column::new("refusals");

/// Refuses entries whose payload is `poison`; keeps nothing.
struct Refuser;

impl<D: Database> View<D> for Refuser {
    fn name(&self) -> &'static str {
        "refuser"
    }
    fn version(&self) -> u32 {
        1
    }
    fn columns(&self) -> Vec<Column> {
        vec![REFUSALS]
    }
    fn reduce(
        &self,
        _state: &mut strata_views::ViewState<'_, D>,
        _offset: u64,
        entry: &Entry,
    ) -> Result<(), strata_log::BoxError> {
        if entry.payload.as_deref() == Some(b"poison") {
            return Err("poisoned entry".into());
        }
        Ok(())
    }
}

#[test]
fn a_refused_group_leaves_nothing_cached_even_when_the_next_commit_has_no_new_entry() {
    let mut all = columns();
    all.push(REFUSALS);
    let db = Arc::new(MemoryDb::new(all));
    let views = Views::builder()
        .in_step(EntryCounts)
        .in_step(Refuser)
        .background(false)
        .open(Arc::clone(&db), NoVerification, LogConfig::default())
        .unwrap();
    views.catch_up().unwrap();
    let me = Unsigned(Author([1; 32]));
    views.log().append(&me, 0, b"first", None).unwrap();
    let first = views.log().entry(&me.0, 0, 0).unwrap().unwrap();
    // The counts view reduces the poisoned entry, then the refuser refuses the group.
    assert!(views.log().append(&me, 0, b"poison", None).is_err());
    // A commit with no new entry: the first entry's payload, dropped, is filled in again.
    assert!(views.log().drop_payload(&me.0, 0, 0).unwrap());
    views.log().insert(&first).unwrap();
    views.log().append(&me, 0, b"second", None).unwrap();
    let reader = views.reader(EntryCounts::NAME).unwrap();
    assert_eq!(EntryCounts::author(&reader, &me.0).unwrap().unwrap().entries, 2);
    drop(reader);
    assert_equals_reduction(&db, views.status(EntryCounts::NAME).unwrap().since);
}
