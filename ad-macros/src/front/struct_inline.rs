//! Inlining the functions of a file's differentiable structs where a body calls them: the
//! operators (`a - b` through `impl Sub for Vec3`), methods (`v.norm()`, `s.step(dt)` with
//! `&mut self`), associated functions (`Vec3::new(x, y, z)`) and free functions of the file over
//! the structs. Each parameter is bound to its argument's leaves (fresh locals where the argument
//! is more than a name), the body is taken apart in a scope of its own, and its result is a
//! struct value, a float expression or a block of statements.
//!
//! Input:  `(a - b).norm()` with `fn norm(self) -> f64 { self.dot(self).sqrt() }`
//! Output: `{ let __st_s1 = a__x - b__x; ..; (__st_s1 * __st_s1 + ..).sqrt() }`

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, Stmt, Type};

use super::impls::{FnDef, Operand, type_name};
use super::struct_exprs::bin_op;
use super::struct_values::{Binding, Leaf, SVal, Scalarise, mentions, respan, simple};
use super::syntax::pattern_names;

/// An argument of an inlined function.
pub enum Arg {
    /// A struct value.
    Struct(SVal),
    /// A struct written in place (`&mut self`, `&mut S`): its leaves as places.
    Place(Vec<Leaf>),
    /// A slice of structs: the flat memory's name, the element type and the stride.
    Memory(proc_macro2::Ident, Type, usize),
    /// Anything else, rewritten.
    Scalar(Expr),
}

/// What an inlined call yields.
pub enum Inlined {
    Value(SVal),
    Scalar(Expr),
    Unit(syn::Block),
}

