use ad_runtime::derive_tangent;

#[derive_tangent]
fn f(x: f64) -> f64 {
    x.rem_euclid(2.0) * x
}

fn main() {}
