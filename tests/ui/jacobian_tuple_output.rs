use ad_runtime::derive_jacobian;

// A tuple of floats and arrays is an output; a nested one is not.
#[derive_jacobian]
fn f(x: [f64; 2]) -> ((f64, f64), f64) {
    ((x[0] * x[1], x[0]), x[1])
}

fn main() {}
