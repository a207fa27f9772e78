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
