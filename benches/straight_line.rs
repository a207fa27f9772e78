#![allow(clippy::too_many_arguments, clippy::type_complexity)]
//! Straight-line code: generated derivatives against the primal and against hand-written ones.
//!
//! Run with `cargo bench -p ad-tests --bench straight_line`; each group prints the time of
//! `primal`, `generated` and `hand` for one function and mode, measured in the same run.

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use criterion::{Criterion, criterion_group, criterion_main};

/// The seed's function.
#[derive_tangent]
#[derive_grad]
fn f(x: f64, y: f64) -> f64 {
    x * y + x.sin()
}

fn f_tangent_hand(x: f64, dx: f64, y: f64, dy: f64) -> (f64, f64) {
    let s = x.sin();
    (x * y + s, y * dx + x * dy + x.cos() * dx)
}

fn f_grad_hand(x: f64, y: f64) -> (f64, (f64, f64)) {
    (x * y + x.sin(), (y + x.cos(), x))
}

/// Three inputs, transcendental-heavy.
#[derive_tangent]
#[derive_grad]
fn g(x: f64, y: f64, z: f64) -> f64 {
    let e = (x * y).exp();
    let r = (x * x + y * y).sqrt();
    e / (1.0 + z * z) + r * z.cos()
}

fn g_tangent_hand(x: f64, dx: f64, y: f64, dy: f64, z: f64, dz: f64) -> (f64, f64) {
    let e = (x * y).exp();
    let r = (x * x + y * y).sqrt();
    let q = 1.0 + z * z;
    let (s, c) = z.sin_cos();
    let de = e * (y * dx + x * dy);
    let dr = (x * dx + y * dy) / r;
    let dq = 2.0 * z * dz;
    (
        e / q + r * c,
        de / q - e * dq / (q * q) + dr * c - r * s * dz,
    )
}

/// Two inputs, two outputs: polar coordinates.
#[derive_tangent]
#[derive_grad]
fn polar(x: f64, y: f64) -> (f64, f64) {
    (x.hypot(y), y.atan2(x))
}

fn polar_tangent_hand(x: f64, dx: f64, y: f64, dy: f64) -> ((f64, f64), (f64, f64)) {
    let r = x.hypot(y);
    let r2 = r * r;
    (
        (r, y.atan2(x)),
        ((x * dx + y * dy) / r, (x * dy - y * dx) / r2),
    )
}

fn polar_vjp_hand(x: f64, y: f64, w: (f64, f64)) -> ((f64, f64), (f64, f64)) {
    let r = x.hypot(y);
    let r2 = r * r;
    (
        (r, y.atan2(x)),
        (w.0 * x / r - w.1 * y / r2, w.0 * y / r + w.1 * x / r2),
    )
}

include!("rosen20.rs");

fn bench(c: &mut Criterion) {
    let (x, y, z) = (0.7, -1.3, 0.4);
    let a: [f64; 20] = std::array::from_fn(|i| 0.3 + 0.05 * i as f64);

    let mut grp = c.benchmark_group("tangent/f");
    grp.bench_function("primal", |b| b.iter(|| f(black_box(x), black_box(y))));
    grp.bench_function("generated", |b| {
        b.iter(|| f_tangent(black_box(x), 1.0, black_box(y), 0.0))
    });
    grp.bench_function("hand", |b| {
        b.iter(|| f_tangent_hand(black_box(x), 1.0, black_box(y), 0.0))
    });
    grp.finish();

    let mut grp = c.benchmark_group("tangent/g");
    grp.bench_function("primal", |b| {
        b.iter(|| g(black_box(x), black_box(y), black_box(z)))
    });
    grp.bench_function("generated", |b| {
        b.iter(|| g_tangent(black_box(x), 1.0, black_box(y), 0.5, black_box(z), 0.25))
    });
    grp.bench_function("hand", |b| {
        b.iter(|| g_tangent_hand(black_box(x), 1.0, black_box(y), 0.5, black_box(z), 0.25))
    });
    grp.finish();

    let mut grp = c.benchmark_group("tangent/polar");
    grp.bench_function("primal", |b| b.iter(|| polar(black_box(x), black_box(y))));
    grp.bench_function("generated", |b| {
        b.iter(|| polar_tangent(black_box(x), 1.0, black_box(y), 0.0))
    });
    grp.bench_function("hand", |b| {
        b.iter(|| polar_tangent_hand(black_box(x), 1.0, black_box(y), 0.0))
    });
    grp.finish();

    let mut grp = c.benchmark_group("grad/f");
    grp.bench_function("primal", |b| b.iter(|| f(black_box(x), black_box(y))));
    grp.bench_function("generated", |b| {
        b.iter(|| f_grad(black_box(x), black_box(y)))
    });
    grp.bench_function("hand", |b| {
        b.iter(|| f_grad_hand(black_box(x), black_box(y)))
    });
    grp.finish();

    let mut grp = c.benchmark_group("grad/rosen20");
    grp.bench_function("primal", |b| b.iter(|| rosen20_call(black_box(&a))));
    grp.bench_function("generated", |b| b.iter(|| rosen20_grad_call(black_box(&a))));
    grp.bench_function("hand", |b| b.iter(|| rosen20_hand(black_box(&a))));
    grp.finish();

    let mut grp = c.benchmark_group("vjp/polar");
    grp.bench_function("primal", |b| b.iter(|| polar(black_box(x), black_box(y))));
    grp.bench_function("generated", |b| {
        b.iter(|| polar_vjp(black_box(x), black_box(y), (1.0, 0.5)))
    });
    grp.bench_function("hand", |b| {
        b.iter(|| polar_vjp_hand(black_box(x), black_box(y), (1.0, 0.5)))
    });
    grp.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
