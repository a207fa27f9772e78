//! Lowering: the user's function body (syn) to the IR.
//!
//! Input:  `let y = x * x.sin(); y + 2.0`
//! Output: `_t0 = sin(x); y = mul(x, _t0); _t1 = add(y, 2.0); return _t1`
//!
//! Only expressions that may carry a derivative are taken apart. Whether a user variable *may*
//! be active is decided first, by name, over the whole body ([`maybe_active`]); an expression
//! that mentions no such name is copied as tokens. An expression that does mention one but that
//! the lowering does not understand (an unknown call, a closure, `unsafe`) becomes an inert
//! definition carrying its refusal: activity analysis later reports it if, and only if, a value
//! that really depends on an active input reaches it. That is the fence: nothing outside the
//! subset can silently lose a derivative, and everything inside it that carries none passes.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{BinOp, Expr, Pat, Stmt as SynStmt, UnOp};

use crate::errors::Errors;
use crate::ir::{Form, Func, Operand, Param, Rhs, Stmt, Value, Var, VarId};
use crate::names::Namer;
use crate::rules;
use crate::sig::{FloatTypes, SigParam, is_integer_like};

/// What a user name stands for at a point of the body.
#[derive(Clone)]
enum Binding {
    Value(Value),
    /// `let y;` of a maybe-active name: defined by its first assignment.
    Uninit {
        mutable: bool,
    },
}

struct Lowerer<'a> {
    errors: &'a mut Errors,
    floats: &'a FloatTypes,
    mode: &'a str,
    namer: Namer,
    vars: Vec<Var>,
    stmts: Vec<Stmt>,
    scopes: Vec<HashMap<String, Binding>>,
    versions: HashMap<String, usize>,
    maybe_active: HashSet<String>,
}

/// Lowers a function body. Errors are recorded and lowering goes on, so that all of them are
/// reported together.
pub fn lower(
    body: &syn::Block,
    params: &[SigParam],
    floats: &FloatTypes,
    namer: Namer,
    mode: &str,
    has_output: bool,
    errors: &mut Errors,
) -> Func {
    let active_names = params
        .iter()
        .filter(|p| p.active)
        .map(|p| p.ident.to_string())
        .collect();
    let mut l = Lowerer {
        errors,
        floats,
        mode,
        namer,
        vars: Vec::new(),
        stmts: Vec::new(),
        scopes: vec![HashMap::new()],
        versions: HashMap::new(),
        maybe_active: maybe_active(body, active_names),
    };
    let mut ir_params = Vec::new();
    for p in params {
        let v = l.new_var(p.ident.clone(), p.mutable);
        l.versions.insert(p.ident.to_string(), 1);
        // A `_` parameter got a generated name: nothing in the body can refer to it.
        let key = if p.unnamed {
            format!("#{}", p.ident)
        } else {
            p.ident.to_string()
        };
        l.scopes[0].insert(key, Binding::Value(Value::Scalar(Operand::Var(v))));
        ir_params.push(Param {
            ident: p.ident.clone(),
            ty: p.ty.clone(),
            active: p.active,
            var: Some(v),
        });
    }
    let tail = l.lower_stmts(&body.stmts);
    let output = if has_output {
        // Without a tail value rustc reports the missing value itself.
        tail.map(|value| l.materialize(value))
    } else {
        if let Some(Value::Scalar(Operand::Const(tokens))) = tail {
            l.stmts.push(Stmt::Inert {
                tokens: quote!(#tokens;),
                uses: Vec::new(),
                refusal: None,
            });
        }
        None
    };
    Func {
        vars: l.vars,
        namer: l.namer,
        params: ir_params,
        stmts: l.stmts,
        output,
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
            syn::visit::visit_expr_for_loop(self, e);
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

fn is_compound(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
    )
}

/// The variable at the root of an assigned place: `y` in `y`, `y[i]`, `y.0`, `*y`.
fn place_root(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Index(i) => place_root(&i.expr),
        Expr::Field(f) => place_root(&f.base),
        Expr::Paren(p) => place_root(&p.expr),
        Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => place_root(&u.expr),
        _ => None,
    }
}

fn pattern_names(pat: &Pat) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut n = Names(Vec::new());
    n.visit_pat(pat);
    n.0
}

