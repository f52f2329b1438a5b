//! Model-based testing: random operation sequences run against a backend and against a
//! `BTreeMap`, which must agree after every step.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strata_core::{Column, Database, KeyRange, ReadLayer, Store, Transaction};

use crate::{COLUMNS, Harness};

/// One step of a random operation sequence.
#[derive(Debug, Clone)]
pub enum Step {
    /// `put(column, key, value)`.
    Put(usize, Vec<u8>, Vec<u8>),
    /// `delete(column, key)`.
    Delete(usize, Vec<u8>),
    /// `get` and `has`, compared with the model.
    Get(usize, Vec<u8>),
    /// Iterate a range forward or in reverse, compared with the model.
    Range {
        /// Which column.
        column: usize,
        /// Lower bound.
        start: Bound<Vec<u8>>,
        /// Upper bound.
        end: Bound<Vec<u8>>,
        /// Iterate with `rev()`.
        reverse: bool,
    },
    /// Iterate a prefix, compared with the model.
    Prefix(usize, Vec<u8>),
    /// Apply a transaction of puts (`Some`) and deletes (`None`).
    Apply(Vec<(usize, Vec<u8>, Option<Vec<u8>>)>),
    /// Close and reopen the database.
    Reopen,
}

/// Keys from a small alphabet, including `0x00` and `0xff`, so that steps collide often.
pub fn small_key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop_oneof![Just(0_u8), Just(1), Just(b'a'), Just(0xff)], 0..4)
}

/// A random range bound over [`small_key`]s.
pub fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => small_key().prop_map(Bound::Included),
        2 => small_key().prop_map(Bound::Excluded),
    ]
}

/// A random column index into [`COLUMNS`].
pub fn column() -> impl Strategy<Value = usize> {
    0..COLUMNS.len()
}

/// A random step.
pub fn step() -> impl Strategy<Value = Step> {
    let value = proptest::collection::vec(any::<u8>(), 0..6);
    prop_oneof![
        6 => (column(), small_key(), value.clone()).prop_map(|(c, k, v)| Step::Put(c, k, v)),
        3 => (column(), small_key()).prop_map(|(c, k)| Step::Delete(c, k)),
        3 => (column(), small_key()).prop_map(|(c, k)| Step::Get(c, k)),
        3 => (column(), bound(), bound(), any::<bool>())
            .prop_map(|(column, start, end, reverse)| Step::Range { column, start, end, reverse }),
        2 => (column(), small_key()).prop_map(|(c, p)| Step::Prefix(c, p)),
        2 => proptest::collection::vec((column(), small_key(), proptest::option::of(value)), 0..6)
            .prop_map(Step::Apply),
        1 => Just(Step::Reopen),
    ]
}

/// The reference: one sorted map per column.
#[derive(Debug, Default, Clone)]
pub struct Model {
    columns: BTreeMap<usize, BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl Model {
    fn column(&self, column: usize) -> impl DoubleEndedIterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.columns.get(&column).into_iter().flatten()
    }

    /// The model's entries of `column` in `range`.
    pub fn range(&self, column: usize, range: &KeyRange) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.column(column)
            .filter(|(k, _)| range.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn put(&mut self, column: usize, key: Vec<u8>, value: Vec<u8>) {
        self.columns.entry(column).or_default().insert(key, value);
    }

    fn delete(&mut self, column: usize, key: &[u8]) {
        self.columns.entry(column).or_default().remove(key);
    }

    fn get(&self, column: usize, key: &[u8]) -> Option<&Vec<u8>> {
        self.columns.get(&column)?.get(key)
    }
}

/// The column at `index` of [`COLUMNS`].
pub(crate) fn col(index: usize) -> Column {
    COLUMNS[index]
}

/// Every entry of `column` within `range`, read straight from `db`, panicking on any error.
pub(crate) fn scan<D: Database>(
    db: &D,
    column: usize,
    range: KeyRange,
    reverse: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let store = Store::new(db);
    let iter = store.iter_range(col(column), range).expect("iterate");
    let items: Vec<_> = if reverse { iter.rev().collect() } else { iter.collect() };
    items
        .into_iter()
        .map(|item| item.expect("entry"))
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect()
}

/// Runs `steps` against a fresh database from `harness` and the model, checking every read.
pub fn run<H: Harness>(harness: &mut H, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut db = Some(harness.open(&COLUMNS));
    let mut model = Model::default();
    for (index, step) in steps.iter().enumerate() {
        let current = db.as_ref().expect("database is open");
        match step {
            Step::Put(c, k, v) => {
                current.put(col(*c), k, v).expect("put");
                model.put(*c, k.clone(), v.clone());
            }
            Step::Delete(c, k) => {
                current.delete(col(*c), k).expect("delete");
                model.delete(*c, k);
            }
            Step::Get(c, k) => {
                let got = current.get(col(*c), k).expect("get").map(|v| v.to_vec());
                prop_assert_eq!(got.as_ref(), model.get(*c, k), "get at step {}", index);
                prop_assert_eq!(current.has(col(*c), k).expect("has"), got.is_some());
            }
            Step::Range { column, start, end, reverse } => {
                let range = KeyRange::from((start.clone(), end.clone()));
                let mut expected = model.range(*column, &range);
                if *reverse {
                    expected.reverse();
                }
                prop_assert_eq!(
                    scan(current, *column, range, *reverse),
                    expected,
                    "range at step {}",
                    index
                );
            }
            Step::Prefix(c, prefix) => {
                let range = KeyRange::prefix(prefix);
                prop_assert_eq!(
                    scan(current, *c, range.clone(), false),
                    model.range(*c, &range),
                    "prefix at step {}",
                    index
                );
            }
            Step::Apply(ops) => {
                let mut tx = Transaction::new();
                for (c, k, v) in ops {
                    match v {
                        Some(v) => tx.put(col(*c), k, v),
                        None => tx.delete(col(*c), k),
                    }
                }
                current.apply(&tx).expect("apply");
                for (c, k, v) in ops {
                    match v {
                        Some(v) => model.put(*c, k.clone(), v.clone()),
                        None => model.delete(*c, k),
                    }
                }
            }
            Step::Reopen => db = Some(harness.reopen(db.take().expect("database is open"))),
        }
    }
    let current = db.as_ref().expect("database is open");
    for column in 0..COLUMNS.len() {
        prop_assert_eq!(
            scan(current, column, KeyRange::all(), false),
            model.range(column, &KeyRange::all())
        );
    }
    Ok(())
}

/// Runs `cases` random sequences, each against a fresh harness from `new_harness`.
///
/// # Panics
///
/// Panics with the minimal failing sequence when the backend and the model disagree.
pub fn check<H: Harness>(new_harness: impl Fn() -> H, cases: u32) {
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let steps = proptest::collection::vec(step(), 1..60);
    if let Err(failure) = runner.run(&steps, |steps| run(&mut new_harness(), &steps)) {
        panic!("the backend disagrees with the model: {failure}");
    }
}

/// The number of cases to run: `STRATA_MODEL_CASES` from the environment, or `default`.
pub fn cases_from_env(default: u32) -> u32 {
    std::env::var("STRATA_MODEL_CASES").ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}
