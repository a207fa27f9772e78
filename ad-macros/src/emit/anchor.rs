//! Anchors: how `use m::g; .. g(x)` reaches `g`'s companions without another import.
//!
//! `use m::g` imports every item named `g` in `m`, in each namespace. So next to a free function
//! `g` the macros put a hidden empty struct `g` (the type namespace; the function lives in the
//! value namespace), and one `impl g` per companion that forwards to it:
//!
//! Input:  `#[derive_grad] pub fn g(x: f64) -> f64 { .. }`
//! Output: `pub struct g {}` and `impl g { pub fn __derive_grad(..) { g__derive_grad(..) } }`
//!
//! A caller that names its callee by one identifier, `g(x)`, calls `g::__derive_grad`, which
//! resolves wherever `g` does. Longer paths (`m::g`, `Self::g`) keep `m::g__derive_grad`, which
//! also reaches associated functions.
//!
//! An `impl` cannot hold a struct, and the attribute cannot see where its function stands. A
//! method with a receiver or naming `Self` is associated; otherwise the macro reads the source
//! file the function is in (`Span::local_file`) and looks it up: a function found only inside
//! `impl` or `trait` blocks gets no anchor. A function the file does not show (written by another
//! macro, or in a doctest) is taken as free unless it names `Self`.

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::quote;
use syn::ItemFn;
use syn::ext::IdentExt;
use syn::visit::Visit;

/// The anchor struct for the function `f`, written by the last of this crate's attributes on
/// it; nothing for an associated function.
pub fn anchor(f: &ItemFn) -> TokenStream {
    // The last of this crate's attributes on the function writes the struct.
    let last = !f
        .attrs
        .iter()
        .any(|a| crate::front::attr::is_ours(a, false));
    if !last || !is_free(f) {
        return TokenStream::new();
    }
    let (name, vis) = (&f.sig.ident, &f.vis);
    let doc = format!(
        "Hidden: lets `use` statements that import `{}` bring its derivatives along.",
        name.unraw()
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}
    }
}

/// `impl g { pub fn __derive_grad SIG { g__derive_grad(ARGS) } }`: the way to the companion
/// `g__derive_grad` (of signature `sig`, everything after its name, and parameters `args`) through
/// the anchor. Nothing for an associated function.
pub fn forward(f: &ItemFn, suffix: &str, sig: &TokenStream, args: &[&Ident]) -> TokenStream {
    if !is_free(f) {
        return TokenStream::new();
    }
    let name = &f.sig.ident;
    let companion = crate::names::function(name, suffix);
    let forwarder = crate::names::forwarder(suffix);
    let turbofish = const_turbofish(sig);
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, clippy::all, clippy::pedantic)]
        impl #name {
            #[doc(hidden)]
            #[inline(always)]
            pub fn #forwarder #sig {
                #companion #turbofish(#(#args),*)
            }
        }
    }
}

/// `::<K, T, ..>`, the type and const parameters of `sig` in order, when it has a const
/// parameter (`fn g<const K: usize>(v: &[f64])`: `K` may appear in no parameter's type, so the
/// call cannot infer it); nothing otherwise.
fn const_turbofish(sig: &TokenStream) -> TokenStream {
    let Ok(parsed) = syn::parse2::<syn::Signature>(quote!(fn __ad_sig #sig)) else {
        return TokenStream::new();
    };
    let params = &parsed.generics.params;
    if !params
        .iter()
        .any(|p| matches!(p, syn::GenericParam::Const(_)))
    {
        return TokenStream::new();
    }
    let names = params.iter().filter_map(|p| match p {
        syn::GenericParam::Type(t) => Some(&t.ident),
        syn::GenericParam::Const(c) => Some(&c.ident),
        syn::GenericParam::Lifetime(_) => None,
    });
    quote!(::<#(#names),*>)
}

/// `impl ad_runtime::SecondOrder for g {}`: the anchor says its function has second-order
/// companions, which a caller's Hessian asserts (`Callee::second_order_check`). Nothing for an
/// associated function.
pub fn second_order(f: &ItemFn) -> TokenStream {
    if !is_free(f) {
        return TokenStream::new();
    }
    let name = &f.sig.ident;
    quote! {
        #[doc(hidden)]
        impl ::ad_runtime::SecondOrder for #name {}
    }
}

/// Where a function stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Outside any `impl` or `trait` (in a module or a block).
    Free,
    /// In an inherent `impl`, or a `trait` definition.
    Associated,
    /// In `impl Trait for Type`, which cannot hold the derivatives.
    TraitImpl,
}

/// Whether the function stands outside any `impl` or `trait` block.
pub fn is_free(f: &ItemFn) -> bool {
    if f.sig.receiver().is_some() {
        return false;
    }
    if proc_macro::is_available()
        && let Some(place) = from_source(&f.sig.ident)
    {
        return place == Place::Free;
    }
    !mentions_self(&quote!(#f))
}

/// Whether the source file shows the function inside `impl Trait for Type`: the generated
/// functions cannot stand there (a trait impl holds only the trait's items).
pub fn in_trait_impl(f: &ItemFn) -> bool {
    proc_macro::is_available() && from_source(&f.sig.ident) == Some(Place::TraitImpl)
}

/// Whether `Self` appears anywhere in the tokens.
fn mentions_self(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == "Self",
        TokenTree::Group(g) => mentions_self(&g.stream()),
        _ => false,
    })
}

/// Where the functions of a source file stand, by name, in the order they are written.
type Places = HashMap<String, Vec<Place>>;

/// Where the function named `ident` stands, from the source file it is written in: `None` when
/// the file cannot be read or parsed, or does not show this function.
fn from_source(ident: &Ident) -> Option<Place> {
    let name = ident.unraw().to_string();
    let line = ident.span().unwrap().line();
    crate::source::with_source(ident, places, |text, places| {
        let kinds = places.get(&name)?;
        verdict(kinds).or_else(|| by_line(kinds, &fn_lines(text, &name), line))
    })
}

/// One answer when every function of a name stands alike.
fn verdict(kinds: &[Place]) -> Option<Place> {
    let first = *kinds.first()?;
    kinds.iter().all(|&k| k == first).then_some(first)
}

/// When functions of one name stand both ways: the one defined on `line`, pairing the functions
/// the parser found with the lines where `fn NAME` is written, in order. `None` when these do not
/// pair up (the text shows `fn NAME` in a comment or a macro, say).
fn by_line(kinds: &[Place], lines: &[usize], line: usize) -> Option<Place> {
    if kinds.len() != lines.len() {
        return None;
    }
    let k = lines.iter().position(|&l| l == line)?;
    Some(kinds[k])
}

/// The (1-based) lines where `fn NAME` is written, once per occurrence.
fn fn_lines(text: &str, name: &str) -> Vec<usize> {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("fn") {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + 2..];
            rest = after;
            if before.is_some_and(ident) || !after.starts_with(char::is_whitespace) {
                continue;
            }
            let word = after.trim_start();
            let word = word.strip_prefix("r#").unwrap_or(word);
            if word
                .strip_prefix(name)
                .is_some_and(|tail| !tail.starts_with(ident))
            {
                lines.push(i + 1);
            }
        }
    }
    lines
}

