use ad_runtime::derive_grad;

// A row of a point cloud bound by a pattern: its floats would come out as constants.
#[derive_grad]
fn f(p: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for [a, b, c] in p {
        s += a * b * c;
    }
    s
}

fn main() {}
