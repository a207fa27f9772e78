//! nalgebra's fixed-size vectors, matrices and points as [`Differentiable`] values (cargo
//! feature `nalgebra`): their floats in nalgebra's storage order (column-major), the order in
//! which the macros take them apart (`Vector3` is `x, y, z`; `Matrix3` is `m11, m21, m31, m12,
//! ..`). With it, a function over `Vector3<f64>`, `&Matrix3<f64>`, `Point3<f64>` or `&[Vector3<f64>]`
//! can be differentiated, and its adjoints and tangents are values of the same nalgebra types.
//!
//! ```
//! use ad_runtime::Differentiable;
//! use nalgebra::{Matrix2, Vector3};
//!
//! let v = Vector3::new(1.0, 2.0, 3.0);
//! assert_eq!(v.to_flat(), vec![1.0, 2.0, 3.0]);
//! let m = Matrix2::new(1.0, 2.0, 3.0, 4.0); // row by row
//! assert_eq!(m.to_flat(), vec![1.0, 3.0, 2.0, 4.0]); // column by column
//! assert_eq!(v.dot(&v), 14.0);
//! ```

use nalgebra::{Point, SMatrix, Scalar};

use crate::{Differentiable, Float};

impl<T: Float + Scalar, const R: usize, const C: usize> Differentiable for SMatrix<T, R, C> {
    type Scalar = T;
    fn zero_like(&self) -> Self {
        Self::from_element(T::zero())
    }
    fn accumulate(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other.iter()) {
            *a = *a + *b;
        }
    }
    fn scale(&mut self, s: T) {
        for a in self.iter_mut() {
            *a = *a * s;
        }
    }
    fn dot(&self, other: &Self) -> T {
        self.iter()
            .zip(other.iter())
            .fold(T::zero(), |acc, (a, b)| acc + *a * *b)
    }
    fn flat_len(&self) -> usize {
        R * C
    }
    fn flatten_into(&self, out: &mut Vec<T>) {
        out.extend(self.iter().copied());
    }
    fn unflatten_from(&mut self, src: &[T]) -> usize {
        for (a, b) in self.iter_mut().zip(src) {
            *a = *b;
        }
        R * C
    }
}

impl<T: Float + Scalar, const D: usize> Differentiable for Point<T, D> {
    type Scalar = T;
    fn zero_like(&self) -> Self {
        Point::from(self.coords.zero_like())
    }
    fn accumulate(&mut self, other: &Self) {
        self.coords.accumulate(&other.coords);
    }
    fn scale(&mut self, s: T) {
        self.coords.scale(s);
    }
    fn dot(&self, other: &Self) -> T {
        Differentiable::dot(&self.coords, &other.coords)
    }
    fn flat_len(&self) -> usize {
        D
    }
    fn flatten_into(&self, out: &mut Vec<T>) {
        self.coords.flatten_into(out);
    }
    fn unflatten_from(&mut self, src: &[T]) -> usize {
        self.coords.unflatten_from(src)
    }
}

/// The floats of a nalgebra value in storage order, as one mutable slice: the wrappers the
/// macros write take a `&mut Vector3<f64>` apart into one `&mut f64` per component with it.
#[doc(hidden)]
pub trait Floats {
    type Scalar;
    fn floats_mut(&mut self) -> &mut [Self::Scalar];
}

impl<T: Scalar, const R: usize, const C: usize> Floats for SMatrix<T, R, C> {
    type Scalar = T;
    fn floats_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: Scalar, const D: usize> Floats for Point<T, D> {
    type Scalar = T;
    fn floats_mut(&mut self) -> &mut [T] {
        self.coords.as_mut_slice()
    }
}

/// See [`Floats`].
#[doc(hidden)]
pub fn floats_mut<M: Floats + ?Sized>(m: &mut M) -> &mut [M::Scalar] {
    m.floats_mut()
}
