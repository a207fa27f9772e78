//! `#[derive_grad(hessian)]`: Hessian-vector products and Hessians by forward over reverse.
//!
//! The reverse transform writes `f`'s vector-Jacobian product as ordinary Rust; that code is
//! parsed again and goes through the same pipeline as a user's function, this time through the
//! tangent transform, with the input `x` and (for a slice) its adjoint's shadow active. The
//! tangent of the gradient along `v` is the Hessian-vector product `H v`. The lowering knows the
//! few runtime helpers reverse-mode code uses (`accumulate`, `zero_like`, value stacks), and each
//! runtime rule `NAME_partial` has a tangent of its own, so the IR is closed under both
//! transforms.
//!
//! Input:  `fn f(x: [f64; 2]) -> f64 { x[0] * x[0] * x[1] }`
//! Output: `fn f_hvp(x: [f64; 2], v: [f64; 2]) -> (f64, [f64; 2], [f64; 2])` (value, gradient,
//!         `H v`), and `fn f_hessian(x: [f64; 2]) -> (f64, [f64; 2], [[f64; 2]; 2])`, one
//!         Hessian-vector product per column.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{ItemFn, Type};

use crate::analysis::analyse;
use crate::emit::item::{Signature, closure, function_item, reborrow};
use crate::errors::Errors;
use crate::front::attr;
use crate::front::sig::FloatTypes;
use crate::ir::Func;
use crate::ir::Generated;
use crate::ir::Kind;
use crate::names::{self, Namer};
use crate::transform::{adjoint, tangent};

/// A parameter the Hessian is taken with respect to.
pub(super) struct Input {
    /// Its index in `func.params`.
    pub(super) index: usize,
    pub(super) kind: Kind,
    /// `N` for `[F; N]`.
    pub(super) len: Option<TokenStream>,
    pub(super) elem: Type,
}

/// Checks that `f` is a scalar function of floats, arrays `[F; N]` (either by value or behind
/// `&`) and slices `&[F]`.
pub fn check(
    func: &Func,
    out: Option<&Type>,
    floats: &FloatTypes,
    span: Span,
    sparse: Option<Span>,
    errors: &mut Errors,
) {
    if !out.is_some_and(|t| floats.is_float(t)) {
        errors.at(
            span,
            "`hessian` needs a function returning one float: the Hessian of a vector output is \
             one Hessian per output; differentiate each output in a function of its own",
        );
    }
    if let (Some(xs), Some(sparse)) = (inputs(func, span, errors), sparse)
        && !matches!(&xs[..], [x] if matches!(x.kind, Kind::Slice { .. }))
    {
        errors.at(
            sparse,
            "sparse Hessians take one differentiated parameter, a slice `&[F]`: floats and \
             arrays `[F; N]` have small dense Hessians, `NAME_hessian`",
        );
    }
}

/// Refuses the arguments of calls that carry derivatives and are neither floats nor small arrays
/// `[F; N]` by value (`checks::varied_memory_args`): calls are differentiated twice through the
/// callees' second-order companions, which take no shadows.
pub(super) fn memory_arguments(func: &Func, errors: &mut Errors) {
    let mut memory = Vec::new();
    crate::analysis::checks::varied_memory_args(func, &mut memory);
    for span in memory {
        errors.at(
            span,
            "second derivatives go through calls whose differentiated arguments are floats and \
             arrays `[F; N]` by value (N a literal up to 16, the array not written after the \
             call), and through calls given slices of functions of this file without generics \
             but one float type `T` (their bodies are inlined, `T::zero()` and `T::one()` \
             included): this argument is a slice, a longer or reused array, that carries \
             derivatives, passed to a function the macro cannot inline (not supported yet). Pass \
             its elements as floats, or write the callee's body here",
        );
    }
}

