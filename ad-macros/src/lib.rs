//! Procedural macros of [`ad-runtime`](https://docs.rs/ad-runtime): automatic differentiation by
//! source transformation. Depend on `ad-runtime`, which re-exports these macros and holds the
//! rules the generated code calls.
//!
//! The macro is a small compiler, one (private) module per stage, each a folder:
//! `front` reads the attribute and signature, `lower` turns the body into the `ir` (refusing
//! what is outside the subset), `analysis` decides which values need derivatives, `emit` writes
//! tokens, `transform` holds the `tangent` and `adjoint` transforms, `modes` the Jacobians,
//! Hessians and user rules, and `expand` runs them in order; `names` owns every generated name
//! and `rules` is the one table of differentiable primitives (ARCHITECTURE.md in the repository
//! walks through them, with the stage order that `tests::layering` enforces).
//!
//! The examples below run as doctests of this crate (`ad-runtime` is its dev-dependency);
//! users write `use ad_runtime::{derive_grad, derive_tangent};` as they do.

#![forbid(unsafe_code)]

// The stages, bottom to top (a module uses only the ones above it in this list; the test
// `tests::layering` checks it): errors, names, rules, source → ir → front → lower → analysis → emit
// → transform → modes → expand.
mod errors;
mod names;
mod rules;
mod source;

mod ir;

mod front;

mod lower;

mod analysis;

mod emit;

mod transform;

mod modes;

mod expand;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Forward mode: writes `NAME_tangent` next to the function.
///
/// Each active parameter is followed by its tangent; the result is `(value, tangent)`. See the
/// `ad-runtime` crate documentation for the supported subset and conventions.
///
/// One pass gives the derivative of every output along one input direction (a Jacobian-vector
/// product): set one tangent to 1 and the others to 0 for one column of the Jacobian.
///
/// ```
/// use ad_runtime::derive_tangent;
///
/// #[derive_tangent]
/// fn f(x: f64, y: f64) -> f64 {
///     x * y + x.sin()
/// }
///
/// // Seed (dx, dy) = (1, 0): the partial derivative with respect to x.
/// let (value, df_dx) = f_tangent(2.0, 1.0, 3.0, 0.0);
/// assert_eq!(value, f(2.0, 3.0));
/// assert_eq!(df_dx, 3.0 + 2.0_f64.cos());
///
/// // A slice input has a slice tangent; `wrt(..)` picks the differentiated parameters.
/// #[derive_tangent(wrt(w))]
/// fn weighted(w: &[f64], x: &[f64]) -> f64 {
///     let mut s = 0.0;
///     for i in 0..w.len() {
///         s += w[i] * x[i];
///     }
///     s
/// }
/// let (_, d) = weighted_tangent(&[1.0, 2.0], &[0.0, 1.0], &[5.0, 7.0]);
/// assert_eq!(d, 7.0);
/// ```
#[proc_macro_attribute]
pub fn derive_tangent(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(front::Mode::Tangent, args.into(), item.into()).into()
}

/// A user rule for forward mode: `#[custom_tangent(rule)]` writes `NAME_tangent` (and the
/// companion callers use) calling `rule`, which has the signature `#[derive_tangent]` would give
/// `NAME_tangent`. The function's body is not looked into.
///
/// ```
/// use ad_runtime::{custom_tangent, derive_tangent};
///
/// /// `ln(1 + e^x)`, written to avoid overflow; its derivative is the logistic function.
/// #[custom_tangent(softplus_rule)]
/// fn softplus(x: f64) -> f64 {
///     x.max(0.0) + (-x.abs()).exp().ln_1p()
/// }
///
/// fn softplus_rule(x: f64, dx: f64) -> (f64, f64) {
///     (softplus(x), dx / (1.0 + (-x).exp()))
/// }
///
/// // Annotated functions call it in forward mode through the rule.
/// #[derive_tangent]
/// fn g(x: f64) -> f64 {
///     softplus(2.0 * x)
/// }
///
/// let (_, d) = g_tangent(0.0, 1.0);
/// assert_eq!(d, 1.0); // 2 · σ(0)
/// ```
#[proc_macro_attribute]
pub fn custom_tangent(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(front::Mode::CustomTangent, args.into(), item.into()).into()
}

