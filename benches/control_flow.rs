//! Loops in reverse mode: the 1000-step recurrence `x = x + h * sin(x) * p`.
//!
//! Run with `cargo bench -p ad-tests --bench control_flow`. The generated gradient stores one
//! float per step (the iterate), as a hand-written adjoint does.

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive_tangent]
#[derive_grad]
fn recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut x = x0;
    for _ in 0..n {
        x = x + h * x.sin() * p;
    }
    x
}

/// The adjoint written by hand: store the iterates, then run the steps backwards.
fn recurrence_grad_hand(x0: f64, p: f64, n: usize) -> (f64, (f64, f64)) {
    let h = 0.01;
    let mut xs = Vec::with_capacity(n);
    let mut x = x0;
    for _ in 0..n {
        xs.push(x);
        x = x + h * x.sin() * p;
    }
    let (mut x_bar, mut p_bar) = (1.0, 0.0);
    for &xk in xs.iter().rev() {
        let (s, c) = xk.sin_cos();
        p_bar += h * s * x_bar;
        x_bar *= 1.0 + h * c * p;
    }
    (x, (x_bar, p_bar))
}

/// Forward sensitivities by hand: two tangents carried along.
fn recurrence_tangent_hand(x0: f64, p: f64, n: usize) -> (f64, (f64, f64)) {
    let h = 0.01;
    let (mut x, mut dx0, mut dp) = (x0, 1.0, 0.0);
    for _ in 0..n {
        let (s, c) = x.sin_cos();
        let step = 1.0 + h * c * p;
        dp = step * dp + h * s;
        dx0 *= step;
        x += h * s * p;
    }
    (x, (dx0, dp))
}

fn bench(c: &mut Criterion) {
    let (x0, p) = (0.3, 1.5);
    for n in [10usize, 1000] {
        let mut grp = c.benchmark_group(format!("recurrence/{n}"));
        grp.bench_function("primal", |b| {
            b.iter(|| recurrence(black_box(x0), black_box(p), n))
        });
        grp.bench_function("grad", |b| {
            b.iter(|| recurrence_grad(black_box(x0), black_box(p), n))
        });
        grp.bench_function("grad_hand", |b| {
            b.iter(|| recurrence_grad_hand(black_box(x0), black_box(p), n))
        });
        grp.bench_function("tangent_x2", |b| {
            b.iter(|| {
                (
                    recurrence_tangent(black_box(x0), 1.0, black_box(p), 0.0, n),
                    recurrence_tangent(black_box(x0), 0.0, black_box(p), 1.0, n),
                )
            })
        });
        grp.bench_function("tangent_hand", |b| {
            b.iter(|| recurrence_tangent_hand(black_box(x0), black_box(p), n))
        });
        grp.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
