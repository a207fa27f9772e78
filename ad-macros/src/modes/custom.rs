//! User rules: `#[custom_tangent(rule)]` and `#[custom_grad(rule)]`, after JAX's `custom_jvp` and
//! `custom_vjp`.
//!
//! The macro does not look into the function's body: the user's `rule` computes the derivative,
//! with exactly the signature the derivative macros would generate (SPEC §4). The macro writes
//! `f_tangent` (or `f_vjp` and `f_grad`) and the hidden companions that callers use around it,
//! so annotated code calls `f` as if the macro had differentiated it.
//!
//! Input:  `#[custom_grad(lse_vjp)] fn lse(a: f64, b: f64) -> f64 { .. }`
//! Output: `fn lse_vjp(a, b, seed) -> (f64, (f64, f64)) { lse_vjp_rule(a, b, seed) }` (named after
//!         the function), `fn lse_grad(a, b)`, and `lse__derive_grad` for callers.

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, Path, Type};

use crate::emit::companion::{companion_jvp, companion_vjp};
use crate::emit::item::wrap;
use crate::errors::Errors;
use crate::front::Mode;
use crate::front::parse::{check_signature, is_float_shaped, parse_fn};
use crate::front::sig::{self, FloatTypes, SigParam};
use crate::ir::{CallShape, Generated};
use crate::names::Namer;

/// Whether the rule is the generated function itself (`#[custom_grad(f_vjp)]` on `fn f`).
fn names_itself(rule: &Path, f: &ItemFn, suffix: &str) -> bool {
    rule.get_ident()
        .is_some_and(|r| *r == crate::names::function(&f.sig.ident, suffix))
}

/// The rule named in the attribute.
fn rule(mode: Mode, args: TokenStream) -> syn::Result<RuleArgs> {
    let name = mode.attribute();
    let bare = name.trim_start_matches("#[").trim_end_matches(']');
    let what = if mode == Mode::CustomTangent {
        "`fn rule(x: f64, dx: f64, ..) -> (value, tangent)`, the signature `#[derive_tangent]` would write"
    } else {
        "`fn rule(x: f64, .., seed) -> (value, adjoints)`, the signature of `_vjp` that `#[derive_grad]` would write"
    };
    if args.is_empty() {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            format!(
                "{name} needs the function that computes the derivative: `{name}(my_rule)`, where `my_rule` is {what}"
            ),
        ));
    }
    let has_option = args
        .clone()
        .into_iter()
        .any(|t| matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ','));
    syn::parse2::<RuleArgs>(args.clone())
        .map_err(|e| {
            if has_option {
                return e;
            }
            syn::Error::new_spanned(
                &args,
                format!("{name} takes one function path, the rule: `#[{bare}(my_rule)]`, where `my_rule` is {what}"),
            )
        })
        .and_then(|r| match r.adjoint {
            Some((key, _)) if mode == Mode::CustomTangent => Err(syn::Error::new_spanned(
                key,
                "`adjoint = ..` is an option of `#[custom_grad]`, not of `#[custom_tangent]`",
            )),
            _ => Ok(r),
        })
}

/// `rule` or `rule, adjoint = composed_rule`: the second is what a caller's reverse sweep calls
/// (it need not write the function's `&mut` outputs, which that caller discards).
struct RuleArgs {
    rule: Path,
    adjoint: Option<(Ident, Path)>,
}

impl syn::parse::Parse for RuleArgs {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let rule: Path = input.parse()?;
        let mut adjoint = None;
        if input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "adjoint" {
                return Err(syn::Error::new_spanned(
                    key,
                    "unknown option: the one option of `#[custom_grad]` is `adjoint = rule`, \
                     the rule a differentiated caller's reverse sweep calls (it need not write \
                     the function's `&mut` outputs, which that caller discards)",
                ));
            }
            input.parse::<syn::Token![=]>()?;
            adjoint = Some((key, input.parse()?));
            input.parse::<Option<syn::Token![,]>>()?;
        }
        Ok(RuleArgs { rule, adjoint })
    }
}

/// Expands a user rule: the derivative functions forward to the rule.
pub fn generate(mode: Mode, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let name = mode.attribute();
    let f: ItemFn = parse_fn(item, name)?;
    let c = read(mode, args, &f)?;
    Ok(match mode {
        Mode::CustomTangent => c.tangent(&f),
        _ => c.grad(&f),
    })
}

