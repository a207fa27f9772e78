//! `llsq`: the linear least-squares objective of cmpad's `llsq_obj`,
//!
//! `y(x) = 1/2 sum_{i<n} (s_i - x_0 - x_1 t_i - .. - x_{m-1} t_i^{m-1})^2`, with
//! `t_i = -1 + 2 i / (n - 1)` and `s_i = sign(t_i)`.
//!
//! `primal` computes `y(x)` as the C++ reference does (a loop over the `n` points with an inner
//! Horner-free loop over the `m` coefficients); `gradient` is `primal_grad`, written by
//! `#[derive_grad(wrt(x))]` (reverse mode). `primal_tangent` (`#[derive_tangent]`) is used by the
//! tests only, to check reverse mode against forward mode.

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// The eval's input: the coefficients `x` (length `m`) and the number of points `n`.
#[derive(Deserialize)]
pub struct Input {
    /// The polynomial's coefficients.
    pub x: Vec<f64>,
    /// The number of points `t_i`.
    pub n: usize,
}

/// The `i`-th of `n` points spread evenly over `[-1, 1]`.
pub fn t(i: f64, n: f64) -> f64 {
    -1.0 + i * 2.0 / (n - 1.0)
}

/// The sign of `ti` (`0` at `0`), as the reference's `s`.
pub fn s(ti: f64) -> f64 {
    ((0.0 < ti) as i32 - (ti < 0.0) as i32) as f64
}

/// The objective `y(x)` over `n` points, for the `m` coefficients in `x`.
// The loops are the reference's, indices and all.
#[allow(clippy::needless_range_loop)]
#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
pub fn primal(n: usize, m: usize, x: &[f64]) -> f64 {
    let mut sum = 0.0;
    for i in 0..n {
        let ti = t(i as f64, n as f64);
        let mut inner_sum = s(ti);
        let mut mul = 1.0;
        for j in 0..m {
            inner_sum -= x[j] * mul;
            mul *= ti;
        }
        sum += inner_sum * inner_sum;
    }
    sum / 2.0
}

/// The gradient of [`primal`] with respect to `x`, from `primal_grad`.
pub fn gradient(n: usize, x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    primal_grad(n, x.len(), x, &mut g);
    g
}

/// Runs `primal` or `gradient` on an [`Input`].
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    let (n, x) = (input.n, &input.x[..]);
    let (output, nanoseconds) = match function {
        "primal" => {
            let (y, ns) = measure(runs, || primal(n, x.len(), x));
            (Value::from(y), ns)
        }
        "gradient" => {
            let (g, ns) = measure(runs, || gradient(n, x));
            (Value::from(g), ns)
        }
        _ => return Err(format!("llsq has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
