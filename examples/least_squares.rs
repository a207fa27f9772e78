//! Nonlinear least squares by Levenberg–Marquardt, with the Jacobian from `#[derive_tangent]`.
//!
//! Fits `y = a·exp(-b·t) + c` to 40 samples. The residuals are written as an ordinary function
//! into an output slice; forward mode gives one column of the residual Jacobian per pass (seed one
//! parameter with 1), so the 40 x 3 Jacobian costs 3 passes. Reverse mode would give one row per
//! pass (40 passes): with 3 parameters and 40 residuals, forward mode is the cheaper direction.
//! The 3 x 3 normal equations are solved by hand; no linear-algebra crate is needed.
//!
//! Run with `cargo run --example least_squares`.

use ad_runtime::derive_tangent;

/// The residuals `r[i] = a·exp(-b·t[i]) + c - y[i]`.
///
/// `wrt(a, b, c, r)`: the model parameters and the residual output are differentiated; the data
/// `t` and `y` are constants.
#[derive_tangent(wrt(a, b, c, r))]
fn residuals(a: f64, b: f64, c: f64, t: &[f64], y: &[f64], r: &mut [f64]) {
    for i in 0..t.len() {
        r[i] = a * (-b * t[i]).exp() + c - y[i];
    }
}

/// The residuals and their Jacobian (`jac[i][j] = ∂r[i]/∂p[j]`) at `p = (a, b, c)`: three forward
/// passes, one per parameter.
fn residuals_and_jacobian(p: [f64; 3], t: &[f64], y: &[f64]) -> (Vec<f64>, Vec<[f64; 3]>) {
    let n = t.len();
    let mut r = vec![0.0; n];
    let mut jac = vec![[0.0; 3]; n];
    for j in 0..3 {
        let mut seed = [0.0; 3];
        seed[j] = 1.0;
        // The tangent of `r` on entry is 0 (the function overwrites every element); on exit it
        // is the derivative of every residual along the seed: column j.
        let mut column = vec![0.0; n];
        let [a, b, c] = p;
        residuals_tangent(
            a,
            seed[0],
            b,
            seed[1],
            c,
            seed[2],
            t,
            y,
            &mut r,
            &mut column,
        );
        for i in 0..n {
            jac[i][j] = column[i];
        }
    }
    (r, jac)
}

