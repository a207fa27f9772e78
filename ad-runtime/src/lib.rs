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
//!
//! # `no_std`
//!
//! With default features off this crate is `#![no_std]`:
//!
//! ```toml
//! [dependencies]
//! ad-runtime = { version = "0.1", default-features = false }
//! ```
//!
//! It then needs `core` and `alloc` (so a global allocator): reverse mode's value stacks, the
//! derivatives of local `Vec`s, and slice Jacobians and Hessians are `alloc` `Vec`s, while
//! straight-line code and branches allocate nothing. Float math goes through [`Float`]
//! (num-traits' trait, implemented with `libm` when std is off): bring it into scope to write
//! `x.sin()` on an `f64`, since std's inherent float methods are not there. What the macros write
//! names `core` items as `::core::..` and `alloc` items through this crate, as
//! `::ad_runtime::__alloc::..`, so a `no_std` crate needs no `extern crate alloc;` for it. (The
//! crate's own `vec![..]` is its own business: `alloc::vec![..]` after `extern crate alloc;` works,
//! and the macros read it as `vec!`.) The `std` feature, on by default, changes only where
//! [`Float`]'s methods come from.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;
extern crate self as ad_runtime;

/// `alloc`, for generated code: the macros write `::ad_runtime::__alloc::vec::Vec` and
/// `::ad_runtime::__alloc::vec![..]`, which resolve in a `no_std` user crate that has no
/// `extern crate alloc;` of its own, as well as in a std one.
#[doc(hidden)]
pub extern crate alloc as __alloc;

use alloc::vec;
use alloc::vec::Vec;

pub use ad_macros::{
    Differentiable, custom_grad, custom_tangent, derive_grad, derive_jacobian, derive_tangent,
};
/// The float trait of generic differentiated functions (`num_traits::Float`, re-exported):
/// write `fn f<T: Float>(x: T) -> T` and the derivatives stay generic, so `f32` inputs get `f32`
/// derivatives.
///
/// ```
/// use ad_runtime::{Float, derive_grad};
///
/// #[derive_grad]
/// fn softplus<T: Float>(x: T) -> T {
///     (T::one() + x.exp()).ln()
/// }
///
/// let (_, g32): (f32, f32) = softplus_grad(0.0_f32);
/// let (_, g64): (f64, f64) = softplus_grad(0.0_f64);
/// assert_eq!((g32, g64), (0.5, 0.5));
/// ```
pub use num_traits::Float;

pub mod check;
pub mod dense;
mod differentiable;
pub mod jacobian;
#[cfg(feature = "nalgebra")]
pub mod linalg;
#[cfg(feature = "ndarray")]
pub mod nd;
pub mod revolve;
pub mod rows;
pub mod rules;
pub mod selection;
mod slots;
#[cfg(feature = "sparse")]
pub mod sparse;

pub use differentiable::{DerivedDifferentiable, Differentiable, flat_elements, unflat_elements};
pub use jacobian::Jacobian;
pub use slots::{
    ArraySlot, Shadow, Sink, SliceShadow, SliceTangent, TangentSlice, TangentSlot, Zero, ZeroSlice,
};

/// Implemented by the anchor of a free function written with `#[derive_grad(hessian)]` or
/// `#[derive_grad(second_order)]`, which also write the second-order companions a caller's
/// Hessian runs through it. A caller's Hessian asserts it of each callee named by one identifier
/// ([`second_order`]), so that a callee without them is reported by name, with what to add.
///
/// ```
/// use ad_runtime::derive_grad;
///
/// #[derive_grad(hessian)]
/// fn square(x: f64) -> f64 {
///     x * x
/// }
///
/// #[derive_grad(hessian)]
/// fn quartic(x: f64) -> f64 {
///     square(x) * square(x)
/// }
///
/// ad_runtime::second_order::<square>();
/// let (value, gradient, h) = quartic_hessian(2.0);
/// assert_eq!((value, gradient, h), (16.0, 32.0, 48.0));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no second-order companions, so a Hessian cannot differentiate twice through it",
    label = "this call is differentiated twice",
    note = "write `#[derive_grad(hessian)]` on `{Self}`, or `#[derive_grad(second_order)]` when its own Hessian is not wanted; a function with a user rule (`#[custom_grad]`) has no second-order rule: write its body where it is called"
)]
pub trait SecondOrder {}

