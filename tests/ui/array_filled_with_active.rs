use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: f64, n: usize) -> f64 {
    let v = vec![x; n];
    v[0] * v[1]
}

fn main() {}
