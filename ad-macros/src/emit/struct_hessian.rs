//! `NAME_hvp` and `NAME_hessian` of a function over structs: the flat function's (every float
//! field a parameter of its own, `modes/hessian_many.rs`) taken back to the structs. A struct's
//! direction has the struct's type, and so do its gradient and `H v`; the Hessian is over the
//! parameters' floats in order, a struct's in the order of its fields (the order of
//! `Differentiable::to_flat`).
//!
//! Input:  `fn energy(p: &Params, x: f64) -> f64`, flat `energy__ad_flat(p__k: &f64, p__c: &[f64; 2], x: f64)`
//! Output: `fn energy_hvp(p: &Params, v0: &Params, x: f64, v1: f64) -> (f64, (Params, f64), (Params, f64))`
//!         `{ let (value, g, h) = energy__ad_flat_hvp(&p.k, &v0.k, &p.c, &v0.c, x, v1); .. }`
//!         and `fn energy_hessian(p: &Params, x: f64) -> (f64, (Params, f64), Jacobian<f64>)`.

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::{FnArg, ItemFn};

use super::structs::{Generated, item};
use crate::errors::Errors;
use crate::front::structs::{Access, Flat, ParamPlan};
use crate::ir::Param;
use crate::names;

/// What the Hessian of a function over structs does not take yet, each an error at the
/// parameter: a struct behind `&mut`, a slice of structs, a `Vec` of structs inside a struct,
/// nalgebra's and ndarray's dynamic types.
pub fn refusals(flat: &Flat, errors: &mut Errors) {
    for p in &flat.params {
        let (ident, what) = match p {
            ParamPlan::Plain => continue,
            ParamPlan::Struct {
                ident,
                access: Access::RefMut,
                ..
            } => (ident, "a struct behind `&mut`"),
            ParamPlan::Struct { ident, leaves, .. } => {
                if leaves.iter().any(|l| l.elements.is_some()) {
                    (ident, "a struct holding a `Vec` of structs")
                } else {
                    continue;
                }
            }
            ParamPlan::Elements { ident, .. } => (ident, "a slice or `Vec` of structs"),
            ParamPlan::Dynamic { ident, .. } => (ident, "a dynamically sized vector or matrix"),
        };
        errors.spanned(
            ident,
            format!(
                "`hessian` over {what} is not supported yet: the Hessian takes structs by value \
                 or by `&`, with float, array and `Vec<F>` fields (nalgebra's fixed-size types \
                 included). Pass the floats as a slice `&[F]` instead"
            ),
        );
    }
}

/// The differentiated parameters of the original function, in order, as the wrappers see them.
enum Part<'a> {
    /// A struct: its flat parameters' positions among the flat function's active ones.
    Struct {
        ident: &'a Ident,
        ty: TokenStream,
        access: Access,
        /// `(position, field path)` of each float field.
        leaves: Vec<(usize, &'a [Ident])>,
    },
    /// A plain parameter: its position among the active ones, and its gradient's type.
    Plain { position: usize },
}

