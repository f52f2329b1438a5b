//! Crash safety of the log store: a process with appender threads (idempotent appends, some
//! retried) and a peer thread inserting batches of another author's entries is killed with
//! SIGKILL at random moments, again and again. After every kill: every acknowledged append is
//! present with its hash, every chain verifies, arrival offsets have no gap, no idempotency key
//! maps to two entries, and an interrupted peer batch landed whole or not at all.
//!
//! The test re-executes its own binary as the writer (the ignored test `log_crash_writer_child`).
//! `STRATA_CRASH_CYCLES` sets the number of kills (default 50); `STRATA_CRASH_SEED` replays a run
//! (`strata_testkit::crash`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use strata::rocksdb::{RocksConfig, RocksDb};
use strata::{AsKeyParts, DataType, Database};
use strata_log::schema::IdempotencyKey;
use strata_log::{Appended, Ed25519, Ed25519Signer, Entry, Hash, Header, LogStore, Signer};
use strata_testkit::crash::{Plan, run_killed, say};

const DIR_VAR: &str = "STRATA_LOG_CRASH_DIR";
const RUN_VAR: &str = "STRATA_LOG_CRASH_RUN";
const APPENDERS: u8 = 3;
const PEER_LOG: u64 = 7;

fn open(dir: &Path) -> LogStore<RocksDb> {
    let db = RocksDb::open(&RocksConfig::new(dir).parallelism(1), &strata_log::COLUMNS)
        .expect("open RocksDB");
    LogStore::open(db, Ed25519).expect("open the log store")
}

fn appender(t: u8) -> Ed25519Signer {
    Ed25519Signer::from_secret(&[t + 1; 32])
}

fn peer() -> Ed25519Signer {
    Ed25519Signer::from_secret(&[99; 32])
}

/// The idempotency key of appender `t`'s append number `n`.
fn key(t: u8, n: u64) -> [u8; 32] {
    let mut key = [0; 32];
    key[0] = t;
    key[1..9].copy_from_slice(&n.to_be_bytes());
    key
}

/// The payload of appender `t`'s append number `n`: recognisable, of varying length.
fn payload(t: u8, n: u64) -> Vec<u8> {
    let mut payload = format!("{t}:{n}:").into_bytes();
    payload.resize(20 + (n as usize * 37) % 3000, b'.');
    payload
}

/// The peer's chain, the same in every run: fixed timestamps and deterministic signatures.
fn peer_entry(seq: u64, backlink: Option<Hash>) -> Entry {
    let signer = peer();
    let payload = format!("peer entry {seq}").into_bytes();
    let mut header = Header {
        author: signer.author(),
        log_id: PEER_LOG,
        seq,
        backlink,
        timestamp: 1_000 + seq,
        payload_hash: Hash::of(&payload),
        payload_size: payload.len() as u64,
        extensions: Vec::new(),
        signature: Vec::new(),
    };
    header.signature = signer.sign(&header.signing_bytes());
    Entry { header, payload: Some(payload) }
}

