//! Statements: `let`, assignments and compound assignments, patterns, and the guards that skip
//! the rest of a block after a `break`, `continue` or `return` may have run.

use super::*;

impl Lowerer<'_> {
    pub(super) fn lower_stmts(&mut self, stmts: &[SynStmt]) -> Flow {
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            let flags: Vec<(String, String)> = self
                .flag_keys()
                .into_iter()
                .map(|k| {
                    let s = self.signature(&k);
                    (k, s)
                })
                .collect();
            let mut value = None;
            let substituted = self.with_views(stmt);
            if let Some(base) = substituted.as_ref().and_then(view::overlapping_loan) {
                self.errors.spanned(
                    stmt,
                    format!(
                        "{}: this call is lent two views of `{base}` (the halves of a \
                         `split_at_mut`, say), one to be written; the generated code would \
                         borrow `{base}` twice. Copy the half that is only read into a local \
                         array first, or lend the whole slice with the offsets",
                        self.mode
                    ),
                );
            }
            let stmt = substituted.as_ref().unwrap_or(stmt);
            match stmt {
                SynStmt::Local(local) => self.lower_local(local),
                SynStmt::Expr(e, None) if last => value = Some(self.lower_expr(e)),
                SynStmt::Expr(e, _) => self.lower_expr_stmt(e, stmt),
                SynStmt::Item(syn::Item::Fn(f)) => self.lower_local_fn(f),
                SynStmt::Item(item) => self.stmts.push(Stmt::Inert {
                    tokens: item.to_token_stream(),
                    uses: Vec::new(),
                    refusal: None,
                }),
                SynStmt::Macro(m) => {
                    // Macros such as `assert!` and `println!` read values but produce none.
                    let (tokens, uses) = self.rename(m.to_token_stream());
                    self.stmts.push(Stmt::Inert {
                        tokens,
                        uses,
                        refusal: None,
                    });
                }
            }
            if self.diverged {
                self.diverged = false;
                return Flow {
                    value: None,
                    diverged: true,
                };
            }
            if last {
                return Flow {
                    value,
                    diverged: false,
                };
            }
            // A statement that may have set an exit flag guards the rest of the block.
            let set: Vec<String> = flags
                .into_iter()
                .filter(|(k, s)| self.signature(k) != *s)
                .map(|(k, _)| k)
                .collect();
            if !set.is_empty() {
                let cond = self.guard(&set);
                let rest = &stmts[i + 1..];
                return self.branch(cond, |l| l.lower_stmts(rest), |_| Flow::default());
            }
        }
        Flow::default()
    }

    /// `!(flag_1 || flag_2 ..)`: none of these exits was taken.
    pub(super) fn guard(&mut self, keys: &[String]) -> Operand {
        let mut uses = Vec::new();
        let mut terms = Vec::new();
        for k in keys {
            let v = self.current(k);
            if let Value::Scalar(Operand::Var(x)) = &v {
                uses.push(*x);
            }
            terms.push(self.value_tokens(&v));
        }
        self.inert_tokens(quote!(!(#(#terms)||*)), uses, true)
    }

    pub(super) fn lower_expr_stmt(&mut self, e: &Expr, stmt: &SynStmt) {
        if let Expr::Macro(_) = e {
            let (tokens, uses) = self.rename(stmt.to_token_stream());
            self.stmts.push(Stmt::Inert {
                tokens,
                uses,
                refusal: None,
            });
            return;
        }
        // `v.fill(e)`, `v.swap(i, j)` on an array of floats: the loops they are.
        if let Expr::MethodCall(m) = e
            && self.mentions_active(e.to_token_stream())
            && let Some(ops) = self.desugar_element_op(m)
        {
            let _ = self.lower_expr(&ops);
            return;
        }
        // A call for its effect (it writes slices) or with its result dropped goes through the
        // callee's companions like any call.
        if is_control(e)
            || (matches!(e, Expr::MethodCall(_) | Expr::Call(_))
                && self.mentions_active(e.to_token_stream()))
            || is_accumulate(e)
        {
            let _ = self.lower_expr(e);
            return;
        }
        let _ = stmt;
        self.inert_stmt(e);
    }

    /// A statement copied as tokens; refused if it touches a differentiated value.
    pub(super) fn inert_stmt(&mut self, e: &Expr) {
        let tokens = e.to_token_stream();
        let refusal = if self.mentions_active(tokens.clone()) && !self.writes_integers(e) {
            Some(self.refuse_expr(e))
        } else {
            None
        };
        let (mut tokens, uses) = self.rename(tokens);
        tokens.extend(quote!(;));
        self.stmts.push(Stmt::Inert {
            tokens,
            uses,
            refusal,
        });
    }

    /// Whether a statement only changes integer state: an assignment to an element of an
    /// integer array (`idx[0] = (idx[0] + 1) % w.len()`), or a method of one (`idx.swap(i, j)`).
    /// No derivative can flow into integers, whatever the statement reads.
    fn writes_integers(&self, e: &Expr) -> bool {
        let target = match e {
            Expr::Assign(a) => &*a.left,
            Expr::Binary(b) if is_compound(&b.op) => &*b.left,
            Expr::MethodCall(m) => &*m.receiver,
            _ => return false,
        };
        place_root(target).is_some_and(|name| {
            matches!(
                self.lookup(&name),
                Some(Binding::Value(Value::Scalar(Operand::Var(v)))) if self.integers.contains(v)
            )
        })
    }

    /// `a op= b` as the value `a op b`.
    pub(super) fn lower_compound(&mut self, b: &syn::ExprBinary) -> Value {
        let current = self.lower_expr(&b.left);
        let rhs = self.lower_expr(&b.right);
        match compound_rule(&b.op) {
            Some(rule) => {
                let (Some(cur), Some(rhs)) =
                    (self.scalar(current, &b.left), self.scalar(rhs, &b.right))
                else {
                    return dummy();
                };
                Value::Scalar(self.prim(rule, vec![cur, rhs], Form::Operator, b.op.span()))
            }
            None => {
                // Bit and shift assignments: integers only, no derivative.
                let op: TokenStream =
                    b.op.to_token_stream()
                        .to_string()
                        .trim_end_matches('=')
                        .parse()
                        .unwrap_or_default();
                let uses: Vec<VarId> = [&current, &rhs]
                    .iter()
                    .flat_map(|v| v.leaves())
                    .filter_map(|(_, op)| Func::var_of(op))
                    .collect();
                let (c, r) = (self.value_tokens(&current), self.value_tokens(&rhs));
                Value::Scalar(self.inert_tokens(quote!(#c #op #r), uses, true))
            }
        }
    }

    /// The local variable assigned by `target` when it is a plain name.
    pub(super) fn local_target(&self, target: &Expr) -> Option<Ident> {
        match target {
            Expr::Path(p) => p
                .path
                .get_ident()
                .filter(|i| self.lookup(&i.to_string()).is_some())
                .cloned(),
            Expr::Paren(p) => self.local_target(&p.expr),
            _ => None,
        }
    }

    pub(super) fn assign(&mut self, name: &Ident, value: Value, target: &Expr) {
        if self.lookup(&name.to_string()).is_none() {
            self.errors.spanned(
                target,
                format!("{}: `{name}` is not a local variable", self.mode),
            );
            return;
        }
        self.assign_key(&name.to_string(), value);
    }

    pub(super) fn assign_key(&mut self, key: &str, value: Value) {
        // The first assignment of `let y: T;` is the definition with the declared type.
        let ty = match self.lookup(key) {
            Some(Binding::Uninit(ty)) => ty.clone(),
            _ => None,
        };
        let value = self.name_value(key, true, ty, value);
        self.rebind(key, value);
    }

    /// The value of `y = e` where `e` is made of unsuffixed float literals only (`2.0`, `-0.5`,
    /// `1.0 / 3.0`): on its own that has the ambiguous type `{float}` (`y_1.sin()` would not
    /// compile), so the new version takes the float type of the variable's current value, by
    /// `ad_runtime::cast_like`. `None` when `e` is anything else or `y` has no value yet.
    pub(super) fn float_literal_value(&mut self, key: &str, e: &Expr) -> Option<Value> {
        if !is_float_literal_expr(e) {
            return None;
        }
        let Some(Binding::Value(Value::Scalar(Operand::Var(prev)))) = self.lookup(key) else {
            return None;
        };
        let prev = *prev;
        let like = self.vars[prev].ident.clone();
        Some(Value::Scalar(self.inert_tokens(
            quote!(::ad_runtime::cast_like(&#like, #e)),
            vec![prev],
            true,
        )))
    }

    /// Gives a freshly computed value the user's name (a new version of it), so that the
    /// generated code reads like the original.
    pub(super) fn name_value(
        &mut self,
        key: &str,
        mutable: bool,
        ty: Option<TokenStream>,
        value: Value,
    ) -> Value {
        let mutable = mutable && self.mutated.contains(key);
        match value {
            Value::Scalar(Operand::Var(v)) if self.is_fresh_temp(v) => {
                let named = self.named_var(key, mutable);
                // Take over the temporary's definition under the user's name.
                let ident = self.vars[named].ident.clone();
                self.vars[v].ident = ident;
                self.vars[v].mutable = self.vars[named].mutable;
                self.vars.pop();
                if let Some(Stmt::Def { ty: slot, .. }) = self
                    .stmts
                    .iter_mut()
                    .rev()
                    .find(|s| matches!(s, Stmt::Def { var, .. } if *var == v))
                {
                    *slot = ty;
                }
                Value::Scalar(Operand::Var(v))
            }
            Value::Scalar(Operand::Var(v)) if ty.is_none() && !mutable => {
                Value::Scalar(Operand::Var(v))
            }
            Value::Scalar(op) => {
                let named = self.named_var(key, mutable);
                let rhs = match op {
                    Operand::Var(_) => Rhs::Copy(op),
                    Operand::Const(tokens) => inert_rhs(tokens, Vec::new(), true),
                };
                self.push_def(named, ty, rhs);
                Value::Scalar(Operand::Var(named))
            }
            aggregate => aggregate,
        }
    }

    /// A temporary made by the expression just lowered, that no name refers to yet.
    pub(super) fn is_fresh_temp(&self, v: VarId) -> bool {
        let ident = self.vars[v].ident.to_string();
        ident.starts_with("_t")
            && matches!(self.stmts.last(), Some(Stmt::Def { var, .. }) if *var == v)
            && !self.scopes.iter().any(|s| {
                s.values()
                    .any(|b| matches!(b, Binding::Value(val) if val.mentions_var(v)))
            })
    }

    pub(super) fn lower_local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.declare(&local.pat);
            return;
        };
        if let Some(unrolled) = self.unrolled_from_fn(local) {
            return self.lower_local(&unrolled);
        }
        if init.diverge.is_some() {
            let tokens = local.to_token_stream();
            let refusal = self.mentions_active(tokens.clone()).then(|| {
                self.refusal(
                    local,
                    "`let .. else` over a differentiated value",
                    "a refutable pattern has no derivative",
                    "Destructure with a plain `let` or compute the value with supported operations",
                )
            });
            let mut pat = local.pat.clone();
            let (init_tokens, uses) = self.rename(init.expr.to_token_stream());
            let (else_tokens, _) = self.rename(
                init.diverge
                    .as_ref()
                    .map(|(_, e)| e.to_token_stream())
                    .unwrap_or_default(),
            );
            let bound = self.rename_pattern(&mut pat);
            self.stmts.push(Stmt::Inert {
                tokens: quote!(let #pat = #init_tokens else #else_tokens;),
                uses,
                refusal,
            });
            for (name, v) in bound {
                self.bind(
                    &name.to_string(),
                    Binding::Value(Value::Scalar(Operand::Var(v))),
                );
            }
            return;
        }
        if self.lower_view_let(local) {
            return;
        }
        if let Expr::Closure(c) = &*init.expr
            && self.lower_closure_let(local)
        {
            // A closure of constants stays as written too, for uses that carry no derivative
            // (calls with constant arguments, `sort_by(cmp)`); any other is inlined at every
            // call, so its name must be taken apart wherever it is mentioned.
            if !self.mentions_active(c.to_token_stream()) && c.capture.is_none() {
                let (tokens, uses) = self.rename(local.to_token_stream());
                self.stmts.push(Stmt::Inert {
                    tokens: quote!(#[allow(unused)] #tokens),
                    uses,
                    refusal: None,
                });
            } else if let Some((ident, _)) = simple_pattern(&local.pat) {
                self.maybe_active.insert(ident.to_string());
            }
            return;
        }
        if self.mentions_active(init.expr.to_token_stream())
            && let Some(stmts) = self.rewrite_collect(local)
        {
            self.lower_stmts(&stmts);
            return;
        }
        if let Some((ident, ty)) = simple_pattern(&local.pat)
            && self.maybe_active.contains(&ident.to_string())
            && (self.lower_new_array(&ident.to_string(), ty, &init.expr)
                || self.lower_array_copy(&ident.to_string(), ty, &init.expr))
        {
            return;
        }
        // `let mut v = [0.5, x]; v[1] = y;`: an array literal whose elements are assigned later
        // is memory, created from its components.
        if let Some((ident, ty)) = simple_pattern(&local.pat)
            && let Expr::Array(a) = &*init.expr
            && !(ty.is_some_and(integer_type) || self.integer_value(&init.expr))
            && self.element_stores.contains(&ident.to_string())
            && self.maybe_active.contains(&ident.to_string())
        {
            let value = Value::Array(a.elems.iter().map(|e| self.lower_expr(e)).collect());
            if self
                .array_memory(Some(&ident.to_string()), &value, &init.expr, false)
                .is_none()
            {
                self.bind_pattern(&local.pat, None, value);
            }
            return;
        }
        if let Some((ident, _)) = simple_pattern(&local.pat)
            && let Some(value) = self.array_result(&init.expr)
        {
            let key = ident.to_string();
            if !(self.element_stores.contains(&key)
                && self
                    .array_memory(Some(&key), &value, &init.expr, false)
                    .is_some())
            {
                self.bind_pattern(&local.pat, None, value);
            }
            return;
        }
        let value = self.lower_destructured(&local.pat, &init.expr);
        self.bind_pattern(&local.pat, None, value);
        if let Some((ident, ty)) = simple_pattern(&local.pat)
            && (ty.is_some_and(integer_type) || self.integer_value(&init.expr))
            && let Some(Binding::Value(Value::Scalar(Operand::Var(v)))) =
                self.lookup(&ident.to_string())
        {
            let v = *v;
            self.integers.insert(v);
        }
    }

    /// Whether an expression certainly yields an integer, or an array, `Vec` or range of
    /// integers: integer literals, integer state, and copies and collections of them.
    pub(super) fn integer_value(&self, e: &Expr) -> bool {
        let int_literal = |e: &Expr| {
            matches!(
                e,
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(_) | syn::Lit::Bool(_),
                    ..
                })
            )
        };
        match e {
            Expr::Paren(p) => self.integer_value(&p.expr),
            Expr::Group(g) => self.integer_value(&g.expr),
            Expr::Lit(_) => int_literal(e),
            Expr::Repeat(r) => self.integer_value(&r.expr),
            Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(|x| self.integer_value(x)),
            Expr::Range(_) => true,
            Expr::Cast(c) => integer_type(&c.ty),
            Expr::Path(_) => path_ident(e).is_some_and(|id| {
                matches!(
                    self.lookup(&id.to_string()),
                    Some(Binding::Value(Value::Scalar(Operand::Var(v)))) if self.integers.contains(v)
                )
            }),
            // `vec![a, b]` and `vec![a; n]`, read as the arrays `[a, b]` and `[a; n]`.
            Expr::Macro(m) if is_vec_macro(&m.mac.path) => {
                let tokens = &m.mac.tokens;
                syn::parse2::<Expr>(quote!([#tokens])).is_ok_and(|a| self.integer_value(&a))
            }
            Expr::MethodCall(m) => {
                ["collect", "to_vec", "clone", "to_owned"].contains(&m.method.to_string().as_str())
                    && self.integer_value(&m.receiver)
            }
            // `::core::clone::Clone::clone(&idx)`, as reverse-mode code copies a value.
            Expr::Call(c) if c.args.len() == 1 && is_clone(&c.func) => match &c.args[0] {
                Expr::Reference(r) => self.integer_value(&r.expr),
                _ => false,
            },
            _ => false,
        }
    }

    /// The value of `e` bound by `pat`: a tuple (array) expression under a tuple (slice) pattern
    /// of the same length is lowered element by element, even when it carries no derivative, so
    /// that each name becomes a definition of its own (which the reverse sweep can replay) rather
    /// than a destructuring copied as a statement: `let (a, t) = (0.25, 2.0);`.
    pub(super) fn lower_destructured(&mut self, pat: &Pat, e: &Expr) -> Value {
        let no_rest = |elems: &syn::punctuated::Punctuated<Pat, syn::Token![,]>| {
            !elems.iter().any(|p| matches!(p, Pat::Rest(_)))
        };
        match (pat, e) {
            (Pat::Type(t), _) => self.lower_destructured(&t.pat, e),
            (Pat::Paren(p), _) => self.lower_destructured(&p.pat, e),
            (_, Expr::Paren(p)) => self.lower_destructured(pat, &p.expr),
            (Pat::Tuple(p), Expr::Tuple(t))
                if p.elems.len() == t.elems.len() && no_rest(&p.elems) =>
            {
                Value::Tuple(
                    p.elems
                        .iter()
                        .zip(&t.elems)
                        .map(|(p, e)| self.lower_destructured(p, e))
                        .collect(),
                )
            }
            (Pat::Slice(p), _) if no_rest(&p.elems) && self.destructured_memory(e).is_some() => {
                let (array, index) = self.destructured_memory(e).expect("checked");
                let mut index = self.index_operands(&index);
                self.destructure_memory(array, &mut index, p, e)
                    .unwrap_or_else(|| self.lower_expr(e))
            }
            (Pat::Slice(p), Expr::Array(a))
                if p.elems.len() == a.elems.len() && no_rest(&p.elems) =>
            {
                Value::Array(
                    p.elems
                        .iter()
                        .zip(&a.elems)
                        .map(|(p, e)| self.lower_destructured(p, e))
                        .collect(),
                )
            }
            _ => self.lower_expr(e),
        }
    }

    /// `let y;` or `let y: f64;`: bound by its first assignment.
    pub(super) fn declare(&mut self, pat: &Pat) {
        match pat {
            Pat::Type(t) => match simple_pattern(&t.pat) {
                Some((ident, _)) => {
                    let ty = t.ty.to_token_stream();
                    self.bind(&ident.to_string(), Binding::Uninit(Some(ty)));
                }
                None => self.declare(&t.pat),
            },
            _ => {
                for name in pattern_names(pat) {
                    self.bind(&name, Binding::Uninit(None));
                }
            }
        }
    }

    /// Gives the names a copied pattern binds fresh versions, and returns them.
    pub(super) fn rename_pattern(&mut self, pat: &mut Pat) -> Vec<(Ident, VarId)> {
        let mut renamer = PatRenamer {
            lowerer: self,
            bound: Vec::new(),
        };
        renamer.visit_pat_mut(pat);
        let bound = renamer.bound;
        let_pattern(pat);
        bound
    }

    pub(super) fn bind_pattern(&mut self, pat: &Pat, ty: Option<&syn::Type>, value: Value) {
        match (pat, &value) {
            (Pat::Type(t), _) => self.bind_pattern(&t.pat, Some(&t.ty), value),
            (Pat::Paren(p), _) => self.bind_pattern(&p.pat, ty, value),
            // `| a` (a leading `|`, valid inside a pattern) is `a`.
            (Pat::Or(o), _) if o.cases.len() == 1 => self.bind_pattern(&o.cases[0], ty, value),
            (Pat::Ident(p), _) if p.subpat.is_none() && p.by_ref.is_none() => {
                let ty = ty.map(ToTokens::to_token_stream);
                let key = p.ident.to_string();
                let value = self.name_value(&key, p.mutability.is_some(), ty, value);
                self.bind(&key, Binding::Value(value));
            }
            (Pat::Wild(_), _) => {}
            (Pat::Tuple(t), Value::Tuple(items)) if t.elems.len() == items.len() => {
                let tys: Vec<Option<&syn::Type>> = match ty {
                    Some(syn::Type::Tuple(tt)) if tt.elems.len() == items.len() => {
                        tt.elems.iter().map(Some).collect()
                    }
                    _ => vec![None; items.len()],
                };
                for ((p, item), ty) in t.elems.iter().zip(items.clone()).zip(tys) {
                    self.bind_pattern(p, ty, item);
                }
            }
            // The tuple a call returned: one field read per name.
            (Pat::Tuple(t), Value::Scalar(Operand::Var(v)))
                if self.call_results.get(v) == Some(&self.region_depth)
                    && !t.elems.iter().any(|p| matches!(p, Pat::Rest(_))) =>
            {
                let v = *v;
                for (i, p) in t.elems.iter().enumerate() {
                    let f = self.component(v, i, false);
                    self.bind_pattern(p, None, f);
                }
            }
            // The array a call returned: `let [a, b, c] = rotate(..);`.
            (Pat::Slice(s), Value::Scalar(Operand::Var(v)))
                if self.call_results.get(v) == Some(&self.region_depth)
                    && !s.elems.iter().any(|p| matches!(p, Pat::Rest(_))) =>
            {
                let v = *v;
                self.element_result(v);
                for (i, p) in s.elems.iter().enumerate() {
                    let f = self.component(v, i, true);
                    self.bind_pattern(p, None, f);
                }
            }
            (Pat::Slice(s), Value::Array(items)) if s.elems.len() == items.len() => {
                for (p, item) in s.elems.iter().zip(items.clone()) {
                    self.bind_pattern(p, None, item);
                }
            }
            _ => {
                // Copy the destructuring as tokens; if the value is active, that is an error.
                let rhs = self.value_tokens(&value);
                let uses: Vec<VarId> = value
                    .leaves()
                    .iter()
                    .filter_map(|(_, op)| Func::var_of(op))
                    .collect();
                let refusal = self.refusal(
                    pat,
                    &format!("the pattern `{}`", show(pat)),
                    "only plain names, and tuple or array patterns over literals, can bind differentiated values",
                    "Bind it to a plain name, or destructure a tuple `(a, b)` or array `[a, b]` literal",
                );
                let mut pat = pat.clone();
                let ty = ty.map(|t| quote!(: #t));
                // Names bound by the pattern become new versions.
                let bound = self.rename_pattern(&mut pat);
                // Each bound name is a definition of its own (`let j = { let (i, j) = t; j };`),
                // so a sweep that replays the region (a loop body's reverse) recomputes the names
                // it needs, as for any other definition.
                let mut refusal = Some(refusal);
                for (_, v) in &bound {
                    let ident = self.vars[*v].ident.clone();
                    self.push_def(
                        *v,
                        None,
                        Rhs::Inert {
                            tokens: quote!({
                                #[allow(unused_variables)]
                                let #pat #ty = #rhs;
                                #ident
                            }),
                            uses: uses.clone(),
                            refusal: refusal.take(),
                            pure: true,
                        },
                    );
                }
                for (name, v) in bound {
                    self.bind(
                        &name.to_string(),
                        Binding::Value(Value::Scalar(Operand::Var(v))),
                    );
                }
            }
        }
    }
}

/// Renames the names a copied pattern binds to fresh versions.
pub(super) struct PatRenamer<'l, 'a> {
    lowerer: &'l mut Lowerer<'a>,
    bound: Vec<(Ident, VarId)>,
}

impl VisitMut for PatRenamer<'_, '_> {
    fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
        let v = self
            .lowerer
            .named_var(&p.ident.to_string(), p.mutability.is_some());
        self.bound.push((p.ident.clone(), v));
        p.ident = self.lowerer.vars[v].ident.clone();
        syn::visit_mut::visit_pat_ident_mut(self, p);
    }
}

/// Makes a pattern (of a `for` loop, a closure parameter, a tuple element) fit to follow `let`,
/// which takes no top-level or-pattern: leading `|`s, which change nothing, are removed
/// (`(|i, x)` is `(i, x)`, `| i` is `i`), and a top-level `A | B` is parenthesized.
pub(super) fn let_pattern(pat: &mut Pat) {
    struct StripVert;
    impl VisitMut for StripVert {
        fn visit_pat_or_mut(&mut self, p: &mut syn::PatOr) {
            p.leading_vert = None;
            syn::visit_mut::visit_pat_or_mut(self, p);
        }
    }
    StripVert.visit_pat_mut(pat);
    if let Pat::Or(o) = pat {
        if o.cases.len() == 1 {
            let case = o.cases[0].clone();
            *pat = case;
        } else {
            let or = Pat::Or(o.clone());
            *pat = Pat::Paren(syn::PatParen {
                attrs: Vec::new(),
                paren_token: Default::default(),
                pat: Box::new(or),
            });
        }
    }
}
