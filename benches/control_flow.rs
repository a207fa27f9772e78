//! Loops in reverse mode: the 1000-step recurrence `x = x + h * sin(x) * p`.
//!
//! Run with `cargo bench -p ad-tests --bench control_flow`. The generated gradient stores one
//! float per step (the iterate), as a hand-written adjoint does.

use std::hint::black_box;

use ad_tests::models::{
    recurrence, recurrence_grad, recurrence_grad_hand, recurrence_tangent, recurrence_tangent_hand,
};
use criterion::{Criterion, criterion_group, criterion_main};

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
