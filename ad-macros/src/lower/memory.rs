//! Memory: arrays, slices and local arrays; loads, stores and array creation.

use super::*;

impl Lowerer<'_> {
    /// The memory (array, slice, `&F`) a plain name refers to.
    /// Whether a call argument lends an array to be written: `&mut a`, `&mut a[..]`, or a
    /// parameter the function itself writes through.
    pub(super) fn is_mutable_array(&self, e: &Expr) -> bool {
        match e {
            Expr::Reference(r) => r.mutability.is_some(),
            e => self
                .memory_of(e)
                .is_some_and(|v| self.written_params.contains(&v)),
        }
    }

    pub(super) fn memory_of(&self, e: &Expr) -> Option<VarId> {
        let id = path_ident(e)?;
        match self.lookup(&id.to_string()) {
            Some(Binding::Value(Value::Scalar(Operand::Var(v))))
                if self.vars[*v].depth.is_some() =>
            {
                Some(*v)
            }
            _ => None,
        }
    }

    /// `a[i][j]` as the memory `a` and its index expressions.
    pub(super) fn index_chain<'e>(&self, e: &'e Expr) -> Option<(VarId, Vec<&'e Expr>)> {
        let mut index = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::Index(i) => {
                    index.push(&*i.index);
                    cur = &i.expr;
                }
                Expr::Paren(p) => cur = &p.expr,
                _ => break,
            }
        }
        index.reverse();
        Some((self.memory_of(cur)?, index))
    }

    /// Where `target = ..` writes when it is an element of memory (`a[i]`, `*r`).
    pub(super) fn store_target<'e>(&self, target: &'e Expr) -> Option<(VarId, Vec<&'e Expr>)> {
        match target {
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => {
                let a = self.memory_of(&u.expr)?;
                (self.vars[a].depth == Some(0)).then(|| (a, Vec::new()))
            }
            Expr::Index(_) => self.index_chain(target),
            Expr::Paren(p) => self.store_target(&p.expr),
            _ => None,
        }
    }

    pub(super) fn index_operands(&mut self, index: &[&Expr]) -> Vec<Operand> {
        index
            .iter()
            .map(|i| {
                let v = self.lower_expr(i);
                self.operand_of(v)
            })
            .collect()
    }

    /// Checks that an access goes down to one float.
    pub(super) fn full_depth(&mut self, array: VarId, index: &[Operand], node: &Expr) -> bool {
        let depth = self.vars[array].depth.unwrap_or(0);
        if index.len() == depth {
            return true;
        }
        self.errors.spanned(
            node,
            format!(
                "{} cannot differentiate `{}`: it is a row of an array, not a float. Index down \
                 to one float (`{}[i][j]`), or copy the row with a loop",
                self.mode,
                show(node),
                self.vars[array].ident
            ),
        );
        false
    }

    /// The array `let [a, b, c] = e;` takes apart when it is memory, and the indices that reach
    /// it: an array held by value (`p` for `p: [F; N]`, a local array), one behind a reference
    /// (`*p` for `p: &[F; N]`), or a row (`points[i]` for `points: &[[F; 3]]`).
    pub(super) fn destructured_memory<'e>(&self, e: &'e Expr) -> Option<(VarId, Vec<&'e Expr>)> {
        // `*p` where `p` names a row of the loop `for p in points`: `*(&points[k])`.
        if let Expr::Unary(u) = e
            && matches!(u.op, UnOp::Deref(_))
            && let Expr::Reference(r) = view::strip_parens(&u.expr)
        {
            return self.destructured_memory(&r.expr);
        }
        let (array, index) = match e {
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => {
                let a = self.memory_of(&u.expr)?;
                (!self.value_arrays.contains(&a)).then_some((a, Vec::new()))?
            }
            Expr::Paren(p) => return self.destructured_memory(&p.expr),
            Expr::Index(_) => self.index_chain(e)?,
            e => {
                let a = self.memory_of(e)?;
                self.value_arrays.contains(&a).then_some((a, Vec::new()))?
            }
        };
        (index.len() < self.vars[array].depth.unwrap_or(0)).then_some((array, index))
    }

    /// `let [a, b, c] = p;` (or `= *p;`) as one load per name, `p[0]`, `p[1]`, `p[2]`; a nested
    /// pattern (`let [[a, b], [c, d]] = m;`) indexes further. rustc checks the pattern's length
    /// against the array's type in the primal, which keeps the destructuring as written. `None`
    /// when a name would bind a row rather than a float.
    pub(super) fn destructure_memory(
        &mut self,
        array: VarId,
        index: &mut Vec<Operand>,
        pat: &syn::PatSlice,
        node: &Expr,
    ) -> Option<Value> {
        let depth = self.vars[array].depth.unwrap_or(0);
        let mut items = Vec::with_capacity(pat.elems.len());
        for (i, p) in pat.elems.iter().enumerate() {
            index.push(Operand::Const(
                proc_macro2::Literal::usize_unsuffixed(i).to_token_stream(),
            ));
            let item = if index.len() == depth {
                Some(self.load(array, index.clone(), node))
            } else {
                match p {
                    Pat::Slice(inner) if !inner.elems.iter().any(|p| matches!(p, Pat::Rest(_))) => {
                        self.destructure_memory(array, index, inner, node)
                    }
                    _ => None,
                }
            };
            index.pop();
            items.push(item?);
        }
        Some(Value::Array(items))
    }

    pub(super) fn load(&mut self, array: VarId, index: Vec<Operand>, node: &Expr) -> Value {
        if !self.full_depth(array, &index, node) {
            return dummy();
        }
        let t = self.temp();
        self.push_def(t, None, Rhs::Load { array, index });
        Value::Scalar(Operand::Var(t))
    }

    /// `a[i] = v`, `a[i] op= v`, `*r = v`: a store into memory.
    pub(super) fn lower_store(
        &mut self,
        array: VarId,
        index: &[&Expr],
        op: Option<&BinOp>,
        rhs: &Expr,
        node: &Expr,
    ) {
        let index = self.index_operands(index);
        if !self.full_depth(array, &index, node) {
            return;
        }
        let v = self.lower_expr(rhs);
        let Some(value) = self.scalar(v, rhs) else {
            return;
        };
        let (value, add) = match op {
            None => (value, false),
            Some(BinOp::AddAssign(_)) => (value, true),
            Some(BinOp::SubAssign(_)) => {
                let neg = self.prim(
                    rules::operator("neg"),
                    vec![value],
                    Form::Operator,
                    rhs.span(),
                );
                (neg, true)
            }
            Some(op) => {
                let Some(rule) = compound_rule(op) else {
                    self.errors.spanned(
                        node,
                        format!(
                            "{}: `{}` is not an operation on floats",
                            self.mode,
                            show(op)
                        ),
                    );
                    return;
                };
                let current = self.load(array, index.clone(), node);
                let current = self.operand_of(current);
                (
                    self.prim(rule, vec![current, value], Form::Operator, op.span()),
                    false,
                )
            }
        };
        self.stmts.push(Stmt::Store {
            array,
            index,
            value,
            add,
        });
    }

    /// `*out = [a, b, c];` into an array behind a `&mut` parameter (`out: &mut [F; N]`), or
    /// `s = [a, b, c];` into a local array: one store per element, as `out[0] = a; out[1] = b;
    /// out[2] = c;`. The value is an array literal or what an annotated function returns; rustc
    /// checks its length against the target's in the primal. Returns whether `target` is such
    /// an array.
    pub(super) fn lower_whole_store(&mut self, target: &Expr, rhs: &Expr) -> bool {
        let Some((array, index)) = self.destructured_memory(target) else {
            return false;
        };
        if !index.is_empty() {
            return false;
        }
        // `s = ns;` of two arrays `[F; N]` (the same length, as their types are one): element
        // by element, so that `s` holds a copy with derivatives of its own.
        if let Some(source) = self.memory_of(super::view::strip_parens(rhs))
            && self.value_arrays.contains(&source)
            && self.vars[source].depth == Some(1)
            && self.vars[array].depth == Some(1)
            && (self.value_arrays.contains(&array) || matches!(target, Expr::Unary(_)))
        {
            let base = match target {
                Expr::Unary(u) => u.expr.to_token_stream(),
                e => e.to_token_stream(),
            };
            self.copy_elements(base, rhs.to_token_stream(), rhs);
            return true;
        }
        let value = match (self.array_result(rhs), self.deref_elements(rhs)) {
            (Some(value), _) => value,
            (None, Some(elements)) => self.lower_expr(&elements),
            (None, None) => self.lower_expr(rhs),
        };
        self.store_parts(array, &mut Vec::new(), value, target);
        true
    }

    /// Stores `value`, an array of the depth left below `index`, element by element.
    fn store_parts(&mut self, array: VarId, index: &mut Vec<Operand>, value: Value, node: &Expr) {
        let depth = self.vars[array].depth.unwrap_or(0);
        match value {
            Value::Scalar(value) if index.len() == depth => self.stmts.push(Stmt::Store {
                array,
                index: index.clone(),
                value,
                add: false,
            }),
            Value::Array(items) if index.len() < depth => {
                for (i, item) in items.into_iter().enumerate() {
                    index.push(Operand::Const(
                        proc_macro2::Literal::usize_unsuffixed(i).to_token_stream(),
                    ));
                    self.store_parts(array, index, item, node);
                    index.pop();
                }
            }
            _ => self.errors.spanned(
                node,
                format!(
                    "{} cannot differentiate the assignment of a whole array to `{}`: only an \
                     array literal (`[a, b, c]`), another array `[F; N]` or an array an annotated \
                     function returns can be assigned whole. Assign the elements one by one \
                     (`{}[i] = ..`)",
                    self.mode,
                    show(node),
                    self.vars[array].ident
                ),
            ),
        }
    }

    /// A local array that may hold differentiated values: `vec![0.0; n]`, `[0.0; N]`,
    /// `[[0.0; N]; M]`, `Vec::new()`, `Vec::with_capacity(n)`.
    pub(super) fn lower_new_array(
        &mut self,
        key: &str,
        ty: Option<&syn::Type>,
        init: &Expr,
    ) -> bool {
        let Some(zeros) = array_creation(init) else {
            return false;
        };
        // An array of integers is state, not memory of floats.
        if ty.is_some_and(integer_type) || self.integer_value(init) {
            return false;
        }
        if self.mentions_active(creation_elements(init)) {
            if self.lower_filled_array(key, ty, init) {
                return true;
            }
            let refusal = self.refusal(
                init,
                &format!(
                    "the array `{}` filled with a differentiated value",
                    show(init)
                ),
                "an array's tangent and adjoint start from constants",
                "Create it with a constant (`vec![0.0; n]`), then assign its elements",
            );
            self.errors.push(refusal);
        }
        self.create_array(key, ty, init, zeros);
        true
    }

    /// The local array `key`, created by `init`, which holds no differentiated value.
    fn create_array(&mut self, key: &str, ty: Option<&syn::Type>, init: &Expr, zeros: Zeros) {
        let (tokens, uses) = self.rename(init.to_token_stream());
        let v = self.named_var(key, true);
        self.vars[v].mutable = true;
        self.vars[v].depth = Some(if zeros == Zeros::Array2 { 2 } else { 1 });
        if matches!(zeros, Zeros::Array | Zeros::Array2) {
            self.value_arrays.insert(v);
        }
        if zeros == Zeros::Stack {
            self.stacks.insert(v);
        }
        let nested = (self.region_depth > 0).then(|| init.span());
        let len = match init {
            Expr::Repeat(r) if zeros == Zeros::Array => literal_index(&r.len),
            _ => None,
        };
        // Its length, for `map` and for `*`-less reads as a value.
        if let Some(n) = len {
            self.array_lens.insert(v, n);
        }
        self.push_def(
            v,
            ty.map(ToTokens::to_token_stream),
            Rhs::NewArray {
                tokens,
                zeros,
                nested,
                len,
                uses,
                filled: false,
            },
        );
        self.bind(key, Binding::Value(Value::Scalar(Operand::Var(v))));
    }
}

