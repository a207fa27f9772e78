//! `saddle`: Pearlmutter and Siskind's saddle point, `min_p1 max_p2 f(p1, p2)` by nested
//! gradient descent.
//!
//! `f(p1, p2) = (p1x² + p1y²) - (p2x² + p2y²)` is [`objective`]. [`max_primal_r`] /
//! [`max_primal_f`] run GradBench's gradient descent (`gd.hpp`, written out in the function as
//! the argmin of `-f`) over `p2` from the start point with the inner gradient `∇_p2 f`, and
//! return `f` at the maximum. Step 1 minimises that over `p1` with its derivative with respect
//! to `p1` (the outer derivative, through the whole inner descent); step 2 maximises `f(p1, ·)`
//! at the `p1` found. The output is `[p1x, p1y, p2x, p2y]`.
//!
//! What each piece is, all written by our macros (the scheme of `particle`):
//!
//! - [`objective`] carries `#[derive_tangent]` and `#[derive_grad(hessian)]` (→
//!   `objective_tangent`, `objective_grad`, `objective_hvp`). It takes `[p1x, p1y, p2x, p2y]`
//!   as one array, not four floats as in the C++ reference, because `hessian` differentiates one
//!   parameter.
//! - The inner derivative `∇_p2 f`: [`grad_p2_r`] from `objective_grad` (reverse mode),
//!   [`grad_p2_f`] from two `objective_tangent` passes (forward mode).
//! - A generated `_grad` / `_tangent` cannot be called from inside another annotated function
//!   (a known gap), so these two are plain functions with user rules (`#[custom_tangent]`,
//!   `#[custom_grad]`) whose bodies call only `objective_hvp` (forward over reverse) and pick
//!   entries of its result: the tangent is `H·v`, the reverse rule `Hᵀ·(0, seed) = H·(0, seed)`
//!   (the Hessian is symmetric). No derivative arithmetic is written by hand.
//! - The outer derivative: `max_primal_r` and `max_primal_f` carry `#[derive_tangent]` and
//!   `#[derive_grad]` with respect to `p1`; their `_grad` (reverse) or two `_tangent` passes
//!   (forward) differentiate the whole inner descent loop.
//!
//! The variants (outer mode, then inner mode): `rr` = `max_primal_r_grad`, `rf` =
//! `max_primal_f_grad`, `fr` = `max_primal_r_tangent`, `ff` = `max_primal_f_tangent`; step 2
//! uses the outer mode's inner gradient, as GradBench's README asks. As in `particle`, the
//! second-order link (the derivative of the inner gradient) is always `objective_hvp`, forward
//! over reverse, the only nested mode our macros write: `fr` is nested exactly as named, the
//! other three get that piece by forward over reverse.
//!
//! Rewrites (`// gap:` below): `x = x_prime;` and `gx = ..;` in the descent's `if` / `else`
//! are written element by element (whole-array assignment inside a branch is refused); gd.hpp's
//! `return x` inside `while (true)` is a `break`, with `x` read after the loop (`return` inside
//! `loop` does not compile, and `let xmax = loop { .. break x; .. }` with an array `x` is
//! refused where `xmax` is indexed). gd.hpp's solver is a template over a function object; the
//! descent is written out in each `max_primal_*` (a closure or function passed as a value
//! cannot be differentiated).

