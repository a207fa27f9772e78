//! nalgebra (issue 19): the gradient of linear least squares `0.5 |A x - b|²` with a 200 x 200
//! `DMatrix`, ours against the one an engineer writes with nalgebra (`r = A x - b`, then
//! `Aᵀ r`, with `tr_mul`); with respect to `x` alone and to `(A, x, b)`. And rigid alignment of
//! 100 point pairs through `Matrix3` / `Vector3`, ours against the gradient written by hand.
//!
//! Run with `cargo bench -p ad-tests --bench linalg`. Shadows are allocated once and zeroed in
//! every iteration (they receive `+=`), so the zeroing is part of both measurements.

use std::hint::black_box;

use ad_runtime::derive_grad;
use criterion::{Criterion, criterion_group, criterion_main};
use nalgebra::{DMatrix, DVector, Matrix3, Vector3};

#[derive_grad(wrt(x))]
fn least_squares_x(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    0.5 * (a * x - b).norm_squared()
}

#[derive_grad]
fn least_squares_all(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    0.5 * (a * x - b).norm_squared()
}

/// By hand: `Aᵀ (A x - b)` into `gx`.
fn least_squares_x_hand(
    a: &DMatrix<f64>,
    x: &DVector<f64>,
    gx: &mut DVector<f64>,
    b: &DVector<f64>,
) -> f64 {
    let r = a * x - b;
    a.tr_mul_to(&r, gx);
    0.5 * r.norm_squared()
}

/// By hand: `(r xᵀ, Aᵀ r, -r)` added into the shadows.
fn least_squares_all_hand(
    a: &DMatrix<f64>,
    ga: &mut DMatrix<f64>,
    x: &DVector<f64>,
    gx: &mut DVector<f64>,
    b: &DVector<f64>,
    gb: &mut DVector<f64>,
) -> f64 {
    let r = a * x - b;
    ga.ger(1.0, &r, x, 1.0);
    gx.gemv_tr(1.0, a, &r, 1.0);
    *gb -= &r;
    0.5 * r.norm_squared()
}

#[derive_grad(wrt(r, t))]
fn alignment(r: &Matrix3<f64>, t: &Vector3<f64>, p: &[Vector3<f64>], q: &[Vector3<f64>]) -> f64 {
    let mut s = 0.0;
    for i in 0..p.len() {
        s += (r * p[i] + t - q[i]).norm_squared();
    }
    s
}

/// By hand: `Σ 2 e pᵀ` and `Σ 2 e` with `e = r p + t - q`.
fn alignment_hand(
    r: &Matrix3<f64>,
    gr: &mut Matrix3<f64>,
    t: &Vector3<f64>,
    gt: &mut Vector3<f64>,
    p: &[Vector3<f64>],
    q: &[Vector3<f64>],
) -> f64 {
    let mut s = 0.0;
    for (p, q) in p.iter().zip(q) {
        let e = r * p + t - q;
        s += e.norm_squared();
        *gr += 2.0 * e * p.transpose();
        *gt += 2.0 * e;
    }
    s
}

fn close(what: &str, ours: &[f64], hand: &[f64]) {
    for (i, (g, h)) in ours.iter().zip(hand).enumerate() {
        assert!(
            (g - h).abs() <= 1e-10 * g.abs().max(h.abs()).max(1.0),
            "{what}[{i}]: {g} vs {h}"
        );
    }
}

