//! `gmm`: the log posterior of a Gaussian mixture model with a Wishart prior on the precision
//! matrices (ADBench's GMM objective as GradBench fixes it), and its gradient.
//!
//! [`objective`] is written as GradBench's C++ reference (`cpp/gradbench/evals/gmm.hpp`) is:
//! flat row-major slices, the helpers `arr_max`, `logsumexp`, `subtract`, `sqnorm`, `qtimesx`
//! and `log_wishart_prior`, the scratch vectors `qdiags`, `sum_qs`, `xcentered`,
//! `qxcentered` and `main_term` made once before the loops. Every helper over differentiated
//! values carries `#[derive_grad]`, so the objective's reverse pass calls theirs.
//!
//! - `objective`: the primal.
//! - `jacobian`: `objective_grad`, written by `#[derive_grad(wrt(alpha, mu, q, l))]` (reverse
//!   mode, one pass; the data `x` is constant), converted to the nested JSON shape of the
//!   reference (`alpha`, `mu[k][d]`, `q[k][d]`, `l[k][d(d-1)/2]`).
//!
//! `qtimesx` counts its way through the packed lower triangle with `Lparamsidx++` across its two
//! loops, as the C++ does: the inner loop's reverse sweep runs in order and computes the counter
//! again, so reverse mode stores it once per row only. No construct of the reference was
//! refused by the macro.
//!
//! `log_gamma_distrib` is a constant of the input (it depends on `d` and `m` only) and is
//! computed outside the differentiated code; Rust's std has no stable `lgamma`, and the
//! argument is always a positive multiple of 1/2, so [`ln_gamma_half`] computes it exactly by
//! the recurrence `Γ(x + 1) = x Γ(x)` from `Γ(1) = 1` and `Γ(1/2) = √π`.

// Index loops over flat slices, as the C++ reference writes them.
#![allow(clippy::needless_range_loop)]

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::derive_grad;
use serde::Deserialize;
use serde_json::{Value, json};

/// The eval's input (the `Runs` fields are read by the protocol).
#[derive(Deserialize)]
pub struct Input {
    /// Dimension of the space.
    pub d: usize,
    /// Number of mixture components.
    pub k: usize,
    /// Number of points.
    pub n: usize,
    /// Weight parametrisation, `k` floats.
    pub alpha: Vec<f64>,
    /// Means, `k` rows of `d`.
    pub mu: Vec<Vec<f64>>,
    /// Logarithms of the diagonals of the precision factors, `k` rows of `d`.
    pub q: Vec<Vec<f64>>,
    /// Strictly lower triangular parts of the precision factors, `k` rows of `d(d-1)/2`.
    pub l: Vec<Vec<f64>>,
    /// Data points, `n` rows of `d`.
    pub x: Vec<Vec<f64>>,
    /// Additional degrees of freedom of the Wishart prior.
    pub m: i64,
    /// Precision of the Wishart prior.
    pub gamma: f64,
}

/// The largest of the first `n` entries of `x` (the C++ `arr_max`).
#[derive_grad]
pub fn arr_max(n: usize, x: &[f64]) -> f64 {
    let mut m = x[0];
    for i in 1..n {
        m = m.max(x[i]);
    }
    m
}

/// `log(sum_i exp(x_i))` over the first `n` entries, stabilised by the maximum.
#[derive_grad]
pub fn logsumexp(n: usize, x: &[f64]) -> f64 {
    let mx = arr_max(n, x);
    let mut semx = 0.0;
    for i in 0..n {
        semx += (x[i] - mx).exp();
    }
    semx.ln() + mx
}

/// The squared Euclidean norm of the first `n` entries of `x`.
#[derive_grad]
pub fn sqnorm(n: usize, x: &[f64]) -> f64 {
    let mut res = x[0] * x[0];
    for i in 1..n {
        res += x[i] * x[i];
    }
    res
}

/// `out = x - y` over the first `d` entries.
#[derive_grad]
pub fn subtract(d: usize, x: &[f64], y: &[f64], out: &mut [f64]) {
    for id in 0..d {
        out[id] = x[id] - y[id];
    }
}

