//! Crash safety: a writer process is killed with SIGKILL at random moments, again and again, and
//! after every kill the database must hold exactly a prefix of the commits: each one whole across
//! its columns, none acknowledged lost, none beyond the last one started.
//!
//! The test re-executes its own binary as the writer (the ignored test `crash_writer_child`). The
//! writer opens the database with synced commits and numbers its transactions from where the
//! last run stopped: transaction `n` puts key `n` in columns `a` and `b`, moves column `c`'s
//! single key from `n - 1` to `n`, and sets `a`'s `head` to `n`. Odd transactions go straight to
//! the store; even ones are built in a `Temporal` layer and committed through it. The writer
//! prints `start n` before a commit and `ack n` after it returns.
//!
//! `STRATA_CRASH_CYCLES` sets the number of kills (default 50); `STRATA_CRASH_SEED` replays a run.

use std::path::Path;
use std::time::{Duration, Instant};

use strata::rocksdb::{Durability, RocksConfig, RocksDb};
use strata::{Column, RawEntry, ReadLayer, Store, Temporal, Transaction, WriteLayer};

const A: Column = Column::new("a");
const B: Column = Column::new("b");
const C: Column = Column::new("c");
const COLUMNS: [Column; 3] = [A, B, C];
const HEAD: &[u8] = b"head";
const DIR_VAR: &str = "STRATA_CRASH_DIR";

fn config(dir: &Path) -> RocksConfig {
    RocksConfig::new(dir).durability(Durability::Sync).parallelism(1)
}

fn key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// The value transaction `n` writes to `column`: recognisable, and long enough that a commit
/// spans more than one page of the log.
fn value(n: u64, column: Column) -> Vec<u8> {
    let mut value = format!("{column}:{n}:").into_bytes();
    value.resize(1500, b'.');
    value
}

fn transaction(n: u64) -> Transaction {
    let mut tx = Transaction::new();
    tx.put(A, key(n), value(n, A));
    tx.put(B, key(n), value(n, B));
    tx.delete(C, key(n - 1));
    tx.put(C, key(n), value(n, C));
    tx.put(A, HEAD, key(n));
    tx
}

/// The writer: commits numbered transactions until it is killed.
#[test]
#[ignore = "the crash test's writer process; it runs only when the crash test starts it"]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let db = RocksDb::open(&config(Path::new(&dir)), &COLUMNS).expect("the writer opens");
    let mut store = Store::new(db);
    strata_testkit::crash::say("opened");
    let head = store.get(A, HEAD).expect("read head");
    let mut n = head.map_or(0, |bytes| u64::from_be_bytes(bytes[..].try_into().expect("8 bytes")));
    // A bound, so that a writer whose parent died does not run forever.
    for _ in 0..1_000_000 {
        n += 1;
        strata_testkit::crash::say(&format!("start {n}"));
        if n.is_multiple_of(2) {
            let mut call = Temporal::new(&mut store);
            call.apply(&transaction(n)).expect("buffer");
            call.commit().expect("commit through Temporal");
        } else {
            store.apply(&transaction(n)).expect("commit");
        }
        strata_testkit::crash::say(&format!("ack {n}"));
    }
}

/// What one writer run reported before it died.
#[derive(Debug, Default)]
struct Report {
    opened: bool,
    started: u64,
    acked: u64,
}

fn run_writer(dir: &Path, kill_after: Duration) -> Report {
    strata_testkit::crash::run_killed(
        "crash_writer_child",
        &[(DIR_VAR, dir.as_os_str())],
        kill_after,
        |lines| {
            let mut report = Report::default();
            for line in lines {
                let number = |word: &str| line.strip_prefix(word).and_then(|n| n.parse().ok());
                if line.ends_with("opened") {
                    report.opened = true;
                } else if let Some(n) = number("start ") {
                    report.started = n;
                } else if let Some(n) = number("ack ") {
                    report.acked = n;
                }
            }
            report
        },
    )
}

