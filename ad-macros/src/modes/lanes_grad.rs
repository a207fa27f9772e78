//! `_grad` by vector forward mode, when that is cheaper than reverse mode.
//!
//! The mode-choice rule: a function of at most [`MAX_LANES`] differentiated floats, all passed
//! by value (`fn f(x0: f64, p: f64, n: usize) -> f64`), whose reverse sweep would store values
//! (a recurrence through a loop), gets its `_grad` from one forward pass carrying one tangent
//! lane per input: no stack, no second sweep, `K` tangents riding along the primal. Reverse mode
//! pays a push and a pop per stored value and a second pass; forward mode with `K` lanes pays
//! `K` tangent updates per operation, which for `K <= 4` costs less. Everything else (many or
//! array inputs, or a reverse sweep that stores nothing, which costs about one primal) keeps
//! reverse mode. `_vjp` is always reverse mode, so the two modes still check each other.
//!
//! Input:  `fn recurrence(x0: f64, p: f64, n: usize) -> f64` (a loop `x = x + h sin(x) p`)
//! Output: `fn recurrence_grad(x0: f64, p: f64, n: usize) -> (f64, (f64, f64)) {`
//!         `  let dx0: [f64; 2] = lanes(|k| if k == 0 { 1 } else { 0 }); let dp = ..;`
//!         `  let (value, d) = { ..vector forward mode, 2 lanes.. }; (value, (d[0], d[1])) }`

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ItemFn, Type};

use crate::emit::{docs, item};
use crate::front::attr;
use crate::ir::{Func, Generated, Kind, LoopKind, Rhs, Stmt};
use crate::transform::tangent;

/// The most differentiated inputs for which `_grad` runs in forward mode.
pub const MAX_LANES: usize = 4;

/// The number of lanes when the rule picks forward mode for `_grad`, else `None`; `stores`:
/// whether the reverse sweep stores values (`adjoint::transform_final`).
pub fn lanes(f: &ItemFn, func: &Func, args: &attr::Args, stores: bool) -> Option<usize> {
    let active: Vec<_> = func.params.iter().filter(|p| p.active).collect();
    let k = active.len();
    let one_float = active.iter().all(|p| {
        p.kind == Kind::Scalar
            && p.elem.to_token_stream().to_string() == active[0].elem.to_token_stream().to_string()
    });
    // Checkpointing asks for reverse mode's memory to be bounded: keep it. Generic functions,
    // methods and calls keep reverse mode too (the lanes would have to pass through them).
    let plain = args.checkpoint.is_none()
        && f.sig.generics.params.is_empty()
        && f.sig.receiver().is_none()
        && !calls(&func.stmts);
    ((1..=MAX_LANES).contains(&k) && one_float && plain && stores).then_some(k)
}

/// `f_grad` by vector forward mode with `k` lanes: each input's tangent is the unit lane of its
/// position, and the output's lanes are the gradient.
pub fn grad(f: &ItemFn, func: &mut Func, out: &Type, k: usize) -> TokenStream {
    let g = tangent::transform_lanes(func, Some(out), k);
    let elem = func
        .params
        .iter()
        .find(|p| p.active)
        .map(|p| p.elem.clone())
        .expect("the rule counts at least one active input");
    let klit = proc_macro2::Literal::usize_unsuffixed(k);
    let mut params = Vec::new();
    let mut seeds = TokenStream::new();
    let mut lane = 0;
    for (p, d) in func.params.iter().zip(&g.call.tangents) {
        let (ident, ty) = (&p.ident, &p.ty);
        let mutability = p.var.filter(|&v| func.vars[v].mutable).map(|_| quote!(mut));
        params.push(quote!(#mutability #ident: #ty));
        if let Some(d) = d {
            let j = proc_macro2::Literal::usize_unsuffixed(lane);
            seeds.extend(quote! {
                let #d: [#elem; #klit] = ::ad_runtime::jacobian::lanes::<#elem, #klit>(|__ad_k| {
                    if __ad_k == #j { ::ad_runtime::one::<#elem>() } else { ::ad_runtime::zero::<#elem>() }
                });
            });
            lane += 1;
        }
    }
    let body = &g.body;
    let parts: Vec<TokenStream> = (0..k)
        .map(|j| {
            let j = proc_macro2::Literal::usize_unsuffixed(j);
            quote!(__ad_lanes[#j])
        })
        .collect();
    let (ret, grads) = if k == 1 {
        (quote!((#out, #elem)), quote!(#(#parts)*))
    } else {
        let tys = (0..k).map(|_| &elem);
        (quote!((#out, (#(#tys,)*))), quote!((#(#parts,)*)))
    };
    let generated = Generated {
        params,
        ret,
        body: quote! {
            #seeds
            let (__ad_value, __ad_lanes) = { #body };
            (__ad_value, #grads)
        },
        call: Default::default(),
    };
    item::wrap(f, "grad", generated, docs::doc_lanes_grad(f, func, k))
}

/// Whether `stmts` call a function (an annotated helper, a user rule).
fn calls(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Def { rhs, .. } => matches!(rhs, Rhs::Call { .. }),
        Stmt::If(i) => calls(&i.then) || calls(&i.els),
        Stmt::Loop(l) => {
            calls(&l.body)
                || matches!(&l.kind, LoopKind::While { cond_stmts, .. } if calls(cond_stmts))
        }
        _ => false,
    })
}
