//! Sensitivities of a whole ODE trajectory to its parameters, by forward mode.
//!
//! Logistic growth `y' = r y (1 - y / K)`, `y(0) = y0`, integrated by classic RK4 for 1000
//! steps; the function writes the 1000 values `y(t_1) .. y(t_1000)` into an output slice. The
//! question is how every one of them moves with the growth rate `r` and the capacity `K`: a
//! 1000 x 2 Jacobian.
//!
//! Why forward mode: one `_tangent` pass pushes one input direction through the program and
//! gives the derivative of *every* output along it, so the whole Jacobian costs 2 passes (seed
//! `dr = 1`, then `dK = 1`). Reverse mode works the other way round: one `_vjp` pass pulls one
//! output's sensitivity back to *every* input, so the same Jacobian would cost 1000 reverse
//! passes, each one replaying the 1000 steps. Few inputs and many outputs is forward mode's case;
//! one output (a loss) and many inputs is reverse mode's.
//!
//! The logistic equation has a closed form, so the sensitivities are checked against exact ones.
//!
//! Run with `cargo run --example ode_sensitivity`.

use ad_runtime::{derive_grad, derive_tangent};

/// Steps, and so outputs.
const STEPS: usize = 1000;

/// The right-hand side of the logistic equation.
#[derive_tangent]
#[derive_grad]
fn logistic(y: f64, r: f64, cap: f64) -> f64 {
    r * y * (1.0 - y / cap)
}

/// RK4 with step `h` from `y(0) = y0`, writing `y(h), y(2h), ..` into `out`.
///
/// `wrt(r, cap, out)`: the parameters and the output trajectory are differentiated; the initial
/// value and the step are constants in forward mode. Reverse mode (used below for one row, to
/// compare) differentiates `y0` too, which gives the sensitivity to the initial value as well.
#[derive_tangent(wrt(r, cap, out))]
#[derive_grad(wrt(r, cap, y0, out))]
fn trajectory(r: f64, cap: f64, y0: f64, h: f64, out: &mut [f64]) {
    let mut y = y0;
    for slot in out.iter_mut() {
        let k1 = logistic(y, r, cap);
        let k2 = logistic(y + 0.5 * h * k1, r, cap);
        let k3 = logistic(y + 0.5 * h * k2, r, cap);
        let k4 = logistic(y + h * k3, r, cap);
        y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        *slot = y;
    }
}

/// The exact solution and its partial derivatives with respect to `r` and `K` at time `t`:
/// `y = K / D`, `D = 1 + (K / y0 - 1) e^(-r t)`.
fn exact(r: f64, k: f64, y0: f64, t: f64) -> (f64, f64, f64) {
    let e = (-r * t).exp();
    let a = k / y0 - 1.0;
    let d = 1.0 + a * e;
    let y = k / d;
    let dy_dr = k * a * t * e / (d * d);
    let dy_dk = 1.0 / d - k * e / (y0 * d * d);
    (y, dy_dr, dy_dk)
}

fn main() {
    let (r, k, y0, h) = (1.5, 10.0, 0.5, 0.01);
    let mut y = vec![0.0; STEPS];

    // Pass 1: seed dr = 1, dK = 0. `dy` holds the tangent of `out` on entry (0: the function
    // overwrites every element) and its tangent on exit: column 1 of the Jacobian.
    let mut dy_dr = vec![0.0; STEPS];
    trajectory_tangent(r, 1.0, k, 0.0, y0, h, &mut y, &mut dy_dr);
    // Pass 2: seed dr = 0, dK = 1: column 2.
    let mut dy_dk = vec![0.0; STEPS];
    trajectory_tangent(r, 0.0, k, 1.0, y0, h, &mut y, &mut dy_dk);

    println!("logistic growth, r = {r}, K = {k}, y0 = {y0}; RK4, {STEPS} steps of {h}");
    println!("sensitivities of all {STEPS} outputs to (r, K) from 2 forward passes:\n");
    println!(
        "{:>6} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "t", "y", "dy/dr", "exact", "dy/dK", "exact"
    );
    let mut worst: f64 = 0.0;
    for i in 0..STEPS {
        let t = (i + 1) as f64 * h;
        let (ye, dre, dke) = exact(r, k, y0, t);
        // Relative to the size of the quantity (1 at least), so that values near 0 are fair.
        let err = |a: f64, b: f64| (a - b).abs() / b.abs().max(1.0);
        worst = worst
            .max(err(y[i], ye))
            .max(err(dy_dr[i], dre))
            .max(err(dy_dk[i], dke));
        if (i + 1) % 100 == 0 || i == 0 {
            println!(
                "{t:>6.2} {:>10.6} {:>12.6} {:>12.6} {:>12.6} {:>12.6}",
                y[i], dy_dr[i], dre, dy_dk[i], dke
            );
        }
    }
    println!("\nworst relative difference from the exact solution and sensitivities: {worst:.2e}");
    println!("(RK4's own discretisation error, O(h^4): the derivatives of the code are exact)");
    assert!(
        worst < 1e-7,
        "sensitivities off the exact ones by {worst:e}"
    );

    // The derivatives of the code itself, against central finite differences of the code.
    let run = |p: &[f64], out: &mut [f64]| trajectory(p[0], p[1], y0, h, out);
    let fd_r = ad_runtime::check::tangent(run, &[r, k], &[1.0, 0.0], &dy_dr);
    let fd_k = ad_runtime::check::tangent(run, &[r, k], &[0.0, 1.0], &dy_dk);
    println!("against finite differences: dy/dr {fd_r}");
    println!("                            dy/dK {fd_k}");
    fd_r.assert_below(1e-6);
    fd_k.assert_below(1e-6);

    // Reverse mode gives one ROW of the same Jacobian per pass: seed the cotangent of one output
    // (here y at t = 5, index 499) and get its derivative with respect to both parameters.
    // Filling the whole Jacobian this way would take 1000 such passes.
    let row = 499;
    let mut cotangent = vec![0.0; STEPS];
    cotangent[row] = 1.0;
    let (r_bar, k_bar, y0_bar) = trajectory_vjp(r, k, y0, h, &mut y, &mut cotangent);
    println!(
        "\none reverse pass, output {} (t = {:.2}): (dy/dr, dy/dK) = ({r_bar:.12}, {k_bar:.12})",
        row,
        (row + 1) as f64 * h
    );
    println!(
        "the forward passes' row {row}:                 (dy/dr, dy/dK) = ({:.12}, {:.12})",
        dy_dr[row], dy_dk[row]
    );
    assert!((r_bar - dy_dr[row]).abs() < 1e-12 * dy_dr[row].abs().max(1.0));
    assert!((k_bar - dy_dk[row]).abs() < 1e-12 * dy_dk[row].abs().max(1.0));
    // The same pass gives the derivative with respect to y0 as well (exact: K² e^(-rt) / (y0 D)²).
    let t = (row + 1) as f64 * h;
    let d = 1.0 + (k / y0 - 1.0) * (-r * t).exp();
    let exact_y0 = k * k * (-r * t).exp() / (y0 * y0 * d * d);
    println!("and dy/dy0 = {y0_bar:.12} (exact {exact_y0:.12})");
    assert!((y0_bar - exact_y0).abs() < 1e-7 * exact_y0.abs().max(1.0));
}