/// Checks the database against what the writer reported, the contents of columns `a` and `b`
/// from transaction `from` on; returns the committed count and the violations found.
fn verify(dir: &Path, report: &Report, before: u64, from: u64) -> (u64, Vec<String>) {
    let store = Store::new(RocksDb::open(&config(dir), &COLUMNS).expect("reopen after the kill"));
    let mut violations = Vec::new();
    let head = store.get(A, HEAD).expect("read head");
    let committed =
        head.map_or(0, |bytes| u64::from_be_bytes(bytes[..].try_into().expect("8 bytes")));

    if committed < before {
        violations.push(format!("head went back from {before} to {committed}"));
    }
    if committed < report.acked {
        violations.push(format!(
            "transaction {} was acknowledged but is lost (head {committed})",
            report.acked
        ));
    }
    let started = report.started.max(before);
    if committed > started {
        violations
            .push(format!("head {committed} is beyond the last started transaction {started}"));
    }
    for column in [A, B] {
        let keys: Vec<u64> = store
            .iter(column, key(from).to_vec()..HEAD.to_vec())
            .expect("iterate")
            .map(|item| {
                let (k, v) = item.expect("read an entry");
                let n = u64::from_be_bytes(k[..].try_into().expect("8-byte keys"));
                if v[..] != value(n, column)[..] {
                    violations.push(format!("{column}/{n} holds a wrong value"));
                }
                n
            })
            .collect();
        if keys != (from..=committed).collect::<Vec<_>>() {
            violations.push(format!(
                "{column} holds {} keys from {:?} to {:?}, expected {from}..={committed}: a transaction is torn",
                keys.len(),
                keys.first(),
                keys.last()
            ));
        }
    }
    let c: Vec<RawEntry> =
        store.iter(C, ..).expect("iterate").collect::<Result<_, _>>().expect("read c");
    let expected_c: Vec<RawEntry> = if committed == 0 {
        Vec::new()
    } else {
        vec![(key(committed).into(), value(committed, C).into())]
    };
    if c != expected_c {
        violations.push(format!(
            "c holds {} entries, expected only key {committed}: a transaction is torn",
            c.len()
        ));
    }
    (committed, violations)
}

#[test]
fn killed_writers_leave_whole_transactions_and_lose_no_acknowledged_one() {
    let mut plan = strata_testkit::crash::Plan::from_env("crash test");
    let (cycles, seed) = (plan.cycles, plan.seed);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started_at = Instant::now();

    let (mut committed, mut violations) = (0, Vec::new());
    let (mut during_open, mut during_commit, mut acknowledged) = (0, 0, 0);
    for cycle in 0..cycles {
        let kill_after = plan.kill_delay();
        let report = run_writer(dir.path(), kill_after);
        during_open += u32::from(!report.opened);
        during_commit += u32::from(report.started > report.acked);
        acknowledged += report.acked.saturating_sub(committed);
        // Every cycle checks what the last writer could have touched; every 25th cycle and the
        // last one check everything, so earlier transactions are seen to stay intact too.
        let full = cycle % 25 == 24 || cycle + 1 == cycles;
        let from = if full { 1 } else { committed.max(1) };
        let (now, found) = verify(dir.path(), &report, committed, from);
        for violation in found {
            violations.push(format!("cycle {cycle} (killed after {kill_after:?}): {violation}"));
        }
        committed = now;
    }
    strata_testkit::report(&format!(
        "crash test: {cycles} kill cycles in {:.1?}: {during_open} during start-up or open, \
         {during_commit} with a commit in flight; {committed} transactions committed, \
         {acknowledged} acknowledged; {} violations (seed {seed})",
        started_at.elapsed(),
        violations.len()
    ));
    assert!(violations.is_empty(), "violations:\n{}", violations.join("\n"));
    assert!(committed > 0, "no writer got to commit anything; the kill delays are too short");
}
