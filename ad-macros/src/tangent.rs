//! The tangent (forward-mode) transform.
//!
//! Each active definition is followed by the definition of its tangent, the sum over active
//! arguments of partial times argument tangent.
//!
//! Input:  `let y = x * x.sin();`
//! Output: `let _t0 = x.sin(); let d_t0 = sin_partial(x, _t0) * dx;`
//!         `let y = x * _t0;   let dy = _t0 * dx + x * d_t0;`

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::Type;

use crate::emit::{self, Factor};
use crate::ir::{Func, Operand, Rhs, Stmt, Value};

/// The parts of a generated function that differ between the transforms.
pub struct Generated {
    /// The parameter list.
    pub params: Vec<TokenStream>,
    /// The return type.
    pub ret: TokenStream,
    /// The body's statements.
    pub body: TokenStream,
}

/// Builds `f_tangent` from the analysed IR.
pub fn transform(func: &mut Func, out_ty: Option<&Type>) -> Generated {
    let tangents: Vec<Option<Ident>> = (0..func.vars.len())
        .map(|v| {
            let is_active_param = func.params.iter().any(|p| p.active && p.var == Some(v));
            (func.vars[v].active() || is_active_param)
                .then(|| func.namer.tangent(&func.vars[v].ident.clone()))
        })
        .collect();
    let d = |op: &Operand| {
        Func::var_of(op)
            .and_then(|v| tangents[v].clone())
            .map(|i| i.to_token_stream())
    };

    let mut params = Vec::new();
    for p in &func.params {
        let (ident, ty) = (&p.ident, &p.ty);
        let mutability = p.var.filter(|&v| func.vars[v].mutable).map(|_| quote!(mut));
        params.push(quote!(#mutability #ident: #ty));
        if p.active {
            let dp = tangents[p.var.expect("parameters have variables")]
                .as_ref()
                .expect("active parameters have tangents");
            params.push(quote!(#dp: #ty));
        }
    }

    let mut body = TokenStream::new();
    for stmt in &func.stmts {
        body.extend(emit::primal_stmt(func, stmt));
        let Stmt::Def { var, rhs, .. } = stmt else {
            continue;
        };
        let Some(dv) = &tangents[*var] else { continue };
        let ident = &func.vars[*var].ident;
        let tangent = match rhs {
            Rhs::Prim { rule, args, .. } => {
                let active: Vec<usize> = (0..args.len())
                    .filter(|&i| {
                        rule.partials[i] != crate::rules::Partial::Zero && func.is_active(&args[i])
                    })
                    .collect();
                let arg_tokens: Vec<_> = args.iter().map(|a| emit::operand(func, a)).collect();
                let partials = emit::needs_runtime(rule, active.iter().copied()).then(|| {
                    let p = func.namer.partials(ident);
                    let call = emit::partials_call(rule, &arg_tokens, ident)
                        .expect("runtime partials have a rule");
                    body.extend(quote!(let #p = #call;));
                    p
                });
                sum(active.iter().map(|&i| {
                    let f = emit::factor(rule, i, &arg_tokens, partials.as_ref());
                    (f, d(&args[i]).expect("active arguments have tangents"))
                }))
            }
            Rhs::Copy(op) => d(op).expect("a varied copy has a varied source"),
            Rhs::Cast { value, ty } => {
                let dv = d(value).expect("a varied cast has a varied source");
                quote!(#dv as #ty)
            }
            Rhs::Inert { .. } => unreachable!("inert definitions are never active"),
        };
        body.extend(quote!(let #dv = #tangent;));
    }

    let (ret, tail) = match (&func.output, out_ty) {
        (Some(out), Some(ty)) => {
            let primal = emit::value(func, out);
            let tangent = output_tangent(func, out, Some(ty), &tangents);
            (quote!((#ty, #ty)), quote!((#primal, #tangent)))
        }
        _ => (quote!(()), quote!(())),
    };
    body.extend(tail);
    Generated { params, ret, body }
}

/// `a + b - c`: a sum of factor-times-tangent terms.
fn sum(terms: impl Iterator<Item = (Factor, TokenStream)>) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, (f, d)) in terms.enumerate() {
        match (k, f) {
            (0, f) => out.extend(f.times(&d)),
            (_, Factor::MinusOne) => out.extend(quote!(- #d)),
            (_, f) => {
                let t = f.times(&d);
                out.extend(quote!(+ #t));
            }
        }
    }
    out
}

fn output_tangent(
    func: &Func,
    out: &Value,
    ty: Option<&Type>,
    tangents: &[Option<Ident>],
) -> TokenStream {
    match out {
        Value::Scalar(op) => match Func::var_of(op).and_then(|v| tangents[v].as_ref()) {
            Some(d) if func.is_active(op) => d.to_token_stream(),
            _ => emit::zero_of(ty, &emit::operand(func, op)),
        },
        Value::Tuple(items) => {
            let items = items.iter().enumerate().map(|(i, item)| {
                output_tangent(
                    func,
                    item,
                    emit::component_type(ty, crate::ir::Step::Field(i)),
                    tangents,
                )
            });
            quote!((#(#items,)*))
        }
        Value::Array(items) => {
            let items = items.iter().enumerate().map(|(i, item)| {
                output_tangent(
                    func,
                    item,
                    emit::component_type(ty, crate::ir::Step::Index(i)),
                    tangents,
                )
            });
            quote!([#(#items),*])
        }
    }
}
