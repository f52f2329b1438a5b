//! Bad input gets a typed, matchable error with a clear message, and writes nothing.

use strata_core::{Database, MemoryDb, StorageError};
use strata_kv::{KvConfig, KvError, KvStore, NamePart, NameReason, PageToken, WriteBatch};

fn store() -> KvStore<MemoryDb> {
    KvStore::open(MemoryDb::new(strata_kv::COLUMNS)).unwrap()
}

#[test]
fn each_naming_rule_names_its_part_and_reason() {
    let store = store();
    let cases = [
        ("", "", "", NamePart::Key, NameReason::Empty),
        ("", "sub", "k", NamePart::Secondary, NameReason::SecondaryWithoutPrimary),
        ("a/b", "", "k", NamePart::Primary, NameReason::BadChar { ch: '/', at: 1 }),
        ("p", "s p", "k", NamePart::Secondary, NameReason::BadChar { ch: ' ', at: 1 }),
        ("p", "", "ké", NamePart::Key, NameReason::BadChar { ch: 'é', at: 1 }),
    ];
    for (p, s, k, part, reason) in cases {
        let error = store.write(p, s, k, b"v").unwrap_err();
        match &error {
            KvError::InvalidName { part: got, reason: why, .. } => {
                assert_eq!((*got, why), (part, &reason), "{p:?}/{s:?}/{k:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().starts_with(&format!("invalid {part}")), "{error}");
    }
    let long = "x".repeat(121);
    let error = store.write("p", "", &long, b"v").unwrap_err();
    assert!(matches!(error, KvError::InvalidName { reason: NameReason::TooLong { len: 121 }, .. }));
    assert_eq!(
        error.to_string(),
        format!("invalid key {long:?}: 121 characters, more than the 120 allowed")
    );
    assert!(store.list_all_keys().unwrap().is_empty(), "nothing was written");
    assert!(store.namespaces().is_empty(), "no namespace was registered");
}

#[test]
fn an_invalid_name_anywhere_in_a_batch_writes_none_of_it() {
    let store = store();
    let mut batch = WriteBatch::new();
    batch.write("p", "", "good", b"1".to_vec()).write("p", "", "", b"2".to_vec());
    assert!(matches!(store.write_batch(&batch), Err(KvError::InvalidName { .. })));
    assert!(store.list_all_keys().unwrap().is_empty());
}

#[test]
fn values_over_the_limit_are_refused_whole() {
    let config = KvConfig::default().max_value_len(16);
    let store = KvStore::with_config(MemoryDb::new(strata_kv::COLUMNS), config).unwrap();
    store.write("p", "", "k", &[0; 16]).unwrap();
    let error = store.write("p", "", "k", &[1; 17]).unwrap_err();
    assert!(matches!(error, KvError::ValueTooLarge { len: 17, max: 16 }), "{error:?}");
    assert_eq!(error.to_string(), "a value of 17 bytes is larger than the limit of 16 bytes");
    let mut batch = WriteBatch::new();
    batch.write("p", "", "other", vec![0; 1]).write("p", "", "k", vec![1; 17]);
    assert!(matches!(store.write_batch(&batch), Err(KvError::ValueTooLarge { .. })));
    assert_eq!(store.read("p", "", "k").unwrap(), [0; 16], "the old value stays");
    assert_eq!(store.list("p", "").unwrap(), ["k"]);
    assert_eq!(KvConfig::default().get_max_value_len(), strata_kv::DEFAULT_MAX_VALUE_LEN);
    assert_eq!(
        KvConfig::default().max_value_len(usize::MAX).get_max_value_len(),
        strata_kv::MAX_VALUE_LEN_LIMIT
    );
}

#[test]
fn a_missing_key_is_not_found_and_says_where() {
    let error = store().read("monitors", "", "chan").unwrap_err();
    assert!(matches!(&error, KvError::NotFound { key, .. } if key == "chan"));
    assert_eq!(error.to_string(), r#"no value at "monitors"/""/"chan""#);
}

#[test]
fn malformed_page_tokens_are_typed_errors() {
    let error = "nonsense".parse::<PageToken>().unwrap_err();
    assert!(matches!(error, KvError::InvalidPageToken { .. }), "{error:?}");
}

#[test]
fn stored_bytes_the_store_did_not_write_are_errors_not_panics() {
    let db = std::sync::Arc::new(MemoryDb::new(strata_kv::COLUMNS));
    let store = KvStore::open(std::sync::Arc::clone(&db)).unwrap();
    store.write("p", "", "k", b"value").unwrap();
    // Truncate the stored value below its 8-byte header, behind the store's back.
    let range = strata_core::KeyRange::all();
    let mut cursor = db.cursor(strata_kv::schema::ENTRIES, &range).unwrap();
    strata_core::Cursor::seek_to_first(&mut cursor);
    let key = strata_core::Cursor::key(&cursor).unwrap().to_vec();
    drop(cursor);
    db.put(strata_kv::schema::ENTRIES, &key, b"short").unwrap();
    let error = store.read("p", "", "k").unwrap_err();
    assert!(matches!(&error, KvError::Storage(strata_core::Error::Decode(_))), "{error:?}");
    // A key name in the creation index that is not a name is corruption, reported.
    let mut cursor = db.cursor(strata_kv::schema::CREATED, &range).unwrap();
    strata_core::Cursor::seek_to_first(&mut cursor);
    let index = strata_core::Cursor::key(&cursor).unwrap().to_vec();
    drop(cursor);
    db.put(strata_kv::schema::CREATED, &index, b"not/a name").unwrap();
    let error = store.list("p", "").unwrap_err();
    assert!(matches!(&error, KvError::Storage(strata_core::Error::Corruption(_))), "{error:?}");
    let _: fn(StorageError) -> KvError = KvError::from;
}
