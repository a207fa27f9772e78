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
//!
//! One `impl Adjoint` in eight files: `plan` (what is stored, before any code is written),
//! `reload` (stored values read again from memory instead),
//! `in_order` (the loops whose reverse sweep runs first to last, recomputing what they carry),
//! `fused` (the loop whose reverse sweep runs inside it, iteration by iteration), `selected`
//! (the running minimum or maximum whose reverse sweep runs one iteration),
//! `forward` (the forward sweep and the replay), `reverse` (the reverse sweep), `checkpoint`
//! (which loops are checkpointed). The child modules share this module's imports.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::Type;

use crate::analysis::overwritten::overwritten_loads;
use crate::emit;
use crate::emit::active_args;
use crate::ir::Generated;
use crate::ir::{CallShape, Cell, Func, If, Loop, LoopKind, Operand, Rhs, Stmt, VarId};
use crate::rules::{Partial, Reads};

mod checkpoint;
mod forward;
mod fused;
mod in_order;
mod plan;
mod reload;
mod reverse;
mod seeded;
mod selected;

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
    /// The entry of a value without derivative carried by a loop reversed in order: computed
    /// again from the value the loop starts with and each iteration's exit (`in_order.rs`).
    Carried,
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
    /// Calls given memory that a later write changes: their results are stored, not
    /// recomputed (a call again would read the new values).
    saved_reads: HashSet<VarId>,
    /// The loops reversed in their own order, by address (`in_order.rs`).
    in_order: HashSet<usize>,
    /// For each `Carried` entry: the variables it is computed from (the loop's start value and
    /// the iteration's exit).
    carried: HashMap<VarId, Vec<VarId>>,
    /// The loop fused with its reverse sweep (`fused.rs`).
    fused: Option<fused::Fused>,
    /// The branches on the way to it, by address: their arms are live.
    fused_branches: HashSet<usize>,
    /// The regions whose values are still in scope when their reverse sweep runs: the top level
    /// (0), the body of the fused loop and the arms of the branches on the way to it. Nothing
    /// defined in them is stored.
    live: HashSet<usize>,
    /// The loop (by address) whose body each loop-body region is.
    loop_bodies: HashMap<usize, usize>,
    /// The regions inside each loop (by address): its body's and those nested in it.
    loop_regions: HashMap<usize, std::ops::Range<usize>>,
    /// The selection loops, by address, with their bookkeeping (`selected.rs`).
    selected: HashMap<usize, selected::Selected>,
    /// Needed values read again from memory in the replay, with the array and the index
    /// (`reload.rs`).
    reload: HashMap<VarId, (VarId, VarId)>,
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
    /// The local arrays a checkpointed loop writes, by loop: each checkpoint keeps a copy.
    checkpoint_arrays: HashMap<usize, Vec<VarId>>,
    /// Emitting the first forward sweep of a checkpointed loop: nothing is stored.
    no_push: bool,
    /// `checkpoint(snapshots = s)`: the checkpointed loops follow a binomial schedule keeping at
    /// most `s` states; the stack in `checkpoints` is then the `ad_runtime::revolve::Revolve`.
    binomial: Option<TokenStream>,
    /// For each call lent a slice to write (by its result variable and argument): the stack that
    /// keeps the slice's values from before the call, for the callee's reverse pass.
    saved: HashMap<(VarId, usize), Ident>,
    /// The fields read of each call returning a tuple (`let (a, b) = g(x);`): `(index, var)`.
    /// The call's seed is built from their adjoints.
    fields: HashMap<VarId, Vec<(usize, VarId)>>,
    /// Copies of state taken before calls, for their reverse passes (`ir::StateArg`).
    copies: HashSet<VarId>,
    /// The arrays whose length the source writes as a literal (`Func::literal_lens`, read before
    /// the statements are taken out of the function).
    lengths: HashMap<VarId, usize>,
    /// In the fused loop: the adjoint slots read at constant indices (`w[3]`), by array and
    /// index, summed in a local through the loop and added into memory once after it.
    promoted: HashMap<(VarId, String), Ident>,
    /// The name of the seed parameter.
    seed_name: Ident,
    /// The variables the forward sweep has not defined yet where the top level's reverse
    /// sweep starts, before the fused statement (`fused.rs`): their adjoints start from a
    /// typed zero, not from `zero_like` of them.
    pending: HashSet<VarId>,
    /// The code is final (users call it), not lowered again for second order: it may run
    /// calls' companions in the forward sweep (`seeded.rs`) and keep a branch's values in a
    /// `Slot`, neither of which that lowering knows.
    final_code: bool,
    /// The calls that do, by result (`seeded.rs`).
    seeded: HashMap<VarId, seeded::Seeded>,
    /// The calls that may, before the fused loop is chosen (`seeded.rs`).
    seed_candidates: HashMap<VarId, seeded::Seeded>,
}

