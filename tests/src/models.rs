//! The model functions that tests, allocation tests and benchmarks share, each with both macros.

#![allow(clippy::needless_range_loop)]

use ad_runtime::{derive_grad, derive_tangent};

/// Extended Rosenbrock on the first `n` entries of `x` (with its Hessian, forward over reverse).
#[derive_tangent]
#[derive_grad(hessian)]
pub fn rosenbrock(x: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

/// Inputs of the MLP.
pub const INPUTS: usize = 16;
/// Hidden tanh units of the MLP.
pub const HIDDEN: usize = 32;
/// Where the hidden biases start in the parameters (after the `HIDDEN x INPUTS` weights).
pub const B1: usize = HIDDEN * INPUTS;
/// Where the output weights start.
pub const W2: usize = B1 + HIDDEN;
/// Where the output bias is.
pub const B2: usize = W2 + HIDDEN;
/// How many parameters the MLP has (577).
pub const PARAMS: usize = B2 + 1;

/// The squared error of a one-hidden-layer tanh network on one sample; `params` packs
/// `[W1 (HIDDEN x INPUTS, row-major), b1, w2, b2]`.
#[derive_grad]
#[derive_tangent]
pub fn mlp_loss(params: &[f64], x: &[f64], target: f64) -> f64 {
    let mut hidden = [0.0; 32];
    for j in 0..HIDDEN {
        let mut a = params[B1 + j];
        for k in 0..INPUTS {
            a += params[j * INPUTS + k] * x[k];
        }
        hidden[j] = a.tanh();
    }
    let mut out = params[B2];
    for j in 0..HIDDEN {
        out += params[W2 + j] * hidden[j];
    }
    let e = out - target;
    e * e
}

/// A weighted sum of squares over two slices: the callee of [`fit`].
#[derive_tangent]
#[derive_grad]
pub fn weighted_sq(w: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        s += w[i] * (x[i] * x[i]).sin();
    }
    s
}

/// A middle layer that passes both slices on (so a sink is lent on, two calls deep).
#[derive_tangent]
#[derive_grad]
pub fn weighted_sq_shifted(w: &[f64], x: &[f64]) -> f64 {
    weighted_sq(&w[1..], &x[..x.len() - 1]) + weighted_sq(w, x)
}

/// A fit through calls, differentiated in `w` only: `x` is a constant argument of each call, and
/// its adjoint (or tangent) in the callees is a sink (or zeros), neither allocated nor computed.
#[derive_tangent(wrt(w))]
#[derive_grad(wrt(w))]
pub fn fit(w: &[f64], x: &[f64]) -> f64 {
    weighted_sq_shifted(w, x) * 0.5
}

/// [`fit`] differentiated in both slices: the work that `wrt(w)` saves.
#[derive_grad]
pub fn fit_both(w: &[f64], x: &[f64]) -> f64 {
    weighted_sq_shifted(w, x) * 0.5
}

/// The gradient of [`fit`] in `w` by hand, in one pass; added into `dw` like the generated one.
pub fn fit_grad_hand(w: &[f64], dw: &mut [f64], x: &[f64]) -> f64 {
    let n = w.len();
    let mut s = 0.0;
    for i in 0..n {
        let a = (x[i] * x[i]).sin();
        s += w[i] * a;
        dw[i] += 0.5 * a;
        if i + 1 < n {
            s += w[i + 1] * a;
            dw[i + 1] += 0.5 * a;
        }
    }
    s * 0.5
}

/// A tanh layer written into `out` (rows of `w` against `x`): the callee of [`layer_via_call`].
#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_range_loop)] // the indexing form is what is under test
pub fn tanh_layer(w: &[f64], x: &[f64], out: &mut [f64]) {
    let n = x.len();
    for i in 0..out.len() {
        let mut a = 0.0;
        for j in 0..n {
            a += w[i * n + j] * x[j];
        }
        out[i] = a.tanh();
    }
}

/// The squared norm of a tanh layer's output, the layer lent a local `Vec` to write.
#[derive_grad(wrt(w))]
pub fn layer_via_call(w: &[f64], x: &[f64], m: usize) -> f64 {
    let mut h = vec![0.0; m];
    tanh_layer(w, x, &mut h);
    let mut s = 0.0;
    for i in 0..m {
        s += h[i] * h[i];
    }
    s
}

/// [`layer_via_call`] with the layer written inline.
#[derive_grad(wrt(w))]
#[allow(clippy::needless_range_loop)] // the indexing form is what is under test
pub fn layer_inline(w: &[f64], x: &[f64], m: usize) -> f64 {
    let n = x.len();
    let mut h = vec![0.0; m];
    for i in 0..m {
        let mut a = 0.0;
        for j in 0..n {
            a += w[i * n + j] * x[j];
        }
        h[i] = a.tanh();
    }
    let mut s = 0.0;
    for i in 0..m {
        s += h[i] * h[i];
    }
    s
}

// ---------------------------------------------------------------------------------------------
// A least-squares loss over observations
// ---------------------------------------------------------------------------------------------

