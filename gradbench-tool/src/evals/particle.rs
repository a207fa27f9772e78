//! `particle`: Pearlmutter and Siskind's charged particle, nested derivatives.
//!
//! A particle starts at (0, 8) with velocity (0.75, 0) in the field of two unit charges at
//! (10, 10 - w) and (10, 0); naive Euler steps (dt = 0.1) move it, its acceleration being the
//! gradient of the potential [`accel`] with respect to its position (the inner derivative),
//! until it crosses the x axis; [`naive_euler_r`] / [`naive_euler_f`] return the square of the
//! crossing's x coordinate. Gradient descent on `w` (GradBench's `gd.hpp`, [`super::gd`]) with
//! the derivative of that whole simulation with respect to `w` (the outer derivative, through
//! the inner one) gives the answer, the final `w`.
//!
//! What each piece is, all written by our macros:
//!
//! - [`accel`] carries `#[derive_tangent]` (→ `accel_tangent`) and `#[derive_grad(hessian)]`
//!   (→ `accel_grad`, `accel_hvp`). It takes one array `[x, y, c0x, c0y, c1x, c1y]` (the
//!   position, then the charges), because `hessian` differentiates one parameter.
//! - The inner derivative `∇ₓ accel` (the C++ code negates it into the acceleration, as the
//!   simulation here does): [`grad_x_r`] takes it from `accel_grad` (reverse mode),
//!   [`grad_x_f`] from two `accel_tangent` passes (forward mode).
//! - A generated `_grad` / `_tangent` cannot be called from inside another annotated function
//!   (a known gap), so these two are plain functions given user rules: `#[custom_tangent]`
//!   and `#[custom_grad]`, whose bodies only call `accel_hvp` (the macro's forward-over-reverse
//!   second derivative) and pick entries of its result: no derivative arithmetic is written by
//!   hand. The tangent rule is `H·v` along the position's and charges' tangent; the reverse
//!   rule is `Hᵀ·(seed, 0)`, which is `H·(seed, 0)` because the Hessian is symmetric.
//! - The outer derivative: [`naive_euler_r`] and [`naive_euler_f`] (the same simulation over
//!   the two inner gradients) carry `#[derive_tangent]` and `#[derive_grad]`; their `_tangent`
//!   (forward) or `_grad` (reverse) differentiates the whole Euler loop, calling the inner
//!   gradient's rules at every step.
//!
//! The four variants (outer mode, then inner mode): `rr` = `naive_euler_r_grad`, `rf` =
//! `naive_euler_f_grad`, `fr` = `naive_euler_r_tangent`, `ff` = `naive_euler_f_tangent`. The
//! outer derivative of the loop and the inner derivative are in the mode the variant names; the
//! second-order link between them (the derivative of the inner gradient) is always
//! `accel_hvp`, forward over reverse, the only second-order derivative our macros write. So
//! `fr` is nested exactly as named; `rr`, `rf` and `ff` get that one piece by forward over
//! reverse instead of reverse over reverse, reverse over forward and forward over forward.
//!
//! Rewrites (`// gap:` below): the C++ `dist` helper is inlined into `accel`, because
//! `hessian` refuses calls to other annotated functions; the C++ `return` inside
//! `while (true)` is a `break` with the value (`return` inside `loop` does not compile). The
//! C++ `Point<T>` is a `[f64; 2]` here: the Euler loop itself could use a `Differentiable`
//! `Point` with operator impls, but the user rules of the inner gradient can neither return a
//! struct (refused: not a float, tuple or array) nor take one as a differentiated parameter
//! (the rule's expected signature treats it as a constant).

