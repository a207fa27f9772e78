use ad_runtime::{derive_grad, derive_jacobian, derive_tangent};

#[derive_tangent]
#[derive_grad]
fn square(x: f64) -> f64 {
    x * x
}

// Vector forward mode does not go through calls yet; `#[derive_jacobian(reverse)]` does.
#[derive_jacobian]
fn f(x: [f64; 2]) -> [f64; 2] {
    [square(x[0]), x[0] * x[1]]
}

fn main() {}
