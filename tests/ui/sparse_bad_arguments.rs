use ad_runtime::{derive_grad, derive_jacobian};

// Sparse Jacobians are built from forward passes, one per colour.
#[derive_jacobian(sparse, reverse)]
fn f(x: &[f64], y: &mut [f64]) {
    for i in 0..x.len() {
        y[i] = x[i] * x[i];
    }
}

// `sparse` belongs to `#[derive_jacobian]`.
#[derive_grad(sparse)]
fn g(x: f64) -> f64 {
    x
}

// A sparse Hessian of an array: refused, the dense one is small.
#[derive_grad(hessian, sparse)]
fn h(x: [f64; 3]) -> f64 {
    x[0] * x[1] * x[2]
}

fn main() {}
