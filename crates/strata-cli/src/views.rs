//! `strata views`: the views of `strata::views` kept over a database's log — every registered
//! view with where it stands, and a rebuild from the start of the log.
//!
//! The registry records every view without its code, so `strata views` lists any application's
//! views. Rebuilding needs the view's code: the CLI has the demo's views ([`demo_views`], the one
//! definition the demo and the CLI share); any other registered view is only marked, and the
//! application that defines it rebuilds it the next time it opens its views.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use strata::log::{Entry as LogEntry, LogConfig, LogStore, NoVerification};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::views::builtin::{EntryCounts, Indexed, LatestByKey, LatestByTopic};
use strata::views::{Mode, Phase, View, ViewError, ViewRecord, ViewStatus, Views, ViewsBuilder};
use strata::{Column, ColumnDescriptor, Database, Entry, Schema, key};

use crate::error::CliError;
use crate::key::{Unlocked, unlock};
use crate::output::{Output, ViewRow};

/// The demo's index of settings: the latest value per key of `key=value` payloads.
pub(crate) const SETTINGS: &str = "settings";
/// The settings index's column.
pub(crate) const SETTINGS_COLUMN: Column = Column::new("view_settings");
/// The settings index's version in this release (the demo shows the bump from the one before).
pub(crate) const SETTINGS_VERSION: u32 = 2;

/// The demo's views, by name, with how each is kept current.
pub(crate) const DEMO_VIEWS: [(&str, Mode); 3] = [
    (EntryCounts::NAME, Mode::InStep),
    (LatestByTopic::NAME, Mode::Behind),
    (SETTINGS, Mode::InStep),
];

key! {
    /// One key of the settings index: the BLAKE3 digest of the setting's name (the name itself
    /// is in the value), as [`LatestByKey`] stores it.
    pub(crate) struct SettingsKey in SETTINGS_COLUMN {
        /// BLAKE3 of the setting's name.
        pub(crate) digest: [u8; 32],
    }
}

impl Entry for SettingsKey {
    type Value<'a> = Indexed;
}

/// The columns of the demo's views, described for the inspector: the built-in views' (entry
/// counts, latest per topic) and the settings index.
pub(crate) const DEMO_VIEWS_SCHEMA: Schema = Schema::new(
    "views",
    &[
        ColumnDescriptor::of::<strata::views::builtin::AuthorCountsKey>(),
        ColumnDescriptor::of::<strata::views::builtin::LogCountsKey>(),
        ColumnDescriptor::of::<strata::views::builtin::TopicLatestKey>(),
        ColumnDescriptor::of::<SettingsKey>(),
    ],
);

/// A `key=value` payload as a setting: a name of `[a-z_]` and any text after the `=`.
fn setting(entry: &LogEntry) -> Option<(Vec<u8>, Vec<u8>)> {
    let text = std::str::from_utf8(entry.payload.as_deref()?).ok()?;
    let (name, value) = text.split_once('=')?;
    let is_name = |b: u8| b.is_ascii_lowercase() || b == b'_';
    if name.is_empty() || !name.bytes().all(is_name) {
        return None;
    }
    Some((name.as_bytes().to_vec(), value.as_bytes().to_vec()))
}

/// The settings index at `version`.
pub(crate) fn settings_index(version: u32) -> LatestByKey {
    LatestByKey::new(SETTINGS, version, SETTINGS_COLUMN, setting)
}

/// Adds `view` to `builder`, kept as `mode`.
fn keep<D: Database + 'static>(
    builder: ViewsBuilder<D>,
    view: impl View<D>,
    mode: Mode,
) -> ViewsBuilder<D> {
    match mode {
        Mode::InStep => builder.in_step(view),
        Mode::Behind => builder.behind(view),
    }
}

/// Adds the demo's view `name`, kept as `mode`, with the settings index at `settings_version`;
/// `None` when the demo has no view of that name.
fn add_view<D: Database + 'static>(
    builder: ViewsBuilder<D>,
    name: &str,
    mode: Mode,
    settings_version: u32,
) -> Option<ViewsBuilder<D>> {
    match name {
        EntryCounts::NAME => Some(keep(builder, EntryCounts, mode)),
        LatestByTopic::NAME => Some(keep(builder, LatestByTopic::default(), mode)),
        SETTINGS => Some(keep(builder, settings_index(settings_version), mode)),
        _ => None,
    }
}

