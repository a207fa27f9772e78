//! `#[derive_grad(checkpoint)]`: a long loop's reverse sweep keeps its carried values every
//! `ceil(sqrt(n))` steps and runs each segment forward again, instead of storing every step.
//! The gradient is the same as without checkpointing (bit for bit: the same operations run in
//! the same order), and the stack's peak bytes grow as `sqrt(n)` instead of `n`, measured with a
//! counting allocator. With `checkpoint(snapshots = s)` the schedule is binomial (revolve): the
//! same gradient again, and at most `s` states whatever `n`.
//!
//! The plain functions are compared and measured through `_vjp` with seed 1, which is reverse
//! mode: their `_grad` runs in forward mode by the mode-choice rule (few inputs by value, a
//! reverse sweep that stores), which checkpointing switches off.

use std::hint::black_box;

use ad_runtime::derive_grad;
use ad_tests::alloc::measure;
use ad_tests::{At, MODES, Tol, central_difference};

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

/// Held by each test that measures: measurements must not overlap.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A recurrence whose reverse sweep needs every step's state: `x <- x + h p sin(x) cos(y)`,
/// `y <- y + h x`, two carried values.
#[derive_grad]
fn plain(x0: f64, p: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut x = x0;
    let mut y: f64 = 0.5;
    for _ in 0..n {
        let x_next = x + h * p * x.sin() * y.cos();
        y += h * x;
        x = x_next;
    }
    x * y
}

#[derive_grad(checkpoint)]
fn checkpointed(x0: f64, p: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut x = x0;
    let mut y: f64 = 0.5;
    for _ in 0..n {
        let x_next = x + h * p * x.sin() * y.cos();
        y += h * x;
        x = x_next;
    }
    x * y
}

/// A loop with a branch and an index, checkpointed too.
#[derive_grad(checkpoint)]
fn branchy(x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for i in 0..n {
        if i % 3 == 0 {
            x = x * (1.0 + 0.001 * (i as f64).sqrt()) + 0.01 * x.cos();
        } else {
            x = x - 0.002 * x * x;
        }
    }
    x
}

#[test]
fn same_gradient_as_without() {
    for n in [0, 1, 2, 3, 7, 16, 17, 100, 1000, 4321] {
        for (x0, p) in [(0.3, 1.2), (-1.1, 0.4)] {
            let want = plain_vjp(x0, p, n, 1.0);
            let got = checkpointed_grad(x0, p, n);
            assert_eq!(
                got, want,
                "n = {n}: checkpointing changes nothing but memory"
            );
            assert_eq!(got.0, checkpointed(x0, p, n));
            assert_eq!(got.0, plain(x0, p, n));
            let at = At("checkpointed", &[x0, p]);
            let f = |q: &[f64]| checkpointed(q[0], q[1], n);
            at.close(
                "d/dx0 vs fd",
                0,
                got.1.0,
                central_difference(f, &[x0, p], 0),
                Tol::fd(got.0),
            );
            at.close(
                "d/dp vs fd",
                1,
                got.1.1,
                central_difference(f, &[x0, p], 1),
                Tol::fd(got.0),
            );
        }
    }
    for n in [0, 5, 50, 500] {
        let (v, g) = branchy_grad(0.7, n);
        assert_eq!(v, branchy(0.7, n));
        let fd = central_difference(|q: &[f64]| branchy(q[0], n), &[0.7], 0);
        At("branchy", &[0.7]).close("vs fd", 0, g, fd, Tol::fd(v));
        let (_, g2) = branchy_vjp(0.7, n, 2.0);
        At("branchy", &[0.7]).close("vjp(2) = 2 grad", 0, g2, 2.0 * g, MODES);
    }
}

/// Peak live bytes of one gradient, with and without checkpointing.
fn peaks(n: usize) -> (usize, usize) {
    let without = measure(|| {
        black_box(plain_vjp(black_box(0.3), 1.2, n, 1.0));
    });
    let with = measure(|| {
        black_box(checkpointed_grad(black_box(0.3), 1.2, n));
    });
    (without.peak_bytes, with.peak_bytes)
}

