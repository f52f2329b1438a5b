//! Regression tests for the layers: the cases model testing exists to catch, kept as plain tests.

use strata::{
    Column, Layer, MemoryDb, ReadLayer, ReadOnly, StorageError, Store, Tee, Temporal, Transaction,
    WriteLayer,
};

const C: Column = Column::new("c");
const OTHER: Column = Column::new("other");

fn store(keys: &[&[u8]]) -> Store<MemoryDb> {
    let mut store = Store::new(MemoryDb::new([C, OTHER]));
    for key in keys {
        store.put(C, key, b"base").unwrap();
    }
    store
}

fn entries<L: ReadLayer>(layer: &L) -> Vec<(Vec<u8>, Vec<u8>)> {
    layer
        .iter(C, ..)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect()
}

fn keys_rev<L: ReadLayer>(layer: &L) -> Vec<Vec<u8>> {
    layer.iter(C, ..).unwrap().rev().map(|e| e.unwrap().0.into_vec()).collect()
}

#[test]
fn merged_iteration_has_each_key_once_in_order() {
    let mut base = store(&[b"a", b"c", b"e"]);
    let mut layer = Temporal::new(&mut base);
    layer.put(C, b"b", b"new").unwrap();
    layer.put(C, b"c", b"shadowed").unwrap();
    layer.put(C, b"f", b"new").unwrap();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = [
        (&b"a"[..], &b"base"[..]),
        (b"b", b"new"),
        (b"c", b"shadowed"),
        (b"e", b"base"),
        (b"f", b"new"),
    ]
    .iter()
    .map(|(k, v)| (k.to_vec(), v.to_vec()))
    .collect();
    assert_eq!(entries(&layer), expected);
    assert_eq!(
        keys_rev(&layer),
        vec![b"f".to_vec(), b"e".to_vec(), b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]
    );
}

#[test]
fn seek_onto_a_key_deleted_in_the_shadow_lands_after_it() {
    let mut base = store(&[b"a", b"b", b"c", b"d"]);
    let mut layer = Temporal::new(&mut base);
    layer.delete(C, b"b").unwrap();
    layer.delete(C, b"c").unwrap();
    let mut iter = layer.iter(C, ..).unwrap();
    iter.seek(b"b");
    assert_eq!(&*iter.next().unwrap().unwrap().0, b"d");
    assert!(iter.next().is_none());

    let mut back = layer.iter(C, ..b"c".as_slice()).unwrap().rev();
    assert_eq!(&*back.next().unwrap().unwrap().0, b"a", "a reverse scan skips deleted keys too");
    assert!(!layer.has(C, b"b").unwrap());
    assert!(layer.get(C, b"c").unwrap().is_none());
}

#[test]
fn applying_transactions_with_deletes_keeps_the_deletes() {
    let mut base = store(&[b"a", b"b"]);
    let mut layer = Temporal::new(&mut base);
    let mut first = Transaction::new();
    first.put(C, b"c", b"1");
    first.delete(C, b"a");
    let mut second = Transaction::new();
    second.delete(C, b"c");
    second.put(C, b"a", b"revived");
    second.delete(C, b"b");
    layer.apply(&first).unwrap();
    layer.apply(&second).unwrap();
    layer.commit().unwrap();
    assert_eq!(entries(&base), vec![(b"a".to_vec(), b"revived".to_vec())]);
}

#[test]
fn a_second_commit_writes_nothing() {
    let mut base = store(&[]);
    let mut layer = Temporal::new(&mut base);
    layer.put(C, b"k", b"v1").unwrap();
    layer.commit().unwrap();
    assert!(layer.shadow().is_empty());
    layer.base_mut().put(C, b"k", b"changed underneath").unwrap();
    layer.commit().unwrap();
    assert_eq!(base.get(C, b"k").unwrap().unwrap(), b"changed underneath"[..]);
}

