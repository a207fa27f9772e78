//! The forward sweep (the primal, pushing what the reverse sweep pops) and the replay of a
//! region before its reverse sweep.

use super::*;

impl Adjoint<'_> {
    pub(super) fn push_if_stored(&self, v: VarId) -> TokenStream {
        match &self.plan.stack[v] {
            Some(s) if !self.no_push => {
                let ident = &self.func.vars[v].ident;
                // A seeded call's result goes with the adjoints its companion returned.
                match self.returned_adjoints(v) {
                    Some(adj) => quote!(#s.push((#ident, #adj));),
                    None => quote!(#s.push(::core::clone::Clone::clone(&#ident));),
                }
            }
            _ => TokenStream::new(),
        }
    }

    pub(super) fn forward(&mut self, stmts: &[Stmt], r: usize) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, ty, rhs } => {
                    // What a call will overwrite, kept for its reverse pass.
                    if let Rhs::Call { args, memory, .. } = rhs {
                        for (k, (a, m)) in args.iter().zip(memory).enumerate() {
                            if let (Some(s), Some(m)) = (self.saved.get(&(*var, k)), m) {
                                let slice = emit::slice_of(
                                    self.func,
                                    &emit::operand(self.func, a),
                                    m,
                                    false,
                                );
                                out.extend(quote!(#s.push_slice(#slice);));
                            }
                        }
                    }
                    // A copy of state for a call's reverse pass: taken only when that pass
                    // runs, and moved straight onto its stack when it is stored.
                    if self.copies.contains(var) {
                        if !self.plan.needed[*var] {
                            continue;
                        }
                        if let (Some(s), false) = (&self.plan.stack[*var], self.no_push) {
                            if let Some(state) = self.flat_copy(*var, rhs) {
                                let state = &self.func.vars[state].ident;
                                out.extend(quote!(#s.push_slice(#state);));
                            } else {
                                let copy = emit::primal_rhs(self.func, rhs);
                                out.extend(quote!(#s.push(#copy);));
                            }
                            continue;
                        }
                    }
                    if self.is_seeded(*var) {
                        out.extend(self.seeded_call(*var, rhs));
                    } else {
                        out.extend(emit::def(self.func, *var, ty.as_ref(), rhs));
                    }
                    out.extend(self.push_if_stored(*var));
                }
                Stmt::Inert { tokens, .. } => out.extend(tokens.clone()),
                Stmt::If(i) => {
                    out.extend(self.forward_if(i, r));
                    for phi in &i.phis {
                        out.extend(self.push_if_stored(phi.var));
                    }
                }
                Stmt::Loop(l) => out.extend(self.forward_loop(l, r)),
                Stmt::Store {
                    array,
                    index,
                    value,
                    add,
                } => {
                    let a = self.func.vars[*array].ident.to_token_stream();
                    let slot = emit::element(&a, &emit::index(self.func, index));
                    let v = emit::operand(self.func, value);
                    out.extend(emit::store(&slot, &v, *add));
                }
                Stmt::Push { array, value, .. } => {
                    let a = &self.func.vars[*array].ident;
                    let v = emit::operand(self.func, value);
                    out.extend(quote!(#a.push(#v);));
                }
            }
        }
        out
    }

    pub(super) fn forward_if(&mut self, i: &If, r: usize) -> TokenStream {
        let cond = emit::operand(self.func, &i.cond);
        let then = self.forward(&i.then, r + 1);
        let els = self.forward(&i.els, r + 1);
        if i.phis.is_empty() {
            return quote!(if #cond { #then } else { #els });
        }
        let names = self.phi_names(i);
        let t: Vec<_> = i
            .phis
            .iter()
            .map(|p| emit::operand(self.func, &p.then))
            .collect();
        let e: Vec<_> = i
            .phis
            .iter()
            .map(|p| emit::operand(self.func, &p.els))
            .collect();
        quote!(let (#(#names,)*) = if #cond { #then (#(#t,)*) } else { #els (#(#e,)*) };)
    }

    /// The names a branch binds its φs to (`mut` where the user wrote it).
    pub(super) fn phi_names(&self, i: &If) -> Vec<TokenStream> {
        i.phis
            .iter()
            .map(|p| {
                let v = &self.func.vars[p.var];
                let ident = &v.ident;
                let mutability = v.mutable.then(|| quote!(mut));
                quote!(#mutability #ident)
            })
            .collect()
    }

    /// What an iteration does with the loop's cells: read them at the top (and store what the
    /// reverse sweep pops), write them back at the bottom.
    pub(super) fn cell_moves(&self, l: &Loop) -> (TokenStream, TokenStream, TokenStream) {
        let (mut entry, mut pushes, mut write_back) = Default::default();
        for c in &l.cells {
            let cell = &self.func.vars[c.cell].ident;
            let (e, exit) = (
                &self.func.vars[c.entry].ident,
                emit::operand(self.func, &c.exit),
            );
            TokenStream::extend(&mut entry, quote!(let #e = #cell;));
            TokenStream::extend(&mut write_back, quote!(#cell = #exit;));
            TokenStream::extend(&mut pushes, self.push_if_stored(c.entry));
        }
        (entry, pushes, write_back)
    }

    /// Around a loop: its cells start from their values before it, and are read after it.
    pub(super) fn cell_bounds(&self, l: &Loop) -> (TokenStream, TokenStream) {
        let mut before = TokenStream::new();
        let mut after = TokenStream::new();
        for c in &l.cells {
            let cell = &self.func.vars[c.cell].ident;
            let init = emit::operand(self.func, &c.init);
            let a = &self.func.vars[c.after].ident;
            before.extend(quote!(let mut #cell = #init;));
            after.extend(quote!(let #a = #cell;));
            after.extend(self.push_if_stored(c.after));
        }
        (before, after)
    }

    pub(super) fn forward_loop(&mut self, l: &Loop, r: usize) -> TokenStream {
        let (mut before, mut after) = self.cell_bounds(l);
        let trip = self.plan.trips.get(&key(l)).cloned();
        let checkpoint = self.checkpoints.get(&key(l)).cloned();
        // A checkpointed loop stores nothing on its first forward sweep.
        let outer_no_push = self.no_push;
        self.no_push |= checkpoint.is_some();
        let (entry, pushes, write_back) = self.cell_moves(l);
        let mut count = trip.as_ref().map(|(t, _)| quote!(#t += 1;));
        if let (Some((s, every)), Some((t, _))) = (&checkpoint, &trip) {
            // A `while` loop's trip count is known at its end only.
            let n = match &l.kind {
                LoopKind::For { iter, .. } => {
                    let it = &self.func.vars[*iter].ident;
                    Some(quote!(::core::iter::Iterator::size_hint(&#it).0))
                }
                _ => None,
            };
            let (kept, _) = self.checkpoint_state(l);
            if let Some(snapshots) = &self.binomial {
                // Without the trip count, the states are placed online as the loop runs.
                let schedule = match &n {
                    Some(n) => quote!(::ad_runtime::revolve::Revolve::new(#n, #snapshots)),
                    None => quote!(::ad_runtime::revolve::Revolve::online(#snapshots)),
                };
                before.extend(quote!(let mut #s = #schedule;));
                count = Some(quote! {
                    #s.offer(#t, || (#(#kept,)*));
                    #t += 1;
                });
            } else {
                // The interval is `sqrt(n)`: a `while` loop runs once first, storing nothing,
                // from copies of its carried values, to count its trips.
                let n = n.unwrap_or_else(|| {
                    let n = self.func.namer.fresh("trips");
                    let counting = self.counting_pass(l, r, &n);
                    before.extend(counting);
                    n.to_token_stream()
                });
                before.extend(quote!(let #every = ::ad_runtime::checkpoint_interval(#n);));
                count = Some(quote! {
                    if #t % #every == 0 { #s.push((#(#kept,)*)); }
                    #t += 1;
                });
            }
        }
        if let Some((t, stack)) = &trip {
            before.extend(quote!(let mut #t: usize = 0;));
            if let Some(s) = stack {
                after.extend(quote!(#s.push(#t);));
            }
        }
        let mut body = self.forward(&l.body, r + 1);
        if let Some((t, _)) = &trip {
            let (declared, select) = self.selection_forward(l, t);
            before.extend(declared);
            body.extend(select);
        }
        self.no_push = outer_no_push;
        let exit = l.exit.as_ref().map(|e| {
            let e = emit::operand(self.func, e);
            quote!(if #e { break; })
        });
        let looped = match &l.kind {
            LoopKind::For { pat, iter, .. } => {
                let it = &self.func.vars[*iter].ident;
                // Room at once for every value an iteration stores, when the iterator knows its
                // length.
                let mut stored: Vec<VarId> = l.cells.iter().map(|c| c.entry).collect();
                stored.extend(defined_directly(&l.body));
                for v in stored {
                    if let Some(s) = &self.plan.stack[v]
                        && checkpoint.is_none()
                    {
                        let trips = quote!(::core::iter::Iterator::size_hint(&#it).0);
                        // A flat copy of state stores its length in values per iteration.
                        let per = l.body.iter().find_map(|st| match st {
                            Stmt::Def { var, rhs, .. } if *var == v => self.flat_copy(v, rhs),
                            _ => None,
                        });
                        before.extend(match per {
                            Some(state) => {
                                let state = &self.func.vars[state].ident;
                                quote!(#s.reserve(#trips * #state.len());)
                            }
                            None => quote!(#s.reserve(#trips);),
                        });
                    }
                }
                let source = if trip.is_some() {
                    quote!(::core::clone::Clone::clone(&#it))
                } else {
                    quote!(#it)
                };
                quote!(for #pat in #source { #entry #count #pushes #body #write_back #exit })
            }
            LoopKind::While { cond_stmts, cond } => {
                let cs = self.forward(cond_stmts, r + 1);
                let cond = emit::operand(self.func, cond);
                quote!(loop { #entry #cs if !(#cond) { break; } #count #pushes #body #write_back #exit })
            }
            LoopKind::Loop => quote!(loop { #entry #count #pushes #body #write_back #exit }),
        };
        quote!(#before #looped #after)
    }

    /// `let n = { ..the loop `l` run from copies of its carried values, storing nothing.. };`:
    /// the trip count of a checkpointed `while` loop, which its schedule needs before it starts.
    fn counting_pass(&mut self, l: &Loop, r: usize, n: &Ident) -> TokenStream {
        let LoopKind::While { cond_stmts, cond } = &l.kind else {
            return TokenStream::new();
        };
        let outer_no_push = self.no_push;
        self.no_push = true;
        let (entry, _, write_back) = self.cell_moves(l);
        let cs = self.forward(cond_stmts, r + 1);
        let body = self.forward(&l.body, r + 1);
        self.no_push = outer_no_push;
        let cond = emit::operand(self.func, cond);
        // Copies of the state (carried values, arrays the loop writes), shadowing it.
        let (_, places) = self.checkpoint_state(l);
        let copies = places
            .iter()
            .map(|p| quote!(let mut #p = ::core::clone::Clone::clone(&#p);));
        quote! {
            let #n: usize = {
                #(#copies)*
                let mut #n: usize = 0;
                loop { #entry #cs if !(#cond) { break; } #n += 1; #body #write_back }
                #n
            };
        }
    }

    /// Recomputes (or pops) the values of a region that its reverse sweep needs, in forward
    /// order. Runs once per activation of the region.
    pub(super) fn replay(&self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        let pop = |v: VarId| -> Option<TokenStream> {
            let s = self.plan.stack[v].as_ref()?;
            let mutability = self.func.vars[v].mutable.then(|| quote!(mut));
            let ident = &self.func.vars[v].ident;
            Some(match self.returned_adjoints(v) {
                Some(adj) => quote!(let (#mutability #ident, #adj) = #s.pop();),
                None => quote!(let #mutability #ident = #s.pop();),
            })
        };
        for stmt in stmts {
            match stmt {
                // A flat copy of state stays on its stack until the call's reverse pass.
                Stmt::Def { var, rhs, .. } if self.flat_copy(*var, rhs).is_some() => {}
                Stmt::Def { var, ty, rhs } if self.plan.needed[*var] => {
                    match (pop(*var), self.plan.reload.get(var)) {
                        (Some(p), _) => out.extend(p),
                        (None, Some(&(array, index))) => {
                            let load = Rhs::Load {
                                array,
                                index: vec![Operand::Var(index)],
                            };
                            out.extend(emit::def(self.func, *var, ty.as_ref(), &load));
                        }
                        (None, None) => out.extend(emit::def(self.func, *var, ty.as_ref(), rhs)),
                    }
                }
                Stmt::If(i) => {
                    for phi in &i.phis {
                        out.extend(pop(phi.var));
                    }
                }
                Stmt::Loop(l) => {
                    for c in &l.cells {
                        out.extend(pop(c.after));
                    }
                }
                _ => {}
            }
        }
        out
    }
}

/// The variables a list of statements defines itself (not inside nested regions).
pub(super) fn defined_directly(stmts: &[Stmt]) -> Vec<VarId> {
    let mut out = Vec::new();
    for s in stmts {
        match s {
            Stmt::Def { var, .. } => out.push(*var),
            Stmt::If(i) => out.extend(i.phis.iter().map(|p| p.var)),
            Stmt::Loop(l) => out.extend(l.cells.iter().map(|c| c.after)),
            _ => {}
        }
    }
    out
}
