//! Structs as parameters: which fields of a `#[derive(Differentiable)]` struct hold floats (one
//! rule, shared with the derive), the structs a source file declares with the derive, and the
//! flat form of a function over them.
//!
//! A function over structs is differentiated as a flat function over their fields: every field
//! of an active struct parameter becomes a parameter of its own (`p: &Params` with `w: Vec<f64>,
//! b: f64, n: usize` becomes `p__w: &Vec<f64>, p__b: &f64, p__n: &usize`), nested structs field
//! by field (`p__link__angle`), a slice of structs becomes flat floats (`pos: &[Vec3]` is
//! `pos: &[f64]`), and the body is taken apart over those (`struct_values.rs`: `p.b` is
//! `(*p__b)`, `a - b` the inlined `impl Sub`). The pipeline runs on the flat function as on any
//! other; the public `_tangent`, `_vjp` and `_grad` take the structs and call the flat ones
//! (`emit/structs.rs`).
//!
//! Input:  `fn loss(p: &Params, x: f64) -> f64 { p.w[0] * x + p.b }`
//! Output: `fn loss__ad_flat(p__w: &Vec<f64>, p__b: &f64, x: f64) -> f64 { p__w[0] * x + (*p__b) }`

use std::collections::HashMap;
use std::rc::Rc;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::visit::Visit;
use syn::{Expr, FnArg, ItemFn, Pat, Type};

use super::impls::Impls;
pub(super) use super::struct_types::{
    constant_struct, elements_of, holds_structs, instantiated_fields, is_vec, rewrite_wrt,
    substitute,
};
use super::struct_values::{Binding, Scalarise};
use crate::errors::Errors;

/// The flat form of `f` is named `f` with this suffix (`loss__ad_flat`).
pub const FLAT_SUFFIX: &str = "__ad_flat";

/// Types whose values are constants: they carry no float.
const CONSTANT_TYPES: &[&str] = &[
    "usize",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "bool",
    "char",
    "String",
    "PhantomData",
];

/// Wrappers that hide a float behind sharing, interior mutability or type erasure.
const REFUSED_WRAPPERS: &[&str] = &["Rc", "Arc", "RefCell", "Cell", "Mutex", "RwLock", "Weak"];

/// Whether a field is marked `#[ad(constant)]` (an unknown option is an error in `errors`).
pub fn marked_constant(field: &syn::Field, errors: &mut Errors) -> bool {
    let mut constant = false;
    for a in field.attrs.iter().filter(|a| a.path().is_ident("ad")) {
        let parsed = a.parse_nested_meta(|m| {
            if m.path.is_ident("constant") {
                constant = true;
                Ok(())
            } else {
                Err(m.error("unknown `ad` option: the one option of a field is `constant`"))
            }
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    constant
}

/// Whether a type holds no float: integers, `bool`, `char`, `String`, `&str`, `PhantomData`, `()`.
pub fn constant_type(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| CONSTANT_TYPES.contains(&s.ident.to_string().as_str())),
        Type::Reference(r) => matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")),
        Type::Tuple(t) => t.elems.is_empty(),
        Type::Paren(p) => constant_type(&p.elem),
        _ => false,
    }
}

/// What makes a field's type refused (shared, type-erased or borrowed floats), if anything.
pub fn refused_type(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if REFUSED_WRAPPERS.contains(&name.as_str()) {
                return Some(format!("{name}<..>"));
            }
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                for a in &args.args {
                    if let syn::GenericArgument::Type(t) = a
                        && let Some(r) = refused_type(t)
                    {
                        return Some(r);
                    }
                }
            }
            None
        }
        Type::TraitObject(_) => Some("dyn ..".to_owned()),
        Type::Ptr(_) => Some("*const ..".to_owned()),
        Type::FnPtr(_) => Some("fn(..)".to_owned()),
        Type::Reference(r) if !matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")) => {
            Some("&..".to_owned())
        }
        Type::Array(a) => refused_type(&a.elem),
        Type::Slice(s) => refused_type(&s.elem),
        Type::Paren(p) => refused_type(&p.elem),
        _ => None,
    }
}

/// A struct declared with `#[derive(Differentiable)]`, as text (spans of another parse are not
/// valid in this macro call): its type parameters and its named fields.
#[derive(Clone, Debug)]
pub struct StructDef {
    pub generics: Vec<String>,
    /// `(name, type, constant)`; `None` for a tuple struct (not flattened yet).
    pub fields: Option<Vec<(String, String, bool)>>,
    /// How generated code builds one from its floats in field order, when a struct literal
    /// cannot (a nalgebra type of the prelude: `from_column_slice`).
    pub build: Option<&'static str>,
}

