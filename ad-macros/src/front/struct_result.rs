//! A struct as a function's result: the flat function returns the struct's floats as a tuple, in
//! field order, and the wrappers (`emit/structs.rs`) build the struct back from it (the value
//! and the tangent), or take the seed apart into it.
//!
//! Input:  `fn step(s: State, dt: f64) -> State { State { v: s.v - s.x * dt, ..s } }`
//! Output: `fn step__ad_flat(s__x: f64, s__v: f64, dt: f64) -> (f64, f64) { (s__x, s__v - s__x * dt) }`
//!
//! The struct is built by a struct literal at the end of the body (also at the end of each arm
//! of an `if` or `match` there), with `..base` taking the fields it does not name from a struct
//! parameter. Its fields must all be floats, arrays of floats or nested structs of them.

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{Expr, Type};

use super::structs::{StructDef, instantiated_fields};
use crate::errors::Errors;

/// The shape of a result struct: its fields in order, each a float (or array) or a nested
/// struct.
#[derive(Clone, Debug)]
pub enum Shape {
    Leaf(Box<Type>),
    Struct {
        name: Ident,
        fields: Vec<(Ident, Shape)>,
    },
}

/// How a function returns a struct.
#[derive(Clone, Debug)]
pub struct ResultPlan {
    /// The struct type as the signature writes it.
    pub ty: Box<Type>,
    pub shape: Shape,
}

