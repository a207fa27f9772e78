//! What generated code may name (SPEC §10, `no_std`). The tokens the macros write into a user's
//! crate reach `core` items as `::core::..` and `alloc` items through the runtime,
//! `::ad_runtime::__alloc::..`, so that they resolve in a `#![no_std]` crate that has no
//! `extern crate alloc;`. This test reads every `quote!`, `quote_spanned!`, `parse_quote!` and
//! `parse_quote_spanned!` in the crate's sources (not the test-only modules) and refuses `std`,
//! std's printing macros, and the `alloc` names a `no_std` prelude lacks unless the path reaches
//! them through `__alloc`. `tests/no_std` compiles the paths its functions exercise; this catches
//! the rest.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// `alloc` items that are not in a `no_std` crate's prelude.
const ALLOC_NAMES: &[&str] = &[
    "Vec", "String", "Box", "ToOwned", "ToString", "Rc", "Arc", "BTreeMap", "BTreeSet", "VecDeque",
];
/// Macros that need `alloc` (`vec!`, `format!`): allowed through `__alloc`.
const ALLOC_MACROS: &[&str] = &["vec", "format"];
/// Macros that need std.
const STD_MACROS: &[&str] = &["println", "print", "eprintln", "eprint", "dbg"];

fn is_colon(t: &TokenTree) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == ':')
}

fn is_punct(t: Option<&TokenTree>, c: char) -> bool {
    matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

/// The path segments written before `tokens[i]` (`a::b::` before `c` in `a::b::c`).
fn path_before(tokens: &[TokenTree], i: usize) -> Vec<String> {
    let mut segments = Vec::new();
    let mut j = i;
    while j >= 3 && is_colon(&tokens[j - 1]) && is_colon(&tokens[j - 2]) {
        match &tokens[j - 3] {
            TokenTree::Ident(id) => segments.push(id.to_string()),
            _ => break,
        }
        j -= 3;
    }
    segments.reverse();
    segments
}

/// The offending names in one macro's tokens. `brings_to_owned`: the macro brings `ToOwned`
/// into scope itself (`use ::ad_runtime::__alloc::borrow::ToOwned as _;`), so `.to_owned()`
/// resolves.
fn scan(tokens: TokenStream, brings_to_owned: bool, out: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        let id = match t {
            TokenTree::Group(g) => {
                scan(g.stream(), brings_to_owned, out);
                continue;
            }
            TokenTree::Ident(id) => id.to_string(),
            _ => continue,
        };
        let through_alloc = path_before(&tokens, i).iter().any(|s| s == "__alloc");
        let bang = is_punct(tokens.get(i + 1), '!');
        let method = i > 0 && is_punct(tokens.get(i - 1), '.');
        let offence = match id.as_str() {
            "std" => Some("`std`"),
            name if ALLOC_NAMES.contains(&name) && !through_alloc => Some("an `alloc` name"),
            name if bang && ALLOC_MACROS.contains(&name) && !through_alloc => {
                Some("an `alloc` macro")
            }
            name if bang && STD_MACROS.contains(&name) => Some("a std macro"),
            "to_owned" if method && !brings_to_owned => Some("`ToOwned` (not in scope)"),
            "to_string" if method => Some("`ToString` (not in scope)"),
            _ => None,
        };
        if let Some(what) = offence {
            out.push(format!("{what}: `{id}`"));
        }
    }
}

/// Every offending name in the generated-code macros of a source file.
pub fn offences(text: &str) -> Vec<String> {
    struct Macros(Vec<String>);
    impl<'ast> Visit<'ast> for Macros {
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let name = m.path.segments.last().map(|s| s.ident.to_string());
            if matches!(
                name.as_deref(),
                Some("quote" | "quote_spanned" | "parse_quote" | "parse_quote_spanned")
            ) {
                let text = m.tokens.to_string();
                let brings = text.contains("__alloc :: borrow :: ToOwned as _");
                let mut found = Vec::new();
                scan(m.tokens.clone(), brings, &mut found);
                for f in found {
                    self.0.push(format!("{f} in {}!({})", show(&m.path), text));
                }
            }
            syn::visit::visit_macro(self, m);
        }
    }
    fn show(p: &syn::Path) -> String {
        quote::quote!(#p).to_string().replace(' ', "")
    }
    let file = syn::parse_file(text).expect("a source file parses");
    let mut v = Macros(Vec::new());
    v.visit_file(&file);
    v.0
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the source directory reads")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "tests") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn generated_code_names_only_core_and_alloc_through_the_runtime() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 40, "the sources were found: {}", files.len());
    let mut all = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("a source file reads");
        for o in offences(&text) {
            all.push(format!("{}: {o}", f.strip_prefix(&root).unwrap().display()));
        }
    }
    assert!(
        all.is_empty(),
        "generated code must name `core` items as `::core::..` and `alloc` items as \
         `::ad_runtime::__alloc::..` (see ARCHITECTURE.md, no_std):\n{}",
        all.join("\n")
    );
}

#[test]
fn an_emitted_std_or_alloc_name_is_caught() {
    let bad = r#"
        fn f() {
            let a = quote!(let mut v = ::std::vec::Vec::new(););
            let b = quote!(let v = vec![::ad_runtime::zero(); #n];);
            let c = parse_quote!(Vec::with_capacity(#n));
            let d = quote!(#ident.to_owned());
            let e = quote_spanned!(span=> println!("{}", #x));
            let f = quote!(let s: String = #x.to_string(););
        }
    "#;
    let found = offences(bad);
    let expect = [
        "`std`: `std`",
        "an `alloc` name: `Vec`",
        "an `alloc` macro: `vec`",
        "an `alloc` name: `Vec`",
        "`ToOwned` (not in scope): `to_owned`",
        "a std macro: `println`",
        "an `alloc` name: `String`",
        "`ToString` (not in scope): `to_string`",
    ];
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    for (f, e) in found.iter().zip(expect) {
        assert!(f.starts_with(e), "{f} should start with {e}");
    }
    let good = r#"
        fn f() {
            let a = quote!(let mut v = ::ad_runtime::__alloc::vec::Vec::new(););
            let b = quote!(let v = ::ad_runtime::__alloc::vec![::ad_runtime::zero(); #n];);
            let c = quote!({ use ::ad_runtime::__alloc::borrow::ToOwned as _; #ident.to_owned() });
            let d = quote!(::core::clone::Clone::clone(&#x));
            let e = quote!(let entry = #y.to_vec();); // `[T]::to_vec` needs no import
            let n = Vec::new(); // host code, not generated
        }
    "#;
    assert_eq!(offences(good), Vec::<String>::new());
}