/// The structs with the derive that a file declares, by name, at any depth of inline modules.
pub struct Structs(pub HashMap<String, StructDef>);

/// Reads the structs with `#[derive(.. Differentiable ..)]` of a source file.
pub fn differentiable_structs(file: &syn::File) -> Structs {
    struct Walk(HashMap<String, StructDef>);
    impl<'ast> Visit<'ast> for Walk {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            let derived = s.attrs.iter().any(|a| {
                a.path().is_ident("derive")
                    && quote!(#a)
                        .to_string()
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|w| w == "Differentiable")
            });
            if !derived {
                return;
            }
            let fields = match &s.fields {
                syn::Fields::Named(named) => Some(
                    named
                        .named
                        .iter()
                        .map(|f| {
                            let ty = &f.ty;
                            let constant =
                                marked_constant(f, &mut Errors::default()) || constant_type(ty);
                            (
                                f.ident
                                    .as_ref()
                                    .map(ToString::to_string)
                                    .unwrap_or_default(),
                                quote!(#ty).to_string(),
                                constant,
                            )
                        })
                        .collect(),
                ),
                _ => None,
            };
            let generics = s
                .generics
                .type_params()
                .map(|t| t.ident.to_string())
                .collect();
            self.0.insert(
                s.ident.to_string(),
                StructDef {
                    generics,
                    fields,
                    build: None,
                },
            );
        }
    }
    let mut walk = Walk(HashMap::new());
    walk.visit_file(file);
    Structs(walk.0)
}

/// How a struct parameter is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Value,
    Ref,
    RefMut,
}

/// One field of a flattened struct parameter, at any depth: `p.link.angle` is
/// `path = [link, angle]`, the flat parameter `p__link__angle`.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub path: Vec<Ident>,
    pub ty: Type,
    pub constant: bool,
    /// A float (read through `*` when the struct is borrowed), not an array or `Vec`.
    pub scalar: bool,
    /// A `Vec` of structs (`links: Vec<Link>`): flat floats, `(element type, stride, float
    /// type)`, copied in and out by the wrappers like a slice of structs.
    pub elements: Option<(Type, usize, Type)>,
    /// A float of a type whose fields are reached through `Deref` (nalgebra's `v.x`, `m.m12`):
    /// `(k, at, count)`, the type is `path[..k]`, this float its `at`-th of `count`. Two `&mut`
    /// through `DerefMut` cannot be held at once, so the wrappers take all of them apart in
    /// one pattern (`emit/structs.rs`).
    pub via: Option<(usize, usize, usize)>,
}

/// The methods of a file's inherent `impl`s, by name: the type of their `impl` (`Model<T>`),
/// or, when a name is defined in `impl`s of several types, those types.
pub struct ImplTypes(pub HashMap<String, Result<String, String>>);

/// Reads [`ImplTypes`] from a source file (any depth of modules).
pub fn impl_types(file: &syn::File) -> ImplTypes {
    struct Walk(HashMap<String, Vec<String>>);
    impl<'ast> Visit<'ast> for Walk {
        fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
            if i.trait_.is_some() {
                return;
            }
            let ty = &i.self_ty;
            let ty = quote!(#ty).to_string();
            for item in &i.items {
                if let syn::ImplItem::Fn(f) = item {
                    let seen = self.0.entry(f.sig.ident.to_string()).or_default();
                    if !seen.contains(&ty) {
                        seen.push(ty.clone());
                    }
                }
            }
        }
    }
    let mut walk = Walk(HashMap::new());
    walk.visit_file(file);
    ImplTypes(
        walk.0
            .into_iter()
            .map(|(name, tys)| {
                let found = match tys.as_slice() {
                    [one] => Ok(one.clone()),
                    _ => Err(tys.join(", ")),
                };
                (name, found)
            })
            .collect(),
    )
}