/// Asserts that the callee whose anchor is `T` has second-order companions (see
/// [`SecondOrder`]); does nothing at run time.
#[inline(always)]
pub fn second_order<T: SecondOrder>() {}

/// The value generated code gives a float on a path where it has none yet (the result of a
/// function on the path that already returned): never read, and zero so that nothing
/// arithmetic on it can trap.
///
/// ```
/// assert_eq!(ad_runtime::unreached::<f32>(), 0.0);
/// ```
#[doc(hidden)]
pub fn unreached<T: Float>() -> T {
    T::zero()
}

/// The checkpoint interval of a loop of `n` iterations: `ceil(sqrt(n))`, at least 1. With
/// `#[derive_grad(checkpoint)]`, the reverse sweep keeps the carried values every this many
/// iterations and one segment's stored values at a time: about `2 sqrt(n)` values at the peak.
///
/// ```
/// assert_eq!(ad_runtime::checkpoint_interval(100), 10);
/// assert_eq!(ad_runtime::checkpoint_interval(101), 11);
/// assert_eq!(ad_runtime::checkpoint_interval(0), 1);
/// ```
pub fn checkpoint_interval(n: usize) -> usize {
    let mut s = n.isqrt();
    if s * s < n {
        s += 1;
    }
    s.max(1)
}

/// The adjoint of a local array created inside a branch or loop body, in that region's reverse
/// sweep: zero everywhere, growing as elements are written, so it needs no length (the array
/// itself is gone by then, and a `Vec` filled by `push` had no fixed one).
///
/// ```
/// let mut a = ad_runtime::Adjoints::<f64>::new();
/// assert_eq!(a[3], 0.0);
/// a[2] = a[2] + 1.5;
/// assert_eq!((a[2], a[0]), (1.5, 0.0));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Adjoints<F> {
    values: Vec<F>,
    zero: F,
}

impl<F: Float> Adjoints<F> {
    /// All zeros.
    pub fn new() -> Self {
        Adjoints {
            values: Vec::new(),
            zero: F::zero(),
        }
    }
}

impl<F: Float> core::ops::Index<usize> for Adjoints<F> {
    type Output = F;
    #[inline]
    fn index(&self, i: usize) -> &F {
        self.values.get(i).unwrap_or(&self.zero)
    }
}

impl<F: Float> core::ops::IndexMut<usize> for Adjoints<F> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut F {
        if i >= self.values.len() {
            self.values.resize(i + 1, F::zero());
        }
        &mut self.values[i]
    }
}

/// A tuple of floats from the adjoints of some of its components, the others zero: the seed
/// of a call whose tuple result the caller reads by fields (`let (a, b) = g(x);`). Generated
/// reverse-mode code calls it; the tuple type comes from the callee's companion.
///
/// ```
/// use ad_runtime::FromComponents;
/// let t: (f64, f64, f64) = FromComponents::from_components(&[(0, 1.5), (2, -2.0)]);
/// assert_eq!(t, (1.5, 0.0, -2.0));
/// ```
pub trait FromComponents<F>: Sized {
    /// Component `i` is the sum of the values given for `i` (zero when none is).
    fn from_components(parts: &[(usize, F)]) -> Self;
}

macro_rules! from_components {
    (@float $i:tt) => { F };
    (@zero $i:tt) => { F::zero() };
    ($($i:tt),+) => {
        impl<F: Float> FromComponents<F> for ($(from_components!(@float $i),)+) {
            #[inline(always)]
            fn from_components(parts: &[(usize, F)]) -> Self {
                let mut t = ($(from_components!(@zero $i),)+);
                for &(k, v) in parts {
                    $(if k == $i {
                        t.$i = t.$i + v;
                    })+
                }
                t
            }
        }
    };
}

