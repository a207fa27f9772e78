//! Loops whose iterations are independent (a loss summed over data points, a sum of squares)
//! are fused with their reverse sweep: each iteration's reverse sweep runs right after it, in
//! the same loop, storing nothing. Each function is written as a user writes it and checked
//! against its gradient by hand, central finite differences, and forward mode (component by
//! component and along random directions); a counting allocator shows that the fused gradients
//! store nothing where the loop body has an inner loop, a branch or a scratch array.

#![allow(clippy::needless_range_loop)] // index loops are what is under test

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::alloc::measure;
use ad_tests::check_flat;

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

/// The mean squared error of an affine model over a point cloud: an inner loop per point, the
/// sum divided by the number of points after the loop.
#[derive_tangent]
#[derive_grad]
fn affine_mse(w: &[f64], xs: &[[f64; 3]], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let mut pred = w[3];
        for k in 0..3 {
            pred += w[k] * x[k];
        }
        let r = pred - y;
        s += r * r;
    }
    s / xs.len() as f64
}

/// A polynomial least-squares fit (GradBench's `llsq` shape): the power carried without
/// derivative in the inner loop, `powi` on the residual, the half after the loop.
#[derive_tangent]
#[derive_grad]
fn poly_fit(p: &[f64], t: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..t.len() {
        let mut pred = 0.0;
        let mut tp = 1.0;
        for j in 0..p.len() {
            pred += p[j] * tp;
            tp *= t[i];
        }
        s += (y[i] - pred).powi(2);
    }
    0.5 * s
}

/// [`poly_fit`] differentiated in the coefficients only (GradBench's `llsq`): the power is then
/// carried without derivative, and computed again in order instead of stored.
#[derive_grad(wrt(p))]
fn poly_fit_in_p(p: &[f64], t: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..t.len() {
        let mut pred = 0.0;
        let mut tp = 1.0;
        for j in 0..p.len() {
            pred += p[j] * tp;
            tp *= t[i];
        }
        s += (y[i] - pred).powi(2);
    }
    0.5 * s
}

/// The sample variance: a first loop for the mean (reversed as usual), then the fused loop,
/// whose body adds into the mean's adjoint.
#[derive_tangent]
#[derive_grad]
fn variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mut sum = 0.0;
    for v in x {
        sum += v;
    }
    let mean = sum / n;
    let mut s = 0.0;
    for v in x {
        let d = v - mean;
        s += d * d;
    }
    s / (n - 1.0)
}

/// The Huber loss of residuals from a centre: a branch in the body.
#[derive_tangent]
#[derive_grad]
fn huber(x: &[f64], c: f64) -> f64 {
    let delta = 0.5;
    let mut s = 0.0;
    for i in 0..x.len() {
        let d = x[i] - c;
        let r = if d.abs() < delta {
            0.5 * d * d
        } else {
            delta * (d.abs() - 0.5 * delta)
        };
        s += r;
    }
    s
}

/// A robust exponential-decay fit: `p[0] e^{-p[1] t} + p[2]` against data, squared residuals
/// inside a band and linear ones outside. Both arms of the branch add into the sum.
#[derive_tangent(wrt(p))]
#[derive_grad(wrt(p))]
fn robust_exp_fit(p: &[f64], t: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..t.len() {
        let pred = p[0] * (-p[1] * t[i]).exp() + p[2];
        let r = pred - y[i];
        if r.abs() < 1.0 {
            s += r * r;
        } else {
            s += 2.0 * r.abs() - 1.0;
        }
    }
    0.5 * s
}

/// The same model's mean squared error with a guard for empty data, as a script writes it: the
/// loop after the early `return` (in the arm of a branch, once lowered) is fused all the same.
#[derive_tangent(wrt(p))]
#[derive_grad(wrt(p))]
fn guarded_exp_fit(p: &[f64], t: &[f64], y: &[f64]) -> f64 {
    if t.is_empty() {
        return 0.0;
    }
    let mut s = 0.0;
    for i in 0..t.len() {
        let r = p[0] * (-p[1] * t[i]).exp() + p[2] - y[i];
        s += r * r;
    }
    s / t.len() as f64
}