/// What the generated functions are built from: the rule, the function's parameters and output.
struct Custom {
    rule: Path,
    /// The rule a caller's reverse sweep calls instead (`adjoint = ..`).
    adjoint: Option<Path>,
    params: Vec<SigParam>,
    out_ty: Option<Type>,
    floats: FloatTypes,
    namer: Namer,
    /// The active parameters, for the docs: `` `x`, `y` ``.
    active: Vec<String>,
}

/// The rule and the signature, or every error found in them.
fn read(mode: Mode, args: TokenStream, f: &ItemFn) -> syn::Result<Custom> {
    let name = mode.attribute();
    let mut errors = Errors::default();
    let rule = match rule(mode, args) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    check_signature(f, name, &mut errors);
    let floats = FloatTypes::of(&f.sig);
    let mut namer = Namer::default();
    let params = sig::params(
        &f.sig,
        &crate::front::attr::Args::default(),
        &floats,
        name,
        &mut namer,
        &mut errors,
    );
    let out_ty = sig::output(&f.sig);
    if let Some(ty) = &out_ty
        && !is_float_shaped(ty, &floats)
    {
        errors.spanned(
            ty,
            format!(
                "{name}: the output `{}` is not a float, a tuple of floats or an array",
                crate::errors::show_type(ty)
            ),
        );
    }
    errors.finish()?;
    let RuleArgs { rule, adjoint } = rule.expect("no error, so the rule parsed");
    let adjoint = adjoint.map(|(_, p)| p);
    let active: Vec<String> = params
        .iter()
        .filter(|p| p.active)
        .map(|p| format!("`{}`", p.ident))
        .collect();
    Ok(Custom {
        rule,
        adjoint,
        params,
        out_ty,
        floats,
        namer,
        active,
    })
}

/// A generated function's parameters, the arguments it forwards to the rule, and its shape as a
/// callee.
struct Forwarded {
    params: Vec<TokenStream>,
    args: Vec<TokenStream>,
    call: CallShape,
}

