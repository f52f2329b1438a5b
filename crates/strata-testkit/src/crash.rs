//! The crash harness: a writer runs in a child process (an ignored test of the same binary) and
//! is killed with `SIGKILL` at a random moment, cycle after cycle; the test reads what the writer
//! printed before it died and checks the database against it.
//!
//! `STRATA_CRASH_CYCLES` sets the number of kills (default 50); `STRATA_CRASH_SEED` replays a
//! run's kill moments.

use std::io::{BufRead, BufReader, Write as _};
use std::process::Stdio;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How many kill cycles to run, and the random source of their moments.
#[derive(Debug)]
pub struct Plan {
    /// The number of kill cycles.
    pub cycles: u64,
    /// The seed the kill moments come from; printed so a run can be replayed.
    pub seed: u64,
    rng: StdRng,
}

impl Plan {
    /// The plan from `STRATA_CRASH_CYCLES` (default 50) and `STRATA_CRASH_SEED` (default random),
    /// reported under `name` with how to replay it.
    pub fn from_env(name: &str) -> Self {
        Self::from_env_or(name, 50)
    }

    /// [`Plan::from_env`] with `cycles` kills unless `STRATA_CRASH_CYCLES` says otherwise.
    pub fn from_env_or(name: &str, cycles: u64) -> Self {
        let cycles = std::env::var("STRATA_CRASH_CYCLES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(cycles);
        let seed = std::env::var("STRATA_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| rand::rng().random());
        crate::report(&format!(
            "{name}: {cycles} cycles, seed {seed} (replay with STRATA_CRASH_SEED={seed})"
        ));
        Self { cycles, seed, rng: StdRng::seed_from_u64(seed) }
    }

    /// When to kill the next writer: a quarter of the kills land in the first 60 ms, while it
    /// starts up and opens the database, the rest within 400 ms, mostly mid-write.
    pub fn kill_delay(&mut self) -> Duration {
        if self.rng.random_ratio(1, 4) {
            Duration::from_millis(self.rng.random_range(0..60))
        } else {
            Duration::from_millis(self.rng.random_range(60..400))
        }
    }
}

/// Writes one line to standard output and flushes it: how a writer tells the parent what it is
/// about to do and what it has done, so that the line is out before the next step can be killed.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).expect("the parent reads stdout");
}

/// Starts the ignored test `writer` of this binary with `envs`, kills it with `SIGKILL` after
/// `after`, and returns what `read` made of the lines it printed. `read` sees every complete
/// line; the one libtest starts with the test's name (`test NAME ... `) carries the writer's
/// first output at its end.
pub fn run_killed<R: Send + 'static>(
    writer: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    after: Duration,
    read: impl FnOnce(&mut dyn Iterator<Item = String>) -> R + Send + 'static,
) -> R {
    let mut command = crate::child_test(writer);
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        read(&mut lines)
    });
    std::thread::sleep(after);
    // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no chance to finish a write.
    child.kill().expect("kill the writer");
    child.wait().expect("reap the writer");
    reader.join().expect("read the writer's output")
}

/// What a resumable worker (a migration, a rotation) said before it was killed, when it says
/// `… resuming=true` on opening a database with work left, `batch …` after each committed batch
/// and `done` at the end.
#[derive(Debug, Default, Clone, Copy)]
pub struct Resumable {
    /// Whether it found work an earlier worker left.
    pub resuming: bool,
    /// Batches it committed.
    pub batches: u64,
    /// Whether it finished.
    pub done: bool,
}

impl Resumable {
    /// Reads a worker's lines: pass it to [`run_killed`].
    pub fn read(lines: &mut dyn Iterator<Item = String>) -> Self {
        let mut run = Self::default();
        for line in lines {
            if line.ends_with("resuming=true") {
                run.resuming = true;
            } else if line.starts_with("batch ") {
                run.batches += 1;
            } else if line == "done" {
                run.done = true;
            }
        }
        run
    }
}

/// Replaces the database directory `dir` with a copy of the closed database directory
/// `pristine`: the starting point of the next cycle.
pub fn restore(pristine: &std::path::Path, dir: &std::path::Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove the database");
    }
    std::fs::create_dir_all(dir).expect("create the database directory");
    for file in std::fs::read_dir(pristine).expect("list the pristine database") {
        let file = file.expect("a file");
        std::fs::copy(file.path(), dir.join(file.file_name())).expect("copy a file");
    }
}
