//! Calls given their result's adjoint where they run (*seeded* calls).
//!
//! A call's reverse pass runs the callee's companion in the reverse sweep, and the companion
//! runs the callee's forward pass again (joint mode): the callee's primal runs twice, and a
//! recursive function costs its depth times its primal. But often the adjoint the call's
//! result will end with can be written down where the call runs: the result reaches the output
//! only through sums, differences, copies, products and quotients by values already known there,
//! branches on known conditions, and loops that only accumulate. The determinant by minors adds
//! `m0j * det(minor)` into a sum the function returns, so the minor's adjoint is `m0j * seed`
//! before the minor is computed. Then the forward sweep calls the companion *in place of* the
//! primal, with that adjoint as its seed: one run of the callee gives the value and adds its
//! adjoints into the slices' shadows, and the reverse sweep skips the call. A recursion then
//! costs a constant times its primal, as a hand-written gradient does.
//!
//! Every argument with a derivative is a scalar or an array by value, whose adjoints the
//! companion returns (kept beside the result, stored with it in a region, and added in where
//! the reverse sweep reaches the call), or a read-only slice parameter of the function, whose
//! shadow (a parameter too) the companion adds into at once. The call must not be in a loop
//! whose body runs again in the reverse sweep (a selection loop); its result is stored, never
//! computed again (`Origin::Impure`), which also keeps its loop from being checkpointed.
//!
//! Input:  `for j in 0..m { let s = det(a, .., r, c); if sign > 0 { d += m0j * s } else
//!         { d -= m0j * s } } d` (the function's result)
//! Output: forward: `let s_seed = if sign_1 > 0 { m0j * seed } else { m0j * -seed };`
//!         `let (s, _) = det::__derive_grad((a, .., r, c), (Shadow::lend(&mut *da, ..), ..),
//!         s_seed);` and nothing for the call in the reverse sweep.

use super::*;

/// A seeded call: the seed its companion gets in the forward sweep.
pub(super) struct Seeded {
    /// Definitions after the call that the seed reads, computed before it, in program order.
    inline: TokenStream,
    /// The adjoint of the call's result.
    seed: Early,
    /// The name of the adjoints the companion returns, when it returns any (for scalars and
    /// arrays passed by value): kept beside the result, stored with it, and added in where the
    /// reverse sweep reaches the call.
    pub adjoints: Option<Ident>,
    /// The loops around the call, by address.
    loops: Vec<usize>,
}

/// An adjoint written where a value is defined, as an expression of values known there.
#[derive(Clone, Debug)]
enum Early {
    /// Nothing reaches it.
    Zero,
    /// The function's seed (a component of it, for a tuple output).
    Seed(TokenStream),
    Neg(Box<Early>),
    /// `factor * adjoint`.
    Scale(Operand, Box<Early>),
    /// `adjoint / divisor`.
    Div(Box<Early>, Operand),
    Sum(Vec<Early>),
    /// `if cond == arm { adjoint } else { 0 }`.
    When(Operand, bool, Box<Early>),
}

/// How a statement reads a variable.
enum How<'s> {
    /// An operand of the definition of the variable.
    Def(VarId, &'s Rhs),
    /// The value a branch gives its φ.
    Phi(VarId),
    /// The value an iteration gives a cell, or the value a cell starts from.
    Cell(&'s Loop, &'s Cell),
    /// No derivative flows through the read (a comparison, an index).
    Ignored,
    /// Any other read: the adjoint is not known early.
    Other,
}

