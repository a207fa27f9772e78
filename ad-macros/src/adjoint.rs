//! The adjoint (reverse-mode) transform.
//!
//! The forward sweep is the primal, in SSA form. The reverse sweep visits the statements
//! backwards and adds `partial * adjoint` into the adjoint of each active argument.
//!
//! Straight-line code at the top of the function stores nothing: every value the reverse sweep
//! reads is still in a local. Branches and loop bodies are *regions* whose locals are gone when
//! the reverse sweep reaches them, so each region is *replayed* once, right before its reverse
//! sweep, recomputing what the reverse sweep reads from values still in scope. Only what cannot
//! be recomputed that way is stored in the forward sweep, on a value stack per value:
//!
//! - a loop-carried value at the top of an iteration, when the reverse sweep of the body reads it
//!   (the recurrence `x = x + h * x.sin() * p` stores one float per step; the reduction
//!   `s += x * x` stores nothing, since `+` has constant partials);
//! - the result of an `if` or a loop nested in a region, when that region's replay needs it;
//! - an inert value that cannot be evaluated twice (a call, a read of something mutated in
//!   place);
//! - the trip count of a loop nested in a region.
//!
//! The loop variable of iteration `k` of a `for` loop is recovered as the `k`-th item of its
//! iterator, so index loops store nothing for it.
//!
//! Input:  `for _ in 0..n { x = x + h * x.sin() * p }`
//! Output: forward: `let mut x_c = x; let mut trip = 0; for _ in it.clone() { let x_1 = x_c;`
//!         `trip += 1; x_1_stack.push(x_1); ..body..; x_c = x_2; }`
//!         reverse: `let mut x_c_bar = x_3_bar; for k in (0..trip).rev() { let x_1 = x_1_stack.pop();`
//!         `..replay body..; x_2_bar = x_c_bar; ..reverse body..; x_c_bar = x_1_bar; }`

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::Type;

use crate::emit;
use crate::ir::{Func, If, Loop, LoopKind, Operand, Rhs, Stmt, VarId};
use crate::rules::Partial;
use crate::tangent::Generated;

/// Where the seed comes from.
pub enum Seed {
    /// A parameter `seed` of the output's type (`f_vjp`).
    Param,
    /// The constant 1 of the output's float type (`f_grad`).
    One,
}

/// How a variable gets its value, for deciding whether the reverse sweep can recompute it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Param,
    /// A definition that can be evaluated again from its operands.
    Recompute,
    /// A definition that must not be evaluated twice.
    Impure,
    Phi,
    CellEntry,
    CellAfter,
    Cell,
    /// A variable bound by the pattern of a `for` loop whose iterator is this variable.
    Bound(VarId),
}

/// What the analysis before emission decides.
struct Plan {
    /// The region each variable is defined in (0: the function's top level).
    region: Vec<usize>,
    origin: Vec<Origin>,
    /// The regions in which the reverse sweep adds into each variable's adjoint.
    contributed_in: Vec<HashSet<usize>>,
    /// The reverse sweep reads the variable's value.
    needed: Vec<bool>,
    /// The stack a variable is stored on.
    stack: Vec<Option<Ident>>,
    /// The trip counter (and, for a loop inside a region, its stack) of each loop with reverse
    /// work, by the loop's address.
    trips: HashMap<usize, (Ident, Option<Ident>)>,
    next_region: usize,
    /// Memory that stores or pushes write to.
    written: HashSet<VarId>,
    /// Loads whose memory is written after them, or in a loop around them.
    overwritten_loads: HashSet<VarId>,
}

struct Adjoint<'f> {
    func: &'f mut Func,
    bar: Vec<Option<Ident>>,
    plan: Plan,
    /// Adjoints declared so far in the code being emitted (pre-declared ones included).
    declared: HashSet<VarId>,
    /// Adjoints that are declared `zero()` up front, because contributions reach them from
    /// more than one region.
    predeclared: Vec<bool>,
    /// The float type of the active parameters, when they share one (always, in practice): the
    /// type of a zero adjoint that nothing else fixes.
    float: Option<Type>,
    /// Only without such a type: for an active cell whose value after the loop gets no adjoint,
    /// a primal of the cell's type in scope where the loop is reversed, whose `zero_like` starts
    /// the cell's adjoint (an untyped `zero()` fails to infer when nothing else fixes its type).
    cell_like: HashMap<VarId, VarId>,
    /// The checkpointed loops, by address: the stack of carried values and the interval.
    checkpoints: HashMap<usize, (Ident, Ident)>,
    /// Emitting the first forward sweep of a checkpointed loop: nothing is stored.
    no_push: bool,
    /// For each call lent a slice to write (by its result variable and argument): the stack that
    /// keeps the slice's values from before the call, for the callee's reverse pass.
    saved: HashMap<(VarId, usize), Ident>,
    /// Copies of state taken before calls, for their reverse passes (`ir::StateArg`).
    copies: HashSet<VarId>,
}

/// Builds `f_vjp` (or `f_grad`) from the analysed IR.
pub fn transform(func: &mut Func, out_ty: Option<&Type>, seed_from: Seed) -> Generated {
    transform_with(func, out_ty, seed_from, false)
}