/// Builds `f_vjp` (or `f_grad`) from the analysed IR.
pub fn transform(func: &mut Func, out_ty: Option<&Type>) -> Generated {
    transform_with(func, out_ty, &Checkpoint::Off)
}

/// How the reverse sweep of a long top-level loop gets back the states it needs.
#[derive(Clone, Debug)]
pub enum Checkpoint {
    /// It stores every value it needs, every iteration.
    Off,
    /// `checkpoint`: the carried values every `ceil(sqrt(n))` iterations, each segment run
    /// again (storing) and reversed.
    Sqrt,
    /// `checkpoint(snapshots = s)`: at most `s` carried states (the expression's value), by the
    /// binomial schedule of `ad_runtime::revolve`: each step run again about `r` times, with `r`
    /// the least integer such that `C(s + r, s) >= n`.
    Binomial(TokenStream),
}

/// [`transform`], with `checkpoint`: each top-level `for` or `while` loop (counted first by a
/// pass that stores nothing) that stores values for its
/// reverse sweep stores only its carried values every `ceil(sqrt(n))` iterations, and the
/// reverse sweep runs each segment forward again (storing) before reversing it: the stacks peak at
/// `O(sqrt(n))` values instead of `O(n)`, for one more forward pass.
///
/// Input:  `for i in it { x = step(x); }`
/// Output (forward):  `for i in it { if trip % every == 0 { ckpt.push((x_c,)); } ..no pushes.. }`
/// Output (reverse):  `for seg in (0..segments).rev() { (x_c,) = ckpt.pop();`
///                    `  for k in lo..hi { ..the body, pushing.. }  for k in (lo..hi).rev() { .. } }`
///
/// With [`Checkpoint::Binomial`], the forward sweep offers each iteration's carried values to a
/// `Revolve` schedule (`sched.offer(trip, || (x_c,))`), and the reverse sweep runs its actions:
/// `while let Some(a) = sched.next() { match a { Restore(s) => .., Advance(lo, hi) => ..the body,
/// not pushing.., Store => sched.store((x_c,)), Reverse(k) => ..the body, pushing.., ..one
/// reversed iteration.. } }`.
pub fn transform_with(
    func: &mut Func,
    out_ty: Option<&Type>,
    checkpoint: &Checkpoint,
) -> Generated {
    transform_final(func, out_ty, checkpoint, false).0
}

/// [`transform_with`], and whether the reverse sweep stores values (a stack for values, trip
/// counts or a callee's arguments: a loop it can neither recompute nor reverse in order), which
/// the mode-choice rule of `_grad` reads (`modes/lanes_grad.rs`). With `final_code`, for a
/// function users call (not lowered again for second order): a call may run its companion in
/// the forward sweep, given its result's adjoint there (`seeded.rs`), so that the callee runs
/// once, and a branch outside loops keeps what it stores in a `Slot` rather than on the heap.
pub fn transform_final(
    func: &mut Func,
    out_ty: Option<&Type>,
    checkpoint: &Checkpoint,
    final_code: bool,
) -> (Generated, bool) {
    let mut a = Adjoint::new(func);
    a.final_code = final_code;
    if let Checkpoint::Binomial(snapshots) = checkpoint {
        a.binomial = Some(snapshots.clone());
    }
    let stmts = std::mem::take(&mut a.func.stmts);
    a.plan(&stmts, !matches!(checkpoint, Checkpoint::Off));
    let stores = a.plan.stack.iter().any(Option::is_some)
        || a.plan.trips.values().any(|(_, s)| s.is_some())
        || !a.saved.is_empty();
    let (mut params, mut call, mut memory) = a.params();
    let seed = a.seed(out_ty, &mut params, &mut call);
    let mut body = a.stacks();
    if let Some(fused) = a.plan.fused.take() {
        body.extend(a.fused_sweeps(&stmts, &fused, memory, &seed));
        a.plan.fused = Some(fused);
    } else {
        body.extend(a.forward(&stmts, 0));
        a.adjoint_arrays(&stmts, &mut memory, &seed);
        body.extend(memory);
        let seeds = a.output_seeds(&seed);
        body.extend(a.reverse(&stmts, true, &[], seeds));
    }
    let (ret, tail) = a.result(out_ty);
    body.extend(tail);
    a.func.stmts = stmts;
    let g = Generated {
        params,
        ret,
        body,
        call,
    };
    (g, stores)
}

