//! Iterator chains, as people write them, rewritten into loops over indices before lowering.
//!
//! A chain is a source, adaptors and a consumer:
//!
//! ```text
//! x.iter().zip(y).enumerate().map(|(i, (a, b))| a * b * i as f64).sum::<f64>()
//! ```
//!
//! Every source is replaced by an iterator over integers (`x.iter()` → `0..x.len()`,
//! `x.windows(w)` → `0..(x.len() + 1).saturating_sub(w)`), the adaptors that only count or
//! reorder (`zip`, `enumerate`, `rev`, `skip`, `take`, `step_by`) stay as written on those
//! integers, and the item is rebuilt from the indices in the loop body (`x[k]`, a window
//! `x[s..s + w]` read through its start, a row `p[k]`). So the consumer becomes a plain `for`
//! loop over an inert integer iterator, which the loop lowering already knows how to replay and
//! reverse, and nothing is allocated unless the code collects:
//!
//! ```text
//! { let mut acc: f64 = zero; for (i, (k1, k2)) in (0..x.len()).zip(0..y.len()).enumerate() {
//!       acc = acc + { let (i, (a, b)) = (i, (x[k1], y[k2])); (a * b * i as f64) }; } acc }
//! ```
//!
//! A chain over an array literal held in variables (an aggregate, whose elements exist only at
//! compile time) is unrolled instead: its length is known and its elements are indexed by
//! literals.

use super::iter::{strip_derefs_expr, strip_ref_patterns};
use super::view::{Substitution, View, strip_parens};
use super::*;

/// What one item of a chain is, in terms of the indices of the current iteration.
#[derive(Clone)]
pub(super) enum Item {
    /// An element: the place `x[k]`, read by value, or written through (`iter_mut`).
    Place {
        place: TokenStream,
        mutable: bool,
    },
    /// A row of nested memory (`p[k]` of a `&[[F; N]]`), a window or a chunk: read by indexing.
    View(View),
    /// An integer: a range's value or an `enumerate` counter.
    Int(Ident),
    Tuple(Vec<Item>),
    /// `map(f)` of an item.
    Mapped {
        f: Box<Closure>,
        input: Box<Item>,
    },
}

/// A function given to an adaptor or consumer: a closure, or a path (`f64::exp`, a local
/// closure's name, an annotated function).
#[derive(Clone)]
pub(super) enum Closure {
    Literal(syn::ExprClosure),
    Path(Expr),
}

/// The integer iterator of a chain and the pattern binding each of its items.
enum Indices {
    /// An iterator expression over integers, evaluated at run time.
    Dynamic { iter: TokenStream, pat: TokenStream },
    /// Over aggregates: every iteration's index values, known at compile time.
    Static(Vec<Vec<(Ident, usize)>>),
}

/// A chain taken apart up to its consumer.
pub(super) struct Stream {
    /// `let`s evaluated once before the loop (a window's width, ..).
    setup: Vec<TokenStream>,
    indices: Indices,
    item: Item,
    /// Predicates (`filter`), each over the item as it was where it was applied.
    filters: Vec<(Closure, Item)>,
    /// The indices are `0..len` of one source, not adapted: item `n` is at index `n`.
    simple: bool,
    /// Every source holds constants (a slice or array the macro copies as written).
    pub(super) constant: bool,
}

/// Why a chain could not be rewritten; `None` when it is simply not a chain over memory.
type Rewrite<T> = Result<T, String>;