/// [`transform`], with `checkpoint`: each top-level `for` loop that stores values for its
/// reverse sweep stores only its carried values every `ceil(sqrt(n))` iterations, and the
/// reverse sweep runs each segment forward again (storing) before reversing it: the stacks peak at
/// `O(sqrt(n))` values instead of `O(n)`, for one more forward pass.
///
/// Input:  `for i in it { x = step(x); }`
/// Output (forward):  `for i in it { if trip % every == 0 { ckpt.push((x_c,)); } ..no pushes.. }`
/// Output (reverse):  `for seg in (0..segments).rev() { (x_c,) = ckpt.pop();`
///                    `  for k in lo..hi { ..the body, pushing.. }  for k in (lo..hi).rev() { .. } }`
pub fn transform_with(
    func: &mut Func,
    out_ty: Option<&Type>,
    seed_from: Seed,
    checkpoint: bool,
) -> Generated {
    let n = func.vars.len();
    let bar: Vec<Option<Ident>> = (0..n)
        .map(|v| {
            func.vars[v]
                .active()
                .then(|| func.namer.adjoint(&func.vars[v].ident.clone()))
        })
        .collect();
    let float = common_float(&func.params);
    let mut a = Adjoint {
        func,
        bar,
        plan: Plan {
            region: vec![0; n],
            origin: vec![Origin::Param; n],
            contributed_in: vec![HashSet::new(); n],
            needed: vec![false; n],
            stack: vec![None; n],
            trips: HashMap::new(),
            next_region: 1,
            written: HashSet::new(),
            overwritten_loads: HashSet::new(),
        },
        declared: HashSet::new(),
        predeclared: vec![false; n],
        float,
        cell_like: HashMap::new(),
        checkpoints: HashMap::new(),
        no_push: false,
        saved: HashMap::new(),
        copies: HashSet::new(),
    };
    a.copies = Func::snapshots(&a.func.stmts);
    let stmts = std::mem::take(&mut a.func.stmts);
    a.analyse(&stmts);
    a.plan_saved(&stmts);
    if checkpoint {
        a.plan_checkpoints(&stmts);
    }

    let mut params = Vec::new();
    let mut call = crate::tangent::CallShape::default();
    // The adjoint of memory: a by-reference parameter's shadow, or a local array of zeros.
    let mut memory = TokenStream::new();
    for p in &a.func.params {
        let (ident, ty) = (&p.ident, &p.ty);
        let v = p.var.expect("parameters have variables");
        let mutability = a.func.vars[v].mutable.then(|| quote!(mut));
        params.push(quote!(#mutability #ident: #ty));
        call.args
            .push((quote!(#mutability #ident), ty.to_token_stream()));
        call.returned.push(p.active && p.kind.by_value());
        call.note(p.active, p.kind, &p.elem);
        if !p.active {
            continue;
        }
        if let Some(shadow_ty) = crate::sig::shadow_type(p.kind, ty, &p.elem) {
            let shadow = a.func.namer.tangent(ident);
            params.push(quote!(#shadow: #shadow_ty));
            call.shadows.resize(call.args.len() - 1, None);
            call.shadows.push(Some(shadow.clone()));
            a.bar[v] = Some(shadow);
            a.declared.insert(v);
        } else if let crate::sig::Kind::Array { depth } = p.kind {
            let bar = a.bar[v]
                .get_or_insert_with(|| a.func.namer.adjoint(ident))
                .clone();
            let zeros = if depth == 2 {
                crate::ir::Zeros::Array2
            } else {
                crate::ir::Zeros::Array
            };
            let z = emit::zeros(zeros, ident, None);
            memory.extend(quote!(let mut #bar = #z;));
            a.declared.insert(v);
        }
    }
    let seed = a.func.namer.seed();
    let mut body = TokenStream::new();
    match (seed_from, out_ty) {
        (Seed::Param, Some(ty)) => {
            params.push(quote!(#seed: #ty));
            call.seed = Some(seed.clone());
        }
        (Seed::One, Some(ty)) => {
            body.extend(quote!(let #seed: #ty = ::ad_runtime::one::<#ty>();));
        }
        (_, None) => {}
    }

    // The value stacks, declared once, before everything.
    for s in a.saved.values() {
        body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
    }
    for (s, _) in a.checkpoints.values() {
        body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
    }
    for s in a.plan.stack.iter().flatten() {
        body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
    }
    for (_, s) in a.plan.trips.values() {
        if let Some(s) = s {
            body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
        }
    }

    body.extend(a.forward(&stmts, 0));

    // Local arrays' adjoints start at zero, or at the seed for an array the function returns.
    let output_var = match &a.func.output {
        Some(crate::ir::Value::Scalar(Operand::Var(v))) if a.func.vars[*v].depth.is_some() => {
            Some(*v)
        }
        _ => None,
    };
    a.local_arrays(&stmts, &mut memory, output_var, &seed);
    body.extend(memory);

    // Reverse sweep of the top level, seeded at the output.
    let mut seeds = Vec::new();
    if let Some(out) = &a.func.output {
        for (path, op) in out.leaves() {
            if let Some(v) = Func::var_of(op)
                .filter(|&v| a.func.vars[v].active() && a.func.vars[v].depth.is_none())
            {
                seeds.push((v, emit::project(&seed.to_token_stream(), &path)));
            }
        }
    }
    body.extend(a.reverse(&stmts, true, &[], seeds));

    // The adjoints of the active by-value parameters.
    let mut grads = Vec::new();
    let mut grad_tys = Vec::new();
    for p in a
        .func
        .params
        .iter()
        .filter(|p| p.active && p.kind.by_value())
    {
        let v = p.var.expect("parameters have variables");
        grads.push(match &a.bar[v] {
            Some(bar) if a.declared.contains(&v) => bar.to_token_stream(),
            _ => {
                let ident = &p.ident;
                quote!(::ad_runtime::zero_like(&#ident))
            }
        });
        grad_tys.push(p.ty.clone());
    }
    let (g, g_ty) = match grads.len() {
        0 => (None, None),
        1 => (
            Some(grads.pop().expect("one")),
            Some(grad_tys.pop().expect("one").to_token_stream()),
        ),
        _ => (Some(quote!((#(#grads,)*))), Some(quote!((#(#grad_tys,)*)))),
    };
    let primal = a.func.output.as_ref().map(|o| emit::value(a.func, o));
    let (ret, tail) = match (primal, out_ty, g, g_ty) {
        (Some(v), Some(ty), Some(g), Some(g_ty)) => (quote!((#ty, #g_ty)), quote!((#v, #g))),
        (Some(v), Some(ty), None, _) => (ty.to_token_stream(), v),
        (_, _, Some(g), Some(g_ty)) => (g_ty, g),
        _ => (quote!(()), quote!(())),
    };
    body.extend(tail);
    a.func.stmts = stmts;
    Generated {
        params,
        ret,
        body,
        call,
    }
}

use crate::emit::active_args;

impl Adjoint<'_> {
    /// A zero adjoint where nothing else fixes its type: of [`Adjoint::float`] when known, else
    /// left to inference.
    fn zero(&self) -> TokenStream {
        match &self.float {
            Some(f) => quote!(::ad_runtime::zero::<#f>()),
            None => quote!(::ad_runtime::zero()),
        }
    }

    fn active(&self, op: &Operand) -> Option<VarId> {
        Func::var_of(op).filter(|&v| self.func.vars[v].active())
    }

    /// Whether statements do anything in the reverse sweep.
    fn has_work(&self, stmts: &[Stmt]) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Def { var, .. } => self.func.vars[*var].active(),
            Stmt::Inert { .. } => false,
            Stmt::If(i) => {
                i.phis.iter().any(|p| self.func.vars[p.var].active())
                    || self.has_work(&i.then)
                    || self.has_work(&i.els)
            }
            Stmt::Loop(l) => {
                l.cells.iter().any(|c| self.func.vars[c.cell].active()) || self.has_work(&l.body)
            }
            Stmt::Store { array, .. } | Stmt::Push { array, .. } => self.func.vars[*array].active(),
        })
    }

    // ---- analysis --------------------------------------------------------------------------

    fn analyse(&mut self, stmts: &[Stmt]) {
        fn written(stmts: &[Stmt], out: &mut HashSet<VarId>) {
            for s in stmts {
                match s {
                    Stmt::Store { array, .. } | Stmt::Push { array, .. } => {
                        out.insert(*array);
                    }
                    Stmt::If(i) => {
                        written(&i.then, out);
                        written(&i.els, out);
                    }
                    Stmt::Loop(l) => written(&l.body, out),
                    _ => {}
                }
            }
        }
        written(stmts, &mut self.plan.written);
        self.plan.overwritten_loads = overwritten_loads(stmts);
        self.regions(stmts, 0);
        let mut work = Vec::new();
        self.seed_needed(stmts, &mut work);
        if self.float.is_none() {
            self.cell_types(stmts, &mut work);
        }
        while let Some(v) = work.pop() {
            if std::mem::replace(&mut self.plan.needed[v], true) {
                continue;
            }
            if self.plan.region[v] == 0 {
                continue;
            }
            match self.plan.origin[v] {
                Origin::Recompute => work.extend(self.operands_of_def(stmts, v)),
                Origin::Bound(it) => work.push(it),
                Origin::Impure | Origin::Phi | Origin::CellEntry | Origin::CellAfter => {
                    let name = format!("{}_stack", crate::names::plain(&self.func.vars[v].ident));
                    self.plan.stack[v] = Some(self.func.namer.fresh(&name));
                }
                Origin::Param | Origin::Cell => {}
            }
        }
        self.trips(stmts, 0);
        for v in 0..self.func.vars.len() {
            let r = self.plan.region[v];
            self.predeclared[v] = self.bar[v].is_some()
                && self.func.vars[v].depth.is_none()
                && self.plan.contributed_in[v].iter().any(|&c| c != r);
        }
    }

    /// Chooses, for each active cell whose value after the loop is not active (so nothing has
    /// declared its adjoint when the loop is reversed), the primal its adjoint takes its type
    /// from: the cell itself for a loop at the top level (still in scope), else the value it
    /// starts from, else its value after the loop; that one becomes needed by the replay.
    fn cell_types(&mut self, stmts: &[Stmt], work: &mut Vec<VarId>) {
        for stmt in stmts {
            match stmt {
                Stmt::If(i) => {
                    self.cell_types(&i.then, work);
                    self.cell_types(&i.els, work);
                }
                Stmt::Loop(l) => {
                    for c in &l.cells {
                        if !self.func.vars[c.cell].active() || self.func.vars[c.after].active() {
                            continue;
                        }
                        let like = if self.plan.region[c.cell] == 0 {
                            c.cell
                        } else {
                            Func::var_of(&c.init).unwrap_or(c.after)
                        };
                        self.cell_like.insert(c.cell, like);
                        work.push(like);
                    }
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.cell_types(cond_stmts, work);
                    }
                    self.cell_types(&l.body, work);
                }
                _ => {}
            }
        }
    }

    fn new_region(&mut self) -> usize {
        self.plan.next_region += 1;
        self.plan.next_region - 1
    }

    /// Records where each variable is defined and how, and where contributions reach it.
    fn regions(&mut self, stmts: &[Stmt], r: usize) {
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, rhs, .. } => {
                    self.plan.region[*var] = r;
                    self.plan.origin[*var] = match rhs {
                        Rhs::Inert { pure: false, .. } => Origin::Impure,
                        // Memory written after the load (or again in a loop around it) may hold
                        // something else by the reverse sweep.
                        Rhs::Load { .. } if self.plan.overwritten_loads.contains(var) => {
                            Origin::Impure
                        }
                        // Popping again in the reverse sweep would take another value.
                        Rhs::Pop { .. } => Origin::Impure,
                        // Calling again would write the slices again, or would need the
                        // state the call saw: its result is stored instead.
                        Rhs::Call { .. }
                            if !rhs.written().is_empty() || !rhs.snapshots().is_empty() =>
                        {
                            Origin::Impure
                        }
                        _ => Origin::Recompute,
                    };
                    if self.func.vars[*var].active() {
                        let targets: Vec<VarId> = match rhs {
                            Rhs::Prim { rule, args, .. } => active_args(self.func, rule, args)
                                .into_iter()
                                .filter_map(|i| Func::var_of(&args[i]))
                                .collect(),
                            Rhs::Copy(op) | Rhs::Cast { value: op, .. } => {
                                self.active(op).into_iter().collect()
                            }
                            Rhs::Call { args, .. } => {
                                args.iter().filter_map(|a| self.active(a)).collect()
                            }
                            Rhs::Inert { .. }
                            | Rhs::Load { .. }
                            | Rhs::NewArray { .. }
                            | Rhs::Pop { .. }
                            | Rhs::Field { .. } => Vec::new(),
                        };
                        for t in targets {
                            self.plan.contributed_in[t].insert(r);
                        }
                    }
                }
                Stmt::Inert { .. } => {}
                Stmt::Store { array, value, .. } | Stmt::Push { array, value, .. } => {
                    if self.func.vars[*array].active()
                        && let Some(v) = self.active(value)
                    {
                        self.plan.contributed_in[v].insert(r);
                    }
                }
                Stmt::If(i) => {
                    let (rt, re) = (self.new_region(), self.new_region());
                    self.regions(&i.then, rt);
                    self.regions(&i.els, re);
                    for phi in &i.phis {
                        self.plan.region[phi.var] = r;
                        self.plan.origin[phi.var] = Origin::Phi;
                        if self.func.vars[phi.var].active() {
                            if let Some(t) = self.active(&phi.then) {
                                self.plan.contributed_in[t].insert(rt);
                            }
                            if let Some(e) = self.active(&phi.els) {
                                self.plan.contributed_in[e].insert(re);
                            }
                        }
                    }
                }
                Stmt::Loop(l) => {
                    let rb = self.new_region();
                    for c in &l.cells {
                        self.plan.region[c.cell] = r;
                        self.plan.origin[c.cell] = Origin::Cell;
                        self.plan.region[c.after] = r;
                        self.plan.origin[c.after] = Origin::CellAfter;
                        self.plan.region[c.entry] = rb;
                        self.plan.origin[c.entry] = Origin::CellEntry;
                        if self.func.vars[c.cell].active() {
                            if let Some(x) = self.active(&c.exit) {
                                self.plan.contributed_in[x].insert(rb);
                            }
                            if let Some(i) = self.active(&c.init) {
                                self.plan.contributed_in[i].insert(r);
                            }
                        }
                    }
                    match &l.kind {
                        LoopKind::For { iter, bound, .. } => {
                            for b in bound {
                                self.plan.region[*b] = rb;
                                self.plan.origin[*b] = Origin::Bound(*iter);
                            }
                        }
                        LoopKind::While { cond_stmts, .. } => self.regions(cond_stmts, rb),
                        LoopKind::Loop => {}
                    }
                    self.regions(&l.body, rb);
                }
            }
        }
    }

    /// The values the reverse sweep reads directly.
    fn seed_needed(&self, stmts: &[Stmt], work: &mut Vec<VarId>) {
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, rhs, .. } if self.func.vars[*var].active() => match rhs {
                    Rhs::Prim { rule, args, .. } => {
                        let active = active_args(self.func, rule, args);
                        for &i in &active {
                            if let Partial::Arg(j) = rule.partials[i] {
                                work.extend(Func::var_of(&args[j]));
                            }
                        }
                        if emit::needs_runtime(rule, active.iter().copied()) {
                            work.extend(args.iter().filter_map(Func::var_of));
                            work.push(*var);
                        }
                    }
                    Rhs::Cast { value, .. } => work.extend(Func::var_of(value)),
                    Rhs::Load { index, .. } => work.extend(index.iter().filter_map(Func::var_of)),
                    Rhs::Call { .. } => {
                        work.extend(rhs.operands().into_iter().filter_map(Func::var_of))
                    }
                    _ => {}
                },
                Stmt::Def { .. } | Stmt::Inert { .. } => {}
                Stmt::Store { array, index, .. } if self.func.vars[*array].active() => {
                    work.extend(index.iter().filter_map(Func::var_of));
                }
                Stmt::Push {
                    array,
                    index,
                    value,
                } if self.func.vars[*array].active() && self.active(value).is_some() => {
                    work.push(*index);
                }
                Stmt::Store { .. } | Stmt::Push { .. } => {}
                Stmt::If(i) => {
                    if self.has_work(std::slice::from_ref(stmt)) {
                        work.extend(Func::var_of(&i.cond));
                    }
                    self.seed_needed(&i.then, work);
                    self.seed_needed(&i.els, work);
                }
                // A `for` loop's iterator is needed through its bound variables, and to recount
                // the trips of a loop inside a region.
                Stmt::Loop(l) => {
                    if self.has_work(std::slice::from_ref(stmt))
                        && let Some(it) = self.recounted(l)
                    {
                        work.push(it);
                    }
                    self.seed_needed(&l.body, work);
                }
            }
        }
    }

    /// The operands a recomputed definition reads.
    fn operands_of_def(&self, stmts: &[Stmt], v: VarId) -> Vec<VarId> {
        fn find(stmts: &[Stmt], v: VarId) -> Option<&Rhs> {
            stmts.iter().find_map(|s| match s {
                Stmt::Def { var, rhs, .. } if *var == v => Some(rhs),
                Stmt::If(i) => find(&i.then, v).or_else(|| find(&i.els, v)),
                Stmt::Loop(l) => find(&l.body, v),
                _ => None,
            })
        }
        match find(stmts, v) {
            Some(Rhs::Inert { uses, .. }) => uses.clone(),
            Some(rhs) => rhs
                .operands()
                .into_iter()
                .filter_map(Func::var_of)
                .collect(),
            None => Vec::new(),
        }
    }

    /// A trip counter for every loop with reverse work; a stack for it when the loop is inside
    /// a region (so its counter is gone when the reverse sweep reaches it).
    fn trips(&mut self, stmts: &[Stmt], r: usize) {
        for stmt in stmts {
            match stmt {
                Stmt::If(i) => {
                    // Region numbers only matter as "top level or not" here.
                    self.trips(&i.then, r + 1);
                    self.trips(&i.els, r + 1);
                }
                Stmt::Loop(l) => {
                    if self.has_work(std::slice::from_ref(stmt)) {
                        let counter = self.func.namer.fresh("trip");
                        // A `for` loop that never breaks runs as often as its iterator yields:
                        // the reverse sweep recounts instead of storing (the iterator is needed).
                        let stack = (r != 0 && self.recounted(l).is_none())
                            .then(|| self.func.namer.fresh("trip_stack"));
                        self.plan.trips.insert(key(l), (counter, stack));
                    }
                    self.trips(&l.body, r + 1);
                }
                _ => {}
            }
        }
    }

    /// Declares the adjoints of active local arrays (created at the top level).
    fn local_arrays(
        &mut self,
        stmts: &[Stmt],
        out: &mut TokenStream,
        output: Option<VarId>,
        seed: &Ident,
    ) {
        for stmt in stmts {
            if let Stmt::Def {
                var,
                rhs: Rhs::NewArray { zeros, .. },
                ..
            } = stmt
                && let Some(bar) = self.bar[*var].clone()
            {
                let start = if output == Some(*var) {
                    seed.to_token_stream()
                } else {
                    emit::zeros(*zeros, &self.func.vars[*var].ident, None)
                };
                out.extend(quote!(let mut #bar = #start;));
                self.declared.insert(*var);
            }
        }
        // A by-value array parameter returned as it is: its adjoint starts with the seed too.
        if let Some(v) = output
            && let Some(bar) = self.bar[v].clone()
            && self.func.params.iter().any(|p| p.var == Some(v))
        {
            out.extend(quote!(#bar = #seed;));
        }
    }

    /// The iterator of a `for` loop whose trip count the reverse sweep can recount: the loop
    /// never breaks and its iterator can be recomputed (or is at the top level).
    fn recounted(&self, l: &Loop) -> Option<VarId> {
        match &l.kind {
            LoopKind::For { iter, .. }
                if l.exit.is_none()
                    && (self.plan.region[*iter] == 0
                        || self.plan.origin[*iter] == Origin::Recompute) =>
            {
                Some(*iter)
            }
            _ => None,
        }
    }

    // ---- forward sweep -----------------------------------------------------------------------

    fn push_if_stored(&self, v: VarId) -> TokenStream {
        match &self.plan.stack[v] {
            Some(s) if !self.no_push => {
                let ident = &self.func.vars[v].ident;
                quote!(#s.push(::core::clone::Clone::clone(&#ident));)
            }
            _ => TokenStream::new(),
        }
    }

    /// Chooses the loops to checkpoint: at the top level, `for` loops without `break` whose
    /// reverse sweep pops stored values and whose body writes no array (the carried values are
    /// then the whole state of an iteration).
    /// A stack for each slice an active call is lent to write.
    fn plan_saved(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s {
                Stmt::Def {
                    var,
                    rhs: Rhs::Call { memory, .. },
                    ..
                } if self.func.vars[*var].active() => {
                    for (k, m) in memory.iter().enumerate() {
                        if m.as_ref().is_some_and(|m| m.mutable) {
                            let stack = self.func.namer.fresh("saved");
                            self.saved.insert((*var, k), stack);
                        }
                    }
                }
                Stmt::If(i) => {
                    self.plan_saved(&i.then);
                    self.plan_saved(&i.els);
                }
                Stmt::Loop(l) => {
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        self.plan_saved(cond_stmts);
                    }
                    self.plan_saved(&l.body);
                }
                _ => {}
            }
        }
    }

    fn plan_checkpoints(&mut self, stmts: &[Stmt]) {
        // Writes to memory, code that may change state in place (`p.swap(i, j)`, `idx[k] = ..`,
        // a call lent `&mut idx`), and values that cannot be evaluated twice (a load of memory
        // written later, a pop): a segment run again from a checkpoint would see the state as
        // it is at the end, not as it was.
        fn unrepeatable(a: &Adjoint, stmts: &[Stmt]) -> bool {
            let changes = |uses: &[VarId]| uses.iter().any(|&v| a.func.changes_in_place(v));
            stmts.iter().any(|s| match s {
                Stmt::Store { .. } | Stmt::Push { .. } => true,
                Stmt::Def { var, rhs, .. } => {
                    a.plan.origin[*var] == Origin::Impure
                        || !rhs.written().is_empty()
                        || !rhs.snapshots().is_empty()
                }
                Stmt::Inert { uses, .. } => changes(uses),
                Stmt::If(i) => unrepeatable(a, &i.then) || unrepeatable(a, &i.els),
                Stmt::Loop(l) => {
                    unrepeatable(a, &l.body)
                        || matches!(&l.kind, LoopKind::While { cond_stmts, .. } if unrepeatable(a, cond_stmts))
                }
            })
        }
        fn stacked(a: &Adjoint, stmts: &[Stmt]) -> bool {
            stmts.iter().any(|s| match s {
                Stmt::Def { var, .. } => a.plan.stack[*var].is_some(),
                Stmt::If(i) => {
                    i.phis.iter().any(|p| a.plan.stack[p.var].is_some())
                        || stacked(a, &i.then)
                        || stacked(a, &i.els)
                }
                Stmt::Loop(l) => {
                    l.cells.iter().any(|c| a.plan.stack[c.entry].is_some()) || stacked(a, &l.body)
                }
                _ => false,
            })
        }
        for s in stmts {
            if let Stmt::Loop(l) = s
                && matches!(l.kind, LoopKind::For { .. })
                && l.exit.is_none()
                && self.plan.trips.contains_key(&key(l))
                && !unrepeatable(self, &l.body)
                && stacked(self, std::slice::from_ref(s))
            {
                let stack = self.func.namer.fresh("checkpoints");
                let every = self.func.namer.fresh("every");
                self.checkpoints.insert(key(l), (stack, every));
            }
        }
    }

    fn forward(&mut self, stmts: &[Stmt], r: usize) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, ty, rhs } => {
                    // What a call will overwrite, kept for its reverse pass.
                    if let Rhs::Call { args, memory, .. } = rhs {
                        for (k, (a, m)) in args.iter().zip(memory).enumerate() {
                            if let (Some(s), Some(m)) = (self.saved.get(&(*var, k)), m) {
                                let slice = emit::slice_of(
                                    self.func,
                                    &emit::operand(self.func, a),
                                    m,
                                    false,
                                );
                                out.extend(quote!(#s.push_slice(#slice);));
                            }
                        }
                    }
                    // A copy of state for a call's reverse pass: taken only when that pass
                    // runs, and moved straight onto its stack when it is stored.
                    if self.copies.contains(var) {
                        if !self.plan.needed[*var] {
                            continue;
                        }
                        if let (Some(s), false) = (&self.plan.stack[*var], self.no_push) {
                            let copy = emit::primal_rhs(self.func, rhs);
                            out.extend(quote!(#s.push(#copy);));
                            continue;
                        }
                    }
                    out.extend(emit::def(self.func, *var, ty.as_ref(), rhs));
                    out.extend(self.push_if_stored(*var));
                }
                Stmt::Inert { tokens, .. } => out.extend(tokens.clone()),
                Stmt::If(i) => {
                    out.extend(self.forward_if(i, r));
                    for phi in &i.phis {
                        out.extend(self.push_if_stored(phi.var));
                    }
                }
                Stmt::Loop(l) => out.extend(self.forward_loop(l, r)),
                Stmt::Store {
                    array,
                    index,
                    value,
                    add,
                } => {
                    let a = self.func.vars[*array].ident.to_token_stream();
                    let slot = emit::element(&a, &emit::index(self.func, index));
                    let v = emit::operand(self.func, value);
                    out.extend(emit::store(&slot, &v, *add));
                }
                Stmt::Push { array, value, .. } => {
                    let a = &self.func.vars[*array].ident;
                    let v = emit::operand(self.func, value);
                    out.extend(quote!(#a.push(#v);));
                }
            }
        }
        out
    }

    fn forward_if(&mut self, i: &If, r: usize) -> TokenStream {
        let cond = emit::operand(self.func, &i.cond);
        let then = self.forward(&i.then, r + 1);
        let els = self.forward(&i.els, r + 1);
        if i.phis.is_empty() {
            return quote!(if #cond { #then } else { #els });
        }
        let names = i.phis.iter().map(|p| {
            let v = &self.func.vars[p.var];
            let ident = &v.ident;
            let mutability = v.mutable.then(|| quote!(mut));
            quote!(#mutability #ident)
        });
        let t: Vec<_> = i
            .phis
            .iter()
            .map(|p| emit::operand(self.func, &p.then))
            .collect();
        let e: Vec<_> = i
            .phis
            .iter()
            .map(|p| emit::operand(self.func, &p.els))
            .collect();
        quote!(let (#(#names,)*) = if #cond { #then (#(#t,)*) } else { #els (#(#e,)*) };)
    }

    /// What an iteration does with the loop's cells: read them at the top (and store what the
    /// reverse sweep pops), write them back at the bottom.
    fn cell_moves(&self, l: &Loop) -> (TokenStream, TokenStream, TokenStream) {
        let (mut entry, mut pushes, mut write_back) = Default::default();
        for c in &l.cells {
            let cell = &self.func.vars[c.cell].ident;
            let (e, exit) = (
                &self.func.vars[c.entry].ident,
                emit::operand(self.func, &c.exit),
            );
            TokenStream::extend(&mut entry, quote!(let #e = #cell;));
            TokenStream::extend(&mut write_back, quote!(#cell = #exit;));
            TokenStream::extend(&mut pushes, self.push_if_stored(c.entry));
        }
        (entry, pushes, write_back)
    }

    fn forward_loop(&mut self, l: &Loop, r: usize) -> TokenStream {
        let mut before = TokenStream::new();
        let mut after = TokenStream::new();
        for c in &l.cells {
            let cell = &self.func.vars[c.cell].ident;
            let init = emit::operand(self.func, &c.init);
            let a = &self.func.vars[c.after].ident;
            before.extend(quote!(let mut #cell = #init;));
            after.extend(quote!(let #a = #cell;));
            after.extend(self.push_if_stored(c.after));
        }
        let trip = self.plan.trips.get(&key(l)).cloned();
        let checkpoint = self.checkpoints.get(&key(l)).cloned();
        // A checkpointed loop stores nothing on its first forward sweep.
        let outer_no_push = self.no_push;
        self.no_push |= checkpoint.is_some();
        let (entry, pushes, write_back) = self.cell_moves(l);
        let mut count = trip.as_ref().map(|(t, _)| quote!(#t += 1;));
        if let (Some((s, every)), Some((t, _)), LoopKind::For { iter, .. }) =
            (&checkpoint, &trip, &l.kind)
        {
            let it = &self.func.vars[*iter].ident;
            let cells = l.cells.iter().map(|c| &self.func.vars[c.cell].ident);
            before.extend(quote!(
                let #every = ::ad_runtime::checkpoint_interval(
                    ::core::iter::Iterator::size_hint(&#it).0
                );
            ));
            count = Some(quote! {
                if #t % #every == 0 { #s.push((#(#cells,)*)); }
                #t += 1;
            });
        }
        if let Some((t, stack)) = &trip {
            before.extend(quote!(let mut #t: usize = 0;));
            if let Some(s) = stack {
                after.extend(quote!(#s.push(#t);));
            }
        }
        let body = self.forward(&l.body, r + 1);
        self.no_push = outer_no_push;
        let exit = l.exit.as_ref().map(|e| {
            let e = emit::operand(self.func, e);
            quote!(if #e { break; })
        });
        let looped = match &l.kind {
            LoopKind::For { pat, iter, .. } => {
                let it = &self.func.vars[*iter].ident;
                // Room at once for every value an iteration stores, when the iterator knows its
                // length.
                let mut stored: Vec<VarId> = l.cells.iter().map(|c| c.entry).collect();
                stored.extend(defined_directly(&l.body));
                for v in stored {
                    if let Some(s) = &self.plan.stack[v]
                        && checkpoint.is_none()
                    {
                        before
                            .extend(quote!(#s.reserve(::core::iter::Iterator::size_hint(&#it).0);));
                    }
                }
                let source = if trip.is_some() {
                    quote!(::core::clone::Clone::clone(&#it))
                } else {
                    quote!(#it)
                };
                quote!(for #pat in #source { #entry #count #pushes #body #write_back #exit })
            }
            LoopKind::While { cond_stmts, cond } => {
                let cs = self.forward(cond_stmts, r + 1);
                let cond = emit::operand(self.func, cond);
                quote!(loop { #entry #cs if !(#cond) { break; } #count #pushes #body #write_back #exit })
            }
            LoopKind::Loop => quote!(loop { #entry #count #pushes #body #write_back #exit }),
        };
        quote!(#before #looped #after)
    }

    // ---- replay --------------------------------------------------------------------------------

    /// Recomputes (or pops) the values of a region that its reverse sweep needs, in forward
    /// order. Runs once per activation of the region.
    fn replay(&self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        let pop = |v: VarId| -> Option<TokenStream> {
            let s = self.plan.stack[v].as_ref()?;
            let ident = &self.func.vars[v].ident;
            let mutability = self.func.vars[v].mutable.then(|| quote!(mut));
            Some(quote!(let #mutability #ident = #s.pop();))
        };
        for stmt in stmts {
            match stmt {
                Stmt::Def { var, ty, rhs } if self.plan.needed[*var] => match pop(*var) {
                    Some(p) => out.extend(p),
                    None => out.extend(emit::def(self.func, *var, ty.as_ref(), rhs)),
                },
                Stmt::If(i) => {
                    for phi in &i.phis {
                        out.extend(pop(phi.var));
                    }
                }
                Stmt::Loop(l) => {
                    for c in &l.cells {
                        out.extend(pop(c.after));
                    }
                }
                _ => {}
            }
        }
        out
    }

    // ---- reverse sweep -----------------------------------------------------------------------

    /// Adds `expr` into the adjoint of `v`, declaring it on first use.
    fn contribute(
        &mut self,
        v: VarId,
        expr: TokenStream,
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        let bar = self.bar[v]
            .clone()
            .expect("contributions go to active variables");
        if self.predeclared[v] {
            out.extend(quote!(::ad_runtime::accumulate(&mut #bar, #expr);));
        } else if self.declared.contains(&v) {
            out.extend(quote!(#bar = #bar + #expr;));
        } else {
            self.declared.insert(v);
            let mutability = (counts.get(&v).copied().unwrap_or(0) > 1).then(|| quote!(mut));
            out.extend(quote!(let #mutability #bar = #expr;));
        }
    }

    /// The adjoint of `v` as an expression, or `None` when nothing has reached it.
    fn bar_of(&self, v: VarId) -> Option<TokenStream> {
        self.bar[v]
            .as_ref()
            .filter(|_| self.declared.contains(&v))
            .map(ToTokens::to_token_stream)
    }

    /// How many contributions each variable gets directly in this list of statements (not in
    /// nested regions): one contribution is a plain `let`, more need `mut`.
    fn count(&self, stmts: &[Stmt], seeds: &[(VarId, TokenStream)]) -> HashMap<VarId, usize> {
        let mut counts: HashMap<VarId, usize> = HashMap::new();
        for (v, _) in seeds {
            *counts.entry(*v).or_default() += 1;
        }
        for stmt in stmts {
            let targets: Vec<VarId> = match stmt {
                Stmt::Def { var, rhs, .. } if self.func.vars[*var].active() => match rhs {
                    Rhs::Prim { rule, args, .. } => active_args(self.func, rule, args)
                        .into_iter()
                        .filter_map(|i| Func::var_of(&args[i]))
                        .collect(),
                    Rhs::Copy(op) | Rhs::Cast { value: op, .. } => {
                        self.active(op).into_iter().collect()
                    }
                    Rhs::Call { args, .. } => args.iter().filter_map(|a| self.active(a)).collect(),
                    Rhs::Inert { .. }
                    | Rhs::Load { .. }
                    | Rhs::NewArray { .. }
                    | Rhs::Pop { .. }
                    | Rhs::Field { .. } => Vec::new(),
                },
                Stmt::Loop(l) => l
                    .cells
                    .iter()
                    .filter(|c| self.func.vars[c.cell].active())
                    .filter_map(|c| self.active(&c.init))
                    .collect(),
                Stmt::Store { array, value, .. } | Stmt::Push { array, value, .. }
                    if self.func.vars[*array].active() =>
                {
                    self.active(value).into_iter().collect()
                }
                _ => Vec::new(),
            };
            for t in targets {
                *counts.entry(t).or_default() += 1;
            }
        }
        counts
    }

    /// The reverse sweep of a region: `seeds` are contributions that arrive first (the output
    /// at the top level, the φ values at the end of a branch, the cells at the end of a body).
    fn reverse(
        &mut self,
        stmts: &[Stmt],
        top: bool,
        entries: &[VarId],
        seeds: Vec<(VarId, TokenStream)>,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        // Adjoints that contributions reach from more than one region start at zero here, where
        // their variable is defined.
        let mut own: Vec<VarId> = (0..self.func.vars.len())
            .filter(|&v| {
                self.predeclared[v]
                    && (entries.contains(&v)
                        || self.defined_by(stmts, v)
                        || (top && self.plan.origin[v] == Origin::Param))
            })
            .collect();
        own.sort_unstable();
        for v in own {
            let bar = self.bar[v].clone().expect("predeclared adjoints exist");
            let zero = if top {
                let ident = &self.func.vars[v].ident;
                quote!(::ad_runtime::zero_like(&#ident))
            } else {
                self.zero()
            };
            out.extend(quote!(let mut #bar = #zero;));
            self.declared.insert(v);
        }
        let counts = self.count(stmts, &seeds);
        for (v, expr) in seeds {
            self.contribute(v, expr, &mut out, &counts);
        }
        for stmt in stmts.iter().rev() {
            match stmt {
                Stmt::Def { var, rhs, .. } => self.reverse_def(*var, rhs, &mut out, &counts),
                Stmt::Inert { .. } => {}
                Stmt::If(i) => {
                    if self.has_work(std::slice::from_ref(stmt)) {
                        out.extend(self.reverse_if(i));
                    }
                }
                Stmt::Loop(l) => {
                    if self.has_work(std::slice::from_ref(stmt)) {
                        out.extend(self.reverse_loop(l, &counts));
                    }
                }
                Stmt::Store {
                    array,
                    index,
                    value,
                    add,
                } => {
                    let Some(a_bar) = self.bar[*array].clone() else {
                        continue;
                    };
                    let slot =
                        emit::element(&a_bar.to_token_stream(), &emit::index(self.func, index));
                    let target = self.active(value);
                    if *add {
                        if let Some(v) = target {
                            self.contribute(v, slot, &mut out, &counts);
                        }
                    } else {
                        // The value stored takes the slot's adjoint; what was there before is
                        // overwritten, so its adjoint is zero.
                        let t = self.func.namer.fresh("slot_bar");
                        out.extend(quote!(let #t = #slot; #slot = ::ad_runtime::zero();));
                        if let Some(v) = target {
                            self.contribute(v, t.to_token_stream(), &mut out, &counts);
                        }
                    }
                }
                Stmt::Push {
                    array,
                    index,
                    value,
                } => {
                    let (Some(a_bar), Some(v)) = (self.bar[*array].clone(), self.active(value))
                    else {
                        continue;
                    };
                    let i = &self.func.vars[*index].ident;
                    self.contribute(v, quote!(#a_bar[#i]), &mut out, &counts);
                }
            }
        }
        out
    }

    /// Whether `v` is defined directly by these statements (not inside a nested region).
    fn defined_by(&self, stmts: &[Stmt], v: VarId) -> bool {
        stmts.iter().any(|s| match s {
            Stmt::Def { var, .. } => *var == v,
            Stmt::If(i) => i.phis.iter().any(|p| p.var == v),
            Stmt::Loop(l) => l.cells.iter().any(|c| c.after == v),
            Stmt::Inert { .. } | Stmt::Store { .. } | Stmt::Push { .. } => false,
        })
    }

    fn reverse_def(
        &mut self,
        var: VarId,
        rhs: &Rhs,
        out: &mut TokenStream,
        counts: &HashMap<VarId, usize>,
    ) {
        if !self.func.vars[var].active() {
            return;
        }
        // A call that writes slices runs its reverse pass even when its result has no adjoint
        // (a function without a result takes any seed and ignores it).
        let bar = match self.bar_of(var) {
            Some(bar) => bar,
            None if !rhs.written().is_empty() => quote!(::ad_runtime::Zero),
            None => return,
        };
        match rhs {
            // Stacks exist only in generated reverse-mode code; reverse over reverse is not a
            // mode the macros offer.
            Rhs::Pop { .. } | Rhs::Field { .. } => out.extend(quote!(::core::compile_error!(
                "reverse mode through a stack pop or a field of a call's tuple is not supported"
            );)),
            Rhs::Prim { rule, args, .. } => {
                let arg_tokens: Vec<TokenStream> =
                    args.iter().map(|a| emit::operand(self.func, a)).collect();
                let active = active_args(self.func, rule, args);
                let ident = self.func.vars[var].ident.clone();
                let partials =
                    emit::bind_partials(self.func, rule, &arg_tokens, &ident, &active, out);
                for j in active {
                    let f = emit::factor(rule, j, &arg_tokens, partials.as_ref());
                    let target = Func::var_of(&args[j]).expect("active arguments are variables");
                    self.contribute(target, f.times(&bar), out, counts);
                }
            }
            Rhs::Copy(op) => {
                if let Some(t) = self.active(op) {
                    self.contribute(t, bar, out, counts);
                }
            }
            Rhs::Cast { value, .. } => {
                if let Some(t) = self.active(value) {
                    let src = emit::operand(self.func, value);
                    self.contribute(t, quote!(::ad_runtime::cast_like(&#src, #bar)), out, counts);
                }
            }
            Rhs::Load { array, index } => {
                if let Some(a_bar) = self.bar[*array].clone() {
                    let slot =
                        emit::element(&a_bar.to_token_stream(), &emit::index(self.func, index));
                    out.extend(quote!(#slot = #slot + #bar;));
                }
            }
            Rhs::Call {
                callee,
                args,
                memory,
                state,
                span,
            } => {
                // The callee's companion pulls the adjoint back to every argument at once: into
                // the shadows of slices, and as returned adjoints for scalars. State the function
                // changes in place is passed as the copy taken before the call.
                let f = callee.tokens(Some("_derive_grad"));
                let mut primals = emit::call_args(self.func, args, memory, state, true);
                // A slice the call writes: the callee's reverse pass starts again from its values
                // before the call, kept on a stack.
                let mut dropped = TokenStream::new();
                for (k, (a, m)) in args.iter().zip(memory).enumerate() {
                    if let (Some(s), Some(m)) = (self.saved.get(&(var, k)), m) {
                        let n = self.func.namer.fresh("saved_len");
                        let slice =
                            emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                        out.extend(quote!(let #n = (#slice).len();));
                        primals[k] = quote!(#s.last_mut(#n));
                        dropped.extend(quote!(#s.drop_last(#n);));
                    }
                }
                // An array passed twice cannot lend its adjoint twice: later occurrences collect
                // into a scratch slice, added in after the call.
                let mut lent = HashSet::new();
                let mut after = TokenStream::new();
                let mut shadows = Vec::new();
                for (a, m) in args.iter().zip(memory) {
                    shadows.push(match (m, self.active(a).and_then(|v| self.bar[v].clone().map(|b| (v, b)))) {
                        (Some(m), Some((v, b))) => {
                            // A read-only slice parameter's shadow may be a sink (in a
                            // companion whose caller passed `Zero`): it lends through `Shadow`.
                            let param = self.func.is_slice_param(v);
                            let range = emit::range_of(self.func, m);
                            if lent.insert(v) {
                                if param {
                                    quote!(::ad_runtime::Shadow::lend(&mut *#b, #range))
                                } else {
                                    quote!(&mut #b[#range])
                                }
                            } else {
                                let scratch = self.func.namer.fresh("scratch");
                                let primal = emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                                out.extend(quote!(let mut #scratch = ::ad_runtime::zeros_vec(#primal);));
                                after.extend(if param {
                                    quote!(::ad_runtime::Shadow::add_from(&mut *#b, #range, &#scratch);)
                                } else {
                                    quote!(::ad_runtime::add_into(&mut #b[#range], &#scratch);)
                                });
                                quote!(&mut #scratch[..])
                            }
                        }
                        // A written slice without an adjoint of its own still needs room: the
                        // callee's reverse pass reads it.
                        (Some(m), None) if m.mutable => {
                            let primal = emit::slice_of(self.func, &emit::operand(self.func, a), m, false);
                            quote!(&mut ::ad_runtime::zeros_vec(#primal)[..])
                        }
                        (Some(_), None) | (None, _) => quote!(::ad_runtime::Zero),
                    });
                }
                let adj = self.func.namer.fresh("call_adjoints");
                out.extend(quote::quote_spanned!(*span=>
                    let (_, #adj) = #f((#(#primals,)*), (#(#shadows,)*), #bar);
                ));
                out.extend(dropped);
                out.extend(after);
                for (k, a) in args.iter().enumerate() {
                    if memory[k].is_some() {
                        continue;
                    }
                    if let Some(t) = self.active(a) {
                        let k = syn::Index::from(k);
                        self.contribute(t, quote!(#adj.#k), out, counts);
                    }
                }
            }
            Rhs::Inert { .. } | Rhs::NewArray { .. } => {}
        }
    }

    /// `if c { replay(A); φ contributions; reverse(A) } else { .. }`
    fn reverse_if(&mut self, i: &If) -> TokenStream {
        let cond = emit::operand(self.func, &i.cond);
        let mut sides = Vec::new();
        for (branch, then) in [(&i.then, true), (&i.els, false)] {
            let seeds: Vec<(VarId, TokenStream)> = i
                .phis
                .iter()
                .filter_map(|p| {
                    let phi_bar = self.bar_of(p.var)?;
                    let op = if then { &p.then } else { &p.els };
                    Some((self.active(op)?, phi_bar))
                })
                .collect();
            let replay = self.replay(branch);
            let declared = self.declared.clone();
            let reverse = self.reverse(branch, false, &[], seeds);
            // Adjoints declared inside the branch end with it.
            self.declared = declared;
            sides.push(quote!(#replay #reverse));
        }
        let (t, e) = (&sides[0], &sides[1]);
        quote!(if #cond { #t } else { #e })
    }

    fn reverse_loop(&mut self, l: &Loop, counts: &HashMap<VarId, usize>) -> TokenStream {
        let mut out = TokenStream::new();
        let active_cells: Vec<_> = l
            .cells
            .iter()
            .filter(|c| self.func.vars[c.cell].active())
            .collect();
        let mut cell_bars = Vec::new();
        for c in &active_cells {
            let cb = self.bar[c.cell]
                .clone()
                .expect("active cells have adjoints");
            let start = self
                .bar_of(c.after)
                .unwrap_or_else(|| match self.cell_like.get(&c.cell) {
                    Some(&like) => {
                        let like = &self.func.vars[like].ident;
                        quote!(::ad_runtime::zero_like(&#like))
                    }
                    None => self.zero(),
                });
            out.extend(quote!(let mut #cb = #start;));
            cell_bars.push(cb);
        }
        let (trip, stack) = self
            .plan
            .trips
            .get(&key(l))
            .cloned()
            .expect("loops with work count trips");
        if let Some(s) = &stack {
            out.extend(quote!(let #trip: usize = #s.pop();));
        } else if let Some(it) = self.recounted(l)
            && self.plan.region[it] != 0
        {
            let it = &self.func.vars[it].ident;
            out.extend(quote!(let #trip: usize = ::ad_runtime::trip_count(&#it);));
        }
        let k = self.func.namer.fresh("k");
        let mut iteration = TokenStream::new();
        if let LoopKind::For { pat, iter, bound } = &l.kind
            && bound.iter().any(|&b| self.plan.needed[b])
        {
            let it = &self.func.vars[*iter].ident;
            iteration.extend(quote!(let #pat = ::ad_runtime::nth(&#it, #k);));
        }
        for c in &l.cells {
            if let Some(s) = &self.plan.stack[c.entry] {
                let e = &self.func.vars[c.entry].ident;
                iteration.extend(quote!(let #e = #s.pop();));
            }
        }
        iteration.extend(self.replay(&l.body));
        let seeds: Vec<(VarId, TokenStream)> = active_cells
            .iter()
            .zip(&cell_bars)
            .filter_map(|(c, cb)| Some((self.active(&c.exit)?, cb.to_token_stream())))
            .collect();
        let declared = self.declared.clone();
        let entries: Vec<VarId> = l.cells.iter().map(|c| c.entry).collect();
        iteration.extend(self.reverse(&l.body, false, &entries, seeds));
        // What reached the top of the iteration goes to the previous one.
        for (c, cb) in active_cells.iter().zip(&cell_bars) {
            let next = self.bar_of(c.entry).unwrap_or_else(|| self.zero());
            iteration.extend(quote!(#cb = #next;));
        }
        self.declared = declared;
        match (self.checkpoints.get(&key(l)).cloned(), &l.kind) {
            (Some((s, every)), LoopKind::For { pat, iter, .. }) => {
                // Each segment: its carried values restored, run forward again storing what
                // its reverse sweep pops, then reversed.
                let it = self.func.vars[*iter].ident.clone();
                let cells: Vec<Ident> = l
                    .cells
                    .iter()
                    .map(|c| self.func.vars[c.cell].ident.clone())
                    .collect();
                let (entry, pushes, write_back) = self.cell_moves(l);
                let body = self.forward(&l.body, 1);
                let seg = self.func.namer.fresh("segment");
                let (lo, hi) = (self.func.namer.fresh("lo"), self.func.namer.fresh("hi"));
                let restored = self.func.namer.fresh("restored");
                let assign = cells.iter().enumerate().map(|(i, c)| {
                    let i = syn::Index::from(i);
                    quote!(#c = #restored.#i;)
                });
                out.extend(quote! {
                    for #seg in (0..#trip.div_ceil(#every)).rev() {
                        let #restored = #s.pop();
                        #(#assign)*
                        let #lo = #seg * #every;
                        let #hi = ::core::cmp::min(#trip, #lo + #every);
                        for #k in #lo..#hi {
                            let #pat = ::ad_runtime::nth(&#it, #k);
                            #entry #pushes #body #write_back
                        }
                        for #k in (#lo..#hi).rev() { #iteration }
                    }
                });
            }
            _ => out.extend(quote!(for #k in (0..#trip).rev() { #iteration })),
        }
        for (c, cb) in active_cells.iter().zip(&cell_bars) {
            if let Some(i) = self.active(&c.init) {
                self.contribute(i, cb.to_token_stream(), &mut out, counts);
            }
        }
        out
    }
}

/// The float type all active parameters share, if they share one.
fn common_float(params: &[crate::ir::Param]) -> Option<Type> {
    let mut active = params.iter().filter(|p| p.active).map(|p| &p.elem);
    let first = active.next()?;
    let key = |t: &Type| t.to_token_stream().to_string();
    active.all(|t| key(t) == key(first)).then(|| first.clone())
}

/// The loads a later write (in program order, or in a loop around the load) may invalidate.
fn overwritten_loads(stmts: &[Stmt]) -> HashSet<VarId> {
    overwritten(stmts).0
}

/// Memory passed to calls that a later write may change: the callee's reverse pass would read
/// other values than its forward pass did. Reverse mode refuses these (their spans).
pub fn overwritten_call_args(stmts: &[Stmt]) -> Vec<proc_macro2::Span> {
    overwritten(stmts).1
}

/// Reads of memory (loads, and memory passed to calls) that a write later in program order, or
/// in a loop around the read, may invalidate.
fn overwritten(stmts: &[Stmt]) -> (HashSet<VarId>, Vec<proc_macro2::Span>) {
    #[derive(Default)]
    struct Scan {
        seq: usize,
        /// The `[start, end]` positions of the loops around the current statement.
        open: Vec<usize>,
        loops: Vec<(usize, usize)>,
        /// `(load, array, position, starts of the loops around it)`.
        loads: Vec<(VarId, VarId, usize, Vec<usize>)>,
        /// Memory passed to calls: `(span, array, position, loops around)`.
        passed: Vec<(proc_macro2::Span, VarId, usize, Vec<usize>)>,
        writes: Vec<(VarId, usize)>,
    }
    fn walk(stmts: &[Stmt], s: &mut Scan) {
        for stmt in stmts {
            s.seq += 1;
            match stmt {
                Stmt::Def {
                    var,
                    rhs: Rhs::Load { array, .. },
                    ..
                } => {
                    s.loads.push((*var, *array, s.seq, s.open.clone()));
                }
                Stmt::Def {
                    rhs: Rhs::Call { args, memory, .. },
                    ..
                } => {
                    // A slice lent to be written is kept for the callee's reverse pass (so later
                    // writes do not matter to it), and is itself a write.
                    for (a, m) in args.iter().zip(memory) {
                        match (m, a) {
                            (Some(m), Operand::Var(array)) if m.mutable => {
                                s.writes.push((*array, s.seq))
                            }
                            (Some(m), Operand::Var(array)) => {
                                s.passed.push((m.span, *array, s.seq, s.open.clone()))
                            }
                            _ => {}
                        }
                    }
                }
                Stmt::Store { array, .. } | Stmt::Push { array, .. } => {
                    s.writes.push((*array, s.seq))
                }
                Stmt::If(i) => {
                    walk(&i.then, s);
                    walk(&i.els, s);
                }
                Stmt::Loop(l) => {
                    let start = s.seq;
                    s.open.push(start);
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        walk(cond_stmts, s);
                    }
                    walk(&l.body, s);
                    s.open.pop();
                    s.loops.push((start, s.seq));
                }
                _ => {}
            }
        }
    }
    let mut s = Scan::default();
    walk(stmts, &mut s);
    let span = |start: usize| {
        s.loops
            .iter()
            .find(|(a, _)| *a == start)
            .copied()
            .unwrap_or((start, start))
    };
    let invalidated = |array: VarId, at: usize, around: &[usize]| {
        s.writes.iter().any(|&(w, ws)| {
            w == array
                && (ws > at
                    || around.iter().any(|&l| {
                        let (a, b) = span(l);
                        (a..=b).contains(&ws)
                    }))
        })
    };
    let loads = s
        .loads
        .iter()
        .filter(|(_, array, at, around)| invalidated(*array, *at, around))
        .map(|(v, ..)| *v)
        .collect();
    let passed = s
        .passed
        .iter()
        .filter(|(_, array, at, around)| invalidated(*array, *at, around))
        .map(|(sp, ..)| *sp)
        .collect();
    (loads, passed)
}

/// The variables a list of statements defines itself (not inside nested regions).
fn defined_directly(stmts: &[Stmt]) -> Vec<VarId> {
    let mut out = Vec::new();
    for s in stmts {
        match s {
            Stmt::Def { var, .. } => out.push(*var),
            Stmt::If(i) => out.extend(i.phis.iter().map(|p| p.var)),
            Stmt::Loop(l) => out.extend(l.cells.iter().map(|c| c.after)),
            _ => {}
        }
    }
    out
}

/// A loop's identity for the plan: its address, stable while the IR is borrowed.
fn key(l: &Loop) -> usize {
    std::ptr::from_ref(l) as usize
}
