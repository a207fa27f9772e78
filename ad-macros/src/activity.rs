//! Activity analysis: which values need a derivative.
//!
//! A value is *varied* when it depends on an active parameter through an operation whose
//! partial derivative is not identically zero, and *useful* when the output depends on it that
//! way. Only values both varied and useful (active) get tangent or adjoint code. Inert code that
//! touches a varied value is refused here: that is the only place such an error can be decided,
//! since it needs the exact dependence.
//!
//! Input:  `n = x.len(); a = x * 2.0; b = a.floor(); c = x * x; return c`
//! Output: varied {x, a, c}; useful {c, x}; active {x, c}; `a` and `b` get no derivative code.

use crate::errors::Errors;
use crate::ir::{Func, Operand, Rhs, Stmt};
use crate::rules::Partial;

/// Marks `varied` and `useful` on every variable, and reports inert code that reads a varied
/// value.
pub fn analyse(func: &mut Func, errors: &mut Errors) {
    for p in &func.params {
        if let (true, Some(v)) = (p.active, p.var) {
            func.vars[v].varied = true;
        }
    }
    let varied = |func: &Func, op: &Operand| Func::var_of(op).is_some_and(|v| func.vars[v].varied);
    for stmt in &func.stmts {
        match stmt {
            Stmt::Def { var, rhs, .. } => {
                let is_varied = match rhs {
                    Rhs::Prim { rule, args, .. } => args
                        .iter()
                        .zip(rule.partials)
                        .any(|(a, p)| *p != Partial::Zero && varied(func, a)),
                    Rhs::Copy(value) | Rhs::Cast { value, .. } => varied(func, value),
                    Rhs::Inert { uses, refusal, .. } => {
                        refuse_if_varied(func, uses, refusal.as_ref(), errors);
                        false
                    }
                };
                func.vars[*var].varied = is_varied;
            }
            Stmt::Inert { uses, refusal, .. } => {
                refuse_if_varied(func, uses, refusal.as_ref(), errors)
            }
        }
    }
    if let Some(out) = &func.output {
        for (_, op) in out.leaves() {
            if let Some(v) = Func::var_of(op) {
                func.vars[v].useful = func.vars[v].varied;
            }
        }
    }
    for stmt in func.stmts.iter().rev() {
        let Stmt::Def { var, rhs, .. } = stmt else {
            continue;
        };
        if !func.vars[*var].useful {
            continue;
        }
        let reached: Vec<&Operand> = match rhs {
            Rhs::Prim { rule, args, .. } => args
                .iter()
                .zip(rule.partials)
                .filter(|(_, p)| **p != Partial::Zero)
                .map(|(a, _)| a)
                .collect(),
            Rhs::Copy(value) | Rhs::Cast { value, .. } => vec![value],
            Rhs::Inert { .. } => Vec::new(),
        };
        for op in reached {
            if let Some(v) = Func::var_of(op) {
                func.vars[v].useful |= func.vars[v].varied;
            }
        }
    }
}

fn refuse_if_varied(
    func: &Func,
    uses: &[usize],
    refusal: Option<&syn::Error>,
    errors: &mut Errors,
) {
    if let Some(refusal) = refusal
        && uses.iter().any(|&v| func.vars[v].varied)
    {
        errors.push(refusal.clone());
    }
}
