//! Branches: `if`, `if let` and `match` (a chain of `if`s on `matches!`), with a φ after the
//! branches for each variable of the enclosing region that a branch reassigns.

use super::*;

impl Lowerer<'_> {
    /// Control flow, whatever it touches: every assignment inside must become SSA.
    pub(super) fn lower_control(&mut self, e: &Expr) -> Value {
        let flow = match e {
            Expr::If(i) => self.lower_if(i),
            Expr::Match(m) => self.lower_match(&m.expr, &m.arms),
            Expr::Block(b) => {
                self.scopes.push(HashMap::new());
                let f = self.lower_stmts(&b.block.stmts);
                self.scopes.pop();
                f
            }
            Expr::ForLoop(f) => match self.rewrite_for(f) {
                Some(rewritten) => return self.lower_control(&rewritten),
                None => self.lower_loop(Head::For(f), &f.body, f.label.as_ref()),
            },
            Expr::While(w) => self.lower_loop(Head::While(&w.cond), &w.body, w.label.as_ref()),
            Expr::Loop(l) => self.lower_loop(Head::Loop, &l.body, l.label.as_ref()),
            Expr::Break(b) => self.lower_break(b),
            Expr::Continue(c) => self.lower_continue(c),
            Expr::Return(r) => self.lower_return(r),
            Expr::Assign(a) => {
                if self.lower_whole_store(&a.left, &a.right) {
                    // `*out = [a, b];` or `s = [a, b];` into an array: stored element by element.
                } else if let Some(name) = self.local_target(&a.left) {
                    let value = match self.float_literal_value(&name.to_string(), &a.right) {
                        Some(value) => value,
                        None => match self.array_result(&a.right) {
                            Some(value) => value,
                            None => self.lower_expr(&a.right),
                        },
                    };
                    self.assign(&name, value, &a.left);
                } else if let Some((array, index)) = self.store_target(&a.left) {
                    self.lower_store(array, &index, None, &a.right, &a.left);
                } else {
                    self.inert_stmt(e);
                }
                Flow::default()
            }
            Expr::Binary(b) => {
                if let Some(name) = self.local_target(&b.left) {
                    let value = self.lower_compound(b);
                    self.assign(&name, value, &b.left);
                } else if let Some((array, index)) = self.store_target(&b.left) {
                    self.lower_store(array, &index, Some(&b.op), &b.right, &b.left);
                } else {
                    self.inert_stmt(e);
                }
                Flow::default()
            }
            _ => unreachable!("is_control lists the kinds handled here"),
        };
        if flow.diverged {
            self.diverged = true;
        }
        flow.value.unwrap_or_else(unit)
    }

    pub(super) fn lower_if(&mut self, i: &syn::ExprIf) -> Flow {
        let outer = self.branch_span.replace(i.if_token.span);
        let flow = self.lower_if_inner(i);
        self.branch_span = outer;
        flow
    }

    pub(super) fn lower_if_inner(&mut self, i: &syn::ExprIf) -> Flow {
        if let Some(flow) = self.lower_if_some(i) {
            return flow;
        }
        if let Expr::Let(l) = &*i.cond {
            // `if let PAT = e { A } else { B }` is a two-armed match.
            let wild: Pat = syn::parse_quote!(_);
            let arms = [
                (&*l.pat, None, Arm::Block(&i.then_branch)),
                (
                    &wild,
                    None,
                    Arm::Else(i.else_branch.as_ref().map(|(_, e)| &**e)),
                ),
            ];
            return self.lower_arms(&l.expr, &arms);
        }
        if contains_let(&i.cond) {
            let refusal = self.refusal(
                &i.cond,
                "an `if let` chain",
                "`let` inside `&&` conditions is not supported",
                "Nest the conditions: `if let .. { if .. { .. } }`",
            );
            self.errors.push(refusal);
            return Flow::default();
        }
        let c = self.lower_expr(&i.cond);
        let cond = self.operand_of(c);
        let then = |l: &mut Self| l.lower_block(&i.then_branch);
        match &i.else_branch {
            None => self.branch(cond, then, |_| Flow::default()),
            Some((_, e)) => self.branch(cond, then, |l| match &**e {
                Expr::If(nested) => l.lower_if(nested),
                Expr::Block(b) => l.lower_block(&b.block),
                other => Flow {
                    value: Some(l.lower_expr(other)),
                    diverged: false,
                },
            }),
        }
    }

    /// `if let Some(v) = x.last() { A } else { B }` (an `Option` consumer of an iterator
    /// chain, `Some(&v)` too): the chain computes the value and whether an item came, then
    /// `if found { let v = value; A } else { B }`.
    fn lower_if_some(&mut self, i: &syn::ExprIf) -> Option<Flow> {
        let Expr::Let(l) = &*i.cond else {
            return None;
        };
        let Pat::TupleStruct(t) = &*l.pat else {
            return None;
        };
        if !t.path.is_ident("Some") || t.elems.len() != 1 {
            return None;
        }
        let (found, value) = (self.synthetic("found"), self.synthetic("value"));
        let chain = self.rewrite_found(&l.expr, &found)?;
        let mut inner = t.elems[0].clone();
        super::iter::strip_ref_patterns(&mut inner);
        let then = &i.then_branch;
        let els = i.else_branch.as_ref().map(|(_, e)| quote!(else #e));
        let block: syn::Block = self.reparse(
            quote!({
                let mut #found = false;
                let #value = #chain;
                if #found { let #inner = #value; #then } #els
            }),
            &l.expr,
        )?;
        Some(self.lower_block(&block))
    }

    pub(super) fn lower_block(&mut self, b: &syn::Block) -> Flow {
        self.scopes.push(HashMap::new());
        let f = self.lower_stmts(&b.stmts);
        self.scopes.pop();
        f
    }

    pub(super) fn lower_match(&mut self, scrutinee: &Expr, arms: &[syn::Arm]) -> Flow {
        let arms: Vec<(&Pat, Option<&Expr>, Arm)> = arms
            .iter()
            .map(|a| match &a.pat {
                // A guard is part of the pattern in syn: `Some(x) if x > 0`.
                Pat::Guard(g) => (&*g.pat, Some(&*g.guard), Arm::Expr(&a.body)),
                pat => (pat, None, Arm::Expr(&a.body)),
            })
            .collect();
        self.lower_arms(scrutinee, &arms)
    }

    /// A chain of arms: each tests `matches!(*s, PAT if GUARD)`, binds the pattern's names by
    /// re-matching, and runs its body; the last arm runs unconditionally (rustc has checked the
    /// match is exhaustive on the original function).
    pub(super) fn lower_arms(
        &mut self,
        scrutinee: &Expr,
        arms: &[(&Pat, Option<&Expr>, Arm)],
    ) -> Flow {
        // A comparison or an integer is fine; a float that carries a derivative is refused (by
        // activity analysis, once it is known to be varied).
        let value = self.lower_expr(scrutinee);
        let (tokens, uses) = (self.value_tokens(&value), value_uses(&value));
        let float_uses: Vec<VarId> = uses
            .iter()
            .copied()
            .filter(|&v| !self.is_inert_def(v))
            .collect();
        let refusal = (!float_uses.is_empty()).then(|| {
            self.refusal(
                scrutinee,
                "a `match` on a differentiated value",
                "patterns cannot carry derivatives",
                "Match on integers, bools or enums, or compare floats with `if`",
            )
        });
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Inert {
                tokens: quote!(&(#tokens)),
                uses: if refusal.is_some() { float_uses } else { uses },
                refusal,
                pure: true,
            },
        );
        self.arm_chain(&Operand::Var(t), arms)
    }

    pub(super) fn arm_chain(&mut self, s: &Operand, arms: &[(&Pat, Option<&Expr>, Arm)]) -> Flow {
        let Some(((pat, guard, body), rest)) = arms.split_first() else {
            return Flow::default();
        };
        let s_tokens = emit_operand(&self.vars, s);
        let body_flow = |l: &mut Self| {
            l.scopes.push(HashMap::new());
            // `None`, `Ordering::Less`, `MAX`: a lone capitalised name in an arm is a unit
            // variant or a constant (as rustc reads it when one is in scope), not a binding.
            let binds = |n: &String| !n.starts_with(|c: char| c.is_ascii_uppercase());
            for name in pattern_names(pat).into_iter().filter(binds) {
                // Each name the pattern binds, taken out of the scrutinee by matching again.
                let id = pattern_ident(pat, &name).unwrap_or_else(|| crate::names::user(&name));
                let mut uses = Vec::new();
                if let Operand::Var(x) = s {
                    uses.push(*x);
                }
                let v = l.named_var(&name, false);
                l.push_def(
                    v,
                    None,
                    inert_rhs(
                        quote!(match *#s_tokens { #pat => #id, _ => ::core::unreachable!() }),
                        uses,
                        true,
                    ),
                );
                l.bind(&name, Binding::Value(Value::Scalar(Operand::Var(v))));
            }
            let f = match body {
                Arm::Expr(e) => Flow {
                    value: Some(l.lower_expr(e)),
                    diverged: std::mem::take(&mut l.diverged),
                },
                Arm::Block(b) => l.lower_block(b),
                Arm::Else(None) => Flow::default(),
                Arm::Else(Some(Expr::If(i))) => l.lower_if(i),
                Arm::Else(Some(Expr::Block(b))) => l.lower_block(&b.block),
                Arm::Else(Some(e)) => Flow {
                    value: Some(l.lower_expr(e)),
                    diverged: std::mem::take(&mut l.diverged),
                },
            };
            l.scopes.pop();
            f
        };
        if rest.is_empty() {
            return body_flow(self);
        }
        let guard = guard.map(|g| {
            self.scopes.push(
                pattern_names(pat)
                    .into_iter()
                    .map(|n| (n, Binding::Raw))
                    .collect(),
            );
            let (g, _) = self.rename(g.to_token_stream());
            self.scopes.pop();
            quote!(if #g)
        });
        let mut uses = self.guard_uses(guard.as_ref());
        if let Operand::Var(x) = s {
            uses.push(*x);
        }
        let cond = self.inert_tokens(
            quote!(::core::matches!(*#s_tokens, #pat #guard)),
            uses,
            true,
        );
        self.branch(cond, body_flow, |l| l.arm_chain(s, rest))
    }

    /// Whether a variable is defined by an inert expression (a comparison, an integer): such a
    /// value never carries a derivative.
    pub(super) fn is_inert_def(&self, v: VarId) -> bool {
        fn find(stmts: &[Stmt], v: VarId) -> Option<bool> {
            stmts.iter().rev().find_map(|s| match s {
                Stmt::Def { var, rhs, .. } if *var == v => Some(matches!(rhs, Rhs::Inert { .. })),
                Stmt::If(i) => find(&i.then, v).or_else(|| find(&i.els, v)),
                Stmt::Loop(l) => find(&l.body, v),
                _ => None,
            })
        }
        find(&self.stmts, v).unwrap_or(false)
    }

    pub(super) fn guard_uses(&self, guard: Option<&TokenStream>) -> Vec<VarId> {
        let Some(g) = guard else { return Vec::new() };
        let names: HashSet<String> = collect_idents(g);
        self.vars
            .iter()
            .enumerate()
            .filter(|(_, v)| names.contains(&v.ident.to_string()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Lowers both branches of a two-way choice in regions of their own, and merges what they
    /// assigned into φ variables.
    pub(super) fn branch(
        &mut self,
        cond: Operand,
        then: impl FnOnce(&mut Self) -> Flow,
        els: impl FnOnce(&mut Self) -> Flow,
    ) -> Flow {
        let before = self.scopes.clone();
        let outer = std::mem::take(&mut self.stmts);
        self.region_depth += 1;
        self.scopes.push(HashMap::new());
        let t = then(self);
        self.diverged = false;
        self.scopes.pop();
        let then_scopes = std::mem::replace(&mut self.scopes, before.clone());
        let mut then_stmts = std::mem::take(&mut self.stmts);
        self.scopes.push(HashMap::new());
        let e = els(self);
        self.diverged = false;
        self.scopes.pop();
        let else_scopes = std::mem::replace(&mut self.scopes, before);
        let mut else_stmts = std::mem::replace(&mut self.stmts, outer);
        self.region_depth -= 1;

        let mut phis = Vec::new();
        for level in 0..self.scopes.len() {
            let mut keys: Vec<String> = self.scopes[level].keys().cloned().collect();
            keys.sort();
            for key in keys {
                let b0 = &self.scopes[level][&key];
                let (bt, be) = (&then_scopes[level][&key], &else_scopes[level][&key]);
                if same(b0, bt) && same(b0, be) {
                    continue;
                }
                let (vt, ve) = self.conform(
                    binding_value(bt),
                    binding_value(be),
                    &mut then_stmts,
                    &mut else_stmts,
                );
                let merged = self.phi(&key, vt, ve, &mut phis);
                self.scopes[level].insert(key, Binding::Value(merged));
            }
        }
        let value = match (t.value, e.value) {
            (None, None) => None,
            (a, b) => {
                let (a, b) = self.conform(
                    a.unwrap_or_else(dummy),
                    b.unwrap_or_else(dummy),
                    &mut then_stmts,
                    &mut else_stmts,
                );
                Some(self.phi("_v", a, b, &mut phis))
            }
        };
        self.stmts.push(Stmt::If(Box::new(If {
            cond,
            then: then_stmts,
            els: else_stmts,
            phis,
        })));
        Flow {
            value,
            diverged: t.diverged && e.diverged,
        }
    }

    /// The value after a branch, leaf by leaf: the same operand on both sides stays; otherwise
    /// a φ variable.
    pub(super) fn phi(&mut self, key: &str, a: Value, b: Value, phis: &mut Vec<Phi>) -> Value {
        match (a, b) {
            (Value::Tuple(x), Value::Tuple(y)) if x.len() == y.len() => Value::Tuple(
                x.into_iter()
                    .zip(y)
                    .map(|(a, b)| self.phi(key, a, b, phis))
                    .collect(),
            ),
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => Value::Array(
                x.into_iter()
                    .zip(y)
                    .map(|(a, b)| self.phi(key, a, b, phis))
                    .collect(),
            ),
            (a @ (Value::Tuple(_) | Value::Array(_)), d) if is_dummy(&d) => {
                let d = replicate_dummy(&a);
                self.phi(key, a, d, phis)
            }
            (d, b @ (Value::Tuple(_) | Value::Array(_))) if is_dummy(&d) => {
                let d = replicate_dummy(&b);
                self.phi(key, d, b, phis)
            }
            (Value::Scalar(x), Value::Scalar(y)) => {
                if same_operand(&x, &y) {
                    return Value::Scalar(x);
                }
                let var = if key.starts_with('#') || key == "_v" {
                    let base = self.base_idents.get(key).cloned();
                    let ident = match base {
                        Some(b) => self.namer.version(&b, 0),
                        None => self.namer.temp(),
                    };
                    self.new_var(ident, false)
                } else {
                    self.named_var(key, true)
                };
                if self.splittable(&x) && self.splittable(&y) {
                    self.plain_inert.insert(var);
                }
                phis.push(Phi {
                    var,
                    then: x,
                    els: y,
                });
                Value::Scalar(Operand::Var(var))
            }
            (a, _) => {
                let what = if key.starts_with('#') || key.starts_with("__ad") || key == "_v" {
                    "the value of this `if` or `match`".to_owned()
                } else {
                    format!("`{key}`")
                };
                self.errors.at(
                    self.branch_span.unwrap_or_else(Span::call_site),
                    format!(
                        "{} cannot differentiate this branch: {what} is a tuple or array on one \
                         side and a single value (a variable or a call's result) on the other. \
                         Build it the same way on both sides, e.g. `(a, b)` from named parts",
                        self.mode
                    ),
                );
                a
            }
        }
    }
}

impl Lowerer<'_> {
    /// Brings the two values a φ merges to the same shape where one side is a tuple or array of
    /// parts and the other a single value that carries no derivative (`[x, y]` against
    /// `[0.0, 0.0]`, lowered as one inert value): the single value is taken apart element by
    /// element, by inert definitions appended to its own side's statements (`sa` for `a`, `sb`
    /// for `b`), where it is in scope. Any other mismatch is left for [`Self::phi`] to refuse.
    pub(super) fn conform(
        &mut self,
        a: Value,
        b: Value,
        sa: &mut Vec<Stmt>,
        sb: &mut Vec<Stmt>,
    ) -> (Value, Value) {
        match (a, b) {
            (Value::Tuple(x), Value::Tuple(y)) if x.len() == y.len() => {
                let (x, y) = self.conform_items(x, y, sa, sb);
                (Value::Tuple(x), Value::Tuple(y))
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                let (x, y) = self.conform_items(x, y, sa, sb);
                (Value::Array(x), Value::Array(y))
            }
            (a @ (Value::Tuple(_) | Value::Array(_)), Value::Scalar(op))
                if !is_dummy(&Value::Scalar(op.clone())) && self.splittable(&op) =>
            {
                let b = self.split_like(&a, &op, sb);
                self.conform(a, b, sa, sb)
            }
            (Value::Scalar(op), b @ (Value::Tuple(_) | Value::Array(_)))
                if !is_dummy(&Value::Scalar(op.clone())) && self.splittable(&op) =>
            {
                let a = self.split_like(&b, &op, sa);
                self.conform(a, b, sa, sb)
            }
            (a, b) => (a, b),
        }
    }

    fn conform_items(
        &mut self,
        x: Vec<Value>,
        y: Vec<Value>,
        sa: &mut Vec<Stmt>,
        sb: &mut Vec<Stmt>,
    ) -> (Vec<Value>, Vec<Value>) {
        x.into_iter()
            .zip(y)
            .map(|(a, b)| self.conform(a, b, sa, sb))
            .unzip()
    }

    /// A single operand that certainly carries no derivative: a constant, or a variable defined
    /// by inert code that is never refused (or a φ of such).
    pub(super) fn splittable(&self, op: &Operand) -> bool {
        match op {
            Operand::Const(_) => true,
            // Only scalars (not memory) are recorded.
            Operand::Var(v) => self.plain_inert.contains(v),
        }
    }

    /// The elements of the inert tuple or array `op`, one level deep, in the shape of `shape`
    /// (a tuple or an array): `(c)[i]` / `(c).i` for a constant, inert definitions reading the
    /// variable's elements (pushed on `stmts`) for a variable.
    pub(super) fn split_like(
        &mut self,
        shape: &Value,
        op: &Operand,
        stmts: &mut Vec<Stmt>,
    ) -> Value {
        let (Value::Tuple(items) | Value::Array(items)) = shape else {
            return Value::Scalar(op.clone());
        };
        let array = matches!(shape, Value::Array(_));
        let base = emit_operand(&self.vars, op);
        let parts = (0..items.len())
            .map(|i| {
                let tokens = if array {
                    let i = proc_macro2::Literal::usize_unsuffixed(i);
                    quote!((#base)[#i])
                } else {
                    let i = syn::Index::from(i);
                    quote!((#base).#i)
                };
                Value::Scalar(match op {
                    Operand::Const(_) => Operand::Const(tokens),
                    Operand::Var(v) => {
                        let t = self.temp();
                        self.plain_inert.insert(t);
                        stmts.push(Stmt::Def {
                            var: t,
                            ty: None,
                            rhs: inert_rhs(tokens, vec![*v], true),
                        });
                        Operand::Var(t)
                    }
                })
            })
            .collect();
        if array {
            Value::Array(parts)
        } else {
            Value::Tuple(parts)
        }
    }
}

pub(super) fn emit_operand(vars: &[Var], op: &Operand) -> TokenStream {
    match op {
        Operand::Var(v) => vars[*v].ident.to_token_stream(),
        Operand::Const(t) => t.clone(),
    }
}