/// Every function of a source file, and where it stands.
fn places(file: &syn::File) -> Places {
    struct Walk {
        places: Places,
        /// Inside `impl Trait for Type` (the innermost `impl`).
        trait_impl: bool,
    }
    impl Walk {
        fn record(&mut self, ident: &Ident, place: Place) {
            let name = ident.unraw().to_string();
            self.places.entry(name).or_default().push(place);
        }
    }
    impl<'ast> Visit<'ast> for Walk {
        fn visit_item_fn(&mut self, f: &'ast ItemFn) {
            self.record(&f.sig.ident, Place::Free);
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
            let outer = std::mem::replace(&mut self.trait_impl, i.trait_.is_some());
            syn::visit::visit_item_impl(self, i);
            self.trait_impl = outer;
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            let place = if self.trait_impl {
                Place::TraitImpl
            } else {
                Place::Associated
            };
            self.record(&f.sig.ident, place);
            syn::visit::visit_impl_item_fn(self, f);
        }
        fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
            self.record(&f.sig.ident, Place::Associated);
            syn::visit::visit_trait_item_fn(self, f);
        }
    }
    let mut walk = Walk {
        places: HashMap::new(),
        trait_impl: false,
    };
    walk.visit_file(file);
    walk.places
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_attribute_writes_the_struct() {
        let a = anchor(&syn::parse_quote!(
            #[derive_tangent]
            fn g(x: f64) -> f64 {
                x * x
            }
        ));
        assert!(a.is_empty(), "{a}");
        let a = anchor(&syn::parse_quote!(
            #[inline]
            fn g(x: f64) -> f64 {
                x * x
            }
        ));
        assert!(!a.is_empty());
    }

    #[test]
    fn methods_and_functions_naming_self_are_associated() {
        let method: ItemFn = syn::parse_quote!(
            fn g(&self, x: f64) -> f64 {
                x
            }
        );
        let assoc: ItemFn = syn::parse_quote!(
            fn g(x: f64) -> Self {
                todo!()
            }
        );
        let free: ItemFn = syn::parse_quote!(
            fn g(x: f64) -> f64 {
                x
            }
        );
        assert!(!is_free(&method));
        assert!(!is_free(&assoc));
        assert!(is_free(&free));
    }

    #[test]
    fn the_source_file_tells_free_from_associated() {
        let text = "
            fn a() {}
            impl S { fn b() {} fn c() { fn d() {} } }
            trait T { fn e() {} }
            mod m { fn b() {} }
            fn r#type() {}
            impl T for S { fn e() { impl U { fn f() {} } } }
        ";
        let p = places(&syn::parse_file(text).unwrap());
        use Place::*;
        assert_eq!(verdict(&p["a"]), Some(Free));
        assert_eq!(verdict(&p["b"]), None, "both kinds: no answer");
        assert_eq!(verdict(&p["c"]), Some(Associated));
        assert_eq!(
            verdict(&p["d"]),
            Some(Free),
            "a function inside a method body is free"
        );
        assert_eq!(p["e"], [Associated, TraitImpl]);
        assert_eq!(
            verdict(&p["f"]),
            Some(Associated),
            "an inherent impl in a trait method"
        );
        assert_eq!(verdict(&p["type"]), Some(Free));
        // `b` is associated on line 3 and free on line 5.
        let lines = fn_lines(text, "b");
        assert_eq!(lines, [3, 5]);
        assert_eq!(by_line(&p["b"], &lines, 3), Some(Associated));
        assert_eq!(by_line(&p["b"], &lines, 5), Some(Free));
        assert_eq!(by_line(&p["e"], &fn_lines(text, "e"), 7), Some(TraitImpl));
        assert_eq!(fn_lines(text, "type"), [6]);
        assert_eq!(fn_lines("fn bb() {} // fn b\nfn b_() {}", "b"), [1]);
        // A mention in a comment breaks the pairing: no answer.
        assert_eq!(by_line(&p["b"], &[1, 3, 5], 3), None);
    }
}