#[test]
fn stack_peak_grows_as_sqrt_n() {
    let _alone = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let mut rows = Vec::new();
    for n in [100, 1_000, 10_000, 100_000] {
        let (without, with) = peaks(n);
        // Without: two f64 per step (x and y), reserved up front.
        assert!(
            without >= 16 * n,
            "n = {n}: {without} bytes without checkpointing"
        );
        // With: sqrt(n) checkpoints of two f64, one segment of sqrt(n) steps of two f64, each
        // stack at most doubled by growth: well under 8 * 16 * sqrt(n) bytes.
        let s = ad_runtime::checkpoint_interval(n);
        assert!(
            with <= 4 * 16 * s + 256,
            "n = {n}: {with} bytes with checkpointing"
        );
        rows.push((n, without, with));
    }
    for (n, without, with) in &rows {
        println!("n = {n:>6}: peak {without:>7} bytes without, {with:>5} with checkpointing");
    }
    // Ten times the steps: ten times the bytes without, about sqrt(10) with.
    let (n0, w0, c0) = rows[1];
    let (n1, w1, c1) = rows[2];
    assert_eq!(n1, 10 * n0);
    assert!(w1 >= 9 * w0 && c1 <= 5 * c0, "{w0} -> {w1}, {c0} -> {c1}");
}

// ---------------------------------------------------------------------------------------------
// Binomial checkpointing: `checkpoint(snapshots = s)`
// ---------------------------------------------------------------------------------------------

/// A damped, driven pendulum by the explicit midpoint rule: `n` steps of size `h`, the final
/// angle times the final velocity. Plain reverse mode stores every step.
#[derive_grad(wrt(theta0, damping))]
fn pendulum(theta0: f64, damping: f64, h: f64, n: usize) -> f64 {
    let mut theta = theta0;
    let mut omega = 0.0;
    for k in 0..n {
        let drive = 0.3 * (0.01 * k as f64).cos();
        let a = -theta.sin() - damping * omega + drive;
        let theta_mid = theta + 0.5 * h * omega;
        let omega_mid = omega + 0.5 * h * a;
        let a_mid = -theta_mid.sin() - damping * omega_mid + drive;
        theta += h * omega_mid;
        omega += h * a_mid;
    }
    theta * omega
}

/// The same with ten states kept, by the binomial schedule.
#[derive_grad(wrt(theta0, damping), checkpoint(snapshots = 10))]
fn pendulum_revolve(theta0: f64, damping: f64, h: f64, n: usize) -> f64 {
    let mut theta = theta0;
    let mut omega = 0.0;
    for k in 0..n {
        let drive = 0.3 * (0.01 * k as f64).cos();
        let a = -theta.sin() - damping * omega + drive;
        let theta_mid = theta + 0.5 * h * omega;
        let omega_mid = omega + 0.5 * h * a;
        let a_mid = -theta_mid.sin() - damping * omega_mid + drive;
        theta += h * omega_mid;
        omega += h * a_mid;
    }
    theta * omega
}

/// The budget given at run time: a parameter names it (one the primal itself does not read).
#[allow(unused_variables)]
#[derive_grad(wrt(theta0, damping), checkpoint(snapshots = states))]
fn pendulum_budget(theta0: f64, damping: f64, h: f64, n: usize, states: usize) -> f64 {
    let mut theta = theta0;
    let mut omega = 0.0;
    for k in 0..n {
        let drive = 0.3 * (0.01 * k as f64).cos();
        let a = -theta.sin() - damping * omega + drive;
        let theta_mid = theta + 0.5 * h * omega;
        let omega_mid = omega + 0.5 * h * a;
        let a_mid = -theta_mid.sin() - damping * omega_mid + drive;
        theta += h * omega_mid;
        omega += h * a_mid;
    }
    theta * omega
}