impl Scalarise<'_> {
    /// The method `name` of the struct type `recv` (inherent first, then traits).
    pub fn method(&self, recv: &Type, name: &str) -> Option<FnDef> {
        let t = type_name(recv)?;
        self.impls.methods.get(&(t, name.to_owned())).cloned()
    }

    /// The `impl` of `-v` (`"neg"`) or `v[i]` (`"index"`) for the struct type `t`.
    pub fn unary_impl(&self, t: &Type, op: &str) -> Option<FnDef> {
        let key = (
            Operand::Struct(type_name(t).unwrap_or_default()),
            op.to_owned(),
            Operand::Scalar,
        );
        self.impls.operators.get(&key).cloned()
    }

    /// The inlinable function a call's path names: `Vec3::new`, `Self::zero`, `spring_force`;
    /// with the struct type of an associated function.
    pub fn callee(&self, func: &Expr) -> Option<(FnDef, Option<Type>)> {
        let Expr::Path(p) = func else { return None };
        let segs: Vec<_> = p.path.segments.iter().collect();
        match segs.as_slice() {
            [s, f] => {
                let ty: Type = match &self.self_ty {
                    Some(t) if s.ident == "Self" => t.clone(),
                    _ => syn::parse_str(&s.ident.to_string()).ok()?,
                };
                let def = self.method(&ty, &f.ident.to_string())?;
                Some((def, Some(ty)))
            }
            [f] if self.lookup(&f.ident.to_string()).is_none() => self
                .impls
                .free
                .get(&f.ident.to_string())
                .map(|d| (d.clone(), None)),
            _ => None,
        }
    }

    /// The signature and body of `def` with the `impl`'s type parameters as `recv` instantiates
    /// them, and `Self` as the `impl`'s type (its bare name in the body).
    fn instantiate(
        &self,
        def: &FnDef,
        recv: Option<&Type>,
    ) -> Option<(syn::Signature, syn::Block)> {
        let key = (def.item.clone(), recv.map(|t| quote!(#t).to_string()));
        if let Some(hit) = self.instantiated.borrow().get(&key) {
            return hit.clone();
        }
        let made = self.instantiate_uncached(def, recv);
        self.instantiated.borrow_mut().insert(key, made.clone());
        made
    }

    fn instantiate_uncached(
        &self,
        def: &FnDef,
        recv: Option<&Type>,
    ) -> Option<(syn::Signature, syn::Block)> {
        let item: syn::ItemFn = syn::parse_str(&def.item).ok()?;
        let mut subst: HashMap<String, TokenStream> = HashMap::new();
        let impl_ty: Option<Type> = def.self_ty.as_ref().and_then(|t| syn::parse_str(t).ok());
        if let (Some(Type::Path(ip)), Some(Type::Path(rp))) = (&impl_ty, recv.map(strip_ref)) {
            let args = |p: &syn::TypePath| -> Vec<TokenStream> {
                match p.path.segments.last().map(|s| &s.arguments) {
                    Some(syn::PathArguments::AngleBracketed(a)) => {
                        a.args.iter().map(|g| quote!(#g)).collect()
                    }
                    _ => Vec::new(),
                }
            };
            for (i, r) in args(ip).into_iter().zip(args(rp)) {
                let name = i.to_string();
                if def.generics.contains(&name) {
                    subst.insert(name, r);
                }
            }
        }
        let substitute = super::structs::substitute;
        let mut sig_subst = subst.clone();
        if let Some(t) = &impl_ty {
            let t = substitute(quote!(#t), &subst);
            sig_subst.insert("Self".to_owned(), t);
        }
        if let Some(name) = impl_ty.as_ref().and_then(type_name) {
            let name: TokenStream = name.parse().ok()?;
            subst.insert("Self".to_owned(), name);
        }
        let sig = &item.sig;
        let block = &item.block;
        let sig: syn::Signature = syn::parse2(substitute(quote!(#sig), &sig_subst)).ok()?;
        let block: syn::Block = syn::parse2(substitute(quote!(#block), &subst)).ok()?;
        Some((sig, block))
    }

    /// Whether the method `def` takes `&mut self`.
    pub fn takes_mut_self(&self, def: &FnDef, recv: &Type) -> bool {
        self.instantiate(def, Some(recv)).is_some_and(|(sig, _)| {
            sig.receiver()
                .is_some_and(|r| matches!(r.kind, syn::ReceiverKind::Reference(_, _, Some(_))))
        })
    }

    /// The struct type `def` returns, if it returns one.
    pub fn returns_struct(&self, def: &FnDef, recv: Option<&Type>) -> Option<Type> {
        let (sig, _) = self.instantiate(def, recv)?;
        match sig.output {
            syn::ReturnType::Type(_, t) => self.is_struct(&t).then_some(*t),
            syn::ReturnType::Default => None,
        }
    }

    /// The call `e` (method, operator, negation, associated or free function) inlined.
    pub fn call(&mut self, e: &Expr) -> Option<Inlined> {
        match e {
            Expr::MethodCall(m) => {
                let recv_ty = self.struct_type(&m.receiver)?;
                let name = m.method.to_string();
                let Some(def) = self.method(&recv_ty, &name) else {
                    let nalgebra = type_name(&recv_ty)
                        .and_then(|t| self.structs.get(&t))
                        .is_some_and(|d| d.build.is_some());
                    let why = if nalgebra {
                        super::nalgebra::UNKNOWN_METHOD
                    } else {
                        "it inlines the methods written in this file's `impl` blocks of the struct"
                    };
                    self.errors.spanned(
                        &m.method,
                        format!(
                            "`{name}` is not a method of `{}` that the macro can see: {why}",
                            crate::errors::show_type(&recv_ty)
                        ),
                    );
                    return None;
                };
                let recv = if self.takes_mut_self(&def, &recv_ty) {
                    match self.place(&m.receiver) {
                        Some((pre, leaves)) if pre.is_empty() => Arg::Place(leaves),
                        Some((pre, leaves)) => {
                            let out = self.inline_args(&def, &recv_ty, Arg::Place(leaves), m, e)?;
                            return Some(prefix(pre, Some(out)));
                        }
                        None => {
                            self.errors.spanned(
                                &m.receiver,
                                "a method taking `&mut self` needs a struct it can write: a \
                                 local, a `&mut` parameter or an element of a slice of structs",
                            );
                            return None;
                        }
                    }
                } else {
                    Arg::Struct(self.value(&m.receiver))
                };
                self.inline_args(&def, &recv_ty, recv, m, e)
            }
            Expr::Binary(b) => {
                let op = bin_op(&b.op)?;
                let lt = self.struct_type(&b.left);
                let rt = self.struct_type(&b.right);
                let key = |t: &Option<Type>| match t {
                    Some(t) => Operand::Struct(type_name(t).unwrap_or_default()),
                    None => Operand::Scalar,
                };
                let Some(def) = self
                    .impls
                    .operators
                    .get(&(key(&lt), op.to_owned(), key(&rt)))
                    .cloned()
                else {
                    self.errors.spanned(
                        e,
                        format!(
                            "no `impl {}` for these operands in this file: the macro inlines the \
                             operators written next to the struct",
                            super::struct_exprs::trait_of(op)
                        ),
                    );
                    return None;
                };
                let (l, r) = (self.arg(&b.left), self.arg(&b.right));
                let recv = lt.or(rt);
                self.inline(&def, recv.as_ref(), Some(l), vec![r], e)
            }
            Expr::Unary(u) => {
                let t = self.struct_type(&u.expr)?;
                let Some(def) = self.unary_impl(&t, "neg") else {
                    self.errors
                        .spanned(e, "no `impl Neg` for this struct in this file");
                    return None;
                };
                let a = self.arg(&u.expr);
                self.inline(&def, Some(&t), Some(a), Vec::new(), e)
            }
            Expr::Call(c) => {
                let (def, self_ty) = self.callee(&c.func)?;
                let args = c.args.iter().map(|a| self.arg(a)).collect();
                self.inline(&def, self_ty.as_ref(), None, args, e)
            }
            Expr::Index(i) => {
                let t = self.struct_type(&i.expr)?;
                let Some(def) = self.unary_impl(&t, "index") else {
                    self.errors.spanned(
                        e,
                        "no `impl Index<usize>` for this struct in this file: read its fields",
                    );
                    return None;
                };
                let (v, k) = (self.arg(&i.expr), self.arg(&i.index));
                self.inline(&def, Some(&t), Some(v), vec![k], e)
            }
            _ => None,
        }
    }

    fn inline_args(
        &mut self,
        def: &FnDef,
        recv_ty: &Type,
        recv: Arg,
        m: &syn::ExprMethodCall,
        e: &Expr,
    ) -> Option<Inlined> {
        let args = m.args.iter().map(|a| self.arg(a)).collect();
        self.inline(def, Some(recv_ty), Some(recv), args, e)
    }

    /// `def`'s body with its parameters bound to `args` (the receiver or left operand first).
    pub fn inline(
        &mut self,
        def: &FnDef,
        recv: Option<&Type>,
        first: Option<Arg>,
        args: Vec<Arg>,
        at: &Expr,
    ) -> Option<Inlined> {
        if self.depth > 12 {
            self.errors.spanned(
                at,
                "this call recurses through functions the macro inlines (struct methods and \
                 operators are inlined, so they cannot be recursive)",
            );
            return None;
        }
        let Some((sig, block)) = self.instantiate(def, recv) else {
            self.errors.spanned(
                at,
                "the macro could not read the function this call inlines",
            );
            return None;
        };
        let span = syn::spanned::Spanned::span(at);
        let block: syn::Block = syn::parse2(respan(quote!(#block), span)).ok()?;
        if has_return(&block) {
            self.errors.spanned(
                at,
                format!(
                    "`{}` has a `return`: the macro inlines it, so end it with its value instead",
                    sig.ident
                ),
            );
            return None;
        }
        let mut declared = Vec::new();
        declared_idents(&block, &mut declared);
        let mut params: Vec<(String, Type)> = Vec::new();
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => {
                    // `self` of `impl Mul<Vec3> for f64` is a float.
                    let own: Option<Type> =
                        def.self_ty.as_ref().and_then(|t| syn::parse_str(t).ok());
                    let ty = match own {
                        Some(t) if !self.is_struct(&t) => t,
                        _ => recv.cloned().unwrap_or_else(|| syn::parse_quote!(Self)),
                    };
                    params.push(("self".to_owned(), ty));
                }
                syn::FnArg::Typed(pt) => match &*pt.pat {
                    Pat::Ident(pi) => params.push((pi.ident.to_string(), (*pt.ty).clone())),
                    _ => {
                        self.errors.spanned(
                            at,
                            format!(
                                "`{}` takes a parameter by a pattern: the macro inlines it, so \
                                 name the parameter",
                                sig.ident
                            ),
                        );
                        return None;
                    }
                },
            }
        }
        let all: Vec<Arg> = first.into_iter().chain(args).collect();
        if all.len() != params.len() {
            return None;
        }
        let mut lets: Vec<Stmt> = Vec::new();
        let mut scope = HashMap::new();
        for ((name, ty), arg) in params.into_iter().zip(all) {
            let binding = match arg {
                Arg::Struct(sv) => {
                    lets.extend(sv.pre);
                    let leaves = sv
                        .leaves
                        .into_iter()
                        .map(|(p, x)| {
                            if simple(&x) && !mentions(quote!(#x), &declared) {
                                (p, x)
                            } else {
                                let t = self.fresh("s");
                                lets.push(syn::parse_quote!(let #t = #x;));
                                (p, syn::parse_quote!(#t))
                            }
                        })
                        .collect();
                    Binding::Value { ty: sv.ty, leaves }
                }
                Arg::Place(leaves) => Binding::Value {
                    ty: strip_ref(&ty).clone(),
                    leaves,
                },
                Arg::Memory(name, elem, stride) => Binding::Memory { name, elem, stride },
                Arg::Scalar(x) => {
                    if self.is_struct(strip_ref(&ty)) {
                        self.errors.spanned(
                            at,
                            format!("the parameter `{name}` takes a struct: pass one here"),
                        );
                        return None;
                    }
                    if simple(&x) && !mentions(quote!(#x), &declared) {
                        Binding::Scalar(x)
                    } else {
                        let t = self.fresh("t");
                        lets.push(syn::parse_quote!(let #t = #x;));
                        Binding::Scalar(syn::parse_quote!(#t))
                    }
                }
            };
            scope.insert(name, binding);
        }
        let returns = match &sig.output {
            syn::ReturnType::Type(_, t) => Some((**t).clone()),
            syn::ReturnType::Default => None,
        };
        let saved = std::mem::replace(&mut self.scopes, vec![scope]);
        self.depth += 1;
        let mut stmts = block.stmts;
        let tail = match (returns.is_some(), stmts.last()) {
            (true, Some(Stmt::Expr(_, None))) => match stmts.pop() {
                Some(Stmt::Expr(e, None)) => Some(e),
                _ => None,
            },
            _ => None,
        };
        let body = self.stmts(stmts);
        let result = match (returns.as_ref().filter(|t| self.is_struct(t)), tail) {
            (Some(_), Some(t)) if self.struct_type(&t).is_some() => Some(Ok(self.value(&t))),
            (Some(_), Some(t)) => {
                self.errors.spanned(
                    &t,
                    "the macro inlines this function: end it with a value of its struct",
                );
                None
            }
            (None, Some(mut t)) => {
                // `fn index(&self, i: usize) -> &f64 { match i { 0 => &self.x, .. } }`: the
                // float itself is what the caller reads.
                if matches!(returns, Some(Type::Reference(_))) {
                    strip_tail_refs(&mut t);
                }
                self.visit_expr_mut(&mut t);
                Some(Err(t))
            }
            (_, None) => None,
        };
        self.depth -= 1;
        self.scopes = saved;
        Some(match result {
            Some(Ok(sv)) if body.is_empty() => {
                lets.extend(sv.pre);
                Inlined::Value(SVal {
                    ty: sv.ty,
                    pre: lets,
                    leaves: sv.leaves,
                })
            }
            Some(Ok(sv)) => {
                let temps: Vec<_> = sv.leaves.iter().map(|_| self.fresh("s")).collect();
                let ty = sv.ty.clone();
                let paths: Vec<_> = sv.leaves.iter().map(|(p, _)| p.clone()).collect();
                let value = super::struct_values::tuple_of(sv);
                let pattern = if temps.len() == 1 {
                    quote!(#(#temps)*)
                } else {
                    quote!((#(#temps),*))
                };
                let stmt: Stmt = syn::parse_quote!(let #pattern = { #(#lets)* #(#body)* #value };);
                Inlined::Value(SVal {
                    ty,
                    pre: vec![stmt],
                    leaves: paths
                        .into_iter()
                        .zip(temps)
                        .map(|(p, t)| (p, syn::parse_quote!(#t)))
                        .collect(),
                })
            }
            Some(Err(t)) if lets.is_empty() && body.is_empty() => {
                Inlined::Scalar(syn::parse_quote!((#t)))
            }
            Some(Err(t)) => Inlined::Scalar(syn::parse_quote!({ #(#lets)* #(#body)* #t })),
            None => Inlined::Unit(syn::parse_quote!({ #(#lets)* #(#body)* })),
        })
    }
}

use syn::Pat;

/// Statements to run before what `out` yields.
fn prefix(pre: Vec<Stmt>, out: Option<Inlined>) -> Inlined {
    match out {
        Some(Inlined::Unit(b)) => Inlined::Unit(syn::parse_quote!({ #(#pre)* #b })),
        Some(Inlined::Scalar(x)) => Inlined::Scalar(syn::parse_quote!({ #(#pre)* #x })),
        Some(Inlined::Value(mut sv)) => {
            let mut all = pre;
            all.extend(sv.pre);
            sv.pre = all;
            Inlined::Value(sv)
        }
        None => Inlined::Unit(syn::parse_quote!({ #(#pre)* })),
    }
}

/// Takes the `&` off the values an expression ends with (`&self.x`, the arms of a `match` or
/// `if` ending in one).
fn strip_tail_refs(e: &mut Expr) {
    match e {
        Expr::Reference(r) => *e = (*r.expr).clone(),
        Expr::Match(m) => m.arms.iter_mut().for_each(|a| strip_tail_refs(&mut a.body)),
        Expr::If(i) => {
            if let Some(Stmt::Expr(t, None)) = i.then_branch.stmts.last_mut() {
                strip_tail_refs(t);
            }
            if let Some((_, els)) = &mut i.else_branch {
                strip_tail_refs(els);
            }
        }
        Expr::Block(b) => {
            if let Some(Stmt::Expr(t, None)) = b.block.stmts.last_mut() {
                strip_tail_refs(t);
            }
        }
        Expr::Paren(p) => strip_tail_refs(&mut p.expr),
        _ => {}
    }
}

/// `T` of `&T` / `&mut T`.
pub fn strip_ref(t: &Type) -> &Type {
    match t {
        Type::Reference(r) => strip_ref(&r.elem),
        Type::Paren(p) => strip_ref(&p.elem),
        other => other,
    }
}

/// Whether a body returns early (outside closures).
fn has_return(b: &syn::Block) -> bool {
    struct Find(bool);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut f = Find(false);
    syn::visit::Visit::visit_block(&mut f, b);
    f.0
}

/// The names a body binds anywhere (lets, closure and loop patterns).
fn declared_idents(b: &syn::Block, out: &mut Vec<String>) {
    struct Find<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Find<'_> {
        fn visit_pat(&mut self, p: &'ast Pat) {
            self.0.extend(pattern_names(p));
        }
    }
    syn::visit::Visit::visit_block(&mut Find(out), b);
}
