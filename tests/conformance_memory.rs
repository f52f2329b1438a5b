//! The conformance suite and the model test on the in-memory backend.

strata_testkit::conformance!(strata_testkit::MemoryHarness);
