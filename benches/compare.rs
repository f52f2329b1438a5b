//! The side-by-side comparison: every workload of `strata_bench_support`, in one process,
//! against Strata (raw-bytes API), Strata (typed API), raw `rocksdb` with Strata's exact options
//! and raw `rocksdb` with RocksDB's defaults; then the `Temporal` overlay against the plain store.
//!
//! Read workloads run the three engines with Strata's options on Strata's own database, so that
//! they differ only in the code that reads it; write workloads give every engine a database of
//! its own.
//!
//! Engines alternate: each round runs one sample of every engine, in an order shuffled per round,
//! so drift on a noisy machine hits all of them alike; after a write sample the runner waits for
//! that database's flushes and compactions, so no engine is timed against another's background
//! work. Each ratio is the median of the per-round
//! ratios; each throughput the median of the samples. Peak memory is the largest rise of the
//! process's peak resident set (`VmHWM`, reset through `/proc/self/clear_refs`) over one sample.
//!
//! ```sh
//! cargo bench --bench compare            # full scale; asserts the targets of docs/performance.md
//! STRATA_BENCH_ROUNDS=21 cargo bench --bench compare
//! STRATA_BENCH_REPORT_ONLY=1 cargo bench --bench compare   # print, do not assert
//! STRATA_BENCH_ONLY=scan cargo bench --bench compare        # only workloads named *scan*
//! ```
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it runs at smoke scale, checks that
//! every engine reads the same answers, and asserts nothing about speed.

// Throughputs and sizes are reported as floating-point figures; a 52-bit mantissa is plenty.
#![expect(clippy::cast_precision_loss, reason = "timings and ratios are shown as floats")]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use strata::rocksdb::RocksDb;
use strata::{Transaction, WriteLayer};
use strata_bench_support::memory;
use strata_bench_support::paired::Spread;
use strata_bench_support::{
    self as workload, Dataset, Engine, Overlay, Raw, Scale, Strata, Typed, WORKLOADS, Workload,
};

struct Settings {
    full: bool,
    rounds: usize,
    sample: Duration,
    /// Run only the workloads whose names contain this (`overlay` selects the overlay table).
    only: Option<String>,
}

