use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: f64) -> f64 {
    let [a, b] = [x, x * 2.0] else { return 0.0 };
    a * b
}

fn main() {}
