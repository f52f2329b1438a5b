//! # Strata test kit
//!
//! Shared test support for the whole workspace, in the spirit of tikv's `engine_traits_tests`:
//!
//! - [`Harness`]: how a suite opens, and reopens, one backend.
//! - [`suite`]: the backend conformance suite, written once against [`Database`].
//! - [`model`]: random operation sequences checked against a `BTreeMap` model.
//! - [`fault`]: [`Faulty`](fault::Faulty), a database wrapper that fails the n-th operation of a kind.
//! - [`stack`]: the same for layer stacks (`Temporal`, nested `Temporal`, `Tee`, `ReadOnly` views).
//! - [`crash`]: the crash harness: writers in child processes killed with `SIGKILL`.
//! - [`conformance!`]: instantiates all of it as `#[test]`s for one harness.
//!
//! ```
//! use strata_testkit::MemoryHarness;
//!
//! strata_testkit::suite::point_operations(&mut MemoryHarness::default());
//! ```
#![forbid(unsafe_code)]
// Every check in this crate asserts: panicking is how a conformance check reports a failure.
#![expect(clippy::missing_panics_doc, reason = "a failed check panics, as tests do")]

pub mod crash;
pub mod fault;
pub mod migration;
pub mod model;
pub mod stack;
pub mod suite;

#[cfg(feature = "rocksdb")]
use std::path::PathBuf;

use strata_core::{Column, Database, MemoryDb};
#[cfg(feature = "rocksdb")]
use strata_rocksdb::{RocksConfig, RocksDb};

