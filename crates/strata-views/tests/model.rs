//! Model-based test: random sequences of local appends, peer inserts, prunes, catch-ups,
//! explicit rebuilds and reopens (some with a view's version bumped, some with a view switched
//! between in step and behind), with three views in random modes and small batches. After every
//! step, every ready view's state must equal its reduction recomputed from scratch over the
//! entries it reflects — every entry below its `since`, except those pruned before the view
//! reached them — and a view that is not ready must refuse readers. The built-in entry counts
//! are also checked against plain arithmetic.
//!
//! `STRATA_VIEWS_MODEL_CASES` sets the number of cases (default 48).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strata_core::{Column, Database, MemoryDb, Temporal};
use strata_log::{Author, Entry, LogConfig, LogStore, NoVerification, Unsigned};
use strata_views::builtin::{self, EntryCounts, LatestByKey, LatestByTopic, Totals};
use strata_views::{Committed, Phase, Versioned, View, ViewError, Views};

const INDEX: Column = Column::new("model_index");
const NAMES: [&str; 3] = [EntryCounts::NAME, LatestByTopic::NAME, "by_key"];

/// Payloads are `key=value`; the index keeps the latest value per key.
fn by_key(version: u32) -> LatestByKey {
    LatestByKey::new("by_key", version, INDEX, |entry| {
        let payload = entry.payload.as_deref()?;
        let at = payload.iter().position(|&b| b == b'=')?;
        Some((payload[..at].to_vec(), payload[at + 1..].to_vec()))
    })
}

fn view<D: Database + 'static>(which: usize, version: u32) -> Box<dyn View<D>> {
    match which {
        0 => Box::new(Versioned::new(EntryCounts, version)),
        1 => Box::new(Versioned::new(LatestByTopic::default(), version)),
        _ => Box::new(by_key(version)),
    }
}

fn columns() -> Vec<Column> {
    [&strata_log::COLUMNS[..], &strata_views::COLUMNS, &builtin::COLUMNS, &[INDEX]].concat()
}

#[derive(Debug, Clone)]
enum Op {
    Append {
        author: u8,
        log: u64,
        key: u8,
        value: u8,
        topic: Option<u8>,
    },
    /// A peer's next entries (up to `count`), inserted as one batch.
    Insert {
        peer: u8,
        count: usize,
    },
    Prune {
        author: u8,
        log: u64,
        below: u64,
    },
    CatchUp,
    Rebuild {
        view: usize,
    },
    /// Reopen, maybe bumping a view's version, maybe switching a view's mode.
    Reopen {
        bump: Option<usize>,
        flip: Option<usize>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..2u8, 0..2u64, 0..4u8, any::<u8>(), proptest::option::of(0..2u8))
            .prop_map(|(author, log, key, value, topic)| Op::Append { author, log, key, value, topic }),
        3 => (0..2u8, 1..6usize).prop_map(|(peer, count)| Op::Insert { peer, count }),
        2 => (0..2u8, 0..2u64, 0..8u64).prop_map(|(author, log, below)| Op::Prune { author, log, below }),
        3 => Just(Op::CatchUp),
        1 => (0..3usize).prop_map(|view| Op::Rebuild { view }),
        2 => (proptest::option::of(0..3usize), proptest::option::of(0..3usize))
            .prop_map(|(bump, flip)| Op::Reopen { bump, flip }),
    ]
}

struct World {
    db: Arc<MemoryDb>,
    versions: [u32; 3],
    in_step: [bool; 3],
    batch: usize,
    /// Each peer's own log, from which entries are inserted in order.
    origin: LogStore<MemoryDb>,
    /// How many of each peer's entries were inserted.
    inserted: [usize; 2],
    /// Every entry that arrived, by offset (pruned ones too).
    history: BTreeMap<u64, Entry>,
    pruned: BTreeSet<u64>,
    /// Per view: offsets pruned before the view reached them.
    gone: [BTreeSet<u64>; 3],
}

impl World {
    fn open(&self) -> Views<Arc<MemoryDb>> {
        let mut builder = Views::builder().background(false).batch(self.batch);
        for which in 0..3 {
            let view = view(which, self.versions[which]);
            builder =
                if self.in_step[which] { builder.in_step(view) } else { builder.behind(view) };
        }
        builder.open(Arc::clone(&self.db), NoVerification, LogConfig::default()).unwrap()
    }

    /// Records the arrivals the store has that the model has not seen yet.
    fn sync_history(&mut self, log: &LogStore<Arc<MemoryDb>>) {
        let after = self.history.keys().next_back().copied();
        for item in log.stream(after).unwrap() {
            let (offset, entry) = item.unwrap();
            self.history.insert(offset, entry);
        }
    }
}

