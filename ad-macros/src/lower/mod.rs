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
//!
//! One `impl Lowerer` split by construct, one file each: `scan` (pre-scans over the syn body),
//! `syntax` (small predicates on syn nodes), `bindings` (variables, versions, scopes, renaming,
//! inert code), `stmt` (statements, assignments, patterns), `expr` (expressions, refusals),
//! `branch` (`if`, `match`, φs), `loops` (loops, cells, `break`/`continue`/`return` flags),
//! `memory` (arrays: loads, stores, creation), `iter` (iterator desugaring), `methods`, `calls`
//! (calls and composition). The child modules share this module's imports (`use super::*`).

use std::collections::{HashMap, HashSet};

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{BinOp, Expr, Pat, Stmt as SynStmt, UnOp};

use crate::errors::{Errors, show};
use crate::front::sig::{FloatTypes, SigParam, is_integer_like};
use crate::ir::{
    Callee, Cell, Form, Func, If, Loop, LoopKind, MemArg, Operand, Param, Pass, Phi, Rhs, Second,
    StateArg, Stmt, Value, Var, VarId, Zeros,
};
use crate::names::Namer;
use crate::rules;

mod array_fns;
mod bindings;
mod branch;
mod calls;
mod chain;
mod closure;
mod consume;
mod expr;
mod iter;
mod loops;
mod memory;
mod methods;
mod same_file;
pub use same_file::inlinable_callees;
mod scan;
mod stmt;
mod syntax;
mod view;

use scan::*;
use stmt::*;
use syntax::*;

/// What a user name stands for at a point of the body.
#[derive(Clone, Debug)]
enum Binding {
    Value(Value),
    /// `let y;` or `let y: T;`: defined by its first assignment, which gets the declared type.
    Uninit(Option<TokenStream>),
    /// A name bound by a pattern inside copied code (a `match` guard): left as written.
    Raw,
    /// A local closure or `fn`, inlined where it is called.
    Closure(std::rc::Rc<closure::LocalFn>),
    /// A slice of memory by its bounds (`let a = &x[i..j];`), replaced where it is used.
    View(view::View),
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
    /// Names whose elements are assigned (`v[i] = e`): an array literal bound to one is memory.
    element_stores: HashSet<String>,
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
    /// Results of calls, which may be tuples whose fields are read (a runtime rule's partials
    /// `div_partials(..)`, an annotated helper returning `(f64, f64)`), and the region depth of
    /// the call: a field is read in the call's own region (reverse mode seeds the call from the
    /// fields' adjoints there).
    call_results: HashMap<VarId, usize>,
    /// Memory that is an array held by value (`x: [F; N]`, `let v = [0.0; 3]`, an array
    /// literal made memory): passed to a call without `&`, it is a copy.
    value_arrays: HashSet<VarId>,
    /// Call results read by element (`t[0]`, `let [a, b] = ..`): arrays.
    array_results: HashSet<VarId>,
    /// Call results passed whole to another call, where: a call result read by element too is
    /// refused (its seed is built from the elements' adjoints only).
    whole_results: HashMap<VarId, Span>,
    /// The `if` being lowered, for errors about its branches.
    branch_span: Option<Span>,
    /// The parameters the function writes through (`&mut [F]`, ..), for errors about calls.
    written_params: HashSet<VarId>,
    /// Variables known to hold integers or containers of integers (by their type or their
    /// initial value): state that steers the computation, never differentiated.
    integers: HashSet<VarId>,
    /// Variables defined by inert code that cannot be refused (a literal, constants): they
    /// never carry a derivative, so a tuple or array among them may be taken apart element by
    /// element where a branch or a loop builds the same value from parts.
    plain_inert: HashSet<VarId>,
    /// Parameters of a `&mut` reference type.
    ref_mut_params: HashSet<VarId>,
    /// The float type of the function (its output's, or its first active parameter's element
    /// type), for the accumulators of rewritten iterator chains.
    float_ty: Option<TokenStream>,
    /// How many local closures are being inlined, one inside the other.
    inlining: usize,
    /// The body is reverse-mode code lowered again (`#[derive_grad(hessian)]`): calls take their
    /// tangents from the callees' second-order companions ([`Second`]).
    of_reverse_code: bool,
    /// The function being lowered, when calls of functions of the same file given a slice or
    /// returning an aggregate are inlined ([`Context::inline_calls`]).
    inline_calls: Option<Ident>,
    /// The same-file callees being inlined, outermost first (none is inlined into itself).
    inlined: Vec<String>,
    /// Array parameters `[F; N]` whose `N` is a literal: `N`.
    array_lens: HashMap<VarId, usize>,
}

