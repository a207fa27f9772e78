//! Local closures (`let sq = |t: f64| t * t;`) and local `fn` items, inlined where they are
//! called: their parameters are bound to the arguments' values, their captures to the values
//! the captured names had where the closure was written, and their body is lowered in place.
//! So both transforms see straight code, and no closure is ever called at run time.
//!
//! A closure used otherwise than called (returned, stored, passed to a function the macro
//! cannot see) escapes: that is a spanned error at the closure, saying why.

use std::rc::Rc;

use super::*;

/// A closure or local `fn` bound to a name, as written.
#[derive(Debug)]
pub(super) struct LocalFn {
    pub(super) name: Ident,
    pub(super) params: Vec<Pat>,
    pub(super) body: Expr,
    /// The captured names and their bindings where the closure was written (names the body
    /// assigns are not captured by value: their current binding is used).
    pub(super) captures: Vec<(String, Binding)>,
    /// The closure or the item's name, for errors.
    pub(super) node: TokenStream,
}

impl LocalFn {
    /// A `fn` item as a closure without captures: its typed parameters, its body with the
    /// declared return type.
    pub(super) fn of_item(item: &syn::ItemFn) -> LocalFn {
        let params = item
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => Some(Pat::Type(t.clone())),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let block = &item.block;
        LocalFn {
            name: item.sig.ident.clone(),
            params,
            body: typed_body(&syn::parse_quote!(#block), &item.sig.output),
            captures: Vec::new(),
            node: item.sig.ident.to_token_stream(),
        }
    }
}

/// How deep inlining may nest (a local `fn` calling itself has no end).
const MAX_INLINE: usize = 32;

impl Lowerer<'_> {
    /// `let NAME = |params| body;`: binds the name to the closure. `false` when the `let` is
    /// not one.
    pub(super) fn lower_closure_let(&mut self, local: &syn::Local) -> bool {
        let Some(init) = &local.init else {
            return false;
        };
        let Expr::Closure(c) = &*init.expr else {
            return false;
        };
        let Some((ident, _)) = simple_pattern(&local.pat) else {
            return false;
        };
        let params: Vec<Pat> = c.inputs.iter().cloned().collect();
        let body = typed_body(&c.body, &c.output);
        let f = self.local_fn(ident.clone(), params, body, c.to_token_stream());
        self.bind(&ident.to_string(), Binding::Closure(Rc::new(f)));
        true
    }

    /// A local `fn` item: bound like a closure without captures. Its item is kept as written
    /// (for calls that carry no derivative), allowed to be unused.
    pub(super) fn lower_local_fn(&mut self, item: &syn::ItemFn) {
        let f = LocalFn::of_item(item);
        self.bind(&item.sig.ident.to_string(), Binding::Closure(Rc::new(f)));
        self.stmts.push(Stmt::Inert {
            tokens: quote!(#[allow(dead_code)] #item),
            uses: Vec::new(),
            refusal: None,
        });
    }

    fn local_fn(&self, name: Ident, params: Vec<Pat>, body: Expr, node: TokenStream) -> LocalFn {
        let own: HashSet<String> = params.iter().flat_map(pattern_names).collect();
        let assigned: HashSet<String> = assigned_names(&body.to_token_stream())
            .into_iter()
            .collect();
        let mut captures = Vec::new();
        for name in collect_idents(&body.to_token_stream()) {
            if own.contains(&name) || assigned.contains(&name) {
                continue;
            }
            if let Some(b) = self.lookup(&name) {
                captures.push((name, b.clone()));
            }
        }
        LocalFn {
            name,
            params,
            body,
            captures,
            node,
        }
    }

    /// The local closure or `fn` a call's callee names, if it names one.
    pub(super) fn local_callee(&self, func: &Expr) -> Option<Rc<LocalFn>> {
        let id = path_ident(func)?;
        match self.lookup(&id.to_string()) {
            Some(Binding::Closure(f)) => Some(f.clone()),
            _ => None,
        }
    }

    /// `f(args)` of a local closure or `fn`: its body, lowered here with its parameters bound.
    pub(super) fn inline_call(
        &mut self,
        f: &LocalFn,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        e: &Expr,
    ) -> Value {
        if args.len() != f.params.len() {
            self.errors.spanned(
                e,
                format!(
                    "{}: `{}` takes {} argument(s), not {}",
                    self.mode,
                    f.name,
                    f.params.len(),
                    args.len()
                ),
            );
            return dummy();
        }
        if self.inlining >= MAX_INLINE {
            self.errors.spanned(
                e,
                format!(
                    "{} cannot differentiate the call of `{}`: a local function is inlined where \
                     it is called, and this one calls itself. Move it out of the function and \
                     annotate it with the same macro",
                    self.mode, f.name
                ),
            );
            return dummy();
        }
        // The arguments, in the caller's scope: values, the memory lent (`&x`, `x`), or a row
        // of nested memory (`&p[i]`) or a sub-slice (`&x[a..b]`), bound as a view.
        let values: Vec<Binding> = args
            .iter()
            .map(|a| {
                if let Some(view) = self.range_view(a) {
                    return Binding::View(view);
                }
                if let Some(view) = self.view_named(a) {
                    return Binding::View(view);
                }
                let inner = match a {
                    Expr::Reference(r) => &*r.expr,
                    other => other,
                };
                if let Expr::Index(_) = inner
                    && let Some((m, index)) = self.index_chain(inner)
                    && self.vars[m].depth > Some(index.len())
                {
                    // As written: renamed where the body that reads it is lowered.
                    let row = inner.to_token_stream();
                    return Binding::View(super::view::View {
                        base: row.clone(),
                        start: None,
                        len: quote!(#row.len()),
                    });
                }
                if let Some(elements) = self.deref_elements(a) {
                    return Binding::Value(self.lower_expr(&elements));
                }
                Binding::Value(match self.memory_of(inner) {
                    Some(m) => Value::Scalar(Operand::Var(m)),
                    None => self.lower_expr(a),
                })
            })
            .collect();
        let values_have_views = values.iter().any(|v| matches!(v, Binding::View(_)));
        self.inlining += 1;
        self.scopes.push(HashMap::new());
        for (name, b) in &f.captures {
            self.scopes
                .last_mut()
                .expect("just pushed")
                .insert(name.clone(), b.clone());
        }
        for (p, v) in f.params.iter().zip(values) {
            let mut p = p.clone();
            super::iter::strip_ref_patterns(&mut p);
            match (v, simple_pattern(&p)) {
                (Binding::View(view), Some((ident, _))) => {
                    self.bind(&ident.to_string(), Binding::View(view));
                }
                (Binding::Value(v), _) => self.bind_param(&p, v),
                (_, None) => self.errors.spanned(
                    &p,
                    format!(
                        "{}: a row passed to `{}` is bound only to a plain name",
                        self.mode, f.name
                    ),
                ),
                _ => {}
            }
        }
        let mut body = returns_as_breaks(&f.body, self.inlining);
        if values_have_views {
            // Views are replaced statement by statement: a body that is one expression
            // (`|a: &[f64]| a[0] * 2.0`) becomes a block's.
            body = syn::parse_quote!({ #body });
        }
        let v = self.lower_expr(&body);
        self.scopes.pop();
        self.inlining -= 1;
        v
    }

    /// The view a name is bound to (`a` after `let a = &x[i..j];`), if it is one.
    pub(super) fn view_named(&self, e: &Expr) -> Option<super::view::View> {
        let id = path_ident(e)?;
        match self.lookup(&id.to_string()) {
            Some(Binding::View(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// Binds a parameter: memory by alias, values as a `let` would.
    fn bind_param(&mut self, p: &Pat, v: Value) {
        let memory = matches!(&v, Value::Scalar(Operand::Var(x)) if self.vars[*x].depth.is_some());
        match (p, memory) {
            (Pat::Type(t), true) => self.bind_param(&t.pat, v),
            (Pat::Ident(i), true) => self.bind(&i.ident.to_string(), Binding::Value(v)),
            _ => self.bind_pattern(p, None, v),
        }
    }

    /// The error for a local closure used as a value: it would escape the macro's sight.
    pub(super) fn escaping(&mut self, f: &LocalFn, use_site: &Expr) {
        self.errors.push(syn::Error::new_spanned(
            &f.node,
            format!(
                "{} cannot differentiate the closure `{}` used as a value (at `{}`): closures \
                 are inlined where they are called, and one that is passed on, stored or \
                 returned leaves the function. Call it here, or make it a function annotated \
                 with the same macro",
                self.mode,
                f.name,
                show(use_site)
            ),
        ));
    }
}

/// A body inlined where it is called, its `return e` (which leaves the closure or `fn`, not the
/// function being differentiated) made `break 'label e` out of a loop around the body that runs
/// once: `'l: loop { break 'l { ..; if c { break 'l e; } ..; f } }`. Returns in closures and
/// `fn` items nested in the body are theirs, and are left alone. A body without `return` is
/// unchanged.
fn returns_as_breaks(body: &Expr, depth: usize) -> Expr {
    struct Rewrite(syn::Lifetime, bool);
    impl VisitMut for Rewrite {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            match e {
                Expr::Closure(_) => {}
                Expr::Return(r) => {
                    self.1 = true;
                    let mut value = r.expr.take();
                    if let Some(v) = &mut value {
                        self.visit_expr_mut(v);
                    }
                    let label = &self.0;
                    *e = syn::parse_quote!(break #label #value);
                }
                _ => syn::visit_mut::visit_expr_mut(self, e),
            }
        }
        fn visit_item_fn_mut(&mut self, _: &mut syn::ItemFn) {}
    }
    let label = syn::Lifetime::new(&format!("'__ad_return{depth}"), Span::call_site());
    let mut rewrite = Rewrite(label, false);
    let mut body = body.clone();
    rewrite.visit_expr_mut(&mut body);
    if !rewrite.1 {
        return body;
    }
    let label = &rewrite.0;
    syn::parse_quote!(#label: loop { break #label #body; })
}

/// The body of a closure or local `fn`, its result given the declared return type (a literal
/// result such as `3.0` would otherwise have no float type once inlined).
fn typed_body(body: &Expr, output: &syn::ReturnType) -> Expr {
    match output {
        syn::ReturnType::Type(_, ty) => syn::parse_quote!({
            let __ad_result: #ty = #body;
            __ad_result
        }),
        syn::ReturnType::Default => body.clone(),
    }
}
