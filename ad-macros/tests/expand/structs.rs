// Functions over structs with `#[derive(Differentiable)]`: the flat form (one parameter per
// field) and its derivatives are hidden; the wrappers take the structs.

#[derive(Differentiable, Clone)]
struct Params {
    w: Vec<f64>,
    b: f64,
}

#[derive(Differentiable, Clone, Copy)]
struct Spring {
    k: f64,
    rest: f64,
}

#[derive_grad(wrt(p))]
fn loss(p: &Params, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = p.w[0] * xs[i] + p.b - ys[i];
        s += r * r;
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn spring_energy(s: Spring, x: f64) -> f64 {
    0.5 * s.k * (x - s.rest).powi(2)
}
