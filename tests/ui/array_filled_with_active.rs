use ad_runtime::derive_grad;

// `[e; N]` and `vec![e; n]` of a differentiated `e` are supported; a nested repeat is not.
#[derive_grad]
fn f(x: f64) -> f64 {
    let v = [[x; 2]; 3];
    v[0][0] * v[1][1]
}

fn main() {}
