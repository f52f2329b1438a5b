//! Crash safety of views: a process keeping views over the log is killed with SIGKILL at random
//! moments, again and again, in three situations, 30 kills each (`STRATA_CRASH_CYCLES` changes
//! the count):
//!
//! - **in step**: appender threads append while two views are updated in each commit;
//! - **catching up**: the same with the views kept behind, the worker catching up in batches;
//! - **rebuilding**: a 20 000-entry log, the views opened at a new version and rebuilt; the next
//!   process opens them at the same version until a rebuild completes, then bumps it again.
//!
//! After every kill, every view whose state is not being cleared equals its reduction recomputed
//! from scratch over the log up to its `since` (a rebuild's partial state included); a view that
//! had joined the log's commits reflects every committed entry; and a rebuild resumes from the
//! `since` it had committed rather than from zero (the first batch it reports after a restart is
//! never below the `since` found on disk).
//!
//! The test re-executes its own binary as the writer (the ignored test `views_crash_writer_child`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{Column, Database, MemoryDb, Temporal};
use strata_log::{Author, Entry, LogConfig, LogStore, NoVerification, Unsigned};
use strata_testkit::crash::{Plan, run_killed, say};
use strata_views::builtin::{self, EntryCounts, LatestByKey};
use strata_views::{Committed, Phase, Versioned, View, ViewRecord, Views};

const DIR_VAR: &str = "STRATA_VIEWS_CRASH_DIR";
const SCENARIO_VAR: &str = "STRATA_VIEWS_CRASH_SCENARIO";
const VERSION_VAR: &str = "STRATA_VIEWS_CRASH_VERSION";
const INDEX: Column = Column::new("crash_index");
const APPENDERS: u8 = 2;
/// Entries of the log the rebuild scenario rebuilds over.
const REBUILD_LOG: u64 = 20_000;
const REBUILD_BATCH: usize = 256;

fn columns() -> Vec<Column> {
    [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &builtin::COLUMNS, &[INDEX]].concat()
}

fn open_db(dir: &Path) -> RocksDb {
    RocksDb::open(&RocksConfig::new(dir).parallelism(1), &columns()).expect("open RocksDB")
}

/// Entry counts at a version of the test's choosing.
fn counts(version: u32) -> Versioned<EntryCounts> {
    Versioned::new(EntryCounts, version)
}

/// Payloads are `key=value`; the latest value per key.
fn index(version: u32) -> LatestByKey {
    LatestByKey::new("by_key", version, INDEX, |entry| {
        let payload = entry.payload.as_deref()?;
        let at = payload.iter().position(|&b| b == b'=')?;
        Some((payload[..at].to_vec(), payload[at + 1..].to_vec()))
    })
}

fn payload(t: u8, n: u64) -> Vec<u8> {
    format!("k{}={t}:{n}", n % 50).into_bytes()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    InStep,
    Behind,
    Rebuild,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::InStep => "in-step",
            Scenario::Behind => "behind",
            Scenario::Rebuild => "rebuild",
        }
    }
}

/// The writer: opens the views and appends (or rebuilds) until killed.
#[test]
#[ignore = "the views crash test's writer process; it runs only when the crash test starts it"]
fn views_crash_writer_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let scenario = match std::env::var(SCENARIO_VAR).expect("scenario").as_str() {
        "in-step" => Scenario::InStep,
        "behind" => Scenario::Behind,
        _ => Scenario::Rebuild,
    };
    let version: u32 = std::env::var(VERSION_VAR).map_or(1, |v| v.parse().expect("a version"));
    let builder = Views::builder().on_progress(|progress| {
        say(&format!("progress {} {:?} {}", progress.view, progress.phase, progress.since));
    });
    let builder = match scenario {
        Scenario::InStep => builder.in_step(counts(1)).in_step(index(1)),
        Scenario::Behind => builder.behind(counts(1)).behind(index(1)).batch(64),
        Scenario::Rebuild => {
            builder.in_step(counts(version)).behind(index(version)).batch(REBUILD_BATCH)
        }
    };
    let views = builder
        .open(open_db(Path::new(&dir)), NoVerification, LogConfig::default())
        .expect("open the views");
    say("opened");
    if scenario == Scenario::Rebuild {
        // The worker rebuilds; wait to be killed.
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    if scenario == Scenario::InStep {
        views.catch_up().expect("catch up");
        say("attached");
    }
    std::thread::scope(|scope| {
        for t in 0..APPENDERS {
            let log = views.log().clone();
            scope.spawn(move || {
                let signer = Unsigned(Author([t + 1; 32]));
                let first = log.log_state(&signer.0, 0).expect("state").map_or(0, |s| s.count);
                for n in first..first + 1_000_000 {
                    let appended = log.append(&signer, 0, &payload(t, n), None).expect("append");
                    say(&format!("ack {t} {n} {}", appended.offset));
                }
            });
        }
    });
}

