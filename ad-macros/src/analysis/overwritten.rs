//! Which reads of memory a later write may invalidate: a load whose value the reverse sweep
//! cannot read again, or memory passed to a call whose reverse pass would read other values.

use std::collections::HashSet;

use crate::ir::{LoopKind, Operand, Rhs, Stmt, VarId};

/// The loads a later write (in program order, or in a loop around the load) may invalidate.
pub fn overwritten_loads(stmts: &[Stmt]) -> HashSet<VarId> {
    overwritten(stmts).0
}

/// Memory passed to calls that a later write may change: the callee's reverse pass would read
/// other values than its forward pass did. Reverse mode refuses these (their spans).
pub fn overwritten_call_args(stmts: &[Stmt]) -> Vec<proc_macro2::Span> {
    overwritten(stmts).1
}

/// Reads of memory (loads, and memory passed to calls) that a write later in program order, or
/// in a loop around the read, may invalidate.
pub fn overwritten(stmts: &[Stmt]) -> (HashSet<VarId>, Vec<proc_macro2::Span>) {
    #[derive(Default)]
    struct Scan {
        seq: usize,
        /// The `[start, end]` positions of the loops around the current statement.
        open: Vec<usize>,
        loops: Vec<(usize, usize)>,
        /// `(load, array, position, starts of the loops around it)`.
        loads: Vec<(VarId, VarId, usize, Vec<usize>)>,
        /// Memory passed to calls: `(span, array, position, loops around)`.
        passed: Vec<(proc_macro2::Span, VarId, usize, Vec<usize>)>,
        writes: Vec<(VarId, usize)>,
    }
    fn walk(stmts: &[Stmt], s: &mut Scan) {
        for stmt in stmts {
            s.seq += 1;
            match stmt {
                Stmt::Def {
                    var,
                    rhs: Rhs::Load { array, .. },
                    ..
                } => {
                    s.loads.push((*var, *array, s.seq, s.open.clone()));
                }
                Stmt::Def {
                    rhs: Rhs::Call { args, memory, .. },
                    ..
                } => {
                    // A slice lent to be written is kept for the callee's reverse pass (so later
                    // writes do not matter to it), and is itself a write.
                    for (a, m) in args.iter().zip(memory) {
                        match (m, a) {
                            (Some(m), Operand::Var(array)) if m.mutable => {
                                s.writes.push((*array, s.seq))
                            }
                            (Some(m), Operand::Var(array)) => {
                                s.passed.push((m.span, *array, s.seq, s.open.clone()))
                            }
                            _ => {}
                        }
                    }
                }
                Stmt::Store { array, .. } | Stmt::Push { array, .. } => {
                    s.writes.push((*array, s.seq))
                }
                Stmt::If(i) => {
                    walk(&i.then, s);
                    walk(&i.els, s);
                }
                Stmt::Loop(l) => {
                    let start = s.seq;
                    s.open.push(start);
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        walk(cond_stmts, s);
                    }
                    walk(&l.body, s);
                    s.open.pop();
                    s.loops.push((start, s.seq));
                }
                _ => {}
            }
        }
    }
    let mut s = Scan::default();
    walk(stmts, &mut s);
    let span = |start: usize| {
        s.loops
            .iter()
            .find(|(a, _)| *a == start)
            .copied()
            .unwrap_or((start, start))
    };
    let invalidated = |array: VarId, at: usize, around: &[usize]| {
        s.writes.iter().any(|&(w, ws)| {
            w == array
                && (ws > at
                    || around.iter().any(|&l| {
                        let (a, b) = span(l);
                        (a..=b).contains(&ws)
                    }))
        })
    };
    let loads = s
        .loads
        .iter()
        .filter(|(_, array, at, around)| invalidated(*array, *at, around))
        .map(|(v, ..)| *v)
        .collect();
    let passed = s
        .passed
        .iter()
        .filter(|(_, array, at, around)| invalidated(*array, *at, around))
        .map(|(sp, ..)| *sp)
        .collect();
    (loads, passed)
}
