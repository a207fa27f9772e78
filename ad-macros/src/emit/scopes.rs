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

use proc_macro2::{Delimiter, Group, Ident, Spacing, TokenStream, TokenTree};
use quote::quote;

/// Blocks with more `let`s than this are gathered.
const RUN: usize = 96;
/// `let`s per gathered block.
const CHUNK: usize = 48;

/// `body` (a function body's statements) with long runs of `let`s gathered into blocks;
/// unchanged when it has no long run (nearly every function). It works on the tokens, not on a
/// syntax tree: parsing a body of thousands of statements again cost a quarter of the
/// expansion.
pub fn shallow(body: &TokenStream) -> TokenStream {
    shallow_sized(body).0
}

/// [`shallow`], and the number of statements in `body` (its `;`s, nested ones included),
/// counted in the same walk.
pub fn shallow_sized(body: &TokenStream) -> (TokenStream, usize) {
    let (lets, statements) = tally(body);
    let body = if lets <= RUN {
        body.clone()
    } else {
        gathered(body)
    };
    (body, statements)
}

/// The `let`s and the `;`s in `tokens`, nested ones included.
fn tally(tokens: &TokenStream) -> (usize, usize) {
    let (mut lets, mut semis) = (0, 0);
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) if i == "let" => lets += 1,
            TokenTree::Punct(p) if p.as_char() == ';' => semis += 1,
            TokenTree::Group(g) => {
                let (l, s) = tally(&g.stream());
                lets += l;
                semis += s;
            }
            _ => {}
        }
    }
    (lets, semis)
}

