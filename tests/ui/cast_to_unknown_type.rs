use ad_runtime::derive_tangent;

// An alias the source file does not show (a macro writes it): the macro cannot resolve it.
macro_rules! alias {
    () => {
        type Real = f64;
    };
}
alias!();

#[derive_tangent]
fn f(x: f64) -> f64 {
    let y = x as Real;
    y * x
}

fn main() {}
