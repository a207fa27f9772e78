//! The macros' arguments: `#[derive_grad]` or `#[derive_grad(wrt(a, b))]`.

use proc_macro2::{Ident, Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Token, parenthesized};

/// Parsed macro arguments.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// `wrt(a, b)`: exactly these parameters are active.
    pub wrt: Option<Vec<Ident>>,
    /// `#[derive_jacobian(forward)]` or `(reverse)`: the mode, instead of the one the shapes pick.
    pub pick: Option<(Pick, Span)>,
    /// `#[derive_jacobian(lanes = 8)]`: tangents per forward pass.
    pub lanes: Option<(usize, Span)>,
    /// `#[derive_jacobian(sparse)]`: also `NAME_sparsity` and `NAME_jacsparse`; with
    /// `#[derive_grad(hessian, sparse)]`, `NAME_hessian_sparsity` and `NAME_hessian_sparse`.
    pub sparse: Option<Span>,
    /// `#[derive_grad(hessian)]`: also `NAME_hvp` and `NAME_hessian`, forward over reverse.
    pub hessian: Option<Span>,
    /// `#[derive_grad(second_order)]` (implied by `hessian`): also the second-order companions
    /// a caller's Hessian runs through this function.
    pub second_order: Option<Span>,
    /// `#[derive_grad(checkpoint)]`: long loops keep `O(sqrt(n))` values, not `O(n)`.
    pub checkpoint: Option<Span>,
    /// `#[derive_grad(checkpoint(snapshots = s))]`: at most `s` states, by a binomial schedule.
    pub snapshots: Option<syn::Expr>,
    /// Set by `#[derive_grad(hessian)]`, never parsed: the function is reverse-mode code being
    /// differentiated again, so its calls go to the callees' second-order companions.
    pub of_reverse_code: bool,
    /// Set by `NAME_hvp` and `NAME_hessian`, never parsed: the first output of the reverse-mode
    /// code (the function's value) needs no tangent, since they return only the gradient's.
    pub value_tangent_unused: bool,
    /// Set by `#[derive_grad(hessian)]`'s first pass, never parsed: a call of a function of the
    /// same file that is given a slice, or returns an array or a tuple, is inlined
    /// (`lower/same_file.rs`).
    pub inline_calls: bool,
}

/// A mode asked for by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// Vector forward mode.
    Forward,
    /// Reverse mode.
    Reverse,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `wrt(a, b, ..)`, the parameters to differentiate",
                )
            })?;
            if key == "wrt" {
                if args.wrt.is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        "`wrt` is given twice: list every parameter in one `wrt(..)`",
                    ));
                }
                let content;
                parenthesized!(content in input);
                // `self` is a keyword, and a parameter of a method (`wrt(self, x)`).
                let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                    &content,
                    Ident::parse_any,
                )?;
                if names.is_empty() {
                    return Err(syn::Error::new(
                        key.span(),
                        "`wrt()` names no parameter: list the parameters to differentiate, e.g. `wrt(x, y)`",
                    ));
                }
                let names: Vec<Ident> = names.into_iter().collect();
                for (i, n) in names.iter().enumerate() {
                    if names[..i].contains(n) {
                        return Err(syn::Error::new(
                            n.span(),
                            format!("`{n}` is listed twice in `wrt(..)`"),
                        ));
                    }
                }
                args.wrt = Some(names);
            } else if key == "forward" || key == "reverse" {
                if args.pick.is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        "the mode is given twice: write one of `forward` and `reverse`",
                    ));
                }
                let pick = if key == "forward" {
                    Pick::Forward
                } else {
                    Pick::Reverse
                };
                args.pick = Some((pick, key.span()));
            } else if key == "checkpoint" {
                if args.checkpoint.is_some() {
                    return Err(syn::Error::new(key.span(), "`checkpoint` is given twice"));
                }
                args.checkpoint = Some(key.span());
                if input.peek(syn::token::Paren) {
                    let content;
                    parenthesized!(content in input);
                    let name: Ident = content.parse()?;
                    if name != "snapshots" {
                        return Err(syn::Error::new(
                            name.span(),
                            format!(
                                "unknown checkpoint argument `{name}`: write `checkpoint` (states \
                                 every sqrt(n) steps) or `checkpoint(snapshots = s)` (at most `s` \
                                 states, binomial schedule)"
                            ),
                        ));
                    }
                    content.parse::<Token![=]>()?;
                    let e: syn::Expr = content.parse()?;
                    if let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Int(i),
                        ..
                    }) = &e
                        && i.base10_parse::<usize>().is_ok_and(|n| n == 0)
                    {
                        return Err(syn::Error::new(
                            i.span(),
                            "`snapshots = 0` keeps no state: the schedule needs at least the \
                             loop's first (1 state reverses n steps with n² / 2 steps run again)",
                        ));
                    }
                    args.snapshots = Some(e);
                    if !content.is_empty() {
                        return Err(content.error("expected `)` after `snapshots = s`"));
                    }
                }
            } else if key == "sparse" {
                if args.sparse.is_some() {
                    return Err(syn::Error::new(key.span(), "`sparse` is given twice"));
                }
                args.sparse = Some(key.span());
            } else if key == "hessian" {
                if args.hessian.is_some() {
                    return Err(syn::Error::new(key.span(), "`hessian` is given twice"));
                }
                args.hessian = Some(key.span());
            } else if key == "second_order" {
                if args.second_order.is_some() {
                    return Err(syn::Error::new(key.span(), "`second_order` is given twice"));
                }
                args.second_order = Some(key.span());
            } else if key == "lanes" {
                input.parse::<Token![=]>()?;
                let k: syn::LitInt = input.parse()?;
                let n: usize = k.base10_parse()?;
                if !(1..=64).contains(&n) {
                    return Err(syn::Error::new(
                        k.span(),
                        "`lanes` is the number of tangents per forward pass: give 1 to 64 (4 or 8 \
                         suit most machines)",
                    ));
                }
                args.lanes = Some((n, k.span()));
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{key}`: the only argument is `wrt(a, b, ..)`, the parameters to differentiate (and `hessian`, `hessian, sparse`, `second_order`, `checkpoint`, `checkpoint(snapshots = s)` for `#[derive_grad]`; `forward`, `reverse`, `lanes = K`, `sparse` for `#[derive_jacobian]`)"
                    ),
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// Parses the attribute's tokens.
pub fn parse(tokens: TokenStream) -> syn::Result<Args> {
    Args::parse.parse2(tokens)
}

/// Whether an attribute is one of this crate's macros (`derive_grad`, `ad_runtime::derive_grad`,
/// ..), or, with `docs`, also `doc` or `test`.
pub fn is_ours(a: &Attribute, docs: bool) -> bool {
    const OURS: &[&str] = &[
        "derive_tangent",
        "derive_grad",
        "derive_jacobian",
        "custom_tangent",
        "custom_grad",
    ];
    a.path().segments.last().is_some_and(|s| {
        OURS.iter().any(|o| s.ident == o) || (docs && (s.ident == "doc" || s.ident == "test"))
    })
}
