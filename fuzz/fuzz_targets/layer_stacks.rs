//! A random stream of operations through a random layer stack over the in-memory backend, every
//! read checked against the `BTreeMap` model, and now and then an injected fault armed, every
//! failure checked for what it must leave behind — the same checker the proptest model tests use,
//! driven by coverage-guided input instead.
#![no_main]

use std::ops::Bound;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use strata_testkit::MemoryHarness;
use strata_testkit::fault::{OpKind, Outcome};
use strata_testkit::stack::{self, Action, Kind};

/// Keys from a small alphabet, so that operations collide on the same keys.
fn key(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let len = u.int_in_range(0..=3)?;
    (0..len).map(|_| u.int_in_range(0..=3_u8)).collect()
}

fn bound(u: &mut Unstructured<'_>) -> Result<Bound<Vec<u8>>> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Bound::Unbounded,
        1 => Bound::Included(key(u)?),
        _ => Bound::Excluded(key(u)?),
    })
}

fn action(u: &mut Unstructured<'_>) -> Result<Action> {
    let column = u.int_in_range(0..=2)?;
    Ok(match u.int_in_range(0..=11)? {
        0 | 1 => Action::Put(column, key(u)?, key(u)?),
        2 => Action::Delete(column, key(u)?),
        3 => Action::Get(column, key(u)?),
        4 => Action::Range(column, bound(u)?, bound(u)?, u.arbitrary()?),
        5 => Action::Seek(column, bound(u)?, bound(u)?, key(u)?, u.int_in_range(0..=4)?),
        6 => {
            let len = u.int_in_range(0..=4)?;
            let ops = (0..len)
                .map(|_| {
                    let value = if u.arbitrary()? { Some(key(u)?) } else { None };
                    Ok((u.int_in_range(0..=2)?, key(u)?, value))
                })
                .collect::<Result<_>>()?;
            Action::Apply(ops)
        }
        7 => Action::Commit,
        8 => Action::CommitInner,
        9 => {
            if u.arbitrary()? {
                Action::Rollback
            } else {
                Action::Reopen
            }
        }
        10 => Action::PutSecond(column, key(u)?, key(u)?),
        // As the test kit's own random actions do, now and then: the n-th operation of a kind from
        // here on fails, before or after it reaches the database.
        _ => {
            let outcome = if u.arbitrary()? { Outcome::Applied } else { Outcome::NotApplied };
            Action::Arm(*u.choose(&OpKind::ALL)?, u.int_in_range(1..=3)?, outcome)
        }
    })
}

fuzz_target!(|bytes: &[u8]| {
    let mut u = Unstructured::new(bytes);
    let Ok(kind) = u.choose(&[Kind::Store, Kind::Temporal, Kind::TemporalTemporal, Kind::Tee])
    else {
        return;
    };
    let mut actions = Vec::new();
    while !u.is_empty() && actions.len() < 64 {
        match action(&mut u) {
            Ok(action) => actions.push(action),
            Err(_) => break,
        }
    }
    if let Err(failure) = stack::run(&mut MemoryHarness, *kind, &actions) {
        panic!("the {kind:?} stack disagrees with the model: {failure}\nactions: {actions:#?}");
    }
});
