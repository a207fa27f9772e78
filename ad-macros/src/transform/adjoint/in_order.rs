//! Loops reversed in their own order: when the reverse sweep of an iteration does not depend on
//! the iterations after it, the iterations can be reversed first to last, and the values carried
//! from one iteration to the next without derivative (a running power `p *= t`, an index
//! counter `k += 1`) are computed again as they were, instead of stored once per iteration.
//!
//! That holds for an innermost `for` loop without `break` whose body is straight-line code
//! (definitions, and stores that add into memory) and where:
//!
//! - every carried value with a derivative only accumulates: `s = s + e` or `s = s - e`, through
//!   a chain of such sums whose links are read nowhere else, so its adjoint is the same in every
//!   iteration;
//! - memory with a derivative is written only by `a[i] += e` (or `-=`) and not read in the loop,
//!   so the adjoints of memory only accumulate too;
//! - nothing else in the body is stored for the reverse sweep (checked once the plan is made:
//!   a loop that still stores a value is reversed backwards as usual).
//!
//! A hand-written gradient of such a loop (the power series of a least-squares fit, a packed
//! triangular product) runs forward for the same reason.
//!
//! Input:  `for j in 0..m { s -= x[j] * p; p *= t; }`
//! Output (reverse): `let mut carried = p0; for k in 0..trip { let j = nth(&it, k);`
//!                   `let p_1 = carried; let p_2 = p_1 * t; carried = p_2;`
//!                   `x_bar[j] += p_1 * -s_bar; }` (nothing pushed in the forward sweep)

use super::*;

