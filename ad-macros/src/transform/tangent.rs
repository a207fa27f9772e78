//! The tangent (forward-mode) transform.
//!
//! Each active definition is followed by the definition of its tangent, the sum over active
//! arguments of partial times argument tangent. Control flow keeps its shape: a φ carries its
//! tangent out of the `if` beside its value, a loop cell has a tangent cell.
//!
//! Input:  `let y = x * x.sin();`
//! Output: `let _t0 = x.sin(); let d_t0 = sin_partial(x, _t0) * dx;`
//!         `let y = x * _t0;   let dy = _t0 * dx + x * d_t0;`

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::Type;

use crate::emit::{self, Factor};
use crate::ir::{
    CallShape, Func, Generated, If, Loop, LoopKind, Operand, Rhs, Second, Stmt, Value,
};

struct Tangent<'f> {
    func: &'f mut Func,
    /// The tangent of each active variable.
    d: Vec<Option<Ident>>,
    /// Vector forward mode: each tangent is `[F; K]`, `K` directions carried side by side.
    lanes: Option<Lanes>,
    /// Copies of state taken for reverse passes of calls: forward mode skips them.
    copies: std::collections::HashSet<usize>,
}

/// The lane count of vector forward mode, and the lane index bound inside each lane-wise closure.
struct Lanes {
    k: proc_macro2::Literal,
    index: Ident,
}

/// Lane counts up to this one are written out lane by lane (`lanewise`).
const UNROLLED_LANES: usize = 8;

/// `tokens` with the identifier `index` replaced by `lane`.
fn substitute(tokens: &TokenStream, index: &Ident, lane: &proc_macro2::Literal) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .clone()
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == *index => TokenTree::Literal(lane.clone()),
            TokenTree::Group(g) => {
                let mut new = Group::new(g.delimiter(), substitute(&g.stream(), index, lane));
                new.set_span(g.span());
                TokenTree::Group(new)
            }
            t => t,
        })
        .collect()
}

/// Builds `f_tangent` from the analysed IR.
pub fn transform(func: &mut Func, out_ty: Option<&Type>) -> Generated {
    transform_with(func, out_ty, None)
}

/// Builds the vector forward mode of `f` with `k` lanes: every tangent is `[F; k]` (an array's
/// is `[[F; k]; N]`, a slice's `&[[F; k]]`), and each tangent definition is one array of lanes,
/// `let dy = [a * dx[0] + b * dz[0], ..];` (above `UNROLLED_LANES` lanes, a lane-wise closure
/// `let dy = lanes(|k| a * dx[k] + b * dz[k]);`, which LLVM unrolls).
///
/// Input:  `let y = x * x.sin();`
/// Output: `let _t0 = x.sin(); let d_t0 = [sin_partial(x, _t0) * dx[0], .., .. * dx[3]];`
///         `let y = x * _t0;   let dy = [_t0 * dx[0] + x * d_t0[0], .., .. + x * d_t0[3]];`
pub fn transform_lanes(func: &mut Func, out_ty: Option<&Type>, k: usize) -> Generated {
    let lanes = Lanes {
        k: proc_macro2::Literal::usize_unsuffixed(k),
        index: Ident::new("__ad_lane", proc_macro2::Span::mixed_site()),
    };
    transform_with(func, out_ty, Some(lanes))
}

