//! Reading the signature: which parameters are active, and what the output is.

use std::collections::HashSet;

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::{FnArg, GenericParam, Pat, ReturnType, Signature, Type, TypeParamBound, WherePredicate};

use crate::errors::Errors;
use crate::front::attr::Args;
use crate::ir::Kind;

/// The float types of a signature: `f32`, `f64`, generic parameters bounded by `Float`, and
/// type aliases of floats (`type Real = f64;` in the function's source file, or a type the user
/// vouches for by listing a parameter of it in `wrt(..)`).
pub struct FloatTypes {
    generics: HashSet<String>,
    /// Aliases of floats, by name: named by their last segment (`Real`, `m::Real`).
    aliases: HashSet<String>,
}

impl FloatTypes {
    /// Collects the generic parameters bounded by `Float` (in the parameter list or where clause).
    pub fn of(sig: &Signature) -> Self {
        fn bounded<'a>(mut bounds: impl Iterator<Item = &'a TypeParamBound>) -> bool {
            bounds.any(|b| match b {
                TypeParamBound::Trait(t) => {
                    t.path.segments.last().is_some_and(|s| s.ident == "Float")
                }
                _ => false,
            })
        }
        let mut generics = HashSet::new();
        for p in &sig.generics.params {
            if let GenericParam::Type(t) = p
                && bounded(t.bounds.iter())
            {
                generics.insert(t.ident.to_string());
            }
        }
        if let Some(w) = &sig.generics.where_clause {
            for pred in &w.predicates {
                if let WherePredicate::Type(t) = pred
                    && let Type::Path(p) = &t.bounded_ty
                    && let Some(id) = p.path.get_ident()
                    && bounded(t.bounds.iter())
                {
                    generics.insert(id.to_string());
                }
            }
        }
        let aliases =
            crate::source::with_source(&sig.ident, crate::source::float_aliases, |_, aliases| {
                Some(aliases.0.keys().cloned().collect())
            })
            .unwrap_or_default();
        FloatTypes { generics, aliases }
    }

    /// Takes the type of each parameter listed in `wrt(..)` that is one name the macro does not
    /// know (`x: Real`, with `Real` defined in another file) as a float, as SPEC §3 says: the
    /// user's word.
    pub fn vouched(mut self, sig: &Signature, args: &Args) -> Self {
        let Some(list) = &args.wrt else { return self };
        for arg in &sig.inputs {
            if let FnArg::Typed(pt) = arg
                && let Pat::Ident(p) = &*pt.pat
                && list.contains(&p.ident)
                && let Some(name) = alias_name(&pt.ty)
                && !is_integer_like(&pt.ty)
                && name != "Vec"
            {
                self.aliases.insert(name);
            }
        }
        self
    }

    /// A name in the signature that looks like an alias the macro could not resolve: a plain
    /// path type that is neither a known float, an integer, nor a generic parameter.
    pub fn unresolved(&self, ty: &Type) -> Option<String> {
        let name = alias_name(ty)?;
        let known = ["Vec", "String", "Option", "Result", "Box", "str"].contains(&name.as_str());
        (!self.is_float(ty) && !is_integer_like(ty) && !known).then_some(name)
    }

    /// Whether the signature has a generic float type (`T: Float`).
    pub fn any_generic(&self) -> bool {
        !self.generics.is_empty()
    }

    /// Whether `ty` is a float scalar type.
    pub fn is_float(&self, ty: &Type) -> bool {
        match ty {
            Type::Path(p) if p.qself.is_none() => match p.path.get_ident() {
                Some(id) => {
                    let id = id.to_string();
                    id == "f32"
                        || id == "f64"
                        || self.generics.contains(&id)
                        || self.aliases.contains(&id)
                }
                // `m::Real`: an alias defined in a module of the file.
                None => alias_name(ty).is_some_and(|name| self.aliases.contains(&name)),
            },
            Type::Paren(p) => self.is_float(&p.elem),
            Type::Group(g) => self.is_float(&g.elem),
            _ => false,
        }
    }

    /// Whether `ty` mentions a float type anywhere (an array, slice, reference or Vec of floats).
    pub fn carries_float(&self, ty: &Type) -> bool {
        if self.is_float(ty) {
            return true;
        }
        match ty {
            Type::Array(a) => self.carries_float(&a.elem),
            Type::Slice(s) => self.carries_float(&s.elem),
            Type::Reference(r) => self.carries_float(&r.elem),
            Type::Paren(p) => self.carries_float(&p.elem),
            Type::Group(g) => self.carries_float(&g.elem),
            Type::Tuple(t) => t.elems.iter().any(|e| self.carries_float(e)),
            Type::Path(p) => p.path.segments.last().is_some_and(|s| {
                s.ident == "Vec"
                    && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                        if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if self.carries_float(t))))
            }),
            _ => false,
        }
    }
}

