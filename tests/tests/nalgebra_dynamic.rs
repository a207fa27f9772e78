//! nalgebra's `DVector` and `DMatrix` in differentiated functions (issue 19, SPEC §10): by
//! reference and `&mut`, with products through the runtime's kernels and their per-operation
//! rules (`ad_runtime::dense`), element-wise operations, reductions, `v[i]` and `m[(i, j)]`.
//! Each function is checked against a gradient derived by hand (computed here with nalgebra),
//! central finite differences, and forward against reverse (`check_flat`).

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check_flat;
use nalgebra::{DMatrix, DVector};

const ROWS: usize = 4;
const COLS: usize = 3;

/// `(A, x, b)` from the flat point: `A` column-major, then `x`, then `b`.
fn unpack(p: &[f64]) -> (DMatrix<f64>, DVector<f64>, DVector<f64>) {
    let n = ROWS * COLS;
    (
        DMatrix::from_column_slice(ROWS, COLS, &p[..n]),
        DVector::from_column_slice(&p[n..n + COLS]),
        DVector::from_column_slice(&p[n + COLS..n + COLS + ROWS]),
    )
}

fn pack(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> Vec<f64> {
    a.iter().chain(x.iter()).chain(b.iter()).copied().collect()
}

fn point() -> Vec<f64> {
    (0..ROWS * COLS + COLS + ROWS)
        .map(|k| ((k * 7 % 11) as f64 - 5.0) / 6.0)
        .collect()
}

/// Linear least squares, as it is written with nalgebra.
#[derive_tangent]
#[derive_grad]
fn least_squares(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    0.5 * (a * x - b).norm_squared()
}

#[test]
fn linear_least_squares() {
    check_flat(
        "least_squares",
        &point(),
        |p| {
            let (a, x, b) = unpack(p);
            least_squares(&a, &x, &b)
        },
        |p, d| {
            let (a, x, b) = unpack(p);
            let (da, dx, db) = unpack(d);
            least_squares_tangent(&a, &da, &x, &dx, &b, &db)
        },
        |p, g| {
            let (a, x, b) = unpack(p);
            let (mut ga, mut gx, mut gb) = unpack(g);
            let value = least_squares_grad(&a, &mut ga, &x, &mut gx, &b, &mut gb);
            g.copy_from_slice(&pack(&ga, &gx, &gb));
            value
        },
        |p| {
            let (a, x, b) = unpack(p);
            let r = &a * &x - &b;
            pack(&(&r * x.transpose()), &(a.transpose() * &r), &(-r))
        },
    );
}

/// Many operations at once: a transposed product, a matrix-matrix product, `map`, `dot`,
/// `norm_squared`, `sum`, entries by `m[(i, j)]` and `v[i]`, a loop over `len()`.
#[derive_tangent]
#[derive_grad]
fn mixed(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    let r = a * x - b;
    let mut s = 0.5 * r.norm_squared() + 0.1 * x.norm_squared();
    s += (a.transpose() * b).dot(x);
    s += 0.01 * (a * a.transpose()).sum();
    s += x.map(|t| t.sin()).sum();
    s += a[(1, 0)] * x[1];
    for i in 0..b.len() {
        s += b[i] * b[i] * 0.5;
    }
    s
}

#[test]
fn many_operations() {
    check_flat(
        "mixed",
        &point(),
        |p| {
            let (a, x, b) = unpack(p);
            mixed(&a, &x, &b)
        },
        |p, d| {
            let (a, x, b) = unpack(p);
            let (da, dx, db) = unpack(d);
            mixed_tangent(&a, &da, &x, &dx, &b, &db)
        },
        |p, g| {
            let (a, x, b) = unpack(p);
            let (mut ga, mut gx, mut gb) = unpack(g);
            let value = mixed_grad(&a, &mut ga, &x, &mut gx, &b, &mut gb);
            g.copy_from_slice(&pack(&ga, &gx, &gb));
            value
        },
        |p| {
            let (a, x, b) = unpack(p);
            let r = &a * &x - &b;
            let mut gx = a.transpose() * &r + &x * 0.2 + a.transpose() * &b + x.map(f64::cos);
            gx[1] += a[(1, 0)];
            // d/dA of sum(A Aᵀ) = Σ_k (Σ_i A_ik)²: 2 times the column sums, in every row.
            let col_sums = a.row_sum();
            let mut ga = &r * x.transpose() + &b * x.transpose();
            for i in 0..ROWS {
                for k in 0..COLS {
                    ga[(i, k)] += 0.02 * col_sums[k];
                }
            }
            ga[(1, 0)] += x[1];
            let gb = -r + &a * &x + &b;
            pack(&ga, &gx, &gb)
        },
    );
}

/// A result written into a `&mut DVector`: `y = 2 A x`, then `y[0] += x0 x1`.
#[derive_tangent]
#[derive_grad]
fn write_into(a: &DMatrix<f64>, x: &DVector<f64>, y: &mut DVector<f64>) {
    y.copy_from(&(a * x * 2.0));
    y[0] += x[0] * x[1];
}

#[test]
fn result_written_into_a_mut_vector() {
    let p = point();
    let (a, x, _) = unpack(&p);
    let mut y = DVector::zeros(ROWS);
    write_into(&a, &x, &mut y);
    let mut want = &a * &x * 2.0;
    want[0] += x[0] * x[1];
    assert!((&y - &want).norm() < 1e-14);
    // Dot-product test over (A, x): <J v, u> = <v, Jᵀ u>.
    let (da, dx) = (a.map(|t| (t * 3.0).cos()), x.map(|t| t - 0.3));
    let u = DVector::from_fn(ROWS, |i, _| 0.5 - i as f64 * 0.3);
    let (mut yt, mut t) = (DVector::zeros(ROWS), DVector::zeros(ROWS));
    write_into_tangent(&a, &da, &x, &dx, &mut yt, &mut t);
    assert!((&yt - &want).norm() < 1e-14);
    // By hand: the tangent is 2 (dA x + A dx) with dx0 x1 + x0 dx1 added to its first entry.
    let mut by_hand = (&da * &x + &a * &dx) * 2.0;
    by_hand[0] += dx[0] * x[1] + x[0] * dx[1];
    assert!((&t - &by_hand).norm() < 1e-13);
    let (mut yr, mut shadow) = (DVector::zeros(ROWS), u.clone());
    let (mut ga, mut gx) = (DMatrix::zeros(ROWS, COLS), DVector::zeros(COLS));
    write_into_vjp(&a, &mut ga, &x, &mut gx, &mut yr, &mut shadow);
    let left = t.dot(&u);
    let right = da.dot(&ga) + dx.dot(&gx);
    assert!((left - right).abs() < 1e-13, "{left} vs {right}");
    // The written vector's adjoint is zero on exit (it was written before it was read).
    assert_eq!(shadow.norm(), 0.0);
}

/// Only `x` is differentiated (`wrt`): the matrix and the data are constants (the product goes
/// to `dense::const_matvec`, which has no adjoint for the matrix).
#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn least_squares_x(a: &DMatrix<f64>, x: &DVector<f64>, b: &DVector<f64>) -> f64 {
    0.5 * (a * x - b).norm_squared()
}