/// Writes `line` to standard error even while the test harness captures output, so that the
/// figures of passing reliability tests (kill cycles, violations, commits before a full disk)
/// show in CI logs, and a skipped test says why.
pub fn report(line: &str) {
    use std::io::Write as _;
    // The harness captures the `print!` family only; a direct write reaches the terminal.
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Every key and value of `column` in `db`, in key order: for comparing a column's contents
/// between two databases.
///
/// # Panics
///
/// Panics if the database fails: a test stops at its first failure.
pub fn column_contents(db: &impl Database, column: Column) -> Vec<(Vec<u8>, Vec<u8>)> {
    let range = strata_core::KeyRange::all();
    let mut cursor = db.cursor(column, &range).expect("a cursor");
    strata_core::Cursor::seek_to_first(&mut cursor);
    let mut contents = Vec::new();
    while let Some((key, value)) = strata_core::Cursor::item(&cursor) {
        contents.push((key.to_vec(), value.to_vec()));
        strata_core::Cursor::next(&mut cursor);
    }
    strata_core::Cursor::status(&cursor).expect("a scan");
    contents
}

/// Every file directly in `dir` with its bytes: for showing that an operation changed no byte
/// of a database directory.
///
/// # Panics
///
/// Panics if the directory cannot be read: a test stops at its first failure.
pub fn directory_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list the directory")
        .map(|entry| {
            let entry = entry.expect("a directory entry");
            let bytes = std::fs::read(entry.path()).expect("read a file");
            (entry.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// A command that runs one ignored test of the current test binary in a child process, with its
/// output uncaptured: how a test gets a process it can kill, or run as another user.
pub fn child_test(name: &str) -> std::process::Command {
    let mut command =
        std::process::Command::new(std::env::current_exe().expect("the running test binary"));
    command.args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"]);
    command
}

/// Columns every suite opens its databases with.
pub const COLUMNS: [Column; 3] =
    [Column::new("alpha"), Column::new("beta"), Column::new("gamma").with_prefix_len(2)];

/// The workloads every stack's fault schedules run: each seed is one 50-action workload.
pub const FAULT_SEEDS: [u64; 6] = [1, 2, 3, 4, 5, 6];

/// A column no suite database is opened with.
pub const UNDECLARED: Column = Column::new("undeclared");

/// How a test suite gets databases of one backend.
pub trait Harness {
    /// The backend under test.
    type Db: Database;

    /// Opens a new, empty database with `columns`.
    fn open(&mut self, columns: &[Column]) -> Self::Db;

    /// Closes `db` and opens it again with the same columns, as a process restart would.
    fn reopen(&mut self, db: Self::Db) -> Self::Db;
}

/// The in-memory backend; reopening keeps the same instance, as its data lives in the process.
#[derive(Debug, Default)]
pub struct MemoryHarness;

impl Harness for MemoryHarness {
    type Db = MemoryDb;

    fn open(&mut self, columns: &[Column]) -> MemoryDb {
        MemoryDb::new(columns.iter().copied())
    }

    fn reopen(&mut self, db: MemoryDb) -> MemoryDb {
        db
    }
}

/// Another harness's databases behind [`EncryptedDb`](strata_encryption::EncryptedDb): every
/// value sealed on the way down and opened on the way up. The conformance suite and the models
/// run through it unchanged, so encryption changes nothing a caller can see but the bytes
/// stored. Each database is opened with the meta column besides the suite's, for the key ring.
#[derive(Debug, Default)]
pub struct EncryptedHarness<H>(pub H);

/// The key [`EncryptedHarness`] seals with.
pub const HARNESS_KEY: [u8; 32] = [0x5e; 32];

impl<H: Harness> Harness for EncryptedHarness<H> {
    type Db = strata_encryption::EncryptedDb<H::Db>;

    fn open(&mut self, columns: &[Column]) -> Self::Db {
        let mut all = columns.to_vec();
        all.push(strata_core::versions::VERSIONS);
        let key = strata_encryption::UnlockKey::from_bytes(HARNESS_KEY);
        strata_encryption::EncryptedDb::create(self.0.open(&all), &key)
            .expect("create the key ring")
    }

    fn reopen(&mut self, db: Self::Db) -> Self::Db {
        let db = self.0.reopen(db.into_inner());
        let key = strata_encryption::UnlockKey::from_bytes(HARNESS_KEY);
        strata_encryption::EncryptedDb::open(db, &key).expect("open with the same key")
    }
}

#[cfg(feature = "rocksdb")]
/// RocksDB in a temporary directory; each `open` gets a fresh database, `reopen` closes it and
/// opens the same directory again.
#[derive(Debug)]
pub struct RocksHarness {
    dir: tempfile::TempDir,
    opened: usize,
    current: Option<(PathBuf, Vec<Column>)>,
}

#[cfg(feature = "rocksdb")]
impl RocksHarness {
    /// A harness with its own temporary directory.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        Self { dir, opened: 0, current: None }
    }

    /// The configuration used for a database at `path`.
    pub fn config(path: impl Into<PathBuf>) -> RocksConfig {
        RocksConfig::new(path).block_cache_bytes(8 << 20).parallelism(2)
    }
}

#[cfg(feature = "rocksdb")]
impl Default for RocksHarness {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "rocksdb")]
impl Harness for RocksHarness {
    type Db = RocksDb;

    fn open(&mut self, columns: &[Column]) -> RocksDb {
        self.opened += 1;
        let path = self.dir.path().join(format!("db{}", self.opened));
        let db = RocksDb::open(&Self::config(&path), columns).expect("open RocksDB");
        self.current = Some((path, columns.to_vec()));
        db
    }

    fn reopen(&mut self, db: RocksDb) -> RocksDb {
        drop(db);
        let (path, columns) = self.current.as_ref().expect("a database was opened");
        RocksDb::open(&Self::config(path), columns).expect("reopen RocksDB")
    }
}

/// Generates one `#[test]` per conformance check, the model tests of the backend and of every
/// layer stack, and the fault schedules of every layer stack, for a harness expression.
/// `fault_workloads = N` runs the schedules on the first `N` of [`FAULT_SEEDS`]' workloads
/// (every one by default), for backends whose opens are slow.
///
/// ```
/// strata_testkit::conformance!(strata_testkit::MemoryHarness);
/// ```
///
/// Its checks are those of [`suite::all`], from the one list both are made of.
#[macro_export]
macro_rules! conformance {
    ($harness:expr) => {
        $crate::conformance!($harness, fault_workloads = $crate::FAULT_SEEDS.len());
    };
    ($harness:expr, fault_workloads = $workloads:expr) => {
        $crate::__suite_checks!(tests $harness);

        #[test]
        fn model_agrees_with_btreemap() {
            $crate::model::check(|| $harness, $crate::model::cases_from_env(64));
        }

        #[test]
        fn store_stack_agrees_with_model() {
            $crate::stack::check(|| $harness, $crate::stack::Kind::Store, $crate::model::cases_from_env(32));
        }

        #[test]
        fn temporal_stack_agrees_with_model() {
            $crate::stack::check(|| $harness, $crate::stack::Kind::Temporal, $crate::model::cases_from_env(64));
        }

        #[test]
        fn temporal_temporal_stack_agrees_with_model() {
            $crate::stack::check(|| $harness, $crate::stack::Kind::TemporalTemporal, $crate::model::cases_from_env(64));
        }

        #[test]
        fn tee_stack_agrees_with_model() {
            $crate::stack::check(|| $harness, $crate::stack::Kind::Tee, $crate::model::cases_from_env(64));
        }

        #[test]
        fn store_stack_survives_every_fault() {
            $crate::stack::check_fault_schedules(|| $harness, $crate::stack::Kind::Store, &$crate::FAULT_SEEDS[..$workloads]);
        }

        #[test]
        fn temporal_stack_survives_every_fault() {
            $crate::stack::check_fault_schedules(|| $harness, $crate::stack::Kind::Temporal, &$crate::FAULT_SEEDS[..$workloads]);
        }

        #[test]
        fn temporal_temporal_stack_survives_every_fault() {
            $crate::stack::check_fault_schedules(|| $harness, $crate::stack::Kind::TemporalTemporal, &$crate::FAULT_SEEDS[..$workloads]);
        }

        #[test]
        fn tee_stack_survives_every_fault() {
            $crate::stack::check_fault_schedules(|| $harness, $crate::stack::Kind::Tee, &$crate::FAULT_SEEDS[..$workloads]);
        }
    };
}

/// The suite's checks, listed once: [`conformance!`] makes a `#[test]` of each, and [`suite`]
/// makes [`suite::all`] and [`suite::NAMES`] of them. An implementation detail of the two.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_checks {
    (@emit [tests $harness:expr]; $($check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::suite::$check(&mut $harness);
            }
        )+
    };
    (@emit [suite]; $($check:ident),+ $(,)?) => {
        /// Runs every check of the suite on `harness`, in order: for a backend that wants the
        /// suite in one call (a doctest, an example); test files use
        /// [`conformance!`](crate::conformance) for one `#[test]` per check.
        pub fn all<H: $crate::Harness>(harness: &mut H) {
            $($check(harness);)+
        }

        /// The names of the suite's checks, in order.
        pub const NAMES: &[&str] = &[$(stringify!($check)),+];
    };
    (@list $mode:tt) => {
        $crate::__suite_checks!(@emit $mode;
            point_operations,
            unknown_columns_are_rejected_without_side_effects,
            transactions_apply_atomically_across_columns,
            durable_commits_apply_like_apply,
            forward_reverse_and_bounded_iteration,
            prefix_iteration,
            mixed_direction_iteration_meets_once,
            seek_moves_the_front,
            cursor_moves_keep_the_contract,
            items_outlive_their_iterator,
            iterators_read_a_snapshot,
            get_many_matches_get,
            data_survives_reopen,
            typed_handle_round_trips,
            bad_stored_bytes_are_typed_errors,
        );
    };
    (tests $harness:expr) => {
        $crate::__suite_checks!(@list [tests $harness]);
    };
    (suite) => {
        $crate::__suite_checks!(@list [suite]);
    };
}
