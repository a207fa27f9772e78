//! Activity analysis: which values need a derivative.
//!
//! A value is *varied* when it depends on an active parameter through an operation whose
//! partial derivative is not identically zero, and *useful* when the output depends on it that
//! way. Only values both varied and useful (active) get tangent or adjoint code. Both are fixed
//! points over the structured IR: a loop-carried cell is varied if its initial value or what an
//! iteration writes back is, and useful if the value after the loop or the next iteration's
//! entry is. Inert code that touches a varied value is refused here: that is the only place
//! such an error can be decided, since it needs the exact dependence.
//!
//! Input:  `n = x.len(); a = x * 2.0; b = a.floor(); c = x * x; return c`
//! Output: varied {x, a, c}; useful {c, x}; active {x, c}; `a` and `b` get no derivative code.

use crate::errors::Errors;
use crate::ir::{Func, LoopKind, Operand, Rhs, Stmt, Var};
use crate::rules::Partial;

/// Marks `varied` and `useful` on every variable, and reports inert code that reads a varied
/// value. With `value_unused`, the output's first leaf (reverse-mode code's value, whose
/// tangent a Hessian-vector product discards) does not make anything useful.
pub fn analyse(func: &mut Func, value_unused: bool, errors: &mut Errors) {
    for p in &func.params {
        if let (true, Some(v)) = (p.active, p.var) {
            func.vars[v].varied = true;
        }
    }
    while varied(&func.stmts, &mut func.vars) {}
    refusals(&func.stmts, &func.vars, errors);
    if let Some(out) = &func.output {
        for (_, op) in out.leaves().into_iter().skip(usize::from(value_unused)) {
            mark_useful(&mut func.vars, op);
        }
    }
    // What the function writes through `&mut` is an output too.
    for p in &func.params {
        if let (true, Some(v)) = (p.kind.writes_through(), p.var) {
            mark_useful(&mut func.vars, &Operand::Var(v));
        }
    }
    while useful(&func.stmts, &mut func.vars) {}
}

fn is_varied(vars: &[Var], op: &Operand) -> bool {
    Func::var_of(op).is_some_and(|v| vars[v].varied)
}

/// Sets `vars[v].varied` when `now`; returns whether that changed anything.
fn set_varied(vars: &mut [Var], v: usize, now: bool) -> bool {
    let changed = now && !vars[v].varied;
    vars[v].varied |= now;
    changed
}

/// One forward pass; returns whether anything changed.
fn varied(stmts: &[Stmt], vars: &mut [Var]) -> bool {
    let mut changed = false;
    for stmt in stmts {
        match stmt {
            Stmt::Def { var, rhs, .. } => {
                let now = match rhs {
                    Rhs::Prim { rule, args, .. } => args
                        .iter()
                        .zip(rule.partials)
                        .any(|(a, p)| *p != Partial::Zero && is_varied(vars, a)),
                    Rhs::Copy(value) | Rhs::Cast { value, .. } | Rhs::Field { base: value, .. } => {
                        is_varied(vars, value)
                    }
                    Rhs::Load { array, .. } | Rhs::Pop { array } => vars[*array].varied,
                    Rhs::Call { args, .. } => args.iter().any(|a| is_varied(vars, a)),
                    // Refused code reading a varied value stands for a varied value, so that
                    // every later refusal that reads its result is reported too, not only the
                    // first (`let a = x.rem_euclid(2.0); let g = |t| t * a;`: two errors).
                    Rhs::Inert {
                        refusal: Some(_),
                        uses,
                        ..
                    } => uses.iter().any(|&u| vars[u].varied),
                    Rhs::Inert { .. } | Rhs::NewArray { .. } => false,
                };
                changed |= set_varied(vars, *var, now);
                // A slice lent to a call to be written holds what the call computed.
                for array in rhs.written() {
                    changed |= set_varied(vars, array, now);
                }
            }
            // Memory holding a varied value is varied, for all of its elements.
            Stmt::Store { array, value, .. } | Stmt::Push { array, value, .. } => {
                let now = is_varied(vars, value);
                changed |= set_varied(vars, *array, now);
            }
            Stmt::Inert { .. } => {}
            Stmt::If(i) => {
                changed |= varied(&i.then, vars);
                changed |= varied(&i.els, vars);
                for phi in &i.phis {
                    let now = is_varied(vars, &phi.then) || is_varied(vars, &phi.els);
                    changed |= set_varied(vars, phi.var, now);
                }
            }
            Stmt::Loop(l) => {
                for c in &l.cells {
                    let now = is_varied(vars, &c.init) || is_varied(vars, &c.exit);
                    changed |= set_varied(vars, c.entry, now);
                    changed |= set_varied(vars, c.cell, now);
                    changed |= set_varied(vars, c.after, now);
                }
                if let LoopKind::While { cond_stmts, .. } = &l.kind {
                    changed |= varied(cond_stmts, vars);
                }
                changed |= varied(&l.body, vars);
            }
        }
    }
    changed
}

