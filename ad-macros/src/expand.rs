//! The pipeline: parse, check, lower, analyse, transform, emit.
//!
//! Whatever happens, the user's function is emitted unchanged first; on error only
//! `compile_error!`s follow it, so the rest of the crate still compiles and the user sees the
//! real problem, not a cascade of "cannot find `f_grad`".

use proc_macro2::TokenStream;
use proc_macro2::{Ident, Span};
use quote::{ToTokens, format_ident, quote};
use syn::{Attribute, ItemFn, ReturnType, Type};

use crate::analysis::activity;
use crate::errors::Errors;
use crate::front::attr;
use crate::front::sig::{self, FloatTypes};
use crate::ir::Func;
use crate::lower;
use crate::names::{self, Namer};
use crate::transform::tangent::Generated;
use crate::transform::{adjoint, tangent};

/// Which macro is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `#[derive_tangent]`: forward mode.
    Tangent,
    /// `#[derive_grad]`: reverse mode.
    Grad,
    /// `#[custom_tangent(rule)]`: forward mode by a user rule.
    CustomTangent,
    /// `#[custom_grad(rule)]`: reverse mode by a user rule.
    CustomGrad,
    /// `#[derive_jacobian]`: full Jacobians by vector forward or reverse mode.
    Jacobian,
}

impl Mode {
    /// The attribute as the user writes it, for messages.
    pub fn attribute(self) -> &'static str {
        match self {
            Mode::Tangent => "#[derive_tangent]",
            Mode::Grad => "#[derive_grad]",
            Mode::CustomTangent => "#[custom_tangent]",
            Mode::CustomGrad => "#[custom_grad]",
            Mode::Jacobian => "#[derive_jacobian]",
        }
    }
}

/// Expands one macro invocation: the original item, then the generated functions or the errors.
pub fn expand(mode: Mode, args: TokenStream, item: TokenStream) -> TokenStream {
    let f = syn::parse2::<ItemFn>(item.clone()).ok();
    if let Some(f) = f.as_ref().filter(|f| crate::emit::anchor::in_trait_impl(f)) {
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
    let generated = match generate(mode, args, item.clone()) {
        Ok(tokens) => tokens,
        Err(e) => e.to_compile_error(),
    };
    let anchor = f.as_ref().map(crate::emit::anchor::anchor);
    quote!(#item #generated #anchor)
}

/// The generated functions, or every error found.
pub fn generate(mode: Mode, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if matches!(mode, Mode::CustomTangent | Mode::CustomGrad) {
        return crate::modes::custom::generate(mode, args, item);
    }
    let name = mode.attribute();
    let f = parse_fn(item, name)?;
    generate_fn(mode, args, f)
}

/// The item as a function, or the error saying the attribute goes on one.
pub fn parse_fn(item: TokenStream, name: &str) -> syn::Result<ItemFn> {
    let f: ItemFn = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(f)) => f,
        Ok(other) => {
            return Err(syn::Error::new_spanned(
                other,
                format!("{name} goes on a function: put it on the `fn` to differentiate"),
            ));
        }
        // A method inside an `impl` parses as an item too; anything else is not a function.
        Err(_) => match syn::parse2::<ItemFn>(item) {
            Ok(f) => f,
            Err(e) => {
                return Err(syn::Error::new(
                    e.span(),
                    format!("{name} goes on a `fn`, and this does not parse as one: {e}"),
                ));
            }
        },
    };
    Ok(f)
}

