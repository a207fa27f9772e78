//! Inputs that once made the macros panic or emit code that does not parse.

use super::*;

/// Expands `item` with both macros: no panic, generated code (not an error) that parses as
/// items. Returns the generated code of both, as text.
pub(super) fn expands_to_code(item: TokenStream) -> String {
    let mut out = String::new();
    for mode in [Mode::Tangent, Mode::Grad] {
        let generated = generate(mode, TokenStream::new(), item.clone())
            .unwrap_or_else(|e| panic!("{} refused: {e}", mode.attribute()));
        let expanded = expand(mode, TokenStream::new(), item.clone());
        for tokens in [&generated, &expanded] {
            if let Err(e) = syn::parse2::<syn::File>(tokens.clone()) {
                panic!(
                    "{}: code that does not parse ({e}): {tokens}",
                    mode.attribute()
                );
            }
        }
        out.push_str(&generated.to_string());
    }
    out
}

#[test]
pub(super) fn generics_with_a_trailing_comma_give_companions_that_parse() {
    // Found by the fuzzer (2026-11-26): `<T: Float,>` gave companions `<T: Float, , __AdD0>`.
    let out = expands_to_code(quote::quote! {
        fn generic<T: Float,>(a: T, b: T) -> T {
            a * b + a.exp()
        }
    });
    assert!(!out.contains(", ,"), "{out}");
}

#[test]
pub(super) fn items_syn_keeps_as_tokens_print_in_the_docs() {
    // MACRO BUG 7: `prettyplease` panicked on `Item::Verbatim` while writing the docs.
    let out = expands_to_code(quote::quote! {
        fn f(x: f64) -> f64 {
            type T;
            fn h();
            macro_rules! m { () => {} x }
            x * x
        }
    });
    assert!(
        out.contains("Generated code"),
        "the docs show the code: {out}"
    );
}

#[test]
pub(super) fn patterns_with_a_leading_vert_are_bound_by_valid_lets() {
    // MACRO BUG 8: `for (|i, &xi) in ..` was copied into `let | i = k;`.
    let out = expands_to_code(quote::quote! {
        fn f(x: &[f64], n: usize) -> f64 {
            let mut s = 0.0;
            for (|i, &xi) in x.iter().enumerate() {
                s += xi * i as f64;
            }
            for | j in 0..n {
                s = s * x[0] + j as f64;
            }
            s
        }
    });
    assert!(!out.contains("let |"), "{out}");
}

#[test]
pub(super) fn raw_identifiers_name_generated_variables() {
    // MACRO BUG 9: `Ident::new("r#type")` panicked.
    let out = expands_to_code(quote::quote! {
        fn f(x: f64, n: usize) -> f64 {
            let r#type = x * 2.0;
            let mut r#match = r#type * x;
            for r#loop in 0..n {
                r#match = r#match * x + r#loop as f64;
            }
            let r#type = r#type.sin() + r#match;
            r#type
        }
    });
    assert!(out.contains("r#type"), "{out}");
}

#[test]
pub(super) fn map_and_fold_bodies_that_are_no_block_tail_are_desugared() {
    // MACRO BUG 10: the `.map` / `.fold` desugaring re-parsed the closure's body as the tail of a
    // block with `parse_quote!`, which panicked on `loop { .. } / 2.0` and `crate * v`.
    expands_to_code(quote::quote! {
        fn f(x: &[f64]) -> f64 {
            let a = x.iter().map(|v| loop { break *v } / 2.0).sum::<f64>();
            let b = x.iter().fold(0.0, |acc, v| loop { break acc } + v * v);
            a + b
        }
    });
    for mode in [Mode::Tangent, Mode::Grad] {
        let item =
            quote::quote! { fn f(x: &[f64]) -> f64 { x.iter().map(|v| crate * v).sum::<f64>() } };
        let result = catch_unwind(AssertUnwindSafe(|| {
            generate(mode, TokenStream::new(), item)
        }));
        assert!(result.is_ok(), "{} panicked", mode.attribute());
    }
}

// =============================================================================================
// Random syntax trees
// =============================================================================================
