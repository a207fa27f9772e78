//! No panics, whatever the input (SPEC §7): property tests that feed every macro mode (both
//! transforms, `#[derive_jacobian]`, and `#[derive_grad]` with `hessian`, which lowers generated
//! reverse code again, and with `checkpoint`), through [`generate`] and [`expand`], three kinds
//! of input and assert that each call returns tokens or an error and never panics
//! (`catch_unwind`):
//!
//! - **random token streams**: identifiers (keywords included), punctuation, literals,
//!   lifetimes and nested groups, on their own or spliced into a valid function in the place of
//!   its parameters, its return type, its body or one statement;
//! - **mutations of valid annotated functions** (the inputs of the expansion goldens and a
//!   corpus below), one to four each: identifiers, literals and operators replaced, whole
//!   statements deleted, duplicated or swapped (these mostly keep the function parseable, so
//!   the macros' own passes see them), tokens deleted, duplicated, swapped or inserted, groups
//!   unwrapped, re-delimited or wrapped around a range; also in the attribute's arguments;
//! - **random syntax trees**: function texts from a small grammar that includes what the macros
//!   refuse (closures, `unsafe`, `async`, references, macros, labelled blocks, nested items,
//!   `?`, `impl Trait`, lifetimes, patterns of every kind), parsed by `syn` when they parse (and
//!   fed as raw tokens when they do not).
//!
//! Attribute arguments are drawn from valid ones (`wrt(x, y)`), invalid ones and random tokens.
//! When `generate` succeeds, its output must also parse as Rust items.
//!
//! Every input is built from a tape of random numbers that proptest draws and shrinks (shorter,
//! smaller), and choice 0 is always the simplest, so a failure shrinks to a small input; it is
//! printed as tokens.
//!
//! The inputs include what once made the macros panic or emit code that does not parse: items
//! that syn keeps as verbatim tokens (`type T;`, `fn h();`) in a body, patterns with a leading
//! `|` (`for (|i, &xi) in ..`), raw identifiers (`let r#type = ..`), and `.map` / `.fold`
//! closures whose body is no block tail (`|v| loop { break *v } / 2.0`).
//!
//! `PROPTEST_CASES` sets the number of cases of each of the three properties (default 700, so
//! about 2,000 in all); `AD_FUZZ_SEED` changes the seed (default fixed, so runs repeat). A long
//! run: `PROPTEST_CASES=100000 cargo test -p ad-macros --release fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use quote::ToTokens;

use crate::expand::{expand, generate};
use crate::front::Mode;

/// Cases of each property when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 700;

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("AD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0x5eed_f022);
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (seed.rotate_left(8 * (i as u32 % 8)) as u8) ^ (i as u8);
    }
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

// =============================================================================================
// The property
// =============================================================================================

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// What the calls of one property returned: generated code, an error for an input that parses
/// as a function (a refusal), an error for one that does not.
#[derive(Default)]
struct Tally {
    generated: AtomicUsize,
    refused: AtomicUsize,
    not_a_function: AtomicUsize,
}

impl Tally {
    fn count(&self, generated: bool, item: &TokenStream) {
        let counter = if generated {
            &self.generated
        } else if syn::parse2::<syn::ItemFn>(item.clone()).is_ok() {
            &self.refused
        } else {
            &self.not_a_function
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn report(&self, name: &str) {
        eprintln!(
            "{name}: {} calls generated code, {} refused a function, {} refused a non-function",
            self.generated.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.not_a_function.load(Ordering::Relaxed),
        );
    }
}

/// Both modes, through `generate` and `expand`: tokens or an error, no panic; and generated
/// tokens parse as items.
fn never_panics(
    args: &TokenStream,
    item: &TokenStream,
    tally: &Tally,
) -> Result<(), TestCaseError> {
    // Both modes, then the Jacobians, the Hessians (forward over reverse, which lowers the
    // generated reverse code again) and checkpointed loops.
    let variants = [
        (Mode::Tangent, None),
        (Mode::Grad, None),
        (Mode::Jacobian, None),
        (Mode::Grad, Some(quote::quote!(hessian))),
        (Mode::Grad, Some(quote::quote!(checkpoint))),
    ];
    for (mode, extra) in variants {
        let args = match extra {
            Some(e) if args.is_empty() => e,
            Some(e) => quote::quote!(#e, #args),
            None => args.clone(),
        };
        let args = &args;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let generated = generate(mode, args.clone(), item.clone());
            let expanded = expand(mode, args.clone(), item.clone());
            (generated, expanded)
        }));
        match result {
            Err(payload) => {
                return Err(TestCaseError::fail(format!(
                    "{} panicked: {}\n  args: {args}\n  item: {item}",
                    mode.attribute(),
                    panic_message(&*payload)
                )));
            }
            Ok((Ok(tokens), _)) => {
                tally.count(true, item);
                if let Err(e) = syn::parse2::<syn::File>(tokens.clone()) {
                    return Err(TestCaseError::fail(format!(
                        "{} generated tokens that do not parse ({e}):\n  {tokens}\n  args: \
                         {args}\n  item: {item}",
                        mode.attribute()
                    )));
                }
            }
            Ok((Err(_), _)) => tally.count(false, item),
        }
    }
    Ok(())
}