/// What one writer run reported.
#[derive(Debug, Default)]
struct Report {
    opened: bool,
    attached: bool,
    acked: u64,
    /// Per view: the `since` of the first batch it reported reducing (not clearing).
    first_reduced: BTreeMap<String, u64>,
}

fn parse(lines: &mut dyn Iterator<Item = String>) -> Report {
    let mut report = Report::default();
    for line in lines {
        let words: Vec<&str> = line.split(' ').collect();
        let tail = words
            .iter()
            .rposition(|w| matches!(*w, "progress" | "ack"))
            .map_or(&words[..], |i| &words[i..]);
        if line.ends_with("opened") {
            report.opened = true;
        } else if line.ends_with("attached") {
            report.attached = true;
        }
        match tail {
            ["ack", ..] => report.acked += 1,
            ["progress", view, phase, since] if *phase != "Clearing" => {
                if let Ok(since) = since.parse() {
                    report.first_reduced.entry((*view).to_owned()).or_insert(since);
                }
            }
            _ => {}
        }
    }
    report
}

/// The view objects, over a memory database, for recomputing.
fn recompute_views(scenario: Scenario, version: u32) -> Vec<Box<dyn View<MemoryDb>>> {
    let version = if scenario == Scenario::Rebuild { version } else { 1 };
    vec![Box::new(counts(version)), Box::new(index(version))]
}

/// Checks every view on disk against its reduction from scratch; returns the violations and the
/// records found.
fn verify(
    dir: &Path,
    scenario: Scenario,
    version: u32,
    report: &Report,
) -> (Vec<String>, BTreeMap<String, ViewRecord>, u64) {
    let db = Arc::new(open_db(dir));
    let records: BTreeMap<String, ViewRecord> =
        strata_views::registry(&*db).expect("registry").into_iter().collect();
    let log = LogStore::open(Arc::clone(&db), NoVerification).expect("the log store");
    let end = log.next_offset();
    let mut violations = Vec::new();
    let entries: Vec<(u64, Entry)> =
        log.stream(None).expect("stream").collect::<Result<_, _>>().expect("the log");
    for view in recompute_views(scenario, version) {
        let Some(record) = records.get(view.name()) else { continue };
        if record.phase == Phase::Clearing {
            continue;
        }
        if record.since > end {
            violations.push(format!(
                "{}: since {} beyond the log's end {end}",
                view.name(),
                record.since
            ));
        }
        let fresh = MemoryDb::new(columns());
        let mut state = Temporal::new(Committed::new(&fresh));
        for (offset, entry) in entries.iter().take_while(|(offset, _)| *offset < record.since) {
            view.reduce(&mut state, *offset, entry).expect("reduce");
        }
        fresh.apply(&state.take_shadow()).expect("apply");
        for column in view.columns() {
            if strata_testkit::column_contents(&*db, column)
                != strata_testkit::column_contents(&fresh, column)
            {
                violations.push(format!(
                    "{} ({:?} at since {}): column {} differs from the reduction from scratch",
                    view.name(),
                    record.phase,
                    record.since,
                    column.name()
                ));
            }
        }
        if scenario == Scenario::InStep && report.attached && record.since != end {
            violations.push(format!(
                "{}: in step, yet it reflects entries below {} of {end}",
                view.name(),
                record.since
            ));
        }
    }
    (violations, records, end)
}

