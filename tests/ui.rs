//! Compile-time guarantees, checked with trybuild: every misuse in
//! tests/ui/<topic>/ fails with the reviewed message in its `.stderr`, and every
//! supported form in tests/ui/pass/ compiles.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/aggregates/*.rs");
    t.compile_fail("tests/ui/attributes/*.rs");
    t.compile_fail("tests/ui/keyed/*.rs");
    t.compile_fail("tests/ui/prefetch/*.rs");
    t.compile_fail("tests/ui/relations/*.rs");
    t.compile_fail("tests/ui/shape/*.rs");
    t.compile_fail("tests/ui/types/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