fn run(name: &str, strategy: impl Strategy<Value = (TokenStream, TokenStream)>) {
    let mut runner = runner();
    let tally = Tally::default();
    let outcome = runner.run(&strategy.prop_map(Wrapped), |Wrapped((args, item))| {
        never_panics(&args, &item, &tally)
    });
    tally.report(name);
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

/// A `Debug` that prints the tokens as text, for proptest's failure report.
#[derive(Clone)]
struct Wrapped((TokenStream, TokenStream));

impl std::fmt::Debug for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "args: `{}`, item: `{}`", self.0.0, self.0.1)
    }
}

// =============================================================================================
// A tape of choices
// =============================================================================================

/// Choices read from a vector that proptest draws and shrinks; past its end every choice is 0.
struct Tape<'a> {
    data: &'a [u32],
    pos: usize,
}

impl<'a> Tape<'a> {
    fn new(data: &'a [u32]) -> Self {
        Tape { data, pos: 0 }
    }

    /// A choice in `0..n` (`n > 0`).
    fn choose(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v as usize % n.max(1)
    }

    /// True with probability `percent` / 100 (false past the end of the tape).
    fn chance(&mut self, percent: usize) -> bool {
        let v = self.data.get(self.pos).copied();
        self.pos += 1;
        v.is_some_and(|v| (v % 100) < percent as u32)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.choose(xs.len())]
    }

    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

fn tape(max: usize) -> impl Strategy<Value = Vec<u32>> {
    vec(any::<u32>(), 0..max)
}

// =============================================================================================
// Random tokens
// =============================================================================================

