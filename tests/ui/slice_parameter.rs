use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: &[f64]) -> f64 {
    x[0] * x[1]
}

fn main() {}
