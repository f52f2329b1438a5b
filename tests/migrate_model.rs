//! Migrations against a plain model: random data in four columns, a random sequence of changes
//! (add, drop, rename, transform values, re-lay keys) split into random steps, run by the
//! `Migrator` in random batch sizes while commits fail at random (refused, or landed but reported
//! failed) and the migration is run again until it completes. The result must equal the model —
//! the same changes applied to `BTreeMap`s — and a dry run on the untouched database must report
//! exactly the model's counts per change.

use std::collections::BTreeMap;

use proptest::prelude::*;
use strata::error::BoxError;
use strata::migrate::{Change, KeyRelay, Migrator, Relaid, Step, ValueTransform};
use strata::versions::{self, SchemaState, VERSIONS};
use strata::{Column, Database, MemoryDb, Schema, Transaction};
use strata_testkit::fault::{Faulty, OpKind, Outcome, caused_by_injected};

const COLUMNS: [Column; 4] =
    [Column::new("m0"), Column::new("m1"), Column::new("m2"), Column::new("m3")];

type Table = BTreeMap<Vec<u8>, Vec<u8>>;

// The functions a change may use (a schema's steps are constants, so these are `fn`s).

#[expect(clippy::unnecessary_wraps, reason = "a value transform's signature")]
fn append_x(_: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
    Ok(Some([value, b"x"].concat()))
}

#[expect(clippy::unnecessary_wraps, reason = "a value transform's signature")]
fn drop_odd_keys(key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
    Ok(key.len().is_multiple_of(2).then(|| value.iter().rev().copied().collect()))
}

#[expect(clippy::unnecessary_wraps, reason = "a key relay's signature")]
fn reverse_key(key: &[u8], value: &[u8]) -> Result<Relaid, BoxError> {
    Ok(Some((key.iter().rev().copied().collect(), value.to_vec())))
}

#[expect(clippy::unnecessary_wraps, reason = "a key relay's signature")]
fn prefix_key(key: &[u8], value: &[u8]) -> Result<Relaid, BoxError> {
    Ok(Some(([&[0xEE], key].concat(), [value, &[1]].concat())))
}

#[expect(clippy::unnecessary_wraps, reason = "a key relay's signature")]
fn drop_empty(key: &[u8], value: &[u8]) -> Result<Relaid, BoxError> {
    Ok((!value.is_empty()).then(|| (key.to_vec(), value.to_vec())))
}

const TRANSFORMS: [ValueTransform; 2] = [append_x, drop_odd_keys];
const RELAYS: [KeyRelay; 3] = [reverse_key, prefix_key, drop_empty];

/// A change as generated: columns and functions by index.
#[derive(Debug, Clone, Copy)]
enum Gen {
    Add(usize),
    Drop(usize),
    Rename(usize, usize),
    Transform(usize, usize),
    Relay(usize, usize, usize),
}

fn gen_change() -> impl Strategy<Value = Gen> {
    prop_oneof![
        (0..4_usize).prop_map(Gen::Add),
        (0..4_usize).prop_map(Gen::Drop),
        (0..4_usize, 0..4_usize).prop_map(|(a, b)| Gen::Rename(a, b)),
        (0..4_usize, 0..2_usize).prop_map(|(c, t)| Gen::Transform(c, t)),
        (0..4_usize, 0..4_usize, 0..3_usize).prop_map(|(a, b, r)| Gen::Relay(a, b, r)),
    ]
}

fn gen_table() -> impl Strategy<Value = Table> {
    proptest::collection::btree_map(
        proptest::collection::vec(0_u8..4, 0..4),
        proptest::collection::vec(any::<u8>(), 0..4),
        0..40,
    )
}

/// Counts the model expects of one change: (read, written, deleted).
type Counts = (u64, u64, u64);