/// A parameter of the original function, as the wrappers pass it on.
#[derive(Clone, Debug)]
pub enum ParamPlan {
    /// Passed as it is.
    Plain,
    /// A slice or `Vec` of structs (`&[Vec3]`, `&mut Vec<Vec3>`), passed as flat floats of the
    /// same name.
    Elements {
        ident: Ident,
        ty: Box<Type>,
        elem: Box<Type>,
        /// The float type of its fields.
        float: Box<Type>,
    },
    /// nalgebra's `DVector<F>` / `DMatrix<F>` by reference, or an ndarray array or view,
    /// passed as its slice (and a matrix's row count, `NAME__rows`: nalgebra's rows, or
    /// ndarray's columns, since its row-major slice is the column-major slice of the transpose).
    Dynamic {
        ident: Ident,
        ty: Box<Type>,
        mutable: bool,
        lib: super::dynamic::Lib,
        /// An ndarray view by value (`ArrayView1<F>`), not a reference.
        view: bool,
    },
    /// An active struct, passed field by field.
    Struct {
        ident: Ident,
        ty: Box<Type>,
        access: Access,
        leaves: Vec<Leaf>,
    },
}

impl Leaf {
    /// The flat parameter's name: `p__link__angle`.
    pub fn flat_ident(&self, base: &Ident) -> Ident {
        let mut name = base.to_string();
        for p in &self.path {
            name.push_str("__");
            name.push_str(&p.to_string());
        }
        Ident::new(&name, base.span())
    }
}

/// The flat form of a function with active struct parameters, or `None` when it has none.
pub struct Flat {
    pub item: ItemFn,
    /// How a struct result is returned, when the function returns one.
    pub result: Option<super::struct_result::ResultPlan>,
    /// The attribute's arguments, with `wrt(p)` of a struct replaced by its float fields.
    pub args: TokenStream,
    pub params: Vec<ParamPlan>,
}

