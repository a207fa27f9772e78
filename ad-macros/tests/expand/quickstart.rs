// The quickstart: f(x, y) = x*y + sin(x).
#[derive_tangent]
#[derive_grad]
fn f(x: f64, y: f64) -> f64 {
    x * y + x.sin()
}
