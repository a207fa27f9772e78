//! Dense matrix kernels over column-major slices, with their derivative rules per operation:
//! what the macros call for the products of nalgebra's `DMatrix` and `DVector` (cargo feature
//! `nalgebra`), and what a user may call directly from a differentiated function.
//!
//! Each kernel writes its result into a `&mut` slice and carries `#[custom_tangent]` and
//! `#[custom_grad]` rules, so a differentiated caller composes with it like with any annotated
//! function. The rules work at the level of the operation, as a hand-written gradient does: the
//! adjoint of `y = A x` is `x̄ += Aᵀ ȳ` and `Ā += ȳ xᵀ` (two passes over `A`), not `rows * cols`
//! scalar rules with their stored intermediates.
//!
//! ```
//! use ad_runtime::{dense, derive_grad};
//!
//! /// `0.5 |A x - b|²` for a column-major `A` with `rows` rows.
//! #[derive_grad(wrt(x))]
//! fn residual(a: &[f64], rows: usize, x: &[f64], b: &[f64]) -> f64 {
//!     let mut y = vec![0.0; rows];
//!     dense::matvec(a, rows, x, &mut y);
//!     0.5 * y.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>()
//! }
//!
//! // A = [[1, 2], [3, 4]] by columns; the gradient is Aᵀ (A x - b).
//! let (a, x, b) = ([1.0, 3.0, 2.0, 4.0], [1.0, 1.0], [0.0, 5.0]);
//! let mut g = [0.0; 2];
//! residual_grad(&a, 2, &x, &mut g, &b);
//! assert_eq!(g, [1.0 * 3.0 + 3.0 * 2.0, 2.0 * 3.0 + 4.0 * 2.0]);
//! ```

use crate::{Float, custom_grad, custom_tangent};

/// `y = A x`, `A` column-major with `rows` rows (`a.len() / rows` columns).
#[custom_tangent(matvec_rule_tangent)]
#[custom_grad(matvec_rule_vjp, adjoint = matvec_rule_adjoint)]
pub fn matvec<F: Float>(a: &[F], rows: usize, x: &[F], y: &mut [F]) {
    y.fill(F::zero());
    add_matvec(a, rows, x, y);
}

/// `y += A x`.
fn add_matvec<F: Float>(a: &[F], rows: usize, x: &[F], y: &mut [F]) {
    if rows == 0 {
        return;
    }
    for (col, &xj) in a.chunks_exact(rows).zip(x) {
        for (yi, &aij) in y.iter_mut().zip(col) {
            *yi = *yi + aij * xj;
        }
    }
}

/// `x += Aᵀ y`: a dot product per column, in eight independent sums so that it vectorises
/// (one running sum would wait on each addition).
fn add_tr_matvec<F: Float>(a: &[F], rows: usize, y: &[F], x: &mut [F]) {
    if rows == 0 {
        return;
    }
    for (col, xj) in a.chunks_exact(rows).zip(x.iter_mut()) {
        *xj = *xj + dot(col, y);
    }
}

/// `u · v` in eight lanes.
fn dot<F: Float>(u: &[F], v: &[F]) -> F {
    let mut lanes = [F::zero(); 8];
    let (u8, v8) = (u.chunks_exact(8), v.chunks_exact(8));
    let (ur, vr) = (u8.remainder(), v8.remainder());
    for (a, b) in u8.zip(v8) {
        for k in 0..8 {
            lanes[k] = lanes[k] + a[k] * b[k];
        }
    }
    let mut s = lanes.iter().fold(F::zero(), |acc, &l| acc + l);
    for (&a, &b) in ur.iter().zip(vr) {
        s = s + a * b;
    }
    s
}

/// `A += u vᵀ` (`u` of length `rows`).
fn add_outer<F: Float>(a: &mut [F], rows: usize, u: &[F], v: &[F]) {
    if rows == 0 {
        return;
    }
    for (col, &vj) in a.chunks_exact_mut(rows).zip(v) {
        for (aij, &ui) in col.iter_mut().zip(u) {
            *aij = *aij + ui * vj;
        }
    }
}