/// The branchy loop above under the binomial schedule.
#[derive_grad(checkpoint(snapshots = 3))]
fn branchy_revolve(x0: f64, n: usize) -> f64 {
    let mut x = x0;
    for i in 0..n {
        if i % 3 == 0 {
            x = x * (1.0 + 0.001 * (i as f64).sqrt()) + 0.01 * x.cos();
        } else {
            x = x - 0.002 * x * x;
        }
    }
    x
}

#[test]
fn binomial_checkpointing_gives_the_plain_gradient_on_a_10000_step_ode() {
    for n in [0, 1, 2, 3, 10, 11, 57, 1000, 10_000] {
        let (theta0, damping, h) = (1.2, 0.15, 0.005);
        let want = pendulum_vjp(theta0, damping, h, n, 1.0);
        assert_eq!(
            pendulum_revolve_grad(theta0, damping, h, n),
            want,
            "n = {n}"
        );
        for states in [1, 2, 5, 40] {
            if states == 1 && n > 1000 {
                continue; // one state: n² / 2 steps again
            }
            let got = pendulum_budget_grad(theta0, damping, h, n, states);
            assert_eq!(got, want, "n = {n}, {states} states");
        }
        assert_eq!(want.0, pendulum_revolve(theta0, damping, h, n));
        let at = At("pendulum_revolve", &[theta0, damping]);
        let f = |q: &[f64]| pendulum(q[0], q[1], h, n);
        let g = want.1;
        at.close(
            "d/dtheta0 vs fd",
            0,
            g.0,
            central_difference(f, &[theta0, damping], 0),
            Tol::fd(want.0),
        );
        at.close(
            "d/ddamping vs fd",
            1,
            g.1,
            central_difference(f, &[theta0, damping], 1),
            Tol::fd(want.0),
        );
    }
    for n in [0, 5, 50, 500] {
        assert_eq!(
            branchy_revolve_grad(0.7, n),
            branchy_grad(0.7, n),
            "n = {n}"
        );
        assert_eq!(branchy_revolve(0.7, n), branchy(0.7, n));
    }
    assert_eq!(
        pendulum_budget(0.4, 0.1, 0.01, 300, 7),
        pendulum(0.4, 0.1, 0.01, 300)
    );
}

// ---------------------------------------------------------------------------------------------
// `while` loops: the trip count known only at the end
// ---------------------------------------------------------------------------------------------

macro_rules! pendulum_until {
    ($name:ident, $states:ident, $($attr:tt)*) => {
        /// The pendulum run until the time `t_end`, as a `while` loop (`states` is the budget of
        /// the binomial copy, which the primal does not read; named at the call, for hygiene).
        #[allow(unused_variables)]
        #[derive_grad($($attr)*)]
        fn $name(theta0: f64, damping: f64, h: f64, t_end: f64, $states: usize) -> f64 {
            let mut theta = theta0;
            let mut omega = 0.0;
            let mut t = 0.0;
            while t < t_end {
                let drive = 0.3 * (0.01 * t / h).cos();
                let a = -theta.sin() - damping * omega + drive;
                let theta_mid = theta + 0.5 * h * omega;
                let omega_mid = omega + 0.5 * h * a;
                let a_mid = -theta_mid.sin() - damping * omega_mid + drive;
                theta += h * omega_mid;
                omega += h * a_mid;
                t += h;
            }
            theta * omega
        }
    };
}

// Plain reverse mode, the binomial schedule with `states` states, the sqrt scheme.
pendulum_until!(pendulum_until, states, wrt(theta0, damping));
pendulum_until!(
    pendulum_until_revolve,
    states,
    wrt(theta0, damping),
    checkpoint(snapshots = states)
);
pendulum_until!(
    pendulum_until_sqrt,
    states,
    wrt(theta0, damping),
    checkpoint
);

/// A loop whose trip count depends on the differentiated value (a fixed-point iteration run
/// until converged): `x <- cos(x) p` until the step is below `tol`.
#[derive_grad(wrt(p))]
fn fixed_point(p: f64, tol: f64) -> f64 {
    let mut x = 0.5;
    let mut step = 1.0;
    while step > tol {
        let next = (x * p).cos();
        step = (next - x).abs();
        x = next;
    }
    x
}