/// The demo's views with the settings index at `settings_version`.
pub(crate) fn demo_views_at<D: Database + 'static>(settings_version: u32) -> ViewsBuilder<D> {
    DEMO_VIEWS.iter().fold(Views::builder(), |builder, (name, mode)| {
        add_view(builder, name, *mode, settings_version).unwrap_or_else(|| unreachable!("{name}"))
    })
}

/// The demo's views as this release defines them: what the demo opens, and what
/// `strata views rebuild` rebuilds.
pub(crate) fn demo_views<D: Database + 'static>() -> ViewsBuilder<D> {
    demo_views_at(SETTINGS_VERSION)
}

/// The columns the demo's view `name` keeps its state in (none for any other name).
fn demo_view_columns(name: &str) -> Vec<Column> {
    match name {
        EntryCounts::NAME => View::<RocksDb>::columns(&EntryCounts),
        LatestByTopic::NAME => View::<RocksDb>::columns(&LatestByTopic::default()),
        SETTINGS => View::<RocksDb>::columns(&settings_index(SETTINGS_VERSION)),
        _ => Vec::new(),
    }
}

/// Every column of the views: the registry's and the demo's views', for opening a database.
pub(crate) fn columns() -> Vec<Column> {
    strata::views::COLUMNS
        .iter()
        .chain(&strata::views::builtin::COLUMNS)
        .chain(&[SETTINGS_COLUMN])
        .copied()
        .collect()
}

/// A view's record or status as output shows it.
fn row(name: &str, version: u32, mode: Mode, phase: Phase, since: u64, end: u64) -> ViewRow {
    ViewRow {
        name: name.to_owned(),
        version,
        mode: mode.to_string(),
        phase: match phase {
            Phase::Ready => "ready",
            Phase::Clearing => "clearing",
            Phase::Rebuilding => "rebuilding",
        },
        state: phase.to_string(),
        since,
        lag: end.saturating_sub(since),
    }
}

/// A registry record as output shows it, against the log's next arrival offset `end`.
pub(crate) fn record_row(name: &str, record: &ViewRecord, end: u64) -> ViewRow {
    row(name, record.version, record.mode, record.phase, record.since, end)
}

/// A live view's status as output shows it.
pub(crate) fn status_row(status: &ViewStatus) -> ViewRow {
    let end = status.since + status.lag;
    row(&status.name, status.version, status.mode, status.phase, status.since, end)
}

/// Whether the database was opened with the views' registry.
fn has_registry(db: &impl Database) -> bool {
    let columns = db.columns();
    strata::views::COLUMNS.iter().all(|column| columns.contains(column))
}

/// Opens an existing database with its recorded columns: [`CliError::NoViewsData`] without the
/// registry, [`CliError::NoLogData`] without the log (nothing is created). An encrypted
/// database is opened with its key: the log and the views' state are read and written through
/// its encryption.
fn open_read(path: &Path) -> Result<Unlocked<RocksDb>, CliError> {
    let db = RocksDb::open_existing(&RocksConfig::new(path))?;
    if !has_registry(&db) {
        return Err(CliError::NoViewsData(path.to_owned()));
    }
    let columns = db.columns();
    if !strata::log::COLUMNS.iter().all(|column| columns.contains(column)) {
        return Err(CliError::NoLogData(path.to_owned()));
    }
    unlock(db, &path.display().to_string())
}

/// The log's next arrival offset: the end every view's lag is measured against.
fn log_end(db: &Unlocked<RocksDb>) -> Result<u64, CliError> {
    // Nothing is inserted, so no verifier ever judges an entry.
    Ok(LogStore::open(db, NoVerification)?.next_offset())
}

/// `views`: every registered view — version, mode, since, lag, state.
pub(crate) fn list(path: &Path, out: &Output) -> Result<(), CliError> {
    let db = open_read(path)?;
    let end = log_end(&db)?;
    let rows: Vec<ViewRow> = strata::views::registry(&db)?
        .iter()
        .map(|(name, record)| record_row(name, record, end))
        .collect();
    out.views(&rows, end);
    Ok(())
}

