//! The backend conformance suite: every check takes a [`Harness`] and must pass for every backend.

use borsh::{BorshDeserialize, BorshSerialize};
use strata_core::{
    BorshValue, Column, Database, Durability, Entry, Error, KeyError, KeyRange, ReadLayer,
    StorageError, Store, Transaction, key,
};

use crate::{COLUMNS, Harness, UNDECLARED};

const A: Column = COLUMNS[0];
const B: Column = COLUMNS[1];
const G: Column = COLUMNS[2];

crate::__suite_checks!(suite);

fn open<H: Harness>(harness: &mut H) -> H::Db {
    harness.open(&COLUMNS)
}

fn keys<D: Database>(db: &D, column: Column, range: impl Into<KeyRange>) -> Vec<Vec<u8>> {
    Store::new(db)
        .iter(column, range)
        .expect("iterate")
        .map(|item| item.expect("entry").0.into_vec())
        .collect()
}

fn rev_keys<D: Database>(db: &D, column: Column, range: impl Into<KeyRange>) -> Vec<Vec<u8>> {
    Store::new(db)
        .iter(column, range)
        .expect("iterate")
        .rev()
        .map(|item| item.expect("entry").0.into_vec())
        .collect()
}

fn fill<D: Database>(db: &D, column: Column, keys: &[&[u8]]) {
    for key in keys {
        db.put(column, key, &[key.len() as u8]).expect("put");
    }
}

fn owned(keys: &[&[u8]]) -> Vec<Vec<u8>> {
    keys.iter().map(|key| key.to_vec()).collect()
}

/// put/get/has/delete, overwrites, empty keys and values, deleting what is absent.
pub fn point_operations<H: Harness>(harness: &mut H) {
    let db = open(harness);
    assert_eq!(db.get(A, b"k").unwrap(), None);
    assert!(!db.has(A, b"k").unwrap());

    db.put(A, b"k", b"v1").unwrap();
    db.put(A, b"k", b"v2").unwrap();
    assert_eq!(db.get(A, b"k").unwrap().unwrap(), b"v2"[..]);
    assert!(db.has(A, b"k").unwrap());
    assert_eq!(db.get(B, b"k").unwrap(), None, "columns are separate keyspaces");

    db.put(A, b"", b"").unwrap();
    assert_eq!(db.get(A, b"").unwrap().unwrap(), b""[..]);
    assert!(db.has(A, b"").unwrap(), "an empty value is still present");

    db.delete(A, b"k").unwrap();
    db.delete(A, b"never-written").unwrap();
    assert_eq!(db.get(A, b"k").unwrap(), None);
    assert_eq!(keys(&db, A, ..), vec![Vec::<u8>::new()]);
}

/// Every method names an unknown column as such, and a failed `apply` writes nothing.
pub fn unknown_columns_are_rejected_without_side_effects<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let is_unknown = |result: Result<(), StorageError>| matches!(result, Err(StorageError::UnknownColumn(name)) if name == UNDECLARED.name());
    assert!(is_unknown(db.get(UNDECLARED, b"k").map(drop)));
    assert!(is_unknown(db.has(UNDECLARED, b"k").map(drop)));
    assert!(is_unknown(db.put(UNDECLARED, b"k", b"v")));
    assert!(is_unknown(db.delete(UNDECLARED, b"k")));
    assert!(is_unknown(db.cursor(UNDECLARED, &KeyRange::all()).map(drop)));

    let mut tx = Transaction::new();
    tx.put(A, b"first", b"1");
    tx.put(UNDECLARED, b"k", b"v");
    tx.put(B, b"last", b"1");
    assert!(is_unknown(db.apply(&tx)));
    assert_eq!(db.get(A, b"first").unwrap(), None, "nothing of a rejected transaction lands");
    assert_eq!(db.get(B, b"last").unwrap(), None, "nothing of a rejected transaction lands");
}

