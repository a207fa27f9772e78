//! `particle`: Pearlmutter and Siskind's charged particle, nested derivatives.
//!
//! A particle starts at (0, 8) with velocity (0.75, 0) in the field of two unit charges at
//! (10, 10 - w) and (10, 0); naive Euler steps (dt = 0.1) move it, its acceleration being the
//! gradient of the potential [`accel`] with respect to its position (the inner derivative),
//! until it crosses the x axis; [`naive_euler`] returns the square of the crossing's x
//! coordinate. Gradient descent on `w` (GradBench's `gd.hpp`, [`super::gd`]) with the
//! derivative of that whole simulation with respect to `w` (the outer derivative, through the
//! inner one) gives the answer, the final `w`.
//!
//! Only `fr` is offered: the outer derivative by forward mode over an inner gradient by reverse
//! mode. Each piece is written by our macros:
//!
//! - [`accel`] carries `#[derive_grad(hessian)]` (→ `accel_grad`, `accel_hvp`). It takes one
//!   array `[x, y, c0x, c0y, c1x, c1y]` (the position, then the charges), because `hessian`
//!   differentiated one parameter when this was written (it takes several now).
//! - The inner derivative `∇ₓ accel` (the C++ code negates it into the acceleration, as the
//!   simulation here does) is [`grad_x`], taken from `accel_grad` (reverse mode).
//! - A generated `_grad` cannot be called from inside another annotated function (a known
//!   gap), so [`grad_x`] is a plain function given a user tangent rule (`#[custom_tangent]`,
//!   [`grad_x_tangent`]) whose body only calls `accel_hvp` and picks entries of its result:
//!   the gradient and `H·(dx, dc)` along the position's and charges' tangent. `accel_hvp` is
//!   forward over reverse, so the derivative of the reverse-mode inner gradient is taken by
//!   forward mode, as `fr` asks. No derivative arithmetic is written by hand.
//! - The outer derivative: [`naive_euler`] carries `#[derive_tangent]`; `fr` is
//!   `naive_euler_tangent(w, 1.0)`, the forward derivative of the whole Euler loop, calling
//!   [`grad_x_tangent`] at every step.
//!
//! For the tests only, [`naive_euler`] also carries `#[derive_grad]` and [`grad_x`] a reverse
//! rule (`#[custom_grad]`, [`grad_x_vjp`]: `Hᵀ·(seed, 0) = H·(seed, 0)` by `accel_hvp`, the
//! Hessian being symmetric), so that the outer forward derivative can be checked against a
//! reverse one. The tool never runs them: that pair is forward over reverse for the
//! second-order link and so is not a reverse-over-reverse `rr`.
//!
//! `rr`, `rf` and `ff` answer an error (`success: false`): they need reverse over reverse,
//! reverse over forward and forward over forward, while our macros write second derivatives
//! only as forward over reverse (`_hvp`), and a generated `_grad` / `_tangent` cannot be called
//! inside an annotated function (so the outer pass cannot differentiate through an inner
//! generated derivative itself). Offering them with `accel_hvp` as the link would give the
//! right number under the wrong name.
//!
//! Rewrites (`// gap:` below): the C++ `dist` helper is inlined into `accel`, because
//! `hessian` refuses calls to other annotated functions. The C++ `Point<T>` is a `[f64; 2]`
//! here: the Euler loop itself could use a `Differentiable` `Point` with operator impls, but
//! the user rules of the inner gradient can neither return a struct (refused: not a float,
//! tuple or array) nor take one as a differentiated parameter (the rule's expected signature
//! treats it as a constant).

