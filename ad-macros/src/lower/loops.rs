//! Loops (`for`, `while`, `loop`) with their carried cells, and `break`, `continue` and `return`
//! as assignments to flag variables.

use super::*;

impl Lowerer<'_> {
    pub(super) fn lower_break(&mut self, b: &syn::ExprBreak) -> Flow {
        let Some(t) = self.target(b.label.as_ref(), b) else {
            return Flow::default();
        };
        if let Some(e) = &b.expr
            && jumps(e)
        {
            // `break 'l { if c { break 'l a; } b }`: the value is computed first, so that the
            // jump inside it is not overwritten by this one.
            let (v, label) = (self.synthetic("value"), &b.label);
            return self.jump_after(syn::parse_quote!({ let #v = #e; break #label #v; }));
        }
        if let Some(e) = &b.expr {
            let v = self.lower_expr(e);
            if let Some((key, _)) = self.loops[t].value.clone() {
                self.assign_key(&key, v);
            }
        }
        for j in t..self.loops.len() {
            self.set_flag(self.loops[j].brk.clone());
        }
        Flow {
            value: None,
            diverged: true,
        }
    }

    pub(super) fn lower_continue(&mut self, c: &syn::ExprContinue) -> Flow {
        let Some(t) = self.target(c.label.as_ref(), c) else {
            return Flow::default();
        };
        self.set_flag(self.loops[t].cont.clone());
        for j in t + 1..self.loops.len() {
            self.set_flag(self.loops[j].brk.clone());
        }
        Flow {
            value: None,
            diverged: true,
        }
    }

    pub(super) fn lower_return(&mut self, r: &syn::ExprReturn) -> Flow {
        if let Some(e) = &r.expr
            && jumps(e)
        {
            let v = self.synthetic("value");
            return self.jump_after(syn::parse_quote!({ let #v = #e; return #v; }));
        }
        let v = match &r.expr {
            Some(e) => self.lower_expr(e),
            None => unit(),
        };
        if self.lookup(RET).is_some() {
            self.assign_key(RET, v);
            self.set_flag(Some((RETURNED.to_owned(), self.base_ident(RETURNED))));
        }
        for j in 0..self.loops.len() {
            self.set_flag(self.loops[j].brk.clone());
        }
        Flow {
            value: None,
            diverged: true,
        }
    }

    /// Lowers `block`, which ends in a jump.
    fn jump_after(&mut self, block: Expr) -> Flow {
        let _ = self.lower_expr(&block);
        Flow {
            value: None,
            diverged: true,
        }
    }

    pub(super) fn set_flag(&mut self, flag: Option<(String, Ident)>) {
        if let Some((key, _)) = flag {
            let v = self.constant_var(&key, quote!(true));
            self.rebind(&key, v);
        }
    }

    /// The loop a `break` or `continue` leaves: the innermost, or the one with the label.
    pub(super) fn target(
        &mut self,
        label: Option<&syn::Lifetime>,
        node: impl ToTokens,
    ) -> Option<usize> {
        let found = match label {
            None => self.loops.len().checked_sub(1),
            Some(l) => {
                let name = l.ident.to_string();
                self.loops
                    .iter()
                    .rposition(|c| c.label.as_deref() == Some(&name))
            }
        };
        if found.is_none() {
            self.errors.spanned(
                node,
                format!("{}: this `break` or `continue` is not inside a loop of the function (labelled blocks are not supported)", self.mode),
            );
        }
        found
    }

    pub(super) fn new_flag(&mut self, name: &str) -> (String, Ident) {
        let key = format!("#{name}{}", self.loop_count);
        let ident = self.namer.fresh(name);
        self.base_idents.insert(key.clone(), ident.clone());
        (key, ident)
    }

    pub(super) fn lower_loop(
        &mut self,
        head: Head,
        body: &syn::Block,
        label: Option<&syn::Label>,
    ) -> Flow {
        self.loop_count += 1;
        let label_name = label.map(|l| l.name.ident.to_string());
        let ex = exits(body, label_name.as_deref());
        // `loop` only ends by `break`, so it always has the flag.
        let needs_brk = ex.brk || ex.through || matches!(head, Head::Loop);
        let ctx = LoopCtx {
            label: label_name,
            brk: needs_brk.then(|| self.new_flag("brk")),
            cont: ex.cont.then(|| self.new_flag("cont")),
            value: ex.value.then(|| self.new_flag("broke_with")),
        };
        if let Some((key, _)) = &ctx.brk {
            let v = self.constant_var(key, quote!(false));
            self.bind(key, Binding::Value(v));
        }
        if let Some((key, _)) = &ctx.value {
            self.bind(key, Binding::Value(dummy()));
        }

        // The iterator of a `for` loop, evaluated once before it.
        let iter = if let Head::For(f) = &head {
            // An iterator over constants is copied as written; one that reads a maybe-active name
            // (`0..x.len()`) is taken apart, so anything refused in it is refused precisely.
            let (tokens, uses) = if self.mentions_active(f.expr.to_token_stream()) {
                let v = self.lower_expr(&f.expr);
                (self.value_tokens(&v), value_uses(&v))
            } else {
                self.rename(f.expr.to_token_stream())
            };
            let pure = is_pure(&f.expr, &self.mutated);
            let t = self.temp();
            self.push_def(
                t,
                None,
                inert_rhs(
                    quote!(::core::iter::IntoIterator::into_iter(#tokens)),
                    uses,
                    pure,
                ),
            );
            Some(t)
        } else {
            None
        };

        // Which variables the body changes: lower it once and throw the result away.
        let carried = self.dry_run(|l| {
            l.loops.push(ctx.clone());
            l.lower_loop_body(&head, body, &ctx, iter);
            l.loops.pop();
        });

        // Cells for them, read at the top of each iteration.
        let mut cells = Vec::new();
        let mut inits = Vec::new();
        let carried: Vec<(usize, String)> = carried
            .into_iter()
            .map(|(level, key, trial_end)| {
                // `let mut r = [0.0, 0.0]; for .. { r = [a, b]; }`: an inert aggregate before the
                // loop is taken apart, before it, when an iteration builds it from parts.
                if let Some(Binding::Value(init)) = self.scopes[level].get(&key).cloned() {
                    let mut stmts = std::mem::take(&mut self.stmts);
                    let mut trial_stmts = Vec::new();
                    let (init, _) = self.conform(init, trial_end, &mut stmts, &mut trial_stmts);
                    self.stmts = stmts;
                    self.scopes[level].insert(key.clone(), Binding::Value(init));
                }
                (level, key)
            })
            .collect();
        for (level, key) in &carried {
            let init = match &self.scopes[*level][key] {
                Binding::Value(v) => v.clone(),
                _ => dummy(),
            };
            let entry = self.make_cells(key, &init, &mut cells);
            self.scopes[*level].insert(key.clone(), Binding::Value(entry));
            inits.push(init);
        }

        let outer = std::mem::take(&mut self.stmts);
        self.loops.push(ctx.clone());
        let (kind, cond_stmts) = self.lower_loop_body(&head, body, &ctx, iter);
        self.loops.pop();
        // `r = [0.0, 0.0]` in the body of a loop that carries `r` as parts: taken apart at the
        // end of the iteration.
        for ((level, key), init) in carried.iter().zip(&inits) {
            if let Binding::Value(end) = self.scopes[*level][key].clone() {
                let mut stmts = std::mem::take(&mut self.stmts);
                let mut init_stmts = Vec::new();
                let (_, end) = self.conform(init.clone(), end, &mut init_stmts, &mut stmts);
                self.stmts = stmts;
                self.scopes[*level].insert(key.clone(), Binding::Value(end));
            }
        }
        let body_stmts = std::mem::replace(&mut self.stmts, outer);

        // What each iteration writes back, and the values after the loop.
        let brk_key = ctx.brk.as_ref().map(|(key, _)| key.clone());
        let mut exit = None;
        let mut next = 0;
        for ((level, key), init) in carried.iter().zip(&inits) {
            let end = match &self.scopes[*level][key] {
                Binding::Value(v) => v.clone(),
                _ => dummy(),
            };
            if !same_shape(init, &end) {
                let what = if key.starts_with('#') || key.starts_with("__ad") || key == "_v" {
                    "a value the loop carries".to_owned()
                } else {
                    format!("`{key}`")
                };
                self.errors.at(
                    body.brace_token.span.join(),
                    format!(
                        "{} cannot differentiate this loop: {what} is a tuple or array before it \
                         and a single value (a variable or a call's result) at the end of an \
                         iteration, or the other way round. Build it the same way in both places, \
                         e.g. `let [a, b, c] = f(..); q = [a, b, c];`",
                        self.mode
                    ),
                );
            }
            if Some(key) == brk_key.as_ref()
                && let Value::Scalar(op) = &end
            {
                exit = Some(op.clone());
            }
            let after = self.fill_exits(key, init, &end, &mut cells, &mut next);
            self.scopes[*level].insert(key.clone(), Binding::Value(after));
        }
        let kind = match (kind, cond_stmts) {
            (LoopKind::While { cond, .. }, Some(cond_stmts)) => {
                LoopKind::While { cond_stmts, cond }
            }
            (kind, _) => kind,
        };
        self.stmts.push(Stmt::Loop(Box::new(Loop {
            kind,
            cells,
            body: body_stmts,
            exit,
        })));
        let value = ctx.value.as_ref().map(|(key, _)| self.current(key));
        Flow {
            value,
            diverged: false,
        }
    }

    /// Lowers a loop body (a region of its own); for `while`, the condition's statements come
    /// back separately.
    pub(super) fn lower_loop_body(
        &mut self,
        head: &Head,
        body: &syn::Block,
        ctx: &LoopCtx,
        iter: Option<VarId>,
    ) -> (LoopKind, Option<Vec<Stmt>>) {
        self.region_depth += 1;
        self.scopes.push(HashMap::new());
        let mut cond_stmts = None;
        let kind = match head {
            Head::For(f) => {
                let mut pat = (*f.pat).clone();
                let bound = self.rename_pattern(&mut pat);
                for (name, v) in &bound {
                    self.bind(
                        &name.to_string(),
                        Binding::Value(Value::Scalar(Operand::Var(*v))),
                    );
                }
                LoopKind::For {
                    pat: pat.to_token_stream(),
                    iter: iter.unwrap_or(usize::MAX),
                    bound: bound.into_iter().map(|(_, v)| v).collect(),
                }
            }
            Head::While(cond) => {
                let outer = std::mem::take(&mut self.stmts);
                let c = self.lower_expr(cond);
                let cond = self.operand_of(c);
                cond_stmts = Some(std::mem::replace(&mut self.stmts, outer));
                LoopKind::While {
                    cond_stmts: Vec::new(),
                    cond,
                }
            }
            Head::Loop => LoopKind::Loop,
        };
        if let Some((key, _)) = &ctx.cont {
            let v = self.constant_var(key, quote!(false));
            self.bind(key, Binding::Value(v));
        }
        let _ = self.lower_stmts(&body.stmts);
        self.diverged = false;
        self.scopes.pop();
        self.region_depth -= 1;
        (kind, cond_stmts)
    }

    /// Runs `f` as a trial and undoes everything it did; returns the keys of the enclosing
    /// scopes whose binding it changed, each with the shape of its value at the end of the trial
    /// (as dummies: the trial's variables are discarded).
    pub(super) fn dry_run(&mut self, f: impl FnOnce(&mut Self)) -> Vec<(usize, String, Value)> {
        let vars = self.vars.len();
        let namer = self.namer.clone();
        let versions = self.versions.clone();
        let scopes = self.scopes.clone();
        let stmts = std::mem::take(&mut self.stmts);
        let errors = std::mem::take(&mut self.errors);
        let base_idents = self.base_idents.clone();
        let loop_count = self.loop_count;
        let assigned = std::mem::take(&mut self.assigned);
        f(self);
        let mut changed = Vec::new();
        for (level, scope) in scopes.iter().enumerate() {
            let mut keys: Vec<&String> = scope.keys().collect();
            keys.sort();
            for key in keys {
                if !same(&scope[key], &self.scopes[level][key])
                    || self.assigned.contains(&(level, key.clone()))
                {
                    let end = replicate_dummy(&binding_value(&self.scopes[level][key]));
                    changed.push((level, key.clone(), end));
                }
            }
        }
        self.assigned = assigned;
        self.vars.truncate(vars);
        // What the trial noted about its own variables goes with them: their ids are reused.
        self.call_results.retain(|v, _| *v < vars);
        self.value_arrays.retain(|v| *v < vars);
        self.array_results.retain(|v| *v < vars);
        self.whole_results.retain(|v, _| *v < vars);
        self.stacks.retain(|v| *v < vars);
        self.integers.retain(|v| *v < vars);
        self.plain_inert.retain(|v| *v < vars);
        self.namer = namer;
        self.versions = versions;
        self.scopes = scopes;
        self.stmts = stmts;
        self.errors = errors;
        self.base_idents = base_idents;
        self.loop_count = loop_count;
        self.diverged = false;
        changed
    }

    /// Cells for the leaves of a carried value; returns the value read at the top of an
    /// iteration.
    pub(super) fn make_cells(&mut self, key: &str, init: &Value, cells: &mut Vec<Cell>) -> Value {
        match init {
            Value::Scalar(op) => {
                let base = crate::names::plain(&self.base_ident(key));
                let cell_ident = self.namer.fresh(&format!("{base}_c"));
                let cell = self.new_var(cell_ident, true);
                let entry = self.named_var(key, true);
                cells.push(Cell {
                    cell,
                    init: op.clone(),
                    entry,
                    exit: Operand::Const(quote!(())),
                    after: usize::MAX,
                });
                Value::Scalar(Operand::Var(entry))
            }
            Value::Tuple(items) => Value::Tuple(
                items
                    .iter()
                    .map(|i| self.make_cells(key, i, cells))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.make_cells(key, i, cells))
                    .collect(),
            ),
        }
    }

    /// Records what each cell of a carried value gets at the end of an iteration, and makes the
    /// variables reading the cells after the loop; returns the value after the loop.
    pub(super) fn fill_exits(
        &mut self,
        key: &str,
        shape: &Value,
        end: &Value,
        cells: &mut [Cell],
        next: &mut usize,
    ) -> Value {
        match shape {
            Value::Scalar(_) => {
                let exit = match end {
                    Value::Scalar(op) => op.clone(),
                    _ => Operand::Const(quote!(::core::default::Default::default())),
                };
                let after = self.named_var(key, true);
                cells[*next].exit = exit;
                cells[*next].after = after;
                *next += 1;
                Value::Scalar(Operand::Var(after))
            }
            Value::Tuple(items) | Value::Array(items) => {
                let ends: Vec<Value> = match end {
                    Value::Tuple(e) | Value::Array(e) if e.len() == items.len() => e.clone(),
                    _ => vec![dummy(); items.len()],
                };
                let out: Vec<Value> = items
                    .iter()
                    .zip(&ends)
                    .map(|(s, e)| self.fill_exits(key, s, e, cells, next))
                    .collect();
                if matches!(shape, Value::Tuple(_)) {
                    Value::Tuple(out)
                } else {
                    Value::Array(out)
                }
            }
        }
    }
}

/// Whether two values have the same structure (a dummy, the value of no assignment, has any).
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        _ if is_dummy(a) || is_dummy(b) => true,
        (Value::Scalar(_), Value::Scalar(_)) => true,
        (Value::Tuple(x), Value::Tuple(y)) | (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_shape(a, b))
        }
        _ => false,
    }
}
