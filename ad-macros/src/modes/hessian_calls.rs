//! The second-order companions of `#[derive_grad(hessian)]` and `#[derive_grad(second_order)]`:
//! what a caller's Hessian runs where its reverse-mode code, differentiated again, reaches this
//! function (see `ir::Second`).
//!
//! A caller's reverse-mode code calls `g(a, b)` in its forward sweep and
//! `g::__derive_grad((a, b), (Zero, Zero), seed)` in its reverse sweep; its tangent (forward over
//! reverse) needs the tangent of each: `g__derive_hvp_fwd` (forward mode over `g`) and
//! `g__derive_hvp` (forward mode over `g`'s reverse pass, the arguments and the seed all
//! differentiated). Both are written here, over the function's differentiated floats and
//! `[F; N]` arrays; the calls inside them go to their own callees' second-order companions, so a
//! chain of calls is differentiated twice all the way down.
//!
//! Input:  `#[derive_grad(hessian)] fn g(x: f64, y: f64) -> f64 { x * y.sin() }`
//! Output: `fn g__derive_hvp_fwd(args: (f64, f64), tangents: (D0, D1)) -> (f64, f64)` and
//!         `fn g__derive_hvp(args: (f64, f64, f64), tangents: (D0, D1, D2))`
//!         `    -> ((f64, (f64, f64)), (f64, (f64, f64)))`, hidden, with their anchor forwarders.

use proc_macro2::{Ident, Span, TokenStream};
use quote::ToTokens;
use syn::ItemFn;

use crate::analysis::analyse;
use crate::emit::{anchor, companion};
use crate::errors::Errors;
use crate::front::attr;
use crate::ir::{Func, Generated, Kind};
use crate::names::Namer;
use crate::transform::tangent;

/// `NAME__derive_hvp_fwd` and `NAME__derive_hvp` from the function and its reverse-mode code
/// (`reverse`: `NAME_vjp`, as code, and that code parsed; written here when not given). They
/// differentiate the float and `[F; N]` parameters only: a slice the function differentiates is
/// a constant in them, as a caller's Hessian passes only constant slices to a call (see
/// `hessian::check`); the reverse-mode code is written again for those parameters when the
/// function has other differentiated ones. Nothing for a function without any.
pub fn companions(
    f: &ItemFn,
    func: &Func,
    out: &syn::Type,
    reverse: Option<&(Generated, TokenStream, ItemFn)>,
    span: Span,
    name: &str,
) -> syn::Result<TokenStream> {
    // Floats and arrays `[F; N]`, whose adjoints a companion returns.
    let by_value = |k: Kind| k == Kind::Scalar || k == Kind::Array { depth: 1 };
    let params: Vec<Ident> = func
        .params
        .iter()
        .filter(|p| p.active && by_value(p.kind))
        .map(|p| p.ident.clone())
        .collect();
    if params.is_empty() {
        return Ok(TokenStream::new());
    }
    let args = attr::Args {
        wrt: Some(params.clone()),
        ..attr::Args::default()
    };
    let rewritten;
    let (vjp, code, inner) = match reverse {
        Some(reverse) if func.params.iter().all(|p| !p.active || by_value(p.kind)) => reverse,
        _ => {
            rewritten = super::hessian::reverse_code(f, &args, out, span, name)?;
            &rewritten
        }
    };
    // Forward mode over the function, its calls through their callees' `__derive_hvp_fwd`
    // (those the reverse-mode code inlined are inlined here too).
    let args = attr::Args {
        of_reverse_code: true,
        inline_calls: true,
        ..args
    };
    let mut namer = Namer::default();
    namer.reserve(f.to_token_stream());
    namer.reserve(crate::lower::inlinable_callees(f));
    let mut errors = Errors::default();
    let (mut primal, _, out_ty) = analyse(f, &args, name, namer, &mut errors);
    errors.finish()?;
    let forward = tangent::transform(&mut primal, out_ty.as_ref());
    // Forward mode over the reverse pass, the seed differentiated too.
    let mut wrt = params;
    wrt.extend(vjp.call.seed.clone());
    let second = super::hessian::tangent_of_reverse(wrt, code.clone(), inner, false, span, name)?;
    let mut tokens = companion::companion_hvp_fwd(f, &forward);
    tokens.extend(companion::companion_hvp(f, &second, &vjp.call));
    tokens.extend(anchor::second_order(f));
    Ok(tokens)
}

/// `#[derive_grad(second_order)]` without `hessian`: the companions only, for a function
/// returning one float.
pub fn check(
    out: Option<&syn::Type>,
    floats: &crate::front::sig::FloatTypes,
    span: Span,
    errors: &mut Errors,
) {
    if !out.is_some_and(|t| floats.is_float(t)) {
        errors.at(
            span,
            "`second_order` needs a function returning one float: a caller's Hessian \
             differentiates a scalar function twice",
        );
    }
}
