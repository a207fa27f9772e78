//! Calls: runtime helpers, path calls to primitives (`f64::sin(x)`), and calls of other
//! annotated functions (composition through their companions), with their argument classes.

use super::*;

/// The functions of a source file that return an array of a literal length (`-> [f64; 3]`,
/// `-> [T; 2]`): name → length. A name defined twice with different lengths is left out.
pub struct ArrayReturns(HashMap<String, usize>);

/// Reads [`ArrayReturns`] from a source file (any depth of modules and function bodies).
fn array_returns(file: &syn::File) -> ArrayReturns {
    struct Walk(Vec<(String, Option<usize>)>);
    impl<'ast> Visit<'ast> for Walk {
        fn visit_signature(&mut self, s: &'ast syn::Signature) {
            if let syn::ReturnType::Type(_, ty) = &s.output
                && let syn::Type::Array(a) = &**ty
            {
                self.0.push((s.ident.to_string(), literal_index(&a.len)));
            }
        }
    }
    let mut walk = Walk(Vec::new());
    walk.visit_file(file);
    let mut out: HashMap<String, usize> = HashMap::new();
    let mut ambiguous = Vec::new();
    for (name, len) in walk.0 {
        match (len, out.get(&name)) {
            (Some(n), None) => {
                out.insert(name, n);
            }
            (Some(n), Some(&m)) if n == m => {}
            _ => ambiguous.push(name),
        }
    }
    for name in ambiguous {
        out.remove(&name);
    }
    ArrayReturns(out)
}

/// A call's arguments: operands, how memory is passed, how state is passed.
pub(super) type CallArgs = (Vec<Operand>, Vec<Option<MemArg>>, Vec<Option<StateArg>>);

