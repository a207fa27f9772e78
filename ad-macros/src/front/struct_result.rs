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
use syn::Type;

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
        /// A type built by a constructor from its floats in field order, not by a struct
        /// literal (nalgebra's: `<Vector3<f64>>::from_column_slice(&[..])`).
        build: Option<(Box<Type>, &'static str)>,
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
        Shape::Struct {
            build: Some((ty, ctor)),
            fields,
            ..
        } => {
            let ctor = Ident::new(ctor, Span::call_site());
            let parts = fields.iter().map(|(_, s)| build(s, parts));
            quote!(<#ty>::#ctor(&[#(#parts),*]))
        }
        Shape::Struct { name, fields, .. } => {
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
    let last = p.path.segments.last()?;
    let name_of_struct = last.ident.clone();
    let ctor = structs
        .get(&super::nalgebra::canonical(last))
        .and_then(|d| d.build)
        .map(|c| (Box::new(ty.clone()), c));
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
        build: ctor,
    })
}
