//! The public derivatives of a function over structs: `_tangent`, `_vjp` and `_grad` that take
//! the structs (the tangent and shadow of a struct have its type, SPEC §4) and call the flat
//! function's derivatives field by field (`front/structs.rs` made the flat function).
//!
//! Input:  `fn loss(p: &Params, x: f64) -> f64`, flat `loss__ad_flat(p__w: &Vec<f64>, p__b: &f64, x: f64)`
//! Output: `fn loss_vjp(p: &Params, dp: &mut Params, x: f64, seed: f64) -> (f64, f64) {
//!             loss__ad_flat_vjp(&p.w, &mut dp.w, &p.b, &mut dp.b, x, seed) }`
//!
//! A struct passed by value gets its adjoint returned as a struct: `zero_like` of the argument,
//! its fields filled from the flat function's returned adjoints.

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::{FnArg, ItemFn, Pat};

use super::item::{Signature, function_item};
use crate::front::structs::{Access, Flat, Leaf, ParamPlan};
use crate::ir::Param;
use crate::names;

/// A generated function as the wrappers need it: its parameters and return type.
pub struct Generated {
    pub params: Vec<TokenStream>,
    pub ret: TokenStream,
}

/// The functions `tokens` holds, by name, with `#[doc(hidden)]` and `#[allow(dead_code)]` added
/// (the flat derivatives are called only by the wrappers), and their shapes.
pub fn hide(tokens: TokenStream) -> (TokenStream, HashMap<String, Generated>) {
    let Ok(mut file) = syn::parse2::<syn::File>(tokens.clone()) else {
        return (tokens, HashMap::new());
    };
    let mut shapes = HashMap::new();
    // Anchor forwards (`impl flat { fn __derive_grad .. }`) go: the flat function has no anchor.
    file.items.retain(|i| !matches!(i, syn::Item::Impl(_)));
    for item in &mut file.items {
        if let syn::Item::Fn(f) = item {
            f.attrs.push(syn::parse_quote!(#[doc(hidden)]));
            f.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
            let params = f.sig.inputs.iter().map(|a| quote!(#a)).collect();
            let ret = match &f.sig.output {
                syn::ReturnType::Default => quote!(()),
                syn::ReturnType::Type(_, t) => quote!(#t),
            };
            shapes.insert(f.sig.ident.to_string(), Generated { params, ret });
        }
    }
    (quote!(#file), shapes)
}

/// Which generated function a wrapper stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tangent,
    Reverse,
}

/// The wrapper `NAME_suffix` of the original `f` around the flat function's `g` (its
/// parameters as generated), given the flat function's analysed parameters.
pub fn wrapper(
    f: &ItemFn,
    flat: &Flat,
    flat_params: &[Param],
    suffix: &str,
    kind: Kind,
    g: &Generated,
) -> TokenStream {
    // Which struct leaf each flat parameter is, and the tangent / shadow names of leaves.
    let mut leaf_of: HashMap<String, (&Ident, &Leaf, Access)> = HashMap::new();
    for p in &flat.params {
        if let ParamPlan::Struct {
            ident,
            access,
            leaves,
            ..
        } = p
        {
            for l in leaves {
                leaf_of.insert(l.flat_ident(ident).to_string(), (ident, l, *access));
            }
        }
    }
    let shadow_of = |s: &str| -> Option<(&Ident, &Leaf, Access)> {
        let base = s.strip_prefix('d')?;
        leaf_of.get(base).copied()
    };
    let structs: HashMap<String, (&syn::Type, Access)> = flat
        .params
        .iter()
        .filter_map(|p| match p {
            ParamPlan::Struct {
                ident, ty, access, ..
            } => Some((ident.to_string(), (&**ty, *access))),
            ParamPlan::Plain | ParamPlan::Elements { .. } | ParamPlan::Dynamic { .. } => None,
        })
        .collect();
    // Slices of structs: passed as flat floats, copied in before the call and back after it.
    let elements: HashMap<String, (&syn::Type, &syn::Type)> = flat
        .params
        .iter()
        .filter_map(|p| match p {
            ParamPlan::Elements {
                ident, ty, elem, ..
            } => Some((ident.to_string(), (&**ty, &**elem))),
            _ => None,
        })
        .collect();
    // nalgebra's `DVector` / `DMatrix`: passed as slices (and a matrix's row count).
    let dynamics: HashMap<String, Dyn> = flat
        .params
        .iter()
        .filter_map(|p| match p {
            ParamPlan::Dynamic {
                ident,
                ty,
                mutable,
                lib,
                view,
            } => Some((
                ident.to_string(),
                Dyn {
                    ty,
                    mutable: *mutable,
                    ndarray: *lib == crate::front::dynamic::Lib::Ndarray,
                    view: *view,
                },
            )),
            _ => None,
        })
        .collect();
    // A generic element type is bounded where the wrapper flattens it.
    let mut bounds: Vec<TokenStream> = flat
        .params
        .iter()
        .filter_map(|p| match p {
            ParamPlan::Elements { elem, float, .. } => {
                Some(quote!(#elem: ::ad_runtime::Differentiable<Scalar = #float>))
            }
            _ => None,
        })
        .collect();
    let mut prelude = TokenStream::new();
    let mut postlude = TokenStream::new();
    let mut params = Vec::new();
    let mut call = Vec::new();
    let mut seen = Vec::new();
    let mut bound = Vec::new();
    for tokens in &g.params {
        let Ok(FnArg::Typed(pt)) = syn::parse2::<FnArg>(tokens.clone()) else {
            continue;
        };
        let Pat::Ident(pi) = &*pt.pat else {
            continue;
        };
        let name = pi.ident.to_string();
        if let Some(arg) = dynamic_arg(pi, &dynamics, kind, &mut params) {
            call.push(arg);
            continue;
        }
        let shadowed = name.strip_prefix('d').filter(|b| elements.contains_key(*b));
        if let Some((ty, elem)) = elements
            .get(&name)
            .copied()
            .or_else(|| shadowed.map(|b| elements[b]))
        {
            // `pos: &[Vec3]` and its shadow `dpos`: flat copies, written back when mutable.
            let ident = &pi.ident;
            let mutable = matches!(&*pt.ty, syn::Type::Reference(r) if r.mutability.is_some());
            call.push(flat_copy(
                &quote!(#ident),
                ident,
                mutable,
                &mut prelude,
                &mut postlude,
            ));
            params.push(match (shadowed.is_some(), mutable) {
                (false, _) => quote!(#ident: #ty),
                (true, true) => quote!(#ident: &mut [#elem]),
                (true, false) => quote!(#ident: &[#elem]),
            });
        } else if let (Some(result), Kind::Reverse, "seed") = (&flat.result, kind, name.as_str()) {
            // The seed of a struct result has the struct's type.
            let ident = &pi.ident;
            let ty = &result.ty;
            let paths = result.paths();
            let parts = paths.iter().map(|p| quote!(#ident.#(#p).*));
            call.push(if paths.len() == 1 {
                quote!(#(#parts)*)
            } else {
                quote!((#(#parts),*))
            });
            params.push(quote!(#ident: #ty));
        } else if let Some((base, leaf, access)) = leaf_of.get(&name) {
            let path = &leaf.path;
            call.push(match (access, &leaf.elements) {
                (_, Some(_)) => flat_copy(
                    &quote!(#base.#(#path).*),
                    &pi.ident,
                    *access == Access::RefMut,
                    &mut prelude,
                    &mut postlude,
                ),
                (Access::Value, None) => quote!(#base.#(#path).*),
                (Access::Ref, None) => quote!(&#base.#(#path).*),
                (Access::RefMut, None) => {
                    deref_place(&quote!(#base), leaf, &mut prelude, &mut bound)
                        .unwrap_or_else(|| quote!(&mut #base.#(#path).*))
                }
            });
            if !seen.contains(&name_of(base)) {
                seen.push(name_of(base));
                let ty = structs[&base.to_string()].0;
                params.push(if *base == "self" {
                    match access {
                        Access::Value => quote!(self),
                        Access::Ref => quote!(&self),
                        Access::RefMut => quote!(&mut self),
                    }
                } else {
                    quote!(#base: #ty)
                });
            }
        } else if let Some((base, leaf, access)) = shadow_of(&name) {
            let shadow = format_ident!("d{}", names::plain(base), span = Span::mixed_site());
            let path = &leaf.path;
            let reverse = kind == Kind::Reverse;
            call.push(match (access, reverse) {
                _ if leaf.elements.is_some() => flat_copy(
                    &quote!(#shadow.#(#path).*),
                    &pi.ident,
                    reverse || access == Access::RefMut,
                    &mut prelude,
                    &mut postlude,
                ),
                (Access::Value, false) => quote!(#shadow.#(#path).*),
                (Access::Ref, false) => quote!(&#shadow.#(#path).*),
                _ => deref_place(&quote!(#shadow), leaf, &mut prelude, &mut bound)
                    .unwrap_or_else(|| quote!(&mut #shadow.#(#path).*)),
            });
            let key = format!("d {base}");
            if !seen.contains(&key) {
                seen.push(key);
                let ty = structs[&base.to_string()].0;
                let inner = match ty {
                    syn::Type::Reference(r) => &*r.elem,
                    other => other,
                };
                params.push(match (access, reverse) {
                    (Access::Value, false) => quote!(#shadow: #inner),
                    (Access::Ref, false) => quote!(#shadow: &#inner),
                    _ => quote!(#shadow: &mut #inner),
                });
            }
        } else {
            let ident = &pi.ident;
            call.push(quote!(#ident));
            params.push(tokens.clone());
        }
    }
    let flat_fn = names::function(&flat.item.sig.ident, suffix);
    // A method's flat form is an associated function of the same `impl`.
    let flat_fn = if f.sig.receiver().is_some() {
        quote!(Self::#flat_fn)
    } else {
        quote!(#flat_fn)
    };
    let ident = names::function(&f.sig.ident, suffix);
    if f.sig.generics.params.is_empty() {
        bounds.clear();
    }
    let ret = &g.ret;
    let doc = format!(
        "`{}` of `{}`, over its structs: each struct's tangent or shadow has the struct's type \
         (its adjoint is added in, or returned for a struct passed by value). It calls the \
         flat form `{}`, which takes the structs field by field.",
        ident, f.sig.ident, flat_fn
    );
    // A by-value struct's adjoint comes back field by field: rebuilt as a struct.
    let returned = returned_structs(flat, flat_params);
    let call = if postlude.is_empty() {
        quote!(#flat_fn(#(#call),*))
    } else {
        let r = Ident::new("__ad_r", Span::mixed_site());
        quote!({ let #r = #flat_fn(#(#call),*); #postlude #r })
    };
    let body = if kind == Kind::Reverse && returned.iter().any(Option::is_some) {
        rebuild(&call, &returned)
    } else {
        call
    };
    let body = quote!(#prelude #body);
    let ret = if kind == Kind::Reverse && returned.iter().any(Option::is_some) {
        wrapper_ret(f, flat, flat_params)
    } else {
        ret.clone()
    };
    // A struct result: the value (and the tangent) built back from the flat tuples.
    let (body, ret) = match &flat.result {
        Some(result) => {
            let (v, rest) = (
                Ident::new("__ad_flat_value", Span::mixed_site()),
                Ident::new("__ad_rest", Span::mixed_site()),
            );
            let value = result.literal(&quote!(#v));
            let ty = &result.ty;
            match kind {
                // Only adjoints of parameters passed by value are returned with the value.
                Kind::Reverse if returned.is_empty() => (
                    quote! {
                        let #v = { #body };
                        #value
                    },
                    quote!(#ty),
                ),
                _ => {
                    let (rest_expr, rest_ty) = match kind {
                        Kind::Tangent => (result.literal(&quote!(#rest)), quote!(#ty)),
                        Kind::Reverse => (quote!(#rest), second_of(&ret)),
                    };
                    (
                        quote! {
                            let (#v, #rest) = { #body };
                            (#value, #rest_expr)
                        },
                        quote!((#ty, #rest_ty)),
                    )
                }
            }
        }
        None => (body, ret),
    };
    item(f, &ident, &params, ret, body, &doc, &bounds)
}

/// One wrapper with the original's attributes, generics and visibility, `bounds` added to its
/// `where` clause.
pub(super) fn item(
    f: &ItemFn,
    ident: &Ident,
    params: &[TokenStream],
    ret: TokenStream,
    body: TokenStream,
    doc: &str,
    bounds: &[TokenStream],
) -> TokenStream {
    let sig = Signature {
        ident,
        receiver: false,
        params,
        ret: &ret,
        bounds,
    };
    function_item(f, &sig, &body, doc, false)
}

/// A slice of structs (`items`, a place) passed to the flat form as flat floats: the copy made
/// before the call (in `prelude`), written back after it when `mutable` (in `postlude`); the
/// argument to pass.
fn flat_copy(
    items: &TokenStream,
    name: &Ident,
    mutable: bool,
    prelude: &mut TokenStream,
    postlude: &mut TokenStream,
) -> TokenStream {
    let local = format_ident!("__ad_flat_{}", name, span = Span::mixed_site());
    let m = mutable.then(|| quote!(mut));
    prelude.extend(quote!(let #m #local = ::ad_runtime::flat_elements(&#items[..]);));
    if mutable {
        postlude.extend(quote!(::ad_runtime::unflat_elements(&mut #items[..], &#local);));
        quote!(&mut #local)
    } else {
        quote!(&#local)
    }
}

/// A `DVector` / `DMatrix` or ndarray parameter, as the wrappers pass it.
struct Dyn<'a> {
    ty: &'a syn::Type,
    mutable: bool,
    ndarray: bool,
    /// An ndarray view by value.
    view: bool,
}

impl Dyn<'_> {
    /// The slice of `ident` (of this parameter's kind), read-only or mutable.
    fn slice(&self, ident: &Ident, mutable: bool) -> TokenStream {
        match (self.ndarray, self.view, mutable) {
            (false, _, false) => quote!(#ident.as_slice()),
            (false, _, true) => quote!(#ident.as_mut_slice()),
            (true, false, false) => quote!(&*::ad_runtime::nd::slice(#ident)),
            (true, true, false) => quote!(&*::ad_runtime::nd::slice(&#ident)),
            (true, false, true) => quote!(::ad_runtime::nd::slice_mut(#ident)),
            (true, true, true) => quote!(::ad_runtime::nd::slice_mut(&mut #ident)),
        }
    }

    /// The type of a tangent (`mutable = false`) or shadow of this parameter: the parameter's
    /// own type behind `&` / `&mut`, or for an ndarray view, the view or the mutable view.
    fn derivative_type(&self, mutable: bool) -> TokenStream {
        let inner = match self.ty {
            syn::Type::Reference(r) => &*r.elem,
            other => other,
        };
        if !self.view {
            return if mutable {
                quote!(&mut #inner)
            } else {
                quote!(&#inner)
            };
        }
        // The shadow of an `ArrayViewN<F>` is a `::ndarray::ArrayViewMutN<F>` (named by its
        // crate path: the user's file need not import it).
        if mutable
            && let syn::Type::Path(p) = inner
            && let Some(last) = p.path.segments.last()
            && !last.ident.to_string().starts_with("ArrayViewMut")
        {
            let name = last.ident.to_string().replace("ArrayView", "ArrayViewMut");
            let ident = Ident::new(&name, last.ident.span());
            let args = &last.arguments;
            return quote!(::ndarray::#ident #args);
        }
        quote!(#inner)
    }
}

/// The argument of the flat function's parameter `pi` when it stands for a dynamic vector or
/// matrix (`x.as_slice()`), its tangent or shadow (`dx.as_mut_slice()`), or a matrix's row
/// count (`a.nrows()`; `a.ncols()` for ndarray's row-major arrays); the wrapper's own parameter
/// goes to `params`.
fn dynamic_arg(
    pi: &syn::PatIdent,
    dynamics: &HashMap<String, Dyn>,
    kind: Kind,
    params: &mut Vec<TokenStream>,
) -> Option<TokenStream> {
    let ident = &pi.ident;
    let name = ident.to_string();
    if let Some(d) = dynamics.get(&name) {
        let ty = d.ty;
        params.push(if d.view && d.mutable {
            quote!(mut #ident: #ty)
        } else {
            quote!(#ident: #ty)
        });
        return Some(d.slice(ident, d.mutable));
    }
    if let Some(base) = name.strip_suffix("__rows")
        && let Some(d) = dynamics.get(base)
    {
        let base = Ident::new(base, ident.span());
        return Some(if d.ndarray {
            quote!(#base.ncols())
        } else {
            quote!(#base.nrows())
        });
    }
    let d = name.strip_prefix('d').and_then(|b| dynamics.get(b))?;
    let mutable = d.mutable || kind == Kind::Reverse;
    let ty = d.derivative_type(mutable);
    params.push(if d.view && mutable {
        quote!(mut #ident: #ty)
    } else {
        quote!(#ident: #ty)
    });
    Some(d.slice(ident, mutable))
}

/// `&mut root.path` for a float reached through `DerefMut` (nalgebra's `dv.x`): two such
/// borrows of one value cannot be held at once, so the first of its floats asked for binds all
/// of them, each a `&mut` of its own, by one slice pattern in the wrapper's prelude
/// (`let [__ad_m0_0, ..] = floats_mut(&mut *dv) else { unreachable!() };`).
fn deref_place(
    root: &TokenStream,
    leaf: &Leaf,
    prelude: &mut TokenStream,
    bound: &mut Vec<String>,
) -> Option<TokenStream> {
    let (k, at, count) = leaf.via?;
    let prefix = &leaf.path[..k];
    let key = quote!(#root #(. #prefix)*).to_string();
    let (n, first) = match bound.iter().position(|b| *b == key) {
        Some(n) => (n, false),
        None => {
            bound.push(key);
            (bound.len() - 1, true)
        }
    };
    let names: Vec<Ident> = (0..count)
        .map(|i| format_ident!("__ad_m{}_{}", n, i, span = Span::mixed_site()))
        .collect();
    if first {
        let place = if prefix.is_empty() {
            quote!(&mut *#root)
        } else {
            quote!(&mut #root.#(#prefix).*)
        };
        prelude.extend(quote! {
            let [#(#names),*] = ::ad_runtime::linalg::floats_mut(#place) else {
                ::core::unreachable!()
            };
        });
    }
    let name = &names[at];
    Some(quote!(#name))
}

/// The second element of a pair type `(A, B)`.
fn second_of(ty: &TokenStream) -> TokenStream {
    match syn::parse2::<syn::Type>(ty.clone()) {
        Ok(syn::Type::Tuple(t)) if t.elems.len() == 2 => {
            let b = &t.elems[1];
            quote!(#b)
        }
        _ => ty.clone(),
    }
}

fn name_of(i: &Ident) -> String {
    i.to_string()
}

/// For each by-value active flat parameter, in order (the flat function's returned adjoints):
/// `Some((struct, leaf))` when it is a field of a by-value struct, `None` for a plain one.
fn returned_structs(flat: &Flat, flat_params: &[Param]) -> Vec<Option<(Ident, Leaf)>> {
    let mut leaf_of: HashMap<String, (Ident, Leaf)> = HashMap::new();
    for p in &flat.params {
        if let ParamPlan::Struct {
            ident,
            access: Access::Value,
            leaves,
            ..
        } = p
        {
            for l in leaves {
                leaf_of.insert(l.flat_ident(ident).to_string(), (ident.clone(), l.clone()));
            }
        }
    }
    flat_params
        .iter()
        .filter(|p| p.active && p.kind.by_value())
        .map(|p| leaf_of.get(&p.ident.to_string()).cloned())
        .collect()
}

/// The reverse wrapper's body when a struct passed by value has an adjoint: the flat call, then
/// the struct adjoints assembled from the returned field adjoints.
fn rebuild(call: &TokenStream, returned: &[Option<(Ident, Leaf)>]) -> TokenStream {
    let (value, adj) = (
        Ident::new("__ad_value", Span::mixed_site()),
        Ident::new("__ad_adjoints", Span::mixed_site()),
    );
    let mut prepare = TokenStream::new();
    let mut fill = TokenStream::new();
    let mut order: Vec<TokenStream> = Vec::new();
    let count = returned.len();
    let mut structs_done: Vec<String> = Vec::new();
    for (k, r) in returned.iter().enumerate() {
        let part = if count == 1 {
            quote!(#adj)
        } else {
            let k = syn::Index::from(k);
            quote!(#adj.#k)
        };
        match r {
            Some((base, leaf)) => {
                let g_name =
                    format_ident!("__ad_g_{}", names::plain(base), span = Span::mixed_site());
                if !structs_done.contains(&base.to_string()) {
                    structs_done.push(base.to_string());
                    prepare.extend(
                        quote!(let mut #g_name = ::ad_runtime::Differentiable::zero_like(&#base);),
                    );
                    order.push(quote!(#g_name));
                }
                let path = &leaf.path;
                fill.extend(quote!(#g_name.#(#path).* = #part;));
            }
            None => order.push(part),
        }
    }
    let out = if order.len() == 1 {
        quote!(#(#order)*)
    } else {
        quote!((#(#order),*))
    };
    quote! {
        #prepare
        let (#value, #adj) = #call;
        #fill
        (#value, #out)
    }
}

/// `(value type, adjoint types)` of a reverse wrapper whose by-value structs come back whole.
fn wrapper_ret(f: &ItemFn, flat: &Flat, flat_params: &[Param]) -> TokenStream {
    let value = match &f.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, t) => quote!(#t),
    };
    let mut tys: Vec<TokenStream> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let by_struct: HashMap<String, (&Ident, &syn::Type)> = flat
        .params
        .iter()
        .filter_map(|p| match p {
            ParamPlan::Struct {
                ident,
                ty,
                access: Access::Value,
                leaves,
            } => Some(
                leaves
                    .iter()
                    .map(|l| (l.flat_ident(ident).to_string(), (ident, &**ty)))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    for p in flat_params.iter().filter(|p| p.active && p.kind.by_value()) {
        match by_struct.get(&p.ident.to_string()) {
            Some((base, ty)) => {
                if !done.contains(&base.to_string()) {
                    done.push(base.to_string());
                    tys.push(quote!(#ty));
                }
            }
            None => {
                let ty = &p.ty;
                tys.push(quote!(#ty));
            }
        }
    }
    let g = if tys.len() == 1 {
        quote!(#(#tys)*)
    } else {
        quote!((#(#tys),*))
    };
    quote!((#value, #g))
}

/// Without `wrt`, every parameter that carries floats is differentiated; a struct whose
/// definition the macro cannot see (another file, an alias) is taken for a constant. So that this
/// is never a silently missing gradient, a compile-time check fails when such a type implements
/// `Differentiable` after all: the user must list the parameters (`wrt(..)`), or define the
/// struct in the function's file. Only free functions and types without the function's generic
/// parameters can be checked (a `const` item cannot see either).
pub fn unseen_struct_checks(f: &ItemFn, args: &TokenStream) -> TokenStream {
    if !args.is_empty() || f.sig.receiver().is_some() {
        return TokenStream::new();
    }
    let generics: Vec<String> = f
        .sig
        .generics
        .params
        .iter()
        .map(|p| match p {
            syn::GenericParam::Type(t) => t.ident.to_string(),
            syn::GenericParam::Lifetime(l) => l.lifetime.ident.to_string(),
            syn::GenericParam::Const(c) => c.ident.to_string(),
        })
        .collect();
    let mut out = TokenStream::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let mut ty = &*pt.ty;
        while let syn::Type::Reference(r) = ty {
            ty = &r.elem;
        }
        let syn::Type::Path(p) = ty else { continue };
        let Some(last) = p.path.segments.last() else {
            continue;
        };
        let name = last.ident.to_string();
        let plain = [
            "f32", "f64", "usize", "isize", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
            "bool", "char", "str", "String", "Vec", "Option", "Self",
        ];
        let tokens = quote!(#ty).to_string();
        let mentions_generic = tokens
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|w| generics.iter().any(|g| g == w));
        if plain.contains(&name.as_str()) || mentions_generic || p.qself.is_some() {
            continue;
        }
        let message = format!(
            "`{}: {}` derives `Differentiable`, but its definition is not in this function's \
             file, so `#[derive_..]` would take it for a constant: list the parameters to \
             differentiate in `wrt(..)`, or define the struct in this file",
            pt.pat.to_token_stream(),
            tokens
        );
        out.extend(quote! {
            const _: () = {
                struct __AdProbe<T: ?Sized>(::core::marker::PhantomData<T>);
                trait __AdNotDifferentiable {
                    const DIFFERENTIABLE: bool = false;
                }
                impl<T: ?Sized> __AdNotDifferentiable for __AdProbe<T> {}
                impl<T: ::ad_runtime::DerivedDifferentiable> __AdProbe<T> {
                    const DIFFERENTIABLE: bool = true;
                }
                ::core::assert!(!__AdProbe::<#ty>::DIFFERENTIABLE, #message);
            };
        });
    }
    out
}
