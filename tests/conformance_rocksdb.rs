//! The conformance suite and the model test (with reopen as a step) on RocksDB. The fault
//! schedules inject their faults above the backend, so two of their workloads on RocksDB (each
//! run opens a fresh database) add what the in-memory backend's six cannot: faulted writes
//! landing in, and faulted reads cut short over, real RocksDB batches and iterators.

strata_testkit::conformance!(strata_testkit::RocksHarness::new(), fault_workloads = 2);
