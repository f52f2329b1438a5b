//! The conformance suite, the model test and every layer stack's model and fault schedules,
//! through the `Encrypted` layer (as `EncryptedDb`) over the in-memory backend and RocksDB.

mod memory {
    strata_testkit::conformance!(strata_testkit::EncryptedHarness(strata_testkit::MemoryHarness));
}

mod rocksdb {
    strata_testkit::conformance!(
        strata_testkit::EncryptedHarness(strata_testkit::RocksHarness::new()),
        fault_workloads = 2
    );
}
