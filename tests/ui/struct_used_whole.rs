use ad_runtime::{Differentiable, derive_grad, derive_jacobian};

#[derive(Differentiable, Clone)]
struct Params {
    w: Vec<f64>,
    b: f64,
}

#[derive(Differentiable, Clone, Copy)]
struct Spring {
    k: f64,
    rest: f64,
}

fn helper(p: &Params) -> f64 {
    p.b
}

// The struct passed whole to another function.
#[derive_grad]
fn passed_on(p: &Params, x: f64) -> f64 {
    helper(p) * x + p.w[0]
}

// The struct bound whole to another name.
#[derive_grad]
fn renamed(p: &Params, x: f64) -> f64 {
    let q = p;
    q.b * x
}

// A by-value struct copied whole.
#[derive_grad]
fn copied(s: Spring, x: f64) -> f64 {
    let t = s;
    t.k * (x - t.rest)
}

// A Jacobian over a struct parameter.
#[derive_jacobian]
fn forces(s: Spring) -> [f64; 2] {
    [s.k * s.rest, s.k - s.rest]
}

// The Hessian over a struct parameter.
#[derive_grad(hessian)]
fn energy(s: Spring) -> f64 {
    0.5 * s.k * s.rest * s.rest
}

fn main() {}
