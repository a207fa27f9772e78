//! Lowering: the user's function body (syn) to the IR.
//!
//! Input:  `let y = x * x.sin(); y + 2.0`
//! Output: `_t0 = sin(x); y = mul(x, _t0); _t1 = add(y, 2.0); return _t1`
//!
//! Expressions that may carry a derivative are taken apart into primitives. Whether a user
//! variable *may* be active is decided first, by name, over the whole body ([`maybe_active`]);
//! an expression that mentions no such name is copied as tokens. An expression that does mention
//! one but that the lowering does not understand (an unknown call, a closure, `unsafe`) becomes
//! an inert definition carrying its refusal: activity analysis later reports it if, and only if,
//! a value that really depends on an active input reaches it. That is the fence: nothing outside
//! the subset can silently lose a derivative, and everything inside it that carries none passes.
//!
//! Control flow is always lowered into structure (whether or not it touches active values), so
//! that every assignment to a local variable becomes a new SSA version, a φ after an `if`, or a
//! cell of a loop. `break`, `continue` and `return` become assignments to flag variables, and the
//! statements after one that may have run are guarded by `if !flag { .. }`:
//!
//! Input:  `for i in 0..n { if i == k { break; } s += x; }`
//! Output: `brk = false; loop(cells: s, brk) { c = i == k; if c { brk_1 = true } φ brk_2;`
//!         `          g = !brk_2; if g { s_1 = s + x } φ s_2; exit when brk_2 }`

use std::collections::{HashMap, HashSet};

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{BinOp, Expr, Pat, Stmt as SynStmt, UnOp};

use crate::errors::Errors;
use crate::ir::{
    Callee, Cell, Form, Func, If, Loop, LoopKind, MemArg, Operand, Param, Pass, Phi, Rhs, StateArg,
    Stmt, Value, Var, VarId, Zeros,
};
use crate::names::Namer;
use crate::rules;
use crate::sig::{FloatTypes, SigParam, is_integer_like};

/// What a user name stands for at a point of the body.
#[derive(Clone, Debug)]
enum Binding {
    Value(Value),
    /// `let y;` or `let y: T;`: defined by its first assignment, which gets the declared type.
    Uninit(Option<TokenStream>),
    /// A name bound by a pattern inside copied code (a `match` guard): left as written.
    Raw,
}

/// The flags of one loop being lowered: `(key in the scopes, base name)`.
#[derive(Clone, Debug)]
struct LoopCtx {
    label: Option<String>,
    brk: Option<(String, Ident)>,
    cont: Option<(String, Ident)>,
    value: Option<(String, Ident)>,
}

/// What lowering a block produced.
#[derive(Default)]
struct Flow {
    /// The block's value, if it has one.
    value: Option<Value>,
    /// Every path through the block left it by `break`, `continue` or `return`.
    diverged: bool,
}

const RET: &str = "#ret";
const RETURNED: &str = "#returned";

struct Lowerer<'a> {
    errors: Errors,
    floats: &'a FloatTypes,
    mode: &'a str,
    namer: Namer,
    vars: Vec<Var>,
    stmts: Vec<Stmt>,
    scopes: Vec<HashMap<String, Binding>>,
    versions: HashMap<String, usize>,
    maybe_active: HashSet<String>,
    /// Names that copied code may mutate in place (`v.push(..)`, `&mut v`, `v[i] = ..`).
    mutated: HashSet<String>,
    loops: Vec<LoopCtx>,
    loop_count: usize,
    /// The block being lowered has already left by `break`, `continue` or `return`.
    diverged: bool,
    base_idents: HashMap<String, Ident>,
    /// How many branches and loop bodies enclose the code being lowered.
    region_depth: usize,
    /// Counter for the names of desugared iterator loops.
    desugared: usize,
    /// Every `(scope level, key)` rebound by an assignment, so a loop carries what its body
    /// assigns even when the binding comes out the same in the trial (`b = y` where `b` already
    /// held `y`'s value: in the loop, `y` becomes a cell entry that `b` must not escape as).
    assigned: HashSet<(usize, String)>,
    /// The `ad_runtime::Stack`s of generated reverse-mode code (lowered again for second
    /// derivatives).
    stacks: HashSet<VarId>,
    /// Results of runtime rules returning a tuple of partials (`div_partials(..)`), whose
    /// fields may be read.
    rule_tuples: HashSet<VarId>,
    /// The `if` being lowered, for errors about its branches.
    branch_span: Option<Span>,
    /// The parameters the function writes through (`&mut [F]`, ..), for errors about calls.
    written_params: HashSet<VarId>,
    /// Variables known to hold integers or containers of integers (by their type or their
    /// initial value): state that steers the computation, never differentiated.
    integers: HashSet<VarId>,
    /// Parameters of a `&mut` reference type.
    ref_mut_params: HashSet<VarId>,
}

/// Lowers a function body. Errors are recorded and lowering goes on, so that all of them are
/// reported together.
pub fn lower(
    body: &syn::Block,
    params: &[SigParam],
    floats: &FloatTypes,
    namer: Namer,
    mode: &str,
    out_ty: Option<&syn::Type>,
    errors: &mut Errors,
) -> Func {
    let has_output = out_ty.is_some();
    let active_names = params
        .iter()
        .filter(|p| p.active)
        .map(|p| p.ident.to_string())
        .collect();
    let mut l = Lowerer {
        errors: Errors::default(),
        floats,
        mode,
        namer,
        vars: Vec::new(),
        stmts: Vec::new(),
        scopes: vec![HashMap::new()],
        versions: HashMap::new(),
        maybe_active: maybe_active(body, active_names),
        mutated: mutated_in_place(body),
        loops: Vec::new(),
        loop_count: 0,
        diverged: false,
        base_idents: HashMap::new(),
        region_depth: 0,
        desugared: 0,
        assigned: HashSet::new(),
        stacks: HashSet::new(),
        rule_tuples: HashSet::new(),
        branch_span: None,
        written_params: HashSet::new(),
        integers: HashSet::new(),
        ref_mut_params: HashSet::new(),
    };
    let mut ir_params = Vec::new();
    for p in params {
        let mutable = p.mutable && l.mutated.contains(&p.ident.to_string());
        let v = l.new_var(p.ident.clone(), mutable);
        if p.kind.is_memory() {
            l.vars[v].depth = Some(p.kind.depth());
        }
        if p.kind.writes_through() {
            l.written_params.insert(v);
        }
        if integer_type(&p.ty) {
            l.integers.insert(v);
        }
        if matches!(&p.ty, syn::Type::Reference(r) if r.mutability.is_some()) {
            l.ref_mut_params.insert(v);
        }
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
            kind: p.kind,
            elem: p.elem.clone(),
        });
    }

    // A `return` as the last statement is the tail; any other needs the return flag.
    let (stmts, final_return) = match body.stmts.split_last() {
        Some((SynStmt::Expr(Expr::Return(r), _), rest)) => (rest, Some(r)),
        _ => (&body.stmts[..], None),
    };
    let early_return = has_return(stmts);
    if early_return {
        let ret = l.namer.fresh("ret");
        let returned = l.namer.fresh("returned");
        l.base_idents.insert(RET.to_owned(), ret);
        l.base_idents.insert(RETURNED.to_owned(), returned);
        l.scopes[0].insert(RET.to_owned(), Binding::Value(dummy_shaped(out_ty)));
        let flag = l.constant_var(RETURNED, quote!(false));
        l.scopes[0].insert(RETURNED.to_owned(), Binding::Value(flag));
    }
    let mut flow = l.lower_stmts(stmts);
    if let Some(r) = final_return
        && !flow.diverged
    {
        flow.value = Some(match &r.expr {
            Some(e) => l.lower_expr(e),
            None => unit(),
        });
    }
    let tail = if early_return {
        let returned = l.current(RETURNED);
        let cond = l.operand_of(returned);
        let ret = l.current(RET);
        l.branch(
            cond,
            |_| Flow {
                value: Some(ret),
                diverged: false,
            },
            |_| flow,
        )
        .value
    } else {
        flow.value
    };
    let output = if has_output {
        // Without a tail value rustc reports the missing value itself.
        tail.map(|value| l.materialize(value))
    } else {
        None
    };
    let lowered_errors = std::mem::take(&mut l.errors);
    errors.extend(lowered_errors);
    Func {
        vars: l.vars,
        namer: l.namer,
        params: ir_params,
        stmts: l.stmts,
        output,
    }
}

/// In a function generic over `T: Float`, `T` has no `Default`: the dummies of differentiated
/// values (which are floats) become `ad_runtime::unreached()`, whose `T: Float` rustc infers.
/// Runs after activity analysis, which says which values are floats for sure.
pub fn type_dummies(func: &mut Func, floats: &FloatTypes) {
    fn fix(op: &mut Operand) {
        if let Operand::Const(t) = op
            && t.to_string().contains("Default :: default")
        {
            *t = quote!(::ad_runtime::unreached());
        }
    }
    fn walk(vars: &[crate::ir::Var], stmts: &mut [Stmt]) {
        for s in stmts {
            match s {
                Stmt::If(i) => {
                    for phi in &mut i.phis {
                        if vars[phi.var].active() {
                            fix(&mut phi.then);
                            fix(&mut phi.els);
                        }
                    }
                    walk(vars, &mut i.then);
                    walk(vars, &mut i.els);
                }
                Stmt::Loop(l) => {
                    for c in &mut l.cells {
                        if vars[c.cell].active() {
                            fix(&mut c.init);
                            fix(&mut c.exit);
                        }
                    }
                    walk(vars, &mut l.body);
                }
                _ => {}
            }
        }
    }
    if floats.any_generic() {
        walk(&func.vars, &mut func.stmts);
    }
}

/// A value for a path where a variable has none (a branch that did not assign it, a function
/// that returned early): its type's default, inferred from the other path.
fn dummy() -> Value {
    Value::Scalar(Operand::Const(quote!(::core::default::Default::default())))
}

/// A dummy with the shape of a type: a tuple or array type gives a tuple or array of dummies.
fn dummy_shaped(ty: Option<&syn::Type>) -> Value {
    match ty {
        Some(syn::Type::Tuple(t)) => {
            Value::Tuple(t.elems.iter().map(|e| dummy_shaped(Some(e))).collect())
        }
        Some(syn::Type::Array(a)) => match &a.len {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            }) => {
                let n = n.base10_parse::<usize>().unwrap_or(0);
                Value::Array((0..n).map(|_| dummy_shaped(Some(&a.elem))).collect())
            }
            _ => dummy(),
        },
        Some(syn::Type::Paren(p)) => dummy_shaped(Some(&p.elem)),
        // A float of the output: `T` need not have a `Default`.
        Some(ty @ syn::Type::Path(_)) => Value::Scalar(Operand::Const(quote!(
            ::ad_runtime::unreached::<#ty>()
        ))),
        _ => dummy(),
    }
}

/// `::core::clone::Clone::clone`.
fn is_clone(f: &Expr) -> bool {
    matches!(f, Expr::Path(p) if p.path.segments.iter().map(|s| s.ident.to_string()).eq(["core", "clone", "Clone", "clone"]))
}

/// `ad_runtime::accumulate(&mut a, e)`, as generated reverse-mode code adds into an adjoint.
fn is_accumulate(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if is_accumulate_call(c))
}

fn is_accumulate_call(c: &syn::ExprCall) -> bool {
    matches!(&*c.func, Expr::Path(p)
        if p.path.segments.len() == 2
            && p.path.segments[0].ident == "ad_runtime"
            && p.path.segments[1].ident == "accumulate")
}

fn value_uses(v: &Value) -> Vec<VarId> {
    v.leaves()
        .iter()
        .filter_map(|(_, op)| Func::var_of(op))
        .collect()
}

fn is_dummy(v: &Value) -> bool {
    matches!(v, Value::Scalar(Operand::Const(t)) if {
        let s = t.to_string();
        s.contains("Default :: default") || s.contains("ad_runtime :: unreached")
    })
}

fn unit() -> Value {
    Value::Scalar(Operand::Const(quote!(())))
}