fn run_scenario(scenario: Scenario) {
    let name = format!("views crash test ({})", scenario.name());
    let mut plan = Plan::from_env_or(&name, 30);
    let (cycles, seed) = (plan.cycles, plan.seed);
    let dir = tempfile::tempdir().expect("a temporary directory");
    if scenario == Scenario::Rebuild {
        // The log to rebuild over, written once.
        let log = LogStore::with_config(
            open_db(dir.path()),
            NoVerification,
            LogConfig::default().durability(strata::Durability::Wal),
        )
        .expect("the log store");
        for n in 0..REBUILD_LOG {
            let t = (n % 3) as u8;
            log.append(&Unsigned(Author([t + 1; 32])), n % 2, &payload(t, n), None)
                .expect("append");
        }
    }
    let started_at = Instant::now();
    let mut version = 1;
    let mut violations = Vec::new();
    let (mut during_open, mut acked, mut resumed, mut rebuilds_done) = (0, 0, 0, 0);
    // Kills that found a view joined to the commits, and kills that left one behind the log.
    let (mut attached, mut lagging) = (0, 0);
    let mut records: BTreeMap<String, ViewRecord> = BTreeMap::new();
    for run in 1..=cycles {
        if scenario == Scenario::Rebuild {
            // A new version once the previous one's rebuild completed, else the same again.
            let done = records.len() == 2
                && records.values().all(|r| {
                    r.version == version && r.phase == Phase::Ready && r.since == REBUILD_LOG
                });
            if done || run == 1 {
                rebuilds_done += u32::from(done);
                version += 1;
            }
        }
        let kill_after = plan.kill_delay();
        let version_text = version.to_string();
        let envs = [
            (DIR_VAR, dir.path().as_os_str()),
            (SCENARIO_VAR, std::ffi::OsStr::new(scenario.name())),
            (VERSION_VAR, std::ffi::OsStr::new(&version_text)),
        ];
        let report = run_killed("views_crash_writer_child", &envs, kill_after, parse);
        during_open += u32::from(!report.opened);
        attached += u32::from(report.attached);
        acked += report.acked;
        // A rebuild that had committed progress resumes from it.
        for (view, first) in &report.first_reduced {
            if let Some(before) =
                records.get(view).filter(|r| r.version == version && r.phase == Phase::Rebuilding)
            {
                if *first < before.since {
                    violations.push(format!(
                        "cycle {run}: {view} restarted its rebuild at {first}, below the {} it had committed",
                        before.since
                    ));
                } else if before.since > 0 {
                    resumed += 1;
                }
            }
        }
        let (found, now, end) = verify(dir.path(), scenario, version, &report);
        lagging += u32::from(now.values().any(|r| r.since < end));
        for violation in found {
            violations.push(format!("cycle {run} (killed after {kill_after:?}): {violation}"));
        }
        records = now;
    }
    let summary: Vec<String> = records
        .iter()
        .map(|(name, r)| format!("{name} v{} {:?} since {}", r.version, r.phase, r.since))
        .collect();
    strata_testkit::report(&format!(
        "{name}: {cycles} kill cycles in {:.1?}: {during_open} during start-up or open, \
         {attached} with the views in step, {lagging} with a view behind the log, \
         {acked} appends acknowledged, {resumed} rebuilds resumed from committed progress, \
         {rebuilds_done} rebuilds completed; at the end {}; {} violations (seed {seed})",
        started_at.elapsed(),
        summary.join(", "),
        violations.len()
    ));
    assert!(violations.is_empty(), "violations:\n{}", violations.join("\n"));
    match scenario {
        Scenario::InStep | Scenario::Behind => assert!(acked > 0, "no append was acknowledged"),
        Scenario::Rebuild => assert!(resumed > 0, "no rebuild was killed with progress committed"),
    }
}

#[test]
fn killed_in_step_views_equal_their_reduction() {
    run_scenario(Scenario::InStep);
}

#[test]
fn killed_catching_up_views_equal_their_reduction() {
    run_scenario(Scenario::Behind);
}

#[test]
fn killed_rebuilds_resume_and_equal_their_reduction() {
    run_scenario(Scenario::Rebuild);
}
