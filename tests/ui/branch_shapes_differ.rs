use ad_runtime::derive_grad;

#[derive_grad]
fn pair(x: f64) -> (f64, f64) {
    (x, x * x)
}

#[derive_grad]
fn f(x: f64) -> f64 {
    let t = if x > 0.0 { (x, 2.0 * x) } else { pair(x) };
    t.0 + t.1
}

fn main() {}