use crate::evals::gd::{multivariate_argmax, multivariate_argmin};
use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{custom_grad, custom_tangent, derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// `(x1² + y1²) - (x2² + y2²)` at `z = [x1, y1, x2, y2]`, the function whose saddle point is
/// sought.
#[derive_tangent]
#[derive_grad(hessian)]
pub fn objective(z: [f64; 4]) -> f64 {
    (z[0] * z[0] + z[1] * z[1]) - (z[2] * z[2] + z[3] * z[3])
}

/// `∇_p2 f(p1, p2)` by reverse mode (`objective_grad`).
#[custom_tangent(grad_p2_r_tangent)]
#[custom_grad(grad_p2_r_vjp)]
pub fn grad_p2_r(p1: [f64; 2], p2: [f64; 2]) -> [f64; 2] {
    let (_, g) = objective_grad([p1[0], p1[1], p2[0], p2[1]]);
    [g[2], g[3]]
}

/// `∇_p2 f(p1, p2)` by two forward passes (`objective_tangent` along p2x, then p2y).
#[custom_tangent(grad_p2_f_tangent)]
#[custom_grad(grad_p2_f_vjp)]
pub fn grad_p2_f(p1: [f64; 2], p2: [f64; 2]) -> [f64; 2] {
    let z = [p1[0], p1[1], p2[0], p2[1]];
    let (_, gx) = objective_tangent(z, [0.0, 0.0, 1.0, 0.0]);
    let (_, gy) = objective_tangent(z, [0.0, 0.0, 0.0, 1.0]);
    [gx, gy]
}

/// `objective_hvp` at `(p1, p2)` along `v`: the (reverse-mode) gradient and `H·v`.
fn hvp(p1: [f64; 2], p2: [f64; 2], v: [f64; 4]) -> ([f64; 4], [f64; 4]) {
    let (_, g, hv) = objective_hvp([p1[0], p1[1], p2[0], p2[1]], v);
    (g, hv)
}

/// Tangent rule of [`grad_p2_r`]: the p2 entries of the gradient and of `H·(dp1, dp2)`.
pub fn grad_p2_r_tangent(
    p1: [f64; 2],
    dp1: [f64; 2],
    p2: [f64; 2],
    dp2: [f64; 2],
) -> ([f64; 2], [f64; 2]) {
    let (g, hv) = hvp(p1, p2, [dp1[0], dp1[1], dp2[0], dp2[1]]);
    ([g[2], g[3]], [hv[2], hv[3]])
}

/// Reverse rule of [`grad_p2_r`]: `H·(0, seed)`, split into the adjoints of `p1` and `p2`.
#[allow(clippy::type_complexity)]
pub fn grad_p2_r_vjp(
    p1: [f64; 2],
    p2: [f64; 2],
    seed: [f64; 2],
) -> ([f64; 2], ([f64; 2], [f64; 2])) {
    let (g, hv) = hvp(p1, p2, [0.0, 0.0, seed[0], seed[1]]);
    ([g[2], g[3]], ([hv[0], hv[1]], [hv[2], hv[3]]))
}

/// Tangent rule of [`grad_p2_f`]: its value by forward mode, the tangent by `objective_hvp`.
pub fn grad_p2_f_tangent(
    p1: [f64; 2],
    dp1: [f64; 2],
    p2: [f64; 2],
    dp2: [f64; 2],
) -> ([f64; 2], [f64; 2]) {
    let (_, hv) = hvp(p1, p2, [dp1[0], dp1[1], dp2[0], dp2[1]]);
    (grad_p2_f(p1, p2), [hv[2], hv[3]])
}

/// Reverse rule of [`grad_p2_f`]: its value by forward mode, the adjoints `H·(0, seed)`.
#[allow(clippy::type_complexity)]
pub fn grad_p2_f_vjp(
    p1: [f64; 2],
    p2: [f64; 2],
    seed: [f64; 2],
) -> ([f64; 2], ([f64; 2], [f64; 2])) {
    let (_, hv) = hvp(p1, p2, [0.0, 0.0, seed[0], seed[1]]);
    (grad_p2_f(p1, p2), ([hv[0], hv[1]], [hv[2], hv[3]]))
}

/// gd.hpp's `magnitude` of a 2-vector.
#[derive_tangent]
#[derive_grad]
pub fn magnitude(v: [f64; 2]) -> f64 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
}

/// gd.hpp's `vector_dist` of two 2-vectors.
#[derive_tangent]
#[derive_grad]
pub fn vector_dist(u: [f64; 2], v: [f64; 2]) -> f64 {
    ((u[0] - v[0]) * (u[0] - v[0]) + (u[1] - v[1]) * (u[1] - v[1])).sqrt()
}

