//! Iterator desugaring: `for` over `.iter()`, `.iter().enumerate()`, `.iter_mut()`, `zip`, and
//! reductions such as `xs.iter().map(|v| e).sum()`, rewritten into index loops before lowering.

use super::*;

impl Lowerer<'_> {
    /// A fresh name for a variable the desugaring of an iterator introduces.
    pub(super) fn synthetic(&mut self, base: &str) -> Ident {
        self.desugared += 1;
        let key = format!("__ad_{base}{}", self.desugared);
        let hygienic = self.namer.fresh(base);
        self.base_idents.insert(key.clone(), hygienic);
        Ident::new(&key, Span::mixed_site())
    }

    /// `for PAT in xs.iter() / &xs / xs.iter().enumerate() / xs.iter().zip(ys.iter())` over memory,
    /// as a loop over indices: `for k in 0..len { let PAT = xs[k]; .. }`.
    pub(super) fn desugar_for(&mut self, f: &syn::ExprForLoop) -> Option<syn::ExprForLoop> {
        let (shape, written) = self.iteration_mut(&f.expr)?;
        let k = self.synthetic("k");
        let (len, _) = self.element(&shape, &k);
        // A row is bound by name below, never read as a value: its slot binds `()`.
        let part = |x: &Expr| {
            if self.rows(x) {
                quote!(())
            } else {
                quote!(#x[#k])
            }
        };
        let elem = match &shape {
            Iteration::Elements(x) => part(x),
            Iteration::Enumerate(x) => {
                let x = part(x);
                quote!((#k, #x))
            }
            Iteration::Zip(x, y) => {
                let (x, y) = (part(x), part(y));
                quote!((#x, #y))
            }
        };
        let mut pat = (*f.pat).clone();
        strip_ref_patterns(&mut pat);
        let mut body = f.body.clone();
        // An element of `xs.iter_mut()` is the place `xs[k]`: `*o` becomes `xs[k]`, and `o` is
        // bound by nothing (anything but `*o` leaves the loop to the refusal).
        let sources = match &shape {
            Iteration::Elements(x) | Iteration::Enumerate(x) => [Some(x), None],
            Iteration::Zip(x, y) => [Some(x), Some(y)],
        };
        for (slot, (source, mutable)) in sources.iter().zip(written).enumerate() {
            let Some(x) = source else { continue };
            let position = match &shape {
                Iteration::Elements(_) => None,
                Iteration::Enumerate(_) => Some(1),
                Iteration::Zip(..) => Some(slot),
            };
            // An element of `xs.iter_mut()` is the place `xs[k]`: `*o` becomes `xs[k]`, and `o`
            // is bound by nothing (anything but `*o` leaves the loop to the refusal).
            if mutable {
                let name = take_binding(&mut pat, position)?;
                let place: Expr = syn::parse2(quote!(#x[#k])).ok()?;
                if !replace_derefs(&mut body, &name, &place) {
                    return None;
                }
            } else if self.rows(x) {
                // A row of a nested container (`q` in `for q in p`, `p: &[[f64; 3]]`) is
                // memory, not a value: every `q` of the body becomes the row `p[k]`, so
                // `q[j]` reads `p[k][j]`, and `q.len()` and `for v in q` work as written.
                let name = take_binding(&mut pat, position)?;
                let row: Expr = syn::parse2(quote!(#x[#k])).ok()?;
                replace_name(&mut body, &name, &row);
            }
        }
        strip_derefs(&mut body, &pattern_names(&pat));
        let stmts = &body.stmts;
        let label = &f.label;
        self.reparse(
            quote!(#label for #k in 0..#len { let #pat = #elem; #(#stmts)* }),
            f,
        )
    }

    /// Parses code a desugaring built from the user's pieces. It should always parse; if it does
    /// not, that is a spanned error at the user's code, never a panic.
    pub(super) fn reparse<T: syn::parse::Parse>(
        &mut self,
        tokens: TokenStream,
        node: &impl ToTokens,
    ) -> Option<T> {
        match syn::parse2(tokens) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.errors.spanned(
                    node,
                    format!(
                        "{}: this iterator could not be rewritten as a loop ({e}). Write the loop \
                         out with `for`",
                        self.mode
                    ),
                );
                None
            }
        }
    }

    /// What a `for` loop walks over, also over `xs.iter_mut()` (alone, enumerated, or zipped with a
    /// read-only iterator): which of the (one or two) iterated memories are written through.
    pub(super) fn iteration_mut(&self, e: &Expr) -> Option<(Iteration, [bool; 2])> {
        let mutable = |e: &Expr| -> Option<Expr> {
            match e {
                Expr::MethodCall(m) if m.method == "iter_mut" && m.args.is_empty() => {
                    let a = self.memory_of(&m.receiver)?;
                    (self.vars[a].depth == Some(1)).then(|| (*m.receiver).clone())
                }
                _ => None,
            }
        };
        let side = |e: &Expr| -> Option<(Expr, bool)> {
            match mutable(e) {
                Some(x) => Some((x, true)),
                None => Some((self.iterated(e)?, false)),
            }
        };
        match e {
            Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => {
                let (x, w) = side(&m.receiver)?;
                Some((Iteration::Enumerate(x), [w, false]))
            }
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => {
                let ((x, wx), (y, wy)) = (side(&m.receiver)?, side(&m.args[0])?);
                (!(wx && wy)).then_some((Iteration::Zip(x, y), [wx, wy]))
            }
            _ => {
                let (x, w) = side(e)?;
                Some((Iteration::Elements(x), [w, false]))
            }
        }
    }

    /// Whether the iterated source `x` is a nested container, whose elements are rows.
    fn rows(&self, x: &Expr) -> bool {
        self.memory_of(x)
            .is_some_and(|a| self.vars[a].depth == Some(2))
    }

    /// The memory an iterator over elements reads: `xs.iter()`, `&xs`, `xs`, `.copied()`; a
    /// nested container (rows), or one of its rows (`p[k]`, as a `for q in p` body has it).
    pub(super) fn iterated(&self, e: &Expr) -> Option<Expr> {
        match e {
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && ["iter", "copied", "cloned", "into_iter"]
                        .contains(&m.method.to_string().as_str()) =>
            {
                self.iterated(&m.receiver)
            }
            Expr::Reference(r) if r.mutability.is_none() => self.iterated(&r.expr),
            Expr::Paren(p) => self.iterated(&p.expr),
            Expr::Path(_) => {
                let a = self.memory_of(e)?;
                matches!(self.vars[a].depth, Some(1 | 2)).then(|| e.clone())
            }
            Expr::Index(i) => {
                let a = self.memory_of(&i.expr)?;
                (self.vars[a].depth == Some(2)).then(|| e.clone())
            }
            _ => None,
        }
    }

    /// The trip count and the element of iteration `k`.
    pub(super) fn element(&self, shape: &Iteration, k: &Ident) -> (TokenStream, TokenStream) {
        match shape {
            Iteration::Elements(x) => (quote!(#x.len()), quote!(#x[#k])),
            Iteration::Enumerate(x) => (quote!(#x.len()), quote!((#k, #x[#k]))),
            Iteration::Zip(x, y) => (quote!(#x.len().min(#y.len())), quote!((#x[#k], #y[#k]))),
        }
    }
}

/// `&v` patterns become `v`: the desugared loop binds elements by value (with `let`, so the
/// pattern is also made fit for one by [`let_pattern`]).
pub(super) fn strip_ref_patterns(pat: &mut Pat) {
    struct Strip;
    impl VisitMut for Strip {
        fn visit_pat_mut(&mut self, p: &mut Pat) {
            if let Pat::Reference(r) = p {
                *p = (*r.pat).clone();
            }
            syn::visit_mut::visit_pat_mut(self, p);
        }
    }
    Strip.visit_pat_mut(pat);
    let_pattern(pat);
}

pub(super) struct StripDerefs<'n>(&'n [String]);

impl VisitMut for StripDerefs<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `*v` and `**v` (a reference to a reference, in `filter`) of an element bound by
        // value are `v`.
        while let Expr::Unary(u) = e
            && matches!(u.op, UnOp::Deref(_))
            && derefs_of(&u.expr).is_some_and(|i| self.0.contains(&i.to_string()))
        {
            *e = (*u.expr).clone();
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
}

/// Takes the plain binding at `position` of a tuple pattern (or the whole pattern, `None`) out,
/// leaving `_`; its name, or `None` if it is not a plain name.
pub(super) fn take_binding(pat: &mut Pat, position: Option<usize>) -> Option<String> {
    let slot = match position {
        None => pat,
        Some(i) => match pat {
            Pat::Tuple(t) => t.elems.iter_mut().nth(i)?,
            Pat::Paren(p) => return take_binding(&mut p.pat, Some(i)),
            _ => return None,
        },
    };
    let Pat::Ident(p) = &*slot else {
        return None;
    };
    if p.by_ref.is_some() || p.subpat.is_some() {
        return None;
    }
    let name = p.ident.to_string();
    *slot = syn::parse_quote!(_);
    Some(name)
}

/// Replaces every `*name` in `block` by `place`; `false` if `name` is also used otherwise (its
/// element would then need to be a reference, which the macros do not follow).
pub(super) fn replace_derefs(block: &mut syn::Block, name: &str, place: &Expr) -> bool {
    struct Replace<'a>(&'a str, &'a Expr);
    impl VisitMut for Replace<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if let Expr::Unary(u) = e
                && matches!(u.op, UnOp::Deref(_))
                && path_ident(&u.expr).is_some_and(|i| i == self.0)
            {
                *e = self.1.clone();
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    Replace(name, place).visit_block_mut(block);
    !mentions(block.to_token_stream(), &HashSet::from([name.to_owned()]))
}

/// Replaces every use of the variable `name` in `block` by `with` (no shadowing is looked for:
/// the desugared loop's body is the user's, where `name` is the loop's own binding).
pub(super) fn replace_name(block: &mut syn::Block, name: &str, with: &Expr) {
    struct Replace<'a>(&'a str, &'a Expr);
    impl VisitMut for Replace<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if path_ident(e).is_some_and(|i| i == self.0) {
                *e = self.1.clone();
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    Replace(name, with).visit_block_mut(block);
}

/// `*v` of an element bound by value becomes `v`.
pub(super) fn strip_derefs(block: &mut syn::Block, names: &[String]) {
    StripDerefs(names).visit_block_mut(block);
}

pub(super) fn strip_derefs_expr(e: &mut Expr, names: &[String]) {
    StripDerefs(names).visit_expr_mut(e);
}

/// The name under any number of `*`: `v` of `v`, `*v`, `**v`.
fn derefs_of(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => derefs_of(&u.expr),
        other => path_ident(other),
    }
}
