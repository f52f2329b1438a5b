//! The conformance suite through the fault-injection wrapper with nothing armed: `Faulty` is a
//! faithful backend until a fault is armed.

strata_testkit::conformance!(strata_testkit::fault::FaultyHarness(strata_testkit::MemoryHarness));
