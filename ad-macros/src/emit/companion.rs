//! Companions are what another annotated function calls: a caller does not know which of its
//! callee's parameters are differentiated, so they take the arguments as one tuple and, in
//! forward mode, one tangent per argument (`ad_runtime::Zero` for a constant one).
//!
//! Input:  `fn g(x: f64, n: usize) -> f64`
//! Output: `fn g__derive_tangent<D0: TangentSlot<f64>, D1>(args: (f64, usize), tangents: (D0, D1))`
//!         `    -> (f64, f64) { let (x, n) = args; let dx = tangents.0.tangent(); ..g_tangent's body.. }`
//!         `fn g__derive_grad(args: (f64, usize), seed: f64) -> (f64, (f64, ())) { .. }`
//! They repeat the body rather than call `g_tangent`, because a call would need `Self::` inside
//! an `impl`, which the macro cannot see.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::{ItemFn, ReturnType, Type};

use super::item::carried_attrs;
use crate::ir::Generated;
use crate::names;

/// The attributes and lint allowances of a hidden companion.
fn companion_head(f: &ItemFn) -> TokenStream {
    let attrs = carried_attrs(f);
    quote! {
        #[doc(hidden)]
        #(#attrs)*
        #[allow(unused_mut, unused_variables, unused_parens, non_snake_case, clippy::all, clippy::pedantic)]
    }
}