/// The flat form of `f`, when a parameter's type is a struct with the derive declared in `f`'s
/// source file and the parameter is active (listed in `wrt(..)`, or no `wrt` is given).
/// Refusals (a struct value the body cannot take apart, a field the flat form cannot hold) go
/// to `errors`.
pub fn flatten(
    f: &ItemFn,
    args: &TokenStream,
    wrt: Option<&[Ident]>,
    errors: &mut Errors,
) -> Option<Flat> {
    let source = source_of(&f.sig.ident)?;
    let (structs, impls) = (&source.structs, &source.impls);
    let mut item = f.clone();
    let mut plans = Vec::new();
    let mut any = false;
    let mut new_inputs = syn::punctuated::Punctuated::<FnArg, syn::Token![,]>::new();
    let mut bindings: HashMap<String, Binding> = HashMap::new();
    let mut wrt_leaves: HashMap<String, Vec<Ident>> = HashMap::new();
    let mut dynamic = Vec::new();
    let mut dynamic_elem: Option<Type> = None;
    let mut dynamic_constant = Vec::new();
    let mut dynamic_lib = super::dynamic::Lib::Nalgebra;
    // The type `Self` stands for, when `f` is a method of an inherent `impl` of the file.
    let self_ty = f.sig.receiver().and_then(|_| {
        let name = f.sig.ident.unraw().to_string();
        crate::source::with_source(&f.sig.ident, impl_types, |_, t| t.0.get(&name).cloned())
    });
    for input in &f.sig.inputs {
        let (ident, ty) = match input {
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) => (pi.ident.clone(), (*pt.ty).clone()),
                _ => {
                    new_inputs.push(input.clone());
                    continue;
                }
            },
            // `&self` is `self: &Self`, with `Self` the type of the `impl`.
            FnArg::Receiver(r) => match self_ty.as_ref().and_then(|t| t.as_ref().ok()) {
                Some(t) if wrt.is_some_and(|w| w.iter().any(|x| x == "self")) => {
                    let t: Type = syn::parse_str(t).ok()?;
                    let ty: Type = match &r.kind {
                        syn::ReceiverKind::Reference(_, _, Some(_)) => syn::parse_quote!(&mut #t),
                        syn::ReceiverKind::Reference(..) => syn::parse_quote!(&#t),
                        _ => t,
                    };
                    (Ident::new("self", Span::call_site()), ty)
                }
                _ => {
                    if wrt.is_some_and(|w| w.iter().any(|x| x == "self")) {
                        let why = match &self_ty {
                            Some(Err(types)) => format!(
                                "the method's name is used in `impl`s of several types ({types}), \
                                 so the macro cannot tell which type `self` is: rename the method"
                            ),
                            _ => "the type of `self` does not derive `Differentiable` in this \
                                  file: derive it, or differentiate with respect to the fields \
                                  passed as parameters"
                                .to_owned(),
                        };
                        errors.spanned(r, format!("`wrt(self)`: {why}"));
                    }
                    if let Some(Ok(t)) = &self_ty
                        && let Ok(t) = syn::parse_str::<Type>(t)
                        && let Some(b) = constant_struct(&r.self_token.into(), &t, structs)
                    {
                        bindings.insert("self".to_owned(), b);
                    }
                    new_inputs.push(input.clone());
                    plans.push(ParamPlan::Plain);
                    continue;
                }
            },
        };
        let active = wrt.is_none_or(|w| w.contains(&ident));
        if let Some(dt) = super::dynamic::dynamic_type(&ty).filter(|d| match d.lib {
            super::dynamic::Lib::Nalgebra => source.nalgebra,
            super::dynamic::Lib::Ndarray => source.ndarray,
        }) {
            let super::dynamic::DynType {
                lib,
                matrix,
                elem,
                mutable,
                view,
            } = dt;
            any = true;
            let flat: Type = if mutable {
                syn::parse_quote!(&mut [#elem])
            } else {
                syn::parse_quote!(&[#elem])
            };
            new_inputs.push(syn::parse_quote!(#ident: #flat));
            let shape = if matrix {
                let rows = super::dynamic::rows_ident(&ident);
                new_inputs.push(syn::parse_quote!(#rows: usize));
                super::dynamic::Shape::Matrix { rows }
            } else {
                super::dynamic::Shape::Vector
            };
            dynamic.push((ident.clone(), shape));
            if !active {
                dynamic_constant.push(ident.to_string());
            }
            dynamic_elem.get_or_insert(elem);
            dynamic_lib = lib;
            plans.push(ParamPlan::Dynamic {
                ident,
                ty: Box::new(ty),
                mutable,
                lib,
                view,
            });
            continue;
        }
        let (access, inner) = match &ty {
            Type::Reference(r) if r.mutability.is_some() => (Access::RefMut, &*r.elem),
            Type::Reference(r) => (Access::Ref, &*r.elem),
            other => (Access::Value, other),
        };
        // A slice of structs is flat floats whether or not it is differentiated: the body
        // reads its elements as struct values either way (`r * p[i]` with a constant `p`).
        // A constant one that cannot be held as flat floats stays as written.
        let mut refused = Errors::default();
        let found = elements_of(inner, structs, &mut refused, &ty);
        if active {
            errors.extend(refused);
        } else if !refused.is_empty() {
            new_inputs.push(input.clone());
            plans.push(ParamPlan::Plain);
            continue;
        }
        if let Some((elem, stride, float)) = found {
            any = true;
            let flat: Type = match access {
                Access::RefMut => syn::parse_quote!(&mut [#float]),
                _ => syn::parse_quote!(&[#float]),
            };
            new_inputs.push(syn::parse_quote!(#ident: #flat));
            wrt_leaves
                .entry(ident.to_string())
                .or_default()
                .push(ident.clone());
            bindings.insert(
                ident.to_string(),
                Binding::Memory {
                    name: ident.clone(),
                    elem: elem.clone(),
                    stride,
                },
            );
            plans.push(ParamPlan::Elements {
                ident,
                ty: Box::new(ty),
                elem: Box::new(elem),
                float: Box::new(float),
            });
            continue;
        }
        let leaves = if active {
            struct_leaves(inner, structs, &[], errors, &ty)
        } else {
            None
        };
        let Some(leaves) = leaves else {
            if let Some(b) = constant_struct(&ident, &ty, structs) {
                bindings.insert(ident.to_string(), b);
            }
            new_inputs.push(input.clone());
            plans.push(ParamPlan::Plain);
            continue;
        };
        any = true;
        for leaf in &leaves {
            let name = leaf.flat_ident(&ident);
            let ty = &leaf.ty;
            let ty: Type = match (access, &leaf.elements) {
                (Access::Value, None) => ty.clone(),
                (Access::Ref, None) => syn::parse_quote!(&#ty),
                (Access::RefMut, None) => syn::parse_quote!(&mut #ty),
                // A `Vec` of structs: flat floats, a memory binding of the body.
                (_, Some((elem, stride, float))) => {
                    if access == Access::Value {
                        errors.spanned(
                            &ident,
                            "a struct holding a `Vec` of structs is differentiated by reference \
                             (`&S` or `&mut S`), not by value",
                        );
                    }
                    bindings.insert(
                        name.to_string(),
                        Binding::Memory {
                            name: name.clone(),
                            elem: elem.clone(),
                            stride: *stride,
                        },
                    );
                    match access {
                        Access::RefMut => syn::parse_quote!(&mut [#float]),
                        _ => syn::parse_quote!(&[#float]),
                    }
                }
            };
            new_inputs.push(syn::parse_quote!(#name: #ty));
            if !leaf.constant {
                wrt_leaves.entry(ident.to_string()).or_default().push(name);
            }
        }
        bindings.insert(
            ident.to_string(),
            Binding::Value {
                ty: inner.clone(),
                leaves: leaves
                    .iter()
                    .map(|l| {
                        let name = l.flat_ident(&ident);
                        let e: Expr = if l.scalar && access != Access::Value {
                            syn::parse_quote!((*#name))
                        } else {
                            syn::parse_quote!(#name)
                        };
                        (l.path.iter().map(ToString::to_string).collect(), e)
                    })
                    .collect(),
            },
        );
        plans.push(ParamPlan::Struct {
            ident,
            ty: Box::new(ty),
            access,
            leaves,
        });
    }
    if let syn::ReturnType::Type(_, ty) = &f.sig.output
        && (source.nalgebra || source.ndarray)
        && super::dynamic::dynamic_type(&syn::parse_quote!(&#ty)).is_some()
    {
        errors.spanned(
            ty,
            "returning a `DVector`, `DMatrix` or ndarray array is not supported yet: write the \
             result into a `&mut` parameter (`out.copy_from(&(a * x))`, `out.assign(..)`), or \
             return floats",
        );
    }
    let result = match &f.sig.output {
        // `-> Self` of a method is the type of its `impl`.
        syn::ReturnType::Type(_, ty) => match (&**ty, &self_ty) {
            (Type::Path(p), Some(Ok(t))) if p.path.is_ident("Self") => syn::parse_str::<Type>(t)
                .ok()
                .and_then(|t| super::struct_result::plan(&t, structs, errors)),
            _ => super::struct_result::plan(ty, structs, errors),
        },
        syn::ReturnType::Default => None,
    };
    if !any && result.is_none() {
        return None;
    }
    item.sig.inputs = new_inputs;
    item.sig.ident = format_ident!("{}{}", f.sig.ident, FLAT_SUFFIX);
    // A method taken apart has no receiver left: `Self` in its bounds keeps it an associated
    // function of the `impl` (a function mentioning `Self` is not taken for a free one).
    if f.sig.receiver().is_some() && item.sig.receiver().is_none() {
        item.sig
            .generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(Self: Sized));
    }
    if let Some(r) = &result {
        let flat_ty = r.flat_type();
        item.sig.output = syn::parse_quote!(-> #flat_ty);
    }
    if let Some(elem) = dynamic_elem {
        super::dynamic::Dynamic::new(dynamic, dynamic_constant, dynamic_lib, elem, errors)
            .block(&mut item.block);
    }
    let mut walk = Scalarise::new(structs, impls, errors, bindings);
    walk.array_refs = item
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(pt) => match (&*pt.pat, &*pt.ty) {
                (Pat::Ident(pi), Type::Reference(r)) if matches!(&*r.elem, Type::Array(_)) => {
                    Some(pi.ident.to_string())
                }
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect();
    walk.self_ty = self_ty
        .as_ref()
        .and_then(|t| t.as_ref().ok())
        .and_then(|t| syn::parse_str(t).ok());
    let mut stmts = std::mem::take(&mut item.block.stmts);
    let tail = match (&result, stmts.last()) {
        (Some(_), Some(syn::Stmt::Expr(_, None))) => stmts.pop(),
        _ => None,
    };
    item.block.stmts = walk.stmts(stmts);
    match (&result, tail) {
        (Some(_), Some(syn::Stmt::Expr(e, None))) => {
            let e = walk.tail_tuple(&e);
            item.block.stmts.push(syn::Stmt::Expr(e, None));
        }
        (Some(r), _) => walk.errors.at(
            f.sig.ident.span(),
            format!(
                "the function returns the struct `{}`: end its body with a value of it",
                crate::errors::show_type(&r.ty)
            ),
        ),
        _ => {}
    }
    let args = rewrite_wrt(args, &wrt_leaves);
    Some(Flat {
        item,
        result,
        args,
        params: plans,
    })
}

/// The leaves of a struct type with the derive (`None` when `ty` is no such struct).
pub(super) fn struct_leaves(
    ty: &Type,
    structs: &HashMap<String, StructDef>,
    prefix: &[Ident],
    errors: &mut Errors,
    at: &Type,
) -> Option<Vec<Leaf>> {
    let Ok(fields) = instantiated_fields(ty, structs)? else {
        errors.spanned(
            at,
            "a tuple struct as a differentiated parameter is not supported yet: name its fields",
        );
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    let deref = matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|l| {
        structs.get(&super::nalgebra::canonical(l)).is_some_and(|d| d.build.is_some())
    }));
    for (position, (name, field_ty, ty_text, constant)) in fields.iter().enumerate() {
        let constant = *constant;
        let mut path = prefix.to_vec();
        path.push(Ident::new(name, Span::call_site()));
        if !constant && let Some(nested) = struct_leaves(field_ty, structs, &path, errors, at) {
            out.extend(nested);
            continue;
        }
        let mut elements = None;
        if !constant && holds_structs(field_ty, structs) {
            elements = elements_of(field_ty, structs, errors, at);
            if elements.is_none() {
                errors.spanned(
                    at,
                    format!(
                        "the field `{name}` holds structs (`{ty_text}`): inside a \
                         differentiated struct, only a `Vec` of structs whose fields are all \
                         floats of one type is supported. Hold the floats in arrays or `Vec`s \
                         of floats"
                    ),
                );
            }
        }
        let scalar = !matches!(field_ty, Type::Array(_)) && !is_vec(field_ty);
        out.push(Leaf {
            path,
            ty: field_ty.clone(),
            constant,
            scalar,
            elements,
            via: deref.then_some((prefix.len(), position, fields.len())),
        });
    }
    Some(out)
}

/// The structs with the derive of `ident`'s source file and the functions over them the macro
/// inlines.
pub struct StructSource {
    pub structs: HashMap<String, StructDef>,
    pub impls: Impls,
    /// The file uses nalgebra (its `DVector` / `DMatrix` parameters are taken apart).
    pub nalgebra: bool,
    /// The file uses ndarray (its `Array1` / `Array2` / views are taken apart).
    pub ndarray: bool,
}

fn read_source(file: &syn::File) -> Rc<StructSource> {
    let mut structs = differentiable_structs(file).0;
    // nalgebra's types, where the file uses them and does not define a struct of that name.
    let prelude = super::nalgebra::prelude(file);
    if let Some(p) = &prelude {
        for (name, mut def) in differentiable_structs(p).0 {
            def.build = Some(if name.starts_with("Point") {
                "from_slice"
            } else {
                "from_column_slice"
            });
            structs.entry(name).or_insert(def);
        }
    }
    let names: Vec<String> = structs.keys().cloned().collect();
    let mut impls = super::impls::read(file, &names);
    if let Some(p) = &prelude {
        impls.merge(super::impls::read(p, &names));
    }
    Rc::new(StructSource {
        structs,
        impls,
        nalgebra: prelude.is_some(),
        ndarray: super::nalgebra::names_crate(file, "ndarray"),
    })
}

/// The structs and inlinable functions of the file `ident` is written in (`None` outside a
/// compilation without a test text, or when the file declares no differentiable struct).
fn source_of(ident: &Ident) -> Option<Rc<StructSource>> {
    crate::source::with_source(ident, read_source, |_, s| {
        (!s.structs.is_empty() || s.nalgebra || s.ndarray).then(|| Rc::clone(s))
    })
}

/// A function without struct parameters or result whose body creates or uses struct values
/// (`let d = Vec3::new(..)`, `a.dot(b)`): its body taken apart, `None` when it has no struct
/// value.
pub fn struct_locals(f: &ItemFn, errors: &mut Errors) -> Option<ItemFn> {
    let source = source_of(&f.sig.ident)?;
    let mut item = f.clone();
    let self_ty: Option<Type> = f.sig.receiver().and_then(|_| {
        let name = f.sig.ident.unraw().to_string();
        crate::source::with_source(&f.sig.ident, impl_types, |_, t| t.0.get(&name).cloned())
            .and_then(Result::ok)
            .and_then(|t| syn::parse_str(&t).ok())
    });
    // Every parameter is a constant here (none is a differentiated struct).
    let mut constants = HashMap::new();
    for input in &f.sig.inputs {
        let (ident, ty) = match input {
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) => (pi.ident.clone(), (*pt.ty).clone()),
                _ => continue,
            },
            FnArg::Receiver(r) => match &self_ty {
                Some(t) => (r.self_token.into(), t.clone()),
                None => continue,
            },
        };
        if let Some(b) = constant_struct(&ident, &ty, &source.structs) {
            constants.insert(ident.to_string(), b);
        }
    }
    let mut walk = Scalarise::new(&source.structs, &source.impls, errors, constants);
    walk.self_ty = self_ty;
    walk.block(&mut item.block);
    walk.touched.then_some(item)
}
