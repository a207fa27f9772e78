//! Slices in reverse mode: Extended Rosenbrock on `&[f64]` (n = 10, 100, 1000), the squared
//! error of a 16-32-1 tanh MLP on one sample (577 parameters in one `&[f64]`), and a fit through
//! two levels of calls whose data slice is a constant argument (n = 1000), a 64 x 64 tanh layer
//! lent a `Vec` to write (against the same layer inline), each as the primal,
//! the generated `_grad` and a gradient written by hand (and, for the fit, `_grad` of the
//! version that differentiates the data too).
//!
//! Run with `cargo bench -p ad-tests --bench data`. Both gradients write into a shadow buffer
//! allocated once and zeroed in every iteration (a shadow receives `+=`, SPEC §4), so the
//! zeroing is part of both measurements.

use std::hint::black_box;

use ad_tests::models::*;
use criterion::{Criterion, criterion_group, criterion_main};

/// `n` deterministic values in [-1, 1).
fn values(n: usize, k: f64) -> Vec<f64> {
    (0..n).map(|i| (k * (i as f64 + 1.0)).sin()).collect()
}

/// Panics unless the generated and the hand-written gradients agree (1e-12 relative): the
/// benchmark compares two computations of one thing.
fn assert_same(what: &str, generated: &[f64], hand: &[f64]) {
    for (i, (g, h)) in generated.iter().zip(hand).enumerate() {
        let tol = 1e-12 * g.abs().max(h.abs()).max(1.0);
        assert!(
            (g - h).abs() <= tol,
            "{what}[{i}]: generated {g}, by hand {h}"
        );
    }
}

fn bench(c: &mut Criterion) {
    for n in [10usize, 100, 1000] {
        let x: Vec<f64> = values(n, 0.7).iter().map(|v| 1.2 * v).collect();
        let (mut dx, mut dx_hand) = (vec![0.0; n], vec![0.0; n]);
        rosenbrock_grad(&x, &mut dx, n);
        rosenbrock_grad_hand(&x, &mut dx_hand, n);
        assert_same("rosenbrock gradient", &dx, &dx_hand);
        let mut grp = c.benchmark_group(format!("rosenbrock/{n}"));
        grp.bench_function("primal", |b| b.iter(|| rosenbrock(black_box(&x), n)));
        grp.bench_function("grad", |b| {
            b.iter(|| {
                dx.fill(0.0);
                let v = rosenbrock_grad(black_box(&x), &mut dx, n);
                black_box(&dx);
                v
            })
        });
        grp.bench_function("grad_hand", |b| {
            b.iter(|| {
                dx.fill(0.0);
                let v = rosenbrock_grad_hand(black_box(&x), &mut dx, n);
                black_box(&dx);
                v
            })
        });
        grp.finish();
    }

    let params: Vec<f64> = values(PARAMS, 0.37).iter().map(|v| 0.3 * v).collect();
    let x = values(INPUTS, 1.1);
    let target = 0.25;
    let (mut dp, mut dx) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
    let (mut dp_hand, mut dx_hand) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
    let (_, dt) = mlp_loss_grad(&params, &mut dp, &x, &mut dx, target);
    let (_, dt_hand) = mlp_loss_grad_hand(&params, &mut dp_hand, &x, &mut dx_hand, target);
    assert_same("mlp_loss gradient of params", &dp, &dp_hand);
    assert_same("mlp_loss gradient of x", &dx, &dx_hand);
    assert_same("mlp_loss derivative in target", &[dt], &[dt_hand]);
    let mut grp = c.benchmark_group("mlp_loss/577");
    grp.bench_function("primal", |b| {
        b.iter(|| mlp_loss(black_box(&params), black_box(&x), target))
    });
    grp.bench_function("grad", |b| {
        b.iter(|| {
            dp.fill(0.0);
            dx.fill(0.0);
            let v = mlp_loss_grad(black_box(&params), &mut dp, black_box(&x), &mut dx, target);
            black_box((&dp, &dx));
            v
        })
    });
    grp.bench_function("grad_hand", |b| {
        b.iter(|| {
            dp.fill(0.0);
            dx.fill(0.0);
            let v = mlp_loss_grad_hand(black_box(&params), &mut dp, black_box(&x), &mut dx, target);
            black_box((&dp, &dx));
            v
        })
    });
    grp.finish();

    // A constant slice argument to a callee: `fit` (wrt(w)) passes x on two calls deep, where
    // the callees add x's adjoint into a sink; `fit_both` differentiates x too.
    let n = 1000;
    let (w, x) = (values(n, 0.3), values(n, 0.8));
    let (mut dw, mut dw_hand, mut dw_both, mut dx) =
        (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    fit_grad(&w, &mut dw, &x);
    fit_grad_hand(&w, &mut dw_hand, &x);
    fit_both_grad(&w, &mut dw_both, &x, &mut dx);
    assert_same("fit gradient", &dw, &dw_hand);
    assert_same("fit_both gradient in w", &dw_both, &dw_hand);
    let mut grp = c.benchmark_group(format!("constant_slice/{n}"));
    grp.bench_function("primal", |b| b.iter(|| fit(black_box(&w), black_box(&x))));
    grp.bench_function("grad", |b| {
        b.iter(|| {
            dw.fill(0.0);
            let v = fit_grad(black_box(&w), &mut dw, black_box(&x));
            black_box(&dw);
            v
        })
    });
    grp.bench_function("grad_both", |b| {
        b.iter(|| {
            dw.fill(0.0);
            dx.fill(0.0);
            let v = fit_both_grad(black_box(&w), &mut dw, black_box(&x), &mut dx);
            black_box((&dw, &dx));
            v
        })
    });
    grp.bench_function("grad_hand", |b| {
        b.iter(|| {
            dw.fill(0.0);
            let v = fit_grad_hand(black_box(&w), &mut dw, black_box(&x));
            black_box(&dw);
            v
        })
    });
    grp.finish();

    // A slice lent to a call to be written: a 64 x 64 tanh layer called with `&mut h`, against
    // the same layer written inline (the call's reverse pass saves h and runs the layer again).
    let (m, n) = (64, 64);
    let (w, x) = (values(m * n, 0.37), values(n, 0.9));
    let (mut dw, mut dw_inline) = (vec![0.0; m * n], vec![0.0; m * n]);
    layer_via_call_grad(&w, &mut dw, &x, m);
    layer_inline_grad(&w, &mut dw_inline, &x, m);
    assert_same("layer gradient through a call", &dw, &dw_inline);
    let mut grp = c.benchmark_group(format!("lent_slice/{m}x{n}"));
    grp.bench_function("primal", |b| {
        b.iter(|| layer_via_call(black_box(&w), black_box(&x), m))
    });
    grp.bench_function("grad", |b| {
        b.iter(|| {
            dw.fill(0.0);
            let v = layer_via_call_grad(black_box(&w), &mut dw, black_box(&x), m);
            black_box(&dw);
            v
        })
    });
    grp.bench_function("grad_inline", |b| {
        b.iter(|| {
            dw.fill(0.0);
            let v = layer_inline_grad(black_box(&w), &mut dw, black_box(&x), m);
            black_box(&dw);
            v
        })
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
