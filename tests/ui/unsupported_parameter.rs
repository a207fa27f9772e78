use ad_runtime::derive_grad;

// Rows of rows (depth 3) are not one of the parameter forms the macro differentiates.
#[derive_grad]
fn f(x: &[[[f64; 2]; 2]]) -> f64 {
    x[0][0][0] * x[0][0][1]
}

fn main() {}
