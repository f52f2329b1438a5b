//! Crash safety of the KV store: a process with several threads writing, removing (lazily and
//! eagerly) and batch-writing values is killed with SIGKILL at random moments, again and again.
//! After every kill each key must hold a state the store promised: the value of its last
//! acknowledged write or eager remove, or what a later acknowledged lazy remove or the one
//! operation in flight left — never an older value, never a torn one; an interrupted batch lands
//! whole or not at all.
//!
//! The test re-executes its own binary as the writer (the ignored test `kv_crash_writer_child`),
//! which prints `start THREAD OP…` before each operation and `ack THREAD` after it returns.
//! `STRATA_CRASH_CYCLES` sets the number of kills (default 50); `STRATA_CRASH_SEED` replays a run
//! (`strata_testkit::crash`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata_kv::{KvStore, WriteBatch};

const DIR_VAR: &str = "STRATA_KV_CRASH_DIR";
const RUN_VAR: &str = "STRATA_KV_CRASH_RUN";
const THREADS: u32 = 4;
const KEYS_PER_THREAD: u32 = 6;

fn open(dir: &Path) -> KvStore<RocksDb> {
    let db = RocksDb::open(&RocksConfig::new(dir).parallelism(1), &strata_kv::COLUMNS)
        .expect("open RocksDB");
    KvStore::open(db).expect("open the KV store")
}

/// Thread `t`'s namespace and its key `k`: odd threads use a secondary namespace.
fn address(t: u32, k: u32) -> (String, String, String) {
    let secondary = if t % 2 == 1 { format!("sub{t}") } else { String::new() };
    (format!("thread{t}"), secondary, format!("key{k}"))
}

/// The value version `v` writes to key `k`: self-describing and checkable byte for byte.
fn value(k: u32, version: u64, len: usize) -> Vec<u8> {
    let mut value = format!("{k}:{version}:{len}:").into_bytes();
    let fill = (version as u8).wrapping_mul(31).wrapping_add(k as u8);
    value.resize(len.max(value.len()), fill);
    value
}

/// Parses a stored value back into its version, or says why it is not one `value` wrote.
fn parse(k: u32, bytes: &[u8]) -> Result<u64, String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
    let mut parts = text.splitn(4, ':');
    let (Some(key), Some(version), Some(len)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("unrecognisable value {text:?}"));
    };
    let version: u64 = version.parse().map_err(|_| format!("bad version in {text:?}"))?;
    let len: usize = len.parse().map_err(|_| format!("bad length in {text:?}"))?;
    if key != k.to_string() || bytes != value(k, version, len).as_slice() {
        return Err(format!("torn or misplaced value ({} bytes) starting {text:?}", bytes.len()));
    }
    Ok(version)
}

/// The writer: `THREADS` threads operating on their own keys until the process is killed.
#[test]
#[ignore = "the KV crash test's writer process; it runs only when the crash test starts it"]
fn kv_crash_writer_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let run: u64 = std::env::var(RUN_VAR).expect("run number").parse().expect("a number");
    let store = open(Path::new(&dir));
    strata_testkit::crash::say("opened");
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let store = store.clone();
            scope.spawn(move || {
                let mut rng = StdRng::seed_from_u64(run * 1000 + u64::from(t));
                // Versions are unique across runs: the run number, then a counter.
                for n in 0..100_000u64 {
                    let version = (run << 32) | n;
                    let k = rng.random_range(0..KEYS_PER_THREAD);
                    let len =
                        if rng.random_ratio(1, 8) { 40_000 } else { rng.random_range(20..2000) };
                    let (p, s, key) = address(t, k);
                    match rng.random_range(0..10) {
                        0..5 => {
                            strata_testkit::crash::say(&format!(
                                "start {t} write {k} {version} {len}"
                            ));
                            store.write(&p, &s, &key, &value(k, version, len)).expect("write");
                        }
                        5 | 6 => {
                            let lazy = rng.random_bool(0.5);
                            strata_testkit::crash::say(&format!(
                                "start {t} remove {k} {}",
                                u8::from(lazy)
                            ));
                            store.remove(&p, &s, &key, lazy).expect("remove");
                        }
                        _ => {
                            let mut keys: Vec<u32> = (0..KEYS_PER_THREAD).collect();
                            keys.retain(|_| rng.random_bool(0.5));
                            let mut batch = WriteBatch::new();
                            for &k in &keys {
                                let (p, s, key) = address(t, k);
                                batch.write(&p, &s, &key, value(k, version, len));
                            }
                            let list: Vec<String> = keys.iter().map(u32::to_string).collect();
                            strata_testkit::crash::say(&format!(
                                "start {t} batch {version} {len} {}",
                                list.join(",")
                            ));
                            store.write_batch(&batch).expect("batch");
                        }
                    }
                    strata_testkit::crash::say(&format!("ack {t}"));
                }
            });
        }
    });
}

/// A key's state: absent, or holding a version.
type State = Option<u64>;

/// One operation as the writer announced it.
#[derive(Debug, Clone)]
enum Op {
    Write { k: u32, version: u64 },
    Remove { k: u32, lazy: bool },
    Batch { version: u64, keys: Vec<u32> },
}

fn parse_op(words: &[&str]) -> Option<Op> {
    let num = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
    match *words.first()? {
        "write" => Some(Op::Write { k: num(1)? as u32, version: num(2)? }),
        "remove" => Some(Op::Remove { k: num(1)? as u32, lazy: num(2)? == 1 }),
        "batch" => {
            let keys = words.get(3).map_or(Ok(Vec::new()), |list| {
                list.split(',').filter(|s| !s.is_empty()).map(str::parse).collect()
            });
            Some(Op::Batch { version: num(1)?, keys: keys.ok()? })
        }
        _ => None,
    }
}