/// Forward rule of [`matvec`]: `ẏ = Ȧ x + A ẋ`.
pub fn matvec_rule_tangent<F: Float>(
    a: &[F],
    da: &[F],
    rows: usize,
    x: &[F],
    dx: &[F],
    y: &mut [F],
    dy: &mut [F],
) {
    matvec(a, rows, x, y);
    matvec(da, rows, x, dy);
    add_matvec(a, rows, dx, dy);
}

/// Reverse rule of [`matvec`]: `Ā += ȳ xᵀ`, `x̄ += Aᵀ ȳ`; `ȳ` is then zero (`y` is written, not
/// read).
pub fn matvec_rule_vjp<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    x: &[F],
    dx: &mut [F],
    y: &mut [F],
    dy: &mut [F],
) {
    matvec(a, rows, x, y);
    matvec_rule_adjoint(a, da, rows, x, dx, y, dy);
}

/// The adjoint part of [`matvec_rule_vjp`], without the primal: what a differentiated caller's
/// reverse sweep calls (`adjoint = ..`), since it discards what the kernel writes there.
pub fn matvec_rule_adjoint<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    x: &[F],
    dx: &mut [F],
    _y: &mut [F],
    dy: &mut [F],
) {
    add_outer(da, rows, dy, x);
    add_tr_matvec(a, rows, dy, dx);
    dy.fill(F::zero());
}

/// `x = Aᵀ y`, `A` column-major with `rows` rows.
#[custom_tangent(tr_matvec_rule_tangent)]
#[custom_grad(tr_matvec_rule_vjp, adjoint = tr_matvec_rule_adjoint)]
pub fn tr_matvec<F: Float>(a: &[F], rows: usize, y: &[F], x: &mut [F]) {
    x.fill(F::zero());
    add_tr_matvec(a, rows, y, x);
}

/// Forward rule of [`tr_matvec`]: `ẋ = Ȧᵀ y + Aᵀ ẏ`.
pub fn tr_matvec_rule_tangent<F: Float>(
    a: &[F],
    da: &[F],
    rows: usize,
    y: &[F],
    dy: &[F],
    x: &mut [F],
    dx: &mut [F],
) {
    tr_matvec(a, rows, y, x);
    tr_matvec(da, rows, y, dx);
    add_tr_matvec(a, rows, dy, dx);
}

/// Reverse rule of [`tr_matvec`]: `Ā += y x̄ᵀ`, `ȳ += A x̄`; `x̄` is then zero.
pub fn tr_matvec_rule_vjp<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    y: &[F],
    dy: &mut [F],
    x: &mut [F],
    dx: &mut [F],
) {
    tr_matvec(a, rows, y, x);
    tr_matvec_rule_adjoint(a, da, rows, y, dy, x, dx);
}

/// The adjoint part of [`tr_matvec_rule_vjp`], without the primal: what a differentiated caller's
/// reverse sweep calls (`adjoint = ..`), since it discards what the kernel writes there.
pub fn tr_matvec_rule_adjoint<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    y: &[F],
    dy: &mut [F],
    _x: &mut [F],
    dx: &mut [F],
) {
    add_outer(da, rows, y, dx);
    add_matvec(a, rows, dx, dy);
    dx.fill(F::zero());
}

/// `C = A B`, `A` with `rows` rows and `B` with `inner` rows (`A`'s columns), all column-major.
#[custom_tangent(matmul_rule_tangent)]
#[custom_grad(matmul_rule_vjp, adjoint = matmul_rule_adjoint)]
pub fn matmul<F: Float>(a: &[F], rows: usize, b: &[F], inner: usize, c: &mut [F]) {
    c.fill(F::zero());
    add_matmul(a, rows, b, inner, c);
}

