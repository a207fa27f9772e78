//! ndarray's arrays and views as the slices the macros' flat functions take (cargo feature
//! `ndarray`). A differentiated function over `&Array1<f64>`, `ArrayView2<f64>` or
//! `&mut Array1<f64>` is called with the arrays' elements in row-major order: an array in
//! standard layout is read in place; any other layout (a transposed view, a column) is copied
//! into row-major order first. What is written (a `&mut` array, a shadow) must be in standard
//! layout, as arrays made by `Array1::zeros` are.
//!
//! ```
//! use ndarray::array;
//! let a = array![[1.0, 2.0], [3.0, 4.0]];
//! assert_eq!(&*ad_runtime::nd::slice(&a), &[1.0, 2.0, 3.0, 4.0]);
//! assert_eq!(&*ad_runtime::nd::slice(&a.t()), &[1.0, 3.0, 2.0, 4.0]); // copied, row-major
//! ```

use std::borrow::Cow;

use ndarray::{ArrayBase, Data, DataMut, Dimension};

/// The elements of `a` in row-major order: borrowed when `a` is in standard layout, else copied.
pub fn slice<S, D>(a: &ArrayBase<S, D>) -> Cow<'_, [S::Elem]>
where
    S: Data,
    S::Elem: Clone,
    D: Dimension,
{
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().cloned().collect()),
    }
}

/// The elements of `a` to write, in row-major order.
///
/// # Panics
///
/// When `a` is not in standard layout (a transposed or strided view): what the derivative
/// writes must land in the caller's array. Make shadows and outputs with `Array1::zeros(n)`.
pub fn slice_mut<S, D>(a: &mut ArrayBase<S, D>) -> &mut [S::Elem]
where
    S: DataMut,
    D: Dimension,
{
    a.as_slice_mut().expect(
        "ad_runtime: an ndarray array that a derivative writes (a `&mut` parameter or a shadow) \
         must be in standard (row-major, contiguous) layout, as `Array::zeros` makes it",
    )
}
