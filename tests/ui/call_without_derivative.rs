use ad_runtime::derive_grad;

fn helper(t: f64) -> f64 {
    t * 3.0
}

#[derive_grad]
fn f(x: f64) -> f64 {
    let y = x * 2.0;
    helper(y) + 1.0
}

fn main() {}
