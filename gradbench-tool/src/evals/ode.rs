//! `ode`: cmpad's `an_ode`, the ODE `y_0' = x_0`, `y_i' = x_i y_{i-1}` (`i > 0`), `y(0) = 0`,
//! integrated over `[0, 2]` by `s` steps of the classical fourth-order Runge-Kutta method.
//!
//! `primal` writes `y(2)` into its `&mut [f64]` output as the C++ reference does (a loop over
//! the steps; per step four calls of the right-hand side [`ode_fun`] and the stage loops over
//! flat vectors `k1 .. k4`, `y_tmp`). `gradient` is the gradient of the last output `y_{n-1}(2)`
//! with respect to `x`: one reverse pass, `primal_vjp` written by `#[derive_grad]`, with the seed
//! `e_{n-1}` in the output's shadow. `primal_tangent` (`#[derive_tangent]`) is used by the tests
//! only, to check reverse mode against forward mode.

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{derive_grad, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// The eval's input: the coefficients `x` (length `n`) and the number of Runge-Kutta steps `s`.
#[derive(Deserialize)]
pub struct Input {
    /// The ODE's coefficients.
    pub x: Vec<f64>,
    /// The number of steps.
    pub s: usize,
}

/// The right-hand side: `z_0 = x_0`, `z_i = x_i y_{i-1}`.
#[derive_tangent]
#[derive_grad]
pub fn ode_fun(n: usize, x: &[f64], y: &[f64], z: &mut [f64]) {
    z[0] = x[0];
    for i in 1..n {
        z[i] = x[i] * y[i - 1];
    }
}

/// `y(2)` for the coefficients `xi`, by `s` Runge-Kutta steps from `y(0) = 0`, written into
/// `yf` (length `n`).
#[derive_tangent]
#[derive_grad]
pub fn primal(n: usize, xi: &[f64], s: usize, yf: &mut [f64]) {
    let tf = 2.0;
    let h = tf / s as f64;
    let mut k1 = vec![0.0; n];
    let mut k2 = vec![0.0; n];
    let mut k3 = vec![0.0; n];
    let mut k4 = vec![0.0; n];
    let mut y_tmp = vec![0.0; n];
    yf.fill(0.0);

    for _i_step in 0..s {
        ode_fun(n, xi, yf, &mut k1);

        for i in 0..n {
            y_tmp[i] = yf[i] + h * k1[i] / 2.0;
        }
        ode_fun(n, xi, &y_tmp, &mut k2);

        for i in 0..n {
            y_tmp[i] = yf[i] + h * k2[i] / 2.0;
        }
        ode_fun(n, xi, &y_tmp, &mut k3);

        for i in 0..n {
            y_tmp[i] = yf[i] + h * k3[i];
        }
        ode_fun(n, xi, &y_tmp, &mut k4);

        for i in 0..n {
            yf[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0;
        }
    }
}

/// `y(2)` for the coefficients `x` by `s` steps (the eval's `primal`).
pub fn solve(x: &[f64], s: usize) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    primal(x.len(), x, s, &mut y);
    y
}

/// The gradient of `y_{n-1}(2)` with respect to `x`, from `primal_vjp`.
pub fn gradient(x: &[f64], s: usize) -> Vec<f64> {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut y = vec![0.0; n];
    let mut y_bar = vec![0.0; n];
    y_bar[n - 1] = 1.0;
    primal_vjp(n, x, &mut g, s, &mut y, &mut y_bar);
    g
}

/// Runs `primal` or `gradient` on an [`Input`].
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    let (s, x) = (input.s, &input.x[..]);
    if x.is_empty() {
        return Err("ode: x is empty".into());
    }
    let (output, nanoseconds) = match function {
        "primal" => measure(runs, || solve(x, s)),
        "gradient" => measure(runs, || gradient(x, s)),
        _ => return Err(format!("ode has no function `{function}`")),
    };
    Ok(Timed {
        output: output.into(),
        nanoseconds,
    })
}
