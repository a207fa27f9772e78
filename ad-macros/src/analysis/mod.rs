//! Analyses of the IR: repeated loads read as one (`loads`), which values need derivatives
//! (`activity`), which reads of memory a later write invalidates (`overwritten`), and the
//! refusals that need the analysed IR (`checks`). [`analyse`] is the front half of the pipeline, which `#[derive_grad(hessian)]`
//! runs a second time over reverse-mode code.

pub mod activity;
pub mod checks;
pub mod loads;
pub mod overwritten;

use syn::{ItemFn, Type};

use crate::errors::Errors;
use crate::front::attr;
use crate::front::parse::is_float_shaped;
use crate::front::sig::{self, FloatTypes};
use crate::ir::Func;
use crate::lower;
use crate::names::Namer;

/// The front half of the pipeline: the signature read, the body lowered to the IR, activity
/// analysed. Errors are recorded, not returned, so that all of them are reported together.
pub fn analyse(
    f: &ItemFn,
    args: &attr::Args,
    name: &str,
    mut namer: Namer,
    errors: &mut Errors,
) -> (Func, FloatTypes, Option<Type>) {
    let floats = FloatTypes::of(&f.sig).vouched(&f.sig, args);
    let params = sig::params(&f.sig, args, &floats, name, &mut namer, errors);
    let out_ty = sig::output(&f.sig);
    if let Some(ty) = &out_ty
        && let Some(alias) = floats.unresolved(ty)
    {
        errors.spanned(
            ty,
            format!(
                "{name} cannot differentiate a function returning `{alias}`: the macro does not \
                 know `{alias}` to be a float. If it is a type alias of a float defined in another \
                 file (the macro reads only this one), list the parameters of that type in \
                 `wrt(..)`, which makes `{alias}` a float here; else return a float, a tuple of \
                 floats or an array `[F; N]`"
            ),
        );
    } else if let Some(ty) = &out_ty
        && !is_float_shaped(ty, &floats)
    {
        errors.spanned(
            ty,
            format!(
                "{name} cannot differentiate a function returning `{}`: return a float, a tuple of \
                 floats or an array `[F; N]`",
                crate::errors::show_type(ty)
            ),
        );
    }
    let mut func = lower::lower(
        &f.block,
        &params,
        &floats,
        namer,
        lower::Context {
            mode: name,
            out_ty: out_ty.as_ref(),
            of_reverse_code: args.of_reverse_code,
            inline_calls: args.inline_calls.then(|| f.sig.ident.clone()),
        },
        errors,
    );
    loads::share_repeated_loads(&mut func);
    activity::analyse(&mut func, args.value_tangent_unused, errors);
    // A parameter left out of `wrt(..)` that receives differentiated values would need a
    // derivative it has no place for.
    for p in &func.params {
        if !p.active && p.kind.writes_through() && p.var.is_some_and(|v| func.vars[v].active()) {
            errors.spanned(
                &p.ident,
                format!(
                    "{name}: `{}` is written with values that carry a derivative, so it needs one \
                     too: add it to `wrt(..)`",
                    p.ident
                ),
            );
        }
    }
    lower::type_dummies(&mut func, &floats);
    (func, floats, out_ty)
}
