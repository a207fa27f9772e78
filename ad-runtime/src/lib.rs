//! Automatic differentiation by source transformation, on stable Rust.
//!
//! Two attribute macros read an ordinary function at compile time and write its derivative next
//! to it, as plain Rust that rustc optimises like hand-written code. There is no tape and no
//! graph at run time: intermediates live in local variables.
//!
//! - [`macro@derive_tangent`] (forward mode) writes `NAME_tangent`: the value and the directional
//!   derivative (a Jacobian-vector product) in one pass. Cheap when inputs are few.
//! - [`macro@derive_grad`] (reverse mode) writes `NAME_vjp` (value and vector-Jacobian product for
//!   any output seed) and, when the output is one float, `NAME_grad` (seed 1: value and gradient).
//!   One pass gives the derivative with respect to every input. Cheap when outputs are few.
//!
//! ```
//! use ad_runtime::{derive_grad, derive_tangent};
//!
//! #[derive_tangent]
//! #[derive_grad]
//! fn f(x: f64, y: f64) -> f64 {
//!     x * y + x.sin()
//! }
//!
//! // Forward mode: one pass per input direction.
//! let (value, df_dx) = f_tangent(2.0, 1.0, 3.0, 0.0);
//! assert!((df_dx - (3.0 + 2.0_f64.cos())).abs() < 1e-15);
//!
//! // Reverse mode: one pass for the whole gradient.
//! let (same, (gx, gy)) = f_grad(2.0, 3.0);
//! assert_eq!((same, gx, gy), (value, df_dx, 2.0));
//!
//! // Any seed: a vector-Jacobian product.
//! let (_, (vx, vy)) = f_vjp(2.0, 3.0, 0.5);
//! assert_eq!((vx, vy), (0.5 * gx, 1.0));
//! ```
//!
//! # Signatures
//!
//! For `fn f(x: f64, y: f64, n: usize) -> f64`, with `x` and `y` active (floats) and `n` constant:
//!
//! ```text
//! fn f_tangent(x: f64, dx: f64, y: f64, dy: f64, n: usize) -> (f64, f64)   // (value, tangent)
//! fn f_vjp(x: f64, y: f64, n: usize, seed: f64) -> (f64, (f64, f64))     // (value, adjoints)
//! fn f_grad(x: f64, y: f64, n: usize) -> (f64, (f64, f64))               // seed = 1
//! ```
//!
//! With one active parameter the adjoint is returned alone, not in a tuple; with none, only the
//! value. A tuple or array output has a seed and a tangent of the same type. `#[derive_grad(wrt(x))]`
//! differentiates only `x`. Generic functions (`T: Float`) stay generic.
//!
//! # Reading the generated code
//!
//! Every generated function's doc comment contains its code, so `cargo doc --open` shows exactly
//! what the macro wrote; `cargo run --example quickstart` prints it for the seed example.
//!
//! # Conventions
//!
//! The derivative rules of the primitive operations, and what they do at points where an
//! operation is not differentiable (`abs` at 0, `max` at a tie, `sqrt` at 0, ...), are in
//! [`rules`]: one table, the same for both modes.

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

/// The zero of a float type.
///
/// ```
/// assert_eq!(ad_runtime::zero::<f64>(), 0.0);
/// ```
#[inline(always)]
pub fn zero<T: Float>() -> T {
    T::zero()
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
