//! A nonlinear 2-D Poisson problem solved by Newton's method with a sparse Jacobian.
//!
//! `-Δu + u³ = f` on the unit square with `u = 0` on the boundary, discretised by the five-point
//! stencil on an `N × N` grid of interior points: `N² = 900` unknowns, and a residual `r(u)` whose
//! Jacobian has at most five non-zeros per row. `#[derive_jacobian(sparse)]` writes
//! `residual_sparsity`, which finds that pattern once and colours its columns (columns without a
//! common row share a colour), and `residual_jacsparse`, which computes the whole Jacobian in one
//! forward pass per 8 colours (`lanes = 8`) instead of the 113 passes of the dense one. Each
//! Newton step solves `J δ = -r` with `sprs`'s BiCGSTAB.
//!
//! The right-hand side is made from a known grid function `u*` by applying the discrete operator
//! to it, so the discrete solution is `u*` exactly and the example checks that Newton finds it.
//!
//! Run with `cargo run --example poisson_newton`.

use ad_runtime::derive_jacobian;
use ad_runtime::sparse::sprs::CsVec;
use ad_runtime::sparse::sprs::linalg::bicgstab::BiCGSTAB;

/// Interior points per side.
const N: usize = 30;

/// The residual `r = A u + u³ - f` of the discretised problem, `A` the five-point `-Δ`;
/// `u` and `r` are stored row by row (`k = j N + i`).
#[derive_jacobian(sparse, lanes = 8, wrt(u, r))]
fn residual(u: &[f64], f: &[f64], n: usize, r: &mut [f64]) {
    let h = 1.0 / (n + 1) as f64;
    for j in 0..n {
        for i in 0..n {
            let k = j * n + i;
            let west = if i > 0 { u[k - 1] } else { 0.0 };
            let east = if i + 1 < n { u[k + 1] } else { 0.0 };
            let south = if j > 0 { u[k - n] } else { 0.0 };
            let north = if j + 1 < n { u[k + n] } else { 0.0 };
            let laplacian = (west + east + south + north - 4.0 * u[k]) / (h * h);
            r[k] = -laplacian + u[k] * u[k] * u[k] - f[k];
        }
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn main() {
    let unknowns = N * N;
    // The solution to find, and the right-hand side that makes it the discrete solution.
    let exact: Vec<f64> = (0..unknowns)
        .map(|k| {
            let (x, y) = ((k % N + 1) as f64, (k / N + 1) as f64);
            let h = 1.0 / (N + 1) as f64;
            3.0 * (std::f64::consts::PI * x * h).sin() * (2.0 * std::f64::consts::PI * y * h).sin()
        })
        .collect();
    let mut f = vec![0.0; unknowns];
    residual(&exact, &vec![0.0; unknowns], N, &mut f);

    let mut u = vec![0.0; unknowns];
    let mut r = vec![0.0; unknowns];
    // The pattern does not depend on `u`: detect it once.
    let sparsity = residual_sparsity(&u, &f, N, &mut r);
    println!(
        "{unknowns} unknowns: {} non-zeros, {} colours, so {} forward pass(es) per Jacobian (dense: {})",
        sparsity.nnz(),
        sparsity.colours(),
        sparsity.colours().div_ceil(8),
        unknowns.div_ceil(8)
    );
    assert_eq!(sparsity.nnz(), 5 * unknowns - 4 * N);

    let mut converged = false;
    for step in 0..20 {
        let jac = residual_jacsparse(&u, &f, N, &mut r, &sparsity);
        let size = norm(&r);
        println!("Newton step {step}: |r| = {size:.3e}");
        if size < 1e-9 {
            converged = true;
            break;
        }
        // J δ = -r, by BiCGSTAB from δ = 0.
        let indices: Vec<usize> = (0..unknowns).collect();
        let rhs = CsVec::new(unknowns, indices.clone(), r.iter().map(|x| -x).collect());
        let start = CsVec::new(unknowns, indices, vec![0.0; unknowns]);
        let solved = BiCGSTAB::<'_, f64, _, _>::solve(
            jac.view(),
            start.view(),
            rhs.view(),
            1e-10 * size,
            10 * unknowns,
        )
        .expect("BiCGSTAB converges on this symmetric positive definite system");
        for (k, d) in solved.x().iter() {
            u[k] += d;
        }
    }
    assert!(converged, "Newton's method did not converge");
    let error = u
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("largest error against the known solution: {error:.2e}");
    assert!(error < 1e-8, "Newton converged to the wrong solution");
}
