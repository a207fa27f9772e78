//! Checkpointing (`#[derive_grad(checkpoint)]`): which top-level loops store only their carried
//! values every `ceil(sqrt(n))` iterations. The segments are run again and reversed in
//! [`Adjoint::reverse_loop`], and not stored on the first pass in [`Adjoint::forward_loop`].

use super::*;

impl Adjoint<'_> {
    /// Chooses the loops to checkpoint: at the top level, `for` and `while` loops without
    /// `break` whose reverse sweep pops stored values and whose body (and condition) writes no
    /// array (the carried values are then the whole state of an iteration).
    pub(super) fn plan_checkpoints(&mut self, stmts: &[Stmt]) {
        // Writes to memory, code that may change state in place (`p.swap(i, j)`, `idx[k] = ..`,
        // a call lent `&mut idx`), and values that cannot be evaluated twice (a load of memory
        // written later, a pop): a segment run again from a checkpoint would see the state as
        // it is at the end, not as it was.
        fn unrepeatable(a: &Adjoint, stmts: &[Stmt]) -> bool {
            let changes = |uses: &[VarId]| uses.iter().any(|&v| a.func.changes_in_place(v));
            stmts.iter().any(|s| match s {
                Stmt::Store { .. } | Stmt::Push { .. } => true,
                Stmt::Def { var, rhs, .. } => {
                    a.plan.origin[*var] == Origin::Impure
                        || !rhs.written().is_empty()
                        || !rhs.snapshots().is_empty()
                }
                Stmt::Inert { uses, .. } => changes(uses),
                Stmt::If(i) => unrepeatable(a, &i.then) || unrepeatable(a, &i.els),
                Stmt::Loop(l) => {
                    unrepeatable(a, &l.body)
                        || matches!(&l.kind, LoopKind::While { cond_stmts, .. } if unrepeatable(a, cond_stmts))
                }
            })
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
        for s in stmts {
            let kind = match s {
                Stmt::Loop(l) => match &l.kind {
                    LoopKind::For { .. } => true,
                    // Run once more first to count its trips (see `forward_loop`).
                    LoopKind::While { cond_stmts, .. } => !unrepeatable(self, cond_stmts),
                    LoopKind::Loop => false,
                },
                _ => false,
            };
            if let Stmt::Loop(l) = s
                && kind
                && l.exit.is_none()
                && self.plan.trips.contains_key(&key(l))
                && !unrepeatable(self, &l.body)
                && stacked(self, std::slice::from_ref(s))
            {
                let stack = self.func.namer.fresh("checkpoints");
                let every = self.func.namer.fresh("every");
                self.checkpoints.insert(key(l), (stack, every));
            }
        }
    }
}