/// Whether a token is an identifier used as a variable: not a field or method after `.`, not a
/// path segment, not a macro name, not a struct-literal field name.
fn variable_positions(tokens: &[TokenTree]) -> Vec<bool> {
    let punct =
        |t: Option<&TokenTree>, c: char| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c);
    (0..tokens.len())
        .map(|i| {
            let TokenTree::Ident(_) = &tokens[i] else {
                return false;
            };
            let prev = i.checked_sub(1).and_then(|j| tokens.get(j));
            let prev2 = i.checked_sub(2).and_then(|j| tokens.get(j));
            let next = tokens.get(i + 1);
            let next2 = tokens.get(i + 2);
            let after_dot = punct(prev, '.') && !punct(prev2, '.');
            let after_path = punct(prev, ':') && punct(prev2, ':');
            let before_path = punct(next, ':') && punct(next2, ':');
            let field_name = punct(next, ':') && !punct(next2, ':');
            let macro_name = punct(next, '!');
            !(after_dot || after_path || before_path || field_name || macro_name)
        })
        .collect()
}

/// Whether `tokens` mention any of `names` as a variable.
fn mentions(tokens: TokenStream, names: &HashSet<String>) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let vars = variable_positions(&tokens);
    tokens.iter().zip(vars).any(|(t, var)| match t {
        TokenTree::Ident(id) => var && names.contains(&id.to_string()),
        TokenTree::Group(g) => mentions(g.stream(), names),
        _ => false,
    })
}