impl Settings {
    fn from_env() -> Self {
        let full = std::env::args().any(|arg| arg == "--bench");
        let rounds = std::env::var("STRATA_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(if full { 15 } else { 1 });
        let sample = if full { Duration::from_millis(60) } else { Duration::ZERO };
        Self { full, rounds, sample, only: std::env::var("STRATA_BENCH_ONLY").ok() }
    }

    fn selects(&self, name: &str) -> bool {
        self.only.as_deref().is_none_or(|only| name.contains(only))
    }
}

/// One engine's samples of one workload.
#[derive(Default, Clone)]
struct Samples {
    /// Items per second, one per round.
    throughput: Vec<f64>,
    /// Largest rise of the peak resident set during a sample, in bytes.
    peak_rise: u64,
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The order engines are sampled in during `round`: a different shuffle each round (from a fixed
/// seed), so no engine always runs right after the same other one and inherits its background
/// work.
fn order(engines: usize, round: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..engines).collect();
    order.shuffle(&mut StdRng::seed_from_u64(round as u64));
    order
}

/// Times `ops` operations, `op(0)` to `op(ops - 1)`; returns items per second and the peak-RSS rise.
fn sample(ops: usize, items: u64, mut op: impl FnMut(usize) -> Duration) -> (f64, u64) {
    memory::reset_peak();
    let before = memory::current();
    let mut elapsed = Duration::ZERO;
    for n in 0..ops {
        elapsed += op(n);
    }
    let rise = memory::peak().saturating_sub(before);
    ((ops as u64 * items) as f64 / elapsed.as_secs_f64(), rise)
}

/// How many operations fill one sample.
fn calibrate(settings: &Settings, mut op: impl FnMut(usize)) -> usize {
    let start = Instant::now();
    let mut ops = 0;
    loop {
        op(ops);
        ops += 1;
        if ops >= 2 && (!settings.full || start.elapsed() >= settings.sample) {
            return ops;
        }
    }
}

/// What the sampling loop asks of one side.
enum Call {
    /// Run and time operation `n`.
    Op(usize),
    /// A sample of this side just ended (untimed): let background work finish.
    SampleEnd,
}

/// Samples every supported side once per round, in a shuffled order, `ops` operations a sample.
/// `call(side, Call::Op(n))` returns how long operation `n` took.
fn rounds(
    settings: &Settings,
    supported: &[bool],
    ops: usize,
    items: u64,
    mut call: impl FnMut(usize, Call) -> Duration,
) -> Vec<Samples> {
    let mut results = vec![Samples::default(); supported.len()];
    for round in 0..settings.rounds {
        for side in order(supported.len(), round) {
            if !supported[side] {
                continue;
            }
            let first = round * ops;
            let (throughput, rise) = sample(ops, items, |n| call(side, Call::Op(first + n)));
            results[side].throughput.push(throughput);
            results[side].peak_rise = results[side].peak_rise.max(rise);
            call(side, Call::SampleEnd);
        }
    }
    results
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Runs `workload` on every engine that supports it, alternating; `None` where unsupported.
fn run_workload(
    settings: &Settings,
    data: &Dataset,
    workload: &Workload,
    engines: &mut [Box<dyn Engine + '_>],
) -> Vec<Option<Samples>> {
    let supported: Vec<bool> = engines
        .iter_mut()
        .map(|engine| (workload.run)(engine.as_mut(), data, 0).is_some())
        .collect();
    if !workload.writes {
        // Every engine reads the same data, so every engine must give the same answers.
        for n in 0..64 {
            let answers: Vec<_> = engines
                .iter_mut()
                .zip(&supported)
                .filter(|(_, supported)| **supported)
                .map(|(engine, _)| (workload.run)(engine.as_mut(), data, n))
                .collect();
            assert!(
                answers.windows(2).all(|pair| pair[0] == pair[1]),
                "{}: engines disagree on operation {n}: {answers:?}",
                workload.name
            );
        }
    }
    let ops = calibrate(settings, |n| {
        black_box((workload.run)(engines[0].as_mut(), data, n));
    });
    if workload.writes {
        // Calibrating wrote to the first engine's database; the others get the same writes, and
        // every database settles, so all of them start the rounds holding the same data.
        for (engine, _) in engines.iter_mut().zip(&supported).skip(1).filter(|(_, ok)| **ok) {
            for n in 0..ops {
                black_box((workload.run)(engine.as_mut(), data, n));
            }
        }
        for engine in engines.iter() {
            engine.quiesce();
        }
    }
    let results = rounds(settings, &supported, ops, workload.items, |e, call| {
        let engine = engines[e].as_mut();
        match call {
            Call::Op(n) => timed(|| {
                black_box((workload.run)(engine, data, n));
            }),
            Call::SampleEnd => {
                if workload.writes {
                    engine.quiesce();
                }
                Duration::ZERO
            }
        }
    });
    results.into_iter().zip(supported).map(|(samples, ok)| ok.then_some(samples)).collect()
}

/// `a`'s throughput ÷ `b`'s, round by round: the median and the interquartile range.
fn ratio(a: &Samples, b: &Samples) -> Spread {
    Spread::of_ratios(&a.throughput, &b.throughput)
}

/// How many rounds put the median ratio within ±0.03 of its true value 95 % of the time, judged
/// from this run's spread: the interquartile range of normal noise is 1.35 σ, and a median of
/// `n` rounds has a standard error of 1.25 σ / √n.
fn rounds_for_003(spread: Spread) -> usize {
    let sigma = (spread.high - spread.low) / 1.35;
    let needed = (1.96 * 1.25 * sigma / 0.03).powi(2).ceil();
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "small, positive")]
    let needed = needed as usize;
    needed.max(1)
}

fn rate(samples: &Samples) -> String {
    let per_second = median(&mut samples.throughput.clone());
    if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else {
        format!("{:.0} K/s", per_second / 1e3)
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / f64::from(1 << 20))
}

struct Verdicts {
    misses: Vec<String>,
}

impl Verdicts {
    fn check(&mut self, workload: &str, what: &str, value: Spread, target: Option<f64>) -> String {
        let spread = format!("[{:.2}–{:.2}]", value.low, value.high);
        let median = value.median;
        match target {
            Some(target) if median >= target => format!("{median:.2} {spread} (≥ {target})"),
            Some(target) => {
                self.misses.push(format!("{workload}: {what} {median:.2} {spread} < {target}"));
                format!("**{median:.2}** {spread} (< {target})")
            }
            None => format!("{median:.2} {spread}"),
        }
    }
}

fn main() {
    let settings = Settings::from_env();
    let scale = if settings.full { Scale::FULL } else { Scale::SMOKE };
    let data = Dataset::generate(scale);
    let dir = tempfile::tempdir().expect("a temporary directory");

    let loading = Instant::now();
    // Every engine writes to a database of its own, so none pays for another's writes.
    let strata_db = workload::open_strata(&dir.path().join("strata"));
    let typed_db = workload::open_strata(&dir.path().join("typed"));
    let same_db = workload::open_raw_same_options(&dir.path().join("same"));
    let defaults_db = workload::open_raw_defaults(&dir.path().join("defaults"));
    let committed_db = workload::open_strata(&dir.path().join("committed"));
    let all =
        [strata_db.rocksdb(), typed_db.rocksdb(), &same_db, &defaults_db, committed_db.rocksdb()];
    for db in all {
        workload::load(db, &data);
    }
    eprintln!(
        "loaded {} keys into {} databases in {:.1?}",
        scale.keys(),
        all.len(),
        loading.elapsed()
    );

    let mut verdicts = Verdicts { misses: Vec::new() };
    let mut table = String::new();
    writeln!(
        table,
        "| workload | strata | typed | rocksdb, same options | rocksdb, defaults | strata ÷ same [IQR] | rounds for ±0.03 | typed ÷ strata [IQR] | strata ÷ defaults [IQR] | peak RSS rise MiB (strata / same / defaults) |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    .expect("write to a string");

    // The overlay reads the loaded data, so it runs before any workload writes to it.
    let layer_table = if settings.selects("overlay") {
        overlay(&settings, &data, &strata_db, &committed_db, &mut verdicts)
    } else {
        String::new()
    };

    // Reads run every engine with Strata's options on one database, so the ratios measure the
    // engines and not the databases: identical databases loaded identically read up to 3 % apart,
    // run after run. Writes need a database per engine, so that none pays for another's writes.
    let mut readers: Vec<Box<dyn Engine + '_>> = vec![
        Box::new(Strata::new(&strata_db)),
        Box::new(Typed::new(&strata_db)),
        Box::new(Raw::new(strata_db.rocksdb())),
        Box::new(Raw::new(&defaults_db)),
    ];
    let mut writers: Vec<Box<dyn Engine + '_>> = vec![
        Box::new(Strata::new(&strata_db)),
        Box::new(Typed::new(&typed_db)),
        Box::new(Raw::new(&same_db)),
        Box::new(Raw::new(&defaults_db)),
    ];
    let reads = WORKLOADS.iter().filter(|w| !w.writes);
    for workload in reads.chain(WORKLOADS.iter().filter(|w| w.writes)) {
        if !settings.selects(workload.name) {
            continue;
        }
        let engines = if workload.writes { &mut writers } else { &mut readers };
        let results = run_workload(&settings, &data, workload, engines);
        let [strata, typed, same, defaults] = &results[..] else { unreachable!() };
        let strata = strata.as_ref().expect("Strata runs every workload");
        let same = same.as_ref().expect("raw RocksDB runs every workload");
        let defaults = defaults.as_ref().expect("raw RocksDB runs every workload");
        let name = workload.name;
        let same_ratio = ratio(strata, same);
        let vs_same =
            verdicts.check(name, "÷ same options", same_ratio, workload.target.same_options);
        let vs_defaults =
            verdicts.check(name, "÷ defaults", ratio(strata, defaults), workload.target.defaults);
        let (typed_rate, typed_ratio) =
            typed.as_ref().map_or(("—".to_owned(), "—".to_owned()), |t| {
                let spread = ratio(t, strata);
                (rate(t), format!("{:.2} [{:.2}–{:.2}]", spread.median, spread.low, spread.high))
            });
        writeln!(
            table,
            "| {name} | {} | {typed_rate} | {} | {} | {vs_same} | {} | {typed_ratio} | {vs_defaults} | {} / {} / {} |",
            rate(strata),
            rate(same),
            rate(defaults),
            rounds_for_003(same_ratio),
            mib(strata.peak_rise),
            mib(same.peak_rise),
            mib(defaults.peak_rise),
        )
        .expect("write to a string");
    }

