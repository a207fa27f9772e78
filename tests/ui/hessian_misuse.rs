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

// `hessian`, `second_order` and `checkpoint` belong to `#[derive_grad]`.
#[derive_tangent(hessian, second_order, checkpoint)]
fn forward(x: f64) -> f64 {
    x * x
}

#[derive_grad]
fn square(x: f64) -> f64 {
    x * x
}

// A call to a function without `hessian`: it has no second-order companions.
#[derive_grad(hessian)]
fn calls(x: [f64; 2]) -> f64 {
    square(x[0]) * x[1]
}

#[derive_grad(hessian)]
fn norm2<T: ad_runtime::Float>(v: &[T]) -> T {
    v[0] * v[0] + v[1] * v[1] + T::epsilon()
}

// A call passing a differentiated slice to a generic function whose body names `T::epsilon()`:
// written for `f64` it would need the trait imported, so it is not inlined (floats and small
// arrays by value go through, and a slice to a function of this file without generics but a
// float type, `T::zero()` and `T::one()` allowed, whose body is inlined).
#[derive_grad(hessian)]
fn calls_with_a_slice(x: &[f64]) -> f64 {
    norm2(x) * x[1]
}

// The second-order companions are for a scalar function.
#[derive_grad(second_order)]
fn pair(x: f64) -> (f64, f64) {
    (x, x * x)
}

fn main() {}
