//! gmm: the objective against a direct evaluation of the log posterior's definition, the
//! generated gradient against central finite differences, and the protocol's JSON shape.

#![allow(clippy::needless_range_loop)]

use ad_gradbench::evals::gmm::{Flat, Input, log_gamma_distrib, run};
use ad_gradbench::protocol::Runs;
use approx::assert_abs_diff_eq;
use serde_json::{Value, json};

/// A small deterministic input: d = 3, k = 4, n = 6.
fn input(m: i64, gamma: f64) -> Value {
    let (d, k, n) = (3usize, 4usize, 6usize);
    let mut s = 0.3f64;
    let mut next = || {
        s = (s * 7.31 + 0.17).fract();
        s * 2.0 - 1.0
    };
    let mut rows = |r: usize, c: usize| -> Vec<Vec<f64>> {
        (0..r).map(|_| (0..c).map(|_| next()).collect()).collect()
    };
    let x = rows(n, d);
    let alpha: Vec<f64> = rows(1, k).remove(0);
    let mu = rows(k, d);
    let q = rows(k, d);
    let l = rows(k, d * (d - 1) / 2);
    json!({"d": d, "k": k, "n": n, "x": x, "alpha": alpha, "mu": mu, "q": q, "l": l,
           "m": m, "gamma": gamma})
}

fn flat(v: &Value) -> Flat {
    Flat::new(serde_json::from_value::<Input>(v.clone()).unwrap())
}

/// The log posterior straight from its definition: Q_k, the Gaussian densities through
/// `Q_k (x - mu_k)`, the Wishart prior through `tr(V^-1 Q^T Q)` and `det(Q^T Q)`.
fn naive(f: &Flat) -> f64 {
    let (d, k, n) = (f.d, f.k, f.n);
    let l_sz = d * (d - 1) / 2;
    let pi2 = 2.0 * std::f64::consts::PI;
    let qmat = |c: usize| {
        let mut qm = vec![vec![0.0; d]; d];
        let mut ii = 0;
        for j in 0..d {
            qm[j][j] = f.q[c * d + j].exp();
            for i in (j + 1)..d {
                qm[i][j] = f.l[c * l_sz + ii];
                ii += 1;
            }
        }
        qm
    };
    let zsum: f64 = f.alpha.iter().map(|a| a.exp()).sum();
    let mut loglik = 0.0;
    for i in 0..n {
        let mut p = 0.0;
        for c in 0..k {
            let qm = qmat(c);
            let mut sq = 0.0;
            let mut det = 1.0;
            for r in 0..d {
                let mut y = 0.0;
                for s in 0..d {
                    y += qm[r][s] * (f.x[i * d + s] - f.mu[c * d + s]);
                }
                sq += y * y;
                det *= qm[r][r];
            }
            let phi = f.alpha[c].exp() / zsum;
            p += phi * (-0.5 * sq).exp() * det / pi2.powf(d as f64 / 2.0);
        }
        loglik += p.ln();
    }
    let nw = d as f64 + f.m + 1.0;
    let mut logprior = 0.0;
    for c in 0..k {
        let qm = qmat(c);
        let frob: f64 = qm.iter().flatten().map(|v| v * v).sum();
        let logdet: f64 = (0..d).map(|j| 2.0 * f.q[c * d + j]).sum();
        // det(X)^((n-p-1)/2) exp(-tr(V^-1 X)/2) / (2^(np/2) det(V)^(n/2) Gamma_p(n/2))
        logprior += 0.5 * (nw - d as f64 - 1.0) * logdet
            - 0.5 * f.gamma * f.gamma * frob
            - 0.5 * nw * d as f64 * 2f64.ln()
            + nw * d as f64 * f.gamma.ln()
            - log_gamma_distrib(0.5 * nw, d);
    }
    loglik + logprior
}

#[test]
fn objective_matches_the_definition() {
    for (m, gamma) in [(0, 1.0), (2, 0.7)] {
        let f = flat(&input(m, gamma));
        assert_abs_diff_eq!(f.objective(), naive(&f), epsilon = 1e-10);
    }
}

#[test]
fn ln_gamma_of_half_integers() {
    // Γ_1(a) = Γ(a): Γ(5) = 24, Γ(3.5) = 15/8 √π.
    assert_abs_diff_eq!(log_gamma_distrib(5.0, 1), 24f64.ln(), epsilon = 1e-13);
    let g35 = (15.0 / 8.0 * std::f64::consts::PI.sqrt()).ln();
    assert_abs_diff_eq!(log_gamma_distrib(3.5, 1), g35, epsilon = 1e-13);
}

#[test]
fn gradient_matches_finite_differences() {
    let f = flat(&input(2, 0.7));
    let (value, g) = f.gradient();
    assert_abs_diff_eq!(value, f.objective(), epsilon = 1e-12);
    let sizes = [f.alpha.len(), f.mu.len(), f.q.len(), f.l.len()];
    let theta: Vec<f64> = [&f.alpha, &f.mu, &f.q, &f.l]
        .iter()
        .flat_map(|v| v.iter().copied())
        .collect();
    let grad: Vec<f64> = g.concat();
    let eval = |t: &[f64]| {
        let mut g = flat(&input(2, 0.7));
        let mut o = 0;
        for (dst, len) in [&mut g.alpha, &mut g.mu, &mut g.q, &mut g.l]
            .into_iter()
            .zip(sizes)
        {
            dst.copy_from_slice(&t[o..o + len]);
            o += len;
        }
        g.objective()
    };
    let h = 1e-5;
    let mut t = theta.clone();
    for i in 0..theta.len() {
        t[i] = theta[i] + h;
        let up = eval(&t);
        t[i] = theta[i] - h;
        let down = eval(&t);
        t[i] = theta[i];
        let fd = (up - down) / (2.0 * h);
        assert_abs_diff_eq!(grad[i], fd, epsilon = 1e-6 * fd.abs().max(1.0));
    }
}

#[test]
fn json_shapes() {
    let v = input(0, 1.0);
    let o = run("objective", v.clone(), &Runs::ONCE).unwrap();
    assert!(o.output.is_f64());
    let j = run("jacobian", v, &Runs::ONCE).unwrap().output;
    assert_eq!(j["alpha"].as_array().unwrap().len(), 4);
    assert_eq!(j["mu"].as_array().unwrap().len(), 4);
    assert_eq!(j["mu"][0].as_array().unwrap().len(), 3);
    assert_eq!(j["q"][3].as_array().unwrap().len(), 3);
    assert_eq!(j["l"][2].as_array().unwrap().len(), 3);
    assert!(run("hessian", input(0, 1.0), &Runs::ONCE).is_err());
}
