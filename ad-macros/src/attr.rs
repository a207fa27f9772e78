//! The macros' arguments: `#[derive_grad]` or `#[derive_grad(wrt(a, b))]`.

use proc_macro2::{Ident, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Token, parenthesized};

/// Parsed macro arguments.
#[derive(Debug, Default)]
pub struct Args {
    /// `wrt(a, b)`: exactly these parameters are active.
    pub wrt: Option<Vec<Ident>>,
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
                let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
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
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{key}`: the only argument is `wrt(a, b, ..)`, the parameters to differentiate"
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