/// The mean squared error of the affine model `w[0] x0 + w[1] x1 + w[2] x2 + w[3]` over the
/// observations `(xs[i], ys[i])`, differentiated in `w`: the loop over observations is fused
/// with its reverse sweep.
#[derive_tangent(wrt(w))]
#[derive_grad(wrt(w))]
pub fn lsq_loss(w: &[f64], xs: &[[f64; 3]], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let r = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] - y;
        s += r * r;
    }
    s / xs.len() as f64
}

/// The gradient of [`lsq_loss`] by hand, as an engineer writes it: one pass, the four sums in
/// registers, scaled by `2 / m` once at the end; added into `dw` like the generated one.
pub fn lsq_loss_grad_hand(w: &[f64], dw: &mut [f64], xs: &[[f64; 3]], ys: &[f64]) -> f64 {
    let (mut s, mut g) = (0.0, [0.0; 4]);
    for (x, y) in xs.iter().zip(ys) {
        let r = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3] - y;
        s += r * r;
        g[0] += r * x[0];
        g[1] += r * x[1];
        g[2] += r * x[2];
        g[3] += r;
    }
    let m = xs.len() as f64;
    for (d, g) in dw.iter_mut().zip(g) {
        *d += 2.0 * g / m;
    }
    s / m
}

/// `m` deterministic observations for [`lsq_loss`]: features on a smooth curve, targets a known
/// model plus a wiggle.
pub fn lsq_observations(m: usize) -> (Vec<[f64; 3]>, Vec<f64>) {
    let xs: Vec<[f64; 3]> = (0..m)
        .map(|i| {
            let t = i as f64 / m as f64;
            [(7.0 * t).sin(), (3.0 * t).cos(), t]
        })
        .collect();
    let ys = xs
        .iter()
        .enumerate()
        .map(|(i, x)| 0.5 * x[0] - 0.3 * x[1] + 2.0 * x[2] + 0.1 + 0.05 * (i as f64).sin())
        .collect();
    (xs, ys)
}

// ---------------------------------------------------------------------------------------------
// The recurrence, and the gradients by hand that benchmarks compare against
// ---------------------------------------------------------------------------------------------

/// The recurrence `x <- x + h sin(x) p`, `n` steps from `x0`, `h = 0.01`.
#[derive_tangent]
#[derive_grad]
pub fn recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut x = x0;
    for _ in 0..n {
        x = x + h * x.sin() * p;
    }
    x
}

/// The gradient by hand, in the primal's one pass; added into `dx` like the generated one.
pub fn rosenbrock_grad_hand(x: &[f64], dx: &mut [f64], n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
        dx[i] += -400.0 * x[i] * t - 2.0 * u;
        dx[i + 1] += 200.0 * t;
    }
    s
}

/// Backpropagation by hand, with the generated function's signature: the forward pass keeps
/// the hidden activations, the backward pass adds into `dparams` and `dx`; returns the loss and
/// the derivative in `target`.
pub fn mlp_loss_grad_hand(
    params: &[f64],
    dparams: &mut [f64],
    x: &[f64],
    dx: &mut [f64],
    target: f64,
) -> (f64, f64) {
    let mut hidden = [0.0; HIDDEN];
    let mut out = params[B2];
    for (j, h) in hidden.iter_mut().enumerate() {
        let row = &params[j * INPUTS..(j + 1) * INPUTS];
        let a = params[B1 + j] + row.iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
        *h = a.tanh();
        out += params[W2 + j] * *h;
    }
    let e = out - target;
    let e_bar = 2.0 * e;
    dparams[B2] += e_bar;
    for (j, h) in hidden.iter().enumerate() {
        dparams[W2 + j] += e_bar * h;
        let a_bar = e_bar * params[W2 + j] * (1.0 - h * h);
        dparams[B1 + j] += a_bar;
        let row = j * INPUTS..(j + 1) * INPUTS;
        for ((dw, w), (dxk, xk)) in dparams[row.clone()]
            .iter_mut()
            .zip(&params[row])
            .zip(dx.iter_mut().zip(x))
        {
            *dw += a_bar * xk;
            *dxk += a_bar * w;
        }
    }
    (e * e, -e_bar)
}

/// The adjoint written by hand: store the iterates, then run the steps backwards.
pub fn recurrence_grad_hand(x0: f64, p: f64, n: usize) -> (f64, (f64, f64)) {
    let h = 0.01;
    let mut xs = Vec::with_capacity(n);
    let mut x = x0;
    for _ in 0..n {
        xs.push(x);
        x = x + h * x.sin() * p;
    }
    let (mut x_bar, mut p_bar) = (1.0, 0.0);
    for &xk in xs.iter().rev() {
        let (s, c) = xk.sin_cos();
        p_bar += h * s * x_bar;
        x_bar *= 1.0 + h * c * p;
    }
    (x, (x_bar, p_bar))
}

/// Forward sensitivities by hand: two tangents carried along.
pub fn recurrence_tangent_hand(x0: f64, p: f64, n: usize) -> (f64, (f64, f64)) {
    let h = 0.01;
    let (mut x, mut dx0, mut dp) = (x0, 1.0, 0.0);
    for _ in 0..n {
        let (s, c) = x.sin_cos();
        let step = 1.0 + h * c * p;
        dp = step * dp + h * s;
        dx0 *= step;
        x += h * s * p;
    }
    (x, (dx0, dp))
}
