//! A loop fused with its reverse sweep: each iteration's reverse sweep runs at the end of the
//! iteration, in the same loop, so nothing of the loop is stored or computed again and its data
//! is read once (Tapenade's independent iterations; a hand-written gradient of a loss over data
//! points runs the same way).
//!
//! That needs two things. The iterations are independent: what the loop carries with a
//! derivative only accumulates (so its adjoint is the same in every iteration, see
//! `Adjoint::accumulates`), and memory with a derivative is only added into and not read in the
//! loop, unless it is created in the body. And the adjoints of what the loop carries are known
//! before it runs: the loop is the function's last loop or branch, the code after it is
//! straight-line, and that code's reverse sweep reads nothing the loop or that code computes
//! (`return s`, `s * 0.5`, `s / n as f64`; not `s.sqrt()`).
//!
//! The function is then emitted as forward(before); reverse(after); the fused loop;
//! forward(after); reverse(before). The loop may also sit in an arm of the function's last
//! branch, as the rest of a function after an early `return` does: the branch is then emitted
//! that way, each of its arms running forward and then its own reverse sweep from the φs'
//! adjoints, and the arm holding the loop emitted around it in turn (`fused_list`,
//! `fused_if`). The body of the fused loop is a region whose values are in
//! scope for its reverse sweep, like the top level's (`Plan::live`): nothing in it is stored,
//! and loops and branches nested in it are reversed as they would be at the top level.
//! Contributions arrive in the same order as when the loop is reversed first to last
//! (`in_order.rs`), except into the adjoints of memory read at constant indices (`w[3]`), which
//! are summed in locals and added once after the loop (`promote`).
//!
//! Input:  `let mut s = 0.0; for i in 0..n { s += x[i] * x[i]; } s * 0.5`
//! Output: `let _t5_bar = seed; let s_3_bar = 0.5 * _t5_bar;`
//!         `let mut s_c = s; let mut s_c_bar = s_3_bar;`
//!         `for i in it { let s_1 = s_c; let _t2 = x[i]; let _t3 = _t2 * _t2;`
//!         `  let s_2 = s_1 + _t3; ..reverse: dx[i] += 2 _t2 s_c_bar..; s_c = s_2; }`
//!         `let s_3 = s_c; let _t5 = s_3 * 0.5;`

use super::*;

/// The loop fused with its reverse sweep.
pub(super) struct Fused {
    /// Its index among the top-level statements.
    pub at: usize,
    /// Its address (`key`).
    pub key: usize,
    /// The indices, among the statements after it, of the definitions that its reverse sweep
    /// after the loop reads, run before the loop instead.
    pub hoisted: Vec<usize>,
    /// When the statement at `at` is a branch on the way to the loop (the rest of a function
    /// after an early `return`): the arm holding the loop (`true`: the then-arm), and where
    /// the loop is in it.
    pub arm: Option<(bool, Box<Fused>)>,
}