/// The differentiated parameters, each a float, an array `[F; N]` or a slice `&[F]`.
fn inputs(func: &Func, span: Span, errors: &mut Errors) -> Option<Vec<Input>> {
    let active: Vec<usize> = (0..func.params.len())
        .filter(|&i| func.params[i].active)
        .collect();
    if active.is_empty() {
        errors.at(
            span,
            "`hessian` needs a differentiated parameter: a float, an array `[F; N]` or a slice \
             `&[F]`",
        );
        return None;
    }
    let mut out = Vec::new();
    for index in active {
        let p = &func.params[index];
        let len = match (p.kind, &p.ty) {
            (Kind::Scalar | Kind::Ref { mutable: false }, _)
            | (Kind::Slice { mutable: false }, _) => None,
            (Kind::Array { depth: 1 }, Type::Array(a)) => Some(a.len.to_token_stream()),
            (
                Kind::ArrayRef {
                    depth: 1,
                    mutable: false,
                },
                Type::Reference(r),
            ) if matches!(&*r.elem, Type::Array(_)) => {
                let Type::Array(a) = &*r.elem else {
                    unreachable!()
                };
                Some(a.len.to_token_stream())
            }
            _ => {
                errors.spanned(
                    &p.ty,
                    format!(
                        "`hessian` takes the differentiated parameters as floats and arrays \
                         `[F; N]` (by value or behind `&`) or slices `&[F]`, not `{}`",
                        crate::errors::show_type(&p.ty)
                    ),
                );
                continue;
            }
        };
        out.push(Input {
            index,
            kind: p.kind,
            len,
            elem: p.elem.clone(),
        });
    }
    (out.len() == func.params.iter().filter(|p| p.active).count()).then_some(out)
}