/// A scratch array created in the body and written by an inner loop.
#[derive_tangent]
#[derive_grad]
fn scaled_products(w: &[f64], pts: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for p in pts {
        let mut z = [0.0; 3];
        for k in 0..3 {
            z[k] = p[k] * w[k];
        }
        s += z[0] * z[1] + z[2] * z[2];
    }
    s
}

/// Not fused: the square root after the loop reads the sum, whose adjoint is only known once
/// the loop has run. The gradient is the same either way.
#[derive_tangent]
#[derive_grad]
fn norm(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s.sqrt()
}

const M: usize = 7;

fn cloud(p: &[f64]) -> (Vec<[f64; 3]>, &[f64]) {
    let xs = (0..M)
        .map(|i| [p[i * 3], p[i * 3 + 1], p[i * 3 + 2]])
        .collect();
    (xs, &p[3 * M..])
}

fn flat(xs: &[[f64; 3]]) -> Vec<f64> {
    xs.iter().flatten().copied().collect()
}

fn sample(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (seed * (i as f64 + 1.0)).sin() + 0.1 * i as f64)
        .collect()
}

#[test]
fn affine_mse_three_ways() {
    // p = [w (4), xs (3 M), ys (M)].
    let p = sample(4 + 4 * M, 1.3);
    let f = |p: &[f64]| {
        let (xs, ys) = cloud(&p[4..]);
        affine_mse(&p[..4], &xs, ys)
    };
    let tangent = |p: &[f64], d: &[f64]| {
        let (xs, ys) = cloud(&p[4..]);
        let (dxs, dys) = cloud(&d[4..]);
        affine_mse_tangent(&p[..4], &d[..4], &xs, &dxs, ys, dys)
    };
    let grad = |p: &[f64], g: &mut [f64]| {
        let (xs, ys) = cloud(&p[4..]);
        let (mut gw, mut gxs, mut gys) =
            (g[..4].to_vec(), cloud(&g[4..]).0, g[4 + 3 * M..].to_vec());
        let v = affine_mse_grad(&p[..4], &mut gw, &xs, &mut gxs, ys, &mut gys);
        g[..4].copy_from_slice(&gw);
        g[4..4 + 3 * M].copy_from_slice(&flat(&gxs));
        g[4 + 3 * M..].copy_from_slice(&gys);
        v
    };
    // r_i = w·x_i + w_3 - y_i, L = Σ r_i² / m.
    let hand = |p: &[f64]| {
        let (w, (xs, ys)) = (&p[..4], cloud(&p[4..]));
        let m = M as f64;
        let mut g = vec![0.0; p.len()];
        for i in 0..M {
            let r = w[3] + (0..3).map(|k| w[k] * xs[i][k]).sum::<f64>() - ys[i];
            for k in 0..3 {
                g[k] += 2.0 * r * xs[i][k] / m;
                g[4 + 3 * i + k] = 2.0 * r * w[k] / m;
            }
            g[3] += 2.0 * r / m;
            g[4 + 3 * M + i] = -2.0 * r / m;
        }
        g
    };
    check_flat("affine_mse", &p, f, tangent, grad, hand);
    // The loop runs with its sum's adjoint at 1 and scales the parameters' sums once after it:
    // any seed scales the whole gradient.
    let (xs, ys) = cloud(&p[4..]);
    let (mut gw, mut gxs, mut gys) = ([0.0; 4], vec![[0.0; 3]; M], vec![0.0; M]);
    affine_mse_grad(&p[..4], &mut gw, &xs, &mut gxs, ys, &mut gys);
    let (mut vw, mut vxs, mut vys) = ([0.0; 4], vec![[0.0; 3]; M], vec![0.0; M]);
    affine_mse_vjp(&p[..4], &mut vw, &xs, &mut vxs, ys, &mut vys, -2.5);
    let all = |w: &[f64], xs: &[[f64; 3]], ys: &[f64]| -> Vec<f64> {
        w.iter()
            .copied()
            .chain(flat(xs))
            .chain(ys.iter().copied())
            .collect()
    };
    for (a, b) in all(&vw, &vxs, &vys).iter().zip(all(&gw, &gxs, &gys)) {
        approx::assert_relative_eq!(*a, -2.5 * b, max_relative = 1e-12);
    }
}