/// `max_p2 f(p1, p2)` by gd.hpp's descent on `-f` from `start`, the inner gradient by
/// reverse mode ([`grad_p2_r`]).
#[derive_tangent(wrt(p1))]
#[derive_grad(wrt(p1))]
pub fn max_primal_r(p1: [f64; 2], start: [f64; 2]) -> f64 {
    let mut x = [start[0], start[1]];
    let mut fx = -objective([p1[0], p1[1], x[0], x[1]]);
    let g = grad_p2_r(p1, x);
    let mut gx = [-g[0], -g[1]];
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if magnitude(gx) <= 1e-5 {
            // gap: gd.hpp's `return x;` inside `while (true)`: `return` inside `loop` does not
            // compile, and `let xmax = loop { .. break x; .. }` with an array `x` is refused
            // where `xmax` is indexed; so break and read `x` after the loop.
            break;
        } else if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let x_prime = [x[0] - eta * gx[0], x[1] - eta * gx[1]];
            if vector_dist(x, x_prime) <= 1e-5 {
                break;
            }
            let fx_prime = -objective([p1[0], p1[1], x_prime[0], x_prime[1]]);
            if fx_prime < fx {
                // gap: `x = x_prime;` and `gx = [-g[0], -g[1]];` are refused in this `if`
                // with an `else` (whole-array assignment inside a branch; without an `else`
                // it is accepted), so the elements are assigned.
                x[0] = x_prime[0];
                x[1] = x_prime[1];
                fx = fx_prime;
                let g = grad_p2_r(p1, x);
                gx[0] = -g[0];
                gx[1] = -g[1];
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
    objective([p1[0], p1[1], x[0], x[1]])
}

/// `max_p2 f(p1, p2)` as [`max_primal_r`], the inner gradient by forward mode ([`grad_p2_f`]).
#[derive_tangent(wrt(p1))]
#[derive_grad(wrt(p1))]
pub fn max_primal_f(p1: [f64; 2], start: [f64; 2]) -> f64 {
    let mut x = [start[0], start[1]];
    let mut fx = -objective([p1[0], p1[1], x[0], x[1]]);
    let g = grad_p2_f(p1, x);
    let mut gx = [-g[0], -g[1]];
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if magnitude(gx) <= 1e-5 {
            // gap: `return x;` / `break x;` (see `max_primal_r`): break, read `x` after.
            break;
        } else if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let x_prime = [x[0] - eta * gx[0], x[1] - eta * gx[1]];
            if vector_dist(x, x_prime) <= 1e-5 {
                break;
            }
            let fx_prime = -objective([p1[0], p1[1], x_prime[0], x_prime[1]]);
            if fx_prime < fx {
                // gap: `x = x_prime;` and `gx = [-g[0], -g[1]];` are refused in this `if`
                // with an `else` (whole-array assignment inside a branch; without an `else`
                // it is accepted), so the elements are assigned.
                x[0] = x_prime[0];
                x[1] = x_prime[1];
                fx = fx_prime;
                let g = grad_p2_f(p1, x);
                gx[0] = -g[0];
                gx[1] = -g[1];
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
    objective([p1[0], p1[1], x[0], x[1]])
}

/// The derivative of `max_p2 f(p1, ·)` with respect to `p1` for a variant (outer mode, then
/// inner mode).
pub fn derivative(variant: &str, p1: [f64; 2], start: [f64; 2]) -> Option<[f64; 2]> {
    Some(match variant {
        "rr" => max_primal_r_grad(p1, start).1,
        "rf" => max_primal_f_grad(p1, start).1,
        "fr" => [
            max_primal_r_tangent(p1, [1.0, 0.0], start).1,
            max_primal_r_tangent(p1, [0.0, 1.0], start).1,
        ],
        "ff" => [
            max_primal_f_tangent(p1, [1.0, 0.0], start).1,
            max_primal_f_tangent(p1, [0.0, 1.0], start).1,
        ],
        _ => return None,
    })
}

/// The saddle point from `start` for a variant: `[p1x, p1y, p2x, p2y]`.
pub fn solve(variant: &str, start: [f64; 2]) -> [f64; 4] {
    let inner_reverse = variant.ends_with('r');
    let r1 = multivariate_argmin(
        |p: &[f64]| {
            if inner_reverse {
                max_primal_r([p[0], p[1]], start)
            } else {
                max_primal_f([p[0], p[1]], start)
            }
        },
        |p: &[f64]| {
            derivative(variant, [p[0], p[1]], start)
                .unwrap_or([f64::NAN; 2])
                .to_vec()
        },
        &start,
    );
    let p1 = [r1[0], r1[1]];
    let outer_reverse = variant.starts_with('r');
    let r2 = multivariate_argmax(
        |p: &[f64]| objective([p1[0], p1[1], p[0], p[1]]),
        |p: &[f64]| {
            if outer_reverse {
                grad_p2_r(p1, [p[0], p[1]]).to_vec()
            } else {
                grad_p2_f(p1, [p[0], p[1]]).to_vec()
            }
        },
        &start,
    );
    [r1[0], r1[1], r2[0], r2[1]]
}

/// The eval's input: the starting point of every descent.
#[derive(Deserialize)]
pub struct Input {
    /// The start, for `p1` and `p2` alike.
    pub start: [f64; 2],
}

/// Runs a variant (`rr`, `rf`, `fr`, `ff`) from the input's start.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    if !["rr", "rf", "fr", "ff"].contains(&function) {
        return Err(format!("saddle has no function `{function}`"));
    }
    let (out, nanoseconds) = measure(runs, || solve(function, input.start));
    Ok(Timed {
        output: out.to_vec().into(),
        nanoseconds,
    })
}