/// Solves the 3 x 3 system `m x = v` by Gaussian elimination with partial pivoting.
fn solve3(mut m: [[f64; 3]; 3], mut v: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-300 {
            return None;
        }
        m.swap(col, pivot);
        v.swap(col, pivot);
        for row in col + 1..3 {
            let f = m[row][col] / m[col][col];
            let pivot_row = m[col];
            for (a, b) in m[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *a -= f * b;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let tail: f64 = (row + 1..3).map(|k| m[row][k] * x[k]).sum();
        x[row] = (v[row] - tail) / m[row][row];
    }
    Some(x)
}

fn half_sum_of_squares(r: &[f64]) -> f64 {
    0.5 * r.iter().map(|v| v * v).sum::<f64>()
}

/// Levenberg–Marquardt from `p`: returns the fitted parameters and the iterations taken.
fn fit(mut p: [f64; 3], t: &[f64], y: &[f64]) -> ([f64; 3], usize) {
    let mut lambda = 1e-3;
    println!(
        "{:>5} {:>13} {:>10} {:>10} {:>10} {:>9}",
        "iter", "cost", "a", "b", "c", "lambda"
    );
    for iter in 0..100 {
        let (r, jac) = residuals_and_jacobian(p, t, y);
        let cost = half_sum_of_squares(&r);
        println!(
            "{iter:>5} {cost:>13.6e} {:>10.6} {:>10.6} {:>10.6} {lambda:>9.1e}",
            p[0], p[1], p[2]
        );

        // Normal equations: (JᵀJ + λ diag(JᵀJ)) δ = -Jᵀr.
        let mut jtj = [[0.0; 3]; 3];
        let mut jtr = [0.0; 3];
        for (row, ri) in jac.iter().zip(&r) {
            for j in 0..3 {
                jtr[j] += row[j] * ri;
                for k in 0..3 {
                    jtj[j][k] += row[j] * row[k];
                }
            }
        }
        let gradient_norm = jtr.iter().map(|g| g * g).sum::<f64>().sqrt();
        if gradient_norm < 1e-12 {
            return (p, iter);
        }

        // Try steps with growing damping until one lowers the cost.
        loop {
            let mut m = jtj;
            for j in 0..3 {
                m[j][j] += lambda * jtj[j][j];
            }
            let step = solve3(m, [-jtr[0], -jtr[1], -jtr[2]]).expect("a solvable system");
            let trial = [p[0] + step[0], p[1] + step[1], p[2] + step[2]];
            let mut r_trial = vec![0.0; t.len()];
            residuals(trial[0], trial[1], trial[2], t, y, &mut r_trial);
            if half_sum_of_squares(&r_trial) < cost {
                p = trial;
                lambda = (lambda / 10.0).max(1e-12);
                break;
            }
            lambda *= 10.0;
            if lambda > 1e12 {
                // No step lowers the cost: p is a minimum to rounding.
                return (p, iter);
            }
        }
    }
    (p, 100)
}

/// A 64-bit linear congruential generator: deterministic noise, no crate.
struct Lcg(u64);

impl Lcg {
    /// A uniform number in [-1, 1).
    fn next_signed(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        2.0 * ((self.0 >> 11) as f64 / (1u64 << 53) as f64) - 1.0
    }
}

fn main() {
    let truth = [2.5, 1.3, 0.5];
    let t: Vec<f64> = (0..40).map(|i| 0.1 * i as f64).collect();
    let model = |ti: f64| truth[0] * (-truth[1] * ti).exp() + truth[2];
    let start = [1.0, 0.5, 0.0];

    // The Jacobian of the generated code against central finite differences, at the start.
    let y: Vec<f64> = t.iter().map(|&ti| model(ti)).collect();
    let (_, jac) = residuals_and_jacobian(start, &t, &y);
    for j in 0..3 {
        let mut direction = [0.0; 3];
        direction[j] = 1.0;
        let column: Vec<f64> = jac.iter().map(|row| row[j]).collect();
        let run = |p: &[f64], r: &mut [f64]| residuals(p[0], p[1], p[2], &t, &y, r);
        let report = ad_runtime::check::tangent(run, &start, &direction, &column);
        report.assert_below(1e-7);
    }
    println!("Jacobian columns (3 forward passes) agree with finite differences.\n");

    // 1. Exact data: the fit must recover the generating parameters to rounding.
    println!("exact data y = 2.5 exp(-1.3 t) + 0.5, 40 samples, from (a, b, c) = {start:?}:");
    let (p, iters) = fit(start, &t, &y);
    println!(
        "converged in {iters} iterations: (a, b, c) = ({:.10}, {:.10}, {:.10})",
        p[0], p[1], p[2]
    );
    for j in 0..3 {
        assert!(
            (p[j] - truth[j]).abs() < 1e-8,
            "parameter {j}: {} against {}",
            p[j],
            truth[j]
        );
    }

    // 2. The same with deterministic noise of amplitude 0.01: the parameters come back to within
    //    what the noise allows.
    let mut rng = Lcg(7);
    let noisy: Vec<f64> = t
        .iter()
        .map(|&ti| model(ti) + 0.01 * rng.next_signed())
        .collect();
    println!("\nthe same data with noise of amplitude 0.01:");
    let (p, iters) = fit(start, &t, &noisy);
    println!(
        "converged in {iters} iterations: (a, b, c) = ({:.4}, {:.4}, {:.4})",
        p[0], p[1], p[2]
    );
    println!(
        "generating values:                (a, b, c) = ({:.4}, {:.4}, {:.4})",
        truth[0], truth[1], truth[2]
    );
    for j in 0..3 {
        assert!(
            (p[j] - truth[j]).abs() < 0.02,
            "parameter {j}: {} against {}",
            p[j],
            truth[j]
        );
    }
}
