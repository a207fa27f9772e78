//! Random differentiable programs for differential testing (SPEC §8).
//!
//! `tests/build.rs` includes this file (by `#[path]`, so the generator needs nothing but `std`)
//! and writes [`DEFAULT_COUNT`] programs (or `AD_RANDOM_PROGRAMS`) into
//! `OUT_DIR/random_programs_{1,2}of2.rs`: one module per program holding the function, with both
//! `#[derive_tangent]` and `#[derive_grad]` on it, four small wrappers that call the function and
//! its derivatives on a flat point (inputs and outputs flat: a struct's floats are coordinates
//! like any other), and a table of [`Compiled`] entries. A program with one output has two more
//! copies: one under `#[derive_grad(checkpoint)]`, or `checkpoint(snapshots = 2)` for odd
//! indices (its gradient must equal the plain one bit for bit) and, when it has a scalar input
//! `x`, has no local float arrays and writes no struct in place (its helpers over floats then
//! carry `#[derive_grad(second_order)]`, for their second-order companions, and `h_rot`, which
//! returns an array, is inlined into the Hessian's code), one under
//! `#[derive_grad(hessian, wrt(x))]`, or `wrt(s, x)` when it takes a struct `s` (by value, by
//! `&`, or as a method's `self`): its second derivative in `x`, forward over reverse, read from
//! the struct's Hessian for a struct, is checked against finite differences of the gradient.
//! `tests/tests/random/mod.rs` checks every entry: forward against reverse, both against
//! finite differences, and the dot-product test. The module is `ad_tests::r#gen` (`gen` is a
//! reserved word in edition 2024); `program(k)` gives program `k` back, with its points.
//!
//! The grammar (the subset that works in both modes today):
//!
//! - parameters: 1-4 `f64` scalars, optionally `w: &[f64]` (3 or 4 elements, read at constant
//!   indices or at `i % 3`-style indices of loop counters), optionally `n: usize`, in random order;
//! - statements: `let` / `let mut` (with or without `: f64`), shadowing, tuple `let`s,
//!   assignment, `+= -= *=`, `if` / `else if` / `else` on comparisons of floats (also `&&`, `||`,
//!   `!`) or integers (also `i != k`), `for` over `0..n`, `0..=k`, `.rev()`, `.step_by(2)`,
//!   `0..w.len()` (also reversed or stepped) and triangular `0..(i + 1)` ranges, `while` with an
//!   integer counter, `match` on `i % 3`, and `return` / `break` / `continue` under integer
//!   conditions; assignments of literals (`y = 2.0;`) and copies (`b = y;`, also of a loop's
//!   recurrence variable inside the loop), tuple `let`s of constants only;
//! - expressions: `+ - * /`, unary `-`, `i as f64`, literals, and `sin cos tanh exp sqrt ln powi
//!   atan hypot mul_add abs max min` in method and path form, on safe domains (`sqrt` and `ln`
//!   of `a * a + 1.0`, `exp` of bounded arguments, divisions by `c + b * b` or `2.0 + b.sin()`);
//!   `if` and `match` as values;
//! - one `f64` output or a pair; in a quarter of the programs without a struct (drawn from a
//!   stream of its own), the body ends with a guard that returns early and then a sum over a
//!   range that only accumulates, added into the first output (`if c { return ..; } let mut
//!   s: f64 = 0.0; for i in 0..3 { s += e; }`): reverse mode fuses that loop, inside the arm
//!   the early return leaves (`Gen::guarded_sum`);
//! - integer state, in [`INTEGER_SHARE`] of the programs (they always have `w`): a local
//!   `let mut idx: [usize; K] = [..];` (`K` 3 or 4; a permutation of `0..K` or a list of indices
//!   below `w.len()`), sometimes a parameter `iw: &mut [usize]` (the wrappers pass a fresh copy);
//!   element writes `a[i] = b[j];`, `a.swap(i, j);`, `a[i] = (a[i] + 1) % L;` (`L` a literal or `w.len()`) anywhere (also
//!   in loops and branches, at `i % K`-style indices), reads `w[a[i]]` in float expressions,
//!   integer branches `if a[i] < b[j]`, saved elements `let sv = a[i];` (integers like any
//!   other), copies written and used `let mut rot = idx; rot[0] = idx[2];`, and calls of
//!   annotated helpers emitted in the program's module ([`Helper`]: `h_read(x, w, &idx)` /
//!   `(x, w, iw)`, `h_swap` and `h_bump(x, w, iw)` which write the list and restore it or not,
//!   `h_val(x, w, idx)` by value, the recursion `h_rec(x, w, iw, depth)` in the style of a
//!   determinant by minors), their result added into a float, often between a write of an
//!   element and its undoing (`let sv = a[i]; a[i] = a[j]; y = y + h(y, w, a); a[i] = sv;`),
//!   at the top level and in loops and branches. Its `hessian` copy differentiates twice
//!   through these helpers (recursion and state included). Shapes that once did not compile
//!   are behind switches ([`Features`], on by default).
//!
//! - local arrays of floats (issue 16, [`Stmt::FloatArr`]): `[e; 3]` / `vec![e; 3]` of a
//!   differentiated `e`, written, read, and at the top level lent to the annotated helper
//!   `h_fsum(&fa)` and written again after the call (also in a loop: GMM's shape); inside
//!   branches and loop bodies too. `AD_GEN_FLOAT_ARRAYS=0` turns them off. Found at once: an
//!   element that is a path call (`[f64::tanh(b); 3]`) was taken for a constant, a silently
//!   zero derivative (fixed).
//!
//! - annotated helpers over small float arrays passed by value, with array results
//!   ([`Helper::Rot`] `h_rot(a: [f64; 3], s: f64) -> [f64; 3]`, [`Helper::Dot3`]
//!   `h_dot3(a: [f64; 3], b: [f64; 3]) -> f64`, each taking an array parameter apart with `let
//!   [a0, a1, a2] = a;`; see `Gen::arr_helper_stmt`), at the top level
//!   and in branches and loop bodies: `let q = h_rot([e1, e2, e3], e4);` read by element at
//!   literal indices in the block of the `let` (`y = y + q[1] * 0.5;`), `let [qa, qb, qc] =
//!   h_rot(..);`, `y += h_dot3([e1, e2, e3], [e5, 1.0, e6]);` (elements sometimes constants),
//!   `let q = h_rot(..); y += h_dot3(q, [..]);` (`q` passed whole and never read by element: a
//!   documented refusal), and a local `let mut pa = [0.0; 3];` (or `[e; 3]`) written element by
//!   element (sometimes first assigned whole from another, `pa1 = pa0;`), passed by value
//!   (`h_dot3(pa, ..)`, `h_rot(pa, e)`), often written again after the call and used again,
//!   also later in loops and branches around it; a struct's `[f64; 3]` field is passed whole
//!   too (`h_rot(p.inner.u, e)`). Drawn from their own
//!   stream, so other programs are unchanged; `AD_GEN_ARRAY_HELPERS=0` turns them off. Two
//!   shapes found failing at once (MACRO BUG 8 and 9, below, fixed) have switches of their own.
//!
//! - structs (issue 17, [`Structs`]), in [`STRUCT_SHARE`] of the programs: a
//!   `#[derive(Differentiable)]` struct named after the function (`p0042` takes a `P0042`) with
//!   fields `f64`, `[f64; N]`, `Vec<f64>`, a nested derive struct `P0042In` (floats and an
//!   array) and a constant `usize`, in random order, taken as `p: &S`, `s: S` (`Copy`), `s: &mut
//!   S`, or as the receiver of a method in `impl S` on `&self`, `self` or `&mut self` under
//!   `#[derive_tangent(wrt(self, ..))]` / `#[derive_grad(wrt(self, ..))]`. Fields are read in
//!   any float expression ([`Expr::Field`]: `p.a`, `p.w[1]`, `p.inner.u[(i % p.inner.u.len())]`,
//!   `(p.k as f64)`), in conditions (`if p.a > 0.3 { .. }`), in loops over a field
//!   (`for i in (0..p.w.len()).rev()`, `0..p.v.len()`, `0..p.k`, stepped or from 1), whose counter
//!   indexes the field directly (`acc += p.w[i] * e;`); a `&mut` struct is written in place
//!   ([`Stmt::FieldSet`]: `s.v = e;`, `s.x += e;`, `s.w[i] = s.w[i] * 0.5 + e;`, also in loops and
//!   branches, and at the end from the floats assigned last), and may return `()`. A struct
//!   result ([`STail`]; the parameter's own type, `-> Self` in a method, or a `P0042Out` with
//!   floats, an array and the nested struct) is a literal at the end of the body or at the end of
//!   each arm of an `if` there, sometimes with `..*p` / `..s` / `..*self` and nested
//!   `P0042In { c: e, ..p.inner }`; no early `return` then. The flat point ends with the struct's
//!   floats (in the order of `to_flat`); the flat output is the `f64` results, then the floats of
//!   a `&mut` struct as the call leaves it or those of the struct result. The wrappers build the
//!   structs from the flat vectors by hand (`mk`) and read them back with `to_flat`. Drawn from
//!   their own stream, so other programs are unchanged; `AD_GEN_STRUCTS=0` turns them off. Four
//!   shapes found failing at once (MACRO BUG 10 to 13, below, all fixed) have switches of their
//!   own.
//!
//! - a vector type with operator impls (issue 17, `gen_v3.rs`), in a share of the programs: float
//!   expressions computed through `V3` (`Add`, `Sub`, `Mul<f64>`, `f64 * V3`, `Neg`, `new`,
//!   `cross`, `dot`, `len1`, struct literals, `if` branches yielding vectors), which the macros
//!   inline. Drawn from their own stream; `AD_GEN_V3=0` turns them off. Their first run found
//!   MACRO BUG 14 (below, fixed).
//!
//! - closures that `return` early (`if a > 0.25 { return body; } 0.5 * a`) or take sub-slices
//!   of `w` (`f(&w[1..3], e)`), and an `Option` consumer bound by `if let` (`if let Some(a) =
//!   w.iter().copied().filter(..).reduce(f64::max) { .. } else { .. }`): three in four of the
//!   local closures, drawn from a stream of their own ([`ChainKind::ClosureReturn`],
//!   [`ChainKind::ClosureSlice`], [`ChainKind::IfLetMax`]).
//!
//! - a `loop` ending the body, left only by the `return` of the float results on its first to
//!   third turn ([`Program::loop_tail`]), in a fifth of the programs without a struct result:
//!   the shape of a solver that returns from inside its iteration. Drawn from its own stream.
//!
//! - running maxima and minima: about three loops in ten end with `t = t.max(e)` or
//!   `t = f64::min(e, t)` (either argument order, method or path form; `e` does not read `t`)
//!   instead of another update, and a fifth of the `for` loops have only `let`s before it; such
//!   a loop carrying nothing else at the top level is a selection loop, whose reverse sweep runs
//!   only the iteration the result came from. Drawn from their own stream.
//!
//! Values are kept bounded: every expression carries a rough bound of its magnitude, and one
//! that may exceed [`CAP`] is wrapped in `tanh`, `sin`, `atan` or `cos`. Most loops update an
//! accumulator (a reduction, a product or a recurrence that reads itself), outputs combine the
//! variables assigned last, and after about half of the loops the variables the loop assigns
//! are folded into `total`, which every output adds; after the others they may be dead.
//!
//! Constructs on which the macros once failed are generated on purpose; each place names its
//! bug (MACRO BUG 1 to 9 in this file, all fixed: `i != k` in loops, `.rev()` / `.step_by()` of a
//! range over `w.len()`, a float literal assigned to a variable, a loop-carried variable that
//! is dead after its loop, a copy `b = y;` in a loop, a tuple `let` of constants in a region,
//! and integer state, below; array literals and array results of helpers, below; structs,
//! MACRO BUG 10 to 13, below; MACRO BUG 14, below).
//!
//! MACRO BUG 7 (fixed; found by this generator after 3 programs, 68 of 1000 failing, before the
//! fix): integer state that steers the computation gave SILENTLY WRONG reverse-mode gradients.
//! (a) An index list passed to a call, written before the call and restored after it
//! (`let s = c[k]; c[k] = c[j]; y += g(x, w, c); c[k] = s;`, also `c` by value or as a
//! `&mut [usize]` parameter passed on, or written after the call and not restored): the
//! reverse sweep ran the callee again with the list as it is at the end, so the adjoints of `w`
//! landed on the wrong elements. (b) An integer array copied by value and written before a call
//! (`let mut rot = idx; rot[0] = idx[2]; g(x, w, rot)`) inside a branch or a loop body: the
//! replay of the region kept `let mut rot = idx;` but dropped the element writes. (c) A
//! `&mut Vec<usize>` lent to an annotated callee did not compile (`usize: Float`). Also: a
//! checkpointed loop that writes an integer array gave a gradient other than the plain one;
//! `&rot` of a local integer array in a region or written after the call did not compile
//! (E0716, E0506); `a[i] = (a[i] + 1) % w.len();` was refused. The shapes that did not compile
//! are behind switches ([`Features`], on by default).
//!
//! MACRO BUG 8 (fixed; found by this generator, 9 of the first 300 programs): a local array
//! created by an array literal and then written element by element is refused in both modes,
//! also for a literal of constants: `let mut v = [0.5, 1.0]; v[1] = x * y; v[0] * v[1]` gives
//! "cannot differentiate the assignment `v[1] = x * y`: only plain local variables can receive
//! differentiated values", though the guide lists local arrays "created by a literal, ..,
//! written element by element" (`[0.0; 3]` and `[e; 3]` work). Such a literal is now memory
//! from its `let`. `AD_GEN_FARR_LITERAL=0` turns the shape off.
//!
//! MACRO BUG 9 (fixed; 15 of the first 300 programs): reverse mode does not compile when the
//! array an annotated call returned is passed whole twice (`let q = h_rot([x, 1.0, 0.0], x);
//! h_dot3(q, q)`, or to two calls: E0369 "cannot add `[f64; 3]` to `[f64; 3]`"), or once inside a
//! branch or loop body below its `let` (`if x > 0.0 { s += h_dot3(q, [s, 1.0, x]); }`: E0277
//! "the trait bound `[f64; 3]: ad_runtime::Float` is not satisfied", required by `zero_like`).
//! Forward mode compiled and was right. A name bound to the result of a function of the same
//! file that returns `[F; N]` is now bound to its N elements, like an array literal; a loop that
//! turns an array into a single value (a helper the macro cannot see) is refused.
//! `AD_GEN_WHOLE_AGAIN=0` turns the shape off.
//!
//! MACRO BUG 10 (fixed; found by this generator at program 41, 28 of 1000 failing with the shape
//! on): a field of a struct parameter read inside a macro call does not compile in either
//! mode: the field reads become reads of the flat parameters (`s.a` becomes `(*s__a)`) everywhere
//! but in the tokens of `vec![..]`, which keep naming the struct, gone from the flat function:
//!
//! ```text
//! #[derive(Differentiable, Clone, Copy)]
//! pub struct S { pub a: f64 }
//! #[derive_tangent]
//! #[derive_grad]
//! pub fn f(x: f64, s: &S) -> f64 {
//!     let v = vec![s.a * x; 2];   // E0425 "cannot find value `s` in this scope"
//!     v[0] * v[1]
//! }
//! ```
//!
//! (`self.a` in a method: E0424 "expected value, found module `self`"; `[s.a * x; 2]` works.)
//! Fixed: the arguments of a macro call that parse as expressions are taken apart like any
//! other (`front/struct_values.rs`). `AD_GEN_STRUCT_IN_VEC=0` turns the shape off (an element
//! of [`Stmt::FloatArr`] that reads a field then makes the array `[e; 3]`).
//!
//! MACRO BUG 11 (fixed; 17 of 1000 programs failing with the shape on, the first at 83): a struct
//! result that takes a field
//! holding an array whole from a struct behind a reference (`&S`, `&mut S`, `&self`), by `..*p`,
//! by `..p.inner` of a nested struct with an array, or by `u: p.u`, does not compile in either
//! mode (E0308 "expected `[f64; 2]`, found `&[f64; 2]`"); by value (`..s`) it works:
//!
//! ```text
//! #[derive(Differentiable, Clone, Copy)]
//! pub struct S { pub a: f64, pub u: [f64; 2] }
//! #[derive_tangent]
//! #[derive_grad]
//! pub fn f(s: &S, x: f64) -> S {
//!     S { a: s.a * x, ..*s }      // E0308 at `s` and at the attribute
//! }
//! ```
//!
//! Fixed: an array taken from `..base` is read element by element. `AD_GEN_STRUCT_CARRY=0`
//! turns the shape off; then a literal over a borrowed struct names every field that holds an
//! array.
//!
//! MACRO BUG 12 (fixed; a refusal in both modes; 1 of 1000 programs with
//! `AD_GEN_STRUCT_ARM_MIX=1 AD_GEN_STRUCT_VALUE_CARRY=1`, program 738): the arms of
//! an `if` at the end of the body build the struct result with different fields, one naming an
//! array field and the other taking it from `..base`; the guide allows a literal "at the end of
//! each arm", but the macros say "cannot differentiate this branch: the value of this `if` or
//! `match` is a tuple or array on one side and a single value (a variable or a call's result) on
//! the other":
//!
//! ```text
//! #[derive(Differentiable, Clone, Copy)]
//! pub struct S { pub a: f64, pub u: [f64; 2] }
//! #[derive_tangent]
//! #[derive_grad]
//! pub fn f(s: S, x: f64) -> S {
//!     if x > 0.0 { S { a: s.a * x, ..s } } else { S { u: [x, s.a], ..s } }
//! }
//! ```
//!
//! Fixed: every arm yielding a struct reads its array leaves element by element, so both arms
//! build the tuple the same way. `AD_GEN_STRUCT_ARM_MIX=0` turns the shape off.
//!
//! `AD_GEN_STRUCT_ARM_MIX=1` turns the shape on (half the `if` results then draw their arms
//! apart); without it both arms give the same fields, in the same way. An arm leaves an array to
//! `..base` only with `AD_GEN_STRUCT_CARRY=1` or `AD_GEN_STRUCT_VALUE_CARRY=1` (below).
//!
//! MACRO BUG 13 (fixed; was SILENTLY WRONG reverse mode; found by this generator at program 192, 4 of
//! 1000 failing with the shape on): a struct result that takes an array field (or a nested struct
//! holding one) whole by `..s` from a struct passed by value (`s: S`, `self`) gets a zero adjoint
//! for those elements from `_vjp` / `_grad`; forward mode and finite differences give the
//! identity. A float field taken the same way is right:
//!
//! ```text
//! #[derive(Differentiable, Clone, Copy, Debug)]
//! pub struct S { pub a: f64, pub b: f64, pub u: [f64; 2] }
//! #[derive_tangent]
//! #[derive_grad]
//! pub fn f(s: S, x: f64) -> S {
//!     S { a: s.a * x, ..s }
//! }
//! // f_vjp(S { a: 0.5, b: 2.0, u: [1.0, 2.0] }, 3.0, S { a: 0.0, b: 1.0, u: [1.0, 0.0] })
//! // gives the adjoint S { a: 0.0, b: 1.0, u: [0.0, 0.0] }: `u` should be [1.0, 0.0].
//! ```
//!
//! Fixed with MACRO BUG 11: an array taken from `..base` is read element by element
//! (`[s.u[0], s.u[1]]`). `AD_GEN_STRUCT_VALUE_CARRY=0` turns the shape off.
//!
//! MACRO BUG 14 (fixed; found by the `V3` programs, p0463 of 1000): an index list read inside a
//! branch, then passed on by name to a helper that changes it (a `&mut [usize]` parameter given
//! as `iw`, no `&mut` at the call), gave a silently wrong reverse gradient: the branch's reverse
//! sweep read the index again, after the helper had changed it.
//!
//! ```text
//! pub fn f(x: f64, y: f64, w: &[f64], iw: &mut [usize]) -> f64 {
//!     let q = if y < 0.0 { 1.0 } else { w[iw[0]] * y };
//!     x * q + h_bump(x, w, iw)   // h_bump changes iw
//! }
//! ```
//!
//! Fixed: a `&mut` parameter passed on by name counts as changed in place (`mutated_in_place`),
//! so the read is stored (test `index_read_in_a_branch_then_passed_on`).
//!
//! The evaluation points are chosen at build time with an interpreter ([`Program::eval`]) that
//! performs the same `f64` operations in the same order as the compiled function. A point is
//! kept only if every float comparison, `abs`, `max` / `min` and `hypot` it reaches is at least
//! [`MARGIN`] away from its switch or kink, every point of the finite-difference stencil around it
//! takes the same branches, no intermediate value exceeds [`MAX_MAGNITUDE`], and finite
//! differences with two steps agree ([`FD_AGREEMENT`]). A program for
//! which 3 such points are not found among 60 candidates is replaced by the next seed.

#[path = "gen_v3.rs"]
mod v3;
use std::collections::HashSet;
use std::fmt::Write as _;

/// Programs generated by default.
pub const DEFAULT_COUNT: usize = 1000;
/// The seed of program 0; program `k` is generated from a seed derived from `BASE_SEED + k`.
pub const BASE_SEED: u64 = 0x5eed_ad00_2024_0001;
/// Evaluation points per program.
pub const POINTS: usize = 3;
/// Expressions whose magnitude may exceed this are wrapped in a bounded function.
pub const CAP: f64 = 3.0;
/// The smallest accepted distance of a point from a branch switch or kink (in the value compared).
pub const MARGIN: f64 = 1e-3;
/// The largest accepted magnitude of any intermediate value at an evaluation point.
pub const MAX_MAGNITUDE: f64 = 1e2;
/// How closely (relative, floor 1) five-point differences with steps `h` and `h / 2` must agree
/// at an evaluation point: an estimate of the finite differences' own error, kept 10 times
/// below the test's tolerance.
pub const FD_AGREEMENT: f64 = 1e-6;
/// Points are drawn uniformly from `[-RANGE, RANGE]` in each coordinate.
pub const RANGE: f64 = 1.25;

// =============================================================================================
// Random numbers
// =============================================================================================

/// SplitMix64: a small, fast, deterministic generator (Steele, Lea, Flood 2014).
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform float in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A uniform float in `[-1, 1)`.
    pub fn signed(&mut self) -> f64 {
        self.range(-1.0, 1.0)
    }

    /// `n` uniform floats in `[lo, hi)`.
    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.range(lo, hi)).collect()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

// =============================================================================================
// Syntax
// =============================================================================================

/// A float expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A float literal.
    Lit(f64),
    /// A float variable or parameter.
    Var(String),
    /// `w[index]`.
    Elem(IExpr),
    /// `pc[row][col]` (active points) or `tb[row][col]` (a constant table): see [`Nested`].
    Row(NestedName, IExpr, usize),
    /// `(i as f64)`.
    Cast(IExpr),
    /// `-e`.
    Neg(Box<Expr>),
    /// `(a op b)`.
    Bin(Op, Box<Expr>, Box<Expr>),
    /// A float method: `args[0].fun(args[1..])`, or `f64::fun(args..)` when `path`.
    Call(Fun, Vec<Expr>, bool),
    /// `if cond { a } else { b }`.
    If(Box<Cond>, Box<Expr>, Box<Expr>),
    /// `match scrutinee { 0 => a, 1 => b, _ => c }` (one arm per expression, the last `_`).
    Match(IExpr, Vec<Expr>),
    /// An iterator chain or a local closure (issue 16): see [`Chain`].
    Chain(Box<Chain>),
    /// `name[k]`: an element, at a literal index, of a local array of floats or of the array
    /// [`Helper::Rot`] returned (see [`Stmt::LetRot`]).
    AElem(String, usize),
    /// `h_dot3(a, b)` ([`Helper::Dot3`]).
    Dot(Box<[FArg; 2]>),
    /// A float of the struct parameter (issue 17): `p.a`, `p.w[i]`, `p.inner.u[1]`.
    Field(FieldRef),
    /// A float read from a vector expression over `V3` (issue 17): see the private module `v3`
    /// (`gen_v3.rs`).
    V3(Box<v3::Scalar>),
}

/// A float field of the struct parameter, or an element of one of its arrays or `Vec`s:
/// `recv.path[index]` (`recv` is `p`, `s`, .. or `self`; `path` may name a nested field,
/// `inner.u`).
#[derive(Clone, Debug)]
pub struct FieldRef {
    /// The parameter: `p`, `s`, `self`, ..
    pub recv: String,
    /// The field, dotted when nested.
    pub path: String,
    /// The index, for an array or a `Vec`.
    pub index: Option<IExpr>,
}

/// An array of three floats passed by value to [`Helper::Rot`] or [`Helper::Dot3`].
#[derive(Clone, Debug)]
pub enum FArg {
    /// An array literal `[e1, e2, e3]` (its elements sometimes constants).
    Lit(Box<[Expr; 3]>),
    /// A local `[f64; 3]` ([`Stmt::LetFArr`]) or an array [`Helper::Rot`] returned that is
    /// passed whole only.
    Name(String),
    /// A `[f64; 3]` field of the struct passed whole (`h_rot(p.inner.u, e)`): in the flat form
    /// of a borrowed struct it is an array behind a reference, passed as its value.
    Field(FieldRef),
}

/// An iterator chain over `w` or a range, or a local closure called twice: the shapes that
/// the macros rewrite into loops (`lower/chain.rs`) or inline (`lower/closure.rs`). `body`
/// reads the item names and any float in scope (captured).
#[derive(Clone, Debug)]
pub struct Chain {
    /// Which shape.
    pub kind: ChainKind,
    /// The names the closure binds (the second unused by some shapes).
    pub names: [String; 2],
    /// The closure's body.
    pub body: Expr,
    /// The arguments of [`ChainKind::Closure`]'s two calls.
    pub args: Vec<Expr>,
}

/// The shape of a [`Chain`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainKind {
    /// `w.iter().map(|&a| body).sum::<f64>()`
    MapSum,
    /// `w.iter().zip(w.iter().skip(1)).map(|(&a, &b)| body).sum::<f64>()`
    ZipSum,
    /// `w.windows(2).map(|pair| { let (a, b) = (pair[0], pair[1]); body }).sum::<f64>()`
    Windows,
    /// `w.iter().rev().fold(0.0, |fold_acc, &b| 0.5 * fold_acc + body)`
    Fold,
    /// `(0..3).map(|a| body).sum::<f64>()`, `a` an integer
    RangeSum,
    /// `{ let f = |a: f64| -> f64 { body }; f(args[0]) + f(args[1]) }`
    Closure,
    /// `{ let f = |a: f64| -> f64 { if a > 0.25 { return body; } 0.5 * a }; f(args[0]) +
    /// f(args[1]) }`: a `return` that leaves the closure only.
    ClosureReturn,
    /// `{ let f = |ws: &[f64], a: f64| -> f64 { ws[0] * body + ws[1] }; f(&w[1..3], args[0]) +
    /// f(&w[0..2], args[1]) }`: sub-slices of `w` passed to a closure.
    ClosureSlice,
    /// `if let Some(a) = w.iter().copied().filter(|&q| q > 0.25).reduce(f64::max) { body }
    /// else { args[0] }`: an `Option` consumer bound by `if let`, sometimes `None`.
    IfLetMax,
}

/// A binary float operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// A float method of the generated subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fun {
    /// `sin`
    Sin,
    /// `cos`
    Cos,
    /// `tanh`
    Tanh,
    /// `exp`
    Exp,
    /// `sqrt`
    Sqrt,
    /// `ln`
    Ln,
    /// `powi(k)`
    Powi(i32),
    /// `atan`
    Atan,
    /// `hypot`
    Hypot,
    /// `mul_add`
    MulAdd,
    /// `abs`
    Abs,
    /// `max`
    Max,
    /// `min`
    Min,
}

impl Fun {
    fn name(self) -> &'static str {
        match self {
            Fun::Sin => "sin",
            Fun::Cos => "cos",
            Fun::Tanh => "tanh",
            Fun::Exp => "exp",
            Fun::Sqrt => "sqrt",
            Fun::Ln => "ln",
            Fun::Powi(_) => "powi",
            Fun::Atan => "atan",
            Fun::Hypot => "hypot",
            Fun::MulAdd => "mul_add",
            Fun::Abs => "abs",
            Fun::Max => "max",
            Fun::Min => "min",
        }
    }
}

