//! `#[derive_jacobian(sparse)]` and `#[derive_grad(hessian, sparse)]` (SPEC §10): the pattern
//! detected at a point, the columns coloured, the Jacobian or Hessian recovered in CSR form.
//! Checked against the dense Jacobian by forward mode and by reverse mode (the dense Hessian),
//! against the matrix derived by hand, and against central finite differences (of the gradient,
//! for Hessians).

// Index loops read like the stencils they are.
#![allow(clippy::needless_range_loop)]

use ad_runtime::sparse::{CsMat, Sparsity};
use ad_runtime::{derive_grad, derive_jacobian};
use ad_tests::{At, HAND, MODES, Tol, central_difference};

/// The residual of one implicit Euler step of the 1-D heat equation with a cubic reaction,
/// `u - u_old - dt (Δu - u³) = 0`, on `n` interior points with zero boundary values: tridiagonal.
#[derive_jacobian(sparse, wrt(u, r))]
fn heat_residual(u: &[f64], u_old: &[f64], dt: f64, r: &mut [f64]) {
    let n = u.len();
    let h = 1.0 / (n + 1) as f64;
    for i in 0..n {
        let left = if i > 0 { u[i - 1] } else { 0.0 };
        let right = if i + 1 < n { u[i + 1] } else { 0.0 };
        let laplacian = (left - 2.0 * u[i] + right) / (h * h);
        r[i] = u[i] - u_old[i] - dt * (laplacian - u[i] * u[i] * u[i]);
    }
}

/// An arrowhead: the first output reads every input, every output reads the first input.
#[derive_jacobian(sparse)]
fn arrowhead(x: &[f64], y: &mut [f64]) {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..n {
        s += x[j] * x[j];
    }
    y[0] = s;
    for i in 1..n {
        y[i] = x[0] * x[i] + x[i].sin();
    }
}

/// Arrays in and out, and a dependency whose partial derivative is zero at the point.
#[derive_jacobian(sparse, lanes = 2)]
fn small(x: [f64; 4]) -> [f64; 3] {
    [x[0] * x[1], x[2].exp(), x[1] - 3.0 * x[3]]
}

/// A branch on the values changes the pattern.
#[derive_jacobian(sparse)]
fn switch(x: [f64; 3]) -> [f64; 2] {
    let first = if x[0] > 0.0 { x[1] * x[0] } else { x[2] };
    [first, 2.0 * x[1]]
}

fn point(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (seed + 0.37 * i as f64).sin() * 0.8)
        .collect()
}

/// Entry `(i, j)` of a CSR matrix, zero where nothing is stored.
fn entry(j: &CsMat<f64>, row: usize, col: usize) -> f64 {
    j.get(row, col).copied().unwrap_or(0.0)
}

#[test]
fn tridiagonal_heat_residual_n_1000() {
    let n = 1000;
    let (u, u_old, dt) = (point(n, 0.3), point(n, 1.1), 1e-4);
    let mut r = vec![0.0; n];
    let s = heat_residual_sparsity(&u, &u_old, dt, &mut r);
    assert_eq!((s.rows(), s.cols(), s.nnz()), (n, n, 3 * n - 2));
    assert_eq!(s.colours(), 3);
    for i in 0..n {
        let want: Vec<usize> = (i.saturating_sub(1)..(i + 2).min(n)).collect();
        assert_eq!(s.row(i), &want[..], "row {i}");
    }
    let j = heat_residual_jacsparse(&u, &u_old, dt, &mut r, &s);
    assert_eq!(j.nnz(), 3 * n - 2);
    assert!(j.is_csr());
    // The value is the function's.
    let mut want = vec![0.0; n];
    heat_residual(&u, &u_old, dt, &mut want);
    assert_eq!(r, want);
    // By hand: d r_i / d u_i = 1 + dt (2 / h² + 3 u_i²), d r_i / d u_(i±1) = -dt / h².
    let h = 1.0 / (n + 1) as f64;
    let at = At("heat_residual", &u);
    for i in 0..n {
        at.close(
            "diagonal vs hand",
            i,
            entry(&j, i, i),
            1.0 + dt * (2.0 / (h * h) + 3.0 * u[i] * u[i]),
            HAND,
        );
        for k in [i.wrapping_sub(1), i + 1] {
            if k < n {
                at.close(
                    "off-diagonal vs hand",
                    i,
                    entry(&j, i, k),
                    -dt / (h * h),
                    HAND,
                );
            }
        }
    }
    // Forward and reverse dense Jacobians: equal where stored, zero elsewhere.
    let fwd = heat_residual_jacfwd(&u, &u_old, dt, &mut r);
    let rev = heat_residual_jacrev(&u, &u_old, dt, &mut r);
    for i in 0..n {
        for k in 0..n {
            assert_eq!(entry(&j, i, k), fwd[(i, k)], "({i}, {k}) sparse vs jacfwd");
            at.close(
                "sparse vs jacrev",
                i * n + k,
                entry(&j, i, k),
                rev[(i, k)],
                MODES,
            );
        }
    }
}