impl Lowerer<'_> {
    /// Takes an iterator expression apart into a stream, or says it is not one over memory
    /// (`Ok(None)`: a range of integers and its adapters, which stay as written).
    pub(super) fn stream(&mut self, e: &Expr) -> Rewrite<Option<Stream>> {
        let s = self.stream_of(e)?;
        // Integers only (ranges, and `zip` / `enumerate` of them): an iterator as written.
        fn integers(item: &Item) -> bool {
            match item {
                Item::Int(_) => true,
                Item::Tuple(items) => items.iter().all(integers),
                _ => false,
            }
        }
        Ok(s.filter(|s| !integers(&s.item) || !s.filters.is_empty() || s.is_static()))
    }

    fn stream_of(&mut self, e: &Expr) -> Rewrite<Option<Stream>> {
        match e {
            Expr::Paren(p) => return self.stream_of(&p.expr),
            Expr::Group(g) => return self.stream_of(&g.expr),
            Expr::Range(r) => {
                let k = self.synthetic("k");
                return Ok(Some(Stream {
                    setup: Vec::new(),
                    indices: Indices::Dynamic {
                        iter: quote!((#r)),
                        pat: quote!(#k),
                    },
                    item: Item::Int(k),
                    filters: Vec::new(),
                    simple: false,
                    constant: true,
                }));
            }
            Expr::Reference(r) if r.mutability.is_none() => return self.source(&r.expr, false),
            Expr::Reference(r) => return self.source(&r.expr, true),
            Expr::Path(_) => return self.source(e, false),
            _ => {}
        }
        let Expr::MethodCall(m) = e else {
            return Ok(None);
        };
        let name = m.method.to_string();
        let arity = m.args.len();
        match (name.as_str(), arity) {
            ("iter" | "into_iter", 0) => self.source(&m.receiver, false),
            ("iter_mut", 0) => self.source(&m.receiver, true),
            ("windows" | "chunks" | "chunks_exact", 1) => self.windows(m),
            ("copied" | "cloned", 0) => self.stream_of(&m.receiver),
            ("enumerate", 0) => {
                let Some(mut s) = self.stream_of(&m.receiver)? else {
                    return Ok(None);
                };
                positional(&s, "enumerate")?;
                let i = self.synthetic("i");
                s.indices = match s.indices {
                    Indices::Dynamic { iter, pat } => Indices::Dynamic {
                        iter: quote!(#iter.enumerate()),
                        pat: quote!((#i, #pat)),
                    },
                    Indices::Static(rows) => Indices::Static(
                        rows.into_iter()
                            .enumerate()
                            .map(|(n, mut row)| {
                                row.push((i.clone(), n));
                                row
                            })
                            .collect(),
                    ),
                };
                s.item = Item::Tuple(vec![Item::Int(i), s.item]);
                s.simple = false;
                Ok(Some(s))
            }
            ("zip", 1) => {
                let Some(mut a) = self.stream_of(&m.receiver)? else {
                    return Ok(None);
                };
                let Some(b) = self.stream_of(&m.args[0])? else {
                    return Err(format!(
                        "`zip` with `{}`, which is not a slice, an array, a range or a chain \
                         over one",
                        show(&m.args[0])
                    ));
                };
                positional(&a, "zip")?;
                positional(&b, "zip")?;
                let (a_simple, b_simple) = (a.simple, b.simple);
                a.setup.extend(b.setup);
                a.indices = match (a.indices, b.indices) {
                    (
                        Indices::Dynamic { iter: i1, pat: p1 },
                        Indices::Dynamic { iter: i2, pat: p2 },
                    ) => Indices::Dynamic {
                        iter: quote!(#i1.zip(#i2)),
                        pat: quote!((#p1, #p2)),
                    },
                    (Indices::Static(r1), Indices::Static(r2)) => Indices::Static(
                        r1.into_iter()
                            .zip(r2)
                            .map(|(mut x, y)| {
                                x.extend(y);
                                x
                            })
                            .collect(),
                    ),
                    // An array literal with an array or slice: the slice's index is the position.
                    (Indices::Static(rows), Indices::Dynamic { pat, .. })
                    | (Indices::Dynamic { pat, .. }, Indices::Static(rows))
                        if b_simple || a_simple =>
                    {
                        let k = syn::parse2::<Ident>(pat).map_err(|_| {
                            "`zip` of an array literal with an adapted iterator".to_owned()
                        })?;
                        Indices::Static(
                            rows.into_iter()
                                .enumerate()
                                .map(|(n, mut row)| {
                                    row.push((k.clone(), n));
                                    row
                                })
                                .collect(),
                        )
                    }
                    _ => {
                        return Err("`zip` of an array literal with a slice or a range".to_owned());
                    }
                };
                a.item = Item::Tuple(vec![a.item, b.item]);
                a.simple = false;
                a.constant &= b.constant;
                Ok(Some(a))
            }
            ("rev" | "skip" | "take" | "step_by", _) => {
                let Some(mut s) = self.stream_of(&m.receiver)? else {
                    return Ok(None);
                };
                if name != "rev" {
                    positional(&s, &name)?;
                }
                let (method, args) = (&m.method, &m.args);
                s.indices = match s.indices {
                    Indices::Dynamic { iter, pat } => Indices::Dynamic {
                        iter: quote!(#iter.#method(#args)),
                        pat,
                    },
                    Indices::Static(mut rows) => {
                        let n = match args.first() {
                            None => 0,
                            Some(a) => literal_index(a).ok_or_else(|| {
                                format!(
                                    "`{name}` over an array literal needs a literal count, not `{}`",
                                    show(a)
                                )
                            })?,
                        };
                        match name.as_str() {
                            "rev" => rows.reverse(),
                            "skip" => rows = rows.into_iter().skip(n).collect(),
                            "take" => rows.truncate(n),
                            _ => rows = rows.into_iter().step_by(n.max(1)).collect(),
                        }
                        Indices::Static(rows)
                    }
                };
                s.simple = false;
                Ok(Some(s))
            }
            ("map", 1) => {
                let Some(mut s) = self.stream_of(&m.receiver)? else {
                    return Ok(None);
                };
                let f = closure_arg(&m.args[0], 1)?;
                s.item = Item::Mapped {
                    f: Box::new(f),
                    input: Box::new(s.item),
                };
                Ok(Some(s))
            }
            ("filter", 1) => {
                let Some(mut s) = self.stream_of(&m.receiver)? else {
                    return Ok(None);
                };
                let f = closure_arg(&m.args[0], 1)?;
                s.filters.push((f, s.item.clone()));
                Ok(Some(s))
            }
            _ => Ok(None),
        }
    }

    /// `x`, `&x`, `x.iter()`, `x[a..b].iter()` of memory or of an aggregate.
    fn source(&mut self, e: &Expr, mutable: bool) -> Rewrite<Option<Stream>> {
        let e = match strip_parens(e) {
            Expr::Reference(r) if r.mutability.is_none() => strip_parens(&r.expr),
            other => other,
        };
        // A sub-slice `x[a..b]`: the indices `a..b` of `x`.
        if let Expr::Index(ix) = e
            && let Expr::Range(r) = &*ix.index
        {
            let Some(base) = self.source(&ix.expr, mutable)? else {
                return Ok(None);
            };
            let Indices::Dynamic { pat, .. } = &base.indices else {
                return Err("a sub-slice of an array literal".to_owned());
            };
            let base_expr = &ix.expr;
            let start = r.start.as_ref().map_or(quote!(0), |s| quote!(#s));
            let end = match &r.end {
                Some(end) => match r.limits {
                    syn::RangeLimits::HalfOpen(_) => quote!(#end),
                    syn::RangeLimits::Closed(_) => quote!((#end + 1)),
                },
                None => quote!(#base_expr.len()),
            };
            return Ok(Some(Stream {
                indices: Indices::Dynamic {
                    iter: quote!((#start..#end)),
                    pat: pat.clone(),
                },
                ..base
            }));
        }
        // A row of nested memory, `p[i]`: its elements `p[i][k]`.
        if let Expr::Index(_) = e
            && let Some((a, index)) = self.index_chain(e)
            && self.vars[a].depth == Some(index.len() + 1)
        {
            let k = self.synthetic("k");
            return Ok(Some(Stream {
                setup: Vec::new(),
                indices: Indices::Dynamic {
                    iter: quote!((0..#e.len())),
                    pat: quote!(#k),
                },
                item: Item::Place {
                    place: quote!(#e[#k]),
                    mutable,
                },
                filters: Vec::new(),
                simple: true,
                constant: false,
            }));
        }
        // An array computed here, `d.map(|c| c * c)` or `[a, b, c]`: bound once, then walked
        // like an array literal held in a variable.
        if path_ident(e).is_none()
            && !mutable
            && let Some(n) = self.known_array_len(e)
        {
            let (src, k) = (self.synthetic("src"), self.synthetic("k"));
            return Ok(Some(Stream {
                setup: vec![quote!(let #src = #e;)],
                indices: Indices::Static((0..n).map(|i| vec![(k.clone(), i)]).collect()),
                item: Item::Place {
                    place: quote!(#src[#k]),
                    mutable: false,
                },
                filters: Vec::new(),
                simple: false,
                constant: false,
            }));
        }
        let Some(id) = path_ident(e).cloned() else {
            return Ok(None);
        };
        let k = self.synthetic("k");
        if let Some(a) = self.memory_of(e) {
            let depth = self.vars[a].depth.unwrap_or(0);
            if depth == 0 {
                return Ok(None);
            }
            let item = if depth == 1 {
                Item::Place {
                    place: quote!(#id[#k]),
                    mutable,
                }
            } else {
                Item::View(View {
                    base: quote!(#id[#k]),
                    start: None,
                    len: quote!(#id[#k].len()),
                })
            };
            return Ok(Some(Stream {
                setup: Vec::new(),
                indices: Indices::Dynamic {
                    iter: quote!((0..#id.len())),
                    pat: quote!(#k),
                },
                item,
                filters: Vec::new(),
                simple: true,
                constant: false,
            }));
        }
        if let Some(Binding::Value(Value::Array(items))) = self.lookup(&id.to_string()) {
            if mutable {
                return Err(format!(
                    "`{id}` is an array of values held in variables, which `iter_mut` cannot \
                     write through"
                ));
            }
            let rows = (0..items.len()).map(|n| vec![(k.clone(), n)]).collect();
            return Ok(Some(Stream {
                setup: Vec::new(),
                indices: Indices::Static(rows),
                item: Item::Place {
                    place: quote!(#id[#k]),
                    mutable: false,
                },
                filters: Vec::new(),
                simple: false,
                constant: false,
            }));
        }
        Ok(if mutable {
            None
        } else {
            self.constant_source(e)
        })
    }

    /// The partner of a `zip` that holds constants (`w` in `v.iter().zip(w.iter())`, an array
    /// or `Vec` the macro copies as written): indexed like memory.
    fn constant_source(&mut self, e: &Expr) -> Option<Stream> {
        let e = match strip_parens(e) {
            Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => &*m.receiver,
            Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
            other => other,
        };
        let id = path_ident(e)?.clone();
        // A value copied as written (not memory, not an array literal held in variables).
        match self.lookup(&id.to_string()) {
            Some(Binding::Value(Value::Scalar(Operand::Var(v))))
                if self.vars[*v].depth.is_none() => {}
            _ => return None,
        }
        let k = self.synthetic("k");
        Some(Stream {
            setup: Vec::new(),
            indices: Indices::Dynamic {
                iter: quote!((0..#id.len())),
                pat: quote!(#k),
            },
            item: Item::Place {
                place: quote!(#id[#k]),
                mutable: false,
            },
            filters: Vec::new(),
            simple: true,
            constant: true,
        })
    }

    /// `x.windows(w)`, `x.chunks(c)`, `x.chunks_exact(c)` of memory: views by start index.
    fn windows(&mut self, m: &syn::ExprMethodCall) -> Rewrite<Option<Stream>> {
        let Some(a) = self.memory_of(&m.receiver) else {
            return Ok(None);
        };
        // Over an array of arrays, the views hold rows: `p[i][j]` is `x[s + i][j]`.
        let _ = a;
        let x = path_ident(&m.receiver).cloned().expect("memory is a name");
        let (w, s) = (self.synthetic("w"), self.synthetic("s"));
        let arg = &m.args[0];
        let (iter, len) = match m.method.to_string().as_str() {
            "windows" => (quote!((0..(#x.len() + 1).saturating_sub(#w))), quote!(#w)),
            "chunks" => (
                quote!((0..#x.len()).step_by(#w)),
                quote!(::core::cmp::min(#w, #x.len() - #s)),
            ),
            _ => (quote!((0..#x.len() / #w * #w).step_by(#w)), quote!(#w)),
        };
        Ok(Some(Stream {
            setup: vec![quote!(let #w: usize = #arg;)],
            indices: Indices::Dynamic {
                iter,
                pat: quote!(#s),
            },
            item: Item::View(View {
                base: quote!(#x),
                start: Some(quote!(#s)),
                len,
            }),
            filters: Vec::new(),
            simple: false,
            constant: false,
        }))
    }
}

impl Stream {
    /// Whether the chain is unrolled (it walks an array literal held in variables).
    pub(super) fn is_static(&self) -> bool {
        matches!(self.indices, Indices::Static(_))
    }
}

/// Adaptors that number the items cannot follow a `filter` (the numbering would count the
/// items filtered out).
fn positional(s: &Stream, what: &str) -> Rewrite<()> {
    if s.filters.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`{what}` after `filter` would count only the items kept"
        ))
    }
}

/// The function argument of an adaptor: a closure of `arity` parameters or a path.
pub(super) fn closure_arg(e: &Expr, arity: usize) -> Rewrite<Closure> {
    match e {
        Expr::Closure(c) if c.inputs.len() == arity => Ok(Closure::Literal(c.clone())),
        Expr::Closure(c) => Err(format!(
            "a closure of {} parameter(s) where {arity} are passed",
            c.inputs.len()
        )),
        Expr::Path(_) => Ok(Closure::Path(e.clone())),
        Expr::Paren(p) => closure_arg(&p.expr, arity),
        other => Err(format!(
            "`{}` as a function: write a closure `|v| ..`",
            show(other)
        )),
    }
}

// ---- from a stream to code -------------------------------------------------------------------

impl Lowerer<'_> {
    /// Binds a user pattern to an item: `let`s for values, substitutions for places and views.
    pub(super) fn bind_item(
        &mut self,
        pat: &Pat,
        item: &Item,
        lets: &mut Vec<TokenStream>,
        subst: &mut Substitution,
    ) -> Rewrite<()> {
        match (pat, item) {
            (Pat::Wild(_), _) => Ok(()),
            (Pat::Reference(r), _) => self.bind_item(&r.pat, item, lets, subst),
            (Pat::Paren(p), _) => self.bind_item(&p.pat, item, lets, subst),
            (Pat::Or(o), _) if o.cases.len() == 1 => self.bind_item(&o.cases[0], item, lets, subst),
            (Pat::Type(t), _) => self.bind_item(&t.pat, item, lets, subst),
            (Pat::Tuple(t), Item::Tuple(items)) if t.elems.len() == items.len() => {
                for (p, i) in t.elems.iter().zip(items) {
                    self.bind_item(p, i, lets, subst)?;
                }
                Ok(())
            }
            (
                Pat::Ident(p),
                Item::Place {
                    place,
                    mutable: true,
                },
            ) if p.subpat.is_none() => {
                subst.places.push((p.ident.to_string(), place.clone()));
                Ok(())
            }
            (Pat::Ident(p), Item::View(v)) if p.subpat.is_none() => {
                subst.views.push((p.ident.to_string(), v.clone()));
                Ok(())
            }
            (Pat::Ident(p), Item::Mapped { .. } | Item::Place { .. } | Item::Int(_))
            | (Pat::Ident(p), Item::Tuple(_))
                if p.subpat.is_none() =>
            {
                let value = self.item_expr(item)?;
                let (m, ident) = (&p.mutability, &p.ident);
                lets.push(quote!(let #m #ident = #value;));
                Ok(())
            }
            (Pat::Tuple(_) | Pat::Slice(_), Item::Mapped { .. } | Item::Place { .. }) => {
                let value = self.item_expr(item)?;
                let mut pat = pat.clone();
                strip_ref_patterns(&mut pat);
                lets.push(quote!(let #pat = #value;));
                Ok(())
            }
            // A row taken apart, `for &[x, y, z] in points`: `let [x, y, z] = points[k];`, read
            // as one load per name.
            (Pat::Slice(_), Item::View(v)) if v.start.is_none() => {
                let mut pat = pat.clone();
                strip_ref_patterns(&mut pat);
                let row = &v.base;
                lets.push(quote!(let #pat = #row;));
                Ok(())
            }
            (_, Item::View(_)) => Err(format!(
                "the pattern `{}` takes a row, window or chunk apart, which is bound only to a \
                 plain name and indexed (`for q in p {{ q[0] .. }}`)",
                show(pat)
            )),
            _ => Err(format!(
                "the pattern `{}` does not fit the items",
                show(pat)
            )),
        }
    }

    /// An item as an expression (a value; a view cannot be one).
    pub(super) fn item_expr(&mut self, item: &Item) -> Rewrite<TokenStream> {
        match item {
            Item::Place { place, .. } => Ok(place.clone()),
            Item::Int(i) => Ok(quote!(#i)),
            Item::View(v) => {
                let s = v.slice();
                Ok(quote!((&#s)))
            }
            Item::Tuple(items) => {
                let items = items
                    .iter()
                    .map(|i| self.item_expr(i))
                    .collect::<Rewrite<Vec<_>>>()?;
                Ok(quote!((#(#items,)*)))
            }
            Item::Mapped { f, input } => self.apply(f, std::slice::from_ref(&**input)),
        }
    }

    /// `f(items..)`: a closure inlined as a block binding its parameters, a path called.
    pub(super) fn apply(&mut self, f: &Closure, items: &[Item]) -> Rewrite<TokenStream> {
        match f {
            Closure::Literal(c) => {
                let mut lets = Vec::new();
                let mut subst = Substitution::default();
                for (p, i) in c.inputs.iter().zip(items) {
                    self.bind_item(p, i, &mut lets, &mut subst)?;
                }
                let mut body = (*c.body).clone();
                subst.apply_expr(&mut body);
                let names: Vec<String> = c.inputs.iter().flat_map(pattern_names).collect();
                strip_derefs_expr(&mut body, &names);
                Ok(quote!({ #(#lets)* (#body) }))
            }
            Closure::Path(p) => {
                let args = items
                    .iter()
                    .map(|i| self.item_expr(i))
                    .collect::<Rewrite<Vec<_>>>()?;
                Ok(quote!(#p(#(#args),*)))
            }
        }
    }

    /// The loop over a stream: `for idx in iter { setup per item; BODY }`, with `body`
    /// building the statements of one iteration from the item (after the filters).
    pub(super) fn stream_loop(
        &mut self,
        s: &Stream,
        label: Option<&syn::Label>,
        body: impl FnOnce(&mut Self, &Item) -> Rewrite<TokenStream>,
    ) -> Rewrite<TokenStream> {
        let mut inner = body(self, &s.item)?;
        for (f, item) in s.filters.iter().rev() {
            let cond = self.apply(f, std::slice::from_ref(item))?;
            inner = quote!(if #cond { #inner });
        }
        let setup = &s.setup;
        match &s.indices {
            Indices::Dynamic { iter, pat } => Ok(quote!(
                #(#setup)*
                #label for #pat in #iter { #inner }
            )),
            Indices::Static(rows) => {
                if label.is_some() {
                    return Err("a labelled loop over an array literal".to_owned());
                }
                let blocks = rows.iter().map(|row| {
                    let values: HashMap<String, usize> =
                        row.iter().map(|(i, n)| (i.to_string(), *n)).collect();
                    let b = substitute_literals(inner.clone(), &values);
                    quote!({ #b })
                });
                Ok(quote!(#(#setup)* #(#blocks)*))
            }
        }
    }
}

/// Replaces the identifiers of `values` by their literal values, everywhere in `tokens`.
fn substitute_literals(tokens: TokenStream, values: &HashMap<String, usize>) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if values.contains_key(&i.to_string()) => {
                let mut lit = proc_macro2::Literal::usize_unsuffixed(values[&i.to_string()]);
                lit.set_span(i.span());
                TokenTree::Literal(lit)
            }
            TokenTree::Group(g) => {
                let mut new = Group::new(g.delimiter(), substitute_literals(g.stream(), values));
                new.set_span(g.span());
                TokenTree::Group(new)
            }
            other => other,
        })
        .collect()
}