/// Writes `NAME_hvp` and `NAME_hessian`: the reverse-mode code of `f` (first pass), its
/// tangent (second pass), and the two functions around that tangent.
pub fn generate(
    f: &ItemFn,
    func: &Func,
    args: &attr::Args,
    out: &Type,
    span: Span,
) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let xs = inputs(func, span, &mut errors);
    errors.finish()?;
    let xs = xs.expect("checked");
    let name = "#[derive_grad(hessian)]";
    let reverse = reverse_code(f, args, out, span, name)?;
    let (vjp, code, inner) = &reverse;
    let mut wrt = Vec::new();
    for x in &xs {
        wrt.push(func.params[x.index].ident.clone());
        wrt.extend(vjp.call.shadows.get(x.index).cloned().flatten());
    }
    // `NAME_hvp` and `NAME_hessian` return the gradient's tangent, not the value's.
    let g = tangent_of_reverse(wrt, code.clone(), inner, true, span, name)?;
    let companions = super::hessian_calls::companions(f, func, out, Some(&reverse), span, name)?;
    // Several parameters, or a float or an array behind `&`: each gradient and `H v` of a
    // parameter passed by reference is written into a buffer, as for a slice.
    let x = match &xs[..] {
        [x] if matches!(
            x.kind,
            Kind::Scalar | Kind::Array { .. } | Kind::Slice { .. }
        ) =>
        {
            x
        }
        _ => {
            let functions = super::hessian_many::functions(f, func, &xs, out, &g);
            return Ok(quote!(#functions #companions));
        }
    };
    let pass = Pass::new(f, func, x, out, &g);
    let hvp = pass.hvp_fn();
    let hess = pass.hessian_fn();
    let sparse = args.sparse.map(|_| pass.sparse_fns());
    Ok(quote!(#hvp #hess #sparse #companions))
}

/// The first pass: the vector-Jacobian product, as code, and that code parsed as a function.
pub(super) fn reverse_code(
    f: &ItemFn,
    args: &attr::Args,
    out: &Type,
    span: Span,
    name: &str,
) -> syn::Result<(Generated, TokenStream, ItemFn)> {
    // The vector-Jacobian product, as code. The second pass's lowering tells variables apart by
    // spelling, not by hygiene, so this first pass names nothing like any of the user's names.
    let mut namer = Namer::default();
    namer.reserve(f.to_token_stream());
    namer.reserve(crate::lower::inlinable_callees(f));
    let mut errors = Errors::default();
    // Calls given a slice go to no second-order companion: the callee's body, when it is in
    // this file, is inlined instead.
    let args = attr::Args {
        inline_calls: true,
        ..args.clone()
    };
    let (mut first, _, _) = analyse(f, &args, name, namer, &mut errors);
    memory_arguments(&first, &mut errors);
    errors.finish()?;
    let vjp = adjoint::transform(&mut first, Some(out));
    let inner_name = Ident::new("__ad_hvp_inner", Span::mixed_site());
    let generics = &f.sig.generics;
    let where_clause = &generics.where_clause;
    let receiver = f.sig.receiver().map(|r| quote!(#r,));
    let (params, ret, body) = (&vjp.params, &vjp.ret, &vjp.body);
    let code =
        quote!(fn #inner_name #generics(#receiver #(#params),*) -> #ret #where_clause { #body });
    let inner: ItemFn = syn::parse2(code.clone()).map_err(|e| {
        syn::Error::new(
            span,
            format!("{name}: internal error, reverse-mode code does not parse: {e}"),
        )
    })?;
    Ok((vjp, code, inner))
}

/// The second pass: the tangent of the reverse-mode code with `wrt` active (the inputs and their
/// shadows; for a companion, the seed too). The tangent of the gradient along `v` is `H v`.
/// With `value_unused`, the value's tangent is not computed (it is returned as zero).
pub(super) fn tangent_of_reverse(
    wrt: Vec<Ident>,
    code: TokenStream,
    inner: &ItemFn,
    value_unused: bool,
    span: Span,
    name: &str,
) -> syn::Result<Generated> {
    let args = attr::Args {
        wrt: Some(wrt),
        of_reverse_code: true,
        value_tangent_unused: value_unused,
        ..attr::Args::default()
    };
    let mut namer = Namer::default();
    namer.reserve(code);
    let mut errors = Errors::default();
    let (mut second, _, out2) = analyse(inner, &args, name, namer, &mut errors);
    errors.finish().map_err(|e| {
        syn::Error::new(
            span,
            format!(
                "{name} cannot take the tangent of this function's reverse-mode code: {e}. Build \
                 the Hessian from `NAME_grad` by finite differences, or report the function"
            ),
        )
    })?;
    Ok(tangent::transform(&mut second, out2.as_ref()))
}

/// What `NAME_hvp` and `NAME_hessian` share: the tangent pass as a closure, and its call.
struct Pass<'a> {
    f: &'a ItemFn,
    func: &'a Func,
    x: &'a Input,
    out: &'a Type,
    slice: bool,
    closure: TokenStream,
    call: TokenStream,
    v: Ident,
    grad: Ident,
    hv: Ident,
}

impl<'a> Pass<'a> {
    fn new(f: &'a ItemFn, func: &'a Func, x: &'a Input, out: &'a Type, g: &Generated) -> Self {
        let slice = matches!(x.kind, Kind::Slice { .. });
        // The generated functions call the tangent as a closure (no `Self::` needed in an `impl`).
        let pass = Ident::new("__ad_hvp", Span::mixed_site());
        let closure = closure(&pass, g);
        let v = Ident::new("v", Span::mixed_site());
        let grad = Ident::new("__ad_grad", Span::mixed_site());
        let hv = Ident::new("__ad_hv", Span::mixed_site());
        let mut call_args = Vec::new();
        for (i, p) in func.params.iter().enumerate() {
            call_args.push(reborrow(p));
            if i == x.index {
                call_args.push(if slice { quote!(&#v[..]) } else { quote!(#v) });
                if slice {
                    call_args.push(quote!(&mut #grad[..]));
                    call_args.push(quote!(&mut #hv[..]));
                }
            }
        }
        call_args.push(quote!(::ad_runtime::one::<#out>()));
        let call = quote!(#pass(#(#call_args),*));
        Pass {
            f,
            func,
            x,
            out,
            slice,
            closure,
            call,
            v,
            grad,
            hv,
        }
    }

    /// `NAME_hvp`: value, gradient and `H v` from a direction `v`, in one pass.
    fn hvp_fn(&self) -> TokenStream {
        let Pass {
            f,
            func,
            x,
            out,
            slice,
            closure,
            call,
            v,
            grad,
            hv,
        } = self;
        let (slice, primal, elem) = (*slice, &func.params[x.index], &x.elem);
        let x_ident = &primal.ident;
        let (grad_ty, pass_body) = match (&x.len, slice) {
            (_, true) => (
                quote!(::ad_runtime::__alloc::vec::Vec<#elem>),
                quote! {
                    let mut #grad = ::ad_runtime::zeros_vec(#x_ident);
                    let mut #hv = ::ad_runtime::zeros_vec(#x_ident);
                    let (__ad_value, _) = #call;
                    (__ad_value, #grad, #hv)
                },
            ),
            (Some(n), false) => (
                quote!([#elem; #n]),
                quote! {
                    let ((__ad_value, #grad), (_, #hv)) = #call;
                    (__ad_value, #grad, #hv)
                },
            ),
            (None, false) => (
                quote!(#elem),
                quote! {
                    let ((__ad_value, #grad), (_, #hv)) = #call;
                    (__ad_value, #grad, #hv)
                },
            ),
        };
        let v_ty = if slice {
            quote!(&[#elem])
        } else {
            primal.ty.to_token_stream()
        };
        let mut hvp_params = outer_params(func);
        hvp_params.insert(x.index + 1, quote!(#v: #v_ty));
        let hvp_doc = format!(
            "Hessian-vector product of `{}`, generated by `#[derive_grad(hessian)]`: forward mode over \
             the reverse-mode gradient, one pass.\n\nReturns `(value, gradient, H v)` for the \
             direction `v`.",
            f.sig.ident
        );
        let hvp_ident = names::function(&f.sig.ident, "hvp");
        let body = quote! {
            #closure
            #pass_body
        };
        item(
            f,
            &hvp_ident,
            &hvp_params,
            quote!((#out, #grad_ty, #grad_ty)),
            body,
            hvp_doc,
        )
    }

    /// `NAME_hessian`: one Hessian-vector product per column.
    fn hessian_fn(&self) -> TokenStream {
        let Pass {
            f,
            func,
            x,
            out,
            slice,
            closure,
            call,
            v,
            grad,
            hv,
        } = self;
        let (slice, elem, x_ident) = (*slice, &x.elem, &func.params[x.index].ident);
        let hvp_ident = names::function(&f.sig.ident, "hvp");
        let hess_ident = names::function(&f.sig.ident, "hessian");
        let self_call = |ident: &Ident, args: &[TokenStream]| match f.sig.receiver() {
            Some(_) => quote!(self.#ident(#(#args),*)),
            None => quote!(#ident(#(#args),*)),
        };
        // The Hessian: one product per column.
        let args_with = |v_expr: TokenStream| -> Vec<TokenStream> {
            let mut a: Vec<TokenStream> = func.params.iter().map(reborrow).collect();
            a.insert(x.index + 1, v_expr);
            a
        };
        let j = Ident::new("__ad_j", Span::mixed_site());
        let (hess_ty, hess_body) = match (&x.len, slice) {
            // Slices: the pass itself, with the direction and the two outputs allocated once and
            // reset per column rather than allocated by each `_hvp` call.
            (_, true) => (
                quote!((#out, ::ad_runtime::__alloc::vec::Vec<#elem>, ::ad_runtime::Jacobian<#elem>)),
                quote! {
                    #closure
                    let __ad_n = #x_ident.len();
                    let __ad_zero = ::ad_runtime::zero::<#elem>();
                    let mut __ad_h = ::ad_runtime::Jacobian::<#elem>::zeros(__ad_n, __ad_n);
                    let mut #v = ::ad_runtime::zeros_vec(#x_ident);
                    let mut #grad = ::ad_runtime::zeros_vec(#x_ident);
                    let mut #hv = ::ad_runtime::zeros_vec(#x_ident);
                    let mut __ad_value = ::ad_runtime::unreached::<#out>();
                    for #j in 0..__ad_n.max(1) {
                        if #j > 0 {
                            #v[#j - 1] = __ad_zero;
                        }
                        if #j < __ad_n {
                            #v[#j] = ::ad_runtime::one::<#elem>();
                        }
                        #grad.fill(__ad_zero);
                        #hv.fill(__ad_zero);
                        (__ad_value, _) = #call;
                        for __ad_i in 0..__ad_n {
                            __ad_h[(__ad_i, #j)] = #hv[__ad_i];
                        }
                    }
                    (__ad_value, #grad, __ad_h)
                },
            ),
            (Some(n), false) => {
                let call = self_call(&hvp_ident, &args_with(quote!(#v)));
                (
                    quote!((#out, [#elem; #n], [[#elem; #n]; #n])),
                    quote! {
                        let mut __ad_h = [[::ad_runtime::zero::<#elem>(); #n]; #n];
                        let mut __ad_last = None;
                        for #j in 0..(#n).max(1) {
                            let #v = <[#elem; #n] as ::ad_runtime::jacobian::Basis<#elem>>::basis(#j);
                            let (__ad_value, #grad, #hv) = #call;
                            for __ad_i in 0..#n {
                                __ad_h[__ad_i][#j] = #hv[__ad_i];
                            }
                            __ad_last = Some((__ad_value, #grad));
                        }
                        let (__ad_value, #grad) = __ad_last.expect("one pass at least");
                        (__ad_value, #grad, __ad_h)
                    },
                )
            }
            (None, false) => {
                let call = self_call(&hvp_ident, &args_with(quote!(::ad_runtime::one::<#elem>())));
                (quote!((#out, #elem, #elem)), quote!(#call))
            }
        };
        let hess_doc = format!(
            "Hessian of `{}`, generated by `#[derive_grad(hessian)]`: one Hessian-vector product \
             (forward over reverse) per input.\n\nReturns `(value, gradient, H)`.",
            f.sig.ident
        );
        let params = outer_params(func);
        item(f, &hess_ident, &params, hess_ty, hess_body, hess_doc)
    }

    /// `NAME_hessian_sparsity` (the pattern by NaN directions, one per input, coloured) and
    /// `NAME_hessian_sparse` (one product per colour, a CSR matrix), for a slice input, after
    /// `ad_runtime::sparse::{detect_symmetric, columns}`.
    fn sparse_fns(&self) -> TokenStream {
        let Pass {
            f,
            func,
            x,
            out,
            closure,
            call,
            v,
            grad,
            hv,
            ..
        } = self;
        let (elem, x_ident) = (&x.elem, &func.params[x.index].ident);
        let name = &f.sig.ident;
        let buffers = quote! {
            #closure
            let __ad_n = #x_ident.len();
            let __ad_zero = ::ad_runtime::zero::<#elem>();
            let mut #grad = ::ad_runtime::zeros_vec(#x_ident);
            let mut #hv = ::ad_runtime::zeros_vec(#x_ident);
        };
        // One product: the direction in, `H v` out, the value and gradient kept.
        let product = |value: TokenStream| {
            quote! {
                |#v: &[#elem], __ad_out: &mut [#elem]| {
                    #grad.fill(__ad_zero);
                    #hv.fill(__ad_zero);
                    (#value, _) = #call;
                    __ad_out.copy_from_slice(&#hv);
                }
            }
        };
        let detect = product(quote!(_));
        let body = quote! {
            #buffers
            ::ad_runtime::sparse::detect_symmetric::<#elem>(__ad_n, #detect)
        };
        let sparse_ident = names::function(name, "hessian_sparse");
        let doc = format!(
            "The sparsity pattern of `{name}`'s Hessian at these arguments, its columns coloured, \
             generated by `#[derive_grad(hessian, sparse)]`: one Hessian-vector product per input, \
             the direction NaN in that input. Detect once and pass the result to \
             `{sparse_ident}`; see `ad_runtime::sparse` for what the pattern covers."
        );
        let params = outer_params(func);
        let mut tokens = item(
            f,
            &names::function(name, "hessian_sparsity"),
            &params,
            quote!(::ad_runtime::sparse::Sparsity),
            body,
            doc,
        );
        let sparsity = Ident::new("sparsity", Span::mixed_site());
        let compute = product(quote!(__ad_value));
        let body = quote! {
            #buffers
            let mut __ad_value = ::ad_runtime::unreached::<#out>();
            let __ad_h = ::ad_runtime::sparse::columns::<#elem>(__ad_n, #sparsity, #compute);
            (__ad_value, #grad, __ad_h)
        };
        let doc = format!(
            "The Hessian of `{name}` as a sparse matrix in CSR form, generated by \
             `#[derive_grad(hessian, sparse)]`: one Hessian-vector product (forward over reverse) \
             per colour of `sparsity` (from `{}`), the direction the sum of that colour's unit \
             vectors.\n\nReturns `(value, gradient, H)`.",
            names::function(name, "hessian_sparsity")
        );
        let mut params = outer_params(func);
        params.push(quote!(#sparsity: &::ad_runtime::sparse::Sparsity));
        tokens.extend(item(
            f,
            &sparse_ident,
            &params,
            quote!((#out, ::ad_runtime::__alloc::vec::Vec<#elem>, ::ad_runtime::sparse::CsMat<#elem>)),
            body,
            doc,
        ));
        tokens
    }
}

/// The function's own parameters, `name: type`.
pub(super) fn outer_params(func: &Func) -> Vec<TokenStream> {
    func.params
        .iter()
        .map(|p| {
            let (ident, ty) = (&p.ident, &p.ty);
            quote!(#ident: #ty)
        })
        .collect()
}

/// One generated function with the function's attributes, generics and receiver.
pub(super) fn item(
    f: &ItemFn,
    ident: &Ident,
    params: &[TokenStream],
    ret: TokenStream,
    body: TokenStream,
    doc: String,
) -> TokenStream {
    let sig = Signature {
        ident,
        receiver: true,
        params,
        ret: &ret,
        bounds: &[],
    };
    function_item(f, &sig, &body, &doc, false)
}
