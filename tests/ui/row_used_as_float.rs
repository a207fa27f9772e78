use ad_runtime::derive_tangent;

#[derive_tangent]
fn f(m: [[f64; 3]; 2]) -> f64 {
    let r = m[0];
    r[0] * m[1][2]
}

fn main() {}