impl Adjoint<'_> {
    /// The loop to fuse with its reverse sweep, if any: the last loop or branch among the
    /// top-level statements (branches that only pick a value, `if c { a } else { b }`, aside),
    /// or, when that is a branch, the same inside one of its arms.
    pub(super) fn fusable(&self, stmts: &[Stmt]) -> Option<Fused> {
        let at = stmts.iter().rposition(|s| match s {
            Stmt::Loop(_) => true,
            Stmt::If(i) => !picks(i),
            _ => false,
        })?;
        let after = &stmts[at + 1..];
        match &stmts[at] {
            Stmt::Loop(l) => {
                if !self.has_work(&stmts[at..=at]) || !self.independent(l) {
                    return None;
                }
                let looped: HashSet<VarId> =
                    l.cells.iter().flat_map(|c| [c.cell, c.after]).collect();
                Some(Fused {
                    at,
                    key: key(l),
                    hoisted: self.known_after(&looped, after)?,
                    arm: None,
                })
            }
            Stmt::If(i) => {
                let (arm, inner) = match (self.fusable(&i.then), self.fusable(&i.els)) {
                    (Some(f), _) => (true, f),
                    (None, Some(f)) => (false, f),
                    (None, None) => return None,
                };
                let mut looped = HashSet::new();
                in_order::defined_in(&stmts[at..=at], &mut looped);
                Some(Fused {
                    at,
                    key: inner.key,
                    hoisted: self.known_after(&looped, after)?,
                    arm: Some((arm, Box::new(inner))),
                })
            }
            _ => unreachable!("found as a loop or a branch"),
        }
    }

    /// The branches on the way to the fused loop, by address: each arm of theirs runs its own
    /// reverse sweep right after it, so their values are in scope for it (`Plan::live`).
    pub(super) fn fused_branches(stmts: &[Stmt], fused: &Fused, out: &mut HashSet<usize>) {
        if let (Stmt::If(i), Some((arm, inner))) = (&stmts[fused.at], &fused.arm) {
            out.insert(if_key(i));
            Self::fused_branches(if *arm { &i.then } else { &i.els }, inner, out);
        }
    }

    /// The calls after the fused statement in each list on the way to the fused loop: their
    /// reverse sweep runs before them, so none is seeded (`seeded.rs`).
    pub(super) fn after_fused_calls(stmts: &[Stmt], fused: &Fused, out: &mut HashSet<VarId>) {
        for s in &stmts[fused.at + 1..] {
            if let Stmt::Def {
                var,
                rhs: Rhs::Call { .. },
                ..
            } = s
            {
                out.insert(*var);
            }
        }
        if let (Stmt::If(i), Some((arm, inner))) = (&stmts[fused.at], &fused.arm) {
            Self::after_fused_calls(if *arm { &i.then } else { &i.els }, inner, out);
        }
    }

    /// Whether the iterations of `l` are independent (see the module's documentation).
    fn independent(&self, l: &Loop) -> bool {
        /// Arrays created in `stmts`, and arrays loaded (or read by a call).
        fn arrays(stmts: &[Stmt], created: &mut HashSet<VarId>, loaded: &mut HashSet<VarId>) {
            for s in stmts {
                match s {
                    Stmt::Def { var, rhs, .. } => match rhs {
                        Rhs::NewArray { .. } => {
                            created.insert(*var);
                        }
                        Rhs::Load { array, .. } => {
                            loaded.insert(*array);
                        }
                        Rhs::Call { args, memory, .. } => {
                            for (a, m) in args.iter().zip(memory) {
                                if let (Some(v), Some(_)) = (Func::var_of(a), m) {
                                    loaded.insert(v);
                                }
                            }
                        }
                        _ => {}
                    },
                    Stmt::If(i) => {
                        arrays(&i.then, created, loaded);
                        arrays(&i.els, created, loaded);
                    }
                    Stmt::Loop(l) => {
                        if let LoopKind::While { cond_stmts, .. } = &l.kind {
                            arrays(cond_stmts, created, loaded);
                        }
                        arrays(&l.body, created, loaded);
                    }
                    _ => {}
                }
            }
        }
        /// Whether every write in `stmts` keeps the iterations independent (`nested`: in a loop
        /// inside the loop).
        fn writes_ok(
            a: &Adjoint,
            stmts: &[Stmt],
            created: &HashSet<VarId>,
            loaded: &HashSet<VarId>,
            nested: bool,
        ) -> bool {
            let outside = |v: &VarId| a.func.vars[*v].active() && !created.contains(v);
            stmts.iter().all(|s| match s {
                Stmt::Store { array, add, .. } => {
                    !outside(array) || (*add && !loaded.contains(array))
                }
                Stmt::Push { array, .. } => !outside(array),
                // A call lent a slice to write, or given a copy of state, keeps values for its
                // reverse pass across the iterations' order; a pop takes them in order. A
                // seeded call given state (`seeded.rs`) has no reverse pass: it keeps nothing.
                Stmt::Def { var, rhs, .. } => {
                    rhs.written().is_empty()
                        && (rhs.snapshots().is_empty()
                            || (!nested && a.seed_candidates.contains_key(var)))
                        && !matches!(rhs, Rhs::Pop { .. })
                }
                Stmt::If(i) => {
                    writes_ok(a, &i.then, created, loaded, nested)
                        && writes_ok(a, &i.els, created, loaded, nested)
                }
                Stmt::Loop(l) => {
                    writes_ok(a, &l.body, created, loaded, true)
                        && match &l.kind {
                            LoopKind::While { cond_stmts, .. } => {
                                writes_ok(a, cond_stmts, created, loaded, true)
                            }
                            _ => true,
                        }
                }
                Stmt::Inert { .. } => true,
            })
        }
        if !matches!(l.kind, LoopKind::For { .. }) || l.exit.is_some() {
            return false;
        }
        let (mut created, mut loaded) = (HashSet::new(), HashSet::new());
        arrays(&l.body, &mut created, &mut loaded);
        writes_ok(self, &l.body, &created, &loaded, false)
            && l.cells
                .iter()
                .filter(|c| self.func.vars[c.cell].active())
                .all(|c| self.accumulates(l, c))
    }

    /// Whether the code after the fused statement (which defines `looped`) is straight-line
    /// and its reverse sweep can run before it: it reads nothing the statement computes, and
    /// what it reads of that code's values (`n as f64` in `s / n as f64`) is pure and computed
    /// from values before the statement. Straight-line code may pick a value
    /// (`if c { a } else { b }`) and store into memory without a derivative (restore an index
    /// list). Returns the indices in `after` of those definitions, which then run before the
    /// statement.
    fn known_after(&self, looped: &HashSet<VarId>, after: &[Stmt]) -> Option<Vec<usize>> {
        let straight = after.iter().all(|s| match s {
            Stmt::Def { rhs, .. } => {
                !matches!(rhs, Rhs::NewArray { .. } | Rhs::Pop { .. })
                    && rhs.written().is_empty()
                    && rhs.snapshots().is_empty()
            }
            Stmt::Inert { .. } => true,
            Stmt::If(i) => picks(i),
            Stmt::Store { array, .. } | Stmt::Push { array, .. } => {
                !self.func.vars[*array].active()
            }
            Stmt::Loop(_) => false,
        });
        if !straight {
            return None;
        }
        let mut work = Vec::new();
        self.seed_needed(after, &mut work);
        let mut hoisted = Vec::new();
        while let Some(v) = work.pop() {
            if looped.contains(&v) {
                return None;
            }
            let Some(j) = after
                .iter()
                .position(|s| matches!(s, Stmt::Def { var, .. } if *var == v))
            else {
                continue;
            };
            if hoisted.contains(&j) {
                continue;
            }
            let Stmt::Def { rhs, .. } = &after[j] else {
                unreachable!("found as a definition")
            };
            match rhs {
                Rhs::Prim { .. } | Rhs::Copy(_) | Rhs::Cast { .. } => {
                    work.extend(rhs.operands().into_iter().filter_map(Func::var_of));
                }
                Rhs::Inert {
                    pure: true, uses, ..
                } if !uses.iter().any(|&u| self.func.changes_in_place(u)) => {
                    work.extend(uses.iter().copied());
                }
                _ => return None,
            }
            hoisted.push(j);
        }
        hoisted.sort_unstable();
        Some(hoisted)
    }

    /// The whole function with its fused loop: [`Adjoint::fused_list`] of its statements, from
    /// the output's seeds. `memory` declares the adjoints of memory, once the arrays exist.
    pub(super) fn fused_sweeps(
        &mut self,
        stmts: &[Stmt],
        fused: &Fused,
        memory: TokenStream,
        seed: &Ident,
    ) -> TokenStream {
        let seeds = self.output_seeds(seed);
        self.fused_list(stmts, fused, seeds, Some((memory, seed)))
    }

    /// A list of statements on the way to the fused loop (the function's, with `top` holding
    /// the declarations of memory's adjoints and the seed; or an arm of a branch): forward(before),
    /// with what the reverse sweep after the fused statement reads; reverse(after), from
    /// `seeds`; the fused statement (the loop, each iteration followed by its reverse sweep, or
    /// the branch, each arm followed by its own); the rest of forward(after); reverse(before).
    fn fused_list(
        &mut self,
        stmts: &[Stmt],
        fused: &Fused,
        seeds: Vec<(VarId, TokenStream)>,
        top: Option<(TokenStream, &Ident)>,
    ) -> TokenStream {
        let p = fused.at;
        let mut out = self.forward(&stmts[..p], 0);
        let after = &stmts[p + 1..];
        for &j in &fused.hoisted {
            out.extend(self.forward(&after[j..=j], 0));
        }
        let is_top = top.is_some();
        if let Some((mut memory, seed)) = top {
            self.adjoint_arrays(stmts, &mut memory, seed);
            out.extend(memory);
        }
        in_order::defined_in(&stmts[p..], &mut self.pending);
        let (mut reverse, counts) = self.reverse_start(stmts, is_top, &[], seeds);
        self.pending.clear();
        for s in after.iter().rev() {
            self.reverse_stmt(s, &mut reverse, &counts);
        }
        out.extend(reverse);
        let mut reverse = TokenStream::new();
        match (&stmts[p], &fused.arm) {
            (Stmt::Loop(l), None) => out.extend(self.fused_loop(l, &counts, &mut reverse)),
            (Stmt::If(i), Some((arm, inner))) => out.extend(self.fused_if(i, *arm, inner)),
            _ => unreachable!("the fused statement is the loop, or a branch on the way to it"),
        }
        for (j, s) in after.iter().enumerate() {
            if !fused.hoisted.contains(&j) {
                out.extend(self.forward(std::slice::from_ref(s), 0));
            }
        }
        for s in stmts[..p].iter().rev() {
            self.reverse_stmt(s, &mut reverse, &counts);
        }
        out.extend(reverse);
        out
    }

    /// The fused loop, each iteration followed by its reverse sweep; what the reverse sweep
    /// does after the loop (the promoted sums, the cells' adjoints to their start values) goes
    /// to `reverse`.
    fn fused_loop(
        &mut self,
        l: &Loop,
        counts: &HashMap<VarId, usize>,
        reverse: &mut TokenStream,
    ) -> TokenStream {
        let LoopKind::For { pat, iter, .. } = &l.kind else {
            unreachable!("fused loops are `for` loops")
        };
        let (cells_before, cells_after) = self.cell_bounds(l);
        let (bars, cells) = self.cell_bars(l);
        let (sums, slots) = self.promote(l);
        // With one carried sum whose adjoint reaches nothing outside the loop but the sums
        // above, the loop runs with that adjoint at 1 and the sums are scaled by it once, after
        // the loop (`mean = s / n`: no multiplication by `1 / n` per point).
        let scale = self.seed_factors_out(l, &cells);
        let (mut seed_in, mut seed_out) = (TokenStream::new(), TokenStream::new());
        if let (true, [(_, cb)], Some(f)) = (scale, cells.as_slice(), &self.float) {
            let real = self.func.namer.fresh("loop_seed");
            seed_in = quote!(let #real = #cb; #cb = ::ad_runtime::one::<#f>(););
            seed_out = quote!(#cb = #real;);
        }
        let (entry, _, write_back) = self.cell_moves(l);
        let body = self.forward(&l.body, 1);
        let body_reverse = self.reverse_body(l, &cells);
        let it = &self.func.vars[*iter].ident;
        let out = quote! {
            #cells_before #bars #seed_in #sums
            for #pat in #it { #entry #body #body_reverse #write_back }
            #cells_after
        };
        self.promoted.clear();
        reverse.extend(seed_out);
        for (slot, acc) in slots {
            let add = match (scale, cells.as_slice()) {
                (true, [(_, cb)]) => quote!(#cb * #acc),
                _ => acc.to_token_stream(),
            };
            reverse.extend(quote!(#slot = #slot + #add;));
        }
        self.cell_bars_end(&cells, reverse, counts);
        out
    }

    /// A branch on the way to the fused loop, the adjoints of its φs known before it: each
    /// arm runs forward and then its own reverse sweep, the arm holding the loop as a fused
    /// list ([`Adjoint::fused_list`]).
    fn fused_if(&mut self, i: &If, arm: bool, inner: &Fused) -> TokenStream {
        let cond = emit::operand(self.func, &i.cond);
        let mut sides = Vec::new();
        for (branch, then) in [(&i.then, true), (&i.els, false)] {
            let seeds = self.phi_seeds(i, then);
            // Adjoints declared inside the arm end with it.
            let declared = self.declared.clone();
            let code = if then == arm {
                self.fused_list(branch, inner, seeds, None)
            } else {
                let forward = self.forward(branch, 0);
                let reverse = self.reverse(branch, false, &[], seeds);
                quote!(#forward #reverse)
            };
            self.declared = declared;
            let values = i
                .phis
                .iter()
                .map(|p| emit::operand(self.func, if then { &p.then } else { &p.els }));
            sides.push(quote!(#code (#(#values,)*)));
        }
        let names = self.phi_names(i);
        let (t, e) = (&sides[0], &sides[1]);
        quote!(let (#(#names,)*) = if #cond { #t } else { #e };)
    }
}

/// Whether a branch only picks a value (`if c { a } else { b }`, both arms empty): straight-line
/// code for fusion.
fn picks(i: &If) -> bool {
    i.then.is_empty() && i.els.is_empty()
}

/// A branch's identity for the plan: its address, stable while the IR is borrowed.
pub(super) fn if_key(i: &If) -> usize {
    std::ptr::from_ref(i) as usize
}

impl Adjoint<'_> {
    /// Adjoint slots at constant indices (`w[3]`: the parameters of a model fitted to data)
    /// that the fused loop's reverse sweep only adds into: each is summed in a local through
    /// the loop and added into memory once after it, as a hand-written gradient keeps its sums
    /// in registers (the compiler cannot keep `dw[3]` in one itself: the bounds checks in the
    /// loop may panic between two additions). Memory the loop stores to, creates, or lends to
    /// a call, or that inert code uses, is left alone. Returns the locals' declarations, and
    /// each memory slot with the local to add into it after the loop.
    fn promote(&mut self, l: &Loop) -> (TokenStream, Vec<(TokenStream, Ident)>) {
        fn walk(stmts: &[Stmt], loads: &mut Vec<(VarId, Vec<Operand>)>, kept: &mut HashSet<VarId>) {
            for s in stmts {
                match s {
                    Stmt::Def { var, rhs, .. } => match rhs {
                        Rhs::Load { array, index } => loads.push((*array, index.clone())),
                        Rhs::NewArray { .. } => {
                            kept.insert(*var);
                        }
                        Rhs::Call { args, .. } => kept.extend(args.iter().filter_map(Func::var_of)),
                        _ => {}
                    },
                    Stmt::Store { array, .. } | Stmt::Push { array, .. } => {
                        kept.insert(*array);
                    }
                    Stmt::If(i) => {
                        walk(&i.then, loads, kept);
                        walk(&i.els, loads, kept);
                    }
                    Stmt::Loop(l) => {
                        if let LoopKind::While { cond_stmts, .. } = &l.kind {
                            walk(cond_stmts, loads, kept);
                        }
                        walk(&l.body, loads, kept);
                    }
                    Stmt::Inert { uses, .. } => kept.extend(uses.iter().copied()),
                }
            }
        }
        let (mut sums, mut slots) = (TokenStream::new(), Vec::new());
        // The locals' type must be known: the float type the parameters share.
        if self.float.is_none() {
            return (sums, slots);
        }
        let (mut loads, mut kept) = (Vec::new(), HashSet::new());
        walk(&l.body, &mut loads, &mut kept);
        for (array, index) in loads {
            let (Some(k), Some(a_bar)) = (const_index(&index), self.bar[array].clone()) else {
                continue;
            };
            if kept.contains(&array) || self.promoted.contains_key(&(array, k.clone())) {
                continue;
            }
            let digits: String = k.chars().filter(char::is_ascii_alphanumeric).collect();
            let acc = self.func.namer.fresh(&format!("{a_bar}_{digits}"));
            let zero = self.zero();
            let slot = emit::element(&a_bar.to_token_stream(), &emit::index(self.func, &index));
            sums.extend(quote!(let mut #acc = #zero;));
            slots.push((slot, acc.clone()));
            self.promoted.insert((array, k), acc);
        }
        (sums, slots)
    }

    /// Whether the fused loop's reverse sweep is linear in the adjoint of its one carried sum
    /// with nothing else coming in or going out but through the promoted sums: no other carried
    /// value with a derivative, no value with a derivative from outside the loop read in it, no
    /// memory with a derivative from outside read at a varying index or written, no call.
    fn seed_factors_out(&self, l: &Loop, cells: &[(&Cell, Ident)]) -> bool {
        fn clean(a: &Adjoint, stmts: &[Stmt], inside: &HashSet<VarId>) -> bool {
            let outside = |v: VarId| a.func.vars[v].active() && !inside.contains(&v);
            stmts.iter().all(|s| match s {
                Stmt::Def { rhs, .. } => match rhs {
                    Rhs::Load { array, index } => {
                        !outside(*array)
                            || const_index(index)
                                .is_some_and(|k| a.promoted.contains_key(&(*array, k)))
                    }
                    Rhs::Call { .. } | Rhs::Pop { .. } => false,
                    _ => true,
                },
                Stmt::Store { array, .. } | Stmt::Push { array, .. } => !outside(*array),
                Stmt::If(i) => clean(a, &i.then, inside) && clean(a, &i.els, inside),
                Stmt::Loop(l) => {
                    clean(a, &l.body, inside)
                        && match &l.kind {
                            LoopKind::While { cond_stmts, .. } => clean(a, cond_stmts, inside),
                            _ => true,
                        }
                }
                Stmt::Inert { .. } => true,
            })
        }
        if cells.len() != 1 || self.float.is_none() {
            return false;
        }
        let mut inside: HashSet<VarId> = l.cells.iter().map(|c| c.entry).collect();
        in_order::defined_in(&l.body, &mut inside);
        let mut reads = HashMap::new();
        in_order::count_reads(&l.body, &mut reads);
        let foreign = reads
            .keys()
            .any(|&v| self.func.vars[v].active() && !inside.contains(&v));
        !foreign && clean(self, &l.body, &inside)
    }
}

/// The index operands as text when they are all constants (`3`, `B2`), else `None`.
pub(super) fn const_index(index: &[Operand]) -> Option<String> {
    let parts: Option<Vec<String>> = index
        .iter()
        .map(|op| match op {
            Operand::Const(c) => Some(c.to_string()),
            Operand::Var(_) => None,
        })
        .collect();
    parts.map(|p| p.join(","))
}