/// `C += A B`.
fn add_matmul<F: Float>(a: &[F], rows: usize, b: &[F], inner: usize, c: &mut [F]) {
    if rows == 0 || inner == 0 {
        return;
    }
    for (bcol, ccol) in b.chunks_exact(inner).zip(c.chunks_exact_mut(rows)) {
        add_matvec(a, rows, bcol, ccol);
    }
}

/// Forward rule of [`matmul`]: `Ċ = Ȧ B + A Ḃ`.
#[allow(clippy::too_many_arguments)]
pub fn matmul_rule_tangent<F: Float>(
    a: &[F],
    da: &[F],
    rows: usize,
    b: &[F],
    db: &[F],
    inner: usize,
    c: &mut [F],
    dc: &mut [F],
) {
    matmul(a, rows, b, inner, c);
    matmul(da, rows, b, inner, dc);
    add_matmul(a, rows, db, inner, dc);
}

/// Reverse rule of [`matmul`]: `Ā += C̄ Bᵀ`, `B̄ += Aᵀ C̄`; `C̄` is then zero.
#[allow(clippy::too_many_arguments)]
pub fn matmul_rule_vjp<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    b: &[F],
    db: &mut [F],
    inner: usize,
    c: &mut [F],
    dc: &mut [F],
) {
    matmul(a, rows, b, inner, c);
    matmul_rule_adjoint(a, da, rows, b, db, inner, c, dc);
}

/// The adjoint part of [`matmul_rule_vjp`], without the primal: what a differentiated caller's
/// reverse sweep calls (`adjoint = ..`), since it discards what the kernel writes there.
#[allow(clippy::too_many_arguments)]
pub fn matmul_rule_adjoint<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    b: &[F],
    db: &mut [F],
    inner: usize,
    _c: &mut [F],
    dc: &mut [F],
) {
    if rows == 0 || inner == 0 {
        return;
    }
    for ((bcol, dbcol), dccol) in b
        .chunks_exact(inner)
        .zip(db.chunks_exact_mut(inner))
        .zip(dc.chunks_exact(rows))
    {
        add_outer(da, rows, dccol, bcol);
        add_tr_matvec(a, rows, dccol, dbcol);
    }
    dc.fill(F::zero());
}

/// `T = Aᵀ`, `A` column-major with `rows` rows.
#[custom_tangent(transpose_rule_tangent)]
#[custom_grad(transpose_rule_vjp, adjoint = transpose_rule_adjoint)]
pub fn transpose<F: Float>(a: &[F], rows: usize, t: &mut [F]) {
    if rows == 0 {
        return;
    }
    let cols = a.len() / rows;
    for (j, col) in a.chunks_exact(rows).enumerate() {
        for (i, &aij) in col.iter().enumerate() {
            t[j + cols * i] = aij;
        }
    }
}

/// Forward rule of [`transpose`]: `Ṫ = Ȧᵀ`.
pub fn transpose_rule_tangent<F: Float>(a: &[F], da: &[F], rows: usize, t: &mut [F], dt: &mut [F]) {
    transpose(a, rows, t);
    transpose(da, rows, dt);
}

/// Reverse rule of [`transpose`]: `Ā += T̄ᵀ`; `T̄` is then zero.
pub fn transpose_rule_vjp<F: Float>(a: &[F], da: &mut [F], rows: usize, t: &mut [F], dt: &mut [F]) {
    transpose(a, rows, t);
    transpose_rule_adjoint(a, da, rows, t, dt);
}

/// The adjoint part of [`transpose_rule_vjp`], without the primal: what a differentiated caller's
/// reverse sweep calls (`adjoint = ..`), since it discards what the kernel writes there.
pub fn transpose_rule_adjoint<F: Float>(
    a: &[F],
    da: &mut [F],
    rows: usize,
    _t: &mut [F],
    dt: &mut [F],
) {
    if rows == 0 {
        return;
    }
    let cols = a.len() / rows;
    for (j, col) in da.chunks_exact_mut(rows).enumerate() {
        for (i, d) in col.iter_mut().enumerate() {
            *d = *d + dt[j + cols * i];
        }
    }
    dt.fill(F::zero());
}

