//! Values made of floats, taken as one vector: what `#[derive(Differentiable)]` gives a struct,
//! and what the floats, arrays and `Vec`s it is made of already have. Optimisers and the
//! checking helpers see a struct as the flat vector of its floats (`to_flat`, `with_flat`);
//! adjoints of the same shape are accumulated, scaled and dotted.
//!
//! ```
//! use ad_runtime::Differentiable;
//!
//! #[derive(Differentiable, Clone, Debug, PartialEq)]
//! struct Params {
//!     w: Vec<f64>,
//!     b: f64,
//!     steps: usize, // not a float: a constant, kept by `zero_like`
//! }
//!
//! let p = Params { w: vec![1.0, 2.0], b: 0.5, steps: 3 };
//! assert_eq!(p.to_flat(), vec![1.0, 2.0, 0.5]);
//! let z = p.zero_like();
//! assert_eq!(z, Params { w: vec![0.0, 0.0], b: 0.0, steps: 3 });
//! let q = p.with_flat(&[3.0, 4.0, 5.0]);
//! assert_eq!(q.dot(&p), 3.0 + 8.0 + 2.5);
//! ```

use alloc::vec::Vec;

use crate::Float;

/// A value made of floats of one type (`Scalar`), with the vector operations reverse mode and
/// optimisers need. Derive it for a struct with `#[derive(ad_runtime::Differentiable)]`: every
/// field that holds floats (a float, an array, a `Vec`, a struct with the derive) takes part;
/// integers, `bool`, `char`, `String` and fields marked `#[ad(constant)]` are constants.
pub trait Differentiable: Sized {
    /// The float type.
    type Scalar: Float;

    /// The same shape with every float zero (constants kept).
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// assert_eq!([1.5_f64, 2.0].zero_like(), [0.0, 0.0]);
    /// ```
    fn zero_like(&self) -> Self;

    /// Adds `other`'s floats into `self`'s, one by one: how adjoints accumulate.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// let mut a = vec![1.0_f64, 2.0];
    /// a.accumulate(&vec![0.5, 0.5]);
    /// assert_eq!(a, [1.5, 2.5]);
    /// ```
    fn accumulate(&mut self, other: &Self);

    /// Multiplies every float by `s`.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// let mut a = [1.0_f32, -2.0];
    /// a.scale(2.0);
    /// assert_eq!(a, [2.0, -4.0]);
    /// ```
    fn scale(&mut self, s: Self::Scalar);

    /// `self += a * x`, float by float: a gradient-descent step is `p.axpy(-rate, &grad)`.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// let mut p = vec![1.0_f64, 2.0];
    /// p.axpy(-0.5, &vec![2.0, -2.0]);
    /// assert_eq!(p, [0.0, 3.0]);
    /// ```
    fn axpy(&mut self, a: Self::Scalar, x: &Self)
    where
        Self: Clone,
    {
        let mut step = x.clone();
        step.scale(a);
        self.accumulate(&step);
    }

    /// The sum of the products of corresponding floats.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// assert_eq!([1.0_f64, 2.0].dot(&[3.0, 4.0]), 11.0);
    /// ```
    fn dot(&self, other: &Self) -> Self::Scalar;

    /// How many floats it holds.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// assert_eq!(vec![[0.0_f64; 3]; 2].flat_len(), 6);
    /// ```
    fn flat_len(&self) -> usize;

    /// Appends its floats to `out`, in field order.
    fn flatten_into(&self, out: &mut Vec<Self::Scalar>);

    /// Overwrites its floats with the first ones of `src`; returns how many it took.
    fn unflatten_from(&mut self, src: &[Self::Scalar]) -> usize;

    /// Its floats as one vector.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// assert_eq!([[1.0_f64, 2.0], [3.0, 4.0]].to_flat(), vec![1.0, 2.0, 3.0, 4.0]);
    /// ```
    fn to_flat(&self) -> Vec<Self::Scalar> {
        let mut out = Vec::with_capacity(self.flat_len());
        self.flatten_into(&mut out);
        out
    }

    /// A value of the same shape holding the floats of `flat` (constants copied from `self`).
    ///
    /// # Panics
    ///
    /// When `flat` holds fewer floats than `self`.
    ///
    /// ```
    /// use ad_runtime::Differentiable;
    /// assert_eq!([0.0_f64; 2].with_flat(&[7.0, 8.0]), [7.0, 8.0]);
    /// ```
    fn with_flat(&self, flat: &[Self::Scalar]) -> Self {
        let mut out = self.zero_like();
        let taken = out.unflatten_from(flat);
        debug_assert!(taken <= flat.len());
        out
    }
}

