//! Model-based test: random sequences of local appends (with repeated idempotency keys), peer
//! inserts — valid entries, and entries with a gap, a fork, a wrong backlink, a tampered payload,
//! a bad signature, repeats — prunes, payload drops, topic changes and reopens, run against the
//! log store and a plain in-memory model, compared after every step: every log's entries and
//! payloads, heights, the arrival stream, topics, and every chain verifies.
//!
//! `STRATA_LOG_MODEL_CASES` sets the number of cases (default 48).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use strata_core::{Durability, MemoryDb};
use strata_log::{
    Author, Ed25519, Ed25519Signer, Entry, Hash, Inserted, LogConfig, LogError, LogStore, Signer,
    Topic,
};

const AUTHORS: usize = 3;

#[derive(Debug, Clone)]
enum Tamper {
    None,
    Gap,
    Fork,
    Backlink,
    Payload,
    Signature,
    Repeat,
}

#[derive(Debug, Clone)]
enum Op {
    /// A local author appends (idempotency key from a small pool, so keys repeat).
    Append {
        author: usize,
        log: u64,
        payload: Vec<u8>,
        key: Option<u8>,
    },
    /// A peer author writes to its own copy of the log (not yet received).
    PeerWrite {
        author: usize,
        log: u64,
        payload: Vec<u8>,
    },
    /// The store receives the peer's next entries (up to `count`), one of them maybe tampered.
    Sync {
        author: usize,
        log: u64,
        count: usize,
        tamper: Tamper,
        batch: bool,
    },
    Prune {
        author: usize,
        log: u64,
        below: u64,
    },
    DropPayload {
        author: usize,
        log: u64,
        seq: u64,
    },
    Topic {
        topic: u8,
        author: usize,
        log: u64,
        add: bool,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let payload = proptest::collection::vec(any::<u8>(), 0..40);
    let tamper = prop_oneof![
        6 => Just(Tamper::None),
        1 => Just(Tamper::Gap),
        1 => Just(Tamper::Fork),
        1 => Just(Tamper::Backlink),
        1 => Just(Tamper::Payload),
        1 => Just(Tamper::Signature),
        1 => Just(Tamper::Repeat),
    ];
    prop_oneof![
        6 => (0..AUTHORS, 0..2u64, payload.clone(), proptest::option::of(0..4u8))
            .prop_map(|(author, log, payload, key)| Op::Append { author, log, payload, key }),
        4 => (0..AUTHORS, 0..2u64, payload)
            .prop_map(|(author, log, payload)| Op::PeerWrite { author, log, payload }),
        4 => (0..AUTHORS, 0..2u64, 1..4usize, tamper, any::<bool>())
            .prop_map(|(author, log, count, tamper, batch)| Op::Sync { author, log, count, tamper, batch }),
        1 => (0..AUTHORS, 0..2u64, 0..6u64).prop_map(|(author, log, below)| Op::Prune { author, log, below }),
        1 => (0..AUTHORS, 0..2u64, 0..5u64).prop_map(|(author, log, seq)| Op::DropPayload { author, log, seq }),
        1 => (0..3u8, 0..AUTHORS, 0..2u64, any::<bool>())
            .prop_map(|(topic, author, log, add)| Op::Topic { topic, author, log, add }),
        1 => Just(Op::Reopen),
    ]
}

/// Local authors append into the store; peer authors (distinct keys) write into their own
/// stores, whose entries the store then receives.
struct World {
    local: Vec<Ed25519Signer>,
    peers: Vec<Ed25519Signer>,
    /// Each peer author's own store.
    origin: LogStore<MemoryDb>,
    /// A peer's alternative history, for forks.
    rogue: LogStore<MemoryDb>,
}

/// One log in the model: seq → (hash, payload held).
type LogModel = BTreeMap<u64, (Hash, Option<Vec<u8>>)>;

/// The model: every log's entries (hash, payload held), arrivals, idempotency, topics.
#[derive(Default, Debug)]
struct Model {
    logs: BTreeMap<(Author, u64), LogModel>,
    arrivals: BTreeMap<u64, (Author, u64, u64)>,
    next_offset: u64,
    idempotency: BTreeMap<(Author, u64, u8), (u64, Hash, u64)>,
    topics: BTreeSet<(u8, Author, u64)>,
}

impl Model {
    fn next_seq(&self, author: Author, log: u64) -> u64 {
        self.logs.get(&(author, log)).and_then(|l| l.keys().last()).map_or(0, |seq| seq + 1)
    }