#[derive_grad(wrt(p), checkpoint(snapshots = 4))]
fn fixed_point_revolve(p: f64, tol: f64) -> f64 {
    let mut x = 0.5;
    let mut step = 1.0;
    while step > tol {
        let next = (x * p).cos();
        step = (next - x).abs();
        x = next;
    }
    x
}

#[test]
fn while_loops_are_checkpointed_too() {
    let (theta0, damping, h) = (1.2, 0.15, 0.005);
    // 0, 1 and about 10 000 steps.
    for t_end in [0.0, 0.004, 0.3, 50.0] {
        let want = pendulum_until_vjp(theta0, damping, h, t_end, 0, 1.0);
        for states in [1, 2, 10, 40] {
            if states == 1 && t_end > 1.0 {
                continue;
            }
            let got = pendulum_until_revolve_grad(theta0, damping, h, t_end, states);
            assert_eq!(got, want, "t_end = {t_end}, {states} states");
        }
        assert_eq!(pendulum_until_sqrt_grad(theta0, damping, h, t_end, 0), want);
        assert_eq!(pendulum_until_sqrt(theta0, damping, h, t_end, 0), want.0);
        assert_eq!(pendulum_until_revolve(theta0, damping, h, t_end, 3), want.0);
        let f = |q: &[f64]| pendulum_until(q[0], q[1], h, t_end, 0);
        let at = At("pendulum_until", &[theta0, damping]);
        let g = want.1;
        let p = [theta0, damping];
        at.close(
            "d/dtheta0 vs fd",
            0,
            g.0,
            central_difference(f, &p, 0),
            Tol::fd(want.0),
        );
        at.close(
            "d/ddamping vs fd",
            1,
            g.1,
            central_difference(f, &p, 1),
            Tol::fd(want.0),
        );
    }
    for tol in [1.0, 1e-3, 1e-12] {
        let want = fixed_point_vjp(0.9, tol, 1.0);
        assert_eq!(fixed_point_revolve_grad(0.9, tol), want, "tol = {tol}");
        assert_eq!(fixed_point_revolve(0.9, tol), fixed_point(0.9, tol));
    }
    // Converged: x = cos(x p), so dx/dp = -x sin(x p) / (1 + p sin(x p)) (implicit function).
    let (x, dx) = fixed_point_revolve_grad(0.9, 1e-14);
    let s = (x * 0.9).sin();
    let implicit = -x * s / (1.0 + 0.9 * s);
    At("fixed point", &[0.9]).close("dx/dp vs implicit", 0, dx, implicit, ad_tests::HAND);
}

#[test]
fn while_loop_keeps_the_budget() {
    let _alone = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let (theta0, damping, h, t_end) = (1.2, 0.15, 0.005, 50.0);
    let plain = measure(|| {
        black_box(pendulum_until_vjp(
            black_box(theta0),
            damping,
            h,
            t_end,
            0,
            1.0,
        ));
    })
    .peak_bytes;
    let peak = measure(|| {
        black_box(pendulum_until_revolve_grad(
            black_box(theta0),
            damping,
            h,
            t_end,
            10,
        ));
    })
    .peak_bytes;
    // About 10 000 steps: plain reverse mode keeps each step's state (three f64 with `t`).
    assert!(plain >= 16 * 10_000, "{plain} bytes without checkpointing");
    assert!(
        peak <= 4 * (24 + 40) * 10 + 512,
        "{peak} bytes with 10 states"
    );
    println!("while loop, ~10 000 steps: {plain} bytes plain, {peak} with 10 states");
}

// ---------------------------------------------------------------------------------------------
// A time loop updating a grid in place: the arrays are part of each checkpoint
// ---------------------------------------------------------------------------------------------