#[test]
fn gradient_in_x_alone_is_the_normal_equations_residual() {
    let (a, x, b) = unpack(&point());
    let mut g = DVector::zeros(COLS);
    let value = least_squares_x_grad(&a, &x, &mut g, &b);
    assert_eq!(value, least_squares_x(&a, &x, &b));
    let want = a.transpose() * (&a * &x - &b);
    assert!((&g - want).norm() < 1e-14);
    // Forward mode along v agrees with the gradient: <g, v>.
    let v = DVector::from_fn(COLS, |i, _| 0.4 - 0.3 * i as f64);
    let (_, t) = least_squares_x_tangent(&a, &x, &v, &b);
    assert!((t - g.dot(&v)).abs() < 1e-14);
}

/// The same least squares in `f32` (kernels and chains are generic over the float type).
#[derive_grad]
fn least_squares_f32(a: &DMatrix<f32>, x: &DVector<f32>, b: &DVector<f32>) -> f32 {
    0.5 * (a * x - b).norm_squared()
}

#[test]
fn f32_agrees_with_f64() {
    let (a, x, b) = unpack(&point());
    let (mut ga, mut gx, mut gb) = (
        DMatrix::zeros(ROWS, COLS),
        DVector::zeros(COLS),
        DVector::zeros(ROWS),
    );
    least_squares_grad(&a, &mut ga, &x, &mut gx, &b, &mut gb);
    let (a32, x32, b32) = (a.cast::<f32>(), x.cast::<f32>(), b.cast::<f32>());
    let (mut ga32, mut gx32, mut gb32) = (
        DMatrix::<f32>::zeros(ROWS, COLS),
        DVector::<f32>::zeros(COLS),
        DVector::<f32>::zeros(ROWS),
    );
    let v32 = least_squares_f32_grad(&a32, &mut ga32, &x32, &mut gx32, &b32, &mut gb32);
    assert_eq!(v32, least_squares_f32(&a32, &x32, &b32));
    let close = |p: f64, q: f32| (p - f64::from(q)).abs() <= 1e-5 * p.abs().max(1.0);
    assert!(ga.iter().zip(ga32.iter()).all(|(p, q)| close(*p, *q)));
    assert!(gx.iter().zip(gx32.iter()).all(|(p, q)| close(*p, *q)));
    assert!(gb.iter().zip(gb32.iter()).all(|(p, q)| close(*p, *q)));
}

/// Entries read inside closures of an iterator chain (`m[(i, j)]`, `v[i]`, `len()`).
#[derive_tangent]
#[derive_grad]
fn first_column_dot(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    (0..x.len()).map(|i| a[(i, 0)] * x[i]).sum::<f64>()
}

#[test]
fn entries_read_inside_closures() {
    let n = ROWS * COLS;
    let ax = |p: &[f64]| {
        (
            DMatrix::from_column_slice(ROWS, COLS, &p[..n]),
            DVector::from_column_slice(&p[n..n + COLS]),
        )
    };
    check_flat(
        "first_column_dot",
        &point()[..n + COLS],
        |p| {
            let (a, x) = ax(p);
            first_column_dot(&a, &x)
        },
        |p, d| {
            let ((a, x), (da, dx)) = (ax(p), ax(d));
            first_column_dot_tangent(&a, &da, &x, &dx)
        },
        |p, g| {
            let (a, x) = ax(p);
            let (mut ga, mut gx) = ax(g);
            let value = first_column_dot_grad(&a, &mut ga, &x, &mut gx);
            g[..n].copy_from_slice(ga.as_slice());
            g[n..].copy_from_slice(gx.as_slice());
            value
        },
        |p| {
            // By hand: d/dA[i, 0] = x[i] for i < COLS, d/dx[i] = A[i, 0].
            let (a, x) = ax(p);
            let mut g = vec![0.0; n + COLS];
            for i in 0..COLS {
                g[i] = x[i];
                g[n + i] = a[(i, 0)];
            }
            g
        },
    );
}
