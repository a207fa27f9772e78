//! The adjoint (reverse-mode) transform, for straight-line code.
//!
//! The forward sweep is the primal in SSA form: every value the reverse sweep needs is still in
//! a local variable, so nothing is stored. The reverse sweep visits the definitions backwards and
//! adds `partial * adjoint` into the adjoint of each active argument; the first contribution
//! declares the adjoint, later ones accumulate with `+=`.
//!
//! Input:  `let y = x * x.sin(); y`
//! Output: `let _t0 = x.sin(); let y = x * _t0;`            (forward sweep)
//!         `let y_bar = seed;`
//!         `let mut x_bar = _t0 * y_bar; let _t0_bar = x * y_bar;`
//!         `x_bar += sin_partial(x, _t0) * _t0_bar;`         (reverse sweep)
//!         `(y, x_bar)`

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::Type;

use crate::emit;
use crate::ir::{Func, Operand, Rhs, Stmt, VarId};
use crate::rules::Partial;
use crate::tangent::Generated;

/// Where the seed comes from.
pub enum Seed {
    /// A parameter `seed` of the output's type (`f_vjp`).
    Param,
    /// The constant 1 of the output's float type (`f_grad`).
    One,
}

enum Back {
    /// A statement of the reverse sweep.
    Line(TokenStream),
    /// `adjoint(var) += expr`.
    Add(VarId, TokenStream),
}