macro_rules! heat {
    ($name:ident, $($attr:tt)*) => {
        /// An explicit heat equation with a source term: `steps` time steps over a grid held in
        /// a local `Vec`, the next values in a second one, then the energy of the result.
        #[derive_grad($($attr)*)]
        fn $name(u0: &[f64], kappa: f64, steps: usize) -> f64 {
            let n = u0.len();
            let mut u = vec![0.0; n];
            for i in 0..n {
                u[i] = u0[i];
            }
            let mut next = vec![0.0; n];
            for _ in 0..steps {
                for i in 1..n - 1 {
                    next[i] = u[i] + kappa * (u[i - 1] - 2.0 * u[i] + u[i + 1]) + 0.01 * u[i].sin();
                }
                for i in 1..n - 1 {
                    u[i] = next[i];
                }
            }
            let mut e = 0.0;
            for i in 0..n {
                e += u[i] * u[i];
            }
            e
        }
    };
}

/// A gradient of `heat`: `(u0, du0, kappa, steps) -> (value, dkappa)`.
type HeatGrad = fn(&[f64], &mut [f64], f64, usize) -> (f64, f64);

heat!(heat_plain, wrt(u0, kappa));
heat!(heat_sqrt, wrt(u0, kappa), checkpoint);
heat!(heat_revolve, wrt(u0, kappa), checkpoint(snapshots = 3));

#[test]
fn a_grid_updated_in_place_is_checkpointed_with_the_loop() {
    let u0: Vec<f64> = (0..12).map(|i| (0.3 * i as f64).sin()).collect();
    for steps in [0, 1, 2, 7, 200] {
        let grad = |f: HeatGrad| {
            let mut du = vec![0.0; u0.len()];
            let (v, dk) = f(&u0, &mut du, 0.2, steps);
            (v, dk, du)
        };
        let want = grad(heat_plain_grad);
        assert_eq!(grad(heat_sqrt_grad), want, "sqrt, {steps} steps");
        assert_eq!(grad(heat_revolve_grad), want, "revolve, {steps} steps");
        assert_eq!(heat_revolve(&u0, 0.2, steps), heat_plain(&u0, 0.2, steps));
        assert_eq!(heat_sqrt(&u0, 0.2, steps), want.0);
        let at = At("heat", &u0);
        let f = |q: &[f64]| heat_plain(&q[..12], q[12], steps);
        let mut p = u0.clone();
        p.push(0.2);
        for i in 0..12 {
            at.close(
                "du vs fd",
                i,
                want.2[i],
                central_difference(f, &p, i),
                Tol::fd(want.0),
            );
        }
        at.close(
            "dkappa vs fd",
            12,
            want.1,
            central_difference(f, &p, 12),
            Tol::fd(want.0),
        );
    }
    // Peak bytes at 2000 steps: the plain gradient stores each step's loads of the grid.
    let _alone = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let steps = 2000;
    let peak = |f: HeatGrad| {
        measure(|| {
            let mut du = vec![0.0; u0.len()];
            black_box(f(black_box(&u0), &mut du, 0.2, steps));
        })
        .peak_bytes
    };
    let (plain, sqrt, revolve) = (
        peak(heat_plain_grad),
        peak(heat_sqrt_grad),
        peak(heat_revolve_grad),
    );
    println!("heat, {steps} steps: peak {plain} bytes plain, {sqrt} sqrt, {revolve} with 3 states");
    assert!(
        sqrt * 10 < plain && revolve * 20 < plain,
        "{plain} {sqrt} {revolve}"
    );
}

#[test]
fn binomial_checkpointing_keeps_the_budget() {
    let _alone = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let n = 10_000;
    let (theta0, damping, h) = (1.2, 0.15, 0.005);
    let plain = measure(|| {
        black_box(pendulum_vjp(black_box(theta0), damping, h, n, 1.0));
    })
    .peak_bytes;
    // Plain reverse mode: the entry state (two f64) of every step at least.
    assert!(plain >= 16 * n, "{plain} bytes without checkpointing");
    let mut rows = Vec::new();
    for states in [2, 5, 10, 20, 100] {
        let peak = measure(|| {
            black_box(pendulum_budget_grad(
                black_box(theta0),
                damping,
                h,
                n,
                states,
            ));
        })
        .peak_bytes;
        // `states` states of two f64 and the schedule's bookkeeping (a few words per state),
        // each vector at most doubled by growth, and one step's stored values.
        assert!(
            peak <= 4 * (16 + 40) * states + 512,
            "{states} states: {peak} bytes"
        );
        let advances = ad_runtime::revolve::optimal_advances(n, states);
        rows.push((states, peak, advances));
    }
    println!("n = {n}: plain reverse mode peaks at {plain} bytes");
    for (states, peak, advances) in &rows {
        println!(
            "{states:>4} states: peak {peak:>6} bytes, steps run again {advances:>7} (optimum, \
             {:.2} per step)",
            *advances as f64 / n as f64
        );
    }
    // More states, fewer steps run again.
    assert!(rows.windows(2).all(|w| w[1].2 < w[0].2));
}

