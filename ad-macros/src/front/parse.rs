//! The item as a function, and the checks that need nothing but the item and the attribute:
//! the signature's qualifiers (`const`, `async`, ..) and arguments given to the wrong macro.

use proc_macro2::TokenStream;
use syn::{ItemFn, Type};

use super::Mode;
use super::attr;
use super::sig::FloatTypes;
use crate::errors::Errors;

/// The item as a function, or the error saying the attribute goes on one.
pub fn parse_fn(item: TokenStream, name: &str) -> syn::Result<ItemFn> {
    let f: ItemFn = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(f)) => f,
        Ok(other) => {
            return Err(syn::Error::new_spanned(
                other,
                format!("{name} goes on a function: put it on the `fn` to differentiate"),
            ));
        }
        // A method inside an `impl` parses as an item too; anything else is not a function.
        Err(_) => match syn::parse2::<ItemFn>(item) {
            Ok(f) => f,
            Err(e) => {
                return Err(syn::Error::new(
                    e.span(),
                    format!("{name} goes on a `fn`, and this does not parse as one: {e}"),
                ));
            }
        },
    };
    Ok(f)
}

pub fn check_signature(f: &ItemFn, name: &str, errors: &mut Errors) {
    let sig = &f.sig;
    if let Some(c) = &sig.constness {
        errors.spanned(c, format!("{name} cannot differentiate a `const fn`: its derivative calls runtime rules that are not `const`; remove `const`"));
    }
    if let Some(a) = &sig.asyncness {
        errors.spanned(
            a,
            format!("{name} cannot differentiate an `async fn`: make it a plain `fn`"),
        );
    }
    if let syn::Safety::Unsafe(u) = &sig.safety {
        errors.spanned(u, format!("{name} cannot differentiate an `unsafe fn`: the macro cannot see what unsafe code does to the derivative; keep the unsafe part in a helper that takes no differentiated values"));
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, format!("{name} cannot differentiate an `extern` function: remove the ABI and wrap the function if you need one"));
    }
    if let Some(v) = &sig.variadic {
        errors.spanned(
            v,
            format!("{name} cannot differentiate a variadic function"),
        );
    }
}

/// Arguments of another macro (`hessian` on `#[derive_tangent]`, `lanes` on `#[derive_grad]`).
pub fn check_arguments(mode: Mode, args: &attr::Args, errors: &mut Errors) {
    let name = mode.attribute();
    if mode != Mode::Grad {
        for (span, what) in [
            (args.hessian, "hessian"),
            (args.second_order, "second_order"),
            (args.checkpoint, "checkpoint"),
        ] {
            if let Some(span) = span {
                errors.at(
                    span,
                    format!("`{what}` is an argument of `#[derive_grad]`; {name} does not take it"),
                );
            }
        }
    }
    if mode != Mode::Jacobian {
        if let Some(span) = args.sparse
            && !(mode == Mode::Grad && args.hessian.is_some())
        {
            let message = if mode == Mode::Grad {
                "`sparse` on `#[derive_grad]` asks for a sparse Hessian and needs `hessian`: \
                 write `#[derive_grad(hessian, sparse)]`"
                    .to_owned()
            } else {
                format!(
                    "`sparse` is an argument of `#[derive_jacobian]` (sparse Jacobians) and of \
                     `#[derive_grad(hessian, sparse)]` (sparse Hessians), not of {name}"
                )
            };
            errors.at(span, message);
        }
        for span in [args.pick.map(|p| p.1), args.lanes.map(|l| l.1)]
            .into_iter()
            .flatten()
        {
            errors.at(
                span,
                format!(
                    "`forward`, `reverse` and `lanes` are arguments of `#[derive_jacobian]`, \
                     not of {name}"
                ),
            );
        }
    }
}

pub fn is_float_shaped(ty: &Type, floats: &FloatTypes) -> bool {
    match ty {
        Type::Tuple(t) => t.elems.iter().all(|e| is_float_shaped(e, floats)),
        Type::Array(a) => is_float_shaped(&a.elem, floats),
        Type::Paren(p) => is_float_shaped(&p.elem, floats),
        ty => floats.is_float(ty),
    }
}
