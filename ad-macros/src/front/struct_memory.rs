//! Slices, `Vec`s and arrays of structs: flat float memory, `stride` floats per element in the
//! struct's leaf order (`pos: &[Vec3]` is `pos: &[f64]` of length `3 n`). Elements are read and
//! written leaf by leaf (`pos[i].y` is `pos[i * 3 + 1]`), iterated as `chunks_exact(stride)`
//! with each chunk bound as a struct value (`p.x` is `p[0]`), and created by `vec![s; n]`,
//! `[s; N]` or `Vec::new()` with `push`.
//!
//! Input:  `for (p, v) in pos.iter().zip(vel.iter()) { e += p.x * v.x }`
//! Output: `for (p, v) in pos.chunks_exact(3usize).zip(vel.chunks_exact(3usize)) { e += p[0usize] * v[0usize] }`

use syn::{Expr, Pat, Stmt, Type};

use super::struct_values::{Binding, Scalarise};
use super::syntax::pattern_names;

/// What an iterator over struct memory yields.
#[derive(Clone, Debug)]
pub enum Item {
    /// An element (a chunk of `stride` floats) of a struct type.
    Struct(Box<Type>),
    /// Anything else.
    Other,
    /// The items of `zip` or `enumerate`.
    Pair(Box<Item>, Box<Item>),
}

impl Item {
    pub fn has_struct(&self) -> bool {
        match self {
            Item::Struct(_) => true,
            Item::Other => false,
            Item::Pair(a, b) => a.has_struct() || b.has_struct(),
        }
    }
}

