//! Compile-time guarantees of the diesel-async loaders (feature `async`),
//! checked with trybuild like tests/ui.rs.
#![cfg(feature = "async")]

#[test]
fn ui_async() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/async/*.rs");
}
