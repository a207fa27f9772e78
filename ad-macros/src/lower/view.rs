//! Views: a slice that exists only as indices into memory (`let a = &x[i..j];`, the halves of
//! `split_at`, a window or chunk of an iterator chain, a row of nested memory). A view is never
//! materialised: the code that reads it is rewritten to read the memory it looks into (`a[k]`
//! is `x[i + k]`, `a.len()` is `j - i`, and `a` lent to a call is `&x[i..j]`).

use super::*;

/// A slice that exists only as indices into memory: `base[start + i]` for `i < len`.
#[derive(Clone, Debug)]
pub(super) struct View {
    pub(super) base: TokenStream,
    pub(super) start: Option<TokenStream>,
    pub(super) len: TokenStream,
}

/// Names bound to places or views, replaced in the code that reads them.
#[derive(Default)]
pub(super) struct Substitution {
    pub(super) places: Vec<(String, TokenStream)>,
    pub(super) views: Vec<(String, View)>,
}

impl Substitution {
    pub(super) fn is_empty(&self) -> bool {
        self.places.is_empty() && self.views.is_empty()
    }

    /// Applies the substitution to a block; the names left unreplaced (used otherwise than
    /// by `*name` for a place, by indexing, `.len()` or lending for a view).
    pub(super) fn apply_block(&mut self, b: &mut syn::Block) {
        if !self.is_empty() {
            self.visit_block_mut(b);
        }
    }

    pub(super) fn apply_expr(&mut self, e: &mut Expr) {
        if !self.is_empty() {
            self.visit_expr_mut(e);
        }
    }
}

