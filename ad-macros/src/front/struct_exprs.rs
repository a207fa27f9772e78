//! The expressions of a body over structs (`struct_values.rs` walks the body): the type of an
//! expression when it is a struct, its value as one expression per leaf, places (what a struct
//! assignment writes), and the rewriting of expressions that read structs where a float is
//! expected (`(a - b).norm()`, `p.x`, `pos[i].y`, `pos.len()`).
//!
//! Input:  `pos[i] - pos[j]` with `pos: &[Vec3]` (flat, stride 3) and `impl Sub for Vec3`
//! Output: leaves `pos[i * 3usize + 0usize] - pos[j * 3usize + 0usize]`, `..`, `..`

use quote::quote;
use syn::{Expr, Pat, Stmt, Type};

use super::impls::{Operand, type_name};
use super::struct_inline::{Arg, Inlined};
use super::struct_values::{Binding, Leaf, SVal, Scalarise, mentions, simple, tuple_of, wrap};

/// The operator of a binary expression, as `impls` keys it.
pub fn bin_op(op: &syn::BinOp) -> Option<&'static str> {
    use syn::BinOp::*;
    Some(match op {
        Add(_) => "+",
        Sub(_) => "-",
        Mul(_) => "*",
        Div(_) => "/",
        AddAssign(_) => "+=",
        SubAssign(_) => "-=",
        MulAssign(_) => "*=",
        DivAssign(_) => "/=",
        _ => return None,
    })
}