impl Lowerer<'_> {
    /// `[e; N]` or `vec![e; n]` with a differentiated `e`: the element is evaluated once, the
    /// array created with zeros of its type, and every element assigned, so the array is
    /// memory like any other and its tangent and adjoint start from zeros.
    ///
    /// Input: `let v = [x * 2.0; 3];`
    /// Output: `let fill = x * 2.0; let mut v = [zero_like(&fill); 3];`
    /// `for k in 0..v.len() { v[k] = fill; }`
    fn lower_filled_array(&mut self, key: &str, ty: Option<&syn::Type>, init: &Expr) -> bool {
        let (elem, zeroed) = match init {
            Expr::Repeat(r) if !matches!(&*r.expr, Expr::Repeat(_)) => {
                let fill = self.synthetic("fill");
                let len = &r.len;
                (
                    (*r.expr).clone(),
                    (
                        fill.clone(),
                        quote!([::ad_runtime::zero_like(&#fill); #len]),
                    ),
                )
            }
            Expr::Macro(m) if is_vec_macro(&m.mac.path) => {
                let body = &m.mac.tokens;
                let Ok(r) = syn::parse2::<syn::ExprRepeat>(quote!([#body])) else {
                    return false;
                };
                let fill = self.synthetic("fill");
                let len = &r.len;
                (
                    *r.expr,
                    (
                        fill.clone(),
                        quote!(::ad_runtime::__alloc::vec![::ad_runtime::zero_like(&#fill); #len]),
                    ),
                )
            }
            Expr::Paren(p) => return self.lower_filled_array(key, ty, &p.expr),
            _ => return false,
        };
        let (fill, zeroed) = zeroed;
        let k = self.synthetic("k");
        // `key` may be a raw identifier (`r#type`).
        let Ok(mut name) = syn::parse_str::<Ident>(key) else {
            return false;
        };
        name.set_span(init.span());
        let (Some(block), Some(zeroed)) = (
            self.reparse::<syn::Block>(
                quote!({
                    let #fill = #elem;
                    for #k in 0..#name.len() {
                        #name[#k] = #fill;
                    }
                }),
                init,
            ),
            self.reparse::<Expr>(zeroed, init),
        ) else {
            return false;
        };
        let Some(zeros) = array_creation(&zeroed) else {
            return false;
        };
        let _ = self.lower_stmts(&block.stmts[..1]);
        self.create_array(key, ty, &zeroed, zeros);
        let _ = self.lower_stmts(&block.stmts[1..]);
        true
    }
}

impl Lowerer<'_> {
    /// An array of floats known at compile time (`[x, 2.0 * x]`, or a name bound to one) that
    /// holds a differentiated value, as memory: a local array created from its components, then
    /// each element stored, so that a callee can borrow it. Lent to be written (`&mut v`), the
    /// name is bound to the memory from then on (a later `v[0]` reads what the callee wrote).
    ///
    /// Input: `let v = [x, 2.0 * x]; sqnorm(&v)`
    /// Output: `let _t1 = 2.0 * x; let mut _t2 = [x, _t1]; _t2[0] = x; _t2[1] = _t1;`
    /// `sqnorm(&_t2)`
    pub(super) fn materialise(&mut self, target: &Expr, lent: bool) -> Option<VarId> {
        let name = path_ident(target).map(ToString::to_string);
        let value = match &name {
            Some(n) => match self.lookup(n) {
                Some(Binding::Value(v @ Value::Array(_))) => v.clone(),
                _ => return None,
            },
            None if !lent && matches!(target, Expr::Array(_)) => self.lower_expr(target),
            None => return None,
        };
        let leaves = scalar_leaves(&value)?;
        if !leaves.iter().any(|op| matches!(op, Operand::Var(_))) {
            return None;
        }
        // A name lent to be written is rebound here, so it must belong to this scope.
        if lent
            && !name
                .as_ref()
                .is_some_and(|n| self.scopes.last().is_some_and(|s| s.contains_key(n)))
        {
            return None;
        }
        // Lent to be written, it no longer holds what it was created with.
        self.array_memory(name.as_deref().filter(|_| lent), &value, target, !lent)
    }

    /// `*p` of a `&[F; N]` of known length read as a value (an argument passed by value, what
    /// a struct's array field becomes in its flat form): the literal of its elements, `[p[0],
    /// .., p[N - 1]]`, which lowers to loads.
    pub(super) fn deref_elements(&self, e: &Expr) -> Option<Expr> {
        let Expr::Unary(u) = e else {
            return None;
        };
        let array = self.memory_of(&u.expr)?;
        if !matches!(u.op, syn::UnOp::Deref(_)) || self.vars[array].depth != Some(1) {
            return None;
        }
        let n = self.array_lens.get(&array).copied()?;
        let base = &u.expr;
        let items = (0..n).map(proc_macro2::Literal::usize_unsuffixed);
        Some(syn::parse_quote_spanned!(e.span()=> [#(#base[#items]),*]))
    }

    /// `value`, an array of floats known at compile time, as a local array: created from its
    /// components, then each element stored. With a `name`, the name is bound to the memory.
    /// `filled`: nothing writes it afterwards, so replaying its creation rebuilds it.
    /// `None` when `value` is not a flat array of floats.
    pub(super) fn array_memory(
        &mut self,
        name: Option<&str>,
        value: &Value,
        node: &Expr,
        filled: bool,
    ) -> Option<VarId> {
        let leaves = scalar_leaves(value)?;
        let tokens = self.value_tokens(value);
        let v = match name {
            Some(n) => self.named_var(n, true),
            None => self.temp(),
        };
        self.vars[v].mutable = true;
        self.vars[v].depth = Some(1);
        self.value_arrays.insert(v);
        let nested = (self.region_depth > 0).then(|| node.span());
        self.push_def(
            v,
            None,
            Rhs::NewArray {
                tokens,
                zeros: Zeros::Array,
                nested,
                len: Some(leaves.len()),
                uses: leaves.iter().filter_map(Func::var_of).collect(),
                filled,
            },
        );
        for (i, value) in leaves.into_iter().enumerate() {
            let i = syn::Index::from(i);
            self.stmts.push(Stmt::Store {
                array: v,
                index: vec![Operand::Const(quote!(#i))],
                value,
                add: false,
            });
        }
        if let Some(n) = name {
            self.bind(n, Binding::Value(Value::Scalar(Operand::Var(v))));
        }
        Some(v)
    }
}

/// The components of an array value whose components are all floats.
fn scalar_leaves(value: &Value) -> Option<Vec<Operand>> {
    let Value::Array(items) = value else {
        return None;
    };
    items
        .iter()
        .map(|i| match i {
            Value::Scalar(op) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

impl Lowerer<'_> {
    /// Element operations on a local array of floats, written as the loops they are:
    ///
    /// - `v.fill(e)`: `{ let fill = e; for k in 0..v.len() { v[k] = fill; } }`;
    /// - `v.swap(i, j)`: `{ let (a, b) = (i, j); let t = v[a]; v[a] = v[b]; v[b] = t; }`.
    ///
    /// `None` for anything else (and for integer arrays, which are state, not memory).
    pub(super) fn desugar_element_op(&mut self, m: &syn::ExprMethodCall) -> Option<Expr> {
        let array = self.memory_of(&m.receiver)?;
        if self.vars[array].depth != Some(1) {
            return None;
        }
        let v = path_ident(&m.receiver)?.clone();
        let tokens = match (m.method.to_string().as_str(), m.args.len()) {
            ("fill", 1) => {
                let (fill, k) = (self.synthetic("fill"), self.synthetic("k"));
                let e = &m.args[0];
                quote!({
                    let #fill = #e;
                    for #k in 0..#v.len() {
                        #v[#k] = #fill;
                    }
                })
            }
            ("swap", 2) => {
                let (a, b, t) = (
                    self.synthetic("i"),
                    self.synthetic("j"),
                    self.synthetic("t"),
                );
                let (i, j) = (&m.args[0], &m.args[1]);
                quote!({
                    let (#a, #b) = (#i, #j);
                    let #t = #v[#a];
                    #v[#a] = #v[#b];
                    #v[#b] = #t;
                })
            }
            _ => return None,
        };
        self.reparse(tokens, m)
    }

    /// `let w = v.to_vec()` (also `.clone()`, `.to_owned()`) of an array of floats: a new local
    /// array holding the copy, whose elements are then assigned from `v`'s, so that the copy's
    /// tangent and adjoint are its own (later writes to either leave the other alone).
    pub(super) fn lower_array_copy(
        &mut self,
        key: &str,
        ty: Option<&syn::Type>,
        init: &Expr,
    ) -> bool {
        // `let mut s = s0;` of an array held by value, `= *p` of one behind a reference, `=
        // points[i]` of a row: a local array, created as a copy.
        if let Some((source, index)) = self.destructured_memory(init)
            && self.vars[source].depth == Some(index.len() + 1)
        {
            let base = match init {
                Expr::Unary(u) => u.expr.to_token_stream(),
                e => e.to_token_stream(),
            };
            return self.copy_array(key, ty, init, base, Zeros::Array);
        }
        let Expr::MethodCall(m) = init else {
            return false;
        };
        if !m.args.is_empty()
            || !["to_vec", "clone", "to_owned"].contains(&m.method.to_string().as_str())
        {
            return false;
        }
        let Some(source) = self.memory_of(&m.receiver) else {
            return false;
        };
        if self.vars[source].depth != Some(1) {
            return false;
        }
        let base = m.receiver.to_token_stream();
        self.copy_array(key, ty, init, base, Zeros::Vec)
    }

    /// The local array `key`, created by `init` and then assigned element by element from
    /// `base[k]`, so that its elements carry `base`'s derivatives.
    fn copy_array(
        &mut self,
        key: &str,
        ty: Option<&syn::Type>,
        init: &Expr,
        base: TokenStream,
        zeros: Zeros,
    ) -> bool {
        let Ok(mut name) = syn::parse_str::<Ident>(key) else {
            return false;
        };
        name.set_span(init.span());
        self.create_array(key, ty, init, zeros);
        self.copy_elements(name.to_token_stream(), base, init);
        true
    }

    /// `for k in 0..to.len() { to[k] = from[k]; }`, lowered: each element of `to` carries the
    /// derivative of `from`'s.
    fn copy_elements(&mut self, to: TokenStream, from: TokenStream, node: &Expr) {
        let k = self.synthetic("k");
        if let Some(copy) = self.reparse::<Expr>(
            quote!(for #k in 0..#to.len() { #to[#k] = #from[#k]; }),
            node,
        ) {
            let _ = self.lower_expr(&copy);
        }
    }
}

/// Which local array an expression creates, if it creates one.
pub(super) fn array_creation(e: &Expr) -> Option<crate::ir::Zeros> {
    use crate::ir::Zeros;
    match e {
        Expr::Macro(m) if is_vec_macro(&m.mac.path) => Some(Zeros::Vec),
        // What generated reverse-mode code creates: adjoints of arrays, and value stacks.
        Expr::Call(c) => match &*c.func {
            Expr::Path(p)
                if p.path.segments.len() == 2 && p.path.segments[0].ident == "ad_runtime" =>
            {
                match p.path.segments[1].ident.to_string().as_str() {
                    "zeros_vec" => Some(Zeros::Vec),
                    "zeros_array" => Some(Zeros::Array),
                    "zeros_array2" => Some(Zeros::Array2),
                    _ => None,
                }
            }
            Expr::Path(p)
                if p.path.segments.len() == 3
                    && p.path.segments[0].ident == "ad_runtime"
                    && p.path.segments[1].ident == "Stack"
                    && p.path.segments[2].ident == "new" =>
            {
                Some(Zeros::Stack)
            }
            Expr::Path(p)
                if p.path.segments.len() == 3
                    && p.path.segments[0].ident == "ad_runtime"
                    && p.path.segments[1].ident == "Adjoints"
                    && p.path.segments[2].ident == "new" =>
            {
                Some(Zeros::Grow)
            }
            Expr::Path(p)
                if p.path.segments.len() >= 2
                    && p.path.segments[p.path.segments.len() - 2].ident == "Vec"
                    && ["new", "with_capacity"]
                        .iter()
                        .any(|n| p.path.segments.last().is_some_and(|s| s.ident == n)) =>
            {
                Some(Zeros::Vec)
            }
            _ => None,
        },
        Expr::Repeat(r) => Some(if matches!(&*r.expr, Expr::Repeat(_)) {
            Zeros::Array2
        } else {
            Zeros::Array
        }),
        Expr::Paren(p) => array_creation(&p.expr),
        _ => None,
    }
}

/// The element part of an array creation: `e` in `vec![e; n]` and `[e; N]`, every element of
/// `vec![a, b]`; nothing for `Vec::new()`.
pub(super) fn creation_elements(e: &Expr) -> TokenStream {
    match e {
        // The element of `[e; N]` is any expression (`[f64::tanh(b); 3]` is no creation call).
        Expr::Repeat(r) if matches!(&*r.expr, Expr::Repeat(_)) => creation_elements(&r.expr),
        Expr::Repeat(r) => r.expr.to_token_stream(),
        Expr::Macro(m) => m
            .mac
            .tokens
            .clone()
            .into_iter()
            .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
            .collect(),
        Expr::Paren(p) => creation_elements(&p.expr),
        Expr::Call(_) => TokenStream::new(),
        other => other.to_token_stream(),
    }
}
