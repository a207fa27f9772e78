//! Repeated loads read as one: `x[i]` read three times in a block, with nothing written to `x`
//! in between, is loaded once and copied. Its adjoints then meet in one local before being
//! added into the shadow once (`dx[i] += a + b + c` rather than three read-modify-writes in a
//! row), which shortens the chain of additions a loop carries through memory; in forward mode
//! the copies cost nothing.
//!
//! Input:  `let a = x[i]; let b = x[i]; x[j] = c; let d = x[i];`
//! Output: `let a = x[i]; let b = a;    x[j] = c; let d = x[i];`

use std::collections::HashMap;

use crate::ir::{Func, LoopKind, Operand, Rhs, Stmt, VarId};

/// Rewrites, in every block, a load that repeats an earlier load of the same block (same array,
/// same index operands) into a copy of it, unless something may have written the array between:
/// a store or push to it, a call or inert code given it, or a nested branch or loop.
pub fn share_repeated_loads(func: &mut Func) {
    let mut stmts = std::mem::take(&mut func.stmts);
    block(&mut stmts);
    func.stmts = stmts;
}

/// A load's identity: the array, and its index operands as text (variables are SSA values,
/// so equal names are equal values).
type Key = (VarId, Vec<String>);

fn key(array: VarId, index: &[Operand]) -> Key {
    let index = index
        .iter()
        .map(|op| match op {
            Operand::Var(v) => format!("v{v}"),
            Operand::Const(c) => c.to_string(),
        })
        .collect();
    (array, index)
}

fn block(stmts: &mut [Stmt]) {
    let mut seen: HashMap<Key, VarId> = HashMap::new();
    let forget = |seen: &mut HashMap<Key, VarId>, array: VarId| seen.retain(|k, _| k.0 != array);
    for s in stmts.iter_mut() {
        match s {
            Stmt::Def { var, rhs, .. } => match rhs {
                Rhs::Load { array, index } => {
                    let k = key(*array, index);
                    match seen.get(&k) {
                        Some(&first) => *rhs = Rhs::Copy(Operand::Var(first)),
                        None => {
                            seen.insert(k, *var);
                        }
                    }
                }
                Rhs::Call { args, .. } => {
                    for a in args.iter().filter_map(Func::var_of) {
                        forget(&mut seen, a);
                    }
                }
                Rhs::Inert { uses, pure, .. } => {
                    if !*pure {
                        for &u in uses.iter() {
                            forget(&mut seen, u);
                        }
                    }
                }
                Rhs::Pop { array } => forget(&mut seen, *array),
                Rhs::Prim { .. }
                | Rhs::Copy(_)
                | Rhs::Cast { .. }
                | Rhs::Field { .. }
                | Rhs::NewArray { .. } => {}
            },
            Stmt::Inert { uses, .. } => {
                for &u in uses.iter() {
                    forget(&mut seen, u);
                }
            }
            Stmt::Store { array, .. } | Stmt::Push { array, .. } => forget(&mut seen, *array),
            Stmt::If(i) => {
                block(&mut i.then);
                block(&mut i.els);
                seen.clear();
            }
            Stmt::Loop(l) => {
                if let LoopKind::While { cond_stmts, .. } = &mut l.kind {
                    block(cond_stmts);
                }
                block(&mut l.body);
                seen.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(var: VarId, array: VarId, i: VarId) -> Stmt {
        Stmt::Def {
            var,
            ty: None,
            rhs: Rhs::Load {
                array,
                index: vec![Operand::Var(i)],
            },
        }
    }

    fn copies(stmts: &[Stmt]) -> Vec<Option<VarId>> {
        stmts
            .iter()
            .map(|s| match s {
                Stmt::Def {
                    rhs: Rhs::Copy(Operand::Var(v)),
                    ..
                } => Some(*v),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_repeated_load_is_a_copy_until_the_array_is_written() {
        // x = 0, i = 1, j = 2; loads into 10, 11, 13, 14.
        let mut stmts = vec![
            load(10, 0, 1),
            load(11, 0, 1),
            load(12, 0, 2),
            Stmt::Store {
                array: 0,
                index: vec![Operand::Var(2)],
                value: Operand::Var(12),
                add: false,
            },
            load(13, 0, 1),
            load(14, 0, 1),
        ];
        block(&mut stmts);
        assert_eq!(
            copies(&stmts),
            vec![None, Some(10), None, None, None, Some(13)]
        );
    }

    #[test]
    fn loads_in_other_blocks_are_not_shared() {
        let body = vec![load(11, 0, 1)];
        let mut stmts = vec![
            load(10, 0, 1),
            Stmt::Loop(Box::new(crate::ir::Loop {
                kind: LoopKind::Loop,
                cells: vec![],
                body,
                exit: None,
            })),
            load(12, 0, 1),
        ];
        block(&mut stmts);
        assert_eq!(copies(&stmts), vec![None, None, None]);
        let Stmt::Loop(l) = &stmts[1] else {
            unreachable!()
        };
        assert_eq!(copies(&l.body), vec![None]);
    }
}
