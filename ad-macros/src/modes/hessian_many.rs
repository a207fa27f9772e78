//! `#[derive_grad(hessian)]` over several differentiated parameters: the same tangent of the
//! reverse-mode code (`hessian.rs`), with one direction per parameter.
//!
//! Input:  `fn f(a: f64, b: [f64; 2], c: &[f64]) -> f64 { .. }`
//! Output: `fn f_hvp(a, va: f64, b, vb: [f64; 2], c, vc: &[f64]) -> (f64, (f64, [f64; 2],
//!         Vec<f64>), (f64, [f64; 2], Vec<f64>))` (value, the gradient per parameter, `H v` per
//!         parameter), and `fn f_hessian(a, b, c) -> (f64, (..gradient..), Jacobian<f64>)`: the
//!         Hessian over the parameters' components in order (`a`, `b[0]`, `b[1]`, `c[0]`, ..),
//!         one product per component.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::{ItemFn, Type};

use super::hessian::{Input, item, outer_params};
use crate::emit::item::{closure, reborrow};
use crate::ir::{Func, Generated, Kind};
use crate::names;

/// How a differentiated parameter reaches the pass: by value (its gradient and `H v` returned),
/// or lent (its direction lent, its gradient and `H v` added into buffers).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lent {
    No,
    /// `&[F]`: the buffers are `Vec`s.
    Slice,
    /// `&F` or `&[F; N]`: the buffers are a float or an array.
    Ref,
}

/// One differentiated parameter's names in the generated code.
struct Names<'a> {
    x: &'a Input,
    /// The parameter.
    param: &'a Ident,
    /// Its direction, gradient and `H v`.
    v: Ident,
    g: Ident,
    h: Ident,
    lent: Lent,
}

