//! The reverse sweep: statements backwards, each adding `partial * adjoint` into the adjoints of
//! its active arguments; branches and loops replayed, then reversed.

use super::*;

impl Adjoint<'_> {
    /// Adds `expr` into the adjoint of `v`, declaring it on first use.
    pub(super) fn contribute(
        &mut self,
        v: VarId,
        expr: TokenStream,
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        let bar = self.bar[v]
            .clone()
            .expect("contributions go to active variables");
        if self.predeclared[v] {
            out.extend(quote!(::ad_runtime::accumulate(&mut #bar, #expr);));
        } else if self.declared.contains(&v) {
            out.extend(quote!(#bar = #bar + #expr;));
        } else {
            self.declared.insert(v);
            let mutability = (counts.get(&v).copied().unwrap_or(0) > 1).then(|| quote!(mut));
            out.extend(quote!(let #mutability #bar = #expr;));
        }
    }

    /// The adjoint of `v` as an expression, or `None` when nothing has reached it.
    pub(super) fn bar_of(&self, v: VarId) -> Option<TokenStream> {
        self.bar[v]
            .as_ref()
            .filter(|_| self.declared.contains(&v))
            .map(ToTokens::to_token_stream)
    }

    /// How many contributions each variable gets directly in this list of statements (not in
    /// nested regions): one contribution is a plain `let`, more need `mut`.
    pub(super) fn count(
        &self,
        stmts: &[Stmt],
        seeds: &[(VarId, TokenStream)],
    ) -> HashMap<VarId, usize> {
        let mut counts: HashMap<VarId, usize> = HashMap::new();
        for (v, _) in seeds {
            *counts.entry(*v).or_default() += 1;
        }
        for stmt in stmts {
            let targets: Vec<VarId> = match stmt {
                Stmt::Def { var, rhs, .. } if self.func.vars[*var].active() => match rhs {
                    Rhs::Prim { rule, args, .. } => active_args(self.func, rule, args)
                        .into_iter()
                        .filter_map(|i| Func::var_of(&args[i]))
                        .collect(),
                    Rhs::Copy(op) | Rhs::Cast { value: op, .. } => {
                        self.active(op).into_iter().collect()
                    }
                    Rhs::Call { args, .. } => args.iter().filter_map(|a| self.active(a)).collect(),
                    Rhs::Inert { .. }
                    | Rhs::Load { .. }
                    | Rhs::NewArray { .. }
                    | Rhs::Pop { .. }
                    | Rhs::Field { .. } => Vec::new(),
                },
                Stmt::Loop(l) => l
                    .cells
                    .iter()
                    .filter(|c| self.func.vars[c.cell].active())
                    .filter_map(|c| self.active(&c.init))
                    .collect(),
                Stmt::Store { array, value, .. } | Stmt::Push { array, value, .. }
                    if self.func.vars[*array].active() =>
                {
                    self.active(value).into_iter().collect()
                }
                _ => Vec::new(),
            };
            for t in targets {
                *counts.entry(t).or_default() += 1;
            }
        }
        counts
    }

    /// The reverse sweep of a region: `seeds` are contributions that arrive first (the output
    /// at the top level, the φ values at the end of a branch, the cells at the end of a body).
    pub(super) fn reverse(
        &mut self,
        stmts: &[Stmt],
        top: bool,
        entries: &[VarId],
        seeds: Vec<(VarId, TokenStream)>,
    ) -> TokenStream {
        let (mut out, counts) = self.reverse_start(stmts, top, entries, seeds);
        for stmt in stmts.iter().rev() {
            self.reverse_stmt(stmt, &mut out, &counts);
        }
        out
    }

    /// What the reverse sweep of a region starts with, before its statements: the adjoints it
    /// declares up front, and the seeds. Returns the code and the contribution counts of the
    /// region's statements ([`Adjoint::count`]).
    pub(super) fn reverse_start(
        &mut self,
        stmts: &[Stmt],
        top: bool,
        entries: &[VarId],
        seeds: Vec<(VarId, TokenStream)>,
    ) -> (TokenStream, HashMap<VarId, usize>) {
        let mut out = TokenStream::new();
        // Adjoints that contributions reach from more than one region start at zero here, where
        // their variable is defined.
        let mut own: Vec<VarId> = (0..self.func.vars.len())
            .filter(|&v| {
                self.predeclared[v]
                    && (entries.contains(&v)
                        || self.defined_by(stmts, v)
                        || (top && self.plan.origin[v] == Origin::Param))
            })
            .collect();
        own.sort_unstable();
        for v in own {
            let bar = self.bar[v].clone().expect("predeclared adjoints exist");
            let zero = if top && !self.pending.contains(&v) {
                let ident = &self.func.vars[v].ident;
                quote!(::ad_runtime::zero_like(&#ident))
            } else {
                self.zero()
            };
            out.extend(quote!(let mut #bar = #zero;));
            self.declared.insert(v);
        }
        // A local array created in this region (not at the top level): its adjoint lives for
        // this reverse sweep of the region, a fixed array when the source fixes the length, or
        // else growing as it is written.
        for s in stmts {
            if let Stmt::Def {
                var,
                rhs:
                    Rhs::NewArray {
                        nested: Some(_),
                        len,
                        ..
                    },
                ..
            } = s
                && let Some(bar) = self.bar[*var].clone()
            {
                let start = match len {
                    Some(n) if self.func.vars[*var].depth == Some(1) => {
                        let (zero, n) = (self.zero(), proc_macro2::Literal::usize_unsuffixed(*n));
                        quote!([#zero; #n])
                    }
                    _ => {
                        let ty = self.float.as_ref().map(|t| quote!(::<#t>));
                        quote!(::ad_runtime::Adjoints #ty ::new())
                    }
                };
                out.extend(quote!(let mut #bar = #start;));
                self.declared.insert(*var);
            }
        }
        let counts = self.count(stmts, &seeds);
        for (v, expr) in seeds {
            self.contribute(v, expr, &mut out, &counts);
        }
        (out, counts)
    }

    /// The reverse sweep of one statement.
    pub(super) fn reverse_stmt(
        &mut self,
        stmt: &Stmt,
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        match stmt {
            Stmt::Def { var, rhs, .. } => self.reverse_def(*var, rhs, out, counts),
            Stmt::Inert { .. } => {}
            Stmt::If(i) => {
                if self.has_work(std::slice::from_ref(stmt)) {
                    out.extend(self.reverse_if(i));
                }
            }
            Stmt::Loop(l) => {
                if self.has_work(std::slice::from_ref(stmt)) {
                    out.extend(self.reverse_loop(l, counts));
                }
            }
            Stmt::Store {
                array,
                index,
                value,
                add,
            } => {
                let Some(a_bar) = self.bar[*array].clone() else {
                    return;
                };
                let slot = emit::element(&a_bar.to_token_stream(), &emit::index(self.func, index));
                let target = self.active(value);
                if *add {
                    if let Some(v) = target {
                        self.contribute(v, slot, out, counts);
                    }
                } else {
                    // The value stored takes the slot's adjoint; what was there before is
                    // overwritten, so its adjoint is zero.
                    let t = self.func.namer.fresh("slot_bar");
                    out.extend(quote!(let #t = #slot; #slot = ::ad_runtime::zero();));
                    if let Some(v) = target {
                        self.contribute(v, t.to_token_stream(), out, counts);
                    }
                }
            }
            Stmt::Push {
                array,
                index,
                value,
            } => {
                let (Some(a_bar), Some(v)) = (self.bar[*array].clone(), self.active(value)) else {
                    return;
                };
                let i = &self.func.vars[*index].ident;
                self.contribute(v, quote!(#a_bar[#i]), out, counts);
            }
        }
    }

    /// Whether `v` is defined directly by these statements (not inside a nested region).
    pub(super) fn defined_by(&self, stmts: &[Stmt], v: VarId) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Def { var, .. } => *var == v,
            Stmt::If(i) => i.phis.iter().any(|p| p.var == v),
            Stmt::Loop(l) => l.cells.iter().any(|c| c.after == v),
            Stmt::Inert { .. } | Stmt::Store { .. } | Stmt::Push { .. } => false,
        })
    }

    pub(super) fn reverse_def(
        &mut self,
        var: VarId,
        rhs: &Rhs,
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        if !self.func.vars[var].active() {
            return;
        }
        // A seeded call's companion ran in the forward sweep (`seeded.rs`): only the adjoints
        // it returned are left to add in.
        if let (true, Rhs::Call { args, memory, .. }) = (self.is_seeded(var), rhs) {
            if let Some(adj) = self.returned_adjoints(var).cloned() {
                self.add_returned(args, memory, &adj, out, counts);
            }
            return;
        }
        // A call that writes slices runs its reverse pass even when its result has no adjoint
        // (a function without a result takes any seed and ignores it).
        // A call whose tuple result is read by fields: its seed is the tuple of the fields'
        // adjoints (zero for fields nothing reached).
        let bar = match self.fields.get(&var) {
            Some(fields) if matches!(rhs, Rhs::Call { .. }) => {
                let parts: Vec<TokenStream> = fields
                    .iter()
                    .filter_map(|&(i, f)| {
                        let i = proc_macro2::Literal::usize_unsuffixed(i);
                        self.bar_of(f).map(|b| quote!((#i, #b)))
                    })
                    .collect();
                (!parts.is_empty()).then(|| {
                    quote!(<_ as ::ad_runtime::FromComponents<_>>::from_components(&[#(#parts),*]))
                })
            }
            _ => self.bar_of(var),
        };
        let bar = match bar {
            Some(bar) => bar,
            None if !rhs.written().is_empty() => quote!(::ad_runtime::Zero),
            None => return,
        };
        match rhs {
            // A field of a call's tuple: its adjoint goes into the call's seed, above.
            Rhs::Field {
                base: Operand::Var(b),
                ..
            } if self.fields.contains_key(b) => {}
            // Stacks exist only in generated reverse-mode code; reverse over reverse is not a
            // mode the macros offer.
            Rhs::Pop { .. } | Rhs::Field { .. } => out.extend(quote!(::core::compile_error!(
                "reverse mode through a stack pop or a field of a call's tuple is not supported"
            );)),
            Rhs::Prim { rule, args, .. } => {
                let arg_tokens: Vec<TokenStream> =
                    args.iter().map(|a| emit::operand(self.func, a)).collect();
                let active = active_args(self.func, rule, args);
                let ident = self.func.vars[var].ident.clone();
                let partials =
                    emit::bind_partials(self.func, rule, &arg_tokens, &ident, &active, out);
                for j in active {
                    let f = emit::factor(rule, j, &arg_tokens, partials.as_ref());
                    let target = Func::var_of(&args[j]).expect("active arguments are variables");
                    self.contribute(target, f.times(&bar), out, counts);
                }
            }
            Rhs::Copy(op) => {
                if let Some(t) = self.active(op) {
                    self.contribute(t, bar, out, counts);
                }
            }
            Rhs::Cast { value, .. } => {
                if let Some(t) = self.active(value) {
                    let src = emit::operand(self.func, value);
                    self.contribute(t, quote!(::ad_runtime::cast_like(&#src, #bar)), out, counts);
                }
            }
            Rhs::Load { array, index } => {
                let promoted =
                    fused::const_index(index).and_then(|k| self.promoted.get(&(*array, k)));
                if let Some(acc) = promoted {
                    out.extend(quote!(#acc = #acc + #bar;));
                } else if let Some(a_bar) = self.bar[*array].clone() {
                    let slot =
                        emit::element(&a_bar.to_token_stream(), &emit::index(self.func, index));
                    out.extend(quote!(#slot = #slot + #bar;));
                }
            }
            Rhs::Call { args, memory, .. } => {
                let adj = self.func.namer.fresh("call_adjoints");
                let (call, after) = self.companion_call(var, rhs, &bar, true, out);
                out.extend(quote!(let (_, #adj) = #call; #after));
                self.add_returned(args, memory, &adj, out, counts);
            }
            Rhs::Inert { .. } | Rhs::NewArray { .. } => {}
        }
    }

    /// Adds the adjoints a call's companion returned (`adj`) into its scalar arguments and
    /// arrays passed by value.
    fn add_returned(
        &mut self,
        args: &[Operand],
        memory: &[Option<crate::ir::MemArg>],
        adj: &Ident,
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        for (k, a) in args.iter().enumerate() {
            if let (Some(m), Some(t)) = (&memory[k], self.active(a))
                && m.by_value
                && let Some(b) = self.bar[t].clone()
            {
                let k = syn::Index::from(k);
                // Element by element when the length is written in the source, so that a
                // Hessian can lower this code again (`adj.0[1]` is a call result's element).
                match Func::var_of(a).and_then(|v| self.lengths.get(&v).copied()) {
                    Some(n) if n <= crate::ir::UNROLLED => {
                        for i in 0..n {
                            let i = proc_macro2::Literal::usize_unsuffixed(i);
                            out.extend(quote!(#b[#i] = #b[#i] + #adj.#k[#i];));
                        }
                    }
                    _ => out.extend(quote!(::ad_runtime::add_into(&mut #b[..], &#adj.#k);)),
                }
            }
            if memory[k].is_some() {
                continue;
            }
            if let Some(t) = self.active(a) {
                let k = syn::Index::from(k);
                self.contribute(t, quote!(#adj.#k), out, counts);
            }
        }
    }

    /// The call of `var`'s callee's companion with seed `bar`: `(call, code after it)`, the code
    /// it needs first added to `out`. In the reverse sweep (`reverse`), slices and state the
    /// call changes are passed as kept before it; a seeded call (`seeded.rs`) runs in the
    /// forward sweep and is passed them as they are.
    pub(super) fn companion_call(
        &mut self,
        var: VarId,
        rhs: &Rhs,
        bar: &TokenStream,
        reverse: bool,
        out: &mut TokenStream,
    ) -> (TokenStream, TokenStream) {
        let Rhs::Call {
            callee,
            args,
            memory,
            state,
            span,
            ..
        } = rhs
        else {
            return (TokenStream::new(), TokenStream::new());
        };
        // The callee's companion pulls the adjoint back to every argument at once: into
        // the shadows of slices, and as returned adjoints for scalars. State the function
        // changes in place is passed as the copy taken before the call.
        let f = callee.tokens(Some("_derive_grad"));
        let mut primals = emit::call_args(self.func, args, memory, state, reverse);
        // A slice the call writes, or reads and a later write changes: the callee's
        // reverse pass starts again from its values before the call, kept on a stack.
        let mut dropped = TokenStream::new();
        for (k, (a, m)) in args.iter().zip(memory).enumerate() {
            if let (Some(s), Some(m), true) = (self.saved.get(&(var, k)), m, reverse) {
                let n = self.func.namer.fresh("saved_len");
                let slice = emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                out.extend(quote!(let #n = (#slice).len();));
                primals[k] = if m.mutable {
                    quote!(#s.last_mut(#n))
                } else if m.by_value {
                    quote!(::ad_runtime::to_array(&*#s.last_mut(#n)))
                } else {
                    quote!(&*#s.last_mut(#n))
                };
                dropped.extend(quote!(#s.drop_last(#n);));
            }
        }
        // State kept flat on its copy's stack: worked on in place, then dropped.
        for (k, (a, st)) in args.iter().zip(state).enumerate() {
            let Some(copy) = st.as_ref().and_then(|st| st.snapshot.as_ref()) else {
                continue;
            };
            if let (Some(c), Some(v)) = (Func::var_of(copy), Func::var_of(a))
                && self.is_flat_copy(c, v)
                && let Some(s) = self.plan.stack[c].clone()
                && reverse
            {
                let (n, v) = (self.func.namer.fresh("state_len"), &self.func.vars[v].ident);
                out.extend(quote!(let #n = #v.len();));
                primals[k] = quote!(#s.last_mut(#n));
                dropped.extend(quote!(#s.drop_last(#n);));
            }
        }
        // An array passed twice cannot lend its adjoint twice: later occurrences collect
        // into a scratch slice, added in after the call.
        let mut lent = HashSet::new();
        let mut after = TokenStream::new();
        let mut shadows = Vec::new();
        for (a, m) in args.iter().zip(memory) {
            shadows.push(
                match (
                    m,
                    self.active(a)
                        .and_then(|v| self.bar[v].clone().map(|b| (v, b))),
                ) {
                    // An array by value: its adjoint is returned, added in below.
                    (Some(m), _) if m.by_value => quote!(::ad_runtime::Zero),
                    (Some(m), Some((v, b))) => {
                        // A read-only slice parameter's shadow may be a sink (in a
                        // companion whose caller passed `Zero`): it lends through `Shadow`.
                        let param = self.func.is_slice_param(v);
                        let range = emit::range_of(self.func, m);
                        if lent.insert(v) {
                            if param {
                                quote!(::ad_runtime::Shadow::lend(&mut *#b, #range))
                            } else {
                                quote!(&mut #b[#range])
                            }
                        } else {
                            let scratch = self.func.namer.fresh("scratch");
                            let primal =
                                emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                            let rows = self.func.vars[v].depth == Some(2);
                            out.extend(if rows {
                                quote!(let mut #scratch = ::ad_runtime::rows::zero_rows(#primal);)
                            } else {
                                quote!(let mut #scratch = ::ad_runtime::zeros_vec(#primal);)
                            });
                            after.extend(if param {
                                quote!(::ad_runtime::Shadow::add_from(&mut *#b, #range, &#scratch);)
                            } else if rows {
                                quote!(::ad_runtime::rows::add_rows(&mut #b[#range], &#scratch);)
                            } else {
                                quote!(::ad_runtime::add_into(&mut #b[#range], &#scratch);)
                            });
                            quote!(&mut #scratch[..])
                        }
                    }
                    // A written slice without an adjoint of its own still needs room: the
                    // callee's reverse pass reads it.
                    (Some(m), None) if m.mutable => {
                        let primal =
                            emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                        quote!(&mut ::ad_runtime::zeros_vec(#primal)[..])
                    }
                    (Some(_), None) | (None, _) => quote!(::ad_runtime::Zero),
                },
            );
        }
        after.extend(dropped);
        let call = quote::quote_spanned!(*span=> #f((#(#primals,)*), (#(#shadows,)*), #bar));
        (call, after)
    }

    /// What the φs' adjoints give the values an arm (`then` or not) hands them: the seeds of
    /// the arm's reverse sweep.
    pub(super) fn phi_seeds(&self, i: &If, then: bool) -> Vec<(VarId, TokenStream)> {
        i.phis
            .iter()
            .filter_map(|p| {
                let phi_bar = self.bar_of(p.var)?;
                let op = if then { &p.then } else { &p.els };
                Some((self.active(op)?, phi_bar))
            })
            .collect()
    }

    /// `if c { replay(A); φ contributions; reverse(A) } else { .. }`
    pub(super) fn reverse_if(&mut self, i: &If) -> TokenStream {
        let cond = emit::operand(self.func, &i.cond);
        let mut sides = Vec::new();
        for (branch, then) in [(&i.then, true), (&i.els, false)] {
            let seeds = self.phi_seeds(i, then);
            let replay = self.replay(branch);
            let declared = self.declared.clone();
            let reverse = self.reverse(branch, false, &[], seeds);
            // Adjoints declared inside the branch end with it.
            self.declared = declared;
            sides.push(quote!(#replay #reverse));
        }
        let (t, e) = (&sides[0], &sides[1]);
        quote!(if #cond { #t } else { #e })
    }

    pub(super) fn reverse_loop(&mut self, l: &Loop, counts: &HashMap<VarId, usize>) -> TokenStream {
        if self.is_selection(l) {
            return self.selection_reverse(l, counts);
        }
        let (mut out, cells) = self.cell_bars(l);
        let sums = self.loop_sums(l, &mut out);
        let (trip, stack) = self
            .plan
            .trips
            .get(&key(l))
            .cloned()
            .expect("loops with work count trips");
        if let Some(s) = &stack {
            out.extend(quote!(let #trip: usize = #s.pop();));
        } else if let Some(it) = self.recounted(l)
            && !self.live(it)
        {
            let it = &self.func.vars[it].ident;
            out.extend(quote!(let #trip: usize = ::ad_runtime::trip_count(&#it);));
        }
        let k = self.func.namer.fresh("k");
        let mut iteration = TokenStream::new();
        if let LoopKind::For { pat, iter, bound } = &l.kind
            && bound.iter().any(|&b| self.plan.needed[b])
        {
            let it = &self.func.vars[*iter].ident;
            iteration.extend(quote!(let #pat = ::ad_runtime::nth(&#it, #k);));
        }
        // Reversed in order: what the loop carries without derivative starts again from its
        // value before the loop and follows each iteration's exit.
        let in_order = self.plan.in_order.contains(&key(l));
        let mut carry_on = TokenStream::new();
        for c in &l.cells {
            if let Some(s) = &self.plan.stack[c.entry] {
                let e = &self.func.vars[c.entry].ident;
                iteration.extend(quote!(let #e = #s.pop();));
            } else if in_order
                && self.plan.origin[c.entry] == Origin::Carried
                && self.plan.needed[c.entry]
            {
                let carried = self.func.namer.fresh("carried");
                let (e, init, exit) = (
                    &self.func.vars[c.entry].ident,
                    emit::operand(self.func, &c.init),
                    emit::operand(self.func, &c.exit),
                );
                out.extend(quote!(let mut #carried = #init;));
                iteration.extend(quote!(let #e = #carried;));
                carry_on.extend(quote!(#carried = #exit;));
            }
        }
        iteration.extend(self.replay(&l.body));
        iteration.extend(carry_on);
        iteration.extend(self.reverse_body(l, &cells));
        match self.checkpoints.get(&key(l)).cloned() {
            Some((s, every)) => {
                // What binds an iteration's values besides the carried ones: a `for` loop's
                // pattern, from its iterator; a `while` loop's condition, run again (storing
                // what the first sweep stored, as it does).
                let (pat, cond) = match &l.kind {
                    LoopKind::For { pat, iter, .. } => {
                        let it = &self.func.vars[*iter].ident;
                        (quote!(let #pat = ::ad_runtime::nth(&#it, #k);), None)
                    }
                    LoopKind::While { cond_stmts, .. } => (TokenStream::new(), Some(cond_stmts)),
                    LoopKind::Loop => unreachable!("`loop` is not checkpointed"),
                };
                let cond_tokens = |a: &mut Self| cond.map(|c| a.forward(c, 1)).unwrap_or_default();
                // The carried values restored from a kept state, and one step run forward
                // storing what its reverse sweep pops.
                let (kept, places) = self.checkpoint_state(l);
                let (entry, pushes, write_back) = self.cell_moves(l);
                let cs = cond_tokens(self);
                let body = self.forward(&l.body, 1);
                let step = quote! {
                    #pat
                    #entry #cs #pushes #body #write_back
                };
                let (lo, hi) = (self.func.namer.fresh("lo"), self.func.namer.fresh("hi"));
                let restored = self.func.namer.fresh("restored");
                let assign: TokenStream = places
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let i = syn::Index::from(i);
                        quote!(#c = #restored.#i;)
                    })
                    .collect();
                if self.binomial.is_some() {
                    // The schedule's actions: states restored and kept, steps run again without
                    // storing, and one step at a time run storing and reversed.
                    let outer_no_push = self.no_push;
                    self.no_push = true;
                    let (plain_entry, plain_pushes, plain_write_back) = self.cell_moves(l);
                    let plain_cs = cond_tokens(self);
                    let plain_body = self.forward(&l.body, 1);
                    self.no_push = outer_no_push;
                    let action = self.func.namer.fresh("action");
                    out.extend(quote! {
                        #s.start_reverse(#trip);
                        while let ::core::option::Option::Some(#action) = #s.next() {
                            match #action {
                                ::ad_runtime::revolve::Action::Restore(#restored) => { #assign }
                                ::ad_runtime::revolve::Action::Advance(#lo, #hi) => {
                                    for #k in #lo..#hi {
                                        #pat
                                        #plain_entry #plain_cs #plain_pushes #plain_body #plain_write_back
                                    }
                                }
                                ::ad_runtime::revolve::Action::Store => #s.store((#(#kept,)*)),
                                ::ad_runtime::revolve::Action::Reverse(#k) => { #step #iteration }
                            }
                        }
                    });
                } else {
                    // Each segment: its carried values restored, run forward again storing
                    // what its reverse sweep pops, then reversed.
                    let seg = self.func.namer.fresh("segment");
                    out.extend(quote! {
                        for #seg in (0..#trip.div_ceil(#every)).rev() {
                            let #restored = #s.pop();
                            #assign
                            let #lo = #seg * #every;
                            let #hi = ::core::cmp::min(#trip, #lo + #every);
                            for #k in #lo..#hi { #step }
                            for #k in (#lo..#hi).rev() { #iteration }
                        }
                    });
                }
            }
            None if in_order => out.extend(quote!(for #k in 0..#trip { #iteration })),
            None => out.extend(quote!(for #k in (0..#trip).rev() { #iteration })),
        }
        for (v, outer) in sums {
            let sum = self.bar[v].replace(outer.clone());
            out.extend(quote!(::ad_runtime::accumulate(&mut #outer, #sum);));
        }
        self.cell_bars_end(&cells, &mut out, counts);
        out
    }

    /// The adjoints of values from outside a loop that its reverse sweep adds into: each is
    /// summed in a local of the loop, declared here at zero, and added in after the loop (the
    /// caller does that with what this returns: each variable and its own adjoint, restored).
    /// Measured on GradBench's log-sum-exp: the largest entry's adjoint, added into once per
    /// entry, stayed in memory through the loop (LLVM sank the `ln` call past it, and no float
    /// register survives a call), 125 µs against 101 µs with the local, in a register.
    fn loop_sums(&mut self, l: &Loop, out: &mut TokenStream) -> Vec<(VarId, Ident)> {
        let Some(inside) = self.plan.loop_regions.get(&key(l)).cloned() else {
            return Vec::new();
        };
        let mut sums = Vec::new();
        for v in 0..self.func.vars.len() {
            if self.predeclared[v]
                && !inside.contains(&self.plan.region[v])
                && self.plan.contributed_in[v]
                    .iter()
                    .any(|r| inside.contains(r))
                && let Some(outer) = self.bar[v].clone()
            {
                let sum = self.func.namer.fresh(&format!("{outer}_sum"));
                let zero = self.zero();
                out.extend(quote!(let mut #sum = #zero;));
                self.bar[v] = Some(sum);
                sums.push((v, outer));
            }
        }
        sums
    }

    /// The adjoints of a loop's active cells, declared before its reverse sweep (from the
    /// adjoints of their values after the loop), with the cells.
    pub(super) fn cell_bars<'l>(&self, l: &'l Loop) -> (TokenStream, Vec<(&'l Cell, Ident)>) {
        let mut out = TokenStream::new();
        let mut cells = Vec::new();
        for c in l.cells.iter().filter(|c| self.func.vars[c.cell].active()) {
            let cb = self.bar[c.cell]
                .clone()
                .expect("active cells have adjoints");
            let start = self
                .bar_of(c.after)
                .unwrap_or_else(|| match self.cell_like.get(&c.cell) {
                    Some(&like) => {
                        let like = &self.func.vars[like].ident;
                        quote!(::ad_runtime::zero_like(&#like))
                    }
                    None => self.zero(),
                });
            out.extend(quote!(let mut #cb = #start;));
            cells.push((c, cb));
        }
        (out, cells)
    }

    /// The reverse sweep of one iteration's body (its values in scope): the cells' adjoints
    /// seed the values the iteration writes back, and take what reached its entries.
    pub(super) fn reverse_body(&mut self, l: &Loop, cells: &[(&Cell, Ident)]) -> TokenStream {
        let seeds: Vec<(VarId, TokenStream)> = cells
            .iter()
            .filter_map(|(c, cb)| Some((self.active(&c.exit)?, cb.to_token_stream())))
            .collect();
        let declared = self.declared.clone();
        let entries: Vec<VarId> = l.cells.iter().map(|c| c.entry).collect();
        let mut out = self.reverse(&l.body, false, &entries, seeds);
        // What reached the top of the iteration goes to the previous one.
        for (c, cb) in cells {
            let next = self.bar_of(c.entry).unwrap_or_else(|| self.zero());
            out.extend(quote!(#cb = #next;));
        }
        self.declared = declared;
        out
    }

    /// After a loop's reverse sweep: the cells' adjoints go to the values they started from.
    pub(super) fn cell_bars_end(
        &mut self,
        cells: &[(&Cell, Ident)],
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        for (c, cb) in cells {
            if let Some(i) = self.active(&c.init) {
                self.contribute(i, cb.to_token_stream(), out, counts);
            }
        }
    }
}
