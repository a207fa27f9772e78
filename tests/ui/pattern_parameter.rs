use ad_runtime::derive_grad;

#[derive_grad]
fn f((a, b): (f64, f64)) -> f64 {
    a * b
}

fn main() {}
