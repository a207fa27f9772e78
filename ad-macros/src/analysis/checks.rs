//! Refusals that need the analysed IR: what reverse mode cannot do (a local array created in a
//! loop and lent to a call), and calls that carry derivatives where
//! a mode cannot go through them yet.

use proc_macro2::Span;

use crate::errors::Errors;
use crate::ir::{Func, Rhs, Stmt};

/// What reverse mode refuses in an analysed function.
pub fn reverse_mode(func: &Func, name: &str, errors: &mut Errors) {
    nested_arrays(func, &func.stmts, name, errors);
}

/// A local array created inside a branch or loop body gets its adjoint in that region's reverse
/// sweep: a fixed array when the source fixes its length, else `ad_runtime::Adjoints`, which
/// grows as it is written. What that cannot serve yet: an array of rows, and an array of
/// run-time length lent to a call (the callee's reverse pass needs a slice of its length).
pub fn nested_arrays(func: &Func, stmts: &[crate::ir::Stmt], name: &str, errors: &mut Errors) {
    use crate::ir::{Rhs, Stmt};
    let mut lent = std::collections::HashSet::new();
    lent_arrays(&func.stmts, &mut lent);
    for s in stmts {
        match s {
            Stmt::Def {
                var,
                rhs:
                    Rhs::NewArray {
                        nested: Some(span),
                        len,
                        ..
                    },
                ..
            } if func.vars[*var].active()
                && (func.vars[*var].depth != Some(1) || (lent.contains(var) && len.is_none())) =>
            {
                errors.at(
                    *span,
                    format!(
                        "{name} cannot differentiate a local array of run-time length created \
                         inside a loop or branch that holds differentiated values and is lent to a \
                         call (or holds rows): the callee's reverse pass needs its adjoint as a \
                         slice. Give it a fixed length (`[0.0; 3]`), or create it once before the \
                         loop (and reset its elements inside)"
                    ),
                );
            }
            Stmt::If(i) => {
                nested_arrays(func, &i.then, name, errors);
                nested_arrays(func, &i.els, name, errors);
            }
            Stmt::Loop(l) => nested_arrays(func, &l.body, name, errors),
            _ => {}
        }
    }
}

/// The arrays passed to calls.
fn lent_arrays(stmts: &[Stmt], out: &mut std::collections::HashSet<crate::ir::VarId>) {
    for s in stmts {
        match s {
            Stmt::Def {
                rhs: Rhs::Call { args, memory, .. },
                ..
            } => {
                for (a, m) in args.iter().zip(memory) {
                    if let (Some(_), crate::ir::Operand::Var(v)) = (m, a) {
                        out.insert(*v);
                    }
                }
            }
            Stmt::If(i) => {
                lent_arrays(&i.then, out);
                lent_arrays(&i.els, out);
            }
            Stmt::Loop(l) => lent_arrays(&l.body, out),
            _ => {}
        }
    }
}

/// The arguments of calls that are memory carrying derivatives (a slice, rows, an array by
/// reference, or by value without a literal length up to `ir::UNROLLED` or written after the
/// call), by their spans: second derivatives go through calls of differentiated floats and small
/// arrays only.
pub fn varied_memory_args(func: &Func, out: &mut Vec<Span>) {
    // An array a later write changes is saved for the callee's reverse pass, in code that is
    // not lowered again.
    let saved = super::overwritten::overwritten_call_args(&func.stmts);
    let lengths = func.literal_lens();
    let small = |v: crate::ir::VarId| lengths.get(&v).is_some_and(|&n| n <= crate::ir::UNROLLED);
    fn walk(
        func: &Func,
        stmts: &[Stmt],
        saved: &std::collections::HashSet<(crate::ir::VarId, usize)>,
        small: &dyn Fn(crate::ir::VarId) -> bool,
        out: &mut Vec<Span>,
    ) {
        for s in stmts {
            match s {
                Stmt::Def {
                    var,
                    rhs: Rhs::Call { args, memory, .. },
                    ..
                } => {
                    for (k, (a, m)) in args.iter().zip(memory).enumerate() {
                        if let (Some(m), crate::ir::Operand::Var(v)) = (m, a)
                            && func.vars[*v].varied
                            && !(m.by_value
                                && func.vars[*v].depth == Some(1)
                                && !saved.contains(&(*var, k))
                                && small(*v))
                        {
                            out.push(m.span);
                        }
                    }
                }
                Stmt::If(i) => {
                    walk(func, &i.then, saved, small, out);
                    walk(func, &i.els, saved, small, out);
                }
                Stmt::Loop(l) => walk(func, &l.body, saved, small, out),
                _ => {}
            }
        }
    }
    walk(func, &func.stmts, &saved, &small, out);
}
