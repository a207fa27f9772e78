//! What second order and checkpointing cost, as ratios in one run:
//!
//! - the extended Rosenbrock function (n = 100): `_grad`, `_hvp` (forward over reverse, one
//!   pass) and `_hessian` (n passes) against the primal;
//! - the recurrence `x = x + h sin(x) p` (n = 10 000 steps): `_grad` with and without
//!   `checkpoint` (one more forward pass, `O(sqrt n)` instead of `O(n)` stored values), and with
//!   `checkpoint(snapshots = 10)` (ten states; each step run about 5.8 times more).
//!
//! - a chain of springs over a slice (n = 100) whose loop calls a helper, against the same
//!   function with the helper's body written in the loop: `_hvp` through the helper's
//!   second-order companions against `_hvp` without calls.
//!
//! Run with `cargo bench -p ad-tests --bench second_order`.

use std::hint::black_box;
use std::time::Duration;

use ad_runtime::derive_grad;
use ad_tests::models::{rosenbrock, rosenbrock_hessian, rosenbrock_hvp, rosenbrock_vjp};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive_grad]
fn recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.01 * x.sin() * p;
    }
    x
}

#[derive_grad(checkpoint)]
fn recurrence_checkpointed(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.01 * x.sin() * p;
    }
    x
}

#[derive_grad(checkpoint(snapshots = 10))]
fn recurrence_revolve(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.01 * x.sin() * p;
    }
    x
}

/// One spring between neighbours, its second-order companions written by `second_order`.
#[derive_grad(second_order, wrt(a, b))]
fn spring(a: f64, b: f64, s: f64) -> f64 {
    let d = b - a - 1.0;
    0.5 * s * d * d + 0.1 * (a * b).cos()
}

#[derive_grad(hessian)]
fn springs(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += spring(x[i], x[i + 1], 2.0 + i as f64);
    }
    e
}

#[derive_grad(hessian)]
fn springs_inline(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        let s = 2.0 + i as f64;
        let d = x[i + 1] - x[i] - 1.0;
        e += 0.5 * s * d * d + 0.1 * (x[i] * x[i + 1]).cos();
    }
    e
}

fn through_calls(c: &mut Criterion) {
    let x: Vec<f64> = (0..100).map(|i| 1.1 * i as f64 + 0.05).collect();
    let v: Vec<f64> = (0..100).map(|i| (0.3 * i as f64).cos()).collect();
    let (a, b) = (springs_hvp(&x, &v), springs_inline_hvp(&x, &v));
    assert_eq!(a.0, springs(&x));
    assert!((b.0 - springs_inline(&x)).abs() <= 1e-12 * b.0.abs());
    for (p, q) in a.2.iter().zip(&b.2) {
        assert!((p - q).abs() <= 1e-12 * q.abs().max(1.0));
    }
    let mut g = c.benchmark_group("springs_100");
    g.bench_function("hvp_through_calls", |b| {
        b.iter(|| springs_hvp(black_box(&x), &v))
    });
    g.bench_function("hvp_inline", |b| {
        b.iter(|| springs_inline_hvp(black_box(&x), &v))
    });
    g.finish();
}

fn second_order(c: &mut Criterion) {
    let x: Vec<f64> = (0..100).map(|i| 0.5 + 0.01 * i as f64).collect();
    let v: Vec<f64> = (0..100).map(|i| 1.0 - 0.02 * i as f64).collect();
    let mut g = c.benchmark_group("rosenbrock_100");
    g.bench_function("primal", |b| b.iter(|| rosenbrock(black_box(&x), 100)));
    g.bench_function("grad", |b| {
        b.iter(|| {
            let mut dx = vec![0.0; 100];
            rosenbrock_vjp(black_box(&x), &mut dx, 100, 1.0);
            dx
        })
    });
    g.bench_function("hvp", |b| b.iter(|| rosenbrock_hvp(black_box(&x), &v, 100)));
    g.bench_function("hessian", |b| {
        b.iter(|| rosenbrock_hessian(black_box(&x), 100))
    });
    g.finish();

    let mut g = c.benchmark_group("recurrence_10000");
    g.bench_function("primal", |b| {
        b.iter(|| recurrence(black_box(0.3), 1.2, 10_000))
    });
    g.bench_function("grad", |b| {
        b.iter(|| recurrence_grad(black_box(0.3), 1.2, 10_000))
    });
    g.bench_function("grad_checkpointed", |b| {
        b.iter(|| recurrence_checkpointed_grad(black_box(0.3), 1.2, 10_000))
    });
    g.bench_function("grad_revolve_10", |b| {
        b.iter(|| recurrence_revolve_grad(black_box(0.3), 1.2, 10_000))
    });
    g.finish();
    assert_eq!(
        recurrence_grad(0.3, 1.2, 10_000),
        recurrence_checkpointed_grad(0.3, 1.2, 10_000)
    );
    assert_eq!(
        recurrence_grad(0.3, 1.2, 10_000),
        recurrence_revolve_grad(0.3, 1.2, 10_000)
    );
    assert_eq!(recurrence(0.3, 1.2, 100), recurrence_revolve(0.3, 1.2, 100));
    assert_eq!(
        recurrence(0.3, 1.2, 100),
        recurrence_checkpointed(0.3, 1.2, 100)
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = second_order, through_calls
}
criterion_main!(benches);
