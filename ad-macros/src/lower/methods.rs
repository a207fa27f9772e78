//! Method calls: primitives written as methods (`x.sin()`), runtime helpers of generated code,
//! range adapters, and inert methods.

use super::*;

impl Lowerer<'_> {
    pub(super) fn lower_method(&mut self, m: &syn::ExprMethodCall, e: &Expr) -> Value {
        let name = m.method.to_string();
        if let Some(v) = self.lower_array_map(m) {
            return v;
        }
        if name == rules::SIN_COS && m.args.is_empty() {
            let x = self.lower_expr(&m.receiver);
            let Some(x) = self.scalar(x, &m.receiver) else {
                return Value::Scalar(Operand::Const(e.to_token_stream()));
            };
            let span = m.method.span();
            let s = self.prim(
                rules::method("sin").expect("sin is a rule"),
                vec![x.clone()],
                Form::Method,
                span,
            );
            let c = self.prim(
                rules::method("cos").expect("cos is a rule"),
                vec![x],
                Form::Method,
                span,
            );
            return Value::Tuple(vec![Value::Scalar(s), Value::Scalar(c)]);
        }
        if let Some(rule) = rules::method(&name) {
            if m.args.len() + 1 != rule.arity {
                self.errors.spanned(
                    &m.method,
                    format!(
                        "{}: `{name}` takes {} argument(s) here, not {}",
                        self.mode,
                        rule.arity - 1,
                        m.args.len()
                    ),
                );
                return Value::Scalar(Operand::Const(e.to_token_stream()));
            }
            let mut args = Vec::new();
            for a in std::iter::once(&*m.receiver).chain(m.args.iter()) {
                let v = self.lower_expr(a);
                match self.scalar(v, a) {
                    Some(op) => args.push(op),
                    None => return Value::Scalar(Operand::Const(e.to_token_stream())),
                }
            }
            return Value::Scalar(self.prim(rule, args, Form::Method, m.method.span()));
        }
        if rules::is_inactive_method(&name) {
            return Value::Scalar(self.inert(e, None));
        }
        if RANGE_ADAPTERS.contains(&name.as_str()) && is_range_iterator(&m.receiver) {
            return self.lower_range_adapter(m, e);
        }
        // An iterator chain ending in a consumer, also over constants with closures that
        // capture differentiated values.
        if let Some(rewritten) = self.rewrite_consumer(m, e) {
            return self.lower_expr(&rewritten);
        }
        // `self.g__derive_grad(args, shadows, seed)` in reverse-mode code lowered again.
        if self.of_reverse_code
            && let Some(name) = name.strip_suffix("__derive_grad").filter(|n| !n.is_empty())
        {
            let (receiver, _) = self.rename(m.receiver.to_token_stream());
            let name = Ident::new(name, m.method.span());
            if let Some(v) = self.lower_adjoint_call(Callee::Method { receiver, name }, &m.args, e)
            {
                return v;
            }
        }
        // A method of a constant receiver (`self.energy(x)`) with differentiated arguments: a call
        // to an annotated method, through its companions.
        if !self.mentions_active(m.receiver.to_token_stream())
            && m.args
                .iter()
                .any(|a| self.mentions_active(a.to_token_stream()))
        {
            let (receiver, _) = self.rename(m.receiver.to_token_stream());
            if let Some((args, memory, state)) = self.call_args(m.args.iter()) {
                let t = self.temp();
                self.push_def(
                    t,
                    None,
                    Rhs::Call {
                        callee: Callee::Method {
                            receiver,
                            name: m.method.clone(),
                        },
                        args,
                        memory,
                        state,
                        span: e.span(),
                        second: self.of_reverse_code.then_some(Second::Primal),
                    },
                );
                return Value::Scalar(Operand::Var(t));
            }
        }
        // A stack of generated reverse-mode code: `s.pop()` reads its last value back,
        // `s.reserve(n)` only makes room.
        if let Some(array) = self.memory_of(&m.receiver)
            && self.stacks.contains(&array)
        {
            if name == "pop" && m.args.is_empty() {
                let t = self.temp();
                self.push_def(t, None, Rhs::Pop { array });
                return Value::Scalar(Operand::Var(t));
            }
            if name == "reserve" {
                return Value::Scalar(self.inert(e, None));
            }
        }
        if name == "push"
            && m.args.len() == 1
            && let Some(array) = self.memory_of(&m.receiver)
        {
            // A stack of generated code pushes `Clone::clone(&x)`: for a float, `x`.
            let arg = match &m.args[0] {
                Expr::Call(c)
                    if self.stacks.contains(&array) && c.args.len() == 1 && is_clone(&c.func) =>
                {
                    match &c.args[0] {
                        Expr::Reference(r) => &*r.expr,
                        other => other,
                    }
                }
                other => other,
            };
            let v = self.lower_expr(arg);
            let Some(value) = self.scalar(v, arg) else {
                return unit();
            };
            let ident = self.vars[array].ident.clone();
            let Operand::Var(index) = self.inert_tokens(quote!(#ident.len()), vec![array], false)
            else {
                return unit();
            };
            self.stmts.push(Stmt::Push {
                array,
                index,
                value,
            });
            return unit();
        }
        if (name == "clone" || name == "to_owned")
            && m.args.is_empty()
            && self.memory_of(&m.receiver).is_none()
        {
            return self.lower_expr(&m.receiver);
        }
        let refusal = self.refuse_expr(e);
        Value::Scalar(self.inert(e, Some(refusal)))
    }

    /// `(0..w.len()).rev()`, `(0..n).step_by(2)`: an iterator over integers carries no
    /// derivative, whatever its bounds read, so it is inert; its operands are still read (and
    /// taken apart, so that what they mention is renamed and recorded as used).
    pub(super) fn lower_range_adapter(&mut self, m: &syn::ExprMethodCall, e: &Expr) -> Value {
        let receiver = self.lower_expr(&m.receiver);
        let mut uses = value_uses(&receiver);
        let receiver = self.value_tokens(&receiver);
        let mut args = Vec::new();
        for a in &m.args {
            let v = self.lower_expr(a);
            uses.extend(value_uses(&v));
            args.push(self.value_tokens(&v));
        }
        let (method, turbofish) = (&m.method, &m.turbofish);
        let pure = is_pure(e, &self.mutated);
        Value::Scalar(self.inert_tokens(
            quote!(#receiver.#method #turbofish (#(#args),*)),
            uses,
            pure,
        ))
    }
}