/// The writer: appender threads and one peer thread, until the process is killed.
#[test]
#[ignore = "the log crash test's writer process; it runs only when the crash test starts it"]
fn log_crash_writer_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return };
    let run: u64 = std::env::var(RUN_VAR).expect("run number").parse().expect("a number");
    let store = open(Path::new(&dir));
    say("opened");
    std::thread::scope(|scope| {
        for t in 0..APPENDERS {
            let store = store.clone();
            scope.spawn(move || {
                let signer = appender(t);
                let mut rng = StdRng::seed_from_u64(run * 100 + u64::from(t));
                let height = store.log_state(&signer.author(), 0).expect("state");
                let first_n = height.map_or(0, |s| s.latest_seq + 1);
                for n in first_n..first_n + 100_000 {
                    say(&format!("start {t} {n}"));
                    let first =
                        store.append(&signer, 0, &payload(t, n), Some(key(t, n))).expect("append");
                    say(&format!("ack {t} {n} {} {} {}", first.seq, first.hash, first.offset));
                    if rng.random_ratio(1, 5) {
                        // A retry: the same key must give the same entry and append nothing.
                        let retry = store
                            .append(&signer, 0, &payload(t, n), Some(key(t, n)))
                            .expect("retry");
                        if !retry.repeated || (retry.seq, retry.hash) != (first.seq, first.hash) {
                            say(&format!(
                                "violation: retry of {t}/{n} gave {retry:?}, first {first:?}"
                            ));
                        }
                    }
                }
            });
        }
        let store = store.clone();
        scope.spawn(move || {
            let mut rng = StdRng::seed_from_u64(run * 100 + 99);
            let state = store.log_state(&peer().author(), PEER_LOG).expect("state");
            let mut next = state.map_or(0, |s| s.latest_seq + 1);
            let mut backlink = state.map(|s| Hash(s.latest_hash));
            for _ in 0..100_000 {
                let count = rng.random_range(1..6);
                let mut batch = Vec::with_capacity(count);
                for seq in next..next + count as u64 {
                    let entry = peer_entry(seq, backlink);
                    backlink = Some(entry.hash());
                    batch.push(entry);
                }
                say(&format!("start peer {next} {}", next + count as u64));
                store.insert_batch(&batch).expect("insert the peer's batch");
                say(&format!("ack peer {}", next + count as u64));
                next += count as u64;
            }
        });
    });
}

/// What one writer run reported.
#[derive(Debug, Default)]
struct Report {
    opened: bool,
    /// Per appender: the last append started, and every acknowledged one: n → (seq, hash).
    started: BTreeMap<u8, u64>,
    acked: BTreeMap<u8, BTreeMap<u64, (u64, String)>>,
    /// The peer's acknowledged end and in-flight batch end.
    peer_acked: Option<u64>,
    peer_in_flight: Option<u64>,
    violations: Vec<String>,
}