#[test]
fn dropping_without_commit_rolls_back() {
    let mut base = store(&[b"kept"]);
    {
        let mut layer = Temporal::new(&mut base);
        layer.put(C, b"lost", b"v").unwrap();
        layer.delete(C, b"kept").unwrap();
        assert_eq!(entries(&layer), vec![(b"lost".to_vec(), b"v".to_vec())]);
    }
    assert_eq!(entries(&base), vec![(b"kept".to_vec(), b"base".to_vec())]);

    let mut layer = Temporal::new(&mut base);
    layer.put(C, b"lost", b"v").unwrap();
    layer.rollback();
    layer.commit().unwrap();
    assert!(base.get(C, b"lost").unwrap().is_none());
}

#[test]
fn inner_commit_of_nested_temporals_lands_in_the_outer_buffer_only() {
    let mut base = store(&[]);
    let mut outer = Temporal::new(&mut base);
    {
        let mut inner = Temporal::new(&mut outer);
        inner.put(C, b"k", b"v").unwrap();
        inner.commit().unwrap();
    }
    assert_eq!(outer.get(C, b"k").unwrap().unwrap(), b"v"[..]);
    assert!(outer.base().get(C, b"k").unwrap().is_none(), "not in the store yet");
    outer.commit().unwrap();
    assert_eq!(base.get(C, b"k").unwrap().unwrap(), b"v"[..]);
}

#[test]
fn a_failed_commit_keeps_the_buffer() {
    let mut base = Store::new(MemoryDb::new([C]));
    let mut layer = Temporal::new(&mut base);
    layer.put(C, b"k", b"v").unwrap();
    layer.put(OTHER, b"k", b"v").unwrap();
    assert!(matches!(layer.commit(), Err(StorageError::UnknownColumn(_))));
    assert_eq!(layer.shadow().len(), 2, "nothing lost: the caller can fix and retry");
    assert!(base.get(C, b"k").unwrap().is_none(), "and nothing half-applied");
}

#[test]
fn tee_reads_first_then_second_and_merges_first_winning() {
    let mut first = store(&[b"a", b"b"]);
    first.put(C, b"b", b"first").unwrap();
    let mut second = store(&[b"b", b"c"]);
    second.put(C, b"b", b"second").unwrap();
    let mut tee = Tee::new(first, second);
    assert_eq!(tee.get(C, b"b").unwrap().unwrap(), b"first"[..]);
    assert_eq!(tee.get(C, b"c").unwrap().unwrap(), b"base"[..]);
    assert_eq!(keys_rev(&tee), vec![b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]);
    assert_eq!(entries(&tee)[1], (b"b".to_vec(), b"first".to_vec()));

    tee.delete(C, b"b").unwrap();
    assert!(!tee.has(C, b"b").unwrap(), "a delete goes to both");
}

#[test]
fn tee_writes_are_atomic_per_layer_not_across_layers() {
    // The second layer lacks a column, so its half of the write fails.
    let first = Store::new(MemoryDb::new([C, OTHER]));
    let second = Store::new(MemoryDb::new([C]));
    let mut tee = Tee::new(first, second);
    let mut tx = Transaction::new();
    tx.put(C, b"k", b"v");
    tx.put(OTHER, b"k", b"v");
    assert!(matches!(tee.apply(&tx), Err(StorageError::UnknownColumn(_))));
    let (first, second) = tee.into_base();
    assert_eq!(first.get(C, b"k").unwrap().unwrap(), b"v"[..], "the first layer applied all of it");
    assert_eq!(first.get(OTHER, b"k").unwrap().unwrap(), b"v"[..]);
    assert!(second.get(C, b"k").unwrap().is_none(), "the second applied none of it");

    // If the first layer fails, the second is not touched.
    let mut tee = Tee::new(second, first);
    assert!(tee.apply(&tx).is_err());
    let (_, untouched) = tee.into_base();
    assert_eq!(untouched.iter(OTHER, ..).unwrap().count(), 1, "only the earlier write");
}

#[test]
fn layers_compose() {
    let mut base = store(&[b"a"]);
    let mut temporal = Temporal::new(Tee::new(&mut base, Store::new(MemoryDb::new([C, OTHER]))));
    temporal.put(C, b"b", b"buffered").unwrap();
    let view = ReadOnly::new(&temporal);
    assert_eq!(view.iter(C, ..).unwrap().count(), 2);
    temporal.commit().unwrap();
    let (first, second) = temporal.into_base().into_base();
    assert!(first.has(C, b"b").unwrap() && second.has(C, b"b").unwrap());
}
