//! Random token streams: identifiers, punctuation, literals and groups, alone or spliced into
//! a valid function.

use super::*;

pub(super) const IDENTS: &[&str] = &[
    "x",
    "y",
    "n",
    "v",
    "w",
    "f",
    "g",
    "T",
    "F",
    "S",
    "self",
    "Self",
    "super",
    "crate",
    "fn",
    "let",
    "mut",
    "if",
    "else",
    "for",
    "in",
    "while",
    "loop",
    "match",
    "return",
    "break",
    "continue",
    "unsafe",
    "async",
    "await",
    "move",
    "impl",
    "dyn",
    "where",
    "const",
    "static",
    "struct",
    "enum",
    "pub",
    "as",
    "ref",
    "true",
    "false",
    "type",
    "use",
    "mod",
    "trait",
    "f64",
    "f32",
    "usize",
    "i32",
    "bool",
    "str",
    "Vec",
    "Float",
    "sin",
    "powi",
    "mul_add",
    "len",
    "iter",
    "map",
    "sum",
    "fold",
    "zip",
    "enumerate",
    "rev",
    "step_by",
    "push",
    "wrt",
    "derive_grad",
    "derive_tangent",
    "dx",
    "seed",
    "x_bar",
    "_t0",
    "_",
    "ad_runtime",
    "std",
    "PI",
    "from",
    "unwrap",
    "Some",
    "None",
    "Ok",
    "Err",
    "Box",
    "vec",
    "assert",
    "println",
    "r#match",
    "gen",
    "yield",
    "union",
    "macro_rules",
];

/// Identifiers that are not keywords: what an identifier-replacing mutation mostly uses.
pub(super) const NAMES: &[&str] = &[
    "x", "y", "n", "v", "w", "f", "g", "T", "S", "sin", "cos", "exp", "powi", "len", "iter", "dx",
    "seed", "x_bar", "_t0", "s", "i", "k", "a", "b", "f64", "f32", "usize", "Float", "PI", "trip",
];

pub(super) const PUNCTS: &[char] = &[
    '+', '-', '*', '/', '%', '^', '!', '&', '|', '=', '<', '>', '@', '.', ',', ';', ':', '#', '$',
    '?', '~',
];

pub(super) fn ident(name: &str) -> Ident {
    if let Some(raw) = name.strip_prefix("r#") {
        Ident::new_raw(raw, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

pub(super) fn literal(t: &mut Tape) -> Literal {
    match t.choose(14) {
        0 => Literal::f64_unsuffixed(1.5),
        1 => Literal::i32_unsuffixed(2),
        2 => Literal::f64_suffixed(0.25),
        3 => Literal::f32_suffixed(3.0),
        4 => Literal::usize_suffixed(3),
        5 => Literal::string("s"),
        6 => Literal::character('c'),
        7 => Literal::u8_suffixed(255),
        8 => Literal::byte_string(b"b"),
        9 => Literal::i64_unsuffixed(-7),
        10 => Literal::f64_unsuffixed(1e300),
        _ => {
            let text = t.pick(&["1e-3", "2.", "0x1f", "1_000.5e+2", "1e400", "0.0", "7u8"]);
            Literal::from_str(text).unwrap_or_else(|_| Literal::f64_unsuffixed(0.5))
        }
    }
}

pub(super) fn punct(t: &mut Tape) -> Punct {
    let spacing = if t.chance(30) {
        Spacing::Joint
    } else {
        Spacing::Alone
    };
    Punct::new(t.pick(PUNCTS), spacing)
}

pub(super) fn delimiter(t: &mut Tape) -> Delimiter {
    t.pick(&[
        Delimiter::Parenthesis,
        Delimiter::Brace,
        Delimiter::Bracket,
        Delimiter::None,
    ])
}

/// One to two random token trees (a lifetime is two).
pub(super) fn random_tree(t: &mut Tape, depth: usize, out: &mut Vec<TokenTree>) {
    let kinds = if depth < 4 { 6 } else { 5 };
    match t.choose(kinds) {
        0 => out.push(TokenTree::Ident(ident(t.pick(IDENTS)))),
        1 => out.push(TokenTree::Punct(punct(t))),
        2 => out.push(TokenTree::Literal(literal(t))),
        3 => {
            out.push(TokenTree::Punct(Punct::new('\'', Spacing::Joint)));
            out.push(TokenTree::Ident(ident(
                t.pick(&["a", "b", "static", "outer"]),
            )));
        }
        4 => out.push(TokenTree::Ident(ident(t.pick(IDENTS)))),
        _ => {
            let d = delimiter(t);
            let inner = random_stream(t, depth + 1);
            out.push(TokenTree::Group(Group::new(d, inner)));
        }
    }
}

pub(super) fn random_stream(t: &mut Tape, depth: usize) -> TokenStream {
    let len = t.choose(14);
    let mut out = Vec::new();
    for _ in 0..len {
        random_tree(t, depth, &mut out);
    }
    out.into_iter().collect()
}

/// Attribute arguments: empty, valid, invalid or random.
pub(super) fn random_args(t: &mut Tape) -> TokenStream {
    match t.choose(12) {
        0..=3 => TokenStream::new(),
        4 => parse("wrt(x)"),
        5 => parse("wrt(x, y)"),
        6 => parse(t.pick(&[
            "wrt()",
            "wrt(x, x)",
            "wrt(1)",
            "wrt",
            "wrt = x",
            "foo(x)",
            "wrt(x,)",
            "wrt(x) wrt(y)",
            "wrt(self)",
            "wrt(n)",
            "wrt(x::y)",
            "wrt((x))",
        ])),
        _ => random_stream(t, 2),
    }
}

/// A random item: random tokens alone, or spliced into a valid function.
pub(super) fn random_item(t: &mut Tape) -> TokenStream {
    let r = random_stream(t, 1);
    match t.choose(6) {
        0 => r,
        1 => quote::quote!(fn f(#r) -> f64 { x }),
        2 => quote::quote!(fn f(x: f64) -> #r { x }),
        3 => quote::quote!(fn f(x: f64, y: f64) -> f64 { #r }),
        4 => quote::quote!(fn f(x: f64, n: usize) -> f64 { let mut s = x; #r; s * x }),
        _ => quote::quote!(fn f(x: f64, v: &[f64]) -> f64 { for i in 0..v.len() { #r } x }),
    }
}

pub(super) fn random_tokens() -> impl Strategy<Value = (TokenStream, TokenStream)> {
    (tape(24), tape(400)).prop_map(|(a, i)| {
        let args = random_args(&mut Tape::new(&a));
        let item = random_item(&mut Tape::new(&i));
        (args, item)
    })
}

#[test]
pub(super) fn fuzz_random_token_streams_never_panic() {
    run("random token streams", random_tokens());
}

// =============================================================================================
// Mutations of valid functions
// =============================================================================================