#[test]
fn heat_residual_against_finite_differences() {
    let n = 12;
    let (u, u_old, dt) = (point(n, 2.0), point(n, 0.5), 1e-3);
    let mut r = vec![0.0; n];
    let s = heat_residual_sparsity(&u, &u_old, dt, &mut r);
    let j = heat_residual_jacsparse(&u, &u_old, dt, &mut r, &s);
    let at = At("heat_residual", &u);
    for i in 0..n {
        let f = |v: &[f64]| {
            let mut out = vec![0.0; n];
            heat_residual(v, &u_old, dt, &mut out);
            out[i]
        };
        for k in 0..n {
            let fd = central_difference(f, &u, k);
            at.close(
                "sparse vs fd",
                i * n + k,
                entry(&j, i, k),
                fd,
                Tol::fd(r[i]),
            );
        }
    }
}

#[test]
fn arrowhead_equals_the_dense_jacobian() {
    let n = 50;
    let x = point(n, 0.9);
    let mut y = vec![0.0; n];
    let s = arrowhead_sparsity(&x, &mut y);
    assert_eq!(s.nnz(), 3 * n - 2);
    // The full first row links every pair of columns: one colour each.
    assert_eq!(s.colours(), n);
    let j = arrowhead_jacsparse(&x, &mut y, &s);
    let mut want = vec![0.0; n];
    arrowhead(&x, &mut want);
    assert_eq!(y, want);
    let fwd = arrowhead_jacfwd(&x, &mut y);
    let rev = arrowhead_jacrev(&x, &mut y);
    let at = At("arrowhead", &x);
    for i in 0..n {
        for k in 0..n {
            let hand = match (i, k) {
                (0, k) => 2.0 * x[k],
                (i, 0) => x[i],
                (i, k) if i == k => x[0] + x[i].cos(),
                _ => 0.0,
            };
            at.close("sparse vs hand", i * n + k, entry(&j, i, k), hand, HAND);
            assert_eq!(entry(&j, i, k), fwd[(i, k)], "({i}, {k}) sparse vs jacfwd");
            at.close(
                "sparse vs jacrev",
                i * n + k,
                entry(&j, i, k),
                rev[(i, k)],
                MODES,
            );
        }
    }
}

#[test]
fn arrays_and_a_zero_partial() {
    // d(x0 x1)/dx0 = x1 = 0 here: still a structural non-zero, so still stored.
    let x = [1.5, 0.0, -0.4, 2.0];
    let s = small_sparsity(x);
    assert_eq!(
        (s.row(0), s.row(1), s.row(2)),
        (&[0, 1][..], &[2][..], &[1, 3][..])
    );
    // Columns 0 and 1 meet in row 0, 1 and 3 in row 2: two colours, one pass of two lanes.
    assert_eq!(s.colours(), 2);
    let (value, j) = small_jacsparse(x, &s);
    assert_eq!(value, small(x));
    let (_, dense) = small_jacfwd(x);
    let (_, rev) = small_jacrev(x);
    for i in 0..3 {
        for k in 0..4 {
            assert_eq!(entry(&j, i, k), dense[i][k], "({i}, {k}) sparse vs jacfwd");
            assert_eq!(entry(&j, i, k), rev[i][k], "({i}, {k}) sparse vs jacrev");
        }
    }
    assert_eq!(j.get(0, 0), Some(&0.0));
    // The dot-product test along v, w: <J v, w> == <v, J^T w>, J^T w by reverse mode.
    let (v, w) = ([0.3, -1.0, 2.0, 0.7], [1.0, -0.5, 0.25]);
    let jv: f64 = (0..3)
        .map(|i| w[i] * (0..4).map(|k| entry(&j, i, k) * v[k]).sum::<f64>())
        .sum();
    let jtw: f64 = (0..4)
        .map(|k| v[k] * (0..3).map(|i| rev[i][k] * w[i]).sum::<f64>())
        .sum();
    assert!((jv - jtw).abs() <= 1e-12 * jv.abs().max(1.0));
}