/// An integer (`usize`) expression.
#[derive(Clone, Debug)]
pub enum IExpr {
    /// An integer variable: `n`, a loop counter.
    Var(String),
    /// A literal.
    Lit(usize),
    /// `w.len()`.
    Len,
    /// `(a + b)`.
    Add(Box<IExpr>, Box<IExpr>),
    /// `(a % b)`.
    Rem(Box<IExpr>, Box<IExpr>),
    /// `arr[index]`: an element of an integer array (MACRO BUG 7).
    At(String, Box<IExpr>),
    /// `recv.path.len()`: the length of an array or `Vec` field of the struct (issue 17).
    SLen(String, String),
    /// `recv.path`: a constant `usize` field of the struct (issue 17).
    SConst(String, String),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==` (integers only)
    Eq,
    /// `!=` (integers only)
    Ne,
}

impl Cmp {
    fn text(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        }
    }

    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

/// A condition.
#[derive(Clone, Debug)]
pub enum Cond {
    /// A comparison of floats (never `==` / `!=`).
    F(Cmp, Expr, Expr),
    /// A comparison of integers.
    I(Cmp, IExpr, IExpr),
    /// `a && b`
    And(Box<Cond>, Box<Cond>),
    /// `a || b`
    Or(Box<Cond>, Box<Cond>),
    /// `!a`
    Not(Box<Cond>),
}

/// A compound assignment operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `*=`
    Mul,
}

/// The range of a `for` loop: `lo..hi` or `lo..=hi`, optionally `.rev()` or `.step_by(2)`.
#[derive(Clone, Debug)]
pub struct Range {
    /// Start.
    pub lo: usize,
    /// End.
    pub hi: IExpr,
    /// `..=` rather than `..`.
    pub inclusive: bool,
    /// `.rev()`.
    pub rev: bool,
    /// `.step_by(k)`.
    pub step: Option<usize>,
}

/// A statement.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let [mut] name[: f64] = value;`
    Let {
        /// The name bound.
        name: String,
        /// `let mut`.
        mutable: bool,
        /// Written with `: f64`.
        annotate: bool,
        /// The value.
        value: Expr,
    },
    /// `let (a, b) = (e1, e2);`
    LetPair([String; 2], [Expr; 2]),
    /// `name = value;`
    Assign(String, Expr),
    /// `name op= value;`
    Compound(String, AssignOp, Expr),
    /// `if cond { .. } else { .. }`; an `else` holding only an `If` prints as `else if`.
    If(Cond, Vec<Stmt>, Option<Vec<Stmt>>),
    /// `for var in range { body }`
    For(String, Range, Vec<Stmt>),
    /// `let mut counter: usize = 0; while counter < hi { counter += 1; body }`
    While(String, IExpr, Vec<Stmt>),
    /// `match scrutinee { 0 => {..} 1 => {..} _ => {..} }`; an arm lists its patterns
    /// (or-patterns), the last arm is `_`.
    Match(IExpr, Vec<(Vec<usize>, Vec<Stmt>)>),
    /// `return value;` (one expression per output).
    Return(Vec<Expr>),
    /// `break;`
    Break,
    /// `continue;`
    Continue,
    /// An integer array (MACRO BUG 7): `let mut name: [usize; K] = [..];`,
    /// `let mut name = src;` (a copy) or `let mut name: Vec<usize> = vec![..];`.
    LetArr(String, ArrInit),
    /// `let name = value;` of an integer (an element saved before a write, say).
    LetInt(String, IExpr),
    /// `arr[index] = value;` on an integer array.
    ISet(String, IExpr, IExpr),
    /// `arr.swap(a, b);` on an integer array.
    ISwap(String, usize, usize),
    /// A local array of floats (issue 16), in a block that gives a fresh float its value:
    ///
    /// ```text
    /// let mut target: f64 = {
    ///     let mut fa = [elem; 3];            // or vec![elem; 3]
    ///     fa[1] = fa[1] * 0.5 + 0.25;
    ///     let mut r: f64 = fa[0] * fa[2];    // with `lend`: h_fsum(&fa), then fa written again
    ///     fa[0] = fa[2] * 0.5;
    ///     r = r + (fa[0] * fa[1]).sin();
    ///     r
    /// };
    /// ```
    ///
    /// With `looped` (and `lend`), GMM's shape: `for j in 0..2 { fa[j] = fa[j + 1] * 0.5 +
    /// r * 0.1; r = r + h_fsum(&fa); }`, the array lent and rewritten in each iteration. Inside
    /// a branch or loop body the array is created in a region (never lent there).
    FloatArr {
        /// The float receiving the result.
        target: String,
        /// The name of the array.
        array: String,
        /// The value every element starts with.
        elem: Expr,
        /// `vec![..]` rather than `[..]`.
        vec: bool,
        /// Lent to [`Helper::FSum`].
        lend: bool,
        /// Lent in a loop that writes it again.
        looped: bool,
    },
    /// A call of a helper (see [`Helper`]), its result added into a float:
    /// `target = target + helper(x, w, arg[, depth]);` (`+=` when `compound`), or
    /// `let mut target = helper(..);` when `fresh`.
    CallHelper {
        /// The float receiving the result.
        target: String,
        /// `let mut target = ..` rather than an update.
        fresh: bool,
        /// `+=` rather than `target = target + ..`.
        compound: bool,
        /// The callee.
        helper: Helper,
        /// The float argument, a variable.
        x: String,
        /// The integer array passed, and how.
        arg: ArrArg,
        /// The recursion depth passed to [`Helper::Rec`].
        depth: usize,
    },
    /// A local array of three floats, passed by value to the helpers over arrays:
    /// `let mut name[: [f64; 3]] = init;`.
    LetFArr {
        /// Its name.
        name: String,
        /// How it starts.
        init: FInit,
        /// Written with `: [f64; 3]`.
        annotate: bool,
    },
    /// `name[k] = value;` on a local array of floats.
    FSet(String, usize, Expr),
    /// `to = from;`: a local array of floats assigned whole from another.
    FCopy(String, String),
    /// `for fq in 0..3 { name[fq] = (e * (fq as f64 + 1.0)).tanh(); }`: a local array of floats
    /// written by a loop at its index, which reverse mode may read again rather than store.
    FTanh(String, Expr),
    /// `let name = h_rot(arg, s);` or `let [a, b, c] = h_rot(arg, s);` ([`Helper::Rot`]).
    LetRot {
        /// The name bound, or the three names of the slice pattern.
        bind: RotBind,
        /// The array passed.
        arg: FArg,
        /// The angle.
        s: Expr,
    },
    /// A write of a field of a `&mut` struct (issue 17): `s.v = e;`, `s.w[i] += e;` (`None`:
    /// plain `=`).
    FieldSet(FieldRef, Option<AssignOp>, Expr),
}

/// How a local array of floats ([`Stmt::LetFArr`]) starts.
#[derive(Clone, Debug)]
pub enum FInit {
    /// `[0.0; 3]`.
    Zeros,
    /// `[e; 3]`.
    Fill(Expr),
    /// `[e1, e2, e3]`.
    Lit(Box<[Expr; 3]>),
}

/// What [`Stmt::LetRot`] binds.
#[derive(Clone, Debug)]
pub enum RotBind {
    /// `let q = ..`: an array, then read by element at literal indices in the same region, or
    /// passed whole (never both: a documented refusal).
    Name(String),
    /// `let [a, b, c] = ..`: three floats.
    Parts([String; 3]),
}

/// How an integer array starts.
#[derive(Clone, Debug)]
pub enum ArrInit {
    /// `[usize; K]` literal.
    Lit(Vec<usize>),
    /// A copy of another local array, `let mut rot = idx;`.
    Copy(String),
    /// `Vec<usize>` from `vec![..]`.
    Vec(Vec<usize>),
}

/// Where an integer array lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrHow {
    /// A local `[usize; K]`.
    Local,
    /// The parameter `iw: &mut [usize]`.
    Param,
    /// A local `Vec<usize>`.
    Vec,
}

/// An integer array passed to a helper.
#[derive(Clone, Debug)]
pub struct ArrArg {
    /// Its name.
    pub name: String,
    /// Where it lives.
    pub how: ArrHow,
    /// How it is passed.
    pub pass: Pass,
}

/// How an integer array is passed to a helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// To read: `&idx` (a local array or `Vec`), `iw` (the parameter).
    Shared,
    /// To write: `iw` (the parameter), `&mut iv` (a `Vec`).
    Mut,
    /// By value: `idx` (a local `[usize; K]`).
    Value,
}

/// The hand-written helpers a program may call, emitted next to it in its module with both
/// attributes (see [`Helper::source`]); the private `Machine` has a matching case for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Helper {
    /// `h_read(x, w, ix: &[usize])`: reads through `ix`, an integer branch.
    Read,
    /// `h_swap(x, w, ix: &mut [usize])`: swaps, reads, swaps back (mutate and restore).
    Swap,
    /// `h_bump(x, w, ix: &mut [usize])`: writes `ix` and leaves it changed, then reads.
    Bump,
    /// `h_val(x, w, ix: [usize; K])`: by value, copies and writes the copy, reads it in a loop.
    Val,
    /// `h_rec(x, w, ix: &mut [usize], depth)`: recursion in the style of a determinant by
    /// minors: swap, recurse, restore.
    Rec,
    /// `h_vec(x, w, ix: &mut Vec<usize>)` (only with `AD_GEN_VEC_USIZE=1`).
    VecH,
    /// `h_fsum(v: &[f64])`: reads a local array of floats lent to it ([`Stmt::FloatArr`]).
    FSum,
    /// `h_rot(a: [f64; 3], s: f64) -> [f64; 3]`: an array by value, an array result (see
    /// [`Stmt::LetRot`]).
    Rot,
    /// `h_dot3(a: [f64; 3], b: [f64; 3]) -> f64`: two arrays by value ([`Expr::Dot`]).
    Dot3,
}

impl Helper {
    /// Its name in the program's module.
    pub fn name(self) -> &'static str {
        match self {
            Helper::Read => "h_read",
            Helper::Swap => "h_swap",
            Helper::Bump => "h_bump",
            Helper::Val => "h_val",
            Helper::Rec => "h_rec",
            Helper::VecH => "h_vec",
            Helper::FSum => "h_fsum",
            Helper::Rot => "h_rot",
            Helper::Dot3 => "h_dot3",
        }
    }

    /// A bound of its result's magnitude for a float argument bounded by `x` (`|w| <= RANGE`).
    fn bound(self, x: f64, depth: usize) -> f64 {
        match self {
            Helper::Read | Helper::Swap | Helper::Bump | Helper::Val => 2.5,
            Helper::Rec => (depth + 1) as f64 * RANGE * x,
            Helper::VecH => RANGE + RANGE * x,
            Helper::FSum => 1.0,
            Helper::Rot | Helper::Dot3 => unreachable!("bounded by their arguments' bounds"),
        }
    }

    /// Whether it carries second-order companions: its differentiated arguments are floats
    /// (`x`; `w` is a constant of the Hessian's copy, which differentiates one scalar input) or
    /// arrays `[f64; 3]` by value, and it returns one float.
    fn second_order(self) -> bool {
        !matches!(self, Helper::FSum | Helper::Rot)
    }

    /// Whether a Hessian goes through it: through its companions, or (`h_rot`, returning an
    /// array; `h_fsum`, given a slice) by inlining it, as a function of the same file.
    fn in_hessian(self) -> bool {
        self.second_order() || matches!(self, Helper::Rot | Helper::FSum)
    }

    /// Its source, with both attributes, for integer arrays of length `k` and `w` of length `l`;
    /// with `hessian`, under `derive_grad(second_order)`: the second-order companions a caller's
    /// Hessian runs through it.
    pub fn source(self, k: usize, l: usize, hessian: bool) -> String {
        let body = match self {
            Helper::Read => "pub fn h_read(x: f64, w: &[f64], ix: &[usize]) -> f64 {
    let mut s: f64 = 0.0;
    for k in 0..ix.len() {
        s += w[ix[k]] * (x + (k as f64)).sin();
    }
    if ix[0] < ix[1] {
        s = s * x.cos();
    }
    s * 0.5
}
"
            .to_owned(),
            Helper::Swap => "pub fn h_swap(x: f64, w: &[f64], ix: &mut [usize]) -> f64 {
    ix.swap(0, 1);
    let v = w[ix[0]] * x.sin() + w[ix[1]] * x.cos();
    ix.swap(0, 1);
    v
}
"
            .to_owned(),
            Helper::Bump => format!(
                "pub fn h_bump(x: f64, w: &[f64], ix: &mut [usize]) -> f64 {{
    ix[0] = (ix[0] + 1) % {l};
    let last = ix.len() - 1;
    ix.swap(1, last);
    w[ix[0]] * x.tanh() + w[ix[1]] * (x * 0.5).sin()
}}
"
            ),
            Helper::Val => format!(
                "pub fn h_val(x: f64, w: &[f64], ix: [usize; {k}]) -> f64 {{
    let mut jx = ix;
    jx[0] = ix[{}];
    let mut s: f64 = 0.0;
    for k in 0..2 {{
        s += w[jx[k]] * (x * ((k as f64) + 1.0)).sin();
    }}
    s
}}
",
                k - 1
            ),
            Helper::Rec => {
                "pub fn h_rec(x: f64, w: &[f64], ix: &mut [usize], depth: usize) -> f64 {
    if depth == 0 {
        return w[ix[0]] * x;
    }
    let s = ix[depth];
    ix[depth] = ix[0];
    let v = h_rec(x.sin(), w, ix, depth - 1);
    ix[depth] = s;
    v + w[ix[depth]] * x
}
"
                .to_owned()
            }
            Helper::VecH => "pub fn h_vec(x: f64, w: &[f64], ix: &mut Vec<usize>) -> f64 {
    ix.swap(0, 1);
    w[ix[0]] * x.sin() + w[ix[2]] * x
}
"
            .to_owned(),
            Helper::FSum => "pub fn h_fsum(v: &[f64]) -> f64 {
    let mut s: f64 = 0.0;
    for i in 0..v.len() {
        s += v[i] * ((i as f64) + 0.5);
    }
    s.tanh()
}
"
            .to_owned(),
            Helper::Rot => "pub fn h_rot(a: [f64; 3], s: f64) -> [f64; 3] {
    let [a0, a1, a2] = a;
    let c = s.cos();
    let t = s.sin();
    [a0 * c - a1 * t, a0 * t + a1 * c, a2 + 0.5 * s * a0]
}
"
            .to_owned(),
            Helper::Dot3 => "pub fn h_dot3(a: [f64; 3], b: [f64; 3]) -> f64 {
    let [b0, b1, b2] = b;
    a[0] * b0 + a[1] * b1 + a[2] * b2
}
"
            .to_owned(),
        };
        let grad = if hessian && self.second_order() {
            "derive_grad(second_order)"
        } else {
            "derive_grad"
        };
        format!("#[derive_tangent]\n#[{grad}]\n{body}")
    }

    /// What the compiled helper computes, with the same `f64` operations in the same order;
    /// writes through `ix` as the helper does.
    fn eval(self, x: f64, w: &[f64], ix: &mut [usize], depth: usize) -> f64 {
        match self {
            Helper::Read => {
                let mut s: f64 = 0.0;
                for k in 0..ix.len() {
                    s += w[ix[k]] * (x + (k as f64)).sin();
                }
                if ix[0] < ix[1] {
                    s *= x.cos();
                }
                s * 0.5
            }
            Helper::Swap => {
                ix.swap(0, 1);
                let v = w[ix[0]] * x.sin() + w[ix[1]] * x.cos();
                ix.swap(0, 1);
                v
            }
            Helper::Bump => {
                ix[0] = (ix[0] + 1) % w.len();
                let last = ix.len() - 1;
                ix.swap(1, last);
                w[ix[0]] * x.tanh() + w[ix[1]] * (x * 0.5).sin()
            }
            Helper::Val => {
                let mut jx = ix.to_vec();
                jx[0] = ix[ix.len() - 1];
                let mut s: f64 = 0.0;
                for k in 0..2 {
                    s += w[jx[k]] * (x * ((k as f64) + 1.0)).sin();
                }
                s
            }
            Helper::Rec => {
                if depth == 0 {
                    return w[ix[0]] * x;
                }
                let s = ix[depth];
                ix[depth] = ix[0];
                let v = Helper::Rec.eval(x.sin(), w, ix, depth - 1);
                ix[depth] = s;
                v + w[ix[depth]] * x
            }
            Helper::VecH => {
                ix.swap(0, 1);
                w[ix[0]] * x.sin() + w[ix[2]] * x
            }
            Helper::FSum => unreachable!("h_fsum takes floats: see `fsum`"),
            Helper::Rot | Helper::Dot3 => unreachable!("see `rot` and `dot3`"),
        }
    }
}

/// What `h_fsum` computes, with the same `f64` operations in the same order.
fn fsum(v: &[f64]) -> f64 {
    let mut s: f64 = 0.0;
    for (i, x) in v.iter().enumerate() {
        s += x * ((i as f64) + 0.5);
    }
    s.tanh()
}

/// What `h_rot` computes, with the same `f64` operations in the same order.
fn rot(a: [f64; 3], s: f64) -> [f64; 3] {
    let c = s.cos();
    let t = s.sin();
    [
        a[0] * c - a[1] * t,
        a[0] * t + a[1] * c,
        a[2] + 0.5 * s * a[0],
    ]
}

/// What `h_dot3` computes, with the same `f64` operations in the same order.
fn dot3(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Where a parameter sits in the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `x{k}: f64`, coordinate `k` of the flat point.
    Scalar(usize),
    /// `w: &[f64]`, coordinates `scalars..scalars + len` of the flat point.
    Slice,
    /// `n: usize`, a constant.
    N,
    /// `iw: &mut [usize]`, a constant integer list (MACRO BUG 7); every call passes a fresh
    /// copy of [`Program::iw`].
    IdxMut,
    /// `pc: &[[f64; 3]]`, active points: coordinates after `w` in the flat point.
    Points,
    /// `tb: &[Vec<f64>]` or `tb: &[[f64; 3]]`, a constant table ([`Nested::table`]).
    Table,
    /// The struct (issue 17): `p: &S`, `s: S`, `s: &mut S`, or the receiver of a method
    /// (always first then); its floats are the last coordinates of the flat point.
    Struct,
}

/// One generated program.
#[derive(Clone, Debug)]
pub struct Program {
    /// The seed it was generated from.
    pub seed: u64,
    /// Parameters in signature order.
    pub params: Vec<Param>,
    /// Number of scalar parameters.
    pub scalars: usize,
    /// Length of `w`, if the program has it.
    pub slice_len: Option<usize>,
    /// Value of `n` passed in every call, if the program has it.
    pub n: Option<usize>,
    /// The initial contents of `iw`, if the program has it.
    pub iw: Option<Vec<usize>>,
    /// The helpers it calls (sorted, without repeats), and the length `K` of its integer
    /// arrays.
    pub helpers: Vec<Helper>,
    /// It calls `h_dot3` inside a loop (then it has no `hessian` copy: see `has_hessian`).
    pub dot3_in_loop: bool,
    /// The length of its integer arrays (0 if it has none).
    pub k: usize,
    /// The statements of the body.
    pub body: Vec<Stmt>,
    /// The tail: one expression per output.
    pub out: Vec<Expr>,
    /// It has local arrays of floats ([`Stmt::FloatArr`], [`Stmt::LetFArr`]): no `hessian`
    /// copy (second order through local arrays is not generated here).
    pub float_arrays: bool,
    /// Nested containers among the parameters, if any.
    pub nested: Nested,
    /// The struct parameter, if any (issue 17).
    pub structs: Structs,
    /// The struct result built at the end of the body, if the program returns one (then
    /// `out` is empty).
    pub stail: Option<STail>,
    /// Whether it uses the vector type `V3` (module `v3`, `gen_v3.rs`).
    pub v3: bool,
    /// Whether its vectors are nalgebra's `Vector3<f64>` instead (issue 19).
    pub v3_nalgebra: bool,
    /// With `Some(k)`, the float results are returned from inside a `loop` that ends the body
    /// and is left only by that `return`, on its `k`-th turn (a solver's shape).
    pub loop_tail: Option<usize>,
}

impl Program {
    /// Length of the flat point: the scalars, then the elements of `w`, then the coordinates of
    /// the points `pc`, then the floats of the struct (in the order of `to_flat`).
    pub fn inputs(&self) -> usize {
        self.struct_offset() + self.structs.flat_len()
    }

    /// Where the floats of the struct start in the flat point.
    pub fn struct_offset(&self) -> usize {
        self.scalars + self.slice_len.unwrap_or(0) + 3 * self.nested.points.unwrap_or(0)
    }

    /// Length of the flat output: the `f64` results (0, 1 or 2), then the floats of a `&mut`
    /// struct as the function leaves it, or the floats of the struct result.
    pub fn outputs(&self) -> usize {
        let st = &self.structs;
        let state = if st.form.is_some_and(SForm::mutable) {
            st.flat_len()
        } else {
            0
        };
        let result = self.stail.as_ref().map_or(0, |_| st.result_len());
        self.out.len() + state + result
    }
}

// =============================================================================================
// Generation
// =============================================================================================

#[derive(Clone, Debug)]
enum Kind {
    Float {
        mutable: bool,
        bound: f64,
    },
    /// An integer with this largest value.
    Int(usize),
    /// An integer array (MACRO BUG 7).
    Arr(Arr),
    /// An array of three floats (the helpers over arrays).
    FArr(FArr),
    /// The struct parameter (issue 17): its name is taken, nothing else.
    Struct,
}

/// An array of three floats in scope: a local one, or one [`Helper::Rot`] returned.
#[derive(Clone, Copy, Debug)]
struct FArr {
    /// A bound of every element's magnitude.
    bound: f64,
    /// How it may be used.
    role: FRole,
    /// `Gen::depth` where it was declared.
    depth: usize,
}

/// How an array of floats in scope may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FRole {
    /// `let mut pa = [0.0; 3];`: written and read by element anywhere, passed by value.
    Local,
    /// `let q = h_rot(..);` read by element, at literal indices, in its own region only.
    Elems,
    /// `let q = h_rot(..);` passed whole only.
    Whole,
}

#[derive(Clone, Debug)]
struct Arr {
    len: usize,
    how: ArrHow,
    /// Lent to a call by `&` and so never written again (a write after the call does not
    /// compile: see `Features::lend_local`).
    frozen: bool,
    /// `Gen::depth` where it was declared.
    depth: usize,
}

/// Switches of the generator: features and shapes that once failed (on by default, `0` in the
/// environment turns one off, to tell a new failure of these shapes from others).
#[derive(Clone, Copy, Debug)]
pub struct Features {
    /// `AD_GEN_VEC_USIZE`: a local `let mut iv: Vec<usize> = vec![..];`, read, written and lent
    /// as `&mut iv` to helpers (shape (c); rustc said "the trait bound `usize: Float` is not
    /// satisfied").
    pub vec_usize: bool,
    /// `AD_GEN_LEND_LOCAL`: `&rot` of a local integer array declared in a block or written
    /// after the call (rustc said E0716 "temporary value dropped while borrowed", E0506 "cannot
    /// assign to value because it is borrowed"). Without it, `&idx` is lent only at the top
    /// level, of a top-level array that is then never written again.
    pub lend_local: bool,
    /// `AD_GEN_FLOAT_ARRAYS`: local arrays of floats (issue 16), see [`Stmt::FloatArr`].
    pub float_arrays: bool,
    /// `AD_GEN_NESTED`: nested containers as parameters, read as `pc[i][j]` / `tb[i][j]`:
    /// active points `pc: &[[f64; 3]]`, a constant table `tb: &[Vec<f64>]` or `&[[f64; 3]]`
    /// (see [`Nested`]; issue 16).
    pub nested: bool,
    /// `AD_GEN_ARRAY_HELPERS`: the annotated helpers over small float arrays passed by value,
    /// with array results, `h_rot` and `h_dot3` (see the module docs).
    pub array_helpers: bool,
    /// `AD_GEN_FARR_LITERAL`: a local array of floats created by a literal,
    /// `let mut pa = [e1, e2, e3];`, then written element by element (MACRO BUG 8, fixed).
    pub farr_literal: bool,
    /// `AD_GEN_WHOLE_AGAIN`: an array `h_rot` returned passed whole more than once, or inside a
    /// branch or loop body below its `let` (MACRO BUG 9, fixed). Without it, such an array is
    /// passed whole once, next to its `let`.
    pub whole_again: bool,
    /// `AD_GEN_STRUCTS`: a `#[derive(Differentiable)]` struct as a parameter (by reference, by
    /// value, `&mut`, or the receiver of a method), struct results (issue 17; see [`Structs`]).
    pub structs: bool,
    /// `AD_GEN_STRUCT_CARRY` (MACRO BUG 11, fixed): a struct result that takes a field
    /// holding an array (an array field, or a nested struct with one) whole from a borrowed
    /// struct, by `..*p` or `..p.inner`. Without it, such fields are always given.
    pub struct_carry: bool,
    /// `AD_GEN_STRUCT_ARM_MIX` (MACRO BUG 12, fixed): the arms of an `if` that builds
    /// the struct result give different fields (one names an array field, the other takes it
    /// from `..base`). Without it, both arms give the same fields.
    pub struct_arm_mix: bool,
    /// `AD_GEN_STRUCT_IN_VEC` (MACRO BUG 10, fixed): a field of the struct read inside
    /// `vec![..]` (the element of a local `Vec` of floats, [`Stmt::FloatArr`]). Without it,
    /// such an element makes the array `[e; 3]`.
    pub struct_in_vec: bool,
    /// `AD_GEN_STRUCT_VALUE_CARRY` (MACRO BUG 13, fixed): a struct result that takes a
    /// field holding an array whole, by `..s`, from a struct passed by value (`s: S`, `self`).
    /// Without it, such fields are always given.
    pub struct_value_carry: bool,
    /// `AD_GEN_V3`: float expressions computed through a vector type with operator impls and
    /// methods (module `v3`, `gen_v3.rs`).
    pub v3: bool,
}

impl Default for Features {
    fn default() -> Features {
        Features {
            vec_usize: true,
            lend_local: true,
            float_arrays: true,
            nested: true,
            array_helpers: true,
            farr_literal: true,
            whole_again: true,
            structs: true,
            struct_carry: true,
            struct_arm_mix: true,
            struct_in_vec: true,
            struct_value_carry: true,
            v3: true,
        }
    }
}

impl Features {
    /// The switches as the environment sets them (`0` turns one off).
    pub fn from_env() -> Features {
        let on = |k: &str| std::env::var(k).map_or(true, |v| v.trim() != "0");
        Features {
            vec_usize: on("AD_GEN_VEC_USIZE"),
            lend_local: on("AD_GEN_LEND_LOCAL"),
            float_arrays: on("AD_GEN_FLOAT_ARRAYS"),
            nested: on("AD_GEN_NESTED"),
            array_helpers: on("AD_GEN_ARRAY_HELPERS"),
            farr_literal: on("AD_GEN_FARR_LITERAL"),
            whole_again: on("AD_GEN_WHOLE_AGAIN"),
            structs: on("AD_GEN_STRUCTS"),
            struct_carry: on("AD_GEN_STRUCT_CARRY"),
            struct_arm_mix: on("AD_GEN_STRUCT_ARM_MIX"),
            struct_in_vec: on("AD_GEN_STRUCT_IN_VEC"),
            struct_value_carry: on("AD_GEN_STRUCT_VALUE_CARRY"),
            v3: on("AD_GEN_V3"),
        }
    }
}

/// The integer state of a program that has it.
#[derive(Clone, Copy, Debug)]
struct IntState {
    /// Length of every integer array.
    k: usize,
    /// Length of `w`: every element of an integer array is below it.
    l: usize,
    features: Features,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    kind: Kind,
    /// A parameter (always active: parameters are never assigned).
    param: bool,
}

/// Float names, including some that generated code also uses (hygiene must keep them apart).
const NAMES: &[&str] = &[
    "a", "b", "c", "d", "e", "g", "h", "p", "q", "r", "s", "t", "u", "v", "y", "z", "acc", "tmp",
    "seed", "trip", "dx0", "d_a", "a_bar", "_t0", "_t3", "s_c", "k", "res", "ret", "brk",
];

struct Gen {
    rng: Rng,
    scopes: Vec<Vec<Var>>,
    slice_len: Option<usize>,
    outputs: usize,
    /// Nesting of blocks (if, loops, match).
    depth: usize,
    /// Enclosing loops.
    loops: usize,
    /// Statements left to generate.
    budget: usize,
    counters: usize,
    /// Float variables defined or assigned, most recent last: outputs prefer them.
    recent: Vec<String>,
    /// Targets of enclosing loops' updates: not to be shadowed inside the loop.
    protected: Vec<String>,
    /// Per enclosing loop, the floats it assigns.
    assigned: Vec<Vec<String>>,
    /// Integer arrays and calls of helpers (MACRO BUG 7), in some programs.
    ist: Option<IntState>,
    /// Helpers called.
    helpers: Vec<Helper>,
    /// `h_dot3` is called inside a loop: its array arguments are made again each iteration,
    /// so reverse mode saves them for the call's reverse pass, which a Hessian refuses.
    dot3_in_loop: bool,
    /// An early `return` was generated: the code after it is a region of the reverse sweep.
    returned: bool,
    /// Local arrays of floats ([`Stmt::FloatArr`]): drawn from a generator of their own (so
    /// that programs without them are unchanged), and whether any was generated.
    farrays: Option<Rng>,
    float_arrays: bool,
    /// Nested containers among the parameters.
    nested: Nested,
    /// The helpers over arrays of floats ([`Gen::arr_helper_stmt`]): drawn from a generator of
    /// their own (so that programs without them are unchanged).
    arrh: Option<Rng>,
    /// Arrays of floats named so far (`pa0`, `pa1`, ..).
    farr_names: usize,
    features: Features,
    /// The struct parameter ([`Structs`]; its `form` is `None` without one), and its own
    /// generator (so that programs without it are unchanged).
    st: Structs,
    srng: Option<Rng>,
    /// The leaves of the struct, and a bound of each one's magnitude (they change with writes
    /// through a `&mut` struct).
    sleaves: Vec<SLeaf>,
    sbounds: Vec<f64>,
    /// Vector expressions over `V3` ([`v3`]): their own generator, and whether any was drawn.
    v3: Option<Rng>,
    v3_used: bool,
    /// Draws the loops whose update is a running maximum or minimum (selection loops).
    select: Rng,
    /// Draws which closure a [`ChainKind::Closure`] becomes (early `return`, sub-slices).
    closures: Rng,
}