// The steps of `transform_with`, in order.
impl<'f> Adjoint<'f> {
    /// An adjoint name for every active variable; an empty plan.
    fn new(func: &'f mut Func) -> Self {
        let n = func.vars.len();
        let bar: Vec<Option<Ident>> = (0..n)
            .map(|v| {
                func.vars[v]
                    .active()
                    .then(|| func.namer.adjoint(&func.vars[v].ident.clone()))
            })
            .collect();
        let float = common_float(&func.params);
        let copies = Func::snapshots(&func.stmts);
        let lengths = func.literal_lens();
        let seed_name = func.namer.seed();
        Adjoint {
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
                saved_reads: HashSet::new(),
                in_order: HashSet::new(),
                carried: HashMap::new(),
                fused: None,
                fused_branches: HashSet::new(),
                live: HashSet::from([0]),
                loop_bodies: HashMap::new(),
                loop_regions: HashMap::new(),
                reload: HashMap::new(),
                selected: HashMap::new(),
            },
            declared: HashSet::new(),
            predeclared: vec![false; n],
            float,
            cell_like: HashMap::new(),
            checkpoints: HashMap::new(),
            checkpoint_arrays: HashMap::new(),
            no_push: false,
            binomial: None,
            saved: HashMap::new(),
            fields: HashMap::new(),
            copies,
            lengths,
            promoted: HashMap::new(),
            seed_name,
            pending: HashSet::new(),
            final_code: false,
            seeded: HashMap::new(),
            seed_candidates: HashMap::new(),
        }
    }

    /// Decides what is stored (see `plan.rs`), the stacks of slices lent to calls, and the
    /// checkpointed loops.
    fn plan(&mut self, stmts: &[Stmt], checkpoint: bool) {
        self.plan_fields(stmts);
        self.analyse(stmts);
        self.plan_saved(stmts);
        if checkpoint {
            self.plan_checkpoints(stmts);
        }
    }

    /// The parameter list (each active by-reference parameter followed by its shadow), the
    /// shape of the companion's call, and the adjoints of by-value array parameters.
    fn params(&mut self) -> (Vec<TokenStream>, CallShape, TokenStream) {
        let a = self;
        let mut params = Vec::new();
        let mut call = CallShape::default();
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
            call.note(
                p.active,
                p.kind,
                &p.elem,
                crate::front::sig::row_of(p.kind, ty),
            );
            if !p.active {
                continue;
            }
            if let Some(shadow_ty) = crate::front::sig::shadow_type(p.kind, ty, &p.elem) {
                let shadow = a.func.namer.tangent(ident);
                params.push(quote!(#shadow: #shadow_ty));
                call.shadows.resize(call.args.len() - 1, None);
                call.shadows.push(Some(shadow.clone()));
                a.bar[v] = Some(shadow);
                a.declared.insert(v);
            } else if let crate::ir::Kind::Array { depth } = p.kind {
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
        (params, call, memory)
    }

    /// The seed: a parameter of the output's type (`f_grad` passes 1).
    fn seed(
        &mut self,
        out_ty: Option<&Type>,
        params: &mut Vec<TokenStream>,
        call: &mut CallShape,
    ) -> Ident {
        let seed = self.seed_name.clone();
        if let Some(ty) = out_ty {
            params.push(quote!(#seed: #ty));
            call.seed = Some(seed.clone());
        }
        seed
    }

    /// The value stacks, declared once, before everything.
    fn stacks(&self) -> TokenStream {
        let a = self;
        let mut body = TokenStream::new();
        for s in a.saved.values() {
            body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
        }
        // A binomial schedule is made before its loop, which knows the length.
        if a.binomial.is_none() {
            for (s, _) in a.checkpoints.values() {
                body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
            }
        }
        // A value of a branch outside loops is stored once per call at most: in a `Slot`, not
        // on the heap (copies of state go onto their stack element by element; code lowered
        // again for second order knows stacks only).
        let in_loop = |v: VarId| {
            let r = a.plan.region[v];
            a.plan.loop_regions.values().any(|l| l.contains(&r))
        };
        for (v, s) in a.plan.stack.iter().enumerate() {
            match s {
                Some(s) if in_loop(v) || a.copies.contains(&v) || !a.final_code => {
                    body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
                }
                Some(s) => body.extend(quote!(let mut #s = ::ad_runtime::Slot::new();)),
                None => {}
            }
        }
        for (_, s) in a.plan.trips.values() {
            if let Some(s) = s {
                body.extend(quote!(let mut #s = ::ad_runtime::Stack::new();));
            }
        }
        body
    }

    /// Local arrays' adjoints start at zero, or at the seed for an array the function returns.
    fn adjoint_arrays(&mut self, stmts: &[Stmt], memory: &mut TokenStream, seed: &Ident) {
        let a = self;
        let output_var = match &a.func.output {
            Some(crate::ir::Value::Scalar(Operand::Var(v))) if a.func.vars[*v].depth.is_some() => {
                Some(*v)
            }
            _ => None,
        };
        a.local_arrays(stmts, memory, output_var, seed);
    }

    /// The seed of each output component, where the reverse sweep of the top level starts.
    fn output_seeds(&self, seed: &Ident) -> Vec<(VarId, TokenStream)> {
        let a = self;
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
        seeds
    }

    /// The return type and the returned value: `(value, adjoints of the active by-value
    /// parameters)`, or either alone.
    fn result(&self, out_ty: Option<&Type>) -> (TokenStream, TokenStream) {
        let a = self;
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
        match (primal, out_ty, g, g_ty) {
            (Some(v), Some(ty), Some(g), Some(g_ty)) => (quote!((#ty, #g_ty)), quote!((#v, #g))),
            (Some(v), Some(ty), None, _) => (ty.to_token_stream(), v),
            (_, _, Some(g), Some(g_ty)) => (g_ty, g),
            _ => (quote!(()), quote!(())),
        }
    }
}

impl Adjoint<'_> {
    /// A zero adjoint where nothing else fixes its type: of [`Adjoint::float`] when known, else
    /// left to inference.
    fn zero(&self) -> TokenStream {
        match &self.float {
            Some(f) => quote!(::ad_runtime::zero::<#f>()),
            None => quote!(::ad_runtime::zero()),
        }
    }

    /// For a copy of state taken for a call's reverse pass (`copies`), stored, of a `&mut [T]`
    /// parameter: that parameter. Its elements go onto the copy's stack in place
    /// (`push_slice`), and the reverse pass works on them there (`last_mut`), with no `Vec`
    /// allocated per call (GradBench's determinant copied two index lists per call).
    fn flat_copy(&self, copy: VarId, rhs: &Rhs) -> Option<VarId> {
        let Rhs::Inert { uses, .. } = rhs else {
            return None;
        };
        match uses.as_slice() {
            [state] if self.is_flat_copy(copy, *state) => Some(*state),
            _ => None,
        }
    }

    /// Whether `copy`, a copy of `state` for a call's reverse pass, is kept flat
    /// ([`Adjoint::flat_copy`]).
    fn is_flat_copy(&self, copy: VarId, state: VarId) -> bool {
        self.copies.contains(&copy)
            && self.plan.stack[copy].is_some()
            && self.func.is_mut_slice_param(state)
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
}

/// The float type all active parameters share, if they share one.
fn common_float(params: &[crate::ir::Param]) -> Option<Type> {
    let mut active = params.iter().filter(|p| p.active).map(|p| &p.elem);
    let first = active.next()?;
    let key = |t: &Type| t.to_token_stream().to_string();
    active.all(|t| key(t) == key(first)).then(|| first.clone())
}

/// A loop's identity for the plan: its address, stable while the IR is borrowed.
fn key(l: &Loop) -> usize {
    std::ptr::from_ref(l) as usize
}