fn parse(lines: &mut dyn Iterator<Item = String>) -> Report {
    let mut report = Report::default();
    for line in lines {
        if line.ends_with("opened") {
            report.opened = true;
            continue;
        }
        if line.starts_with("violation") {
            report.violations.push(line);
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        let num = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
        match words.as_slice() {
            ["start", "peer", ..] => report.peer_in_flight = num(3),
            ["ack", "peer", ..] => {
                report.peer_acked = num(2);
                report.peer_in_flight = None;
            }
            ["start", t, ..] => {
                if let (Ok(t), Some(n)) = (t.parse(), num(2)) {
                    report.started.insert(t, n);
                }
            }
            ["ack", t, _, _, hash, _] => {
                if let (Ok(t), Some(n), Some(seq)) = (t.parse(), num(2), num(3)) {
                    report.acked.entry(t).or_default().insert(n, (seq, (*hash).to_owned()));
                }
            }
            _ => {}
        }
    }
    report
}

/// Checks the store against everything acknowledged so far; returns the violations.
fn verify(
    dir: &Path,
    acked: &BTreeMap<u8, BTreeMap<u64, (u64, String)>>,
    peer_floor: u64,
    report: &Report,
) -> Vec<String> {
    let store = open(dir);
    let mut violations = report.violations.clone();
    let mut entries = 0;
    for t in 0..APPENDERS {
        let author = appender(t).author();
        let state = store.log_state(&author, 0).expect("state");
        let height = state.map_or(0, |s| s.latest_seq + 1);
        entries += height;
        for (n, (seq, hash)) in acked.get(&t).into_iter().flatten() {
            match store.entry(&author, 0, *seq).expect("read") {
                Some(entry) if entry.hash().to_string() == *hash => {}
                other => violations.push(format!(
                    "appender {t}: acknowledged append {n} (seq {seq}) is {other:?}"
                )),
            }
            // The key maps to exactly that entry.
            let record = IdempotencyKey { author, log_id: 0, key: key(t, *n) };
            match store.database().get(strata_log::schema::IDEMPOTENCY, record.as_key().as_bytes())
            {
                Ok(Some(bytes)) => {
                    let first = Appended::from_lent(&bytes).expect("an idempotency record");
                    if first.seq != *seq || first.hash.to_string() != *hash {
                        violations.push(format!(
                            "appender {t}: key {n} maps to seq {} not {seq}",
                            first.seq
                        ));
                    }
                }
                other => violations.push(format!("appender {t}: key {n} is {other:?}")),
            }
        }
        if let Some(started) = report.started.get(&t).filter(|started| height > **started + 1) {
            violations.push(format!(
                "appender {t}: height {height} beyond the last started append {started}"
            ));
        }
        let broken = store.verify_log(&author, 0).expect("verify");
        if !broken.is_empty() {
            violations.push(format!("appender {t}: the chain is broken: {broken:?}"));
        }
    }
    let peer_state = store.log_state(&peer().author(), PEER_LOG).expect("state");
    let peer_height = peer_state.map_or(0, |s| s.latest_seq + 1);
    entries += peer_height;
    let acked_end = report.peer_acked.unwrap_or(peer_floor).max(peer_floor);
    let allowed = [Some(acked_end), report.peer_in_flight];
    if !allowed.contains(&Some(peer_height)) {
        violations.push(format!(
            "peer: height {peer_height}, allowed {acked_end} or the in-flight batch's end {:?}: a batch is torn or lost",
            report.peer_in_flight
        ));
    }
    if !store.verify_log(&peer().author(), PEER_LOG).expect("verify").is_empty() {
        violations.push("peer: the chain is broken".into());
    }
    let offsets: Vec<u64> =
        store.stream(None).expect("stream").map(|item| item.expect("arrival").0).collect();
    if offsets != (0..entries).collect::<Vec<_>>() || store.next_offset() != entries {
        violations.push(format!(
            "arrival offsets are not 0..{entries} without gaps: {} arrivals, next offset {}",
            offsets.len(),
            store.next_offset()
        ));
    }
    violations
}

#[test]
fn killed_log_writers_lose_no_acknowledged_append_and_keep_every_chain() {
    let mut plan = Plan::from_env("log crash test");
    let (cycles, seed) = (plan.cycles, plan.seed);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started_at = Instant::now();
    let mut acked: BTreeMap<u8, BTreeMap<u64, (u64, String)>> = BTreeMap::new();
    let mut peer_floor = 0;
    let mut violations = Vec::new();
    let (mut during_open, mut appends, mut in_flight) = (0, 0, 0);
    for run in 1..=cycles {
        let kill_after = plan.kill_delay();
        let run_text = run.to_string();
        let envs = [(DIR_VAR, dir.path().as_os_str()), (RUN_VAR, std::ffi::OsStr::new(&run_text))];
        let report = run_killed("log_crash_writer_child", &envs, kill_after, parse);
        during_open += u32::from(!report.opened);
        in_flight += report
            .started
            .iter()
            .filter(|(t, n)| report.acked.get(t).is_none_or(|a| !a.contains_key(n)))
            .count();
        for (t, acks) in &report.acked {
            appends += acks.len();
            acked.entry(*t).or_default().extend(acks.iter().map(|(n, v)| (*n, v.clone())));
        }
        for violation in verify(dir.path(), &acked, peer_floor, &report) {
            violations.push(format!("cycle {run} (killed after {kill_after:?}): {violation}"));
        }
        let store = open(dir.path());
        peer_floor = store
            .log_state(&peer().author(), PEER_LOG)
            .expect("state")
            .map_or(0, |s| s.latest_seq + 1);
    }
    let store = open(dir.path());
    let total = store.next_offset();
    strata_testkit::report(&format!(
        "log crash test: {cycles} kill cycles in {:.1?}: {during_open} during start-up or open, \
         {in_flight} appends in flight when killed, {appends} appends acknowledged; \
         {total} entries stored (peer log height {peer_floor}); {} violations (seed {seed})",
        started_at.elapsed(),
        violations.len()
    ));
    assert!(violations.is_empty(), "violations:\n{}", violations.join("\n"));
    assert!(appends > 0, "no append was acknowledged; the kill delays are too short");
}