#[test]
fn poly_fit_three_ways() {
    const D: usize = 4;
    // p = [coefficients (D), t (M), y (M)].
    let p = sample(D + 2 * M, 0.7);
    let split = |p: &[f64]| -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        (p[..D].to_vec(), p[D..D + M].to_vec(), p[D + M..].to_vec())
    };
    let f = |p: &[f64]| {
        let (c, t, y) = split(p);
        poly_fit(&c, &t, &y)
    };
    let tangent = |p: &[f64], d: &[f64]| {
        let ((c, t, y), (dc, dt, dy)) = (split(p), split(d));
        poly_fit_tangent(&c, &dc, &t, &dt, &y, &dy)
    };
    let grad = |p: &[f64], g: &mut [f64]| {
        let ((c, t, y), (mut gc, mut gt, mut gy)) = (split(p), split(g));
        let v = poly_fit_grad(&c, &mut gc, &t, &mut gt, &y, &mut gy);
        g.copy_from_slice(&[gc, gt, gy].concat());
        v
    };
    // e_i = y_i - Σ_j c_j t_i^j, L = Σ e_i² / 2.
    let hand = |p: &[f64]| {
        let (c, t, y) = split(p);
        let mut g = vec![0.0; p.len()];
        for i in 0..M {
            let pred: f64 = (0..D).map(|j| c[j] * t[i].powi(j as i32)).sum();
            let slope: f64 = (1..D)
                .map(|j| j as f64 * c[j] * t[i].powi(j as i32 - 1))
                .sum();
            let e = y[i] - pred;
            for j in 0..D {
                g[j] -= e * t[i].powi(j as i32);
            }
            g[D + i] = -e * slope;
            g[D + M + i] = e;
        }
        g
    };
    check_flat("poly_fit", &p, f, tangent, grad, hand);
}

#[test]
fn variance_three_ways() {
    let p = sample(9, 2.1);
    let grad = |p: &[f64], g: &mut [f64]| variance_grad(p, g);
    // The mean's own term sums to zero: dL/dx_i = 2 (x_i - mean) / (n - 1).
    let hand = |p: &[f64]| {
        let n = p.len() as f64;
        let mean = p.iter().sum::<f64>() / n;
        p.iter().map(|x| 2.0 * (x - mean) / (n - 1.0)).collect()
    };
    check_flat("variance", &p, variance, variance_tangent, grad, hand);
}

#[test]
fn huber_three_ways() {
    // p = [x (M), c]: residuals on both sides of the kink.
    let p: Vec<f64> = (0..M)
        .map(|i| 0.31 * i as f64 - 0.9)
        .chain([0.05])
        .collect();
    let f = |p: &[f64]| huber(&p[..M], p[M]);
    let tangent = |p: &[f64], d: &[f64]| huber_tangent(&p[..M], &d[..M], p[M], d[M]);
    let grad = |p: &[f64], g: &mut [f64]| {
        let (v, gc) = huber_grad(&p[..M], &mut g[..M], p[M]);
        g[M] += gc;
        v
    };
    // ψ(d) = d inside the band, δ sign(d) outside; dL/dc = -Σ ψ.
    let hand = |p: &[f64]| {
        let psi = |d: f64| if d.abs() < 0.5 { d } else { 0.5 * d.signum() };
        let mut g: Vec<f64> = p[..M].iter().map(|x| psi(x - p[M])).collect();
        g.push(-g.iter().sum::<f64>());
        g
    };
    check_flat("huber", &p, f, tangent, grad, hand);
}

