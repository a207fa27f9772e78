//! Our derivatives against the field: for each function, in one run, the primal, a gradient
//! written by hand, our `_grad`, a full gradient from our `_tangent` (one pass per input), and
//! the crates a Rust user would pick instead:
//!
//! - `num-dual`: forward mode, dual numbers carrying the whole gradient (`num_dual::gradient`);
//! - `autodiff`: forward mode, one dual number per pass (`autodiff::grad`);
//! - `ad_trait`: forward mode (`ForwardAD`, one pass per input) and reverse mode (`ReverseAD`,
//!   a global computation graph), through its `FunctionEngine`;
//! - `reverse`: reverse mode on a tape (`Tape`, `Var`).
//!
//! Every gradient is checked against ours once before timing (so all compute the same thing).
//! The peers are optional dependencies: run with
//!
//! ```sh
//! cargo bench -p ad-tests --features peers --bench peers
//! cargo run -p ad-tests --release --example bench_report   # writes docs/benchmarks.{md,svg}
//! ```
//!
//! Besides criterion's results, the run writes `target/criterion/peers_manifest.json`: the
//! cases, the columns, and what a peer cannot express, which the report reads.

#![allow(clippy::too_many_arguments, clippy::needless_range_loop)]

use std::hint::black_box;
use std::time::Duration;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::models::*;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};

use ad_trait::differentiable_function::{DifferentiableFunctionTrait, ForwardAD, ReverseAD};
use ad_trait::forward_ad::adfn::adfn;
use ad_trait::function_engine::FunctionEngine;
use ad_trait::nalgebra::ComplexField as AdTraitComplexField;
use ad_trait::reverse_ad::adr::adr;
use nalgebra::{DVector, Dim, SVector};
use num_dual::{DualNum, DualVec};
use reverse::{Gradient, Tape, Var};

// ---------------------------------------------------------------------------------------------
// The functions, as we write them
// ---------------------------------------------------------------------------------------------

/// The seed's function.
#[derive_tangent]
#[derive_grad]
fn f(x: f64, y: f64) -> f64 {
    x * y + x.sin()
}

/// Steps of the recurrence.
const STEPS: usize = 1000;
/// Its step size.
const H: f64 = 0.01;

// ---------------------------------------------------------------------------------------------
// The gradients by hand (as in straight_line.rs, data.rs and control_flow.rs)
// ---------------------------------------------------------------------------------------------

fn f_grad_hand(x: f64, y: f64) -> (f64, (f64, f64)) {
    (x * y + x.sin(), (y + x.cos(), x))
}

// ---------------------------------------------------------------------------------------------
// The functions once more, generic over the peers' number types
// ---------------------------------------------------------------------------------------------

/// What the functions need of a number type, by reference, so that a type that is not `Copy`
/// (num-dual's dynamically sized duals) is not cloned where its own operators need no clone.
trait Num: Sized {
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    /// `c * self`.
    fn mul_c(&self, c: f64) -> Self;
    /// `c - self`.
    fn c_sub(&self, c: f64) -> Self;
    fn sin(&self) -> Self;
    fn tanh(&self) -> Self;
}

/// Implements [`Num`] for a `Copy` type with its own operators and methods.
macro_rules! copy_num {
    ($t:ty, $c:expr, $sin:path, $tanh:path) => {
        impl Num for $t {
            fn add(&self, o: &Self) -> Self {
                *self + *o
            }
            fn sub(&self, o: &Self) -> Self {
                *self - *o
            }
            fn mul(&self, o: &Self) -> Self {
                *self * *o
            }
            fn mul_c(&self, c: f64) -> Self {
                *self * $c(c)
            }
            fn c_sub(&self, c: f64) -> Self {
                -*self + $c(c)
            }
            fn sin(&self) -> Self {
                $sin(*self)
            }
            fn tanh(&self) -> Self {
                $tanh(*self)
            }
        }
    };
}

