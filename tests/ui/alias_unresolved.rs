use ad_runtime::derive_grad;

// An alias the source file does not show (a macro writes it): the error names it and the fix,
// `wrt(..)` (see `alias_vouched_by_wrt` in tests/tests/nested.rs).
macro_rules! alias {
    () => {
        type Real = f64;
    };
}
alias!();

#[derive_grad]
fn f(x: Real) -> Real {
    x * x
}

fn main() {}
