//! Pre-scans of the whole body, by name, before lowering: which names may be active
//! ([`maybe_active`]), which copied code may change in place ([`mutated_in_place`]), which
//! expressions can be evaluated again ([`is_pure`]), and which exits a loop body takes ([`exits`]).

use super::*;

/// Whether a block contains a `return` (outside closures and nested items).
pub(super) fn has_return(stmts: &[SynStmt]) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(false);
    for s in stmts {
        f.visit_stmt(s);
    }
    f.0
}

/// Whether an expression jumps somewhere from inside: a `break`, `continue` or `return`
/// (outside closures and nested items).
pub(super) fn jumps(e: &Expr) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.0 = true;
        }
        fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
            self.0 = true;
        }
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(false);
    f.visit_expr(e);
    f.0
}

/// Which exits a loop body takes: `break` (and `break value`) and `continue` aimed at this loop,
/// and exits through it to an outer loop or out of the function.
#[derive(Default)]
pub(super) struct Exits {
    pub(super) brk: bool,
    pub(super) cont: bool,
    pub(super) value: bool,
    pub(super) through: bool,
}

pub(super) fn exits(body: &syn::Block, label: Option<&str>) -> Exits {
    struct Find<'l> {
        label: Option<&'l str>,
        nested: Vec<Option<String>>,
        out: Exits,
    }
    impl Find<'_> {
        /// Whether a jump with this label leaves the loop being scanned, and whether it is
        /// aimed at it.
        fn target(&self, label: Option<&syn::Lifetime>) -> (bool, bool) {
            match label {
                None => (self.nested.is_empty(), self.nested.is_empty()),
                Some(l) => {
                    let name = l.ident.to_string();
                    let inner = self.nested.iter().any(|n| n.as_deref() == Some(&name));
                    (!inner, !inner && self.label == Some(name.as_str()))
                }
            }
        }
        fn nest(&mut self, label: Option<&syn::Label>, f: impl FnOnce(&mut Self)) {
            self.nested.push(label.map(|l| l.name.ident.to_string()));
            f(self);
            self.nested.pop();
        }
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_expr_break(&mut self, e: &'ast syn::ExprBreak) {
            let (leaves, ours) = self.target(e.label.as_ref());
            if ours {
                self.out.brk = true;
                self.out.value |= e.expr.is_some();
            } else if leaves {
                self.out.through = true;
            }
            syn::visit::visit_expr_break(self, e);
        }
        fn visit_expr_continue(&mut self, e: &'ast syn::ExprContinue) {
            let (leaves, ours) = self.target(e.label.as_ref());
            if ours {
                self.out.cont = true;
            } else if leaves {
                self.out.through = true;
            }
        }
        fn visit_expr_return(&mut self, e: &'ast syn::ExprReturn) {
            self.out.through = true;
            syn::visit::visit_expr_return(self, e);
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.visit_expr(&e.expr);
            self.nest(e.label.as_ref(), |f| f.visit_block(&e.body));
        }
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.visit_expr(&e.cond);
            self.nest(e.label.as_ref(), |f| f.visit_block(&e.body));
        }
        fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
            self.nest(e.label.as_ref(), |f| f.visit_block(&e.body));
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find {
        label,
        nested: Vec::new(),
        out: Exits::default(),
    };
    f.visit_block(body);
    f.out
}