fn same(c: f64) -> f64 {
    c
}
copy_num!(f64, same, f64::sin, f64::tanh);
copy_num!(
    autodiff::F1,
    same,
    autodiff::Float::sin,
    autodiff::Float::tanh
);
copy_num!(
    adfn<1>,
    ad_trait::F64,
    AdTraitComplexField::sin,
    AdTraitComplexField::tanh
);
copy_num!(
    adr,
    ad_trait::F64,
    AdTraitComplexField::sin,
    AdTraitComplexField::tanh
);
fn var_sin<'a>(v: Var<'a>) -> Var<'a> {
    v.sin()
}
fn var_tanh<'a>(v: Var<'a>) -> Var<'a> {
    v.tanh()
}
copy_num!(Var<'_>, same, var_sin, var_tanh);

impl<D: Dim> Num for DualVec<f64, D>
where
    nalgebra::DefaultAllocator: nalgebra::allocator::Allocator<D>,
{
    fn add(&self, o: &Self) -> Self {
        self + o
    }
    fn sub(&self, o: &Self) -> Self {
        self - o
    }
    fn mul(&self, o: &Self) -> Self {
        self * o
    }
    fn mul_c(&self, c: f64) -> Self {
        self.clone() * c
    }
    fn c_sub(&self, c: f64) -> Self {
        -self + c
    }
    fn sin(&self) -> Self {
        DualNum::sin(self)
    }
    fn tanh(&self) -> Self {
        DualNum::tanh(self)
    }
}

/// `x*y + sin(x)`.
fn f_g<T: Num>(x: &T, y: &T) -> T {
    x.mul(y).add(&x.sin())
}

/// Extended Rosenbrock, in the order of operations of `models::rosenbrock` (`n >= 2`).
fn rosenbrock_g<T: Num>(x: &[T]) -> T {
    let term = |i: usize| {
        let t = x[i + 1].sub(&x[i].mul(&x[i]));
        let u = x[i].c_sub(1.0);
        t.mul_c(100.0).mul(&t).add(&u.mul(&u))
    };
    let mut s = term(0);
    for i in 1..x.len() - 1 {
        s = s.add(&term(i));
    }
    s
}

/// `models::mlp_loss` over `[params, x, target]` (all differentiated, as `mlp_loss_grad` does).
fn mlp_g<T: Num>(all: &[T]) -> T {
    let (params, rest) = all.split_at(PARAMS);
    let (x, target) = (&rest[..INPUTS], &rest[INPUTS]);
    let mut hidden = Vec::with_capacity(HIDDEN);
    for j in 0..HIDDEN {
        let mut a = params[B1 + j].add(&params[j * INPUTS].mul(&x[0]));
        for k in 1..INPUTS {
            a = a.add(&params[j * INPUTS + k].mul(&x[k]));
        }
        hidden.push(a.tanh());
    }
    let mut out = params[B2].add(&params[W2].mul(&hidden[0]));
    for j in 1..HIDDEN {
        out = out.add(&params[W2 + j].mul(&hidden[j]));
    }
    let e = out.sub(target);
    e.mul(&e)
}

/// Observations of the least-squares row.
const OBS: usize = 10_000;

/// The observations, made once.
fn observations() -> &'static (Vec<[f64; 3]>, Vec<f64>) {
    static DATA: std::sync::OnceLock<(Vec<[f64; 3]>, Vec<f64>)> = std::sync::OnceLock::new();
    DATA.get_or_init(|| lsq_observations(OBS))
}

/// `models::lsq_loss` over `w` (the observations are constants).
fn lsq_g<T: Num>(w: &[T]) -> T {
    let (xs, ys) = observations();
    let term = |x: &[f64; 3], y: f64| {
        let pred = w[0]
            .mul_c(x[0])
            .add(&w[1].mul_c(x[1]))
            .add(&w[2].mul_c(x[2]))
            .add(&w[3]);
        let r = pred.c_sub(y);
        r.mul(&r)
    };
    let mut s = term(&xs[0], ys[0]);
    for (x, y) in xs.iter().zip(ys).skip(1) {
        s = s.add(&term(x, *y));
    }
    s.mul_c(1.0 / xs.len() as f64)
}

