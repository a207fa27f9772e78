//! Refusals that need the analysed IR: what reverse mode cannot do (a local array created in a
//! loop), and calls that carry derivatives where
//! a mode cannot go through them yet.

use proc_macro2::Span;

use crate::errors::Errors;
use crate::ir::{Func, Rhs, Stmt};

/// What reverse mode refuses in an analysed function.
pub fn reverse_mode(func: &Func, name: &str, errors: &mut Errors) {
    nested_arrays(func, &func.stmts, name, errors);
}

/// Reverse mode keeps the adjoint of a local array for the whole reverse sweep, so the array
/// must be created at the top level of the function.
pub fn nested_arrays(func: &Func, stmts: &[crate::ir::Stmt], name: &str, errors: &mut Errors) {
    use crate::ir::{Rhs, Stmt};
    for s in stmts {
        match s {
            Stmt::Def {
                var,
                rhs: Rhs::NewArray {
                    nested: Some(span), ..
                },
                ..
            } if func.vars[*var].active() => {
                errors.at(
                    *span,
                    format!(
                        "{name} cannot differentiate a local array created inside a loop or branch \
                         that holds differentiated values: its adjoint must outlive the loop. \
                         Create it once before the loop (and reset its elements inside)"
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

/// The spans of calls that carry derivatives: vector forward mode does not go through them yet.
pub fn active_calls(func: &Func, stmts: &[Stmt], out: &mut Vec<Span>) {
    for s in stmts {
        match s {
            Stmt::Def {
                var,
                rhs: Rhs::Call { span, .. },
                ..
            } if func.vars[*var].active() => out.push(*span),
            Stmt::If(i) => {
                active_calls(func, &i.then, out);
                active_calls(func, &i.els, out);
            }
            Stmt::Loop(l) => active_calls(func, &l.body, out),
            _ => {}
        }
    }
}