/// A transaction's puts and deletes land together, in every column.
pub fn transactions_apply_atomically_across_columns<H: Harness>(harness: &mut H) {
    let db = open(harness);
    fill(&db, A, &[b"stale", b"kept"]);
    fill(&db, B, &[b"old"]);

    let mut tx = Transaction::new();
    tx.put(A, b"new", b"1");
    tx.delete(A, b"stale");
    tx.delete(B, b"old");
    tx.put(B, b"b1", b"2");
    tx.put(G, b"g1", b"3");
    tx.put(A, b"kept", b"overwritten");
    db.apply(&tx).unwrap();

    assert_eq!(keys(&db, A, ..), owned(&[b"kept", b"new"]));
    assert_eq!(db.get(A, b"kept").unwrap().unwrap(), b"overwritten"[..]);
    assert_eq!(keys(&db, B, ..), owned(&[b"b1"]));
    assert_eq!(keys(&db, G, ..), owned(&[b"g1"]));

    db.apply(&Transaction::new()).unwrap();
    assert_eq!(keys(&db, A, ..).len(), 2, "an empty transaction changes nothing");
}

/// `apply_durable` commits exactly as `apply` does, whatever the durability: atomically, after
/// validating every column, and visibly to every later read.
pub fn durable_commits_apply_like_apply<H: Harness>(harness: &mut H) {
    let db = open(harness);
    for (n, durability) in [Durability::Sync, Durability::Wal].into_iter().enumerate() {
        let mut tx = Transaction::new();
        tx.put(A, [n as u8], b"a");
        tx.put(B, [n as u8], b"b");
        tx.delete(G, b"g");
        db.apply_durable(&tx, durability).unwrap();
        assert_eq!(db.get(A, &[n as u8]).unwrap().unwrap(), b"a"[..], "{durability:?}");
        assert_eq!(db.get(B, &[n as u8]).unwrap().unwrap(), b"b"[..], "{durability:?}");

        let mut rejected = Transaction::new();
        rejected.put(A, b"never", b"1");
        rejected.put(UNDECLARED, b"k", b"v");
        let result = db.apply_durable(&rejected, durability);
        assert!(matches!(result, Err(StorageError::UnknownColumn(_))), "{durability:?}");
        assert_eq!(db.get(A, b"never").unwrap(), None, "nothing of a rejected commit lands");
    }
    assert_eq!(keys(&db, A, ..).len(), 2);
}

/// Forward, reverse and every kind of bound, including empty and inverted ranges.
pub fn forward_reverse_and_bounded_iteration<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let all: [&[u8]; 7] = [b"", b"a", b"a\0", b"ab", b"b", b"b\xff", b"\xff\xff"];
    fill(&db, A, &all);
    fill(&db, B, &[b"a", b"zz"]);

    assert_eq!(keys(&db, A, ..), owned(&all));
    let mut reversed = owned(&all);
    reversed.reverse();
    assert_eq!(rev_keys(&db, A, ..), reversed);

    assert_eq!(keys(&db, A, b"a".as_slice()..b"b"), owned(&[b"a", b"a\0", b"ab"]));
    assert_eq!(keys(&db, A, b"a".as_slice()..=b"b"), owned(&[b"a", b"a\0", b"ab", b"b"]));
    assert_eq!(rev_keys(&db, A, b"a".as_slice()..=b"b"), owned(&[b"b", b"ab", b"a\0", b"a"]));
    assert_eq!(keys(&db, A, b"b".as_slice()..), owned(&[b"b", b"b\xff", b"\xff\xff"]));
    assert_eq!(keys(&db, A, ..b"a".as_slice()), owned(&[b""]));
    assert_eq!(keys(&db, A, ..=b"a".as_slice()), owned(&[b"", b"a"]));
    let excluded =
        (std::ops::Bound::Excluded(b"a".as_slice()), std::ops::Bound::Excluded(b"b".as_slice()));
    assert_eq!(keys(&db, A, excluded), owned(&[b"a\0", b"ab"]));
    assert_eq!(rev_keys(&db, A, excluded), owned(&[b"ab", b"a\0"]));

    assert!(keys(&db, A, b"b".as_slice()..b"a").is_empty(), "inverted ranges are empty");
    assert!(keys(&db, A, b"a".as_slice()..b"a").is_empty());
    assert!(rev_keys(&db, A, b"c".as_slice()..b"d").is_empty());
    assert_eq!(Store::new(&db).iter(A, ..).unwrap().take(2).count(), 2);
}