/// `out = Q x` for the lower triangular `Q` with diagonal `qdiag` and strictly lower part
/// `ltri` stored column by column.
#[derive_grad]
pub fn qtimesx(d: usize, qdiag: &[f64], ltri: &[f64], x: &[f64], out: &mut [f64]) {
    for id in 0..d {
        out[id] = qdiag[id] * x[id];
    }
    let mut lparamsidx = 0;
    for i in 0..d {
        for j in (i + 1)..d {
            out[j] += ltri[lparamsidx] * x[i];
            lparamsidx += 1;
        }
    }
}

/// The log of the Wishart prior over the `k` precision matrices, less its constant
/// `k * c` (added here as the given `c`).
#[allow(clippy::too_many_arguments)]
#[derive_grad]
pub fn log_wishart_prior(
    d: usize,
    k: usize,
    gamma: f64,
    m: f64,
    c: f64,
    sum_qs: &[f64],
    qdiags: &[f64],
    l: &[f64],
) -> f64 {
    let l_sz = d * (d - 1) / 2;
    let mut out = 0.0;
    for ik in 0..k {
        let frobenius =
            sqnorm(d, &qdiags[ik * d..(ik + 1) * d]) + sqnorm(l_sz, &l[ik * l_sz..(ik + 1) * l_sz]);
        out += 0.5 * gamma * gamma * frobenius - m * sum_qs[ik];
    }
    -out + k as f64 * c
}

/// `ln Γ(a)` for `a` a positive multiple of 1/2, exactly (to rounding) by the recurrence.
pub fn ln_gamma_half(a: f64) -> f64 {
    let (mut x, mut out) = if (a * 2.0).round() as i64 % 2 == 0 {
        (1.0, 0.0)
    } else {
        (0.5, 0.5 * std::f64::consts::PI.ln())
    };
    while x < a - 0.25 {
        out += x.ln();
        x += 1.0;
    }
    out
}

/// The log of the multivariate gamma function `Γ_p(a)` (the C++ `log_gamma_distrib`).
pub fn log_gamma_distrib(a: f64, p: usize) -> f64 {
    let pf = p as f64;
    let mut out = 0.25 * pf * (pf - 1.0) * std::f64::consts::PI.ln();
    for j in 1..=p {
        out += ln_gamma_half(a + 0.5 * (1.0 - j as f64));
    }
    out
}

/// The constant per component of the log Wishart prior: `n d (log γ - log 2 / 2) - log Γ_d(n/2)`
/// with `n = d + m + 1`.
pub fn wishart_constant(d: usize, m: i64, gamma: f64) -> f64 {
    let n = d as i64 + m + 1;
    (n * d as i64) as f64 * (gamma.ln() - 0.5 * 2f64.ln()) - log_gamma_distrib(0.5 * n as f64, d)
}

/// The log posterior. `alpha` has `k` entries, `mu` and `q` `k * d`, `l` `k * d(d-1)/2`, `x`
/// `n * d`, all row-major; `c` is [`wishart_constant`].
#[allow(clippy::too_many_arguments)]
#[derive_grad(wrt(alpha, mu, q, l))]
pub fn objective(
    d: usize,
    k: usize,
    n: usize,
    alpha: &[f64],
    mu: &[f64],
    q: &[f64],
    l: &[f64],
    x: &[f64],
    gamma: f64,
    m: f64,
    c: f64,
) -> f64 {
    let constant = -(n as f64) * d as f64 * 0.5 * (2.0 * std::f64::consts::PI).ln();
    let l_sz = d * (d - 1) / 2;

    let mut qdiags = vec![0.0; d * k];
    let mut sum_qs = vec![0.0; k];
    for i in 0..d * k {
        qdiags[i] = q[i].exp();
    }
    for i in 0..k {
        for j in 0..d {
            sum_qs[i] += q[i * d + j];
        }
    }

    let mut xcentered = vec![0.0; d];
    let mut qxcentered = vec![0.0; d];
    let mut main_term = vec![0.0; k];
    let mut slse = 0.0;
    for ix in 0..n {
        for ik in 0..k {
            subtract(
                d,
                &x[ix * d..(ix + 1) * d],
                &mu[ik * d..(ik + 1) * d],
                &mut xcentered,
            );
            qtimesx(
                d,
                &qdiags[ik * d..(ik + 1) * d],
                &l[ik * l_sz..(ik + 1) * l_sz],
                &xcentered,
                &mut qxcentered,
            );
            main_term[ik] = alpha[ik] + sum_qs[ik] - 0.5 * sqnorm(d, &qxcentered);
        }
        slse += logsumexp(k, &main_term);
    }

    let lse_alpha = logsumexp(k, alpha);
    let err = constant + slse - n as f64 * lse_alpha;
    err + log_wishart_prior(d, k, gamma, m, c, &sum_qs, &qdiags, l)
}