/// The float that loops fold the variables they assign into, and that every output adds: see
/// `fold_into_total`.
const TOTAL: &str = "total";

impl Gen {
    fn visible(&self) -> Vec<Var> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for scope in self.scopes.iter().rev() {
            for v in scope.iter().rev() {
                if seen.insert(v.name.clone()) {
                    out.push(v.clone());
                }
            }
        }
        out
    }

    fn floats(&self) -> Vec<(String, bool, f64)> {
        self.visible()
            .into_iter()
            .filter_map(|v| match v.kind {
                Kind::Float { mutable, bound } => Some((v.name, mutable, bound)),
                _ => None,
            })
            .collect()
    }

    fn ints(&self) -> Vec<(String, usize)> {
        self.visible()
            .into_iter()
            .filter_map(|v| match v.kind {
                Kind::Int(max) => Some((v.name, max)),
                _ => None,
            })
            .collect()
    }

    fn arrays(&self) -> Vec<(String, Arr)> {
        self.visible()
            .into_iter()
            .filter_map(|v| match v.kind {
                Kind::Arr(a) => Some((v.name, a)),
                _ => None,
            })
            .collect()
    }

    fn freeze(&mut self, name: &str) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(v) = scope.iter_mut().rev().find(|v| v.name == name) {
                if let Kind::Arr(a) = &mut v.kind {
                    a.frozen = true;
                }
                return;
            }
        }
    }

    fn bind(&mut self, name: &str, kind: Kind) {
        if matches!(kind, Kind::Float { .. }) {
            self.recent.push(name.to_owned());
        }
        self.scopes.last_mut().unwrap().push(Var {
            name: name.to_owned(),
            kind,
            param: false,
        });
    }

    fn set_bound(&mut self, name: &str, b: f64) {
        self.recent.push(name.to_owned());
        for frame in &mut self.assigned {
            frame.push(name.to_owned());
        }
        for scope in self.scopes.iter_mut().rev() {
            if let Some(v) = scope.iter_mut().rev().find(|v| v.name == name) {
                if let Kind::Float { bound, .. } = &mut v.kind {
                    *bound = b;
                }
                return;
            }
        }
    }

    fn fresh_name(&mut self) -> String {
        let taken: HashSet<String> = self.visible().into_iter().map(|v| v.name).collect();
        for _ in 0..8 {
            let name = *self.rng.pick(NAMES);
            if !taken.contains(name) {
                return name.to_owned();
            }
        }
        format!("v{}", self.rng.below(1000))
    }

    /// Whether `e` reads `w` or a scalar parameter (not shadowed).
    fn mentions_param(&self, e: &Expr) -> bool {
        match e {
            Expr::Lit(_) | Expr::Cast(_) => false,
            Expr::Elem(_) => true,
            Expr::Row(name, ..) => *name == NestedName::Points,
            Expr::Var(n) => self.visible().iter().any(|v| &v.name == n && v.param),
            Expr::Neg(a) => self.mentions_param(a),
            Expr::Bin(_, a, b) => self.mentions_param(a) || self.mentions_param(b),
            Expr::Call(_, args, _) => args.iter().any(|a| self.mentions_param(a)),
            Expr::If(_, a, b) => self.mentions_param(a) || self.mentions_param(b),
            Expr::Match(_, arms) => arms.iter().any(|a| self.mentions_param(a)),
            Expr::Chain(c) => {
                !matches!(
                    c.kind,
                    ChainKind::RangeSum | ChainKind::Closure | ChainKind::ClosureReturn
                ) || self.mentions_param(&c.body)
                    || c.args.iter().any(|a| self.mentions_param(a))
            }
            // Conservatively not (an array may hold constants only).
            Expr::AElem(..) | Expr::Dot(_) => false,
            Expr::Field(_) => true,
            Expr::V3(v) => v3::any(v, &|e| self.mentions_param(e)),
        }
    }

    fn enter_loop(&mut self) {
        self.loops += 1;
    }

    fn lit(&mut self) -> f64 {
        *self.rng.pick(&[
            0.5, 1.5, -0.7, 2.0, 0.25, 3.0, 1.0, -1.0, 0.1, -2.5, 0.75, 1.25,
        ])
    }

    // ---- integer expressions and conditions ----

    fn iexpr_max(&self, e: &IExpr) -> usize {
        match e {
            IExpr::Var(name) => self
                .ints()
                .into_iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, m)| m),
            IExpr::Lit(k) => *k,
            IExpr::Len => self.slice_len.unwrap_or(0),
            IExpr::Add(a, b) => self.iexpr_max(a) + self.iexpr_max(b),
            IExpr::Rem(_, b) => self.iexpr_max(b).saturating_sub(1),
            IExpr::At(..) => self.ist.map_or(0, |st| st.l - 1),
            IExpr::SLen(_, path) => self.sleaf(path).extent(),
            IExpr::SConst(_, path) => match self.sleaf(path).ty {
                FTy::Const(v) => v,
                _ => unreachable!("generator bug: `{path}` is not a constant"),
            },
        }
    }

    /// A condition on integers, if any integer variable is in scope.
    fn icond(&mut self) -> Option<Cond> {
        let ints = self.ints();
        if ints.is_empty() {
            return self.arr_cond();
        }
        if let Some(c) = self.arr_cond() {
            return Some(c);
        }
        let (name, max) = self.rng.pick(&ints).clone();
        let var = IExpr::Var(name);
        let k = self.rng.below(max.max(1) + 1);
        Some(match self.rng.below(7) {
            0 => Cond::I(Cmp::Eq, var, IExpr::Lit(k)),
            1 => Cond::I(Cmp::Gt, var, IExpr::Lit(k)),
            2 => Cond::I(Cmp::Le, var, IExpr::Lit(k)),
            3 => Cond::I(
                Cmp::Eq,
                IExpr::Rem(Box::new(var), Box::new(IExpr::Lit(2))),
                IExpr::Lit(0),
            ),
            // MACRO BUG 1 (fixed, generated): `i != k` in a loop was not seen as a use of `i`
            // (`lower::variable_positions` took `i` before `!=` for a macro name `i!`), so the
            // reverse sweep replayed the condition without binding `i`: "cannot find value `i`".
            4 => Cond::I(Cmp::Ne, var, IExpr::Lit(k)),
            5 => Cond::I(Cmp::Ne, IExpr::Lit(k), var),
            _ => Cond::I(Cmp::Lt, var, IExpr::Lit(k)),
        })
    }

    /// A condition on floats (switch points are kept away from by the point selection).
    fn fcond(&mut self) -> Cond {
        let (a, _) = self.expr(2);
        let op = *self.rng.pick(&[Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge]);
        let b = if self.rng.chance(0.7) {
            Expr::Lit(*self.rng.pick(&[0.0, 0.3, -0.3, 0.5, -0.6, 0.8, 0.1]))
        } else {
            self.expr(1).0
        };
        Cond::F(op, a, b)
    }

    fn cond(&mut self) -> Cond {
        let base = |g: &mut Gen| {
            if g.rng.chance(0.25) {
                g.icond().unwrap_or_else(|| g.fcond())
            } else {
                g.fcond()
            }
        };
        match self.rng.below(10) {
            0 => Cond::And(Box::new(base(self)), Box::new(base(self))),
            1 => Cond::Or(Box::new(base(self)), Box::new(base(self))),
            2 => Cond::Not(Box::new(base(self))),
            _ => base(self),
        }
    }

    // ---- float expressions, each with a rough bound of its magnitude ----

    fn index(&mut self) -> IExpr {
        let len = self.slice_len.unwrap();
        if let Some(e) = self.arr_read() {
            return e;
        }
        let ints = self.ints();
        if ints.is_empty() || self.rng.chance(0.4) {
            return IExpr::Lit(self.rng.below(len));
        }
        let (name, _) = self.rng.pick(&ints).clone();
        let var = IExpr::Var(name);
        let base = if self.rng.chance(0.3) {
            IExpr::Add(Box::new(var), Box::new(IExpr::Lit(1 + self.rng.below(2))))
        } else {
            var
        };
        let modulus = if self.rng.chance(0.5) {
            IExpr::Len
        } else {
            IExpr::Lit(3)
        };
        IExpr::Rem(Box::new(base), Box::new(modulus))
    }

    fn leaf(&mut self) -> (Expr, f64) {
        if let Some(leaf) = self.nested_leaf() {
            return leaf;
        }
        if let Some(leaf) = self.struct_leaf() {
            return leaf;
        }
        let roll = self.rng.below(100);
        if roll < 12 && self.slice_len.is_some() {
            return (Expr::Elem(self.index()), RANGE);
        }
        if roll < 20 {
            let ints = self.ints();
            if !ints.is_empty() {
                let (name, max) = self.rng.pick(&ints).clone();
                return (Expr::Cast(IExpr::Var(name)), max as f64);
            }
        }
        if roll < 32 {
            let v = self.lit();
            return (Expr::Lit(v), v.abs());
        }
        let floats = self.floats();
        let (name, _, bound) = self.rng.pick(&floats).clone();
        (Expr::Var(name), bound)
    }

    fn squash(&mut self, e: Expr) -> (Expr, f64) {
        let f = *self.rng.pick(&[Fun::Tanh, Fun::Sin, Fun::Atan, Fun::Cos]);
        let bound = if f == Fun::Atan { 1.6 } else { 1.0 };
        (self.call(f, vec![e]), bound)
    }

    fn call(&mut self, f: Fun, args: Vec<Expr>) -> Expr {
        let path = self.rng.chance(0.2);
        Expr::Call(f, args, path)
    }

    fn bin(op: Op, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, Box::new(a), Box::new(b))
    }

    /// `a` with a bound at most `limit` (squashed otherwise).
    fn bounded(&mut self, depth: u32, limit: f64) -> (Expr, f64) {
        let (e, b) = self.expr(depth);
        if b > limit { self.squash(e) } else { (e, b) }
    }

    fn expr(&mut self, depth: u32) -> (Expr, f64) {
        if depth > 0 && self.v3_turn() {
            return self.v3_scalar();
        }
        if depth == 0 || self.rng.chance(0.25) {
            return self.leaf();
        }
        let d = depth - 1;
        let (e, b) = match self.rng.below(20) {
            0..=3 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                let op = if self.rng.chance(0.5) {
                    Op::Add
                } else {
                    Op::Sub
                };
                (Self::bin(op, a, c), ba + bc)
            }
            4..=6 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                (Self::bin(Op::Mul, a, c), ba * bc)
            }
            7 => {
                let (a, ba) = self.expr(d);
                match self.rng.below(4) {
                    0 => {
                        // a / (k + b * b)
                        let (l, _) = self.leaf();
                        let k = *self.rng.pick(&[1.0, 2.0, 0.5]);
                        let den =
                            Self::bin(Op::Add, Expr::Lit(k), Self::bin(Op::Mul, l.clone(), l));
                        (Self::bin(Op::Div, a, den), ba / k)
                    }
                    1 => {
                        // a / (2.0 + b.sin())
                        let (l, _) = self.expr(d);
                        let s = self.call(Fun::Sin, vec![l]);
                        (
                            Self::bin(Op::Div, a, Self::bin(Op::Add, Expr::Lit(2.0), s)),
                            ba,
                        )
                    }
                    2 => {
                        let k = *self.rng.pick(&[2.0, 3.0, -4.0, 0.5]);
                        (Self::bin(Op::Div, a, Expr::Lit(k)), ba / f64::abs(k))
                    }
                    _ => {
                        // k / (1.0 + b * b)
                        let k = self.lit();
                        let den =
                            Self::bin(Op::Add, Expr::Lit(1.0), Self::bin(Op::Mul, a.clone(), a));
                        (Self::bin(Op::Div, Expr::Lit(k), den), k.abs())
                    }
                }
            }
            8 => {
                let (a, ba) = self.expr(d);
                (Expr::Neg(Box::new(a)), ba)
            }
            9 => {
                let (a, _) = self.expr(d);
                let f = if self.rng.chance(0.5) {
                    Fun::Sin
                } else {
                    Fun::Cos
                };
                (self.call(f, vec![a]), 1.0)
            }
            10 => {
                let (a, _) = self.expr(d);
                let f = if self.rng.chance(0.5) {
                    Fun::Tanh
                } else {
                    Fun::Atan
                };
                (self.call(f, vec![a]), 1.6)
            }
            11 => {
                let (a, ba) = self.bounded(d, 1.5);
                (self.call(Fun::Exp, vec![a]), ba.exp())
            }
            12 => {
                // sqrt / ln of a * a + 1.0
                let (a, ba) = if self.rng.chance(0.6) {
                    self.leaf()
                } else {
                    self.expr(d.min(1))
                };
                let arg = Self::bin(Op::Add, Self::bin(Op::Mul, a.clone(), a), Expr::Lit(1.0));
                if self.rng.chance(0.5) {
                    (self.call(Fun::Sqrt, vec![arg]), (ba * ba + 1.0).sqrt())
                } else {
                    (self.call(Fun::Ln, vec![arg]), (ba * ba + 1.0).ln())
                }
            }
            // `powi` of a value the optimiser can see (a constant, a counter of an unrolled
            // loop) may be folded by `pow` in release builds, which rounds differently from the
            // run-time `powi`: the debug and release programs would differ before any derivative
            // is taken. So `powi` only takes values that depend on the inputs.
            13 => {
                let (a, ba) = self.bounded(d, 2.0);
                if !self.mentions_param(&a) {
                    return (self.call(Fun::Sin, vec![a]), 1.0);
                }
                let k = if self.rng.chance(0.5) { 2 } else { 3 };
                (self.call(Fun::Powi(k), vec![a]), ba.powi(k))
            }
            14 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                (self.call(Fun::Hypot, vec![a, c]), ba + bc)
            }
            15 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                let (e, be) = self.expr(d);
                (self.call(Fun::MulAdd, vec![a, c, e]), ba * bc + be)
            }
            16 => {
                let (a, ba) = self.expr(d);
                (self.call(Fun::Abs, vec![a]), ba)
            }
            17 => {
                let (a, ba) = self.expr(d);
                let (c, bc) = self.expr(d);
                let f = if self.rng.chance(0.5) {
                    Fun::Max
                } else {
                    Fun::Min
                };
                (self.call(f, vec![a, c]), ba.max(bc))
            }
            _ => self.leaf(),
        };
        if b > CAP { self.squash(e) } else { (e, b) }
    }

    /// An iterator chain or a local closure (see [`Chain`]), its bound squashed to [`CAP`].
    fn chain(&mut self) -> (Expr, f64) {
        use ChainKind::*;
        let kinds: &[ChainKind] = if self.slice_len.is_some() {
            &[MapSum, ZipSum, Windows, Fold, RangeSum, Closure]
        } else {
            &[RangeSum, Closure]
        };
        let mut kind = *self.rng.pick(kinds);
        if kind == Closure {
            kind = match self.closures.below(4) {
                1 => ClosureReturn,
                2 if self.slice_len.is_some_and(|n| n >= 3) => ClosureSlice,
                3 if self.slice_len.is_some() => IfLetMax,
                _ => Closure,
            };
        }
        let names = [self.fresh_name(), self.fresh_name()];
        let names = if names[0] == names[1] {
            [names[0].clone(), format!("{}2", names[1])]
        } else {
            names
        };
        let mut args = Vec::new();
        let mut arg_bound: f64 = 0.0;
        if matches!(kind, Closure | ClosureReturn | ClosureSlice | IfLetMax) {
            for _ in 0..2 {
                let (e, b) = self.expr(2);
                arg_bound = arg_bound.max(b);
                args.push(e);
            }
        }
        self.scopes.push(Vec::new());
        let float = |bound| Kind::Float {
            mutable: false,
            bound,
        };
        match kind {
            MapSum => self.bind(&names[0], float(RANGE)),
            ZipSum | Windows => {
                self.bind(&names[0], float(RANGE));
                self.bind(&names[1], float(RANGE));
            }
            Fold => self.bind(&names[1], float(RANGE)),
            RangeSum => self.bind(&names[0], Kind::Int(2)),
            Closure | ClosureReturn | ClosureSlice => self.bind(&names[0], float(arg_bound)),
            IfLetMax => self.bind(&names[0], float(RANGE)),
        }
        let (body, b) = self.bounded(2, CAP);
        self.scopes.pop();
        let len = self.slice_len.unwrap_or(0) as f64;
        let bound = match kind {
            MapSum | ZipSum | Windows => len * b,
            Fold => 2.0 * b,
            RangeSum => 3.0 * b,
            Closure => 2.0 * b,
            ClosureReturn => 2.0 * b.max(0.5 * arg_bound),
            // `w`'s entries are below RANGE.
            ClosureSlice => 2.0 * RANGE * (b + 1.0),
            IfLetMax => b.max(arg_bound),
        };
        let e = Expr::Chain(Box::new(Chain {
            kind,
            names,
            body,
            args,
        }));
        if bound > CAP {
            self.squash(e)
        } else {
            (e, bound)
        }
    }

    /// The value of a `let`: an expression, sometimes an `if` or `match` expression.
    fn value(&mut self) -> (Expr, f64) {
        let roll = self.rng.below(100);
        if (90..96).contains(&roll) {
            return self.chain();
        }
        if roll < 8 && self.depth < 3 {
            let c = self.cond();
            let (a, ba) = self.expr(2);
            let (b, bb) = self.expr(2);
            return (Expr::If(Box::new(c), Box::new(a), Box::new(b)), ba.max(bb));
        }
        if roll < 13 {
            let ints = self.ints();
            if !ints.is_empty() {
                let (name, _) = self.rng.pick(&ints).clone();
                let scrut = IExpr::Rem(Box::new(IExpr::Var(name)), Box::new(IExpr::Lit(3)));
                let mut arms = Vec::new();
                let mut bound: f64 = 0.0;
                for _ in 0..3 {
                    let (e, b) = self.expr(2);
                    bound = bound.max(b);
                    arms.push(e);
                }
                return (Expr::Match(scrut, arms), bound);
            }
        }
        self.expr(3)
    }

    /// The tail or a returned value: a combination of a few variables, preferring the ones
    /// defined or assigned last.
    fn output(&mut self) -> Vec<Expr> {
        (0..self.outputs).map(|_| self.one_output().0).collect()
    }

    /// One output of [`Gen::output`] (also a float of a struct result, or a value written
    /// into a `&mut` struct at the end).
    fn one_output(&mut self) -> (Expr, f64) {
        let floats = self.floats();
        let mut names: Vec<(String, f64)> = Vec::new();
        for r in self.recent.iter().rev() {
            if names.len() == 3 {
                break;
            }
            if let Some((n, _, b)) = floats.iter().find(|f| &f.0 == r)
                && !names.iter().any(|(m, _)| m == n)
                && self.rng.chance(0.7)
            {
                names.push((n.clone(), *b));
            }
        }
        while names.len() < 2 {
            let (n, _, b) = self.rng.pick(&floats).clone();
            if !names.iter().any(|(m, _)| *m == n) || floats.len() < 2 {
                names.push((n, b));
            }
        }
        let (mut e, mut bound) = (Expr::Var(names[0].0.clone()), names[0].1);
        for (n, b) in &names[1..] {
            let op = *self.rng.pick(&[Op::Add, Op::Sub, Op::Mul]);
            bound = if op == Op::Mul { bound * b } else { bound + b };
            e = Self::bin(op, e, Expr::Var(n.clone()));
        }
        if self.rng.chance(0.5) {
            let (extra, be) = self.expr(1);
            e = Self::bin(Op::Add, e, extra);
            bound += be;
        }
        let (e, bound) = if bound > 4.0 * CAP {
            self.squash(e)
        } else {
            (e, bound)
        };
        (
            Self::bin(Op::Add, e, Expr::Var(TOTAL.to_owned())),
            bound + 1.0,
        )
    }

    /// An update of `target` at the end of a loop body: a reduction, a product, or a
    /// recurrence that reads the target (so reverse mode must store or recompute it).
    /// `t = t.max(e)` or `t = f64::min(e, t)` (either argument order, method or path form), or
    /// the branch `if e < t { t = e; }` (as a statement or an `if` expression), the candidate
    /// `e` not reading `t`.
    fn running_extreme(&mut self, target: &str) -> Stmt {
        let t = || Expr::Var(target.to_owned());
        let (max, flip, path) = (
            self.select.chance(0.5),
            self.select.chance(0.5),
            self.select.chance(0.3),
        );
        // The candidate does not read the running value: out of scope while it is drawn.
        let mut hidden = Vec::new();
        for (si, scope) in self.scopes.iter_mut().enumerate() {
            if let Some(vi) = scope.iter().position(|v| v.name == target) {
                hidden.push((si, vi, scope.remove(vi)));
            }
        }
        let (e, _) = self.bounded(2, 1.0);
        for (si, vi, v) in hidden {
            self.scopes[si].insert(vi, v);
        }
        // Two times in five the branch form: `if e < t { t = e; }`, or the same as an `if`
        // expression, `t = if e < t { e } else { t }` (the arms swapped with the comparison).
        let (branch, expression, strict) = (
            self.select.chance(0.4),
            self.select.chance(0.5),
            self.select.chance(0.5),
        );
        if branch {
            let cmp = match (max, strict) {
                (false, true) => Cmp::Lt,
                (false, false) => Cmp::Le,
                (true, true) => Cmp::Gt,
                (true, false) => Cmp::Ge,
            };
            let takes = Cond::F(cmp, e.clone(), t());
            return match (expression, flip) {
                (false, _) => Stmt::If(takes, vec![Stmt::Assign(target.to_owned(), e)], None),
                (true, false) => Stmt::Assign(
                    target.to_owned(),
                    Expr::If(Box::new(takes), Box::new(e), Box::new(t())),
                ),
                (true, true) => Stmt::Assign(
                    target.to_owned(),
                    Expr::If(
                        Box::new(Cond::Not(Box::new(takes))),
                        Box::new(t()),
                        Box::new(e),
                    ),
                ),
            };
        }
        let f = if max { Fun::Max } else { Fun::Min };
        let args = if flip { vec![e, t()] } else { vec![t(), e] };
        Stmt::Assign(target.to_owned(), Expr::Call(f, args, path))
    }

    /// The body of a selection loop: one or two `let`s, then the running maximum or minimum of
    /// `target`, which nothing else in the loop assigns.
    fn selection_body(&mut self, target: &str) -> Vec<Stmt> {
        self.protected.push(target.to_owned());
        let mut body = Vec::new();
        for _ in 0..1 + self.select.below(2) {
            body.extend(self.let_stmt());
        }
        self.protected.pop();
        body.push(self.running_extreme(target));
        for frame in &mut self.assigned {
            frame.push(target.to_owned());
        }
        body
    }

    fn loop_update(&mut self, target: &str) -> Stmt {
        let t = || Expr::Var(target.to_owned());
        // A running maximum or minimum, `t = t.max(e)` or `t = f64::min(e, t)`: when the loop
        // carries nothing else and sits at the top level (or in a fused loop), a selection
        // loop, whose reverse sweep runs only the iteration the result came from. Drawn from
        // its own stream, so other loops are unchanged.
        if self.select.chance(0.3) {
            return self.running_extreme(target);
        }
        let (e, _) = self.bounded(2, 1.0);
        match self.rng.below(5) {
            0 => Stmt::Compound(target.to_owned(), AssignOp::Add, e),
            1 => Stmt::Compound(
                target.to_owned(),
                AssignOp::Sub,
                Self::bin(Op::Mul, Expr::Lit(0.5), e),
            ),
            2 => {
                let s = self.call(Fun::Sin, vec![e]);
                let f = Self::bin(
                    Op::Add,
                    Expr::Lit(1.0),
                    Self::bin(Op::Mul, Expr::Lit(0.25), s),
                );
                Stmt::Compound(target.to_owned(), AssignOp::Mul, f)
            }
            3 => {
                // x = x + h * sin(x * e)
                let f = *self.rng.pick(&[Fun::Sin, Fun::Tanh, Fun::Cos]);
                let inner = self.call(f, vec![Self::bin(Op::Mul, t(), e)]);
                Stmt::Assign(
                    target.to_owned(),
                    Self::bin(Op::Add, t(), Self::bin(Op::Mul, Expr::Lit(0.3), inner)),
                )
            }
            _ => {
                // x = tanh(x * a + e)
                let a = *self.rng.pick(&[0.9, -0.8, 1.1]);
                let arg = Self::bin(Op::Add, Self::bin(Op::Mul, t(), Expr::Lit(a)), e);
                Stmt::Assign(target.to_owned(), self.call(Fun::Tanh, vec![arg]))
            }
        }
    }

    /// A loop body ending with an update of `target`, which the body does not shadow, sometimes
    /// preceded by a copy of `target` into another variable, `b = target;`.
    fn loop_body(&mut self, target: Option<String>) -> Vec<Stmt> {
        let Some(t) = target else {
            return self.block_upto(3);
        };
        self.protected.push(t.clone());
        let mut body = self.block_upto(3);
        self.protected.pop();
        // MACRO BUG 5 (fixed, generated): a copy `b = y;` inside a loop, with `y` carried too
        // (and `b` holding `y`'s value before the loop), made `b` after the loop name the
        // loop-local `y`: E0425 "cannot find value `y`".
        if self.rng.chance(0.25) {
            // Not a name the body's own `let`s shadow at its end.
            let shadowed: HashSet<&str> = body
                .iter()
                .flat_map(|s| match s {
                    Stmt::Let { name, .. } => vec![name.as_str()],
                    Stmt::LetPair(names, _) => names.iter().map(String::as_str).collect(),
                    _ => Vec::new(),
                })
                .collect();
            let copies: Vec<(String, bool, f64)> = self
                .floats()
                .into_iter()
                .filter(|v| v.1 && v.0 != t && v.0 != TOTAL && !shadowed.contains(v.0.as_str()))
                .collect();
            let bound = self.floats().into_iter().find(|v| v.0 == t).map(|v| v.2);
            if let (false, Some(bound)) = (copies.is_empty(), bound) {
                let b = self.rng.pick(&copies).0.clone();
                self.set_bound(&b, bound);
                body.push(Stmt::Assign(b, Expr::Var(t.clone())));
            }
        }
        body.push(self.loop_update(&t));
        for frame in &mut self.assigned {
            frame.push(t.clone());
        }
        body
    }

    /// After about half of the loops: `total += tanh(a + b ..)` over the floats the loop
    /// assigned that are visible after it, which keeps them live after the loop.
    ///
    /// MACRO BUG 4 (fixed, generated): in reverse mode, the adjoint of a loop-carried variable
    /// whose value after the loop is dead (it is overwritten or unused there, but feeds other
    /// carried variables or leaves through an early `return`) started as an untyped
    /// `::ad_runtime::zero()`; when its first use was a negation (from `-`, `-=` or unary `-` in
    /// the body), rustc failed with E0282 "type annotations needed". So the fold is skipped
    /// after the other loops.
    fn fold_into_total(&mut self, names: Vec<String>) -> Option<Stmt> {
        if self.rng.chance(0.5) {
            return None;
        }
        let floats = self.floats();
        let mut sum: Option<Expr> = None;
        let mut seen = HashSet::new();
        for n in names {
            if n == TOTAL || !seen.insert(n.clone()) || !floats.iter().any(|f| f.0 == n) {
                continue;
            }
            let v = Expr::Var(n);
            sum = Some(match sum {
                None => v,
                Some(e) => Self::bin(Op::Add, e, v),
            });
        }
        let sum = sum?;
        Some(Stmt::Compound(
            TOTAL.to_owned(),
            AssignOp::Add,
            Expr::Call(Fun::Tanh, vec![sum], false),
        ))
    }

    /// Before a loop: an outer mutable float for the loop to update, sometimes a new one.
    fn loop_target(&mut self, before: &mut Vec<Stmt>) -> Option<String> {
        if self.rng.chance(0.2) {
            return None;
        }
        let mutable: Vec<_> = self.floats().into_iter().filter(|v| v.1).collect();
        if !mutable.is_empty() && self.rng.chance(0.5) {
            return Some(self.rng.pick(&mutable).0.clone());
        }
        let name = self.fresh_name();
        let (value, bound) = if self.rng.chance(0.5) {
            let v = *self.rng.pick(&[0.0, 1.0, 0.5]);
            (Expr::Lit(v), v)
        } else {
            self.expr(1)
        };
        let annotate = !has_var(&value) || self.rng.chance(0.2);
        self.bind(
            &name,
            Kind::Float {
                mutable: true,
                bound,
            },
        );
        before.push(Stmt::Let {
            name: name.clone(),
            mutable: true,
            annotate,
            value,
        });
        Some(name)
    }

    // ---- statements ----

    /// A block of 1 to `max` statements (fewer when the budget runs out).
    fn block_upto(&mut self, max: usize) -> Vec<Stmt> {
        let len = 1 + self.rng.below(max);
        self.block(len)
    }

    fn block(&mut self, len: usize) -> Vec<Stmt> {
        self.scopes.push(Vec::new());
        self.depth += 1;
        let mut out = Vec::new();
        for _ in 0..len {
            out.extend(self.stmt());
        }
        self.depth -= 1;
        self.scopes.pop();
        out
    }

    /// Sets every mutable float of enclosing scopes to at least `CAP`: a loop body may run after
    /// any number of earlier iterations changed them.
    fn widen(&mut self) {
        for scope in &mut self.scopes {
            for v in scope.iter_mut() {
                if let Kind::Float {
                    mutable: true,
                    bound,
                } = &mut v.kind
                {
                    *bound = bound.max(CAP);
                }
            }
        }
        // The fields of a `&mut` struct, like mutable floats.
        if self.st.form.is_some_and(SForm::mutable) {
            for b in &mut self.sbounds {
                *b = b.max(CAP);
            }
        }
    }

    fn stmt(&mut self) -> Vec<Stmt> {
        if self.budget == 0 {
            return Vec::new();
        }
        self.budget -= 1;
        if self.ist.is_some() && self.rng.chance(0.3) {
            return self.int_stmt();
        }
        if let Some(r) = &mut self.farrays
            && r.chance(0.08)
        {
            return self.float_arr_stmt();
        }
        if let Some(r) = &mut self.arrh
            && r.chance(0.08)
        {
            return self.arr_helper_stmt();
        }
        if let Some(r) = &mut self.srng
            && r.chance(0.2)
        {
            return self.struct_stmt();
        }
        let nested = self.depth < 3 && self.budget > 2;
        let roll = self.rng.below(100);
        match roll {
            0..=24 => self.let_stmt(),
            25..=32 => self.assign(false),
            33..=44 => self.assign(true),
            45..=56 if nested => {
                let c = self.cond();
                let then = self.block_upto(3);
                let els = if self.rng.chance(0.2) && self.depth < 2 {
                    // else if
                    let c2 = self.cond();
                    let t2 = self.block_upto(2);
                    let e2 = if self.rng.chance(0.5) {
                        Some(self.block_upto(2))
                    } else {
                        None
                    };
                    Some(vec![Stmt::If(c2, t2, e2)])
                } else if self.rng.chance(0.6) {
                    Some(self.block_upto(3))
                } else {
                    None
                };
                vec![Stmt::If(c, then, els)]
            }
            57..=71 if nested && self.loops < 2 => self.for_stmt(None),
            72..=78 if nested && self.loops < 2 => {
                let counter = format!("c{}", self.counters);
                self.counters += 1;
                let hi = if self.ints().iter().any(|(n, _)| n == "n") && self.rng.chance(0.6) {
                    IExpr::Var("n".into())
                } else {
                    IExpr::Lit(1 + self.rng.below(4))
                };
                let max = self.iexpr_max(&hi);
                let mut out = Vec::new();
                let target = self.loop_target(&mut out);
                self.widen();
                self.bind(&counter, Kind::Int(max));
                self.enter_loop();
                // The body is a block of its own, but the counter lives outside it.
                self.scopes.push(Vec::new());
                self.assigned.push(Vec::new());
                let body = self.loop_body(target);
                let assigned = self.assigned.pop().unwrap();
                self.scopes.pop();
                self.loops -= 1;
                self.widen();
                out.push(Stmt::While(counter, hi, body));
                out.extend(self.fold_into_total(assigned));
                out
            }
            79..=85 if nested => {
                let ints = self.ints();
                if ints.is_empty() {
                    return self.let_stmt();
                }
                let (name, _) = self.rng.pick(&ints).clone();
                let scrut = IExpr::Rem(Box::new(IExpr::Var(name)), Box::new(IExpr::Lit(3)));
                let pats: Vec<Vec<usize>> = if self.rng.chance(0.3) {
                    vec![vec![0, 2], vec![]]
                } else {
                    vec![vec![0], vec![1], vec![]]
                };
                let arms = pats.into_iter().map(|p| (p, self.block_upto(2))).collect();
                vec![Stmt::Match(scrut, arms)]
            }
            86..=94 => {
                // return / break / continue under an integer condition
                if self.loops == 0 && self.rng.chance(0.75) {
                    return self.let_stmt();
                }
                let Some(c) = self.icond() else {
                    return self.let_stmt();
                };
                let jump = match self.rng.below(4) {
                    0 if self.loops > 0 => Stmt::Break,
                    1 if self.loops > 0 => Stmt::Continue,
                    // No early `return` of a struct result or of `()` (issue 17).
                    _ if self.outputs == 0 && self.loops > 0 => Stmt::Break,
                    _ if self.outputs == 0 => return self.let_stmt(),
                    _ => {
                        self.returned = true;
                        Stmt::Return(self.output())
                    }
                };
                vec![Stmt::If(c, vec![jump], None)]
            }
            _ => self.let_stmt(),
        }
    }

    /// `if c { return ..; } let mut sum: f64 = 0.0; for i in 0..k { sum += e; }`, the sum's
    /// name: a guard, then a loop that only accumulates (`e` reads the loop's counter and what
    /// is in scope, never the sum); sometimes `e` goes through three steps of a recurrence
    /// first (`let mut sum_r: f64 = e; for i_t in 0..3 { sum_r = sum_r + 0.1 * sum_r.sin(); }`).
    fn guarded_sum(&mut self) -> Option<(Vec<Stmt>, String)> {
        if self.outputs == 0 {
            return None;
        }
        let c = self.icond().unwrap_or_else(|| self.fcond());
        self.returned = true;
        let mut out = vec![Stmt::If(c, vec![Stmt::Return(self.output())], None)];
        let sum = self.fresh_name();
        let trips = 2 + self.rng.below(3);
        let var = format!("i{}", self.counters);
        self.counters += 1;
        self.scopes.push(vec![Var {
            name: var.clone(),
            kind: Kind::Int(trips - 1),
            param: false,
        }]);
        self.enter_loop();
        let (mut e, mut bound) = self.bounded(2, 1.0);
        // Sometimes a short recurrence per point, a time loop inside the loop over data: it
        // stores its steps, and the checkpointed copy checkpoints it inside the fused loop.
        let mut body = Vec::new();
        if self.rng.chance(0.5) {
            let r = format!("{sum}_r");
            body.push(Stmt::Let {
                name: r.clone(),
                mutable: true,
                annotate: true,
                value: e,
            });
            let step = Self::bin(
                Op::Add,
                Expr::Var(r.clone()),
                Self::bin(
                    Op::Mul,
                    Expr::Lit(0.1),
                    Expr::Call(Fun::Sin, vec![Expr::Var(r.clone())], false),
                ),
            );
            let steps = Range {
                lo: 0,
                hi: IExpr::Lit(3),
                inclusive: false,
                rev: false,
                step: None,
            };
            body.push(Stmt::For(
                format!("{var}_t"),
                steps,
                vec![Stmt::Assign(r.clone(), step)],
            ));
            e = Expr::Var(r);
            bound += 0.3;
        }
        self.loops -= 1;
        self.scopes.pop();
        out.push(Stmt::Let {
            name: sum.clone(),
            mutable: true,
            annotate: true,
            value: Expr::Lit(0.0),
        });
        let range = Range {
            lo: 0,
            hi: IExpr::Lit(trips),
            inclusive: false,
            rev: false,
            step: None,
        };
        body.push(Stmt::Compound(sum.clone(), AssignOp::Add, e));
        out.push(Stmt::For(var, range, body));
        self.bind(
            &sum,
            Kind::Float {
                mutable: true,
                bound: bound * trips as f64,
            },
        );
        Some((out, sum))
    }

    /// A `for` loop over a range (`0..n`, `0..w.len()`, `0..=k`, triangular, `.rev()`,
    /// `.step_by(2)`), or, when `forced` names a leaf of the struct, over that field.
    fn for_stmt(&mut self, forced: Option<usize>) -> Vec<Stmt> {
        let var = format!("i{}", self.counters);
        self.counters += 1;
        let ints = self.ints();
        let mut range = Range {
            lo: 0,
            hi: IExpr::Lit(2 + self.rng.below(3)),
            inclusive: self.rng.chance(0.15),
            rev: false,
            step: None,
        };
        let roll = self.rng.below(10);
        if roll < 5 && ints.iter().any(|(n, _)| n == "n") {
            range.hi = IExpr::Var("n".into());
        } else if roll < 7 && self.slice_len.is_some() {
            range.hi = IExpr::Len;
        } else if roll < 8 && !ints.is_empty() {
            // triangular: 0..(i + 1)
            let (name, _) = self.rng.pick(&ints).clone();
            range.hi = IExpr::Add(Box::new(IExpr::Var(name)), Box::new(IExpr::Lit(1)));
        }
        // MACRO BUG 2 (fixed, generated): `(0..w.len()).rev()` and `.step_by(k)` were
        // refused ("cannot differentiate the method call `.rev(..)`"): the range
        // mentions the active `w`.
        match self.rng.below(8) {
            0 => range.rev = true,
            1 => range.step = Some(2),
            2 => range.lo = 1,
            _ => {}
        }
        // A loop over a field of the struct (issue 17): `0..p.w.len()`, `(0..p.v.len()).rev()`,
        // `0..p.k`; its counter stays below the length, so it indexes the field directly.
        let mut max = self.iexpr_max(&range.hi);
        if let Some(li) = forced {
            let leaf = self.sleaves[li].clone();
            let recv = self.st.recv.clone();
            range.hi = match leaf.ty {
                FTy::Const(_) => IExpr::SConst(recv, leaf.path.clone()),
                _ => IExpr::SLen(recv, leaf.path.clone()),
            };
            range.inclusive = false;
            max = self.iexpr_max(&range.hi).saturating_sub(1);
        }
        let mut out = Vec::new();
        let target = self.loop_target(&mut out);
        self.widen();
        self.scopes.push(vec![Var {
            name: var.clone(),
            kind: Kind::Int(max),
            param: false,
        }]);
        self.enter_loop();
        self.assigned.push(Vec::new());
        // Sometimes (from its own stream) a selection loop: `let`s, then a running extreme.
        let mut body = match &target {
            Some(t) if forced.is_none() && self.select.chance(0.2) => self.selection_body(t),
            _ => self.loop_body(target.clone()),
        };
        if let Some(li) = forced {
            self.struct_elem_use(li, &var, target.as_deref(), &mut body);
        }
        let assigned = self.assigned.pop().unwrap();
        self.loops -= 1;
        self.scopes.pop();
        self.widen();
        out.push(Stmt::For(var, range, body));
        out.extend(self.fold_into_total(assigned));
        out
    }

    // ---- integer state (MACRO BUG 7) ----

    /// An index into an integer array of length `len`: a literal or a counter `% len`.
    fn arr_index(&mut self, len: usize) -> IExpr {
        let ints = self.ints();
        if ints.is_empty() || self.rng.chance(0.5) {
            return IExpr::Lit(self.rng.below(len));
        }
        let (name, _) = self.rng.pick(&ints).clone();
        let var = IExpr::Var(name);
        let base = if self.rng.chance(0.3) {
            IExpr::Add(Box::new(var), Box::new(IExpr::Lit(1)))
        } else {
            var
        };
        IExpr::Rem(Box::new(base), Box::new(IExpr::Lit(len)))
    }

    /// `arr[i]`, sometimes, if the program has integer arrays (an index into `w`).
    fn arr_read(&mut self) -> Option<IExpr> {
        self.ist?;
        let arrays = self.arrays();
        if arrays.is_empty() || self.rng.chance(0.4) {
            return None;
        }
        let (name, a) = self.rng.pick(&arrays).clone();
        let i = self.arr_index(a.len);
        Some(IExpr::At(name, Box::new(i)))
    }

    /// A comparison of elements of integer arrays, sometimes, if the program has them.
    fn arr_cond(&mut self) -> Option<Cond> {
        let st = self.ist?;
        let arrays = self.arrays();
        if arrays.is_empty() || self.rng.chance(0.5) {
            return None;
        }
        let (a, aa) = self.rng.pick(&arrays).clone();
        let lhs = IExpr::At(a, Box::new(self.arr_index(aa.len)));
        let op = *self
            .rng
            .pick(&[Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Eq, Cmp::Ne]);
        let rhs = if self.rng.chance(0.7) {
            let (b, ab) = self.rng.pick(&arrays).clone();
            IExpr::At(b, Box::new(self.arr_index(ab.len)))
        } else {
            IExpr::Lit(self.rng.below(st.l))
        };
        Some(Cond::I(op, lhs, rhs))
    }

    /// A write of an element of the writable array `name`: a copy of another element, a swap
    /// or a bump `(a[i] + 1) % L`.
    fn arr_write(&mut self, name: &str, len: usize) -> Stmt {
        let st = self.ist.unwrap();
        match self.rng.below(3) {
            0 => {
                let arrays = self.arrays();
                let (src, sa) = self.rng.pick(&arrays).clone();
                let i = self.arr_index(len);
                let j = self.arr_index(sa.len);
                Stmt::ISet(name.to_owned(), i, IExpr::At(src, Box::new(j)))
            }
            1 => {
                let a = self.rng.below(len);
                let b = (a + 1 + self.rng.below(len - 1)) % len;
                Stmt::ISwap(name.to_owned(), a, b)
            }
            _ => {
                // `% w.len()` when the values index `w` (MACRO BUG 7: once refused, the macro
                // taking `w.len()` for a differentiated value).
                let i = self.arr_index(len);
                let modulus = if self.slice_len == Some(st.l) && self.rng.chance(0.5) {
                    IExpr::Len
                } else {
                    IExpr::Lit(st.l)
                };
                let bump = IExpr::Add(
                    Box::new(IExpr::At(name.to_owned(), Box::new(i.clone()))),
                    Box::new(IExpr::Lit(1)),
                );
                Stmt::ISet(
                    name.to_owned(),
                    i,
                    IExpr::Rem(Box::new(bump), Box::new(modulus)),
                )
            }
        }
    }

    /// A statement on integer state: writes, a copy written and used, a branch on elements, a
    /// call of a helper (often between a write and its undoing).
    fn int_stmt(&mut self) -> Vec<Stmt> {
        let arrays = self.arrays();
        let writable: Vec<(String, Arr)> = arrays.iter().filter(|a| !a.1.frozen).cloned().collect();
        let locals: Vec<(String, Arr)> = arrays
            .iter()
            .filter(|a| a.1.how == ArrHow::Local)
            .cloned()
            .collect();
        let nested = self.depth < 3 && self.budget > 2;
        match self.rng.below(10) {
            0..=1 if !writable.is_empty() => {
                let (name, a) = self.rng.pick(&writable).clone();
                let mut out = vec![self.arr_write(&name, a.len)];
                if self.rng.chance(0.4) {
                    out.push(self.arr_write(&name, a.len));
                }
                out
            }
            2..=4 if !locals.is_empty() => {
                // let mut rot = idx; rot[0] = idx[2]; .. then used.
                let (src, sa) = self.rng.pick(&locals).clone();
                let name = (*self.rng.pick(&["rot", "perm", "ord"])).to_owned();
                let mut out = vec![Stmt::LetArr(name.clone(), ArrInit::Copy(src))];
                self.bind(
                    &name,
                    Kind::Arr(Arr {
                        len: sa.len,
                        how: ArrHow::Local,
                        frozen: false,
                        depth: self.depth,
                    }),
                );
                for _ in 0..1 + self.rng.below(2) {
                    out.push(self.arr_write(&name, sa.len));
                }
                if self.rng.chance(0.7) {
                    out.extend(self.call_stmt(Some(&name)));
                }
                out
            }
            5..=6 if nested => {
                let Some(c) = self.arr_cond() else {
                    return self.call_stmt(None);
                };
                let then = self.block_upto(3);
                let els = self.rng.chance(0.4).then(|| self.block_upto(2));
                vec![Stmt::If(c, then, els)]
            }
            _ => self.call_stmt(None),
        }
    }

    /// A call of a helper with an integer array (`only` this one, if given), added into a
    /// float; often between a write of an element of the array and its undoing:
    /// `let sv = a[i]; a[i] = a[j]; y = y + h(y, w, a); a[i] = sv;`.
    ///
    /// MACRO BUG 7 (open, generated): the reverse sweep runs the callee again with the array as
    /// it is after the call (shape (a)), and the replay of a region drops the writes of a copy
    /// (shape (b)); see the module docs.
    fn call_stmt(&mut self, only: Option<&str>) -> Vec<Stmt> {
        let st = self.ist.unwrap();
        let mut cands: Vec<(Helper, ArrArg, Arr)> = Vec::new();
        for (name, a) in self.arrays() {
            if only.is_some_and(|o| o != name) {
                continue;
            }
            let arg = |pass| ArrArg {
                name: name.clone(),
                how: a.how,
                pass,
            };
            match a.how {
                ArrHow::Local => {
                    cands.push((Helper::Val, arg(Pass::Value), a.clone()));
                    // Not in a region of the reverse sweep (a block, a loop body, the code after
                    // an early `return`): E0716.
                    let lend = st.features.lend_local
                        || (a.depth == 0 && self.depth == 0 && self.loops == 0 && !self.returned);
                    if lend {
                        cands.push((Helper::Read, arg(Pass::Shared), a.clone()));
                    }
                }
                ArrHow::Param | ArrHow::Vec => {
                    cands.push((Helper::Read, arg(Pass::Shared), a.clone()));
                    for h in [Helper::Swap, Helper::Bump, Helper::Rec] {
                        cands.push((h, arg(Pass::Mut), a.clone()));
                    }
                    if a.how == ArrHow::Vec {
                        cands.push((Helper::VecH, arg(Pass::Mut), a.clone()));
                    }
                }
            }
        }
        let floats = self.floats();
        if cands.is_empty() || floats.is_empty() {
            return self.let_stmt();
        }
        let (helper, arg, a) = self.rng.pick(&cands).clone();
        let depth = if helper == Helper::Rec {
            1 + self.rng.below((a.len - 1).min(3))
        } else {
            0
        };
        let (x, _, xb) = self.rng.pick(&floats).clone();
        let hb = helper.bound(xb, depth);
        let mut out = Vec::new();
        // The write before the call, undone after it unless the array is lent by `&` (a write
        // after that does not compile).
        let shared_local = arg.pass == Pass::Shared && a.how == ArrHow::Local;
        let mut restore = None;
        if !a.frozen && self.rng.chance(0.6) {
            let i = self.rng.below(a.len);
            let j = (i + 1 + self.rng.below(a.len - 1)) % a.len;
            if !shared_local || st.features.lend_local {
                let sv = format!("sv{}", self.counters);
                self.counters += 1;
                out.push(Stmt::LetInt(
                    sv.clone(),
                    IExpr::At(arg.name.clone(), Box::new(IExpr::Lit(i))),
                ));
                self.bind(&sv, Kind::Int(st.l - 1));
                restore = Some(Stmt::ISet(arg.name.clone(), IExpr::Lit(i), IExpr::Var(sv)));
            }
            out.push(Stmt::ISet(
                arg.name.clone(),
                IExpr::Lit(i),
                IExpr::At(arg.name.clone(), Box::new(IExpr::Lit(j))),
            ));
        }
        if shared_local && !st.features.lend_local {
            self.freeze(&arg.name);
        }
        if !self.helpers.contains(&helper) {
            self.helpers.push(helper);
        }
        let targets: Vec<_> = floats.iter().filter(|v| v.1).cloned().collect();
        if targets.is_empty() || self.rng.chance(0.15) {
            let name = self.fresh_name();
            self.bind(
                &name,
                Kind::Float {
                    mutable: true,
                    bound: hb,
                },
            );
            out.push(Stmt::CallHelper {
                target: name,
                fresh: true,
                compound: false,
                helper,
                x,
                arg,
                depth,
            });
        } else {
            let (t, _, tb) = self.rng.pick(&targets).clone();
            out.push(Stmt::CallHelper {
                target: t.clone(),
                fresh: false,
                compound: self.rng.chance(0.4),
                helper,
                x,
                arg,
                depth,
            });
            let b = tb + hb;
            if b > 3.0 * CAP {
                let (sq, bs) = self.squash(Expr::Var(t.clone()));
                out.push(Stmt::Assign(
                    t.clone(),
                    Self::bin(Op::Mul, sq, Expr::Lit(2.0)),
                ));
                self.set_bound(&t, 2.0 * bs);
            } else {
                self.set_bound(&t, b);
            }
        }
        out.extend(restore);
        out
    }

    /// [`Stmt::FloatArr`]: a fresh float computed through a local array of floats.
    fn float_arr_stmt(&mut self) -> Vec<Stmt> {
        let (elem, _) = self.bounded(2, 1.5);
        let in_vec = self.features.struct_in_vec || !reads_field(&elem);
        let r = self.farrays.as_mut().expect("float arrays are on");
        // MACRO BUG 10: a field of the struct read inside `vec![..]`.
        let vec = r.chance(0.5) && in_vec;
        // Lent only where it is not created in a region (a block, an arm, a loop body, or the
        // code after an early `return`): reverse mode refuses that.
        let lend = self.depth == 0 && !self.returned && r.chance(0.6);
        let looped = lend && r.chance(0.5);
        let array = format!("fa{}", r.below(100));
        if lend && !self.helpers.contains(&Helper::FSum) {
            self.helpers.push(Helper::FSum);
        }
        self.float_arrays = true;
        let target = self.fresh_name();
        self.bind(
            &target,
            Kind::Float {
                mutable: true,
                bound: 6.0,
            },
        );
        vec![Stmt::FloatArr {
            target,
            array,
            elem,
            vec,
            lend,
            looped,
        }]
    }

    fn let_stmt(&mut self) -> Vec<Stmt> {
        if self.rng.chance(0.06) {
            // MACRO BUG 6 (fixed, generated): a tuple `let` of constants only, such as
            // `let (a, t): (f64, f64) = (0.25, 2.0);`, in a region (a loop body, or the code
            // after an early `return`) was not replayed by the reverse sweep: E0425 "cannot find
            // value `t`". So both components are sometimes literals.
            let (a, ba, b, bb) = if self.rng.chance(0.3) {
                let (a, b) = (self.lit(), self.lit());
                (Expr::Lit(a), a.abs(), Expr::Lit(b), b.abs())
            } else {
                let (a, ba) = self.expr(2);
                let (b, bb) = self.expr(2);
                (a, ba, b, bb)
            };
            let n1 = self.fresh_name();
            let mut n2 = self.fresh_name();
            if n2 == n1 {
                n2 = format!("{n1}2");
            }
            self.bind(
                &n1,
                Kind::Float {
                    mutable: false,
                    bound: ba,
                },
            );
            self.bind(
                &n2,
                Kind::Float {
                    mutable: false,
                    bound: bb,
                },
            );
            return vec![Stmt::LetPair([n1, n2], [a, b])];
        }
        let (value, bound) = self.value();
        let shadowable: Vec<String> = self
            .floats()
            .into_iter()
            .map(|v| v.0)
            .filter(|n| !self.protected.contains(n))
            .collect();
        let name = if self.rng.chance(0.25) && !shadowable.is_empty() {
            self.rng.pick(&shadowable).clone()
        } else {
            self.fresh_name()
        };
        let mutable = self.rng.chance(0.6);
        let annotate = !has_var(&value) || self.rng.chance(0.2);
        self.bind(&name, Kind::Float { mutable, bound });
        vec![Stmt::Let {
            name,
            mutable,
            annotate,
            value,
        }]
    }

    fn assign(&mut self, compound: bool) -> Vec<Stmt> {
        let targets: Vec<_> = self.floats().into_iter().filter(|v| v.1).collect();
        if targets.is_empty() {
            return self.let_stmt();
        }
        let (name, _, bv) = self.rng.pick(&targets).clone();
        if !compound {
            // MACRO BUG 3 (fixed, generated): `y = 2.0;` (a value without a variable) gave the
            // new SSA version of `y` the ambiguous type `{float}`: `y.sin()` then failed with
            // E0689. So a literal is sometimes assigned on purpose (`expr` gives some too).
            // MACRO BUG 5 (fixed, generated): copies `b = y;` (`expr` gives some; see also
            // `loop_body`).
            let (e, b) = if self.rng.chance(0.15) {
                let v = self.lit();
                (Expr::Lit(v), v.abs())
            } else {
                self.expr(3)
            };
            self.set_bound(&name, b);
            return vec![Stmt::Assign(name, e)];
        }
        let op = *self
            .rng
            .pick(&[AssignOp::Add, AssignOp::Sub, AssignOp::Mul]);
        let limit = if self.loops > 0 { 1.0 } else { CAP };
        let (e, be) = if op == AssignOp::Mul {
            self.bounded(2, 1.2)
        } else {
            self.bounded(2, limit)
        };
        let b = if op == AssignOp::Mul {
            bv * be
        } else {
            bv + be
        };
        let mut out = vec![Stmt::Compound(name.clone(), op, e)];
        if b > 3.0 * CAP {
            // keep it bounded
            let (s, bs) = self.squash(Expr::Var(name.clone()));
            out.push(Stmt::Assign(
                name.clone(),
                Self::bin(Op::Mul, s, Expr::Lit(2.0)),
            ));
            self.set_bound(&name, 2.0 * bs);
        } else {
            self.set_bound(&name, b);
        }
        out
    }
}