#[test]
fn scaled_products_three_ways() {
    // p = [w (3), points (3 M)].
    let p = sample(3 + 3 * M, 0.9);
    let f = |p: &[f64]| scaled_products(&p[..3], &cloud_of(&p[3..]));
    let tangent = |p: &[f64], d: &[f64]| {
        scaled_products_tangent(&p[..3], &d[..3], &cloud_of(&p[3..]), &cloud_of(&d[3..]))
    };
    let grad = |p: &[f64], g: &mut [f64]| {
        let mut gw = g[..3].to_vec();
        let mut gp = cloud_of(&g[3..]);
        let v = scaled_products_grad(&p[..3], &mut gw, &cloud_of(&p[3..]), &mut gp);
        g[..3].copy_from_slice(&gw);
        g[3..].copy_from_slice(&flat(&gp));
        v
    };
    // a = p ∘ w per point, L = Σ a_0 a_1 + a_2².
    let hand = |p: &[f64]| {
        let (w, pts) = (&p[..3], cloud_of(&p[3..]));
        let mut g = vec![0.0; p.len()];
        for (i, q) in pts.iter().enumerate() {
            let a = [q[0] * w[0], q[1] * w[1], q[2] * w[2]];
            let da = [a[1], a[0], 2.0 * a[2]];
            for k in 0..3 {
                g[k] += da[k] * q[k];
                g[3 + 3 * i + k] = da[k] * w[k];
            }
        }
        g
    };
    check_flat("scaled_products", &p, f, tangent, grad, hand);
}

#[test]
fn robust_exp_fit_three_ways() {
    // Residuals on both sides of the band.
    let t: Vec<f64> = (0..M).map(|i| 0.4 * i as f64).collect();
    let y: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(i, t)| 2.0 * (-0.7 * t).exp() + 0.3 + if i % 3 == 0 { 1.7 } else { 0.2 })
        .collect();
    let p = [1.8, 0.6, 0.2];
    let f = |p: &[f64]| robust_exp_fit(p, &t, &y);
    let tangent = |p: &[f64], d: &[f64]| robust_exp_fit_tangent(p, d, &t, &y);
    let grad = |p: &[f64], g: &mut [f64]| robust_exp_fit_grad(p, g, &t, &y);
    // ψ(r) = r inside the band, sign(r) outside; dr/dp = (e, -p0 t e, 1) with e = e^{-p1 t}.
    let hand = |p: &[f64]| {
        let mut g = vec![0.0; 3];
        for (&ti, &yi) in t.iter().zip(&y) {
            let e = (-p[1] * ti).exp();
            let r = p[0] * e + p[2] - yi;
            let psi = if r.abs() < 1.0 { r } else { r.signum() };
            g[0] += psi * e;
            g[1] -= psi * p[0] * ti * e;
            g[2] += psi;
        }
        g
    };
    let inside = t
        .iter()
        .zip(&y)
        .filter(|&(&ti, &yi)| (p[0] * (-p[1] * ti).exp() + p[2] - yi).abs() < 1.0)
        .count();
    assert!(0 < inside && inside < M, "both arms are taken");
    check_flat("robust_exp_fit", &p, f, tangent, grad, hand);
}

#[test]
fn guarded_exp_fit_three_ways() {
    let t: Vec<f64> = (0..M).map(|i| 0.4 * i as f64).collect();
    let y: Vec<f64> = t.iter().map(|t| 2.0 * (-0.7 * t).exp() + 0.3).collect();
    let p = [1.8, 0.6, 0.2];
    let f = |p: &[f64]| guarded_exp_fit(p, &t, &y);
    let tangent = |p: &[f64], d: &[f64]| guarded_exp_fit_tangent(p, d, &t, &y);
    let grad = |p: &[f64], g: &mut [f64]| guarded_exp_fit_grad(p, g, &t, &y);
    // d/dp = (2 / n) sum r (e, -p0 t e, 1), e = e^{-p1 t}.
    let hand = |p: &[f64]| {
        let mut g = vec![0.0; 3];
        for (&ti, &yi) in t.iter().zip(&y) {
            let e = (-p[1] * ti).exp();
            let r = p[0] * e + p[2] - yi;
            let k = 2.0 / t.len() as f64;
            g[0] += k * r * e;
            g[1] -= k * r * p[0] * ti * e;
            g[2] += k * r;
        }
        g
    };
    check_flat("guarded_exp_fit", &p, f, tangent, grad, hand);
    // The guard's arm: value and gradient zero.
    let mut g = [0.0; 3];
    assert_eq!(guarded_exp_fit_grad(&p, &mut g, &[], &[]), 0.0);
    assert_eq!(g, [0.0; 3]);
}