    fn add(&mut self, entry: &Entry) -> u64 {
        let h = &entry.header;
        let offset = self.next_offset;
        self.next_offset += 1;
        self.logs
            .entry((h.author, h.log_id))
            .or_default()
            .insert(h.seq, (entry.hash(), entry.payload.clone()));
        self.arrivals.insert(offset, (h.author, h.log_id, h.seq));
        offset
    }
}

fn topic(n: u8) -> Topic {
    Topic([n; 32])
}

/// Opens the store; synced stores group their commits, unsynced ones commit one by one.
fn open(db: &Arc<MemoryDb>, durability: Durability) -> LogStore<Arc<MemoryDb>> {
    let config = LogConfig::default().durability(durability);
    LogStore::with_config(Arc::clone(db), Ed25519, config).unwrap()
}

#[expect(clippy::too_many_lines, reason = "one arm per operation reads best in one place")]
fn run(world: &World, store: &LogStore<Arc<MemoryDb>>, model: &mut Model, op: &Op) {
    match op {
        Op::Append { author, log, payload, key } => {
            let signer = &world.local[*author];
            let a = signer.author();
            let idempotency = key.map(|k| [k; 32]);
            let appended = store.append(signer, *log, payload, idempotency).unwrap();
            if let Some(&(seq, hash, offset)) =
                key.and_then(|k| model.idempotency.get(&(a, *log, k)))
            {
                assert!(appended.repeated, "a retried key appends nothing");
                assert_eq!((appended.seq, appended.hash, appended.offset), (seq, hash, offset));
            } else {
                assert!(!appended.repeated);
                assert_eq!(appended.seq, model.next_seq(a, *log));
                let entry = store.entry(&a, *log, appended.seq).unwrap().unwrap();
                assert_eq!(entry.hash(), appended.hash);
                assert_eq!(model.add(&entry), appended.offset);
                if let Some(k) = key {
                    model
                        .idempotency
                        .insert((a, *log, *k), (appended.seq, appended.hash, appended.offset));
                }
            }
        }
        Op::PeerWrite { author, log, payload } => {
            world.origin.append(&world.peers[*author], *log, payload, None).unwrap();
        }
        Op::Sync { author, log, count, tamper, batch } => {
            let a = world.peers[*author].author();
            let next = model.next_seq(a, *log);
            let pending: Vec<Entry> = world
                .origin
                .entries(&a, *log, next.checked_sub(1), None)
                .unwrap()
                .take(*count)
                .collect::<Result<_, _>>()
                .unwrap();
            let Some(first) = pending.first().cloned() else { return };
            let mut sent = pending.clone();
            let mut expect_refusal = true;
            match tamper {
                Tamper::None => expect_refusal = false,
                Tamper::Gap => {
                    let later = world.origin.entry(&a, *log, first.header.seq + 1).unwrap();
                    match later {
                        Some(later) => sent = vec![later],
                        None => expect_refusal = false,
                    }
                }
                Tamper::Fork => {
                    // The peer signs another entry at a seq the store already holds.
                    let Some(held) = next.checked_sub(1) else { return };
                    let rogue =
                        world.rogue.append(&world.peers[*author], *log, b"rogue", None).unwrap();
                    match world.rogue.entry(&a, *log, held).unwrap() {
                        Some(fork) if rogue.seq == held => sent = vec![fork],
                        _ => return,
                    }
                }
                Tamper::Backlink => {
                    // The author itself signs an entry linking to the wrong predecessor.
                    let header = &mut sent[0].header;
                    header.backlink = Some(Hash([0xee; 32]));
                    header.signature = world.peers[*author].sign(&header.signing_bytes());
                }
                Tamper::Payload => sent[0].payload = Some(b"tampered payload".to_vec()),
                Tamper::Signature => sent[0].header.signature[0] ^= 1,
                Tamper::Repeat => {
                    // An entry the store already holds: accepted as already present.
                    let Some(held) = next.checked_sub(1) else { return };
                    let Some(entry) = world.origin.entry(&a, *log, held).unwrap() else { return };
                    let Some(stored) = model.logs.get(&(a, *log)).and_then(|l| l.get(&held)) else {
                        return;
                    };
                    assert_eq!(store.insert(&entry).unwrap(), Inserted::AlreadyPresent);
                    assert_eq!(stored.0, entry.hash());
                    return;
                }
            }
            let result = if *batch || sent.len() > 1 {
                store.insert_batch(&sent)
            } else {
                store.insert(&sent[0]).map(|i| vec![i])
            };
            if expect_refusal {
                let error = result.expect_err("a tampered entry is refused");
                assert!(error.is_rejection(), "{error:?}");
                let kind = match &error {
                    LogError::InBatch { source, .. } => &**source,
                    other => other,
                };
                let matches = match tamper {
                    Tamper::Gap => matches!(kind, LogError::SeqGap { .. }),
                    Tamper::Fork => matches!(kind, LogError::Fork { .. }),
                    Tamper::Backlink => matches!(kind, LogError::BacklinkMismatch { .. }),
                    Tamper::Payload => matches!(kind, LogError::PayloadMismatch { .. }),
                    Tamper::Signature => matches!(kind, LogError::BadSignature { .. }),
                    _ => false,
                };
                assert!(matches, "{tamper:?} refused as {error:?}");
            } else {
                let inserted = result.unwrap();
                for (entry, outcome) in sent.iter().zip(inserted) {
                    assert_eq!(outcome, Inserted::New { offset: model.add(entry) });
                }
            }
        }
        Op::Prune { author, log, below } => {
            let a = world.local[*author].author();
            let removed = store.prune(&a, *log, *below).unwrap();
            let mut expected = 0;
            if let Some(entries) = model.logs.get_mut(&(a, *log)) {
                let latest = *entries.keys().last().unwrap();
                let cut = (*below).min(latest);
                let gone: Vec<u64> = entries.range(..cut).map(|(seq, _)| *seq).collect();
                for seq in gone {
                    entries.remove(&seq);
                    model.arrivals.retain(|_, at| *at != (a, *log, seq));
                    expected += 1;
                }
            }
            assert_eq!(removed, expected);
        }
        Op::DropPayload { author, log, seq } => {
            let a = world.local[*author].author();
            let dropped = store.drop_payload(&a, *log, *seq).unwrap();
            let held = model.logs.get_mut(&(a, *log)).and_then(|l| l.get_mut(seq));
            let expected = match held {
                Some((_, payload)) => payload.take().is_some(),
                None => false,
            };
            assert_eq!(dropped, expected);
        }
        Op::Topic { topic: t, author, log, add } => {
            let a = world.local[*author].author();
            if *add {
                store.add_topic(&topic(*t), &a, *log).unwrap();
                model.topics.insert((*t, a, *log));
            } else {
                store.remove_topic(&topic(*t), &a, *log).unwrap();
                model.topics.remove(&(*t, a, *log));
            }
        }
        Op::Reopen => {}
    }
}

fn compare(store: &LogStore<Arc<MemoryDb>>, model: &Model) {
    let authors: BTreeSet<Author> =
        model.logs.iter().filter(|(_, l)| !l.is_empty()).map(|((a, _), _)| *a).collect();
    assert_eq!(store.authors().unwrap(), authors.iter().copied().collect::<Vec<_>>());
    for ((author, log), entries) in &model.logs {
        let stored: Vec<Entry> =
            store.entries(author, *log, None, None).unwrap().collect::<Result<_, _>>().unwrap();
        let got: Vec<(u64, Hash, Option<Vec<u8>>)> =
            stored.iter().map(|e| (e.header.seq, e.hash(), e.payload.clone())).collect();
        let want: Vec<(u64, Hash, Option<Vec<u8>>)> =
            entries.iter().map(|(seq, (hash, payload))| (*seq, *hash, payload.clone())).collect();
        assert_eq!(got, want, "log {log} of {author}");
        let reversed: Vec<(u64, Option<Vec<u8>>)> = store
            .entries(author, *log, None, None)
            .unwrap()
            .rev()
            .map(|e| e.map(|e| (e.header.seq, e.payload)).unwrap())
            .collect();
        let want_reversed: Vec<(u64, Option<Vec<u8>>)> =
            want.iter().rev().map(|w| (w.0, w.2.clone())).collect();
        assert_eq!(reversed, want_reversed, "log {log} of {author}, newest first");
        // Both ends at once, alternating: each entry once, with its payload.
        let mut walk = store.entries(author, *log, None, None).unwrap();
        let (mut front, mut back) = (Vec::new(), Vec::new());
        for turn in 0.. {
            let next = if turn % 3 == 2 { walk.next_back() } else { walk.next() };
            let Some(entry) = next else { break };
            let entry = entry.unwrap();
            let item = (entry.header.seq, entry.hash(), entry.payload);
            if turn % 3 == 2 { back.push(item) } else { front.push(item) }
        }
        front.extend(back.into_iter().rev());
        assert_eq!(front, want, "log {log} of {author}, walked from both ends");
        if let Some((latest, _)) = entries.iter().next_back() {
            let state = store.log_state(author, *log).unwrap().unwrap();
            assert_eq!((state.latest_seq, state.count), (*latest, entries.len() as u64));
            assert!(
                store.verify_log(author, *log).unwrap().is_empty(),
                "log {log} of {author} verifies"
            );
            let after = latest.saturating_sub(2);
            let window: Vec<u64> = store
                .entries(author, *log, Some(after), Some(*latest))
                .unwrap()
                .map(|e| e.unwrap().header.seq)
                .collect();
            let expected: Vec<u64> =
                entries.keys().copied().filter(|seq| after < *seq && seq <= latest).collect();
            assert_eq!(window, expected, "(after, until] range");
        }
    }
    let stream: Vec<(u64, (Author, u64, u64))> = store
        .stream(None)
        .unwrap()
        .map(|item| {
            item.map(|(offset, e)| (offset, (e.header.author, e.header.log_id, e.header.seq)))
        })
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stream, model.arrivals.iter().map(|(o, at)| (*o, *at)).collect::<Vec<_>>());
    assert_eq!(store.next_offset(), model.next_offset);
    // Heights of a set of authors in no particular order: newest author first, one asked twice,
    // one unknown.
    let mut asked: Vec<Author> = authors.iter().rev().copied().collect();
    asked.push(Author([0xee; 32]));
    asked.extend(authors.first().copied());
    let want: Vec<(Author, u64, u64)> = asked
        .iter()
        .flat_map(|author| {
            model.logs.iter().filter(move |((a, _), entries)| a == author && !entries.is_empty())
        })
        .map(|((a, log), entries)| (*a, *log, *entries.keys().next_back().unwrap()))
        .collect();
    assert_eq!(store.heights(&asked).unwrap(), want, "heights");
    let sorted: Vec<Author> = authors.iter().copied().collect();
    let all: Vec<(Author, u64, u64)> =
        want.iter().copied().filter(|(a, _, _)| sorted.contains(a)).collect();
    let mut all_sorted = all.clone();
    all_sorted.sort_unstable();
    all_sorted.dedup();
    assert_eq!(store.heights(&sorted).unwrap(), all_sorted, "heights of sorted authors");
    for t in 0..3u8 {
        let mut want: Vec<(Author, u64)> =
            model.topics.iter().filter(|(m, _, _)| *m == t).map(|(_, a, l)| (*a, *l)).collect();
        want.sort();
        assert_eq!(store.resolve_topic(&topic(t)).unwrap(), want);
    }
}

