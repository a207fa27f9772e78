use ad_runtime::derive_tangent;

#[derive_tangent]
async fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
