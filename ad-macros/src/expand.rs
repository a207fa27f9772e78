//! The top of the pipeline: parse, check, lower, analyse, transform, emit, for one macro
//! invocation. Each step is a call into the stage that owns it (ARCHITECTURE.md has the map).
//!
//! Whatever happens, the user's function is emitted unchanged first; on error only
//! `compile_error!`s follow it, so the rest of the crate still compiles and the user sees the
//! real problem, not a cascade of "cannot find `f_grad`".

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ItemFn, Type};

use crate::analysis::{self, checks};
use crate::emit::structs as structs_emit;
use crate::emit::{anchor, companion, docs, item};
use crate::errors::Errors;
use crate::front::Mode;
use crate::front::attr::{self, Pick};
use crate::front::parse::{check_arguments, check_signature, parse_fn};
use crate::front::sig::FloatTypes;
use crate::front::structs;
use crate::ir::{Func, Generated};
use crate::modes::{custom, hessian, hessian_calls, jacobian, lanes_grad};
use crate::names::Namer;
use crate::transform::{adjoint, tangent};

/// Expands one macro invocation: the original item, then the generated functions or the errors.
pub fn expand(mode: Mode, args: TokenStream, item: TokenStream) -> TokenStream {
    let f = syn::parse2::<ItemFn>(item.clone()).ok();
    if let Some(f) = f.as_ref().filter(|f| anchor::in_trait_impl(f)) {
        let e = syn::Error::new(
            f.sig.ident.span(),
            format!(
                "{} cannot write derivatives inside a trait impl: `impl Trait for Type` holds only \
                 the trait's items. Put the computation in an inherent method or a free function \
                 with the macro, and call it from `{}`",
                mode.attribute(),
                f.sig.ident
            ),
        );
        let e = e.to_compile_error();
        return quote!(#item #e);
    }
    let generated = match generate(mode, args.clone(), item.clone()) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    };
    // A function over structs is called through its wrappers only: no companions to anchor.
    let anchor = f
        .as_ref()
        .filter(|f| !over_structs(f, &args))
        .map(anchor::anchor);
    quote!(#item #generated #anchor)
}

/// The generated functions, or every error found.
pub fn generate(mode: Mode, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if matches!(mode, Mode::CustomTangent | Mode::CustomGrad) {
        return custom::generate(mode, args, item);
    }
    let name = mode.attribute();
    let f = parse_fn(item, name)?;
    if let Some(tokens) = generate_structs(mode, &args, &f)? {
        return Ok(tokens);
    }
    let unseen = structs_emit::unseen_struct_checks(&f, &args);
    // Struct values inside the body only (`let d = a - b` over `Vec3` locals): taken apart.
    let mut errors = Errors::prefixed(format!("{name}: "));
    let f = structs::struct_locals(&f, &mut errors).unwrap_or(f);
    errors.finish()?;
    let mut tokens = generate_fn(mode, args, f)?;
    tokens.extend(unseen);
    Ok(tokens)
}

/// Whether `f` has a struct parameter that is flattened (so it has wrappers, not companions).
fn over_structs(f: &ItemFn, args: &TokenStream) -> bool {
    let wrt = attr::parse(args.clone()).ok().and_then(|a| a.wrt);
    structs::flatten(f, args, wrt.as_deref(), &mut Errors::default()).is_some()
}

/// A function over structs (`front/structs.rs`): the derivatives of its flat form, hidden, and
/// wrappers that take the structs. `None` when it has no active struct parameter.
fn generate_structs(
    mode: Mode,
    args: &TokenStream,
    f: &ItemFn,
) -> syn::Result<Option<TokenStream>> {
    let name = mode.attribute();
    let mut errors = Errors::prefixed(format!("{name}: "));
    let parsed = attr::parse(args.clone()).unwrap_or_default();
    let Some(flat) = structs::flatten(f, args, parsed.wrt.as_deref(), &mut errors) else {
        return Ok(None);
    };
    if mode == Mode::Jacobian {
        errors.spanned(
            &f.sig.ident,
            "Jacobians of functions over differentiated structs are not supported yet: write the \
             function over the struct's fields, or build the Jacobian from `_tangent` or `_vjp` \
             passes",
        );
    } else if parsed.second_order.is_some() || parsed.sparse.is_some() {
        errors.spanned(
            &f.sig.ident,
            "`second_order` and sparse Hessians of functions over differentiated structs are not \
             supported yet: `hessian` alone gives `NAME_hvp` and `NAME_hessian` over the structs",
        );
    }
    if parsed.hessian.is_some() {
        crate::emit::struct_hessian::refusals(&flat, &mut errors);
    }
    errors.finish()?;
    let generated = generate_fn(mode, flat.args.clone(), flat.item.clone())?;
    let (hidden, shapes) = structs_emit::hide(generated);
    let flat_args = attr::parse(flat.args.clone()).unwrap_or_default();
    let (func, _, _) = analysis::analyse(
        &flat.item,
        &flat_args,
        name,
        Namer::default(),
        &mut Errors::default(),
    );
    // The wrappers users call first, the hidden flat functions after them.
    let mut out = TokenStream::new();
    for (suffix, kind) in [
        ("tangent", structs_emit::Kind::Tangent),
        ("vjp", structs_emit::Kind::Reverse),
        ("grad", structs_emit::Kind::Reverse),
    ] {
        let flat_name = crate::names::function(&flat.item.sig.ident, suffix).to_string();
        if let Some(g) = shapes.get(&flat_name) {
            out.extend(structs_emit::wrapper(
                f,
                &flat,
                &func.params,
                suffix,
                kind,
                g,
            ));
        }
    }
    let flat_hvp = crate::names::function(&flat.item.sig.ident, "hvp").to_string();
    if let Some(g) = shapes.get(&flat_hvp) {
        out.extend(crate::emit::struct_hessian::wrappers(
            f,
            &flat,
            &func.params,
            g,
        ));
    }
    out.extend(hidden);
    Ok(Some(out))
}

/// One derivative macro on one function: the attribute and the signature checked, the body
/// lowered and analysed, the refusals of the mode, then the mode's functions. Errors of every
/// step are reported together.
fn generate_fn(mode: Mode, args: TokenStream, f: ItemFn) -> syn::Result<TokenStream> {
    let name = mode.attribute();

    let mut errors = Errors::default();
    let args = attr::parse(args).unwrap_or_else(|e| {
        errors.push(e);
        attr::Args::default()
    });
    check_signature(&f, name, &mut errors);
    check_arguments(mode, &args, &mut errors);
    let (mut func, floats, out_ty) =
        analysis::analyse(&f, &args, name, Namer::default(), &mut errors);
    let reverse = mode == Mode::Grad
        || (mode == Mode::Jacobian && args.pick.map(|p| p.0) != Some(Pick::Forward));
    if reverse {
        checks::reverse_mode(&func, name, &mut errors);
    }
    if let Some(span) = args.hessian
        && mode == Mode::Grad
    {
        hessian::check(
            &func,
            out_ty.as_ref(),
            &floats,
            span,
            args.sparse,
            &mut errors,
        );
    }
    if let Some(span) = args.second_order
        && mode == Mode::Grad
        && args.hessian.is_none()
    {
        hessian_calls::check(out_ty.as_ref(), &floats, span, &mut errors);
    }
    if mode == Mode::Jacobian {
        return jacobian::generate(&f, &mut func, &args, out_ty.as_ref(), errors);
    }
    errors.finish()?;

    let out = out_ty.as_ref();
    match mode {
        Mode::Tangent => Ok(tangent_fns(&f, &mut func, out)),
        Mode::Grad | Mode::CustomTangent | Mode::CustomGrad | Mode::Jacobian => {
            grad_fns(&f, &mut func, &args, &floats, out)
        }
    }
}

/// `#[derive_tangent]`: `f_tangent`, then the hidden companion `f__derive_tangent`.
///
/// Here and in every mode the functions users call come first and the hidden plumbing after it
/// (the order does not matter to rustc), so that an expansion (`cargo expand`, the goldens, the
/// quickstart's printout) reads top down like the documentation.
fn tangent_fns(f: &ItemFn, func: &mut Func, out: Option<&Type>) -> TokenStream {
    let mut tokens = TokenStream::new();
    let g = tangent::transform(func, out);
    let hidden = companion::companion_jvp(f, &calling(f, "tangent", &g, None));
    tokens.extend(item::wrap(f, "tangent", g, docs::doc_tangent(f, func)));
    tokens.extend(hidden);
    tokens
}

/// `g` as a function whose body calls the generated `NAME_suffix` (of parameters and body `g`)
/// with its own parameters: a companion, or with `seed` given (`f_grad`), the seed replaced by
/// that value and dropped from the parameters. When a parameter is not a plain identifier, the
/// body itself (after `let seed = value;`).
fn calling(f: &ItemFn, suffix: &str, g: &Generated, seed: Option<TokenStream>) -> Generated {
    // A slice or rows argument takes a generic slot in a companion (a sink for a constant
    // one), which the generated function's parameter is not: the companion keeps the body.
    let c = &g.call;
    let generic_slots = c.slices.iter().chain(&c.rows).any(Option::is_some);
    let idents = item::param_idents(&g.params).filter(|_| seed.is_some() || !generic_slots);
    let Some(idents) = idents else {
        return match (seed, &c.seed) {
            (Some(value), Some(s)) => {
                let mut params = g.params.clone();
                params.pop();
                let body = &g.body;
                Generated {
                    params,
                    body: quote!(let #s = #value; #body),
                    ..g.clone()
                }
            }
            _ => g.clone(),
        };
    };
    let mut params = g.params.clone();
    let mut call_args: Vec<TokenStream> = idents.iter().map(ToTokens::to_token_stream).collect();
    // The seed is the last parameter (a user's parameter may be spelled `seed` too).
    if let Some(value) = seed
        && c.seed.is_some()
    {
        params.pop();
        call_args.pop();
        call_args.push(value);
    }
    Generated {
        params,
        body: item::call_generated(f, suffix, &call_args),
        ..g.clone()
    }
}

/// `#[derive_grad]`: `f_vjp`, `f_grad` for a float output, with `hessian` `f_hvp` and
/// `f_hessian`, then the hidden companion `f__derive_grad`.
fn grad_fns(
    f: &ItemFn,
    func: &mut Func,
    args: &attr::Args,
    floats: &FloatTypes,
    out: Option<&Type>,
) -> syn::Result<TokenStream> {
    let fresh = func.namer.clone();
    let mut tokens = TokenStream::new();
    let checkpoint = match (&args.checkpoint, &args.snapshots) {
        (None, _) => adjoint::Checkpoint::Off,
        (Some(_), None) => adjoint::Checkpoint::Sqrt,
        (Some(_), Some(s)) => adjoint::Checkpoint::Binomial(s.to_token_stream()),
    };
    let (g, stores) = adjoint::transform_final(func, out, &checkpoint, true);
    let hidden = companion::companion_vjp(f, &calling(f, "vjp", &g, None));
    let grad = out.filter(|t| floats.is_float(t)).map(|out_ty| {
        // `_grad` is `_vjp` seeded with 1.
        let one = quote!(::ad_runtime::one::<#out_ty>());
        (out_ty, calling(f, "vjp", &g, Some(one)))
    });
    tokens.extend(item::wrap(
        f,
        "vjp",
        g,
        docs::doc_reverse(f, func, out, true),
    ));
    if let Some((out_ty, grad)) = grad {
        func.namer = fresh;
        // The mode-choice rule: few inputs by value and a reverse sweep that would store
        // values give `_grad` by vector forward mode (`modes/lanes_grad.rs`).
        if let Some(k) = lanes_grad::lanes(f, func, args, stores) {
            tokens.extend(lanes_grad::grad(f, func, out_ty, k));
        } else {
            tokens.extend(item::wrap(
                f,
                "grad",
                grad,
                docs::doc_reverse(f, func, out, false),
            ));
        }
    }
    if let (Some(span), Some(out)) = (args.hessian, out) {
        tokens.extend(hessian::generate(f, func, args, out, span)?);
    } else if let (Some(span), Some(out)) = (args.second_order, out) {
        let name = "#[derive_grad(second_order)]";
        tokens.extend(hessian_calls::companions(f, func, out, None, span, name)?);
    }
    tokens.extend(hidden);
    Ok(tokens)
}