impl ResultPlan {
    /// The paths of the leaves, in order: `[[x], [link, angle]]`.
    pub fn paths(&self) -> Vec<Vec<Ident>> {
        fn walk(s: &Shape, prefix: &mut Vec<Ident>, out: &mut Vec<Vec<Ident>>) {
            match s {
                Shape::Leaf(_) => out.push(prefix.clone()),
                Shape::Struct { fields, .. } => {
                    for (name, f) in fields {
                        prefix.push(name.clone());
                        walk(f, prefix, out);
                        prefix.pop();
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.shape, &mut Vec::new(), &mut out);
        out
    }

    /// The flat function's result type: the leaves' types as a tuple (one leaf: its type).
    pub fn flat_type(&self) -> Type {
        fn walk(s: &Shape, out: &mut Vec<Type>) {
            match s {
                Shape::Leaf(t) => out.push((**t).clone()),
                Shape::Struct { fields, .. } => fields.iter().for_each(|(_, f)| walk(f, out)),
            }
        }
        let mut tys = Vec::new();
        walk(&self.shape, &mut tys);
        match tys.as_slice() {
            [one] => one.clone(),
            _ => syn::parse_quote!((#(#tys),*)),
        }
    }

    /// How many leaves the struct has.
    pub fn count(&self) -> usize {
        self.paths().len()
    }

    /// The struct literal built from `flat`, a value of the flat result type.
    pub fn literal(&self, flat: &TokenStream) -> TokenStream {
        let count = self.count();
        let mut parts = (0..count).map(|k| {
            if count == 1 {
                flat.clone()
            } else {
                let k = syn::Index::from(k);
                quote!(#flat.#k)
            }
        });
        build(&self.shape, &mut parts)
    }
}

fn build(shape: &Shape, parts: &mut impl Iterator<Item = TokenStream>) -> TokenStream {
    match shape {
        Shape::Leaf(_) => parts.next().unwrap_or_default(),
        Shape::Struct { name, fields } => {
            let fields = fields.iter().map(|(f, s)| {
                let v = build(s, parts);
                quote!(#f: #v)
            });
            quote!(#name { #(#fields),* })
        }
    }
}

/// The plan of a result of type `ty` when it is a struct with the derive; refusals (a field
/// that is a constant or a `Vec`) go to `errors`.
pub fn plan(
    ty: &Type,
    structs: &HashMap<String, StructDef>,
    errors: &mut Errors,
) -> Option<ResultPlan> {
    let shape = shape_of(ty, structs, errors, ty)?;
    Some(ResultPlan {
        ty: Box::new(ty.clone()),
        shape,
    })
}

fn shape_of(
    ty: &Type,
    structs: &HashMap<String, StructDef>,
    errors: &mut Errors,
    at: &Type,
) -> Option<Shape> {
    let Ok(fields) = instantiated_fields(ty, structs)? else {
        errors.spanned(
            at,
            "a tuple struct as a result is not supported yet: name its fields",
        );
        return Some(Shape::Leaf(Box::new(ty.clone())));
    };
    let Type::Path(p) = ty else {
        return None;
    };
    let name_of_struct = p.path.segments.last()?.ident.clone();
    let mut out = Vec::new();
    for (name, field_ty, ty_text, constant) in &fields {
        let ident = Ident::new(name, Span::call_site());
        if *constant
            || matches!(&field_ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
        {
            errors.spanned(
                at,
                format!(
                    "cannot differentiate the result `{}`: its field `{name}: {ty_text}` is a \
                     constant or a `Vec`, which a returned struct cannot hold yet. Return a struct \
                     of floats and arrays of floats, or the floats as a tuple",
                    crate::errors::show_type(at)
                ),
            );
            continue;
        }
        let shape = shape_of(field_ty, structs, errors, at)
            .unwrap_or_else(|| Shape::Leaf(Box::new(field_ty.clone())));
        out.push((ident, shape));
    }
    Some(Shape::Struct {
        name: name_of_struct,
        fields: out,
    })
}

/// Rewrites the struct literals that end `block` (and the arms of an `if` or `match` ending it)
/// into tuples of the result's leaves. Field values stay as written (`p.x` is flattened later);
/// `..base` supplies the fields a literal does not name, read from `base`.
pub fn rewrite_tail(block: &mut syn::Block, plan: &ResultPlan, errors: &mut Errors) {
    match block.stmts.last_mut() {
        Some(syn::Stmt::Expr(e, None)) => rewrite_expr(e, plan, errors),
        _ => errors.at(
            block.brace_token.span.join(),
            format!(
                "the body must end with the `{}` it returns, built by a struct literal",
                crate::errors::show_type(&plan.ty)
            ),
        ),
    }
}

fn rewrite_expr(e: &mut Expr, plan: &ResultPlan, errors: &mut Errors) {
    match e {
        Expr::Struct(_) => {
            let Expr::Struct(lit) = &*e else {
                return;
            };
            let mut parts = Vec::new();
            leaves_of_literal(lit, &plan.shape, None, &mut parts, errors);
            *e = match parts.as_slice() {
                [one] => syn::parse_quote!(#one),
                _ => syn::parse_quote!((#(#parts),*)),
            };
        }
        Expr::If(i) => {
            rewrite_tail(&mut i.then_branch, plan, errors);
            match &mut i.else_branch {
                Some((_, els)) => rewrite_expr(els, plan, errors),
                None => errors.spanned(&*i, "an `if` that returns a struct needs an `else`"),
            }
        }
        Expr::Block(b) => rewrite_tail(&mut b.block, plan, errors),
        Expr::Match(m) => {
            for arm in &mut m.arms {
                rewrite_expr(&mut arm.body, plan, errors);
            }
        }
        Expr::Paren(p) => rewrite_expr(&mut p.expr, plan, errors),
        other => errors.spanned(
            &*other,
            format!(
                "cannot differentiate the result `{}`: a function returning the struct `{}` \
                 builds it by a struct literal at the end of its body (`..base` allowed). Write \
                 `{} {{ field: .., .. }}` there",
                crate::errors::show(&*other),
                crate::errors::show_type(&plan.ty),
                crate::errors::show_type(&plan.ty),
            ),
        ),
    }
}

/// The leaves of the struct literal `lit` of shape `shape`, in order; `base` is the expression
/// the fields it does not name come from (`..base`, or the enclosing literal's base).
fn leaves_of_literal(
    lit: &syn::ExprStruct,
    shape: &Shape,
    outer_base: Option<&Expr>,
    out: &mut Vec<Expr>,
    errors: &mut Errors,
) {
    let Shape::Struct { fields, .. } = shape else {
        return;
    };
    let base = lit.rest.as_deref().or(outer_base);
    for (name, field_shape) in fields {
        let given = lit.fields.iter().find(|f| match &f.member {
            syn::Member::Named(m) => m == name,
            syn::Member::Unnamed(_) => false,
        });
        match (given, field_shape) {
            (Some(f), Shape::Struct { .. }) => match &f.expr {
                Expr::Struct(inner) => {
                    let inner_base: Option<Expr> = base.map(|b| syn::parse_quote!((#b).#name));
                    leaves_of_literal(inner, field_shape, inner_base.as_ref(), out, errors);
                }
                other => {
                    // A nested struct given whole: its leaves read from it.
                    leaves_from(other, field_shape, out);
                }
            },
            (Some(f), Shape::Leaf(_)) => out.push(f.expr.clone()),
            (None, _) => match base {
                Some(b) => {
                    let from: Expr = syn::parse_quote!((#b).#name);
                    leaves_from(&from, field_shape, out);
                }
                None => {
                    errors.spanned(
                        &lit.path,
                        format!("the field `{name}` is missing from the struct literal"),
                    );
                    return;
                }
            },
        }
    }
}

/// The leaves of `e`, a struct of shape `shape`, read field by field.
fn leaves_from(e: &Expr, shape: &Shape, out: &mut Vec<Expr>) {
    match shape {
        // An array is read element by element (`[s.u[0], s.u[1]]`): an array passed on whole
        // would come from a borrowed base as a reference, and its adjoint would not flow back.
        Shape::Leaf(ty) => match &**ty {
            Type::Array(a) if let Some(n) = array_len(&a.len) => {
                let elems = (0..n).map(|k| {
                    let k = syn::Index::from(k);
                    quote!((#e)[#k])
                });
                out.push(syn::parse_quote!([#(#elems),*]));
            }
            _ => out.push(e.clone()),
        },
        Shape::Struct { fields, .. } => {
            for (name, f) in fields {
                let inner: Expr = syn::parse_quote!((#e).#name);
                leaves_from(&inner, f, out);
            }
        }
    }
}

/// The length of an array type written as an integer literal.
fn array_len(e: &Expr) -> Option<usize> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}
