//! Long runs of `let`s in generated code, gathered into blocks so that lexical scopes do not
//! nest thousands deep.
//!
//! Every `let` opens a scope that lasts to the end of its block, so a body of `n` `let`s nests `n`
//! scopes, and with debug info LLVM recurses once per scope when it writes them: the derivatives
//! of a function of a thousand statements overflowed rustc's default stack in a debug build.
//! Above `RUN` `let`s in one block, consecutive simple statements go into blocks of at most
//! `CHUNK` `let`s, each returning the names read after it:
//!
//! Input:  `let a = x * y; let b = a.sin(); let c = b + a; .. c`
//! Output: `let (a, b) = { let a = x * y; let b = a.sin(); (a, b) }; let (c,) = { .. }; .. c`
//!
//! The depth is then about `n / CHUNK + CHUNK`. The arithmetic is unchanged; the tuples are
//! gone after optimisation.
//!
//! A block must not end a borrow or move a value the code after it still uses, so only plain
//! statements go in (`let NAME = EXPR;`, assignments and calls, over no closure, block, macro or
//! control flow), and a block ends before a statement that takes a reference (`&`, or a method
//! that is not a float rule's) while naming a value bound inside it, and before one that binds a
//! name bound inside it again.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::visit_mut::VisitMut;

/// Blocks with more `let`s than this are gathered.
const RUN: usize = 96;
/// `let`s per gathered block.
const CHUNK: usize = 48;

/// `body` (a function body's statements) with long runs of `let`s gathered into blocks;
/// unchanged when it has no long run (nearly every function) or cannot be parsed.
pub fn shallow(body: &TokenStream) -> TokenStream {
    if lets(body) <= RUN {
        return body.clone();
    }
    let Ok(mut stmts) = syn::Block::parse_within.parse2(body.clone()) else {
        return body.clone();
    };
    let mut gather = Gather;
    for s in &mut stmts {
        gather.visit_stmt_mut(s);
    }
    let stmts = gathered(stmts);
    quote!(#(#stmts)*)
}

/// The `let`s in `tokens`, nested ones included.
fn lets(tokens: &TokenStream) -> usize {
    tokens
        .clone()
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == "let" => 1,
            TokenTree::Group(g) => lets(&g.stream()),
            _ => 0,
        })
        .sum()
}

/// Gathers the runs of every nested block (loop bodies, branches).
struct Gather;

impl VisitMut for Gather {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        syn::visit_mut::visit_block_mut(self, block);
        let count = block
            .stmts
            .iter()
            .filter(|s| matches!(s, syn::Stmt::Local(_)))
            .count();
        if count > RUN {
            block.stmts = gathered(std::mem::take(&mut block.stmts));
        }
    }
}

/// One block's statements, gathered.
fn gathered(stmts: Vec<syn::Stmt>) -> Vec<syn::Stmt> {
    if stmts
        .iter()
        .filter(|s| matches!(s, syn::Stmt::Local(_)))
        .count()
        <= RUN
    {
        return stmts;
    }
    // The last statement naming each identifier (by spelling: a few extra names returned from
    // a block cost nothing).
    let tokens: Vec<TokenStream> = stmts.iter().map(ToTokens::to_token_stream).collect();
    let mut last_use: HashMap<String, usize> = HashMap::new();
    for (i, t) in tokens.iter().enumerate() {
        for_idents(t, &mut |id| {
            last_use.insert(id.to_string(), i);
        });
    }
    let mut out = Vec::new();
    let mut run = Run::default();
    for (i, (stmt, t)) in stmts.into_iter().zip(tokens).enumerate() {
        let Some(bound) = plain(&stmt, &t) else {
            run.flush(&mut out, i, &last_use);
            out.push(stmt);
            continue;
        };
        let rebinds = bound
            .as_ref()
            .is_some_and(|(b, _)| run.bound.contains(&b.to_string()));
        if rebinds || (run.lets > 0 && borrows(&t) && names_any(&t, &run.bound)) {
            run.flush(&mut out, i, &last_use);
        }
        if let Some((ident, mutable)) = bound {
            run.bound.insert(ident.to_string());
            run.names.push((ident, mutable));
            run.lets += 1;
        }
        run.stmts.push(stmt);
        if run.lets >= CHUNK {
            run.flush(&mut out, i + 1, &last_use);
        }
    }
    run.flush(&mut out, usize::MAX, &last_use);
    out
}

