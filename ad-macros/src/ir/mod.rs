//! The intermediate representation: a function body in three-address form.
//!
//! Every differentiable operation is a [`Stmt::Def`] of a fresh variable whose right-hand side
//! is one primitive over [`Operand`]s. A user variable that is reassigned or shadowed gets a new
//! [`Var`] at each definition (SSA), so the reverse sweep can read every value the forward sweep
//! computed without storing anything. Code that carries no derivative (integer arithmetic,
//! `assert!`, comparisons) is kept as tokens, with the user's variables renamed.
//!
//! Aggregates (tuples and array literals) exist only at compile time, as a [`Value`] tree of
//! scalars, so their components are ordinary variables with their own tangents and adjoints.

use proc_macro2::{Ident, Span, TokenStream};

use crate::rules::Rule;

mod shape;

pub use shape::{CallShape, Generated, Kind};

/// Index of a [`Var`] in [`Func::vars`].
pub type VarId = usize;

/// One SSA variable.
#[derive(Debug)]
pub struct Var {
    /// The name the primal value has in generated code.
    pub ident: Ident,
    /// Declared `mut` by the user (kept so that inert code may still mutate it).
    pub mutable: bool,
    /// Depends on an active input through differentiable operations.
    pub varied: bool,
    /// Reaches an output through differentiable operations.
    pub useful: bool,
    /// For memory (an array, slice or `&F` parameter, or a local array): how many indices reach
    /// a float. Memory is mutable and never versioned; its elements are read by [`Rhs::Load`]
    /// and written by [`Stmt::Store`] and [`Stmt::Push`].
    pub depth: Option<usize>,
}

impl Var {
    /// Needs a tangent / adjoint: varied and useful.
    pub fn active(&self) -> bool {
        self.varied && self.useful
    }
}

/// An argument of a primitive.
#[derive(Clone, Debug)]
pub enum Operand {
    /// A variable of the IR.
    Var(VarId),
    /// A constant expression (a literal or a path such as `PI`): no derivative.
    Const(TokenStream),
}

/// How the user wrote a call, kept so the primal is emitted exactly as written.
#[derive(Clone, Debug)]
pub enum Form {
    /// `a + b`, `-a`.
    Operator,
    /// `a.sin()`, `a.powf(b)`.
    Method,
    /// `f64::sin(a)`, `T::powf(a, b)`: the path before the method name.
    Path(TokenStream),
}

