// Reassignment and shadowing become new SSA names; the reverse sweep reads every version.
#[derive_grad]
fn g(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    s = s * s.exp();
    let s = s / y + 2.0;
    s.powi(3)
}