#[test]
fn a_branch_changes_the_pattern_and_the_union_covers_both() {
    let (pos, neg) = ([1.0, 2.0, 3.0], [-1.0, 2.0, 3.0]);
    let a = switch_sparsity(pos);
    let b = switch_sparsity(neg);
    assert_eq!(a.row(0), &[0, 1]);
    assert_eq!(b.row(0), &[2]);
    let both = a.union(&b);
    assert_eq!(both.row(0), &[0, 1, 2]);
    for x in [pos, neg] {
        let (value, j) = switch_jacsparse(x, &both);
        assert_eq!(value, switch(x));
        let (_, dense) = switch_jacfwd(x);
        for i in 0..2 {
            for k in 0..3 {
                assert_eq!(entry(&j, i, k), dense[i][k]);
            }
        }
    }
}

#[test]
fn a_pattern_given_by_hand_is_used_as_it_is() {
    let n = 30;
    let x = point(n, 0.1);
    let mut r = vec![0.0; n];
    let s = Sparsity::from_entries(
        n,
        n,
        (0..n).flat_map(|i| (i.saturating_sub(1)..(i + 2).min(n)).map(move |k| (i, k))),
    );
    let detected = heat_residual_sparsity(&x, &x, 0.5, &mut r);
    assert_eq!(s, detected);
    let j = heat_residual_jacsparse(&x, &x, 0.5, &mut r, &s);
    let ones: CsMat<f64> = s.to_csmat();
    assert_eq!(j.indptr(), ones.indptr());
    assert_eq!(j.indices(), ones.indices());
}

#[test]
#[should_panic(expected = "the sparsity pattern has 4 columns but the input has 6 components")]
fn a_pattern_of_another_size_is_refused() {
    let mut r = vec![0.0; 4];
    let s = heat_residual_sparsity(&[0.1; 4], &[0.0; 4], 0.1, &mut r);
    let mut r = vec![0.0; 6];
    heat_residual_jacsparse(&[0.1; 6], &[0.0; 6], 0.1, &mut r, &s);
}

// ---------------------------------------------------------------------------------------------
// Sparse Hessians
// ---------------------------------------------------------------------------------------------

/// The extended Rosenbrock function: a tridiagonal Hessian.
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

/// A separable sum: a diagonal Hessian, one product.
#[derive_grad(hessian, sparse, wrt(x))]
fn separable(x: &[f64], c: f64) -> f64 {
    x.iter().map(|&t| (t - c).powi(4) + t.cos()).sum()
}

fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    rosenbrock_grad(x, &mut g);
    g
}

#[test]
fn tridiagonal_hessian_of_rosenbrock() {
    let n = 1000;
    let x = point(n, 0.4);
    let s = rosenbrock_hessian_sparsity(&x);
    assert_eq!((s.nnz(), s.colours()), (3 * n - 2, 3));
    let (value, grad, h) = rosenbrock_hessian_sparse(&x, &s);
    assert_eq!(value, rosenbrock(&x));
    assert_eq!(grad, rosenbrock_gradient(&x));
    // By hand.
    let at = At("rosenbrock", &x);
    for i in 0..n {
        let mut diag = 0.0;
        if i + 1 < n {
            diag += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
            at.close(
                "H(i, i+1) vs hand",
                i,
                entry(&h, i, i + 1),
                -400.0 * x[i],
                HAND,
            );
            at.close(
                "H(i+1, i) vs hand",
                i,
                entry(&h, i + 1, i),
                -400.0 * x[i],
                HAND,
            );
        }
        if i > 0 {
            diag += 200.0;
        }
        at.close("H(i, i) vs hand", i, entry(&h, i, i), diag, HAND);
    }
    // Against the dense Hessian (one product per column) on a smaller size, and against central
    // differences of the gradient.
    let n = 40;
    let x = point(n, 1.3);
    let s = rosenbrock_hessian_sparsity(&x);
    let (_, _, h) = rosenbrock_hessian_sparse(&x, &s);
    let (_, _, dense) = rosenbrock_hessian(&x);
    let at = At("rosenbrock", &x);
    for i in 0..n {
        let gi = |q: &[f64]| rosenbrock_gradient(q)[i];
        for k in 0..n {
            at.close(
                "sparse vs dense",
                i * n + k,
                entry(&h, i, k),
                dense[(i, k)],
                MODES,
            );
            let fd = central_difference(gi, &x, k);
            at.close(
                "sparse vs fd of grad",
                i * n + k,
                entry(&h, i, k),
                fd,
                Tol::fd(dense[(i, i)]),
            );
        }
    }
}

