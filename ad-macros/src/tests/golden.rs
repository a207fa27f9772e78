//! Expansion goldens: each `tests/expand/NAME.rs` holds annotated functions; the code the macros
//! write for them is pinned in `tests/expand/NAME.expanded.rs`, item by item in the order the
//! compiler puts it in the crate (the order `cargo expand` shows), so a reviewer reads exactly
//! what users get, less the doc comments (which repeat the code) and the lint allowances on
//! functions and the anchor struct. `#[doc(hidden)]` stays: it marks the plumbing users do not
//! call (companions, anchor `impl`s and structs, the flat functions behind struct wrappers), which
//! comes after the functions users call. Refresh with
//! `UPDATE_GOLDENS=1 cargo test -p ad-macros golden`.
//!
//! The quickstart example is an input too, and has a second golden, `quickstart.public.rs`: the
//! same text less the hidden items, which the example prints.

use std::path::Path;

use quote::ToTokens;

use crate::expand::expand;
use crate::front::Mode;

/// What the macros write for the annotated functions of a source file, formatted, item by item
/// in emitted order: everything, and only the items users call (those not `#[doc(hidden)]`).
pub struct Expansion {
    /// Every generated item.
    pub all: String,
    /// The items without `#[doc(hidden)]`.
    pub public: String,
}

/// The generated functions for every annotated function of a source file, formatted.
pub fn expand_file(source: &str) -> Expansion {
    crate::source::with_text_in_tests(source, || expand_items(source))
}

/// Whether an item carries `#[doc(hidden)]`.
fn is_hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "hidden")
    })
}

/// Whether an attribute is a doc comment (`#[doc = ".."]`).
fn is_doc_comment(a: &syn::Attribute) -> bool {
    a.path().is_ident("doc") && matches!(a.meta, syn::Meta::NameValue(_))
}

/// The attributes of an item, if it has any the checks below look at.
fn attrs_of(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Const(c) => &c.attrs,
        syn::Item::Struct(s) => &s.attrs,
        _ => &[],
    }
}

/// Every generated item is either documented (a function users call, with its doc comment) or
/// hidden from rustdoc; an anonymous `const _` (a compile-time check) is neither, and invisible.
fn check_visibility(item: &syn::Item) {
    let attrs = attrs_of(item);
    let shown = item.to_token_stream().to_string();
    let shown = &shown[..shown.len().min(120)];
    match item {
        syn::Item::Const(c) if c.ident == "_" => {}
        syn::Item::Fn(f) if !is_hidden(attrs) => assert!(
            attrs.iter().any(is_doc_comment),
            "`{}` is generated without a doc comment and not #[doc(hidden)]",
            f.sig.ident
        ),
        _ => assert!(
            is_hidden(attrs),
            "a generated item that rustdoc would show: {shown}"
        ),
    }
}

fn expand_items(source: &str) -> Expansion {
    let file: syn::File = syn::parse_str(source).expect("golden inputs parse");
    let (mut all, mut public) = (String::new(), String::new());
    for item in file.items {
        let syn::Item::Fn(mut f) = item else { continue };
        let attrs = std::mem::take(&mut f.attrs);
        // rustc expands the outermost attribute first, and its output starts with the function
        // carrying the attributes below it, which expand in that place: so the innermost
        // attribute's items come first in the crate, as `cargo expand` (or `RUSTC_BOOTSTRAP=1
        // cargo rustc --example quickstart -- -Zunpretty=expanded`) shows them.
        for (i, attr) in attrs.iter().enumerate().rev() {
            let name = attr
                .path()
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let mode = match name.as_str() {
                "derive_tangent" => Mode::Tangent,
                "derive_grad" => Mode::Grad,
                "derive_jacobian" => Mode::Jacobian,
                _ => continue,
            };
            let args = match &attr.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => proc_macro2::TokenStream::new(),
            };
            // The macro sees the function with the attributes below its own (the innermost of
            // this crate's attributes writes the anchor struct).
            let mut item = f.clone();
            item.attrs = attrs[i + 1..].to_vec();
            let expanded = expand(mode, args, item.to_token_stream());
            let mut file: syn::File = syn::parse2(expanded).expect("generated code parses");
            // The function itself comes first, unchanged: not generated.
            file.items.remove(0);
            let mut hidden = Vec::new();
            // Keep only code: the doc comment repeats it, the lint allowances are boilerplate.
            for item in &mut file.items {
                check_visibility(item);
                hidden.push(is_hidden(attrs_of(item)));
                let keep = |a: &syn::Attribute| !is_doc_comment(a) && !a.path().is_ident("allow");
                match item {
                    syn::Item::Fn(g) => g.attrs.retain(keep),
                    syn::Item::Struct(g) => g.attrs.retain(keep),
                    _ => {}
                }
            }
            let file_of_none = syn::File {
                items: Vec::new(),
                ..file.clone()
            };
            for (item, hidden) in file.items.into_iter().zip(hidden) {
                let anonymous = matches!(&item, syn::Item::Const(c) if c.ident == "_");
                let mut one = file_of_none.clone();
                one.items = vec![item];
                let text = prettyplease::unparse(&one);
                for (out, keep) in [(&mut all, true), (&mut public, !hidden && !anonymous)] {
                    if keep {
                        if !out.is_empty() {
                            out.push('\n');
                        }
                        out.push_str(&text);
                    }
                }
            }
        }
    }
    Expansion { all, public }
}

/// Compares `actual` with the golden at `path`, or (with `update`) writes it there.
fn compare(path: &Path, actual: &str, update: bool) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if update {
        std::fs::write(path, actual).expect("writable");
    } else {
        let expected = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            expected == actual,
            "{name}: expansion changed; run with UPDATE_GOLDENS=1 and review the diff\n{actual}"
        );
    }
}

#[test]
fn golden() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let update = std::env::var_os("UPDATE_GOLDENS").is_some();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/expand exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    // The quickstart prints its own golden, so the example itself is an input.
    entries.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart.rs"));
    for input in entries {
        let name = input
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !name.ends_with(".rs") || name.ends_with(".expanded.rs") || name.ends_with(".public.rs")
        {
            continue;
        }
        let actual = expand_file(&std::fs::read_to_string(&input).expect("readable"));
        compare(
            &dir.join(name.replace(".rs", ".expanded.rs")),
            &actual.all,
            update,
        );
        if name == "quickstart.rs" {
            compare(&dir.join("quickstart.public.rs"), &actual.public, update);
        }
        checked += 1;
    }
    assert!(checked >= 3, "at least three golden inputs");
}

/// `AD_SHOW=path/to/file.rs cargo test -p ad-macros show -- --nocapture` prints what the macros
/// write for the annotated functions of any file: a developer's window into the expansion.
#[test]
fn show() {
    if let Ok(path) = std::env::var("AD_SHOW") {
        let source = std::fs::read_to_string(&path).expect("AD_SHOW names a readable file");
        println!("{}", expand_file(&source).all);
    }
}