from_components!(0);
from_components!(0, 1);
from_components!(0, 1, 2);
from_components!(0, 1, 2, 3);
from_components!(0, 1, 2, 3, 4);
from_components!(0, 1, 2, 3, 4, 5);
from_components!(0, 1, 2, 3, 4, 5, 6);
from_components!(0, 1, 2, 3, 4, 5, 6, 7);

/// The array a call returned, read by elements (`let xo = rotate(..); xo[0] / xo[2]`).
///
/// ```
/// use ad_runtime::FromComponents;
/// let a: [f64; 3] = FromComponents::from_components(&[(2, 1.5), (0, -1.0), (2, 0.5)]);
/// assert_eq!(a, [-1.0, 0.0, 2.0]);
/// ```
impl<F: Float, const N: usize> FromComponents<F> for [F; N] {
    #[inline(always)]
    fn from_components(parts: &[(usize, F)]) -> Self {
        let mut a = [F::zero(); N];
        for &(k, v) in parts {
            a[k] = a[k] + v;
        }
        a
    }
}

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

/// Adds a contribution into an adjoint: `*adjoint = *adjoint + contribution`.
///
/// Generated code uses it for adjoints declared as [`zero`] before the value that fixes their
/// type is in scope: a function call lets rustc infer the type, where `a = a + c` would not.
///
/// ```
/// let mut a = ad_runtime::zero();
/// ad_runtime::accumulate(&mut a, 1.5_f64);
/// assert_eq!(a, 1.5);
/// ```
#[inline(always)]
pub fn accumulate<T: Float>(adjoint: &mut T, contribution: T) {
    *adjoint = *adjoint + contribution;
}

/// The `k`-th item (from 0) of a copy of an iterator: how the reverse sweep of a `for` loop
/// recovers the loop variable of iteration `k` without storing it. For ranges, slice iterators
/// and their adaptors this is constant time.
///
/// ```
/// assert_eq!(ad_runtime::nth(&(3..10).step_by(2), 2), 7);
/// ```
#[inline(always)]
pub fn nth<I: Iterator + Clone>(iter: &I, k: usize) -> I::Item {
    match iter.clone().nth(k) {
        Some(item) => item,
        None => unreachable!("the reverse sweep replays only iterations that ran"),
    }
}

/// The order of two values under a comparison closure, as `Iterator::max_by` and
/// `Iterator::min_by` call it: how generated code keeps a user's `max_by(|a, b| ..)` with the
/// standard library's tie convention (`max_by` keeps the later of equal items, `min_by` the
/// earlier). The comparison carries no derivative.
///
/// ```
/// use core::cmp::Ordering;
/// assert_eq!(ad_runtime::ordering(&1.0, &2.0, |a: &f64, b: &f64| a.total_cmp(b)), Ordering::Less);
/// ```
#[inline(always)]
pub fn ordering<T, F: FnOnce(&T, &T) -> core::cmp::Ordering>(
    a: &T,
    b: &T,
    compare: F,
) -> core::cmp::Ordering {
    compare(a, b)
}

/// The value stack of the reverse sweep: what a loop overwrites and the reverse sweep still
/// needs is pushed in the forward sweep and popped, last in first out, in the reverse sweep.
///
/// Generated code makes one stack per stored value, as a local of the generated function, so
/// generated functions stay reentrant and thread-safe. A stack that is never pushed to never
/// allocates.
///
/// ```
/// let mut s = ad_runtime::Stack::new();
/// s.reserve(2);
/// s.push(1.0_f64);
/// s.push(2.0);
/// assert_eq!((s.pop(), s.pop()), (2.0, 1.0));
/// assert!(s.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Stack<T> {
    items: Vec<T>,
}

impl<T> Stack<T> {
    /// An empty stack; allocates nothing.
    ///
    /// ```
    /// let s: ad_runtime::Stack<f64> = ad_runtime::Stack::new();
    /// assert!(s.is_empty());
    /// ```
    #[inline]
    pub const fn new() -> Self {
        Stack { items: Vec::new() }
    }