impl View {
    /// The element `i` of the view.
    fn at(&self, i: &Expr) -> TokenStream {
        let base = &self.base;
        match &self.start {
            Some(s) => quote!(#base[#s + (#i)]),
            None => quote!(#base[#i]),
        }
    }

    /// The view as a slice, to lend or iterate over.
    pub(super) fn slice(&self) -> TokenStream {
        let (base, len) = (&self.base, &self.len);
        match &self.start {
            Some(s) => quote!(#base[#s..#s + #len]),
            None => quote!(#base),
        }
    }
}

impl VisitMut for Substitution {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        let named = |x: &Expr, name: &str| path_ident(x).is_some_and(|i| i == name);
        let replaced: Option<TokenStream> = match &*e {
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => self
                .places
                .iter()
                .find(|(n, _)| named(&u.expr, n))
                .map(|(_, p)| p.clone()),
            Expr::Index(ix) => match self.views.iter().find(|(n, _)| named(&ix.expr, n)) {
                Some((_, v)) => {
                    let v = v.clone();
                    let mut i = (*ix.index).clone();
                    self.visit_expr_mut(&mut i);
                    Some(match &i {
                        Expr::Range(r) => {
                            let base = &v.base;
                            let s = v.start.clone().unwrap_or(quote!(0));
                            let start = r.start.as_ref().map_or(quote!(0), |a| quote!(#a));
                            let end = match &r.end {
                                Some(b) => quote!(#b),
                                None => v.len.clone(),
                            };
                            quote!(#base[#s + #start..#s + #end])
                        }
                        _ => v.at(&i),
                    })
                }
                None => None,
            },
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => self
                .views
                .iter()
                .find(|(n, _)| named(&m.receiver, n))
                .map(|(_, v)| {
                    let len = &v.len;
                    quote!((#len))
                }),
            Expr::Path(_) => self.views.iter().find(|(n, _)| named(e, n)).map(|(_, v)| {
                let s = v.slice();
                quote!((&#s))
            }),
            _ => None,
        };
        if let Some(tokens) = replaced
            && let Ok(new) = syn::parse2::<Expr>(tokens)
        {
            *e = new;
            return;
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }

    // A `let` that binds a replaced name shadows it for the rest of its block.
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        let saved = (self.places.clone(), self.views.clone());
        for stmt in &mut b.stmts {
            self.visit_stmt_mut(stmt);
            if let SynStmt::Local(l) = stmt {
                let bound = pattern_names(&l.pat);
                self.places.retain(|(n, _)| !bound.contains(n));
                self.views.retain(|(n, _)| !bound.contains(n));
            }
        }
        (self.places, self.views) = saved;
    }

    // A nested closure keeps its own parameters; its captures are replaced like any code.
    fn visit_expr_closure_mut(&mut self, c: &mut syn::ExprClosure) {
        let shadowed: Vec<String> = c.inputs.iter().flat_map(pattern_names).collect();
        let mut inner = Substitution {
            places: self
                .places
                .iter()
                .filter(|(n, _)| !shadowed.contains(n))
                .cloned()
                .collect(),
            views: self
                .views
                .iter()
                .filter(|(n, _)| !shadowed.contains(n))
                .cloned()
                .collect(),
        };
        inner.visit_expr_mut(&mut c.body);
    }
}

// ---- views bound by `let` ---------------------------------------------------------------------

impl Lowerer<'_> {
    /// `let a = &x[i..j];`, `let (a, b) = x.split_at(m);` of memory: the names become views,
    /// replaced where they are used (`a[k]` is `x[i + k]`). `false` when the `let` is not one.
    pub(super) fn lower_view_let(&mut self, local: &syn::Local) -> bool {
        let Some(init) = &local.init else {
            return false;
        };
        let init = strip_parens(&init.expr);
        match (&local.pat, init) {
            (pat, Expr::Reference(_)) => {
                let Some((ident, _)) = simple_pattern(pat) else {
                    return false;
                };
                let Some(view) = self.range_view(init) else {
                    return false;
                };
                self.bind(&ident.to_string(), Binding::View(view));
                true
            }
            (Pat::Tuple(t), Expr::MethodCall(m))
                if (m.method == "split_at" || m.method == "split_at_mut")
                    && m.args.len() == 1
                    && t.elems.len() == 2 =>
            {
                let (Some((a, _)), Some((b, _))) =
                    (simple_pattern(&t.elems[0]), simple_pattern(&t.elems[1]))
                else {
                    return false;
                };
                let Some(base) = self.view_base(&m.receiver) else {
                    return false;
                };
                let mid = self.synthetic("mid");
                let arg = &m.args[0];
                self.lower_setup(quote!(let #mid: usize = #arg;));
                self.bind_view(a, &base, quote!(0), quote!(#mid));
                self.bind_view(b, &base, quote!(#mid), quote!(#base.len()));
                true
            }
            _ => false,
        }
    }

    /// The tokens of memory a view may look into: a name of memory, or a view itself.
    fn view_base(&self, e: &Expr) -> Option<TokenStream> {
        let a = self.memory_of(e)?;
        (self.vars[a].depth == Some(1)).then(|| path_ident(e).to_token_stream())
    }

    /// `&x[a..b]` (or `&mut`, `a..=b`, `a..`, `..b`) of a slice: a view into `x`, its bounds
    /// evaluated here, once. `None` for anything else.
    pub(super) fn range_view(&mut self, e: &Expr) -> Option<View> {
        let Expr::Reference(r) = strip_parens(e) else {
            return None;
        };
        let Expr::Index(ix) = strip_parens(&r.expr) else {
            return None;
        };
        let Expr::Range(range) = &*ix.index else {
            return None;
        };
        let base = self.view_base(&ix.expr)?;
        let start = range.start.as_ref().map_or(quote!(0), |s| quote!(#s));
        let end = match (&range.end, &range.limits) {
            (Some(e), syn::RangeLimits::HalfOpen(_)) => quote!(#e),
            (Some(e), syn::RangeLimits::Closed(_)) => quote!(#e + 1),
            (None, _) => quote!(#base.len()),
        };
        Some(self.view_between(&base, start, end))
    }

    fn bind_view(
        &mut self,
        name: &Ident,
        base: &TokenStream,
        start: TokenStream,
        end: TokenStream,
    ) {
        let view = self.view_between(base, start, end);
        self.bind(&name.to_string(), Binding::View(view));
    }

    /// The view of `base[start..end]`, its bounds evaluated here.
    fn view_between(&mut self, base: &TokenStream, start: TokenStream, end: TokenStream) -> View {
        let (s, e) = (self.synthetic("start"), self.synthetic("end"));
        self.lower_setup(quote!(let #s: usize = #start;));
        self.lower_setup(quote!(let #e: usize = #end;));
        View {
            base: base.clone(),
            start: Some(quote!(#s)),
            len: quote!((#e - #s)),
        }
    }

    fn lower_setup(&mut self, tokens: TokenStream) {
        if let Ok(stmt) = syn::parse2::<SynStmt>(tokens) {
            self.lower_stmts(std::slice::from_ref(&stmt));
        }
    }

    /// A statement with the views it mentions replaced by what they look into.
    pub(super) fn with_views(&self, stmt: &SynStmt) -> Option<SynStmt> {
        let mut subst = Substitution::default();
        for name in collect_idents(&stmt.to_token_stream()) {
            if let Some(Binding::View(v)) = self.lookup(&name) {
                subst.views.push((name, v.clone()));
            }
        }
        if subst.is_empty() {
            return None;
        }
        let mut stmt = stmt.clone();
        subst.visit_stmt_mut(&mut stmt);
        Some(stmt)
    }
}

/// In a statement whose views were replaced: a call given `&mut base[..]` and, in another
/// argument, `base` again (the two halves of a `split_at_mut`, one lent to be written). The
/// generated code would borrow `base` twice, which rustc refuses, so the macro refuses it first.
pub(super) fn overlapping_loan(stmt: &SynStmt) -> Option<Ident> {
    struct Find(Option<Ident>);
    impl Find {
        fn check<'a>(&mut self, args: impl Iterator<Item = &'a Expr> + Clone) {
            for (k, a) in args.clone().enumerate() {
                let Expr::Reference(r) = strip_parens(a) else {
                    continue;
                };
                let Expr::Index(ix) = strip_parens(&r.expr) else {
                    continue;
                };
                let (true, Some(base)) = (r.mutability.is_some(), path_ident(&ix.expr)) else {
                    continue;
                };
                let again = args.clone().enumerate().any(|(j, b)| {
                    j != k && collect_idents(&b.to_token_stream()).contains(&base.to_string())
                });
                if again {
                    self.0 = Some(base.clone());
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            self.check(c.args.iter());
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.check(std::iter::once(&*m.receiver).chain(m.args.iter()));
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut f = Find(None);
    f.visit_stmt(stmt);
    f.0
}

pub(super) fn strip_parens(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip_parens(&p.expr),
        Expr::Group(g) => strip_parens(&g.expr),
        other => other,
    }
}