fn mark_useful(vars: &mut [Var], op: &Operand) -> bool {
    match Func::var_of(op) {
        Some(v) if vars[v].varied && !vars[v].useful => {
            vars[v].useful = true;
            true
        }
        _ => false,
    }
}

/// One backward pass; returns whether anything changed.
fn useful(stmts: &[Stmt], vars: &mut [Var]) -> bool {
    let mut changed = false;
    for stmt in stmts.iter().rev() {
        match stmt {
            Stmt::Def { var, rhs, .. } => {
                // A call that writes a useful slice is useful, whether or not its result is.
                if rhs.written().iter().any(|&a| vars[a].useful) {
                    changed |= mark_useful(vars, &Operand::Var(*var));
                }
                if !vars[*var].useful {
                    continue;
                }
                match rhs {
                    Rhs::Prim { rule, args, .. } => {
                        for (a, p) in args.iter().zip(rule.partials) {
                            if *p != Partial::Zero {
                                changed |= mark_useful(vars, a);
                            }
                        }
                    }
                    Rhs::Copy(value) | Rhs::Cast { value, .. } | Rhs::Field { base: value, .. } => {
                        changed |= mark_useful(vars, value);
                    }
                    Rhs::Load { array, .. } | Rhs::Pop { array } => {
                        changed |= mark_useful(vars, &Operand::Var(*array));
                    }
                    Rhs::Call { args, .. } => {
                        for a in args {
                            changed |= mark_useful(vars, a);
                        }
                    }
                    Rhs::Inert { .. } | Rhs::NewArray { .. } => {}
                }
            }
            Stmt::Store { array, value, .. } | Stmt::Push { array, value, .. } => {
                if vars[*array].useful {
                    changed |= mark_useful(vars, value);
                }
            }
            Stmt::Inert { .. } => {}
            Stmt::If(i) => {
                for phi in &i.phis {
                    if vars[phi.var].useful {
                        changed |= mark_useful(vars, &phi.then);
                        changed |= mark_useful(vars, &phi.els);
                    }
                }
                changed |= useful(&i.then, vars);
                changed |= useful(&i.els, vars);
            }
            Stmt::Loop(l) => {
                for c in &l.cells {
                    if vars[c.after].useful || vars[c.entry].useful {
                        changed |= mark_useful(vars, &Operand::Var(c.cell));
                        changed |= mark_useful(vars, &c.exit);
                        changed |= mark_useful(vars, &c.init);
                    }
                }
                changed |= useful(&l.body, vars);
            }
        }
    }
    changed
}

fn refusals(stmts: &[Stmt], vars: &[Var], errors: &mut Errors) {
    let check = |uses: &[usize], refusal: Option<&syn::Error>, errors: &mut Errors| {
        if let Some(refusal) = refusal
            && uses.iter().any(|&v| vars[v].varied)
        {
            errors.push(refusal.clone());
        }
    };
    for stmt in stmts {
        match stmt {
            Stmt::Def {
                rhs: Rhs::Inert { uses, refusal, .. },
                ..
            }
            | Stmt::Inert { uses, refusal, .. } => check(uses, refusal.as_ref(), errors),
            Stmt::Def { .. } | Stmt::Store { .. } | Stmt::Push { .. } => {}
            Stmt::If(i) => {
                refusals(&i.then, vars, errors);
                refusals(&i.els, vars, errors);
            }
            Stmt::Loop(l) => {
                if let LoopKind::While { cond_stmts, .. } = &l.kind {
                    refusals(cond_stmts, vars, errors);
                }
                refusals(&l.body, vars, errors);
            }
        }
    }
}
