//! The consumers of iterator chains (`for`, `sum`, `product`, `fold`, `for_each`, `count`,
//! `last`, `max_by` / `min_by`, `any` / `all`, `collect`), each written as a loop over the
//! stream of `chain.rs`.

use super::chain::{Closure, Item, Stream, closure_arg};
use super::iter::strip_derefs;
use super::view::Substitution;
use super::*;

impl Lowerer<'_> {
    /// `for PAT in CHAIN { BODY }` over memory, as a loop over indices. `None` when the
    /// iterator is not a chain over memory (a range stays as written).
    pub(super) fn rewrite_for(&mut self, f: &syn::ExprForLoop) -> Option<Expr> {
        if is_range_iterator(&f.expr) {
            return None;
        }
        let stream = match self.stream(&f.expr) {
            // Over constants only, the loop stays as written (its body is lowered as usual).
            Ok(Some(s)) if s.constant => return None,
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(why) => return self.cannot_rewrite(&f.expr, &why),
        };
        let ex = exits(
            &f.body,
            f.label
                .as_ref()
                .map(|l| l.name.ident.to_string())
                .as_deref(),
        );
        if stream.is_static() && (ex.brk || ex.cont || ex.through) {
            return self.cannot_rewrite(
                &f.expr,
                "a loop over an array literal is unrolled, and cannot `break` or `continue`",
            );
        }
        let code = self.stream_loop(&stream, f.label.as_ref(), |l, item| {
            let mut lets = Vec::new();
            let mut subst = Substitution::default();
            l.bind_item(&f.pat, item, &mut lets, &mut subst)?;
            let mut body = f.body.clone();
            subst.apply_block(&mut body);
            strip_derefs(&mut body, &pattern_names(&f.pat));
            let stmts = &body.stmts;
            Ok(quote!(#(#lets)* #(#stmts)*))
        });
        match code {
            Ok(code) => self.reparse(quote!({ #code }), f),
            Err(why) => self.cannot_rewrite(&f.expr, &why),
        }
    }

    /// `if let Some(v) = CHAIN.last() { A } else { B }` (any `Option` consumer): the chain
    /// as a block computing the value and setting `found`, declared first; `None` when `e` is
    /// not such a chain.
    pub(super) fn rewrite_found(&mut self, e: &Expr, found: &Ident) -> Option<Expr> {
        let Expr::MethodCall(m) = e else {
            return None;
        };
        let name = m.method.to_string();
        if !["max_by", "min_by", "last", "first", "next", "reduce"].contains(&name.as_str()) {
            return None;
        }
        let stream = match self.stream(&m.receiver) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(why) => return self.cannot_rewrite(&m.receiver, &why),
        };
        match self.consumer(&stream, m, &name, Some(Empty::Found(found.clone()))) {
            Ok(code) => self.reparse(quote!({ #code }), e),
            Err(why) => self.cannot_rewrite(e, &why),
        }
    }

    /// A chain ending in a consumer, as a block computing its value. `None` when `m` is not
    /// such a chain.
    pub(super) fn rewrite_consumer(&mut self, m: &syn::ExprMethodCall, e: &Expr) -> Option<Expr> {
        let name = m.method.to_string();
        // `.max_by(..).unwrap()`, `.last().unwrap()`, `.reduce(f).unwrap_or(d)`: the `unwrap`
        // is part of the consumer, and says what an empty iterator gives.
        let optional = ["max_by", "min_by", "last", "first", "next", "reduce"];
        let (m, empty) = match (&*m.receiver, name.as_str()) {
            (Expr::MethodCall(inner), "unwrap" | "expect")
                if optional.contains(&inner.method.to_string().as_str()) =>
            {
                (inner, Some(Empty::Panic))
            }
            (Expr::MethodCall(inner), "unwrap_or")
                if optional.contains(&inner.method.to_string().as_str()) && m.args.len() == 1 =>
            {
                (inner, Some(Empty::Value(m.args[0].to_token_stream())))
            }
            _ => (m, None),
        };
        let unwrapped = empty.is_some();
        let name = m.method.to_string();
        let known = [
            "sum", "product", "fold", "for_each", "count", "last", "first", "next", "max_by",
            "min_by", "any", "all", "reduce",
        ];
        if !known.contains(&name.as_str()) {
            return None;
        }
        let stream = match self.stream(&m.receiver) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(why) => return self.cannot_rewrite(&m.receiver, &why),
        };
        if optional.contains(&name.as_str()) && !unwrapped {
            return self.refuse_chain(
                e,
                &format!("`{name}` gives an `Option`, not a float"),
                "Follow it with `.unwrap()` (an empty iterator then panics, as in your code) or \
                 `.unwrap_or(value)`",
            );
        }
        match self.consumer(&stream, m, &name, empty) {
            Ok(code) => self.reparse(quote!({ #code }), e),
            Err(why) => self.cannot_rewrite(e, &why),
        }
    }

    /// The code of the consumer `name` over the stream `s`; `empty` is what an `Option`
    /// consumer does on an empty iterator (a panic, or the value `unwrap_or` gives).
    fn consumer(
        &mut self,
        s: &Stream,
        m: &syn::ExprMethodCall,
        name: &str,
        empty: Option<Empty>,
    ) -> Result<TokenStream, String> {
        let acc = self.synthetic("acc");
        let first = self.synthetic("first");
        match (name, m.args.len()) {
            ("sum" | "product", 0) => {
                let ty = match &m.turbofish {
                    Some(t) => t.args.first().map(|a| a.to_token_stream()),
                    None => self.float_ty.clone(),
                };
                let ty = ty.map(|t| quote!(: #t));
                let (start, op) = if name == "sum" {
                    (quote!(zero), quote!(+))
                } else {
                    (quote!(one), quote!(*))
                };
                let lp = self.stream_loop(s, None, |l, item| {
                    let v = l.item_expr(item)?;
                    Ok(quote!(#acc = #acc #op (#v);))
                })?;
                Ok(quote!(let mut #acc #ty = ::ad_runtime::#start(); #lp #acc))
            }
            ("fold", 2) => {
                let f = closure_arg(&m.args[1], 2)?;
                let init = &m.args[0];
                let lp = self.stream_loop(s, None, |l, item| {
                    let acc_item = Item::Int(acc.clone());
                    let v = l.apply(&f, &[acc_item, item.clone()])?;
                    Ok(quote!(#acc = #v;))
                })?;
                Ok(quote!(let mut #acc = #init; #lp #acc))
            }
            ("for_each", 1) => {
                let f = closure_arg(&m.args[0], 1)?;
                let lp = self.stream_loop(s, None, |l, item| {
                    let v = l.apply(&f, std::slice::from_ref(item))?;
                    Ok(quote!(#v;))
                })?;
                Ok(lp)
            }
            ("count", 0) => {
                let lp = self.stream_loop(s, None, |_, _| Ok(quote!(#acc += 1;)))?;
                Ok(quote!(let mut #acc: usize = 0; #lp #acc))
            }
            ("any" | "all", 1) => {
                let f = closure_arg(&m.args[0], 1)?;
                let (start, op) = if name == "any" {
                    (quote!(false), quote!(||))
                } else {
                    (quote!(true), quote!(&&))
                };
                let lp = self.stream_loop(s, None, |l, item| {
                    let v = l.apply(&f, std::slice::from_ref(item))?;
                    Ok(quote!(#acc = #acc #op #v;))
                })?;
                Ok(quote!(let mut #acc = #start; #lp #acc))
            }
            // `reduce(f)`: the first item, then `f(acc, item)` for each of the others.
            ("reduce", 1) => {
                let f = closure_arg(&m.args[0], 2)?;
                self.optional(s, &acc, &first, empty, |l, item| {
                    let next = l.apply(&f, &[Item::Int(acc.clone()), Item::Int(item.clone())])?;
                    Ok(quote!(if #first { #acc = #item; } else { #acc = #next; }))
                })
            }
            // `Iterator::max_by` keeps the later of equal items, `min_by` the earlier: the
            // comparison below is the standard library's, so ties go the same way.
            ("last" | "first" | "next" | "max_by" | "min_by", _) => {
                let cmp = match name {
                    "last" | "first" | "next" => None,
                    _ => Some(closure_arg(&m.args[0], 2)?),
                };
                self.optional(s, &acc, &first, empty, |_, item| {
                    let take = match &cmp {
                        None if name == "last" => quote!(true),
                        None => quote!(false),
                        Some(f) => {
                            let f = match f {
                                Closure::Literal(c) => c.to_token_stream(),
                                Closure::Path(p) => p.to_token_stream(),
                            };
                            let ord = quote!(::ad_runtime::ordering(&#acc, &#item, #f));
                            match name {
                                "max_by" => quote!(#ord != ::core::cmp::Ordering::Greater),
                                _ => quote!(#ord == ::core::cmp::Ordering::Greater),
                            }
                        }
                    };
                    Ok(quote!(if #first || #take { #acc = #item; }))
                })
            }
            _ => Err(format!("`{name}` with {} argument(s)", m.args.len())),
        }
    }

    /// An `Option` consumer's loop: `acc`, and `first` while nothing has come; each item bound
    /// to `__ad_item`, then `step(item)` updates `acc`; after the loop, what `empty` says.
    fn optional(
        &mut self,
        s: &Stream,
        acc: &Ident,
        first: &Ident,
        empty: Option<Empty>,
        step: impl Fn(&mut Self, &Ident) -> Result<TokenStream, String>,
    ) -> Result<TokenStream, String> {
        let ty = self.float_ty.clone().map(|t| quote!(: #t));
        let item = Ident::new("__ad_item", acc.span());
        let lp = self.stream_loop(s, None, |l, it| {
            let v = l.item_expr(it)?;
            let step = step(l, &item)?;
            Ok(quote!(
                let #item = #v;
                #step
                #first = false;
            ))
        })?;
        let on_empty = empty.map(|e| e.code(first, acc));
        Ok(quote!(
            let mut #acc #ty = ::ad_runtime::zero();
            let mut #first = true;
            #lp
            #on_empty
            #acc
        ))
    }

    /// `let v: Vec<F> = CHAIN.collect();` as `let mut v = Vec::new(); for .. { v.push(item) }`.
    /// `None` when the initialiser is not such a chain.
    pub(super) fn rewrite_collect(&mut self, local: &syn::Local) -> Option<Vec<SynStmt>> {
        let init = local.init.as_ref()?;
        let Expr::MethodCall(m) = &*init.expr else {
            return None;
        };
        if m.method != "collect" || !m.args.is_empty() {
            return None;
        }
        let (ident, _) = simple_pattern(&local.pat)?;
        let stream = match self.stream(&m.receiver) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(why) => {
                self.cannot_rewrite(&m.receiver, &why);
                return Some(Vec::new());
            }
        };
        let out = self.synthetic("out");
        self.maybe_active.insert(out.to_string());
        let code = self.stream_loop(&stream, None, |l, item| {
            let v = l.item_expr(item)?;
            Ok(quote!(#out.push(#v);))
        });
        let code = match code {
            Ok(c) => c,
            Err(why) => {
                self.cannot_rewrite(&init.expr, &why);
                return Some(Vec::new());
            }
        };
        let block: syn::Block = self.reparse(
            quote!({
                let mut #out = ::ad_runtime::__alloc::vec::Vec::new();
                #code
                let #ident = #out;
            }),
            local,
        )?;
        Some(block.stmts)
    }

    /// A spanned error for a chain that is not rewritten, with the reason; the chain becomes
    /// an empty block, so that it is reported once (the function is refused anyway).
    pub(super) fn cannot_rewrite(&mut self, node: &impl ToTokens, why: &str) -> Option<Expr> {
        self.refuse_chain(
            node,
            why,
            "Write it as a `for` loop over indices, with any condition as an `if`",
        )
    }

    pub(super) fn refuse_chain(
        &mut self,
        node: &impl ToTokens,
        why: &str,
        fix: &str,
    ) -> Option<Expr> {
        self.errors.spanned(
            node,
            format!(
                "{} cannot differentiate this iterator chain: {why}. {fix}",
                self.mode
            ),
        );
        Some(syn::parse_quote!({}))
    }
}

/// What an `Option` consumer (`last`, `max_by`, `reduce`, ..) does on an empty iterator.
pub(super) enum Empty {
    /// `.unwrap()`, `.expect(..)`: panics, as the standard library does.
    Panic,
    /// `.unwrap_or(value)`: gives the value.
    Value(TokenStream),
    /// `if let Some(v) = ..`: sets the flag (declared before) to whether an item came.
    Found(Ident),
}

impl Empty {
    /// The statement run after the loop, `first` still true when nothing came.
    fn code(&self, first: &Ident, acc: &Ident) -> TokenStream {
        match self {
            Empty::Panic => {
                quote!(if #first { ::core::panic!("called `Option::unwrap()` on a `None` value"); })
            }
            Empty::Value(v) => quote!(if #first { #acc = #v; }),
            Empty::Found(flag) => quote!(#flag = !#first;),
        }
    }
}
