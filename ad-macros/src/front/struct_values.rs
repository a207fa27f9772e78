//! Struct values in a body, taken apart into their floats: every struct-typed local becomes one
//! local per field, struct literals, field reads and writes become reads and writes of those,
//! and the operators and methods of the file's differentiable structs (`impl Sub for Vec3`,
//! `fn norm(self) -> f64`) are inlined with their parameters bound to the fields of their
//! arguments. Slices of structs are flat float memory, `stride` floats per element. What is left
//! is a body over floats and float arrays that the rest of the pipeline differentiates as any
//! other; the inlined operators cost what the same arithmetic written by hand costs.
//!
//! Input:  `let d = a - b; d.norm()`   (with `impl Sub for Vec3`, `fn norm(self) -> f64`)
//! Output: `let d__x = a__x - b__x; let d__y = ..; let d__z = ..;
//!          (d__x * d__x + d__y * d__y + d__z * d__z).sqrt()`
//!
//! The expressions that yield structs are handled in `struct_exprs.rs`; this file holds the
//! walk over statements and expressions, and the scopes.

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Pat, Stmt, Type};

use super::impls::Impls;
use super::structs::{StructDef, instantiated_fields};
use super::syntax::pattern_names;
use crate::errors::Errors;

/// What a name stands for in the body.
#[derive(Clone, Debug)]
pub enum Binding {
    /// A struct value held as one expression per leaf (a place: `v__x`, `(*p__x)`, `p[0]`).
    Value { ty: Type, leaves: Vec<Leaf> },
    /// A slice, `Vec` or array of structs held as flat float memory `name` (the binding's own
    /// name, or the argument's in an inlined function).
    Memory {
        name: Ident,
        elem: Type,
        stride: usize,
    },
    /// A simple argument of an inlined function, substituted where the parameter is read.
    Scalar(Expr),
    /// A name bound again, to something that is not a struct.
    Shadowed,
}

/// Parsed and instantiated functions: `(text, receiver type)` → signature and body.
pub type Instantiated =
    std::cell::RefCell<HashMap<(String, Option<String>), Option<(syn::Signature, syn::Block)>>>;

/// One leaf of a struct value: its field path and the expression that holds it.
pub type Leaf = (Vec<String>, Expr);

/// A struct value computed: statements to run first (they bind fresh names only), then one
/// expression per leaf, in the struct's leaf order.
pub struct SVal {
    pub ty: Type,
    pub pre: Vec<Stmt>,
    pub leaves: Vec<Leaf>,
}

/// The walk over a body (see the module documentation).
pub struct Scalarise<'a> {
    pub structs: &'a HashMap<String, StructDef>,
    pub impls: &'a Impls,
    pub errors: &'a mut Errors,
    pub scopes: Vec<HashMap<String, Binding>>,
    fresh: usize,
    pub depth: usize,
    /// The type `Self` names in the function (a method's `impl` type).
    pub self_ty: Option<Type>,
    /// The inlined functions as parsed and instantiated, by text and receiver type.
    pub instantiated: Instantiated,
    /// Whether anything was rewritten.
    pub touched: bool,
    /// The flat parameters that are arrays behind a reference (`p__base: &[f64; 2]` of a
    /// borrowed struct's array field): a field read as a call's argument is their value, `*`.
    pub array_refs: std::collections::HashSet<String>,
}

impl<'a> Scalarise<'a> {
    pub fn new(
        structs: &'a HashMap<String, StructDef>,
        impls: &'a Impls,
        errors: &'a mut Errors,
        params: HashMap<String, Binding>,
    ) -> Self {
        Scalarise {
            structs,
            impls,
            errors,
            scopes: vec![params],
            fresh: 0,
            depth: 0,
            self_ty: None,
            instantiated: Default::default(),
            touched: false,
            array_refs: Default::default(),
        }
    }