fn generate_fn(mode: Mode, args: TokenStream, f: ItemFn) -> syn::Result<TokenStream> {
    let name = mode.attribute();

    let mut errors = Errors::default();
    let args = attr::parse(args).unwrap_or_else(|e| {
        errors.push(e);
        attr::Args::default()
    });
    check_signature(&f, name, &mut errors);
    if mode != Mode::Grad {
        for (span, what) in [(args.hessian, "hessian"), (args.checkpoint, "checkpoint")] {
            if let Some(span) = span {
                errors.at(
                    span,
                    format!("`{what}` is an argument of `#[derive_grad]`; {name} does not take it"),
                );
            }
        }
    }
    if mode != Mode::Jacobian {
        for span in [args.pick.map(|p| p.1), args.lanes.map(|l| l.1)]
            .into_iter()
            .flatten()
        {
            errors.at(
                span,
                format!(
                    "`forward`, `reverse` and `lanes` are arguments of `#[derive_jacobian]`; \
                     {name} takes only `wrt(..)`"
                ),
            );
        }
    }
    let (mut func, floats, out_ty) = analyse(&f, &args, name, Namer::default(), &mut errors);
    let reverse = mode == Mode::Grad
        || (mode == Mode::Jacobian
            && args.pick.map(|p| p.0) != Some(crate::front::attr::Pick::Forward));
    if reverse {
        nested_arrays(&func, &func.stmts, name, &mut errors);
        for span in crate::analysis::overwritten::overwritten_call_args(&func.stmts) {
            errors.at(
                span,
                format!(
                    "{name} cannot differentiate passing this array to a call: it is written after \
                     the call (or again in a loop around it), and the callee's reverse pass reads \
                     it again. Pass a copy, or finish writing the array before the call"
                ),
            );
        }
    }
    if let Some(span) = args.hessian
        && mode == Mode::Grad
    {
        crate::modes::hessian::check(&func, out_ty.as_ref(), &floats, span, &mut errors);
    }
    if mode == Mode::Jacobian {
        return crate::modes::jacobian::generate(&f, &mut func, &args, out_ty.as_ref(), errors);
    }
    errors.finish()?;

    let out = out_ty.as_ref();
    let fresh = func.namer.clone();
    let mut tokens = TokenStream::new();
    match mode {
        Mode::Tangent => {
            let g = tangent::transform(&mut func, out);
            tokens.extend(companion_jvp(&f, &g));
            tokens.extend(wrap(&f, "tangent", g, doc_tangent(&f, &func)));
        }
        Mode::Grad | Mode::CustomTangent | Mode::CustomGrad | Mode::Jacobian => {
            let checkpoint = args.checkpoint.is_some();
            let g = adjoint::transform_with(&mut func, out, adjoint::Seed::Param, checkpoint);
            tokens.extend(companion_vjp(&f, &g));
            tokens.extend(wrap(&f, "vjp", g, doc_reverse(&f, &func, out, true)));
            if out.is_some_and(|t| floats.is_float(t)) {
                func.namer = fresh;
                let g = adjoint::transform_with(&mut func, out, adjoint::Seed::One, checkpoint);
                tokens.extend(wrap(&f, "grad", g, doc_reverse(&f, &func, out, false)));
            }
            if let (Some(span), Some(out)) = (args.hessian, out) {
                tokens.extend(crate::modes::hessian::generate(
                    &f, &func, &args, out, span,
                )?);
            }
        }
    }
    Ok(tokens)
}

/// The front half of the pipeline: the signature read, the body lowered to the IR, activity
/// analysed. Errors are recorded, not returned, so that all of them are reported together.
pub(crate) fn analyse(
    f: &ItemFn,
    args: &attr::Args,
    name: &str,
    mut namer: Namer,
    errors: &mut Errors,
) -> (Func, FloatTypes, Option<Type>) {
    let floats = FloatTypes::of(&f.sig);
    let params = sig::params(&f.sig, args, &floats, name, &mut namer, errors);
    let out_ty = sig::output(&f.sig);
    if let Some(ty) = &out_ty
        && !is_float_shaped(ty, &floats)
    {
        errors.spanned(
            ty,
            format!(
                "{name} cannot differentiate a function returning `{}`: return a float, a tuple of \
                 floats or an array `[F; N]`",
                crate::errors::show_type(ty)
            ),
        );
    }
    let mut func = lower::lower(
        &f.block,
        &params,
        &floats,
        namer,
        name,
        out_ty.as_ref(),
        errors,
    );
    activity::analyse(&mut func, errors);
    // A parameter left out of `wrt(..)` that receives differentiated values would need a
    // derivative it has no place for.
    for p in &func.params {
        if !p.active && p.kind.writes_through() && p.var.is_some_and(|v| func.vars[v].active()) {
            errors.spanned(
                &p.ident,
                format!(
                    "{name}: `{}` is written with values that carry a derivative, so it needs one \
                     too: add it to `wrt(..)`",
                    p.ident
                ),
            );
        }
    }
    lower::type_dummies(&mut func, &floats);
    (func, floats, out_ty)
}