/// The names that copied code may change in place: receivers of method calls, `&mut name`,
/// roots of element and field assignments, and names assigned inside code that is copied whole
/// (closures, macros, `unsafe` blocks). Their values are read, not assumed unchanged.
pub(super) fn mutated_in_place(
    body: &syn::Block,
    active: &HashSet<String>,
    ref_mut_params: &HashSet<String>,
) -> HashSet<String> {
    struct Find<'a>(
        HashSet<String>,
        &'a HashSet<String>,
        usize,
        &'a HashSet<String>,
    );
    impl Find<'_> {
        fn root(&mut self, e: &Expr) {
            if let Some(n) = place_root(e) {
                self.0.insert(n);
            }
        }
        /// A `&mut` parameter passed on by name (`g(.., iw)`) is lent to be changed.
        fn passed_on<'e>(&mut self, args: impl Iterator<Item = &'e Expr>) {
            for a in args {
                if let Expr::Path(p) = a
                    && let Some(id) = p.path.get_ident()
                    && self.3.contains(&id.to_string())
                {
                    self.0.insert(id.to_string());
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_expr_method_call(&mut self, e: &'ast syn::ExprMethodCall) {
            let name = e.method.to_string();
            if !rules::is_float_method(&name) && !READ_ONLY_METHODS.contains(&name.as_str()) {
                self.root(&e.receiver);
                self.passed_on(e.args.iter());
            }
            // The closures of an iterator chain over maybe-active data are inlined where the
            // chain becomes a loop: what they assign is assigned there, in order.
            let inlined = CHAIN_METHODS.contains(&name.as_str())
                && mentions(e.receiver.to_token_stream(), self.1);
            self.2 += usize::from(inlined);
            syn::visit::visit_expr_method_call(self, e);
            self.2 -= usize::from(inlined);
        }
        // A closure bound by `let` is inlined where it is called.
        fn visit_local(&mut self, l: &'ast syn::Local) {
            let closure = matches!(l.init.as_ref().map(|i| &*i.expr), Some(Expr::Closure(_)));
            self.2 += usize::from(closure);
            syn::visit::visit_local(self, l);
            self.2 -= usize::from(closure);
        }
        fn visit_expr_reference(&mut self, e: &'ast syn::ExprReference) {
            if e.mutability.is_some() {
                self.root(&e.expr);
            }
            syn::visit::visit_expr_reference(self, e);
        }
        // `ad_runtime::accumulate(&mut a, e)` is lowered as the assignment `a = a + e`: its
        // `&mut` changes nothing in place.
        fn visit_expr_call(&mut self, e: &'ast syn::ExprCall) {
            if is_accumulate_call(e) {
                for a in e.args.iter().skip(1) {
                    self.visit_expr(a);
                }
                if let Some(Expr::Reference(r)) = e.args.first() {
                    self.visit_expr(&r.expr);
                }
                return;
            }
            self.passed_on(e.args.iter());
            syn::visit::visit_expr_call(self, e);
        }
        fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
            if !matches!(&*e.left, Expr::Path(_)) {
                self.root(&e.left);
            }
            syn::visit::visit_expr_assign(self, e);
        }
        fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
            if is_compound(&e.op) && !matches!(&*e.left, Expr::Path(_)) {
                self.root(&e.left);
            }
            syn::visit::visit_expr_binary(self, e);
        }
        fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
            if self.2 > 0 {
                syn::visit::visit_expr_closure(self, e);
            } else {
                self.0.extend(assigned_names(&e.body.to_token_stream()));
            }
        }
        fn visit_expr_unsafe(&mut self, e: &'ast syn::ExprUnsafe) {
            self.0.extend(assigned_names(&e.block.to_token_stream()));
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.0.extend(assigned_names(&m.tokens));
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(HashSet::new(), active, 0, ref_mut_params);
    f.visit_block(body);
    f.0
}

/// The names whose elements are assigned: roots of `v[i] = e` and `v[i] op= e`.
pub(super) fn element_stores(body: &syn::Block) -> HashSet<String> {
    struct Find(HashSet<String>);
    impl Find {
        fn target(&mut self, e: &Expr) {
            if matches!(e, Expr::Index(_))
                && let Some(n) = place_root(e)
            {
                self.0.insert(n);
            }
        }
    }
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
            self.target(&e.left);
            syn::visit::visit_expr_assign(self, e);
        }
        fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
            if is_compound(&e.op) {
                self.target(&e.left);
            }
            syn::visit::visit_expr_binary(self, e);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(HashSet::new());
    f.visit_block(body);
    f.0
}

