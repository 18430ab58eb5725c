//! Compile-fail and compile-pass cases of the aiomas macros.
//!
//! Regenerate the expected errors with `TRYBUILD=overwrite cargo test -p aiomas-ui-tests`, then
//! read every changed `.stderr`: each must say what is wrong, at the offending token, and how to
//! fix it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
