//! Functions whose own code allocates: local `Vec`s, a collected iterator, integer state lent to
//! a recursive call, structs with a `Vec` field and slices of structs.
//!
//! The module names `alloc` only by paths (`alloc::vec![..]`, `alloc::vec::Vec`), never imports
//! `vec!` or `Vec`: an unqualified `vec!` or `Vec` that the macros added would not resolve here.

extern crate alloc;

// `Float` gives `f64` its methods (`x.sin()`) without std. When std is in the crate graph anyway
// (a workspace build turns on ad-runtime's `std` feature for every member, and the test harness
// links std), `f64`'s inherent methods are found first and the import goes unused.
#[allow(unused_imports)]
use ad_runtime::Float;
use ad_runtime::{Differentiable, derive_grad, derive_tangent};

/// A local `Vec` filled in a loop, then differenced: `sum_i (v_i - v_{i-1})^2` with
/// `v_i = x_i sin x_i`.
#[derive_tangent]
#[derive_grad]
pub fn roughness(x: &[f64]) -> f64 {
    let mut v = alloc::vec![0.0; x.len()];
    for i in 0..x.len() {
        v[i] = x[i] * x[i].sin();
    }
    let mut s = 0.0;
    for i in 1..v.len() {
        s += (v[i] - v[i - 1]).powi(2);
    }
    s
}

/// A `Vec` filled with a differentiated value (`vec![e; n]`: the macro creates it with zeros,
/// by its own `vec!`, then assigns every element), then written and summed:
/// `n a^2 + sum_i x_i a` with `a = 2 x_0`.
#[derive_tangent]
#[derive_grad]
pub fn filled(x: &[f64]) -> f64 {
    let mut w = alloc::vec![2.0 * x[0]; x.len()];
    let mut s = 0.0;
    for i in 0..x.len() {
        w[i] = w[i] * (w[i] + x[i]);
        s += w[i];
    }
    s
}

/// An iterator chain collected into a `Vec` (the macro lowers `.collect()` to a loop that pushes
/// into a `Vec` of its own): `sum_i sqrt(1 + x_i^2)`.
#[derive_tangent]
#[derive_grad]
pub fn collected(x: &[f64]) -> f64 {
    let lifted: alloc::vec::Vec<f64> = x.iter().map(|t| 1.0 + t * t).collect();
    let mut s = 0.0;
    for t in &lifted {
        s += t.sqrt();
    }
    s
}

/// The determinant of a minor by expansion along its first row, its rows and columns as linked
/// lists (`r[n]`, `c[n]` the heads) relinked around the recursive call (GradBench's `det`): reverse
/// mode keeps copies of the integer state (`to_owned`) for the callee's reverse pass.
#[derive_tangent]
#[derive_grad]
pub fn det_of_minor(a: &[f64], n: usize, m: usize, r: &mut [usize], c: &mut [usize]) -> f64 {
    let r0 = r[n];
    let mut cj = c[n];
    let mut cj1 = n;
    if m == 1 {
        return a[r0 * n + cj];
    }
    let mut det = 0.0;
    let mut sign = 1;
    r[n] = r[r0];
    for _ in 0..m {
        let m0j = a[r0 * n + cj];
        c[cj1] = c[cj];
        let sub = det_of_minor(a, n, m - 1, r, c);
        c[cj1] = cj;
        if sign > 0 {
            det += m0j * sub;
        } else {
            det -= m0j * sub;
        }
        cj1 = cj;
        cj = c[cj];
        sign = -sign;
    }
    r[n] = r0;
    det
}

/// The determinant of the `n × n` row-major matrix `a`.
#[derive_tangent]
#[derive_grad]
pub fn det(a: &[f64], n: usize) -> f64 {
    let mut r: alloc::vec::Vec<usize> = alloc::vec![0; n + 1];
    let mut c: alloc::vec::Vec<usize> = alloc::vec![0; n + 1];
    for i in 0..n {
        r[i] = i + 1;
        c[i] = i + 1;
    }
    r[n] = 0;
    c[n] = 0;
    det_of_minor(a, n, n, &mut r, &mut c)
}

/// A model's parameters, with a `Vec` field (`#[derive(Differentiable)]` flattens it into an
/// `alloc` `Vec`).
#[derive(Differentiable, Clone, Debug, PartialEq)]
pub struct Params {
    /// Weights.
    pub w: alloc::vec::Vec<f64>,
    /// Bias.
    pub b: f64,
}

/// A squared error over samples: `sum_i (w_0 x_i + w_1 x_i^2 + b - y_i)^2`.
#[derive_tangent(wrt(p))]
#[derive_grad(wrt(p))]
pub fn loss(p: &Params, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = p.w[0] * xs[i] + p.w[1] * xs[i] * xs[i] + p.b - ys[i];
        s += r * r;
    }
    s
}

/// A point of the plane.
#[derive(ad_runtime::Differentiable, Clone, Copy, Debug, PartialEq)]
pub struct P2 {
    /// Abscissa.
    pub x: f64,
    /// Ordinate.
    pub y: f64,
}

/// The length of a polyline after shifting each point by `dt` times its velocity, on a copy
/// made by `alloc::vec![..]` of structs (which the macro rewrites to a flat `vec!` of floats)
/// and written element by element.
#[derive_tangent]
#[derive_grad]
pub fn shifted_length(pos: &[P2], vel: &[P2], dt: f64) -> f64 {
    let mut p = alloc::vec![P2 { x: 0.0, y: 0.0 }; pos.len()];
    for i in 0..pos.len() {
        p[i].x = pos[i].x + vel[i].x * dt;
        p[i].y = pos[i].y + vel[i].y * dt;
    }
    let mut s = 0.0;
    for i in 1..p.len() {
        let dx = p[i].x - p[i - 1].x;
        let dy = p[i].y - p[i - 1].y;
        s += (dx * dx + dy * dy).sqrt();
    }
    s
}

/// A `Vec` of structs created empty and filled by `push` (the macro rewrites it to a flat
/// `Vec` of floats of its own): `sum_i (2 x_i)^2 + y_i^4`.
#[derive_tangent]
#[derive_grad]
pub fn pushed(pos: &[P2]) -> f64 {
    let mut q: alloc::vec::Vec<P2> = alloc::vec::Vec::with_capacity(pos.len());
    for p in pos.iter() {
        q.push(P2 {
            x: 2.0 * p.x,
            y: p.y * p.y,
        });
    }
    let mut s = 0.0;
    for p in q.iter() {
        s += p.x * p.x + p.y * p.y;
    }
    s
}
