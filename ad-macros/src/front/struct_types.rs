//! Types of a flat form: the fields of a derived struct as a type instantiates them, whether a
//! type holds structs or is a `Vec`, a slice of structs as flat floats (`elements_of`), a constant
//! struct as a value of its fields (`constant_struct`), substitution of type parameters in
//! tokens, and the `wrt(..)` of a flat function (`front/structs.rs` uses them to flatten a
//! function).
//!
//! Input:  `Params<f64>` with `struct Params<T> { w: Vec<T>, b: T }`
//! Output: `[("w", Vec<f64>, "Vec < T >", false), ("b", f64, "T", false)]`

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::{Expr, Type};

use super::struct_values::Binding;
use super::structs::{StructDef, struct_leaves};
use crate::errors::Errors;

/// The named fields of `ty` when it is a struct with the derive, with its type parameters as
/// `ty` instantiates them: `(name, type, type as written, constant)`. `Some(Err(()))` for a
/// tuple struct, `None` for any other type.
#[allow(clippy::type_complexity)]
pub(super) fn instantiated_fields(
    ty: &Type,
    structs: &HashMap<String, StructDef>,
) -> Option<Result<Vec<(String, Type, String, bool)>, ()>> {
    let Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last()?;
    let def = structs.get(&super::nalgebra::canonical(last))?;
    let Some(fields) = &def.fields else {
        return Some(Err(()));
    };
    let mut subst: HashMap<String, TokenStream> = HashMap::new();
    if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
        let tys = a.args.iter().filter_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(quote!(#t)),
            _ => None,
        });
        for (name, t) in def.generics.iter().zip(tys) {
            subst.insert(name.clone(), t);
        }
    }
    let mut out = Vec::new();
    for (name, ty_text, constant) in fields {
        let field_ty = syn::parse_str::<Type>(ty_text)
            .ok()
            .and_then(|t| syn::parse2(substitute(quote!(#t), &subst)).ok())?;
        out.push((name.clone(), field_ty, ty_text.clone(), *constant));
    }
    Some(Ok(out))
}

pub(super) fn is_vec(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}

/// Whether a type mentions a struct with the derive (`Vec<Link>`, `[Link; 2]`).
pub(super) fn holds_structs(ty: &Type, structs: &HashMap<String, StructDef>) -> bool {
    fn walk(t: TokenStream, structs: &HashMap<String, StructDef>) -> bool {
        t.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(id) => structs.contains_key(&id.to_string()),
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), structs),
            _ => false,
        })
    }
    walk(quote!(#ty), structs)
}

/// Replaces the identifiers of `subst` in `tokens`.
pub(super) fn substitute(tokens: TokenStream, subst: &HashMap<String, TokenStream>) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Ident(id) if subst.contains_key(&id.to_string()) => {
                let s = &subst[&id.to_string()];
                quote!(#s)
            }
            proc_macro2::TokenTree::Group(g) => {
                let mut ng = proc_macro2::Group::new(g.delimiter(), substitute(g.stream(), subst));
                ng.set_span(g.span());
                quote!(#ng)
            }
            other => quote!(#other),
        })
        .collect()
}

/// `wrt(p, x)` with a struct `p` becomes `wrt(p__w, p__b, x)`.
pub(super) fn rewrite_wrt(args: &TokenStream, leaves: &HashMap<String, Vec<Ident>>) -> TokenStream {
    let mut out = TokenStream::new();
    let mut tokens = args.clone().into_iter().peekable();
    while let Some(t) = tokens.next() {
        match &t {
            proc_macro2::TokenTree::Ident(id) if id == "wrt" => {
                out.extend(quote!(#t));
                if let Some(proc_macro2::TokenTree::Group(g)) = tokens.next() {
                    let inner: TokenStream = g
                        .stream()
                        .into_iter()
                        .flat_map(|t| match &t {
                            proc_macro2::TokenTree::Ident(id)
                                if leaves.contains_key(&id.to_string()) =>
                            {
                                let names = &leaves[&id.to_string()];
                                quote!(#(#names),*)
                            }
                            _ => quote!(#t),
                        })
                        .collect();
                    let mut ng = proc_macro2::Group::new(g.delimiter(), inner);
                    ng.set_span(g.span());
                    out.extend(quote!(#ng));
                }
            }
            _ => out.extend(quote!(#t)),
        }
    }
    out
}

/// A struct parameter that is not differentiated (`g: Vec3` outside `wrt`, `&self` without
/// `wrt(self)`): its fields read in place (`g.x`), so that the body can pass it to the struct's
/// inlined operators and methods like any struct value. `None` for other types.
pub(super) fn constant_struct(
    ident: &Ident,
    ty: &Type,
    structs: &HashMap<String, StructDef>,
) -> Option<Binding> {
    let inner = match ty {
        Type::Reference(r) => &*r.elem,
        other => other,
    };
    // A struct the walk cannot take apart (a tuple struct, a field it refuses) stays as written.
    let mut refused = Errors::default();
    let leaves = struct_leaves(inner, structs, &[], &mut refused, ty)?;
    if !refused.is_empty() || leaves.iter().any(|l| l.elements.is_some()) {
        return None;
    }
    Some(Binding::Value {
        ty: inner.clone(),
        leaves: leaves
            .iter()
            .map(|l| {
                let path = &l.path;
                let e: Expr = syn::parse_quote!(#ident.#(#path).*);
                (l.path.iter().map(ToString::to_string).collect(), e)
            })
            .collect(),
    })
}

/// `(element type, stride, float type)` when `ty` is a slice or `Vec` of a struct with the
/// derive (`[Vec3]`, `Vec<Vec3>`); refusals (constant fields, mixed floats) go to `errors`.
pub(super) fn elements_of(
    ty: &Type,
    structs: &HashMap<String, StructDef>,
    errors: &mut Errors,
    at: &Type,
) -> Option<(Type, usize, Type)> {
    let elem = match ty {
        Type::Slice(s) => (*s.elem).clone(),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            if last.ident != "Vec" {
                return None;
            }
            match &last.arguments {
                syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
                    syn::GenericArgument::Type(t) => t.clone(),
                    _ => return None,
                },
                _ => return None,
            }
        }
        _ => return None,
    };
    let leaves = struct_leaves(&elem, structs, &[], errors, at)?;
    let floats: Vec<String> = leaves
        .iter()
        .map(|l| {
            let t = &l.ty;
            quote!(#t).to_string()
        })
        .collect();
    if leaves.iter().any(|l| l.constant || !l.scalar) || floats.iter().any(|f| f != &floats[0]) {
        errors.spanned(
            at,
            format!(
                "a slice of `{}` is held as flat floats, so its fields must all be floats of one \
                 type (no constants, arrays or `Vec`s): keep the other fields in a struct of \
                 their own",
                quote!(#elem)
            ),
        );
        return None;
    }
    let float = leaves.first()?.ty.clone();
    Some((elem, leaves.len(), float))
}