/// Each parameter forwarded as it is; `derivative` adds what follows it (a tangent or shadow).
fn forward_params(
    params: &[SigParam],
    mut derivative: impl FnMut(&SigParam, &mut Forwarded),
) -> Forwarded {
    let mut out = Forwarded {
        params: Vec::new(),
        args: Vec::new(),
        call: CallShape::default(),
    };
    for p in params {
        let (ident, ty) = (&p.ident, &p.ty);
        out.params.push(quote!(#ident: #ty));
        out.args.push(ident.to_token_stream());
        out.call
            .args
            .push((ident.to_token_stream(), ty.to_token_stream()));
        out.call
            .note(p.active, p.kind, &p.elem, sig::row_of(p.kind, &p.ty));
        derivative(p, &mut out);
    }
    out
}

impl Custom {
    /// `#[custom_tangent(rule)]`: `f_tangent` calling the rule, and the companion.
    fn tangent(mut self, f: &ItemFn) -> TokenStream {
        let (rule, span) = (&self.rule, self.rule.span());
        let namer = &mut self.namer;
        let mut out = TokenStream::new();
        let forwarded = forward_params(&self.params, |p, o| {
            if p.active {
                let d = namer.tangent(&p.ident);
                let dty = sig::tangent_type(p.kind, &p.ty, &p.elem);
                o.params.push(quote!(#d: #dty));
                o.args.push(d.to_token_stream());
                o.call.tangents.push(Some(d));
            } else {
                o.call.tangents.push(None);
            }
        });
        let Forwarded {
            params: params_out,
            args: forwarded,
            mut call,
        } = forwarded;
        call.dense = true;
        let ret = match &self.out_ty {
            Some(t) => quote!((#t, #t)),
            None => quote!(()),
        };
        let body = quote_spanned!(span=> #rule(#(#forwarded),*));
        let g = Generated {
            params: params_out,
            ret,
            body,
            call,
        };
        let hidden = companion_jvp(f, &g);
        let doc = format!(
            "Forward-mode derivative of `{}`, computed by the user rule `{}` (`#[custom_tangent]`).\n\n\
             Each active parameter ({}) is followed by its tangent; returns `(value, tangent)`.",
            f.sig.ident,
            crate::errors::show(rule),
            self.active.join(", ")
        );
        // A rule already called `f_tangent` is the function itself: only the companion is new.
        if !names_itself(rule, f, "tangent") {
            out.extend(wrap(f, "tangent", g, doc));
        }
        // The hidden companion after what users call, as in every mode.
        out.extend(hidden);
        out
    }

    /// `#[custom_grad(rule)]`: `f_vjp` and (for a float output) `f_grad` calling the rule, and
    /// the companion.
    fn grad(mut self, f: &ItemFn) -> TokenStream {
        let (rule, span) = (&self.rule, self.rule.span());
        let mut out = TokenStream::new();
        let mut hidden = TokenStream::new();
        for (suffix, seeded) in [("vjp", true), ("grad", false)] {
            let out_ty = self.out_ty.clone();
            match &out_ty {
                // A function returning `()` (it writes `&mut` slices) has only `_vjp`, without
                // a seed: the shadows of what it writes carry the cotangents.
                None if !seeded => break,
                Some(t) if !seeded && !self.floats.is_float(t) => break,
                _ => {}
            }
            let namer = &mut self.namer;
            let forwarded = forward_params(&self.params, |p, o| {
                o.call.returned.push(p.active && p.kind.by_value());
                if p.active
                    && let Some(shadow_ty) = sig::shadow_type(p.kind, &p.ty, &p.elem)
                {
                    let d = namer.tangent(&p.ident);
                    o.params.push(quote!(#d: #shadow_ty));
                    o.args.push(d.to_token_stream());
                    o.call.shadows.resize(o.call.args.len() - 1, None);
                    o.call.shadows.push(Some(d));
                }
            });
            let Forwarded {
                params: mut params_out,
                args: forwarded,
                mut call,
            } = forwarded;
            call.dense = true;
            let seed: Ident = self.namer.seed();
            if seeded && let Some(out_t) = &out_ty {
                params_out.push(quote!(#seed: #out_t));
                call.seed = Some(seed.clone());
            }
            let body_with = |rule: &Path| -> TokenStream {
                match &out_ty {
                    Some(_) if seeded => quote_spanned!(span=> #rule(#(#forwarded,)* #seed)),
                    Some(out_t) => quote_spanned! {span=>
                        let #seed: #out_t = ::ad_runtime::one::<#out_t>();
                        #rule(#(#forwarded,)* #seed)
                    },
                    None => quote_spanned!(span=> #rule(#(#forwarded),*)),
                }
            };
            let body = body_with(rule);
            // What a caller's reverse sweep calls: the `adjoint = ..` rule when there is one.
            let composed = body_with(self.adjoint.as_ref().unwrap_or(rule));
            let grads: Vec<_> = self
                .params
                .iter()
                .filter(|p| p.active && p.kind.by_value())
                .map(|p| p.ty.clone())
                .collect();
            let ret = match (&out_ty, grads.len()) {
                (Some(out_t), 0) => quote!(#out_t),
                (Some(out_t), 1) => {
                    let g = &grads[0];
                    quote!((#out_t, #g))
                }
                (Some(out_t), _) => quote!((#out_t, (#(#grads,)*))),
                // Without a result, `_vjp` returns only the adjoints (SPEC §4).
                (None, 0) => quote!(()),
                (None, 1) => {
                    let g = &grads[0];
                    quote!(#g)
                }
                (None, _) => quote!((#(#grads,)*)),
            };
            let g = Generated {
                params: params_out,
                ret,
                body,
                call,
            };
            if seeded {
                let mut c = g.clone();
                c.body = composed;
                hidden.extend(companion_vjp(f, &c));
            }
            let doc = format!(
                "{} of `{}`, computed by the user rule `{}` (`#[custom_grad]`){}.",
                if seeded {
                    "Reverse-mode derivative (vector-Jacobian product)"
                } else {
                    "Gradient"
                },
                f.sig.ident,
                crate::errors::show(rule),
                match (&out_ty, seeded) {
                    (None, _) => "; the shadows of the slices it writes carry their cotangents in",
                    (Some(_), true) => "; the last parameter is the output's seed",
                    (Some(_), false) => ", seeded with 1",
                }
            );
            if !names_itself(rule, f, suffix) {
                out.extend(wrap(f, suffix, g, doc));
            }
        }
        out.extend(hidden);
        out
    }
}