    println!("\n{table}\n{layer_table}");
    println!(
        "{} keys, {} rounds, samples of {:?}; throughput in items per second; ratios are medians of per-round ratios [interquartile range]",
        scale.keys(),
        settings.rounds,
        settings.sample
    );
    if !memory::reset_peak() {
        println!("(peak RSS could not be reset on this kernel: the figures are peaks since start)");
    }
    if settings.full && !verdicts.misses.is_empty() {
        println!("\nbelow target:\n  {}", verdicts.misses.join("\n  "));
        if std::env::var_os("STRATA_BENCH_REPORT_ONLY").is_none() {
            std::process::exit(1);
        }
    }
}

/// One timed operation of a pair compared in the overlay table.
type Op<'o> = Box<dyn FnMut(usize) -> Duration + 'o>;

/// Samples both sides of a pair, alternating which goes first.
fn run_pair(settings: &Settings, items: u64, ops: &mut [Op<'_>; 2]) -> Vec<Samples> {
    let per_sample = calibrate(settings, |n| {
        ops[0](n);
    });
    rounds(settings, &[true, true], per_sample, items, |side, call| match call {
        Call::Op(n) => ops[side](n),
        Call::SampleEnd => Duration::ZERO,
    })
}

/// The `Temporal` overlay over the loaded data against the same data committed.
fn overlay(
    settings: &Settings,
    data: &Dataset,
    shadowed: &RocksDb,
    committed: &RocksDb,
    verdicts: &mut Verdicts,
) -> String {
    let overlay = Overlay::new(data, shadowed, committed);
    let merged = workload::merged_scan(&overlay.temporal);
    assert_eq!(
        merged,
        workload::merged_scan(&overlay.committed),
        "the merged scan must see the committed data"
    );
    for n in 0..256 {
        assert_eq!(
            workload::read_through_get(&overlay.temporal, &overlay.probes, n),
            workload::read_through_get(&overlay.committed, &overlay.probes, n),
            "read-through get {n}"
        );
    }

    let scratch_dir = tempfile::tempdir().expect("a temporary directory");
    let scratch = workload::open_strata(scratch_dir.path());
    let buffered = data.overlay_transaction();
    let entries = (data.scale.keys() + data.scale.buffered / 3) as u64;

    let cases: [(&str, u64, Option<f64>, [Op<'_>; 2]); 3] = [
        (
            "read-through get",
            1,
            None,
            [
                Box::new(|n| {
                    timed(|| {
                        black_box(workload::read_through_get(
                            &overlay.temporal,
                            &overlay.probes,
                            n,
                        ));
                    })
                }),
                Box::new(|n| {
                    timed(|| {
                        black_box(workload::read_through_get(
                            &overlay.committed,
                            &overlay.probes,
                            n,
                        ));
                    })
                }),
            ],
        ),
        (
            "merged scan (whole column)",
            entries,
            Some(0.8),
            [
                Box::new(|_| {
                    timed(|| {
                        black_box(workload::merged_scan(&overlay.temporal));
                    })
                }),
                Box::new(|_| {
                    timed(|| {
                        black_box(workload::merged_scan(&overlay.committed));
                    })
                }),
            ],
        ),
        (
            "commit (buffered writes)",
            data.scale.buffered as u64,
            None,
            [
                Box::new(|_| {
                    let mut layer = strata::Temporal::new(strata::Store::new(&scratch));
                    layer.apply(&buffered).expect("buffer");
                    let took = timed(|| layer.commit().expect("commit"));
                    drop(layer);
                    took
                }),
                Box::new(|_| {
                    let mut store = strata::Store::new(&scratch);
                    let tx: Transaction = buffered.clone();
                    timed(|| store.apply(&tx).expect("apply"))
                }),
            ],
        ),
    ];

    let mut table = String::from(
        "| overlay workload | temporal | store (same data committed) | temporal ÷ store [IQR] | peak RSS rise MiB (temporal / store) |\n|---|---|---|---|---|\n",
    );
    for (name, items, target, mut ops) in cases {
        let results = run_pair(settings, items, &mut ops);
        let verdict =
            verdicts.check(name, "temporal ÷ store", ratio(&results[0], &results[1]), target);
        writeln!(
            table,
            "| {name} | {} | {} | {verdict} | {} / {} |",
            rate(&results[0]),
            rate(&results[1]),
            mib(results[0].peak_rise),
            mib(results[1].peak_rise)
        )
        .expect("write to a string");
    }
    table
}