// ---- helpers over small arrays of floats, by value, with array results ----

impl Gen {
    /// The generator of the helpers over arrays (on whenever this is called).
    fn ar(&mut self) -> &mut Rng {
        self.arrh.as_mut().expect("array helpers are on")
    }

    /// The arrays of floats in scope.
    fn farrs(&self) -> Vec<(String, FArr)> {
        self.visible()
            .into_iter()
            .filter_map(|v| match v.kind {
                Kind::FArr(a) => Some((v.name, a)),
                _ => None,
            })
            .collect()
    }

    fn use_helper(&mut self, h: Helper) {
        if !self.helpers.contains(&h) {
            self.helpers.push(h);
        }
    }

    /// An element of an array literal passed to a helper: an expression bounded by 1 (which
    /// may carry derivatives), sometimes a constant.
    fn farg_elem(&mut self) -> Expr {
        if self.ar().chance(0.25) {
            Expr::Lit(*self.ar().pick(&[0.5, 1.0, -0.7, 0.25, -1.0, 0.0]))
        } else {
            self.bounded(2, 1.0).0
        }
    }

    /// An array passed by value, and a bound of its elements: a literal `[e1, e2, e3]`, or
    /// sometimes a local array or an array result passed whole (bounded by `limit`; never one
    /// read by element).
    fn farg(&mut self, limit: f64) -> (FArg, f64) {
        let again = self.features.whole_again;
        let names: Vec<(String, FArr)> = self
            .farrs()
            .into_iter()
            .filter(|(_, a)| {
                (a.role == FRole::Local || a.role == FRole::Whole && again) && a.bound <= limit
            })
            .collect();
        if !names.is_empty() && self.ar().chance(0.35) {
            let (n, a) = self.ar().pick(&names).clone();
            return (FArg::Name(n), a.bound);
        }
        // Drawn from the structs' stream, so programs without one are unchanged.
        let fields: Vec<usize> = (0..self.sleaves.len())
            .filter(|&i| self.sleaves[i].ty == FTy::Arr(3) && self.sbounds[i] <= limit)
            .collect();
        if !fields.is_empty()
            && let Some(r) = self.srng.as_mut()
            && r.chance(0.4)
        {
            let i = *r.pick(&fields);
            let f = FieldRef {
                recv: self.st.recv.clone(),
                path: self.sleaves[i].path.clone(),
                index: None,
            };
            return (FArg::Field(f), self.sbounds[i]);
        }
        let e = [self.farg_elem(), self.farg_elem(), self.farg_elem()];
        (FArg::Lit(Box::new(e)), 1.0)
    }

    /// `e` (bounded by `b`) added into a mutable float, `t = t + e;` or `t += e;`, or bound to
    /// a fresh `let mut`; kept bounded as in `call_stmt` (and scaled down in loops).
    fn add_into(&mut self, e: Expr, b: f64) -> Vec<Stmt> {
        let (e, b) = if self.loops > 0 && b > 1.0 {
            (Self::bin(Op::Mul, e, Expr::Lit(0.25)), 0.25 * b)
        } else {
            (e, b)
        };
        let targets: Vec<_> = self.floats().into_iter().filter(|v| v.1).collect();
        if targets.is_empty() || self.ar().chance(0.2) {
            let name = self.fresh_name();
            self.bind(
                &name,
                Kind::Float {
                    mutable: true,
                    bound: b,
                },
            );
            let annotate = self.ar().chance(0.3);
            return vec![Stmt::Let {
                name,
                mutable: true,
                annotate,
                value: e,
            }];
        }
        let (t, _, tb) = self.ar().pick(&targets).clone();
        let mut out = vec![if self.ar().chance(0.5) {
            Stmt::Compound(t.clone(), AssignOp::Add, e)
        } else {
            Stmt::Assign(t.clone(), Self::bin(Op::Add, Expr::Var(t.clone()), e))
        }];
        let b = tb + b;
        if b > 3.0 * CAP {
            let (sq, bs) = self.squash(Expr::Var(t.clone()));
            out.push(Stmt::Assign(
                t.clone(),
                Self::bin(Op::Mul, sq, Expr::Lit(2.0)),
            ));
            self.set_bound(&t, 2.0 * bs);
        } else {
            self.set_bound(&t, b);
        }
        out
    }

