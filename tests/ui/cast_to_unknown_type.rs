use ad_runtime::derive_tangent;

type Real = f64;

#[derive_tangent]
fn f(x: f64) -> f64 {
    let y = x as Real;
    y * x
}

fn main() {}