/// A user rule for reverse mode: `#[custom_grad(rule)]` writes `NAME_vjp`, `NAME_grad` (for a
/// float output) and the companion callers use, calling `rule`, which has the signature
/// `#[derive_grad]` would give `NAME_vjp`. The function's body is not looked into.
///
/// ```
/// use ad_runtime::{custom_grad, derive_grad};
///
/// /// `log(e^a + e^b)` without overflow.
/// #[custom_grad(lse_vjp)]
/// fn lse(a: f64, b: f64) -> f64 {
///     let m = a.max(b);
///     m + ((a - m).exp() + (b - m).exp()).ln()
/// }
///
/// // The signature `#[derive_grad]` would give `lse_vjp`: the inputs, then the seed; returns
/// // the value and the adjoints. Since the rule is named `lse_vjp`, only `lse_grad` is written.
/// fn lse_vjp(a: f64, b: f64, seed: f64) -> (f64, (f64, f64)) {
///     let v = lse(a, b);
///     (v, (seed * (a - v).exp(), seed * (b - v).exp()))
/// }
///
/// #[derive_grad]
/// fn uses_it(x: f64) -> f64 {
///     lse(x, 2.0 * x)
/// }
///
/// let (v, (ga, gb)) = lse_grad(800.0, 800.0); // e^800 would overflow
/// assert!(v.is_finite() && (ga - 0.5).abs() < 1e-12 && (gb - 0.5).abs() < 1e-12);
/// let (_, g) = uses_it_grad(0.3);
/// ad_runtime::check::gradient(|x: &[f64]| uses_it(x[0]), &[0.3], &[g]).assert_below(1e-8);
/// ```
#[proc_macro_attribute]
pub fn custom_grad(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(front::Mode::CustomGrad, args.into(), item.into()).into()
}

/// Reverse mode: writes `NAME_vjp` (any seed) and, for a float output, `NAME_grad` (seed 1)
/// next to the function.
///
/// See the `ad-runtime` crate documentation for signatures and conventions.
///
/// One pass gives the derivative of one output (or of one combination of outputs, the seed)
/// with respect to every input. Adjoints of by-value inputs are returned; adjoints of slices
/// are ADDED into the shadow that follows each slice, so zero it first.
///
/// ```
/// use ad_runtime::derive_grad;
///
/// #[derive_grad]
/// fn f(x: f64, y: f64) -> f64 {
///     x * y + x.sin()
/// }
///
/// let (value, (gx, gy)) = f_grad(2.0, 3.0);
/// assert_eq!((value, gx, gy), (f(2.0, 3.0), 3.0 + 2.0_f64.cos(), 2.0));
/// let (_, (vx, vy)) = f_vjp(2.0, 3.0, 0.5); // any seed
/// assert_eq!((vx, vy), (0.5 * gx, 1.0));
///
/// #[derive_grad]
/// fn sum_of_squares(x: &[f64]) -> f64 {
///     x.iter().map(|v| v * v).sum::<f64>()
/// }
///
/// let mut g = [0.0; 3];
/// let v = sum_of_squares_grad(&[1.0, 2.0, 3.0], &mut g);
/// assert_eq!((v, g), (14.0, [2.0, 4.0, 6.0]));
/// ```
///
/// Arguments: `wrt(a, b)` (only these parameters are differentiated); `hessian` (also
/// `NAME_hvp(x, v, ..) -> (value, gradient, H v)` and `NAME_hessian(x, ..) -> (value, gradient,
/// H)`, forward mode over reverse mode, for a float output and inputs `F`, `[F; N]` or `&[F]`,
/// through calls of functions that carry `hessian` or `second_order`); `second_order` (only the
/// hidden companions a caller's Hessian runs through this function); `checkpoint` (top-level
/// `for` and `while` loops keep their carried values, and copies of the local arrays they
/// update, every `ceil(sqrt(n))` steps and recompute the rest: `O(sqrt(n))` stored values
/// instead of `O(n)`, the same gradient);
/// `checkpoint(snapshots = s)` (at most `s` states, by the binomial schedule).
///
/// ```
/// use ad_runtime::derive_grad;
///
/// #[derive_grad(hessian)]
/// fn rosenbrock(p: [f64; 2]) -> f64 {
///     (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2)
/// }
///
/// let (_, _, h) = rosenbrock_hessian([1.0, 1.0]);
/// assert!((h[0][0] - 802.0).abs() < 1e-9 && (h[0][1] + 400.0).abs() < 1e-9);
/// let (_, _, hv) = rosenbrock_hvp([1.0, 1.0], [0.0, 1.0]); // H e_1: the second column
/// assert!((hv[0] + 400.0).abs() < 1e-9 && (hv[1] - 200.0).abs() < 1e-9);
///
/// #[derive_grad(checkpoint)]
/// fn simulate(x0: f64, n: usize) -> f64 {
///     let mut x = x0;
///     for _ in 0..n {
///         x = x + 0.01 * x.sin();
///     }
///     x
/// }
///
/// let (x, dx) = simulate_grad(0.5, 200); // a checkpoint every 15 steps, not 200 stored steps
/// let h = 1e-6;
/// let fd = (simulate(0.5 + h, 200) - simulate(0.5 - h, 200)) / (2.0 * h);
/// assert_eq!(x, simulate(0.5, 200));
/// assert!(fd > 0.1 && (dx - fd).abs() < 1e-6 * fd);
/// ```
#[proc_macro_attribute]
pub fn derive_grad(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(front::Mode::Grad, args.into(), item.into()).into()
}

