//! Throughputs recorded per criterion sample, for the ratio tables the side-by-side benchmarks
//! (`benches/kv.rs`, `benches/log.rs`) print after criterion's own report.
//!
//! Criterion reports each function alone; a ratio of two functions needs their samples. A
//! [`Rates`] runs a function as criterion's timing loop and keeps each sample's throughput, and
//! [`Rates::median`] gives the median of the measured ones.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

/// The per-sample throughputs (elements per second) each benchmark recorded, in order, by
/// `group/function`.
#[derive(Debug, Default)]
pub struct Rates {
    recorded: Mutex<BTreeMap<String, Vec<f64>>>,
}

impl Rates {
    /// No throughputs yet (usable in a `static`).
    pub const fn new() -> Self {
        Self { recorded: Mutex::new(BTreeMap::new()) }
    }

    /// Runs `routine` as criterion's timing loop for `group_name/name`, recording each sample's
    /// throughput: `routine(iters)` runs `iters` iterations of `elements` elements each and
    /// returns the time they took.
    pub fn bench(
        &self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        group_name: &str,
        name: &str,
        elements: u64,
        mut routine: impl FnMut(u64) -> Duration,
    ) {
        let id = format!("{group_name}/{name}");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let took = routine(iters);
                #[expect(clippy::cast_precision_loss, reason = "a throughput is shown as a float")]
                let rate = (iters * elements) as f64 / took.as_secs_f64();
                self.recorded
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(id.clone())
                    .or_default()
                    .push(rate);
                took
            });
        });
    }

    /// The median of the last `samples` throughputs recorded for `id` (`group/function`):
    /// criterion's measured samples, which come after the warm-up's.
    pub fn median(&self, id: &str, samples: usize) -> Option<f64> {
        let recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        let rates = recorded.get(id)?;
        let mut measured = rates[rates.len().saturating_sub(samples)..].to_vec();
        measured.sort_by(f64::total_cmp);
        measured.get(measured.len() / 2).copied()
    }
}

/// A throughput for a table: `1.50 M/s`, `33 K/s`, `4307 /s`.
pub fn format_rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M/s", per_second / 1e6)
    } else if per_second >= 1e4 {
        format!("{:.0} K/s", per_second / 1e3)
    } else {
        format!("{per_second:.0} /s")
    }
}
