use ad_runtime::{derive_grad, derive_jacobian};

#[derive_jacobian(lanes = 0)]
fn f(x: [f64; 2]) -> [f64; 2] {
    x
}

// `lanes` belongs to `#[derive_jacobian]`.
#[derive_grad(lanes = 4)]
fn g(x: f64) -> f64 {
    x
}

fn main() {}