    /// A fresh name: `__st_s3` (not `__ad_`: the lowering's desugarings name their variables
    /// `__ad_s1`, .., and take any such name for one of theirs).
    pub fn fresh(&mut self, what: &str) -> Ident {
        self.fresh += 1;
        format_ident!("__st_{}{}", what, self.fresh)
    }

    pub fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    pub fn bind(&mut self, name: String, b: Binding) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name, b);
        }
    }

    /// The binding of a single-identifier path.
    pub fn path_binding<'e>(&self, e: &'e Expr) -> Option<(&'e Ident, &Binding)> {
        match e {
            Expr::Path(p) if p.qself.is_none() => {
                let id = p.path.get_ident()?;
                Some((id, self.lookup(&id.to_string())?))
            }
            _ => self.path_binding(super::struct_exprs::transparent(e)?),
        }
    }

    /// The memory binding `e` names (`pos`, `&pos`, `*pos`, or a field holding a `Vec` of
    /// structs, `self.links`): its name, element type and stride.
    pub fn memory(&self, e: &Expr) -> Option<(Ident, Type, usize)> {
        if let Some(inner) = super::struct_exprs::transparent(e) {
            return self.memory(inner);
        }
        if let Expr::Field(f) = e
            && let syn::Member::Named(m) = &f.member
            && let Some((_, Binding::Value { leaves, .. })) = self.path_binding(&f.base)
        {
            // The field's leaf is the name of the flat memory (`self__links`).
            let (_, leaf) = leaves.iter().find(|(p, _)| p.len() == 1 && m == &p[0])?;
            // A leaf spelled as the field itself (`self.offsets` of a receiver kept whole) is
            // no flat memory: looking it up again would not end.
            if quote::quote!(#leaf).to_string() == quote::quote!(#e).to_string() {
                return None;
            }
            return self.memory(leaf);
        }
        match self.path_binding(e)? {
            (_, Binding::Memory { name, elem, stride }) => {
                Some((name.clone(), elem.clone(), *stride))
            }
            _ => None,
        }
    }

    /// The leaves of a struct type: `(path, type, constant)`, nested structs field by field.
    pub fn leaves_of(&self, ty: &Type) -> Option<Vec<(Vec<String>, Type, bool)>> {
        let fields = instantiated_fields(ty, self.structs)?.ok()?;
        let mut out = Vec::new();
        for (name, fty, _, constant) in fields {
            match (!constant).then(|| self.leaves_of(&fty)).flatten() {
                Some(inner) => out.extend(inner.into_iter().map(|(mut p, t, c)| {
                    p.insert(0, name.clone());
                    (p, t, c)
                })),
                None => out.push((vec![name], fty, constant)),
            }
        }
        Some(out)
    }

    /// Whether `ty` is a struct the walk takes apart.
    pub fn is_struct(&self, ty: &Type) -> bool {
        matches!(instantiated_fields(ty, self.structs), Some(Ok(_)))
    }

    /// Runs `f` with the identifiers `pat` binds shadowing struct bindings.
    fn shadowing(&mut self, pat: &Pat, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashMap::new());
        for id in pattern_names(pat) {
            self.bind(id, Binding::Shadowed);
        }
        f(self);
        self.scopes.pop();
    }

    /// A block's statements, rewritten in a scope of their own.
    pub fn block(&mut self, b: &mut Block) {
        self.scopes.push(HashMap::new());
        let stmts = std::mem::take(&mut b.stmts);
        b.stmts = self.stmts(stmts);
        self.scopes.pop();
    }

    /// Statements rewritten in the current scope.
    pub fn stmts(&mut self, stmts: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::new();
        for stmt in stmts {
            match stmt {
                Stmt::Local(local) => self.local(local, &mut out),
                Stmt::Expr(e, semi) => {
                    if let Some(stmts) = self.statement(&e) {
                        out.extend(stmts);
                    } else {
                        let mut e = e;
                        self.visit_expr_mut(&mut e);
                        out.push(Stmt::Expr(e, semi));
                    }
                }
                other => out.push(other),
            }
        }
        out
    }

    /// `let` of a struct value (one `let` per leaf), of struct memory, or of anything else.
    fn local(&mut self, mut local: syn::Local, out: &mut Vec<Stmt>) {
        let (pat, annotated) = match &local.pat {
            Pat::Type(t) => (&*t.pat, Some((*t.ty).clone())),
            other => (other, None),
        };
        let init = local.init.as_ref().map(|i| (*i.expr).clone());
        if let (Pat::Ident(pi), Some(init)) = (pat, &init)
            && pi.subpat.is_none()
            && local.init.as_ref().is_some_and(|i| i.diverge.is_none())
        {
            if self.struct_type(init).is_some() {
                let sv = self.value(init);
                self.touched = true;
                out.extend(sv.pre);
                let mutability = &pi.mutability;
                let mut held = Vec::new();
                for (path, e) in sv.leaves {
                    let name = leaf_ident(&pi.ident, &path);
                    out.push(syn::parse_quote!(let #mutability #name = #e;));
                    held.push((path, syn::parse_quote!(#name)));
                }
                self.bind(
                    pi.ident.to_string(),
                    Binding::Value {
                        ty: sv.ty,
                        leaves: held,
                    },
                );
                return;
            }
            if let Some((stmt, elem, stride)) = self.memory_local(pi, init, annotated.as_ref()) {
                self.touched = true;
                out.push(stmt);
                let name = pi.ident.clone();
                self.bind(pi.ident.to_string(), Binding::Memory { name, elem, stride });
                return;
            }
        }
        if let (Pat::Struct(ps), Some(init)) = (pat, &init)
            && self.struct_type(init).is_some()
        {
            let sv = self.value(init);
            self.touched = true;
            out.extend(sv.pre);
            for field in &ps.fields {
                let syn::Member::Named(name) = &field.member else {
                    continue;
                };
                let picked: Vec<Leaf> = sv
                    .leaves
                    .iter()
                    .filter(|(p, _)| p.first().is_some_and(|f| name == f))
                    .map(|(p, e)| (p[1..].to_vec(), e.clone()))
                    .collect();
                match (&*field.pat, picked.as_slice()) {
                    (Pat::Ident(pi), [(p, e)]) if p.is_empty() => {
                        let (m, id) = (&pi.mutability, &pi.ident);
                        out.push(syn::parse_quote!(let #m #id = #e;));
                        self.bind(id.to_string(), Binding::Shadowed);
                    }
                    _ => self.errors.spanned(
                        &field.pat,
                        "only fields holding a float, an array or a `Vec` can be bound by a \
                         struct pattern: bind the struct, then read its fields",
                    ),
                }
            }
            return;
        }
        if let Some(init) = &mut local.init {
            self.visit_expr_mut(&mut init.expr);
            if let Some((_, d)) = &mut init.diverge {
                self.visit_expr_mut(d);
            }
        }
        for id in pattern_names(&local.pat) {
            self.bind(id, Binding::Shadowed);
        }
        out.push(Stmt::Local(local));
    }

    /// The function's tail when it returns a struct: the struct's leaves as a tuple.
    pub fn tail_tuple(&mut self, e: &Expr) -> Expr {
        if self.struct_type(e).is_none() {
            self.errors.spanned(
                e,
                "the function returns a struct: end it with a value of that struct (a struct \
                 literal, a local, an operator or method of the struct)",
            );
            return e.clone();
        }
        // An `if` / `match` ending the body ends each arm with the tuple.
        if matches!(e, Expr::If(_) | Expr::Match(_) | Expr::Block(_)) {
            let mut e = e.clone();
            self.branch_tails(&mut e);
            return e;
        }
        let mut sv = self.value(e);
        self.arrays_by_element(&mut sv);
        tuple_of(sv)
    }
}

impl Scalarise<'_> {
    /// Array leaves read element by element (`[s.u[0], s.u[1]]`), as a tuple of leaves returns
    /// them: an array passed on whole would come from a borrowed struct as a reference, and its
    /// adjoint would not flow back; and the branches yielding a struct must build each leaf the
    /// same way.
    pub fn arrays_by_element(&self, sv: &mut SVal) {
        let types = self.leaves_of(&sv.ty).unwrap_or_default();
        for ((_, leaf), (_, ty, _)) in sv.leaves.iter_mut().zip(types) {
            if let Type::Array(a) = &ty
                && let Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) = &a.len
                && let Ok(n) = n.base10_parse::<usize>()
                && !matches!(leaf, Expr::Array(_) | Expr::Repeat(_))
            {
                let elems = (0..n).map(|k| {
                    let k = syn::Index::from(k);
                    quote!((#leaf)[#k])
                });
                *leaf = syn::parse_quote!([#(#elems),*]);
            }
        }
    }
}

/// `(e, n)` of `vec![e; n]`.
pub fn vec_repeat(mac: &syn::Macro) -> Option<(Expr, Expr)> {
    use syn::parse::Parser;
    if !super::syntax::is_vec_macro(&mac.path) {
        return None;
    }
    (|input: syn::parse::ParseStream| {
        let e: Expr = input.parse()?;
        let _: syn::Token![;] = input.parse()?;
        let n: Expr = input.parse()?;
        Ok((e, n))
    })
    .parse2(mac.tokens.clone())
    .ok()
}

/// `{ pre; (l0, l1, ..) }`, or the single leaf.
pub fn tuple_of(sv: SVal) -> Expr {
    let leaves = sv.leaves.iter().map(|(_, e)| e);
    let value: Expr = if sv.leaves.len() == 1 {
        syn::parse_quote!(#(#leaves)*)
    } else {
        syn::parse_quote!((#(#leaves),*))
    };
    wrap(sv.pre, value)
}

/// `{ pre; e }`, or `e` without statements.
pub fn wrap(pre: Vec<Stmt>, e: Expr) -> Expr {
    if pre.is_empty() {
        e
    } else {
        syn::parse_quote!({ #(#pre)* #e })
    }
}

/// The local holding one leaf: `v__link__angle`.
pub fn leaf_ident(base: &Ident, path: &[String]) -> Ident {
    let mut name = base.to_string();
    for p in path {
        name.push_str("__");
        name.push_str(p);
    }
    Ident::new(&name, base.span())
}

/// Whether `e` can be substituted for a parameter without being evaluated first: a path, a
/// literal, a field of one, or an element of one at an index made of paths and integer
/// literals (`pos[__st_i1 * 3usize + 0usize]`).
pub fn simple(e: &Expr) -> bool {
    fn index(e: &Expr) -> bool {
        match e {
            Expr::Path(_) => true,
            Expr::Lit(l) => matches!(l.lit, syn::Lit::Int(_)),
            Expr::Paren(p) => index(&p.expr),
            Expr::Binary(b) => {
                matches!(b.op, syn::BinOp::Add(_) | syn::BinOp::Mul(_))
                    && index(&b.left)
                    && index(&b.right)
            }
            _ => false,
        }
    }
    match e {
        Expr::Path(_) | Expr::Lit(_) => true,
        Expr::Paren(p) => simple(&p.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => simple(&u.expr),
        Expr::Field(f) => simple(&f.base),
        Expr::Index(i) => simple(&i.expr) && index(&i.index),
        _ => false,
    }
}

/// Whether `tokens` name one of `names` (any identifier: a conservative test for capture).
pub fn mentions(tokens: TokenStream, names: &[String]) -> bool {
    super::syntax::collect_idents(&tokens)
        .iter()
        .any(|i| names.contains(i))
}

/// Gives every token of `tokens` the span `span` (an inlined body's errors point at the call).
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut ng = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                t = proc_macro2::TokenTree::Group(ng);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

impl VisitMut for Scalarise<'_> {
    fn visit_block_mut(&mut self, b: &mut Block) {
        self.block(b);
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Some(new) = self.scalar(e) {
            *e = new;
            return;
        }
        match e {
            Expr::Closure(c) => self.closure(c, None, &[]),
            Expr::MethodCall(m) => {
                let item = self.chain_item(&m.receiver).filter(|i| i.has_struct());
                self.visit_expr_mut(&mut m.receiver);
                let method = m.method.to_string();
                for a in m.args.iter_mut() {
                    if method == "zip"
                        && let Some((name, _, stride)) = self.memory(a)
                    {
                        *a = syn::parse_quote!(#name.chunks_exact(#stride));
                        continue;
                    }
                    match (a, &item) {
                        (Expr::Closure(c), Some(item)) => {
                            // Which closure parameters receive the iterator's items.
                            let at: &[usize] = match method.as_str() {
                                "fold" | "try_fold" => &[1],
                                "max_by" | "min_by" => &[0, 1],
                                _ => &[0],
                            };
                            self.closure(c, Some(item), at);
                        }
                        (a, _) => self.visit_expr_mut(a),
                    }
                }
            }
            Expr::ForLoop(f) => {
                // `for p in pos` over a bare slice of structs: `iterated` makes it the chunk
                // iterator, which holds nothing more to take apart.
                let bare = self.memory(&f.expr).is_some();
                let item = self.iterated(&mut f.expr);
                if !bare {
                    self.visit_expr_mut(&mut f.expr);
                }
                self.scopes.push(HashMap::new());
                match item {
                    Some(item) => self.bind_item(&mut f.pat, &item),
                    None => {
                        for id in pattern_names(&f.pat) {
                            self.bind(id, Binding::Shadowed);
                        }
                    }
                }
                self.block(&mut f.body);
                self.scopes.pop();
            }
            Expr::Match(m) => {
                self.visit_expr_mut(&mut m.expr);
                for arm in &mut m.arms {
                    let pat = arm.pat.clone();
                    self.shadowing(&pat, |s| {
                        if let Pat::Guard(g) = &mut arm.pat {
                            s.visit_expr_mut(&mut g.guard);
                        }
                        s.visit_expr_mut(&mut arm.body);
                    });
                }
            }
            Expr::Macro(m) => self.macro_args(&mut m.mac),
            // `g(p.base)`: an array field passed by value is the array, not the flat reference.
            Expr::Call(c) => {
                self.visit_expr_mut(&mut c.func);
                for a in c.args.iter_mut() {
                    let field = matches!(a, Expr::Field(_));
                    self.visit_expr_mut(a);
                    if field
                        && let Expr::Path(p) = a
                        && let Some(id) = p.path.get_ident()
                        && self.array_refs.contains(&id.to_string())
                    {
                        let id = id.clone();
                        *a = syn::parse_quote!(*#id);
                    }
                }
            }
            _ => syn::visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_stmt_macro_mut(&mut self, m: &mut syn::StmtMacro) {
        self.macro_args(&mut m.mac);
    }
}

impl Scalarise<'_> {
    /// The arguments of a macro call (`vec![..]`, `assert!(..)`) rewritten, when they parse as
    /// expressions.
    fn macro_args(&mut self, mac: &mut syn::Macro) {
        use syn::parse::Parser;
        let tokens = mac.tokens.clone();
        if let Some((mut elem, mut n)) = vec_repeat(mac) {
            self.visit_expr_mut(&mut elem);
            self.visit_expr_mut(&mut n);
            mac.tokens = quote!(#elem; #n);
            return;
        }
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        if let Ok(mut args) = parser.parse2(tokens) {
            for a in args.iter_mut() {
                self.visit_expr_mut(a);
            }
            mac.tokens = args.to_token_stream();
        }
    }
}