impl Adjoint<'_> {
    /// The loops (by address) whose shape allows reversing them in order, found anywhere in
    /// `stmts`; [`Adjoint::analyse`] drops those that still store values.
    pub(super) fn in_order_candidates(&self, stmts: &[Stmt], out: &mut HashSet<usize>) {
        for s in stmts {
            match s {
                Stmt::If(i) => {
                    self.in_order_candidates(&i.then, out);
                    self.in_order_candidates(&i.els, out);
                }
                Stmt::Loop(l) => {
                    if self.in_order_shape(l) && !self.is_selection(l) {
                        out.insert(key(l));
                    }
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.in_order_candidates(cond_stmts, out);
                    }
                    self.in_order_candidates(&l.body, out);
                }
                _ => {}
            }
        }
    }

    fn in_order_shape(&self, l: &Loop) -> bool {
        if !matches!(l.kind, LoopKind::For { .. }) || l.exit.is_some() {
            return false;
        }
        let vars = &self.func.vars;
        let mut loaded = HashSet::new();
        let mut stored = HashSet::new();
        for s in &l.body {
            match s {
                Stmt::Def { var, rhs, .. } => match rhs {
                    // A libm result its partial reads (`exp`, `tanh`): reversed backwards, the
                    // loop pops it instead of calling the function again (see `stores_libm`).
                    Rhs::Prim { rule, .. }
                        if rule.libm && rule.reads == Reads::Result && vars[*var].active() =>
                    {
                        return false;
                    }
                    Rhs::Prim { .. } | Rhs::Copy(_) | Rhs::Cast { .. } | Rhs::Field { .. } => {}
                    Rhs::Inert { pure: true, .. } => {}
                    Rhs::Load { array, .. } => {
                        loaded.insert(*array);
                    }
                    _ => return false,
                },
                Stmt::Store { array, add, .. } => {
                    if vars[*array].active() && !add {
                        return false;
                    }
                    stored.insert(*array);
                }
                Stmt::Inert { .. } | Stmt::If(_) | Stmt::Loop(_) | Stmt::Push { .. } => {
                    return false;
                }
            }
        }
        // Memory the loop writes is not read in it (its values would depend on the order).
        if stored.iter().any(|a| loaded.contains(a)) {
            return false;
        }
        l.cells
            .iter()
            .filter(|c| vars[c.cell].active())
            .all(|c| self.accumulates(l, c))
    }

    /// Whether the active cell `c` only accumulates: from its entry to its exit runs a chain of
    /// `+ e` / `- e`, copies, and branches each of whose arms continues the chain
    /// (`if c { s += a } else { s += b }`), and nothing but the chain reads its links. Its
    /// adjoint is then the same in every iteration. Reads are counted in nested regions too, so
    /// a body with branches and inner loops (a fused loop's, `fused.rs`) is judged the same way.
    pub(super) fn accumulates(&self, l: &Loop, c: &Cell) -> bool {
        /// How a link of the chain is defined.
        enum Link<'a> {
            Rhs(&'a Rhs),
            Phi(&'a Operand, &'a Operand),
        }
        /// The definition of `v` in the body, in branches too (not in nested loops).
        fn link(stmts: &[Stmt], v: VarId) -> Option<Link<'_>> {
            stmts.iter().find_map(|s| match s {
                Stmt::Def { var, rhs, .. } if *var == v => Some(Link::Rhs(rhs)),
                Stmt::If(i) => i
                    .phis
                    .iter()
                    .find(|p| p.var == v)
                    .map(|p| Link::Phi(&p.then, &p.els))
                    .or_else(|| link(&i.then, v).or_else(|| link(&i.els, v))),
                _ => None,
            })
        }
        let mut uses: HashMap<VarId, usize> = HashMap::new();
        count_reads(&l.body, &mut uses);
        for other in &l.cells {
            if let Some(v) = Func::var_of(&other.exit) {
                *uses.entry(v).or_default() += 1;
            }
        }
        let mut dep = HashSet::from([c.entry]);
        depends(&l.body, &mut dep);
        // Walk back from the exit to the entry, counting the chain's own reads of each link.
        let Some(exit) = Func::var_of(&c.exit) else {
            return false;
        };
        let mut chain_reads: HashMap<VarId, usize> = HashMap::from([(exit, 1)]);
        let mut work = vec![exit];
        let mut steps = 0;
        while let Some(v) = work.pop() {
            steps += 1;
            if steps > 4 * count_stmts(&l.body) + 4 {
                return false;
            }
            if v == c.entry {
                continue;
            }
            let reaches = |op: &Operand| Func::var_of(op).filter(|a| dep.contains(a));
            let next: Vec<VarId> = match link(&l.body, v) {
                Some(Link::Rhs(Rhs::Copy(op))) => reaches(op).into_iter().collect(),
                Some(Link::Rhs(Rhs::Prim { rule, args, .. }))
                    if rule.name == "add" && args.len() == 2 =>
                {
                    match (reaches(&args[0]), reaches(&args[1])) {
                        (Some(a), None) | (None, Some(a)) => vec![a],
                        _ => return false,
                    }
                }
                Some(Link::Rhs(Rhs::Prim { rule, args, .. }))
                    if rule.name == "sub" && args.len() == 2 =>
                {
                    match (reaches(&args[0]), reaches(&args[1])) {
                        (Some(a), None) => vec![a],
                        _ => return false,
                    }
                }
                Some(Link::Phi(then, els)) => match (reaches(then), reaches(els)) {
                    (Some(a), Some(b)) => vec![a, b],
                    _ => return false,
                },
                _ => return false,
            };
            if next.is_empty() {
                return false;
            }
            for n in next {
                let count = chain_reads.entry(n).or_default();
                *count += 1;
                // A link is walked from once for all its readers.
                if *count == 1 {
                    work.push(n);
                }
            }
        }
        chain_reads
            .iter()
            .all(|(v, n)| uses.get(v).copied().unwrap_or(0) == *n)
    }

    /// The loops (by address) among `candidates` that the plan made still store a value: a
    /// definition of the body, or the entry of a carried value with a derivative.
    pub(super) fn in_order_stored(
        &self,
        stmts: &[Stmt],
        candidates: &HashSet<usize>,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        self.visit_loops(stmts, &mut |l| {
            if candidates.contains(&key(l))
                && (l.cells.iter().any(|c| self.plan.stack[c.entry].is_some())
                    || l.body.iter().any(
                        |s| matches!(s, Stmt::Def { var, .. } if self.plan.stack[*var].is_some()),
                    ))
            {
                out.push(key(l));
            }
        });
        out
    }

    /// Marks the entries of the carried values without derivative of the loops in `in_order`
    /// as computed again in the reverse sweep (from the value the loop starts with, then each
    /// iteration's exit); the other loops' entries as stored when needed.
    pub(super) fn mark_carried(&mut self, stmts: &[Stmt], in_order: &HashSet<usize>) {
        let mut marks = Vec::new();
        self.visit_loops(stmts, &mut |l| {
            for c in &l.cells {
                let carried = in_order.contains(&key(l)) && !self.func.vars[c.cell].active();
                marks.push((
                    c.entry,
                    carried,
                    Func::var_of(&c.init),
                    Func::var_of(&c.exit),
                ));
            }
        });
        for (entry, carried, init, exit) in marks {
            if carried {
                self.plan.origin[entry] = Origin::Carried;
                self.plan
                    .carried
                    .insert(entry, init.into_iter().chain(exit).collect());
            } else {
                self.plan.origin[entry] = Origin::CellEntry;
                self.plan.carried.remove(&entry);
            }
        }
    }

    fn visit_loops<'s>(&self, stmts: &'s [Stmt], f: &mut impl FnMut(&'s Loop)) {
        for s in stmts {
            match s {
                Stmt::If(i) => {
                    self.visit_loops(&i.then, f);
                    self.visit_loops(&i.els, f);
                }
                Stmt::Loop(l) => {
                    f(l);
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.visit_loops(cond_stmts, f);
                    }
                    self.visit_loops(&l.body, f);
                }
                _ => {}
            }
        }
    }
}