fn cloud_of(p: &[f64]) -> Vec<[f64; 3]> {
    p.chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
}

#[test]
fn norm_three_ways() {
    let p = sample(6, 1.7);
    let grad = |p: &[f64], g: &mut [f64]| norm_grad(p, g);
    let hand = |p: &[f64]| {
        let r = p.iter().map(|x| x * x).sum::<f64>().sqrt();
        p.iter().map(|x| x / r).collect()
    };
    check_flat("norm", &p, norm, norm_tangent, grad, hand);
}

#[test]
fn fused_gradients_store_nothing() {
    let n = 2000;
    let xs: Vec<[f64; 3]> = (0..n).map(|i| [i as f64, 0.5, -0.25]).collect();
    let ys = vec![0.3; n];
    let w = [0.1, 0.2, 0.3, 0.4];
    let (mut gw, mut gxs, mut gys) = ([0.0; 4], vec![[0.0; 3]; n], vec![0.0; n]);
    let m = measure(|| {
        black_box(affine_mse_grad(&w, &mut gw, &xs, &mut gxs, &ys, &mut gys));
    });
    assert_eq!(m.allocations, 0, "affine_mse: nothing stored per point");

    let (c, t, y) = ([0.5, -0.2, 0.1], sample(n, 0.3), sample(n, 0.8));
    let (mut gc, mut gt, mut gy) = ([0.0; 3], vec![0.0; n], vec![0.0; n]);
    let m = measure(|| {
        black_box(poly_fit_in_p_grad(&c, &mut gc, &t, &y));
    });
    assert_eq!(
        poly_fit_in_p_grad(&c, &mut [0.0; 3], &t, &y),
        poly_fit_in_p(&c, &t, &y)
    );
    assert_eq!(m.allocations, 0, "poly_fit in p: nothing stored per point");
    // The coefficients' gradient is the same when `t` and `y` are differentiated too.
    let mut gc_all = [0.0; 3];
    poly_fit_grad(&c, &mut gc_all, &t, &mut gt, &y, &mut gy);
    for (a, b) in gc.iter().zip(&gc_all) {
        approx::assert_relative_eq!(a, b, max_relative = 1e-12);
    }
    // With `t` differentiated too, the power is a recurrence with a derivative: the inner loop
    // stores it, on one stack that every point reuses.
    let m = measure(|| {
        black_box(poly_fit_grad(&c, &mut gc, &t, &mut gt, &y, &mut gy));
    });
    assert_eq!(m.allocations, 1, "poly_fit: one stack for the powers");

    let x = sample(n, 1.1);
    let mut g = vec![0.0; n];
    let m = measure(|| {
        black_box(variance_grad(&x, &mut g));
        black_box(huber_grad(&x, &mut g, 0.2));
    });
    assert_eq!(m.allocations, 0, "variance and huber: nothing stored");

    let ty: Vec<f64> = t.iter().map(|t| t + 1.0).collect();
    let mut gp = [0.0; 3];
    let m = measure(|| {
        black_box(robust_exp_fit_grad(&[1.8, 0.6, 0.2], &mut gp, &t, &ty));
    });
    assert_eq!(
        m.allocations, 0,
        "robust_exp_fit: the branch adds into the sum on both arms, so the loop is fused"
    );

    let m = measure(|| {
        black_box(guarded_exp_fit_grad(&[1.8, 0.6, 0.2], &mut gp, &t, &ty));
    });
    assert_eq!(
        m.allocations, 0,
        "guarded_exp_fit: the loop after the early return is fused (else its `exp` values are stored)"
    );

    let (mut gw3, mut gp) = ([0.0; 3], vec![[0.0; 3]; n]);
    let m = measure(|| {
        black_box(scaled_products_grad(&w[..3], &mut gw3, &xs, &mut gp));
    });
    assert_eq!(
        m.allocations, 0,
        "scaled_products: the scratch array is not stored"
    );
}
