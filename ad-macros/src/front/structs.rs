//! Structs as parameters: which fields of a `#[derive(Differentiable)]` struct hold floats (one
//! rule, shared with the derive), the structs a source file declares with the derive, and the
//! flat form of a function over them.
//!
//! A function over structs is differentiated as a flat function over their fields: every field
//! of an active struct parameter becomes a parameter of its own (`p: &Params` with `w: Vec<f64>,
//! b: f64, n: usize` becomes `p__w: &Vec<f64>, p__b: &f64, p__n: &usize`), nested structs field
//! by field (`p__link__angle`), and the body's field reads and writes become reads and writes of
//! those (`p.b` is `(*p__b)`). The pipeline runs on the flat function as on any other; the public
//! `_tangent`, `_vjp` and `_grad` take the structs and call the flat ones (`emit/structs.rs`).
//!
//! Input:  `fn loss(p: &Params, x: f64) -> f64 { p.w[0] * x + p.b }`
//! Output: `fn loss__ad_flat(p__w: &Vec<f64>, p__b: &f64, x: f64) -> f64 { p__w[0] * x + (*p__b) }`

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, FnArg, ItemFn, Pat, Type};

use crate::errors::Errors;

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
            self.0
                .insert(s.ident.to_string(), StructDef { generics, fields });
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
/// Refusals (a struct used other than by its fields, a field the flat form cannot hold) go to
/// `errors`.
pub fn flatten(
    f: &ItemFn,
    args: &TokenStream,
    wrt: Option<&[Ident]>,
    errors: &mut Errors,
) -> Option<Flat> {
    let structs = crate::source::with_source(&f.sig.ident, differentiable_structs, |_, s| {
        Some(s.0.clone())
    })?;
    let mut item = f.clone();
    let mut plans = Vec::new();
    let mut any = false;
    let mut new_inputs = syn::punctuated::Punctuated::<FnArg, syn::Token![,]>::new();
    let mut renames: HashMap<String, (Access, Vec<Leaf>)> = HashMap::new();
    let mut wrt_leaves: HashMap<String, Vec<Ident>> = HashMap::new();
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
                    new_inputs.push(input.clone());
                    plans.push(ParamPlan::Plain);
                    continue;
                }
            },
        };
        let active = wrt.is_none_or(|w| w.contains(&ident));
        let (access, inner) = match &ty {
            Type::Reference(r) if r.mutability.is_some() => (Access::RefMut, &*r.elem),
            Type::Reference(r) => (Access::Ref, &*r.elem),
            other => (Access::Value, other),
        };
        let leaves = if active {
            struct_leaves(inner, &structs, &[], errors, &ty)
        } else {
            None
        };
        let Some(leaves) = leaves else {
            new_inputs.push(input.clone());
            plans.push(ParamPlan::Plain);
            continue;
        };
        any = true;
        for leaf in &leaves {
            let name = leaf.flat_ident(&ident);
            let ty = &leaf.ty;
            let ty: Type = match access {
                Access::Value => ty.clone(),
                Access::Ref => syn::parse_quote!(&#ty),
                Access::RefMut => syn::parse_quote!(&mut #ty),
            };
            new_inputs.push(syn::parse_quote!(#name: #ty));
            if !leaf.constant {
                wrt_leaves.entry(ident.to_string()).or_default().push(name);
            }
        }
        renames.insert(ident.to_string(), (access, leaves.clone()));
        plans.push(ParamPlan::Struct {
            ident,
            ty: Box::new(ty),
            access,
            leaves,
        });
    }
    let result = match &f.sig.output {
        // `-> Self` of a method is the type of its `impl`.
        syn::ReturnType::Type(_, ty) => match (&**ty, &self_ty) {
            (Type::Path(p), Some(Ok(t))) if p.path.is_ident("Self") => syn::parse_str::<Type>(t)
                .ok()
                .and_then(|t| super::struct_result::plan(&t, &structs, errors)),
            _ => super::struct_result::plan(ty, &structs, errors),
        },
        syn::ReturnType::Default => None,
    };
    if !any && result.is_none() {
        return None;
    }
    item.sig.inputs = new_inputs;
    item.sig.ident = format_ident!("{}__ad_flat", f.sig.ident);
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
        super::struct_result::rewrite_tail(&mut item.block, r, errors);
    }
    let mut rewrite = Rewrite {
        renames: &renames,
        errors,
    };
    rewrite.visit_block_mut(&mut item.block);
    let args = rewrite_wrt(args, &wrt_leaves);
    Some(Flat {
        item,
        result,
        args,
        params: plans,
    })
}

/// The leaves of a struct type with the derive (`None` when `ty` is no such struct).
fn struct_leaves(
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
    for (name, field_ty, ty_text, constant) in &fields {
        let constant = *constant;
        let mut path = prefix.to_vec();
        path.push(Ident::new(name, Span::call_site()));
        if !constant && let Some(nested) = struct_leaves(field_ty, structs, &path, errors, at) {
            out.extend(nested);
            continue;
        }
        if !constant && holds_structs(field_ty, structs) {
            errors.spanned(
                at,
                format!(
                    "the field `{name}` holds structs (`{ty_text}`): a `Vec` or array of structs \
                     inside a differentiated struct is not supported yet. Hold the floats in \
                     arrays or `Vec`s of floats"
                ),
            );
        }
        let scalar = !matches!(field_ty, Type::Array(_)) && !is_vec(field_ty);
        out.push(Leaf {
            path,
            ty: field_ty.clone(),
            constant,
            scalar,
        });
    }
    Some(out)
}

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
    let def = structs.get(&last.ident.to_string())?;
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

fn is_vec(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}

/// Whether a type mentions a struct with the derive (`Vec<Link>`, `[Link; 2]`).
fn holds_structs(ty: &Type, structs: &HashMap<String, StructDef>) -> bool {
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
fn substitute(tokens: TokenStream, subst: &HashMap<String, TokenStream>) -> TokenStream {
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
fn rewrite_wrt(args: &TokenStream, leaves: &HashMap<String, Vec<Ident>>) -> TokenStream {
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

/// Rewrites field reads and writes of flattened structs into their flat parameters.
struct Rewrite<'a> {
    renames: &'a HashMap<String, (Access, Vec<Leaf>)>,
    errors: &'a mut Errors,
}

impl Rewrite<'_> {
    /// `p.a.b` as `(p, [a, b])`, if `e` is a chain of named fields on a path.
    fn field_chain(e: &Expr) -> Option<(String, Vec<String>)> {
        match e {
            Expr::Field(f) => {
                let syn::Member::Named(m) = &f.member else {
                    return None;
                };
                let (root, mut path) = Self::field_chain(&f.base)?;
                path.push(m.to_string());
                Some((root, path))
            }
            Expr::Path(p) if p.qself.is_none() => {
                Some((p.path.get_ident()?.to_string(), Vec::new()))
            }
            Expr::Paren(p) => Self::field_chain(&p.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => Self::field_chain(&u.expr),
            _ => None,
        }
    }
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Some((root, path)) = Self::field_chain(e)
            && let Some((access, leaves)) = self.renames.get(&root)
        {
            if path.is_empty() {
                self.errors.spanned(
                    &*e,
                    format!(
                        "the differentiated struct `{root}` is used whole here: not supported yet. \
                         Read and write its fields (`{root}.field`), or pass the fields a helper \
                         needs"
                    ),
                );
                return;
            }
            let hit = leaves.iter().find(|l| {
                l.path.len() == path.len() && l.path.iter().zip(&path).all(|(a, b)| a == b)
            });
            match hit {
                Some(leaf) => {
                    let base = Ident::new(&root, Span::call_site());
                    let name = leaf.flat_ident(&base);
                    let name = Ident::new(&name.to_string(), e_span(e));
                    *e = if leaf.scalar && *access != Access::Value {
                        syn::parse_quote!((*#name))
                    } else {
                        syn::parse_quote!(#name)
                    };
                }
                None => self.errors.spanned(
                    &*e,
                    format!(
                        "`{root}.{}` is not a field of the struct that holds floats or a constant \
                         (a nested struct is read down to its fields)",
                        path.join(".")
                    ),
                ),
            }
            return;
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}

fn e_span(e: &Expr) -> Span {
    use syn::spanned::Spanned;
    e.span()
}
