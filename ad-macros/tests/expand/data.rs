// A reduction through an iterator chain: desugared into an index loop.
#[derive_grad]
#[derive_tangent]
fn sumsq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>()
}

// Extended Rosenbrock on a slice: its steps are independent (`s` only accumulates, `dx` is only
// added into), so the loop is fused with its reverse sweep: each step's reverse sweep runs at
// the end of the step, one pass over x, nothing stored (transform/adjoint/fused.rs). The three
// reads of x[i] are one load, so dx[i] is added into once per step.
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