/// Methods whose closures the chain rewriting inlines.
const CHAIN_METHODS: &[&str] = &[
    "map", "for_each", "fold", "filter", "any", "all", "max_by", "min_by",
];

/// Iterator adapters that keep an iterator over integers an iterator over integers.
pub(super) const RANGE_ADAPTERS: &[&str] = &["rev", "step_by", "skip", "take", "zip", "enumerate"];

/// Whether an expression is a range, or a range through [`RANGE_ADAPTERS`]: an iterator over
/// integers (a range of floats is no iterator, so rustc rejects adapters on one).
pub(super) fn is_range_iterator(e: &Expr) -> bool {
    match e {
        Expr::Range(_) => true,
        Expr::Paren(p) => is_range_iterator(&p.expr),
        Expr::Group(g) => is_range_iterator(&g.expr),
        Expr::MethodCall(m) => {
            RANGE_ADAPTERS.contains(&m.method.to_string().as_str())
                && is_range_iterator(&m.receiver)
        }
        _ => false,
    }
}

/// Methods that only read their receiver; any other method may change it in place.
pub(super) const READ_ONLY_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "iter",
    "first",
    "last",
    "get",
    "contains",
    "to_vec",
    "clone",
    "copied",
    "cloned",
    "as_slice",
    "windows",
    "chunks",
    "enumerate",
    "zip",
    "rev",
    "step_by",
    "sum",
    "product",
    "fold",
    "map",
    "min",
    "max",
    "is_nan",
    "is_finite",
];

/// Names directly followed by an assignment operator in a token stream.
pub(super) fn assigned_names(tokens: &TokenStream) -> Vec<String> {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Ident(id) => {
                let next: String = tokens[i + 1..]
                    .iter()
                    .take(3)
                    .map_while(|t| match t {
                        TokenTree::Punct(p) => Some(p.as_char()),
                        _ => None,
                    })
                    .collect();
                let assigns = (next.starts_with('=') && !next.starts_with("=="))
                    || ["+=", "-=", "*=", "/=", "%=", "^=", "&=", "|=", "<<=", ">>="]
                        .iter()
                        .any(|op| next.starts_with(op));
                if assigns {
                    out.push(id.to_string());
                }
            }
            TokenTree::Group(g) => out.extend(assigned_names(&g.stream())),
            _ => {}
        }
    }
    out
}

/// Whether an expression may be evaluated again with the same result: operators, casts,
/// literals, ranges, reads of variables nothing mutates in place, and a few pure methods.
pub(super) fn is_pure(e: &Expr, mutated: &HashSet<String>) -> bool {
    let pure = |x: &Expr| is_pure(x, mutated);
    match e {
        Expr::Lit(_) => true,
        Expr::Path(p) => p
            .path
            .get_ident()
            .is_none_or(|i| !mutated.contains(&i.to_string())),
        Expr::Paren(p) => pure(&p.expr),
        Expr::Group(g) => pure(&g.expr),
        Expr::Unary(u) => pure(&u.expr),
        Expr::Binary(b) => !is_compound(&b.op) && pure(&b.left) && pure(&b.right),
        Expr::Cast(c) => pure(&c.expr),
        Expr::Range(r) => r.start.as_deref().is_none_or(pure) && r.end.as_deref().is_none_or(pure),
        Expr::Index(i) => pure(&i.expr) && pure(&i.index),
        Expr::Field(f) => pure(&f.base),
        Expr::Tuple(t) => t.elems.iter().all(pure),
        Expr::Array(a) => a.elems.iter().all(pure),
        Expr::Reference(r) => r.mutability.is_none() && pure(&r.expr),
        Expr::MethodCall(m) => {
            const PURE: &[&str] = &[
                "len",
                "iter",
                "rev",
                "step_by",
                "enumerate",
                "zip",
                "into_iter",
                "clone",
                "copied",
                "cloned",
                "is_nan",
                "is_finite",
                "is_infinite",
                "abs",
                "min",
                "max",
                "pow",
                "is_empty",
                "skip",
                "take",
            ];
            (PURE.contains(&m.method.to_string().as_str())
                || rules::is_float_method(&m.method.to_string()))
                && pure(&m.receiver)
                && m.args.iter().all(pure)
        }
        // The runtime's constants, which the lowering of `sum`, `product` and `fold` writes
        // (`::ad_runtime::zero()`).
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if {
                let s: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                matches!(s.as_slice(), [r, f] if r == "ad_runtime"
                    && matches!(f.as_str(), "zero" | "one" | "zero_like"))
            }) && c.args.iter().all(pure)
        }
        _ => false,
    }
}

