use ad_runtime::derive_grad;

#[derive_grad(wrt(x), wrt(y))]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {}
