//! Calls whose result's adjoint is known where they run (*seeded* calls, ARCHITECTURE.md
//! "Seeded calls"): the forward sweep runs the callee's companion in place of its primal,
//! given that adjoint, and the reverse sweep does not call the callee again. So the callee
//! runs once per call, not twice, and a recursion costs a constant times its primal instead of
//! its depth times. Each function is checked against its gradient by hand, central
//! differences, and forward against reverse mode (`check_flat`); counters in the callees count
//! how often their bodies run.

use std::sync::atomic::{AtomicUsize, Ordering};

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check_flat;
use ad_tests::r#gen::Rng;

/// Runs of [`horner`]'s body.
static HORNER_RUNS: AtomicUsize = AtomicUsize::new(0);
/// Runs of [`residual`]'s body.
static RESIDUAL_RUNS: AtomicUsize = AtomicUsize::new(0);
/// Runs of [`bump`]'s body.
static BUMP_RUNS: AtomicUsize = AtomicUsize::new(0);

/// The polynomial `c[k] + c[k+1] x + ..`, by Horner's rule written recursively.
#[derive_tangent(wrt(c, x))]
#[derive_grad(wrt(c, x))]
fn horner(c: &[f64], x: f64, k: usize) -> f64 {
    HORNER_RUNS.fetch_add(1, Ordering::Relaxed);
    if k + 1 == c.len() {
        return c[k];
    }
    c[k] + x * horner(c, x, k + 1)
}

/// The squared residual of the model `p0 exp(p1 t)` at one observation.
#[derive_tangent]
#[derive_grad]
fn residual(p: &[f64], t: f64, y: f64) -> f64 {
    RESIDUAL_RUNS.fetch_add(1, Ordering::Relaxed);
    let r = p[0] * (p[1] * t).exp() - y;
    r * r
}

/// The weighted mean squared residual over the observations `(ts[i], ys[i])`: a loss over
/// data points as a fitting script writes it, the model in a helper.
#[derive_tangent(wrt(p))]
#[derive_grad(wrt(p))]
fn loss(p: &[f64], ts: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..ts.len() {
        let w = if ys[i] > 0.0 { 1.0 } else { 0.5 };
        s += w * residual(p, ts[i], ys[i]);
    }
    s / ts.len() as f64
}

/// Runs of [`energy`]'s body.
static ENERGY_RUNS: AtomicUsize = AtomicUsize::new(0);

/// A pair energy `k (r - r0)^2` of two points on a line.
#[derive_tangent]
#[derive_grad]
fn energy(a: f64, b: f64, k: f64) -> f64 {
    ENERGY_RUNS.fetch_add(1, Ordering::Relaxed);
    let d = (b - a).abs() - 1.0;
    k * d * d
}

/// The energy of a chain of points, each bond weighted by a factor computed after the call (a
/// pure value the seed reads, computed before the call too), and the square of the first
/// bond's energy, which needs the call's value (that call keeps joint mode).
#[derive_tangent]
#[derive_grad]
fn chain(x: &[f64], k: f64) -> f64 {
    let mut total = 0.0;
    for i in 1..x.len() {
        let e = energy(x[i - 1], x[i], k);
        let weight = 1.0 / (i as f64);
        total += weight * e;
    }
    let first = energy(x[0], x[1], k);
    total + first * first
}

/// A Gaussian bump of width one centred at `c`.
#[derive_tangent]
#[derive_grad]
fn bump(x: f64, c: f64) -> f64 {
    BUMP_RUNS.fetch_add(1, Ordering::Relaxed);
    let d = x - c;
    (-(d * d)).exp()
}

/// A mixture of bumps, the negative weights subtracted, when `on`; else `x`. The loop is
/// inside a branch, so it is reversed backwards: each bump's value and the adjoints its
/// companion returned (in `x` and `c`) are stored for the reverse sweep.
#[derive_tangent(wrt(x, centres))]
#[derive_grad(wrt(x, centres))]
fn mixture(x: f64, centres: &[f64], weights: &[f64], on: bool) -> f64 {
    if on {
        let mut s = 0.0;
        for k in 0..centres.len() {
            if weights[k] > 0.0 {
                s += weights[k] * bump(x, centres[k]);
            } else {
                s -= bump(x, centres[k]);
            }
        }
        s
    } else {
        x
    }
}

#[test]
fn recursion_runs_each_level_once() {
    let mut rng = Rng(0x5eed);
    let n = 6;
    for _ in 0..3 {
        // p = (c_0..c_5, x)
        let p = rng.vec(n + 1, -1.0, 1.0);
        check_flat(
            "horner",
            &p,
            |p| horner(&p[..n], p[n], 0),
            |p, d| horner_tangent(&p[..n], &d[..n], p[n], d[n], 0),
            |p, g| {
                let (dc, dx) = g.split_at_mut(n);
                let (v, gx) = horner_grad(&p[..n], dc, p[n], 0);
                dx[0] += gx;
                v
            },
            |p| {
                // d/dc_k = x^k, d/dx = sum k c_k x^(k-1).
                let x = p[n];
                let mut g: Vec<f64> = (0..n).map(|k| x.powi(k as i32)).collect();
                g.push((1..n).map(|k| k as f64 * p[k] * x.powi(k as i32 - 1)).sum());
                g
            },
        );
    }
    // The primal runs the body once per level; so does the gradient. Joint mode ran n^2 = 36:
    // each level's primal call, its replay in the reverse sweep and its companion each ran the
    // levels below.
    let c = [0.5, -0.25, 1.0, 0.75, -1.5, 0.125];
    let mut dc = [0.0; 6];
    HORNER_RUNS.store(0, Ordering::Relaxed);
    horner(&c, 0.7, 0);
    assert_eq!(HORNER_RUNS.swap(0, Ordering::Relaxed), 6);
    horner_grad(&c, &mut dc, 0.7, 0);
    assert_eq!(HORNER_RUNS.swap(0, Ordering::Relaxed), 6);
}