    /// Reserves room for `n` more values at once, so that a loop whose trip count is known at
    /// entry allocates once.
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.reserve(1000);
    /// for i in 0..1000 {
    ///     s.push(i as f64); // no reallocation
    /// }
    /// assert_eq!(s.len(), 1000);
    /// ```
    #[inline]
    pub fn reserve(&mut self, n: usize) {
        self.items.reserve(n);
    }

    /// Stores a value.
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push(0.5_f32);
    /// assert_eq!(s.len(), 1);
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) {
        self.items.push(value);
    }

    /// Takes back the last value stored.
    ///
    /// # Panics
    ///
    /// If the stack is empty: generated code pops exactly what it pushed, so this would be a bug
    /// in the macro, never a consequence of the user's input.
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push(1.0_f64);
    /// s.push(2.0);
    /// assert_eq!(s.pop(), 2.0); // last in, first out
    /// ```
    #[inline]
    pub fn pop(&mut self) -> T {
        match self.items.pop() {
            Some(v) => v,
            None => panic!("ad_runtime::Stack popped more than was pushed: a bug in ad-macros"),
        }
    }

    /// Stores a slice's values (what a call will overwrite, for its reverse pass).
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push_slice(&[1.0_f64, 2.0]);
    /// assert_eq!(s.len(), 2);
    /// ```
    #[inline]
    pub fn push_slice(&mut self, values: &[T])
    where
        T: Copy,
    {
        self.items.extend_from_slice(values);
    }

    /// The last `n` values stored, in the order they were pushed, to work on in place (the
    /// callee's reverse pass runs its forward pass again over them); [`Stack::drop_last`] then
    /// discards them.
    ///
    /// # Panics
    ///
    /// If fewer than `n` values are stored (a bug in the macro, as for [`Stack::pop`]).
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push_slice(&[1.0_f64, 2.0, 3.0]);
    /// let top = s.last_mut(2);
    /// top[0] += 10.0;
    /// assert_eq!(top, &[12.0, 3.0]);
    /// s.drop_last(2);
    /// assert_eq!(s.pop(), 1.0);
    /// ```
    #[inline]
    pub fn last_mut(&mut self, n: usize) -> &mut [T] {
        let len = self.items.len();
        match len.checked_sub(n) {
            Some(start) => &mut self.items[start..],
            None => panic!("ad_runtime::Stack popped more than was pushed: a bug in ad-macros"),
        }
    }

    /// Discards the last `n` values stored.
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push_slice(&[1.0_f64, 2.0]);
    /// s.drop_last(2);
    /// assert!(s.is_empty());
    /// ```
    #[inline]
    pub fn drop_last(&mut self, n: usize) {
        let len = self.last_mut(n).len();
        self.items.truncate(self.items.len() - len);
    }

    /// How many values are stored.
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push(1.0_f64);
    /// assert_eq!(s.len(), 1);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is stored.
    ///
    /// ```
    /// let mut s = ad_runtime::Stack::new();
    /// s.push(1.0_f64);
    /// s.pop();
    /// assert!(s.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The value stack of a branch outside loops, which runs at most once per call: one value kept
/// in place, never on the heap. Generated code uses it where a [`Stack`] would hold at most one
/// value, so that code without loops allocates nothing.
///
/// ```
/// let mut s = ad_runtime::Slot::new();
/// s.push(1.5_f64);
/// assert_eq!(s.pop(), 1.5);
/// ```
#[derive(Debug, Default)]
pub struct Slot<T> {
    item: Option<T>,
}

impl<T> Slot<T> {
    /// An empty slot.
    ///
    /// ```
    /// let s: ad_runtime::Slot<f64> = ad_runtime::Slot::new();
    /// # let _ = s;
    /// ```
    #[inline]
    pub const fn new() -> Self {
        Slot { item: None }
    }