/// A matrix the caller does not differentiate (a parameter outside `wrt`): constant by its type,
/// so the rules of [`const_matvec`] and [`const_tr_matvec`] neither compute nor add into an
/// adjoint for it.
#[derive(Clone, Copy, Debug)]
pub struct Const<'a, F>(pub &'a [F]);

/// `y = A x` for a constant `A` (column-major, `rows` rows).
#[custom_tangent(const_matvec_rule_tangent)]
#[custom_grad(const_matvec_rule_vjp, adjoint = const_matvec_rule_adjoint)]
pub fn const_matvec<F: Float>(a: Const<'_, F>, rows: usize, x: &[F], y: &mut [F]) {
    matvec(a.0, rows, x, y);
}

/// Forward rule of [`const_matvec`]: `ẏ = A ẋ`.
pub fn const_matvec_rule_tangent<F: Float>(
    a: Const<'_, F>,
    rows: usize,
    x: &[F],
    dx: &[F],
    y: &mut [F],
    dy: &mut [F],
) {
    matvec(a.0, rows, x, y);
    matvec(a.0, rows, dx, dy);
}

/// Reverse rule of [`const_matvec`]: `x̄ += Aᵀ ȳ`; `ȳ` is then zero.
pub fn const_matvec_rule_vjp<F: Float>(
    a: Const<'_, F>,
    rows: usize,
    x: &[F],
    dx: &mut [F],
    y: &mut [F],
    dy: &mut [F],
) {
    matvec(a.0, rows, x, y);
    const_matvec_rule_adjoint(a, rows, x, dx, y, dy);
}

/// The adjoint part of [`const_matvec_rule_vjp`], without the primal: what a differentiated caller's
/// reverse sweep calls (`adjoint = ..`), since it discards what the kernel writes there.
pub fn const_matvec_rule_adjoint<F: Float>(
    a: Const<'_, F>,
    rows: usize,
    _x: &[F],
    dx: &mut [F],
    _y: &mut [F],
    dy: &mut [F],
) {
    add_tr_matvec(a.0, rows, dy, dx);
    dy.fill(F::zero());
}

/// `x = Aᵀ y` for a constant `A` (column-major, `rows` rows).
#[custom_tangent(const_tr_matvec_rule_tangent)]
#[custom_grad(const_tr_matvec_rule_vjp, adjoint = const_tr_matvec_rule_adjoint)]
pub fn const_tr_matvec<F: Float>(a: Const<'_, F>, rows: usize, y: &[F], x: &mut [F]) {
    tr_matvec(a.0, rows, y, x);
}

/// Forward rule of [`const_tr_matvec`]: `ẋ = Aᵀ ẏ`.
pub fn const_tr_matvec_rule_tangent<F: Float>(
    a: Const<'_, F>,
    rows: usize,
    y: &[F],
    dy: &[F],
    x: &mut [F],
    dx: &mut [F],
) {
    tr_matvec(a.0, rows, y, x);
    tr_matvec(a.0, rows, dy, dx);
}

/// Reverse rule of [`const_tr_matvec`]: `ȳ += A x̄`; `x̄` is then zero.
pub fn const_tr_matvec_rule_vjp<F: Float>(
    a: Const<'_, F>,
    rows: usize,
    y: &[F],
    dy: &mut [F],
    x: &mut [F],
    dx: &mut [F],
) {
    tr_matvec(a.0, rows, y, x);
    const_tr_matvec_rule_adjoint(a, rows, y, dy, x, dx);
}

/// The adjoint part of [`const_tr_matvec_rule_vjp`], without the primal: what a differentiated caller's
/// reverse sweep calls (`adjoint = ..`), since it discards what the kernel writes there.
pub fn const_tr_matvec_rule_adjoint<F: Float>(
    a: Const<'_, F>,
    rows: usize,
    _y: &[F],
    dy: &mut [F],
    _x: &mut [F],
    dx: &mut [F],
) {
    add_matvec(a.0, rows, dx, dy);
    dx.fill(F::zero());
}
