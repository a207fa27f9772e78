//! A sparse Jacobian against the dense one (SPEC §10, issue 20): the residual of an implicit
//! step of the 1-D heat equation on n = 1000 points, tridiagonal.
//!
//! - `dense_jacfwd`: vector forward mode over every column, 4 lanes, so 250 passes, into a dense
//!   1000 × 1000 Jacobian;
//! - `dense_1_lane`: the same with one lane, the 1000 passes of column-by-column forward mode;
//! - `sparse`: `_jacsparse` with the 3 colours of the detected pattern, one pass of 4 lanes, into
//!   a CSR matrix of 2998 non-zeros;
//! - `detect`: `_sparsity`, the one-time detection and colouring (250 passes, like the dense
//!   Jacobian);
//! - `primal`: the residual alone;
//! - `rosenbrock_hessian_1000`: the extended Rosenbrock function's tridiagonal Hessian, sparse
//!   (3 Hessian-vector products) against dense (1000), with the gradient for scale.
//! - `hub_hessian_1000`: an arrowhead Hessian (one input coupled to all others), sparse by its
//!   star colouring (2 products; the columns' colouring would need 1000) against dense.
//!
//! Run with `cargo bench -p ad-tests --bench sparse`; the ratios are in `docs/benchmarks.md`.

use std::hint::black_box;
use std::time::Duration;

use ad_runtime::{derive_grad, derive_jacobian};
use criterion::{Criterion, criterion_group, criterion_main};

macro_rules! heat {
    ($name:ident, $($attr:tt)*) => {
        /// `u - u_old - dt (Δu - u³)` on n interior points, zero boundary values.
        #[derive_jacobian($($attr)*)]
        fn $name(u: &[f64], u_old: &[f64], dt: f64, r: &mut [f64]) {
            let n = u.len();
            let h = 1.0 / (n + 1) as f64;
            for i in 0..n {
                let left = if i > 0 { u[i - 1] } else { 0.0 };
                let right = if i + 1 < n { u[i + 1] } else { 0.0 };
                let laplacian = (left - 2.0 * u[i] + right) / (h * h);
                r[i] = u[i] - u_old[i] - dt * (laplacian - u[i] * u[i] * u[i]);
            }
        }
    };
}

heat!(heat, sparse, forward, wrt(u, r));

#[derive_grad(hessian, sparse)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}
heat!(heat_one_lane, forward, lanes = 1, wrt(u, r));

fn sparse(c: &mut Criterion) {
    let n = 1000;
    let u: Vec<f64> = (0..n).map(|i| (0.37 * i as f64).sin()).collect();
    let u_old: Vec<f64> = (0..n).map(|i| (0.11 * i as f64).cos()).collect();
    let dt = 1e-4;
    let mut r = vec![0.0; n];
    let pattern = heat_sparsity(&u, &u_old, dt, &mut r);
    assert_eq!(pattern.colours(), 3);
    // The same numbers both ways before anything is timed.
    let sparse = heat_jacsparse(&u, &u_old, dt, &mut r, &pattern);
    let dense = heat_jacfwd(&u, &u_old, dt, &mut r);
    for (&value, (i, j)) in sparse.iter() {
        assert_eq!(value, dense[(i, j)]);
    }
    assert_eq!(heat_one_lane_jacfwd(&u, &u_old, dt, &mut r), dense);
    let mut r1 = vec![0.0; n];
    heat_one_lane(&u, &u_old, dt, &mut r1);
    heat(&u, &u_old, dt, &mut r);
    assert_eq!(r, r1);

    let mut g = c.benchmark_group("tridiagonal_1000");
    g.bench_function("primal", |b| {
        b.iter(|| heat(black_box(&u), &u_old, dt, &mut r))
    });
    g.bench_function("sparse", |b| {
        b.iter(|| heat_jacsparse(black_box(&u), &u_old, dt, &mut r, &pattern))
    });
    g.bench_function("dense_jacfwd", |b| {
        b.iter(|| heat_jacfwd(black_box(&u), &u_old, dt, &mut r))
    });
    g.bench_function("dense_1_lane", |b| {
        b.iter(|| heat_one_lane_jacfwd(black_box(&u), &u_old, dt, &mut r))
    });
    g.bench_function("detect", |b| {
        b.iter(|| heat_sparsity(black_box(&u), &u_old, dt, &mut r))
    });
    g.finish();

    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.3 * (0.7 * i as f64).sin()).collect();
    let pattern = rosenbrock_hessian_sparsity(&x);
    assert_eq!(pattern.colours(), 3);
    let (_, _, sparse) = rosenbrock_hessian_sparse(&x, &pattern);
    let (value, _, dense) = rosenbrock_hessian(&x);
    assert_eq!(value, rosenbrock(&x));
    for (&value, (i, j)) in sparse.iter() {
        assert!((value - dense[(i, j)]).abs() <= 1e-12 * value.abs().max(1.0));
    }
    let mut g = c.benchmark_group("rosenbrock_hessian_1000");
    g.bench_function("grad", |b| {
        b.iter(|| {
            let mut dx = vec![0.0; n];
            rosenbrock_grad(black_box(&x), &mut dx);
            dx
        })
    });
    g.bench_function("sparse", |b| {
        b.iter(|| rosenbrock_hessian_sparse(black_box(&x), &pattern))
    });
    g.bench_function("dense", |b| b.iter(|| rosenbrock_hessian(black_box(&x))));
    g.finish();
}

/// One input coupled to every other: an arrowhead Hessian.
#[derive_grad(hessian, sparse)]
fn hub(x: &[f64]) -> f64 {
    let mut s = x[0] * x[0];
    for i in 1..x.len() {
        s += (x[0] * x[i]).sin() + x[i] * x[i] * x[i];
    }
    s
}

fn arrowhead(c: &mut Criterion) {
    let n = 1000;
    let x: Vec<f64> = (0..n).map(|i| 0.3 + 0.001 * i as f64).collect();
    let pattern = hub_hessian_sparsity(&x);
    assert_eq!(pattern.colours(), 2);
    let (value, _, sparse) = hub_hessian_sparse(&x, &pattern);
    assert_eq!(value, hub(&x));
    let (_, _, dense) = hub_hessian(&x);
    for (&value, (i, j)) in sparse.iter() {
        assert!((value - dense[(i, j)]).abs() <= 1e-12 * value.abs().max(1.0));
    }
    let mut g = c.benchmark_group("hub_hessian_1000");
    g.bench_function("grad", |b| {
        b.iter(|| {
            let mut dx = vec![0.0; n];
            hub_grad(black_box(&x), &mut dx);
            dx
        })
    });
    g.bench_function("sparse", |b| {
        b.iter(|| hub_hessian_sparse(black_box(&x), &pattern))
    });
    g.bench_function("dense", |b| b.iter(|| hub_hessian(black_box(&x))));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = sparse, arrowhead
}
criterion_main!(benches);
