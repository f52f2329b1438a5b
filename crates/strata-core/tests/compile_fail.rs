//! Compile-time guarantees, proven by programs that must not compile.

#[test]
fn read_only_layers_cannot_write() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
