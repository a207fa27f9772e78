//! `lse`: LogSumExp, `log sum_i exp(x_i)` computed stably as `A + log sum_i exp(x_i - A)` with
//! `A = max_i x_i`, and its gradient (the softmax of `x`).
//!
//! [`primal`] is the C++ reference's generic `primal` (`cpp/gradbench/evals/lse.hpp`): a loop
//! taking the maximum, a loop summing the shifted exponentials. `#[derive_grad]` writes
//! `primal_grad` (reverse mode, one pass), which answers `gradient`; `#[derive_tangent]`
//! writes `primal_tangent`, used by the tests to check reverse mode against forward mode.
//!
//! The maximum carries no derivative in the exact result (`A` cancels), but it is
//! differentiated like any other value: its adjoint, `1 - sum_i softmax_i`, is zero up to
//! rounding, so the gradient is the softmax to rounding.

// Index loops over a flat slice, as the C++ reference writes them.
#![allow(clippy::needless_range_loop)]

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::{Value, json};

/// The eval's input (the `Runs` fields are read by the protocol).
#[derive(Deserialize)]
pub struct Input {
    /// The vector.
    pub x: Vec<f64>,
}

/// LogSumExp of the first `n` entries of `x`.
#[derive_tangent]
#[derive_grad]
pub fn primal(n: usize, x: &[f64]) -> f64 {
    let mut a = x[0];
    for i in 1..n {
        a = a.max(x[i]);
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (x[i] - a).exp();
    }
    s.ln() + a
}

/// The gradient of [`primal`] at `x`, from `primal_grad`.
pub fn gradient(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    primal_grad(x.len(), x, &mut g);
    g
}

/// Runs `primal` or `gradient`.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    let x = &input.x;
    if x.is_empty() {
        return Err("lse needs at least one entry".into());
    }
    let (output, nanoseconds) = match function {
        "primal" => {
            let (v, ns) = measure(runs, || primal(x.len(), x));
            (json!(v), ns)
        }
        "gradient" => {
            let (g, ns) = measure(runs, || gradient(x));
            (json!(g), ns)
        }
        _ => return Err(format!("lse has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