fn run(world: &mut World, views: &mut Views<Arc<MemoryDb>>, op: &Op) {
    let peer_signer = |peer: u8| Unsigned(Author([100 + peer; 32]));
    match op {
        Op::Append { author, log, key, value, topic } => {
            let signer = Unsigned(Author([*author + 1; 32]));
            let payload = format!("k{key}={value}");
            let extensions = topic.map_or_else(Vec::new, |t| vec![t; 32]);
            views.log().append_with(&signer, *log, payload.as_bytes(), extensions, None).unwrap();
            world.sync_history(views.log());
        }
        Op::Insert { peer, count } => {
            let signer = peer_signer(*peer);
            let have = world.inserted[usize::from(*peer)];
            while world.origin.log_state(&signer.0, 0).unwrap().map_or(0, |s| s.count)
                < (have + count) as u64
            {
                world.origin.append(&signer, 0, format!("k9={have}").as_bytes(), None).unwrap();
            }
            let entries: Vec<Entry> = world
                .origin
                .entries(&signer.0, 0, have.checked_sub(1).map(|s| s as u64), None)
                .unwrap()
                .take(*count)
                .collect::<Result<_, _>>()
                .unwrap();
            views.log().insert_batch(&entries).unwrap();
            world.inserted[usize::from(*peer)] += entries.len();
            world.sync_history(views.log());
        }
        Op::Prune { author, log, below } => {
            let author = Author([*author + 1; 32]);
            let before: BTreeSet<u64> =
                views.log().stream(None).unwrap().map(|item| item.unwrap().0).collect();
            views.log().prune(&author, *log, *below).unwrap();
            let after: BTreeSet<u64> =
                views.log().stream(None).unwrap().map(|item| item.unwrap().0).collect();
            for offset in before.difference(&after) {
                world.pruned.insert(*offset);
                for (which, name) in NAMES.iter().enumerate() {
                    if *offset >= views.status(name).unwrap().since {
                        world.gone[which].insert(*offset);
                    }
                }
            }
        }
        Op::CatchUp => views.catch_up().unwrap(),
        Op::Rebuild { view } => {
            views.rebuild(NAMES[*view]).unwrap();
            world.gone[*view].clone_from(&world.pruned);
        }
        Op::Reopen { bump, flip } => {
            if let Some(which) = bump {
                world.versions[*which] += 1;
                world.gone[*which].clone_from(&world.pruned);
            }
            if let Some(which) = flip {
                world.in_step[*which] = !world.in_step[*which];
            }
            // Drop the old views (and their store) before opening the new ones.
            *views = Views::builder()
                .background(false)
                .open(Arc::new(MemoryDb::new(columns())), NoVerification, LogConfig::default())
                .unwrap();
            *views = world.open();
        }
    }
}

fn compare(world: &World, views: &Views<Arc<MemoryDb>>) {
    let end = views.log().next_offset();
    for (which, name) in NAMES.iter().enumerate() {
        let status = views.status(name).unwrap();
        assert_eq!(status.version, world.versions[which], "{name}'s version");
        assert!(status.since <= end, "{name} is not ahead of the log");
        if status.attached {
            assert_eq!(status.since, end, "{name} is in step: it has seen every commit");
        }
        if status.phase != Phase::Ready {
            assert!(
                matches!(views.reader(name), Err(ViewError::Rebuilding { .. })),
                "{name} is {}: readers are refused",
                status.phase
            );
            continue;
        }
        let reader = views.reader(name).unwrap();
        assert_eq!(reader.since(), status.since);
        // The reduction from scratch over the entries the view reflects.
        let basis: Vec<(u64, &Entry)> = world
            .history
            .range(..status.since)
            .filter(|(offset, _)| !world.gone[which].contains(offset))
            .map(|(offset, entry)| (*offset, entry))
            .collect();
        let fresh = MemoryDb::new(columns());
        let recomputed = view::<MemoryDb>(which, world.versions[which]);
        let mut state = Temporal::new(Committed::new(&fresh));
        for (offset, entry) in &basis {
            recomputed.reduce(&mut state, *offset, entry).unwrap();
        }
        fresh.apply(&state.take_shadow()).unwrap();
        for column in recomputed.columns() {
            assert_eq!(
                strata_testkit::column_contents(views.log().database(), column),
                strata_testkit::column_contents(&fresh, column),
                "{name}'s column {} after {} entries (since {})",
                column.name(),
                basis.len(),
                status.since
            );
        }
        if which == 0 {
            // The counts, by arithmetic.
            let mut per_author: BTreeMap<Author, Totals> = BTreeMap::new();
            for (_, entry) in &basis {
                let totals = per_author.entry(entry.header.author).or_default();
                totals.entries += 1;
                totals.payload_bytes += entry.header.payload_size;
            }
            for (author, totals) in &per_author {
                assert_eq!(EntryCounts::author(&reader, author).unwrap(), Some(*totals));
            }
        }
    }
}

#[test]
fn every_view_equals_its_reduction_from_scratch() {
    let cases = std::env::var("STRATA_VIEWS_MODEL_CASES").ok().and_then(|v| v.parse().ok());
    let mut runner = TestRunner::new(Config { cases: cases.unwrap_or(48), ..Config::default() });
    let strategy = (proptest::collection::vec(op(), 1..40), any::<[bool; 3]>(), 1..5usize);
    let cases_run = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&strategy, |(ops, in_step, batch)| {
            let mut world = World {
                db: Arc::new(MemoryDb::new(columns())),
                versions: [1; 3],
                in_step,
                batch,
                origin: LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).unwrap(),
                inserted: [0; 2],
                history: BTreeMap::new(),
                pruned: BTreeSet::new(),
                gone: Default::default(),
            };
            let mut views = world.open();
            for op in &ops {
                run(&mut world, &mut views, op);
                compare(&world, &views);
            }
            views.catch_up().unwrap();
            compare(&world, &views);
            for (which, name) in NAMES.iter().enumerate() {
                let status = views.status(name).unwrap();
                assert_eq!(status.phase, Phase::Ready, "{name} is ready after catching up");
                assert_eq!(status.since, views.log().next_offset(), "{name} caught up");
                assert_eq!(status.attached, world.in_step[which]);
            }
            cases_run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    strata_testkit::report(&format!(
        "views model: {} cases, every view equal to its reduction from scratch after every step",
        cases_run.into_inner()
    ));
}