use crate::evals::gd::multivariate_argmin;
use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{custom_grad, custom_tangent, derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// The potential `Σ 1 / |x - cₖ|` at the position `z[0..2]` of the two charges `z[2..4]` and
/// `z[4..6]` (GradBench's `accel`).
#[derive_tangent]
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
#[custom_tangent(grad_x_r_tangent)]
#[custom_grad(grad_x_r_vjp)]
pub fn grad_x_r(x: [f64; 2], c: [f64; 4]) -> [f64; 2] {
    let (_, g) = accel_grad([x[0], x[1], c[0], c[1], c[2], c[3]]);
    [g[0], g[1]]
}

/// The gradient `∇ₓ accel`, by two forward passes (`accel_tangent` along x, then y).
#[custom_tangent(grad_x_f_tangent)]
#[custom_grad(grad_x_f_vjp)]
pub fn grad_x_f(x: [f64; 2], c: [f64; 4]) -> [f64; 2] {
    let z = [x[0], x[1], c[0], c[1], c[2], c[3]];
    let (_, gx) = accel_tangent(z, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let (_, gy) = accel_tangent(z, [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    [gx, gy]
}

/// `accel_hvp` at `(x, c)` along `v`: the (reverse-mode) gradient and `H·v`.
fn hvp(x: [f64; 2], c: [f64; 4], v: [f64; 6]) -> ([f64; 6], [f64; 6]) {
    let (_, g, hv) = accel_hvp([x[0], x[1], c[0], c[1], c[2], c[3]], v);
    (g, hv)
}

/// Tangent rule of [`grad_x_r`]: the position entries of the gradient and of `H·(dx, dc)`.
pub fn grad_x_r_tangent(
    x: [f64; 2],
    dx: [f64; 2],
    c: [f64; 4],
    dc: [f64; 4],
) -> ([f64; 2], [f64; 2]) {
    let (g, hv) = hvp(x, c, [dx[0], dx[1], dc[0], dc[1], dc[2], dc[3]]);
    ([g[0], g[1]], [hv[0], hv[1]])
}

/// Reverse rule of [`grad_x_r`]: `Hᵀ·(seed, 0) = H·(seed, 0)` (the Hessian is symmetric),
/// split into the adjoints of `x` and `c`.
#[allow(clippy::type_complexity)]
pub fn grad_x_r_vjp(x: [f64; 2], c: [f64; 4], seed: [f64; 2]) -> ([f64; 2], ([f64; 2], [f64; 4])) {
    let (g, hv) = hvp(x, c, [seed[0], seed[1], 0.0, 0.0, 0.0, 0.0]);
    ([g[0], g[1]], ([hv[0], hv[1]], [hv[2], hv[3], hv[4], hv[5]]))
}

/// Tangent rule of [`grad_x_f`]: its value by forward mode, the tangent `H·(dx, dc)` by
/// `accel_hvp`.
pub fn grad_x_f_tangent(
    x: [f64; 2],
    dx: [f64; 2],
    c: [f64; 4],
    dc: [f64; 4],
) -> ([f64; 2], [f64; 2]) {
    let (_, hv) = hvp(x, c, [dx[0], dx[1], dc[0], dc[1], dc[2], dc[3]]);
    (grad_x_f(x, c), [hv[0], hv[1]])
}

/// Reverse rule of [`grad_x_f`]: its value by forward mode, the adjoints `H·(seed, 0)`.
#[allow(clippy::type_complexity)]
pub fn grad_x_f_vjp(x: [f64; 2], c: [f64; 4], seed: [f64; 2]) -> ([f64; 2], ([f64; 2], [f64; 4])) {
    let (_, hv) = hvp(x, c, [seed[0], seed[1], 0.0, 0.0, 0.0, 0.0]);
    (
        grad_x_f(x, c),
        ([hv[0], hv[1]], [hv[2], hv[3], hv[4], hv[5]]),
    )
}

/// The simulation with the inner gradient by reverse mode: Euler steps until the particle
/// crosses the x axis, then the square of the crossing's x coordinate (linear interpolation).
#[derive_tangent]
#[derive_grad]
pub fn naive_euler_r(w: f64) -> f64 {
    let charges = [10.0, 10.0 - w, 10.0, 0.0];
    let mut x = [0.0, 8.0];
    let mut xdot = [0.75, 0.0];
    let delta_t = 1e-1;
    loop {
        let g = grad_x_r(x, charges);
        let xddot = [-g[0], -g[1]];
        x[0] += delta_t * xdot[0];
        x[1] += delta_t * xdot[1];
        if x[1] <= 0.0 {
            let delta_t_f = -x[1] / xdot[1];
            let x_t_f = x[0] + delta_t_f * xdot[0];
            // gap: `return x_t_f * x_t_f;` inside the loop does not compile: break with it.
            break x_t_f * x_t_f;
        }
        xdot[0] += delta_t * xddot[0];
        xdot[1] += delta_t * xddot[1];
    }
}

/// The same simulation with the inner gradient by forward mode ([`grad_x_f`]).
#[derive_tangent]
#[derive_grad]
pub fn naive_euler_f(w: f64) -> f64 {
    let charges = [10.0, 10.0 - w, 10.0, 0.0];
    let mut x = [0.0, 8.0];
    let mut xdot = [0.75, 0.0];
    let delta_t = 1e-1;
    loop {
        let g = grad_x_f(x, charges);
        let xddot = [-g[0], -g[1]];
        x[0] += delta_t * xdot[0];
        x[1] += delta_t * xdot[1];
        if x[1] <= 0.0 {
            let delta_t_f = -x[1] / xdot[1];
            let x_t_f = x[0] + delta_t_f * xdot[0];
            // gap: `return` inside the loop does not compile: break with the value.
            break x_t_f * x_t_f;
        }
        xdot[0] += delta_t * xddot[0];
        xdot[1] += delta_t * xddot[1];
    }
}

/// The derivative of the simulation with respect to `w` for a variant: the outer mode (first
/// letter) and inner mode (second letter).
pub fn derivative(variant: &str, w: f64) -> Option<f64> {
    Some(match variant {
        "rr" => naive_euler_r_grad(w).1,
        "rf" => naive_euler_f_grad(w).1,
        "fr" => naive_euler_r_tangent(w, 1.0).1,
        "ff" => naive_euler_f_tangent(w, 1.0).1,
        _ => return None,
    })
}

/// The final `w` of gradient descent from `w0` for a variant.
pub fn solve(variant: &str, w0: f64) -> f64 {
    let inner_reverse = variant.ends_with('r');
    let objective = |w: &[f64]| {
        if inner_reverse {
            naive_euler_r(w[0])
        } else {
            naive_euler_f(w[0])
        }
    };
    let gradient = |w: &[f64]| vec![derivative(variant, w[0]).unwrap_or(f64::NAN)];
    multivariate_argmin(objective, gradient, &[w0])[0]
}

/// The eval's input: the starting `w`.
#[derive(Deserialize)]
pub struct Input {
    /// The starting control parameter.
    pub w: f64,
}

/// Runs a variant (`rr`, `rf`, `fr`, `ff`) from the input's `w`.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    if !["rr", "rf", "fr", "ff"].contains(&function) {
        return Err(format!("particle has no function `{function}`"));
    }
    let (w, nanoseconds) = measure(runs, || solve(function, input.w));
    Ok(Timed {
        output: w.into(),
        nanoseconds,
    })
}