/// Full Jacobians: writes `NAME_jacfwd` (vector forward mode, `K` tangents per pass),
/// `NAME_jacrev` (reverse mode, one pass per output) and `NAME_jacobian`, which picks the cheaper
/// one from the shapes: forward when there are no more inputs than outputs, reverse otherwise
/// (at compile time for `[F; N] -> [F; M]`, at run time for slices).
///
/// The function takes one differentiated input (a float, `[F; N]` or `&[F]`; other parameters
/// are constants, or pick the input with `wrt(x)`) and has one output (a returned float, `[F; M]`
/// or a tuple of 2 to 4 of these, or one `&mut [F]` parameter it writes). Arguments: `forward`
/// or `reverse` to choose the mode of `NAME_jacobian` (and write only that one), `lanes = K`
/// (default 4), `sparse` (below). Each returns
/// `(value, jacobian)` (the Jacobian alone for a `&mut [F]` output), with the Jacobian as
/// `[[F; N]; M]` or, for slices, an `ad_runtime::Jacobian<F>`; row `i` is the gradient of
/// output `i`.
///
/// ```
/// use ad_runtime::derive_jacobian;
///
/// #[derive_jacobian]
/// fn polar(p: [f64; 2]) -> [f64; 2] {
///     [p[0] * p[1].cos(), p[0] * p[1].sin()]
/// }
///
/// let (_, j) = polar_jacobian([2.0, 0.0]); // N <= M: forward mode
/// assert_eq!(j, [[1.0, 0.0], [0.0, 2.0]]);
/// assert_eq!(polar_jacrev([2.0, 0.0]).1, j);
///
/// #[derive_jacobian]
/// fn norm(x: &[f64]) -> f64 {
///     x.iter().map(|v| v * v).sum::<f64>().sqrt()
/// }
///
/// let (n, g) = norm_jacobian(&[3.0, 4.0]); // slices: a runtime ad_runtime::Jacobian
/// assert_eq!((n, g.rows(), g.cols()), (5.0, 1, 2));
/// assert!((g[(0, 0)] - 0.6).abs() < 1e-15 && (g[(0, 1)] - 0.8).abs() < 1e-15);
/// ```
///
/// With `sparse` (and `ad-runtime`'s `sparse` feature) it also writes `NAME_sparsity`, which
/// detects the Jacobian's sparsity pattern at the arguments and colours its columns (columns
/// without a common row share a colour), and `NAME_jacsparse(.., &sparsity)`, which computes the
/// Jacobian in one vector forward pass per `K` colours and returns it as an
/// `ad_runtime::sparse::CsMat` (CSR, from the `sprs` crate). Detect once, reuse it for every
/// point whose branches take the same paths:
///
/// ```
/// use ad_runtime::derive_jacobian;
///
/// #[derive_jacobian(sparse)]
/// fn differences(x: &[f64], y: &mut [f64]) {
///     for i in 1..x.len() {
///         y[i - 1] = x[i] * x[i] - x[i - 1];
///     }
/// }
///
/// let x = vec![1.0; 1000];
/// let mut y = vec![0.0; 999];
/// let sparsity = differences_sparsity(&x, &mut y);
/// assert_eq!((sparsity.nnz(), sparsity.colours()), (1998, 2)); // one pass, not 250
/// let j = differences_jacsparse(&x, &mut y, &sparsity);
/// assert_eq!((j.get(0, 0), j.get(0, 1), j.get(0, 2)), (Some(&-1.0), Some(&2.0), None));
/// ```
#[proc_macro_attribute]
pub fn derive_jacobian(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(front::Mode::Jacobian, args.into(), item.into()).into()
}

/// `#[derive(Differentiable)]`: a struct as the vector of its floats, implementing
/// `ad_runtime::Differentiable` (`zero_like`, `accumulate`, `scale`, `dot`, `to_flat`,
/// `with_flat`).
///
/// Fields that hold floats (a float, `T: Float`, an array, a `Vec`, a struct with the derive)
/// take part, in field order; integers, `bool`, `char`, `String` and fields marked
/// `#[ad(constant)]` are constants, kept by `zero_like`.
///
/// ```
/// use ad_runtime::{Differentiable, Float};
///
/// #[derive(Differentiable, Clone, Debug, PartialEq)]
/// struct Link<T: Float> {
///     length: T,
///     angle: T,
///     #[ad(constant)]
///     id: u8,
/// }
///
/// let l = Link { length: 2.0_f32, angle: 0.5, id: 7 };
/// assert_eq!(l.to_flat(), vec![2.0, 0.5]);
/// assert_eq!(l.zero_like(), Link { length: 0.0, angle: 0.0, id: 7 });
///
/// #[derive(Differentiable, Clone, Debug, PartialEq)]
/// struct Arm<T: Float> {
///     links: Vec<Link<T>>,
///     base: [T; 2],
///     gain: T,
/// }
///
/// let arm = Arm { links: vec![l.clone(), l], base: [1.0, -1.0], gain: 3.0 };
/// assert_eq!(arm.flat_len(), 7);
/// assert_eq!(arm.dot(&arm), 2.0 * (4.0 + 0.25) + 2.0 + 9.0);
/// ```
#[proc_macro_derive(Differentiable, attributes(ad))]
pub fn derive_differentiable(item: TokenStream) -> TokenStream {
    modes::differentiable::derive(item.into()).into()
}