    /// One or two updates reading elements of the array `q` (bound `b`) at literal indices:
    /// `y = y + q[1] * 0.5;`, `y += q[0] * q[2];`, ..
    fn read_elems(&mut self, q: &str, b: f64) -> Vec<Stmt> {
        let mut out = Vec::new();
        for _ in 0..1 + self.ar().below(2) {
            let el = |i| Expr::AElem(q.to_owned(), i);
            let i = self.ar().below(3);
            let (e, eb) = match self.ar().below(4) {
                0 => {
                    let c = *self.ar().pick(&[0.5, -0.25, 0.75]);
                    (Self::bin(Op::Mul, el(i), Expr::Lit(c)), b * f64::abs(c))
                }
                1 => {
                    let j = self.ar().below(3);
                    (Self::bin(Op::Mul, el(i), el(j)), b * b)
                }
                2 => {
                    let (x, xb) = self.bounded(1, 1.0);
                    (Self::bin(Op::Sub, el(i), x), b + xb)
                }
                _ => {
                    let (x, _) = self.bounded(1, 1.0);
                    let f = *self.ar().pick(&[Fun::Sin, Fun::Tanh]);
                    (self.call(f, vec![Self::bin(Op::Mul, el(i), x)]), 1.0)
                }
            };
            let (e, eb) = if eb > CAP { self.squash(e) } else { (e, eb) };
            out.extend(self.add_into(e, eb));
        }
        out
    }

    /// `let q = h_rot(arg, s);` (`arg` given or drawn), its result read by element (`how` 0),
    /// taken apart by `let [a, b, c] = ..` (1) or passed whole to `h_dot3` (2).
    fn rot_stmt(&mut self, arg: Option<(FArg, f64)>, how: usize) -> Vec<Stmt> {
        let (arg, ab) = match arg {
            Some(a) => a,
            None => self.farg(2.0),
        };
        let (s, _) = self.bounded(2, 1.6);
        self.use_helper(Helper::Rot);
        // |a0 c - a1 t| and |a0 t + a1 c| are at most |(a0, a1)|, |a2 + s a0 / 2| at most
        // 1.8 |a|: 2 |a| bounds them all.
        let b = 2.0 * ab;
        if how == 1 {
            let mut names = Vec::new();
            for _ in 0..3 {
                let n = self.fresh_name();
                self.bind(
                    &n,
                    Kind::Float {
                        mutable: false,
                        bound: b,
                    },
                );
                names.push(n);
            }
            let mut out = vec![Stmt::LetRot {
                bind: RotBind::Parts([names[0].clone(), names[1].clone(), names[2].clone()]),
                arg,
                s,
            }];
            // Two of them used at once (the others are in scope, like any float).
            let i = self.ar().below(3);
            let j = (i + 1 + self.ar().below(2)) % 3;
            let (a, c) = (Expr::Var(names[i].clone()), Expr::Var(names[j].clone()));
            let (e, eb) = if self.ar().chance(0.5) {
                (Self::bin(Op::Mul, a, c), b * b)
            } else {
                (
                    Self::bin(Op::Sub, a, Self::bin(Op::Mul, c, Expr::Lit(0.5))),
                    1.5 * b,
                )
            };
            let (e, eb) = if eb > CAP { self.squash(e) } else { (e, eb) };
            out.extend(self.add_into(e, eb));
            return out;
        }
        let q = self.fresh_name();
        let mut out = vec![Stmt::LetRot {
            bind: RotBind::Name(q.clone()),
            arg,
            s,
        }];
        let role = if how == 0 { FRole::Elems } else { FRole::Whole };
        self.bind(
            &q,
            Kind::FArr(FArr {
                bound: b,
                role,
                depth: self.depth,
            }),
        );
        if role == FRole::Elems {
            out.extend(self.read_elems(&q, b));
        } else {
            out.extend(self.dot_stmt(Some((q, b))));
        }
        out
    }

    /// `y += h_dot3(a, b);` (or another update, sometimes through a function), `a` given or
    /// drawn.
    fn dot_stmt(&mut self, first: Option<(String, f64)>) -> Vec<Stmt> {
        let (a, ab) = match first {
            Some((n, b)) => (FArg::Name(n), b),
            None => self.farg(f64::INFINITY),
        };
        let (b, bb) = self.farg(f64::INFINITY);
        let args = if self.ar().chance(0.5) {
            [a, b]
        } else {
            [b, a]
        };
        self.use_helper(Helper::Dot3);
        self.dot3_in_loop |= self.loops > 0;
        let e = Expr::Dot(Box::new(args));
        let bound = 3.0 * ab * bb;
        let (e, bound) = match self.ar().below(4) {
            0 => (self.call(Fun::Tanh, vec![e]), 1.0),
            1 => {
                let (x, xb) = self.bounded(1, 1.0);
                (Self::bin(Op::Mul, e, x), bound * xb)
            }
            _ => (e, bound),
        };
        let (e, bound) = if bound > CAP {
            self.squash(e)
        } else {
            (e, bound)
        };
        self.add_into(e, bound)
    }

    /// `name[k] = e;` on the local array `name` (its elements stay bounded by 1), `e`
    /// sometimes reading another element.
    fn fset(&mut self, name: &str) -> Stmt {
        let k = self.ar().below(3);
        let e = if self.ar().chance(0.4) {
            let j = self.ar().below(3);
            let (x, _) = self.bounded(2, 0.5);
            Self::bin(
                Op::Add,
                Self::bin(Op::Mul, Expr::AElem(name.to_owned(), j), Expr::Lit(0.5)),
                x,
            )
        } else {
            self.bounded(2, 1.0).0
        };
        Stmt::FSet(name.to_owned(), k, e)
    }

    /// Writes of the local array `name`, a call it is passed to by value (`h_dot3(pa, ..)` or
    /// `h_rot(pa, s)`), and sometimes writes after the call and a use of the new elements.
    fn local_use(&mut self, name: &str, b: f64) -> Vec<Stmt> {
        let mut out = Vec::new();
        // Sometimes assigned whole from another local array first (`pa1 = pa0;`), drawn from
        // the arrays' own stream.
        let others: Vec<String> = self
            .farrs()
            .into_iter()
            .filter(|(n, a)| n != name && a.role == FRole::Local && a.bound <= b)
            .map(|(n, _)| n)
            .collect();
        if !others.is_empty() && self.ar().chance(0.3) {
            let from = self.ar().pick(&others).clone();
            out.push(Stmt::FCopy(name.to_owned(), from));
        }
        if self.ar().chance(0.3) {
            let (e, _) = self.bounded(2, 1.0);
            out.push(Stmt::FTanh(name.to_owned(), e));
        }
        for _ in 0..1 + self.ar().below(2) {
            out.push(self.fset(name));
        }
        if self.ar().chance(0.5) {
            out.extend(self.dot_stmt(Some((name.to_owned(), b))));
        } else {
            let how = self.ar().below(3);
            out.extend(self.rot_stmt(Some((FArg::Name(name.to_owned()), b)), how));
        }
        if self.ar().chance(0.6) {
            // The last write: a loop writing every element at its index sometimes, which
            // reverse mode then reads again from the array rather than storing.
            if self.ar().chance(0.3) {
                let (e, _) = self.bounded(2, 1.0);
                out.push(Stmt::FTanh(name.to_owned(), e));
            } else {
                out.push(self.fset(name));
            }
            if self.ar().chance(0.5) {
                out.extend(self.read_elems(name, b));
            } else {
                out.extend(self.dot_stmt(Some((name.to_owned(), b))));
            }
        }
        out
    }

    /// `let mut pa = [0.0; 3];` (or `[e; 3]`, `[e1, e2, e3]`), then [`Gen::local_use`].
    fn local_farr_stmt(&mut self) -> Vec<Stmt> {
        let name = format!("pa{}", self.farr_names);
        self.farr_names += 1;
        let literal = self.features.farr_literal;
        let init = match self.ar().below(if literal { 3 } else { 2 }) {
            0 => FInit::Zeros,
            1 => FInit::Fill(self.bounded(2, 1.0).0),
            _ => FInit::Lit(Box::new([
                self.farg_elem(),
                self.farg_elem(),
                self.farg_elem(),
            ])),
        };
        let annotate = self.ar().chance(0.3);
        self.float_arrays = true;
        self.bind(
            &name,
            Kind::FArr(FArr {
                bound: 1.0,
                role: FRole::Local,
                depth: self.depth,
            }),
        );
        let mut out = vec![Stmt::LetFArr {
            name: name.clone(),
            init,
            annotate,
        }];
        out.extend(self.local_use(&name, 1.0));
        out
    }

    /// A statement with the annotated helpers over arrays of three floats passed by value
    /// ([`Helper::Rot`], [`Helper::Dot3`]): a call of `h_rot` whose result is read by element,
    /// taken apart or passed whole, `h_dot3` of array literals, a local array written, passed
    /// and written again; or more uses of an array in scope (read by element only in the
    /// region of its `let`, for the result of a call).
    fn arr_helper_stmt(&mut self) -> Vec<Stmt> {
        let farrs = self.farrs();
        if !farrs.is_empty() && self.ar().chance(0.35) {
            let (name, a) = self.ar().pick(&farrs).clone();
            match a.role {
                FRole::Local => return self.local_use(&name, a.bound),
                FRole::Whole if self.features.whole_again => {
                    return self.dot_stmt(Some((name, a.bound)));
                }
                FRole::Whole => {}
                FRole::Elems if a.depth == self.depth => return self.read_elems(&name, a.bound),
                FRole::Elems => {}
            }
        }
        match self.ar().below(5) {
            0 => self.rot_stmt(None, 0),
            1 => self.rot_stmt(None, 1),
            2 => self.rot_stmt(None, 2),
            3 => self.dot_stmt(None),
            _ => self.local_farr_stmt(),
        }
    }
}

/// Whether `e` reads a constant or a length of a field of the struct (issue 17).
fn ireads_field(e: &IExpr) -> bool {
    match e {
        IExpr::SLen(..) | IExpr::SConst(..) => true,
        IExpr::Var(_) | IExpr::Lit(_) | IExpr::Len => false,
        IExpr::Add(a, b) | IExpr::Rem(a, b) => ireads_field(a) || ireads_field(b),
        IExpr::At(_, i) => ireads_field(i),
    }
}

/// Whether `e` reads a field of the struct (issue 17).
fn reads_field(e: &Expr) -> bool {
    fn cond(c: &Cond) -> bool {
        match c {
            Cond::F(_, a, b) => reads_field(a) || reads_field(b),
            Cond::I(_, a, b) => ireads_field(a) || ireads_field(b),
            Cond::And(a, b) | Cond::Or(a, b) => cond(a) || cond(b),
            Cond::Not(a) => cond(a),
        }
    }
    let arg = |a: &FArg| match a {
        FArg::Lit(es) => es.iter().any(reads_field),
        FArg::Name(_) => false,
        FArg::Field(_) => true,
    };
    match e {
        Expr::Field(_) => true,
        Expr::Cast(i) | Expr::Elem(i) | Expr::Row(_, i, _) => ireads_field(i),
        Expr::Lit(_) | Expr::Var(_) | Expr::AElem(..) => false,
        Expr::Neg(a) => reads_field(a),
        Expr::Bin(_, a, b) => reads_field(a) || reads_field(b),
        Expr::Call(_, args, _) => args.iter().any(reads_field),
        Expr::If(c, a, b) => cond(c) || reads_field(a) || reads_field(b),
        Expr::Match(i, arms) => ireads_field(i) || arms.iter().any(reads_field),
        Expr::Chain(c) => reads_field(&c.body) || c.args.iter().any(reads_field),
        Expr::Dot(args) => arg(&args[0]) || arg(&args[1]),
        Expr::V3(v) => v3::any(v, &reads_field),
    }
}

fn has_var(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => false,
        Expr::Var(_) | Expr::Elem(_) | Expr::Cast(_) | Expr::Row(..) => true,
        Expr::Neg(a) => has_var(a),
        Expr::Bin(_, a, b) => has_var(a) || has_var(b),
        Expr::Call(_, args, _) => args.iter().any(has_var),
        Expr::If(_, a, b) => has_var(a) || has_var(b),
        Expr::Match(_, arms) => arms.iter().any(has_var),
        Expr::Chain(_) | Expr::AElem(..) | Expr::Dot(_) | Expr::Field(_) | Expr::V3(_) => true,
    }
}

/// Program `index` of the default sequence: the first seed from `BASE_SEED + index` whose
/// program has [`POINTS`] good evaluation points, with those points.
pub fn program(index: usize) -> (Program, Vec<Vec<f64>>) {
    let mut attempt = 0u64;
    loop {
        let seed = Rng(BASE_SEED
            .wrapping_add(index as u64)
            .wrapping_add(attempt << 40))
        .next_u64();
        let p = generate(seed);
        let mut rng = Rng(seed ^ 0x0123_4567_89ab_cdef);
        if let Some(points) = p.choose_points(&mut rng, POINTS) {
            return (p, points);
        }
        attempt += 1;
    }
}

/// The share of programs with integer arrays and calls of helpers (MACRO BUG 7).
pub const INTEGER_SHARE: f64 = 0.35;

/// The program generated from `seed` (without evaluation points), with the switches of the
/// environment ([`Features::from_env`]).
pub fn generate(seed: u64) -> Program {
    generate_with(seed, Features::from_env())
}

/// The program generated from `seed` with the switches `features`.
pub fn generate_with(seed: u64, features: Features) -> Program {
    let mut rng = Rng(seed);
    // Whether it has integer state is drawn apart, so that the programs without it are the
    // ones the generator gave before it knew integer state.
    let mut irng = Rng(seed ^ 0x1a7e_6e75_0000_0007);
    let integers = irng.chance(INTEGER_SHARE);
    let scalars = 1 + rng.below(4);
    let mut slice_len = rng.chance(0.4).then(|| 3 + rng.below(2));
    if integers && slice_len.is_none() {
        slice_len = Some(3 + irng.below(2));
    }
    let n = rng
        .chance(0.75)
        .then(|| if rng.chance(0.1) { 0 } else { 1 + rng.below(4) });
    let mut outputs = if rng.chance(0.35) { 2 } else { 1 };
    let mut params: Vec<Param> = (0..scalars).map(Param::Scalar).collect();
    if slice_len.is_some() {
        params.push(Param::Slice);
    }
    if n.is_some() {
        params.push(Param::N);
    }
    let ist = integers.then(|| IntState {
        k: 3 + irng.below(2),
        l: slice_len.unwrap(),
        features,
    });
    let elements = |irng: &mut Rng, st: &IntState| -> Vec<usize> {
        if st.k <= st.l && irng.chance(0.5) {
            // a permutation of 0..K
            let mut v: Vec<usize> = (0..st.k).collect();
            for i in (1..v.len()).rev() {
                let j = irng.below(i + 1);
                v.swap(i, j);
            }
            v
        } else {
            (0..st.k).map(|_| irng.below(st.l)).collect()
        }
    };
    let iw = match &ist {
        Some(st) if irng.chance(0.6) => {
            params.push(Param::IdxMut);
            Some(elements(&mut irng, st))
        }
        _ => None,
    };
    let nested = Nested::draw(seed, features);
    params.extend(nested.params());
    let (structs, srng) = Structs::draw(seed, features);
    if structs.form.is_some() {
        params.push(Param::Struct);
        if structs.result.is_some() || structs.unit {
            outputs = 0;
        }
    }
    // Shuffle the signature (Fisher-Yates).
    for i in (1..params.len()).rev() {
        let j = rng.below(i + 1);
        params.swap(i, j);
    }
    // A method's receiver comes first.
    if structs.form.is_some_and(SForm::method) {
        params.retain(|q| *q != Param::Struct);
        params.insert(0, Param::Struct);
    }
    let mut scope = Vec::new();
    for k in 0..scalars {
        scope.push(Var {
            name: format!("x{k}"),
            kind: Kind::Float {
                mutable: false,
                bound: RANGE,
            },
            param: true,
        });
    }
    if let Some(n) = n {
        scope.push(Var {
            name: "n".into(),
            kind: Kind::Int(n),
            param: true,
        });
    }
    if structs.form.is_some() && structs.recv != "self" {
        scope.push(Var {
            name: structs.recv.clone(),
            kind: Kind::Struct,
            param: true,
        });
    }
    if let (Some(st), Some(_)) = (&ist, &iw) {
        scope.push(Var {
            name: "iw".into(),
            kind: Kind::Arr(Arr {
                len: st.k,
                how: ArrHow::Param,
                frozen: false,
                depth: 0,
            }),
            param: true,
        });
    }
    let budget = 5 + rng.below(10);
    let mut g = Gen {
        rng,
        scopes: vec![scope],
        slice_len,
        outputs,
        depth: 0,
        loops: 0,
        budget,
        counters: 0,
        recent: Vec::new(),
        protected: Vec::new(),
        assigned: Vec::new(),
        ist,
        helpers: Vec::new(),
        dot3_in_loop: false,
        returned: false,
        farrays: features
            .float_arrays
            .then_some(Rng(seed ^ 0xf1a7_a55a_0000_0016)),
        float_arrays: false,
        nested: nested.clone(),
        arrh: features
            .array_helpers
            .then_some(Rng(seed ^ 0xa44a_4e1f_0000_0017)),
        farr_names: 0,
        features,
        sleaves: structs.leaves(),
        sbounds: vec![RANGE; structs.leaves().len()],
        st: structs.clone(),
        srng,
        v3: {
            let mut r = Rng(seed ^ 0x0e3d_0e3d_0000_0018);
            (features.v3 && r.chance(v3::SHARE)).then_some(r)
        },
        v3_used: false,
        select: Rng(seed ^ 0x5e1e_c7ed_0000_0022),
        closures: Rng(seed ^ 0xc105_0e5e_0000_0023),
    };
    // `total` (see `fold_into_total`): mutable in the program, but the generator neither assigns
    // nor shadows it.
    g.bind(
        TOTAL,
        Kind::Float {
            mutable: false,
            bound: 1.0,
        },
    );
    g.recent.clear();
    g.protected.push(TOTAL.to_owned());
    let mut body = vec![Stmt::Let {
        name: TOTAL.to_owned(),
        mutable: true,
        annotate: true,
        value: Expr::Lit(0.0),
    }];
    if let Some(st) = ist {
        let v = elements(&mut irng, &st);
        body.push(Stmt::LetArr("idx".into(), ArrInit::Lit(v)));
        let arr = |how| {
            Kind::Arr(Arr {
                len: st.k,
                how,
                frozen: false,
                depth: 0,
            })
        };
        g.bind("idx", arr(ArrHow::Local));
        if st.features.vec_usize && irng.chance(0.5) {
            let v = elements(&mut irng, &st);
            body.push(Stmt::LetArr("iv".into(), ArrInit::Vec(v)));
            g.bind("iv", arr(ArrHow::Vec));
        }
    }
    while g.budget > 0 {
        body.extend(g.stmt());
    }
    if structs.form.is_some_and(SForm::mutable) {
        body.extend(g.final_writes());
    }
    // Sometimes (drawn from its own stream) a guard that returns early, then a sum over a
    // range as the body's last loop, added into the first output: the rest of a function after
    // an early `return`, which reverse mode fuses with its reverse sweep (`fused.rs`).
    let guarded = (structs.form.is_none() && Rng(seed ^ 0x6a4d_5e55_0000_0024).chance(0.25))
        .then(|| g.guarded_sum())
        .flatten();
    if let Some((stmts, _)) = &guarded {
        body.extend(stmts.iter().cloned());
    }
    let mut out = g.output();
    if let (Some((_, sum)), Some(first)) = (guarded, out.first_mut()) {
        *first = Gen::bin(Op::Add, first.clone(), Expr::Var(sum));
    }
    let stail = structs.result.map(|ty| g.struct_tail(ty));
    let float_arrays = g.float_arrays;
    let dot3_in_loop = g.dot3_in_loop;
    let v3 = g.v3_used;
    let mut helpers = g.helpers;
    helpers.sort();
    let loop_tail = {
        let mut r = Rng(seed ^ 0x100b_7a11_0000_0021);
        (stail.is_none() && !out.is_empty() && r.chance(0.2)).then(|| 1 + r.below(3))
    };
    Program {
        seed,
        params,
        scalars,
        slice_len,
        n,
        iw,
        helpers,
        dot3_in_loop,
        k: ist.map_or(0, |st| st.k),
        body,
        float_arrays,
        nested,
        structs,
        stail,
        v3,
        v3_nalgebra: v3 && Rng(seed ^ 0x0e3d_0e3d_0000_0019).chance(v3::NALGEBRA_SHARE),
        loop_tail,
        out,
    }
}

// =============================================================================================
// Printing
// =============================================================================================

fn lit(v: f64) -> String {
    format!("{v:?}")
}

fn show_i(e: &IExpr) -> String {
    match e {
        IExpr::Var(n) => n.clone(),
        IExpr::Lit(k) => k.to_string(),
        IExpr::Len => "w.len()".into(),
        IExpr::Add(a, b) => format!("({} + {})", show_i(a), show_i(b)),
        IExpr::Rem(a, b) => format!("({} % {})", show_i(a), show_i(b)),
        IExpr::At(n, i) => format!("{n}[{}]", show_i(i)),
        IExpr::SLen(recv, path) => format!("{recv}.{path}.len()"),
        IExpr::SConst(recv, path) => format!("{recv}.{path}"),
    }
}

fn show_field(f: &FieldRef) -> String {
    match &f.index {
        Some(i) => format!("{}.{}[{}]", f.recv, f.path, show_i(i)),
        None => format!("{}.{}", f.recv, f.path),
    }
}

/// An expression usable as a method receiver.
fn atom(e: &Expr) -> String {
    match e {
        Expr::Var(_)
        | Expr::Elem(_)
        | Expr::Row(..)
        | Expr::Cast(_)
        | Expr::Bin(..)
        | Expr::Neg(_)
        | Expr::AElem(..)
        | Expr::Dot(_)
        | Expr::Field(_)
        | Expr::V3(_) => show(e),
        Expr::Call(_, _, false) => show(e),
        _ => format!("({})", show(e)),
    }
}

fn show(e: &Expr) -> String {
    match e {
        Expr::Lit(v) => lit(*v),
        Expr::Var(n) => n.clone(),
        Expr::Elem(i) => format!("w[{}]", show_i(i)),
        Expr::Row(name, i, j) => format!("{}[{}][{j}]", name.ident(), show_i(i)),
        Expr::Cast(i) => format!("({} as f64)", show_i(i)),
        Expr::Neg(a) => format!("(-{})", atom(a)),
        Expr::Bin(op, a, b) => {
            let op = match op {
                Op::Add => "+",
                Op::Sub => "-",
                Op::Mul => "*",
                Op::Div => "/",
            };
            format!("({} {op} {})", show(a), show(b))
        }
        Expr::Call(f, args, path) => {
            let mut rest: Vec<String> = args[1..].iter().map(show).collect();
            if let Fun::Powi(k) = f {
                rest.push(k.to_string());
            }
            // A receiver without a variable has an ambiguous float type: use the path form.
            if *path || !has_var(&args[0]) {
                let mut all = vec![show(&args[0])];
                all.extend(rest);
                format!("f64::{}({})", f.name(), all.join(", "))
            } else {
                format!("{}.{}({})", atom(&args[0]), f.name(), rest.join(", "))
            }
        }
        Expr::If(c, a, b) => format!("if {} {{ {} }} else {{ {} }}", show_c(c), show(a), show(b)),
        Expr::Chain(c) => show_chain(c),
        Expr::AElem(n, k) => format!("{n}[{k}]"),
        Expr::Dot(args) => format!("h_dot3({}, {})", show_farg(&args[0]), show_farg(&args[1])),
        Expr::V3(v) => v3::show_scalar(v),
        Expr::Field(f) => show_field(f),
        Expr::Match(s, arms) => {
            let mut out = format!("match {} {{ ", show_i(s));
            for (k, a) in arms.iter().enumerate() {
                if k + 1 == arms.len() {
                    let _ = write!(out, "_ => {} }}", show(a));
                } else {
                    let _ = write!(out, "{k} => {}, ", show(a));
                }
            }
            out
        }
    }
}

fn show_three(es: &[Expr; 3]) -> String {
    format!("[{}, {}, {}]", show(&es[0]), show(&es[1]), show(&es[2]))
}

fn show_farg(a: &FArg) -> String {
    match a {
        FArg::Lit(es) => show_three(es),
        FArg::Name(n) => n.clone(),
        FArg::Field(f) => show_field(f),
    }
}

fn show_chain(c: &Chain) -> String {
    let [a, b] = &c.names;
    let body = show(&c.body);
    match c.kind {
        ChainKind::MapSum => format!("w.iter().map(|&{a}| {body}).sum::<f64>()"),
        ChainKind::ZipSum => {
            format!("w.iter().zip(w.iter().skip(1)).map(|(&{a}, &{b})| {body}).sum::<f64>()")
        }
        ChainKind::Windows => format!(
            "w.windows(2).map(|pair| {{ let ({a}, {b}) = (pair[0], pair[1]); {body} }}).sum::<f64>()"
        ),
        ChainKind::Fold => {
            format!("w.iter().rev().fold(0.0, |fold_acc, &{b}| 0.5 * fold_acc + {body})")
        }
        ChainKind::RangeSum => format!("(0..3).map(|{a}: usize| {body}).sum::<f64>()"),
        ChainKind::Closure => format!(
            "{{ let f = |{a}: f64| -> f64 {{ {body} }}; f({}) + f({}) }}",
            show(&c.args[0]),
            show(&c.args[1])
        ),
        ChainKind::ClosureReturn => format!(
            "{{ let f = |{a}: f64| -> f64 {{ if {a} > 0.25 {{ return {body}; }} 0.5 * {a} }}; \
             f({}) + f({}) }}",
            show(&c.args[0]),
            show(&c.args[1])
        ),
        ChainKind::ClosureSlice => format!(
            "{{ let f = |ws: &[f64], {a}: f64| -> f64 {{ ws[0] * ({body}) + ws[1] }}; \
             f(&w[1..3], {}) + f(&w[0..2], {}) }}",
            show(&c.args[0]),
            show(&c.args[1])
        ),
        ChainKind::IfLetMax => format!(
            "{{ if let Some({a}) = w.iter().copied().filter(|&q| q > 0.25).reduce(f64::max) \
             {{ {body} }} else {{ {} }} }}",
            show(&c.args[0])
        ),
    }
}

fn show_c(c: &Cond) -> String {
    match c {
        Cond::F(op, a, b) => format!("{} {} {}", show(a), op.text(), show(b)),
        Cond::I(op, a, b) => format!("{} {} {}", show_i(a), op.text(), show_i(b)),
        Cond::And(a, b) => format!("({}) && ({})", show_c(a), show_c(b)),
        Cond::Or(a, b) => format!("({}) || ({})", show_c(a), show_c(b)),
        Cond::Not(a) => format!("!({})", show_c(a)),
    }
}

fn show_out(out: &[Expr]) -> String {
    if out.len() == 1 {
        show(&out[0])
    } else {
        format!("({}, {})", show(&out[0]), show(&out[1]))
    }
}

fn show_block(stmts: &[Stmt], indent: usize, out: &mut String) {
    for s in stmts {
        show_stmt(s, indent, out);
    }
}