fn transform_with(func: &mut Func, out_ty: Option<&Type>, lanes: Option<Lanes>) -> Generated {
    let d: Vec<Option<Ident>> = (0..func.vars.len())
        .map(|v| {
            let is_active_param = func.params.iter().any(|p| p.active && p.var == Some(v));
            (func.vars[v].active() || is_active_param)
                .then(|| func.namer.tangent(&func.vars[v].ident.clone()))
        })
        .collect();
    let copies = Func::snapshots(&func.stmts);
    let mut t = Tangent {
        func,
        d,
        lanes,
        copies,
    };

    let mut params = Vec::new();
    let mut call = CallShape::default();
    for p in &t.func.params {
        let (ident, ty) = (&p.ident, &p.ty);
        let mutability = p
            .var
            .filter(|&v| t.func.vars[v].mutable)
            .map(|_| quote!(mut));
        params.push(quote!(#mutability #ident: #ty));
        call.args
            .push((quote!(#mutability #ident), ty.to_token_stream()));
        call.note(
            p.active,
            p.kind,
            &p.elem,
            crate::front::sig::row_of(p.kind, ty),
        );
        if p.active {
            let dp = t.d[p.var.expect("parameters have variables")]
                .as_ref()
                .expect("active parameters have tangents");
            let dty = match &t.lanes {
                Some(l) => crate::front::sig::lane_type(p.kind, ty, &p.elem, &l.k),
                None => crate::front::sig::tangent_type(p.kind, ty, &p.elem),
            };
            params.push(quote!(#dp: #dty));
            call.tangents.push(Some(dp.clone()));
        } else {
            call.tangents.push(None);
        }
    }

    let stmts = std::mem::take(&mut t.func.stmts);
    let mut body = t.stmts(&stmts);
    t.func.stmts = stmts;

    let (ret, tail) = match (&t.func.output, out_ty) {
        (Some(out), Some(ty)) => {
            let primal = emit::value(t.func, out);
            let tangent = t.output_tangent(out, Some(ty));
            let dty = match &t.lanes {
                Some(l) => lane_output_type(ty, &l.k),
                None => ty.to_token_stream(),
            };
            (quote!((#ty, #dty)), quote!((#primal, #tangent)))
        }
        _ => (quote!(()), quote!(())),
    };
    body.extend(tail);
    Generated {
        params,
        ret,
        body,
        call,
    }
}

impl Tangent<'_> {
    fn d_of(&self, op: &Operand) -> TokenStream {
        match (
            &self.lanes,
            Func::var_of(op).and_then(|v| self.d[v].as_ref()),
        ) {
            (Some(l), None) => {
                let (k, primal) = (&l.k, emit::operand(self.func, op));
                quote!(::ad_runtime::jacobian::lanes_zero::<_, #k>(&#primal))
            }
            _ => emit::companion_or_zero(self.func, op, &self.d),
        }
    }

    /// One lane of an operand's tangent, inside a lane-wise closure.
    fn lane_of(&self, op: &Operand) -> TokenStream {
        let d = self.d_of(op);
        match &self.lanes {
            Some(l) => {
                let i = &l.index;
                quote!(#d[#i])
            }
            None => d,
        }
    }

    /// `let dv = e;`, or in vector mode `let dv = [e(0), .., e(K - 1)];` where `e(j)` is `e`
    /// reading lane `j` (`let dv = lanes(|k| e);` above `UNROLLED_LANES` lanes): a closure per
    /// operation is a function per operation for rustc to check and compile.
    fn lanewise(&self, dv: &Ident, e: TokenStream) -> TokenStream {
        match &self.lanes {
            Some(l) => {
                let (k, i) = (&l.k, &l.index);
                match k.to_string().parse::<usize>() {
                    Ok(n) if n <= UNROLLED_LANES => {
                        let each = (0..n)
                            .map(|j| substitute(&e, i, &proc_macro2::Literal::usize_unsuffixed(j)));
                        quote!(let #dv = [#(#each),*];)
                    }
                    _ => quote!(let #dv = ::ad_runtime::jacobian::lanes::<_, #k>(|#i| #e);),
                }
            }
            None => quote!(let #dv = #e;),
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            match stmt {
                // An active call gets value and tangent from the callee's companion.
                Stmt::Def {
                    var,
                    rhs:
                        Rhs::Call {
                            callee,
                            args,
                            memory,
                            state,
                            span,
                            second,
                        },
                    ..
                } if self.d[*var].is_some() => {
                    let v = &self.func.vars[*var].ident;
                    let dv = self.d[*var].clone().expect("checked");
                    let f = callee.tokens(Some(Second::tangent_suffix(*second)));
                    if second.is_some() {
                        out.extend(callee.second_order_check(*span));
                    }
                    let primals = emit::call_args(self.func, args, memory, state, false);
                    // In vector mode, each lane's tangents: `d[lane]` for a scalar, a slice of lane
                    // `lane` for a slice (bound first).
                    let mut lane_setup = TokenStream::new();
                    let tangents: Vec<_> = args
                        .iter()
                        .zip(memory)
                        .enumerate()
                        .map(|(i, (a, m))| {
                            let d = Func::var_of(a)
                                .and_then(|x| self.d[x].clone())
                                .filter(|_| self.func.is_active(a));
                            match (d, m, &self.lanes) {
                                // An array by value: its tangent array, copied; in vector mode,
                                // lane `lane` of it.
                                (Some(d), Some(m), None) if m.by_value => d.to_token_stream(),
                                (Some(d), Some(m), Some(l)) if m.by_value => {
                                    let lane = &l.index;
                                    quote!(::core::array::from_fn(|__ad_i| #d[__ad_i][#lane]))
                                }
                                // (Refused before: see `jacobian::written_calls`.)
                                (_, Some(m), Some(_)) if m.mutable => quote!(::core::unreachable!()),
                                // A slice lent to be written: its tangent, or zeros the callee
                                // fills (the callee may read them back).
                                (Some(d), Some(m), None) if m.mutable => {
                                    emit::slice_of(self.func, &d.to_token_stream(), m, true)
                                }
                                (None, Some(m), None) if m.mutable => {
                                    let primal = emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                                    quote!(&mut ::ad_runtime::zeros_vec(#primal)[..])
                                }
                                (Some(d), Some(m), Some(l)) => {
                                    let d = d.to_token_stream();
                                    let lanes = emit::slice_of(self.func, &d, m, false);
                                    let tmp = quote::format_ident!(
                                        "__ad_lane_slice{}",
                                        i,
                                        span = proc_macro2::Span::mixed_site()
                                    );
                                    let lane = &l.index;
                                    lane_setup.extend(quote!(
                                        let #tmp = ::ad_runtime::jacobian::lane_slice(#lanes, #lane);
                                    ));
                                    quote!(&#tmp[..])
                                }
                                // A read-only slice parameter's tangent may be zeros (in a
                                // companion whose caller passed `Zero`): it lends through
                                // `TangentSlice`.
                                (Some(d), Some(m), None) => {
                                    if Func::var_of(a).is_some_and(|v| self.func.is_slice_param(v)) {
                                        let range = emit::range_of(self.func, m);
                                        quote!(::ad_runtime::TangentSlice::lend(&*#d, #range))
                                    } else {
                                        emit::slice_of(self.func, &d.to_token_stream(), m, false)
                                    }
                                }
                                (None, Some(_), _) => quote!(::ad_runtime::Zero),
                                (Some(d), None, Some(l)) => {
                                    let lane = &l.index;
                                    quote!(#d[#lane])
                                }
                                (Some(d), None, None) => d.to_token_stream(),
                                (None, None, _) => quote!(::ad_runtime::Zero),
                            }
                        })
                        .collect();
                    match &self.lanes {
                        // Vector mode: the callee's scalar forward mode once per lane.
                        Some(l) => {
                            let (k, lane) = (&l.k, &l.index);
                            out.extend(quote::quote_spanned!(*span=>
                                let (#v, #dv) = ::ad_runtime::jacobian::per_lane::<_, _, #k>(
                                    |#lane| { #lane_setup #f((#(#primals,)*), (#(#tangents,)*)) }
                                );
                            ));
                        }
                        None => out.extend(quote::quote_spanned!(*span=>
                            let (#v, #dv) = #f((#(#primals,)*), (#(#tangents,)*));
                        )),
                    }
                }
                Stmt::Def { var, .. } if self.copies.contains(var) => {}
                Stmt::Def { var, ty, rhs } => {
                    out.extend(emit::def(self.func, *var, ty.as_ref(), rhs));
                    out.extend(self.tangent_def(*var, rhs));
                }
                Stmt::Inert { tokens, .. } => out.extend(tokens.clone()),
                Stmt::If(i) => out.extend(self.branch(i)),
                Stmt::Loop(l) => out.extend(self.looped(l)),
                Stmt::Store {
                    array,
                    index,
                    value,
                    add,
                } => {
                    let a = self.func.vars[*array].ident.to_token_stream();
                    let idx = emit::index(self.func, index);
                    let slot = emit::element(&a, &idx);
                    let v = emit::operand(self.func, value);
                    out.extend(emit::store(&slot, &v, *add));
                    if let Some(da) = self.d[*array].clone() {
                        let dslot = emit::element(&da.to_token_stream(), &idx);
                        let dv = self.d_of(value);
                        out.extend(match (&self.lanes, *add) {
                            (Some(_), true) => quote!(
                                #dslot = ::ad_runtime::jacobian::lanes_add(#dslot, #dv);
                            ),
                            _ => emit::store(&dslot, &dv, *add),
                        });
                    }
                }
                Stmt::Push { array, value, .. } => {
                    let a = &self.func.vars[*array].ident;
                    let v = emit::operand(self.func, value);
                    out.extend(quote!(#a.push(#v);));
                    if let Some(da) = self.d[*array].clone() {
                        let dv = self.d_of(value);
                        out.extend(quote!(#da.push(#dv);));
                    }
                }
            }
        }
        out
    }

    fn tangent_def(&mut self, var: usize, rhs: &Rhs) -> TokenStream {
        let Some(dv) = self.d[var].clone() else {
            return TokenStream::new();
        };
        let ident = self.func.vars[var].ident.clone();
        let mut out = TokenStream::new();
        let tangent = match rhs {
            Rhs::Prim { rule, args, .. } => {
                let active = emit::active_args(self.func, rule, args);
                let arg_tokens: Vec<_> = args.iter().map(|a| emit::operand(self.func, a)).collect();
                let partials =
                    emit::bind_partials(self.func, rule, &arg_tokens, &ident, &active, &mut out);
                let e = sum(active.iter().map(|&i| {
                    let f = emit::factor(rule, i, &arg_tokens, partials.as_ref());
                    (f, self.lane_of(&args[i]))
                }));
                out.extend(self.lanewise(&dv, e));
                return out;
            }
            Rhs::Copy(op) => self.d_of(op),
            Rhs::Field {
                base,
                index,
                element,
            } => emit::component(&self.d_of(base), *index, *element),
            Rhs::Pop { array } => {
                let da = self.d[*array]
                    .clone()
                    .expect("a varied pop reads a varied stack");
                quote!(#da.pop())
            }
            Rhs::Load { array, index } => {
                let da = self.d[*array]
                    .clone()
                    .expect("a varied load reads varied memory");
                let idx = emit::index(self.func, index);
                emit::element(&da.to_token_stream(), &idx)
            }
            Rhs::NewArray { zeros, .. } => {
                let z = emit::zeros(*zeros, &ident, self.lanes.as_ref().map(|l| &l.k));
                out.extend(quote!(let mut #dv = #z;));
                return out;
            }
            Rhs::Cast { value, ty } => {
                let d = self.lane_of(value);
                out.extend(self.lanewise(&dv, quote!(#d as #ty)));
                return out;
            }
            Rhs::Inert { .. } => unreachable!("inert definitions are never active"),
            Rhs::Call { .. } => unreachable!("active calls are emitted with their companion"),
        };
        out.extend(quote!(let #dv = #tangent;));
        out
    }

    /// `let (y, dy) = if c { ..; (a, da) } else { ..; (b, db) };`
    fn branch(&mut self, i: &If) -> TokenStream {
        let cond = emit::operand(self.func, &i.cond);
        let then = self.stmts(&i.then);
        let els = self.stmts(&i.els);
        if i.phis.is_empty() {
            return quote!(if #cond { #then } else { #els });
        }
        let mut names = Vec::new();
        let mut then_vals = Vec::new();
        let mut else_vals = Vec::new();
        for phi in &i.phis {
            let v = &self.func.vars[phi.var];
            let mutability = v.mutable.then(|| quote!(mut));
            let ident = &v.ident;
            names.push(quote!(#mutability #ident));
            then_vals.push(emit::operand(self.func, &phi.then));
            else_vals.push(emit::operand(self.func, &phi.els));
            if let Some(dv) = &self.d[phi.var] {
                names.push(dv.to_token_stream());
                then_vals.push(self.d_of(&phi.then));
                else_vals.push(self.d_of(&phi.els));
            }
        }
        quote! {
            let (#(#names,)*) = if #cond { #then (#(#then_vals,)*) } else { #els (#(#else_vals,)*) };
        }
    }

    /// The loop with a tangent cell beside each active cell.
    fn looped(&mut self, l: &Loop) -> TokenStream {
        let mut before = TokenStream::new();
        let mut entry = TokenStream::new();
        let mut write_back = TokenStream::new();
        let mut after = TokenStream::new();
        for c in &l.cells {
            let cell = self.func.vars[c.cell].ident.clone();
            let (init, exit) = (
                emit::operand(self.func, &c.init),
                emit::operand(self.func, &c.exit),
            );
            let (e, a) = (
                self.func.vars[c.entry].ident.clone(),
                self.func.vars[c.after].ident.clone(),
            );
            before.extend(quote!(let mut #cell = #init;));
            entry.extend(quote!(let #e = #cell;));
            write_back.extend(quote!(#cell = #exit;));
            after.extend(quote!(let #a = #cell;));
            if self.func.vars[c.cell].active() {
                let dcell = self.func.namer.tangent(&cell);
                let dinit = self.d_of(&c.init);
                let dexit = self.d_of(&c.exit);
                before.extend(quote!(let mut #dcell = #dinit;));
                if let Some(de) = &self.d[c.entry] {
                    entry.extend(quote!(let #de = #dcell;));
                }
                write_back.extend(quote!(#dcell = #dexit;));
                if let Some(da) = &self.d[c.after] {
                    after.extend(quote!(let #da = #dcell;));
                }
            }
        }
        let body = self.stmts(&l.body);
        let exit = l.exit.as_ref().map(|e| {
            let e = emit::operand(self.func, e);
            quote!(if #e { break; })
        });
        let looped = match &l.kind {
            LoopKind::For { pat, iter, .. } => {
                let it = &self.func.vars[*iter].ident;
                quote!(for #pat in #it { #entry #body #write_back #exit })
            }
            LoopKind::While { cond_stmts, cond } => {
                let cs = self.stmts(cond_stmts);
                let cond = emit::operand(self.func, cond);
                quote!(loop { #entry #cs if !(#cond) { break; } #body #write_back #exit })
            }
            LoopKind::Loop => quote!(loop { #entry #body #write_back #exit }),
        };
        quote!(#before #looped #after)
    }

    fn output_tangent(&self, out: &Value, ty: Option<&Type>) -> TokenStream {
        match out {
            Value::Scalar(op) => match Func::var_of(op).and_then(|v| self.d[v].as_ref()) {
                Some(d) if self.func.is_active(op) => d.to_token_stream(),
                _ => emit::zero_of(
                    ty,
                    &emit::operand(self.func, op),
                    self.lanes.as_ref().map(|l| &l.k),
                ),
            },
            Value::Tuple(items) => {
                let items = items.iter().enumerate().map(|(i, item)| {
                    self.output_tangent(item, emit::component_type(ty, crate::ir::Step::Field(i)))
                });
                quote!((#(#items,)*))
            }
            Value::Array(items) => {
                let items = items.iter().enumerate().map(|(i, item)| {
                    self.output_tangent(item, emit::component_type(ty, crate::ir::Step::Index(i)))
                });
                quote!([#(#items),*])
            }
        }
    }
}

/// `a + b - c`: a sum of factor-times-tangent terms.
/// The type of an output's tangent lanes: `F` becomes `[F; K]`, recursively through tuples and
/// arrays.
fn lane_output_type(ty: &Type, k: &proc_macro2::Literal) -> TokenStream {
    match ty {
        Type::Tuple(t) => {
            let items = t.elems.iter().map(|e| lane_output_type(e, k));
            quote!((#(#items,)*))
        }
        Type::Array(a) => {
            let (inner, len) = (lane_output_type(&a.elem, k), &a.len);
            quote!([#inner; #len])
        }
        Type::Paren(p) => lane_output_type(&p.elem, k),
        ty => quote!([#ty; #k]),
    }
}

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