/// Builds `f_vjp` (or `f_grad`) from the analysed IR.
pub fn transform(func: &mut Func, out_ty: Option<&Type>, seed_from: Seed) -> Generated {
    let adjoints: Vec<Option<Ident>> = (0..func.vars.len())
        .map(|v| {
            func.vars[v]
                .active()
                .then(|| func.namer.adjoint(&func.vars[v].ident.clone()))
        })
        .collect();

    let mut params = Vec::new();
    for p in &func.params {
        let (ident, ty) = (&p.ident, &p.ty);
        let mutability = p.var.filter(|&v| func.vars[v].mutable).map(|_| quote!(mut));
        params.push(quote!(#mutability #ident: #ty));
    }
    let seed = func.namer.seed();
    let mut body = TokenStream::new();
    match (seed_from, out_ty) {
        (Seed::Param, Some(ty)) => params.push(quote!(#seed: #ty)),
        (Seed::One, Some(ty)) => body.extend(quote!(let #seed: #ty = ::ad_runtime::one::<#ty>();)),
        (_, None) => {}
    }

    // Forward sweep. An inactive operand that inert code may mutate later is copied now, so the
    // reverse sweep reads the value it had here.
    let mut snapshots: HashMap<(usize, VarId), Ident> = HashMap::new();
    for (i, stmt) in func.stmts.iter().enumerate() {
        if let Stmt::Def {
            var,
            rhs: Rhs::Prim { args, .. },
            ..
        } = stmt
            && func.vars[*var].active()
        {
            for a in args {
                if let Operand::Var(x) = a
                    && !func.vars[*x].varied
                    && func.vars[*x].mutable
                    && !snapshots.contains_key(&(i, *x))
                {
                    let src = func.vars[*x].ident.clone();
                    let snap = func.namer.snapshot(&src);
                    body.extend(quote!(let #snap = #src;));
                    snapshots.insert((i, *x), snap);
                }
            }
        }
        body.extend(emit::primal_stmt(func, stmt));
    }

    // Reverse sweep.
    let mut back = Vec::new();
    if let Some(out) = &func.output {
        for (path, op) in out.leaves() {
            if let Some(v) = Func::var_of(op).filter(|&v| func.vars[v].active()) {
                back.push(Back::Add(v, emit::project(&seed.to_token_stream(), &path)));
            }
        }
    }
    for (i, stmt) in func.stmts.iter().enumerate().rev() {
        let Stmt::Def { var, rhs, .. } = stmt else {
            continue;
        };
        let Some(bar) = &adjoints[*var] else { continue };
        let bar = bar.to_token_stream();
        match rhs {
            Rhs::Prim { rule, args, .. } => {
                let arg_tokens: Vec<TokenStream> = args
                    .iter()
                    .map(|a| match a {
                        Operand::Var(x) if snapshots.contains_key(&(i, *x)) => {
                            snapshots[&(i, *x)].to_token_stream()
                        }
                        a => emit::operand(func, a),
                    })
                    .collect();
                let active: Vec<usize> = (0..args.len())
                    .filter(|&j| rule.partials[j] != Partial::Zero && func.is_active(&args[j]))
                    .collect();
                let ident = func.vars[*var].ident.clone();
                let partials = emit::needs_runtime(rule, active.iter().copied()).then(|| {
                    let p = func.namer.partials(&ident);
                    let call = emit::partials_call(rule, &arg_tokens, &ident)
                        .expect("runtime partials have a rule");
                    back.push(Back::Line(quote!(let #p = #call;)));
                    p
                });
                for j in active {
                    let f = emit::factor(rule, j, &arg_tokens, partials.as_ref());
                    let target = Func::var_of(&args[j]).expect("active arguments are variables");
                    back.push(Back::Add(target, f.times(&bar)));
                }
            }
            Rhs::Copy(op) => back.push(Back::Add(
                Func::var_of(op).expect("varied copies copy a variable"),
                bar,
            )),
            Rhs::Cast { value, .. } => {
                let src = emit::operand(func, value);
                back.push(Back::Add(
                    Func::var_of(value).expect("varied casts cast a variable"),
                    quote!(::ad_runtime::cast_like(&#src, #bar)),
                ));
            }
            Rhs::Inert { .. } => {}
        }
    }

    let mut count = vec![0usize; func.vars.len()];
    for b in &back {
        if let Back::Add(v, _) = b {
            count[*v] += 1;
        }
    }
    let mut declared = vec![false; func.vars.len()];
    for b in back {
        match b {
            Back::Line(t) => body.extend(t),
            Back::Add(v, expr) => {
                let bar = adjoints[v]
                    .as_ref()
                    .expect("contributions go to active variables");
                if declared[v] {
                    // `a = a + e`, not `+=`: `Float` does not imply `AddAssign`.
                    body.extend(quote!(#bar = #bar + #expr;));
                } else {
                    declared[v] = true;
                    let mutability = (count[v] > 1).then(|| quote!(mut));
                    body.extend(quote!(let #mutability #bar = #expr;));
                }
            }
        }
    }

    // The adjoints of the active by-value parameters.
    let mut grads = Vec::new();
    let mut grad_tys = Vec::new();
    for p in func.params.iter().filter(|p| p.active) {
        let v = p.var.expect("parameters have variables");
        grads.push(match &adjoints[v] {
            Some(bar) if declared[v] => bar.to_token_stream(),
            _ => {
                let ident = &p.ident;
                quote!(::ad_runtime::zero_like(&#ident))
            }
        });
        grad_tys.push(p.ty.clone());
    }
    let (g, g_ty) = match grads.len() {
        0 => (None, None),
        1 => (
            Some(grads.pop().expect("one")),
            Some(grad_tys.pop().expect("one").to_token_stream()),
        ),
        _ => (Some(quote!((#(#grads,)*))), Some(quote!((#(#grad_tys,)*)))),
    };
    let primal = func.output.as_ref().map(|o| emit::value(func, o));
    let (ret, tail) = match (primal, out_ty, g, g_ty) {
        (Some(v), Some(ty), Some(g), Some(g_ty)) => (quote!((#ty, #g_ty)), quote!((#v, #g))),
        (Some(v), Some(ty), None, _) => (ty.to_token_stream(), v),
        (_, _, Some(g), Some(g_ty)) => (g_ty, g),
        _ => (quote!(()), quote!(())),
    };
    body.extend(tail);
    Generated { params, ret, body }
}