// ---------------------------------------------------------------------------------------------
// A time loop per data point: the loss over trajectories is fused with its reverse sweep, and
// the time loop in its body is checkpointed as a top-level loop would be.
// ---------------------------------------------------------------------------------------------

/// The squared misfit of a damped pendulum's final angle, over several trajectories (one per
/// initial angle), as a fitting script writes it; `$attr` the checkpointing.
macro_rules! trajectories {
    ($name:ident, $($attr:tt)*) => {
        #[allow(dead_code)] // the primal is called for the plain copy only
        #[derive_grad(wrt(damping), $($attr)*)]
        fn $name(damping: f64, theta0: &[f64], target: &[f64], h: f64, n: usize) -> f64 {
            let mut loss = 0.0;
            for j in 0..theta0.len() {
                let mut theta = theta0[j];
                let mut omega = 0.0;
                for _ in 0..n {
                    let a = -theta.sin() - damping * omega;
                    theta += h * omega;
                    omega += h * a;
                }
                let r = theta - target[j];
                loss += r * r;
            }
            loss
        }
    };
}

trajectories!(trajectories_plain,);
trajectories!(trajectories_sqrt, checkpoint);
trajectories!(trajectories_revolve, checkpoint(snapshots = 8));

#[test]
fn a_time_loop_per_data_point_is_checkpointed() {
    let _alone = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let (theta0, target, h) = ([0.3, 1.1, -0.7], [0.1, 0.4, -0.2], 0.01);
    let n = 5_000;
    type Vjp = fn(f64, &[f64], &[f64], f64, usize, f64) -> (f64, f64);
    // Reverse mode throughout (`_grad` of one scalar through a long loop runs forward lanes).
    let (plain, sqrt, revolve): (Vjp, Vjp, Vjp) = (
        trajectories_plain_vjp,
        trajectories_sqrt_vjp,
        trajectories_revolve_vjp,
    );
    let (v, g) = plain(0.2, &theta0, &target, h, n, 1.0);
    let fd = central_difference(
        |d| trajectories_plain(d[0], &theta0, &target, h, n),
        &[0.2],
        0,
    );
    At("trajectories", &[0.2]).close("vs fd", 0, g, fd, Tol::fd(v));
    for (name, vjp) in [("sqrt", sqrt), ("revolve", revolve)] {
        // The same operations, the sums into the damping's adjoint grouped by segment.
        let (vc, gc) = vjp(0.2, &theta0, &target, h, n, 1.0);
        assert_eq!(vc, v, "{name}");
        approx::assert_relative_eq!(gc, g, max_relative = 1e-12);
    }
    let peak = |vjp: Vjp| {
        measure(|| {
            black_box(vjp(black_box(0.2), &theta0, &target, h, n, 1.0));
        })
        .peak_bytes
    };
    let (plain, sqrt, revolve) = (peak(plain), peak(sqrt), peak(revolve));
    println!(
        "{n} steps per trajectory: peak {plain} bytes plain, {sqrt} sqrt, {revolve} with 8 states"
    );
    // Plain: the two carried values of every step of one trajectory at least (the loop over
    // trajectories is fused: one trajectory's steps at a time).
    assert!(plain >= 16 * n, "{plain} bytes without checkpointing");
    assert!(
        sqrt * 10 < plain && revolve * 20 < plain,
        "{plain} {sqrt} {revolve}"
    );
}
