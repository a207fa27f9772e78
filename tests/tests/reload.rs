//! Values the reverse sweep reads again from memory rather than storing a second copy: the
//! hidden layer's `tanh` values, written to `h[j]` by a top-level loop over `0..4` and not
//! written again, are read back from `h` (no stack, nothing allocated). Where `h` is written
//! again after the loop, or the loop runs once per sample inside another loop, the values are
//! stored as before. Each function is checked against its gradient by hand, central
//! differences, and forward against reverse mode (`check_flat`); the allocation counts show
//! which way each went.

// Index loops over the layer, as the C++-style MLP writes them.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::alloc::measure;
use ad_tests::check_flat;
use ad_tests::r#gen::Rng;

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

/// Units and inputs of the layer.
const UNITS: usize = 4;
const INPUTS: usize = 3;

/// `Σ_j tanh(W_j · x)²`: the `tanh` values are read again from `h`.
#[derive_tangent]
#[derive_grad]
fn layer(w: &[f64], x: &[f64]) -> f64 {
    let mut h = [0.0; 4];
    for j in 0..UNITS {
        let mut a = 0.0;
        for k in 0..INPUTS {
            a += w[j * INPUTS + k] * x[k];
        }
        h[j] = a.tanh();
    }
    let mut out = 0.0;
    for j in 0..UNITS {
        out += h[j] * h[j];
    }
    out
}

/// As [`layer`], with `h[0]` written again after the loop: the `tanh` values are stored.
#[derive_tangent]
#[derive_grad]
fn layer_rewritten(w: &[f64], x: &[f64]) -> f64 {
    let mut h = [0.0; 4];
    for j in 0..UNITS {
        let mut a = 0.0;
        for k in 0..INPUTS {
            a += w[j * INPUTS + k] * x[k];
        }
        h[j] = a.tanh();
    }
    h[0] = 0.5 * h[1];
    let mut out = 0.0;
    for j in 0..UNITS {
        out += h[j] * h[j];
    }
    out
}

/// [`layer`] of two samples, `h` written once per sample: the `tanh` values are stored.
#[derive_tangent]
#[derive_grad]
fn layer_per_sample(w: &[f64], xs: &[f64]) -> f64 {
    let mut h = [0.0; 4];
    let mut out = 0.0;
    for s in 0..2 {
        for j in 0..UNITS {
            let mut a = 0.0;
            for k in 0..INPUTS {
                a += w[j * INPUTS + k] * xs[s * INPUTS + k];
            }
            h[j] = a.tanh();
        }
        for j in 0..UNITS {
            out += h[j] * h[j];
        }
    }
    out
}

/// The gradient in `(w, x)` of a function of `t_j = tanh(W_j · x)` whose derivative in `t_j`
/// is `dt(j, t)`, by hand: `∂/∂a_j = dt_j (1 - t_j²)`, `∂/∂W_jk = ∂/∂a_j x_k`,
/// `∂/∂x_k = Σ_j ∂/∂a_j W_jk`.
fn by_hand(w: &[f64], x: &[f64], dt: impl Fn(usize, &[f64]) -> f64) -> (Vec<f64>, Vec<f64>) {
    let t: Vec<f64> = (0..UNITS)
        .map(|j| {
            (0..INPUTS)
                .map(|k| w[j * INPUTS + k] * x[k])
                .sum::<f64>()
                .tanh()
        })
        .collect();
    let (mut dw, mut dx) = (vec![0.0; w.len()], vec![0.0; INPUTS]);
    for j in 0..UNITS {
        let da = dt(j, &t) * (1.0 - t[j] * t[j]);
        for k in 0..INPUTS {
            dw[j * INPUTS + k] += da * x[k];
            dx[k] += da * w[j * INPUTS + k];
        }
    }
    (dw, dx)
}

type Tangent = fn(&[f64], &[f64], &[f64], &[f64]) -> (f64, f64);
type Grad = fn(&[f64], &mut [f64], &[f64], &mut [f64]) -> f64;

/// `check_flat` over `(w, x)` flattened, `split` the length of `w`.
fn check_split(
    name: &str,
    p: &[f64],
    split: usize,
    f: fn(&[f64], &[f64]) -> f64,
    tangent: Tangent,
    grad: Grad,
    hand: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) {
    check_flat(
        name,
        p,
        |p| f(&p[..split], &p[split..]),
        |p, d| tangent(&p[..split], &d[..split], &p[split..], &d[split..]),
        |p, g| {
            let (mut gw, mut gx) = (g[..split].to_vec(), g[split..].to_vec());
            let v = grad(&p[..split], &mut gw, &p[split..], &mut gx);
            g[..split].copy_from_slice(&gw);
            g[split..].copy_from_slice(&gx);
            v
        },
        |p| hand(&p[..split], &p[split..]),
    );
}

#[test]
fn read_again_or_stored_gradients() {
    let mut rng = Rng(0x4e10);
    let nw = UNITS * INPUTS;
    for _ in 0..3 {
        let p = rng.vec(nw + INPUTS, -1.0, 1.0);
        check_split("layer", &p, nw, layer, layer_tangent, layer_grad, |w, x| {
            let (mut dw, dx) = by_hand(w, x, |j, t| 2.0 * t[j]);
            dw.extend(dx);
            dw
        });
        // out = (t1 / 2)² + t1² + t2² + t3²: t0 no longer counts.
        check_split(
            "layer_rewritten",
            &p,
            nw,
            layer_rewritten,
            layer_rewritten_tangent,
            layer_rewritten_grad,
            |w, x| {
                let dt = |j: usize, t: &[f64]| match j {
                    0 => 0.0,
                    1 => 2.5 * t[1],
                    _ => 2.0 * t[j],
                };
                let (mut dw, dx) = by_hand(w, x, dt);
                dw.extend(dx);
                dw
            },
        );
        let q = rng.vec(nw + 2 * INPUTS, -1.0, 1.0);
        check_split(
            "layer_per_sample",
            &q,
            nw,
            layer_per_sample,
            layer_per_sample_tangent,
            layer_per_sample_grad,
            |w, xs| {
                let mut dw = vec![0.0; w.len()];
                let mut dxs = Vec::new();
                for x in xs.chunks(INPUTS) {
                    let (dws, dx) = by_hand(w, x, |j, t| 2.0 * t[j]);
                    dw.iter_mut().zip(dws).for_each(|(a, b)| *a += b);
                    dxs.extend(dx);
                }
                dw.extend(dxs);
                dw
            },
        );
    }
}

#[test]
fn read_again_allocates_nothing() {
    let (w, x, xs) = (
        vec![0.3; UNITS * INPUTS],
        vec![0.5; INPUTS],
        vec![0.2; 2 * INPUTS],
    );
    let (mut gw, mut gx, mut gxs) = (vec![0.0; w.len()], vec![0.0; INPUTS], vec![0.0; 6]);
    black_box(layer_grad(&w, &mut gw, &x, &mut gx));
    let m = measure(|| {
        black_box(layer_grad(black_box(&w), &mut gw, &x, &mut gx));
    });
    assert_eq!(m.allocations, 0, "the tanh values are read again from h");
    let m = measure(|| {
        black_box(layer_rewritten_grad(black_box(&w), &mut gw, &x, &mut gx));
    });
    assert_eq!(
        m.allocations, 1,
        "h[0] is written again: the values are stored"
    );
    let m = measure(|| {
        black_box(layer_per_sample_grad(black_box(&w), &mut gw, &xs, &mut gxs));
    });
    assert!(
        m.allocations >= 1,
        "h is written per sample: the values are stored"
    );
}