use crate::evals::gd::multivariate_argmin;
use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{custom_grad, custom_tangent, derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// The potential `Σ 1 / |x - cₖ|` at the position `z[0..2]` of the two charges `z[2..4]` and
/// `z[4..6]` (GradBench's `accel`).
#[derive_grad(hessian)]
pub fn accel(z: [f64; 6]) -> f64 {
    let mut a = 0.0;
    for k in 0..2 {
        // gap: the C++ `dist(p, x)` helper inlined (`hessian` refuses calls to annotated fns).
        let dx = z[2 + 2 * k] - z[0];
        let dy = z[3 + 2 * k] - z[1];
        a += 1.0 / (dx * dx + dy * dy).sqrt();
    }
    a
}

/// The gradient `∇ₓ accel` at the position `x` of a particle in the field of the charges `c`
/// (`[c0x, c0y, c1x, c1y]`), by reverse mode (`accel_grad`).
#[custom_tangent(grad_x_tangent)]
#[custom_grad(grad_x_vjp)]
pub fn grad_x(x: [f64; 2], c: [f64; 4]) -> [f64; 2] {
    let (_, g) = accel_grad([x[0], x[1], c[0], c[1], c[2], c[3]]);
    [g[0], g[1]]
}

/// `accel_hvp` at `(x, c)` along `v`: the (reverse-mode) gradient and `H·v`.
fn hvp(x: [f64; 2], c: [f64; 4], v: [f64; 6]) -> ([f64; 6], [f64; 6]) {
    let (_, g, hv) = accel_hvp([x[0], x[1], c[0], c[1], c[2], c[3]], v);
    (g, hv)
}

/// Tangent rule of [`grad_x`]: the position entries of the gradient and of `H·(dx, dc)`.
pub fn grad_x_tangent(
    x: [f64; 2],
    dx: [f64; 2],
    c: [f64; 4],
    dc: [f64; 4],
) -> ([f64; 2], [f64; 2]) {
    let (g, hv) = hvp(x, c, [dx[0], dx[1], dc[0], dc[1], dc[2], dc[3]]);
    ([g[0], g[1]], [hv[0], hv[1]])
}

/// Reverse rule of [`grad_x`], for the tests' forward-against-reverse check of the outer
/// derivative: `Hᵀ·(seed, 0) = H·(seed, 0)` (the Hessian is symmetric), split into the
/// adjoints of `x` and `c`.
#[allow(clippy::type_complexity)]
pub fn grad_x_vjp(x: [f64; 2], c: [f64; 4], seed: [f64; 2]) -> ([f64; 2], ([f64; 2], [f64; 4])) {
    let (g, hv) = hvp(x, c, [seed[0], seed[1], 0.0, 0.0, 0.0, 0.0]);
    ([g[0], g[1]], ([hv[0], hv[1]], [hv[2], hv[3], hv[4], hv[5]]))
}

/// The simulation: Euler steps until the particle crosses the x axis, then the square of the
/// crossing's x coordinate (linear interpolation). `naive_euler_tangent` is `fr`'s outer
/// derivative; `naive_euler_grad` is only for the tests (see the module doc).
#[derive_tangent]
#[derive_grad]
pub fn naive_euler(w: f64) -> f64 {
    let charges = [10.0, 10.0 - w, 10.0, 0.0];
    let mut x = [0.0, 8.0];
    let mut xdot = [0.75, 0.0];
    let delta_t = 1e-1;
    loop {
        let g = grad_x(x, charges);
        let xddot = [-g[0], -g[1]];
        x[0] += delta_t * xdot[0];
        x[1] += delta_t * xdot[1];
        if x[1] <= 0.0 {
            let delta_t_f = -x[1] / xdot[1];
            let x_t_f = x[0] + delta_t_f * xdot[0];
            return x_t_f * x_t_f;
        }
        xdot[0] += delta_t * xddot[0];
        xdot[1] += delta_t * xddot[1];
    }
}

/// `fr`'s derivative of the simulation with respect to `w`: `naive_euler_tangent`.
pub fn fr_derivative(w: f64) -> f64 {
    naive_euler_tangent(w, 1.0).1
}

/// `fr`: the final `w` of gradient descent from `w0`.
pub fn solve_fr(w0: f64) -> f64 {
    multivariate_argmin(
        |w: &[f64]| naive_euler(w[0]),
        |w: &[f64]| vec![fr_derivative(w[0])],
        &[w0],
    )[0]
}

/// The eval's input: the starting `w`.
#[derive(Deserialize)]
pub struct Input {
    /// The starting control parameter.
    pub w: f64,
}

/// Runs `fr` from the input's `w`; `rr`, `rf` and `ff` answer an error saying why they are not
/// offered ([`super::not_offered`]).
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    if let Some(why) = super::not_offered("particle", function) {
        return Err(why);
    }
    if function != "fr" {
        return Err(format!("particle has no function `{function}`"));
    }
    let input: Input = parse(input)?;
    let (w, nanoseconds) = measure(runs, || solve_fr(input.w));
    Ok(Timed {
        output: w.into(),
        nanoseconds,
    })
}
