// A branch: stored nothing, replayed in the reverse sweep.
#[derive_grad]
fn piecewise(x: f64) -> f64 {
    if x > 1.0 { x * x } else { 2.0 * x - 1.0 }
}

// A reduction: `+` has constant partials, so nothing is stored.
#[derive_grad]
fn reduction(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += (i as f64 * x).sin();
    }
    s
}

// A recurrence: the reverse sweep of step k reads x at step k, so x is stored once per step.
#[derive_tangent]
#[derive_grad]
fn recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut x = x0;
    for _ in 0..n {
        x = x + h * x.sin() * p;
    }
    x
}
