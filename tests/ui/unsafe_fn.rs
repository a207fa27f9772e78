use ad_runtime::derive_tangent;

#[derive_tangent]
unsafe fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