    /// Keeps a value (the slot held none).
    ///
    /// ```
    /// let mut s = ad_runtime::Slot::new();
    /// s.push(2_usize);
    /// # assert_eq!(s.pop(), 2);
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) {
        self.item = Some(value);
    }

    /// Takes the value back.
    ///
    /// # Panics
    ///
    /// If nothing was kept (a bug in generated code).
    ///
    /// ```
    /// let mut s = ad_runtime::Slot::new();
    /// s.push((1.0_f64, (0.5_f64,)));
    /// assert_eq!(s.pop(), (1.0, (0.5,)));
    /// ```
    #[inline]
    pub fn pop(&mut self) -> T {
        self.item
            .take()
            .expect("a slot is taken once, after it was filled")
    }
}

/// The zero of a slice's element type, without reading an element: the start of a sum over the
/// slice.
///
/// ```
/// let xs = vec![1.5_f32, 2.0];
/// assert_eq!(ad_runtime::zero_elem(&xs), 0.0_f32);
/// ```
#[inline(always)]
pub fn zero_elem<T: Float>(_xs: &[T]) -> T {
    T::zero()
}

/// The one of a slice's element type: the start of a product over the slice.
///
/// ```
/// assert_eq!(ad_runtime::one_elem(&[3.0_f64][..]), 1.0);
/// ```
#[inline(always)]
pub fn one_elem<T: Float>(_xs: &[T]) -> T {
    T::one()
}

/// A vector of zeros as long as `v`: the tangent or adjoint of a local `Vec` starts as one.
///
/// ```
/// assert_eq!(ad_runtime::zeros_vec(&vec![1.0_f64, 2.0]), vec![0.0, 0.0]);
/// ```
#[inline]
pub fn zeros_vec<T: Float>(v: &[T]) -> Vec<T> {
    vec![T::zero(); v.len()]
}

/// An array of zeros of `a`'s length.
///
/// ```
/// assert_eq!(ad_runtime::zeros_array(&[1.0_f32; 3]), [0.0; 3]);
/// ```
#[inline]
pub fn zeros_array<T: Float, const N: usize>(_a: &[T; N]) -> [T; N] {
    [T::zero(); N]
}

/// An array of arrays of zeros of `a`'s shape.
///
/// ```
/// assert_eq!(ad_runtime::zeros_array2(&[[1.0_f64; 2]; 3]), [[0.0; 2]; 3]);
/// ```
#[inline]
pub fn zeros_array2<T: Float, const N: usize, const M: usize>(_a: &[[T; N]; M]) -> [[T; N]; M] {
    [[T::zero(); N]; M]
}

/// The array of `N` values at the start of `s`: an array passed by value, as a call saw it,
/// taken back from the value stack where reverse-mode code saved it.
///
/// ```
/// let a: [f64; 2] = ad_runtime::to_array(&[1.0, 2.0]);
/// assert_eq!(a, [1.0, 2.0]);
/// ```
#[inline]
pub fn to_array<T: Copy, const N: usize>(s: &[T]) -> [T; N] {
    core::array::from_fn(|i| s[i])
}

/// How many items an iterator yields, without consuming it: the trip count of a `for` loop that
/// never breaks, recomputed in the reverse sweep instead of stored. Constant time when the
/// iterator knows its length exactly (ranges, slice iterators).
///
/// ```
/// assert_eq!(ad_runtime::trip_count(&(2..10).step_by(3)), 3);
/// ```
#[inline]
pub fn trip_count<I: Iterator + Clone>(iter: &I) -> usize {
    match iter.size_hint() {
        (low, Some(high)) if low == high => low,
        _ => iter.clone().count(),
    }
}

/// Adds `source` into `target` elementwise: how an adjoint collected in a scratch slice (an array
/// passed twice to one call) joins the array's adjoint.
///
/// ```
/// let mut t = [1.0, 2.0];
/// ad_runtime::add_into(&mut t, &[0.5, 0.25]);
/// assert_eq!(t, [1.5, 2.25]);
/// ```
#[inline]
pub fn add_into<T: Float>(target: &mut [T], source: &[T]) {
    for (t, s) in target.iter_mut().zip(source) {
        *t = *t + *s;
    }
}