impl Lowerer<'_> {
    fn new_var(&mut self, ident: Ident, mutable: bool) -> VarId {
        self.vars.push(Var {
            ident,
            mutable,
            varied: false,
            useful: false,
        });
        self.vars.len() - 1
    }

    /// A new variable for a definition of the user name `name`: the name itself the first
    /// time, a hygienic `name_k` after.
    fn user_var(&mut self, name: &Ident, mutable: bool) -> VarId {
        let k = self.versions.entry(name.to_string()).or_insert(0);
        *k += 1;
        let ident = if *k == 1 {
            name.clone()
        } else {
            self.namer.version(name, *k - 1)
        };
        self.new_var(ident, mutable)
    }

    fn temp(&mut self) -> VarId {
        let ident = self.namer.temp();
        self.new_var(ident, false)
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    fn bind(&mut self, name: &Ident, b: Binding) {
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .insert(name.to_string(), b);
    }

    /// Rebinds an existing name in the scope that owns it (an assignment).
    fn rebind(&mut self, name: &str, value: Value) {
        if let Some(scope) = self.scopes.iter_mut().rev().find(|s| s.contains_key(name)) {
            scope.insert(name.to_owned(), Binding::Value(value));
        }
    }

    fn mentions_active(&self, tokens: TokenStream) -> bool {
        mentions(tokens, &self.maybe_active)
    }

    /// "`#[derive_grad]` cannot differentiate WHAT: WHY. INSTEAD."
    fn refusal(&self, node: impl ToTokens, what: &str, why: &str, instead: &str) -> syn::Error {
        syn::Error::new_spanned(
            node,
            format!(
                "{} cannot differentiate {what}: {why}. {instead}",
                self.mode
            ),
        )
    }

    /// The tokens of a value, for use inside copied code.
    fn value_tokens(&self, v: &Value) -> TokenStream {
        match v {
            Value::Scalar(Operand::Var(id)) => self.vars[*id].ident.to_token_stream(),
            Value::Scalar(Operand::Const(t)) => quote!((#t)),
            Value::Tuple(items) => {
                let items = items.iter().map(|i| self.value_tokens(i));
                quote!((#(#items,)*))
            }
            Value::Array(items) => {
                let items = items.iter().map(|i| self.value_tokens(i));
                quote!([#(#items),*])
            }
        }
    }

    /// Copies tokens, replacing each user variable by its current IR name. Returns the variables
    /// used.
    fn rename(&self, tokens: TokenStream) -> (TokenStream, Vec<VarId>) {
        let mut uses = Vec::new();
        let out = self.rename_into(tokens, &mut uses);
        (out, uses)
    }

    fn rename_into(&self, tokens: TokenStream, uses: &mut Vec<VarId>) -> TokenStream {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let vars = variable_positions(&tokens);
        let mut out = TokenStream::new();
        for (t, var) in tokens.into_iter().zip(vars) {
            match t {
                TokenTree::Ident(id) if var => match self.lookup(&id.to_string()) {
                    Some(Binding::Value(v)) => {
                        for (_, op) in v.leaves() {
                            if let Operand::Var(x) = op {
                                uses.push(*x);
                            }
                        }
                        let mut replaced = self.value_tokens(v);
                        if let Value::Scalar(Operand::Var(_)) = v {
                            // Keep the user's span for error messages; the name decides hygiene.
                            let ident = self.vars[uses[uses.len() - 1]].ident.clone();
                            replaced = ident.to_token_stream();
                        }
                        out.extend(replaced);
                    }
                    _ => out.extend([TokenTree::Ident(id)]),
                },
                TokenTree::Group(g) => {
                    let mut ng = Group::new(g.delimiter(), self.rename_into(g.stream(), uses));
                    ng.set_span(g.span());
                    out.extend([TokenTree::Group(ng)]);
                }
                other => out.extend([other]),
            }
        }
        out
    }

    fn push_def(&mut self, var: VarId, ty: Option<TokenStream>, rhs: Rhs) {
        self.stmts.push(Stmt::Def { var, ty, rhs });
    }

    /// An inert expression as an operand: literals and paths stay inline; anything else is
    /// evaluated once into a temporary, so that the reverse sweep reads the same value.
    fn inert(&mut self, e: &Expr, refusal: Option<syn::Error>) -> Operand {
        let (tokens, uses) = self.rename(e.to_token_stream());
        let simple = uses.is_empty() && refusal.is_none() && is_literal_or_path(e);
        if simple {
            return Operand::Const(tokens);
        }
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Inert {
                tokens,
                uses,
                refusal,
            },
        );
        Operand::Var(t)
    }

    /// Turns constant leaves into variables, so that every output component can be named.
    fn materialize(&mut self, v: Value) -> Value {
        match v {
            Value::Scalar(Operand::Const(tokens)) => {
                let t = self.temp();
                self.push_def(
                    t,
                    None,
                    Rhs::Inert {
                        tokens,
                        uses: Vec::new(),
                        refusal: None,
                    },
                );
                Value::Scalar(Operand::Var(t))
            }
            Value::Scalar(op) => Value::Scalar(op),
            Value::Tuple(items) => {
                Value::Tuple(items.into_iter().map(|i| self.materialize(i)).collect())
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| self.materialize(i)).collect())
            }
        }
    }

    fn lower_stmts(&mut self, stmts: &[SynStmt]) -> Option<Value> {
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            match stmt {
                SynStmt::Local(local) => self.lower_local(local),
                SynStmt::Expr(e, None) if last => return Some(self.lower_expr(e)),
                SynStmt::Expr(Expr::Return(r), Some(_)) if last => {
                    return Some(match &r.expr {
                        Some(e) => self.lower_expr(e),
                        None => Value::Scalar(Operand::Const(quote!(()))),
                    });
                }
                SynStmt::Expr(e, _) => self.lower_expr_stmt(e, stmt),
                SynStmt::Item(item) => self.stmts.push(Stmt::Inert {
                    tokens: item.to_token_stream(),
                    uses: Vec::new(),
                    refusal: None,
                }),
                SynStmt::Macro(m) => {
                    // Macros such as `assert!` and `println!` read values but produce none.
                    let (tokens, uses) = self.rename(m.to_token_stream());
                    self.stmts.push(Stmt::Inert {
                        tokens,
                        uses,
                        refusal: None,
                    });
                }
            }
        }
        None
    }

    fn lower_expr_stmt(&mut self, e: &Expr, stmt: &SynStmt) {
        match e {
            Expr::Assign(a) => {
                if let Some(name) = self.maybe_active_target(&a.left) {
                    let value = self.lower_expr(&a.right);
                    self.assign(&name, value, &a.left);
                    return;
                }
            }
            Expr::Binary(b) if is_compound(&b.op) => {
                if let Some(name) = self.maybe_active_target(&b.left)
                    && let Some(rule) = compound_rule(&b.op)
                {
                    let current = self.lower_expr(&b.left);
                    let rhs = self.lower_expr(&b.right);
                    let (Some(cur), Some(rhs)) =
                        (self.scalar(current, &b.left), self.scalar(rhs, &b.right))
                    else {
                        return;
                    };
                    let value = self.prim(rule, vec![cur, rhs], Form::Operator, b.op.span());
                    self.assign(&name, Value::Scalar(value), &b.left);
                    return;
                }
            }
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(HashMap::new());
                if let Some(Value::Scalar(Operand::Const(tokens))) =
                    self.lower_stmts(&b.block.stmts)
                {
                    self.stmts.push(Stmt::Inert {
                        tokens: quote!(#tokens;),
                        uses: Vec::new(),
                        refusal: None,
                    });
                }
                self.scopes.pop();
                return;
            }
            Expr::Macro(_) => {
                let (tokens, uses) = self.rename(stmt.to_token_stream());
                self.stmts.push(Stmt::Inert {
                    tokens,
                    uses,
                    refusal: None,
                });
                return;
            }
            _ => {}
        }
        let tokens = stmt.to_token_stream();
        let refusal = if self.mentions_active(tokens.clone()) {
            Some(self.refuse_expr(e))
        } else {
            None
        };
        let (mut tokens, uses) = self.rename(tokens);
        if matches!(stmt, SynStmt::Expr(_, None))
            && !matches!(e, Expr::Block(_))
            && needs_semicolon(e)
        {
            tokens.extend(quote!(;));
        }
        self.stmts.push(Stmt::Inert {
            tokens,
            uses,
            refusal,
        });
    }

    /// The name assigned by `target` when it is a maybe-active plain variable.
    fn maybe_active_target(&self, target: &Expr) -> Option<Ident> {
        match target {
            Expr::Path(p) => p
                .path
                .get_ident()
                .filter(|i| self.maybe_active.contains(&i.to_string()))
                .cloned(),
            Expr::Paren(p) => self.maybe_active_target(&p.expr),
            _ => None,
        }
    }

    fn assign(&mut self, name: &Ident, value: Value, target: &Expr) {
        let mutable = match self.lookup(&name.to_string()) {
            Some(Binding::Uninit { mutable }) => *mutable,
            Some(Binding::Value(Value::Scalar(Operand::Var(v)))) => self.vars[*v].mutable,
            Some(Binding::Value(_)) => true,
            None => {
                self.errors.spanned(
                    target,
                    format!("{}: `{name}` is not a local variable", self.mode),
                );
                return;
            }
        };
        let value = self.name_value(name, mutable, None, value);
        self.rebind(&name.to_string(), value);
    }

    /// Gives a freshly computed value the user's name (a new version of it), so that the
    /// generated code reads like the original.
    fn name_value(
        &mut self,
        name: &Ident,
        mutable: bool,
        ty: Option<TokenStream>,
        value: Value,
    ) -> Value {
        match value {
            Value::Scalar(Operand::Var(v)) if self.is_fresh_temp(v) => {
                let named = self.user_var(name, mutable);
                // Take over the temporary's definition under the user's name.
                let ident = self.vars[named].ident.clone();
                self.vars[v].ident = ident;
                self.vars[v].mutable = mutable;
                self.vars.pop();
                if let Some(Stmt::Def { ty: slot, .. }) = self
                    .stmts
                    .iter_mut()
                    .rev()
                    .find(|s| matches!(s, Stmt::Def { var, .. } if *var == v))
                {
                    *slot = ty;
                }
                Value::Scalar(Operand::Var(v))
            }
            Value::Scalar(Operand::Var(v)) if ty.is_none() && !mutable => {
                Value::Scalar(Operand::Var(v))
            }
            Value::Scalar(op) => {
                let named = self.user_var(name, mutable);
                let tokens = match &op {
                    Operand::Var(v) => self.vars[*v].ident.to_token_stream(),
                    Operand::Const(t) => t.clone(),
                };
                let rhs = match op {
                    Operand::Var(_) => Rhs::Copy(op),
                    Operand::Const(_) => Rhs::Inert {
                        tokens,
                        uses: Vec::new(),
                        refusal: None,
                    },
                };
                self.push_def(named, ty, rhs);
                Value::Scalar(Operand::Var(named))
            }
            aggregate => aggregate,
        }
    }

    /// A temporary made by the expression just lowered, that no name refers to yet.
    fn is_fresh_temp(&self, v: VarId) -> bool {
        let ident = self.vars[v].ident.to_string();
        ident.starts_with("_t")
            && !self.scopes.iter().any(|s| {
                s.values().any(|b| matches!(b, Binding::Value(val) if val.leaves().iter().any(|(_, op)| matches!(op, Operand::Var(x) if *x == v))))
            })
            && matches!(self.stmts.last(), Some(Stmt::Def { var, .. }) if *var == v)
    }

    fn lower_local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.declare(&local.pat, local);
            return;
        };
        if init.diverge.is_some() {
            let tokens = local.to_token_stream();
            let refusal = self.mentions_active(tokens.clone()).then(|| {
                self.refusal(
                    local,
                    "`let .. else` over a differentiated value",
                    "a refutable pattern has no derivative",
                    "Destructure with a plain `let` or compute the value with supported operations",
                )
            });
            let (tokens, uses) = self.rename(tokens);
            self.stmts.push(Stmt::Inert {
                tokens,
                uses,
                refusal,
            });
            self.bind_pattern_names(&local.pat);
            return;
        }
        let value = self.lower_expr(&init.expr);
        self.bind_pattern(&local.pat, None, value);
    }

    /// `let y;` or `let y: f64;`.
    fn declare(&mut self, pat: &Pat, local: &syn::Local) {
        let (ident, mutable) = match pat {
            Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => {
                (p.ident.clone(), p.mutability.is_some())
            }
            Pat::Type(t) => return self.declare(&t.pat, local),
            _ => (Ident::new("_", Span::call_site()), false),
        };
        if self.maybe_active.contains(&ident.to_string()) {
            self.bind(&ident, Binding::Uninit { mutable });
        } else {
            let (tokens, uses) = self.rename(local.to_token_stream());
            self.stmts.push(Stmt::Inert {
                tokens,
                uses,
                refusal: None,
            });
            self.bind_pattern_names(&local.pat);
        }
    }

    /// Binds every name of a pattern to a fresh variable spelled as the user wrote it (for
    /// patterns copied as tokens).
    fn bind_pattern_names(&mut self, pat: &Pat) {
        for name in pattern_names(pat) {
            let ident = Ident::new(&name, Span::call_site());
            let v = self.user_var(&ident, true);
            // The copied pattern binds the user's spelling; keep it.
            self.vars[v].ident = pattern_ident(pat, &name).unwrap_or(ident.clone());
            self.bind(&ident, Binding::Value(Value::Scalar(Operand::Var(v))));
        }
    }

    fn bind_pattern(&mut self, pat: &Pat, ty: Option<&syn::Type>, value: Value) {
        match (pat, &value) {
            (Pat::Type(t), _) => self.bind_pattern(&t.pat, Some(&t.ty), value),
            (Pat::Paren(p), _) => self.bind_pattern(&p.pat, ty, value),
            (Pat::Ident(p), _) if p.subpat.is_none() && p.by_ref.is_none() => {
                let ty = ty.map(ToTokens::to_token_stream);
                let value = self.name_value(&p.ident, p.mutability.is_some(), ty, value);
                self.bind(&p.ident, Binding::Value(value));
            }
            (Pat::Wild(_), _) => {}
            (Pat::Tuple(t), Value::Tuple(items)) if t.elems.len() == items.len() => {
                let tys: Vec<Option<&syn::Type>> = match ty {
                    Some(syn::Type::Tuple(tt)) if tt.elems.len() == items.len() => {
                        tt.elems.iter().map(Some).collect()
                    }
                    _ => vec![None; items.len()],
                };
                for ((p, item), ty) in t.elems.iter().zip(items.clone()).zip(tys) {
                    self.bind_pattern(p, ty, item);
                }
            }
            (Pat::Slice(s), Value::Array(items)) if s.elems.len() == items.len() => {
                for (p, item) in s.elems.iter().zip(items.clone()) {
                    self.bind_pattern(p, None, item);
                }
            }
            _ => {
                // Copy the destructuring as tokens; if the value is active, that is an error.
                let rhs = self.value_tokens(&value);
                let uses: Vec<VarId> = value
                    .leaves()
                    .iter()
                    .filter_map(|(_, op)| Func::var_of(op))
                    .collect();
                let refusal = self.refusal(
                    pat,
                    &format!("the pattern `{}`", show(pat)),
                    "only plain names, and tuple or array patterns over literals, can bind differentiated values",
                    "Bind it to a plain name, or destructure a tuple `(a, b)` or array `[a, b]` literal",
                );
                let mut pat = pat.clone();
                let ty = ty.map(|t| quote!(: #t));
                // Names bound by the pattern become new versions.
                let mut renamer = PatRenamer {
                    lowerer: self,
                    bound: Vec::new(),
                };
                renamer.visit_pat_mut(&mut pat);
                let bound = renamer.bound;
                self.stmts.push(Stmt::Inert {
                    tokens: quote!(let #pat #ty = #rhs;),
                    uses,
                    refusal: Some(refusal),
                });
                for (name, v) in bound {
                    self.bind(&name, Binding::Value(Value::Scalar(Operand::Var(v))));
                }
            }
        }
    }

    fn scalar(&mut self, v: Value, node: &Expr) -> Option<Operand> {
        match v {
            Value::Scalar(op) => Some(op),
            _ => {
                self.errors.spanned(
                    node,
                    format!(
                        "{}: `{}` is a tuple or array here, but a number is needed: use one of its elements",
                        self.mode,
                        node.to_token_stream()
                    ),
                );
                None
            }
        }
    }

    fn prim(
        &mut self,
        rule: &'static rules::Rule,
        args: Vec<Operand>,
        form: Form,
        span: Span,
    ) -> Operand {
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Prim {
                rule,
                args,
                form,
                span,
            },
        );
        Operand::Var(t)
    }

    fn lower_expr(&mut self, e: &Expr) -> Value {
        if !self.mentions_active(e.to_token_stream()) {
            if let Some(Binding::Value(v)) =
                path_ident(e).and_then(|id| self.lookup(&id.to_string()))
            {
                return v.clone();
            }
            return Value::Scalar(self.inert(e, None));
        }
        match e {
            Expr::Paren(p) => self.lower_expr(&p.expr),
            Expr::Group(g) => self.lower_expr(&g.expr),
            Expr::Path(p) => {
                let Some(id) = p.path.get_ident() else {
                    return Value::Scalar(self.inert(e, None));
                };
                match self.lookup(&id.to_string()) {
                    Some(Binding::Value(v)) => v.clone(),
                    Some(Binding::Uninit { .. }) => {
                        self.errors.spanned(
                            e,
                            format!("{}: `{id}` is used before it is assigned", self.mode),
                        );
                        Value::Scalar(Operand::Const(e.to_token_stream()))
                    }
                    None => Value::Scalar(self.inert(e, None)),
                }
            }
            Expr::Binary(b) => {
                let name = match b.op {
                    BinOp::Add(_) => "add",
                    BinOp::Sub(_) => "sub",
                    BinOp::Mul(_) => "mul",
                    BinOp::Div(_) => "div",
                    BinOp::Rem(_) => "rem",
                    // Comparisons, logic and bit operations yield no float derivative.
                    _ if !is_compound(&b.op) => return Value::Scalar(self.inert(e, None)),
                    _ => {
                        let refusal = self.refusal(
                            e,
                            "a compound assignment inside an expression",
                            "its effect on the derivative cannot be ordered",
                            "Write it as its own statement",
                        );
                        return Value::Scalar(self.inert(e, Some(refusal)));
                    }
                };
                let l = self.lower_expr(&b.left);
                let r = self.lower_expr(&b.right);
                let (Some(l), Some(r)) = (self.scalar(l, &b.left), self.scalar(r, &b.right)) else {
                    return Value::Scalar(Operand::Const(e.to_token_stream()));
                };
                Value::Scalar(self.prim(
                    rules::operator(name),
                    vec![l, r],
                    Form::Operator,
                    b.op.span(),
                ))
            }
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let v = self.lower_expr(&u.expr);
                    match self.scalar(v, &u.expr) {
                        Some(a) => Value::Scalar(self.prim(
                            rules::operator("neg"),
                            vec![a],
                            Form::Operator,
                            u.op.span(),
                        )),
                        None => Value::Scalar(Operand::Const(e.to_token_stream())),
                    }
                }
                UnOp::Not(_) => Value::Scalar(self.inert(e, None)),
                _ => {
                    let refusal = self.refusal(
                        e,
                        &format!("the dereference `{}`", show(e)),
                        "references to differentiated floats are not supported yet",
                        "Pass the float by value",
                    );
                    Value::Scalar(self.inert(e, Some(refusal)))
                }
            },
            Expr::MethodCall(m) => self.lower_method(m, e),
            Expr::Call(c) => self.lower_call(c, e),
            Expr::Cast(c) => {
                if self.floats.is_float(&c.ty) {
                    let v = self.lower_expr(&c.expr);
                    match self.scalar(v, &c.expr) {
                        Some(value @ Operand::Var(_)) => {
                            let t = self.temp();
                            self.push_def(
                                t,
                                None,
                                Rhs::Cast {
                                    value,
                                    ty: c.ty.to_token_stream(),
                                },
                            );
                            Value::Scalar(Operand::Var(t))
                        }
                        _ => Value::Scalar(self.inert(e, None)),
                    }
                } else if is_integer_like(&c.ty) {
                    Value::Scalar(self.inert(e, None))
                } else {
                    let ty = c.ty.to_token_stream();
                    let refusal = self.refusal(
                        &c.ty,
                        &format!("the cast to `{ty}`"),
                        "the macro cannot tell whether this type is a float, so whether the derivative goes through",
                        "Cast to `f32`, `f64` or a generic `T: Float` parameter, or to an integer type to drop the derivative on purpose",
                    );
                    Value::Scalar(self.inert(e, Some(refusal)))
                }
            }
            Expr::Tuple(t) => Value::Tuple(t.elems.iter().map(|x| self.lower_expr(x)).collect()),
            Expr::Array(a) => Value::Array(a.elems.iter().map(|x| self.lower_expr(x)).collect()),
            Expr::Field(f) => {
                let base = self.lower_expr(&f.base);
                match (&f.member, base) {
                    (syn::Member::Unnamed(i), Value::Tuple(items))
                        if (i.index as usize) < items.len() =>
                    {
                        items[i.index as usize].clone()
                    }
                    _ => {
                        let refusal = self.refusal(
                            e,
                            &format!("the field access `{}`", show(e)),
                            "only tuple fields (`t.0`) of values built in this function can carry a derivative",
                            "Destructure the tuple with `let (a, b) = ..`, or read fields of `self` only",
                        );
                        Value::Scalar(self.inert(e, Some(refusal)))
                    }
                }
            }
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(HashMap::new());
                let v = self
                    .lower_stmts(&b.block.stmts)
                    .unwrap_or(Value::Scalar(Operand::Const(quote!(()))));
                self.scopes.pop();
                v
            }
            _ => {
                let refusal = self.refuse_expr(e);
                Value::Scalar(self.inert(e, Some(refusal)))
            }
        }
    }

    fn lower_method(&mut self, m: &syn::ExprMethodCall, e: &Expr) -> Value {
        let name = m.method.to_string();
        if name == rules::SIN_COS && m.args.is_empty() {
            let x = self.lower_expr(&m.receiver);
            let Some(x) = self.scalar(x, &m.receiver) else {
                return Value::Scalar(Operand::Const(e.to_token_stream()));
            };
            let span = m.method.span();
            let s = self.prim(
                rules::method("sin").expect("sin is a rule"),
                vec![x.clone()],
                Form::Method,
                span,
            );
            let c = self.prim(
                rules::method("cos").expect("cos is a rule"),
                vec![x],
                Form::Method,
                span,
            );
            return Value::Tuple(vec![Value::Scalar(s), Value::Scalar(c)]);
        }
        if let Some(rule) = rules::method(&name) {
            if m.args.len() + 1 != rule.arity {
                self.errors.spanned(
                    &m.method,
                    format!(
                        "{}: `{name}` takes {} argument(s) here, not {}",
                        self.mode,
                        rule.arity - 1,
                        m.args.len()
                    ),
                );
                return Value::Scalar(Operand::Const(e.to_token_stream()));
            }
            let mut args = Vec::new();
            for a in std::iter::once(&*m.receiver).chain(m.args.iter()) {
                let v = self.lower_expr(a);
                match self.scalar(v, a) {
                    Some(op) => args.push(op),
                    None => return Value::Scalar(Operand::Const(e.to_token_stream())),
                }
            }
            return Value::Scalar(self.prim(rule, args, Form::Method, m.method.span()));
        }
        if rules::is_inactive_method(&name) {
            return Value::Scalar(self.inert(e, None));
        }
        if (name == "clone" || name == "to_owned") && m.args.is_empty() {
            return self.lower_expr(&m.receiver);
        }
        let refusal = self.refuse_expr(e);
        Value::Scalar(self.inert(e, Some(refusal)))
    }

    fn lower_call(&mut self, c: &syn::ExprCall, e: &Expr) -> Value {
        if let Expr::Path(p) = &*c.func
            && p.path.segments.len() >= 2
        {
            let last = p
                .path
                .segments
                .last()
                .expect("two segments")
                .ident
                .to_string();
            let rule_names: Vec<&str> = if last == rules::SIN_COS {
                vec!["sin", "cos"]
            } else {
                vec![last.as_str()]
            };
            if rule_names.iter().all(|n| rules::method(n).is_some()) {
                let mut args = Vec::new();
                for a in &c.args {
                    let v = self.lower_expr(a);
                    match self.scalar(v, a) {
                        Some(op) => args.push(op),
                        None => return Value::Scalar(Operand::Const(e.to_token_stream())),
                    }
                }
                let mut results = Vec::new();
                for n in rule_names {
                    let rule = rules::method(n).expect("checked above");
                    if args.len() != rule.arity {
                        self.errors.spanned(
                            e,
                            format!(
                                "{}: `{n}` takes {} argument(s), not {}",
                                self.mode,
                                rule.arity,
                                args.len()
                            ),
                        );
                        return Value::Scalar(Operand::Const(e.to_token_stream()));
                    }
                    let mut path = p.clone();
                    path.path.segments.last_mut().expect("two segments").ident = Ident::new(
                        n,
                        p.path.segments.last().expect("two segments").ident.span(),
                    );
                    let span = c.func.span();
                    results.push(Value::Scalar(self.prim(
                        rule,
                        args.clone(),
                        Form::Path(path.to_token_stream()),
                        span,
                    )));
                }
                return if results.len() == 1 {
                    results.pop().expect("one")
                } else {
                    Value::Tuple(results)
                };
            }
        }
        let refusal = self.refuse_expr(e);
        Value::Scalar(self.inert(e, Some(refusal)))
    }

    /// The error for an expression outside the subset that touches a maybe-active value.
    fn refuse_expr(&self, e: &Expr) -> syn::Error {
        let code = show(e);
        let (what, why, instead) = match e {
            Expr::If(_) | Expr::Match(_) => (
                "an `if` or `match` over differentiated values".to_owned(),
                "branches are not supported yet",
                "For now, write it without branching (`max`, `min`, `abs`, `clamp`, `signum`), or keep the branch on values that carry no derivative",
            ),
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => (
                "a loop over differentiated values".to_owned(),
                "loops are not supported yet",
                "For now, unroll the loop by hand",
            ),
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => (
                format!("`{code}` before the end of the body"),
                "early exits are not supported yet",
                "Return once, at the end of the body",
            ),
            Expr::Index(_) => (
                format!("the indexing `{code}`"),
                "arrays and slices of differentiated values are not supported yet",
                "Pass the elements as separate float parameters",
            ),
            Expr::Closure(_) => (
                "a closure that captures a differentiated value".to_owned(),
                "the macro cannot see into closures",
                "Write the computation inline, or as its own function",
            ),
            Expr::Unsafe(_) => (
                "an `unsafe` block touching a differentiated value".to_owned(),
                "the macro cannot know what it does to the derivative",
                "Move the unsafe code out of the differentiated function",
            ),
            Expr::Reference(_) => (
                format!("the reference `{code}` to a differentiated value"),
                "whatever receives it could change the value behind the macro's back",
                "Pass the float by value",
            ),
            Expr::Macro(m) => (
                format!(
                    "the macro call `{}!(..)` given a differentiated value",
                    show(&m.mac.path)
                ),
                "the macro cannot see what it computes",
                "Compute the value with supported operations, outside the macro",
            ),
            Expr::Call(c) => (
                format!("the call `{}(..)`", show(&c.func)),
                "it has a differentiated argument, and the function has no derivative the macro knows",
                "Write it with supported float operations, or pass it only values that carry no derivative",
            ),
            Expr::MethodCall(m) => (
                format!("the method call `.{}(..)`", m.method),
                "it has a differentiated receiver or argument, and the method has no derivative rule",
                "Use the supported float methods (listed in the README), or write it with them",
            ),
            Expr::Assign(_) => (
                format!("the assignment `{code}`"),
                "only plain local variables can receive differentiated values",
                "Assign to a local variable",
            ),
            Expr::Try(_) | Expr::Await(_) | Expr::Async(_) | Expr::Yield(_) => (
                format!("`{code}`"),
                "`?`, `async` and `await` have no derivative",
                "Keep fallible or asynchronous code out of the differentiated function",
            ),
            _ => (
                format!("the expression `{code}`"),
                "it is outside the differentiable subset",
                "Rewrite it with the supported operations listed in the README",
            ),
        };
        self.refusal(e, &what, why, instead)
    }
}

