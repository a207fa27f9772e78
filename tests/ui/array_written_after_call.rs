use ad_runtime::derive_grad;

#[derive_grad]
fn sum(a: &[f64]) -> f64 {
    a[0] + a[1]
}

#[derive_grad]
fn f(x: &[f64]) -> f64 {
    let mut v = vec![0.0; 2];
    v[0] = x[0];
    let s = sum(&v);
    v[1] = s * x[1];
    s + v[1]
}

fn main() {}
