//! Expansion goldens: each `tests/expand/NAME.rs` holds annotated functions; the code the macros
//! write for them is pinned in `tests/expand/NAME.expanded.rs`, so a reviewer reads exactly what
//! users get (less the doc comment, which repeats the code, and the lint allowances). Refresh with `UPDATE_GOLDENS=1 cargo test -p ad-macros golden`.

use std::path::Path;

use quote::ToTokens;

use crate::expand::generate;
use crate::front::Mode;

/// The generated functions for every annotated function of a source file, formatted.
pub fn expand_file(source: &str) -> String {
    crate::source::with_text_in_tests(source, || expand_items(source))
}

fn expand_items(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("golden inputs parse");
    let mut out = String::new();
    for item in file.items {
        let syn::Item::Fn(mut f) = item else { continue };
        let attrs = std::mem::take(&mut f.attrs);
        for attr in &attrs {
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
            let generated = match generate(mode, args, f.to_token_stream()) {
                Ok(t) => t,
                Err(e) => e.to_compile_error(),
            };
            let mut file: syn::File = syn::parse2(generated).expect("generated code parses");
            // Keep only code: the doc comment repeats it, the lint allowances are boilerplate.
            for item in &mut file.items {
                if let syn::Item::Fn(g) = item {
                    g.attrs
                        .retain(|a| !a.path().is_ident("doc") && !a.path().is_ident("allow"));
                }
            }
            let file_of_none = syn::File {
                items: Vec::new(),
                ..file.clone()
            };
            for item in file.items {
                let mut one = file_of_none.clone();
                one.items = vec![item];
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&prettyplease::unparse(&one));
            }
        }
    }
    out
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
        if !name.ends_with(".rs") || name.ends_with(".expanded.rs") {
            continue;
        }
        let golden = dir.join(name.replace(".rs", ".expanded.rs"));
        let actual = expand_file(&std::fs::read_to_string(&input).expect("readable"));
        if update {
            std::fs::write(&golden, &actual).expect("writable");
        } else {
            let expected = std::fs::read_to_string(&golden).unwrap_or_default();
            assert!(
                expected == actual,
                "{name}: expansion changed; run with UPDATE_GOLDENS=1 and review the diff\n{actual}"
            );
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
        println!("{}", expand_file(&source));
    }
}