/// Prefix scans, including prefixes ending in `0xff` and prefixes with no keys.
pub fn prefix_iteration<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let all: [&[u8]; 8] = [
        b"\x00\x01",
        b"\x01\x00a",
        b"\x01\x00b",
        b"\x01\x01",
        b"\x01\xff",
        b"\x01\xff\x00",
        b"\x02",
        b"\xff",
    ];
    fill(&db, G, &all);
    let store = Store::new(&db);
    let prefix = |p: &[u8]| -> Vec<Vec<u8>> {
        store.iter_prefix(G, p).unwrap().map(|item| item.unwrap().0.into_vec()).collect()
    };
    assert_eq!(prefix(b"\x01\x00"), owned(&[b"\x01\x00a", b"\x01\x00b"]));
    assert_eq!(prefix(b"\x01"), owned(&all[1..6]));
    assert_eq!(prefix(b"\x01\xff"), owned(&[b"\x01\xff", b"\x01\xff\x00"]));
    assert_eq!(prefix(b"\xff"), owned(&[b"\xff"]));
    assert_eq!(prefix(b""), owned(&all));
    assert!(prefix(b"\x03").is_empty());
    let reversed: Vec<_> = store
        .iter_prefix(G, b"\x01\x00")
        .unwrap()
        .rev()
        .map(|item| item.unwrap().0.into_vec())
        .collect();
    assert_eq!(reversed, owned(&[b"\x01\x00b", b"\x01\x00a"]));
}

/// `next` and `next_back` on one iterator never yield an entry twice and together yield all.
pub fn mixed_direction_iteration_meets_once<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let all: Vec<Vec<u8>> = (0_u8..10).map(|n| vec![n]).collect();
    for key in &all {
        db.put(A, key, key).unwrap();
    }
    for pattern in [0b0101_0101_u32, 0b0011_0011, 0b1111_0000, 0, u32::MAX, 0b1000_0001] {
        let store = Store::new(&db);
        let mut iter = store.iter(A, ..).unwrap();
        let (mut front, mut back) = (Vec::new(), Vec::new());
        for step in 0..12 {
            let item = if pattern >> step & 1 == 1 { iter.next_back() } else { iter.next() };
            match item {
                Some(item) => {
                    let key = item.unwrap().0.into_vec();
                    if pattern >> step & 1 == 1 {
                        back.push(key);
                    } else {
                        front.push(key);
                    }
                }
                None => break,
            }
        }
        assert!(iter.next().is_none() && iter.next_back().is_none());
        back.reverse();
        front.extend(back);
        assert_eq!(front, all, "pattern {pattern:#b}");
    }
}

/// Where a fresh cursor over `range` of column `A` stands after `moves`, checked for the
/// agreement of `key`, `value` and `item`.
fn cursor_at<'d, D: Database>(
    db: &'d D,
    range: &KeyRange,
    moves: &dyn Fn(&mut D::Cursor<'d>),
) -> Option<Vec<u8>> {
    let mut c = db.cursor(A, range).expect("open a cursor");
    moves(&mut c);
    strata_core::Cursor::status(&c).expect("no error");
    let key = strata_core::Cursor::key(&c).map(<[u8]>::to_vec);
    assert_eq!(
        strata_core::Cursor::value(&c).is_some(),
        key.is_some(),
        "key and value agree on validity"
    );
    assert_eq!(strata_core::Cursor::item(&c).map(|(k, _)| k.to_vec()), key, "item agrees with key");
    key
}

/// The `Cursor` contract, move by move, on the cursor itself: iterators above it re-check some
/// of this (a `seek_for_prev` that lands on the key), so only a direct check pins it down.
pub fn cursor_moves_keep_the_contract<H: Harness>(harness: &mut H) {
    let db = open(harness);
    fill(&db, A, &[b"a", b"c", b"e", b"g", b"i"]);
    cursor_moves_over_a_column(&db);
    cursor_moves_within_a_range(&db);
}