/// The right-hand side of a definition.
#[derive(Debug)]
pub enum Rhs {
    /// A differentiable primitive applied to operands.
    Prim {
        rule: &'static Rule,
        args: Vec<Operand>,
        form: Form,
        span: Span,
    },
    /// A copy of another value (a `let mut` of an existing variable).
    Copy(Operand),
    /// A call to another annotated function (or method): `callee(args..)`. Its derivative comes
    /// from the callee's companions `callee__derive_tangent` / `callee__derive_grad`.
    Call {
        callee: Callee,
        args: Vec<Operand>,
        /// For each argument that is memory (a read-only slice): how it is passed.
        memory: Vec<Option<MemArg>>,
        /// For each argument that is other state the function may change in place (an index
        /// list, an integer array): how it is passed, and the copy the reverse sweep passes.
        state: Vec<Option<StateArg>>,
        span: proc_macro2::Span,
        /// In reverse-mode code lowered again for second derivatives, which second-order
        /// companion the tangent transform calls; `None` in a user's function.
        second: Option<Second>,
    },
    /// `array[i][j]` (or `*array` for `&F`): one float of memory.
    Load { array: VarId, index: Vec<Operand> },
    /// `stack.pop()`: the last value pushed on an `ad_runtime::Stack`. Only reverse-mode code
    /// has stacks; this is how the tangent transform reads it back (second derivatives).
    Pop { array: VarId },
    /// `t.0` (or, with `element`, `t[0]`): a component of the tuple or array a call returned
    /// (an annotated helper's result, or a runtime rule's `NAME_partials` in reverse-mode code
    /// transformed again).
    Field {
        base: Operand,
        index: usize,
        element: bool,
    },
    /// A local array: `vec![0.0; n]`, `[0.0; N]`, `Vec::new()`, `Vec::with_capacity(n)`.
    NewArray {
        tokens: TokenStream,
        zeros: Zeros,
        /// Where it is created, when that is inside a branch or loop body.
        nested: Option<proc_macro2::Span>,
        /// Its length, when the source fixes it (`[a, b, c]`, `[e; 3]`): the adjoint of such an
        /// array created in a region is a fixed array, not growing storage.
        len: Option<usize>,
        /// The variables `tokens` read (a region's replay computes them first).
        uses: Vec<VarId>,
        /// `tokens` already hold every value the stores after it write (an array literal made
        /// memory), so replaying the creation alone rebuilds the array.
        filled: bool,
    },
    /// `value as ty` between float types.
    Cast { value: Operand, ty: TokenStream },
    /// An expression that carries no derivative, with variables renamed. `uses` lists the IR
    /// variables it mentions; if any of them turns out varied and there is a `refusal`, that is
    /// the error. `pure` expressions (operators, casts, literals, ranges, reads of variables that
    /// nothing mutates in place) may be evaluated again in the reverse sweep; others are stored.
    Inert {
        tokens: TokenStream,
        uses: Vec<VarId>,
        refusal: Option<Refusal>,
        pure: bool,
    },
}

/// The error to report if an inert expression turns out to touch a varied value.
pub type Refusal = syn::Error;

/// A statement.
#[derive(Debug)]
pub enum Stmt {
    /// `let var: ty = rhs;`
    Def {
        var: VarId,
        ty: Option<TokenStream>,
        rhs: Rhs,
    },
    /// A statement without derivative, copied as tokens (renamed). Like [`Rhs::Inert`], it is an
    /// error if it mentions a varied variable and carries a refusal.
    Inert {
        tokens: TokenStream,
        uses: Vec<VarId>,
        refusal: Option<Refusal>,
    },
    /// A branch; its results are φ variables.
    If(Box<If>),
    /// A loop; the variables it changes are carried in cells.
    Loop(Box<Loop>),
    /// `array[i][j] = value` (or `+=` when `add`).
    Store {
        array: VarId,
        index: Vec<Operand>,
        value: Operand,
        add: bool,
    },
    /// `array.push(value)`; `index` holds the array's length before the push.
    Push {
        array: VarId,
        index: VarId,
        value: Operand,
    },
}

/// A read-only slice passed to a call: `xs`, `&v` (borrowed), or `&xs[range]`.
#[derive(Clone, Debug)]
pub struct MemArg {
    /// Passed as `&v` (or `&mut v`).
    pub borrowed: bool,
    /// Lent for the callee to write: `&mut v`, `&mut v[a..b]`, or a `&mut` parameter passed on.
    pub mutable: bool,
    /// `&xs[range]`: the range, an operand of its own (evaluated once, cloned at each use).
    pub range: Option<Operand>,
    /// An array `[F; N]` passed by value (`g(v)`): its tangent goes by value too, and its
    /// adjoint comes back among the callee's returned adjoints, added in by the caller.
    pub by_value: bool,
    /// The argument, for messages.
    pub span: proc_macro2::Span,
}

/// State that is not differentiated but that the function changes in place (an index list
/// `&mut [usize]`, a local `Vec<usize>` or `[usize; N]` written element by element), passed to a
/// call. The callee's reverse pass runs its forward pass again, so it must see the state the
/// forward call saw: the reverse sweep passes a copy taken just before the call.
#[derive(Clone, Debug)]
pub struct StateArg {
    /// How the user passes it.
    pub pass: Pass,
    /// The copy (`v.to_owned()`) taken before the call, when something can change the state
    /// between the call and the reverse sweep; the reverse sweep passes it as `pass` says.
    pub snapshot: Option<Operand>,
    /// The argument, for messages.
    pub span: Span,
}

