//! The conformance suite and the model test (with reopen as a step) on RocksDB.

strata_testkit::conformance!(strata_testkit::RocksHarness::new());
