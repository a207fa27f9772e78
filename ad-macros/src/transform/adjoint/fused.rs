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
//! forward(after); reverse(before). The body of the fused loop is a region whose values are in
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
}

impl Adjoint<'_> {
    /// The loop to fuse with its reverse sweep, if any, among the top-level statements.
    pub(super) fn fusable(&self, stmts: &[Stmt]) -> Option<Fused> {
        let at = stmts
            .iter()
            .rposition(|s| matches!(s, Stmt::Loop(_) | Stmt::If(_)))?;
        let Stmt::Loop(l) = &stmts[at] else {
            return None;
        };
        if !self.has_work(&stmts[at..=at]) || !self.independent(l) {
            return None;
        }
        let hoisted = self.known_after(l, &stmts[at + 1..])?;
        Some(Fused {
            at,
            key: key(l),
            hoisted,
        })
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
        /// Whether every write in `stmts` keeps the iterations independent.
        fn writes_ok(
            a: &Adjoint,
            stmts: &[Stmt],
            created: &HashSet<VarId>,
            loaded: &HashSet<VarId>,
        ) -> bool {
            let outside = |v: &VarId| a.func.vars[*v].active() && !created.contains(v);
            stmts.iter().all(|s| match s {
                Stmt::Store { array, add, .. } => {
                    !outside(array) || (*add && !loaded.contains(array))
                }
                Stmt::Push { array, .. } => !outside(array),
                // A call lent a slice to write, or given a copy of state, keeps values for its
                // reverse pass across the iterations' order; a pop takes them in order.
                Stmt::Def { rhs, .. } => {
                    rhs.written().is_empty()
                        && rhs.snapshots().is_empty()
                        && !matches!(rhs, Rhs::Pop { .. })
                }
                Stmt::If(i) => {
                    writes_ok(a, &i.then, created, loaded) && writes_ok(a, &i.els, created, loaded)
                }
                Stmt::Loop(l) => {
                    writes_ok(a, &l.body, created, loaded)
                        && match &l.kind {
                            LoopKind::While { cond_stmts, .. } => {
                                writes_ok(a, cond_stmts, created, loaded)
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
        writes_ok(self, &l.body, &created, &loaded)
            && l.cells
                .iter()
                .filter(|c| self.func.vars[c.cell].active())
                .all(|c| self.accumulates(l, c))
    }

    /// Whether the code after the loop `l` is straight-line and its reverse sweep can run before
    /// the loop: it reads nothing the loop computes, and what it reads of that code's values
    /// (`n as f64` in `s / n as f64`) is pure and computed from values before the loop. Returns
    /// the indices in `after` of those definitions, which then run before the loop.
    fn known_after(&self, l: &Loop, after: &[Stmt]) -> Option<Vec<usize>> {
        let straight = after.iter().all(|s| match s {
            Stmt::Def { rhs, .. } => {
                !matches!(rhs, Rhs::NewArray { .. } | Rhs::Pop { .. })
                    && rhs.written().is_empty()
                    && rhs.snapshots().is_empty()
            }
            Stmt::Inert { .. } => true,
            _ => false,
        });
        if !straight {
            return None;
        }
        let looped: HashSet<VarId> = l.cells.iter().flat_map(|c| [c.cell, c.after]).collect();
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

    /// The whole function with a top-level loop fused: forward(before), with what the reverse
    /// sweep after the loop reads; reverse(after); the loop, each iteration followed by its
    /// reverse sweep; the rest of forward(after); reverse(before). `memory` declares the
    /// adjoints of memory, once the arrays exist.
    pub(super) fn fused_sweeps(
        &mut self,
        stmts: &[Stmt],
        fused: &Fused,
        mut memory: TokenStream,
        seed: &Ident,
    ) -> TokenStream {
        let p = fused.at;
        let Stmt::Loop(l) = &stmts[p] else {
            unreachable!("the fused statement is a loop")
        };
        let LoopKind::For { pat, iter, .. } = &l.kind else {
            unreachable!("fused loops are `for` loops")
        };
        let mut out = self.forward(&stmts[..p], 0);
        let after = &stmts[p + 1..];
        for &j in &fused.hoisted {
            out.extend(self.forward(&after[j..=j], 0));
        }
        self.adjoint_arrays(stmts, &mut memory, seed);
        out.extend(memory);
        let seeds = self.output_seeds(seed);
        let (mut reverse, counts) = self.reverse_start(stmts, true, &[], seeds);
        for s in after.iter().rev() {
            self.reverse_stmt(s, &mut reverse, &counts);
        }
        out.extend(reverse);
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
        out.extend(quote! {
            #cells_before #bars #seed_in #sums
            for #pat in #it { #entry #body #body_reverse #write_back }
            #cells_after
        });
        self.promoted.clear();
        let mut reverse = seed_out;
        for (slot, acc) in slots {
            let add = match (scale, cells.as_slice()) {
                (true, [(_, cb)]) => quote!(#cb * #acc),
                _ => acc.to_token_stream(),
            };
            reverse.extend(quote!(#slot = #slot + #add;));
        }
        self.cell_bars_end(&cells, &mut reverse, &counts);
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
