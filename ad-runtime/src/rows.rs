//! Nested containers in calls between annotated functions: a parameter of rows (`&[[F; N]]`,
//! `&[Vec<F>]`, `&Vec<Vec<F>>`) takes its tangent (forward) or shadow (reverse) as a slice of
//! rows of the same shape, or [`Zero`] when the caller does not differentiate the argument. For
//! [`Zero`] the callee reads (or adds into) zero rows of the argument's shape, made once per
//! call: unlike a flat slice's [`crate::ZeroSlice`], a row's length is not known without it.

use alloc::vec;
use alloc::vec::Vec;

use crate::{Float, Zero};

/// A row of a nested container: `[T; N]` or `Vec<T>`, with zeros of its shape.
///
/// ```
/// use ad_runtime::rows::Row;
/// assert_eq!([1.0_f64, 2.0].zero_row(), [0.0, 0.0]);
/// assert_eq!(vec![1.0_f32; 3].zero_row(), vec![0.0; 3]);
/// ```
pub trait Row: Clone {
    /// A row of the same shape, all zeros.
    fn zero_row(&self) -> Self;
    /// Adds `other` into this row elementwise.
    fn add_row(&mut self, other: &Self);
}

impl<T: Float, const N: usize> Row for [T; N] {
    #[inline]
    fn zero_row(&self) -> Self {
        [T::zero(); N]
    }
    #[inline]
    fn add_row(&mut self, other: &Self) {
        crate::add_into(self, other);
    }
}

impl<T: Float> Row for Vec<T> {
    #[inline]
    fn zero_row(&self) -> Self {
        vec![T::zero(); self.len()]
    }
    #[inline]
    fn add_row(&mut self, other: &Self) {
        crate::add_into(self, other);
    }
}

/// Adds `source` into `target` row by row: an adjoint collected in scratch rows (rows passed
/// twice to one call) joins the rows' adjoint.
///
/// ```
/// let mut t = [[1.0, 2.0]];
/// ad_runtime::rows::add_rows(&mut t, &[[0.5, 0.25]]);
/// assert_eq!(t, [[1.5, 2.25]]);
/// ```
pub fn add_rows<R: Row>(target: &mut [R], source: &[R]) {
    for (t, s) in target.iter_mut().zip(source) {
        t.add_row(s);
    }
}

/// Zero rows of the shape of `rows`.
///
/// ```
/// let z = ad_runtime::rows::zero_rows(&[vec![1.0_f64], vec![2.0, 3.0]]);
/// assert_eq!(z, vec![vec![0.0], vec![0.0, 0.0]]);
/// ```
pub fn zero_rows<R: Row>(rows: &[R]) -> Vec<R> {
    rows.iter().map(Row::zero_row).collect()
}

/// The tangent passed to a read-only rows parameter of an annotated callee in forward mode: the
/// caller's tangent rows, or [`Zero`], read as zero rows of the argument's shape.
///
/// ```
/// use ad_runtime::{Zero, rows::RowsTangent};
/// let p = [[1.0_f64, 2.0]];
/// let mut store = Default::default();
/// assert_eq!(RowsTangent::rows(Zero, &p[..], &mut store), &[[0.0, 0.0]][..]);
/// let d = [[0.5, 0.25]];
/// assert_eq!(RowsTangent::rows(&d[..], &p[..], &mut ()), &d[..]);
/// ```
pub trait RowsTangent<'a, R> {
    /// Room the callee declares for zero rows: `()` for rows given, a `Vec` for [`Zero`].
    type Store: Default;
    /// The tangent rows, shaped like `primal`, kept in `store` if they need room.
    fn rows<'s>(self, primal: &[R], store: &'s mut Self::Store) -> &'s [R]
    where
        'a: 's;
}

impl<'a, R: Row> RowsTangent<'a, R> for &'a [R] {
    type Store = ();
    #[inline(always)]
    fn rows<'s>(self, _primal: &[R], _store: &'s mut ()) -> &'s [R]
    where
        'a: 's,
    {
        self
    }
}

impl<'a, R: Row> RowsTangent<'a, R> for Zero {
    type Store = Vec<R>;
    #[inline]
    fn rows<'s>(self, primal: &[R], store: &'s mut Vec<R>) -> &'s [R]
    where
        'a: 's,
    {
        *store = zero_rows(primal);
        store
    }
}

/// The shadow passed to a read-only rows parameter of an annotated callee in reverse mode: the
/// caller's adjoint rows to add into, or [`Zero`], for which the callee adds into zero rows of
/// the argument's shape that nobody reads.
///
/// ```
/// use ad_runtime::{Zero, rows::RowsShadow};
/// let p = [vec![1.0_f64, 2.0]];
/// let mut g = [vec![0.0, 0.0]];
/// RowsShadow::rows(&mut g[..], &p[..], &mut ())[0][1] += 3.0;
/// assert_eq!(g[0], [0.0, 3.0]);
/// let mut store = Default::default();
/// RowsShadow::rows(Zero, &p[..], &mut store)[0][0] += 1.0; // kept by nobody
/// ```
pub trait RowsShadow<'a, R> {
    /// Room the callee declares for scratch rows: `()` for rows given, a `Vec` for [`Zero`].
    type Store: Default;
    /// The rows to add into, shaped like `primal`, kept in `store` if they need room.
    fn rows<'s>(self, primal: &[R], store: &'s mut Self::Store) -> &'s mut [R]
    where
        'a: 's;
}

impl<'a, R: Row> RowsShadow<'a, R> for &'a mut [R] {
    type Store = ();
    #[inline(always)]
    fn rows<'s>(self, _primal: &[R], _store: &'s mut ()) -> &'s mut [R]
    where
        'a: 's,
    {
        self
    }
}

impl<'a, R: Row> RowsShadow<'a, R> for Zero {
    type Store = Vec<R>;
    #[inline]
    fn rows<'s>(self, primal: &[R], store: &'s mut Vec<R>) -> &'s mut [R]
    where
        'a: 's,
    {
        *store = zero_rows(primal);
        store
    }
}