/// What lowering is told about the function besides its body and parameters.
pub struct Context<'a> {
    /// The attribute, for messages: `#[derive_grad]`.
    pub mode: &'a str,
    /// The return type.
    pub out_ty: Option<&'a syn::Type>,
    /// The body is reverse-mode code lowered again (see [`Second`]).
    pub of_reverse_code: bool,
    /// The function being lowered, when calls of functions of the same file given a slice or
    /// returning an array or a tuple are inlined (a Hessian's first pass, `same_file.rs`).
    pub inline_calls: Option<Ident>,
}

/// Lowers a function body. Errors are recorded and lowering goes on, so that all of them are
/// reported together.
pub fn lower(
    body: &syn::Block,
    params: &[SigParam],
    floats: &FloatTypes,
    namer: Namer,
    context: Context<'_>,
    errors: &mut Errors,
) -> Func {
    let Context {
        mode,
        out_ty,
        of_reverse_code,
        inline_calls,
    } = context;
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
        mutated: HashSet::new(),
        element_stores: element_stores(body),
        loops: Vec::new(),
        loop_count: 0,
        diverged: false,
        base_idents: HashMap::new(),
        region_depth: 0,
        desugared: 0,
        assigned: HashSet::new(),
        stacks: HashSet::new(),
        call_results: HashMap::new(),
        value_arrays: HashSet::new(),
        array_results: HashSet::new(),
        whole_results: HashMap::new(),
        branch_span: None,
        written_params: HashSet::new(),
        integers: HashSet::new(),
        plain_inert: HashSet::new(),
        ref_mut_params: HashSet::new(),
        inlining: 0,
        of_reverse_code,
        inline_calls,
        inlined: Vec::new(),
        array_lens: HashMap::new(),
        float_ty: out_ty
            .filter(|t| floats.is_float(t))
            .map(ToTokens::to_token_stream)
            .or_else(|| {
                params
                    .iter()
                    .find(|p| p.active)
                    .map(|p| p.elem.to_token_stream())
            }),
    };
    let ref_mut: HashSet<String> = params
        .iter()
        .filter(|p| matches!(&p.ty, syn::Type::Reference(r) if r.mutability.is_some()))
        .map(|p| p.ident.to_string())
        .collect();
    l.mutated = mutated_in_place(body, &l.maybe_active, &ref_mut);
    let mut ir_params = Vec::new();
    for p in params {
        let mutable = p.mutable && l.mutated.contains(&p.ident.to_string());
        let v = l.new_var(p.ident.clone(), mutable);
        if p.kind.is_memory() {
            l.vars[v].depth = Some(p.kind.depth());
        }
        if matches!(p.kind, crate::ir::Kind::Array { .. }) {
            l.value_arrays.insert(v);
        }
        // The length of `[F; N]` and `&[F; N]` (`*p` is then an array value of known length).
        let array = match &p.ty {
            syn::Type::Reference(r) => &*r.elem,
            ty => ty,
        };
        if matches!(
            p.kind,
            crate::ir::Kind::Array { .. } | crate::ir::Kind::ArrayRef { .. }
        ) && let syn::Type::Array(a) = array
            && let Some(n) = literal_index(&a.len)
        {
            l.array_lens.insert(v, n);
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
    // (A `return` inside the last one's value, `return { if c { return a; } b }`, is early.)
    let early_return = has_return(stmts)
        || final_return
            .and_then(|r| r.expr.as_deref())
            .is_some_and(jumps);
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
    // A body ending in `loop { .. }` leaves only by `return`: in a function with a value the
    // loop's type is `!`, so the returned value is the tail on every path.
    let ends_in_loop = matches!(stmts.last(), Some(SynStmt::Expr(Expr::Loop(_), _)));
    let tail = if early_return && has_output && ends_in_loop {
        Some(l.current(RET))
    } else if early_return {
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

fn inert_rhs(tokens: TokenStream, uses: Vec<VarId>, pure: bool) -> Rhs {
    Rhs::Inert {
        tokens,
        uses,
        refusal: None,
        pure,
    }
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
        (Binding::Closure(x), Binding::Closure(y)) => std::rc::Rc::ptr_eq(x, y),
        (Binding::View(x), Binding::View(y)) => {
            x.slice().to_string() == y.slice().to_string() && x.len.to_string() == y.len.to_string()
        }
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
