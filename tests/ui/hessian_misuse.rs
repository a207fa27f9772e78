use ad_runtime::{derive_grad, derive_tangent};

// A Hessian needs one float output.
#[derive_grad(hessian)]
fn vector(x: [f64; 2]) -> [f64; 2] {
    [x[0] * x[1], x[0]]
}

// ... and floats, arrays `[F; N]` or slices as its differentiated parameters.
#[derive_grad(hessian)]
fn nested(x: [[f64; 2]; 2]) -> f64 {
    x[0][0] * x[1][1]
}

// `hessian` and `checkpoint` belong to `#[derive_grad]`.
#[derive_tangent(hessian, checkpoint)]
fn forward(x: f64) -> f64 {
    x * x
}

#[derive_grad]
fn square(x: f64) -> f64 {
    x * x
}

// A call: refused, not a cascade of rustc errors about missing companions.
#[derive_grad(hessian)]
fn calls(x: [f64; 2]) -> f64 {
    square(x[0]) * x[1]
}

fn main() {}
