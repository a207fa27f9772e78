//! Checkpointing (`#[derive_grad(checkpoint)]`): which loops store only their carried values
//! every `ceil(sqrt(n))` iterations (or on a binomial schedule): loops at the top level, and
//! loops in the body of the fused loop (a time loop per data point of a loss, reversed right
//! after it like the top level's). The segments are run again and reversed in
//! [`Adjoint::reverse_loop`], and not stored on the first pass in [`Adjoint::forward_loop`].

use super::*;

impl Adjoint<'_> {
    /// Chooses the loops to checkpoint: in the lists of statements whose values are in scope
    /// for their reverse sweep (the top level, the fused loop's body and the arms on the way to
    /// it), `for` and `while` loops without `break` whose reverse sweep pops stored values and
    /// whose body (and condition) writes no array but local arrays created before it (a grid a
    /// time loop updates in place). The carried values and those arrays are then the whole
    /// state of an iteration, kept in each checkpoint (`checkpoint_arrays`).
    pub(super) fn plan_checkpoints(&mut self, stmts: &[Stmt]) {
        self.plan_checkpoints_in(stmts, &HashSet::new());
    }

    /// [`Adjoint::plan_checkpoints`] in one live list, `outer` the local arrays created before
    /// it in the lists around it.
    fn plan_checkpoints_in(&mut self, stmts: &[Stmt], outer: &HashSet<VarId>) {
        // Writes to memory other than `state`, code that may change state in place
        // (`p.swap(i, j)`, `idx[k] = ..`, a call lent `&mut idx`), and values that cannot be
        // evaluated twice (a load of memory written later outside `state`, a pop): a segment
        // run again from a checkpoint would see the state as it is at the end, not as it was.
        fn unrepeatable(a: &Adjoint, stmts: &[Stmt], state: &HashSet<VarId>) -> bool {
            let changes = |uses: &[VarId]| uses.iter().any(|&v| a.func.changes_in_place(v));
            stmts.iter().any(|s| match s {
                Stmt::Store { array, .. } => !state.contains(array),
                Stmt::Push { .. } => true,
                Stmt::Def { var, rhs, .. } => {
                    let restored = matches!(rhs, Rhs::Load { array, .. } if state.contains(array));
                    (a.plan.origin[*var] == Origin::Impure && !restored)
                        || !rhs.written().is_empty()
                        || !rhs.snapshots().is_empty()
                }
                Stmt::Inert { uses, .. } => changes(uses),
                Stmt::If(i) => unrepeatable(a, &i.then, state) || unrepeatable(a, &i.els, state),
                Stmt::Loop(l) => {
                    unrepeatable(a, &l.body, state)
                        || matches!(&l.kind, LoopKind::While { cond_stmts, .. } if unrepeatable(a, cond_stmts, state))
                }
            })
        }
        // The arrays a region stores into.
        fn stored(stmts: &[Stmt], out: &mut Vec<VarId>) {
            for s in stmts {
                match s {
                    Stmt::Store { array, .. } if !out.contains(array) => out.push(*array),
                    Stmt::If(i) => {
                        stored(&i.then, out);
                        stored(&i.els, out);
                    }
                    Stmt::Loop(l) => stored(&l.body, out),
                    _ => {}
                }
            }
        }
        fn stacked(a: &Adjoint, stmts: &[Stmt]) -> bool {
            stmts.iter().any(|s| match s {
                Stmt::Def { var, .. } => a.plan.stack[*var].is_some(),
                Stmt::If(i) => {
                    i.phis.iter().any(|p| a.plan.stack[p.var].is_some())
                        || stacked(a, &i.then)
                        || stacked(a, &i.els)
                }
                Stmt::Loop(l) => {
                    l.cells.iter().any(|c| a.plan.stack[c.entry].is_some()) || stacked(a, &l.body)
                }
                _ => false,
            })
        }
        // Local arrays created so far in this list and around it: a checkpoint may keep a copy.
        let mut locals = outer.clone();
        for s in stmts {
            if let Stmt::Def {
                var,
                rhs: Rhs::NewArray { .. },
                ..
            } = s
            {
                locals.insert(*var);
            }
            if let Stmt::If(i) = s
                && self.plan.fused_branches.contains(&fused::if_key(i))
            {
                self.plan_checkpoints_in(&i.then, &locals);
                self.plan_checkpoints_in(&i.els, &locals);
            }
            let Stmt::Loop(l) = s else {
                continue;
            };
            if self.fused(l) {
                self.plan_checkpoints_in(&l.body, &locals);
                continue;
            }
            let mut arrays = Vec::new();
            stored(&l.body, &mut arrays);
            if let LoopKind::While { cond_stmts, .. } = &l.kind {
                stored(cond_stmts, &mut arrays);
            }
            let state: HashSet<VarId> = arrays
                .iter()
                .copied()
                .filter(|v| locals.contains(v))
                .collect();
            let repeatable = match &l.kind {
                LoopKind::For { .. } => true,
                // Run once more first to count its trips (see `forward_loop`).
                LoopKind::While { cond_stmts, .. } => !unrepeatable(self, cond_stmts, &state),
                LoopKind::Loop => false,
            };
            if repeatable
                && l.exit.is_none()
                && self.plan.trips.contains_key(&key(l))
                && !unrepeatable(self, &l.body, &state)
                && stacked(self, std::slice::from_ref(s))
            {
                let stack = self.func.namer.fresh("checkpoints");
                let every = self.func.namer.fresh("every");
                self.checkpoints.insert(key(l), (stack, every));
                if !arrays.is_empty() {
                    self.checkpoint_arrays.insert(key(l), arrays);
                }
            }
        }
    }

    /// A checkpointed loop's state: what each checkpoint keeps (the carried values, then copies
    /// of the arrays it writes) and where a restored state goes back to, in the same order.
    pub(super) fn checkpoint_state(&self, l: &Loop) -> (Vec<TokenStream>, Vec<TokenStream>) {
        let mut kept = Vec::new();
        let mut places = Vec::new();
        for c in &l.cells {
            let cell = &self.func.vars[c.cell].ident;
            kept.push(quote!(#cell));
            places.push(quote!(#cell));
        }
        for &a in self.checkpoint_arrays.get(&key(l)).into_iter().flatten() {
            let a = &self.func.vars[a].ident;
            kept.push(quote!(::core::clone::Clone::clone(&#a)));
            places.push(quote!(#a));
        }
        (kept, places)
    }
}
