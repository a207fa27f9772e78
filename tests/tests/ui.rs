//! Compile-fail tests: every refusal and bad argument, with its message pinned in `ui/*.stderr`.
//! Refresh the expected output with `TRYBUILD=overwrite cargo test -p ad-tests --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