impl Names<'_> {
    /// A zero of the parameter's components: a `Vec` for a slice.
    fn zero(&self) -> TokenStream {
        let (param, elem) = (self.param, &self.x.elem);
        match (self.lent, &self.x.len) {
            (Lent::Slice, _) => quote!(::ad_runtime::zeros_vec(#param)),
            (Lent::Ref, Some(_)) => quote!(::ad_runtime::zeros_array(#param)),
            (Lent::No, Some(_)) => quote!(::ad_runtime::zeros_array(&#param)),
            (_, None) => quote!(::ad_runtime::zero::<#elem>()),
        }
    }

    /// The number of its components.
    fn size(&self) -> TokenStream {
        let param = self.param;
        match (&self.x.len, self.lent) {
            (_, Lent::Slice) => quote!(#param.len()),
            (Some(n), _) => quote!((#n)),
            (None, _) => quote!(1usize),
        }
    }

    /// The type of its gradient and `H v`.
    fn ty(&self) -> TokenStream {
        let elem = &self.x.elem;
        match (self.lent, &self.x.len) {
            (Lent::Slice, _) => quote!(::ad_runtime::__alloc::vec::Vec<#elem>),
            (_, Some(n)) => quote!([#elem; #n]),
            (_, None) => quote!(#elem),
        }
    }

    /// The type of its direction: the parameter's, a slice for `&Vec<F>`.
    fn direction_ty(&self, func: &Func) -> TokenStream {
        let elem = &self.x.elem;
        match self.lent {
            Lent::Slice => quote!(&[#elem]),
            _ => func.params[self.x.index].ty.to_token_stream(),
        }
    }
}

/// `NAME_hvp` and `NAME_hessian` for several differentiated parameters.
pub(super) fn functions(
    f: &ItemFn,
    func: &Func,
    xs: &[Input],
    out: &Type,
    g: &Generated,
) -> TokenStream {
    let names: Vec<Names> = xs
        .iter()
        .enumerate()
        .map(|(k, x)| Names {
            x,
            param: &func.params[x.index].ident,
            v: Ident::new(&format!("v{k}"), Span::mixed_site()),
            g: format_ident!("__ad_g{}", k, span = Span::mixed_site()),
            h: format_ident!("__ad_h{}", k, span = Span::mixed_site()),
            lent: match x.kind {
                Kind::Slice { .. } => Lent::Slice,
                Kind::Ref { .. } | Kind::ArrayRef { .. } => Lent::Ref,
                _ => Lent::No,
            },
        })
        .collect();
    let pass = Ident::new("__ad_hvp", Span::mixed_site());
    let closure = closure(&pass, g);
    // The pass: each parameter followed by its direction and, for a slice, the buffers its
    // gradient and `H v` are written into; then the seed.
    let mut args = Vec::new();
    for (i, p) in func.params.iter().enumerate() {
        args.push(reborrow(p));
        if let Some(n) = names.iter().find(|n| n.x.index == i) {
            let (v, g, h) = (&n.v, &n.g, &n.h);
            match n.lent {
                Lent::Slice => {
                    args.extend([quote!(&#v[..]), quote!(&mut #g[..]), quote!(&mut #h[..])])
                }
                Lent::Ref => args.extend([quote!(&#v), quote!(&mut #g), quote!(&mut #h)]),
                Lent::No => args.push(quote!(#v)),
            }
        }
    }
    args.push(quote!(::ad_runtime::one::<#out>()));
    let call = quote!(#pass(#(#args),*));
    // What the pass returns: the value and the by-value parameters' gradients, then their
    // tangents (`H v`); the lent parameters' are in their buffers.
    let by_value: Vec<&Names> = names.iter().filter(|n| n.lent == Lent::No).collect();
    let (gs, hs): (Vec<&Ident>, Vec<&Ident>) = by_value.iter().map(|n| (&n.g, &n.h)).unzip();
    let value = Ident::new("__ad_value", Span::mixed_site());
    let assign = match by_value.len() {
        0 => quote!((#value, _) = #call;),
        1 => quote!(((#value, #(#gs)*), (_, #(#hs)*)) = #call;),
        _ => quote!(((#value, (#(#gs),*)), (_, (#(#hs),*))) = #call;),
    };
    let declare: TokenStream = names
        .iter()
        .map(|n| {
            let (g, h, zero) = (&n.g, &n.h, n.zero());
            quote!(let mut #g = #zero; let mut #h = #zero;)
        })
        .collect();
    let all_g: Vec<&Ident> = names.iter().map(|n| &n.g).collect();
    let all_h: Vec<&Ident> = names.iter().map(|n| &n.h).collect();
    let tys: Vec<TokenStream> = names.iter().map(Names::ty).collect();
    let elem = &xs[0].elem;

    // `NAME_hvp`: the directions are parameters.
    let mut params = outer_params(func);
    for n in names.iter().rev() {
        let (v, ty) = (&n.v, n.direction_ty(func));
        let at = func
            .params
            .iter()
            .position(|p| p.ident == *n.param)
            .expect("a parameter");
        params.insert(at + 1, quote!(#v: #ty));
    }
    // A direction behind `&` is copied, as `NAME_hessian` holds its directions.
    let copies: TokenStream = names
        .iter()
        .filter(|n| n.lent == Lent::Ref)
        .map(|n| {
            let v = &n.v;
            quote!(let #v = *#v;)
        })
        .collect();
    let body = quote! {
        #closure
        #copies
        #declare
        let mut #value = ::ad_runtime::unreached::<#out>();
        #assign
        (#value, (#(#all_g),*), (#(#all_h),*))
    };
    let doc = format!(
        "Hessian-vector product of `{}`, generated by `#[derive_grad(hessian)]`: forward mode over \
         the reverse-mode gradient, one pass, with a direction per differentiated parameter \
         (`v0`, `v1`, .. after each).\n\nReturns `(value, gradient, H v)`, the gradient and \
         `H v` one entry per differentiated parameter.",
        f.sig.ident
    );
    let ret = quote!((#out, (#(#tys),*), (#(#tys),*)));
    let mut tokens = item(
        f,
        &names::function(&f.sig.ident, "hvp"),
        &params,
        ret,
        body,
        doc,
    );

    // `NAME_hessian`: one product per component, the directions unit vectors.
    let j = Ident::new("__ad_j", Span::mixed_site());
    let hess = Ident::new("__ad_hess", Span::mixed_site());
    let zero = quote!(::ad_runtime::zero::<#elem>());
    let one = quote!(::ad_runtime::one::<#elem>());
    let mut offset = quote!(0usize);
    let mut setup = TokenStream::new();
    let mut seed = TokenStream::new();
    let mut column = TokenStream::new();
    for n in &names {
        let (v, g, h, size, zero_v) = (&n.v, &n.g, &n.h, n.size(), n.zero());
        setup.extend(quote!(let mut #v = #zero_v;));
        let at = quote!((#j - (#offset)));
        let inside = quote!(#j >= (#offset) && #j < (#offset) + #size);
        match (n.lent, &n.x.len) {
            (Lent::Slice, _) => {
                seed.extend(quote! {
                    #v.fill(#zero);
                    #g.fill(#zero);
                    #h.fill(#zero);
                    if #inside { #v[#at] = #one; }
                });
            }
            (_, Some(_)) => seed.extend(quote! {
                #v = #zero_v;
                if #inside { #v[#at] = #one; }
            }),
            (_, None) => seed.extend(quote! {
                #v = if #j == (#offset) { #one } else { #zero };
            }),
        }
        // The buffers of a parameter behind `&` are added into: zeroed before each pass.
        if n.lent == Lent::Ref {
            seed.extend(quote!(#g = #zero_v; #h = #zero_v;));
        }
        column.extend(if n.lent == Lent::Slice || n.x.len.is_some() {
            quote! {
                for __ad_i in 0..#size {
                    #hess[((#offset) + __ad_i, #j)] = #h[__ad_i];
                }
            }
        } else {
            quote!(#hess[(#offset, #j)] = #h;)
        });
        offset = quote!(#offset + #size);
    }
    let body = quote! {
        #closure
        #declare
        #setup
        let __ad_n = #offset;
        let mut #hess = ::ad_runtime::Jacobian::<#elem>::zeros(__ad_n, __ad_n);
        let mut #value = ::ad_runtime::unreached::<#out>();
        for #j in 0..__ad_n.max(1) {
            #seed
            #assign
            if #j < __ad_n {
                #column
            }
        }
        (#value, (#(#all_g),*), #hess)
    };
    let doc = format!(
        "Hessian of `{}`, generated by `#[derive_grad(hessian)]`: one Hessian-vector product \
         (forward over reverse) per component of the differentiated parameters.\n\nReturns \
         `(value, gradient, H)`: the gradient one entry per differentiated parameter, `H` over \
         the parameters' components in order.",
        f.sig.ident
    );
    let ret = quote!((#out, (#(#tys),*), ::ad_runtime::Jacobian<#elem>));
    tokens.extend(item(
        f,
        &names::function(&f.sig.ident, "hessian"),
        &outer_params(func),
        ret,
        body,
        doc,
    ));
    tokens
}