/// A companion's generic parameters: `'ad_slot` when slices are lent, the function's own, then
/// the companion's (`<'ad_slot, T: Float, __AdD0: ..>`).
fn companion_generics(
    c: &crate::ir::CallShape,
    existing: &syn::punctuated::Punctuated<syn::GenericParam, syn::Token![,]>,
    generic: &[TokenStream],
) -> TokenStream {
    let lifetime = c
        .slices
        .iter()
        .chain(&c.written)
        .chain(&c.rows)
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
pub fn companion_jvp(f: &ItemFn, g: &Generated) -> TokenStream {
    jvp_like(f, g, "_derive_tangent", None)
}

/// `NAME__derive_hvp_fwd`: forward mode over `NAME` (`g`), which a `hessian` caller runs where
/// its reverse-mode code calls `NAME` (see `ir::Second`). As `NAME__derive_tangent`, whose calls
/// go to their callees' `__derive_tangent`; here they go to `__derive_hvp_fwd`.
pub fn companion_hvp_fwd(f: &ItemFn, g: &Generated) -> TokenStream {
    jvp_like(f, g, "_derive_hvp_fwd", None)
}

/// `NAME__derive_hvp`: forward mode over `NAME`'s reverse pass (`g`, the tangent of the
/// vector-Jacobian product with the arguments and the seed differentiated), which a `hessian`
/// caller runs where its reverse-mode code calls `NAME::__derive_grad`. It takes the arguments
/// and the seed as one tuple and their tangents as another, and returns
/// `((value, adjoints), (tangent of the value, tangents of the adjoints))`, the adjoints one per
/// argument as `NAME__derive_grad` returns them (`vjp`, the shape of `NAME_vjp`).
pub fn companion_hvp(f: &ItemFn, g: &Generated, vjp: &crate::ir::CallShape) -> TokenStream {
    let ReturnType::Type(_, out) = &f.sig.output else {
        return TokenStream::new();
    };
    let (v, gs, dv, dgs) = (
        Ident::new("__ad_value", Span::mixed_site()),
        Ident::new("__ad_adjoints", Span::mixed_site()),
        Ident::new("__ad_dvalue", Span::mixed_site()),
        Ident::new("__ad_dadjoints", Span::mixed_site()),
    );
    let tys: Vec<TokenStream> = vjp.args.iter().map(|(_, t)| t.clone()).collect();
    let (adj_tys, adj) = adjoint_list(vjp, &tys, &gs);
    let (_, dadj) = adjoint_list(vjp, &tys, &dgs);
    let body = &g.body;
    let result = (
        quote!(((#out, (#(#adj_tys,)*)), (#out, (#(#adj_tys,)*)))),
        quote! {
            let ((#v, #gs), (#dv, #dgs)) = { #body };
            ((#v, (#(#adj,)*)), (#dv, (#(#dadj,)*)))
        },
    );
    jvp_like(f, g, "_derive_hvp", Some(result))
}

/// The adjoint of each argument as a companion returns it: its component of `gs` (the adjoints
/// `NAME_vjp` returns: one, or a tuple) where `c` returns it, `()` for an argument that is not
/// differentiated; with the types.
fn adjoint_list(
    c: &crate::ir::CallShape,
    tys: &[TokenStream],
    gs: &Ident,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let count = c.returned.iter().filter(|r| **r).count();
    let mut k = 0;
    let mut adj_tys = Vec::new();
    let mut adj = Vec::new();
    for (returned, ty) in c.returned.iter().zip(tys) {
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
    (adj_tys, adj)
}

/// A forward-mode companion `NAME{suffix}` of `g`: arguments and tangents as tuples, the result
/// `g`'s (or `result`: the return type and a body around `g.body`).
fn jvp_like(
    f: &ItemFn,
    g: &Generated,
    suffix: &str,
    result: Option<(TokenStream, TokenStream)>,
) -> TokenStream {
    let c = &g.call;
    if c.memory {
        return TokenStream::new();
    }
    let head = companion_head(f);
    let vis = &f.vis;
    let ident = names::function(&f.sig.ident, suffix);
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
        let row = c.rows.get(k).cloned().flatten();
        let written = c.written.get(k).cloned().flatten();
        // (One tuple, not `if let` guards: those need Rust 1.95, the MSRV is 1.88.)
        match (t, c.slices.get(k).cloned().flatten(), row, written) {
            // Rows: the caller's tangent rows, or zero rows of the argument's shape (`Zero`).
            (Some(d), None, Some(row), _) => {
                let z = format_ident!("__ad_store{}", k, span = Span::mixed_site());
                let primal = &c.args[k].0;
                let primal = primal.clone().into_iter().last();
                generic.push(quote!(#p: ::ad_runtime::rows::RowsTangent<'ad_slot, #row>));
                slot_tys.push(quote!(#p));
                unpack.extend(quote! {
                    let mut #z = ::core::default::Default::default();
                    let #d = ::ad_runtime::rows::RowsTangent::<#row>::rows(#s, &#primal[..], &mut #z);
                });
            }
            // A slice the function writes: the caller always lends a tangent slice.
            (Some(d), None, None, Some(elem)) => {
                slot_tys.push(quote!(&'ad_slot mut [#elem]));
                unpack.extend(quote!(let #d: &mut [#elem] = #s;));
            }
            // A read-only slice: its tangent, or zeros for a constant slice (`Zero`).
            (Some(d), Some(elem), _, _) => {
                let z = format_ident!("__ad_store{}", k, span = Span::mixed_site());
                generic.push(quote!(#p: ::ad_runtime::SliceTangent<'ad_slot, #elem>));
                slot_tys.push(quote!(#p));
                // The caller's tangent slice, or (for a slice it does not differentiate) zeros.
                unpack.extend(if c.dense {
                    let primal = c.args[k].0.clone().into_iter().last();
                    quote! {
                        let mut #z = ::core::default::Default::default();
                        let #d = ::ad_runtime::SliceTangent::<#elem>::dense(#s, #primal.len(), &mut #z);
                    }
                } else {
                    quote! {
                        let mut #z = ::core::default::Default::default();
                        let #d = ::ad_runtime::SliceTangent::<#elem>::slice(#s, &mut #z);
                    }
                });
            }
            (Some(d), None, None, None) if c.arrays.get(k) == Some(&true) => {
                generic.push(quote!(#p: ::ad_runtime::ArraySlot<#ty>));
                slot_tys.push(quote!(#p));
                unpack.extend(quote!(let #d = <#p as ::ad_runtime::ArraySlot<#ty>>::array(#s);));
            }
            (Some(d), None, None, None) => {
                generic.push(quote!(#p: ::ad_runtime::TangentSlot<#ty>));
                slot_tys.push(quote!(#p));
                unpack
                    .extend(quote!(let #d = <#p as ::ad_runtime::TangentSlot<#ty>>::tangent(#s);));
            }
            (None, ..) => {
                generic.push(quote!(#p));
                slot_tys.push(quote!(#p));
            }
        }
        slot_vars.push(s);
    }
    let generics = companion_generics(c, existing, &generic);
    // A function without a result still answers `(value, tangent)`: `((), ())`.
    let (ret, body) = match (result, &f.sig.output) {
        (Some(result), _) => result,
        (None, ReturnType::Default) => {
            let body = &g.body;
            (quote!(((), ())), quote!(let () = { #body }; ((), ())))
        }
        (None, ReturnType::Type(..)) => (g.ret.clone(), super::scopes::shallow(&g.body)),
    };
    let sig = quote! {
        #generics(
            #receiver #args: (#(#tys,)*), #tangents: (#(#slot_tys,)*)
        ) -> #ret #where_clause
    };
    let forward = crate::emit::anchor::forward(f, suffix, &sig, &[&args, &tangents]);
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
pub fn companion_vjp(f: &ItemFn, g: &Generated) -> TokenStream {
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
            c.rows.get(k).cloned().flatten(),
            c.written.get(k).cloned().flatten(),
        ) {
            // Rows: the caller's adjoint rows, or scratch rows of the argument's shape (`Zero`).
            (Some(d), None, Some(row), _) => {
                let z = format_ident!("__ad_store{}", k, span = Span::mixed_site());
                let p = format_ident!("__AdS{}", k, span = Span::mixed_site());
                let primal = c.args[k].0.clone().into_iter().last();
                generic.push(quote!(#p: ::ad_runtime::rows::RowsShadow<'ad_slot, #row>));
                shadow_tys.push(quote!(#p));
                unpack.extend(quote! {
                    let mut #z = ::core::default::Default::default();
                    let #d = ::ad_runtime::rows::RowsShadow::<#row>::rows(#s, &#primal[..], &mut #z);
                });
            }
            // A slice the function writes: the caller always lends its adjoint.
            (Some(d), None, None, Some(elem)) => {
                shadow_tys.push(quote!(&'ad_slot mut [#elem]));
                unpack.extend(quote!(let #d: &mut [#elem] = #s;));
            }
            (Some(d), Some(elem), _, _) => {
                let z = format_ident!("__ad_store{}", k, span = Span::mixed_site());
                let p = format_ident!("__AdS{}", k, span = Span::mixed_site());
                generic.push(quote!(#p: ::ad_runtime::SliceShadow<'ad_slot, #elem>));
                shadow_tys.push(quote!(#p));
                // The caller's slice, or (for a slice it does not differentiate) a sink.
                unpack.extend(if c.dense {
                    let primal = c.args[k].0.clone().into_iter().last();
                    quote! {
                        let mut #z = ::core::default::Default::default();
                        let #d = ::ad_runtime::SliceShadow::<#elem>::dense(#s, #primal.len(), &mut #z);
                    }
                } else {
                    quote! {
                        let mut #z = ::core::default::Default::default();
                        let #d = ::ad_runtime::SliceShadow::<#elem>::shadow(#s, &mut #z);
                    }
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
    let (adj_tys, adj) = adjoint_list(c, &tys, &gs);
    let body = &super::scopes::shallow(&g.body);
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