/// The recurrence over `[x0, p]`, `STEPS` steps.
fn recurrence_g<T: Num>(v: &[T]) -> T {
    let (x0, p) = (&v[0], &v[1]);
    let mut x = x0.add(&x0.sin().mul_c(H).mul(p));
    for _ in 1..STEPS {
        x = x.add(&x.sin().mul_c(H).mul(p));
    }
    x
}

// ---------------------------------------------------------------------------------------------
// The peers' entry points
// ---------------------------------------------------------------------------------------------

/// One of the benchmark's functions, over a slice of inputs.
#[derive(Clone, Copy, PartialEq)]
enum Case {
    F,
    Rosenbrock(usize),
    Mlp,
    Recurrence,
    Lsq,
}

impl Case {
    fn eval<T: Num>(self, v: &[T]) -> T {
        match self {
            Case::F => f_g(&v[0], &v[1]),
            Case::Rosenbrock(_) => rosenbrock_g(v),
            Case::Mlp => mlp_g(v),
            Case::Recurrence => recurrence_g(v),
            Case::Lsq => lsq_g(v),
        }
    }
}

/// A case as ad_trait wants it: one struct, differentiable for each of its number types.
#[derive(Clone)]
struct AdTraitFn {
    case: Case,
    inputs: usize,
}

macro_rules! ad_trait_fn {
    ($($t:ty),*) => {$(
        impl DifferentiableFunctionTrait<$t> for AdTraitFn {
            const NAME: &'static str = "peers";
            fn call(&self, inputs: &[$t], _freeze: bool) -> Vec<$t> {
                vec![self.case.eval(inputs)]
            }
            fn num_inputs(&self) -> usize {
                self.inputs
            }
            fn num_outputs(&self) -> usize {
                1
            }
        }
    )*};
}
ad_trait_fn!(f64, adfn<1>, adr);

/// num-dual's gradient with statically sized duals (`N` inputs).
fn num_dual_static<const N: usize>(case: Case, x: &[f64]) -> (f64, Vec<f64>) {
    let x = SVector::<f64, N>::from_column_slice(x);
    let (v, g) = num_dual::gradient(|v: SVector<DualVec<f64, _>, N>| case.eval(v.as_slice()), &x);
    (v, g.as_slice().to_vec())
}

/// num-dual's gradient with dynamically sized duals.
fn num_dual_dynamic(case: Case, x: &[f64]) -> (f64, Vec<f64>) {
    let x = DVector::from_column_slice(x);
    let (v, g) = num_dual::gradient(|v: DVector<DualVec<f64, _>>| case.eval(v.as_slice()), &x);
    (v, g.as_slice().to_vec())
}

/// The `reverse` crate: record on a tape (cleared, not reallocated, between calls), then sweep.
fn reverse_tape(tape: &Tape, case: Case, x: &[f64]) -> (f64, Vec<f64>) {
    tape.clear();
    let vars = tape.add_vars(x);
    let out = case.eval(&vars);
    let grads = out.grad();
    (out.val(), grads.wrt(&vars))
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

/// The columns of every table, in order: (criterion id, label in the report).
const COLUMNS: [(&str, &str); 9] = [
    ("primal", "primal"),
    ("hand", "hand-written gradient"),
    ("ours_grad", "ours: `_grad`"),
    ("ours_tangent", "ours: `_tangent`, n passes"),
    ("num_dual", "num-dual `gradient`"),
    ("autodiff", "autodiff `grad`"),
    ("ad_trait_forward", "ad_trait forward"),
    ("ad_trait_reverse", "ad_trait reverse"),
    ("reverse", "reverse (tape)"),
];

/// `n` deterministic values in [-1, 1) (as in data.rs).
fn values(n: usize, k: f64) -> Vec<f64> {
    (0..n).map(|i| (k * (i as f64 + 1.0)).sin()).collect()
}

/// Panics unless `got` (a peer's value and gradient) equals `want` (ours) to 1e-9 relative:
/// the benchmark compares computations of one thing.
fn assert_same(case: &str, who: &str, got: &(f64, Vec<f64>), want: &(f64, Vec<f64>)) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    assert!(
        close(got.0, want.0),
        "{case}: value of {who} is {}, ours {}",
        got.0,
        want.0
    );
    assert_eq!(
        got.1.len(),
        want.1.len(),
        "{case}: gradient length of {who}"
    );
    for (i, (a, b)) in got.1.iter().zip(&want.1).enumerate() {
        assert!(close(*a, *b), "{case}: d/dx{i} of {who} is {a}, ours {b}");
    }
}