const IDENTS: &[&str] = &[
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
const NAMES: &[&str] = &[
    "x", "y", "n", "v", "w", "f", "g", "T", "S", "sin", "cos", "exp", "powi", "len", "iter", "dx",
    "seed", "x_bar", "_t0", "s", "i", "k", "a", "b", "f64", "f32", "usize", "Float", "PI", "trip",
];

const PUNCTS: &[char] = &[
    '+', '-', '*', '/', '%', '^', '!', '&', '|', '=', '<', '>', '@', '.', ',', ';', ':', '#', '$',
    '?', '~',
];

fn ident(name: &str) -> Ident {
    if let Some(raw) = name.strip_prefix("r#") {
        Ident::new_raw(raw, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

fn literal(t: &mut Tape) -> Literal {
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

fn punct(t: &mut Tape) -> Punct {
    let spacing = if t.chance(30) {
        Spacing::Joint
    } else {
        Spacing::Alone
    };
    Punct::new(t.pick(PUNCTS), spacing)
}

fn delimiter(t: &mut Tape) -> Delimiter {
    t.pick(&[
        Delimiter::Parenthesis,
        Delimiter::Brace,
        Delimiter::Bracket,
        Delimiter::None,
    ])
}

/// One to two random token trees (a lifetime is two).
fn random_tree(t: &mut Tape, depth: usize, out: &mut Vec<TokenTree>) {
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

fn random_stream(t: &mut Tape, depth: usize) -> TokenStream {
    let len = t.choose(14);
    let mut out = Vec::new();
    for _ in 0..len {
        random_tree(t, depth, &mut out);
    }
    out.into_iter().collect()
}

fn parse(text: &str) -> TokenStream {
    TokenStream::from_str(text).expect("fixed texts lex")
}

/// Attribute arguments: empty, valid, invalid or random.
fn random_args(t: &mut Tape) -> TokenStream {
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
fn random_item(t: &mut Tape) -> TokenStream {
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

fn random_tokens() -> impl Strategy<Value = (TokenStream, TokenStream)> {
    (tape(24), tape(400)).prop_map(|(a, i)| {
        let args = random_args(&mut Tape::new(&a));
        let item = random_item(&mut Tape::new(&i));
        (args, item)
    })
}

#[test]
fn fuzz_random_token_streams_never_panic() {
    run("random token streams", random_tokens());
}

// =============================================================================================
// Mutations of valid functions
// =============================================================================================

/// Valid annotated functions beyond the goldens' inputs: data, generics, methods, every output
/// shape, control flow of every kind.
const CORPUS: &str = r#"
#[derive_grad]
fn sumsq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>()
}
#[derive_tangent]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        s += 100.0 * t * t + (1.0 - x[i]).powi(2);
    }
    s
}
#[derive_grad]
fn arr(x: [f64; 3], k: usize) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = x[k % 3].sin() * x[1];
    out[1] = x[0].hypot(x[2]);
    out
}
#[derive_tangent(wrt(a))]
fn generic<T: Float>(a: T, b: T) -> T {
    let two = T::from(2.0).unwrap();
    a * b + two * a.exp()
}
#[derive_grad]
fn branches(x: f64, y: f64, n: i32) -> (f64, f64) {
    let r = if x > 0.5 { x * y } else if y < 0.0 { -x } else { y.cos() };
    let m = match n % 3 { 0 => r, 1 | 2 => r * r, _ => 0.0 };
    (m, r + x)
}
#[derive_grad]
fn loops(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    let mut k = 0;
    'outer: while k < n {
        k += 1;
        for j in (0..k).rev() {
            if j == 3 { continue 'outer; }
            if j == 7 { return x; }
            x = x + 0.01 * (x * p).sin();
        }
    }
    let v = loop { break x * 2.0; };
    v
}
#[derive_tangent]
fn refs(x: &f64, y: &mut f64, v: &mut Vec<f64>) {
    *y = *y * x.sin();
    v[0] += *x;
}
#[derive_grad]
fn local_vec(x: &[f64]) -> f64 {
    let mut v = vec![0.0; x.len()];
    for (i, &xi) in x.iter().enumerate() {
        v[i] = xi.sin();
    }
    let mut p = 1.0;
    for k in 0..v.len() {
        p *= v[k] + 2.0;
    }
    p
}
#[derive_grad]
fn energy(&self, x: f64) -> f64 {
    self.k * x * x
}
#[derive_tangent]
pub(crate) fn consts(x: f64) -> f64 {
    use std::f64::consts::PI;
    let (a, b) = (x * PI, 2.0_f64);
    let [c, d] = [a, b];
    assert!(c.is_finite());
    (c / d).mul_add(x, 1e-3).max(x.abs()).clamp(-1.0, 1.0) as f64
}
#[derive_grad]
fn odd_syntax(x: &[f64], n: usize) -> f64 {
    let r#type = x[0] * 2.0;
    let mut s = r#type;
    for (|i, &xi) in x.iter().enumerate() {
        if i != 1 { s += xi * i as f64; }
    }
    for | j in (0..n).rev().step_by(2) {
        s = s * 0.5 + r#type * j as f64;
    }
    let m = x.iter().map(|v| loop { break *v } / 2.0).sum::<f64>();
    let f = x.iter().fold(0.0, |acc, v| loop { break acc } + v * v);
    s + m + f
}
#[derive_tangent]
fn verbatim_items(x: f64) -> f64 {
    type T;
    fn h();
    let mut y = x * 3.0;
    y = 2.0;
    y.sin() * x
}
"#;

/// A token tree with its groups opened, so mutations can reach inside them.
#[derive(Clone)]
enum Tok {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Tok>),
}

fn to_toks(ts: TokenStream) -> Vec<Tok> {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => Tok::Group(g.delimiter(), to_toks(g.stream())),
            other => Tok::Leaf(other),
        })
        .collect()
}

fn from_toks(toks: &[Tok]) -> TokenStream {
    toks.iter()
        .map(|t| match t {
            Tok::Leaf(tt) => tt.clone(),
            Tok::Group(d, inner) => TokenTree::Group(Group::new(*d, from_toks(inner))),
        })
        .collect()
}

/// Number of token sequences: the top level and every group's contents.
fn count_seqs(toks: &[Tok]) -> usize {
    1 + toks
        .iter()
        .map(|t| match t {
            Tok::Group(_, inner) => count_seqs(inner),
            Tok::Leaf(_) => 0,
        })
        .sum::<usize>()
}

/// The `k`-th sequence in preorder (0 is the top level).
fn nth_seq<'a>(toks: &'a mut Vec<Tok>, k: &mut usize) -> Option<&'a mut Vec<Tok>> {
    if *k == 0 {
        return Some(toks);
    }
    *k -= 1;
    for t in toks.iter_mut() {
        if let Tok::Group(_, inner) = t
            && let Some(s) = nth_seq(inner, k)
        {
            return Some(s);
        }
    }
    None
}