macro_rules! float_leaf {
    ($($t:ty),*) => {$(
        impl Differentiable for $t {
            type Scalar = $t;
            #[inline(always)]
            fn zero_like(&self) -> Self {
                0.0
            }
            #[inline(always)]
            fn accumulate(&mut self, other: &Self) {
                *self += *other;
            }
            #[inline(always)]
            fn scale(&mut self, s: $t) {
                *self *= s;
            }
            #[inline(always)]
            fn dot(&self, other: &Self) -> $t {
                self * other
            }
            #[inline(always)]
            fn flat_len(&self) -> usize {
                1
            }
            #[inline(always)]
            fn flatten_into(&self, out: &mut Vec<$t>) {
                out.push(*self);
            }
            #[inline(always)]
            fn unflatten_from(&mut self, src: &[$t]) -> usize {
                *self = src[0];
                1
            }
        }
    )*};
}

float_leaf!(f32, f64);

impl<T: Differentiable, const N: usize> Differentiable for [T; N] {
    type Scalar = T::Scalar;
    fn zero_like(&self) -> Self {
        core::array::from_fn(|i| self[i].zero_like())
    }
    fn accumulate(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
    fn scale(&mut self, s: T::Scalar) {
        for a in self {
            a.scale(s);
        }
    }
    fn dot(&self, other: &Self) -> T::Scalar {
        self.iter()
            .zip(other)
            .fold(crate::zero::<T::Scalar>(), |acc, (a, b)| acc + a.dot(b))
    }
    fn flat_len(&self) -> usize {
        self.iter().map(Differentiable::flat_len).sum()
    }
    fn flatten_into(&self, out: &mut Vec<T::Scalar>) {
        for a in self {
            a.flatten_into(out);
        }
    }
    fn unflatten_from(&mut self, src: &[T::Scalar]) -> usize {
        let mut k = 0;
        for a in self {
            k += a.unflatten_from(&src[k..]);
        }
        k
    }
}

impl<T: Differentiable> Differentiable for Vec<T> {
    type Scalar = T::Scalar;
    fn zero_like(&self) -> Self {
        self.iter().map(Differentiable::zero_like).collect()
    }
    fn accumulate(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
    fn scale(&mut self, s: T::Scalar) {
        for a in self {
            a.scale(s);
        }
    }
    fn dot(&self, other: &Self) -> T::Scalar {
        self.iter()
            .zip(other)
            .fold(crate::zero::<T::Scalar>(), |acc, (a, b)| acc + a.dot(b))
    }
    fn flat_len(&self) -> usize {
        self.iter().map(Differentiable::flat_len).sum()
    }
    fn flatten_into(&self, out: &mut Vec<T::Scalar>) {
        for a in self {
            a.flatten_into(out);
        }
    }
    fn unflatten_from(&mut self, src: &[T::Scalar]) -> usize {
        let mut k = 0;
        for a in self {
            k += a.unflatten_from(&src[k..]);
        }
        k
    }
}

/// Implemented by `#[derive(Differentiable)]` only (not by floats, arrays or `Vec`): lets the
/// macros check at compile time that a parameter whose struct they cannot see is not one the
/// user expects a gradient for.
#[doc(hidden)]
pub trait DerivedDifferentiable {}

/// The floats of a slice of values, element after element: how a generated function over
/// `&[Vec3]` passes the slice to its flat form (`stride` floats per element).
///
/// ```
/// use ad_runtime::{Differentiable, flat_elements};
///
/// #[derive(Differentiable, Clone, Copy)]
/// struct P { x: f64, y: f64 }
///
/// let ps = [P { x: 1.0, y: 2.0 }, P { x: 3.0, y: 4.0 }];
/// assert_eq!(flat_elements(&ps), vec![1.0, 2.0, 3.0, 4.0]);
/// ```
pub fn flat_elements<T: Differentiable>(items: &[T]) -> Vec<T::Scalar> {
    let per = items.first().map_or(0, Differentiable::flat_len);
    let mut out = Vec::with_capacity(per * items.len());
    for item in items {
        item.flatten_into(&mut out);
    }
    out
}

/// Writes flat floats back into a slice of values, element after element (the inverse of
/// [`flat_elements`]; constants are kept).
///
/// ```
/// use ad_runtime::{Differentiable, unflat_elements};
///
/// #[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
/// struct P { x: f64, y: f64 }
///
/// let mut ps = [P { x: 0.0, y: 0.0 }; 2];
/// unflat_elements(&mut ps, &[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(ps[1], P { x: 3.0, y: 4.0 });
/// ```
pub fn unflat_elements<T: Differentiable>(items: &mut [T], flat: &[T::Scalar]) {
    let mut at = 0;
    for item in items {
        at += item.unflatten_from(&flat[at..]);
    }
}
