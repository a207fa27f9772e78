use ad_runtime::derive_grad;

#[derive_grad(checkpoint(budget = 3))]
fn f(x: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = y.sin();
    }
    y
}

#[derive_grad(checkpoint(snapshots = 0))]
fn g(x: f64, n: usize) -> f64 {
    let mut y = x;
    for _ in 0..n {
        y = y.sin();
    }
    y
}

fn main() {}