fn bench(c: &mut Criterion) {
    let n = 200;
    let a = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 13) as f64 * 0.1).sin());
    let x = DVector::from_fn(n, |i, _| (i as f64 * 0.3).cos());
    let b = DVector::from_fn(n, |i, _| (i as f64 * 0.17).sin());
    let (mut gx, mut gx_hand) = (DVector::zeros(n), DVector::zeros(n));
    least_squares_x_grad(&a, &x, &mut gx, &b);
    least_squares_x_hand(&a, &x, &mut gx_hand, &b);
    close("gradient in x", gx.as_slice(), gx_hand.as_slice());
    let (mut ga, mut gb) = (DMatrix::zeros(n, n), DVector::zeros(n));
    let (mut ga_hand, mut gb_hand) = (DMatrix::zeros(n, n), DVector::zeros(n));
    gx.fill(0.0);
    gx_hand.fill(0.0);
    least_squares_all_grad(&a, &mut ga, &x, &mut gx, &b, &mut gb);
    least_squares_all_hand(&a, &mut ga_hand, &x, &mut gx_hand, &b, &mut gb_hand);
    close("gradient in A", ga.as_slice(), ga_hand.as_slice());
    close("gradient in b", gb.as_slice(), gb_hand.as_slice());
    assert_eq!(least_squares_all(&a, &x, &b), least_squares_x(&a, &x, &b));

    let mut g = c.benchmark_group("least_squares_200");
    g.bench_function("primal", |bch| {
        bch.iter(|| least_squares_x(black_box(&a), &x, &b))
    });
    g.bench_function("hand_x", |bch| {
        bch.iter(|| {
            gx_hand.fill(0.0);
            least_squares_x_hand(black_box(&a), &x, &mut gx_hand, &b)
        })
    });
    g.bench_function("grad_x", |bch| {
        bch.iter(|| {
            gx.fill(0.0);
            least_squares_x_grad(black_box(&a), &x, &mut gx, &b)
        })
    });
    g.bench_function("hand_all", |bch| {
        bch.iter(|| {
            ga_hand.fill(0.0);
            gx_hand.fill(0.0);
            gb_hand.fill(0.0);
            least_squares_all_hand(
                black_box(&a),
                &mut ga_hand,
                &x,
                &mut gx_hand,
                &b,
                &mut gb_hand,
            )
        })
    });
    g.bench_function("grad_all", |bch| {
        bch.iter(|| {
            ga.fill(0.0);
            gx.fill(0.0);
            gb.fill(0.0);
            least_squares_all_grad(black_box(&a), &mut ga, &x, &mut gx, &b, &mut gb)
        })
    });
    g.finish();

    let m = 100;
    let p: Vec<Vector3<f64>> = (0..m)
        .map(|i| Vector3::new((i as f64).sin(), (i as f64 * 0.7).cos(), i as f64 * 0.01))
        .collect();
    let q: Vec<Vector3<f64>> = p
        .iter()
        .map(|v| Vector3::new(v.y, -v.x, v.z + 0.5))
        .collect();
    let r = Matrix3::new(0.9, -0.2, 0.1, 0.2, 0.95, 0.0, -0.1, 0.05, 1.0);
    let t = Vector3::new(0.1, 0.2, -0.3);
    let (mut gr, mut gt, mut gr_hand, mut gt_hand) = (
        Matrix3::zeros(),
        Vector3::zeros(),
        Matrix3::zeros(),
        Vector3::zeros(),
    );
    alignment_grad(&r, &mut gr, &t, &mut gt, &p, &q);
    alignment_hand(&r, &mut gr_hand, &t, &mut gt_hand, &p, &q);
    close("alignment in r", gr.as_slice(), gr_hand.as_slice());
    close("alignment in t", gt.as_slice(), gt_hand.as_slice());
    let mut g = c.benchmark_group("alignment_100");
    g.bench_function("primal", |bch| {
        bch.iter(|| alignment(black_box(&r), &t, &p, &q))
    });
    g.bench_function("hand", |bch| {
        bch.iter(|| {
            gr_hand.fill(0.0);
            gt_hand.fill(0.0);
            alignment_hand(black_box(&r), &mut gr_hand, &t, &mut gt_hand, &p, &q)
        })
    });
    g.bench_function("grad", |bch| {
        bch.iter(|| {
            gr.fill(0.0);
            gt.fill(0.0);
            alignment_grad(black_box(&r), &mut gr, &t, &mut gt, &p, &q)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