impl StateArg {
    /// Lent to the callee to change (`&mut v`, a `&mut` parameter passed on).
    pub fn lent(&self) -> bool {
        matches!(self.pass, Pass::BorrowMut | Pass::RefMut)
    }
}

/// How a [`StateArg`] is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// `&mut v`.
    BorrowMut,
    /// `&v`.
    Borrow,
    /// `r`, a `&mut` parameter passed on (a copy of its elements is passed as `&mut copy`).
    RefMut,
    /// `v` by value (a copy is passed as it is).
    Value,
}

impl Pass {
    /// The argument as passed: `&mut v`, `&v` or `v`. For a copy of a `&mut` parameter's
    /// elements, `&mut copy`.
    pub fn pass(self, v: &TokenStream, copy: bool) -> TokenStream {
        match self {
            Pass::BorrowMut => quote::quote!(&mut #v),
            Pass::RefMut if copy => quote::quote!(&mut #v),
            Pass::Borrow => quote::quote!(&#v),
            Pass::RefMut | Pass::Value => v.clone(),
        }
    }
}

/// The longest array passed by value to a call whose returned adjoint reverse-mode code adds in
/// element by element (`a_bar[0] = a_bar[0] + adj.0[0]; ..`), so that a Hessian can lower that
/// code again; longer ones, and lengths not written in the source, go through
/// `ad_runtime::add_into`.
pub const UNROLLED: usize = 16;

/// A call in reverse-mode code lowered again (forward over reverse, `#[derive_grad(hessian)]`),
/// by the companion its tangent comes from (both written by the callee's `hessian`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Second {
    /// `g(args)` of the forward sweep: `g__derive_hvp_fwd`, forward mode over `g`.
    Primal,
    /// `g::__derive_grad(args, shadows, seed)` of the reverse sweep: `g__derive_hvp`, forward
    /// mode over `g`'s reverse pass, its arguments and its seed all differentiated.
    Adjoint,
}

impl Second {
    /// The suffix of the companion a call's tangent runs: `_derive_tangent` for a call in a
    /// user's function.
    pub fn tangent_suffix(second: Option<Second>) -> &'static str {
        match second {
            None => "_derive_tangent",
            Some(Second::Primal) => "_derive_hvp_fwd",
            Some(Second::Adjoint) => "_derive_hvp",
        }
    }
}

/// Who is called.
#[derive(Clone, Debug)]
pub enum Callee {
    /// `path::to::g`: the path up to the last segment, and the function's name.
    Path {
        prefix: TokenStream,
        name: proc_macro2::Ident,
    },
    /// `receiver.method`.
    Method {
        receiver: TokenStream,
        name: proc_macro2::Ident,
    },
}

impl Rhs {
    /// The slices a call is lent to write (`&mut v`): memory the statement changes.
    pub fn written(&self) -> Vec<VarId> {
        match self {
            Rhs::Call { args, memory, .. } => args
                .iter()
                .zip(memory)
                .filter_map(|(a, m)| match (a, m) {
                    (Operand::Var(v), Some(m)) if m.mutable => Some(*v),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The copies of state a call takes for its reverse pass (see [`StateArg`]).
    pub fn snapshots(&self) -> Vec<VarId> {
        match self {
            Rhs::Call { state, .. } => state
                .iter()
                .flatten()
                .filter_map(|s| s.snapshot.as_ref().and_then(Func::var_of))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Callee {
    /// For a callee named by one identifier (whose anchor is in scope), the assertion that it
    /// has second-order companions: `ad_runtime::second_order::<g>();` (see the runtime's
    /// `SecondOrder`). Nothing for paths and methods.
    pub fn second_order_check(&self, span: proc_macro2::Span) -> TokenStream {
        match self {
            Callee::Path { prefix, name } if prefix.is_empty() => {
                let mut name = name.clone();
                name.set_span(span);
                quote::quote_spanned!(span=> ::ad_runtime::second_order::<#name>();)
            }
            _ => TokenStream::new(),
        }
    }

    /// The callee itself, or its companion with `suffix` (`_derive_grad`).
    pub fn tokens(&self, suffix: Option<&str>) -> TokenStream {
        let name = |n: &proc_macro2::Ident| match suffix {
            Some(s) => crate::names::function(n, s),
            None => n.clone(),
        };
        match (self, suffix) {
            // A callee named by one identifier may have come in by `use m::g`, which brings its
            // anchor but not its companions: `g::__derive_grad` (see `anchor`).
            (Callee::Path { prefix, name: n }, Some(s)) if prefix.is_empty() => {
                // At the callee's name, so that rustc reports a missing companion at the call.
                let mut f = crate::names::forwarder(s);
                f.set_span(n.span());
                quote::quote!(#n::#f)
            }
            (Callee::Path { prefix, name: n }, _) => {
                let n = name(n);
                quote::quote!(#prefix #n)
            }
            (Callee::Method { receiver, name: n }, _) => {
                let n = name(n);
                quote::quote!(#receiver.#n)
            }
        }
    }
}

/// How to make zeros shaped like a local array, for its tangent or adjoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zeros {
    /// `ad_runtime::zeros_vec`.
    Vec,
    /// `ad_runtime::zeros_array`.
    Array,
    /// `ad_runtime::zeros_array2`.
    Array2,
    /// `ad_runtime::Stack::new()`: an empty stack.
    Stack,
    /// `ad_runtime::Adjoints::new()`: zeros that grow as they are written (the adjoint of a
    /// local array created in a region, in reverse-mode code transformed again).
    Grow,
}

/// `let (phis..) = if cond { then..; (then values) } else { els..; (else values) };`
///
/// Branches are regions of their own: variables they define are local to them. A variable of an
/// enclosing region that a branch reassigns gets a new version after the `if`: a [`Phi`].
#[derive(Debug)]
pub struct If {
    /// A boolean operand.
    pub cond: Operand,
    /// The then-branch.
    pub then: Vec<Stmt>,
    /// The else-branch (empty when absent).
    pub els: Vec<Stmt>,
    /// The values the branches produce.
    pub phis: Vec<Phi>,
}

/// A variable defined after an `if`, taking the value of one operand per branch.
#[derive(Debug)]
pub struct Phi {
    /// The variable defined.
    pub var: VarId,
    /// Its value when the then-branch ran.
    pub then: Operand,
    /// Its value when the else-branch ran.
    pub els: Operand,
}

/// A loop. The body is a region run once per iteration; a variable of an enclosing region that
/// the body reassigns lives in a [`Cell`] across iterations. `break`, `continue` and `return`
/// have already been turned into flag variables and guards, so the body always runs to its end,
/// then the loop ends if `exit` is true.
#[derive(Debug)]
pub struct Loop {
    /// `for`, `while` or `loop`.
    pub kind: LoopKind,
    /// The carried variables.
    pub cells: Vec<Cell>,
    /// The body.
    pub body: Vec<Stmt>,
    /// Ends the loop after this iteration when true (a `break` ran).
    pub exit: Option<Operand>,
}

/// How a loop iterates.
#[derive(Debug)]
pub enum LoopKind {
    /// `for pat in iter`: `iter` holds the iterator, evaluated once before the loop; `pat` binds
    /// the variables `bound`.
    For {
        pat: TokenStream,
        iter: VarId,
        bound: Vec<VarId>,
    },
    /// `while cond`: `cond_stmts` compute `cond` at the top of each iteration.
    While {
        cond_stmts: Vec<Stmt>,
        cond: Operand,
    },
    /// `loop`.
    Loop,
}

/// A loop-carried variable.
#[derive(Debug)]
pub struct Cell {
    /// The mutable variable that carries the value across iterations.
    pub cell: VarId,
    /// Its value on entry to the loop.
    pub init: Operand,
    /// The SSA variable reading it at the top of each iteration.
    pub entry: VarId,
    /// The value written back at the end of each iteration.
    pub exit: Operand,
    /// The SSA variable reading it after the loop.
    pub after: VarId,
}

/// A compile-time value: a scalar operand or an aggregate of values.
#[derive(Clone, Debug)]
pub enum Value {
    /// One operand.
    Scalar(Operand),
    /// `(a, b, ..)`.
    Tuple(Vec<Value>),
    /// `[a, b, ..]`.
    Array(Vec<Value>),
}

impl Value {
    /// Every scalar operand, depth first, with the path of indices that reaches it.
    pub fn leaves(&self) -> Vec<(Vec<Step>, &Operand)> {
        let mut out = Vec::new();
        self.walk(&mut Vec::new(), &mut out);
        out
    }

    /// Whether some scalar operand is the variable `v` (without collecting the leaves).
    pub fn mentions_var(&self, v: VarId) -> bool {
        match self {
            Value::Scalar(op) => matches!(op, Operand::Var(x) if *x == v),
            Value::Tuple(items) | Value::Array(items) => items.iter().any(|i| i.mentions_var(v)),
        }
    }

    fn walk<'a>(&'a self, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, &'a Operand)>) {
        match self {
            Value::Scalar(op) => out.push((path.clone(), op)),
            Value::Tuple(items) | Value::Array(items) => {
                let tuple = matches!(self, Value::Tuple(_));
                for (i, item) in items.iter().enumerate() {
                    path.push(if tuple {
                        Step::Field(i)
                    } else {
                        Step::Index(i)
                    });
                    item.walk(path, out);
                    path.pop();
                }
            }
        }
    }
}

/// One step into an aggregate.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// `.i` of a tuple.
    Field(usize),
    /// `[i]` of an array.
    Index(usize),
}

/// How a parameter takes part in differentiation.
#[derive(Clone, Debug)]
pub struct Param {
    /// The parameter's name.
    pub ident: Ident,
    /// Its type as written.
    pub ty: syn::Type,
    /// Whether it is differentiated.
    pub active: bool,
    /// The IR variable holding it.
    pub var: Option<VarId>,
    /// How it holds its floats.
    pub kind: Kind,
    /// Its float type.
    pub elem: syn::Type,
}

/// A lowered function body.
#[derive(Debug)]
pub struct Func {
    /// Every variable.
    pub vars: Vec<Var>,
    /// The generator of hygienic names, for the transforms to go on with.
    pub namer: crate::names::Namer,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// The body.
    pub stmts: Vec<Stmt>,
    /// The returned value (unit when `None`).
    pub output: Option<Value>,
}

impl Func {
    /// Every copy of state that a call takes for its reverse pass (see [`StateArg`]), in all
    /// regions: forward mode never reads them.
    pub fn snapshots(stmts: &[Stmt]) -> std::collections::HashSet<VarId> {
        fn walk(stmts: &[Stmt], out: &mut std::collections::HashSet<VarId>) {
            for s in stmts {
                match s {
                    Stmt::Def { rhs, .. } => out.extend(rhs.snapshots()),
                    Stmt::If(i) => {
                        walk(&i.then, out);
                        walk(&i.els, out);
                    }
                    Stmt::Loop(l) => {
                        if let LoopKind::While { cond_stmts, .. } = &l.kind {
                            walk(cond_stmts, out);
                        }
                        walk(&l.body, out);
                    }
                    Stmt::Inert { .. } | Stmt::Store { .. } | Stmt::Push { .. } => {}
                }
            }
        }
        let mut out = std::collections::HashSet::new();
        walk(stmts, &mut out);
        out
    }

    /// Whether code may change `v` in place, unversioned: a variable declared `mut` that copied
    /// code mutates (`v.swap(i, j)`, `v[k] = ..`, `&mut v`), or a `&mut` parameter.
    pub fn changes_in_place(&self, v: VarId) -> bool {
        self.vars[v].mutable
            || self.params.iter().any(|p| {
                p.var == Some(v)
                    && matches!(&p.ty, syn::Type::Reference(r) if r.mutability.is_some())
            })
    }

    /// The arrays whose length the source writes as a literal: parameters `[F; 3]`, and local
    /// arrays created with a fixed length (`[0.0; 3]`, `[a, b, c]`), in one walk.
    pub fn literal_lens(&self) -> std::collections::HashMap<VarId, usize> {
        fn created(stmts: &[Stmt], out: &mut std::collections::HashMap<VarId, usize>) {
            for s in stmts {
                match s {
                    Stmt::Def {
                        var,
                        rhs: Rhs::NewArray { len: Some(n), .. },
                        ..
                    } => {
                        out.insert(*var, *n);
                    }
                    Stmt::If(i) => {
                        created(&i.then, out);
                        created(&i.els, out);
                    }
                    Stmt::Loop(l) => created(&l.body, out),
                    _ => {}
                }
            }
        }
        let mut out = std::collections::HashMap::new();
        for p in &self.params {
            if let (Some(v), syn::Type::Array(a)) = (p.var, &p.ty)
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) = &a.len
                && let Ok(n) = n.base10_parse()
            {
                out.insert(v, n);
            }
        }
        created(&self.stmts, &mut out);
        out
    }

    /// Whether `v` is a parameter of type `&mut [T]` (integer state, say): a copy of its
    /// elements can be passed where it is.
    pub fn is_mut_slice_param(&self, v: VarId) -> bool {
        self.params.iter().any(|p| {
            p.var == Some(v)
                && matches!(&p.ty, syn::Type::Reference(r)
                    if r.mutability.is_some() && matches!(*r.elem, syn::Type::Slice(_)))
        })
    }

    /// Whether `v` is a read-only slice parameter (`&[F]`, `&Vec<F>`, `&[F; N]`): in a companion, its
    /// tangent or adjoint may be zeros or a sink rather than a slice (`ad_runtime::Zero`).
    pub fn is_slice_param(&self, v: VarId) -> bool {
        self.params
            .iter()
            .any(|p| p.var == Some(v) && p.kind.lends_like_slice())
    }

    /// The variables an operand reads.
    pub fn var_of(op: &Operand) -> Option<VarId> {
        match op {
            Operand::Var(v) => Some(*v),
            Operand::Const(_) => None,
        }
    }

    /// Whether the operand is an active variable.
    pub fn is_active(&self, op: &Operand) -> bool {
        Self::var_of(op).is_some_and(|v| self.vars[v].active())
    }
}

impl Rhs {
    /// The operands a definition reads.
    pub fn operands(&self) -> Vec<&Operand> {
        match self {
            Rhs::Prim { args, .. } => args.iter().collect(),
            Rhs::Copy(op) | Rhs::Cast { value: op, .. } | Rhs::Field { base: op, .. } => vec![op],
            Rhs::Load { index, .. } => index.iter().collect(),
            // The ranges of sub-slices are read too; a copy of state stands for the state.
            Rhs::Call {
                args,
                memory,
                state,
                ..
            } => args
                .iter()
                .zip(state)
                .map(|(a, s)| s.as_ref().and_then(|s| s.snapshot.as_ref()).unwrap_or(a))
                .chain(memory.iter().flatten().filter_map(|m| m.range.as_ref()))
                .collect(),
            Rhs::Inert { .. } | Rhs::NewArray { .. } | Rhs::Pop { .. } => Vec::new(),
        }
    }
}
