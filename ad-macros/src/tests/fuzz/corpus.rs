//! Mutations of valid annotated functions: the goldens' inputs and a corpus.

use super::*;

/// Valid annotated functions beyond the goldens' inputs: data, generics, methods, every output
/// shape, control flow of every kind.
pub(super) const CORPUS: &str = r#"
#[derive_grad]
pub(super) fn sumsq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>()
}
#[derive_tangent]
pub(super) fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        s += 100.0 * t * t + (1.0 - x[i]).powi(2);
    }
    s
}
#[derive_grad]
pub(super) fn arr(x: [f64; 3], k: usize) -> [f64; 2] {
    let mut out = [0.0; 2];
    out[0] = x[k % 3].sin() * x[1];
    out[1] = x[0].hypot(x[2]);
    out
}
#[derive_tangent(wrt(a))]
pub(super) fn generic<T: Float>(a: T, b: T) -> T {
    let two = T::from(2.0).unwrap();
    a * b + two * a.exp()
}
#[derive_grad]
pub(super) fn branches(x: f64, y: f64, n: i32) -> (f64, f64) {
    let r = if x > 0.5 { x * y } else if y < 0.0 { -x } else { y.cos() };
    let m = match n % 3 { 0 => r, 1 | 2 => r * r, _ => 0.0 };
    (m, r + x)
}
#[derive_grad]
pub(super) fn loops(x0: f64, p: f64, n: usize) -> f64 {
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
pub(super) fn refs(x: &f64, y: &mut f64, v: &mut Vec<f64>) {
    *y = *y * x.sin();
    v[0] += *x;
}
#[derive_grad]
pub(super) fn local_vec(x: &[f64]) -> f64 {
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
pub(super) fn energy(&self, x: f64) -> f64 {
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
pub(super) fn odd_syntax(x: &[f64], n: usize) -> f64 {
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
pub(super) fn verbatim_items(x: f64) -> f64 {
    type T;
    fn h();
    let mut y = x * 3.0;
    y = 2.0;
    y.sin() * x
}
"#;

/// A token tree with its groups opened, so mutations can reach inside them.
#[derive(Clone)]
pub(super) enum Tok {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Tok>),
}

pub(super) fn to_toks(ts: TokenStream) -> Vec<Tok> {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => Tok::Group(g.delimiter(), to_toks(g.stream())),
            other => Tok::Leaf(other),
        })
        .collect()
}

pub(super) fn from_toks(toks: &[Tok]) -> TokenStream {
    toks.iter()
        .map(|t| match t {
            Tok::Leaf(tt) => tt.clone(),
            Tok::Group(d, inner) => TokenTree::Group(Group::new(*d, from_toks(inner))),
        })
        .collect()
}

/// Number of token sequences: the top level and every group's contents.
pub(super) fn count_seqs(toks: &[Tok]) -> usize {
    1 + toks
        .iter()
        .map(|t| match t {
            Tok::Group(_, inner) => count_seqs(inner),
            Tok::Leaf(_) => 0,
        })
        .sum::<usize>()
}

/// The `k`-th sequence in preorder (0 is the top level).
pub(super) fn nth_seq<'a>(toks: &'a mut Vec<Tok>, k: &mut usize) -> Option<&'a mut Vec<Tok>> {
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
pub(super) fn statements(seq: &[Tok]) -> Vec<std::ops::Range<usize>> {
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
pub(super) fn mutate(toks: &mut Vec<Tok>, op: u8, a: u32, b: u32, t: &mut Tape) {
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
pub(super) fn corpus() -> Vec<(TokenStream, TokenStream)> {
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

pub(super) fn mutations() -> impl Strategy<Value = (TokenStream, TokenStream)> {
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
pub(super) fn fuzz_mutated_functions_never_panic() {
    run("mutated functions", mutations());
}

#[test]
pub(super) fn the_corpus_expands_cleanly() {
    // The unmutated corpus is what the mutations start from: it must be valid input.
    for (args, item) in corpus() {
        never_panics(&args, &item, &Tally::default()).unwrap();
    }
}

// =============================================================================================
// Regressions: inputs that once made the macros panic or write code that does not parse
// =============================================================================================