fn cursor_moves_over_a_column<D: Database>(db: &D) {
    use strata_core::Cursor;
    let at = cursor_at::<D>;
    let all = KeyRange::all;

    assert_eq!(at(db, &all(), &|_| {}), None, "a new cursor is unpositioned");
    assert_eq!(
        at(db, &all(), &|c| c.seek(b"c")),
        Some(b"c".to_vec()),
        "seek lands on an equal key"
    );
    assert_eq!(
        at(db, &all(), &|c| c.seek(b"d")),
        Some(b"e".to_vec()),
        "seek: the first key >= target"
    );
    assert_eq!(at(db, &all(), &|c| c.seek(b"j")), None, "seek past the end is invalid");
    assert_eq!(
        at(db, &all(), &|c| c.seek_for_prev(b"e")),
        Some(b"e".to_vec()),
        "seek_for_prev lands on an equal key"
    );
    assert_eq!(
        at(db, &all(), &|c| c.seek_for_prev(b"f")),
        Some(b"e".to_vec()),
        "seek_for_prev: the last key <= target"
    );
    assert_eq!(
        at(db, &all(), &|c| c.seek_for_prev(b"0")),
        None,
        "seek_for_prev before the start is invalid"
    );
    assert_eq!(at(db, &all(), &|c| c.seek_to_first()), Some(b"a".to_vec()));
    assert_eq!(at(db, &all(), &|c| c.seek_to_last()), Some(b"i".to_vec()));
    assert_eq!(
        at(db, &all(), &|c| {
            c.seek(b"c");
            c.next();
        }),
        Some(b"e".to_vec())
    );
    assert_eq!(
        at(db, &all(), &|c| {
            c.seek(b"c");
            c.prev();
        }),
        Some(b"a".to_vec())
    );
    assert_eq!(
        at(db, &all(), &|c| {
            c.seek_to_last();
            c.next();
        }),
        None,
        "stepping past the end"
    );
    assert_eq!(
        at(db, &all(), &|c| {
            c.seek_to_first();
            c.prev();
        }),
        None,
        "stepping before the start"
    );
    assert_eq!(
        at(db, &all(), &|c| {
            c.seek_to_last();
            c.next();
            c.seek(b"a");
        }),
        Some(b"a".to_vec()),
        "a seek revives an invalid cursor"
    );
}

fn cursor_moves_within_a_range<D: Database>(db: &D) {
    use strata_core::Cursor;
    let at = cursor_at::<D>;
    // Inside a range [c, g): moves never leave it.
    let range = || KeyRange::from(b"c".to_vec()..b"g".to_vec());
    assert_eq!(at(db, &range(), &|c| c.seek_to_first()), Some(b"c".to_vec()));
    assert_eq!(
        at(db, &range(), &|c| c.seek_to_last()),
        Some(b"e".to_vec()),
        "the end bound is exclusive"
    );
    assert_eq!(
        at(db, &range(), &|c| c.seek(b"a")),
        Some(b"c".to_vec()),
        "seek below the range lands on its first key"
    );
    assert_eq!(at(db, &range(), &|c| c.seek(b"f")), None, "seek past the range's last key");
    assert_eq!(
        at(db, &range(), &|c| c.seek_for_prev(b"z")),
        Some(b"e".to_vec()),
        "seek_for_prev above the range lands on its last key"
    );
    assert_eq!(at(db, &range(), &|c| c.seek_for_prev(b"b")), None, "seek_for_prev below the range");
    assert_eq!(
        at(db, &range(), &|c| {
            c.seek_to_last();
            c.next();
        }),
        None,
        "no step leaves the range"
    );
    assert_eq!(
        at(db, &range(), &|c| {
            c.seek_to_first();
            c.prev();
        }),
        None,
        "no step leaves the range"
    );
    let prefix = KeyRange::prefix(b"e");
    assert_eq!(at(db, &prefix, &|c| c.seek_to_first()), Some(b"e".to_vec()));
    assert_eq!(
        at(db, &prefix, &|c| {
            c.seek_to_first();
            c.next();
        }),
        None
    );
}

