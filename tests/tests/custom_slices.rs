//! User rules over slices composed into derived functions: a matrix-vector product written by
//! hand with `#[custom_tangent]` / `#[custom_grad]` rules, returning `()` and writing a `&mut`
//! slice, called from `#[derive_tangent]` / `#[derive_grad]` functions with constant and
//! differentiated slices. (Before issue 19, the rule of a function returning `()` generated no
//! `_vjp` and the forward companion passed a `ZeroSlice` where the rule wanted `&[f64]`: both
//! expanded to code that did not compile.)

use ad_runtime::{custom_grad, custom_tangent, derive_grad, derive_tangent};
use ad_tests::check_flat;

#[custom_tangent(gemv_tangent)]
#[custom_grad(gemv_vjp)]
pub fn gemv(a: &[f64], rows: usize, x: &[f64], y: &mut [f64]) {
    y.fill(0.0);
    for (j, xj) in x.iter().enumerate() {
        for (yi, aij) in y.iter_mut().zip(&a[j * rows..(j + 1) * rows]) {
            *yi += aij * xj;
        }
    }
}

pub fn gemv_tangent(
    a: &[f64],
    da: &[f64],
    rows: usize,
    x: &[f64],
    dx: &[f64],
    y: &mut [f64],
    dy: &mut [f64],
) {
    gemv(a, rows, x, y);
    let mut t = vec![0.0; rows];
    gemv(da, rows, x, dy);
    gemv(a, rows, dx, &mut t);
    for (d, t) in dy.iter_mut().zip(&t) {
        *d += t;
    }
}

pub fn gemv_vjp(
    a: &[f64],
    da: &mut [f64],
    rows: usize,
    x: &[f64],
    dx: &mut [f64],
    y: &mut [f64],
    dy: &mut [f64],
) {
    gemv(a, rows, x, y);
    for j in 0..x.len() {
        let col = &a[j * rows..(j + 1) * rows];
        let mut s = 0.0;
        for i in 0..rows {
            s += col[i] * dy[i];
            da[j * rows + i] += dy[i] * x[j];
        }
        dx[j] += s;
    }
    dy.fill(0.0);
}

/// `0.5 |A x - b|²` through the hand-written kernel.
#[derive_tangent]
#[derive_grad]
fn loss(a: &[f64], rows: usize, x: &[f64], b: &[f64]) -> f64 {
    let mut y = vec![0.0; rows];
    gemv(a, rows, x, &mut y);
    0.5 * y.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>()
}

#[test]
fn hand_written_kernel_composes() {
    // A is 3 x 2, column-major; the point is (A, x, b).
    let p = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, -1.0, 0.1, 0.2, 0.3];
    check_flat(
        "loss",
        &p,
        |p| loss(&p[..6], 3, &p[6..8], &p[8..]),
        |p, d| loss_tangent(&p[..6], &d[..6], 3, &p[6..8], &d[6..8], &p[8..], &d[8..]),
        |p, g| {
            let (ga, rest) = g.split_at_mut(6);
            let (gx, gb) = rest.split_at_mut(2);
            loss_grad(&p[..6], ga, 3, &p[6..8], gx, &p[8..], gb)
        },
        |p| {
            // By hand: r = A x - b; dA = r xᵀ, dx = Aᵀ r, db = -r.
            let r: Vec<f64> = (0..3)
                .map(|i| p[i] * p[6] + p[3 + i] * p[7] - p[8 + i])
                .collect();
            let mut g = vec![0.0; 11];
            for j in 0..2 {
                for i in 0..3 {
                    g[3 * j + i] = r[i] * p[6 + j];
                    g[6 + j] += p[3 * j + i] * r[i];
                }
            }
            for i in 0..3 {
                g[8 + i] = -r[i];
            }
            g
        },
    );
}

/// Only `x` is differentiated: the kernel gets `Zero` for the matrix's tangent and shadow.
#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn loss_x(a: &[f64], rows: usize, x: &[f64], b: &[f64]) -> f64 {
    let mut y = vec![0.0; rows];
    gemv(a, rows, x, &mut y);
    0.5 * y.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>()
}

#[test]
fn constant_matrix_gets_zero_slices() {
    let (a, b) = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.1, 0.2, 0.3]);
    let x = [0.5, -1.0];
    let mut g = [0.0; 2];
    let value = loss_x_grad(&a, 3, &x, &mut g, &b);
    assert_eq!(value, loss_x(&a, 3, &x, &b));
    let mut full = ([0.0; 6], [0.0; 2], [0.0; 3]);
    loss_grad(&a, &mut full.0, 3, &x, &mut full.1, &b, &mut full.2);
    assert_eq!(g, full.1);
    let (_, t) = loss_x_tangent(&a, 3, &x, &[0.3, -0.2], &b);
    assert!((t - (0.3 * g[0] - 0.2 * g[1])).abs() < 1e-14);
}
