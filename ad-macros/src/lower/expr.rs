//! Expressions: operators, casts, literals, paths, tuples and arrays taken apart into primitives;
//! and the refusal of what the subset does not hold.

use super::*;

impl Lowerer<'_> {
    pub(super) fn scalar(&mut self, v: Value, node: &Expr) -> Option<Operand> {
        match v {
            Value::Scalar(op) => Some(op),
            _ => {
                self.errors.spanned(
                    node,
                    format!(
                        "{}: `{}` is a tuple or array here, but a number is needed: use one of its elements",
                        self.mode,
                        node.to_token_stream()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn prim(
        &mut self,
        rule: &'static rules::Rule,
        args: Vec<Operand>,
        form: Form,
        span: Span,
    ) -> Operand {
        // A variable that copied code may change in place is read into a copy first, so the
        // reverse sweep sees the value it had here.
        let args = args
            .into_iter()
            .map(|a| match a {
                Operand::Var(v) if self.vars[v].mutable => {
                    let src = self.vars[v].ident.clone();
                    let ident = self.namer.snapshot(&src);
                    let copy = self.new_var(ident, false);
                    // Raised only if the value carries a derivative, which the copy would drop.
                    let refusal = self.refusal(
                        &src,
                        &format!("`{src}` here"),
                        "code the macro copies as written (a closure it does not inline, a \
                         macro, `unsafe`) may change it in place, so its derivative cannot be \
                         followed",
                        "Change it with plain assignments in the function's body",
                    );
                    self.push_def(
                        copy,
                        None,
                        Rhs::Inert {
                            tokens: quote!(#src),
                            uses: vec![v],
                            refusal: Some(refusal),
                            pure: false,
                        },
                    );
                    Operand::Var(copy)
                }
                a => a,
            })
            .collect();
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Prim {
                rule,
                args,
                form,
                span,
            },
        );
        Operand::Var(t)
    }

    pub(super) fn lower_expr(&mut self, e: &Expr) -> Value {
        if is_control(e) {
            return self.lower_control(e);
        }
        if !self.mentions_active(e.to_token_stream()) {
            if let Some(id) = path_ident(e)
                && let Some(Binding::Value(v)) = self.lookup(&id.to_string())
            {
                let v = v.clone();
                return self.read_state(&id.to_string(), v);
            }
            // A tuple of constants keeps its shape: `return (0.0, 0.0);` must meet the other
            // returns leaf by leaf.
            if let Expr::Tuple(t) = e
                && !t.elems.is_empty()
            {
                return Value::Tuple(t.elems.iter().map(|x| self.lower_expr(x)).collect());
            }
            return Value::Scalar(self.inert(e, None));
        }
        match e {
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Path(p) => {
                let Some(id) = p.path.get_ident() else {
                    return Value::Scalar(self.inert(e, None));
                };
                match self.lookup(&id.to_string()) {
                    Some(Binding::Value(v)) => {
                        let v = v.clone();
                        self.read_state(&id.to_string(), v)
                    }
                    Some(Binding::Closure(f)) => {
                        let f = f.clone();
                        self.escaping(&f, e);
                        dummy()
                    }
                    Some(Binding::Uninit(_) | Binding::Raw | Binding::View(_)) => {
                        self.errors.spanned(
                            e,
                            format!("{}: `{id}` is used before it is assigned", self.mode),
                        );
                        Value::Scalar(Operand::Const(e.to_token_stream()))
                    }
                    None => Value::Scalar(self.inert(e, None)),
                }
            }
            Expr::Binary(b) => {
                let name = match b.op {
                    BinOp::Add(_) => "add",
                    BinOp::Sub(_) => "sub",
                    BinOp::Mul(_) => "mul",
                    BinOp::Div(_) => "div",
                    BinOp::Rem(_) => "rem",
                    // Comparisons, logic and bit operations yield no float derivative.
                    _ if !is_compound(&b.op) => return Value::Scalar(self.inert(e, None)),
                    _ => {
                        let refusal = self.refusal(
                            e,
                            "a compound assignment inside an expression",
                            "its effect on the derivative cannot be ordered",
                            "Write it as its own statement",
                        );
                        return Value::Scalar(self.inert(e, Some(refusal)));
                    }
                };
                let l = self.lower_expr(&b.left);
                let r = self.lower_expr(&b.right);
                let (Some(l), Some(r)) = (self.scalar(l, &b.left), self.scalar(r, &b.right)) else {
                    return Value::Scalar(Operand::Const(e.to_token_stream()));
                };
                Value::Scalar(self.prim(
                    rules::operator(name),
                    vec![l, r],
                    Form::Operator,
                    b.op.span(),
                ))
            }
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let v = self.lower_expr(&u.expr);
                    match self.scalar(v, &u.expr) {
                        Some(a) => Value::Scalar(self.prim(
                            rules::operator("neg"),
                            vec![a],
                            Form::Operator,
                            u.op.span(),
                        )),
                        None => Value::Scalar(Operand::Const(e.to_token_stream())),
                    }
                }
                UnOp::Not(_) => Value::Scalar(self.inert(e, None)),
                // `*x.first().unwrap()`, `*xs.iter().max_by(..).unwrap()`: the item itself.
                UnOp::Deref(_)
                    if let Expr::MethodCall(m) = &*u.expr
                        && let Some(rewritten) = self.rewrite_consumer(m, &u.expr) =>
                {
                    self.lower_expr(&rewritten)
                }
                UnOp::Deref(_) if self.store_target(e).is_some() => {
                    let (array, _) = self.store_target(e).expect("checked");
                    self.load(array, Vec::new(), e)
                }
                _ => {
                    let refusal = self.refusal(
                        e,
                        &format!("the dereference `{}`", show(e)),
                        "references to differentiated floats are not supported yet",
                        "Pass the float by value",
                    );
                    Value::Scalar(self.inert(e, Some(refusal)))
                }
            },
            Expr::MethodCall(m) => self.lower_method(m, e),
            Expr::Call(c) => self.lower_call(c, e),
            Expr::Cast(c) => {
                if self.floats.is_float(&c.ty) {
                    let v = self.lower_expr(&c.expr);
                    match self.scalar(v, &c.expr) {
                        Some(value @ Operand::Var(_)) => {
                            let t = self.temp();
                            self.push_def(
                                t,
                                None,
                                Rhs::Cast {
                                    value,
                                    ty: c.ty.to_token_stream(),
                                },
                            );
                            Value::Scalar(Operand::Var(t))
                        }
                        _ => Value::Scalar(self.inert(e, None)),
                    }
                } else if is_integer_like(&c.ty) {
                    Value::Scalar(self.inert(e, None))
                } else {
                    let ty = c.ty.to_token_stream();
                    let refusal = self.refusal(
                        &c.ty,
                        &format!("the cast to `{ty}`"),
                        "the macro cannot tell whether this type is a float, so whether the derivative goes through",
                        "Cast to `f32`, `f64` or a generic `T: Float` parameter, or to an integer type to drop the derivative on purpose",
                    );
                    Value::Scalar(self.inert(e, Some(refusal)))
                }
            }
            Expr::Index(ix) => {
                if let Some((array, index)) = self.index_chain(e) {
                    let index = self.index_operands(&index);
                    return self.load(array, index, e);
                }
                // An element of the array a call returned (`let xo = rotate(..); xo[0]`).
                if let Some(v) = self.call_result_element(ix, e) {
                    return v;
                }
                // An element of a constant container (`r[i][0]` of `r: &[Vec<f64>]`, `p.w[i]`
                // of a struct without the derive) is read whole, as written: taking its base
                // apart would copy a row or a field out of its owner (E0507/E0508).
                let root = place_root(e);
                let aggregate = root.as_ref().is_some_and(|r| {
                    matches!(
                        self.lookup(r),
                        Some(Binding::Value(Value::Array(_) | Value::Tuple(_)))
                    )
                });
                if !aggregate {
                    let refusal = root
                        .is_none_or(|r| self.maybe_active.contains(&r))
                        .then(|| self.refuse_expr(e));
                    return Value::Scalar(self.inert(e, refusal));
                }
                // The base as it is bound (not read into a copy: only an element is read).
                let base = match path_ident(&ix.expr).and_then(|id| self.lookup(&id.to_string())) {
                    Some(Binding::Value(v)) => v.clone(),
                    _ => self.lower_expr(&ix.expr),
                };
                let at = literal_index(&ix.index);
                // At a computed index (`v[k]` of `let v = [x, y, z];`), the array is made memory
                // and the element loaded from it.
                if at.is_none()
                    && matches!(base, Value::Array(_))
                    && let Some(array) = self.materialise(&ix.expr, false)
                {
                    let index = self.index_operands(&[&*ix.index]);
                    return self.load(array, index, e);
                }
                match (base, at) {
                    (Value::Array(items), Some(k)) if k < items.len() => items[k].clone(),
                    _ => {
                        let refusal = self.refuse_expr(e);
                        Value::Scalar(self.inert(e, Some(refusal)))
                    }
                }
            }
            Expr::Range(r) => {
                // Bounds are integers: no derivative, but their operands are read.
                let mut uses = Vec::new();
                let mut bound = |l: &mut Self, x: &Option<Box<Expr>>| {
                    x.as_ref().map(|x| {
                        let v = l.lower_expr(x);
                        uses.extend(value_uses(&v));
                        l.value_tokens(&v)
                    })
                };
                let start = bound(self, &r.start);
                let end = bound(self, &r.end);
                let limits = &r.limits;
                let pure = is_pure(e, &self.mutated);
                Value::Scalar(self.inert_tokens(quote!(#start #limits #end), uses, pure))
            }
            Expr::Tuple(t) => Value::Tuple(t.elems.iter().map(|x| self.lower_expr(x)).collect()),
            Expr::Array(a) => Value::Array(a.elems.iter().map(|x| self.lower_expr(x)).collect()),
            Expr::Field(f) => {
                let base = self.lower_expr(&f.base);
                match (&f.member, base) {
                    (syn::Member::Unnamed(i), Value::Tuple(items))
                        if (i.index as usize) < items.len() =>
                    {
                        items[i.index as usize].clone()
                    }
                    // A field of the tuple a call returned: an annotated helper's, or a runtime
                    // rule's in reverse-mode code transformed again (`y_partials.0`).
                    (syn::Member::Unnamed(i), Value::Scalar(Operand::Var(v)))
                        if self.call_results.get(&v) == Some(&self.region_depth) =>
                    {
                        self.component(v, i.index as usize, false)
                    }
                    (syn::Member::Unnamed(_), Value::Scalar(Operand::Var(v)))
                        if self.call_results.contains_key(&v) =>
                    {
                        let refusal = self.refusal(
                            e,
                            &format!("the field `{}` of a tuple a call returned", show(e)),
                            "it is read inside a branch or loop that the call is outside of (the \
                             call's seed is built where the call is)",
                            "Take it apart where the call is: `let (a, b) = ..;`",
                        );
                        Value::Scalar(self.inert(e, Some(refusal)))
                    }
                    _ => {
                        let refusal = self.refusal(
                            e,
                            &format!("the field access `{}`", show(e)),
                            "only tuple fields (`t.0`) of values built in this function can carry a derivative",
                            "Destructure the tuple with `let (a, b) = ..`, or read fields of `self` only",
                        );
                        Value::Scalar(self.inert(e, Some(refusal)))
                    }
                }
            }
            _ => {
                let refusal = self.refuse_expr(e);
                Value::Scalar(self.inert(e, Some(refusal)))
            }
        }
    }

    /// The error for an expression outside the subset that touches a maybe-active value.
    pub(super) fn refuse_expr(&self, e: &Expr) -> syn::Error {
        let code = show(e);
        let (what, why, instead) = match e {
            Expr::If(_) | Expr::Match(_) => (
                "an `if` or `match` over differentiated values".to_owned(),
                "branches are not supported yet",
                "For now, write it without branching (`max`, `min`, `abs`, `clamp`, `signum`), or keep the branch on values that carry no derivative",
            ),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => (
                "a loop over differentiated values".to_owned(),
                "loops are not supported yet",
                "For now, unroll the loop by hand",
            ),
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => (
                format!("`{code}` before the end of the body"),
                "early exits are not supported yet",
                "Return once, at the end of the body",
            ),
            Expr::Index(_) => (
                format!("the indexing `{code}`"),
                "arrays and slices of differentiated values are not supported yet",
                "Pass the elements as separate float parameters",
            ),
            Expr::Closure(_) => (
                "a closure that captures a differentiated value".to_owned(),
                "the macro cannot see into closures",
                "Write the computation inline, or as its own function",
            ),
            Expr::Block(b) if b.label.is_some() => (
                "a labelled block".to_owned(),
                "`break 'label value` out of a block is not supported",
                "Write it with `if` / `else`, or a `loop` that breaks with the value",
            ),
            Expr::Unsafe(_) => (
                "an `unsafe` block touching a differentiated value".to_owned(),
                "the macro cannot know what it does to the derivative",
                "Move the unsafe code out of the differentiated function",
            ),
            Expr::Reference(_) => (
                format!("the reference `{code}` to a differentiated value"),
                "whatever receives it could change the value behind the macro's back",
                "Pass the float by value",
            ),
            Expr::Macro(m) => (
                format!(
                    "the macro call `{}!(..)` given a differentiated value",
                    show(&m.mac.path)
                ),
                "the macro cannot see what it computes",
                "Compute the value with supported operations, outside the macro",
            ),
            // (A `match`, not an `if let` guard: those need Rust 1.95, the MSRV is 1.88.)
            Expr::Call(c) => match c.args.iter().find(|a| self.is_mutable_array(a)) {
                Some(arg) => (
                    format!("the call `{}(..)`, given `{}`", show(&c.func), show(arg)),
                    "of what a call is lent to write, only slices of floats are supported \
                     (`&mut v` or `&mut v[a..b]` for a local `Vec` or array, or a `&mut [F]` \
                     parameter passed on)",
                    "Lend a slice of floats, or have the callee return its result (a float, a \
                     tuple, or an array `[F; N]`) and store it here",
                ),
                None => (
                    format!("the call `{}(..)`", show(&c.func)),
                    "it has a differentiated argument, and the function has no derivative the macro knows",
                    "Write it with supported float operations, or pass it only values that carry no derivative",
                ),
            },
            Expr::MethodCall(m) => (
                format!("the method call `.{}(..)`", m.method),
                "it has a differentiated receiver or argument, and the method has no derivative rule",
                "Use the supported float methods (listed in the README), or write it with them",
            ),
            Expr::Assign(_) => (
                format!("the assignment `{code}`"),
                "only plain local variables can receive differentiated values",
                "Assign to a local variable",
            ),
            Expr::Try(_) | Expr::Await(_) | Expr::Async(_) | Expr::Yield(_) => (
                format!("`{code}`"),
                "`?`, `async` and `await` have no derivative",
                "Keep fallible or asynchronous code out of the differentiated function",
            ),
            _ => (
                format!("the expression `{code}`"),
                "it is outside the differentiable subset",
                "Rewrite it with the supported operations listed in the README",
            ),
        };
        self.refusal(e, &what, why, instead)
    }
}