/// The statements of a sequence: ranges ending at each `;` (and the rest).
fn statements(seq: &[Tok]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in seq.iter().enumerate() {
        if let Tok::Leaf(TokenTree::Punct(p)) = t
            && p.as_char() == ';'
        {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < seq.len() {
        out.push(start..seq.len());
    }
    out
}

/// Applies one mutation, chosen by `op`, at positions chosen by `a` and `b`. Most keep the
/// function parseable (replacing identifiers, literals and operators, moving whole statements),
/// so that the macros' own passes see them; the rest break the syntax.
fn mutate(toks: &mut Vec<Tok>, op: u8, a: u32, b: u32, t: &mut Tape) {
    let mut k = a as usize % count_seqs(toks);
    let Some(seq) = nth_seq(toks, &mut k) else {
        return;
    };
    let len = seq.len();
    let at = |x: u32| x as usize % len.max(1);
    let find = |seq: &[Tok], want: fn(&Tok) -> bool| -> Vec<usize> {
        (0..seq.len()).filter(|&i| want(&seq[i])).collect()
    };
    match op % 20 {
        0..=4 => {
            let idents = find(seq, |t| matches!(t, Tok::Leaf(TokenTree::Ident(_))));
            if !idents.is_empty() {
                let i = idents[b as usize % idents.len()];
                let pool = if t.chance(80) { NAMES } else { IDENTS };
                seq[i] = Tok::Leaf(TokenTree::Ident(ident(t.pick(pool))));
            }
        }
        5 | 6 => {
            let lits = find(seq, |t| matches!(t, Tok::Leaf(TokenTree::Literal(_))));
            if !lits.is_empty() {
                let i = lits[b as usize % lits.len()];
                seq[i] = Tok::Leaf(TokenTree::Literal(literal(t)));
            }
        }
        7 if len > 1 => {
            let i = at(b) % (len - 1);
            seq.swap(i, i + 1);
        }
        8 if len > 0 => {
            let i = at(b);
            let dup = seq[i].clone();
            seq.insert(i, dup);
        }
        9 if len > 0 => {
            seq.remove(at(b));
        }
        10 => {
            let i = b as usize % (len + 1);
            seq.insert(i, Tok::Leaf(TokenTree::Punct(punct(t))));
        }
        11 => {
            let i = b as usize % (len + 1);
            let mut v = Vec::new();
            random_tree(t, 3, &mut v);
            for (n, tt) in v.into_iter().enumerate() {
                seq.insert(i + n, Tok::Leaf(tt));
            }
        }
        12 if len > 0 => {
            let i = at(b);
            if let Tok::Group(_, inner) = seq[i].clone() {
                seq.splice(i..=i, inner);
            }
        }
        13 if len > 0 => {
            let i = at(b);
            let j = (i + (b >> 8) as usize % 4).min(len - 1);
            let inner: Vec<Tok> = seq.drain(i..=j).collect();
            seq.insert(i, Tok::Group(delimiter(t), inner));
        }
        14 if len > 0 => {
            let i = at(b);
            if let Tok::Group(d, _) = &mut seq[i] {
                *d = delimiter(t);
            }
        }
        15..=18 => {
            let stmts = statements(seq);
            if stmts.is_empty() {
                return;
            }
            let r = stmts[b as usize % stmts.len()].clone();
            match op % 20 {
                15 | 16 => {
                    seq.drain(r);
                }
                17 => {
                    let copy: Vec<Tok> = seq[r.clone()].to_vec();
                    seq.splice(r.start..r.start, copy);
                }
                _ => {
                    let r2 = stmts[(b >> 8) as usize % stmts.len()].clone();
                    if r2.start >= r.end {
                        // Replace the later one first, so the earlier range stays valid.
                        let first: Vec<Tok> = seq[r.clone()].to_vec();
                        let second: Vec<Tok> = seq[r2.clone()].to_vec();
                        seq.splice(r2, first);
                        seq.splice(r, second);
                    }
                }
            }
        }
        _ => {
            let ops = find(seq, |t| matches!(t, Tok::Leaf(TokenTree::Punct(_))));
            if !ops.is_empty() {
                let i = ops[b as usize % ops.len()];
                let c = t.pick(&['+', '-', '*', '/', '%', '<', '>', '!', '&', '|', '=']);
                seq[i] = Tok::Leaf(TokenTree::Punct(Punct::new(c, Spacing::Alone)));
            }
        }
    }
}

/// The corpus: every annotated function of the goldens' inputs and of [`CORPUS`], as (the
/// attribute's arguments, the function without that attribute).
fn corpus() -> Vec<(TokenStream, TokenStream)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let mut sources = vec![CORPUS.to_owned()];
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let name = p.to_string_lossy();
            if name.ends_with(".rs") && !name.ends_with(".expanded.rs") {
                sources.push(std::fs::read_to_string(&p).expect("golden inputs are readable"));
            }
        }
    }
    let mut out = Vec::new();
    for source in sources {
        let file: syn::File = syn::parse_str(&source).expect("corpus parses");
        for item in file.items {
            let syn::Item::Fn(mut f) = item else { continue };
            let Some(pos) = f.attrs.iter().position(|a| {
                a.path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "derive_grad" || s.ident == "derive_tangent")
            }) else {
                continue;
            };
            let attr = f.attrs.remove(pos);
            let args = match attr.meta {
                syn::Meta::List(l) => l.tokens,
                _ => TokenStream::new(),
            };
            out.push((args, f.to_token_stream()));
        }
    }
    assert!(out.len() >= 10, "the corpus has {} functions", out.len());
    out
}

