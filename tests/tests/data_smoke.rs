//! A first check of arrays and slices in both modes (the full suite is data.rs).
#![allow(dead_code, clippy::needless_range_loop)]

use ad_runtime::{derive_grad, derive_tangent};

#[derive_tangent]
#[derive_grad]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn rosen_arr(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn sumsq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>()
}

#[derive_tangent]
#[derive_grad]
fn dense(w: &[f64], x: &[f64], b: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..y.len() {
        let mut s = b[i];
        for j in 0..n {
            s += w[i * n + j] * x[j];
        }
        y[i] = s.tanh();
    }
}

#[derive_tangent]
#[derive_grad]
fn local_vec(x: &[f64]) -> f64 {
    let mut v = vec![0.0; x.len()];
    for (i, &xi) in x.iter().enumerate() {
        v[i] = xi.sin();
    }
    let mut p = 1.0;
    for k in 0..v.len() {
        p *= v[k] + 2.0;
    }
    p
}

fn fd(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let mut a = x.to_vec();
    let mut b = x.to_vec();
    a[i] += 1e-6;
    b[i] -= 1e-6;
    (f(&a) - f(&b)) / 2e-6
}

#[test]
fn smoke() {
    let x = [0.3, -0.7, 1.1, 0.5];
    let mut g = [0.0; 4];
    let v = rosen_grad(&x, &mut g);
    assert_eq!(v, rosen(&x));
    for i in 0..4 {
        let mut e = [0.0; 4];
        e[i] = 1.0;
        let (_, t) = rosen_tangent(&x, &e);
        assert!(
            (t - g[i]).abs() < 1e-12 * t.abs().max(1.0),
            "{i} {t} {}",
            g[i]
        );
        assert!((t - fd(rosen, &x, i)).abs() < 1e-4, "{i}");
    }
    let (_, ga) = rosen_arr_grad(x);
    for i in 0..4 {
        assert!((ga[i] - g[i]).abs() < 1e-12 * g[i].abs().max(1.0));
    }
    let mut gs = [1.0; 4];
    sumsq_grad(&x, &mut gs);
    for i in 0..4 {
        assert!((gs[i] - (1.0 + 2.0 * x[i])).abs() < 1e-14);
    }
    let mut gl = [0.0; 4];
    local_vec_grad(&x, &mut gl);
    for i in 0..4 {
        assert!((gl[i] - fd(local_vec, &x, i)).abs() < 1e-6, "{i}");
    }
    // dense: dot-product test
    let (w, xx, b) = (
        [0.1, -0.2, 0.3, 0.4, 0.5, -0.6],
        [0.7, -0.1, 0.2],
        [0.05, -0.02],
    );
    let (vw, vx, vb) = (
        [0.3, 0.1, -0.2, 0.5, 0.4, 0.7],
        [-0.3, 0.2, 0.9],
        [0.6, -0.4],
    );
    let mut y = [0.0; 2];
    let mut dy = [0.0; 2];
    dense_tangent(&w, &vw, &xx, &vx, &b, &vb, &mut y, &mut dy);
    let u = [0.8, -1.3];
    let (mut gw, mut gx, mut gb) = ([0.0; 6], [0.0; 3], [0.0; 2]);
    let mut y2 = [0.0; 2];
    let mut uy = u;
    dense_vjp(&w, &mut gw, &xx, &mut gx, &b, &mut gb, &mut y2, &mut uy);
    let lhs = dy[0] * u[0] + dy[1] * u[1];
    let rhs: f64 = (0..6).map(|i| vw[i] * gw[i]).sum::<f64>()
        + (0..3).map(|i| vx[i] * gx[i]).sum::<f64>()
        + (0..2).map(|i| vb[i] * gb[i]).sum::<f64>();
    assert!((lhs - rhs).abs() < 1e-12, "{lhs} {rhs}");
    assert_eq!(uy, [0.0, 0.0]);
    assert_eq!(y, y2);
}