fn show_stmt(s: &Stmt, indent: usize, out: &mut String) {
    let pad = "    ".repeat(indent);
    match s {
        Stmt::Let {
            name,
            mutable,
            annotate,
            value,
        } => {
            let m = if *mutable { "mut " } else { "" };
            let t = if *annotate { ": f64" } else { "" };
            let _ = writeln!(out, "{pad}let {m}{name}{t} = {};", show(value));
        }
        Stmt::LetPair([a, b], [ea, eb]) => {
            // A tuple of a literal would have an ambiguous float type.
            let t = if has_var(ea) && has_var(eb) {
                ""
            } else {
                ": (f64, f64)"
            };
            let _ = writeln!(
                out,
                "{pad}let ({a}, {b}){t} = ({}, {});",
                show(ea),
                show(eb)
            );
        }
        Stmt::Assign(n, e) => {
            let _ = writeln!(out, "{pad}{n} = {};", show(e));
        }
        Stmt::Compound(n, op, e) => {
            let op = match op {
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
                AssignOp::Mul => "*=",
            };
            let _ = writeln!(out, "{pad}{n} {op} {};", show(e));
        }
        Stmt::If(c, then, els) => {
            let _ = writeln!(out, "{pad}if {} {{", show_c(c));
            show_block(then, indent + 1, out);
            let mut els = els.as_ref();
            while let Some(e) = els {
                if let [Stmt::If(c2, t2, e2)] = e.as_slice() {
                    let _ = writeln!(out, "{pad}}} else if {} {{", show_c(c2));
                    show_block(t2, indent + 1, out);
                    els = e2.as_ref();
                } else {
                    let _ = writeln!(out, "{pad}}} else {{");
                    show_block(e, indent + 1, out);
                    els = None;
                }
            }
            let _ = writeln!(out, "{pad}}}");
        }
        Stmt::For(var, r, body) => {
            let dots = if r.inclusive { "..=" } else { ".." };
            let mut range = format!("{}{dots}{}", r.lo, show_i(&r.hi));
            if r.rev {
                range = format!("({range}).rev()");
            } else if let Some(k) = r.step {
                range = format!("({range}).step_by({k})");
            }
            let _ = writeln!(out, "{pad}for {var} in {range} {{");
            show_block(body, indent + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
        Stmt::While(c, hi, body) => {
            let _ = writeln!(out, "{pad}let mut {c}: usize = 0;");
            let _ = writeln!(out, "{pad}while {c} < {} {{", show_i(hi));
            let _ = writeln!(out, "{pad}    {c} += 1;");
            show_block(body, indent + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
        Stmt::Match(s, arms) => {
            let _ = writeln!(out, "{pad}match {} {{", show_i(s));
            for (pats, body) in arms {
                let pat = if pats.is_empty() {
                    "_".to_owned()
                } else {
                    pats.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" | ")
                };
                let _ = writeln!(out, "{pad}    {pat} => {{");
                show_block(body, indent + 2, out);
                let _ = writeln!(out, "{pad}    }}");
            }
            let _ = writeln!(out, "{pad}}}");
        }
        Stmt::Return(v) => {
            let _ = writeln!(out, "{pad}return {};", show_out(v));
        }
        Stmt::Break => {
            let _ = writeln!(out, "{pad}break;");
        }
        Stmt::Continue => {
            let _ = writeln!(out, "{pad}continue;");
        }
        Stmt::LetArr(name, init) => {
            let list = |v: &[usize]| {
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = match init {
                ArrInit::Lit(v) => writeln!(
                    out,
                    "{pad}let mut {name}: [usize; {}] = [{}];",
                    v.len(),
                    list(v)
                ),
                ArrInit::Copy(src) => writeln!(out, "{pad}let mut {name} = {src};"),
                ArrInit::Vec(v) => {
                    writeln!(out, "{pad}let mut {name}: Vec<usize> = vec![{}];", list(v))
                }
            };
        }
        Stmt::LetInt(name, e) => {
            let _ = writeln!(out, "{pad}let {name} = {};", show_i(e));
        }
        Stmt::ISet(name, i, e) => {
            let _ = writeln!(out, "{pad}{name}[{}] = {};", show_i(i), show_i(e));
        }
        Stmt::ISwap(name, a, b) => {
            let _ = writeln!(out, "{pad}{name}.swap({a}, {b});");
        }
        Stmt::FloatArr {
            target,
            array: fa,
            elem,
            vec,
            lend,
            looped,
        } => {
            let e = show(elem);
            let create = if *vec {
                format!("vec![{e}; 3]")
            } else {
                format!("[{e}; 3]")
            };
            let _ = writeln!(out, "{pad}let mut {target}: f64 = {{");
            let _ = writeln!(out, "{pad}    let mut {fa} = {create};");
            if *looped {
                let _ = writeln!(out, "{pad}    let mut r: f64 = 0.0;");
                let _ = writeln!(out, "{pad}    for j in 0..2 {{");
                let _ = writeln!(out, "{pad}        {fa}[j] = {fa}[j + 1] * 0.5 + r * 0.1;");
                let _ = writeln!(out, "{pad}        r = r + h_fsum(&{fa});");
                let _ = writeln!(out, "{pad}    }}");
            } else {
                let _ = writeln!(out, "{pad}    {fa}[1] = {fa}[1] * 0.5 + 0.25;");
                if *lend {
                    let _ = writeln!(out, "{pad}    let mut r: f64 = h_fsum(&{fa});");
                } else {
                    let _ = writeln!(out, "{pad}    let mut r: f64 = {fa}[0] * {fa}[2];");
                }
                let _ = writeln!(out, "{pad}    {fa}[0] = {fa}[2] * 0.5;");
                let _ = writeln!(out, "{pad}    r = r + ({fa}[0] * {fa}[1]).sin();");
            }
            let _ = writeln!(out, "{pad}    r");
            let _ = writeln!(out, "{pad}}};");
        }
        Stmt::CallHelper {
            target,
            fresh,
            compound,
            helper,
            x,
            arg,
            depth,
        } => {
            let a = match (arg.how, arg.pass) {
                (ArrHow::Param, _) | (ArrHow::Local, Pass::Value) => arg.name.clone(),
                (_, Pass::Mut) => format!("&mut {}", arg.name),
                _ => format!("&{}", arg.name),
            };
            let d = if *helper == Helper::Rec {
                format!(", {depth}")
            } else {
                String::new()
            };
            let call = format!("{}({x}, w, {a}{d})", helper.name());
            let _ = if *fresh {
                writeln!(out, "{pad}let mut {target} = {call};")
            } else if *compound {
                writeln!(out, "{pad}{target} += {call};")
            } else {
                writeln!(out, "{pad}{target} = {target} + {call};")
            };
        }
        Stmt::LetFArr {
            name,
            init,
            annotate,
        } => {
            let t = if *annotate { ": [f64; 3]" } else { "" };
            let init = match init {
                FInit::Zeros => "[0.0; 3]".to_owned(),
                FInit::Fill(e) => format!("[{}; 3]", show(e)),
                FInit::Lit(es) => show_three(es),
            };
            let _ = writeln!(out, "{pad}let mut {name}{t} = {init};");
        }
        Stmt::FSet(name, k, e) => {
            let _ = writeln!(out, "{pad}{name}[{k}] = {};", show(e));
        }
        Stmt::FCopy(to, from) => {
            let _ = writeln!(out, "{pad}{to} = {from};");
        }
        Stmt::FTanh(name, e) => {
            let _ = writeln!(
                out,
                "{pad}for fq in 0..3 {{ {name}[fq] = ({} * (fq as f64 + 1.0)).tanh(); }}",
                show(e)
            );
        }
        Stmt::LetRot { bind, arg, s } => {
            let pat = match bind {
                RotBind::Name(n) => n.clone(),
                RotBind::Parts([a, b, c]) => format!("[{a}, {b}, {c}]"),
            };
            let _ = writeln!(
                out,
                "{pad}let {pat} = h_rot({}, {});",
                show_farg(arg),
                show(s)
            );
        }
        Stmt::FieldSet(f, op, e) => {
            let op = match op {
                None => "=",
                Some(AssignOp::Add) => "+=",
                Some(AssignOp::Sub) => "-=",
                Some(AssignOp::Mul) => "*=",
            };
            let _ = writeln!(out, "{pad}{} {op} {};", show_field(f), show(e));
        }
    }
}

impl Program {
    /// Whether the program gets a copy under `#[derive_grad(hessian, wrt(xj))]`: it has a scalar
    /// input, no local float arrays, and calls only helpers a Hessian goes through (which then
    /// carry `second_order`), `h_dot3` outside loops (an array made again in a loop is saved
    /// for the call's reverse pass: refused under `hessian`); a struct it takes is
    /// differentiated too (`wrt(s, xj)`, see [`Program::struct_hessian`]), so it is not written
    /// in place and the function returns a float.
    fn has_hessian(&self) -> bool {
        self.params.iter().any(|q| matches!(q, Param::Scalar(_)))
            && self.helpers.iter().all(|h| h.in_hessian())
            && !self.dot3_in_loop
            && !self.float_arrays
            && (self.structs.form.is_none() || self.struct_hessian(0).is_some())
    }

    /// For a program taking a struct by value or by `&` (a method's `self` too) and returning a
    /// float: the Hessian copy differentiates the struct with `xj`, and `_hessian` returns the
    /// gradient as `(struct, xj)` when the struct comes first (a method's `self`, or a
    /// parameter before `xj`), else `(xj, struct)`. The position of `xj`'s entry in the
    /// gradient, and its row in the Hessian (after the struct's floats when it comes first).
    fn struct_hessian(&self, j: usize) -> Option<(usize, usize)> {
        let form = self.structs.form?;
        if form.mutable() || self.stail.is_some() || self.structs.result.is_some() {
            return None;
        }
        let at = |q: Param| self.params.iter().position(|p| *p == q);
        let first = form.method() || at(Param::Struct) < at(Param::Scalar(j));
        Some(if first {
            (1, self.structs.flat_len())
        } else {
            (0, 0)
        })
    }

    /// The structs it takes (named after `name`), the helpers it calls, then the function, with
    /// both attributes, named `name`.
    pub fn source(&self, name: &str) -> String {
        let mut out = self.structs.defs(name);
        if self.v3_nalgebra {
            out.push_str("use nalgebra::Vector3;\n");
        } else if self.v3 {
            out.push_str(v3::SOURCE);
        }
        let hessian = self.has_hessian();
        out.extend(
            self.helpers
                .iter()
                .map(|h| h.source(self.k, self.slice_len.unwrap_or(0), hessian)),
        );
        let attrs = format!(
            "{}\n{}",
            self.nested.attr(self, "derive_tangent", ""),
            self.nested.attr(self, "derive_grad", "")
        );
        out.push_str(&self.source_with(name, name, &attrs));
        out
    }

    /// The function named `name`, under the attributes `attrs`; its structs are those of the
    /// program named `family` (a method is written in an `impl` block of its own).
    pub fn source_with(&self, name: &str, family: &str, attrs: &str) -> String {
        v3::NALGEBRA.set(self.v3_nalgebra);
        let st = &self.structs;
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match p {
                Param::Scalar(k) => format!("x{k}: f64"),
                Param::Slice => "w: &[f64]".into(),
                Param::N => "n: usize".into(),
                Param::IdxMut => "iw: &mut [usize]".into(),
                Param::Points => "pc: &[[f64; 3]]".into(),
                Param::Table => self.nested.table_type().into(),
                Param::Struct => st.param(family),
            })
            .collect();
        let ret = if self.stail.is_some() {
            format!(" -> {}", st.result_type(family))
        } else {
            match self.out.len() {
                0 => String::new(),
                1 => " -> f64".into(),
                _ => " -> (f64, f64)".into(),
            }
        };
        let mut out = format!("{attrs}\npub fn {name}({}){ret} {{\n", params.join(", "));
        show_block(&self.body, 1, &mut out);
        if let Some(t) = &self.stail {
            show_tail(t, family, &mut out);
        } else if let (Some(k), false) = (self.loop_tail, self.out.is_empty()) {
            let _ = writeln!(out, "    let mut turn: usize = 0;");
            let _ = writeln!(out, "    loop {{");
            let _ = writeln!(out, "        turn += 1;");
            let _ = writeln!(out, "        if turn == {k} {{");
            let _ = writeln!(out, "            return {};", show_out(&self.out));
            let _ = writeln!(out, "        }}");
            let _ = writeln!(out, "    }}");
        } else if !self.out.is_empty() {
            let _ = writeln!(out, "    {}", show_out(&self.out));
        }
        out.push_str("}\n");
        if st.form.is_some_and(SForm::method) {
            out = format!(
                "impl {} {{\n{out}}}\n",
                Structs::type_name(family, STy::Main)
            );
        }
        out
    }
}

// =============================================================================================
// Interpretation
// =============================================================================================

/// What one evaluation of a program found.
#[derive(Clone, Debug, PartialEq)]
pub struct Eval {
    /// The outputs, flat (see [`Program::outputs`]).
    pub out: Vec<f64>,
    /// The smallest distance of a comparison of floats, an `abs` argument, a `max` / `min`
    /// pair or a `hypot` result from its switch or kink (infinity if none was reached).
    pub margin: f64,
    /// Every branch decision that depends on floats, in order.
    pub trace: Vec<bool>,
    /// The largest magnitude of any float computed.
    pub max_abs: f64,
}

#[derive(Clone)]
enum Val {
    F(f64),
    I(usize),
    /// An integer array.
    A(Vec<usize>),
    /// An array of three floats.
    FA([f64; 3]),
}

enum Flow {
    Normal,
    Break,
    Continue,
    Return(Vec<f64>),
}

struct Machine<'a> {
    scopes: Vec<Vec<(&'a str, Val)>>,
    w: &'a [f64],
    /// The coordinates of the points `pc`, flat.
    pc: &'a [f64],
    /// The constant table `tb`.
    tb: &'a [Vec<f64>],
    /// The floats of the struct, flat, and where each field is (issue 17).
    st: Vec<f64>,
    sleaves: Vec<SLeaf>,
    margin: f64,
    trace: Vec<bool>,
    max_abs: f64,
}

impl<'a> Machine<'a> {
    fn get(&self, name: &str) -> Val {
        for scope in self.scopes.iter().rev() {
            if let Some((_, v)) = scope.iter().rev().find(|(n, _)| *n == name) {
                return match v {
                    Val::F(x) => Val::F(*x),
                    Val::I(k) => Val::I(*k),
                    Val::A(_) | Val::FA(_) => panic!("generator bug: `{name}` is an array"),
                };
            }
        }
        panic!("generator bug: `{name}` is not in scope")
    }

    fn arr(&self, name: &str) -> &Vec<usize> {
        for scope in self.scopes.iter().rev() {
            if let Some((_, v)) = scope.iter().rev().find(|(n, _)| *n == name) {
                let Val::A(a) = v else {
                    panic!("generator bug: `{name}` is not an array")
                };
                return a;
            }
        }
        panic!("generator bug: `{name}` is not in scope")
    }

    fn arr_mut(&mut self, name: &str) -> &mut Vec<usize> {
        for scope in self.scopes.iter_mut().rev() {
            if let Some((_, v)) = scope.iter_mut().rev().find(|(n, _)| *n == name) {
                let Val::A(a) = v else {
                    panic!("generator bug: `{name}` is not an array")
                };
                return a;
            }
        }
        panic!("generator bug: `{name}` is not in scope")
    }

    fn farr(&self, name: &str) -> [f64; 3] {
        for scope in self.scopes.iter().rev() {
            if let Some((_, v)) = scope.iter().rev().find(|(n, _)| *n == name) {
                let Val::FA(a) = v else {
                    panic!("generator bug: `{name}` is not an array of floats")
                };
                return *a;
            }
        }
        panic!("generator bug: `{name}` is not in scope")
    }

    /// An array of three floats passed by value: its elements, left to right.
    fn farg(&mut self, a: &'a FArg) -> [f64; 3] {
        match a {
            FArg::Lit(es) => {
                let x = self.expr(&es[0]);
                let y = self.expr(&es[1]);
                let z = self.expr(&es[2]);
                [x, y, z]
            }
            FArg::Name(n) => self.farr(n),
            FArg::Field(f) => {
                let at = self.slot(f);
                [self.st[at], self.st[at + 1], self.st[at + 2]]
            }
        }
    }

    fn set(&mut self, name: &str, val: Val) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some((_, v)) = scope.iter_mut().rev().find(|(n, _)| *n == name) {
                *v = val;
                return;
            }
        }
        panic!("generator bug: `{name}` is not in scope")
    }

    fn bind(&mut self, name: &'a str, val: Val) {
        self.scopes.last_mut().unwrap().push((name, val));
    }

    fn float(&mut self, v: f64) -> f64 {
        self.max_abs = self.max_abs.max(v.abs());
        if v.is_nan() {
            self.max_abs = f64::INFINITY;
        }
        v
    }

    fn kink(&mut self, distance: f64) {
        self.margin = self.margin.min(distance.abs());
    }

    fn int(&self, e: &IExpr) -> usize {
        match e {
            IExpr::Var(n) => match self.get(n) {
                Val::I(k) => k,
                _ => panic!("generator bug: `{n}` is not an integer"),
            },
            IExpr::Lit(k) => *k,
            IExpr::Len => self.w.len(),
            IExpr::Add(a, b) => self.int(a) + self.int(b),
            IExpr::Rem(a, b) => self.int(a) % self.int(b),
            IExpr::At(n, i) => {
                let i = self.int(i);
                self.arr(n)[i]
            }
            IExpr::SLen(_, path) => self.sleaf(path).extent(),
            IExpr::SConst(_, path) => match self.sleaf(path).ty {
                FTy::Const(v) => v,
                _ => panic!("generator bug: `{path}` is not a constant"),
            },
        }
    }

    fn sleaf(&self, path: &str) -> &SLeaf {
        self.sleaves
            .iter()
            .find(|l| l.path == path)
            .unwrap_or_else(|| panic!("generator bug: no field `{path}`"))
    }

    /// Where the float `f` names is in `st`.
    fn slot(&self, f: &FieldRef) -> usize {
        let leaf = self.sleaf(&f.path);
        let i = f.index.as_ref().map_or(0, |i| self.int(i));
        assert!(
            i < leaf.extent().max(1),
            "generator bug: `{}` out of bounds",
            f.path
        );
        leaf.offset + i
    }

    /// The floats of the field `path` (a nested struct's in field order), flat.
    fn sub_flat(&self, path: &str) -> Vec<f64> {
        let dotted = format!("{path}.");
        let mut out = Vec::new();
        for l in &self.sleaves {
            if l.path == path || l.path.starts_with(&dotted) {
                out.extend_from_slice(&self.st[l.offset..l.offset + l.floats()]);
            }
        }
        out
    }

    fn expr(&mut self, e: &'a Expr) -> f64 {
        let v = match e {
            Expr::Lit(v) => *v,
            Expr::Var(n) => match self.get(n) {
                Val::F(v) => v,
                _ => panic!("generator bug: `{n}` is not a float"),
            },
            Expr::Elem(i) => self.w[self.int(i)],
            Expr::Row(NestedName::Points, i, j) => self.pc[3 * self.int(i) + j],
            Expr::Row(NestedName::Table, i, j) => self.tb[self.int(i)][*j],
            Expr::Cast(i) => self.int(i) as f64,
            Expr::Neg(a) => -self.expr(a),
            Expr::Bin(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                }
            }
            Expr::Call(f, args, _) => {
                let a: Vec<f64> = args.iter().map(|x| self.expr(x)).collect();
                match f {
                    Fun::Sin => a[0].sin(),
                    Fun::Cos => a[0].cos(),
                    Fun::Tanh => a[0].tanh(),
                    Fun::Exp => a[0].exp(),
                    Fun::Sqrt => a[0].sqrt(),
                    Fun::Ln => a[0].ln(),
                    Fun::Powi(k) => a[0].powi(*k),
                    Fun::Atan => a[0].atan(),
                    Fun::Hypot => {
                        let h = a[0].hypot(a[1]);
                        self.kink(h);
                        h
                    }
                    Fun::MulAdd => a[0].mul_add(a[1], a[2]),
                    Fun::Abs => {
                        self.kink(a[0]);
                        self.trace.push(a[0] >= 0.0);
                        a[0].abs()
                    }
                    Fun::Max | Fun::Min => {
                        self.kink(a[0] - a[1]);
                        self.trace.push(a[0] >= a[1]);
                        if *f == Fun::Max {
                            a[0].max(a[1])
                        } else {
                            a[0].min(a[1])
                        }
                    }
                }
            }
            Expr::If(c, a, b) => {
                if self.cond(c) {
                    self.expr(a)
                } else {
                    self.expr(b)
                }
            }
            Expr::Match(s, arms) => {
                let k = self.int(s).min(arms.len() - 1);
                self.expr(&arms[k])
            }
            Expr::Chain(c) => self.chain(c),
            Expr::AElem(n, k) => self.farr(n)[*k],
            Expr::Field(f) => self.st[self.slot(f)],
            Expr::Dot(args) => {
                let a = self.farg(&args[0]);
                let b = self.farg(&args[1]);
                dot3(a, b)
            }
            Expr::V3(v) => self.v3_scalar(v),
        };
        self.float(v)
    }

    /// A [`Chain`], as the standard library runs it.
    fn chain(&mut self, c: &'a Chain) -> f64 {
        let [a, b] = [c.names[0].as_str(), c.names[1].as_str()];
        let w = self.w;
        let n = w.len();
        let mut out = 0.0;
        let item = |m: &mut Self, binds: &[(&'a str, Val)]| {
            m.scopes.push(Vec::new());
            for (name, v) in binds {
                m.bind(name, v.clone());
            }
            let v = m.expr(&c.body);
            m.scopes.pop();
            v
        };
        match c.kind {
            ChainKind::MapSum => {
                for &v in w {
                    out += item(self, &[(a, Val::F(v))]);
                }
            }
            ChainKind::ZipSum | ChainKind::Windows => {
                for k in 0..n.saturating_sub(1) {
                    out += item(self, &[(a, Val::F(w[k])), (b, Val::F(w[k + 1]))]);
                }
            }
            ChainKind::Fold => {
                for &v in w.iter().rev() {
                    out = 0.5 * out + item(self, &[(b, Val::F(v))]);
                }
            }
            ChainKind::RangeSum => {
                for j in 0..3 {
                    out += item(self, &[(a, Val::I(j))]);
                }
            }
            ChainKind::Closure => {
                for arg in &c.args {
                    let v = self.expr(arg);
                    out += item(self, &[(a, Val::F(v))]);
                }
            }
            ChainKind::ClosureReturn => {
                for arg in &c.args {
                    let v = self.expr(arg);
                    self.kink(v - 0.25);
                    out += if v > 0.25 {
                        item(self, &[(a, Val::F(v))])
                    } else {
                        0.5 * v
                    };
                }
            }
            ChainKind::ClosureSlice => {
                for (arg, start) in c.args.iter().zip([1, 0]) {
                    let v = self.expr(arg);
                    let ws = [w[start], w[start + 1]];
                    out += ws[0] * item(self, &[(a, Val::F(v))]) + ws[1];
                }
            }
            ChainKind::IfLetMax => {
                let mut best: Option<f64> = None;
                for &q in w {
                    self.kink(q - 0.25);
                    if q > 0.25 {
                        if let Some(m) = best {
                            self.kink(q - m);
                        }
                        best = Some(best.map_or(q, |m| m.max(q)));
                    }
                }
                out = match best {
                    Some(m) => item(self, &[(a, Val::F(m))]),
                    None => self.expr(&c.args[0]),
                };
            }
        }
        out
    }

    fn cond(&mut self, c: &'a Cond) -> bool {
        match c {
            Cond::F(op, a, b) => {
                let a = self.expr(a);
                let b = self.expr(b);
                self.kink(a - b);
                let r = op.holds(a, b);
                self.trace.push(r);
                r
            }
            Cond::I(op, a, b) => op.holds(self.int(a), self.int(b)),
            Cond::And(a, b) => self.cond(a) && self.cond(b),
            Cond::Or(a, b) => self.cond(a) || self.cond(b),
            Cond::Not(a) => !self.cond(a),
        }
    }

    fn out(&mut self, out: &'a [Expr]) -> Vec<f64> {
        out.iter().map(|e| self.expr(e)).collect()
    }

    fn block(&mut self, stmts: &'a [Stmt]) -> Flow {
        self.scopes.push(Vec::new());
        let flow = self.stmts(stmts);
        self.scopes.pop();
        flow
    }

    fn stmts(&mut self, stmts: &'a [Stmt]) -> Flow {
        for s in stmts {
            match self.stmt(s) {
                Flow::Normal => {}
                other => return other,
            }
        }
        Flow::Normal
    }

    fn stmt(&mut self, s: &'a Stmt) -> Flow {
        match s {
            Stmt::Let { name, value, .. } => {
                let v = self.expr(value);
                self.bind(name, Val::F(v));
            }
            Stmt::LetPair([a, b], [ea, eb]) => {
                let va = self.expr(ea);
                let vb = self.expr(eb);
                self.bind(a, Val::F(va));
                self.bind(b, Val::F(vb));
            }
            Stmt::Assign(n, e) => {
                let v = self.expr(e);
                self.set(n, Val::F(v));
            }
            Stmt::Compound(n, op, e) => {
                let v = self.expr(e);
                let Val::F(old) = self.get(n) else {
                    panic!("generator bug: `{n}` is an integer")
                };
                let new = match op {
                    AssignOp::Add => old + v,
                    AssignOp::Sub => old - v,
                    AssignOp::Mul => old * v,
                };
                let new = self.float(new);
                self.set(n, Val::F(new));
            }
            Stmt::If(c, then, els) => {
                if self.cond(c) {
                    return self.block(then);
                } else if let Some(e) = els {
                    return self.block(e);
                }
            }
            Stmt::For(var, r, body) => {
                let hi = self.int(&r.hi);
                let end = if r.inclusive { hi + 1 } else { hi };
                let mut seq: Vec<usize> = (r.lo..end.max(r.lo)).collect();
                if r.rev {
                    seq.reverse();
                } else if let Some(k) = r.step {
                    seq = seq.into_iter().step_by(k).collect();
                }
                for i in seq {
                    self.scopes.push(vec![(var.as_str(), Val::I(i))]);
                    let flow = self.stmts(body);
                    self.scopes.pop();
                    match flow {
                        Flow::Break => break,
                        Flow::Return(v) => return Flow::Return(v),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            Stmt::While(c, hi, body) => {
                self.bind(c, Val::I(0));
                loop {
                    let Val::I(k) = self.get(c) else {
                        unreachable!()
                    };
                    if k >= self.int(hi) {
                        break;
                    }
                    self.set(c, Val::I(k + 1));
                    match self.block(body) {
                        Flow::Break => break,
                        Flow::Return(v) => return Flow::Return(v),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            Stmt::Match(s, arms) => {
                let k = self.int(s);
                for (pats, body) in arms {
                    if pats.is_empty() || pats.contains(&k) {
                        return self.block(body);
                    }
                }
            }
            Stmt::Return(out) => return Flow::Return(self.out(out)),
            Stmt::Break => return Flow::Break,
            Stmt::Continue => return Flow::Continue,
            Stmt::LetArr(name, init) => {
                let v = match init {
                    ArrInit::Lit(v) | ArrInit::Vec(v) => v.clone(),
                    ArrInit::Copy(src) => self.arr(src).clone(),
                };
                self.bind(name, Val::A(v));
            }
            Stmt::LetInt(name, e) => {
                let v = self.int(e);
                self.bind(name, Val::I(v));
            }
            Stmt::ISet(name, i, e) => {
                // Rust evaluates the value first, then the index.
                let v = self.int(e);
                let i = self.int(i);
                self.arr_mut(name)[i] = v;
            }
            Stmt::ISwap(name, a, b) => self.arr_mut(name).swap(*a, *b),
            Stmt::FloatArr {
                target,
                elem,
                lend,
                looped,
                ..
            } => {
                let e = self.expr(elem);
                let mut fa = [e; 3];
                let mut r: f64;
                if *looped {
                    r = 0.0;
                    for j in 0..2 {
                        fa[j] = self.float(fa[j + 1] * 0.5 + r * 0.1);
                        r = self.float(r + fsum(&fa));
                    }
                } else {
                    fa[1] = self.float(fa[1] * 0.5 + 0.25);
                    r = if *lend { fsum(&fa) } else { fa[0] * fa[2] };
                    r = self.float(r);
                    fa[0] = self.float(fa[2] * 0.5);
                    r = self.float(r + (fa[0] * fa[1]).sin());
                }
                self.bind(target, Val::F(r));
            }
            Stmt::CallHelper {
                target,
                fresh,
                helper,
                x,
                arg,
                depth,
                ..
            } => {
                let old = if *fresh {
                    None
                } else {
                    match self.get(target) {
                        Val::F(v) => Some(v),
                        _ => panic!("generator bug: `{target}` is not a float"),
                    }
                };
                let Val::F(xv) = self.get(x) else {
                    panic!("generator bug: `{x}` is not a float")
                };
                let w = self.w;
                let r = if arg.pass == Pass::Mut {
                    helper.eval(xv, w, self.arr_mut(&arg.name), *depth)
                } else {
                    let mut copy = self.arr(&arg.name).clone();
                    helper.eval(xv, w, &mut copy, *depth)
                };
                let r = self.float(r);
                match old {
                    None => self.bind(target, Val::F(r)),
                    Some(o) => {
                        let v = self.float(o + r);
                        self.set(target, Val::F(v));
                    }
                }
            }
            Stmt::LetFArr { name, init, .. } => {
                let a = match init {
                    FInit::Zeros => [0.0; 3],
                    FInit::Fill(e) => [self.expr(e); 3],
                    FInit::Lit(es) => {
                        let x = self.expr(&es[0]);
                        let y = self.expr(&es[1]);
                        let z = self.expr(&es[2]);
                        [x, y, z]
                    }
                };
                self.bind(name, Val::FA(a));
            }
            Stmt::FSet(name, k, e) => {
                let v = self.expr(e);
                let mut a = self.farr(name);
                a[*k] = v;
                self.set(name, Val::FA(a));
            }
            Stmt::FCopy(to, from) => {
                let a = self.farr(from);
                self.set(to, Val::FA(a));
            }
            Stmt::FTanh(name, e) => {
                let v = self.expr(e);
                let a = [1.0, 2.0, 3.0].map(|k| self.float((v * k).tanh()));
                self.set(name, Val::FA(a));
            }
            Stmt::LetRot { bind, arg, s } => {
                let a = self.farg(arg);
                let s = self.expr(s);
                let r = rot(a, s).map(|v| self.float(v));
                match bind {
                    RotBind::Name(n) => self.bind(n, Val::FA(r)),
                    RotBind::Parts([a, b, c]) => {
                        self.bind(a, Val::F(r[0]));
                        self.bind(b, Val::F(r[1]));
                        self.bind(c, Val::F(r[2]));
                    }
                }
            }
            Stmt::FieldSet(f, op, e) => {
                // A compound assignment of floats evaluates its value first, then the place.
                let v = self.expr(e);
                let k = self.slot(f);
                let old = self.st[k];
                let new = match op {
                    None => v,
                    Some(AssignOp::Add) => old + v,
                    Some(AssignOp::Sub) => old - v,
                    Some(AssignOp::Mul) => old * v,
                };
                self.st[k] = self.float(new);
            }
        }
        Flow::Normal
    }
}

impl Program {
    /// Evaluates the program at a flat point (the scalars, then `w`), as the compiled function
    /// would.
    pub fn eval(&self, p: &[f64]) -> Eval {
        let k = self.scalars;
        let w = &p[k..k + self.slice_len.unwrap_or(0)];
        let mut scope: Vec<(&str, Val)> = Vec::new();
        let names: Vec<String> = (0..k).map(|i| format!("x{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            scope.push((name.as_str(), Val::F(p[i])));
        }
        if let Some(n) = self.n {
            scope.push(("n", Val::I(n)));
        }
        if let Some(iw) = &self.iw {
            scope.push(("iw", Val::A(iw.clone())));
        }
        let l = self.slice_len.unwrap_or(0);
        let o = self.struct_offset();
        let mut m = Machine {
            scopes: Vec::new(),
            w,
            pc: &p[k + l..o],
            tb: &self.nested.table,
            st: p[o..o + self.structs.flat_len()].to_vec(),
            sleaves: self.structs.leaves(),
            margin: f64::INFINITY,
            trace: Vec::new(),
            max_abs: 0.0,
        };
        m.scopes.push(scope);
        let mut out = match m.stmts(&self.body) {
            Flow::Return(v) => v,
            _ => match &self.stail {
                Some(t) => m.tail(t, &self.structs),
                None => m.out(&self.out),
            },
        };
        if self.structs.form.is_some_and(SForm::mutable) {
            out.extend_from_slice(&m.st);
        }
        Eval {
            out,
            margin: m.margin,
            trace: m.trace,
            max_abs: m.max_abs,
        }
    }

    /// Whether `p` is a good evaluation point (see the module docs).
    pub fn good_point(&self, p: &[f64]) -> bool {
        let base = self.eval(p);
        let fine = |e: &Eval| {
            e.out.iter().all(|v| v.is_finite()) && e.max_abs <= MAX_MAGNITUDE && e.margin >= MARGIN
        };
        if !fine(&base) {
            return false;
        }
        let m = base.out.len();
        for j in 0..p.len() {
            let h = fd_step(p[j]);
            // f at p + k h / 2 e_j for k = -4..=4 (k = 0 is `base`).
            let mut at = vec![Vec::new(); 9];
            at[4] = base.out.clone();
            for k in [-4, -2, -1, 1, 2, 4] {
                let mut q = p.to_vec();
                q[j] += f64::from(k) * h / 2.0;
                let e = self.eval(&q);
                if !fine(&e) || e.trace != base.trace {
                    return false;
                }
                at[(k + 4) as usize] = e.out;
            }
            // The five-point difference with steps h and h / 2 must agree to well within the
            // tolerance of the test: a function that wiggles at the scale of h (a long chaotic
            // recurrence, say) gets other points.
            let five = |m2: &[f64], m1: &[f64], p1: &[f64], p2: &[f64], h: f64| {
                (0..m)
                    .map(|i| (m2[i] - 8.0 * m1[i] + 8.0 * p1[i] - p2[i]) / (12.0 * h))
                    .collect::<Vec<f64>>()
            };
            let coarse = five(&at[0], &at[2], &at[6], &at[8], h);
            let fine_h = five(&at[2], &at[3], &at[5], &at[6], h / 2.0);
            for i in 0..m {
                let scale = coarse[i].abs().max(fine_h[i].abs()).max(1.0);
                if (coarse[i] - fine_h[i]).abs() > FD_AGREEMENT * scale {
                    return false;
                }
            }
        }
        true
    }

    /// Up to `count` good points drawn from `rng` (60 tries), or `None` if fewer were found.
    pub fn choose_points(&self, rng: &mut Rng, count: usize) -> Option<Vec<Vec<f64>>> {
        let mut points = Vec::new();
        for _ in 0..60 {
            let p: Vec<f64> = (0..self.inputs())
                .map(|_| rng.range(-RANGE, RANGE))
                .collect();
            if self.good_point(&p) {
                points.push(p);
                if points.len() == count {
                    return Some(points);
                }
            }
        }
        None
    }
}

/// The finite-difference step at coordinate value `x`.
pub fn fd_step(x: f64) -> f64 {
    1e-4 * x.abs().max(1.0)
}

/// The five-point central difference of `f` at `p` along coordinate `j`:
/// `(f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h`, per output.
pub fn five_point(f: impl Fn(&[f64]) -> Vec<f64>, p: &[f64], j: usize) -> Vec<f64> {
    let h = fd_step(p[j]);
    let at = |k: f64| {
        let mut q = p.to_vec();
        q[j] += k * h;
        f(&q)
    };
    let (m2, m1, p1, p2) = (at(-2.0), at(-1.0), at(1.0), at(2.0));
    (0..m2.len())
        .map(|i| (m2[i] - 8.0 * m1[i] + 8.0 * p1[i] - p2[i]) / (12.0 * h))
        .collect()
}

// =============================================================================================
// Emission
// =============================================================================================

/// `_tangent` at a point along a direction: (value, tangent), flat.
pub type JvpFn = fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>);
/// `_vjp` at a point with a seed (one per output), adding the adjoints into the last argument;
/// the value.
pub type VjpFn = fn(&[f64], &[f64], &mut [f64]) -> Vec<f64>;
/// `_grad`, adding the gradient into the last argument; the value.
pub type GradFn = fn(&[f64], &mut [f64]) -> f64;
/// `(value, df/dx, d²f/dx²)` of `_hessian` with respect to one scalar input.
pub type HessFn = fn(&[f64]) -> [f64; 3];

/// One compiled program, as the generated table lists it.
#[derive(Clone, Copy)]
pub struct Compiled {
    /// `p0042`.
    pub name: &'static str,
    /// The seed it was generated from (`ad_tests::r#gen::generate(seed)` gives it back).
    pub seed: u64,
    /// The function with its attributes.
    pub source: &'static str,
    /// Length of the flat point.
    pub inputs: usize,
    /// Length of the flat output ([`Program::outputs`]).
    pub outputs: usize,
    /// The evaluation points.
    pub points: &'static [&'static [f64]],
    /// The interpreter's value at each point.
    pub values: &'static [&'static [f64]],
    /// The function at a flat point: its outputs, flat.
    pub eval: fn(&[f64]) -> Vec<f64>,
    /// `_tangent` at a point along a direction: (value, tangent).
    pub jvp: JvpFn,
    /// `_vjp` at a point with a seed, adding the adjoints into the last argument; the value.
    pub vjp: VjpFn,
    /// `_grad` (one output only), adding the gradient into the last argument; the value.
    pub grad: Option<GradFn>,
    /// `_grad` of a copy under `#[derive_grad(checkpoint)]` (one output only).
    pub grad_checkpointed: Option<GradFn>,
    /// The input index and `_hessian` of a copy under `#[derive_grad(hessian, wrt(x))]` for the
    /// first scalar input `x` (one output only): forward over reverse.
    pub hessian: Option<(usize, HessFn)>,
}

/// The arguments of a call of mode `mode` (`eval`, `jvp`, `vjp`, `grad`) of the function or one
/// of its derivatives, the receiver of a method left out (see [`call`]). The struct is `sp`,
/// its tangent `sd`, its shadow `sg` (see [`struct_before`]).
fn call_args(p: &Program, mode: &str) -> String {
    let k = p.scalars;
    let l = p.slice_len.unwrap_or(0);
    let mut args = Vec::new();
    for param in &p.params {
        match (param, mode) {
            (Param::Scalar(j), "jvp") => args.push(format!("p[{j}], d[{j}]")),
            (Param::Scalar(j), _) => args.push(format!("p[{j}]")),
            (Param::Slice, "eval") => args.push(format!("&p[{k}..{}]", k + l)),
            (Param::Slice, "jvp") => args.push(format!("&p[{k}..{0}], &d[{k}..{0}]", k + l)),
            (Param::Slice, _) => args.push(format!("&p[{k}..{0}], &mut g[{k}..{0}]", k + l)),
            // Opaque to the optimiser: constant folding (of `powi` by `pow`, say) would make the
            // release build compute another function than the debug build.
            (Param::N, _) => args.push(format!("::std::hint::black_box({})", p.n.unwrap())),
            // A fresh copy in every call: the function may leave it changed.
            (Param::IdxMut, _) => args.push(format!(
                "&mut [{}]",
                p.iw.as_ref()
                    .unwrap()
                    .iter()
                    .map(|v| format!("{v}usize"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (Param::Points | Param::Table, _) => args.push(p.nested.arg(*param, mode)),
            (Param::Struct, _) => {
                let form = p.structs.form.expect("a struct");
                let a = match (form, mode) {
                    _ if form.method() => continue,
                    (SForm::Ref, "eval") => "&sp",
                    (SForm::Ref, "jvp") => "&sp, &sd",
                    (SForm::Ref, _) => "&sp, &mut sg",
                    (SForm::Value, "jvp") => "sp, sd",
                    (SForm::Value, _) => "sp",
                    (SForm::Mut, "eval") => "&mut sp",
                    (SForm::Mut, "jvp") => "&mut sp, &mut sd",
                    (_, _) => "&mut sp, &mut sg",
                };
                args.push(a.to_owned());
            }
        }
    }
    args.join(", ")
}

/// The call of `name` (`p0042`, `p0042_tangent`, ..) in mode `mode`, `seed` appended: a method
/// is called on `sp`, with the receiver's tangent or shadow first.
fn call(p: &Program, name: &str, mode: &str, seed: Option<&str>) -> String {
    let mut args = call_args(p, mode);
    let form = p.structs.form;
    let recv = match (form, mode) {
        (Some(SForm::SelfRef), "jvp") => Some("&sd"),
        (Some(SForm::SelfValue), "jvp") => Some("sd"),
        (Some(SForm::SelfMut), "jvp") => Some("&mut sd"),
        (Some(SForm::SelfRef | SForm::SelfMut), "vjp" | "grad") => Some("&mut sg"),
        _ => None,
    };
    let mut all: Vec<String> = recv.into_iter().map(str::to_owned).collect();
    if !args.is_empty() {
        all.push(std::mem::take(&mut args));
    }
    all.extend(seed.map(str::to_owned));
    let call = format!("{name}({})", all.join(", "));
    if form.is_some_and(SForm::method) {
        format!("sp.{call}")
    } else {
        call
    }
}

/// Statements before a call of mode `mode`: the struct `sp` from the flat point, its tangent
/// `sd` from the direction, its shadow `sg` from the gradient (it adds into it) or, for a
/// `&mut` struct, from the seed (the adjoint of its final floats).
fn struct_before(p: &Program, mode: &str) -> String {
    let Some(form) = p.structs.form else {
        return String::new();
    };
    let (o, e) = (p.struct_offset(), p.inputs());
    let mut out = format!("let mut sp = mk(&p[{o}..{e}]); ");
    match mode {
        "jvp" => out.push_str(&format!("let mut sd = mk(&d[{o}..{e}]); ")),
        "vjp" | "grad" if form.mutable() => {
            let k = p.out.len();
            out.push_str(&format!(
                "let mut sg = mk(&s[{k}..{}]); ",
                k + p.structs.flat_len()
            ));
        }
        "vjp" | "grad" if !form.by_value() => {
            out.push_str(&format!("let mut sg = mk(&g[{o}..{e}]); "));
        }
        _ => {}
    }
    out
}

/// Statements after a reverse call: the struct's adjoint into the flat gradient.
fn struct_after(p: &Program) -> String {
    let Some(form) = p.structs.form else {
        return String::new();
    };
    let (o, e) = (p.struct_offset(), p.inputs());
    if form.by_value() {
        format!("for (gi, ai) in g[{o}..{e}].iter_mut().zip(a_s.to_flat()) {{ *gi += ai; }} ")
    } else if form.mutable() {
        format!("for (gi, ai) in g[{o}..{e}].iter_mut().zip(sg.to_flat()) {{ *gi += ai; }} ")
    } else {
        format!("g[{o}..{e}].copy_from_slice(&sg.to_flat()); ")
    }
}

/// The module of program `index` and its table entry.
pub fn emit(index: usize, p: &Program, points: &[Vec<f64>]) -> (String, String) {
    let name = format!("p{index:04}");
    let source = p.source(&name);
    let st = &p.structs;
    let k = p.out.len();
    let result = p.stail.is_some();
    let mutable = st.form.is_some_and(SForm::mutable);
    // The value `v` of a call (or the value part of a derivative's result), flat.
    let flat = |v: &str| {
        if result {
            format!("{v}.to_flat()")
        } else {
            match k {
                0 => "Vec::new()".to_owned(),
                1 => format!("vec![{v}]"),
                _ => format!("vec![{v}.0, {v}.1]"),
            }
        }
    };
    // Adjoints returned by value, in signature order: the scalars, a struct by value.
    let order: Vec<usize> = p
        .params
        .iter()
        .filter_map(|q| match q {
            Param::Scalar(j) => Some(*j),
            _ => None,
        })
        .collect();
    let names: Vec<String> = p
        .params
        .iter()
        .filter_map(|q| match q {
            Param::Scalar(j) => Some(format!("a{j}")),
            Param::Struct if st.form.is_some_and(SForm::by_value) => Some("a_s".to_owned()),
            _ => None,
        })
        .collect();
    let pattern = if names.len() == 1 {
        names[0].clone()
    } else {
        format!("({})", names.join(", "))
    };
    let mut adds: String = order.iter().map(|j| format!("g[{j}] += a{j}; ")).collect();
    adds.push_str(&p.nested.after(p));
    adds.push_str(&struct_after(p));
    let before = |mode: &str| format!("{}{}", p.nested.before(p, mode), struct_before(p, mode));
    let state = if mutable {
        "o.extend(sp.to_flat()); "
    } else {
        ""
    };
    let seed = if result {
        Some(format!("mk_out(&s[..{}])", st.result_len()))
    } else {
        match k {
            0 => None,
            1 => Some("s[0]".to_owned()),
            _ => Some("(s[0], s[1])".to_owned()),
        }
    };
    let mut m = String::new();
    let _ = writeln!(m, "pub mod {name} {{");
    let _ = writeln!(m, "use ad_runtime::{{derive_grad, derive_tangent}};");
    if st.form.is_some() {
        let _ = writeln!(m, "use ad_runtime::Differentiable;");
    }
    let _ = writeln!(m, "pub const SOURCE: &str = {source:?};");
    m.push_str(&source);
    if st.form.is_some() {
        m.push_str(&st.builder(&name, STy::Main, "mk"));
        if let Some(ty) = st.result {
            m.push_str(&st.builder(&name, ty, "mk_out"));
        }
    }
    let _ = writeln!(
        m,
        "pub fn eval(p: &[f64]) -> Vec<f64> {{ {}let v = {}; let mut o: Vec<f64> = {}; {state}o }}",
        before("eval"),
        call(p, &name, "eval", None),
        flat("v")
    );
    let _ = writeln!(
        m,
        "pub fn jvp(p: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {{ {}let vt = {}; let (mut o, mut t): (Vec<f64>, Vec<f64>) = ({}, {}); {state}{}(o, t) }}",
        before("jvp"),
        call(p, &format!("{name}_tangent"), "jvp", None),
        if k == 0 && !result {
            "Vec::new()".to_owned()
        } else {
            flat("vt.0")
        },
        if k == 0 && !result {
            "Vec::new()".to_owned()
        } else {
            flat("vt.1")
        },
        if mutable {
            "t.extend(sd.to_flat()); "
        } else {
            ""
        }
    );
    let vjp_call = call(p, &format!("{name}_vjp"), "vjp", seed.as_deref());
    let (bind, vals) = if k == 0 && !result {
        (pattern.clone(), "Vec::new()".to_owned())
    } else {
        (format!("(v, {pattern})"), flat("v"))
    };
    let _ = writeln!(
        m,
        "pub fn vjp(p: &[f64], s: &[f64], g: &mut [f64]) -> Vec<f64> {{ {}let {bind} = {vjp_call}; {adds}let mut o: Vec<f64> = {vals}; {state}o }}",
        before("vjp"),
    );
    let mut second = None;
    let one = p.outputs() == 1 && k == 1;
    if one {
        let _ = writeln!(
            m,
            "pub fn grad(p: &[f64], g: &mut [f64]) -> f64 {{ {}let (v, {pattern}) = {}; {adds}v }}",
            before("grad"),
            call(p, &format!("{name}_grad"), "grad", None)
        );
        // The same function checkpointed (every other program by the binomial schedule with
        // two states, the tightest budget with a split), and its second derivative in its first
        // scalar.
        let ck = format!("{name}_ck");
        let how = if index % 2 == 1 {
            "checkpoint(snapshots = 2)"
        } else {
            "checkpoint"
        };
        m.push_str(&p.source_with(&ck, &name, &p.nested.attr(p, "derive_grad", how)));
        let _ = writeln!(
            m,
            "pub fn grad_ck(p: &[f64], g: &mut [f64]) -> f64 {{ {}let (v, {pattern}) = {}; {adds}v }}",
            before("grad"),
            call(p, &format!("{ck}_grad"), "grad", None)
        );
        // `derive_grad(hessian)` refuses structs written in place, and calls passing arrays
        // that carry derivatives.
        if let (Some(&j), true) = (order.first(), p.has_hessian()) {
            let h = format!("{name}_h");
            let hessian = format!("{h}_hessian");
            match p.struct_hessian(j) {
                Some((at, row)) => {
                    m.push_str(&p.source_with(
                        &h,
                        &name,
                        &format!("#[derive_grad(hessian, wrt({}, x{j}))]", p.structs.recv),
                    ));
                    let _ = writeln!(
                        m,
                        "pub fn hess(p: &[f64]) -> [f64; 3] {{ {}{}let (v, g, h) = {}; \
                         [v, g.{at}, h[({row}, {row})]] }}",
                        p.nested.before(p, "eval"),
                        struct_before(p, "eval"),
                        call(p, &hessian, "eval", None)
                    );
                }
                None => {
                    m.push_str(&p.source_with(
                        &h,
                        &name,
                        &format!("#[derive_grad(hessian, wrt(x{j}))]"),
                    ));
                    let _ = writeln!(
                        m,
                        "pub fn hess(p: &[f64]) -> [f64; 3] {{ {}let (v, g, h) = {hessian}({}); \
                         [v, g, h] }}",
                        p.nested.before(p, "eval"),
                        call_args(p, "eval")
                    );
                }
            }
            second = Some(j);
        }
    }
    m.push_str("}\n");

    let list = |q: &[f64]| {
        format!(
            "&[{}]",
            q.iter().map(|v| lit(*v)).collect::<Vec<_>>().join(", ")
        )
    };
    let pts: Vec<String> = points.iter().map(|q| list(q)).collect();
    let vals: Vec<String> = points.iter().map(|q| list(&p.eval(q).out)).collect();
    let entry = format!(
        "Compiled {{ name: {name:?}, seed: {:#x}, source: {name}::SOURCE, inputs: {}, outputs: {}, \
         points: &[{}], values: &[{}], eval: {name}::eval, jvp: {name}::jvp, vjp: {name}::vjp, grad: {}, \
         grad_checkpointed: {}, hessian: {} }},\n",
        p.seed,
        p.inputs(),
        p.outputs(),
        pts.join(", "),
        vals.join(", "),
        if one {
            format!("Some({name}::grad)")
        } else {
            "None".to_owned()
        },
        if one {
            format!("Some({name}::grad_ck)")
        } else {
            "None".to_owned()
        },
        match second {
            Some(j) => format!("Some(({j}, {name}::hess))"),
            None => "None".to_owned(),
        }
    );
    (m, entry)
}

/// The parts the programs are written in: one test binary each, so that the compiler's
/// single-threaded front end works on them in parallel.
pub const PARTS: usize = 2;

/// The indices of the programs in part `part` (0-based) of `count`: contiguous, in order.
pub fn part_range(part: usize, count: usize) -> std::ops::Range<usize> {
    part * count / PARTS..(part + 1) * count / PARTS
}

/// The whole generated file for part `part` of programs `0..count`.
pub fn emit_part(part: usize, count: usize) -> String {
    let mut modules = String::new();
    let mut table = String::new();
    let range = part_range(part, count);
    for index in range.clone() {
        let (p, points) = program(index);
        let (m, e) = emit(index, &p, &points);
        modules.push_str(&m);
        table.push_str(&e);
    }
    format!(
        "// Generated by tests/build.rs from ad_tests::r#gen: programs {range:?} of {count}. Do \
         not edit.\n\
         {modules}\n\
         /// Every generated program of this part.\n\
         pub static PROGRAMS: &[Compiled] = &[\n{table}];\n"
    )
}

// =============================================================================================
// Nested containers (issue 16): active points `pc: &[[f64; 3]]`, a constant table `tb`
// =============================================================================================

/// Which nested container an [`Expr::Row`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NestedName {
    /// `pc: &[[f64; 3]]`, active.
    Points,
    /// `tb`, constant.
    Table,
}

impl NestedName {
    fn ident(self) -> &'static str {
        match self {
            NestedName::Points => "pc",
            NestedName::Table => "tb",
        }
    }
}

/// The nested containers of a program, drawn apart from the rest (its own random stream), so
/// that the programs without them are the ones the generator gave before.
#[derive(Clone, Debug, Default)]
pub struct Nested {
    /// The number of active points `pc: &[[f64; 3]]`, if the program has them.
    pub points: Option<usize>,
    /// The rows of the constant table `tb` (empty: none).
    pub table: Vec<Vec<f64>>,
    /// Whether `tb` is `&[[f64; 3]]` (else `&[Vec<f64>]`, with rows of different lengths).
    pub table_fixed: bool,
}

impl Nested {
    fn draw(seed: u64, features: Features) -> Nested {
        let mut rng = Rng(seed ^ 0x4e57_ed00_0000_0016);
        if !features.nested {
            return Nested::default();
        }
        let points = rng.chance(0.3).then(|| 1 + rng.below(3));
        let mut table = Vec::new();
        let mut table_fixed = false;
        if rng.chance(0.3) {
            table_fixed = rng.chance(0.5);
            let rows = 1 + rng.below(3);
            for _ in 0..rows {
                let len = if table_fixed { 3 } else { 2 + rng.below(3) };
                table.push((0..len).map(|_| rng.range(-1.5, 1.5)).collect());
            }
        }
        Nested {
            points,
            table,
            table_fixed,
        }
    }

    /// The parameters it adds (after the others: the flat point has `pc` after `w`).
    fn params(&self) -> Vec<Param> {
        let mut out = Vec::new();
        if self.points.is_some() {
            out.push(Param::Points);
        }
        if !self.table.is_empty() {
            out.push(Param::Table);
        }
        out
    }

    /// `#[NAME(ARGS)]`, with `wrt(..)` listing every parameter but the table when the program
    /// has one: a nested container of floats is active unless left out.
    fn attr(&self, p: &Program, name: &str, args: &str) -> String {
        let mut args: Vec<String> = (!args.is_empty())
            .then(|| args.to_owned())
            .into_iter()
            .collect();
        // A method lists `self` (issue 17).
        if !self.table.is_empty() || p.structs.form.is_some_and(SForm::method) {
            let active: Vec<String> = p
                .params
                .iter()
                .filter_map(|q| match q {
                    Param::Scalar(k) => Some(format!("x{k}")),
                    Param::Slice => Some("w".into()),
                    Param::Points => Some("pc".into()),
                    Param::Struct => Some(p.structs.recv.clone()),
                    _ => None,
                })
                .collect();
            args.push(format!("wrt({})", active.join(", ")));
        }
        if args.is_empty() {
            format!("#[{name}]")
        } else {
            format!("#[{name}({})]", args.join(", "))
        }
    }

    fn table_type(&self) -> &'static str {
        if self.table_fixed {
            "tb: &[[f64; 3]]"
        } else {
            "tb: &[Vec<f64>]"
        }
    }

    /// Statements before a call of mode `mode`: the points (and their tangent or shadow) as
    /// rows, from the flat point.
    fn before(&self, p: &Program, mode: &str) -> String {
        let Some(m) = self.points else {
            return String::new();
        };
        let a = p.scalars + p.slice_len.unwrap_or(0);
        let b = a + 3 * m;
        let rows = |v: &str| {
            format!(
                "{v}[{a}..{b}].chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect::<Vec<[f64; 3]>>()"
            )
        };
        let mut out = format!("let pc_p = {}; ", rows("p"));
        match mode {
            "jvp" => out.push_str(&format!("let pc_d = {}; ", rows("d"))),
            "vjp" | "grad" => out.push_str(&format!("let mut pc_g = {}; ", rows("g"))),
            _ => {}
        }
        out
    }

    /// Statements after a reverse call: the shadow of the points back into the flat gradient.
    fn after(&self, p: &Program) -> String {
        if self.points.is_none() {
            return String::new();
        }
        let a = p.scalars + p.slice_len.unwrap_or(0);
        format!(
            "for (k, r) in pc_g.iter().enumerate() {{ g[{a} + 3 * k..{a} + 3 * k + 3].copy_from_slice(r); }} "
        )
    }

    /// The argument(s) for `param` in a call of mode `mode`.
    fn arg(&self, param: Param, mode: &str) -> String {
        match (param, mode) {
            (Param::Points, "eval") => "&pc_p".into(),
            (Param::Points, "jvp") => "&pc_p, &pc_d".into(),
            (Param::Points, _) => "&pc_p, &mut pc_g".into(),
            _ => {
                let rows: Vec<String> = self
                    .table
                    .iter()
                    .map(|r| {
                        let vals: Vec<String> = r.iter().map(|v| lit(*v)).collect();
                        if self.table_fixed {
                            format!("[{}]", vals.join(", "))
                        } else {
                            format!("vec![{}]", vals.join(", "))
                        }
                    })
                    .collect();
                format!("&[{}]", rows.join(", "))
            }
        }
    }
}

impl Gen {
    /// Sometimes, a read of a nested container: `pc[i][j]` or `tb[i][j]`, its row a literal or
    /// an integer variable modulo the row count, its column below every row's length.
    fn nested_leaf(&mut self) -> Option<(Expr, f64)> {
        let mut names = Vec::new();
        if let Some(m) = self.nested.points {
            names.push((NestedName::Points, m, 3, RANGE));
        }
        if !self.nested.table.is_empty() {
            let cols = self.nested.table.iter().map(Vec::len).min().unwrap_or(0);
            names.push((NestedName::Table, self.nested.table.len(), cols, 1.5));
        }
        if names.is_empty() || !self.rng.chance(0.15) {
            return None;
        }
        let (name, rows, cols, bound) = *self.rng.pick(&names);
        let ints = self.ints();
        let row = if ints.is_empty() || self.rng.chance(0.5) {
            IExpr::Lit(self.rng.below(rows))
        } else {
            let (var, _) = self.rng.pick(&ints).clone();
            IExpr::Rem(Box::new(IExpr::Var(var)), Box::new(IExpr::Lit(rows)))
        };
        Some((Expr::Row(name, row, self.rng.below(cols)), bound))
    }
}

// =============================================================================================
// Structs (issue 17): a `#[derive(Differentiable)]` struct as a parameter, struct results
// =============================================================================================

/// The share of programs with a struct parameter (drawn from a stream of its own).
pub const STRUCT_SHARE: f64 = 0.3;

/// How a program takes its struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SForm {
    /// `p: &S`.
    Ref,
    /// `s: S` (a `Copy` struct).
    Value,
    /// `s: &mut S`, written in place: its floats at the end are outputs too.
    Mut,
    /// A method on `&self`, `#[derive_grad(wrt(self, ..))]`.
    SelfRef,
    /// A method on `self` (a `Copy` struct).
    SelfValue,
    /// A method on `&mut self`.
    SelfMut,
}

impl SForm {
    /// A method of the struct.
    pub fn method(self) -> bool {
        matches!(self, SForm::SelfRef | SForm::SelfValue | SForm::SelfMut)
    }

    /// Written in place (`&mut`).
    pub fn mutable(self) -> bool {
        matches!(self, SForm::Mut | SForm::SelfMut)
    }

    /// Passed by value (its adjoint comes back among the returned ones).
    pub fn by_value(self) -> bool {
        matches!(self, SForm::Value | SForm::SelfValue)
    }
}

/// The type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FTy {
    /// `f64`.
    F,
    /// `[f64; N]`.
    Arr(usize),
    /// `Vec<f64>` of this length.
    Vec(usize),
    /// The nested struct (`{Family}In`).
    Inner,
    /// `usize`, a constant of this value.
    Const(usize),
}

/// A named field.
#[derive(Clone, Debug)]
pub struct SField {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: FTy,
}

/// The structs of a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum STy {
    /// The parameter's struct, `{Family}` (`P0042`).
    Main,
    /// The nested struct, `{Family}In`.
    In,
    /// A struct result other than the parameter's, `{Family}Out`.
    Out,
}

/// The struct a program takes, and the struct it returns (issue 17), drawn apart from the rest
/// (a stream of its own), so that the programs without them are the ones the generator gave
/// before. The types are named after the function: `p0042` takes a `P0042` (fields floats,
/// `[f64; N]`, a `Vec<f64>`, a nested `P0042In`, a constant `usize`) and may return one
/// (`-> P0042` or `-> Self`, when it has neither `Vec` nor constant) or a `P0042Out`.
#[derive(Clone, Debug, Default)]
pub struct Structs {
    /// How it is taken; `None`: the program has no struct.
    pub form: Option<SForm>,
    /// The parameter's name (`self` for a method).
    pub recv: String,
    /// The fields of the parameter's struct, in declaration order.
    pub fields: Vec<SField>,
    /// The fields of the nested struct (empty without one).
    pub inner: Vec<SField>,
    /// The fields of `{Family}Out`, if the result is one.
    pub out: Vec<SField>,
    /// The type of the struct result, if the program returns one.
    pub result: Option<STy>,
    /// A `&mut` struct with no other result (`-> ()`).
    pub unit: bool,
}

/// A field of the struct as the interpreter sees it: its dotted path, its type (never
/// [`FTy::Inner`]: nested fields are leaves of their own) and where its floats start.
#[derive(Clone, Debug)]
pub struct SLeaf {
    /// `a`, `w`, `inner.u`.
    pub path: String,
    /// Its type.
    pub ty: FTy,
    /// Where its floats start in the flat struct.
    pub offset: usize,
}

impl SLeaf {
    /// The length of an array or `Vec`; 1 for a float, the value of a constant.
    pub fn extent(&self) -> usize {
        match self.ty {
            FTy::Arr(n) | FTy::Vec(n) | FTy::Const(n) => n,
            FTy::F | FTy::Inner => 1,
        }
    }

    /// How many floats it holds.
    pub fn floats(&self) -> usize {
        match self.ty {
            FTy::Arr(n) | FTy::Vec(n) => n,
            FTy::F => 1,
            FTy::Inner | FTy::Const(_) => 0,
        }
    }

    /// An array or a `Vec`.
    fn seq(&self) -> bool {
        matches!(self.ty, FTy::Arr(_) | FTy::Vec(_))
    }
}

/// Distinct names from `pool`.
fn distinct(r: &mut Rng, pool: &[&str], taken: &mut Vec<String>) -> String {
    loop {
        let n = *r.pick(pool);
        if !taken.iter().any(|t| t == n) {
            taken.push(n.to_owned());
            return n.to_owned();
        }
    }
}

fn shuffle<T>(r: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = r.below(i + 1);
        v.swap(i, j);
    }
}

impl Structs {
    /// The struct of the program of `seed`, and its generator (`None` without a struct).
    fn draw(seed: u64, features: Features) -> (Structs, Option<Rng>) {
        let mut r = Rng(seed ^ 0x57c7_5e1f_0000_0017);
        if !features.structs || !r.chance(STRUCT_SHARE) {
            return (Structs::default(), None);
        }
        let form = match r.below(20) {
            0..=5 => SForm::Ref,
            6..=8 => SForm::Value,
            9..=12 => SForm::Mut,
            13..=15 => SForm::SelfRef,
            16..=17 => SForm::SelfValue,
            _ => SForm::SelfMut,
        };
        let result = if !form.mutable() && r.chance(0.45) {
            if form.method() || r.chance(0.5) {
                Some(STy::Main)
            } else {
                Some(STy::Out)
            }
        } else {
            None
        };
        // A struct result has no `Vec` and no constant; a struct by value is `Copy`.
        let plain = result == Some(STy::Main);
        let allow_vec = !form.by_value() && !plain;
        let mut inner = Vec::new();
        if r.chance(0.5) {
            let mut taken = Vec::new();
            for _ in 0..1 + r.below(2) {
                let name = distinct(&mut r, &["c", "d", "h"], &mut taken);
                inner.push(SField { name, ty: FTy::F });
            }
            if r.chance(0.6) {
                let name = distinct(&mut r, &["u", "z"], &mut taken);
                inner.push(SField {
                    name,
                    ty: FTy::Arr(2 + r.below(2)),
                });
            }
            shuffle(&mut r, &mut inner);
        }
        let mut taken = Vec::new();
        let mut fields = Vec::new();
        for _ in 0..1 + r.below(2) {
            let name = distinct(&mut r, &["a", "b", "x", "y", "rate"], &mut taken);
            fields.push(SField { name, ty: FTy::F });
        }
        for _ in 0..r.below(3) {
            let name = distinct(&mut r, &["w", "q", "pos"], &mut taken);
            fields.push(SField {
                name,
                ty: FTy::Arr(2 + r.below(3)),
            });
        }
        if allow_vec && r.chance(0.5) {
            let name = distinct(&mut r, &["v", "xs"], &mut taken);
            fields.push(SField {
                name,
                ty: FTy::Vec(2 + r.below(2)),
            });
        }
        if !inner.is_empty() {
            let name = distinct(&mut r, &["inner", "link"], &mut taken);
            fields.push(SField {
                name,
                ty: FTy::Inner,
            });
        }
        if !plain && r.chance(0.5) {
            let name = distinct(&mut r, &["k", "n"], &mut taken);
            fields.push(SField {
                name,
                ty: FTy::Const(1 + r.below(3)),
            });
        }
        shuffle(&mut r, &mut fields);
        let mut out = Vec::new();
        if result == Some(STy::Out) {
            let mut taken = Vec::new();
            for _ in 0..1 + r.below(2) {
                let name = distinct(&mut r, &["o", "e", "a"], &mut taken);
                out.push(SField { name, ty: FTy::F });
            }
            if r.chance(0.6) {
                let name = distinct(&mut r, &["r", "w"], &mut taken);
                out.push(SField {
                    name,
                    ty: FTy::Arr(2 + r.below(2)),
                });
            }
            if !inner.is_empty() && r.chance(0.6) {
                let name = distinct(&mut r, &["inner", "sub"], &mut taken);
                out.push(SField {
                    name,
                    ty: FTy::Inner,
                });
            }
            shuffle(&mut r, &mut out);
        }
        let recv = if form.method() {
            "self".to_owned()
        } else {
            (*r.pick(&["p", "s", "st", "prm"])).to_owned()
        };
        let unit = form.mutable() && r.chance(0.3);
        let st = Structs {
            form: Some(form),
            recv,
            fields,
            inner,
            out,
            result,
            unit,
        };
        (st, Some(r))
    }

    /// The name of a struct of the program named `family`.
    pub fn type_name(family: &str, ty: STy) -> String {
        let mut c = family.chars();
        let cap: String = c
            .next()
            .map(|f| f.to_ascii_uppercase())
            .into_iter()
            .chain(c)
            .collect();
        match ty {
            STy::Main => cap,
            STy::In => format!("{cap}In"),
            STy::Out => format!("{cap}Out"),
        }
    }

    fn decl(&self, ty: STy) -> &[SField] {
        match ty {
            STy::Main => &self.fields,
            STy::In => &self.inner,
            STy::Out => &self.out,
        }
    }

    /// The leaves of the parameter's struct, in the order of `to_flat`.
    pub fn leaves(&self) -> Vec<SLeaf> {
        let mut out = Vec::new();
        let mut offset = 0;
        for f in &self.fields {
            let subs: Vec<(String, FTy)> = if f.ty == FTy::Inner {
                self.inner
                    .iter()
                    .map(|g| (format!("{}.{}", f.name, g.name), g.ty))
                    .collect()
            } else {
                vec![(f.name.clone(), f.ty)]
            };
            for (path, ty) in subs {
                let leaf = SLeaf { path, ty, offset };
                offset += leaf.floats();
                out.push(leaf);
            }
        }
        out
    }

    fn len_of(&self, ty: STy) -> usize {
        self.decl(ty)
            .iter()
            .map(|f| match f.ty {
                FTy::F => 1,
                FTy::Arr(n) | FTy::Vec(n) => n,
                FTy::Inner => self.len_of(STy::In),
                FTy::Const(_) => 0,
            })
            .sum()
    }

    /// How many floats the parameter's struct holds (0 without one).
    pub fn flat_len(&self) -> usize {
        if self.form.is_none() {
            return 0;
        }
        self.len_of(STy::Main)
    }

    /// How many floats the struct result holds.
    pub fn result_len(&self) -> usize {
        self.result.map_or(0, |t| self.len_of(t))
    }

    /// The definitions of the structs, named after `family`.
    pub fn defs(&self, family: &str) -> String {
        if self.form.is_none() {
            return String::new();
        }
        let mut out = String::new();
        let mut one = |ty: STy| {
            let fields = self.decl(ty);
            let copy = !fields.iter().any(|f| matches!(f.ty, FTy::Vec(_)));
            let derives = if copy {
                "Differentiable, Clone, Copy, Debug"
            } else {
                "Differentiable, Clone, Debug"
            };
            let _ = writeln!(
                out,
                "#[derive({derives})]\npub struct {} {{",
                Structs::type_name(family, ty)
            );
            for f in fields {
                let t = match f.ty {
                    FTy::F => "f64".to_owned(),
                    FTy::Arr(n) => format!("[f64; {n}]"),
                    FTy::Vec(_) => "Vec<f64>".to_owned(),
                    FTy::Inner => Structs::type_name(family, STy::In),
                    FTy::Const(_) => "usize".to_owned(),
                };
                let _ = writeln!(out, "    pub {}: {t},", f.name);
            }
            out.push_str("}\n");
        };
        if !self.inner.is_empty() {
            one(STy::In);
        }
        one(STy::Main);
        if self.result == Some(STy::Out) {
            one(STy::Out);
        }
        out
    }

    /// The parameter in the signature.
    fn param(&self, family: &str) -> String {
        let t = Structs::type_name(family, STy::Main);
        let r = &self.recv;
        match self.form.expect("a struct") {
            SForm::Ref => format!("{r}: &{t}"),
            SForm::Value => format!("{r}: {t}"),
            SForm::Mut => format!("{r}: &mut {t}"),
            SForm::SelfRef => "&self".into(),
            SForm::SelfValue => "self".into(),
            SForm::SelfMut => "&mut self".into(),
        }
    }

    /// The result type in the signature.
    fn result_type(&self, family: &str) -> String {
        match self.result.expect("a struct result") {
            STy::Main if self.form.is_some_and(SForm::method) => "Self".into(),
            ty => Structs::type_name(family, ty),
        }
    }

    /// `..base` of the parameter itself (`*p`, `s`, `*self`, `self`).
    fn base_text(&self) -> String {
        match self.form.expect("a struct") {
            SForm::Ref | SForm::Mut | SForm::SelfRef | SForm::SelfMut => format!("*{}", self.recv),
            SForm::Value | SForm::SelfValue => self.recv.clone(),
        }
    }

    /// Behind a reference: a field taken whole by `..base` is then a place behind `&`.
    fn borrowed(&self) -> bool {
        self.form.is_some_and(|f| !f.by_value())
    }

    /// The source of `fn mk(f: &[f64]) -> T` building the struct `ty` from its floats
    /// (constants as drawn), in the order of `to_flat`, under the name `name`.
    fn builder(&self, family: &str, ty: STy, name: &str) -> String {
        let mut k = 0;
        let body = self.literal_of(family, ty, &mut k);
        format!(
            "fn {name}(f: &[f64]) -> {} {{ {body} }}\n",
            Structs::type_name(family, ty)
        )
    }

    fn literal_of(&self, family: &str, ty: STy, k: &mut usize) -> String {
        let mut parts = Vec::new();
        for f in self.decl(ty) {
            let v = match f.ty {
                FTy::F => {
                    *k += 1;
                    format!("f[{}]", *k - 1)
                }
                FTy::Arr(n) | FTy::Vec(n) => {
                    let xs: Vec<String> = (*k..*k + n).map(|i| format!("f[{i}]")).collect();
                    *k += n;
                    if matches!(f.ty, FTy::Vec(_)) {
                        format!("vec![{}]", xs.join(", "))
                    } else {
                        format!("[{}]", xs.join(", "))
                    }
                }
                FTy::Inner => self.literal_of(family, STy::In, k),
                FTy::Const(v) => format!("{v}"),
            };
            parts.push(format!("{}: {v}", f.name));
        }
        format!(
            "{} {{ {} }}",
            Structs::type_name(family, ty),
            parts.join(", ")
        )
    }
}

/// A value given to a field of a struct literal.
#[derive(Clone, Debug)]
pub enum SVal {
    /// A float.
    F(Expr),
    /// An array literal.
    Arr(Vec<Expr>),
    /// A literal of the nested struct.
    Inner(SLit),
}

/// A struct literal: `T { f: e, .., ..base }`.
#[derive(Clone, Debug)]
pub struct SLit {
    /// Its type.
    pub ty: STy,
    /// Written `Self { .. }` (in a method).
    pub self_kw: bool,
    /// The fields given, in the order written.
    pub fields: Vec<(String, SVal)>,
    /// `..base`: its text (`*p`, `s`, `p.inner`) and the path of the struct it names in the
    /// parameter (`""` for the parameter itself, `"inner"`).
    pub base: Option<(String, String)>,
}

/// The struct result at the end of the body.
#[derive(Clone, Debug)]
pub enum STail {
    /// A literal.
    Lit(SLit),
    /// `if c { literal } else { literal }`.
    If(Box<(Cond, SLit, SLit)>),
}

fn show_lit(l: &SLit, family: &str, pad: &str, out: &mut String) {
    let name = if l.self_kw {
        "Self".to_owned()
    } else {
        Structs::type_name(family, l.ty)
    };
    let _ = writeln!(out, "{name} {{");
    let inner = format!("{pad}    ");
    for (n, v) in &l.fields {
        let _ = write!(out, "{inner}{n}: ");
        match v {
            SVal::F(e) => {
                let _ = writeln!(out, "{},", show(e));
            }
            SVal::Arr(es) => {
                let xs: Vec<String> = es.iter().map(show).collect();
                let _ = writeln!(out, "[{}],", xs.join(", "));
            }
            SVal::Inner(sub) => {
                show_lit(sub, family, &inner, out);
                out.push_str(",\n");
            }
        }
    }
    if let Some((text, _)) = &l.base {
        let _ = writeln!(out, "{inner}..{text}");
    }
    let _ = write!(out, "{pad}}}");
}

fn show_tail(t: &STail, family: &str, out: &mut String) {
    match t {
        STail::Lit(l) => {
            out.push_str("    ");
            show_lit(l, family, "    ", out);
            out.push('\n');
        }
        STail::If(arms) => {
            let (c, a, b) = &**arms;
            let _ = writeln!(out, "    if {} {{", show_c(c));
            out.push_str("        ");
            show_lit(a, family, "        ", out);
            out.push_str("\n    } else {\n        ");
            show_lit(b, family, "        ", out);
            out.push_str("\n    }\n");
        }
    }
}

impl<'a> Machine<'a> {
    /// The struct result, flat (fields in declaration order; each literal's own fields
    /// evaluated in the order written).
    fn tail(&mut self, t: &'a STail, st: &Structs) -> Vec<f64> {
        match t {
            STail::Lit(l) => self.lit(l, st),
            STail::If(arms) => {
                let (c, a, b) = &**arms;
                if self.cond(c) {
                    self.lit(a, st)
                } else {
                    self.lit(b, st)
                }
            }
        }
    }

    fn lit(&mut self, l: &'a SLit, st: &Structs) -> Vec<f64> {
        let mut given: Vec<(&str, Vec<f64>)> = Vec::new();
        for (n, v) in &l.fields {
            let xs = match v {
                SVal::F(e) => vec![self.expr(e)],
                SVal::Arr(es) => es.iter().map(|e| self.expr(e)).collect(),
                SVal::Inner(sub) => self.lit(sub, st),
            };
            given.push((n.as_str(), xs));
        }
        let mut out = Vec::new();
        for f in st.decl(l.ty) {
            if let Some((_, xs)) = given.iter().find(|(n, _)| *n == f.name) {
                out.extend_from_slice(xs);
            } else if !matches!(f.ty, FTy::Const(_)) {
                let (_, prefix) = l.base.as_ref().expect("generator bug: a field is missing");
                let path = if prefix.is_empty() {
                    f.name.clone()
                } else {
                    format!("{prefix}.{}", f.name)
                };
                out.extend(self.sub_flat(&path));
            }
        }
        out
    }
}

impl Gen {
    /// The generator of the struct (on whenever this is called).
    fn sr(&mut self) -> &mut Rng {
        self.srng.as_mut().expect("structs are on")
    }

    fn sleaf(&self, path: &str) -> &SLeaf {
        self.sleaves
            .iter()
            .find(|l| l.path == path)
            .unwrap_or_else(|| panic!("generator bug: no field `{path}`"))
    }

    /// An index into the field `leaf` (an array or `Vec`): a counter that stays below its
    /// length (`p.w[i]` in a loop over `0..p.w.len()`), a counter modulo the length
    /// (`p.w[(i % 3)]`, `p.w[(i % p.w.len())]`), or a literal.
    /// A `Vec` element written is not indexed by its own length (`s.v[(i % s.v.len())] = e;`
    /// does not compile: `IndexMut` borrows `s.v` before the index is evaluated).
    fn s_index(&mut self, leaf: &SLeaf, write: bool) -> IExpr {
        let len = leaf.extent();
        let ints = self.ints();
        let direct: Vec<String> = ints
            .iter()
            .filter(|(_, m)| *m < len)
            .map(|(n, _)| n.clone())
            .collect();
        let roll = self.sr().below(10);
        if roll < 5 && !direct.is_empty() {
            return IExpr::Var(self.sr().pick(&direct).clone());
        }
        if roll < 8 && !ints.is_empty() {
            let (name, _) = self.sr().pick(&ints).clone();
            let own = !(write && matches!(leaf.ty, FTy::Vec(_)));
            let modulus = if self.sr().chance(0.5) || !own {
                IExpr::Lit(len)
            } else {
                IExpr::SLen(self.st.recv.clone(), leaf.path.clone())
            };
            return IExpr::Rem(Box::new(IExpr::Var(name)), Box::new(modulus));
        }
        IExpr::Lit(self.sr().below(len))
    }

    /// A read of the leaf `i` of the struct: a float, an element, or a constant (`(p.k as f64)`).
    fn field_read(&mut self, i: usize) -> (Expr, f64) {
        let leaf = self.sleaves[i].clone();
        let recv = self.st.recv.clone();
        match leaf.ty {
            FTy::Const(v) => (Expr::Cast(IExpr::SConst(recv, leaf.path)), v as f64),
            _ => {
                let index = leaf.seq().then(|| self.s_index(&leaf, false));
                let f = FieldRef {
                    recv,
                    path: leaf.path,
                    index,
                };
                (Expr::Field(f), self.sbounds[i])
            }
        }
    }

    /// Sometimes, a read of a field of the struct.
    fn struct_leaf(&mut self) -> Option<(Expr, f64)> {
        let r = self.srng.as_mut()?;
        if !r.chance(0.3) {
            return None;
        }
        let i = r.below(self.sleaves.len());
        Some(self.field_read(i))
    }

    /// A read of a float field of the struct (not a constant).
    fn float_field(&mut self) -> (Expr, f64) {
        let floats: Vec<usize> = (0..self.sleaves.len())
            .filter(|&i| self.sleaves[i].floats() > 0)
            .collect();
        let i = *self.sr().pick(&floats);
        self.field_read(i)
    }

    /// A statement about the struct: a loop over one of its arrays or `Vec`s, a branch on a
    /// field, a `let` reading fields, or (`&mut`) a write of a field.
    fn struct_stmt(&mut self) -> Vec<Stmt> {
        let nested = self.depth < 3 && self.budget > 2;
        let writes = self.st.form.is_some_and(SForm::mutable);
        let seqs: Vec<usize> = (0..self.sleaves.len())
            .filter(|&i| self.sleaves[i].seq() || matches!(self.sleaves[i].ty, FTy::Const(_)))
            .collect();
        match self.sr().below(if writes { 7 } else { 5 }) {
            0..=1 if nested && self.loops < 2 && !seqs.is_empty() => {
                let i = *self.sr().pick(&seqs);
                self.for_stmt(Some(i))
            }
            2 if nested => {
                let (f, _) = self.float_field();
                let op = *self.sr().pick(&[Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge]);
                let rhs = if self.sr().chance(0.7) {
                    Expr::Lit(*self.sr().pick(&[0.0, 0.3, -0.3, 0.5, -0.6]))
                } else {
                    self.expr(1).0
                };
                let c = Cond::F(op, f, rhs);
                let then = self.block_upto(2);
                let els = self.sr().chance(0.5).then(|| self.block_upto(2));
                vec![Stmt::If(c, then, els)]
            }
            3..=5 if writes => self.field_write(),
            _ => {
                let (f, fb) = self.float_field();
                let (e, be) = self.expr(2);
                let op = *self.sr().pick(&[Op::Add, Op::Sub, Op::Mul]);
                let b = if op == Op::Mul { fb * be } else { fb + be };
                let (value, bound) = if b > CAP {
                    self.squash(Self::bin(op, f, e))
                } else {
                    (Self::bin(op, f, e), b)
                };
                let name = self.fresh_name();
                let mutable = self.sr().chance(0.5);
                self.bind(name.as_str(), Kind::Float { mutable, bound });
                vec![Stmt::Let {
                    name,
                    mutable,
                    annotate: false,
                    value,
                }]
            }
        }
    }

    /// In the body of a loop over the field `leaf` with counter `var`: the element at `var`
    /// written (`&mut`: `s.w[i] = s.w[i] * 0.5 + e;`) or added into the loop's target
    /// (`acc += p.w[i] * e;`, before its update).
    fn struct_elem_use(
        &mut self,
        li: usize,
        var: &str,
        target: Option<&str>,
        body: &mut Vec<Stmt>,
    ) {
        let leaf = self.sleaves[li].clone();
        if !leaf.seq() {
            return;
        }
        let f = FieldRef {
            recv: self.st.recv.clone(),
            path: leaf.path.clone(),
            index: Some(IExpr::Var(var.to_owned())),
        };
        let (e, _) = self.bounded(2, 1.0);
        if self.st.form.is_some_and(SForm::mutable) && self.sr().chance(0.6) {
            let value = Self::bin(
                Op::Add,
                Self::bin(Op::Mul, Expr::Field(f.clone()), Expr::Lit(0.5)),
                e,
            );
            self.sbounds[li] = 0.5 * self.sbounds[li] + 1.0;
            body.insert(0, Stmt::FieldSet(f, None, value));
            return;
        }
        let Some(t) = target else {
            return;
        };
        let inc = Self::bin(Op::Mul, Expr::Field(f), e);
        let inc = if self.sbounds[li] > 1.0 {
            self.squash(inc).0
        } else {
            inc
        };
        let at = body.len().saturating_sub(1);
        body.insert(at, Stmt::Compound(t.to_owned(), AssignOp::Add, inc));
    }

    /// A write of a float of the `&mut` struct: `s.a = e;`, `s.w[i] += e;`, `s.inner.c *= e;`,
    /// kept bounded as `assign` does.
    fn field_write(&mut self) -> Vec<Stmt> {
        let floats: Vec<usize> = (0..self.sleaves.len())
            .filter(|&i| self.sleaves[i].floats() > 0)
            .collect();
        let li = *self.sr().pick(&floats);
        let leaf = self.sleaves[li].clone();
        let index = leaf.seq().then(|| self.s_index(&leaf, true));
        let f = FieldRef {
            recv: self.st.recv.clone(),
            path: leaf.path.clone(),
            index,
        };
        let old = self.sbounds[li];
        let limit = if self.loops > 0 { 1.0 } else { CAP };
        let (op, e, b) = match self.sr().below(5) {
            0 => {
                let (e, b) = self.bounded(3, CAP);
                (None, e, b)
            }
            1 => {
                // s.a = s.a * c + e: a recurrence through the field.
                let c = *self.sr().pick(&[0.5, 0.9, -0.8]);
                let (e, be) = self.bounded(2, limit);
                let v = Self::bin(
                    Op::Add,
                    Self::bin(Op::Mul, Expr::Field(f.clone()), Expr::Lit(c)),
                    e,
                );
                (None, v, old + be)
            }
            2 => {
                let (e, be) = self.bounded(2, limit);
                (Some(AssignOp::Add), e, old + be)
            }
            3 => {
                let (e, be) = self.bounded(2, limit);
                (Some(AssignOp::Sub), e, old + be)
            }
            _ => {
                let (e, be) = self.bounded(2, 1.2);
                (Some(AssignOp::Mul), e, old * be)
            }
        };
        // An element written: the others keep their bound.
        let b = if leaf.seq() { b.max(old) } else { b };
        let mut out = vec![Stmt::FieldSet(f.clone(), op, e)];
        if b > 3.0 * CAP {
            let (sq, bs) = self.squash(Expr::Field(f.clone()));
            out.push(Stmt::FieldSet(
                f,
                None,
                Self::bin(Op::Mul, sq, Expr::Lit(2.0)),
            ));
            self.sbounds[li] = if leaf.seq() {
                old.max(2.0 * bs)
            } else {
                2.0 * bs
            };
        } else {
            self.sbounds[li] = b;
        }
        out
    }

    /// At the end of the body of a `&mut` struct: one or two fields updated from the floats
    /// assigned last (`s.x += y * t + total;`), so that they reach the outputs.
    fn final_writes(&mut self) -> Vec<Stmt> {
        let floats: Vec<usize> = (0..self.sleaves.len())
            .filter(|&i| self.sleaves[i].floats() > 0)
            .collect();
        let mut out = Vec::new();
        for _ in 0..1 + self.sr().below(2) {
            let li = *self.sr().pick(&floats);
            let leaf = self.sleaves[li].clone();
            let index = leaf
                .seq()
                .then(|| IExpr::Lit(self.sr().below(leaf.extent())));
            let f = FieldRef {
                recv: self.st.recv.clone(),
                path: leaf.path.clone(),
                index,
            };
            let (e, b) = self.one_output();
            let op = if self.sr().chance(0.5) {
                Some(AssignOp::Add)
            } else {
                None
            };
            self.sbounds[li] = self.sbounds[li].max(b) + b;
            out.push(Stmt::FieldSet(f, op, e));
        }
        out
    }

    /// A float of a struct result: like an output, or another expression.
    fn result_float(&mut self) -> Expr {
        if self.sr().chance(0.5) {
            self.one_output().0
        } else {
            self.bounded(2, CAP).0
        }
    }

    /// A literal of the struct `ty`, with the fields given and the `..base` of `shape` when
    /// given (the other arm of an `if`), or drawn.
    fn struct_lit(&mut self, ty: STy, shape: Option<&SLit>) -> SLit {
        let decl: Vec<SField> = self.st.decl(ty).to_vec();
        let inner_field = self
            .st
            .fields
            .iter()
            .find(|f| f.ty == FTy::Inner)
            .map(|f| f.name.clone());
        let self_kw = ty == STy::Main
            && self.st.form.is_some_and(SForm::method)
            && match shape {
                Some(s) => s.self_kw,
                None => self.sr().chance(0.5),
            };
        // MACRO BUG 11 and 13: a field holding an array, taken whole by `..base` from a borrowed
        // struct (no compile) or from a struct by value (a zero adjoint).
        let carry = if self.st.borrowed() {
            self.features.struct_carry
        } else {
            self.features.struct_value_carry
        };
        let inner_arrays = self.st.inner.iter().any(|f| matches!(f.ty, FTy::Arr(_)));
        let holds_array = |f: &SField| match f.ty {
            FTy::Arr(_) => true,
            FTy::Inner => inner_arrays,
            _ => false,
        };
        let (base, given): (Option<(String, String)>, Vec<String>) = match shape {
            Some(s) => (
                s.base.clone(),
                s.fields.iter().map(|(n, _)| n.clone()).collect(),
            ),
            None => {
                let base = match ty {
                    STy::Main => Some((self.st.base_text(), String::new())),
                    STy::In => inner_field
                        .as_ref()
                        .map(|n| (format!("{}.{n}", self.st.recv), n.clone())),
                    STy::Out => None,
                };
                let base = base.filter(|_| self.sr().chance(0.6));
                let mut given: Vec<String> = Vec::new();
                for f in &decl {
                    let must = base.is_none() || !carry && holds_array(f);
                    if must || self.sr().chance(0.5) {
                        given.push(f.name.clone());
                    }
                }
                if given.is_empty() {
                    given.push(self.sr().pick(&decl).name.clone());
                }
                if self.sr().chance(0.3) {
                    shuffle(self.sr(), &mut given);
                }
                (base, given)
            }
        };
        let mut fields = Vec::new();
        for n in given {
            let f = decl.iter().find(|f| f.name == n).expect("a field").clone();
            let v = match f.ty {
                FTy::F => SVal::F(self.result_float()),
                FTy::Arr(k) => SVal::Arr((0..k).map(|_| self.result_float()).collect()),
                FTy::Inner => {
                    let sub = shape.and_then(|s| {
                        s.fields.iter().find_map(|(m, v)| match v {
                            SVal::Inner(l) if *m == n => Some(l.clone()),
                            _ => None,
                        })
                    });
                    SVal::Inner(self.struct_lit(STy::In, sub.as_ref()))
                }
                FTy::Vec(_) | FTy::Const(_) => unreachable!("not in a struct result"),
            };
            fields.push((n, v));
        }
        SLit {
            ty,
            self_kw,
            fields,
            base,
        }
    }

    /// The struct result at the end of the body: a literal, or one in each arm of an `if`
    /// (the same fields given in both, unless `struct_arm_mix`).
    fn struct_tail(&mut self, ty: STy) -> STail {
        if self.sr().chance(0.35) {
            let c = self.cond();
            let a = self.struct_lit(ty, None);
            let mix = self.features.struct_arm_mix && self.sr().chance(0.5);
            let b = if mix {
                self.struct_lit(ty, None)
            } else {
                self.struct_lit(ty, Some(&a))
            };
            STail::If(Box::new((c, a, b)))
        } else {
            STail::Lit(self.struct_lit(ty, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let a = generate(7).source("f");
        let b = generate(7).source("f");
        assert_eq!(a, b);
        assert_ne!(a, generate(8).source("f"));
    }

    #[test]
    fn chosen_points_are_good() {
        for index in 0..20 {
            let (p, points) = program(index);
            assert_eq!(points.len(), POINTS);
            for q in &points {
                assert!(p.good_point(q), "{}", p.source("f"));
            }
        }
    }
}