impl Lowerer<'_> {
    /// The runtime's helpers, as generated reverse-mode code calls them, so that the tangent
    /// transform can run over that code again (forward over reverse, for second derivatives):
    /// `zero_like(&x)`, `zero()`, `one()` are constants; `accumulate(&mut a, e)` is `a = a + e`.
    /// `None` for any other call.
    pub(super) fn lower_runtime_call(&mut self, c: &syn::ExprCall, e: &Expr) -> Option<Value> {
        let Expr::Path(p) = &*c.func else {
            return None;
        };
        let names: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match names[..] {
            [
                "ad_runtime",
                "zero_like" | "zero" | "one" | "zero_elem" | "one_elem" | "cast_like" | "ordering",
            ] => {
                let mut uses = Vec::new();
                let mut args = Vec::new();
                for a in &c.args {
                    let (inner, borrowed) = match a {
                        Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, true),
                        other => (other, false),
                    };
                    let v = match self.memory_of(inner) {
                        Some(m) => Value::Scalar(Operand::Var(m)),
                        None => self.lower_expr(inner),
                    };
                    uses.extend(value_uses(&v));
                    let t = self.value_tokens(&v);
                    args.push(if borrowed { quote!(&#t) } else { t });
                }
                let func = &c.func;
                Some(Value::Scalar(self.inert_tokens(
                    quote!(#func(#(#args),*)),
                    uses,
                    true,
                )))
            }
            ["ad_runtime", "accumulate"] if c.args.len() == 2 => {
                let Expr::Reference(r) = &c.args[0] else {
                    return None;
                };
                let (target, value) = (&r.expr, &c.args[1]);
                let assign: Expr = syn::parse2(quote!(#target = #target + (#value))).ok()?;
                Some(self.lower_expr(&assign))
            }
            _ => {
                let _ = e;
                None
            }
        }
    }

    pub(super) fn lower_call(&mut self, c: &syn::ExprCall, e: &Expr) -> Value {
        if let Some(f) = self.local_callee(&c.func) {
            return self.inline_call(&f, &c.args, e);
        }
        if let Some(f) = self.same_file_callee(c) {
            self.inlined.push(f.name.to_string());
            let v = self.inline_call(&f, &c.args, e);
            self.inlined.pop();
            return v;
        }
        if let Some(v) = self.refuse_unsized_from_fn(c, e) {
            return v;
        }
        if let Some(v) = self.lower_runtime_call(c, e) {
            return v;
        }
        if let Expr::Path(p) = &*c.func
            && p.path.segments.len() >= 2
        {
            let last = p
                .path
                .segments
                .last()
                .expect("two segments")
                .ident
                .to_string();
            let rule_names: Vec<&str> = if last == rules::SIN_COS {
                vec!["sin", "cos"]
            } else {
                vec![last.as_str()]
            };
            if rule_names.iter().all(|n| rules::method(n).is_some()) {
                let mut args = Vec::new();
                for a in &c.args {
                    let v = self.lower_expr(a);
                    match self.scalar(v, a) {
                        Some(op) => args.push(op),
                        None => return Value::Scalar(Operand::Const(e.to_token_stream())),
                    }
                }
                let mut results = Vec::new();
                for n in rule_names {
                    let rule = rules::method(n).expect("checked above");
                    if args.len() != rule.arity {
                        self.errors.spanned(
                            e,
                            format!(
                                "{}: `{n}` takes {} argument(s), not {}",
                                self.mode,
                                rule.arity,
                                args.len()
                            ),
                        );
                        return Value::Scalar(Operand::Const(e.to_token_stream()));
                    }
                    let mut path = p.clone();
                    path.path.segments.last_mut().expect("two segments").ident = Ident::new(
                        n,
                        p.path.segments.last().expect("two segments").ident.span(),
                    );
                    let span = c.func.span();
                    results.push(Value::Scalar(self.prim(
                        rule,
                        args.clone(),
                        Form::Path(path.to_token_stream()),
                        span,
                    )));
                }
                return if results.len() == 1 {
                    results.pop().expect("one")
                } else {
                    Value::Tuple(results)
                };
            }
        }
        // Reverse-mode code copies integer state as `::core::clone::Clone::clone(&idx)`.
        if self.of_reverse_code && self.integer_value(e) {
            return Value::Scalar(self.inert(e, None));
        }
        // A call to another function: differentiated through its companions, which the callee's
        // own macro wrote (rustc reports a callee without them, at this call).
        if let Expr::Path(p) = &*c.func
            && p.qself.is_none()
            && self.of_reverse_code
            && let Some(callee) = adjoint_callee(p)
            && let Some(v) = self.lower_adjoint_call(callee, &c.args, e)
        {
            return v;
        }
        if let Expr::Path(p) = &*c.func
            && p.qself.is_none()
            && let Some(v) = self.lower_composition(p, &c.args, e)
        {
            return v;
        }
        let refusal = self.refuse_expr(e);
        Value::Scalar(self.inert(e, Some(refusal)))
    }

    /// Lowers the arguments of a call to an annotated callee: scalars, read-only memory (`xs`,
    /// `&v`, `&v[a..b]`) and slices lent to be written (`&mut v`, `&mut v[a..b]`, a `&mut`
    /// parameter passed on); `None` when one is none of these.
    pub(super) fn call_args<'e>(
        &mut self,
        args: impl Iterator<Item = &'e Expr>,
    ) -> Option<CallArgs> {
        let mut ops = Vec::new();
        let mut memory = Vec::new();
        let mut state = Vec::new();
        for a in args {
            // Integer state (an index list, a permutation): passed through, and copied first
            // when it may change before the reverse sweep reruns the callee.
            if let Some((v, s)) = self.state_arg(a) {
                ops.push(Operand::Var(v));
                memory.push(None);
                state.push(Some(s));
                continue;
            }
            state.push(None);
            let a = match a {
                Expr::Paren(p) => &*p.expr,
                other => other,
            };
            let (target, borrowed, lent) = match a {
                Expr::Reference(r) => (&*r.expr, true, r.mutability.is_some()),
                other => (other, false, false),
            };
            // `&xs[a..b]`: a sub-slice, its range evaluated once.
            if borrowed
                && let Expr::Index(ix) = target
                && matches!(&*ix.index, Expr::Range(_))
                && let Some(array) = self.memory_of(&ix.expr)
                && self.vars[array].depth == Some(1)
            {
                let range = self.lower_expr(&ix.index);
                let range = self.operand_of(range);
                ops.push(Operand::Var(array));
                memory.push(Some(MemArg {
                    borrowed: true,
                    mutable: lent,
                    range: Some(range),
                    by_value: false,
                    span: a.span(),
                }));
                continue;
            }
            // `*p` of a `&[F; N]` (what a struct's array field read by value becomes): the
            // array of its elements, passed by value like an array literal.
            if !borrowed
                && let Some(elements) = self.deref_elements(target)
                && let Some(array) = self.materialise(&elements, false)
            {
                ops.push(Operand::Var(array));
                memory.push(Some(MemArg {
                    borrowed: false,
                    mutable: false,
                    range: None,
                    by_value: true,
                    span: a.span(),
                }));
                continue;
            }
            if let Some(array) = self.memory_of(target) {
                // A slice the function writes through, passed on as it is, is lent to be written.
                let mutable = lent || (!borrowed && self.written_params.contains(&array));
                if mutable && self.vars[array].depth != Some(1) {
                    return None;
                }
                // An array by value: `[F; N]` only (a by-value `[[F; N]; M]` has no companion).
                let by_value = !borrowed && self.value_arrays.contains(&array);
                if by_value && self.vars[array].depth != Some(1) {
                    self.errors.at(
                        a.span(),
                        format!(
                            "{} cannot differentiate an array of arrays passed by value to a call: \
                             not supported yet. Pass the rows the helper needs as `[F; N]` arrays",
                            self.mode
                        ),
                    );
                }
                ops.push(Operand::Var(array));
                memory.push(Some(MemArg {
                    borrowed,
                    mutable,
                    range: None,
                    by_value,
                    span: a.span(),
                }));
                continue;
            }
            // An array literal, or a name bound to one, holding differentiated values: its
            // components are variables of their own, so it becomes memory first.
            // By value (`g(v)` for a `[F; N]` parameter), it is passed as a copy of that memory.
            if let Some(array) = self.materialise(target, lent) {
                ops.push(Operand::Var(array));
                memory.push(Some(MemArg {
                    borrowed,
                    mutable: lent,
                    range: None,
                    by_value: !borrowed,
                    span: a.span(),
                }));
                continue;
            }
            if lent {
                return None;
            }
            match self.lower_expr(a) {
                Value::Scalar(op) => {
                    if let Operand::Var(v) = op
                        && self.call_results.contains_key(&v)
                    {
                        self.whole_result(v, a.span());
                    }
                    ops.push(op);
                    memory.push(None);
                }
                // An aggregate of constants (`[1.0, 0.0, 0.0]`): passed as written.
                v if value_uses(&v).is_empty() => {
                    ops.push(Operand::Const(self.value_tokens(&v)));
                    memory.push(None);
                }
                _ => return None,
            }
        }
        Some((ops, memory, state))
    }

    /// A call argument that is integer state the function may change in place: `&mut v`, a
    /// `&mut` parameter passed on, or (by value or `&v`) a variable that code here changes in
    /// place. Takes the copy (`v.to_owned()`) that the reverse sweep passes instead, so the
    /// callee's reverse pass sees what its forward pass saw (see [`StateArg`]). `None` for
    /// anything else, which is passed as before.
    fn state_arg(&mut self, a: &Expr) -> Option<(VarId, StateArg)> {
        let (target, pass) = match a {
            Expr::Reference(r) if r.mutability.is_some() => (&*r.expr, Pass::BorrowMut),
            Expr::Reference(r) => (&*r.expr, Pass::Borrow),
            other => (other, Pass::Value),
        };
        let name = path_ident(target)?.to_string();
        let Some(Binding::Value(Value::Scalar(Operand::Var(v)))) = self.lookup(&name) else {
            return None;
        };
        let v = *v;
        if self.vars[v].depth.is_some() || !self.integers.contains(&v) {
            return None;
        }
        let pass = match pass {
            Pass::Value if self.ref_mut_params.contains(&v) => Pass::RefMut,
            p => p,
        };
        let changes =
            matches!(pass, Pass::BorrowMut | Pass::RefMut) || self.mutated.contains(&name);
        if !changes {
            return None;
        }
        let ident = self.vars[v].ident.clone();
        // `ToOwned` is not in a `no_std` crate's prelude: brought into scope through the runtime.
        let snapshot = self.inert_tokens(
            quote!({
                use ::ad_runtime::__alloc::borrow::ToOwned as _;
                #ident.to_owned()
            }),
            vec![v],
            false,
        );
        let copy = Func::var_of(&snapshot).expect("a definition");
        let state = StateArg {
            pass,
            snapshot: Some(snapshot),
            span: a.span(),
        };
        self.vars[copy].mutable = state.lent();
        Some((v, state))
    }

    /// A component of a call's result read here: `t.0` of a tuple, `t[0]` of an array.
    pub(super) fn component(&mut self, base: VarId, index: usize, element: bool) -> Value {
        let f = self.temp();
        self.push_def(
            f,
            None,
            Rhs::Field {
                base: Operand::Var(base),
                index,
                element,
            },
        );
        Value::Scalar(Operand::Var(f))
    }

    /// The value of `rotate(..)` where `rotate`, written in the same file, returns an array of a
    /// literal length: the result's elements, as if written
    /// `let [q0, q1, q2] = rotate(..); [q0, q1, q2]`, so that a name bound to it can be read by
    /// element, passed whole any number of times, and used inside branches and loops. `None`
    /// (nothing lowered) for any other expression.
    pub(super) fn array_result(&mut self, e: &Expr) -> Option<Value> {
        let len = self.array_result_len(e)?;
        let value = self.lower_expr(e);
        Some(match value {
            Value::Scalar(Operand::Var(t)) if self.call_results.contains_key(&t) => {
                self.element_result(t);
                Value::Array((0..len).map(|k| self.component(t, k, true)).collect())
            }
            other => other,
        })
    }

    /// The length of the array a call returns, when the callee is a function of this file
    /// returning `[F; N]` with a literal `N`.
    pub(super) fn array_result_len(&self, e: &Expr) -> Option<usize> {
        let Expr::Call(c) = e else {
            return None;
        };
        let Expr::Path(p) = &*c.func else {
            return None;
        };
        let callee = &p.path.segments.last()?.ident;
        let name = callee.to_string();
        crate::source::with_source(callee, array_returns, |_, r| r.0.get(&name).copied())
    }

    /// A call's result `v` passed whole to another call (at `span`).
    fn whole_result(&mut self, v: VarId, span: Span) {
        if self.array_results.contains(&v) {
            self.mixed_result(span);
        }
        self.whole_results.insert(v, span);
    }

    /// A call's result `v` read by element (`t[0]`, `let [a, b, c] = ..`): an array.
    pub(super) fn element_result(&mut self, v: VarId) {
        if let Some(&span) = self.whole_results.get(&v) {
            self.mixed_result(span);
        }
        self.array_results.insert(v);
    }

    fn mixed_result(&mut self, span: Span) {
        self.errors.at(
            span,
            format!(
                "{} cannot differentiate an array a call returned that is both read by element \
                 and passed whole to another call: not supported yet. Take it apart \
                 (`let [a, b, c] = f(..);`) and pass the array literal `[a, b, c]`",
                self.mode
            ),
        );
    }

    /// `xo[0]` of `let xo = rotate(..);`: an element of the array an annotated helper returned,
    /// at a literal index (the seed of the call's reverse pass is built from these elements'
    /// adjoints). `None` when `ix` does not index a call's result.
    pub(super) fn call_result_element(&mut self, ix: &syn::ExprIndex, e: &Expr) -> Option<Value> {
        // `adj.0[1]` in reverse-mode code lowered again: an element of the array adjoint a
        // callee's reverse pass returned (see `reverse.rs`, which writes it so).
        if self.of_reverse_code
            && let Expr::Field(f) = &*ix.expr
            && let syn::Member::Unnamed(k) = &f.member
            && let Some(name) = path_ident(&f.base)
            && let Some(Binding::Value(Value::Scalar(Operand::Var(v)))) =
                self.lookup(&name.to_string())
            && self.call_results.get(v) == Some(&self.region_depth)
            && let Some(i) = literal_index(&ix.index)
        {
            let v = *v;
            let Value::Scalar(Operand::Var(array)) = self.component(v, k.index as usize, false)
            else {
                return None;
            };
            return Some(self.component(array, i, true));
        }
        let name = path_ident(&ix.expr)?.to_string();
        let Some(Binding::Value(Value::Scalar(Operand::Var(v)))) = self.lookup(&name) else {
            return None;
        };
        let v = *v;
        match self.call_results.get(&v) {
            None => return None,
            Some(&depth) if depth != self.region_depth => {
                let refusal = self.refusal(
                    e,
                    &format!("the element `{}` of an array a call returned", show(e)),
                    "it is read inside a branch or loop that the call is outside of (the call's \
                     seed is built where the call is)",
                    "Take it apart where the call is, one name per element: `let [a, b, c] = ..;`",
                );
                return Some(Value::Scalar(self.inert(e, Some(refusal))));
            }
            Some(_) => {}
        }
        self.element_result(v);
        Some(match literal_index(&ix.index) {
            Some(k) => self.component(v, k, true),
            None => {
                let refusal = self.refusal(
                    e,
                    &format!("the element `{}` of an array a call returned", show(e)),
                    "it is read by a literal index only (each element read is a component of the call's seed)",
                    &format!("Write `{name}[0]`, `{name}[1]`, .., or take it apart with `let [a, b, c] = ..`"),
                );
                Value::Scalar(self.inert(e, Some(refusal)))
            }
        })
    }

    /// `g::__derive_grad((a, b), (Zero, Zero), seed)` in reverse-mode code lowered again: the
    /// callee's reverse pass, whose tangent is its companion `g__derive_hvp` over the arguments
    /// and the seed ([`Second::Adjoint`]). The value is `(value, (adjoint per argument))`, read
    /// by fields. `None` when a shadow is not `Zero` (an active slice, refused before: see
    /// `hessian::check`).
    pub(super) fn lower_adjoint_call(
        &mut self,
        callee: Callee,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        e: &Expr,
    ) -> Option<Value> {
        let [Expr::Tuple(primals), Expr::Tuple(shadows), seed] =
            &args.iter().collect::<Vec<_>>()[..]
        else {
            return None;
        };
        let zero = |s: &Expr| matches!(s, Expr::Path(p) if p.path.segments.last().is_some_and(|l| l.ident == "Zero"));
        if !shadows.elems.iter().all(zero) {
            return None;
        }
        let (mut args, mut memory, mut state) = (Vec::new(), Vec::new(), Vec::new());
        for a in primals.elems.iter().chain(std::iter::once(*seed)) {
            let (o, m, s) = match self.call_args(std::iter::once(a)) {
                Some(lowered) => lowered,
                // State the reverse sweep kept (`&mut _t4` of a copy popped off a stack), which
                // lowering copied as it is: passed as it is.
                None if self.kept_state(a) => (vec![self.inert(a, None)], vec![None], vec![None]),
                None => return None,
            };
            args.extend(o);
            memory.extend(m);
            state.extend(s);
        }
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Call {
                callee,
                args,
                memory,
                state,
                span: e.span(),
                second: Some(Second::Adjoint),
            },
        );
        self.call_results.insert(t, self.region_depth);
        let value = self.component(t, 0, false);
        let adjoints = self.component(t, 1, false);
        if let Value::Scalar(Operand::Var(a)) = adjoints {
            self.call_results.insert(a, self.region_depth);
        }
        Some(Value::Tuple(vec![value, adjoints]))
    }

    /// `&mut v` where `v` is a value, not memory: in reverse-mode code, the copy of integer
    /// state a call's reverse pass takes (floats are never lent `&mut` to a companion).
    fn kept_state(&self, a: &Expr) -> bool {
        let Expr::Reference(r) = a else {
            return false;
        };
        r.mutability.is_some()
            && path_ident(&r.expr).is_some_and(|id| {
                matches!(
                    self.lookup(&id.to_string()),
                    Some(Binding::Value(Value::Scalar(Operand::Var(v)))) if self.vars[*v].depth.is_none()
                )
            })
    }

    pub(super) fn lower_composition(
        &mut self,
        p: &syn::ExprPath,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        e: &Expr,
    ) -> Option<Value> {
        // `a::b::g::<T>` is called as `a::b::g__derive_tangent`: the prefix keeps its `::`; the turbofish
        // goes (the companion has more generic parameters, and inference finds them).
        let segments: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
        let (last, init) = segments.split_last()?;
        let name = last.ident.clone();
        // A constant argument (`g::<2>(..)`) cannot be inferred at the companion's call.
        if let syn::PathArguments::AngleBracketed(a) = &last.arguments
            && a.args
                .iter()
                .any(|g| matches!(g, syn::GenericArgument::Const(_)))
        {
            self.errors.spanned(
                &last.arguments,
                format!(
                    "{} cannot differentiate through a call with a constant generic argument \
                     (`{}::<..>(..)`): not supported yet. Pass the constant as a `usize` argument, \
                     or make it part of a parameter's type (`[f64; N]`)",
                    self.mode, name
                ),
            );
            return Some(Value::Scalar(self.inert(e, None)));
        }
        let leading = p.path.leading_colon.map(|_| quote!(::));
        let runtime = init.first().is_some_and(|s| s.ident == "ad_runtime");
        // In reverse-mode code lowered again, the partials of `min`, `max`, `abs`, .. are
        // piecewise constant: no derivative, so nothing computes tangents only they would read.
        if runtime && self.of_reverse_code && rules::flat_runtime(&name.to_string()) {
            return Some(Value::Scalar(self.inert(e, None)));
        }
        let init = init.iter();
        let prefix = quote!(#leading #(#init::)*);
        let (args, memory, state) = self.call_args(args.iter())?;
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Call {
                callee: Callee::Path { prefix, name },
                args,
                memory,
                state,
                span: e.span(),
                // The runtime's rules (`sin_partial`) have forward-mode companions of their own.
                second: (self.of_reverse_code && !runtime).then_some(Second::Primal),
            },
        );
        // Its result may be a tuple (a runtime rule's partials, a helper's `(f64, f64)`), read
        // by fields or a tuple pattern.
        self.call_results.insert(t, self.region_depth);
        Some(Value::Scalar(Operand::Var(t)))
    }
}

/// The callee of a call to a companion `__derive_grad`: `g` of `g::__derive_grad` (through the
/// anchor) or of `m::g__derive_grad`.
fn adjoint_callee(p: &syn::ExprPath) -> Option<Callee> {
    let segments: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
    let (last, init) = segments.split_last()?;
    let leading = p.path.leading_colon.map(|_| quote!(::));
    let text = last.ident.to_string();
    if last.ident == crate::names::forwarder("_derive_grad") {
        let (name, init) = init.split_last()?;
        let init = init.iter();
        return Some(Callee::Path {
            prefix: quote!(#leading #(#init::)*),
            name: name.ident.clone(),
        });
    }
    let name = text
        .strip_suffix("__derive_grad")
        .filter(|n| !n.is_empty())?;
    let init = init.iter();
    Some(Callee::Path {
        prefix: quote!(#leading #(#init::)*),
        name: Ident::new(name, last.ident.span()),
    })
}
