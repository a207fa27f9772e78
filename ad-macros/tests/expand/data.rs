// A reduction through an iterator chain: desugared into an index loop.
#[derive_grad]
#[derive_tangent]
fn sumsq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>()
}

// Extended Rosenbrock on a slice: the reverse sweep replays each step from x (never written),
// so nothing is stored.
#[derive_grad]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}