impl Scalarise<'_> {
    /// What the iterator `e` yields, when it is built on struct memory.
    pub fn chain_item(&self, e: &Expr) -> Option<Item> {
        match e {
            Expr::MethodCall(m) => match m.method.to_string().as_str() {
                "iter" | "into_iter" if m.args.is_empty() => self
                    .memory(&m.receiver)
                    .map(|(_, t, _)| Item::Struct(Box::new(t))),
                "chunks_exact" => None,
                "zip" => {
                    let a = self.chain_item(&m.receiver).unwrap_or(Item::Other);
                    let b = m
                        .args
                        .first()
                        .and_then(|b| self.chain_item(b))
                        .unwrap_or(Item::Other);
                    Some(Item::Pair(Box::new(a), Box::new(b)))
                }
                "enumerate" => Some(Item::Pair(
                    Box::new(Item::Other),
                    Box::new(self.chain_item(&m.receiver)?),
                )),
                "rev" | "skip" | "take" | "step_by" | "filter" | "copied" | "cloned"
                | "skip_while" | "take_while" => self.chain_item(&m.receiver),
                _ => None,
            },
            Expr::Paren(p) => self.chain_item(&p.expr),
            Expr::Path(_) | Expr::Reference(_) | Expr::Field(_) => {
                self.memory(e).map(|(_, t, _)| Item::Struct(Box::new(t)))
            }
            _ => None,
        }
    }

    /// The iterated expression of a `for` loop: what it yields, with a bare slice of structs
    /// (`for p in pos`, `for p in &pos`) made a chunk iterator.
    pub fn iterated(&mut self, e: &mut Expr) -> Option<Item> {
        let item = self.chain_item(e).filter(Item::has_struct)?;
        if let Some((name, _, stride)) = self.memory(e) {
            *e = syn::parse_quote!(#name.chunks_exact(#stride));
        }
        self.touched = true;
        Some(item)
    }

    /// Binds a pattern to an iterator item: struct chunks as struct values (`p` of a chunk `p`
    /// has the leaves `p[0]`, `p[1]`, ..), references stripped (`|&p|` is `|p|` on a chunk).
    pub fn bind_item(&mut self, pat: &mut Pat, item: &Item) {
        match (&mut *pat, item) {
            (Pat::Reference(r), Item::Struct(_)) => {
                let inner = (*r.pat).clone();
                *pat = inner;
                self.bind_item(pat, item);
            }
            (Pat::Ident(pi), Item::Struct(ty)) if pi.subpat.is_none() => {
                let id = pi.ident.clone();
                pi.mutability = None;
                let leaves = self
                    .leaves_of(ty)
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .map(|(k, (p, _, _))| (p, syn::parse_quote!(#id[#k])))
                    .collect();
                self.bind(
                    id.to_string(),
                    Binding::Value {
                        ty: (**ty).clone(),
                        leaves,
                    },
                );
            }
            (Pat::Tuple(t), Item::Pair(a, b)) if t.elems.len() == 2 => {
                let items = [&**a, &**b];
                for (p, i) in t.elems.iter_mut().zip(items) {
                    self.bind_item(p, i);
                }
            }
            (Pat::Paren(p), _) => self.bind_item(&mut p.pat, item),
            (Pat::Reference(r), Item::Pair(..)) => {
                let inner = (*r.pat).clone();
                *pat = inner;
                self.bind_item(pat, item);
            }
            (other, _) => {
                for id in pattern_names(other) {
                    self.bind(id, Binding::Shadowed);
                }
            }
        }
    }

    /// A closure whose parameters `at` receive `item` (the rest are bound as they are).
    pub fn closure(&mut self, c: &mut syn::ExprClosure, item: Option<&Item>, at: &[usize]) {
        self.scopes.push(Default::default());
        for (k, input) in c.inputs.iter_mut().enumerate() {
            match item.filter(|_| at.contains(&k)) {
                Some(item) => self.bind_item(input, item),
                None => {
                    for id in pattern_names(input) {
                        self.bind(id, Binding::Shadowed);
                    }
                }
            }
        }
        syn::visit_mut::VisitMut::visit_expr_mut(self, &mut c.body);
        self.scopes.pop();
    }

    /// `let` of struct memory: `vec![s; n]`, `[s; N]`, `Vec::new()` / `Vec::with_capacity(n)`
    /// annotated `Vec<S>`, a copy of other struct memory. The statement, element type and
    /// stride.
    pub fn memory_local(
        &mut self,
        pi: &syn::PatIdent,
        init: &Expr,
        annotated: Option<&Type>,
    ) -> Option<(Stmt, Type, usize)> {
        let (name, m) = (&pi.ident, &pi.mutability);
        let stride_of = |s: &Self, ty: &Type| s.leaves_of(ty).map(|l| l.len());
        // `vec![s; n]` and `[s; N]`.
        let repeat = match init {
            Expr::Macro(mac) => {
                super::struct_values::vec_repeat(&mac.mac).map(|(e, n)| (e, n, true))
            }
            Expr::Repeat(r) => Some(((*r.expr).clone(), (*r.len).clone(), false)),
            _ => None,
        };
        if let Some((elem, n, is_vec)) = repeat
            && let Some(ty) = self.struct_type(&elem)
        {
            let stride = stride_of(self, &ty)?;
            let sv = self.value(&elem);
            let first = sv
                .leaves
                .first()
                .map(|(_, e)| quote::quote!(#e).to_string());
            let same = sv.pre.is_empty()
                && sv
                    .leaves
                    .iter()
                    .all(|(_, e)| Some(quote::quote!(#e).to_string()) == first);
            if !same || sv.leaves.is_empty() {
                self.errors.spanned(
                    init,
                    "a `vec!` or array of structs is created from one value for all its floats \
                     (`vec![Vec3::zero(); n]`): create it so, then set the elements",
                );
                return None;
            }
            let leaf = &sv.leaves[0].1;
            let mut n = n;
            syn::visit_mut::VisitMut::visit_expr_mut(self, &mut n);
            let stmt = if is_vec {
                syn::parse_quote!(let #m #name = ::ad_runtime::__alloc::vec![#leaf; (#n) * #stride];)
            } else {
                syn::parse_quote!(let #m #name = [#leaf; (#n) * #stride];)
            };
            return Some((stmt, ty, stride));
        }
        // `let v: Vec<S> = Vec::new();`
        if let Some(Type::Path(p)) = annotated
            && let Some(last) = p.path.segments.last()
            && last.ident == "Vec"
            && let syn::PathArguments::AngleBracketed(a) = &last.arguments
            && let Some(syn::GenericArgument::Type(elem)) = a.args.first()
            && self.is_struct(elem)
        {
            let stride = stride_of(self, elem)?;
            let init: Expr = match init {
                Expr::Call(c) if c.args.len() == 1 => {
                    let mut n = c.args[0].clone();
                    syn::visit_mut::VisitMut::visit_expr_mut(self, &mut n);
                    syn::parse_quote!(::ad_runtime::__alloc::vec::Vec::with_capacity((#n) * #stride))
                }
                _ => syn::parse_quote!(::ad_runtime::__alloc::vec::Vec::new()),
            };
            return Some((
                syn::parse_quote!(let #m #name = #init;),
                elem.clone(),
                stride,
            ));
        }
        // A copy of struct memory: `pos.to_vec()`, `pos.clone()`.
        if let Expr::MethodCall(mc) = init
            && matches!(mc.method.to_string().as_str(), "to_vec" | "clone")
            && let Some((src, elem, stride)) = self.memory(&mc.receiver)
        {
            return Some((
                syn::parse_quote!(let #m #name = #src.to_vec();),
                elem,
                stride,
            ));
        }
        None
    }
}