/// What the writer reported, per thread: acknowledged operations in order, and the one in flight.
#[derive(Debug, Default)]
struct Report {
    opened: bool,
    acked: BTreeMap<u32, Vec<Op>>,
    in_flight: BTreeMap<u32, Op>,
}

fn run_writer(dir: &Path, run: u64, kill_after: Duration) -> Report {
    let run = run.to_string();
    let envs = [(DIR_VAR, dir.as_os_str()), (RUN_VAR, std::ffi::OsStr::new(&run))];
    strata_testkit::crash::run_killed("kv_crash_writer_child", &envs, kill_after, |lines| {
        let mut report = Report::default();
        for line in lines {
            // libtest prints the test's name on the line its first output continues.
            if line.ends_with("opened") {
                report.opened = true;
                continue;
            }
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["start", t, op @ ..] => {
                    let (Ok(t), Some(op)) = (t.parse(), parse_op(op)) else { continue };
                    report.in_flight.insert(t, op);
                }
                ["ack", t] => {
                    let Ok(t) = t.parse() else { continue };
                    if let Some(op) = report.in_flight.remove(&t) {
                        report.acked.entry(t).or_default().push(op);
                    }
                }
                _ => {}
            }
        }
        report
    })
}

/// The states key `k` may be in after `op`, given the states it may have been in before.
fn states_after(op: &Op, k: u32) -> Option<(State, bool)> {
    match op {
        Op::Write { k: key, version } if *key == k => Some((Some(*version), true)),
        Op::Remove { k: key, lazy } if *key == k => Some((None, !lazy)),
        Op::Batch { version, keys } if keys.contains(&k) => Some((Some(*version), true)),
        _ => None,
    }
}

/// Checks every key against what was acknowledged; returns the observed states and violations.
fn verify(
    dir: &Path,
    before: &BTreeMap<(u32, u32), State>,
    report: &Report,
) -> (BTreeMap<(u32, u32), State>, Vec<String>) {
    let store = open(dir);
    let mut observed = BTreeMap::new();
    let mut violations = Vec::new();
    for t in 0..THREADS {
        let acked = report.acked.get(&t).map_or(&[][..], Vec::as_slice);
        for k in 0..KEYS_PER_THREAD {
            let (p, s, key) = address(t, k);
            let state = match store.get(&p, &s, &key) {
                Ok(None) => None,
                Ok(Some(bytes)) => match parse(k, &bytes) {
                    Ok(version) => Some(version),
                    Err(why) => {
                        violations.push(format!("{p}/{s}/{key}: {why}"));
                        continue;
                    }
                },
                Err(error) => {
                    violations.push(format!("{p}/{s}/{key}: read failed: {error}"));
                    continue;
                }
            };
            // Allowed: the state after the last acknowledged durable operation on the key (or
            // the state before this run), any state a later acknowledged lazy remove left, and
            // the state of the operation in flight.
            let mut allowed = vec![before.get(&(t, k)).copied().flatten()];
            for op in acked {
                if let Some((after, durable)) = states_after(op, k) {
                    if durable {
                        allowed.clear();
                    }
                    allowed.push(after);
                }
            }
            if let Some((after, _)) = report.in_flight.get(&t).and_then(|op| states_after(op, k)) {
                allowed.push(after);
            }
            if !allowed.contains(&state) {
                violations.push(format!(
                    "{p}/{s}/{key} holds {state:?}, allowed only {allowed:?}: an acknowledged change is lost or an old value came back"
                ));
            }
            observed.insert((t, k), state);
        }
        // A batch in flight lands whole or not at all.
        if let Some(Op::Batch { version, keys }) = report.in_flight.get(&t) {
            let landed = keys.iter().filter(|&&k| observed.get(&(t, k)) == Some(&Some(*version)));
            let landed = landed.count();
            if landed != 0 && landed != keys.len() {
                violations.push(format!(
                    "thread {t}: {landed} of the {} keys of an interrupted batch landed",
                    keys.len()
                ));
            }
        }
    }
    (observed, violations)
}

#[test]
fn killed_kv_writers_lose_no_acknowledged_change_and_tear_nothing() {
    let mut plan = strata_testkit::crash::Plan::from_env("KV crash test");
    let (cycles, seed) = (plan.cycles, plan.seed);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started_at = Instant::now();

    let mut states = BTreeMap::new();
    let mut violations = Vec::new();
    let (mut during_open, mut in_flight, mut acknowledged, mut lazy_acked) = (0, 0, 0, 0);
    for run in 1..=cycles {
        let kill_after = plan.kill_delay();
        let report = run_writer(dir.path(), run, kill_after);
        during_open += u32::from(!report.opened);
        in_flight += report.in_flight.len();
        acknowledged += report.acked.values().map(Vec::len).sum::<usize>();
        lazy_acked += report
            .acked
            .values()
            .flatten()
            .filter(|op| matches!(op, Op::Remove { lazy: true, .. }))
            .count();
        let (observed, found) = verify(dir.path(), &states, &report);
        for violation in found {
            violations.push(format!("cycle {run} (killed after {kill_after:?}): {violation}"));
        }
        states = observed;
    }
    let present = states.values().filter(|state| state.is_some()).count();
    strata_testkit::report(&format!(
        "KV crash test: {cycles} kill cycles in {:.1?}: {during_open} during start-up or open, \
         {in_flight} operations in flight when killed, {acknowledged} acknowledged \
         ({lazy_acked} lazy removes); {present} keys present at the end; {} violations (seed {seed})",
        started_at.elapsed(),
        violations.len()
    ));
    assert!(violations.is_empty(), "violations:\n{}", violations.join("\n"));
    assert!(
        acknowledged > 0,
        "no writer got to acknowledge anything; the kill delays are too short"
    );
}
