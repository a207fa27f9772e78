//! Automatic differentiation by source transformation (placeholder docs, rewritten below).

extern crate self as ad_runtime;

pub use ad_macros::{derive_grad, derive_tangent};
pub use num_traits::Float;

pub mod rules;

/// The zero of `x`'s type: the starting value of a tangent or adjoint that nothing has reached yet.
///
/// ```
/// assert_eq!(ad_runtime::zero_like(&2.5_f64), 0.0);
/// ```
#[inline(always)]
pub fn zero_like<T: Float>(_x: &T) -> T {
    T::zero()
}

/// Converts an adjoint `d` back to the float type of `like`: the reverse of an `as` cast between
/// float types (an `f32` input of an `f64` computation gets an `f32` adjoint).
///
/// ```
/// let x = 1.5_f32;
/// let adjoint: f32 = ad_runtime::cast_like(&x, 0.25_f64);
/// assert_eq!(adjoint, 0.25);
/// ```
#[inline(always)]
pub fn cast_like<S: Float, D: Float>(_like: &S, d: D) -> S {
    S::from(d).unwrap_or_else(S::nan)
}

/// The one of a float type: the seed of `_grad`.
///
/// ```
/// assert_eq!(ad_runtime::one::<f32>(), 1.0);
/// ```
#[inline(always)]
pub fn one<T: Float>() -> T {
    T::one()
}

/// The zero of a float type.
///
/// ```
/// assert_eq!(ad_runtime::zero::<f64>(), 0.0);
/// ```
#[inline(always)]
pub fn zero<T: Float>() -> T {
    T::zero()
}