/// How often each variable is read by `stmts`, nested regions included.
pub(super) fn count_reads(stmts: &[Stmt], uses: &mut HashMap<VarId, usize>) {
    let var = Func::var_of;
    for s in stmts {
        let mut reads: Vec<Option<VarId>> = Vec::new();
        match s {
            Stmt::Def { rhs, .. } => match rhs {
                Rhs::Inert { uses: u, .. } | Rhs::NewArray { uses: u, .. } => {
                    reads.extend(u.iter().map(|&v| Some(v)));
                }
                rhs => reads.extend(rhs.operands().into_iter().map(var)),
            },
            Stmt::Inert { uses: u, .. } => reads.extend(u.iter().map(|&v| Some(v))),
            Stmt::Store { index, value, .. } => {
                reads.extend(index.iter().map(var));
                reads.push(var(value));
            }
            Stmt::Push { index, value, .. } => reads.extend([Some(*index), var(value)]),
            Stmt::If(i) => {
                reads.push(var(&i.cond));
                reads.extend(i.phis.iter().flat_map(|p| [var(&p.then), var(&p.els)]));
                count_reads(&i.then, uses);
                count_reads(&i.els, uses);
            }
            Stmt::Loop(l) => {
                reads.extend(l.cells.iter().flat_map(|c| [var(&c.init), var(&c.exit)]));
                reads.extend(l.exit.as_ref().map(var));
                match &l.kind {
                    LoopKind::For { iter, .. } => reads.push(Some(*iter)),
                    LoopKind::While { cond_stmts, cond } => {
                        reads.push(var(cond));
                        count_reads(cond_stmts, uses);
                    }
                    LoopKind::Loop => {}
                }
                count_reads(&l.body, uses);
            }
        }
        for v in reads.into_iter().flatten() {
            *uses.entry(v).or_default() += 1;
        }
    }
}

/// Adds to `dep` every variable of `stmts` computed from one already in it: definitions, the
/// results of branches, and everything a nested loop defines once it reads one.
pub(super) fn depends(stmts: &[Stmt], dep: &mut HashSet<VarId>) {
    for s in stmts {
        match s {
            Stmt::Def { var, rhs, .. } => {
                let hit = match rhs {
                    Rhs::Inert { uses, .. } | Rhs::NewArray { uses, .. } => {
                        uses.iter().any(|v| dep.contains(v))
                    }
                    rhs => rhs
                        .operands()
                        .into_iter()
                        .filter_map(Func::var_of)
                        .any(|v| dep.contains(&v)),
                };
                if hit {
                    dep.insert(*var);
                }
            }
            Stmt::If(i) => {
                depends(&i.then, dep);
                depends(&i.els, dep);
                for p in &i.phis {
                    if [&p.then, &p.els]
                        .into_iter()
                        .filter_map(Func::var_of)
                        .any(|v| dep.contains(&v))
                    {
                        dep.insert(p.var);
                    }
                }
            }
            Stmt::Loop(l) => {
                let mut reads = HashMap::new();
                count_reads(std::slice::from_ref(s), &mut reads);
                if reads.keys().any(|v| dep.contains(v)) {
                    dep.extend(l.cells.iter().flat_map(|c| [c.entry, c.after]));
                    defined_in(&l.body, dep);
                }
            }
            Stmt::Inert { .. } | Stmt::Store { .. } | Stmt::Push { .. } => {}
        }
    }
}

/// Every variable `stmts` define, nested regions included.
pub(super) fn defined_in(stmts: &[Stmt], out: &mut HashSet<VarId>) {
    for s in stmts {
        match s {
            Stmt::Def { var, .. } => {
                out.insert(*var);
            }
            Stmt::If(i) => {
                out.extend(i.phis.iter().map(|p| p.var));
                defined_in(&i.then, out);
                defined_in(&i.els, out);
            }
            Stmt::Loop(l) => {
                out.extend(l.cells.iter().flat_map(|c| [c.entry, c.after]));
                defined_in(&l.body, out);
            }
            Stmt::Inert { .. } | Stmt::Store { .. } | Stmt::Push { .. } => {}
        }
    }
}

/// How many statements `stmts` hold, nested regions included: a bound on a chain's length.
fn count_stmts(stmts: &[Stmt]) -> usize {
    stmts
        .iter()
        .map(|s| match s {
            Stmt::If(i) => 1 + count_stmts(&i.then) + count_stmts(&i.els),
            Stmt::Loop(l) => 1 + count_stmts(&l.body),
            _ => 1,
        })
        .sum()
}