#[test]
fn helper_in_a_loss_runs_once_per_point() {
    let mut rng = Rng(0x1055);
    let m = 7;
    let ts: Vec<f64> = (0..m).map(|i| i as f64 * 0.3).collect();
    let ys = rng.vec(m, -1.0, 2.0);
    for _ in 0..3 {
        let p = rng.vec(2, -0.5, 0.5);
        check_flat(
            "loss",
            &p,
            |p| loss(p, &ts, &ys),
            |p, d| loss_tangent(p, d, &ts, &ys),
            |p, g| loss_grad(p, g, &ts, &ys),
            |p| {
                // d/dp0 = mean(w 2 r e), d/dp1 = mean(w 2 r p0 t e), e = exp(p1 t).
                let mut g = vec![0.0; 2];
                for (t, y) in ts.iter().zip(&ys) {
                    let w = if *y > 0.0 { 1.0 } else { 0.5 };
                    let e = (p[1] * t).exp();
                    let r = p[0] * e - y;
                    g[0] += w * 2.0 * r * e / m as f64;
                    g[1] += w * 2.0 * r * p[0] * t * e / m as f64;
                }
                g
            },
        );
    }
    let p = [0.3, -0.2];
    let mut g = [0.0; 2];
    RESIDUAL_RUNS.store(0, Ordering::Relaxed);
    loss_grad(&p, &mut g, &ts, &ys);
    assert_eq!(RESIDUAL_RUNS.swap(0, Ordering::Relaxed), m);
}

#[test]
fn stored_results_carry_their_returned_adjoints() {
    let mut rng = Rng(0xb0b);
    let k = 5;
    let weights = [0.5, -1.0, 2.0, -0.25, 1.5];
    for _ in 0..3 {
        // p = (x, c_0..c_4)
        let p = rng.vec(k + 1, -1.0, 1.0);
        for on in [true, false] {
            check_flat(
                "mixture",
                &p,
                |p| mixture(p[0], &p[1..], &weights, on),
                |p, d| mixture_tangent(p[0], d[0], &p[1..], &d[1..], &weights, on),
                |p, g| {
                    let (dx, dc) = g.split_at_mut(1);
                    let (v, gx) = mixture_grad(p[0], &p[1..], dc, &weights, on);
                    dx[0] += gx;
                    v
                },
                |p| {
                    if !on {
                        let mut g = vec![0.0; k + 1];
                        g[0] = 1.0;
                        return g;
                    }
                    // d/dx of a w exp(-(x - c)^2) = -2 a (x - c) exp(..), d/dc = -d/dx.
                    let mut g = vec![0.0; k + 1];
                    for j in 0..k {
                        let a = if weights[j] > 0.0 { weights[j] } else { -1.0 };
                        let d = p[0] - p[1 + j];
                        let dx = -2.0 * a * d * (-(d * d)).exp();
                        g[0] += dx;
                        g[1 + j] = -dx;
                    }
                    g
                },
            );
        }
    }
    let c = [0.1, 0.2, 0.3, 0.4, 0.5];
    let mut dc = [0.0; 5];
    BUMP_RUNS.store(0, Ordering::Relaxed);
    mixture_grad(0.25, &c, &mut dc, &weights, true);
    assert_eq!(BUMP_RUNS.swap(0, Ordering::Relaxed), k);
}

#[test]
fn factors_known_later_and_nonlinear_uses() {
    let mut rng = Rng(0xc4a1);
    let n = 5;
    for _ in 0..3 {
        // p = (x_0..x_4, k)
        let mut p: Vec<f64> = (0..n).map(|i| 1.3 * i as f64).collect();
        for v in p.iter_mut() {
            *v += rng.vec(1, -0.3, 0.3)[0];
        }
        p.push(0.8);
        check_flat(
            "chain",
            &p,
            |p| chain(&p[..n], p[n]),
            |p, d| chain_tangent(&p[..n], &d[..n], p[n], d[n]),
            |p, g| {
                let (dx, dk) = g.split_at_mut(n);
                let (v, gk) = chain_grad(&p[..n], dx, p[n]);
                dk[0] += gk;
                v
            },
            |p| {
                // E_i = k d_i^2, d_i = |x_i - x_{i-1}| - 1; total = sum E_i / i + E_1^2.
                let (x, k) = (&p[..n], p[n]);
                let mut g = vec![0.0; n + 1];
                for i in 1..n {
                    let r = x[i] - x[i - 1];
                    let d = r.abs() - 1.0;
                    let e = k * d * d;
                    let w = 1.0 / i as f64 + if i == 1 { 2.0 * e } else { 0.0 };
                    g[i] += w * 2.0 * k * d * r.signum();
                    g[i - 1] -= w * 2.0 * k * d * r.signum();
                    g[n] += w * d * d;
                }
                g
            },
        );
    }
    // The four bonds in the loop are seeded: one run each. The last call's value is squared:
    // its primal runs, then its companion (two runs).
    let x = [0.0, 1.2, 2.1, 3.5, 4.4];
    let mut dx = [0.0; 5];
    ENERGY_RUNS.store(0, Ordering::Relaxed);
    chain(&x, 0.8);
    assert_eq!(ENERGY_RUNS.swap(0, Ordering::Relaxed), 5);
    chain_grad(&x, &mut dx, 0.8);
    assert_eq!(ENERGY_RUNS.swap(0, Ordering::Relaxed), 4 + 2);
}
