//! Every way a peer's entry can be wrong is refused with its own typed error and writes nothing;
//! what is right is accepted, once.

use strata_core::MemoryDb;
use strata_log::{
    Author, Ed25519, Ed25519Signer, Entry, Hash, Inserted, LogConfig, LogError, LogStore,
    NoVerification, Signer,
};

fn store() -> LogStore<MemoryDb> {
    LogStore::open(MemoryDb::new(strata_log::COLUMNS), Ed25519).unwrap()
}

/// Three entries of one log, written by `signer` in a store of its own.
fn chain(signer: &Ed25519Signer, n: usize) -> Vec<Entry> {
    let origin = store();
    for i in 0..n {
        origin.append(signer, 9, format!("payload {i}").as_bytes(), None).unwrap();
    }
    origin.entries(&signer.author(), 9, None, None).unwrap().collect::<Result<_, _>>().unwrap()
}

fn nothing_written(store: &LogStore<MemoryDb>) {
    assert!(store.authors().unwrap().is_empty());
    assert_eq!(store.next_offset(), 0);
    assert_eq!(store.stream(None).unwrap().count(), 0);
}

#[test]
fn a_valid_chain_is_accepted_and_repeats_are_already_present() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let entries = chain(&signer, 3);
    let store = store();
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(store.insert(entry).unwrap(), Inserted::New { offset: i as u64 });
    }
    assert_eq!(store.insert(&entries[1]).unwrap(), Inserted::AlreadyPresent);
    // Counted on a database that reports its writes: a repeat writes nothing at all.
    let counted = strata_testkit::fault::Faulty::new(MemoryDb::new(strata_log::COLUMNS));
    let faults = counted.faults();
    let counted = LogStore::open(counted, Ed25519).unwrap();
    counted.insert_batch(&entries).unwrap();
    let writes = faults.counts().get(strata_testkit::fault::OpKind::Apply);
    assert_eq!(counted.insert_batch(&entries).unwrap(), [Inserted::AlreadyPresent; 3]);
    assert_eq!(faults.counts().get(strata_testkit::fault::OpKind::Apply), writes);
    assert_eq!(store.next_offset(), 3, "a repeat takes no offset");
    assert!(store.verify_log(&signer.author(), 9).unwrap().is_empty());
}

#[test]
fn a_seq_gap_is_refused() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let entries = chain(&signer, 3);
    let store = store();
    let error = store.insert(&entries[2]).unwrap_err();
    assert!(matches!(error, LogError::SeqGap { expected: 0, got: 2 }), "{error:?}");
    assert_eq!(error.to_string(), "seq gap: the log's next seq is 0, the entry has 2");
    nothing_written(&store);
}

#[test]
fn a_forged_entry_is_a_bad_signature() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let mut forged = chain(&signer, 1).remove(0);
    forged.payload = Some(b"forged".to_vec());
    forged.header.payload_hash = Hash::of(b"forged");
    forged.header.payload_size = 6;
    let store = store();
    let error = store.insert(&forged).unwrap_err();
    assert!(matches!(error, LogError::BadSignature { seq: 0, log_id: 9, .. }), "{error:?}");
    assert!(error.is_rejection());
    nothing_written(&store);
    // Signed by someone else, claiming to be the author.
    let mallory = Ed25519Signer::from_secret(&[2; 32]);
    let mut impostor = chain(&mallory, 1).remove(0);
    impostor.header.author = signer.author();
    assert!(matches!(store.insert(&impostor), Err(LogError::BadSignature { .. })));
}

#[test]
fn a_payload_that_does_not_match_its_header_is_refused() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let mut entry = chain(&signer, 1).remove(0);
    entry.payload = Some(b"payload X".to_vec());
    let store = store();
    let error = store.insert(&entry).unwrap_err();
    assert!(matches!(error, LogError::PayloadMismatch { expected_size: 9, actual_size: 9, .. }));
    nothing_written(&store);
}