/// `views rebuild NAME`: a view of the demo's is rebuilt from the start of the log here, with a
/// progress bar, and its final status printed; any other registered view is marked to be rebuilt
/// by its application.
pub(crate) fn rebuild(path: &Path, name: &str, out: &Output) -> Result<(), CliError> {
    if !strata::views::schema::is_valid_name(name) {
        return Err(ViewError::InvalidName { name: name.to_owned() }.into());
    }
    let db = open_read(path)?;
    let registered = strata::views::registry(&db)?;
    let Some((_, record)) = registered.iter().find(|(n, _)| n == name) else {
        let names: Vec<&str> = registered.iter().map(|(n, _)| n.as_str()).collect();
        return Err(CliError::UnknownView {
            name: name.to_owned(),
            registered: if names.is_empty() { "none".to_owned() } else { names.join(", ") },
        });
    };
    // The CLI's code is this view's only if the database keeps the view's state where the
    // CLI's view of that name would: another application may name a view of its own alike.
    let columns = db.columns();
    let ours = demo_view_columns(name);
    let builder = (!ours.is_empty() && ours.iter().all(|c| columns.contains(c)))
        .then(|| add_view(Views::builder(), name, record.mode, SETTINGS_VERSION))
        .flatten();
    let Some(builder) = builder else {
        strata::views::mark_for_rebuild(&db, name)?;
        out.done(
            &format!(
                "view {name} is not one of this CLI's views: marked for rebuild; the application \
                 that defines it rebuilds it from the start of the log the next time it opens \
                 its views"
            ),
            &json!({ "view": name, "marked_for_rebuild": true, "rebuilt": false }),
        );
        return Ok(());
    };

    let started = Instant::now();
    let bar = progress_bar(out);
    let batches = Arc::new(AtomicU64::new(0));
    let (progress, counted, reached) = (bar.clone(), Arc::clone(&batches), AtomicU64::new(0));
    // Only this view is opened: the registry's other records are left as they are.
    let views = builder
        .background(false)
        .on_progress(move |p| {
            // Batches of entries reduced (clearing the old state reports progress too).
            if reached.fetch_max(p.since, Ordering::Relaxed) < p.since {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            progress.set_length(p.end);
            progress.set_position(p.since);
            progress.set_message(p.phase.to_string());
        })
        .open(db, NoVerification, LogConfig::default())?;
    let rebuilt = views.rebuild(name).and_then(|()| views.catch_up());
    bar.finish_and_clear();
    rebuilt?;
    let status = views.status(name)?;
    out.view_rebuilt(&status_row(&status), batches.load(Ordering::Relaxed), started.elapsed());
    Ok(())
}

/// A progress bar over the log's entries, hidden under `--json`.
fn progress_bar(out: &Output) -> ProgressBar {
    if out.json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:21} {bar:40} {pos}/{len} entries ({per_sec})")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_lowercase_names_before_an_equals_sign() {
        let entry = |payload: &[u8]| {
            let store = LogStore::open(strata::MemoryDb::new(strata::log::COLUMNS), NoVerification)
                .unwrap();
            let author = strata::log::Unsigned(strata::log::Author([1; 32]));
            store.append(&author, 0, payload, None).unwrap();
            store.entries(&author.0, 0, None, None).unwrap().next().unwrap().unwrap()
        };
        assert_eq!(setting(&entry(b"fee_rate=7")), Some((b"fee_rate".to_vec(), b"7".to_vec())));
        assert_eq!(setting(&entry(b"alias=a=b")), Some((b"alias".to_vec(), b"a=b".to_vec())));
        assert_eq!(setting(&entry(b"name: bob")), None);
        assert_eq!(setting(&entry(b"=7")), None);
        assert_eq!(setting(&entry(b"Fee=7")), None);
        assert_eq!(setting(&entry(b"\xff=7")), None);
    }

    #[test]
    fn every_demo_view_has_code_and_columns() {
        for (name, mode) in DEMO_VIEWS {
            let builder = add_view::<strata::MemoryDb>(Views::builder(), name, mode, 1);
            assert!(builder.is_some(), "{name}");
            assert!(!demo_view_columns(name).is_empty(), "{name}");
            for column in demo_view_columns(name) {
                assert!(columns().contains(&column), "{name}: {column}");
            }
        }
        assert!(add_view::<strata::MemoryDb>(Views::builder(), "other", Mode::InStep, 1).is_none());
    }
}
