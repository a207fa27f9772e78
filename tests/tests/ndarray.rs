//! ndarray's arrays and views in differentiated functions (issue 19, SPEC §10): `&Array1`,
//! `&Array2`, `ArrayView1`, `ArrayView2` parameters, `&mut Array1` and `ArrayViewMut1` outputs,
//! with `dot` (vector, matrix-vector, transposed, matrix-matrix) through the runtime's kernels,
//! element-wise `+ - *`, `mapv`, `sum`, `a[i]`, `a[[i, j]]`. Each is checked against a gradient
//! derived by hand (computed here with ndarray), central finite differences, and forward against
//! reverse (`check_flat`).

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check_flat;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1};

const N: usize = 5;
const D: usize = 3;

/// `(w, X, y)` from the flat point: `w`, then `X` row by row, then `y`.
fn unpack(p: &[f64]) -> (Array1<f64>, Array2<f64>, Array1<f64>) {
    (
        Array1::from(p[..D].to_vec()),
        Array2::from_shape_vec((N, D), p[D..D + N * D].to_vec()).unwrap(),
        Array1::from(p[D + N * D..D + N * D + N].to_vec()),
    )
}

fn pack(w: &Array1<f64>, x: &Array2<f64>, y: &Array1<f64>) -> Vec<f64> {
    w.iter().chain(x.iter()).chain(y.iter()).copied().collect()
}

fn point() -> Vec<f64> {
    (0..D + N * D + N)
        .map(|k| ((k * 5 % 13) as f64 - 6.0) / 7.0)
        .collect()
}

/// Mean squared error of a linear model, over views.
#[derive_tangent]
#[derive_grad]
fn mse(w: ArrayView1<f64>, x: ArrayView2<f64>, y: ArrayView1<f64>) -> f64 {
    let r = x.dot(&w) - y;
    r.dot(&r) / (2.0 * y.len() as f64)
}

#[test]
fn linear_regression_over_views() {
    check_flat(
        "mse",
        &point(),
        |p| {
            let (w, x, y) = unpack(p);
            mse(w.view(), x.view(), y.view())
        },
        |p, d| {
            let (w, x, y) = unpack(p);
            let (dw, dx, dy) = unpack(d);
            mse_tangent(
                w.view(),
                dw.view(),
                x.view(),
                dx.view(),
                y.view(),
                dy.view(),
            )
        },
        |p, g| {
            let (w, x, y) = unpack(p);
            let (mut gw, mut gx, mut gy) = unpack(g);
            let value = mse_grad(
                w.view(),
                gw.view_mut(),
                x.view(),
                gx.view_mut(),
                y.view(),
                gy.view_mut(),
            );
            g.copy_from_slice(&pack(&gw, &gx, &gy));
            value
        },
        |p| {
            let (w, x, y) = unpack(p);
            let n = N as f64;
            let r = x.dot(&w) - y;
            let gx = Array2::from_shape_fn((N, D), |(i, j)| r[i] * w[j] / n);
            pack(&(x.t().dot(&r) / n), &gx, &(-&r / n))
        },
    );
}

/// The logistic loss, over references, with a loop over the samples.
#[derive_tangent]
#[derive_grad]
fn logistic(w: &Array1<f64>, x: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let z = x.dot(w);
    let mut s = 0.0;
    for i in 0..y.len() {
        s += (1.0 + (-z[i]).exp()).ln() + (1.0 - y[i]) * z[i];
    }
    s / y.len() as f64
}

#[test]
fn logistic_regression_over_references() {
    check_flat(
        "logistic",
        &point(),
        |p| {
            let (w, x, y) = unpack(p);
            logistic(&w, &x, &y)
        },
        |p, d| {
            let (w, x, y) = unpack(p);
            let (dw, dx, dy) = unpack(d);
            logistic_tangent(&w, &dw, &x, &dx, &y, &dy)
        },
        |p, g| {
            let (w, x, y) = unpack(p);
            let (mut gw, mut gx, mut gy) = unpack(g);
            let value = logistic_grad(&w, &mut gw, &x, &mut gx, &y, &mut gy);
            g.copy_from_slice(&pack(&gw, &gx, &gy));
            value
        },
        |p| {
            let (w, x, y) = unpack(p);
            let n = N as f64;
            let z = x.dot(&w);
            // d/dz of ln(1 + e^-z) + (1 - y) z is sigma(z) - y; d/dy is -z.
            let e = z.mapv(|t| 1.0 / (1.0 + (-t).exp())) - &y;
            let gx = Array2::from_shape_fn((N, D), |(i, j)| e[i] * w[j] / n);
            pack(&(x.t().dot(&e) / n), &gx, &(-&z / n))
        },
    );
}

/// Transposed and matrix-matrix products, element-wise `*`, `mapv`, `sum`, `a[[i, j]]`, sizes.
#[derive_tangent]
#[derive_grad]
fn products(w: &Array1<f64>, x: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let g = x.t().dot(y);
    let k = x.t().dot(x);
    let h = (&g * w).sum() + k.dot(w).mapv(|t| t.tanh()).sum();
    h + x[[1, 2]] * (x.nrows() as f64) + (x.ncols() as f64) * w[0]
}

