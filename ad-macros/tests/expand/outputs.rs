// A tuple output and a division, with one parameter held constant by `wrt`.
#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn polar(x: f64, y: f64, scale: f64) -> (f64, f64) {
    let r = x.hypot(y) * scale;
    let t = y.atan2(x);
    (r, t / r)
}
