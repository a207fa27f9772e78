//! Planning, before any code is written (the to-be-recorded analysis): the region and origin
//! of every variable, which values the reverse sweep reads (`needed`) and which of those must be
//! stored, trip counters, the stacks of slices lent to calls, and local arrays' adjoints.

use super::*;

impl Adjoint<'_> {
    pub(super) fn analyse(&mut self, stmts: &[Stmt]) {
        fn written(stmts: &[Stmt], out: &mut HashSet<VarId>) {
            for s in stmts {
                match s {
                    Stmt::Store { array, .. } | Stmt::Push { array, .. } => {
                        out.insert(*array);
                    }
                    Stmt::If(i) => {
                        written(&i.then, out);
                        written(&i.els, out);
                    }
                    Stmt::Loop(l) => written(&l.body, out),
                    _ => {}
                }
            }
        }
        written(stmts, &mut self.plan.written);
        self.plan.overwritten_loads = overwritten_loads(stmts);
        self.plan.saved_reads = crate::analysis::overwritten::overwritten_call_args(stmts)
            .into_iter()
            .map(|(call, _)| call)
            .collect();
        // Seeded calls first: a fused loop may hold one given state (`seeded.rs`).
        if self.final_code {
            self.seeded_calls(stmts);
        }
        self.plan.fused = self.fusable(stmts);
        if let Some(f) = &self.plan.fused {
            Self::fused_branches(stmts, f, &mut self.plan.fused_branches);
        }
        self.regions(stmts, 0);
        self.settle_seeded(stmts);
        // Loops reversed in order (`in_order.rs`): tried first, dropped when one would still
        // store a value, and the plan made again without it.
        let mut in_order = HashSet::new();
        self.in_order_candidates(stmts, &mut in_order);
        loop {
            self.plan.in_order.clone_from(&in_order);
            self.mark_carried(stmts, &in_order);
            self.needed_values(stmts);
            let stored = self.in_order_stored(stmts, &in_order);
            if stored.is_empty() {
                break;
            }
            for k in stored {
                in_order.remove(&k);
            }
            self.plan.needed.fill(false);
            self.plan.stack.fill(None);
            self.plan.reload.clear();
        }
        self.plan.in_order = in_order;
        self.trips(stmts, 0);
        for v in 0..self.func.vars.len() {
            let r = self.plan.region[v];
            self.predeclared[v] = self.bar[v].is_some()
                && self.func.vars[v].depth.is_none()
                && self.plan.contributed_in[v].iter().any(|&c| c != r);
        }
    }

    /// Which values the reverse sweep reads (`needed`), and which of those must be stored.
    fn needed_values(&mut self, stmts: &[Stmt]) {
        let mut defs = HashMap::new();
        definitions(stmts, &mut defs);
        let mut work = Vec::new();
        self.seed_needed(stmts, &mut work);
        if self.float.is_none() {
            self.cell_types(stmts, &mut work);
        }
        while let Some(v) = work.pop() {
            if std::mem::replace(&mut self.plan.needed[v], true) {
                continue;
            }
            if self.live(v) {
                continue;
            }
            match self.plan.origin[v] {
                // The result of a libm function whose partial reads only its result (`tanh`,
                // `exp`), in the body of a loop reversed backwards: stored once per iteration
                // rather than computed again (a push and a pop are far cheaper than the call),
                // and its argument is then not needed for it. Elsewhere values are computed
                // again: the result of `sin`, whose partial needs the argument kept anyway; in
                // a loop reversed in order (which stores nothing); in a branch outside loops
                // (straight-line code allocates nothing).
                Origin::Recompute if self.stores_libm(defs.get(&v).copied(), v) => {
                    if let Some((array, index)) = self.kept_in_memory(stmts, &defs, v) {
                        self.plan.reload.insert(v, (array, index));
                        work.push(index);
                    } else {
                        let name =
                            format!("{}_stack", crate::names::plain(&self.func.vars[v].ident));
                        self.plan.stack[v] = Some(self.func.namer.fresh(&name));
                    }
                }
                Origin::Recompute => work.extend(operands_of_def(defs.get(&v).copied())),
                Origin::Bound(it) => work.push(it),
                Origin::Impure | Origin::Phi | Origin::CellEntry | Origin::CellAfter => {
                    let name = format!("{}_stack", crate::names::plain(&self.func.vars[v].ident));
                    self.plan.stack[v] = Some(self.func.namer.fresh(&name));
                }
                // Computed again from the loop's start and each iteration's exit.
                Origin::Carried => work.extend(self.plan.carried[&v].iter().copied()),
                Origin::Param | Origin::Cell => {}
            }
        }
    }

    /// Chooses, for each active cell whose value after the loop is not active (so nothing has
    /// declared its adjoint when the loop is reversed), the primal its adjoint takes its type
    /// from: the cell itself for a loop at the top level (still in scope), else the value it
    /// starts from, else its value after the loop; that one becomes needed by the replay.
    pub(super) fn cell_types(&mut self, stmts: &[Stmt], work: &mut Vec<VarId>) {
        for stmt in stmts {
            match stmt {
                Stmt::If(i) => {
                    self.cell_types(&i.then, work);
                    self.cell_types(&i.els, work);
                }
                Stmt::Loop(l) => {
                    for c in &l.cells {
                        if !self.func.vars[c.cell].active() || self.func.vars[c.after].active() {
                            continue;
                        }
                        let like = if self.live(c.cell) {
                            c.cell
                        } else {
                            Func::var_of(&c.init).unwrap_or(c.after)
                        };
                        self.cell_like.insert(c.cell, like);
                        work.push(like);
                    }
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.cell_types(cond_stmts, work);
                    }
                    self.cell_types(&l.body, work);
                }
                _ => {}
            }
        }
    }

    /// Whether `v` is still in scope when the reverse sweep of its region runs.
    pub(super) fn live(&self, v: VarId) -> bool {
        self.plan.live.contains(&self.plan.region[v])
    }

    /// Whether `l` is the loop fused with its reverse sweep.
    pub(super) fn fused(&self, l: &Loop) -> bool {
        self.plan.fused.as_ref().is_some_and(|f| f.key == key(l))
    }

    pub(super) fn new_region(&mut self) -> usize {
        self.plan.next_region += 1;
        self.plan.next_region - 1
    }

    /// Records where each variable is defined and how, and where contributions reach it.
    pub(super) fn regions(&mut self, stmts: &[Stmt], r: usize) {
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, rhs, .. } => {
                    self.plan.region[*var] = r;
                    self.plan.origin[*var] = match rhs {
                        Rhs::Inert { pure: false, .. } => Origin::Impure,
                        // Memory written after the load (or again in a loop around it) may hold
                        // something else by the reverse sweep.
                        Rhs::Load { .. } if self.plan.overwritten_loads.contains(var) => {
                            Origin::Impure
                        }
                        // Popping again in the reverse sweep would take another value.
                        Rhs::Pop { .. } => Origin::Impure,
                        // Calling again would write the slices again, or would need the
                        // state the call saw: its result is stored instead.
                        Rhs::Call { .. }
                            if !rhs.written().is_empty()
                                || !rhs.snapshots().is_empty()
                                || self.plan.saved_reads.contains(var) =>
                        {
                            Origin::Impure
                        }
                        _ => Origin::Recompute,
                    };
                    if self.func.vars[*var].active() {
                        let targets: Vec<VarId> = match rhs {
                            Rhs::Prim { rule, args, .. } => active_args(self.func, rule, args)
                                .into_iter()
                                .filter_map(|i| Func::var_of(&args[i]))
                                .collect(),
                            Rhs::Copy(op) | Rhs::Cast { value: op, .. } => {
                                self.active(op).into_iter().collect()
                            }
                            Rhs::Call { args, .. } => {
                                args.iter().filter_map(|a| self.active(a)).collect()
                            }
                            Rhs::Inert { .. }
                            | Rhs::Load { .. }
                            | Rhs::NewArray { .. }
                            | Rhs::Pop { .. }
                            | Rhs::Field { .. } => Vec::new(),
                        };
                        for t in targets {
                            self.plan.contributed_in[t].insert(r);
                        }
                    }
                }
                Stmt::Inert { .. } => {}
                Stmt::Store { array, value, .. } | Stmt::Push { array, value, .. } => {
                    if self.func.vars[*array].active()
                        && let Some(v) = self.active(value)
                    {
                        self.plan.contributed_in[v].insert(r);
                    }
                }
                Stmt::If(i) => {
                    let (rt, re) = (self.new_region(), self.new_region());
                    if self.plan.fused_branches.contains(&fused::if_key(i)) {
                        self.plan.live.extend([rt, re]);
                    }
                    self.regions(&i.then, rt);
                    self.regions(&i.els, re);
                    for phi in &i.phis {
                        self.plan.region[phi.var] = r;
                        self.plan.origin[phi.var] = Origin::Phi;
                        if self.func.vars[phi.var].active() {
                            if let Some(t) = self.active(&phi.then) {
                                self.plan.contributed_in[t].insert(rt);
                            }
                            if let Some(e) = self.active(&phi.els) {
                                self.plan.contributed_in[e].insert(re);
                            }
                        }
                    }
                }
                Stmt::Loop(l) => {
                    let rb = self.new_region();
                    self.plan.loop_bodies.insert(rb, key(l));
                    if self.fused(l) {
                        self.plan.live.insert(rb);
                    } else if self.plan.live.contains(&r)
                        && let Some(s) = self.selection(l)
                    {
                        // Run again in its reverse sweep: its values are in scope there.
                        self.plan.live.insert(rb);
                        self.plan.selected.insert(key(l), s);
                    }
                    for c in &l.cells {
                        self.plan.region[c.cell] = r;
                        self.plan.origin[c.cell] = Origin::Cell;
                        self.plan.region[c.after] = r;
                        self.plan.origin[c.after] = Origin::CellAfter;
                        self.plan.region[c.entry] = rb;
                        self.plan.origin[c.entry] = Origin::CellEntry;
                        if self.func.vars[c.cell].active() {
                            if let Some(x) = self.active(&c.exit) {
                                self.plan.contributed_in[x].insert(rb);
                            }
                            if let Some(i) = self.active(&c.init) {
                                self.plan.contributed_in[i].insert(r);
                            }
                        }
                    }
                    match &l.kind {
                        LoopKind::For { iter, bound, .. } => {
                            for b in bound {
                                self.plan.region[*b] = rb;
                                self.plan.origin[*b] = Origin::Bound(*iter);
                            }
                        }
                        LoopKind::While { cond_stmts, .. } => self.regions(cond_stmts, rb),
                        LoopKind::Loop => {}
                    }
                    self.regions(&l.body, rb);
                    self.plan
                        .loop_regions
                        .insert(key(l), rb..self.plan.next_region);
                }
            }
        }
    }

    /// The values the reverse sweep reads directly.
    pub(super) fn seed_needed(&self, stmts: &[Stmt], work: &mut Vec<VarId>) {
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, rhs, .. } if self.func.vars[*var].active() => match rhs {
                    Rhs::Prim { rule, args, .. } => {
                        let active = active_args(self.func, rule, args);
                        for &i in &active {
                            if let Partial::Arg(j) | Partial::Recip(j) = rule.partials[i] {
                                work.extend(Func::var_of(&args[j]));
                            }
                        }
                        if emit::needs_runtime(rule, active.iter().copied()) {
                            if rule.reads != Reads::Result {
                                work.extend(args.iter().filter_map(Func::var_of));
                            }
                            if rule.reads != Reads::Args {
                                work.push(*var);
                            }
                        }
                    }
                    Rhs::Cast { value, .. } => work.extend(Func::var_of(value)),
                    Rhs::Load { index, .. } => work.extend(index.iter().filter_map(Func::var_of)),
                    // A seeded call has no reverse pass; the adjoints its companion returned
                    // are kept with its result.
                    Rhs::Call { .. } if self.returned_adjoints(*var).is_some() => {
                        work.push(*var);
                    }
                    Rhs::Call { .. } if self.is_seeded(*var) => {}
                    Rhs::Call { .. } => {
                        work.extend(rhs.operands().into_iter().filter_map(Func::var_of))
                    }
                    _ => {}
                },
                Stmt::Def { .. } | Stmt::Inert { .. } => {}
                Stmt::Store { array, index, .. } if self.func.vars[*array].active() => {
                    work.extend(index.iter().filter_map(Func::var_of));
                }
                Stmt::Push {
                    array,
                    index,
                    value,
                } if self.func.vars[*array].active() && self.active(value).is_some() => {
                    work.push(*index);
                }
                Stmt::Store { .. } | Stmt::Push { .. } => {}
                Stmt::If(i) => {
                    if self.has_work(std::slice::from_ref(stmt)) {
                        work.extend(Func::var_of(&i.cond));
                    }
                    self.seed_needed(&i.then, work);
                    self.seed_needed(&i.els, work);
                }
                // A `for` loop's iterator is needed through its bound variables, and to recount
                // the trips of a loop inside a region.
                Stmt::Loop(l) => {
                    if self.has_work(std::slice::from_ref(stmt))
                        && let Some(it) = self.recounted(l)
                    {
                        work.push(it);
                    }
                    self.seed_needed(&l.body, work);
                }
            }
        }
    }

    /// Whether the needed value `v` (defined by `def`) is the result of a libm function whose
    /// partial reads only its result, defined directly in the body of a loop reversed
    /// backwards, and so stored rather than computed again.
    fn stores_libm(&self, def: Option<&Rhs>, v: VarId) -> bool {
        let region = self.plan.region[v];
        let backwards = self
            .plan
            .loop_bodies
            .get(&region)
            .is_some_and(|l| !self.plan.in_order.contains(l));
        backwards
            && !self.live(v)
            && matches!(def, Some(Rhs::Prim { rule, .. }) if rule.libm && rule.reads == Reads::Result)
    }

    /// A trip counter for every loop with reverse work; a stack for it when the loop is inside
    /// a region (so its counter is gone when the reverse sweep reaches it).
    pub(super) fn trips(&mut self, stmts: &[Stmt], r: usize) {
        for stmt in stmts {
            match stmt {
                Stmt::If(i) => {
                    // Region numbers only matter as "top level or not" here; the arms of a
                    // branch on the way to the fused loop are reversed as the top level is.
                    let arms = if self.plan.fused_branches.contains(&fused::if_key(i)) {
                        r
                    } else {
                        r + 1
                    };
                    self.trips(&i.then, arms);
                    self.trips(&i.els, arms);
                }
                Stmt::Loop(l) => {
                    if self.has_work(std::slice::from_ref(stmt)) {
                        let counter = self.func.namer.fresh("trip");
                        // A `for` loop that never breaks runs as often as its iterator yields:
                        // the reverse sweep recounts instead of storing (the iterator is needed).
                        let stack = (r != 0 && self.recounted(l).is_none())
                            .then(|| self.func.namer.fresh("trip_stack"));
                        self.plan.trips.insert(key(l), (counter, stack));
                    }
                    // The bodies of the fused loop and of selection loops are reversed where
                    // their trip counters are in scope.
                    let live = self.fused(l) || self.is_selection(l);
                    self.trips(&l.body, if live { r } else { r + 1 });
                }
                _ => {}
            }
        }
    }

    /// Declares the adjoints of active local arrays (created at the top level).
    pub(super) fn local_arrays(
        &mut self,
        stmts: &[Stmt],
        out: &mut TokenStream,
        output: Option<VarId>,
        seed: &Ident,
    ) {
        for stmt in stmts {
            if let Stmt::Def {
                var,
                rhs: Rhs::NewArray { zeros, .. },
                ..
            } = stmt
                && let Some(bar) = self.bar[*var].clone()
            {
                let start = if output == Some(*var) {
                    seed.to_token_stream()
                } else {
                    emit::zeros(*zeros, &self.func.vars[*var].ident, None)
                };
                out.extend(quote!(let mut #bar = #start;));
                self.declared.insert(*var);
            }
        }
        // A by-value array parameter returned as it is: its adjoint starts with the seed too.
        if let Some(v) = output
            && let Some(bar) = self.bar[v].clone()
            && self.func.params.iter().any(|p| p.var == Some(v))
        {
            out.extend(quote!(#bar = #seed;));
        }
    }

    /// The iterator of a `for` loop whose trip count the reverse sweep can recount: the loop
    /// never breaks and its iterator can be recomputed (or is at the top level).
    pub(super) fn recounted(&self, l: &Loop) -> Option<VarId> {
        match &l.kind {
            LoopKind::For { iter, .. }
                if l.exit.is_none()
                    && (self.live(*iter) || self.plan.origin[*iter] == Origin::Recompute) =>
            {
                Some(*iter)
            }
            _ => None,
        }
    }

    /// The fields read of each call's tuple result.
    pub(super) fn plan_fields(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s {
                Stmt::Def {
                    var,
                    rhs:
                        Rhs::Field {
                            base: Operand::Var(b),
                            index,
                            ..
                        },
                    ..
                } => self.fields.entry(*b).or_default().push((*index, *var)),
                Stmt::If(i) => {
                    self.plan_fields(&i.then);
                    self.plan_fields(&i.els);
                }
                Stmt::Loop(l) => {
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.plan_fields(cond_stmts);
                    }
                    self.plan_fields(&l.body);
                }
                _ => {}
            }
        }
    }

    /// A stack for each slice an active call is lent to write, and for each slice it reads that
    /// a later write changes (`overwritten_call_args`): its reverse pass gets the values the
    /// call saw, saved at the call (Tapenade's rule: only when they are overwritten later).
    pub(super) fn plan_saved(&mut self, stmts: &[Stmt]) {
        let overwritten = crate::analysis::overwritten::overwritten_call_args(stmts);
        self.plan_saved_in(stmts, &overwritten);
    }

    fn plan_saved_in(&mut self, stmts: &[Stmt], overwritten: &HashSet<(VarId, usize)>) {
        for s in stmts {
            match s {
                Stmt::Def {
                    var,
                    rhs: Rhs::Call { memory, .. },
                    ..
                } if self.func.vars[*var].active() && !self.is_seeded(*var) => {
                    for (k, m) in memory.iter().enumerate() {
                        if m.as_ref().is_some_and(|m| m.mutable)
                            || (m.is_some() && overwritten.contains(&(*var, k)))
                        {
                            let stack = self.func.namer.fresh("saved");
                            self.saved.insert((*var, k), stack);
                        }
                    }
                }
                Stmt::If(i) => {
                    self.plan_saved_in(&i.then, overwritten);
                    self.plan_saved_in(&i.els, overwritten);
                }
                Stmt::Loop(l) => {
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.plan_saved_in(cond_stmts, overwritten);
                    }
                    self.plan_saved_in(&l.body, overwritten);
                }
                _ => {}
            }
        }
    }
}

/// The right-hand side defining each variable, anywhere in `stmts` (not in `while` conditions).
pub(super) fn definitions<'s>(stmts: &'s [Stmt], defs: &mut HashMap<VarId, &'s Rhs>) {
    for s in stmts {
        match s {
            Stmt::Def { var, rhs, .. } => {
                defs.entry(*var).or_insert(rhs);
            }
            Stmt::If(i) => {
                definitions(&i.then, defs);
                definitions(&i.els, defs);
            }
            Stmt::Loop(l) => definitions(&l.body, defs),
            _ => {}
        }
    }
}

/// The operands a recomputed definition reads.
fn operands_of_def(def: Option<&Rhs>) -> Vec<VarId> {
    match def {
        Some(Rhs::Inert { uses, .. } | Rhs::NewArray { uses, .. }) => uses.clone(),
        Some(rhs) => rhs
            .operands()
            .into_iter()
            .filter_map(Func::var_of)
            .collect(),
        None => Vec::new(),
    }
}