/// Times the peers on `case` at `x` in `grp`, after checking their gradients against `ours`.
fn bench_peers(
    grp: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    case: Case,
    x: &[f64],
    ours: &(f64, Vec<f64>),
) {
    let n = x.len();
    let num_dual = |x: &[f64]| match n {
        2 => num_dual_static::<2>(case, x),
        4 => num_dual_static::<4>(case, x),
        10 => num_dual_static::<10>(case, x),
        100 => num_dual_static::<100>(case, x),
        _ => num_dual_dynamic(case, x),
    };
    assert_same(name, "num-dual", &num_dual(x), ours);
    grp.bench_function("num_dual", |b| b.iter(|| num_dual(black_box(x))));

    let autodiff = |x: &[f64]| {
        let v = case.eval(&x.iter().map(|&v| autodiff::F1::cst(v)).collect::<Vec<_>>());
        (v.value(), autodiff::grad(|v| case.eval(v), x))
    };
    assert_same(name, "autodiff", &autodiff(x), ours);
    // `autodiff::grad` returns only the gradient: time that, not the extra evaluation above.
    grp.bench_function("autodiff", |b| {
        b.iter(|| autodiff::grad(|v| case.eval(v), black_box(x)))
    });

    let function = AdTraitFn { case, inputs: n };
    let forward = FunctionEngine::new(function.clone(), function.clone(), ForwardAD::new());
    let reverse = FunctionEngine::new(function.clone(), function, ReverseAD::new());
    let ad_trait = |(v, j): (Vec<f64>, nalgebra_ad_trait::DMatrix<f64>)| {
        (v[0], j.row(0).iter().copied().collect())
    };
    assert_same(
        name,
        "ad_trait forward",
        &ad_trait(forward.derivative(x)),
        ours,
    );
    assert_same(
        name,
        "ad_trait reverse",
        &ad_trait(reverse.derivative(x)),
        ours,
    );
    grp.bench_function("ad_trait_forward", |b| {
        b.iter(|| forward.derivative(black_box(x)))
    });
    grp.bench_function("ad_trait_reverse", |b| {
        b.iter(|| reverse.derivative(black_box(x)))
    });

    let tape = Tape::new();
    assert_same(name, "reverse", &reverse_tape(&tape, case, x), ours);
    grp.bench_function("reverse", |b| {
        b.iter(|| reverse_tape(&tape, case, black_box(x)))
    });
}

use ad_trait::nalgebra as nalgebra_ad_trait;

/// One entry of the manifest.
struct Entry {
    group: String,
    title: String,
    inputs: usize,
    /// Peers that cannot express the case: (column id, why).
    cannot: Vec<(&'static str, &'static str)>,
}

