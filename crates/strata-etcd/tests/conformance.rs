//! The conformance suite, the model test and every layer stack's model and fault tests on a
//! real three-member etcd cluster (started by the test binary), with pages of 7 entries so
//! that scans cross many page boundaries.

mod common;

strata_testkit::conformance!(common::EtcdHarness::default(), fault_workloads = 2);
