//! Bad configurations and failing views are typed errors with clear messages, and a failing view
//! kept in step refuses the commit: the log and the view never disagree.

use std::sync::Arc;
use std::time::Duration;

use strata_core::{Column, Database, MemoryDb};
use strata_log::{Author, BoxError, Entry, LogConfig, LogError, NoVerification, Unsigned};
use strata_views::builtin::{self, EntryCounts, LatestByKey, LatestByTopic};
use strata_views::{View, ViewError, ViewState, Views};

fn columns() -> Vec<Column> {
    [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &builtin::COLUMNS].concat()
}

fn db() -> Arc<MemoryDb> {
    Arc::new(MemoryDb::new(columns()))
}

/// Refuses entries whose payload is `poison`.
struct Picky;

impl<D: Database> View<D> for Picky {
    fn name(&self) -> &'static str {
        "picky"
    }
    fn version(&self) -> u32 {
        1
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
        if entry.payload.as_deref() == Some(b"poison") {
            return Err("poisoned entry".into());
        }
        EntryCounts.reduce(state, offset, entry)
    }
}

#[test]
fn bad_configurations_are_refused_with_typed_errors() {
    let open = |builder: strata_views::ViewsBuilder<Arc<MemoryDb>>| {
        builder.background(false).open(db(), NoVerification, LogConfig::default()).unwrap_err()
    };
    let error = open(Views::builder().in_step(EntryCounts).behind(EntryCounts));
    assert!(
        matches!(&error, ViewError::DuplicateName { name } if name == "entry_counts"),
        "{error}"
    );

    let error = open(Views::builder().in_step(EntryCounts).in_step(Picky));
    assert!(
        matches!(&error, ViewError::ColumnClaimed { view, owner, .. } if view == "picky" && owner.contains("entry_counts")),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "column `view_author_counts` of view \"picky\" is already view \"entry_counts\"'s"
    );

    let error = open(Views::builder().in_step(LatestByKey::new(
        "x",
        1,
        strata_log::schema::HEADERS,
        |_| None,
    )));
    assert!(
        matches!(&error, ViewError::ColumnClaimed { owner, .. } if owner == "the log store"),
        "{error}"
    );

    let error = open(Views::builder().in_step(LatestByKey::new(
        "no spaces",
        1,
        builtin::TOPIC_LATEST,
        |_| None,
    )));
    assert!(matches!(&error, ViewError::InvalidName { name } if name == "no spaces"), "{error}");

    let views = Views::builder()
        .background(false)
        .open(db(), NoVerification, LogConfig::default())
        .unwrap();
    assert!(matches!(views.status("nope"), Err(ViewError::UnknownView { .. })));
    assert!(matches!(views.reader("nope"), Err(ViewError::UnknownView { .. })));
    assert!(matches!(views.rebuild("nope"), Err(ViewError::UnknownView { .. })));
}

#[test]
fn a_failing_view_in_step_refuses_the_commit_and_writes_nothing() {
    let views = Views::builder()
        .in_step(Picky)
        .background(false)
        .open(db(), NoVerification, LogConfig::default())
        .unwrap();
    views.catch_up().unwrap();
    let me = Unsigned(Author([1; 32]));
    views.log().append(&me, 0, b"fine", None).unwrap();
    let refused = views.log().append(&me, 0, b"poison", None).unwrap_err();
    match &refused {
        LogError::Observer(error) => {
            assert_eq!((error.observer.as_str(), error.offset), ("view \"picky\"", 1));
        }
        other => panic!("expected the view's refusal, got {other:?}"),
    }
    assert!(refused.to_string().contains("poisoned entry"), "{refused}");
    // Nothing of the refused append was written, in the log or the view.
    assert_eq!(views.log().next_offset(), 1);
    assert_eq!(views.log().log_state(&me.0, 0).unwrap().unwrap().count, 1);
    let reader = views.reader("picky").unwrap();
    assert_eq!(reader.since(), 1);
    assert_eq!(EntryCounts::author(&reader, &me.0).unwrap().unwrap().entries, 1);
}

#[test]
fn a_failing_view_behind_stops_and_waiting_for_it_says_why() {
    let views = Views::builder()
        .behind(Picky)
        .behind(LatestByTopic::default())
        .background(true)
        .open(db(), NoVerification, LogConfig::default())
        .unwrap();
    let me = Unsigned(Author([1; 32]));
    let first = views.log().append(&me, 0, b"fine", None).unwrap();
    views.wait_for("picky", first.offset, Duration::from_secs(10)).unwrap();
    // The log takes the entry (the view is behind it); the view stops on it.
    let poison = views.log().append(&me, 0, b"poison", None).unwrap();
    let error = views.wait_for("picky", poison.offset, Duration::from_secs(10)).unwrap_err();
    match &error {
        ViewError::Stopped { view, source } => {
            assert_eq!(view, "picky");
            assert!(matches!(**source, ViewError::Reduce { offset: 1, .. }), "{source}");
        }
        other => panic!("expected the view to have stopped, got {other:?}"),
    }
    let status = views.status("picky").unwrap();
    assert_eq!((status.since, status.lag), (1, 1));
    assert!(status.error.unwrap().contains("poisoned entry"));
    // The other view is not held up by it.
    views.wait_for("latest_by_topic", poison.offset, Duration::from_secs(10)).unwrap();
}

#[test]
fn waiting_past_the_log_times_out_with_a_typed_error() {
    let views = Views::builder()
        .behind(EntryCounts)
        .open(db(), NoVerification, LogConfig::default())
        .unwrap();
    let error = views.wait_for("entry_counts", 5, Duration::from_millis(50)).unwrap_err();
    assert!(matches!(error, ViewError::Timeout { offset: 5, since: 0, .. }), "{error}");
}

/// Panics on entries whose payload is `panic`.
struct Fragile;

impl<D: Database> View<D> for Fragile {
    fn name(&self) -> &'static str {
        "fragile"
    }
    fn version(&self) -> u32 {
        1
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
        assert!(entry.payload.as_deref() != Some(b"panic"), "cannot take this entry");
        EntryCounts.reduce(state, offset, entry)
    }
}

#[test]
fn a_view_that_panics_behind_stops_alone() {
    let views = Views::builder()
        .behind(Fragile)
        .behind(LatestByTopic::default())
        .open(db(), NoVerification, LogConfig::default())
        .unwrap();
    let me = Unsigned(Author([1; 32]));
    views.log().append(&me, 0, b"panic", None).unwrap();
    let last = views.log().append(&me, 0, b"fine", None).unwrap();
    let error = views.wait_for("fragile", last.offset, Duration::from_secs(10)).unwrap_err();
    match &error {
        ViewError::Stopped { view, source } => {
            assert_eq!(view, "fragile");
            assert!(
                matches!(&**source, ViewError::Panicked { message, .. } if message == "cannot take this entry"),
                "{source}"
            );
        }
        other => panic!("expected the view to have stopped, got {other:?}"),
    }
    // The worker lives on: the other view keeps up, and a wait without a deadline is fine.
    views.wait_for("latest_by_topic", last.offset, Duration::MAX).unwrap();
}