/// The last segment of a path type without generic arguments: `Real` in `Real` or `m::Real`.
fn alias_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            (p.path.segments.iter().all(|s| s.arguments.is_none())).then(|| last.ident.to_string())
        }
        Type::Paren(p) => alias_name(&p.elem),
        Type::Group(g) => alias_name(&g.elem),
        _ => None,
    }
}

/// Whether a type names a primitive integer, `bool` or `char`: casts to it drop the derivative.
pub fn is_integer_like(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p.path.get_ident().is_some_and(|id| {
            matches!(
                id.to_string().as_str(),
                "i8" | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "bool"
                    | "char"
            )
        }),
        Type::Paren(p) => is_integer_like(&p.elem),
        Type::Group(g) => is_integer_like(&g.elem),
        _ => false,
    }
}

/// The kind of a parameter type that carries floats, and its float type.
pub fn classify(ty: &Type, floats: &FloatTypes) -> Option<(Kind, Type)> {
    if floats.is_float(ty) {
        return Some((Kind::Scalar, ty.clone()));
    }
    let array_depth = |ty: &Type| -> Option<(usize, Type)> {
        match ty {
            Type::Array(a) if floats.is_float(&a.elem) => Some((1, (*a.elem).clone())),
            Type::Array(a) => match &*a.elem {
                Type::Array(b) if floats.is_float(&b.elem) => Some((2, (*b.elem).clone())),
                _ => None,
            },
            _ => None,
        }
    };
    match ty {
        Type::Paren(p) => classify(&p.elem, floats),
        Type::Group(g) => classify(&g.elem, floats),
        Type::Array(_) => array_depth(ty).map(|(depth, f)| (Kind::Array { depth }, f)),
        Type::Reference(r) => {
            let mutable = r.mutability.is_some();
            let inner = &*r.elem;
            if floats.is_float(inner) {
                return Some((Kind::Ref { mutable }, inner.clone()));
            }
            if let Some((depth, f)) = array_depth(inner) {
                return Some((Kind::ArrayRef { depth, mutable }, f));
            }
            match inner {
                Type::Slice(sl) if floats.is_float(&sl.elem) => {
                    Some((Kind::Slice { mutable }, (*sl.elem).clone()))
                }
                Type::Path(_) => match vec_elem(inner)? {
                    t if floats.is_float(t) => Some((Kind::Slice { mutable }, t.clone())),
                    row => row_elem(row, floats).map(|f| (Kind::Rows { mutable }, f)),
                },
                Type::Slice(sl) => row_elem(&sl.elem, floats).map(|f| (Kind::Rows { mutable }, f)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `T` in `Vec<T>`.
fn vec_elem(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Vec" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
        return None;
    };
    match a.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The float type of a row of a nested container: `F` in `[F; N]` or `Vec<F>`.
fn row_elem(row: &Type, floats: &FloatTypes) -> Option<Type> {
    match row {
        Type::Array(a) if floats.is_float(&a.elem) => Some((*a.elem).clone()),
        Type::Paren(p) => row_elem(&p.elem, floats),
        Type::Group(g) => row_elem(&g.elem, floats),
        _ => vec_elem(row).filter(|t| floats.is_float(t)).cloned(),
    }
}

/// The row type of a nested container parameter: `[F; N]` in `&[[F; N]]`, `Vec<F>` in
/// `&Vec<Vec<F>>`.
fn row_type(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Reference(r) => row_type(&r.elem),
        Type::Paren(p) => row_type(&p.elem),
        Type::Group(g) => row_type(&g.elem),
        Type::Slice(s) => Some(&s.elem),
        _ => vec_elem(ty),
    }
}

/// The row type of a rows parameter (`[F; N]` of `&[[F; N]]`); `None` for other kinds.
pub fn row_of(kind: Kind, ty: &Type) -> Option<TokenStream> {
    matches!(kind, Kind::Rows { .. })
        .then(|| row_type(ty).map(ToTokens::to_token_stream))
        .flatten()
}

/// The type of a parameter's tangent (forward mode).
pub fn tangent_type(kind: Kind, ty: &Type, elem: &Type) -> TokenStream {
    match kind {
        Kind::Scalar | Kind::Array { .. } | Kind::Ref { .. } | Kind::ArrayRef { .. } => {
            ty.to_token_stream()
        }
        Kind::Slice { mutable: false } => quote!(&[#elem]),
        Kind::Slice { mutable: true } => quote!(&mut [#elem]),
        Kind::Rows { mutable } => {
            let row = row_type(ty);
            if mutable {
                quote!(&mut [#row])
            } else {
                quote!(&[#row])
            }
        }
    }
}

/// The type of a parameter's tangent lanes in vector forward mode: `[F; K]` per float. Only the
/// kinds `#[derive_jacobian]` accepts (a scalar, an array `[F; N]`, a slice) are asked for.
pub fn lane_type(kind: Kind, ty: &Type, elem: &Type, k: &proc_macro2::Literal) -> TokenStream {
    match (kind, ty) {
        (Kind::Array { depth: 1 }, Type::Array(a)) => {
            let len = &a.len;
            quote!([[#elem; #k]; #len])
        }
        (Kind::Slice { mutable: false }, _) => quote!(&[[#elem; #k]]),
        (Kind::Slice { mutable: true }, _) => quote!(&mut [[#elem; #k]]),
        (Kind::ArrayRef { depth: 1, mutable }, Type::Reference(r)) => match &*r.elem {
            Type::Array(a) => {
                let (len, m) = (&a.len, mutable.then(|| quote!(mut)));
                quote!(&#m [[#elem; #k]; #len])
            }
            _ => quote!([#elem; #k]),
        },
        _ => quote!([#elem; #k]),
    }
}

/// The type of a by-reference parameter's shadow (reverse mode), into which its adjoint is added.
pub fn shadow_type(kind: Kind, ty: &Type, elem: &Type) -> Option<TokenStream> {
    match kind {
        Kind::Scalar | Kind::Array { .. } => None,
        Kind::Ref { .. } => Some(quote!(&mut #elem)),
        Kind::ArrayRef { .. } => match ty {
            Type::Reference(r) => {
                let inner = &r.elem;
                Some(quote!(&mut #inner))
            }
            _ => None,
        },
        Kind::Slice { .. } => Some(quote!(&mut [#elem])),
        Kind::Rows { .. } => {
            let row = row_type(ty);
            Some(quote!(&mut [#row]))
        }
    }
}

/// One parameter as the transforms see it.
pub struct SigParam {
    /// Its name (a generated one for `_`).
    pub ident: Ident,
    /// Its type.
    pub ty: Type,
    /// Whether it is differentiated.
    pub active: bool,
    /// `mut x: f64`.
    pub mutable: bool,
    /// A `_` parameter, named by the macro.
    pub unnamed: bool,
    /// How it holds its floats (for an active parameter).
    pub kind: Kind,
    /// Its float type.
    pub elem: Type,
}

/// Classifies the parameters. A receiver (`self`) is constant and is not listed.
pub fn params(
    sig: &Signature,
    args: &Args,
    floats: &FloatTypes,
    mode: &str,
    namer: &mut crate::names::Namer,
    errors: &mut Errors,
) -> Vec<SigParam> {
    let mut out = Vec::new();
    for arg in &sig.inputs {
        let FnArg::Typed(pt) = arg else { continue };
        let (ident, mutable, unnamed) = match &*pt.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                (p.ident.clone(), p.mutability.is_some(), false)
            }
            Pat::Wild(_) => (namer.unnamed_param(), false, true),
            other => {
                errors.spanned(
                    other,
                    format!(
                        "{mode} cannot differentiate a parameter bound by a pattern: \
                         bind it to a plain name (`p: {}`) and destructure it in the body",
                        crate::errors::show_type(&pt.ty)
                    ),
                );
                continue;
            }
        };
        let ty = (*pt.ty).clone();
        if let Type::Ptr(ptr) = &ty
            && floats.carries_float(&ptr.elem)
        {
            errors.spanned(
                &pt.ty,
                format!(
                    "{mode} cannot differentiate the parameter `{ident}: *{} {}`: a raw pointer \
                     to floats may alias a differentiated value, and what is read or written \
                     through it would carry no derivative. Pass a reference or a slice (`&f64`, \
                     `&mut [f64]`) instead",
                    if matches!(ptr.mutability, syn::PointerMutability::Mut(_)) {
                        "mut"
                    } else {
                        "const"
                    },
                    crate::errors::show_type(&ptr.elem)
                ),
            );
        }
        let active = match &args.wrt {
            Some(list) => list.contains(&ident),
            None => floats.carries_float(&ty),
        };
        // With `wrt`, a name the macro cannot see to be a float (a type alias) is the user's
        // word, taken as a scalar.
        let classified = classify(&ty, floats);
        let unsupported =
            active && classified.is_none() && (args.wrt.is_none() || floats.carries_float(&ty));
        if unsupported {
            errors.spanned(
                &pt.ty,
                format!(
                    "{mode} cannot differentiate the parameter `{ident}: {}`: the floats it holds \
                     are not in a form the macro knows. Use `f32`/`f64`/`T: Float`, `&F`, `&mut F`, \
                     `[F; N]`, `[[F; N]; M]`, `&[F]`, `&mut [F]`, `&Vec<F>`, `&mut Vec<F>`, or their rows (`&[[F; N]]`, `&[Vec<F>]`), or \
                     list only the float parameters in `wrt(..)`",
                    crate::errors::show_type(&ty)
                ),
            );
        }
        // An unsupported parameter is constant from here on, so it causes this one error only.
        let active = active && !unsupported;
        let (kind, elem) = classified.unwrap_or((Kind::Scalar, ty.clone()));
        out.push(SigParam {
            ident,
            ty,
            active,
            mutable,
            unnamed,
            kind,
            elem,
        });
    }
    if let Some(list) = &args.wrt {
        for name in list {
            if !out.iter().any(|p| &p.ident == name) {
                errors.at(
                    name.span(),
                    format!(
                        "`wrt({name})` names no parameter of `{}`: list only its parameters ({})",
                        sig.ident,
                        out.iter()
                            .map(|p| format!("`{}`", p.ident))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            } else if let Some(p) = out.iter().find(|p| &p.ident == name)
                && is_integer_like(&p.ty)
            {
                errors.spanned(
                    &p.ty,
                    format!(
                        "`wrt({name})` names a parameter that is not a float: only float parameters \
                         can be differentiated; remove `{name}` from `wrt(..)`"
                    ),
                );
            }
        }
    }
    out
}

/// The output's type, or `None` for `()`.
pub fn output(sig: &Signature) -> Option<Type> {
    match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => None,
            ty => Some(ty.clone()),
        },
    }
}