/// `seek` repositions the front without revisiting passed keys.
pub fn seek_moves_the_front<H: Harness>(harness: &mut H) {
    let db = open(harness);
    fill(&db, A, &[b"a", b"c", b"e", b"g"]);
    let store = Store::new(&db);
    let mut iter = store.iter(A, ..).unwrap();
    iter.seek(b"b");
    assert_eq!(&*iter.next().unwrap().unwrap().0, b"c");
    iter.seek(b"a");
    assert_eq!(&*iter.next().unwrap().unwrap().0, b"e", "seeking backwards does not revisit");
    assert_eq!(&*iter.next_back().unwrap().unwrap().0, b"g");
    iter.seek(b"f");
    assert!(iter.next().is_none(), "g was already taken from the back");
}

/// Collected items are owned: they stay correct after the iterator is gone.
pub fn items_outlive_their_iterator<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let expected: Vec<(Vec<u8>, Vec<u8>)> =
        (0_u16..300).map(|n| (n.to_be_bytes().to_vec(), vec![n as u8; 40])).collect();
    for (key, value) in &expected {
        db.put(A, key, value).unwrap();
    }
    let collected: Vec<_> = Store::new(&db).iter(A, ..).unwrap().collect::<Result<_, _>>().unwrap();
    db.put(A, &0_u16.to_be_bytes(), b"changed").unwrap();
    let collected: Vec<_> =
        collected.into_iter().map(|(k, v)| (k.into_vec(), v.into_vec())).collect();
    assert_eq!(collected, expected);
}

/// An iterator sees the column as it was when the iterator was created.
pub fn iterators_read_a_snapshot<H: Harness>(harness: &mut H) {
    let db = open(harness);
    fill(&db, A, &[b"a", b"b", b"c"]);
    let store = Store::new(&db);
    let iter = store.iter(A, ..).unwrap();
    let reversed = store.iter(A, ..).unwrap().rev();
    db.put(A, b"aa", b"new").unwrap();
    db.delete(A, b"c").unwrap();
    db.put(A, b"b", b"changed").unwrap();
    let mut tx = Transaction::new();
    tx.put(A, b"d", b"new");
    db.apply(&tx).unwrap();

    let seen: Vec<_> = iter.map(|item| item.unwrap()).collect();
    assert_eq!(
        seen.iter().map(|(k, _)| k.to_vec()).collect::<Vec<_>>(),
        owned(&[b"a", b"b", b"c"])
    );
    assert_eq!(&*seen[1].1, &[1_u8], "the value as it was");
    assert_eq!(
        reversed.map(|item| item.unwrap().0.into_vec()).collect::<Vec<_>>(),
        owned(&[b"c", b"b", b"a"])
    );
    assert_eq!(keys(&db, A, ..), owned(&[b"a", b"aa", b"b", b"d"]), "a new iterator sees it all");
}

/// The batched lookup agrees with single lookups, in order, with misses and duplicates.
pub fn get_many_matches_get<H: Harness>(harness: &mut H) {
    let db = open(harness);
    fill(&db, A, &[b"a", b"bb", b"ccc"]);
    let wanted: [&[u8]; 5] = [b"ccc", b"missing", b"a", b"a", b""];
    let many = db.get_many(A, &wanted).unwrap();
    assert_eq!(many.len(), wanted.len());
    for (key, got) in wanted.iter().zip(many) {
        assert_eq!(got.map(|v| v.to_vec()), db.get(A, key).unwrap().map(|v| v.to_vec()));
    }
    assert!(db.get_many(UNDECLARED, &wanted).is_err());
}