/// Whether a block contains a `return` (outside closures and nested items).
fn has_return(stmts: &[SynStmt]) -> bool {
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

/// Which exits a loop body takes: `break` (and `break value`) and `continue` aimed at this loop,
/// and exits through it to an outer loop or out of the function.
#[derive(Default)]
struct Exits {
    brk: bool,
    cont: bool,
    value: bool,
    through: bool,
}

fn exits(body: &syn::Block, label: Option<&str>) -> Exits {
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
fn mutated_in_place(body: &syn::Block) -> HashSet<String> {
    struct Find(HashSet<String>);
    impl Find {
        fn root(&mut self, e: &Expr) {
            if let Some(n) = place_root(e) {
                self.0.insert(n);
            }
        }
    }
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_method_call(&mut self, e: &'ast syn::ExprMethodCall) {
            let name = e.method.to_string();
            if !rules::is_float_method(&name) && !READ_ONLY_METHODS.contains(&name.as_str()) {
                self.root(&e.receiver);
            }
            syn::visit::visit_expr_method_call(self, e);
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
            self.0.extend(assigned_names(&e.body.to_token_stream()));
        }
        fn visit_expr_unsafe(&mut self, e: &'ast syn::ExprUnsafe) {
            self.0.extend(assigned_names(&e.block.to_token_stream()));
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.0.extend(assigned_names(&m.tokens));
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Find(HashSet::new());
    f.visit_block(body);
    f.0
}

/// Iterator adapters that keep an iterator over integers an iterator over integers.
const RANGE_ADAPTERS: &[&str] = &["rev", "step_by", "skip", "take"];

/// Whether an expression is a range, or a range through [`RANGE_ADAPTERS`]: an iterator over
/// integers (a range of floats is no iterator, so rustc rejects adapters on one).
fn is_range_iterator(e: &Expr) -> bool {
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
const READ_ONLY_METHODS: &[&str] = &[
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
fn assigned_names(tokens: &TokenStream) -> Vec<String> {
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
fn is_pure(e: &Expr, mutated: &HashSet<String>) -> bool {
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
            if e.method == "push"
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
            // `name!(..)` is a macro call, but `name != ..` compares the variable `name`.
            let macro_name = punct(next, '!') && !punct(next2, '=');
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
            depth: None,
        });
        self.vars.len() - 1
    }

    /// The identifier a key's versions are named after: the user's name, or a hygienic base for
    /// the macro's own flags.
    fn base_ident(&self, key: &str) -> Ident {
        self.base_idents
            .get(key)
            .cloned()
            .unwrap_or_else(|| crate::names::user(key))
    }

    /// A new variable for a definition of `key`: the user's name itself the first time, a
    /// hygienic `name_k` after.
    fn named_var(&mut self, key: &str, mutable: bool) -> VarId {
        let base = self.base_ident(key);
        let k = self.versions.entry(key.to_owned()).or_insert(0);
        *k += 1;
        let ident = if *k == 1 {
            base
        } else {
            self.namer.version(&base, *k - 1)
        };
        let mutable = mutable && self.mutated.contains(key);
        self.new_var(ident, mutable)
    }

    fn temp(&mut self) -> VarId {
        let ident = self.namer.temp();
        self.new_var(ident, false)
    }

    /// A new version of `key` holding a constant (`false`, a flag's value).
    fn constant_var(&mut self, key: &str, tokens: TokenStream) -> Value {
        let v = self.named_var(key, false);
        self.push_def(v, None, inert_rhs(tokens, Vec::new(), true));
        Value::Scalar(Operand::Var(v))
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The current value of a key that is certainly bound (a flag).
    fn current(&self, key: &str) -> Value {
        match self.lookup(key) {
            Some(Binding::Value(v)) => v.clone(),
            _ => dummy(),
        }
    }

    fn operand_of(&mut self, v: Value) -> Operand {
        match v {
            Value::Scalar(op) => op,
            _ => Operand::Const(quote!(false)),
        }
    }

    fn bind(&mut self, name: &str, b: Binding) {
        if let Binding::Value(v) = &b {
            self.note_maybe_active(name, v);
        }
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .insert(name.to_owned(), b);
    }

    /// Keeps the by-name "maybe active" set a superset: a name bound to a computed variable may
    /// hold a derivative (the pre-pass over the original body cannot see names that desugaring
    /// introduces, such as a closure's parameter), so code mentioning it must be taken apart.
    fn note_maybe_active(&mut self, name: &str, v: &Value) {
        if v.leaves()
            .iter()
            .any(|(_, op)| matches!(op, Operand::Var(_)))
        {
            self.maybe_active.insert(name.to_owned());
        }
    }

    /// Rebinds an existing name in the scope that owns it (an assignment).
    fn rebind(&mut self, name: &str, value: Value) {
        self.note_maybe_active(name, &value);
        if let Some(level) = self.scopes.iter().rposition(|s| s.contains_key(name)) {
            self.scopes[level].insert(name.to_owned(), Binding::Value(value));
            self.assigned.insert((level, name.to_owned()));
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
        let pure = refusal.is_none() && is_pure(e, &self.mutated);
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Inert {
                tokens,
                uses,
                refusal,
                pure,
            },
        );
        Operand::Var(t)
    }

    /// The value of a name read as a whole. A variable that code here changes in place (`k` in
    /// `bump(&mut k)`, an index list written element by element) is not versioned, so its value
    /// is read into a copy at this point: an alias would see later changes, and the reverse
    /// sweep would read the value the variable has then. Floats that may carry a derivative are
    /// left as they are (changing one in place is refused where it happens).
    fn read_state(&mut self, name: &str, value: Value) -> Value {
        let Value::Scalar(Operand::Var(v)) = value else {
            return value;
        };
        let state = self.vars[v].depth.is_none()
            && self.mutated.contains(name)
            && !self.ref_mut_params.contains(&v)
            && (self.integers.contains(&v) || !self.maybe_active.contains(name));
        if !state {
            return value;
        }
        let ident = self.vars[v].ident.clone();
        let copy = self.inert_tokens(quote!(::core::clone::Clone::clone(&#ident)), vec![v], false);
        if self.integers.contains(&v)
            && let Some(c) = Func::var_of(&copy)
        {
            self.integers.insert(c);
        }
        Value::Scalar(copy)
    }

    /// An inert definition from tokens the macro built (a flag test, a match condition).
    fn inert_tokens(&mut self, tokens: TokenStream, uses: Vec<VarId>, pure: bool) -> Operand {
        let t = self.temp();
        self.push_def(t, None, inert_rhs(tokens, uses, pure));
        Operand::Var(t)
    }

    /// Turns constant leaves into variables, so that every output component can be named.
    fn materialize(&mut self, v: Value) -> Value {
        match v {
            Value::Scalar(Operand::Const(tokens)) => {
                Value::Scalar(self.inert_tokens(tokens, Vec::new(), true))
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

    /// The keys of the exit flags in force: `break` and `continue` of the enclosing loops, and
    /// the return flag.
    fn flag_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .loops
            .iter()
            .flat_map(|l| [l.brk.clone(), l.cont.clone()])
            .flatten()
            .map(|(k, _)| k)
            .collect();
        if self.lookup(RETURNED).is_some() {
            keys.push(RETURNED.to_owned());
        }
        keys
    }

    fn signature(&self, key: &str) -> String {
        match self.lookup(key) {
            Some(Binding::Value(v)) => format!("{v:?}"),
            Some(other) => format!("{other:?}"),
            None => String::new(),
        }
    }

    fn lower_stmts(&mut self, stmts: &[SynStmt]) -> Flow {
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            let flags: Vec<(String, String)> = self
                .flag_keys()
                .into_iter()
                .map(|k| {
                    let s = self.signature(&k);
                    (k, s)
                })
                .collect();
            let mut value = None;
            match stmt {
                SynStmt::Local(local) => self.lower_local(local),
                SynStmt::Expr(e, None) if last => value = Some(self.lower_expr(e)),
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
            if self.diverged {
                self.diverged = false;
                return Flow {
                    value: None,
                    diverged: true,
                };
            }
            if last {
                return Flow {
                    value,
                    diverged: false,
                };
            }
            // A statement that may have set an exit flag guards the rest of the block.
            let set: Vec<String> = flags
                .into_iter()
                .filter(|(k, s)| self.signature(k) != *s)
                .map(|(k, _)| k)
                .collect();
            if !set.is_empty() {
                let cond = self.guard(&set);
                let rest = &stmts[i + 1..];
                return self.branch(cond, |l| l.lower_stmts(rest), |_| Flow::default());
            }
        }
        Flow::default()
    }

    /// `!(flag_1 || flag_2 ..)`: none of these exits was taken.
    fn guard(&mut self, keys: &[String]) -> Operand {
        let mut uses = Vec::new();
        let mut terms = Vec::new();
        for k in keys {
            let v = self.current(k);
            if let Value::Scalar(Operand::Var(x)) = &v {
                uses.push(*x);
            }
            terms.push(self.value_tokens(&v));
        }
        self.inert_tokens(quote!(!(#(#terms)||*)), uses, true)
    }

    fn lower_expr_stmt(&mut self, e: &Expr, stmt: &SynStmt) {
        if let Expr::Macro(_) = e {
            let (tokens, uses) = self.rename(stmt.to_token_stream());
            self.stmts.push(Stmt::Inert {
                tokens,
                uses,
                refusal: None,
            });
            return;
        }
        // A call for its effect (it writes slices) or with its result dropped goes through the
        // callee's companions like any call.
        if is_control(e)
            || (matches!(e, Expr::MethodCall(_) | Expr::Call(_))
                && self.mentions_active(e.to_token_stream()))
            || is_accumulate(e)
        {
            let _ = self.lower_expr(e);
            return;
        }
        let _ = stmt;
        self.inert_stmt(e);
    }

    /// A statement copied as tokens; refused if it touches a differentiated value.
    fn inert_stmt(&mut self, e: &Expr) {
        let tokens = e.to_token_stream();
        let refusal = if self.mentions_active(tokens.clone()) && !self.writes_integers(e) {
            Some(self.refuse_expr(e))
        } else {
            None
        };
        let (mut tokens, uses) = self.rename(tokens);
        tokens.extend(quote!(;));
        self.stmts.push(Stmt::Inert {
            tokens,
            uses,
            refusal,
        });
    }

    /// Whether a statement only changes integer state: an assignment to an element of an
    /// integer array (`idx[0] = (idx[0] + 1) % w.len()`), or a method of one (`idx.swap(i, j)`).
    /// No derivative can flow into integers, whatever the statement reads.
    fn writes_integers(&self, e: &Expr) -> bool {
        let target = match e {
            Expr::Assign(a) => &*a.left,
            Expr::Binary(b) if is_compound(&b.op) => &*b.left,
            Expr::MethodCall(m) => &*m.receiver,
            _ => return false,
        };
        place_root(target).is_some_and(|name| {
            matches!(
                self.lookup(&name),
                Some(Binding::Value(Value::Scalar(Operand::Var(v)))) if self.integers.contains(v)
            )
        })
    }

    /// `a op= b` as the value `a op b`.
    fn lower_compound(&mut self, b: &syn::ExprBinary) -> Value {
        let current = self.lower_expr(&b.left);
        let rhs = self.lower_expr(&b.right);
        match compound_rule(&b.op) {
            Some(rule) => {
                let (Some(cur), Some(rhs)) =
                    (self.scalar(current, &b.left), self.scalar(rhs, &b.right))
                else {
                    return dummy();
                };
                Value::Scalar(self.prim(rule, vec![cur, rhs], Form::Operator, b.op.span()))
            }
            None => {
                // Bit and shift assignments: integers only, no derivative.
                let op: TokenStream =
                    b.op.to_token_stream()
                        .to_string()
                        .trim_end_matches('=')
                        .parse()
                        .unwrap_or_default();
                let uses: Vec<VarId> = [&current, &rhs]
                    .iter()
                    .flat_map(|v| v.leaves())
                    .filter_map(|(_, op)| Func::var_of(op))
                    .collect();
                let (c, r) = (self.value_tokens(&current), self.value_tokens(&rhs));
                Value::Scalar(self.inert_tokens(quote!(#c #op #r), uses, true))
            }
        }
    }

    /// The local variable assigned by `target` when it is a plain name.
    fn local_target(&self, target: &Expr) -> Option<Ident> {
        match target {
            Expr::Path(p) => p
                .path
                .get_ident()
                .filter(|i| self.lookup(&i.to_string()).is_some())
                .cloned(),
            Expr::Paren(p) => self.local_target(&p.expr),
            _ => None,
        }
    }

    fn assign(&mut self, name: &Ident, value: Value, target: &Expr) {
        if self.lookup(&name.to_string()).is_none() {
            self.errors.spanned(
                target,
                format!("{}: `{name}` is not a local variable", self.mode),
            );
            return;
        }
        self.assign_key(&name.to_string(), value);
    }

    fn assign_key(&mut self, key: &str, value: Value) {
        // The first assignment of `let y: T;` is the definition with the declared type.
        let ty = match self.lookup(key) {
            Some(Binding::Uninit(ty)) => ty.clone(),
            _ => None,
        };
        let value = self.name_value(key, true, ty, value);
        self.rebind(key, value);
    }

    /// The value of `y = e` where `e` is made of unsuffixed float literals only (`2.0`, `-0.5`,
    /// `1.0 / 3.0`): on its own that has the ambiguous type `{float}` (`y_1.sin()` would not
    /// compile), so the new version takes the float type of the variable's current value, by
    /// `ad_runtime::cast_like`. `None` when `e` is anything else or `y` has no value yet.
    fn float_literal_value(&mut self, key: &str, e: &Expr) -> Option<Value> {
        if !is_float_literal_expr(e) {
            return None;
        }
        let Some(Binding::Value(Value::Scalar(Operand::Var(prev)))) = self.lookup(key) else {
            return None;
        };
        let prev = *prev;
        let like = self.vars[prev].ident.clone();
        Some(Value::Scalar(self.inert_tokens(
            quote!(::ad_runtime::cast_like(&#like, #e)),
            vec![prev],
            true,
        )))
    }

    /// Gives a freshly computed value the user's name (a new version of it), so that the
    /// generated code reads like the original.
    fn name_value(
        &mut self,
        key: &str,
        mutable: bool,
        ty: Option<TokenStream>,
        value: Value,
    ) -> Value {
        let mutable = mutable && self.mutated.contains(key);
        match value {
            Value::Scalar(Operand::Var(v)) if self.is_fresh_temp(v) => {
                let named = self.named_var(key, mutable);
                // Take over the temporary's definition under the user's name.
                let ident = self.vars[named].ident.clone();
                self.vars[v].ident = ident;
                self.vars[v].mutable = self.vars[named].mutable;
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
                let named = self.named_var(key, mutable);
                let rhs = match op {
                    Operand::Var(_) => Rhs::Copy(op),
                    Operand::Const(tokens) => inert_rhs(tokens, Vec::new(), true),
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
            self.declare(&local.pat);
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
            let mut pat = local.pat.clone();
            let (init_tokens, uses) = self.rename(init.expr.to_token_stream());
            let (else_tokens, _) = self.rename(
                init.diverge
                    .as_ref()
                    .map(|(_, e)| e.to_token_stream())
                    .unwrap_or_default(),
            );
            let bound = self.rename_pattern(&mut pat);
            self.stmts.push(Stmt::Inert {
                tokens: quote!(let #pat = #init_tokens else #else_tokens;),
                uses,
                refusal,
            });
            for (name, v) in bound {
                self.bind(
                    &name.to_string(),
                    Binding::Value(Value::Scalar(Operand::Var(v))),
                );
            }
            return;
        }
        if let Some((ident, ty)) = simple_pattern(&local.pat)
            && self.maybe_active.contains(&ident.to_string())
            && self.lower_new_array(&ident.to_string(), ty, &init.expr)
        {
            return;
        }
        let value = self.lower_destructured(&local.pat, &init.expr);
        self.bind_pattern(&local.pat, None, value);
        if let Some((ident, ty)) = simple_pattern(&local.pat)
            && (ty.is_some_and(integer_type) || self.integer_value(&init.expr))
            && let Some(Binding::Value(Value::Scalar(Operand::Var(v)))) =
                self.lookup(&ident.to_string())
        {
            let v = *v;
            self.integers.insert(v);
        }
    }

    /// Whether an expression certainly yields an integer, or an array, `Vec` or range of
    /// integers: integer literals, integer state, and copies and collections of them.
    fn integer_value(&self, e: &Expr) -> bool {
        let int_literal = |e: &Expr| {
            matches!(
                e,
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(_) | syn::Lit::Bool(_),
                    ..
                })
            )
        };
        match e {
            Expr::Paren(p) => self.integer_value(&p.expr),
            Expr::Group(g) => self.integer_value(&g.expr),
            Expr::Lit(_) => int_literal(e),
            Expr::Repeat(r) => self.integer_value(&r.expr),
            Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(|x| self.integer_value(x)),
            Expr::Range(_) => true,
            Expr::Cast(c) => integer_type(&c.ty),
            Expr::Path(_) => path_ident(e).is_some_and(|id| {
                matches!(
                    self.lookup(&id.to_string()),
                    Some(Binding::Value(Value::Scalar(Operand::Var(v)))) if self.integers.contains(v)
                )
            }),
            // `vec![a, b]` and `vec![a; n]`, read as the arrays `[a, b]` and `[a; n]`.
            Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let tokens = &m.mac.tokens;
                syn::parse2::<Expr>(quote!([#tokens])).is_ok_and(|a| self.integer_value(&a))
            }
            Expr::MethodCall(m) => {
                ["collect", "to_vec", "clone", "to_owned"].contains(&m.method.to_string().as_str())
                    && self.integer_value(&m.receiver)
            }
            _ => false,
        }
    }

    /// The value of `e` bound by `pat`: a tuple (array) expression under a tuple (slice) pattern
    /// of the same length is lowered element by element, even when it carries no derivative, so
    /// that each name becomes a definition of its own (which the reverse sweep can replay) rather
    /// than a destructuring copied as a statement: `let (a, t) = (0.25, 2.0);`.
    fn lower_destructured(&mut self, pat: &Pat, e: &Expr) -> Value {
        let no_rest = |elems: &syn::punctuated::Punctuated<Pat, syn::Token![,]>| {
            !elems.iter().any(|p| matches!(p, Pat::Rest(_)))
        };
        match (pat, e) {
            (Pat::Type(t), _) => self.lower_destructured(&t.pat, e),
            (Pat::Paren(p), _) => self.lower_destructured(&p.pat, e),
            (_, Expr::Paren(p)) => self.lower_destructured(pat, &p.expr),
            (Pat::Tuple(p), Expr::Tuple(t))
                if p.elems.len() == t.elems.len() && no_rest(&p.elems) =>
            {
                Value::Tuple(
                    p.elems
                        .iter()
                        .zip(&t.elems)
                        .map(|(p, e)| self.lower_destructured(p, e))
                        .collect(),
                )
            }
            (Pat::Slice(p), Expr::Array(a))
                if p.elems.len() == a.elems.len() && no_rest(&p.elems) =>
            {
                Value::Array(
                    p.elems
                        .iter()
                        .zip(&a.elems)
                        .map(|(p, e)| self.lower_destructured(p, e))
                        .collect(),
                )
            }
            _ => self.lower_expr(e),
        }
    }

    /// `let y;` or `let y: f64;`: bound by its first assignment.
    fn declare(&mut self, pat: &Pat) {
        match pat {
            Pat::Type(t) => match simple_pattern(&t.pat) {
                Some((ident, _)) => {
                    let ty = t.ty.to_token_stream();
                    self.bind(&ident.to_string(), Binding::Uninit(Some(ty)));
                }
                None => self.declare(&t.pat),
            },
            _ => {
                for name in pattern_names(pat) {
                    self.bind(&name, Binding::Uninit(None));
                }
            }
        }
    }

    /// Gives the names a copied pattern binds fresh versions, and returns them.
    fn rename_pattern(&mut self, pat: &mut Pat) -> Vec<(Ident, VarId)> {
        let mut renamer = PatRenamer {
            lowerer: self,
            bound: Vec::new(),
        };
        renamer.visit_pat_mut(pat);
        let bound = renamer.bound;
        let_pattern(pat);
        bound
    }

    fn bind_pattern(&mut self, pat: &Pat, ty: Option<&syn::Type>, value: Value) {
        match (pat, &value) {
            (Pat::Type(t), _) => self.bind_pattern(&t.pat, Some(&t.ty), value),
            (Pat::Paren(p), _) => self.bind_pattern(&p.pat, ty, value),
            // `| a` (a leading `|`, valid inside a pattern) is `a`.
            (Pat::Or(o), _) if o.cases.len() == 1 => self.bind_pattern(&o.cases[0], ty, value),
            (Pat::Ident(p), _) if p.subpat.is_none() && p.by_ref.is_none() => {
                let ty = ty.map(ToTokens::to_token_stream);
                let key = p.ident.to_string();
                let value = self.name_value(&key, p.mutability.is_some(), ty, value);
                self.bind(&key, Binding::Value(value));
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
                let bound = self.rename_pattern(&mut pat);
                self.stmts.push(Stmt::Inert {
                    tokens: quote!(let #pat #ty = #rhs;),
                    uses,
                    refusal: Some(refusal),
                });
                for (name, v) in bound {
                    self.bind(
                        &name.to_string(),
                        Binding::Value(Value::Scalar(Operand::Var(v))),
                    );
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
        // A variable that copied code may change in place is read into a copy first, so the
        // reverse sweep sees the value it had here.
        let args = args
            .into_iter()
            .map(|a| match a {
                Operand::Var(v) if self.vars[v].mutable => {
                    let src = self.vars[v].ident.clone();
                    let ident = self.namer.snapshot(&src);
                    let copy = self.new_var(ident, false);
                    self.push_def(copy, None, inert_rhs(quote!(#src), vec![v], false));
                    Operand::Var(copy)
                }
                a => a,
            })
            .collect();
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
        if is_control(e) {
            return self.lower_control(e);
        }
        if !self.mentions_active(e.to_token_stream()) {
            if let Some(id) = path_ident(e)
                && let Some(Binding::Value(v)) = self.lookup(&id.to_string())
            {
                let v = v.clone();
                return self.read_state(&id.to_string(), v);
            }
            // A tuple of constants keeps its shape: `return (0.0, 0.0);` must meet the other
            // returns leaf by leaf.
            if let Expr::Tuple(t) = e
                && !t.elems.is_empty()
            {
                return Value::Tuple(t.elems.iter().map(|x| self.lower_expr(x)).collect());
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
                    Some(Binding::Value(v)) => {
                        let v = v.clone();
                        self.read_state(&id.to_string(), v)
                    }
                    Some(Binding::Uninit(_) | Binding::Raw) => {
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
                UnOp::Deref(_) if self.store_target(e).is_some() => {
                    let (array, _) = self.store_target(e).expect("checked");
                    self.load(array, Vec::new(), e)
                }
                // `*v` of a variable holding a float (an element of an iterator): the value.
                UnOp::Deref(_)
                    if matches!(
                        path_ident(&u.expr).and_then(|i| self.lookup(&i.to_string())),
                        Some(Binding::Value(Value::Scalar(_)))
                    ) =>
                {
                    self.lower_expr(&u.expr)
                }
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
            Expr::Index(ix) => {
                if let Some((array, index)) = self.index_chain(e) {
                    let index = self.index_operands(&index);
                    return self.load(array, index, e);
                }
                // The base as it is bound (not read into a copy: only an element is read).
                let base = match path_ident(&ix.expr).and_then(|id| self.lookup(&id.to_string())) {
                    Some(Binding::Value(v)) => v.clone(),
                    _ => self.lower_expr(&ix.expr),
                };
                match (base, literal_index(&ix.index)) {
                    (Value::Array(items), Some(k)) if k < items.len() => items[k].clone(),
                    _ => {
                        let refusal = self.refuse_expr(e);
                        Value::Scalar(self.inert(e, Some(refusal)))
                    }
                }
            }
            Expr::Range(r) => {
                // Bounds are integers: no derivative, but their operands are read.
                let mut uses = Vec::new();
                let mut bound = |l: &mut Self, x: &Option<Box<Expr>>| {
                    x.as_ref().map(|x| {
                        let v = l.lower_expr(x);
                        uses.extend(value_uses(&v));
                        l.value_tokens(&v)
                    })
                };
                let start = bound(self, &r.start);
                let end = bound(self, &r.end);
                let limits = &r.limits;
                let pure = is_pure(e, &self.mutated);
                Value::Scalar(self.inert_tokens(quote!(#start #limits #end), uses, pure))
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
                    // A field of the tuple a runtime rule returned, in reverse-mode code
                    // transformed again (`y_partials.0`).
                    (syn::Member::Unnamed(i), Value::Scalar(Operand::Var(v)))
                        if self.rule_tuples.contains(&v) =>
                    {
                        let t = self.temp();
                        self.push_def(
                            t,
                            None,
                            Rhs::Field {
                                base: Operand::Var(v),
                                index: i.index as usize,
                            },
                        );
                        Value::Scalar(Operand::Var(t))
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
            _ => {
                let refusal = self.refuse_expr(e);
                Value::Scalar(self.inert(e, Some(refusal)))
            }
        }
    }

    /// Control flow, whatever it touches: every assignment inside must become SSA.
    fn lower_control(&mut self, e: &Expr) -> Value {
        let flow = match e {
            Expr::If(i) => self.lower_if(i),
            Expr::Match(m) => self.lower_match(&m.expr, &m.arms),
            Expr::Block(b) => {
                self.scopes.push(HashMap::new());
                let f = self.lower_stmts(&b.block.stmts);
                self.scopes.pop();
                f
            }
            Expr::ForLoop(f) => self.lower_loop(Head::For(f), &f.body, f.label.as_ref()),
            Expr::While(w) => self.lower_loop(Head::While(&w.cond), &w.body, w.label.as_ref()),
            Expr::Loop(l) => self.lower_loop(Head::Loop, &l.body, l.label.as_ref()),
            Expr::Break(b) => self.lower_break(b),
            Expr::Continue(c) => self.lower_continue(c),
            Expr::Return(r) => self.lower_return(r),
            Expr::Assign(a) => {
                if let Some(name) = self.local_target(&a.left) {
                    let value = match self.float_literal_value(&name.to_string(), &a.right) {
                        Some(value) => value,
                        None => self.lower_expr(&a.right),
                    };
                    self.assign(&name, value, &a.left);
                } else if let Some((array, index)) = self.store_target(&a.left) {
                    self.lower_store(array, &index, None, &a.right, &a.left);
                } else {
                    self.inert_stmt(e);
                }
                Flow::default()
            }
            Expr::Binary(b) => {
                if let Some(name) = self.local_target(&b.left) {
                    let value = self.lower_compound(b);
                    self.assign(&name, value, &b.left);
                } else if let Some((array, index)) = self.store_target(&b.left) {
                    self.lower_store(array, &index, Some(&b.op), &b.right, &b.left);
                } else {
                    self.inert_stmt(e);
                }
                Flow::default()
            }
            _ => unreachable!("is_control lists the kinds handled here"),
        };
        if flow.diverged {
            self.diverged = true;
        }
        flow.value.unwrap_or_else(unit)
    }

    fn lower_if(&mut self, i: &syn::ExprIf) -> Flow {
        let outer = self.branch_span.replace(i.if_token.span);
        let flow = self.lower_if_inner(i);
        self.branch_span = outer;
        flow
    }

    fn lower_if_inner(&mut self, i: &syn::ExprIf) -> Flow {
        if let Expr::Let(l) = &*i.cond {
            // `if let PAT = e { A } else { B }` is a two-armed match.
            let wild: Pat = syn::parse_quote!(_);
            let arms = [
                (&*l.pat, None, Arm::Block(&i.then_branch)),
                (
                    &wild,
                    None,
                    Arm::Else(i.else_branch.as_ref().map(|(_, e)| &**e)),
                ),
            ];
            return self.lower_arms(&l.expr, &arms);
        }
        if contains_let(&i.cond) {
            let refusal = self.refusal(
                &i.cond,
                "an `if let` chain",
                "`let` inside `&&` conditions is not supported",
                "Nest the conditions: `if let .. { if .. { .. } }`",
            );
            self.errors.push(refusal);
            return Flow::default();
        }
        let c = self.lower_expr(&i.cond);
        let cond = self.operand_of(c);
        let then = |l: &mut Self| l.lower_block(&i.then_branch);
        match &i.else_branch {
            None => self.branch(cond, then, |_| Flow::default()),
            Some((_, e)) => self.branch(cond, then, |l| match &**e {
                Expr::If(nested) => l.lower_if(nested),
                Expr::Block(b) => l.lower_block(&b.block),
                other => Flow {
                    value: Some(l.lower_expr(other)),
                    diverged: false,
                },
            }),
        }
    }

    fn lower_block(&mut self, b: &syn::Block) -> Flow {
        self.scopes.push(HashMap::new());
        let f = self.lower_stmts(&b.stmts);
        self.scopes.pop();
        f
    }

    fn lower_match(&mut self, scrutinee: &Expr, arms: &[syn::Arm]) -> Flow {
        let arms: Vec<(&Pat, Option<&Expr>, Arm)> = arms
            .iter()
            .map(|a| match &a.pat {
                // A guard is part of the pattern in syn: `Some(x) if x > 0`.
                Pat::Guard(g) => (&*g.pat, Some(&*g.guard), Arm::Expr(&a.body)),
                pat => (pat, None, Arm::Expr(&a.body)),
            })
            .collect();
        self.lower_arms(scrutinee, &arms)
    }

    /// A chain of arms: each tests `matches!(*s, PAT if GUARD)`, binds the pattern's names by
    /// re-matching, and runs its body; the last arm runs unconditionally (rustc has checked the
    /// match is exhaustive on the original function).
    fn lower_arms(&mut self, scrutinee: &Expr, arms: &[(&Pat, Option<&Expr>, Arm)]) -> Flow {
        // A comparison or an integer is fine; a float that carries a derivative is refused (by
        // activity analysis, once it is known to be varied).
        let value = self.lower_expr(scrutinee);
        let (tokens, uses) = (self.value_tokens(&value), value_uses(&value));
        let float_uses: Vec<VarId> = uses
            .iter()
            .copied()
            .filter(|&v| !self.is_inert_def(v))
            .collect();
        let refusal = (!float_uses.is_empty()).then(|| {
            self.refusal(
                scrutinee,
                "a `match` on a differentiated value",
                "patterns cannot carry derivatives",
                "Match on integers, bools or enums, or compare floats with `if`",
            )
        });
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Inert {
                tokens: quote!(&(#tokens)),
                uses: if refusal.is_some() { float_uses } else { uses },
                refusal,
                pure: true,
            },
        );
        self.arm_chain(&Operand::Var(t), arms)
    }

    fn arm_chain(&mut self, s: &Operand, arms: &[(&Pat, Option<&Expr>, Arm)]) -> Flow {
        let Some(((pat, guard, body), rest)) = arms.split_first() else {
            return Flow::default();
        };
        let s_tokens = emit_operand(&self.vars, s);
        let body_flow = |l: &mut Self| {
            l.scopes.push(HashMap::new());
            // `None`, `Ordering::Less`, `MAX`: a lone capitalised name in an arm is a unit
            // variant or a constant (as rustc reads it when one is in scope), not a binding.
            let binds = |n: &String| !n.starts_with(|c: char| c.is_ascii_uppercase());
            for name in pattern_names(pat).into_iter().filter(binds) {
                // Each name the pattern binds, taken out of the scrutinee by matching again.
                let id = pattern_ident(pat, &name).unwrap_or_else(|| crate::names::user(&name));
                let mut uses = Vec::new();
                if let Operand::Var(x) = s {
                    uses.push(*x);
                }
                let v = l.named_var(&name, false);
                l.push_def(
                    v,
                    None,
                    inert_rhs(
                        quote!(match *#s_tokens { #pat => #id, _ => ::core::unreachable!() }),
                        uses,
                        true,
                    ),
                );
                l.bind(&name, Binding::Value(Value::Scalar(Operand::Var(v))));
            }
            let f = match body {
                Arm::Expr(e) => Flow {
                    value: Some(l.lower_expr(e)),
                    diverged: std::mem::take(&mut l.diverged),
                },
                Arm::Block(b) => l.lower_block(b),
                Arm::Else(None) => Flow::default(),
                Arm::Else(Some(Expr::If(i))) => l.lower_if(i),
                Arm::Else(Some(Expr::Block(b))) => l.lower_block(&b.block),
                Arm::Else(Some(e)) => Flow {
                    value: Some(l.lower_expr(e)),
                    diverged: std::mem::take(&mut l.diverged),
                },
            };
            l.scopes.pop();
            f
        };
        if rest.is_empty() {
            return body_flow(self);
        }
        let guard = guard.map(|g| {
            self.scopes.push(
                pattern_names(pat)
                    .into_iter()
                    .map(|n| (n, Binding::Raw))
                    .collect(),
            );
            let (g, _) = self.rename(g.to_token_stream());
            self.scopes.pop();
            quote!(if #g)
        });
        let mut uses = self.guard_uses(guard.as_ref());
        if let Operand::Var(x) = s {
            uses.push(*x);
        }
        let cond = self.inert_tokens(
            quote!(::core::matches!(*#s_tokens, #pat #guard)),
            uses,
            true,
        );
        self.branch(cond, body_flow, |l| l.arm_chain(s, rest))
    }

    /// Whether a variable is defined by an inert expression (a comparison, an integer): such a
    /// value never carries a derivative.
    fn is_inert_def(&self, v: VarId) -> bool {
        fn find(stmts: &[Stmt], v: VarId) -> Option<bool> {
            stmts.iter().rev().find_map(|s| match s {
                Stmt::Def { var, rhs, .. } if *var == v => Some(matches!(rhs, Rhs::Inert { .. })),
                Stmt::If(i) => find(&i.then, v).or_else(|| find(&i.els, v)),
                Stmt::Loop(l) => find(&l.body, v),
                _ => None,
            })
        }
        find(&self.stmts, v).unwrap_or(false)
    }

    fn guard_uses(&self, guard: Option<&TokenStream>) -> Vec<VarId> {
        let Some(g) = guard else { return Vec::new() };
        let names: HashSet<String> = collect_idents(g);
        self.vars
            .iter()
            .enumerate()
            .filter(|(_, v)| names.contains(&v.ident.to_string()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Lowers both branches of a two-way choice in regions of their own, and merges what they
    /// assigned into φ variables.
    fn branch(
        &mut self,
        cond: Operand,
        then: impl FnOnce(&mut Self) -> Flow,
        els: impl FnOnce(&mut Self) -> Flow,
    ) -> Flow {
        let before = self.scopes.clone();
        let outer = std::mem::take(&mut self.stmts);
        self.region_depth += 1;
        self.scopes.push(HashMap::new());
        let t = then(self);
        self.diverged = false;
        self.scopes.pop();
        let then_scopes = std::mem::replace(&mut self.scopes, before.clone());
        let then_stmts = std::mem::take(&mut self.stmts);
        self.scopes.push(HashMap::new());
        let e = els(self);
        self.diverged = false;
        self.scopes.pop();
        let else_scopes = std::mem::replace(&mut self.scopes, before);
        let else_stmts = std::mem::replace(&mut self.stmts, outer);
        self.region_depth -= 1;

        let mut phis = Vec::new();
        for level in 0..self.scopes.len() {
            let mut keys: Vec<String> = self.scopes[level].keys().cloned().collect();
            keys.sort();
            for key in keys {
                let b0 = &self.scopes[level][&key];
                let (bt, be) = (&then_scopes[level][&key], &else_scopes[level][&key]);
                if same(b0, bt) && same(b0, be) {
                    continue;
                }
                let vt = binding_value(bt);
                let ve = binding_value(be);
                let merged = self.phi(&key, vt, ve, &mut phis);
                self.scopes[level].insert(key, Binding::Value(merged));
            }
        }
        let value = match (t.value, e.value) {
            (None, None) => None,
            (a, b) => Some(self.phi(
                "_v",
                a.unwrap_or_else(dummy),
                b.unwrap_or_else(dummy),
                &mut phis,
            )),
        };
        self.stmts.push(Stmt::If(Box::new(If {
            cond,
            then: then_stmts,
            els: else_stmts,
            phis,
        })));
        Flow {
            value,
            diverged: t.diverged && e.diverged,
        }
    }

    /// The value after a branch, leaf by leaf: the same operand on both sides stays; otherwise
    /// a φ variable.
    fn phi(&mut self, key: &str, a: Value, b: Value, phis: &mut Vec<Phi>) -> Value {
        match (a, b) {
            (Value::Tuple(x), Value::Tuple(y)) if x.len() == y.len() => Value::Tuple(
                x.into_iter()
                    .zip(y)
                    .map(|(a, b)| self.phi(key, a, b, phis))
                    .collect(),
            ),
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => Value::Array(
                x.into_iter()
                    .zip(y)
                    .map(|(a, b)| self.phi(key, a, b, phis))
                    .collect(),
            ),
            (a @ (Value::Tuple(_) | Value::Array(_)), d) if is_dummy(&d) => {
                let d = replicate_dummy(&a);
                self.phi(key, a, d, phis)
            }
            (d, b @ (Value::Tuple(_) | Value::Array(_))) if is_dummy(&d) => {
                let d = replicate_dummy(&b);
                self.phi(key, d, b, phis)
            }
            (Value::Scalar(x), Value::Scalar(y)) => {
                if same_operand(&x, &y) {
                    return Value::Scalar(x);
                }
                let var = if key.starts_with('#') || key == "_v" {
                    let base = self.base_idents.get(key).cloned();
                    let ident = match base {
                        Some(b) => self.namer.version(&b, 0),
                        None => self.namer.temp(),
                    };
                    self.new_var(ident, false)
                } else {
                    self.named_var(key, true)
                };
                phis.push(Phi {
                    var,
                    then: x,
                    els: y,
                });
                Value::Scalar(Operand::Var(var))
            }
            (a, _) => {
                let what = if key.starts_with('#') || key.starts_with("__ad") || key == "_v" {
                    "the value of this `if` or `match`".to_owned()
                } else {
                    format!("`{key}`")
                };
                self.errors.at(
                    self.branch_span.unwrap_or_else(Span::call_site),
                    format!(
                        "{} cannot differentiate this branch: {what} is a tuple or array on one \
                         side and a single value (a variable or a call's result) on the other. \
                         Build it the same way on both sides, e.g. `(a, b)` from named parts",
                        self.mode
                    ),
                );
                a
            }
        }
    }

    fn lower_break(&mut self, b: &syn::ExprBreak) -> Flow {
        let Some(t) = self.target(b.label.as_ref(), b) else {
            return Flow::default();
        };
        if let Some(e) = &b.expr {
            let v = self.lower_expr(e);
            if let Some((key, _)) = self.loops[t].value.clone() {
                self.assign_key(&key, v);
            }
        }
        for j in t..self.loops.len() {
            self.set_flag(self.loops[j].brk.clone());
        }
        Flow {
            value: None,
            diverged: true,
        }
    }

    fn lower_continue(&mut self, c: &syn::ExprContinue) -> Flow {
        let Some(t) = self.target(c.label.as_ref(), c) else {
            return Flow::default();
        };
        self.set_flag(self.loops[t].cont.clone());
        for j in t + 1..self.loops.len() {
            self.set_flag(self.loops[j].brk.clone());
        }
        Flow {
            value: None,
            diverged: true,
        }
    }

    fn lower_return(&mut self, r: &syn::ExprReturn) -> Flow {
        let v = match &r.expr {
            Some(e) => self.lower_expr(e),
            None => unit(),
        };
        if self.lookup(RET).is_some() {
            self.assign_key(RET, v);
            self.set_flag(Some((RETURNED.to_owned(), self.base_ident(RETURNED))));
        }
        for j in 0..self.loops.len() {
            self.set_flag(self.loops[j].brk.clone());
        }
        Flow {
            value: None,
            diverged: true,
        }
    }

    fn set_flag(&mut self, flag: Option<(String, Ident)>) {
        if let Some((key, _)) = flag {
            let v = self.constant_var(&key, quote!(true));
            self.rebind(&key, v);
        }
    }

    /// The loop a `break` or `continue` leaves: the innermost, or the one with the label.
    fn target(&mut self, label: Option<&syn::Lifetime>, node: impl ToTokens) -> Option<usize> {
        let found = match label {
            None => self.loops.len().checked_sub(1),
            Some(l) => {
                let name = l.ident.to_string();
                self.loops
                    .iter()
                    .rposition(|c| c.label.as_deref() == Some(&name))
            }
        };
        if found.is_none() {
            self.errors.spanned(
                node,
                format!("{}: this `break` or `continue` is not inside a loop of the function (labelled blocks are not supported)", self.mode),
            );
        }
        found
    }

    fn new_flag(&mut self, name: &str) -> (String, Ident) {
        let key = format!("#{name}{}", self.loop_count);
        let ident = self.namer.fresh(name);
        self.base_idents.insert(key.clone(), ident.clone());
        (key, ident)
    }

    fn lower_loop(&mut self, head: Head, body: &syn::Block, label: Option<&syn::Label>) -> Flow {
        self.loop_count += 1;
        let label_name = label.map(|l| l.name.ident.to_string());
        let ex = exits(body, label_name.as_deref());
        // `loop` only ends by `break`, so it always has the flag.
        let needs_brk = ex.brk || ex.through || matches!(head, Head::Loop);
        let ctx = LoopCtx {
            label: label_name,
            brk: needs_brk.then(|| self.new_flag("brk")),
            cont: ex.cont.then(|| self.new_flag("cont")),
            value: ex.value.then(|| self.new_flag("broke_with")),
        };
        if let Some((key, _)) = &ctx.brk {
            let v = self.constant_var(key, quote!(false));
            self.bind(key, Binding::Value(v));
        }
        if let Some((key, _)) = &ctx.value {
            self.bind(key, Binding::Value(dummy()));
        }

        if let Head::For(f) = &head
            && self.mentions_active(f.expr.to_token_stream())
            && let Some(desugared) = self.desugar_for(f)
        {
            self.loop_count -= 1;
            return self.lower_loop(
                Head::For(&desugared),
                &desugared.body,
                desugared.label.as_ref(),
            );
        }
        // The iterator of a `for` loop, evaluated once before it.
        let iter = if let Head::For(f) = &head {
            // An iterator over constants is copied as written; one that reads a maybe-active name
            // (`0..x.len()`) is taken apart, so anything refused in it is refused precisely.
            let (tokens, uses) = if self.mentions_active(f.expr.to_token_stream()) {
                let v = self.lower_expr(&f.expr);
                (self.value_tokens(&v), value_uses(&v))
            } else {
                self.rename(f.expr.to_token_stream())
            };
            let pure = is_pure(&f.expr, &self.mutated);
            let t = self.temp();
            self.push_def(
                t,
                None,
                inert_rhs(
                    quote!(::core::iter::IntoIterator::into_iter(#tokens)),
                    uses,
                    pure,
                ),
            );
            Some(t)
        } else {
            None
        };

        // Which variables the body changes: lower it once and throw the result away.
        let carried = self.dry_run(|l| {
            l.loops.push(ctx.clone());
            l.lower_loop_body(&head, body, &ctx, iter);
            l.loops.pop();
        });

        // Cells for them, read at the top of each iteration.
        let mut cells = Vec::new();
        let mut inits = Vec::new();
        for (level, key) in &carried {
            let init = match &self.scopes[*level][key] {
                Binding::Value(v) => v.clone(),
                _ => dummy(),
            };
            let entry = self.make_cells(key, &init, &mut cells);
            self.scopes[*level].insert(key.clone(), Binding::Value(entry));
            inits.push(init);
        }

        let outer = std::mem::take(&mut self.stmts);
        self.loops.push(ctx.clone());
        let (kind, cond_stmts) = self.lower_loop_body(&head, body, &ctx, iter);
        self.loops.pop();
        let body_stmts = std::mem::replace(&mut self.stmts, outer);

        // What each iteration writes back, and the values after the loop.
        let brk_key = ctx.brk.as_ref().map(|(key, _)| key.clone());
        let mut exit = None;
        let mut next = 0;
        for ((level, key), init) in carried.iter().zip(&inits) {
            let end = match &self.scopes[*level][key] {
                Binding::Value(v) => v.clone(),
                _ => dummy(),
            };
            if Some(key) == brk_key.as_ref()
                && let Value::Scalar(op) = &end
            {
                exit = Some(op.clone());
            }
            let after = self.fill_exits(key, init, &end, &mut cells, &mut next);
            self.scopes[*level].insert(key.clone(), Binding::Value(after));
        }
        let kind = match (kind, cond_stmts) {
            (LoopKind::While { cond, .. }, Some(cond_stmts)) => {
                LoopKind::While { cond_stmts, cond }
            }
            (kind, _) => kind,
        };
        self.stmts.push(Stmt::Loop(Box::new(Loop {
            kind,
            cells,
            body: body_stmts,
            exit,
        })));
        let value = ctx.value.as_ref().map(|(key, _)| self.current(key));
        Flow {
            value,
            diverged: false,
        }
    }

    /// Lowers a loop body (a region of its own); for `while`, the condition's statements come
    /// back separately.
    fn lower_loop_body(
        &mut self,
        head: &Head,
        body: &syn::Block,
        ctx: &LoopCtx,
        iter: Option<VarId>,
    ) -> (LoopKind, Option<Vec<Stmt>>) {
        self.region_depth += 1;
        self.scopes.push(HashMap::new());
        let mut cond_stmts = None;
        let kind = match head {
            Head::For(f) => {
                let mut pat = (*f.pat).clone();
                let bound = self.rename_pattern(&mut pat);
                for (name, v) in &bound {
                    self.bind(
                        &name.to_string(),
                        Binding::Value(Value::Scalar(Operand::Var(*v))),
                    );
                }
                LoopKind::For {
                    pat: pat.to_token_stream(),
                    iter: iter.unwrap_or(usize::MAX),
                    bound: bound.into_iter().map(|(_, v)| v).collect(),
                }
            }
            Head::While(cond) => {
                let outer = std::mem::take(&mut self.stmts);
                let c = self.lower_expr(cond);
                let cond = self.operand_of(c);
                cond_stmts = Some(std::mem::replace(&mut self.stmts, outer));
                LoopKind::While {
                    cond_stmts: Vec::new(),
                    cond,
                }
            }
            Head::Loop => LoopKind::Loop,
        };
        if let Some((key, _)) = &ctx.cont {
            let v = self.constant_var(key, quote!(false));
            self.bind(key, Binding::Value(v));
        }
        let _ = self.lower_stmts(&body.stmts);
        self.diverged = false;
        self.scopes.pop();
        self.region_depth -= 1;
        (kind, cond_stmts)
    }

    /// Runs `f` as a trial and undoes everything it did; returns the keys of the enclosing
    /// scopes whose binding it changed.
    fn dry_run(&mut self, f: impl FnOnce(&mut Self)) -> Vec<(usize, String)> {
        let vars = self.vars.len();
        let namer = self.namer.clone();
        let versions = self.versions.clone();
        let scopes = self.scopes.clone();
        let stmts = std::mem::take(&mut self.stmts);
        let errors = std::mem::take(&mut self.errors);
        let base_idents = self.base_idents.clone();
        let loop_count = self.loop_count;
        let assigned = std::mem::take(&mut self.assigned);
        f(self);
        let mut changed = Vec::new();
        for (level, scope) in scopes.iter().enumerate() {
            let mut keys: Vec<&String> = scope.keys().collect();
            keys.sort();
            for key in keys {
                if !same(&scope[key], &self.scopes[level][key])
                    || self.assigned.contains(&(level, key.clone()))
                {
                    changed.push((level, key.clone()));
                }
            }
        }
        self.assigned = assigned;
        self.vars.truncate(vars);
        self.namer = namer;
        self.versions = versions;
        self.scopes = scopes;
        self.stmts = stmts;
        self.errors = errors;
        self.base_idents = base_idents;
        self.loop_count = loop_count;
        self.diverged = false;
        changed
    }

    /// Cells for the leaves of a carried value; returns the value read at the top of an
    /// iteration.
    fn make_cells(&mut self, key: &str, init: &Value, cells: &mut Vec<Cell>) -> Value {
        match init {
            Value::Scalar(op) => {
                let base = crate::names::plain(&self.base_ident(key));
                let cell_ident = self.namer.fresh(&format!("{base}_c"));
                let cell = self.new_var(cell_ident, true);
                let entry = self.named_var(key, true);
                cells.push(Cell {
                    cell,
                    init: op.clone(),
                    entry,
                    exit: Operand::Const(quote!(())),
                    after: usize::MAX,
                });
                Value::Scalar(Operand::Var(entry))
            }
            Value::Tuple(items) => Value::Tuple(
                items
                    .iter()
                    .map(|i| self.make_cells(key, i, cells))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.make_cells(key, i, cells))
                    .collect(),
            ),
        }
    }

    /// Records what each cell of a carried value gets at the end of an iteration, and makes the
    /// variables reading the cells after the loop; returns the value after the loop.
    fn fill_exits(
        &mut self,
        key: &str,
        shape: &Value,
        end: &Value,
        cells: &mut [Cell],
        next: &mut usize,
    ) -> Value {
        match shape {
            Value::Scalar(_) => {
                let exit = match end {
                    Value::Scalar(op) => op.clone(),
                    _ => Operand::Const(quote!(::core::default::Default::default())),
                };
                let after = self.named_var(key, true);
                cells[*next].exit = exit;
                cells[*next].after = after;
                *next += 1;
                Value::Scalar(Operand::Var(after))
            }
            Value::Tuple(items) | Value::Array(items) => {
                let ends: Vec<Value> = match end {
                    Value::Tuple(e) | Value::Array(e) if e.len() == items.len() => e.clone(),
                    _ => vec![dummy(); items.len()],
                };
                let out: Vec<Value> = items
                    .iter()
                    .zip(&ends)
                    .map(|(s, e)| self.fill_exits(key, s, e, cells, next))
                    .collect();
                if matches!(shape, Value::Tuple(_)) {
                    Value::Tuple(out)
                } else {
                    Value::Array(out)
                }
            }
        }
    }

    /// The memory (array, slice, `&F`) a plain name refers to.
    /// Whether a call argument lends an array to be written: `&mut a`, `&mut a[..]`, or a
    /// parameter the function itself writes through.
    fn is_mutable_array(&self, e: &Expr) -> bool {
        match e {
            Expr::Reference(r) => r.mutability.is_some(),
            e => self
                .memory_of(e)
                .is_some_and(|v| self.written_params.contains(&v)),
        }
    }

    fn memory_of(&self, e: &Expr) -> Option<VarId> {
        let id = path_ident(e)?;
        match self.lookup(&id.to_string()) {
            Some(Binding::Value(Value::Scalar(Operand::Var(v))))
                if self.vars[*v].depth.is_some() =>
            {
                Some(*v)
            }
            _ => None,
        }
    }

    /// `a[i][j]` as the memory `a` and its index expressions.
    fn index_chain<'e>(&self, e: &'e Expr) -> Option<(VarId, Vec<&'e Expr>)> {
        let mut index = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::Index(i) => {
                    index.push(&*i.index);
                    cur = &i.expr;
                }
                Expr::Paren(p) => cur = &p.expr,
                _ => break,
            }
        }
        index.reverse();
        Some((self.memory_of(cur)?, index))
    }

    /// Where `target = ..` writes when it is an element of memory (`a[i]`, `*r`).
    fn store_target<'e>(&self, target: &'e Expr) -> Option<(VarId, Vec<&'e Expr>)> {
        match target {
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => {
                let a = self.memory_of(&u.expr)?;
                (self.vars[a].depth == Some(0)).then(|| (a, Vec::new()))
            }
            Expr::Index(_) => self.index_chain(target),
            Expr::Paren(p) => self.store_target(&p.expr),
            _ => None,
        }
    }

    fn index_operands(&mut self, index: &[&Expr]) -> Vec<Operand> {
        index
            .iter()
            .map(|i| {
                let v = self.lower_expr(i);
                self.operand_of(v)
            })
            .collect()
    }

    /// Checks that an access goes down to one float.
    fn full_depth(&mut self, array: VarId, index: &[Operand], node: &Expr) -> bool {
        let depth = self.vars[array].depth.unwrap_or(0);
        if index.len() == depth {
            return true;
        }
        self.errors.spanned(
            node,
            format!(
                "{} cannot differentiate `{}`: it is a row of an array, not a float. Index down \
                 to one float (`{}[i][j]`), or copy the row with a loop",
                self.mode,
                show(node),
                self.vars[array].ident
            ),
        );
        false
    }

    fn load(&mut self, array: VarId, index: Vec<Operand>, node: &Expr) -> Value {
        if !self.full_depth(array, &index, node) {
            return dummy();
        }
        let t = self.temp();
        self.push_def(t, None, Rhs::Load { array, index });
        Value::Scalar(Operand::Var(t))
    }

    /// `a[i] = v`, `a[i] op= v`, `*r = v`: a store into memory.
    fn lower_store(
        &mut self,
        array: VarId,
        index: &[&Expr],
        op: Option<&BinOp>,
        rhs: &Expr,
        node: &Expr,
    ) {
        let index = self.index_operands(index);
        if !self.full_depth(array, &index, node) {
            return;
        }
        let v = self.lower_expr(rhs);
        let Some(value) = self.scalar(v, rhs) else {
            return;
        };
        let (value, add) = match op {
            None => (value, false),
            Some(BinOp::AddAssign(_)) => (value, true),
            Some(BinOp::SubAssign(_)) => {
                let neg = self.prim(
                    rules::operator("neg"),
                    vec![value],
                    Form::Operator,
                    rhs.span(),
                );
                (neg, true)
            }
            Some(op) => {
                let Some(rule) = compound_rule(op) else {
                    self.errors.spanned(
                        node,
                        format!(
                            "{}: `{}` is not an operation on floats",
                            self.mode,
                            show(op)
                        ),
                    );
                    return;
                };
                let current = self.load(array, index.clone(), node);
                let current = self.operand_of(current);
                (
                    self.prim(rule, vec![current, value], Form::Operator, op.span()),
                    false,
                )
            }
        };
        self.stmts.push(Stmt::Store {
            array,
            index,
            value,
            add,
        });
    }

    /// A local array that may hold differentiated values: `vec![0.0; n]`, `[0.0; N]`,
    /// `[[0.0; N]; M]`, `Vec::new()`, `Vec::with_capacity(n)`.
    fn lower_new_array(&mut self, key: &str, ty: Option<&syn::Type>, init: &Expr) -> bool {
        let Some(zeros) = array_creation(init) else {
            return false;
        };
        // An array of integers is state, not memory of floats.
        if ty.is_some_and(integer_type) || self.integer_value(init) {
            return false;
        }
        if self.mentions_active(creation_elements(init)) {
            let refusal = self.refusal(
                init,
                &format!(
                    "the array `{}` filled with a differentiated value",
                    show(init)
                ),
                "an array's tangent and adjoint start from constants",
                "Create it with a constant (`vec![0.0; n]`), then assign its elements",
            );
            self.errors.push(refusal);
        }
        let (tokens, _) = self.rename(init.to_token_stream());
        let v = self.named_var(key, true);
        self.vars[v].mutable = true;
        self.vars[v].depth = Some(if zeros == Zeros::Array2 { 2 } else { 1 });
        if zeros == Zeros::Stack {
            self.stacks.insert(v);
        }
        let nested = (self.region_depth > 0).then(|| init.span());
        self.push_def(
            v,
            ty.map(ToTokens::to_token_stream),
            Rhs::NewArray {
                tokens,
                zeros,
                nested,
            },
        );
        self.bind(key, Binding::Value(Value::Scalar(Operand::Var(v))));
        true
    }

    /// A fresh name for a variable the desugaring of an iterator introduces.
    fn synthetic(&mut self, base: &str) -> Ident {
        self.desugared += 1;
        let key = format!("__ad_{base}{}", self.desugared);
        let hygienic = self.namer.fresh(base);
        self.base_idents.insert(key.clone(), hygienic);
        Ident::new(&key, Span::mixed_site())
    }

    /// `for PAT in xs.iter() / &xs / xs.iter().enumerate() / xs.iter().zip(ys.iter())` over memory,
    /// as a loop over indices: `for k in 0..len { let PAT = xs[k]; .. }`.
    fn desugar_for(&mut self, f: &syn::ExprForLoop) -> Option<syn::ExprForLoop> {
        let (shape, written) = self.iteration_mut(&f.expr)?;
        let k = self.synthetic("k");
        let (len, elem) = self.element(&shape, &k);
        let mut pat = (*f.pat).clone();
        strip_ref_patterns(&mut pat);
        let mut body = f.body.clone();
        // An element of `xs.iter_mut()` is the place `xs[k]`: `*o` becomes `xs[k]`, and `o` is
        // bound by nothing (anything but `*o` leaves the loop to the refusal).
        let sources = match &shape {
            Iteration::Elements(x) | Iteration::Enumerate(x) => [Some(x), None],
            Iteration::Zip(x, y) => [Some(x), Some(y)],
        };
        for (slot, (source, mutable)) in sources.iter().zip(written).enumerate() {
            let (Some(x), true) = (source, mutable) else {
                continue;
            };
            let position = match &shape {
                Iteration::Elements(_) => None,
                Iteration::Enumerate(_) => Some(1),
                Iteration::Zip(..) => Some(slot),
            };
            let name = take_binding(&mut pat, position)?;
            let place: Expr = syn::parse2(quote!(#x[#k])).ok()?;
            if !replace_derefs(&mut body, &name, &place) {
                return None;
            }
        }
        strip_derefs(&mut body, &pattern_names(&pat));
        let stmts = &body.stmts;
        let label = &f.label;
        self.reparse(
            quote!(#label for #k in 0..#len { let #pat = #elem; #(#stmts)* }),
            f,
        )
    }

    /// Parses code a desugaring built from the user's pieces. It should always parse; if it does
    /// not, that is a spanned error at the user's code, never a panic.
    fn reparse<T: syn::parse::Parse>(
        &mut self,
        tokens: TokenStream,
        node: &impl ToTokens,
    ) -> Option<T> {
        match syn::parse2(tokens) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.errors.spanned(
                    node,
                    format!(
                        "{}: this iterator could not be rewritten as a loop ({e}). Write the loop \
                         out with `for`",
                        self.mode
                    ),
                );
                None
            }
        }
    }

    /// What an iterator expression walks over, when it walks over memory.
    fn iteration(&self, e: &Expr) -> Option<Iteration> {
        match e {
            Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => {
                Some(Iteration::Enumerate(self.iterated(&m.receiver)?))
            }
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => Some(Iteration::Zip(
                self.iterated(&m.receiver)?,
                self.iterated(&m.args[0])?,
            )),
            _ => Some(Iteration::Elements(self.iterated(e)?)),
        }
    }

    /// [`Self::iteration`], also over `xs.iter_mut()` (alone, enumerated, or zipped with a
    /// read-only iterator): which of the (one or two) iterated memories are written through.
    fn iteration_mut(&self, e: &Expr) -> Option<(Iteration, [bool; 2])> {
        let mutable = |e: &Expr| -> Option<Ident> {
            match e {
                Expr::MethodCall(m) if m.method == "iter_mut" && m.args.is_empty() => {
                    let a = self.memory_of(&m.receiver)?;
                    (self.vars[a].depth == Some(1))
                        .then(|| path_ident(&m.receiver).cloned())
                        .flatten()
                }
                _ => None,
            }
        };
        let side = |e: &Expr| -> Option<(Ident, bool)> {
            match mutable(e) {
                Some(x) => Some((x, true)),
                None => Some((self.iterated(e)?, false)),
            }
        };
        match e {
            Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => {
                let (x, w) = side(&m.receiver)?;
                Some((Iteration::Enumerate(x), [w, false]))
            }
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => {
                let ((x, wx), (y, wy)) = (side(&m.receiver)?, side(&m.args[0])?);
                (!(wx && wy)).then_some((Iteration::Zip(x, y), [wx, wy]))
            }
            _ => {
                let (x, w) = side(e)?;
                Some((Iteration::Elements(x), [w, false]))
            }
        }
    }

    /// The memory an iterator over elements reads: `xs.iter()`, `&xs`, `xs`, `.copied()`.
    fn iterated(&self, e: &Expr) -> Option<Ident> {
        match e {
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && ["iter", "copied", "cloned", "into_iter"]
                        .contains(&m.method.to_string().as_str()) =>
            {
                self.iterated(&m.receiver)
            }
            Expr::Reference(r) if r.mutability.is_none() => self.iterated(&r.expr),
            Expr::Paren(p) => self.iterated(&p.expr),
            Expr::Path(_) => {
                let a = self.memory_of(e)?;
                (self.vars[a].depth == Some(1))
                    .then(|| path_ident(e).cloned())
                    .flatten()
            }
            _ => None,
        }
    }

    /// The trip count and the element of iteration `k`.
    fn element(&self, shape: &Iteration, k: &Ident) -> (TokenStream, TokenStream) {
        match shape {
            Iteration::Elements(x) => (quote!(#x.len()), quote!(#x[#k])),
            Iteration::Enumerate(x) => (quote!(#x.len()), quote!((#k, #x[#k]))),
            Iteration::Zip(x, y) => (quote!(#x.len().min(#y.len())), quote!((#x[#k], #y[#k]))),
        }
    }

    /// `xs.iter()[.map(|v| e)].sum()` / `.product()` / `.fold(init, |acc, v| e)` over memory, as
    /// a loop: `{ let mut acc = start; for k in 0..len { acc = combine(acc, xs[k]) } acc }`.
    fn desugar_reduction(&mut self, m: &syn::ExprMethodCall) -> Option<Value> {
        let terminal = m.method.to_string();
        let fold = terminal == "fold" && m.args.len() == 2;
        if !(fold || (["sum", "product"].contains(&terminal.as_str()) && m.args.is_empty())) {
            return None;
        }
        let (map, source) = match &*m.receiver {
            Expr::MethodCall(inner) if inner.method == "map" && inner.args.len() == 1 => {
                match &inner.args[0] {
                    Expr::Closure(c) if c.inputs.len() == 1 => (Some(c), &*inner.receiver),
                    _ => return None,
                }
            }
            other => (None, other),
        };
        let Iteration::Elements(x) = self.iteration(source)? else {
            return None;
        };
        let k = self.synthetic("k");
        let acc = self.synthetic("acc");
        let (len, elem) = self.element(&Iteration::Elements(x.clone()), &k);
        // The item, through the map closure if there is one.
        let item: Expr = match map {
            Some(c) => {
                let mut pat = c.inputs[0].clone();
                strip_ref_patterns(&mut pat);
                let mut body = (*c.body).clone();
                strip_derefs_expr(&mut body, &pattern_names(&pat));
                // In parentheses: the closure's body is an expression, which as the tail of a
                // block might parse otherwise (`loop { .. } / 2.0`) or not at all (`crate * v`).
                self.reparse(quote!({ let #pat = #elem; (#body) }), &c.body)?
            }
            None => self.reparse(elem.clone(), m)?,
        };
        let (start, combine): (TokenStream, Expr) = match terminal.as_str() {
            "sum" | "product" => {
                // The start value has the element type, from the memory itself.
                let f = if terminal == "sum" {
                    quote!(zero_elem)
                } else {
                    quote!(one_elem)
                };
                let a = self.memory_of(&Expr::Path(syn::ExprPath {
                    attrs: Vec::new(),
                    qself: None,
                    path: x.clone().into(),
                }))?;
                let ident = self.vars[a].ident.clone();
                let start = self.synthetic("start");
                let t = self.inert_tokens(quote!(::ad_runtime::#f(&#ident)), vec![a], true);
                self.bind(&start.to_string(), Binding::Value(Value::Scalar(t)));
                let op = if terminal == "sum" {
                    quote!(+)
                } else {
                    quote!(*)
                };
                (quote!(#start), self.reparse(quote!(#acc #op (#item)), m)?)
            }
            _ => {
                let Expr::Closure(c) = &m.args[1] else {
                    return None;
                };
                if c.inputs.len() != 2 {
                    return None;
                }
                let (mut acc_pat, mut v_pat) = (c.inputs[0].clone(), c.inputs[1].clone());
                strip_ref_patterns(&mut acc_pat);
                strip_ref_patterns(&mut v_pat);
                let mut body = (*c.body).clone();
                let mut names = pattern_names(&acc_pat);
                names.extend(pattern_names(&v_pat));
                strip_derefs_expr(&mut body, &names);
                let init = &m.args[0];
                let combine = self.reparse(
                    quote!({ let #acc_pat = #acc; let #v_pat = #item; (#body) }),
                    &c.body,
                )?;
                (quote!(#init), combine)
            }
        };
        let block: Expr = self.reparse(
            quote!({
                let mut #acc = #start;
                for #k in 0..#len {
                    #acc = #combine;
                }
                #acc
            }),
            m,
        )?;
        Some(self.lower_expr(&block))
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
        if RANGE_ADAPTERS.contains(&name.as_str()) && is_range_iterator(&m.receiver) {
            return self.lower_range_adapter(m, e);
        }
        // A method of a constant receiver (`self.energy(x)`) with differentiated arguments: a call
        // to an annotated method, through its companions.
        if !self.mentions_active(m.receiver.to_token_stream())
            && m.args
                .iter()
                .any(|a| self.mentions_active(a.to_token_stream()))
        {
            let (receiver, _) = self.rename(m.receiver.to_token_stream());
            if let Some((args, memory, state)) = self.call_args(m.args.iter()) {
                let t = self.temp();
                self.push_def(
                    t,
                    None,
                    Rhs::Call {
                        callee: Callee::Method {
                            receiver,
                            name: m.method.clone(),
                        },
                        args,
                        memory,
                        state,
                        span: e.span(),
                    },
                );
                return Value::Scalar(Operand::Var(t));
            }
        }
        // A stack of generated reverse-mode code: `s.pop()` reads its last value back,
        // `s.reserve(n)` only makes room.
        if let Some(array) = self.memory_of(&m.receiver)
            && self.stacks.contains(&array)
        {
            if name == "pop" && m.args.is_empty() {
                let t = self.temp();
                self.push_def(t, None, Rhs::Pop { array });
                return Value::Scalar(Operand::Var(t));
            }
            if name == "reserve" {
                return Value::Scalar(self.inert(e, None));
            }
        }
        if name == "push"
            && m.args.len() == 1
            && let Some(array) = self.memory_of(&m.receiver)
        {
            // A stack of generated code pushes `Clone::clone(&x)`: for a float, `x`.
            let arg = match &m.args[0] {
                Expr::Call(c)
                    if self.stacks.contains(&array) && c.args.len() == 1 && is_clone(&c.func) =>
                {
                    match &c.args[0] {
                        Expr::Reference(r) => &*r.expr,
                        other => other,
                    }
                }
                other => other,
            };
            let v = self.lower_expr(arg);
            let Some(value) = self.scalar(v, arg) else {
                return unit();
            };
            let ident = self.vars[array].ident.clone();
            let Operand::Var(index) = self.inert_tokens(quote!(#ident.len()), vec![array], false)
            else {
                return unit();
            };
            self.stmts.push(Stmt::Push {
                array,
                index,
                value,
            });
            return unit();
        }
        if let Some(v) = self.desugar_reduction(m) {
            return v;
        }
        if (name == "clone" || name == "to_owned")
            && m.args.is_empty()
            && self.memory_of(&m.receiver).is_none()
        {
            return self.lower_expr(&m.receiver);
        }
        let refusal = self.refuse_expr(e);
        Value::Scalar(self.inert(e, Some(refusal)))
    }

    /// The runtime's helpers, as generated reverse-mode code calls them, so that the tangent
    /// transform can run over that code again (forward over reverse, for second derivatives):
    /// `zero_like(&x)`, `zero()`, `one()` are constants; `accumulate(&mut a, e)` is `a = a + e`.
    /// `None` for any other call.
    fn lower_runtime_call(&mut self, c: &syn::ExprCall, e: &Expr) -> Option<Value> {
        let Expr::Path(p) = &*c.func else {
            return None;
        };
        let names: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match names[..] {
            [
                "ad_runtime",
                "zero_like" | "zero" | "one" | "zero_elem" | "one_elem" | "cast_like",
            ] => {
                let mut uses = Vec::new();
                let mut args = Vec::new();
                for a in &c.args {
                    let (inner, borrowed) = match a {
                        Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, true),
                        other => (other, false),
                    };
                    let v = match self.memory_of(inner) {
                        Some(m) => Value::Scalar(Operand::Var(m)),
                        None => self.lower_expr(inner),
                    };
                    uses.extend(value_uses(&v));
                    let t = self.value_tokens(&v);
                    args.push(if borrowed { quote!(&#t) } else { t });
                }
                let func = &c.func;
                Some(Value::Scalar(self.inert_tokens(
                    quote!(#func(#(#args),*)),
                    uses,
                    true,
                )))
            }
            ["ad_runtime", "accumulate"] if c.args.len() == 2 => {
                let Expr::Reference(r) = &c.args[0] else {
                    return None;
                };
                let (target, value) = (&r.expr, &c.args[1]);
                let assign: Expr = syn::parse2(quote!(#target = #target + (#value))).ok()?;
                Some(self.lower_expr(&assign))
            }
            _ => {
                let _ = e;
                None
            }
        }
    }

    /// `(0..w.len()).rev()`, `(0..n).step_by(2)`: an iterator over integers carries no
    /// derivative, whatever its bounds read, so it is inert; its operands are still read (and
    /// taken apart, so that what they mention is renamed and recorded as used).
    fn lower_range_adapter(&mut self, m: &syn::ExprMethodCall, e: &Expr) -> Value {
        let receiver = self.lower_expr(&m.receiver);
        let mut uses = value_uses(&receiver);
        let receiver = self.value_tokens(&receiver);
        let mut args = Vec::new();
        for a in &m.args {
            let v = self.lower_expr(a);
            uses.extend(value_uses(&v));
            args.push(self.value_tokens(&v));
        }
        let (method, turbofish) = (&m.method, &m.turbofish);
        let pure = is_pure(e, &self.mutated);
        Value::Scalar(self.inert_tokens(
            quote!(#receiver.#method #turbofish (#(#args),*)),
            uses,
            pure,
        ))
    }

    fn lower_call(&mut self, c: &syn::ExprCall, e: &Expr) -> Value {
        if let Some(v) = self.lower_runtime_call(c, e) {
            return v;
        }
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
        // A call to another function: differentiated through its companions, which the callee's
        // own macro wrote (rustc reports a callee without them, at this call).
        if let Expr::Path(p) = &*c.func
            && p.qself.is_none()
            && let Some(v) = self.lower_composition(p, &c.args, e)
        {
            return v;
        }
        let refusal = self.refuse_expr(e);
        Value::Scalar(self.inert(e, Some(refusal)))
    }

    /// Lowers the arguments of a call to an annotated callee: scalars, read-only memory (`xs`,
    /// `&v`, `&v[a..b]`) and slices lent to be written (`&mut v`, `&mut v[a..b]`, a `&mut`
    /// parameter passed on); `None` when one is none of these.
    fn call_args<'e>(&mut self, args: impl Iterator<Item = &'e Expr>) -> Option<CallArgs> {
        let mut ops = Vec::new();
        let mut memory = Vec::new();
        let mut state = Vec::new();
        for a in args {
            // Integer state (an index list, a permutation): passed through, and copied first
            // when it may change before the reverse sweep reruns the callee.
            if let Some((v, s)) = self.state_arg(a) {
                ops.push(Operand::Var(v));
                memory.push(None);
                state.push(Some(s));
                continue;
            }
            state.push(None);
            let (target, borrowed, lent) = match a {
                Expr::Reference(r) => (&*r.expr, true, r.mutability.is_some()),
                other => (other, false, false),
            };
            // `&xs[a..b]`: a sub-slice, its range evaluated once.
            if borrowed
                && let Expr::Index(ix) = target
                && matches!(&*ix.index, Expr::Range(_))
                && let Some(array) = self.memory_of(&ix.expr)
                && self.vars[array].depth == Some(1)
            {
                let range = self.lower_expr(&ix.index);
                let range = self.operand_of(range);
                ops.push(Operand::Var(array));
                memory.push(Some(MemArg {
                    borrowed: true,
                    mutable: lent,
                    range: Some(range),
                    span: a.span(),
                }));
                continue;
            }
            if let Some(array) = self.memory_of(target) {
                // A slice the function writes through, passed on as it is, is lent to be written.
                let mutable = lent || (!borrowed && self.written_params.contains(&array));
                if mutable && self.vars[array].depth != Some(1) {
                    return None;
                }
                ops.push(Operand::Var(array));
                memory.push(Some(MemArg {
                    borrowed,
                    mutable,
                    range: None,
                    span: a.span(),
                }));
                continue;
            }
            if lent {
                return None;
            }
            match self.lower_expr(a) {
                Value::Scalar(op) => {
                    ops.push(op);
                    memory.push(None);
                }
                _ => return None,
            }
        }
        Some((ops, memory, state))
    }

    /// A call argument that is integer state the function may change in place: `&mut v`, a
    /// `&mut` parameter passed on, or (by value or `&v`) a variable that code here changes in
    /// place. Takes the copy (`v.to_owned()`) that the reverse sweep passes instead, so the
    /// callee's reverse pass sees what its forward pass saw (see [`StateArg`]). `None` for
    /// anything else, which is passed as before.
    fn state_arg(&mut self, a: &Expr) -> Option<(VarId, StateArg)> {
        let (target, pass) = match a {
            Expr::Reference(r) if r.mutability.is_some() => (&*r.expr, Pass::BorrowMut),
            Expr::Reference(r) => (&*r.expr, Pass::Borrow),
            other => (other, Pass::Value),
        };
        let name = path_ident(target)?.to_string();
        let Some(Binding::Value(Value::Scalar(Operand::Var(v)))) = self.lookup(&name) else {
            return None;
        };
        let v = *v;
        if self.vars[v].depth.is_some() || !self.integers.contains(&v) {
            return None;
        }
        let pass = match pass {
            Pass::Value if self.ref_mut_params.contains(&v) => Pass::RefMut,
            p => p,
        };
        let changes =
            matches!(pass, Pass::BorrowMut | Pass::RefMut) || self.mutated.contains(&name);
        if !changes {
            return None;
        }
        let ident = self.vars[v].ident.clone();
        let snapshot = self.inert_tokens(quote!(#ident.to_owned()), vec![v], false);
        let copy = Func::var_of(&snapshot).expect("a definition");
        let state = StateArg {
            pass,
            snapshot: Some(snapshot),
            span: a.span(),
        };
        self.vars[copy].mutable = state.lent();
        Some((v, state))
    }

    fn lower_composition(
        &mut self,
        p: &syn::ExprPath,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        e: &Expr,
    ) -> Option<Value> {
        // `a::b::g::<T>` is called as `a::b::g__derive_tangent`: the prefix keeps its `::`; the turbofish
        // goes (the companion has more generic parameters, and inference finds them).
        let segments: Vec<&syn::PathSegment> = p.path.segments.iter().collect();
        let (last, init) = segments.split_last()?;
        let name = last.ident.clone();
        let is_rule_tuple = name.to_string().ends_with("_partials")
            && segments.len() == 3
            && segments[0].ident == "ad_runtime"
            && segments[1].ident == "rules";
        let leading = p.path.leading_colon.map(|_| quote!(::));
        let init = init.iter();
        let prefix = quote!(#leading #(#init::)*);
        let (args, memory, state) = self.call_args(args.iter())?;
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Call {
                callee: Callee::Path { prefix, name },
                args,
                memory,
                state,
                span: e.span(),
            },
        );
        if is_rule_tuple {
            self.rule_tuples.insert(t);
        }
        Some(Value::Scalar(Operand::Var(t)))
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
            Expr::Block(b) if b.label.is_some() => (
                "a labelled block".to_owned(),
                "`break 'label value` out of a block is not supported",
                "Write it with `if` / `else`, or a `loop` that breaks with the value",
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
            Expr::Call(c) if let Some(arg) = c.args.iter().find(|a| self.is_mutable_array(a)) => (
                format!("the call `{}(..)`, given `{}`", show(&c.func), show(arg)),
                "of what a call is lent to write, only slices of floats are supported (`&mut v` \
                 or `&mut v[a..b]` for a local `Vec` or array, or a `&mut [F]` parameter passed \
                 on)",
                "Lend a slice of floats, or have the callee return its result (a float, a tuple, \
                 or an array `[F; N]`) and store it here",
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

/// A type for a message: `Option<f64>`, not `Option < f64 >`.
pub fn show_type(ty: &syn::Type) -> String {
    let mut s = show(ty);
    for (from, to) in [(" <", "<"), ("< ", "<"), (" >", ">"), (" ;", ";")] {
        s = s.replace(from, to);
    }
    s
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

/// A call's arguments: operands, how memory is passed, how state is passed.
type CallArgs = (Vec<Operand>, Vec<Option<MemArg>>, Vec<Option<StateArg>>);

/// Whether a type is an integer (or `bool`), or an array, slice, `Vec` or reference of them.
fn integer_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => integer_type(&r.elem),
        syn::Type::Array(a) => integer_type(&a.elem),
        syn::Type::Slice(s) => integer_type(&s.elem),
        syn::Type::Paren(p) => integer_type(&p.elem),
        syn::Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(seg) if seg.ident == "Vec" => match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .any(|g| matches!(g, syn::GenericArgument::Type(t) if integer_type(t))),
                _ => false,
            },
            _ => is_integer_like(ty),
        },
        _ => is_integer_like(ty),
    }
}

/// Whether an expression is built from unsuffixed float literals only, by arithmetic: its type
/// is the ambiguous `{float}` until something else fixes it.
fn is_float_literal_expr(e: &Expr) -> bool {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) => f.suffix().is_empty(),
        Expr::Paren(p) => is_float_literal_expr(&p.expr),
        Expr::Group(g) => is_float_literal_expr(&g.expr),
        Expr::Unary(u) => matches!(u.op, UnOp::Neg(_)) && is_float_literal_expr(&u.expr),
        Expr::Binary(b) => {
            matches!(
                b.op,
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_)
            ) && is_float_literal_expr(&b.left)
                && is_float_literal_expr(&b.right)
        }
        _ => false,
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
        let v = self
            .lowerer
            .named_var(&p.ident.to_string(), p.mutability.is_some());
        self.bound.push((p.ident.clone(), v));
        p.ident = self.lowerer.vars[v].ident.clone();
        syn::visit_mut::visit_pat_ident_mut(self, p);
    }
}

/// The head of a loop being lowered.
enum Head<'a> {
    For(&'a syn::ExprForLoop),
    While(&'a Expr),
    Loop,
}

/// The body of a `match` arm, or a branch of an `if let`.
enum Arm<'a> {
    Expr(&'a Expr),
    Block(&'a syn::Block),
    Else(Option<&'a Expr>),
}

/// Expressions lowered as control flow whatever they touch.
fn is_control(e: &Expr) -> bool {
    match e {
        Expr::Block(b) => b.label.is_none(),
        Expr::If(_)
        | Expr::Match(_)
        | Expr::ForLoop(_)
        | Expr::While(_)
        | Expr::Loop(_)
        | Expr::Break(_)
        | Expr::Continue(_)
        | Expr::Return(_)
        | Expr::Assign(_) => true,
        Expr::Binary(b) => is_compound(&b.op),
        _ => false,
    }
}

fn contains_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => contains_let(&b.left) || contains_let(&b.right),
        Expr::Paren(p) => contains_let(&p.expr),
        _ => false,
    }
}

fn inert_rhs(tokens: TokenStream, uses: Vec<VarId>, pure: bool) -> Rhs {
    Rhs::Inert {
        tokens,
        uses,
        refusal: None,
        pure,
    }
}

fn emit_operand(vars: &[Var], op: &Operand) -> TokenStream {
    match op {
        Operand::Var(v) => vars[*v].ident.to_token_stream(),
        Operand::Const(t) => t.clone(),
    }
}

fn collect_idents(tokens: &TokenStream) -> HashSet<String> {
    let mut out = HashSet::new();
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => out.extend(collect_idents(&g.stream())),
            _ => {}
        }
    }
    out
}

fn same_operand(a: &Operand, b: &Operand) -> bool {
    match (a, b) {
        (Operand::Var(x), Operand::Var(y)) => x == y,
        (Operand::Const(x), Operand::Const(y)) => x.to_string() == y.to_string(),
        _ => false,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Scalar(x), Value::Scalar(y)) => same_operand(x, y),
        (Value::Tuple(x), Value::Tuple(y)) | (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        _ => false,
    }
}

fn same(a: &Binding, b: &Binding) -> bool {
    match (a, b) {
        (Binding::Value(x), Binding::Value(y)) => same_value(x, y),
        (Binding::Uninit(_), Binding::Uninit(_)) | (Binding::Raw, Binding::Raw) => true,
        _ => false,
    }
}

fn binding_value(b: &Binding) -> Value {
    match b {
        Binding::Value(v) => v.clone(),
        _ => dummy(),
    }
}

fn replicate_dummy(shape: &Value) -> Value {
    match shape {
        Value::Scalar(_) => dummy(),
        Value::Tuple(items) => Value::Tuple(items.iter().map(replicate_dummy).collect()),
        Value::Array(items) => Value::Array(items.iter().map(replicate_dummy).collect()),
    }
}

/// What a `for` loop or a reduction walks over.
enum Iteration {
    Elements(Ident),
    Enumerate(Ident),
    Zip(Ident, Ident),
}

/// `(pattern name, type)` of `let name` or `let name: T`.
fn simple_pattern(pat: &Pat) -> Option<(&Ident, Option<&syn::Type>)> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => Some((&p.ident, None)),
        Pat::Type(t) => match &*t.pat {
            Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => {
                Some((&p.ident, Some(&t.ty)))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Which local array an expression creates, if it creates one.
fn array_creation(e: &Expr) -> Option<crate::ir::Zeros> {
    use crate::ir::Zeros;
    match e {
        Expr::Macro(m) if m.mac.path.is_ident("vec") => Some(Zeros::Vec),
        // What generated reverse-mode code creates: adjoints of arrays, and value stacks.
        Expr::Call(c) => match &*c.func {
            Expr::Path(p)
                if p.path.segments.len() == 2 && p.path.segments[0].ident == "ad_runtime" =>
            {
                match p.path.segments[1].ident.to_string().as_str() {
                    "zeros_vec" => Some(Zeros::Vec),
                    "zeros_array" => Some(Zeros::Array),
                    "zeros_array2" => Some(Zeros::Array2),
                    _ => None,
                }
            }
            Expr::Path(p)
                if p.path.segments.len() == 3
                    && p.path.segments[0].ident == "ad_runtime"
                    && p.path.segments[1].ident == "Stack"
                    && p.path.segments[2].ident == "new" =>
            {
                Some(Zeros::Stack)
            }
            Expr::Path(p)
                if p.path.segments.len() >= 2
                    && p.path.segments[p.path.segments.len() - 2].ident == "Vec"
                    && ["new", "with_capacity"]
                        .iter()
                        .any(|n| p.path.segments.last().is_some_and(|s| s.ident == n)) =>
            {
                Some(Zeros::Vec)
            }
            _ => None,
        },
        Expr::Repeat(r) => Some(if matches!(&*r.expr, Expr::Repeat(_)) {
            Zeros::Array2
        } else {
            Zeros::Array
        }),
        Expr::Paren(p) => array_creation(&p.expr),
        _ => None,
    }
}

/// The element part of an array creation: `e` in `vec![e; n]` and `[e; N]`, every element of
/// `vec![a, b]`; nothing for `Vec::new()`.
fn creation_elements(e: &Expr) -> TokenStream {
    match e {
        Expr::Repeat(r) => creation_elements(&r.expr),
        Expr::Macro(m) => m
            .mac
            .tokens
            .clone()
            .into_iter()
            .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
            .collect(),
        Expr::Paren(p) => creation_elements(&p.expr),
        Expr::Call(_) => TokenStream::new(),
        other => other.to_token_stream(),
    }
}

fn literal_index(e: &Expr) -> Option<usize> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

/// `&v` patterns become `v`: the desugared loop binds elements by value (with `let`, so the
/// pattern is also made fit for one by [`let_pattern`]).
fn strip_ref_patterns(pat: &mut Pat) {
    struct Strip;
    impl VisitMut for Strip {
        fn visit_pat_mut(&mut self, p: &mut Pat) {
            if let Pat::Reference(r) = p {
                *p = (*r.pat).clone();
            }
            syn::visit_mut::visit_pat_mut(self, p);
        }
    }
    Strip.visit_pat_mut(pat);
    let_pattern(pat);
}

/// Makes a pattern (of a `for` loop, a closure parameter, a tuple element) fit to follow `let`,
/// which takes no top-level or-pattern: leading `|`s, which change nothing, are removed
/// (`(|i, x)` is `(i, x)`, `| i` is `i`), and a top-level `A | B` is parenthesized.
fn let_pattern(pat: &mut Pat) {
    struct StripVert;
    impl VisitMut for StripVert {
        fn visit_pat_or_mut(&mut self, p: &mut syn::PatOr) {
            p.leading_vert = None;
            syn::visit_mut::visit_pat_or_mut(self, p);
        }
    }
    StripVert.visit_pat_mut(pat);
    if let Pat::Or(o) = pat {
        if o.cases.len() == 1 {
            let case = o.cases[0].clone();
            *pat = case;
        } else {
            let or = Pat::Or(o.clone());
            *pat = Pat::Paren(syn::PatParen {
                attrs: Vec::new(),
                paren_token: Default::default(),
                pat: Box::new(or),
            });
        }
    }
}

struct StripDerefs<'n>(&'n [String]);

impl VisitMut for StripDerefs<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Unary(u) = e
            && matches!(u.op, UnOp::Deref(_))
            && path_ident(&u.expr).is_some_and(|i| self.0.contains(&i.to_string()))
        {
            *e = (*u.expr).clone();
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
}

/// The names of the memories a `for` loop's iterator walks with `iter_mut()`.
fn iter_mut_roots(e: &Expr) -> Vec<String> {
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

/// Takes the plain binding at `position` of a tuple pattern (or the whole pattern, `None`) out,
/// leaving `_`; its name, or `None` if it is not a plain name.
fn take_binding(pat: &mut Pat, position: Option<usize>) -> Option<String> {
    let slot = match position {
        None => pat,
        Some(i) => match pat {
            Pat::Tuple(t) => t.elems.iter_mut().nth(i)?,
            Pat::Paren(p) => return take_binding(&mut p.pat, Some(i)),
            _ => return None,
        },
    };
    let Pat::Ident(p) = &*slot else {
        return None;
    };
    if p.by_ref.is_some() || p.subpat.is_some() {
        return None;
    }
    let name = p.ident.to_string();
    *slot = syn::parse_quote!(_);
    Some(name)
}

/// Replaces every `*name` in `block` by `place`; `false` if `name` is also used otherwise (its
/// element would then need to be a reference, which the macros do not follow).
fn replace_derefs(block: &mut syn::Block, name: &str, place: &Expr) -> bool {
    struct Replace<'a>(&'a str, &'a Expr);
    impl VisitMut for Replace<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if let Expr::Unary(u) = e
                && matches!(u.op, UnOp::Deref(_))
                && path_ident(&u.expr).is_some_and(|i| i == self.0)
            {
                *e = self.1.clone();
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    Replace(name, place).visit_block_mut(block);
    !mentions(block.to_token_stream(), &HashSet::from([name.to_owned()]))
}

/// `*v` of an element bound by value becomes `v`.
fn strip_derefs(block: &mut syn::Block, names: &[String]) {
    StripDerefs(names).visit_block_mut(block);
}

fn strip_derefs_expr(e: &mut Expr, names: &[String]) {
    StripDerefs(names).visit_expr_mut(e);
}