/// The statements of the block being gathered.
#[derive(Default)]
struct Run {
    stmts: Vec<syn::Stmt>,
    /// The names its `let`s bind, in order, and whether each is `mut`.
    names: Vec<(Ident, bool)>,
    bound: HashSet<String>,
    lets: usize,
}

impl Run {
    /// Writes the run as one block returning its names read at or after statement `next`.
    fn flush(&mut self, out: &mut Vec<syn::Stmt>, next: usize, last_use: &HashMap<String, usize>) {
        let run = std::mem::take(self);
        if run.lets < 2 {
            out.extend(run.stmts);
            return;
        }
        let kept: Vec<&(Ident, bool)> = run
            .names
            .iter()
            .filter(|(n, _)| last_use.get(&n.to_string()).is_some_and(|u| *u >= next))
            .collect();
        let names = kept.iter().map(|(n, _)| n);
        let pats = kept.iter().map(|(n, m)| {
            let m = m.then(|| quote!(mut));
            quote!(#m #n)
        });
        let stmts = &run.stmts;
        let tokens = if kept.is_empty() {
            quote!({ #(#stmts)* })
        } else {
            quote!(let (#(#pats,)*) = { #(#stmts)* (#(#names,)*) };)
        };
        match syn::Block::parse_within.parse2(tokens) {
            Ok(stmts) => out.extend(stmts),
            Err(_) => out.extend(run.stmts),
        }
    }
}

/// For a statement that may go into a block: `Some(Some((name, mut)))` for `let [mut] NAME[:
/// TYPE] = EXPR;`, `Some(None)` for an expression statement (`a = e;`, `s.push(e);`); `None`
/// for anything else, or when the expression holds a closure, block, macro or control flow.
fn plain(stmt: &syn::Stmt, tokens: &TokenStream) -> Option<Option<(Ident, bool)>> {
    let bound = match stmt {
        syn::Stmt::Local(local) => {
            let init = local.init.as_ref()?;
            if init.diverge.is_some() {
                return None;
            }
            let pat = match &local.pat {
                syn::Pat::Type(t) => &*t.pat,
                p => p,
            };
            if lane_wise(&init.expr) {
                // `lanes(|k| ..)` returns the lanes; the closure's borrows end with the call.
                return match pat {
                    syn::Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none() => {
                        Some(Some((i.ident.clone(), i.mutability.is_some())))
                    }
                    _ => None,
                };
            }
            match pat {
                syn::Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none() => {
                    Some((i.ident.clone(), i.mutability.is_some()))
                }
                _ => return None,
            }
        }
        syn::Stmt::Expr(_, Some(_)) => None,
        _ => return None,
    };
    simple(tokens).then_some(bound)
}

/// Whether `e` is a call of `::ad_runtime::jacobian::lanes` (the tangent of one operation in
/// vector forward mode), which returns owned lanes.
fn lane_wise(e: &syn::Expr) -> bool {
    let syn::Expr::Call(call) = e else {
        return false;
    };
    let syn::Expr::Path(p) = &*call.func else {
        return false;
    };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["ad_runtime", "jacobian", "lanes"]
}

/// No closure, block, macro or control flow in the tokens.
fn simple(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().all(|t| match t {
        TokenTree::Group(g) => g.delimiter() != Delimiter::Brace && simple(&g.stream()),
        TokenTree::Punct(p) => !matches!(p.as_char(), '|' | '!'),
        TokenTree::Ident(i) => !matches!(
            i.to_string().as_str(),
            "if" | "match"
                | "loop"
                | "while"
                | "for"
                | "return"
                | "break"
                | "continue"
                | "move"
                | "async"
                | "await"
                | "unsafe"
                | "yield"
        ),
        TokenTree::Literal(_) => true,
    })
}

/// Whether the tokens may take a reference: `&`, or a method call other than a float rule's
/// (`v.iter()` borrows `v`; `x.sin()` takes `x` by value).
fn borrows(tokens: &TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    trees.iter().enumerate().any(|(k, t)| match t {
        TokenTree::Punct(p) if p.as_char() == '&' => true,
        TokenTree::Punct(p) if p.as_char() == '.' => match (trees.get(k + 1), trees.get(k + 2)) {
            (Some(TokenTree::Ident(m)), Some(TokenTree::Group(g)))
                if g.delimiter() == Delimiter::Parenthesis =>
            {
                crate::rules::method(&m.to_string()).is_none()
            }
            // `.m::<T>(..)`
            (Some(TokenTree::Ident(_)), Some(TokenTree::Punct(p))) if p.as_char() == ':' => true,
            _ => false,
        },
        TokenTree::Group(g) => borrows(&g.stream()),
        _ => false,
    })
}

/// Whether the tokens name one of `names`.
fn names_any(tokens: &TokenStream, names: &HashSet<String>) -> bool {
    let mut found = false;
    for_idents(tokens, &mut |id| found |= names.contains(&id.to_string()));
    found
}

fn for_idents(tokens: &TokenStream, f: &mut impl FnMut(&Ident)) {
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) => f(&i),
            TokenTree::Group(g) => for_idents(&g.stream(), f),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(n: usize) -> TokenStream {
        let mut body = TokenStream::new();
        body.extend(quote!(let v0 = x;));
        for i in 1..n {
            let (a, b) = (
                quote::format_ident!("v{}", i),
                quote::format_ident!("v{}", i - 1),
            );
            body.extend(quote!(let #a = #b.sin() * x;));
        }
        let last = quote::format_ident!("v{}", n - 1);
        body.extend(quote!(#last));
        body
    }

    /// The deepest nesting of `let` scopes: `let`s in a block plus the depth of the block.
    fn depth(stmts: &[syn::Stmt]) -> usize {
        let mut deepest = 0;
        let mut lets = 0;
        for s in stmts {
            let inner = match s {
                syn::Stmt::Local(l) => match l.init.as_ref().map(|i| &*i.expr) {
                    Some(syn::Expr::Block(b)) => depth(&b.block.stmts),
                    _ => 0,
                },
                syn::Stmt::Expr(syn::Expr::Block(b), _) => depth(&b.block.stmts),
                _ => 0,
            };
            deepest = deepest.max(lets + inner);
            if matches!(s, syn::Stmt::Local(_)) {
                lets += 1;
            }
        }
        deepest.max(lets)
    }

    #[test]
    fn short_bodies_are_unchanged() {
        let body = run_of(RUN);
        assert_eq!(shallow(&body).to_string(), body.to_string());
    }

    #[test]
    fn long_runs_nest_shallowly_and_keep_what_is_read_later() {
        let body = shallow(&run_of(2000));
        let stmts = syn::Block::parse_within.parse2(body.clone()).unwrap();
        let d = depth(&stmts);
        assert!(d <= 2000 / CHUNK + CHUNK + 2, "depth {d}");
        // Each block returns only the one value the next reads.
        let text = body.to_string();
        assert!(text.contains("let (v47 ,) = {"), "{}", &text[..400]);
        assert!(text.ends_with("v1999"));
    }

    #[test]
    fn a_block_ends_before_a_borrow_of_its_own_values() {
        let mut body: Vec<TokenTree> = run_of(RUN + 10).into_iter().collect();
        body.pop(); // the tail
        let mut body: TokenStream = body.into_iter().collect();
        body.extend(
            quote!(let it = v104.iter(); let r = &v105; let s = v103.sin(); let w = m!(s); w),
        );
        let out = shallow(&body).to_string();
        // The block binding `v104` ends before `v104.iter()` and returns what is read after it.
        assert!(out.contains("(v103 , v104 , v105 ,) = {"), "{out}");
        assert!(
            out.contains("{ let it = v104 . iter () ; let r = & v105 ;"),
            "{out}"
        );
        // A macro stays outside any block.
        assert!(out.contains("} ; let w = m ! (s) ; w"), "{out}");
    }
}
