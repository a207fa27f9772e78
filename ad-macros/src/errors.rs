//! Collects every error of one function so the user sees them all at once.

use proc_macro2::Span;
use quote::ToTokens;

/// An error sink: passes keep going after an error and report the rest too.
#[derive(Default)]
pub struct Errors {
    list: Vec<syn::Error>,
    /// Written before every message recorded by `at` and `spanned` (`"#[derive_grad]: "`).
    prefix: String,
}

impl Errors {
    /// A sink whose messages start with `prefix` (the macro's name, for passes that do not
    /// know it).
    pub fn prefixed(prefix: impl Into<String>) -> Self {
        Errors {
            list: Vec::new(),
            prefix: prefix.into(),
        }
    }

    /// Records an error at `span`.
    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        let message = format!("{}{message}", self.prefix);
        self.list.push(syn::Error::new(span, message));
    }

    /// Records an error covering the tokens of `node`.
    pub fn spanned(&mut self, node: impl quote::ToTokens, message: impl std::fmt::Display) {
        let message = format!("{}{message}", self.prefix);
        self.list.push(syn::Error::new_spanned(node, message));
    }

    /// Records an error already built.
    pub fn push(&mut self, error: syn::Error) {
        self.list.push(error);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Takes over the errors of another sink.
    pub fn extend(&mut self, other: Errors) {
        self.list.extend(other.list);
    }

    /// All errors combined into one, if any.
    pub fn finish(self) -> Result<(), syn::Error> {
        let mut iter = self.list.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in iter {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}

/// A type for a message: `Option<f64>`, not `Option < f64 >`.
pub fn show_type(ty: &syn::Type) -> String {
    let mut s = show(ty);
    for (from, to) in [(" <", "<"), ("< ", "<"), (" >", ">"), (" ;", ";")] {
        s = s.replace(from, to);
    }
    s
}

/// Code for a message, without the spaces token printing puts everywhere.
pub fn show(node: &impl ToTokens) -> String {
    let mut s = node.to_token_stream().to_string();
    for (from, to) in [
        (" [", "["),
        (" (", "("),
        (" .", "."),
        (". ", "."),
        ("& ", "&"),
        (" !", "!"),
        (" ,", ","),
        (" :: ", "::"),
        (":: ", "::"),
    ] {
        s = s.replace(from, to);
    }
    s
}
