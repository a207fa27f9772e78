//! Every name the macro invents is made here.
//!
//! Generated locals and parameters use [`Span::mixed_site`], so they can never collide with, or
//! capture, a user's variable of the same spelling (`dx`, `seed`, `x_bar`, `_t0`): rustc keeps
//! the two apart by hygiene. Among themselves, generated names are kept unique by [`Namer`].
//! Generated functions take the span of the user's function name so they are visible where the
//! function is.

use std::collections::HashSet;

use proc_macro2::{Ident, Span};
use quote::format_ident;

/// Hands out unique hygienic names.
#[derive(Clone, Debug, Default)]
pub struct Namer {
    used: HashSet<String>,
}

impl Namer {
    /// A hygienic name spelled `base`, or `base_2`, `base_3`, .. if taken.
    pub fn fresh(&mut self, base: &str) -> Ident {
        let mut name = base.to_owned();
        let mut k = 2;
        // A keyword (`do`, the tangent of `o`) is no identifier: take the next spelling.
        while is_keyword(&name) || !self.used.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        Ident::new(&name, Span::mixed_site())
    }

    /// Marks every identifier in `tokens` as taken: for a transform run over generated code,
    /// whose names share this expansion's hygiene.
    pub fn reserve(&mut self, tokens: proc_macro2::TokenStream) {
        for t in tokens {
            match t {
                proc_macro2::TokenTree::Ident(i) => {
                    self.used.insert(plain(&i));
                }
                proc_macro2::TokenTree::Group(g) => self.reserve(g.stream()),
                _ => {}
            }
        }
    }

    /// A temporary: `_t3`.
    pub fn temp(&mut self) -> Ident {
        let k = self.used.len();
        self.fresh(&format!("_t{k}"))
    }

    /// A new version of a reassigned or shadowed user variable: `y_1`.
    pub fn version(&mut self, name: &Ident, k: usize) -> Ident {
        self.fresh(&format!("{}_{k}", plain(name)))
    }

    /// The tangent of a value: `dx`.
    pub fn tangent(&mut self, primal: &Ident) -> Ident {
        self.fresh(&format!("d{}", plain(primal)))
    }

    /// The adjoint (cotangent) of a value: `x_bar`.
    pub fn adjoint(&mut self, primal: &Ident) -> Ident {
        self.fresh(&format!("{}_bar", plain(primal)))
    }

    /// A copy of an inactive mutable operand, taken for the reverse sweep.
    pub fn snapshot(&mut self, primal: &Ident) -> Ident {
        self.fresh(&format!("{}_then", plain(primal)))
    }

    /// The partial derivatives of one definition: `y_partials`.
    pub fn partials(&mut self, primal: &Ident) -> Ident {
        self.fresh(&format!("{}_partials", plain(primal)))
    }

    /// The seed of a reverse pass.
    pub fn seed(&mut self) -> Ident {
        self.fresh("seed")
    }

    /// A name for a `_` parameter.
    pub fn unnamed_param(&mut self) -> Ident {
        self.fresh("_arg")
    }
}

/// The generated function `f_tangent`, `f_vjp`, `f_grad`.
pub fn function(name: &Ident, suffix: &str) -> Ident {
    format_ident!("{}_{}", plain(name), suffix, span = name.span())
}

/// A user's identifier from its text, `x` or `r#type` (a raw identifier, which `Ident::new`
/// refuses), with the user's hygiene (`Span::call_site`).
pub fn user(text: &str) -> Ident {
    match text.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(text, Span::call_site()),
    }
}

/// Whether `name` is a Rust keyword, which `Ident::new` would accept and the parser would not.
fn is_keyword(name: &str) -> bool {
    // The words syn refuses as identifiers (strict and reserved keywords), and `gen` (reserved
    // in edition 2024). A list, not a parse: this runs for every generated name.
    matches!(
        name,
        "_" | "abstract"
            | "as"
            | "async"
            | "await"
            | "become"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "final"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "macro"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "override"
            | "priv"
            | "pub"
            | "ref"
            | "return"
            | "Self"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "typeof"
            | "unsafe"
            | "unsized"
            | "use"
            | "virtual"
            | "where"
            | "while"
            | "yield"
    )
}

/// The spelling of an identifier without `r#`.
pub fn plain(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// The associated function of the anchor that stands for the companion with `suffix`
/// (`_derive_grad`: `g__derive_grad` is reached as `g::__derive_grad`).
pub fn forwarder(suffix: &str) -> Ident {
    format_ident!("_{}", suffix)
}

#[cfg(test)]
mod tests {
    use super::is_keyword;

    /// The list says what syn says: every word but `gen` on it is refused as an identifier, and
    /// the spellings the transforms make of short names are accepted.
    #[test]
    fn keywords_are_what_syn_refuses() {
        let words = [
            "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue",
            "crate", "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "if",
            "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override",
            "priv", "pub", "ref", "return", "Self", "self", "static", "struct", "super", "trait",
            "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where",
            "while", "yield",
        ];
        for w in words {
            assert!(is_keyword(w), "{w}");
            assert!(syn::parse_str::<syn::Ident>(w).is_err(), "{w}");
        }
        for w in [
            "dx",
            "di",
            "_t0",
            "x_bar",
            "dself",
            "union",
            "macro_rules",
            "d_t3",
            "de",
        ] {
            assert!(!is_keyword(w), "{w}");
            assert!(syn::parse_str::<syn::Ident>(w).is_ok(), "{w}");
        }
    }
}
