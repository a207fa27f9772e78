//! Small questions about syn patterns and tokens, asked by the front (struct values) and by the
//! lowering (`lower/syntax.rs` re-exports them).

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::Pat;

/// The identifiers a pattern binds.
pub fn pattern_names(pat: &Pat) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut n = Names(Vec::new());
    syn::visit::Visit::visit_pat(&mut n, pat);
    n.0
}

/// Whether a macro path names `vec!`: `vec`, `alloc::vec` or `std::vec` (as a `no_std` crate
/// writes it without importing the macro), and `::ad_runtime::__alloc::vec` (as generated code
/// writes it, read again when the Hessian mode differentiates reverse-mode code).
pub fn is_vec_macro(path: &syn::Path) -> bool {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        names.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["vec"] | ["alloc" | "std", "vec"] | ["ad_runtime", "__alloc", "vec"]
    )
}

/// Every identifier in `tokens`, at any depth.
pub fn collect_idents(tokens: &TokenStream) -> HashSet<String> {
    let mut out = HashSet::new();
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => out.extend(collect_idents(&g.stream())),
            _ => {}
        }
    }
    out
}
