//! What second order and checkpointing cost, as ratios in one run:
//!
//! - the extended Rosenbrock function (n = 100): `_grad`, `_hvp` (forward over reverse, one
//!   pass) and `_hessian` (n passes) against the primal;
//! - the recurrence `x = x + h sin(x) p` (n = 10 000 steps): `_grad` with and without
//!   `checkpoint` (one more forward pass, `O(sqrt n)` instead of `O(n)` stored values), and with
//!   `checkpoint(snapshots = 10)` (ten states; each step run about 5.8 times more).
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
    targets = second_order
}
criterion_main!(benches);