/// Reverse mode keeps the adjoint of a local array for the whole reverse sweep, so the array
/// must be created at the top level of the function.
fn nested_arrays(func: &Func, stmts: &[crate::ir::Stmt], name: &str, errors: &mut Errors) {
    use crate::ir::{Rhs, Stmt};
    for s in stmts {
        match s {
            Stmt::Def {
                var,
                rhs: Rhs::NewArray {
                    nested: Some(span), ..
                },
                ..
            } if func.vars[*var].active() => {
                errors.at(
                    *span,
                    format!(
                        "{name} cannot differentiate a local array created inside a loop or branch \
                         that holds differentiated values: its adjoint must outlive the loop. \
                         Create it once before the loop (and reset its elements inside)"
                    ),
                );
            }
            Stmt::If(i) => {
                nested_arrays(func, &i.then, name, errors);
                nested_arrays(func, &i.els, name, errors);
            }
            Stmt::Loop(l) => nested_arrays(func, &l.body, name, errors),
            _ => {}
        }
    }
}

pub(crate) fn check_signature(f: &ItemFn, name: &str, errors: &mut Errors) {
    let sig = &f.sig;
    if let Some(c) = &sig.constness {
        errors.spanned(c, format!("{name} cannot differentiate a `const fn`: its derivative calls runtime rules that are not `const`; remove `const`"));
    }
    if let Some(a) = &sig.asyncness {
        errors.spanned(
            a,
            format!("{name} cannot differentiate an `async fn`: make it a plain `fn`"),
        );
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        errors.spanned(u, format!("{name} cannot differentiate an `unsafe fn`: the macro cannot see what unsafe code does to the derivative; keep the unsafe part in a helper that takes no differentiated values"));
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, format!("{name} cannot differentiate an `extern` function: remove the ABI and wrap the function if you need one"));
    }
    if let Some(v) = &sig.variadic {
        errors.spanned(
            v,
            format!("{name} cannot differentiate a variadic function"),
        );
    }
}

pub(crate) fn is_float_shaped(ty: &Type, floats: &FloatTypes) -> bool {
    match ty {
        Type::Tuple(t) => t.elems.iter().all(|e| is_float_shaped(e, floats)),
        Type::Array(a) => is_float_shaped(&a.elem, floats),
        Type::Paren(p) => is_float_shaped(&p.elem, floats),
        ty => floats.is_float(ty),
    }
}

/// Whether an attribute is one of this crate's macros (`derive_grad`, `ad_runtime::derive_grad`,
/// ..), or, with `docs`, also `doc` or `test`.
pub(crate) fn is_ours(a: &Attribute, docs: bool) -> bool {
    const OURS: &[&str] = &[
        "derive_tangent",
        "derive_grad",
        "derive_jacobian",
        "custom_tangent",
        "custom_grad",
    ];
    a.path().segments.last().is_some_and(|s| {
        OURS.iter().any(|o| s.ident == o) || (docs && (s.ident == "doc" || s.ident == "test"))
    })
}

/// The attributes that carry over to generated functions: everything but docs and this crate's
/// own macros (so that `#[derive_tangent] #[derive_grad]` on one function works in either order).
pub(crate) fn carried_attrs(f: &ItemFn) -> Vec<&Attribute> {
    f.attrs.iter().filter(|a| !is_ours(a, true)).collect()
}

