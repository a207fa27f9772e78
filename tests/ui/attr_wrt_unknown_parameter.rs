use ad_runtime::derive_tangent;

#[derive_tangent(wrt(x, z))]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