/// `NAME_hvp` and `NAME_hessian` of the original `f`, calling the flat function's (whose
/// `_hvp` has the shape `hvp`), given the flat function's analysed parameters.
pub fn wrappers(f: &ItemFn, flat: &Flat, flat_params: &[Param], hvp: &Generated) -> TokenStream {
    // The flat function's active parameters, by name: their position among the active ones.
    let active: HashMap<String, usize> = flat_params
        .iter()
        .filter(|p| p.active)
        .enumerate()
        .map(|(k, p)| (p.ident.to_string(), k))
        .collect();
    let count = active.len();
    let structs: HashMap<String, &ParamPlan> = flat
        .params
        .iter()
        .filter_map(|p| match p {
            ParamPlan::Struct { ident, .. } => Some((ident.to_string(), p)),
            _ => None,
        })
        .collect();
    // The flat gradient's types (one per active parameter), from `_hvp`'s `(value, G, Hv)`.
    let flat_tys = gradient_types(&hvp.ret, count);
    // The wrapper's parameters, the flat call's arguments, and the parts of the result.
    let mut hvp_params = Vec::new();
    let mut hess_params = Vec::new();
    let mut hvp_args = Vec::new();
    let mut hess_args = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let direction = |k: usize| format_ident!("v{}", k, span = Span::mixed_site());
    for (i, p) in flat_params.iter().enumerate() {
        let name = p.ident.to_string();
        let owner = structs.iter().find_map(|(base, plan)| match plan {
            ParamPlan::Struct {
                ident,
                ty,
                access,
                leaves,
            } => leaves
                .iter()
                .find(|l| l.flat_ident(ident) == name)
                .map(|l| (base.clone(), ident, ty, *access, l)),
            _ => None,
        });
        match owner {
            Some((base, ident, ty, access, leaf)) => {
                let first = !done.contains(&base);
                if first {
                    done.push(base.clone());
                    let param = if *ident == "self" {
                        match access {
                            Access::Value => quote!(self),
                            _ => quote!(&self),
                        }
                    } else {
                        quote!(#ident: #ty)
                    };
                    hvp_params.push(param.clone());
                    hess_params.push(param);
                }
                let path = &leaf.path;
                let place = |root: &TokenStream| match access {
                    Access::Value => quote!(#root.#(#path).*),
                    _ => quote!(&#root.#(#path).*),
                };
                let arg = place(&quote!(#ident));
                hvp_args.push(arg.clone());
                hess_args.push(arg);
                let Some(&position) = active.get(&name) else {
                    continue;
                };
                let (k, new) = struct_part(&mut parts, ident, ty, access);
                let v = direction(k);
                if new {
                    let vty = match (access, *ident == "self") {
                        (Access::Value, true) => quote!(Self),
                        (_, true) => quote!(&Self),
                        _ => quote!(#ty),
                    };
                    hvp_params.push(quote!(#v: #vty));
                }
                hvp_args.push(place(&quote!(#v)));
                if let Some(Part::Struct { leaves, .. }) = parts.get_mut(k) {
                    leaves.push((position, &leaf.path));
                }
            }
            None => {
                // A plain parameter: as the flat function takes it, its direction after it.
                let at = hvp_index(flat_params, i);
                let ident = &p.ident;
                hvp_params.push(hvp.params[at].clone());
                hess_params.push(hvp.params[at].clone());
                hvp_args.push(quote!(#ident));
                hess_args.push(quote!(#ident));
                if let Some(&position) = active.get(&name) {
                    let k = parts.len();
                    parts.push(Part::Plain { position });
                    let v = direction(k);
                    let vty = param_type(&hvp.params[at + 1]);
                    hvp_params.push(quote!(#v: #vty));
                    hvp_args.push(quote!(#v));
                }
            }
        }
    }
    let value = Ident::new("__ad_value", Span::mixed_site());
    let (g, h) = (
        Ident::new("__ad_g", Span::mixed_site()),
        Ident::new("__ad_h", Span::mixed_site()),
    );
    let out = match &f.sig.output {
        syn::ReturnType::Type(_, t) => t.to_token_stream(),
        syn::ReturnType::Default => quote!(()),
    };
    let receiver = f.sig.receiver().is_some();
    let flat_fn = |suffix: &str| {
        let name = names::function(&flat.item.sig.ident, suffix);
        if receiver {
            quote!(Self::#name)
        } else {
            quote!(#name)
        }
    };
    let (hvp_fn, hess_fn) = (flat_fn("hvp"), flat_fn("hessian"));
    let grouped_ty = grouped_types(&parts, &flat_tys);
    let (g_struct, g_decl) = regroup(&parts, &g, count);
    let (h_struct, h_decl) = regroup(&parts, &h, count);
    let elem = flat_params
        .iter()
        .find(|p| p.active)
        .map(|p| p.elem.to_token_stream())
        .unwrap_or_else(|| quote!(f64));
    let hvp_body = quote! {
        let (#value, #g, #h) = #hvp_fn(#(#hvp_args),*);
        #g_decl
        #h_decl
        (#value, #g_struct, #h_struct)
    };
    let hess_body = quote! {
        let (#value, #g, #h) = #hess_fn(#(#hess_args),*);
        #g_decl
        (#value, #g_struct, #h)
    };
    let name = &f.sig.ident;
    let hvp_doc = format!(
        "Hessian-vector product of `{name}`, generated by `#[derive_grad(hessian)]`: forward \
         mode over the reverse-mode gradient, one pass, with a direction after each \
         differentiated parameter (`v0`, `v1`, ..), a struct's of the struct's type.\n\nReturns \
         `(value, gradient, H v)`, the gradient and `H v` one entry per differentiated \
         parameter, a struct's as that struct."
    );
    let hess_doc = format!(
        "Hessian of `{name}`, generated by `#[derive_grad(hessian)]`: one Hessian-vector product \
         per float of the differentiated parameters.\n\nReturns `(value, gradient, H)`, `H` over \
         the parameters' floats in order, a struct's in the order of its fields (as \
         `Differentiable::to_flat` lists them)."
    );
    // The structs are rebuilt by `zero_like`: a generic struct (`Model<T>`, `T: Float`) is
    // `Differentiable` only for float types that are, which the wrappers require.
    let bounds: Vec<TokenStream> = if f.sig.generics.params.is_empty() {
        Vec::new()
    } else {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Struct { ty, .. } => Some(quote!(#ty: ::ad_runtime::Differentiable)),
                Part::Plain { .. } => None,
            })
            .collect()
    };
    let mut tokens = item(
        f,
        &names::function(name, "hvp"),
        &hvp_params,
        quote!((#out, #grouped_ty, #grouped_ty)),
        hvp_body,
        &hvp_doc,
        &bounds,
    );
    tokens.extend(item(
        f,
        &names::function(name, "hessian"),
        &hess_params,
        quote!((#out, #grouped_ty, ::ad_runtime::Jacobian<#elem>)),
        hess_body,
        &hess_doc,
        &bounds,
    ));
    tokens
}

/// The part of struct `ident`: its index among the differentiated parameters, and whether it
/// was added now.
fn struct_part<'a>(
    parts: &mut Vec<Part<'a>>,
    ident: &'a Ident,
    ty: &syn::Type,
    access: Access,
) -> (usize, bool) {
    if let Some(k) = parts
        .iter()
        .position(|p| matches!(p, Part::Struct { ident: i, .. } if *i == ident))
    {
        return (k, false);
    }
    let ty = match (ty, *ident == "self") {
        (_, true) => quote!(Self),
        (syn::Type::Reference(r), false) => r.elem.to_token_stream(),
        (other, false) => other.to_token_stream(),
    };
    parts.push(Part::Struct {
        ident,
        ty,
        access,
        leaves: Vec::new(),
    });
    (parts.len() - 1, true)
}

/// The index in the flat `_hvp`'s parameters of flat parameter `i`: each active one before it
/// is followed by its direction.
fn hvp_index(flat_params: &[Param], i: usize) -> usize {
    i + flat_params[..i].iter().filter(|p| p.active).count()
}

/// The type of a parameter `name: type`.
fn param_type(tokens: &TokenStream) -> TokenStream {
    match syn::parse2::<FnArg>(tokens.clone()) {
        Ok(FnArg::Typed(pt)) => pt.ty.to_token_stream(),
        _ => tokens.clone(),
    }
}

/// The `count` gradient types of a flat `_hvp` returning `(value, G, H v)`.
fn gradient_types(ret: &TokenStream, count: usize) -> Vec<TokenStream> {
    let Ok(syn::Type::Tuple(t)) = syn::parse2::<syn::Type>(ret.clone()) else {
        return Vec::new();
    };
    let Some(g) = t.elems.iter().nth(1) else {
        return Vec::new();
    };
    match g {
        syn::Type::Tuple(gs) if count > 1 => gs.elems.iter().map(|e| e.to_token_stream()).collect(),
        other => vec![other.to_token_stream()],
    }
}

/// The type of the regrouped gradient: one entry per differentiated parameter.
fn grouped_types(parts: &[Part], flat_tys: &[TokenStream]) -> TokenStream {
    let tys: Vec<TokenStream> = parts
        .iter()
        .map(|p| match p {
            Part::Struct { ty, .. } => ty.clone(),
            Part::Plain { position } => flat_tys.get(*position).cloned().unwrap_or_default(),
        })
        .collect();
    match &tys[..] {
        [one] => one.clone(),
        _ => quote!((#(#tys),*)),
    }
}

/// The flat result `flat` (one entry per active flat parameter, a tuple when `count > 1`)
/// regrouped per differentiated parameter: the expression, and the statements building the
/// structs (`let mut __ad_flat_p = zero_like(p); __ad_flat_p.k = flat.0; ..`).
fn regroup(parts: &[Part], flat: &Ident, count: usize) -> (TokenStream, TokenStream) {
    let entry = |position: usize| {
        if count == 1 {
            quote!(#flat)
        } else {
            let k = syn::Index::from(position);
            quote!(#flat.#k)
        }
    };
    let mut decl = TokenStream::new();
    let mut exprs = Vec::new();
    for p in parts {
        match p {
            Part::Struct {
                ident,
                access,
                leaves,
                ..
            } => {
                let local = format_ident!(
                    "{}_{}",
                    flat,
                    names::plain(ident),
                    span = Span::mixed_site()
                );
                let source = match access {
                    Access::Value => quote!(&#ident),
                    _ => quote!(#ident),
                };
                decl.extend(quote!(
                    let mut #local = ::ad_runtime::Differentiable::zero_like(#source);
                ));
                for (position, path) in leaves {
                    let e = entry(*position);
                    decl.extend(quote!(#local.#(#path).* = #e;));
                }
                exprs.push(quote!(#local));
            }
            Part::Plain { position } => exprs.push(entry(*position)),
        }
    }
    let expr = match &exprs[..] {
        [one] => one.clone(),
        _ => quote!((#(#exprs),*)),
    };
    (expr, decl)
}
