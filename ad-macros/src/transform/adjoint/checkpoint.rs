//! Checkpointing (`#[derive_grad(checkpoint)]`): which top-level loops store only their carried
//! values every `ceil(sqrt(n))` iterations. The segments are run again and reversed in
//! [`Adjoint::reverse_loop`], and not stored on the first pass in [`Adjoint::forward_loop`].

use super::*;

impl Adjoint<'_> {
    /// Chooses the loops to checkpoint: at the top level, `for` loops without `break` whose
    /// reverse sweep pops stored values and whose body writes no array (the carried values are
    /// then the whole state of an iteration).
    pub(super) fn plan_checkpoints(&mut self, stmts: &[Stmt]) {
        fn stores(stmts: &[Stmt]) -> bool {
            stmts.iter().any(|s| match s {
                Stmt::Store { .. } | Stmt::Push { .. } => true,
                Stmt::Def { rhs, .. } => !rhs.written().is_empty(),
                Stmt::If(i) => stores(&i.then) || stores(&i.els),
                Stmt::Loop(l) => stores(&l.body),
                _ => false,
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
            if let Stmt::Loop(l) = s
                && matches!(l.kind, LoopKind::For { .. })
                && l.exit.is_none()
                && self.plan.trips.contains_key(&key(l))
                && !stores(&l.body)
                && stacked(self, std::slice::from_ref(s))
            {
                let stack = self.func.namer.fresh("checkpoints");
                let every = self.func.namer.fresh("every");
                self.checkpoints.insert(key(l), (stack, every));
            }
        }
    }
}
