//! `#[derive_grad(checkpoint)]`: a long loop's reverse sweep keeps its carried values every
//! `ceil(sqrt(n))` steps and runs each segment forward again, instead of storing every step.
//! The gradient is the same as without checkpointing (bit for bit: the same operations run in
//! the same order), and the stack's peak bytes grow as `sqrt(n)` instead of `n`, measured with a
//! counting allocator.

use std::hint::black_box;

use ad_runtime::derive_grad;
use ad_tests::alloc::measure;
use ad_tests::{At, MODES, Tol, central_difference};

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

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
            let want = plain_grad(x0, p, n);
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
        black_box(plain_grad(black_box(0.3), 1.2, n));
    });
    let with = measure(|| {
        black_box(checkpointed_grad(black_box(0.3), 1.2, n));
    });
    (without.peak_bytes, with.peak_bytes)
}

#[test]
fn stack_peak_grows_as_sqrt_n() {
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
