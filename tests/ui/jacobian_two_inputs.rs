use ad_runtime::derive_jacobian;

// Two differentiated inputs: a Jacobian needs them packed into one array.
#[derive_jacobian]
fn f(x: f64, y: f64) -> [f64; 2] {
    [x * y, x + y]
}

fn main() {}
