//! Procedural macros of [`ad-runtime`](https://docs.rs/ad-runtime): automatic differentiation by
//! source transformation. Depend on `ad-runtime`, which re-exports these macros and holds the
//! rules the generated code calls.
//!
//! The macro is a small compiler, one module per stage:
//! [`attr`] and [`sig`] read the attribute and signature, [`lower`] turns the body into the
//! [`ir`] (refusing what is outside the subset), [`activity`] decides which values need
//! derivatives, [`tangent`] and [`adjoint`] transform, [`emit`] writes tokens, [`names`] owns
//! every generated name, and [`rules`] is the one table of differentiable primitives.

#![forbid(unsafe_code)]

mod activity;
mod adjoint;
mod attr;
mod custom;
mod emit;
mod errors;
mod expand;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod golden;
mod ir;
mod lower;
mod names;
mod rules;
mod sig;
mod tangent;

use proc_macro::TokenStream;

/// Forward mode: writes `NAME_tangent` next to the function.
///
/// Each active parameter is followed by its tangent; the result is `(value, tangent)`. See the
/// `ad-runtime` crate documentation for the supported subset and conventions.
#[proc_macro_attribute]
pub fn derive_tangent(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(expand::Mode::Tangent, args.into(), item.into()).into()
}

/// A user rule for forward mode: `#[custom_tangent(rule)]` writes `NAME_tangent` (and the
/// companion callers use) calling `rule`, which has the signature `#[derive_tangent]` would give
/// `NAME_tangent`. The function's body is not looked into.
#[proc_macro_attribute]
pub fn custom_tangent(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(expand::Mode::CustomTangent, args.into(), item.into()).into()
}

/// A user rule for reverse mode: `#[custom_grad(rule)]` writes `NAME_vjp`, `NAME_grad` (for a
/// float output) and the companion callers use, calling `rule`, which has the signature
/// `#[derive_grad]` would give `NAME_vjp`. The function's body is not looked into.
#[proc_macro_attribute]
pub fn custom_grad(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(expand::Mode::CustomGrad, args.into(), item.into()).into()
}

/// Reverse mode: writes `NAME_vjp` (any seed) and, for a float output, `NAME_grad` (seed 1)
/// next to the function.
///
/// See the `ad-runtime` crate documentation for signatures and conventions.
#[proc_macro_attribute]
pub fn derive_grad(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(expand::Mode::Grad, args.into(), item.into()).into()
}