impl Scalarise<'_> {
    fn operand(&self, e: &Expr) -> (Operand, Option<Type>) {
        match self.struct_type(e) {
            Some(t) => (Operand::Struct(type_name(&t).unwrap_or_default()), Some(t)),
            None => (Operand::Scalar, None),
        }
    }

    /// The struct type of `e`, when it has one the walk knows.
    pub fn struct_type(&self, e: &Expr) -> Option<Type> {
        match e {
            Expr::Path(_) => match self.path_binding(e)? {
                (_, Binding::Value { ty, .. }) => Some(ty.clone()),
                _ => None,
            },
            Expr::Struct(s) => {
                let path = &s.path;
                let ty: Type = match &self.self_ty {
                    Some(t) if path.is_ident("Self") => t.clone(),
                    _ => syn::parse_quote!(#path),
                };
                self.is_struct(&ty).then_some(ty)
            }
            Expr::Field(f) => {
                let base = self.struct_type(&f.base)?;
                let syn::Member::Named(m) = &f.member else {
                    return None;
                };
                let fields = super::structs::instantiated_fields(&base, self.structs)?.ok()?;
                let (_, ty, _, constant) = fields.into_iter().find(|(n, ..)| m == n)?;
                (!constant && self.is_struct(&ty)).then_some(ty)
            }
            Expr::Index(i) => self.memory(&i.expr).map(|(_, elem, _)| elem),
            _ if transparent(e).is_some() => transparent(e).and_then(|i| self.struct_type(i)),
            Expr::MethodCall(m) => {
                let recv = self.struct_type(&m.receiver)?;
                let def = self.method(&recv, &m.method.to_string())?;
                self.returns_struct(&def, Some(&recv))
            }
            Expr::Binary(b) => {
                let op = bin_op(&b.op)?;
                if op.ends_with('=') {
                    return None;
                }
                let ((l, lt), (r, rt)) = (self.operand(&b.left), self.operand(&b.right));
                if lt.is_none() && rt.is_none() {
                    return None;
                }
                let def = self.impls.operators.get(&(l, op.to_owned(), r))?.clone();
                self.returns_struct(&def, lt.as_ref().or(rt.as_ref()))
            }
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => {
                let t = self.struct_type(&u.expr)?;
                let def = self.unary_impl(&t, "neg")?;
                self.returns_struct(&def, Some(&t))
            }
            Expr::Call(c) => {
                let (def, self_ty) = self.callee(&c.func)?;
                self.returns_struct(&def, self_ty.as_ref())
            }
            Expr::If(i) => tail(&i.then_branch).and_then(|t| self.struct_type(t)),
            Expr::Match(m) => m.arms.first().and_then(|a| self.struct_type(&a.body)),
            Expr::Block(b) if b.label.is_none() => tail(&b.block).and_then(|t| self.struct_type(t)),
            _ => None,
        }
    }

    /// The value of a struct-typed expression (`struct_type(e)` is `Some`).
    pub fn value(&mut self, e: &Expr) -> SVal {
        self.touched = true;
        let ty = self.struct_type(e).unwrap_or_else(|| syn::parse_quote!(()));
        let empty = |ty: Type| SVal {
            ty,
            pre: Vec::new(),
            leaves: Vec::new(),
        };
        match e {
            Expr::Path(_) => match self.path_binding(e) {
                Some((_, Binding::Value { ty, leaves })) => SVal {
                    ty: ty.clone(),
                    pre: Vec::new(),
                    leaves: leaves.clone(),
                },
                _ => empty(ty),
            },
            _ if transparent(e).is_some() => match transparent(e) {
                Some(inner) => self.value(inner),
                None => empty(ty),
            },
            Expr::Struct(s) => self.literal(s, ty),
            Expr::Field(f) => {
                let base = self.value(&f.base);
                let syn::Member::Named(m) = &f.member else {
                    return empty(ty);
                };
                SVal {
                    ty,
                    pre: base.pre,
                    leaves: sub_leaves(&base.leaves, &m.to_string()),
                }
            }
            Expr::Index(_) => match self.place(e) {
                Some((pre, leaves)) => SVal { ty, pre, leaves },
                None => empty(ty),
            },
            Expr::If(_) | Expr::Match(_) | Expr::Block(_) => self.branches(e, ty),
            Expr::MethodCall(_) | Expr::Binary(_) | Expr::Unary(_) | Expr::Call(_) => {
                match self.call(e) {
                    Some(Inlined::Value(sv)) => sv,
                    _ => empty(ty),
                }
            }
            _ => {
                self.errors.spanned(
                    e,
                    "this struct value is not supported: build it with a struct literal, an \
                     operator or a method of the struct",
                );
                empty(ty)
            }
        }
    }

    /// A struct literal, `..base` included: each field's expression, nested structs by leaves.
    fn literal(&mut self, s: &syn::ExprStruct, ty: Type) -> SVal {
        let mut pre = Vec::new();
        let mut given: Vec<Leaf> = Vec::new();
        for fv in &s.fields {
            let syn::Member::Named(name) = &fv.member else {
                self.errors
                    .spanned(&fv.member, "a tuple struct is not taken apart yet");
                continue;
            };
            let name = name.to_string();
            if self.struct_type(&fv.expr).is_some() {
                let sv = self.value(&fv.expr);
                pre.extend(sv.pre);
                given.extend(sv.leaves.into_iter().map(|(mut p, e)| {
                    p.insert(0, name.clone());
                    (p, e)
                }));
            } else {
                let mut e = fv.expr.clone();
                syn::visit_mut::VisitMut::visit_expr_mut(self, &mut e);
                given.push((vec![name], e));
            }
        }
        let base = s.rest.as_ref().map(|b| {
            if self.struct_type(b).is_some() {
                let sv = self.value(b);
                pre.extend(sv.pre);
                sv.leaves
            } else {
                self.errors.spanned(
                    &**b,
                    "`..base` must be a struct value the macro takes apart (a parameter or local \
                     of the struct)",
                );
                Vec::new()
            }
        });
        let mut leaves = Vec::new();
        for (path, _, _) in self.leaves_of(&ty).unwrap_or_default() {
            let from_given = given
                .iter()
                .find(|(p, _)| p == &path || (p.len() == 1 && path.len() > 1 && p[0] == path[0]));
            let found = match from_given {
                Some((p, e)) if p == &path => Some(e.clone()),
                // A nested struct given as a value that is not taken apart (cannot happen for
                // values the walk knows): refused below.
                Some(_) => None,
                None => base
                    .as_ref()
                    .and_then(|b| b.iter().find(|(p, _)| p == &path).map(|(_, e)| e.clone())),
            };
            match found {
                Some(e) => leaves.push((path, e)),
                None => {
                    self.errors.spanned(
                        s,
                        format!(
                            "the field `{}` of this struct literal has no value the macro can \
                             take apart",
                            path.join(".")
                        ),
                    );
                    return SVal {
                        ty,
                        pre,
                        leaves: Vec::new(),
                    };
                }
            }
        }
        SVal { ty, pre, leaves }
    }

    /// An `if`, `match` or block that yields a struct: each branch yields the leaves as a tuple.
    fn branches(&mut self, e: &Expr, ty: Type) -> SVal {
        let mut e = e.clone();
        self.branch_tails(&mut e);
        let count = self.leaves_of(&ty).map_or(0, |l| l.len());
        let temps: Vec<_> = (0..count).map(|_| self.fresh("s")).collect();
        let pre: Stmt = if count == 1 {
            syn::parse_quote!(let #(#temps)* = #e;)
        } else {
            syn::parse_quote!(let (#(#temps),*) = #e;)
        };
        let leaves = self
            .leaves_of(&ty)
            .unwrap_or_default()
            .into_iter()
            .zip(&temps)
            .map(|((p, _, _), t)| (p, syn::parse_quote!(#t)))
            .collect();
        SVal {
            ty,
            pre: vec![pre],
            leaves,
        }
    }

    /// Rewrites the tails of a struct-yielding `if`/`match`/block into tuples of leaves.
    pub fn branch_tails(&mut self, e: &mut Expr) {
        match e {
            Expr::If(i) => {
                syn::visit_mut::VisitMut::visit_expr_mut(self, &mut i.cond);
                self.block_tail(&mut i.then_branch);
                match &mut i.else_branch {
                    Some((_, els)) => self.branch_tails(els),
                    None => self
                        .errors
                        .spanned(&*i, "an `if` that yields a struct needs an `else`"),
                }
            }
            Expr::Match(m) => {
                syn::visit_mut::VisitMut::visit_expr_mut(self, &mut m.expr);
                for arm in &mut m.arms {
                    self.scopes.push(Default::default());
                    for id in super::syntax::pattern_names(&arm.pat) {
                        self.bind(id, Binding::Shadowed);
                    }
                    if let Pat::Guard(g) = &mut arm.pat {
                        syn::visit_mut::VisitMut::visit_expr_mut(self, &mut g.guard);
                    }
                    self.branch_tails(&mut arm.body);
                    self.scopes.pop();
                }
            }
            Expr::Block(b) => self.block_tail(&mut b.block),
            Expr::Paren(p) => self.branch_tails(&mut p.expr),
            other => {
                let mut sv = self.value(other);
                self.arrays_by_element(&mut sv);
                *other = tuple_of(sv);
            }
        }
    }

    /// A block whose tail yields a struct: statements rewritten, the tail made a tuple.
    fn block_tail(&mut self, b: &mut syn::Block) {
        self.scopes.push(Default::default());
        let mut stmts = std::mem::take(&mut b.stmts);
        let last = match stmts.last() {
            Some(Stmt::Expr(_, None)) => stmts.pop(),
            _ => None,
        };
        b.stmts = self.stmts(stmts);
        match last {
            Some(Stmt::Expr(mut e, None)) => {
                if self.struct_type(&e).is_some() {
                    self.branch_tails(&mut e);
                } else {
                    self.errors
                        .spanned(&e, "this branch must yield the same struct as the others");
                }
                b.stmts.push(Stmt::Expr(e, None));
            }
            _ => self
                .errors
                .spanned(&*b, "this block must end with the struct it yields"),
        }
        self.scopes.pop();
    }

    /// What a struct assignment writes: statements binding the index first, and the leaves as
    /// places (`v__x`, `(*p__x)`, `pos[__st_i1 * 3usize + 0usize]`).
    pub fn place(&mut self, e: &Expr) -> Option<(Vec<Stmt>, Vec<Leaf>)> {
        match e {
            Expr::Path(_) => match self.path_binding(e)? {
                (_, Binding::Value { leaves, .. }) => Some((Vec::new(), leaves.clone())),
                _ => None,
            },
            Expr::Paren(p) => self.place(&p.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.place(&u.expr),
            Expr::Field(f) => {
                let syn::Member::Named(m) = &f.member else {
                    return None;
                };
                let (pre, leaves) = self.place(&f.base)?;
                Some((pre, sub_leaves(&leaves, &m.to_string())))
            }
            Expr::Index(i) => {
                let (name, elem, stride) = self.memory(&i.expr)?;
                let mut index = (*i.index).clone();
                syn::visit_mut::VisitMut::visit_expr_mut(self, &mut index);
                let mut pre = Vec::new();
                let index: Expr = if simple(&index) {
                    index
                } else {
                    let t = self.fresh("i");
                    pre.push(syn::parse_quote!(let #t: usize = #index;));
                    syn::parse_quote!(#t)
                };
                let leaves = self
                    .leaves_of(&elem)?
                    .into_iter()
                    .enumerate()
                    .map(|(k, (p, _, _))| {
                        let at: Expr = if stride == 1 {
                            index.clone()
                        } else {
                            syn::parse_quote!(#index * #stride + #k)
                        };
                        (p, syn::parse_quote!(#name[#at]))
                    })
                    .collect();
                Some((pre, leaves))
            }
            _ => None,
        }
    }

    /// `place = value`, through temporaries when the value reads what is written.
    pub fn assign(&mut self, place: &Expr, value: SVal) -> Vec<Stmt> {
        let Some((mut pre, places)) = self.place(place) else {
            self.errors.spanned(
                place,
                "a struct can be assigned to a local, a field, an element of a slice of \
                 structs or a `&mut` parameter only",
            );
            return Vec::new();
        };
        pre.extend(value.pre);
        let mut written: Vec<String> = places
            .iter()
            .flat_map(|(_, p)| super::syntax::collect_idents(&quote!(#p)))
            .collect();
        written.retain(|w| w.contains("__") || self.memory_named(w));
        let reads = value
            .leaves
            .iter()
            .any(|(_, e)| mentions(quote!(#e), &written));
        let mut stmts = pre;
        if reads {
            let temps: Vec<_> = value.leaves.iter().map(|_| self.fresh("t")).collect();
            for ((_, e), t) in value.leaves.iter().zip(&temps) {
                stmts.push(syn::parse_quote!(let #t = #e;));
            }
            for ((_, p), t) in places.iter().zip(&temps) {
                stmts.push(syn::parse_quote!(#p = #t;));
            }
        } else {
            for ((_, p), (_, e)) in places.iter().zip(&value.leaves) {
                stmts.push(syn::parse_quote!(#p = #e;));
            }
        }
        vec![syn::parse_quote!({ #(#stmts)* })]
    }

    fn memory_named(&self, name: &str) -> bool {
        matches!(self.lookup(name), Some(Binding::Memory { .. }))
    }

    /// A statement that writes a struct: `v = ..`, `v += ..`, `v.step(dt)` (`&mut self`),
    /// `forces.push(f)`. `None` for any other statement.
    pub fn statement(&mut self, e: &Expr) -> Option<Vec<Stmt>> {
        match e {
            Expr::Assign(a) if self.struct_type(&a.left).is_some() => {
                self.touched = true;
                if self.struct_type(&a.right).is_none() {
                    self.errors
                        .spanned(&a.right, "assign a value of the same struct here");
                    return Some(Vec::new());
                }
                let v = self.value(&a.right);
                Some(self.assign(&a.left, v))
            }
            Expr::Binary(b) if self.struct_type(&b.left).is_some() => {
                let op = bin_op(&b.op)?;
                let plain = op.strip_suffix('=')?;
                self.touched = true;
                let (l, lt) = self.operand(&b.left);
                let (r, _) = self.operand(&b.right);
                if let Some(def) = self
                    .impls
                    .operators
                    .get(&(l.clone(), op.to_owned(), r.clone()))
                {
                    let def = def.clone();
                    let Some((pre, places)) = self.place(&b.left) else {
                        self.errors
                            .spanned(&b.left, "this struct cannot be written in place");
                        return Some(Vec::new());
                    };
                    let rhs = self.arg(&b.right);
                    let out =
                        self.inline(&def, lt.as_ref(), Some(Arg::Place(places)), vec![rhs], e);
                    let mut stmts = pre;
                    if let Some(Inlined::Unit(block)) = out {
                        stmts.push(syn::parse_quote!(#block));
                    }
                    return Some(vec![syn::parse_quote!({ #(#stmts)* })]);
                }
                let (left, right) = (&b.left, &b.right);
                let op: syn::BinOp = syn::parse_str(plain).ok()?;
                let sum: Expr = syn::parse_quote!(#left #op #right);
                if self.struct_type(&sum).is_none() {
                    self.errors.spanned(
                        e,
                        format!(
                            "no `impl {}` for this struct in this file: the macro inlines the \
                             operators written next to the struct",
                            trait_of(plain)
                        ),
                    );
                    return Some(Vec::new());
                }
                let v = self.value(&sum);
                Some(self.assign(left, v))
            }
            Expr::MethodCall(m) if m.method == "push" && self.memory(&m.receiver).is_some() => {
                let (name, _, _) = self.memory(&m.receiver)?;
                let arg = m.args.first()?;
                if self.struct_type(arg).is_none() {
                    self.errors.spanned(arg, "push a value of the struct here");
                    return Some(Vec::new());
                }
                let v = self.value(arg);
                let mut stmts = v.pre;
                for (_, l) in v.leaves {
                    stmts.push(syn::parse_quote!(#name.push(#l);));
                }
                Some(vec![syn::parse_quote!({ #(#stmts)* })])
            }
            Expr::MethodCall(m) if self.struct_type(&m.receiver).is_some() => {
                let recv = self.struct_type(&m.receiver)?;
                let def = self.method(&recv, &m.method.to_string())?;
                if !self.takes_mut_self(&def, &recv) {
                    return None;
                }
                self.touched = true;
                match self.call(e) {
                    Some(Inlined::Unit(block)) => Some(vec![syn::parse_quote!(#block)]),
                    Some(Inlined::Scalar(x)) => Some(vec![syn::parse_quote!(#x;)]),
                    _ => Some(Vec::new()),
                }
            }
            _ => None,
        }
    }

    /// A float-valued expression that reads structs, rewritten; `None` to walk into `e`.
    pub fn scalar(&mut self, e: &Expr) -> Option<Expr> {
        if matches!(e, Expr::Path(_))
            && let Some((id, b)) = self.path_binding(e)
        {
            return match b {
                Binding::Scalar(x) => Some(syn::parse_quote!((#x))),
                Binding::Value { ty, .. } => {
                    let msg = format!(
                        "the struct `{id}` ({}) is used whole here: the macro takes structs \
                         apart. Read its fields, or pass it to a method or operator of the \
                         struct, or to a function of this file",
                        crate::errors::show_type(ty)
                    );
                    self.errors.spanned(e, msg);
                    Some(e.clone())
                }
                Binding::Memory { .. } => {
                    self.errors.spanned(
                        e,
                        format!(
                            "the slice of structs `{id}` is used whole here: index it \
                             (`{id}[i]`), iterate it (`{id}.iter()`), or take its `len()`"
                        ),
                    );
                    Some(e.clone())
                }
                Binding::Shadowed => None,
            };
        }
        if let Some(ty) = self.struct_type(e) {
            let msg = format!(
                "a struct value ({}) where a float is expected: read one of its fields, or \
                 assign it to a local",
                crate::errors::show_type(&ty)
            );
            self.errors.spanned(e, msg);
            return Some(e.clone());
        }
        match e {
            Expr::Field(f) if self.struct_type(&f.base).is_some() => {
                let sv = self.value(&f.base);
                let syn::Member::Named(m) = &f.member else {
                    self.errors
                        .spanned(e, "a tuple struct is not taken apart yet");
                    return Some(e.clone());
                };
                let hit = sv
                    .leaves
                    .iter()
                    .find(|(p, _)| p.len() == 1 && m == &p[0])
                    .map(|(_, x)| x.clone());
                match hit {
                    Some(x) => Some(wrap(sv.pre, x)),
                    None => {
                        self.errors.spanned(
                            e,
                            format!(
                                "`{m}` is not a field of `{}` that holds a float, an array or a \
                                 constant",
                                crate::errors::show_type(&sv.ty)
                            ),
                        );
                        Some(e.clone())
                    }
                }
            }
            Expr::MethodCall(m) => {
                if let Some((name, _, stride)) = self.memory(&m.receiver) {
                    self.touched = true;
                    return match m.method.to_string().as_str() {
                        "len" => Some(syn::parse_quote!((#name.len() / #stride))),
                        "is_empty" => Some(syn::parse_quote!(#name.is_empty())),
                        "iter" | "into_iter" => {
                            Some(syn::parse_quote!(#name.chunks_exact(#stride)))
                        }
                        other => {
                            self.errors.spanned(
                                &m.method,
                                format!(
                                    "`.{other}()` on a slice of structs is not supported: index \
                                     it in a loop, or iterate it with `.iter()`"
                                ),
                            );
                            Some(e.clone())
                        }
                    };
                }
                if matches!(m.method.to_string().as_str(), "copied" | "cloned")
                    && self.chain_item(&m.receiver).is_some_and(|i| i.has_struct())
                {
                    let mut r = (*m.receiver).clone();
                    syn::visit_mut::VisitMut::visit_expr_mut(self, &mut r);
                    return Some(r);
                }
                if self.struct_type(&m.receiver).is_some() {
                    return self.call_scalar(e);
                }
                None
            }
            Expr::Binary(b) if bin_op(&b.op).is_some_and(|o| !o.ends_with('=')) => {
                if self.struct_type(&b.left).is_some() || self.struct_type(&b.right).is_some() {
                    return self.call_scalar(e);
                }
                None
            }
            Expr::Call(c) if self.callee(&c.func).is_some() => self.call_scalar(e),
            // `v[i]` through the struct's `Index<usize>`.
            Expr::Index(i) if self.struct_type(&i.expr).is_some() => self.call_scalar(e),
            _ => None,
        }
    }

    fn call_scalar(&mut self, e: &Expr) -> Option<Expr> {
        self.touched = true;
        match self.call(e) {
            Some(Inlined::Scalar(x)) => Some(x),
            Some(Inlined::Unit(b)) => Some(syn::parse_quote!(#b)),
            Some(Inlined::Value(_)) | None => Some(e.clone()),
        }
    }

    /// An argument of an inlined call: a struct value or a scalar expression (rewritten).
    pub fn arg(&mut self, e: &Expr) -> Arg {
        if self.struct_type(e).is_some() {
            return Arg::Struct(self.value(e));
        }
        if let Some((name, elem, stride)) = self.memory(e) {
            return Arg::Memory(name, elem, stride);
        }
        let mut x = e.clone();
        syn::visit_mut::VisitMut::visit_expr_mut(self, &mut x);
        Arg::Scalar(x)
    }
}

/// What a wrapper that does not change a struct value holds: `(e)`, `&e`, `*e`, `e.clone()`.
pub fn transparent(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Paren(p) => Some(&p.expr),
        Expr::Group(g) => Some(&g.expr),
        Expr::Reference(r) => Some(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => Some(&u.expr),
        Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => Some(&m.receiver),
        _ => None,
    }
}

/// The leaves under the field `name`, with that field taken off their paths.
fn sub_leaves(leaves: &[Leaf], name: &str) -> Vec<Leaf> {
    leaves
        .iter()
        .filter(|(p, _)| p.first().is_some_and(|f| f == name))
        .map(|(p, e)| (p[1..].to_vec(), e.clone()))
        .collect()
}

/// The tail expression of a block.
fn tail(b: &syn::Block) -> Option<&Expr> {
    match b.stmts.last() {
        Some(Stmt::Expr(e, None)) => Some(e),
        _ => None,
    }
}

/// The `std::ops` trait of an operator, for messages.
pub fn trait_of(op: &str) -> &'static str {
    match op {
        "+" => "Add",
        "-" => "Sub",
        "*" => "Mul",
        "/" => "Div",
        "+=" => "AddAssign",
        "-=" => "SubAssign",
        "*=" => "MulAssign",
        "/=" => "DivAssign",
        _ => "Neg",
    }
}