/// The input flattened as the C++ reference flattens it.
pub struct Flat {
    /// Dimension.
    pub d: usize,
    /// Components.
    pub k: usize,
    /// Points.
    pub n: usize,
    /// `k` weights.
    pub alpha: Vec<f64>,
    /// `k * d` means.
    pub mu: Vec<f64>,
    /// `k * d` log diagonals.
    pub q: Vec<f64>,
    /// `k * d(d-1)/2` lower parts.
    pub l: Vec<f64>,
    /// `n * d` points.
    pub x: Vec<f64>,
    /// Wishart precision.
    pub gamma: f64,
    /// Wishart extra degrees of freedom, as a float.
    pub m: f64,
    /// [`wishart_constant`].
    pub c: f64,
}

impl Flat {
    /// Flattens an input.
    pub fn new(input: Input) -> Flat {
        Flat {
            d: input.d,
            k: input.k,
            n: input.n,
            c: wishart_constant(input.d, input.m, input.gamma),
            alpha: input.alpha,
            mu: input.mu.concat(),
            q: input.q.concat(),
            l: input.l.concat(),
            x: input.x.concat(),
            gamma: input.gamma,
            m: input.m as f64,
        }
    }

    /// The objective.
    pub fn objective(&self) -> f64 {
        objective(
            self.d,
            self.k,
            self.n,
            &self.alpha,
            &self.mu,
            &self.q,
            &self.l,
            &self.x,
            self.gamma,
            self.m,
            self.c,
        )
    }

    /// The gradient with respect to `(alpha, mu, q, l)`, flat, and the objective.
    pub fn gradient(&self) -> (f64, [Vec<f64>; 4]) {
        let mut g = [
            vec![0.0; self.alpha.len()],
            vec![0.0; self.mu.len()],
            vec![0.0; self.q.len()],
            vec![0.0; self.l.len()],
        ];
        let [ga, gm, gq, gl] = &mut g;
        let value = objective_grad(
            self.d,
            self.k,
            self.n,
            &self.alpha,
            ga,
            &self.mu,
            gm,
            &self.q,
            gq,
            &self.l,
            gl,
            &self.x,
            self.gamma,
            self.m,
            self.c,
        );
        (value, g)
    }
}

/// Splits a flat vector into rows of `width` (no rows of width 0 get lost: `k` rows always).
fn rows(v: &[f64], k: usize, width: usize) -> Vec<Vec<f64>> {
    (0..k)
        .map(|i| v[i * width..(i + 1) * width].to_vec())
        .collect()
}

/// Runs `objective` or `jacobian`.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let flat = Flat::new(parse(input)?);
    let (output, nanoseconds) = match function {
        "objective" => {
            let (v, ns) = measure(runs, || flat.objective());
            (json!(v), ns)
        }
        "jacobian" => {
            let ((_, [ga, gm, gq, gl]), ns) = measure(runs, || flat.gradient());
            let (d, k) = (flat.d, flat.k);
            let l_sz = d * (d - 1) / 2;
            let out = json!({
                "alpha": ga,
                "mu": rows(&gm, k, d),
                "q": rows(&gq, k, d),
                "l": rows(&gl, k, l_sz),
            });
            (out, ns)
        }
        _ => return Err(format!("gmm has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
