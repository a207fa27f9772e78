//! `saddle`: Pearlmutter and Siskind's saddle point, `min_p1 max_p2 f(p1, p2)` by nested
//! gradient descent.
//!
//! `f(p1, p2) = (p1x² + p1y²) - (p2x² + p2y²)` is [`objective`]. [`max_primal`] runs
//! GradBench's gradient descent (`gd.hpp`'s `multivariate_max`, written out in the function as
//! the argmin of `-f`) over `p2` from the start point with the inner gradient `∇_p2 f`, and
//! returns `f` at the maximum. Step 1 minimises that over `p1` with its derivative with respect
//! to `p1` (the outer derivative, through the whole inner descent); step 2 maximises `f(p1, ·)`
//! at the `p1` found. The output is `[p1x, p1y, p2x, p2y]`.
//!
//! Only `fr` is offered: the outer derivative (step 1's argmin) by forward mode over an inner
//! gradient (the argmax) by reverse mode. Each piece is written by our macros (the scheme of
//! `particle`):
//!
//! - [`objective`] carries `#[derive_grad(hessian)]` (→ `objective_grad`, `objective_hvp`) and
//!   `#[derive_tangent]` (→ `objective_tangent`, for step 2 only). It takes
//!   `[p1x, p1y, p2x, p2y]` as one array, not four floats as in the C++ reference, because
//!   `hessian` differentiated one parameter when this was written (it takes several now).
//! - The inner derivative `∇_p2 f` is [`grad_p2`], from `objective_grad` (reverse mode).
//! - A generated `_grad` cannot be called from inside another annotated function (a known
//!   gap), so [`grad_p2`] is a plain function with a user tangent rule (`#[custom_tangent]`,
//!   [`grad_p2_tangent`]) whose body calls only `objective_hvp` (forward over reverse) and picks
//!   entries of its result: the gradient and `H·(dp1, dp2)`. No derivative arithmetic is
//!   written by hand.
//! - The outer derivative: [`max_primal`] carries `#[derive_tangent(wrt(p1))]`; `fr`'s
//!   gradient is two `max_primal_tangent` passes, forward through the whole inner descent.
//! - Step 2 takes `∇_p2 f` by forward mode (two `objective_tangent` passes), since GradBench's
//!   README asks step 2 to use step 1's argmin mode. (Enzyme's and Haskell's tools use the inner
//!   mode there instead, Futhark's the outer one; the gradient is exact either way.)
//!
//! For the tests only, [`max_primal`] also carries `#[derive_grad(wrt(p1))]` and [`grad_p2`] a
//! reverse rule (`#[custom_grad]`, [`grad_p2_vjp`]: `Hᵀ·(0, seed) = H·(0, seed)` by
//! `objective_hvp`, the Hessian being symmetric), so that the outer forward derivative can be
//! checked against a reverse one. The tool never runs them: that pair is forward over reverse
//! for the second-order link and so is not a reverse-over-reverse `rr`.
//!
//! `rr`, `rf` and `ff` answer an error (`success: false`): they need reverse over reverse,
//! reverse over forward and forward over forward, while our macros write second derivatives
//! only as forward over reverse (`_hvp`), and a generated `_grad` / `_tangent` cannot be called
//! inside an annotated function. Offering them with `objective_hvp` as the link would give the
//! right numbers under the wrong name.
//!
//! Rewrites (`// gap:` below): `x = x_prime;` and `gx = ..;` in the descent's `if` / `else`
//! are written element by element (whole-array assignment inside a branch is refused).
//! gd.hpp's `return x` inside `while (true)`, followed by `multivariate_max`'s `objective` at
//! that point, is `return objective(..x..)` inside the `loop`. gd.hpp's solver is a template
//! over a function object; the descent is written out in `max_primal` (a closure or function
//! passed as a value cannot be differentiated).

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
#[custom_tangent(grad_p2_tangent)]
#[custom_grad(grad_p2_vjp)]
pub fn grad_p2(p1: [f64; 2], p2: [f64; 2]) -> [f64; 2] {
    let (_, g) = objective_grad([p1[0], p1[1], p2[0], p2[1]]);
    [g[2], g[3]]
}

/// `objective_hvp` at `(p1, p2)` along `v`: the (reverse-mode) gradient and `H·v`.
fn hvp(p1: [f64; 2], p2: [f64; 2], v: [f64; 4]) -> ([f64; 4], [f64; 4]) {
    let (_, g, hv) = objective_hvp([p1[0], p1[1], p2[0], p2[1]], v);
    (g, hv)
}