#[test]
fn transposed_and_matrix_products() {
    check_flat(
        "products",
        &point(),
        |p| {
            let (w, x, y) = unpack(p);
            products(&w, &x, &y)
        },
        |p, d| {
            let (w, x, y) = unpack(p);
            let (dw, dx, dy) = unpack(d);
            products_tangent(&w, &dw, &x, &dx, &y, &dy)
        },
        |p, g| {
            let (w, x, y) = unpack(p);
            let (mut gw, mut gx, mut gy) = unpack(g);
            let value = products_grad(&w, &mut gw, &x, &mut gx, &y, &mut gy);
            g.copy_from_slice(&pack(&gw, &gx, &gy));
            value
        },
        |p| {
            let (w, x, y) = unpack(p);
            // h = yᵀ X w + Σ tanh(XᵀX w) + 5 x12 + 3 w0.
            let k = x.t().dot(&x);
            let s = k.dot(&w).mapv(|t| 1.0 - t.tanh() * t.tanh());
            let mut gw = x.t().dot(&y) + k.t().dot(&s);
            gw[0] += D as f64;
            // d/dX of sᵀ XᵀX w = X (s wᵀ + w sᵀ); of yᵀ X w = y wᵀ.
            let sw = Array2::from_shape_fn((D, D), |(i, j)| s[i] * w[j] + w[i] * s[j]);
            let mut gx = x.dot(&sw) + Array2::from_shape_fn((N, D), |(i, j)| y[i] * w[j]);
            gx[[1, 2]] += N as f64;
            pack(&gw, &gx, &x.dot(&w))
        },
    );
}

/// Predictions written into a `&mut Array1` and into an `ArrayViewMut1`.
#[derive_tangent]
#[derive_grad]
fn predict(w: &Array1<f64>, x: &Array2<f64>, out: &mut Array1<f64>) {
    out.assign(&x.dot(w));
}

#[derive_grad]
fn predict_view(w: ArrayView1<f64>, x: ArrayView2<f64>, mut out: ArrayViewMut1<f64>) {
    out.assign(&(x.dot(&w) * 2.0));
}

#[test]
fn predictions_written_into_mut_arrays() {
    let (w, x, _) = unpack(&point());
    let mut out = Array1::zeros(N);
    predict(&w, &x, &mut out);
    assert!((&out - &x.dot(&w)).iter().all(|d| d.abs() < 1e-15));
    // Dot-product test over w: <J v, u> = <v, Jᵀ u>.
    let (v, u) = (
        Array1::from(vec![0.3, -0.2, 0.5]),
        Array1::from_shape_fn(N, |i| 0.1 * i as f64 - 0.2),
    );
    let (mut o, mut t) = (Array1::zeros(N), Array1::zeros(N));
    predict_tangent(&w, &v, &x, &Array2::zeros((N, D)), &mut o, &mut t);
    assert!((&t - &x.dot(&v)).iter().all(|d| d.abs() < 1e-15));
    let (mut o, mut shadow, mut gw, mut gx) = (
        Array1::zeros(N),
        u.clone(),
        Array1::zeros(D),
        Array2::zeros((N, D)),
    );
    predict_vjp(&w, &mut gw, &x, &mut gx, &mut o, &mut shadow);
    assert!((t.dot(&u) - v.dot(&gw)).abs() < 1e-14);
    // The view version writes twice the prediction, and its adjoint is twice Xᵀ u.
    let mut out2 = Array1::zeros(N);
    predict_view(w.view(), x.view(), out2.view_mut());
    assert!((&out2 - &(x.dot(&w) * 2.0)).iter().all(|d| d.abs() < 1e-15));
    let (mut o, mut shadow, mut gw2, mut gx2) = (
        Array1::zeros(N),
        u.clone(),
        Array1::zeros(D),
        Array2::zeros((N, D)),
    );
    predict_view_vjp(
        w.view(),
        gw2.view_mut(),
        x.view(),
        gx2.view_mut(),
        o.view_mut(),
        shadow.view_mut(),
    );
    assert!(
        (&gw2 - &(x.t().dot(&u) * 2.0))
            .iter()
            .all(|d| d.abs() < 1e-14)
    );
}

/// The logistic loss in `f32`.
#[derive_grad]
fn logistic_f32(w: &Array1<f32>, x: &Array2<f32>, y: &Array1<f32>) -> f32 {
    let z = x.dot(w);
    let mut s = 0.0;
    for i in 0..y.len() {
        s += (1.0 + (-z[i]).exp()).ln() + (1.0 - y[i]) * z[i];
    }
    s / y.len() as f32
}

#[test]
fn f32_agrees_with_f64() {
    let (w, x, y) = unpack(&point());
    let (mut gw, mut gx, mut gy) = (Array1::zeros(D), Array2::zeros((N, D)), Array1::zeros(N));
    logistic_grad(&w, &mut gw, &x, &mut gx, &y, &mut gy);
    let (w32, x32, y32) = (
        w.mapv(|t| t as f32),
        x.mapv(|t| t as f32),
        y.mapv(|t| t as f32),
    );
    let (mut gw32, mut gx32, mut gy32) = (
        Array1::<f32>::zeros(D),
        Array2::<f32>::zeros((N, D)),
        Array1::<f32>::zeros(N),
    );
    let v32 = logistic_f32_grad(&w32, &mut gw32, &x32, &mut gx32, &y32, &mut gy32);
    assert_eq!(v32, logistic_f32(&w32, &x32, &y32));
    let close = |p: f64, q: f32| (p - f64::from(q)).abs() <= 1e-5 * p.abs().max(1.0);
    assert!(gw.iter().zip(gw32.iter()).all(|(p, q)| close(*p, *q)));
    assert!(gx.iter().zip(gx32.iter()).all(|(p, q)| close(*p, *q)));
    assert!(gy.iter().zip(gy32.iter()).all(|(p, q)| close(*p, *q)));
}