/// What was written is there after a reopen.
pub fn data_survives_reopen<H: Harness>(harness: &mut H) {
    let db = open(harness);
    fill(&db, A, &[b"a", b"b"]);
    let mut tx = Transaction::new();
    tx.put(B, b"x", b"1");
    tx.delete(A, b"a");
    db.apply(&tx).unwrap();
    let db = harness.reopen(db);
    assert_eq!(keys(&db, A, ..), owned(&[b"b"]));
    assert_eq!(db.get(B, b"x").unwrap().unwrap(), b"1"[..]);
}

key! {
    /// A typed key used by the suite.
    pub struct Reading in G {
        sensor: u16,
        at: u64,
    }
}

/// A typed value used by the suite.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct Celsius {
    /// Tenths of a degree.
    pub tenths: i32,
}

impl BorshValue for Celsius {}

impl Entry for Reading {
    type Value<'a> = Celsius;
}

/// Typed put/get/has/delete and typed range and prefix iteration.
pub fn typed_handle_round_trips<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let mut store = Store::new(db);
    let mut readings = store.handle();
    for sensor in [2_u16, 1, 3] {
        for at in [30_u64, 10, 20] {
            readings
                .put(
                    &Reading { sensor, at },
                    &Celsius { tenths: i32::from(sensor) * 100 + at as i32 },
                )
                .unwrap();
        }
    }
    assert_eq!(
        readings.get(&Reading { sensor: 2, at: 20 }).unwrap(),
        Some(Celsius { tenths: 220 })
    );
    assert!(readings.has(&Reading { sensor: 3, at: 30 }).unwrap());
    readings.delete(&Reading { sensor: 3, at: 30 }).unwrap();
    assert!(!readings.has(&Reading { sensor: 3, at: 30 }).unwrap());

    let sensor_two: Vec<_> =
        readings.iter_prefix::<Reading, _>(&2_u16).unwrap().map(Result::unwrap).collect();
    assert_eq!(sensor_two.iter().map(|(k, _)| k.at).collect::<Vec<_>>(), vec![10, 20, 30]);
    assert_eq!(sensor_two[0].1, Celsius { tenths: 210 });

    let range = Reading { sensor: 1, at: 20 }..=Reading { sensor: 2, at: 10 };
    let ranged: Vec<_> = readings.iter(range).unwrap().rev().map(|item| item.unwrap().0).collect();
    assert_eq!(
        ranged,
        vec![
            Reading { sensor: 2, at: 10 },
            Reading { sensor: 1, at: 30 },
            Reading { sensor: 1, at: 20 }
        ]
    );
    assert_eq!(readings.iter::<Reading>(..).unwrap().count(), 8);
}

/// Undecodable values and wrong-length keys are typed errors for that entry alone.
pub fn bad_stored_bytes_are_typed_errors<H: Harness>(harness: &mut H) {
    let db = open(harness);
    let good = Reading { sensor: 1, at: 1 };
    db.put(G, &good.as_key_bytes(), &borsh::to_vec(&Celsius { tenths: 5 }).unwrap()).unwrap();
    let garbled = Reading { sensor: 1, at: 2 };
    db.put(G, &garbled.as_key_bytes(), b"\x01").unwrap();
    db.put(G, b"\x00\x00short", b"").unwrap();

    let store = Store::new(db);
    let handle = strata_core::Handle::new(&store);
    assert!(matches!(handle.get(&garbled), Err(Error::Decode(e)) if e.len == 1));
    assert_eq!(handle.get(&good).unwrap(), Some(Celsius { tenths: 5 }));

    let items: Vec<_> = handle.iter::<Reading>(..).unwrap().collect();
    assert_eq!(items.len(), 3, "one bad entry does not end the iteration");
    assert!(matches!(
        &items[0],
        Err(Error::Key(KeyError::WrongLength { expected: 10, actual: 7, .. }))
    ));
    assert_eq!(items[1].as_ref().unwrap().0, good);
    assert!(matches!(&items[2], Err(Error::Decode(_))));
}

trait KeyBytes {
    fn as_key_bytes(&self) -> Vec<u8>;
}

impl<K: strata_core::AsKeyParts> KeyBytes for K {
    fn as_key_bytes(&self) -> Vec<u8> {
        self.as_key().as_bytes().to_vec()
    }
}
