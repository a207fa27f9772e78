//! Which reads of memory a later write may invalidate: a load whose value the reverse sweep
//! cannot read again, or memory passed to a call whose reverse pass would read other values.

use std::collections::HashSet;

use crate::ir::{LoopKind, Operand, Rhs, Stmt, VarId};

/// A call (the variable it defines) and the position of one of its arguments.
type CallArg = (VarId, usize);

/// The loads a later write (in program order, or in a loop around the load) may invalidate.
pub fn overwritten_loads(stmts: &[Stmt]) -> HashSet<VarId> {
    overwritten(stmts).0
}

/// Memory passed read-only to calls that a later write may change, as `(call, argument
/// position)`: the callee's reverse pass would read other values than its forward pass did, so
/// reverse mode saves the argument's values at the call (as for a slice lent to be written).
pub fn overwritten_call_args(stmts: &[Stmt]) -> HashSet<(VarId, usize)> {
    overwritten(stmts).1
}

/// Reads of memory (loads, and memory passed to calls) that a write later in program order, or
/// in a loop around the read, may invalidate.
pub fn overwritten(stmts: &[Stmt]) -> (HashSet<VarId>, HashSet<(VarId, usize)>) {
    #[derive(Default)]
    struct Scan {
        seq: usize,
        /// The `[start, end]` positions of the loops around the current statement.
        open: Vec<usize>,
        loops: Vec<(usize, usize)>,
        /// `(load, array, position, starts of the loops around it)`.
        loads: Vec<(VarId, VarId, usize, Vec<usize>)>,
        /// Memory passed to calls: `((call, argument), array, position, loops around)`.
        passed: Vec<(CallArg, VarId, usize, Vec<usize>)>,
        writes: Vec<(VarId, usize)>,
        nested: HashSet<VarId>,
        /// Arrays created in a region whose creation alone does not rebuild their values.
        rebuilt_by_stores: HashSet<VarId>,
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
                    var,
                    rhs: Rhs::Call { args, memory, .. },
                    ..
                } => {
                    // A slice lent to be written is kept for the callee's reverse pass (so later
                    // writes do not matter to it), and is itself a write.
                    for (k, (a, m)) in args.iter().zip(memory).enumerate() {
                        match (m, a) {
                            (Some(m), Operand::Var(array)) if m.mutable => {
                                s.writes.push((*array, s.seq))
                            }
                            (Some(_), Operand::Var(array)) => {
                                s.passed.push(((*var, k), *array, s.seq, s.open.clone()))
                            }
                            _ => {}
                        }
                    }
                }
                // A local array created inside a branch or loop body is gone by the time that
                // region's reverse sweep runs: every load of it is stored, and so is what a call
                // is passed, unless replaying its creation rebuilds it.
                Stmt::Def {
                    var,
                    rhs:
                        Rhs::NewArray {
                            nested: Some(_),
                            filled,
                            ..
                        },
                    ..
                } => {
                    s.nested.insert(*var);
                    if !filled {
                        s.rebuilt_by_stores.insert(*var);
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
        .filter(|(_, array, at, around)| {
            s.nested.contains(array) || invalidated(*array, *at, around)
        })
        .map(|(v, ..)| *v)
        .collect();
    let passed = s
        .passed
        .iter()
        .filter(|(_, array, at, around)| {
            s.rebuilt_by_stores.contains(array) || invalidated(*array, *at, around)
        })
        .map(|(at, ..)| *at)
        .collect();
    (loads, passed)
}