#[test]
fn diagonal_hessian_in_one_product() {
    let x = point(200, 2.2);
    let c = 0.3;
    let s = separable_hessian_sparsity(&x, c);
    assert_eq!((s.nnz(), s.colours()), (200, 1));
    let (value, grad, h) = separable_hessian_sparse(&x, c, &s);
    assert_eq!(value, separable(&x, c));
    let at = At("separable", &x);
    for i in 0..x.len() {
        at.close(
            "gradient vs hand",
            i,
            grad[i],
            4.0 * (x[i] - c).powi(3) - x[i].sin(),
            HAND,
        );
        let hand = 12.0 * (x[i] - c).powi(2) - x[i].cos();
        at.close("H(i, i) vs hand", i, entry(&h, i, i), hand, HAND);
    }
    // The Hessian-vector product along the all-ones direction is the diagonal here.
    let ones = vec![1.0; x.len()];
    let (_, _, hv) = separable_hvp(&x, &ones, c);
    for i in 0..x.len() {
        at.close("diagonal vs hvp", i, entry(&h, i, i), hv[i], MODES);
    }
}

/// A hub coupled to every other input: the Hessian is an arrowhead, whose columns all share row
/// 0, so the columns' colouring needs `n` colours; a star colouring needs 2.
#[derive_grad(hessian, sparse)]
fn hub(x: &[f64]) -> f64 {
    let mut s = x[0] * x[0];
    for i in 1..x.len() {
        s += (x[0] * x[i]).sin() + x[i] * x[i] * x[i];
    }
    s
}

#[test]
fn arrowhead_hessian_in_two_products() {
    let x = point(300, 0.7);
    let s = hub_hessian_sparsity(&x);
    assert_eq!((s.nnz(), s.colours()), (3 * 300 - 2, 2));
    let (value, _, h) = hub_hessian_sparse(&x, &s);
    assert_eq!(value, hub(&x));
    let (_, _, dense) = hub_hessian(&x);
    // By hand: H00 = 2 - Σ xi² sin(x0 xi), H0i = cos(x0 xi) - x0 xi sin(x0 xi),
    // Hii = 6 xi - x0² sin(x0 xi).
    let at = At("hub", &x[..8]);
    let x0 = x[0];
    let h00 = 2.0
        - x[1..]
            .iter()
            .map(|xi| xi * xi * (x0 * xi).sin())
            .sum::<f64>();
    at.close("H(0, 0) vs hand", 0, entry(&h, 0, 0), h00, HAND);
    for i in 1..x.len() {
        let (xi, t) = (x[i], x0 * x[i]);
        let h0i = t.cos() - t * t.sin();
        at.close("H(0, i) vs hand", i, entry(&h, 0, i), h0i, HAND);
        at.close("H(i, 0) vs hand", i, entry(&h, i, 0), h0i, HAND);
        at.close(
            "H(i, i) vs hand",
            i,
            entry(&h, i, i),
            6.0 * xi - x0 * x0 * t.sin(),
            HAND,
        );
    }
    for i in 0..x.len() {
        for j in 0..x.len() {
            at.close(
                "sparse vs dense",
                i * x.len() + j,
                entry(&h, i, j),
                dense[(i, j)],
                MODES,
            );
        }
    }
}