/// Applies `change` to the model; `None` when it is not valid here (a move into a column that
/// holds data, or onto itself), in which case the change is replaced by an `AddColumn`.
fn model_apply(tables: &mut [Table; 4], change: Gen) -> Option<(Change, Counts)> {
    let len = |t: &Table| t.len() as u64;
    Some(match change {
        Gen::Add(c) => (Change::AddColumn(COLUMNS[c]), (0, 0, 0)),
        Gen::Drop(c) => {
            let n = len(&tables[c]);
            tables[c].clear();
            (Change::DropColumn(COLUMNS[c]), (n, 0, n))
        }
        Gen::Rename(a, b) => {
            if a == b || !tables[b].is_empty() {
                return None;
            }
            let n = len(&tables[a]);
            tables[b] = std::mem::take(&mut tables[a]);
            (Change::RenameColumn { from: COLUMNS[a], to: COLUMNS[b] }, (n, n, 0))
        }
        Gen::Transform(c, t) => {
            let transform = TRANSFORMS[t];
            let (mut written, mut deleted) = (0, 0);
            let n = len(&tables[c]);
            let old = std::mem::take(&mut tables[c]);
            for (key, value) in old {
                match transform(&key, &value).unwrap() {
                    Some(new) => {
                        tables[c].insert(key, new);
                        written += 1;
                    }
                    None => deleted += 1,
                }
            }
            (Change::TransformValues { column: COLUMNS[c], transform }, (n, written, deleted))
        }
        Gen::Relay(a, b, r) => {
            if a == b || !tables[b].is_empty() {
                return None;
            }
            let relay = RELAYS[r];
            let (mut written, mut deleted) = (0, 0);
            let n = len(&tables[a]);
            for (key, value) in std::mem::take(&mut tables[a]) {
                match relay(&key, &value).unwrap() {
                    Some((key, value)) => {
                        assert!(tables[b].insert(key, value).is_none(), "the relays are injective");
                        written += 1;
                    }
                    None => deleted += 1,
                }
            }
            (Change::RelayKeys { from: COLUMNS[a], to: COLUMNS[b], relay }, (n, written, deleted))
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("STRATA_MIGRATE_MODEL_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn migrations_match_the_model(
        first in gen_table(),
        second in gen_table(),
        changes in proptest::collection::vec(gen_change(), 1..8),
        splits in proptest::collection::vec(1_usize..4, 8),
        batch in 1_usize..8,
        failures in proptest::collection::vec((1_u64..30, any::<bool>()), 0..4),
    ) {
        // The model, and the changes it accepts.
        let mut tables: [Table; 4] = [first.clone(), second.clone(), Table::new(), Table::new()];
        let mut accepted = Vec::new();
        for change in changes {
            let (change, counts) = model_apply(&mut tables, change)
                .or_else(|| model_apply(&mut tables, Gen::Add(0)))
                .unwrap();
            accepted.push((change, counts));
        }
        // Split into steps from version 1.
        let mut steps = Vec::new();
        let mut rest: &[(Change, Counts)] = &accepted;
        for (at, size) in splits.iter().enumerate() {
            if rest.is_empty() {
                break;
            }
            let (step, tail) = rest.split_at((*size).min(rest.len()));
            let changes: &'static [Change] =
                Box::leak(step.iter().map(|(c, _)| *c).collect::<Vec<_>>().into_boxed_slice());
            steps.push(Step::new(u32::try_from(at).unwrap() + 1, "generated", changes));
            rest = tail;
        }
        let version = u32::try_from(steps.len()).unwrap() + 1;
        let steps: &'static [Step] = Box::leak(steps.into_boxed_slice());
        let schema = Schema::new("model", &[]).with_version(version).with_migrations(steps);

        let db = Faulty::new(MemoryDb::new(COLUMNS.into_iter().chain([VERSIONS])));
        let mut load = Transaction::new();
        for (column, table) in [(COLUMNS[0], &first), (COLUMNS[1], &second)] {
            for (key, value) in table {
                load.put(column, key, value);
            }
        }
        db.apply(&load).unwrap();
        versions::record(&db, &[Schema::new("model", &[])]).unwrap();

        // A dry run on the untouched database reports the model's counts.
        let dry = Migrator::new(&[schema]).batch_keys(batch).dry_run(&db).unwrap();
        let reported: Vec<Counts> =
            dry.iter().flat_map(|s| &s.changes).map(|c| (c.read, c.written, c.deleted)).collect();
        let expected: Vec<Counts> = accepted.iter().map(|(_, counts)| *counts).collect();
        prop_assert_eq!(reported, expected);

        // Failing commits, then runs until done.
        let faults = db.faults();
        for (nth, applied) in failures {
            faults.fail_nth(OpKind::Apply, nth, if applied { Outcome::Applied } else { Outcome::NotApplied });
            match Migrator::new(&[schema]).batch_keys(batch).run(&db) {
                Ok(_) => {}
                Err(error) if caused_by_injected(&error) => {}
                Err(error) => return Err(TestCaseError::fail(error.to_string())),
            }
            faults.disarm();
        }
        Migrator::new(&[schema]).batch_keys(batch).run(&db).unwrap();

        for (column, table) in COLUMNS.iter().zip(&tables) {
            let stored: Table = strata_testkit::column_contents(&db, *column).into_iter().collect();
            prop_assert_eq!(&stored, table, "column {}", column.name());
        }
        prop_assert_eq!(versions::check(&db, &[schema]).unwrap(), [SchemaState::Current]);
        prop_assert!(Migrator::new(&[schema]).pending(&db).unwrap().is_empty());
    }
}