#[test]
fn the_log_store_agrees_with_the_model() {
    let cases = std::env::var("STRATA_LOG_MODEL_CASES").ok().and_then(|v| v.parse().ok());
    let mut runner = TestRunner::new(Config { cases: cases.unwrap_or(48), ..Config::default() });
    runner
        .run(&(any::<bool>(), proptest::collection::vec(op(), 1..50)), |(synced, ops)| {
            let durability = if synced { Durability::Sync } else { Durability::Wal };
            let world = World {
                local: (0..AUTHORS as u8)
                    .map(|i| Ed25519Signer::from_secret(&[i + 1; 32]))
                    .collect(),
                peers: (0..AUTHORS as u8)
                    .map(|i| Ed25519Signer::from_secret(&[i + 100; 32]))
                    .collect(),
                origin: LogStore::open(MemoryDb::new(strata_log::COLUMNS), Ed25519).unwrap(),
                rogue: LogStore::open(MemoryDb::new(strata_log::COLUMNS), Ed25519).unwrap(),
            };
            let db = Arc::new(MemoryDb::new(strata_log::COLUMNS));
            let mut store = open(&db, durability);
            let mut model = Model::default();
            for op in &ops {
                if matches!(op, Op::Reopen) {
                    drop(store);
                    store = open(&db, durability);
                }
                run(&world, &store, &mut model, op);
                compare(&store, &model);
            }
            Ok(())
        })
        .unwrap();
}
