use ad_runtime::{derive_grad, derive_tangent};

#[derive_tangent]
#[derive_grad]
fn f(x: f64, y: f64) -> f64 {
    x * y + x.sin()
}

fn main() {
    let (v, dx) = f_tangent(2.0, 1.0, 3.0, 0.0);
    let (_, dy) = f_tangent(2.0, 0.0, 3.0, 1.0);
    println!("{v} {dx} {dy}");
    let (v, (gx, gy)) = f_grad(2.0, 3.0);
    println!("{v} {gx} {gy}");
}