/// What separates a scope from the scope it is nested in.
#[derive(Clone, Copy)]
enum Edge<'s> {
    Arm(&'s Operand, bool),
    Body(&'s Loop),
}

/// Where every variable is defined and read, by scope (a list of statements) and position in
/// program order.
#[derive(Default)]
struct Sites<'s> {
    parent: Vec<Option<(usize, Edge<'s>)>>,
    def: HashMap<VarId, (usize, usize)>,
    defs: HashMap<VarId, &'s Stmt>,
    uses: HashMap<VarId, Vec<(usize, How<'s>)>>,
    calls: Vec<(VarId, &'s Rhs, usize, usize)>,
    pos: usize,
}

impl<'s> Sites<'s> {
    fn new(stmts: &'s [Stmt]) -> Self {
        let mut s = Sites {
            parent: vec![None],
            ..Default::default()
        };
        s.walk(stmts, 0);
        s
    }

    fn scope(&mut self, parent: usize, edge: Edge<'s>) -> usize {
        self.parent.push(Some((parent, edge)));
        self.parent.len() - 1
    }

    fn read(&mut self, op: &Operand, scope: usize, how: How<'s>) {
        if let Some(v) = Func::var_of(op) {
            self.uses.entry(v).or_default().push((scope, how));
        }
    }

    fn walk(&mut self, stmts: &'s [Stmt], scope: usize) {
        for stmt in stmts {
            self.pos += 1;
            let pos = self.pos;
            match stmt {
                Stmt::Def { var, rhs, .. } => {
                    self.def.insert(*var, (scope, pos));
                    self.defs.insert(*var, stmt);
                    let how = |_: &Operand| match rhs {
                        Rhs::Copy(_) | Rhs::Prim { .. } => How::Def(*var, rhs),
                        Rhs::Load { .. } => How::Ignored,
                        _ => How::Other,
                    };
                    for op in rhs.operands() {
                        self.read(op, scope, how(op));
                    }
                    if let Rhs::Call { .. } = rhs {
                        self.calls.push((*var, rhs, scope, pos));
                    }
                }
                Stmt::Inert { .. } => {}
                Stmt::Store { value, .. } | Stmt::Push { value, .. } => {
                    self.read(value, scope, How::Other);
                }
                Stmt::If(i) => {
                    let then = self.scope(scope, Edge::Arm(&i.cond, true));
                    let els = self.scope(scope, Edge::Arm(&i.cond, false));
                    self.walk(&i.then, then);
                    self.walk(&i.els, els);
                    self.pos += 1;
                    for p in &i.phis {
                        self.read(&p.then, then, How::Phi(p.var));
                        self.read(&p.els, els, How::Phi(p.var));
                        self.def.insert(p.var, (scope, self.pos));
                    }
                }
                Stmt::Loop(l) => {
                    let body = self.scope(scope, Edge::Body(l));
                    for c in &l.cells {
                        self.read(&c.init, scope, How::Cell(l, c));
                        self.def.insert(c.entry, (body, pos));
                    }
                    match &l.kind {
                        LoopKind::For { bound, .. } => {
                            for b in bound {
                                self.def.insert(*b, (body, pos));
                            }
                        }
                        LoopKind::While { cond_stmts, .. } => self.walk(cond_stmts, body),
                        LoopKind::Loop => {}
                    }
                    self.walk(&l.body, body);
                    self.pos += 1;
                    for c in &l.cells {
                        self.read(&c.exit, body, How::Cell(l, c));
                        self.def.insert(c.after, (scope, self.pos));
                    }
                }
            }
        }
    }

    /// The loops whose bodies enclose the scope, by address.
    fn loops_around(&self, mut scope: usize) -> Vec<usize> {
        let mut out = Vec::new();
        while let Some((p, edge)) = self.parent[scope] {
            if let Edge::Body(l) = edge {
                out.push(key(l));
            }
            scope = p;
        }
        out
    }

    /// Whether `outer` is `inner` or encloses it.
    fn encloses(&self, outer: usize, mut inner: usize) -> bool {
        loop {
            if inner == outer {
                return true;
            }
            match self.parent[inner] {
                Some((p, _)) => inner = p,
                None => return false,
            }
        }
    }
}

impl Adjoint<'_> {
    /// Finds the calls that can be seeded (see the module's documentation), before the fused
    /// loop is chosen ([`Adjoint::settle_seeded`] then drops those that cannot be after all).
    pub(super) fn seeded_calls(&mut self, stmts: &[Stmt]) {
        if !calls(stmts) {
            return;
        }
        let sites = Sites::new(stmts);
        let outputs = match &self.func.output {
            Some(out) => out
                .leaves()
                .into_iter()
                .filter_map(|(path, op)| {
                    let seed = self.seed_name.to_token_stream();
                    Func::var_of(op).map(|v| (v, emit::project(&seed, &path)))
                })
                .collect(),
            None => Vec::new(),
        };
        for &(var, rhs, scope, pos) in &sites.calls {
            if !self.seedable_call(var, rhs) {
                continue;
            }
            let mut budget = 256;
            let Some(seed) = self.early(&sites, &outputs, var, &mut budget) else {
                continue;
            };
            let mut inline = Vec::new();
            if !refs(&seed)
                .iter()
                .all(|&v| self.known(&sites, v, scope, pos, &mut inline))
            {
                continue;
            }
            inline.sort_by_key(|v| sites.def[v].1);
            inline.dedup();
            let inline = inline
                .into_iter()
                .map(|v| match sites.defs[&v] {
                    Stmt::Def { ty, rhs, .. } => emit::def(self.func, v, ty.as_ref(), rhs),
                    _ => TokenStream::new(),
                })
                .collect();
            let returns = match rhs {
                Rhs::Call { args, memory, .. } => args.iter().zip(memory).any(|(a, m)| {
                    self.active(a).is_some() && m.as_ref().is_none_or(|m| m.by_value)
                }),
                _ => false,
            };
            let adjoints = returns.then(|| {
                let name = format!(
                    "{}_adjoints",
                    crate::names::plain(&self.func.vars[var].ident)
                );
                self.func.namer.fresh(&name)
            });
            self.seed_candidates.insert(
                var,
                Seeded {
                    inline,
                    seed,
                    adjoints,
                    loops: sites.loops_around(scope),
                },
            );
        }
    }

    /// Drops the seeded calls in a loop run again in the reverse sweep, and those after the
    /// fused loop (their reverse sweep runs before them, `fused.rs`); the others' results are
    /// stored, never computed again.
    pub(super) fn settle_seeded(&mut self, stmts: &[Stmt]) {
        let mut dropped = HashSet::new();
        if let Some(f) = &self.plan.fused {
            Self::after_fused_calls(stmts, f, &mut dropped);
        }
        for (v, seeded) in std::mem::take(&mut self.seed_candidates) {
            let reruns = seeded
                .loops
                .iter()
                .any(|l| self.plan.selected.contains_key(l));
            if !dropped.contains(&v) && !reruns {
                self.plan.origin[v] = Origin::Impure;
                self.seeded.insert(v, seeded);
            }
        }
    }

    /// Whether the call defining `var` can run as its companion in the forward sweep: a float
    /// result, and every argument with a derivative a scalar, an array by value (their
    /// adjoints are returned) or a read-only slice parameter (whose shadow is a parameter too).
    fn seedable_call(&self, var: VarId, rhs: &Rhs) -> bool {
        let Rhs::Call { args, memory, .. } = rhs else {
            return false;
        };
        self.func.vars[var].active()
            && self.func.vars[var].depth.is_none()
            && !self.fields.contains_key(&var)
            && args
                .iter()
                .zip(memory)
                .all(|(a, m)| match (self.active(a), m) {
                    (None, _) => true,
                    (Some(_), None) => true,
                    (Some(_), Some(m)) if m.by_value => true,
                    (Some(v), Some(m)) => {
                        !m.mutable && self.func.is_slice_param(v) && self.bar[v].is_some()
                    }
                })
    }

    /// The adjoint `v` ends with, as an expression of values known where `v` is defined, when
    /// every read of `v` passes it on linearly.
    fn early(
        &self,
        sites: &Sites,
        outputs: &[(VarId, TokenStream)],
        v: VarId,
        budget: &mut usize,
    ) -> Option<Early> {
        *budget = budget.checked_sub(1)?;
        let (at, _) = *sites.def.get(&v)?;
        let mut terms: Vec<Early> = outputs
            .iter()
            .filter(|(o, _)| *o == v)
            .map(|(_, s)| Early::Seed(s.clone()))
            .collect();
        for (scope, how) in sites.uses.get(&v).into_iter().flatten() {
            let next = |w: VarId, budget: &mut usize| -> Option<Option<Early>> {
                if self.func.vars[w].active() {
                    Some(Some(self.early(sites, outputs, w, budget)?))
                } else {
                    Some(None)
                }
            };
            let term = match how {
                How::Ignored => None,
                How::Other => return None,
                How::Phi(p) => next(*p, budget)?,
                How::Cell(l, c) => {
                    if !self.func.vars[c.cell].active() {
                        None
                    } else if self.accumulates(l, c) {
                        next(c.after, budget)?
                    } else {
                        return None;
                    }
                }
                How::Def(w, rhs) => match next(*w, budget)? {
                    None => None,
                    Some(bar) => Some(linear(rhs, v, bar)?),
                },
            };
            let Some(mut term) = term else {
                continue;
            };
            // The branches between the definition and the read.
            let mut s = *scope;
            while s != at {
                let (p, edge) = sites.parent[s]?;
                match edge {
                    Edge::Arm(cond, arm) => {
                        term = Early::When(cond.clone(), arm, Box::new(term));
                    }
                    Edge::Body(_) => return None,
                }
                s = p;
            }
            terms.push(term);
        }
        Some(match terms.len() {
            0 => Early::Zero,
            1 => terms.pop().expect("one term"),
            _ => Early::Sum(terms),
        })
    }

    /// Whether `v` can be read at the call (scope `scope`, position `pos`): defined before it
    /// where the call sees it, or defined after it, in a scope enclosing it, by a pure
    /// definition of such values, which is then computed before the call too (`inline`).
    fn known(
        &self,
        sites: &Sites,
        v: VarId,
        scope: usize,
        pos: usize,
        inline: &mut Vec<VarId>,
    ) -> bool {
        let Some(&(at, p)) = sites.def.get(&v) else {
            // A parameter.
            return self.func.params.iter().any(|q| q.var == Some(v));
        };
        if !sites.encloses(at, scope) {
            return false;
        }
        if p < pos {
            return true;
        }
        let Some(Stmt::Def { rhs, .. }) = sites.defs.get(&v) else {
            return false;
        };
        let reads: Vec<VarId> = match rhs {
            Rhs::Prim { .. } | Rhs::Copy(_) | Rhs::Cast { .. } => rhs
                .operands()
                .into_iter()
                .filter_map(Func::var_of)
                .collect(),
            Rhs::Inert {
                pure: true, uses, ..
            } if !uses.iter().any(|&u| self.func.changes_in_place(u)) => uses.clone(),
            _ => return false,
        };
        inline.push(v);
        reads
            .into_iter()
            .all(|r| self.known(sites, r, scope, pos, inline))
    }

    /// Whether the call defining `var` is seeded.
    pub(super) fn is_seeded(&self, var: VarId) -> bool {
        self.seeded.contains_key(&var)
    }

    /// For a seeded call that returns adjoints, their name: stored with its result.
    pub(super) fn returned_adjoints(&self, var: VarId) -> Option<&Ident> {
        self.seeded.get(&var)?.adjoints.as_ref()
    }

    /// `let var_seed = ..; let (var, _) = callee::__derive_grad(args, shadows, var_seed);`, in
    /// the forward sweep, for a seeded call.
    pub(super) fn seeded_call(&mut self, var: VarId, rhs: &Rhs) -> TokenStream {
        let seeded = &self.seeded[&var];
        let inline = seeded.inline.clone();
        let expr = self.early_tokens(&seeded.seed);
        let seed = self.func.namer.fresh(&format!(
            "{}_seed",
            crate::names::plain(&self.func.vars[var].ident)
        ));
        let mut out = if inline.is_empty() {
            quote!(let #seed = #expr;)
        } else {
            quote!(let #seed = { #inline #expr };)
        };
        let (call, after) = self.companion_call(var, rhs, &seed.to_token_stream(), false, &mut out);
        let ident = &self.func.vars[var].ident;
        let mutability = self.func.vars[var].mutable.then(|| quote!(mut));
        let adjoints = match self.returned_adjoints(var) {
            Some(a) => a.to_token_stream(),
            None => quote!(_),
        };
        out.extend(quote!(let (#mutability #ident, #adjoints) = #call; #after));
        out
    }

    fn early_tokens(&self, e: &Early) -> TokenStream {
        match e {
            Early::Zero => self.zero(),
            Early::Seed(s) => s.clone(),
            Early::Neg(e) => {
                let e = self.early_tokens(e);
                quote!(-(#e))
            }
            Early::Scale(f, e) => {
                let (f, e) = (emit::operand(self.func, f), self.early_tokens(e));
                quote!(#f * (#e))
            }
            Early::Div(e, d) => {
                let (e, d) = (self.early_tokens(e), emit::operand(self.func, d));
                quote!((#e) / #d)
            }
            // Two arms of one branch: `if c { a } else { b }`.
            Early::Sum(terms) => match terms.as_slice() {
                [Early::When(c, true, a), Early::When(d, false, b)]
                | [Early::When(d, false, b), Early::When(c, true, a)]
                    if same(c, d) =>
                {
                    let (c, a, b) = (
                        emit::operand(self.func, c),
                        self.early_tokens(a),
                        self.early_tokens(b),
                    );
                    quote!(if #c { #a } else { #b })
                }
                _ => {
                    let terms = terms.iter().map(|t| self.early_tokens(t));
                    quote!(#((#terms))+*)
                }
            },
            Early::When(c, arm, e) => {
                let (c, e, zero) = (
                    emit::operand(self.func, c),
                    self.early_tokens(e),
                    self.zero(),
                );
                if *arm {
                    quote!(if #c { #e } else { #zero })
                } else {
                    quote!(if #c { #zero } else { #e })
                }
            }
        }
    }
}

/// The adjoint of `v` read by `rhs` (defining a value whose adjoint is `bar`), when it passes
/// the adjoint on linearly with a factor that does not depend on `v`.
fn linear(rhs: &Rhs, v: VarId, bar: Early) -> Option<Early> {
    let is_v = |op: &Operand| Func::var_of(op) == Some(v);
    match rhs {
        Rhs::Copy(_) => Some(bar),
        Rhs::Prim { rule, args, .. } => match (rule.name, args.as_slice()) {
            ("add", [a, b]) if !(is_v(a) && is_v(b)) => Some(bar),
            ("sub", [a, b]) if is_v(a) && !is_v(b) => Some(bar),
            ("sub", [a, b]) if is_v(b) && !is_v(a) => Some(Early::Neg(Box::new(bar))),
            ("neg", [_]) => Some(Early::Neg(Box::new(bar))),
            ("mul", [a, b]) if is_v(a) && !is_v(b) => Some(Early::Scale(b.clone(), Box::new(bar))),
            ("mul", [a, b]) if is_v(b) && !is_v(a) => Some(Early::Scale(a.clone(), Box::new(bar))),
            ("div", [a, b]) if is_v(a) && !is_v(b) => Some(Early::Div(Box::new(bar), b.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a statement calls an annotated function (else there is nothing to seed, and the
/// walk over a long body is skipped).
fn calls(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Def {
            rhs: Rhs::Call { .. },
            ..
        } => true,
        Stmt::If(i) => calls(&i.then) || calls(&i.els),
        Stmt::Loop(l) => {
            calls(&l.body)
                || matches!(&l.kind, LoopKind::While { cond_stmts, .. } if calls(cond_stmts))
        }
        _ => false,
    })
}

/// Whether two operands are the same variable.
fn same(a: &Operand, b: &Operand) -> bool {
    matches!((Func::var_of(a), Func::var_of(b)), (Some(x), Some(y)) if x == y)
}

/// The variables an early adjoint reads.
fn refs(e: &Early) -> Vec<VarId> {
    match e {
        Early::Zero | Early::Seed(_) => Vec::new(),
        Early::Neg(e) => refs(e),
        Early::Scale(f, e) | Early::Div(e, f) | Early::When(f, _, e) => {
            let mut out = refs(e);
            out.extend(Func::var_of(f));
            out
        }
        Early::Sum(terms) => terms.iter().flat_map(refs).collect(),
    }
}