fn mutations() -> impl Strategy<Value = (TokenStream, TokenStream)> {
    let corpus = corpus();
    let n = corpus.len();
    (
        0..n,
        vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..5),
        tape(64),
    )
        .prop_map(move |(which, ops, extra)| {
            let (args, item) = corpus[which].clone();
            let mut t = Tape::new(&extra);
            let mut toks = to_toks(item);
            let mut arg_toks = to_toks(args);
            for (op, a, b) in ops {
                // One mutation in sixteen lands in the attribute's arguments.
                if op >= 240 {
                    mutate(&mut arg_toks, op, a, b, &mut t);
                } else {
                    mutate(&mut toks, op, a, b, &mut t);
                }
            }
            (from_toks(&arg_toks), from_toks(&toks))
        })
}

#[test]
fn fuzz_mutated_functions_never_panic() {
    run("mutated functions", mutations());
}

#[test]
fn the_corpus_expands_cleanly() {
    // The unmutated corpus is what the mutations start from: it must be valid input.
    for (args, item) in corpus() {
        never_panics(&args, &item, &Tally::default()).unwrap();
    }
}

// =============================================================================================
// Regressions: inputs that once made the macros panic or write code that does not parse
// =============================================================================================

/// Expands `item` with both macros: no panic, generated code (not an error) that parses as
/// items. Returns the generated code of both, as text.
fn expands_to_code(item: TokenStream) -> String {
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
fn generics_with_a_trailing_comma_give_companions_that_parse() {
    // Found by the fuzzer (2026-11-26): `<T: Float,>` gave companions `<T: Float, , __AdD0>`.
    let out = expands_to_code(quote::quote! {
        fn generic<T: Float,>(a: T, b: T) -> T {
            a * b + a.exp()
        }
    });
    assert!(!out.contains(", ,"), "{out}");
}

#[test]
fn items_syn_keeps_as_tokens_print_in_the_docs() {
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
fn patterns_with_a_leading_vert_are_bound_by_valid_lets() {
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
fn raw_identifiers_name_generated_variables() {
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
fn map_and_fold_bodies_that_are_no_block_tail_are_desugared() {
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

/// Function texts from a small grammar, driven by a tape. Option 0 of every choice is the
/// simplest, so shrinking the tape simplifies the text. In `safe` mode (most texts) only the
/// first options of each list, what the macros support or nearly, are used, so that most of
/// these texts get past the fence into activity analysis and the transforms; the other options
/// are what the macros refuse.
struct Grammar<'a> {
    t: Tape<'a>,
    depth: usize,
    safe: bool,
}

impl<'a> Grammar<'a> {
    fn new(data: &'a [u32]) -> Self {
        let mut t = Tape::new(data);
        let safe = !t.chance(35);
        Grammar { t, depth: 0, safe }
    }

    /// One of `xs`; only the first `safe` of them in safe mode.
    fn pick(&mut self, xs: &[&'static str], safe: usize) -> &'static str {
        let n = if self.safe {
            safe.min(xs.len())
        } else {
            xs.len()
        };
        xs[self.t.choose(n)]
    }

    /// A choice in `0..all`, or in `0..safe` in safe mode.
    fn choice(&mut self, all: usize, safe: usize) -> usize {
        self.t.choose(if self.safe { safe } else { all })
    }

    /// Whether to stop growing: deep, or out of tape.
    fn leaf(&self) -> bool {
        self.depth >= 5 || self.t.exhausted()
    }

    fn function(&mut self) -> String {
        let attrs = self.pick(
            &[
                "",
                "#[inline] ",
                "#[allow(unused)] ",
                "#[doc = \"d\"] ",
                "#[derive_grad] ",
                "#[derive_tangent(wrt(x))] ",
                "#[cfg(test)] ",
                "#[must_use] ",
            ],
            4,
        );
        let vis = self.pick(&["", "pub ", "pub(crate) "], 3);
        let quals = self.pick(
            &[
                "",
                "",
                "",
                "const ",
                "async ",
                "unsafe ",
                "extern \"C\" ",
                "async unsafe ",
                "const unsafe ",
            ],
            3,
        );
        let name = self.pick(&["f", "g", "r#match", "f_grad", "energy"], 5);
        let generics = self.pick(
            &[
                "",
                "",
                "<T: Float>",
                "<const N: usize>",
                "<T: Float, const N: usize>",
                "<T>",
                "<'a>",
                "<F: Fn(f64) -> f64>",
                "<T: Float + Copy, U>",
            ],
            5,
        );
        let nparams = self.t.choose(5);
        let params: Vec<String> = (0..nparams).map(|_| self.param()).collect();
        let ret = self.pick(
            &[
                "-> f64",
                "",
                "-> (f64, f64)",
                "-> [f64; 2]",
                "-> T",
                "-> ()",
                "-> f32",
                "-> (f64, (f64, f64))",
                "-> [[f64; 2]; 2]",
                "-> (f64,)",
                "-> Option<f64>",
                "-> &f64",
                "-> impl Fn(f64) -> f64",
                "-> !",
                "-> Self",
                "-> usize",
            ],
            10,
        );
        let wh = self.pick(
            &["", "", "where T: Float", "where T: Copy, F: Fn(f64) -> f64"],
            3,
        );
        let body = self.block();
        format!(
            "{attrs}{vis}{quals}fn {name}{generics}({}) {ret} {wh} {body}",
            params.join(", ")
        )
    }

    fn ty(&mut self) -> &'static str {
        self.pick(
            &[
                "f64",
                "f32",
                "usize",
                "T",
                "&[f64]",
                "&mut [f64]",
                "[f64; 3]",
                "&f64",
                "&mut f64",
                "&Vec<f64>",
                "&mut Vec<f64>",
                "[[f64; 2]; 2]",
                "&[f64; 3]",
                "i32",
                "bool",
                "[T; N]",
                "Vec<f64>",
                "(f64, f64)",
                "&str",
                "S",
                "impl Fn(f64) -> f64",
                "fn(f64) -> f64",
                "Box<dyn Fn(f64) -> f64>",
                "&'a f64",
                "Option<f64>",
                "*const f64",
                "()",
            ],
            16,
        )
    }

    fn param(&mut self) -> String {
        match self.choice(10, 6) {
            0..=5 => {
                let name = self.pick(&["x", "y", "n", "v", "w", "t", "dx", "seed", "x_bar"], 9);
                format!("{name}: {}", self.ty())
            }
            6 => format!("mut x: {}", self.ty()),
            7 => self
                .pick(
                    &["self", "&self", "&mut self", "mut self", "self: Box<Self>"],
                    5,
                )
                .to_owned(),
            8 => self
                .pick(
                    &[
                        "(a, b): (f64, f64)",
                        "_: f64",
                        "[a, b]: [f64; 2]",
                        "S { x }: S",
                    ],
                    4,
                )
                .to_owned(),
            _ => format!("_x: {}", self.ty()),
        }
    }

    fn block(&mut self) -> String {
        self.depth += 1;
        let n = if self.leaf() { 0 } else { self.t.choose(5) };
        let mut s = String::from("{ ");
        for _ in 0..n {
            s.push_str(&self.stmt());
            s.push(' ');
        }
        if self.t.choose(4) != 3 {
            s.push_str(&self.expr());
        }
        s.push_str(" }");
        self.depth -= 1;
        s
    }

    fn pat(&mut self) -> String {
        match self.choice(12, 7) {
            0..=3 => self
                .pick(&["a", "s", "x", "dx", "_t0", "seed", "r#type"], 7)
                .to_owned(),
            4 => "mut s".to_owned(),
            5 => self.pick(&["(a, b)", "(|a, b)"], 2).to_owned(),
            6 => "[a, b]".to_owned(),
            7 => "_".to_owned(),
            8 => "&a".to_owned(),
            9 => "ref a".to_owned(),
            10 => "(mut a, [b, _])".to_owned(),
            _ => "S { x, .. }".to_owned(),
        }
    }

    fn stmt(&mut self) -> String {
        if self.leaf() {
            return format!("let a = {};", self.expr());
        }
        // Safe mode: lets, assignments, expressions, items syn keeps as tokens, assertions, loops
        // and branches.
        const SAFE: [usize; 12] = [0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13];
        let kind = if self.safe {
            SAFE[self.t.choose(SAFE.len())]
        } else {
            self.t.choose(16)
        };
        match kind {
            0..=3 => format!("let {} = {};", self.pat(), self.expr()),
            4 => format!("let {}: {} = {};", self.pat(), self.ty(), self.expr()),
            5 => format!(
                "{} {} {};",
                self.place(),
                self.pick(&["=", "+=", "-=", "*=", "/=", "%=", "|=", "<<="], 5),
                self.expr()
            ),
            6 => format!("{};", self.expr()),
            7 => format!(
                "let Some(a) = {} else {{ return {}; }};",
                self.expr(),
                self.expr()
            ),
            8 => format!(
                "fn inner(z: f64) -> f64 {{ z * {} }}",
                self.pick(&["2.0", "x", "z"], 3)
            ),
            9 => self
                .pick(
                    &[
                        "type T;",
                        "fn h();",
                        "struct S { x: f64 }",
                        "use std::f64::consts::PI;",
                        "const K: f64 = 2.0;",
                        "static mut G: f64 = 0.0;",
                        "macro_rules! m { ($e:expr) => { $e * 2.0 }; }",
                        "impl S { fn k(&self) -> f64 { 1.0 } }",
                        "let _ = ();",
                        ";",
                    ],
                    2,
                )
                .to_owned(),
            10 => format!(
                "{}!({});",
                self.pick(
                    &[
                        "assert",
                        "debug_assert",
                        "println",
                        "dbg",
                        "m",
                        "vec",
                        "format"
                    ],
                    2
                ),
                self.expr()
            ),
            11 => format!("for {} in {} {}", self.for_pat(), self.iter(), self.block()),
            12 => format!("while {} {}", self.cond(), self.block()),
            13 => format!("if {} {} else {}", self.cond(), self.block(), self.block()),
            14 => format!("unsafe {}", self.block()),
            _ => format!(
                "'a: loop {{ if {} {{ break 'a; }} {} }}",
                self.cond(),
                self.expr()
            ),
        }
    }

    /// A `for` pattern, which may also start with `|`.
    fn for_pat(&mut self) -> String {
        match self.t.choose(4) {
            0 | 1 => self.pat(),
            2 => "| a".to_owned(),
            _ => "(|i, &a)".to_owned(),
        }
    }

    fn place(&mut self) -> String {
        match self.choice(6, 4) {
            0..=1 => self.pick(&["s", "x", "a", "dx"], 4).to_owned(),
            2 => format!("v[{}]", self.expr()),
            3 => "*y".to_owned(),
            4 => "self.k".to_owned(),
            _ => "(a, b)".to_owned(),
        }
    }

    fn iter(&mut self) -> String {
        match self.choice(10, 6) {
            0 => "0..n".to_owned(),
            1 => format!("0..{}", self.expr()),
            2 => "v.iter()".to_owned(),
            3 => "v.iter().enumerate()".to_owned(),
            4 => "(0..n).rev().step_by(2)".to_owned(),
            5 => "v.iter().zip(w)".to_owned(),
            6 => "v".to_owned(),
            7 => "v.windows(2)".to_owned(),
            8 => "std::iter::repeat(x).take(3)".to_owned(),
            _ => format!("{}..={}", self.expr(), self.expr()),
        }
    }

    fn cond(&mut self) -> String {
        match self.choice(5, 4) {
            0..=2 => format!(
                "{} {} {}",
                self.expr(),
                self.pick(&[">", "<", "==", "!=", ">=", "<="], 6),
                self.expr()
            ),
            3 => format!("{} && {}", self.expr(), self.expr()),
            _ => format!("let Some(a) = {}", self.expr()),
        }
    }

    fn atom(&mut self) -> String {
        self.pick(
            &[
                "x",
                "y",
                "1.0",
                "2",
                "n",
                "v",
                "dx",
                "seed",
                "PI",
                "std::f64::consts::PI",
                "T::one()",
                "T::from(2.0).unwrap()",
                "1e-3",
                "K",
                "x_bar",
                "_t0",
                "r#type",
                "true",
                "2.0_f32",
                "\"s\"",
                "'c'",
                "self",
                "self.k",
                "S { x: 1.0 }",
                "()",
                "f64::MAX",
                "f64::NAN",
            ],
            18,
        )
        .to_owned()
    }

    fn expr(&mut self) -> String {
        if self.leaf() {
            return self.atom();
        }
        self.depth += 1;
        // Safe mode: no closures, `unsafe`, `async`, labelled blocks, `?` or macros.
        const SAFE: [usize; 22] = [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17, 18, 21, 22, 23, 24, 25, 27,
        ];
        let kind = if self.safe {
            SAFE[self.t.choose(SAFE.len())]
        } else {
            self.t.choose(28)
        };
        let e = match kind {
            0..=3 => self.atom(),
            4..=6 => format!(
                "{} {} {}",
                self.expr(),
                self.pick(
                    &[
                        "+", "-", "*", "/", "%", "<", "==", "&&", "&", "|", "^", "<<"
                    ],
                    4
                ),
                self.expr()
            ),
            7 => format!(
                "{}{}",
                self.pick(&["-", "!", "*", "&", "&mut "], 1),
                self.expr()
            ),
            8..=10 => format!(
                "({}).{}({})",
                self.expr(),
                self.pick(
                    &[
                        "sin", "cos", "powi", "powf", "mul_add", "max", "clamp", "abs", "sqrt",
                        "atan2", "sin_cos", "hypot", "len", "foo", "unwrap", "clone", "to_bits",
                    ],
                    12
                ),
                self.args()
            ),
            11 => format!(
                "{}({})",
                self.pick(
                    &[
                        "f64::sin", "T::exp", "f64::max", "f", "g", "Box::new", "Some", "inner"
                    ],
                    3
                ),
                self.args()
            ),
            12 => format!(
                "{} {}",
                self.pick(&["|a| a *", "move |a: f64| a +", "|&a| a -", "|| "], 4),
                self.expr()
            ),
            13 => self.block(),
            14 => format!("unsafe {}", self.block()),
            15 => format!("async {}", self.block()),
            16 => format!("if {} {} else {}", self.cond(), self.block(), self.block()),
            17 => format!(
                "match {} {{ {} => {}, {} => {}, _ => {} }}",
                self.expr(),
                self.pick(
                    &[
                        "0",
                        "1 | 2",
                        "0..=3",
                        "1.5",
                        "Some(a)",
                        "a if a > 0",
                        "S { x }"
                    ],
                    3
                ),
                self.expr(),
                self.pick(&["1", "true", "-1.0", "(a, b)", "[a, ..]", "'c'"], 2),
                self.expr(),
                self.expr()
            ),
            18 => format!("loop {{ break {}; }}", self.expr()),
            19 => format!("'b: {{ break 'b {}; }}", self.expr()),
            20 => format!("{}?", self.expr()),
            21 => format!("{} as {}", self.expr(), self.ty()),
            22 => format!("({}, {})", self.expr(), self.expr()),
            23 => format!("[{}; 3]", self.expr()),
            24 => format!("v[{}]", self.expr()),
            25 => format!("return {}", self.expr()),
            26 => format!(
                "{}!({})",
                self.pick(&["vec", "format", "m", "concat", "matches", "stringify"], 6),
                self.expr()
            ),
            // Closure bodies that are no block tail once desugared, and one that is no Rust.
            _ => match self.t.choose(4) {
                0 => format!("(v.iter().map(|a| a * {}).sum::<f64>())", self.expr()),
                1 => format!(
                    "(v.iter().map(|a| loop {{ break *a }} / {}).sum::<f64>())",
                    self.expr()
                ),
                2 => format!(
                    "(v.iter().fold(0.0, |s, a| loop {{ break s }} + a * {}))",
                    self.expr()
                ),
                _ => "(v.iter().map(|a| crate * a).sum::<f64>())".to_owned(),
            },
        };
        self.depth -= 1;
        e
    }

    fn args(&mut self) -> String {
        let n = self.t.choose(3);
        (0..n).map(|_| self.expr()).collect::<Vec<_>>().join(", ")
    }
}

fn syntax_trees() -> impl Strategy<Value = (TokenStream, TokenStream)> {
    (tape(24), tape(600)).prop_map(|(a, i)| {
        let args = random_args(&mut Tape::new(&a));
        let text = Grammar::new(&i).function();
        // A text that parses is fed as syn prints it; one that does not, as raw tokens.
        let item = match syn::parse_str::<syn::ItemFn>(&text) {
            Ok(f) => f.to_token_stream(),
            Err(_) => TokenStream::from_str(&text).unwrap_or_default(),
        };
        (args, item)
    })
}

#[test]
fn fuzz_random_syntax_trees_never_panic() {
    run("random syntax trees", syntax_trees());
}

#[test]
fn the_grammar_mostly_parses() {
    // Most grammar outputs must parse as functions, or the property would mostly test the
    // parser's error path.
    let mut rng = Rng(7);
    let mut parsed = 0;
    for _ in 0..400 {
        let data: Vec<u32> = (0..300).map(|_| rng.next()).collect();
        let text = Grammar::new(&data).function();
        parsed += usize::from(syn::parse_str::<syn::ItemFn>(&text).is_ok());
    }
    assert!(parsed >= 200, "only {parsed} of 400 grammar outputs parse");
}

/// A small generator for the test above (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    }
}