/// Tangent rule of [`grad_p2`]: the p2 entries of the gradient and of `H·(dp1, dp2)`.
pub fn grad_p2_tangent(
    p1: [f64; 2],
    dp1: [f64; 2],
    p2: [f64; 2],
    dp2: [f64; 2],
) -> ([f64; 2], [f64; 2]) {
    let (g, hv) = hvp(p1, p2, [dp1[0], dp1[1], dp2[0], dp2[1]]);
    ([g[2], g[3]], [hv[2], hv[3]])
}

/// Reverse rule of [`grad_p2`], for the tests' forward-against-reverse check of the outer
/// derivative: `H·(0, seed)`, split into the adjoints of `p1` and `p2`.
#[allow(clippy::type_complexity)]
pub fn grad_p2_vjp(p1: [f64; 2], p2: [f64; 2], seed: [f64; 2]) -> ([f64; 2], ([f64; 2], [f64; 2])) {
    let (g, hv) = hvp(p1, p2, [0.0, 0.0, seed[0], seed[1]]);
    ([g[2], g[3]], ([hv[0], hv[1]], [hv[2], hv[3]]))
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

/// `max_p2 f(p1, p2)` by gd.hpp's descent on `-f` from `start`, the inner gradient by reverse
/// mode ([`grad_p2`]). `max_primal_tangent` is `fr`'s outer derivative; `max_primal_grad` is
/// only for the tests (see the module doc).
#[derive_tangent(wrt(p1))]
#[derive_grad(wrt(p1))]
pub fn max_primal(p1: [f64; 2], start: [f64; 2]) -> f64 {
    let mut x = [start[0], start[1]];
    let mut fx = -objective([p1[0], p1[1], x[0], x[1]]);
    let g = grad_p2(p1, x);
    let mut gx = [-g[0], -g[1]];
    let mut i = 0;
    let mut eta = 1e-5;
    loop {
        if magnitude(gx) <= 1e-5 {
            return objective([p1[0], p1[1], x[0], x[1]]);
        } else if i == 10 {
            eta *= 2.0;
            i = 0;
        } else {
            let x_prime = [x[0] - eta * gx[0], x[1] - eta * gx[1]];
            if vector_dist(x, x_prime) <= 1e-5 {
                return objective([p1[0], p1[1], x[0], x[1]]);
            }
            let fx_prime = -objective([p1[0], p1[1], x_prime[0], x_prime[1]]);
            if fx_prime < fx {
                // gap: `x = x_prime;` and `gx = [-g[0], -g[1]];` are refused in this `if`
                // with an `else` (whole-array assignment inside a branch; without an `else`
                // it is accepted), so the elements are assigned.
                x[0] = x_prime[0];
                x[1] = x_prime[1];
                fx = fx_prime;
                let g = grad_p2(p1, x);
                gx[0] = -g[0];
                gx[1] = -g[1];
                i += 1;
            } else {
                eta /= 2.0;
                i = 0;
            }
        }
    }
}

/// `fr`'s derivative of `max_p2 f(p1, ·)` with respect to `p1`: two `max_primal_tangent`
/// passes.
pub fn fr_derivative(p1: [f64; 2], start: [f64; 2]) -> [f64; 2] {
    [
        max_primal_tangent(p1, [1.0, 0.0], start).1,
        max_primal_tangent(p1, [0.0, 1.0], start).1,
    ]
}

/// `∇_p2 f(p1, p2)` for step 2 by forward mode: two `objective_tangent` passes.
fn step2_gradient(p1: [f64; 2], p2: [f64; 2]) -> [f64; 2] {
    let z = [p1[0], p1[1], p2[0], p2[1]];
    [
        objective_tangent(z, [0.0, 0.0, 1.0, 0.0]).1,
        objective_tangent(z, [0.0, 0.0, 0.0, 1.0]).1,
    ]
}

/// `fr`: the saddle point from `start`, `[p1x, p1y, p2x, p2y]`.
pub fn solve_fr(start: [f64; 2]) -> [f64; 4] {
    let r1 = multivariate_argmin(
        |p: &[f64]| max_primal([p[0], p[1]], start),
        |p: &[f64]| fr_derivative([p[0], p[1]], start).to_vec(),
        &start,
    );
    let p1 = [r1[0], r1[1]];
    let r2 = multivariate_argmax(
        |p: &[f64]| objective([p1[0], p1[1], p[0], p[1]]),
        |p: &[f64]| step2_gradient(p1, [p[0], p[1]]).to_vec(),
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

/// Runs `fr` from the input's start; `rr`, `rf` and `ff` answer an error saying why they are
/// not offered ([`super::not_offered`]).
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    if let Some(why) = super::not_offered("saddle", function) {
        return Err(why);
    }
    if function != "fr" {
        return Err(format!("saddle has no function `{function}`"));
    }
    let input: Input = parse(input)?;
    let (out, nanoseconds) = measure(runs, || solve_fr(input.start));
    Ok(Timed {
        output: out.to_vec().into(),
        nanoseconds,
    })
}