#[test]
fn a_wrong_backlink_is_refused() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let entries = chain(&signer, 2);
    let other = chain(&Ed25519Signer::from_secret(&[3; 32]), 2);
    let store = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).unwrap();
    store.insert(&entries[0]).unwrap();
    let mut relinked = entries[1].clone();
    relinked.header.backlink = Some(other[0].hash());
    let error = store.insert(&relinked).unwrap_err();
    assert!(
        matches!(error, LogError::BacklinkMismatch { seq: 1, expected: Some(e), got: Some(g) } if e == entries[0].hash() && g == other[0].hash()),
        "{error:?}"
    );
}

#[test]
fn a_second_entry_at_a_seq_is_a_fork() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let entries = chain(&signer, 2);
    // The author signs a different seq 1 (a fork of its own log).
    let fork_origin = store();
    fork_origin.insert(&entries[0]).unwrap();
    fork_origin.append(&signer, 9, b"another history", None).unwrap();
    let fork = fork_origin.entry(&signer.author(), 9, 1).unwrap().unwrap();
    let store = store();
    store.insert_batch(&entries).unwrap();
    let error = store.insert(&fork).unwrap_err();
    assert!(
        matches!(error, LogError::Fork { seq: 1, existing, new } if existing == entries[1].hash() && new == fork.hash()),
        "{error:?}"
    );
    assert_eq!(store.latest(&signer.author(), 9).unwrap().unwrap(), entries[1]);
}

#[test]
fn oversized_entries_are_refused() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let entry = chain(&signer, 1).remove(0);
    let config = LogConfig::default().max_payload(4);
    let store = LogStore::with_config(MemoryDb::new(strata_log::COLUMNS), Ed25519, config).unwrap();
    let error = store.insert(&entry).unwrap_err();
    assert!(matches!(error, LogError::TooLarge { what: "payload", len: 9, max: 4 }), "{error:?}");
    assert!(matches!(store.append(&signer, 0, b"12345", None), Err(LogError::TooLarge { .. })));
    nothing_written(&store);
}

#[test]
fn a_batch_with_one_bad_entry_writes_nothing_and_names_it() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let mut entries = chain(&signer, 3);
    entries[2].payload = Some(b"tampered".to_vec());
    let store = store();
    let error = store.insert_batch(&entries).unwrap_err();
    assert!(
        matches!(&error, LogError::InBatch { index: 2, source } if matches!(**source, LogError::PayloadMismatch { .. })),
        "{error:?}"
    );
    nothing_written(&store);
    // Out of order within a batch: the gap is named at its position.
    let entries = chain(&signer, 3);
    let error = store.insert_batch(&[entries[0].clone(), entries[2].clone()]).unwrap_err();
    assert!(
        matches!(&error, LogError::InBatch { index: 1, source } if matches!(**source, LogError::SeqGap { expected: 1, got: 2 }))
    );
    nothing_written(&store);
}

#[test]
fn a_header_without_its_payload_is_accepted_and_the_payload_can_follow() {
    let signer = Ed25519Signer::from_secret(&[1; 32]);
    let entries = chain(&signer, 2);
    let store = store();
    let headers: Vec<Entry> =
        entries.iter().map(|e| Entry { header: e.header.clone(), payload: None }).collect();
    store.insert_batch(&headers).unwrap();
    assert_eq!(store.entry(&signer.author(), 9, 1).unwrap().unwrap().payload, None);
    assert_eq!(store.insert(&entries[1]).unwrap(), Inserted::AlreadyPresent);
    assert_eq!(store.entry(&signer.author(), 9, 1).unwrap().unwrap(), entries[1]);
    assert!(store.verify_log(&signer.author(), 9).unwrap().is_empty());
}

#[test]
fn no_verification_must_be_chosen_and_accepts_any_signature() {
    let author = Author([5; 32]);
    let signer = strata_log::Unsigned(author);
    let store = LogStore::open(MemoryDb::new(strata_log::COLUMNS), NoVerification).unwrap();
    store.append(&signer, 0, b"x", None).unwrap();
    let entry = store.latest(&author, 0).unwrap().unwrap();
    assert!(entry.header.signature.is_empty());
    // The same unsigned entry is refused by a verifying store.
    assert!(matches!(self::store().insert(&entry), Err(LogError::BadSignature { .. })));
}