/// Code for a message, without the spaces token printing puts everywhere.
pub fn show(node: &impl ToTokens) -> String {
    let mut s = node.to_token_stream().to_string();
    for (from, to) in [
        (" [", "["),
        (" (", "("),
        (" .", "."),
        (". ", "."),
        ("& ", "&"),
        (" !", "!"),
        (" ,", ","),
        (" :: ", "::"),
        (":: ", "::"),
    ] {
        s = s.replace(from, to);
    }
    s
}

fn path_ident(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        Expr::Paren(p) => path_ident(&p.expr),
        _ => None,
    }
}

fn is_literal_or_path(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Paren(p) => is_literal_or_path(&p.expr),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => matches!(&*u.expr, Expr::Lit(_)),
        _ => false,
    }
}

fn needs_semicolon(e: &Expr) -> bool {
    !matches!(
        e,
        Expr::If(_)
            | Expr::Match(_)
            | Expr::ForLoop(_)
            | Expr::While(_)
            | Expr::Loop(_)
            | Expr::Block(_)
            | Expr::Unsafe(_)
    )
}

fn compound_rule(op: &BinOp) -> Option<&'static rules::Rule> {
    let name = match op {
        BinOp::AddAssign(_) => "add",
        BinOp::SubAssign(_) => "sub",
        BinOp::MulAssign(_) => "mul",
        BinOp::DivAssign(_) => "div",
        BinOp::RemAssign(_) => "rem",
        _ => return None,
    };
    Some(rules::operator(name))
}

fn pattern_ident(pat: &Pat, name: &str) -> Option<Ident> {
    struct Find<'n>(&'n str, Option<Ident>);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            if p.ident == self.0 && self.1.is_none() {
                self.1 = Some(p.ident.clone());
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut f = Find(name, None);
    f.visit_pat(pat);
    f.1
}

/// Renames the names a copied pattern binds to fresh versions.
struct PatRenamer<'l, 'a> {
    lowerer: &'l mut Lowerer<'a>,
    bound: Vec<(Ident, VarId)>,
}

impl VisitMut for PatRenamer<'_, '_> {
    fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
        let v = self.lowerer.user_var(&p.ident, p.mutability.is_some());
        self.bound.push((p.ident.clone(), v));
        p.ident = self.lowerer.vars[v].ident.clone();
        syn::visit_mut::visit_pat_ident_mut(self, p);
    }
}
