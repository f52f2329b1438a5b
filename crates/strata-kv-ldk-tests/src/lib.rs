//! Runs lightning-persister's own `KVStore` test functions against Strata's KV store: see
//! `tests/ldk.rs`. The functions are crate-private in lightning-persister, so `build.rs` finds
//! their source in the package cargo fetched and the tests include it.
#![forbid(unsafe_code)]