/// One block's statements (and those of the blocks in it), gathered.
fn gathered(tokens: &TokenStream) -> TokenStream {
    // Statements, split at the `;`s of this level (a statement ending in a block, such as a
    // loop, runs on into the next one: together they are not plain, and stay as written); the
    // blocks inside (loop bodies, branches) gathered first.
    let mut stmts: Vec<Vec<TokenTree>> = Vec::new();
    let mut current = Vec::new();
    for t in tokens.clone() {
        let t = match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                let mut inner = Group::new(Delimiter::Brace, gathered(&g.stream()));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            t => t,
        };
        let end = matches!(&t, TokenTree::Punct(p) if p.as_char() == ';');
        current.push(t);
        if end {
            stmts.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        stmts.push(current);
    }
    let lets = stmts
        .iter()
        .filter(|s| matches!(s.first(), Some(TokenTree::Ident(i)) if i == "let"))
        .count();
    if lets <= RUN {
        return stmts.into_iter().flatten().collect();
    }
    let facts: Vec<Facts> = stmts.iter().map(|s| Facts::of(s)).collect();
    // The last statement naming each identifier (by spelling: a few extra names returned from
    // a block cost nothing).
    let mut last_use: HashMap<&str, usize> = HashMap::new();
    for (i, f) in facts.iter().enumerate() {
        for id in &f.idents {
            last_use.insert(id, i);
        }
    }
    let mut out = TokenStream::new();
    let mut run = Run::default();
    for (i, (stmt, facts)) in stmts.iter().zip(&facts).enumerate() {
        let Some(bound) = plain(stmt, facts) else {
            run.flush(&mut out, i, &last_use);
            out.extend(stmt.iter().cloned());
            continue;
        };
        let rebinds = bound
            .as_ref()
            .is_some_and(|(b, _)| run.bound.contains(&b.to_string()));
        let borrows_run = facts.borrows && facts.idents.iter().any(|id| run.bound.contains(id));
        if rebinds || (run.lets > 0 && borrows_run) {
            run.flush(&mut out, i, &last_use);
        }
        if let Some((ident, mutable)) = bound {
            run.bound.insert(ident.to_string());
            run.names.push((ident, mutable));
            run.lets += 1;
        }
        run.stmts.extend(stmt.iter().cloned());
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
    stmts: TokenStream,
    /// The names its `let`s bind, in order, and whether each is `mut`.
    names: Vec<(Ident, bool)>,
    bound: HashSet<String>,
    lets: usize,
}

impl Run {
    /// Writes the run as one block returning its names read at or after statement `next`.
    fn flush(&mut self, out: &mut TokenStream, next: usize, last_use: &HashMap<&str, usize>) {
        let run = std::mem::take(self);
        if run.lets < 2 {
            out.extend(run.stmts);
            return;
        }
        let kept: Vec<&(Ident, bool)> = run
            .names
            .iter()
            .filter(|(n, _)| {
                last_use
                    .get(n.to_string().as_str())
                    .is_some_and(|u| *u >= next)
            })
            .collect();
        let names = kept.iter().map(|(n, _)| n);
        let pats = kept.iter().map(|(n, m)| {
            let m = m.then(|| quote!(mut));
            quote!(#m #n)
        });
        let stmts = &run.stmts;
        out.extend(if kept.is_empty() {
            quote!({ #stmts })
        } else {
            quote!(let (#(#pats,)*) = { #stmts (#(#names,)*) };)
        });
    }
}

/// What one walk over a statement's tokens finds.
#[derive(Default)]
struct Facts {
    /// Every identifier, by spelling.
    idents: Vec<String>,
    /// A closure, block, macro, attribute or control flow.
    complex: bool,
    /// It may take a reference: `&`, or a method call other than a float rule's (`v.iter()`
    /// borrows `v`; `x.sin()` takes `x` by value).
    borrows: bool,
}

impl Facts {
    fn of(trees: &[TokenTree]) -> Facts {
        let mut facts = Facts::default();
        facts.walk(trees);
        facts
    }

    fn walk(&mut self, trees: &[TokenTree]) {
        for (k, t) in trees.iter().enumerate() {
            match t {
                TokenTree::Group(g) => {
                    self.complex |= g.delimiter() == Delimiter::Brace;
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    self.walk(&inner);
                }
                TokenTree::Punct(p) => match p.as_char() {
                    '|' | '!' | '#' => self.complex = true,
                    '&' => self.borrows = true,
                    '.' => {
                        self.borrows |= match (trees.get(k + 1), trees.get(k + 2)) {
                            (Some(TokenTree::Ident(m)), Some(TokenTree::Group(g)))
                                if g.delimiter() == Delimiter::Parenthesis =>
                            {
                                crate::rules::method(&m.to_string()).is_none()
                            }
                            // `.m::<T>(..)`
                            (Some(TokenTree::Ident(_)), Some(TokenTree::Punct(p))) => {
                                p.as_char() == ':'
                            }
                            _ => false,
                        }
                    }
                    _ => {}
                },
                TokenTree::Ident(i) => {
                    let word = i.to_string();
                    self.complex |= matches!(
                        word.as_str(),
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
                            | "else"
                    );
                    self.idents.push(word);
                }
                TokenTree::Literal(_) => {}
            }
        }
    }
}

/// For a statement (its tokens, `;` included) that may go into a block: `Some(Some((name,
/// mut)))` for `let [mut] NAME[: TYPE] = EXPR;`, `Some(None)` for an expression statement
/// (`a = e;`, `s.push(e);`); `None` for anything else (an item, an attribute, a pattern, a
/// statement without `;`, a complex one).
fn plain(trees: &[TokenTree], facts: &Facts) -> Option<Option<(Ident, bool)>> {
    if !matches!(trees.last(), Some(TokenTree::Punct(p)) if p.as_char() == ';') || facts.complex {
        return None;
    }
    let word = |k: usize| match trees.get(k) {
        Some(TokenTree::Ident(i)) => Some(i.clone()),
        _ => None,
    };
    let first = word(0)?;
    if first != "let" {
        let item = matches!(
            first.to_string().as_str(),
            "fn" | "struct"
                | "enum"
                | "use"
                | "impl"
                | "const"
                | "static"
                | "mod"
                | "type"
                | "trait"
                | "pub"
                | "extern"
        );
        return (!item).then_some(None);
    }
    let mutable = word(1).is_some_and(|w| w == "mut");
    let k = 1 + usize::from(mutable);
    let name = word(k)?;
    match trees.get(k + 1) {
        Some(TokenTree::Punct(p))
            if (p.as_char() == ':' || p.as_char() == '=') && p.spacing() == Spacing::Alone =>
        {
            let init = trees[k + 1..]
                .iter()
                .any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '='));
            init.then_some(Some((name, mutable)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse::Parser;

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
    fn names_read_in_a_gathered_inner_block_stay_in_scope() {
        // `v0` is bound in the outer body's first gathered block and read only inside an inner
        // block that is gathered too: the outer block must return it.
        let mut body: Vec<TokenTree> = run_of(RUN + 10).into_iter().collect();
        body.pop(); // the tail
        let mut body: TokenStream = body.into_iter().collect();
        let mut inner = quote!(let a0 = v0 * 2.0;);
        for i in 1..RUN + 10 {
            let (a, b) = (
                quote::format_ident!("a{}", i),
                quote::format_ident!("a{}", i - 1),
            );
            inner.extend(quote!(let #a = #b.cos();));
        }
        let last = quote::format_ident!("a{}", RUN + 9);
        body.extend(quote!(let r = { #inner #last }; r));
        let out = shallow(&body).to_string();
        assert!(out.starts_with("let (v0 ,"), "{}", &out[..200]);
        assert!(out.contains("let (a47 ,) = {"), "{out}");
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