fn bench(c: &mut Criterion) {
    let mut manifest = Vec::new();

    // f(x, y) = x*y + sin(x).
    {
        let (x, y) = (0.7, -1.3);
        let name = "peers_f";
        let (v, (gx, gy)) = f_grad(x, y);
        let ours = (v, vec![gx, gy]);
        assert_same(
            name,
            "hand",
            &{
                let (v, (a, b)) = f_grad_hand(x, y);
                (v, vec![a, b])
            },
            &ours,
        );
        let tangent = |x: f64, y: f64| {
            let (v, dx) = f_tangent(x, 1.0, y, 0.0);
            let (_, dy) = f_tangent(x, 0.0, y, 1.0);
            (v, (dx, dy))
        };
        let (tv, (tx, ty)) = tangent(x, y);
        assert_same(name, "ours_tangent", &(tv, vec![tx, ty]), &ours);
        let mut grp = c.benchmark_group(name);
        grp.bench_function("primal", |b| b.iter(|| f(black_box(x), black_box(y))));
        grp.bench_function("hand", |b| {
            b.iter(|| f_grad_hand(black_box(x), black_box(y)))
        });
        grp.bench_function("ours_grad", |b| {
            b.iter(|| f_grad(black_box(x), black_box(y)))
        });
        grp.bench_function("ours_tangent", |b| {
            b.iter(|| tangent(black_box(x), black_box(y)))
        });
        bench_peers(&mut grp, name, Case::F, &[x, y], &ours);
        grp.finish();
        manifest.push(Entry {
            group: name.into(),
            title: "f(x, y) = x*y + sin(x)".into(),
            inputs: 2,
            cannot: vec![],
        });
    }

    // Extended Rosenbrock.
    for n in [10usize, 100, 1000] {
        let name = format!("peers_rosenbrock_{n}");
        let x: Vec<f64> = values(n, 0.7).iter().map(|v| 1.2 * v).collect();
        let mut dx = vec![0.0; n];
        let v = rosenbrock_grad(&x, &mut dx, n);
        let ours = (v, dx.clone());
        let mut dx_hand = vec![0.0; n];
        let v_hand = rosenbrock_grad_hand(&x, &mut dx_hand, n);
        assert_same(&name, "hand", &(v_hand, dx_hand), &ours);
        // The full gradient by forward mode: one pass per unit vector.
        let tangent = |x: &[f64], e: &mut [f64], g: &mut [f64]| {
            let mut v = 0.0;
            for i in 0..n {
                e[i] = 1.0;
                (v, g[i]) = rosenbrock_tangent(x, e, n);
                e[i] = 0.0;
            }
            v
        };
        let (mut e, mut g) = (vec![0.0; n], vec![0.0; n]);
        let tv = tangent(&x, &mut e, &mut g);
        assert_same(&name, "ours_tangent", &(tv, g.clone()), &ours);

        let mut grp = c.benchmark_group(&name);
        if n >= 1000 {
            grp.sampling_mode(SamplingMode::Flat);
        }
        grp.bench_function("primal", |b| b.iter(|| rosenbrock(black_box(&x), n)));
        grp.bench_function("hand", |b| {
            b.iter(|| {
                dx.fill(0.0);
                let v = rosenbrock_grad_hand(black_box(&x), &mut dx, n);
                black_box(&dx);
                v
            })
        });
        grp.bench_function("ours_grad", |b| {
            b.iter(|| {
                dx.fill(0.0);
                let v = rosenbrock_grad(black_box(&x), &mut dx, n);
                black_box(&dx);
                v
            })
        });
        grp.bench_function("ours_tangent", |b| {
            b.iter(|| {
                let v = tangent(black_box(&x), &mut e, &mut g);
                black_box(&g);
                v
            })
        });
        bench_peers(&mut grp, &name, Case::Rosenbrock(n), &x, &ours);
        grp.finish();
        manifest.push(Entry {
            group: name,
            title: format!("extended Rosenbrock, n = {n}"),
            inputs: n,
            cannot: vec![],
        });
    }

    // The MLP's loss, differentiated in its parameters, its input and its target.
    {
        let name = "peers_mlp";
        let params: Vec<f64> = values(PARAMS, 0.37).iter().map(|v| 0.3 * v).collect();
        let x = values(INPUTS, 1.1);
        let target = 0.25;
        let all: Vec<f64> = params.iter().chain(&x).copied().chain([target]).collect();
        let total = all.len();
        let (mut dp, mut dx) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
        let (v, dt) = mlp_loss_grad(&params, &mut dp, &x, &mut dx, target);
        let flat = |dp: &[f64], dx: &[f64], dt: f64| -> Vec<f64> {
            dp.iter().chain(dx).copied().chain([dt]).collect()
        };
        let ours = (v, flat(&dp, &dx, dt));
        let (mut dp_hand, mut dx_hand) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
        let (vh, dth) = mlp_loss_grad_hand(&params, &mut dp_hand, &x, &mut dx_hand, target);
        assert_same(name, "hand", &(vh, flat(&dp_hand, &dx_hand, dth)), &ours);
        // Forward mode: one pass per input, the tangents of all inputs in one buffer.
        let tangent = |e: &mut [f64], g: &mut [f64]| {
            let mut v = 0.0;
            for i in 0..total {
                e[i] = 1.0;
                let (dp, rest) = e.split_at(PARAMS);
                (v, g[i]) =
                    mlp_loss_tangent(&params, dp, &x, &rest[..INPUTS], target, rest[INPUTS]);
                e[i] = 0.0;
            }
            v
        };
        let (mut e, mut g) = (vec![0.0; total], vec![0.0; total]);
        let tv = tangent(&mut e, &mut g);
        assert_same(name, "ours_tangent", &(tv, g.clone()), &ours);

        let mut grp = c.benchmark_group(name);
        grp.sampling_mode(SamplingMode::Flat);
        grp.bench_function("primal", |b| {
            b.iter(|| mlp_loss(black_box(&params), black_box(&x), target))
        });
        grp.bench_function("hand", |b| {
            b.iter(|| {
                dp.fill(0.0);
                dx.fill(0.0);
                let v =
                    mlp_loss_grad_hand(black_box(&params), &mut dp, black_box(&x), &mut dx, target);
                black_box((&dp, &dx));
                v
            })
        });
        grp.bench_function("ours_grad", |b| {
            b.iter(|| {
                dp.fill(0.0);
                dx.fill(0.0);
                let v = mlp_loss_grad(black_box(&params), &mut dp, black_box(&x), &mut dx, target);
                black_box((&dp, &dx));
                v
            })
        });
        grp.bench_function("ours_tangent", |b| {
            b.iter(|| {
                let v = tangent(&mut e, &mut g);
                black_box(&g);
                v
            })
        });
        bench_peers(&mut grp, name, Case::Mlp, &all, &ours);
        grp.finish();
        manifest.push(Entry {
            group: name.into(),
            title: format!("MLP loss, {INPUTS}-{HIDDEN}-1 tanh ({total} inputs)"),
            inputs: total,
            cannot: vec![],
        });
    }

    // The recurrence x = x + h sin(x) p, 1000 steps.
    {
        let name = "peers_recurrence";
        let (x0, p) = (0.3, 1.5);
        let (v, (gx, gp)) = recurrence_grad(x0, p, STEPS);
        let ours = (v, vec![gx, gp]);
        // The best gradient by hand for two inputs: forward sensitivities, one pass, `sin_cos`.
        let (vh, (hx, hp)) = recurrence_tangent_hand(x0, p, STEPS);
        assert_same(name, "hand", &(vh, vec![hx, hp]), &ours);
        let tangent = |x0: f64, p: f64| {
            let (v, dx) = recurrence_tangent(x0, 1.0, p, 0.0, STEPS);
            let (_, dp) = recurrence_tangent(x0, 0.0, p, 1.0, STEPS);
            (v, (dx, dp))
        };
        let (tv, (tx, tp)) = tangent(x0, p);
        assert_same(name, "ours_tangent", &(tv, vec![tx, tp]), &ours);
        let mut grp = c.benchmark_group(name);
        grp.bench_function("primal", |b| {
            b.iter(|| recurrence(black_box(x0), black_box(p), STEPS))
        });
        grp.bench_function("hand", |b| {
            b.iter(|| recurrence_tangent_hand(black_box(x0), black_box(p), STEPS))
        });
        grp.bench_function("ours_grad", |b| {
            b.iter(|| recurrence_grad(black_box(x0), black_box(p), STEPS))
        });
        grp.bench_function("ours_tangent", |b| {
            b.iter(|| tangent(black_box(x0), black_box(p)))
        });
        bench_peers(&mut grp, name, Case::Recurrence, &[x0, p], &ours);
        grp.finish();
        manifest.push(Entry {
            group: name.into(),
            title: format!("recurrence x ← x + h·sin(x)·p, {STEPS} steps"),
            inputs: 2,
            cannot: vec![],
        });
    }

    // A least-squares loss over 10 000 observations, in the model's 4 parameters: a loop whose
    // iterations are independent.
    {
        let name = "peers_lsq";
        let (xs, ys) = observations();
        let w = [0.3, -0.2, 0.5, 0.1];
        let mut dw = [0.0; 4];
        let v = lsq_loss_grad(&w, &mut dw, xs, ys);
        let ours = (v, dw.to_vec());
        let mut dw_hand = [0.0; 4];
        let vh = lsq_loss_grad_hand(&w, &mut dw_hand, xs, ys);
        assert_same(name, "hand", &(vh, dw_hand.to_vec()), &ours);
        let tangent = |w: &[f64], e: &mut [f64; 4], g: &mut [f64; 4]| {
            let mut v = 0.0;
            for i in 0..4 {
                e[i] = 1.0;
                (v, g[i]) = lsq_loss_tangent(w, e, xs, ys);
                e[i] = 0.0;
            }
            v
        };
        let (mut e, mut g) = ([0.0; 4], [0.0; 4]);
        let tv = tangent(&w, &mut e, &mut g);
        assert_same(name, "ours_tangent", &(tv, g.to_vec()), &ours);
        let mut grp = c.benchmark_group(name);
        grp.sampling_mode(SamplingMode::Flat);
        grp.bench_function("primal", |b| b.iter(|| lsq_loss(black_box(&w), xs, ys)));
        grp.bench_function("hand", |b| {
            b.iter(|| {
                dw.fill(0.0);
                let v = lsq_loss_grad_hand(black_box(&w), &mut dw, xs, ys);
                black_box(&dw);
                v
            })
        });
        grp.bench_function("ours_grad", |b| {
            b.iter(|| {
                dw.fill(0.0);
                let v = lsq_loss_grad(black_box(&w), &mut dw, xs, ys);
                black_box(&dw);
                v
            })
        });
        grp.bench_function("ours_tangent", |b| {
            b.iter(|| {
                let v = tangent(black_box(&w), &mut e, &mut g);
                black_box(&g);
                v
            })
        });
        bench_peers(&mut grp, name, Case::Lsq, &w, &ours);
        grp.finish();
        manifest.push(Entry {
            group: name.into(),
            title: format!("least squares, affine model, {OBS} observations"),
            inputs: 4,
            cannot: vec![],
        });
    }

    write_manifest(&manifest);
}

/// Where criterion writes: `$CARGO_TARGET_DIR/criterion`, or the workspace's `target/criterion`.
fn criterion_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => std::path::PathBuf::from(dir).join("criterion"),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
    }
}

/// Writes `peers_manifest.json` next to criterion's results, for the report.
fn write_manifest(entries: &[Entry]) {
    use serde_json::json;
    let cases: Vec<_> = entries
        .iter()
        .map(|e| {
            let cannot: serde_json::Map<String, serde_json::Value> = e
                .cannot
                .iter()
                .map(|(id, why)| (id.to_string(), json!(why)))
                .collect();
            json!({ "group": e.group, "title": e.title, "inputs": e.inputs, "cannot_express": cannot })
        })
        .collect();
    let columns: Vec<_> = COLUMNS
        .iter()
        .map(|(id, label)| json!({ "id": id, "label": label }))
        .collect();
    let manifest = json!({ "cases": cases, "columns": columns });
    let dir = criterion_dir();
    std::fs::create_dir_all(&dir).expect("criterion's directory can be created");
    let path = dir.join("peers_manifest.json");
    let text = serde_json::to_string_pretty(&manifest).expect("the manifest serialises");
    std::fs::write(&path, text).expect("the manifest can be written");
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