/// The names that may hold an active value: the active parameters and, to a fixed point, every
/// name assigned from an expression that mentions one. Over-approximate on purpose (activity
/// analysis on the IR is exact); it only decides what is worth taking apart.
pub fn maybe_active(body: &syn::Block, mut names: HashSet<String>) -> HashSet<String> {
    struct Defs(Vec<(Vec<String>, TokenStream)>);
    impl<'ast> Visit<'ast> for Defs {
        fn visit_local(&mut self, local: &'ast syn::Local) {
            if let Some(init) = &local.init {
                self.0
                    .push((pattern_names(&local.pat), init.expr.to_token_stream()));
            }
            syn::visit::visit_local(self, local);
        }
        fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
            if let Some(name) = place_root(&e.left) {
                self.0.push((vec![name], e.right.to_token_stream()));
            }
            syn::visit::visit_expr_assign(self, e);
        }
        fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
            if is_compound(&e.op)
                && let Some(name) = place_root(&e.left)
            {
                self.0.push((vec![name], e.right.to_token_stream()));
            }
            syn::visit::visit_expr_binary(self, e);
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.0
                .push((pattern_names(&e.pat), e.expr.to_token_stream()));
            // `for o in out.iter_mut() { *o = e; }` writes the body's values into `out`.
            let written = iter_mut_roots(&e.expr);
            if !written.is_empty() {
                self.0.push((written, e.body.to_token_stream()));
            }
            syn::visit::visit_expr_for_loop(self, e);
        }
        // `ad_runtime::accumulate(&mut a, e)` in generated reverse code is `a = a + e`; a slice
        // lent to any call to be written (`g(x, &mut a)`) takes values from all its arguments.
        fn visit_expr_call(&mut self, e: &'ast syn::ExprCall) {
            for a in &e.args {
                if let Expr::Reference(r) = a
                    && r.mutability.is_some()
                    && let Some(name) = place_root(&r.expr)
                {
                    self.0.push((vec![name], e.args.to_token_stream()));
                }
            }
            syn::visit::visit_expr_call(self, e);
        }
        fn visit_expr_method_call(&mut self, e: &'ast syn::ExprMethodCall) {
            if (e.method == "push" || e.method == "fill")
                && let Some(name) = place_root(&e.receiver)
            {
                self.0.push((vec![name], e.args.to_token_stream()));
            }
            syn::visit::visit_expr_method_call(self, e);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut defs = Defs(Vec::new());
    defs.visit_block(body);
    loop {
        let before = names.len();
        for (targets, rhs) in &defs.0 {
            if mentions(rhs.clone(), &names) {
                names.extend(targets.iter().cloned());
            }
        }
        if names.len() == before {
            return names;
        }
    }
}

/// The names of the memories a `for` loop's iterator walks with `iter_mut()`.
pub(super) fn iter_mut_roots(e: &Expr) -> Vec<String> {
    struct Find(Vec<String>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "iter_mut"
                && let Some(n) = place_root(&m.receiver)
            {
                self.0.push(n);
            }
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut f = Find(Vec::new());
    f.visit_expr(e);
    f.0
}
