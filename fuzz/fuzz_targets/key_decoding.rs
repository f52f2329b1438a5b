//! Arbitrary bytes decoded as every key and value type of the node schema: decoding never
//! panics, and a key that decodes encodes back to exactly the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_core::{DataType, FromKeyParts, KeyError, Slice};
use strata_node::{
    ConfigRecord, ContextConfig, ContextIdentity, ContextMeta, ContextState, ContextTransaction,
    Generic, IdentityRecord, MetaRecord, TransactionRecord,
};

fn key<K: FromKeyParts>(bytes: &[u8]) {
    match K::from_bytes(bytes) {
        Ok(key) => assert_eq!(key.as_key().as_bytes(), bytes, "a decoded key re-encodes exactly"),
        Err(KeyError::WrongLength { expected, actual, .. }) => {
            assert_eq!(
                (expected, actual),
                (K::key_len(), bytes.len()),
                "the error states the lengths"
            );
            assert_ne!(expected, actual, "a key of the right length decodes");
        }
        // Node keys are fixed byte strings: only their length can be wrong.
        Err(other) => panic!("unexpected key error: {other}"),
    }
}

fn value<V: for<'a> DataType<'a>>(bytes: &[u8]) {
    if let Ok(decoded) = V::from_slice(Slice::from(bytes)) {
        let encoded = decoded.as_slice().expect("a decoded value encodes");
        let again = V::from_slice(Slice::from(&encoded[..])).expect("an encoded value decodes");
        assert_eq!(again.as_slice().expect("encode")[..], encoded[..], "encoding is stable");
    }
}

fuzz_target!(|bytes: &[u8]| {
    key::<ContextMeta>(bytes);
    key::<ContextConfig>(bytes);
    key::<ContextIdentity>(bytes);
    key::<ContextState>(bytes);
    key::<ContextTransaction>(bytes);
    key::<Generic>(bytes);
    value::<MetaRecord>(bytes);
    value::<ConfigRecord>(bytes);
    value::<IdentityRecord>(bytes);
    value::<TransactionRecord>(bytes);
});