pub(crate) fn wrap(f: &ItemFn, suffix: &str, g: Generated, doc: String) -> TokenStream {
    let attrs = carried_attrs(f);
    let vis = &f.vis;
    let ident = names::function(&f.sig.ident, suffix);
    let generics = &f.sig.generics;
    let where_clause = &generics.where_clause;
    let receiver = f.sig.receiver().map(|r| quote!(#r,));
    let Generated {
        params, ret, body, ..
    } = g;
    let code = pretty(
        &quote!(fn #ident #generics(#receiver #(#params),*) -> #ret #where_clause { #body }),
    );
    let doc = format!("{doc}\n\n# Generated code\n\n```text\n{code}```");
    quote! {
        #[doc = #doc]
        #(#attrs)*
        #[allow(unused_mut, unused_variables, unused_parens, non_snake_case, clippy::all, clippy::pedantic)]
        #vis fn #ident #generics(#receiver #(#params),*) -> #ret #where_clause {
            #body
        }
    }
}

/// The attributes and lint allowances of a hidden companion.
fn companion_head(f: &ItemFn) -> TokenStream {
    let attrs = carried_attrs(f);
    quote! {
        #[doc(hidden)]
        #(#attrs)*
        #[allow(unused_mut, unused_variables, unused_parens, non_snake_case, clippy::all, clippy::pedantic)]
    }
}

// Companions are what another annotated function calls: a caller does not know which of its
// callee's parameters are differentiated, so they take the arguments as one tuple and, in
// forward mode, one tangent per argument (`ad_runtime::Zero` for a constant one).
//
// Input:  `fn g(x: f64, n: usize) -> f64`
// Output: `fn g__derive_tangent<D0: TangentSlot<f64>, D1>(args: (f64, usize), tangents: (D0, D1))`
//         `    -> (f64, f64) { let (x, n) = args; let dx = tangents.0.tangent(); ..g_tangent's body.. }`
//         `fn g__derive_grad(args: (f64, usize), seed: f64) -> (f64, (f64, ())) { .. }`
// They repeat the body rather than call `g_tangent`, because a call would need `Self::` inside
// an `impl`, which the macro cannot see.

/// A companion's generic parameters: `'ad_slot` when slices are lent, the function's own, then
/// the companion's (`<'ad_slot, T: Float, __AdD0: ..>`).
fn companion_generics(
    c: &crate::transform::tangent::CallShape,
    existing: &syn::punctuated::Punctuated<syn::GenericParam, syn::Token![,]>,
    generic: &[TokenStream],
) -> TokenStream {
    let lifetime = c
        .slices
        .iter()
        .chain(&c.written)
        .any(Option::is_some)
        .then(|| quote!('ad_slot));
    let existing = existing.iter();
    let all = lifetime
        .into_iter()
        .chain(existing.map(ToTokens::to_token_stream));
    let all: Vec<TokenStream> = all.chain(generic.iter().cloned()).collect();
    quote!(<#(#all),*>)
}

/// `NAME__derive_tangent`: forward mode in the calling convention of composition.
pub(crate) fn companion_jvp(f: &ItemFn, g: &Generated) -> TokenStream {
    let c = &g.call;
    if c.memory {
        return TokenStream::new();
    }
    let head = companion_head(f);
    let vis = &f.vis;
    let ident = names::function(&f.sig.ident, "_derive_tangent");
    let existing = &f.sig.generics.params;
    let where_clause = &f.sig.generics.where_clause;
    let receiver = f.sig.receiver().map(|r| quote!(#r,));
    let args = Ident::new("__ad_args", Span::mixed_site());
    let tangents = Ident::new("__ad_tangents", Span::mixed_site());
    let (bindings, tys): (Vec<_>, Vec<_>) = c.args.iter().cloned().unzip();
    let mut generic = Vec::new();
    let mut slot_tys = Vec::new();
    let mut slot_vars = Vec::new();
    let mut unpack = TokenStream::new();
    for (k, (t, ty)) in c.tangents.iter().zip(&tys).enumerate() {
        let p = format_ident!("__AdD{}", k, span = Span::mixed_site());
        let s = format_ident!("__ad_slot{}", k, span = Span::mixed_site());
        match (t, c.slices.get(k).cloned().flatten()) {
            // A slice the function writes: the caller always lends a tangent slice.
            (Some(d), None) if let Some(elem) = c.written.get(k).cloned().flatten() => {
                slot_tys.push(quote!(&'ad_slot mut [#elem]));
                unpack.extend(quote!(let #d: &mut [#elem] = #s;));
            }
            // A read-only slice: its tangent, or zeros for a constant slice (`Zero`).
            (Some(d), Some(elem)) => {
                let z = format_ident!("__ad_store{}", k, span = Span::mixed_site());
                generic.push(quote!(#p: ::ad_runtime::SliceTangent<'ad_slot, #elem>));
                slot_tys.push(quote!(#p));
                // The caller's tangent slice, or (for a slice it does not differentiate) zeros.
                unpack.extend(quote! {
                    let mut #z = ::core::default::Default::default();
                    let #d = ::ad_runtime::SliceTangent::<#elem>::slice(#s, &mut #z);
                });
            }
            (Some(d), None) => {
                generic.push(quote!(#p: ::ad_runtime::TangentSlot<#ty>));
                slot_tys.push(quote!(#p));
                unpack
                    .extend(quote!(let #d = <#p as ::ad_runtime::TangentSlot<#ty>>::tangent(#s);));
            }
            (None, _) => {
                generic.push(quote!(#p));
                slot_tys.push(quote!(#p));
            }
        }
        slot_vars.push(s);
    }
    let generics = companion_generics(c, existing, &generic);
    // A function without a result still answers `(value, tangent)`: `((), ())`.
    let (ret, body) = match f.sig.output {
        ReturnType::Default => {
            let body = &g.body;
            (quote!(((), ())), quote!(let () = { #body }; ((), ())))
        }
        ReturnType::Type(..) => (g.ret.clone(), g.body.clone()),
    };
    let sig = quote! {
        #generics(
            #receiver #args: (#(#tys,)*), #tangents: (#(#slot_tys,)*)
        ) -> #ret #where_clause
    };
    let forward = crate::emit::anchor::forward(f, "_derive_tangent", &sig, &[&args, &tangents]);
    quote! {
        #head
        #vis fn #ident #sig {
            let (#(#bindings,)*) = #args;
            let (#(#slot_vars,)*) = #tangents;
            #unpack
            #body
        }
        #forward
    }
}

/// `NAME__derive_grad`: reverse mode in the calling convention of composition. Read-only slices
/// take their shadow in a second tuple (`Zero` for a slice the caller does not differentiate,
/// which the callee then adds into a sink); the adjoints of by-value parameters come back one
/// per argument, `()` for an argument that is not differentiated.
pub(crate) fn companion_vjp(f: &ItemFn, g: &Generated) -> TokenStream {
    let c = &g.call;
    if c.memory {
        return TokenStream::new();
    }
    // A function that writes slices is called for their adjoints even when its result has
    // none: then the caller passes `Zero` as the seed. Without a result, the seed is ignored.
    let writes = c.written.iter().any(Option::is_some);
    let any_seed = Ident::new("__ad_seed", Span::mixed_site());
    let mut seed_unpack = TokenStream::new();
    let (seed_param, out, seed_ty) = match (&c.seed, &f.sig.output) {
        (Some(seed), ReturnType::Type(_, out)) if writes && matches!(**out, Type::Path(_)) => {
            seed_unpack = quote!(
                let #seed: #out = <__AdSeed as ::ad_runtime::TangentSlot<#out>>::tangent(#any_seed);
            );
            (any_seed, quote!(#out), quote!(__AdSeed))
        }
        (Some(seed), ReturnType::Type(_, out)) => (seed.clone(), quote!(#out), quote!(#out)),
        (None, ReturnType::Default) => (any_seed, quote!(()), quote!(__AdSeed)),
        _ => return TokenStream::new(),
    };
    let seed = &seed_param;
    let head = companion_head(f);
    let vis = &f.vis;
    let ident = names::function(&f.sig.ident, "_derive_grad");
    let existing = &f.sig.generics.params;
    let where_clause = &f.sig.generics.where_clause;
    let receiver = f.sig.receiver().map(|r| quote!(#r,));
    let args = Ident::new("__ad_args", Span::mixed_site());
    let shadows = Ident::new("__ad_shadows", Span::mixed_site());
    let (v, gs) = (
        Ident::new("__ad_value", Span::mixed_site()),
        Ident::new("__ad_adjoints", Span::mixed_site()),
    );
    let (bindings, tys): (Vec<_>, Vec<_>) = c.args.iter().cloned().unzip();
    let mut generic = Vec::new();
    let mut shadow_tys = Vec::new();
    let mut shadow_vars = Vec::new();
    let mut unpack = TokenStream::new();
    for k in 0..bindings.len() {
        let s = format_ident!("__ad_shadow{}", k, span = Span::mixed_site());
        match (
            c.shadows.get(k).cloned().flatten(),
            c.slices.get(k).cloned().flatten(),
        ) {
            // A slice the function writes: the caller always lends its adjoint.
            (Some(d), None) if let Some(elem) = c.written.get(k).cloned().flatten() => {
                shadow_tys.push(quote!(&'ad_slot mut [#elem]));
                unpack.extend(quote!(let #d: &mut [#elem] = #s;));
            }
            (Some(d), Some(elem)) => {
                let z = format_ident!("__ad_store{}", k, span = Span::mixed_site());
                let p = format_ident!("__AdS{}", k, span = Span::mixed_site());
                generic.push(quote!(#p: ::ad_runtime::SliceShadow<'ad_slot, #elem>));
                shadow_tys.push(quote!(#p));
                // The caller's slice, or (for a slice it does not differentiate) a sink.
                unpack.extend(quote! {
                    let mut #z = ::core::default::Default::default();
                    let #d = ::ad_runtime::SliceShadow::<#elem>::shadow(#s, &mut #z);
                });
            }
            _ => {
                let p = format_ident!("__AdS{}", k, span = Span::mixed_site());
                generic.push(quote!(#p));
                shadow_tys.push(quote!(#p));
            }
        }
        shadow_vars.push(s);
    }
    let count = c.returned.iter().filter(|r| **r).count();
    let mut k = 0;
    let mut adj_tys = Vec::new();
    let mut adj = Vec::new();
    for (returned, ty) in c.returned.iter().zip(&tys) {
        if *returned {
            adj_tys.push(ty.clone());
            adj.push(match count {
                1 => quote!(#gs),
                _ => {
                    let i = syn::Index::from(k);
                    quote!(#gs.#i)
                }
            });
            k += 1;
        } else {
            adj_tys.push(quote!(()));
            adj.push(quote!(()));
        }
    }
    let body = &g.body;
    // `_vjp` returns `(value, adjoints)`, or only the adjoints for a function without a result.
    let unit = c.seed.is_none();
    let result = match (count, unit) {
        (0, false) => quote!(let #v = { #body };),
        (_, false) => quote!(let (#v, #gs) = { #body };),
        (0, true) => quote!(let #v: () = { #body };),
        (_, true) => quote!(let #gs = { #body }; let #v = ();),
    };
    if unit {
        generic.push(quote!(__AdSeed));
    } else if !seed_unpack.is_empty() {
        generic.push(quote!(__AdSeed: ::ad_runtime::TangentSlot<#out>));
    }
    let generics = companion_generics(c, existing, &generic);
    let sig = quote! {
        #generics(
            #receiver #args: (#(#tys,)*), #shadows: (#(#shadow_tys,)*), #seed: #seed_ty
        ) -> (#out, (#(#adj_tys,)*)) #where_clause
    };
    let forward = crate::emit::anchor::forward(f, "_derive_grad", &sig, &[&args, &shadows, seed]);
    quote! {
        #head
        #vis fn #ident #sig {
            let (#(#bindings,)*) = #args;
            let (#(#shadow_vars,)*) = #shadows;
            #unpack
            #seed_unpack
            #result
            (#v, (#(#adj,)*))
        }
        #forward
    }
}

/// The generated code, formatted for reading. Hygiene marks are invisible in text, so a
/// generated `dx` and a user's `dx` print alike; rustc keeps them apart.
pub(crate) fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) if printable(&file) => prettyplease::unparse(&file),
        _ => tokens.to_string(),
    }
}

/// Whether `prettyplease` can print a file: it panics ("not implemented") on the nodes syn keeps
/// as verbatim tokens (`type T;` or `fn g();` in a body, for instance) and on `macro_rules!`
/// whose rules are not `(..) => {..};` in sequence. Those print as plain tokens instead.
fn printable(file: &syn::File) -> bool {
    use syn::visit::Visit;
    struct Check(bool);
    impl<'ast> Visit<'ast> for Check {
        fn visit_item(&mut self, i: &'ast syn::Item) {
            match i {
                syn::Item::Verbatim(_) => self.0 = false,
                syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") && m.ident.is_some() => {
                    self.0 &= macro_rules_printable(&m.mac.tokens);
                }
                _ => {}
            }
            syn::visit::visit_item(self, i);
        }
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            self.0 &= !matches!(e, syn::Expr::Verbatim(_));
            syn::visit::visit_expr(self, e);
        }
        fn visit_pat(&mut self, p: &'ast syn::Pat) {
            self.0 &= !matches!(p, syn::Pat::Verbatim(_));
            syn::visit::visit_pat(self, p);
        }
        fn visit_type(&mut self, t: &'ast syn::Type) {
            self.0 &= !matches!(t, syn::Type::Verbatim(_));
            syn::visit::visit_type(self, t);
        }
        fn visit_type_param_bound(&mut self, b: &'ast syn::TypeParamBound) {
            self.0 &= !matches!(b, syn::TypeParamBound::Verbatim(_));
            syn::visit::visit_type_param_bound(self, b);
        }
        fn visit_foreign_item(&mut self, i: &'ast syn::ForeignItem) {
            self.0 &= !matches!(i, syn::ForeignItem::Verbatim(_));
            syn::visit::visit_foreign_item(self, i);
        }
        fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
            self.0 &= !matches!(i, syn::TraitItem::Verbatim(_));
            syn::visit::visit_trait_item(self, i);
        }
        fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
            self.0 &= !matches!(i, syn::ImplItem::Verbatim(_));
            syn::visit::visit_impl_item(self, i);
        }
    }
    let mut check = Check(true);
    check.visit_file(file);
    check.0
}

/// Whether `macro_rules!` rules have the shape `prettyplease` prints: `(matcher) => {body}`,
/// separated by `;`.
fn macro_rules_printable(rules: &TokenStream) -> bool {
    use proc_macro2::{Spacing, TokenTree};
    let mut state = 0;
    for tt in rules.clone() {
        state = match (state, &tt) {
            (0, TokenTree::Group(_)) => 1,
            (1, TokenTree::Punct(p)) if p.as_char() == '=' && p.spacing() == Spacing::Joint => 2,
            (2, TokenTree::Punct(p)) if p.as_char() == '>' && p.spacing() == Spacing::Alone => 3,
            (3, TokenTree::Group(_)) => 4,
            (4, TokenTree::Punct(p)) if p.as_char() == ';' && p.spacing() == Spacing::Alone => 0,
            _ => return false,
        };
    }
    true
}

fn active_names(func: &Func) -> Vec<String> {
    func.params
        .iter()
        .filter(|p| p.active)
        .map(|p| format!("`{}`", p.ident))
        .collect()
}

fn doc_tangent(f: &ItemFn, func: &Func) -> String {
    let name = &f.sig.ident;
    let active = active_names(func);
    format!(
        "Forward-mode derivative of `{name}`, generated by `#[derive_tangent]`.\n\n\
         Each active parameter ({}) is followed by its tangent, a direction in input space. \
         Returns `(value, tangent)`: `{name}`'s value and its directional derivative along those \
         tangents (a Jacobian-vector product). Set one tangent to 1 and the others to 0 to get \
         one column of the Jacobian.",
        if active.is_empty() {
            "none".to_owned()
        } else {
            active.join(", ")
        }
    )
}

fn doc_reverse(f: &ItemFn, func: &Func, out: Option<&Type>, vjp: bool) -> String {
    let name = &f.sig.ident;
    let active = active_names(func);
    let grads = match active.len() {
        0 => "nothing else (no parameter is active)".to_owned(),
        1 => format!("the adjoint of {}", active[0]),
        _ => format!("the tuple of adjoints of {}", active.join(", ")),
    };
    if vjp {
        format!(
            "Reverse-mode derivative of `{name}` for any seed (a vector-Jacobian product), \
             generated by `#[derive_grad]`.\n\nThe last parameter, `seed`, is a cotangent of the output{}. \
             Returns `(value, adjoints)`: `{name}`'s value and {grads}, each the seed pulled back to that parameter.",
            out.map(|t| format!(" (type `{}`)", t.to_token_stream()))
                .unwrap_or_default()
        )
    } else {
        format!(
            "Gradient of `{name}`, generated by `#[derive_grad]`: the reverse pass seeded with 1.\n\n\
             Returns `(value, gradient)`: `{name}`'s value and {grads}. One pass gives the \
             derivative with respect to every active parameter."
        )
    }
}
