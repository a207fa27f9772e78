//! A batch gradient over 10 000 data points, serial and split across threads with rayon.
//!
//! The model is a small network (4 inputs, 5 tanh hidden units, one logit: 31 parameters) with
//! the logistic loss, written as ordinary Rust over a flat `&[f64]` of parameters: `point_loss`
//! for one data point, `batch_loss` summing it over a batch. `#[derive_grad(wrt(params))]`
//! writes `batch_loss_grad(params, dparams, xs, ys)`, which adds the gradient into `dparams`.
//!
//! The generated functions are pure and reentrant (SPEC §8, §10): they read their arguments,
//! write only the shadows they are lent, and keep their intermediates in local variables (and
//! a loop's stored values on a stack owned by the call): no tape, no global or thread-local
//! state. So data parallelism needs nothing from the library: each rayon worker
//! calls `batch_loss_grad` on its chunk of the data with its own gradient buffer, and a `reduce`
//! adds the buffers. The example checks that the serial and parallel gradients agree to 1e-12
//! (relative), and the gradient against central finite differences on a few coordinates, then
//! prints the speed-up it measured in this run.
//!
//! Run with `cargo run --example batch_rayon` (about a second in debug; `--release` for
//! speed-ups that reflect optimised code). `RAYON_NUM_THREADS=n` sets the number of threads.

use std::time::{Duration, Instant};

use ad_runtime::derive_grad;
use rayon::prelude::*;

/// Features per data point.
const D: usize = 4;
/// Hidden units.
const H: usize = 5;
/// Layout of the parameters: `[w1 (H x D, row-major), b1 (H), w2 (H), b2]`.
const B1: usize = H * D;
const W2: usize = B1 + H;
const B2: usize = W2 + H;
const PARAMS: usize = B2 + 1;
/// Data points.
const N: usize = 10_000;
/// Data points per rayon task.
const CHUNK: usize = 250;

/// The logistic loss of the network at one data point `x` (of `D` features) with label `y`
/// (0 or 1): `log(1 + e^z) - y z` for the logit `z`, written so that it never overflows.
#[derive_grad(wrt(params))]
fn point_loss(params: &[f64], x: &[f64], y: f64) -> f64 {
    let mut z = params[B2];
    for j in 0..H {
        let mut a = params[B1 + j];
        for i in 0..D {
            a += params[j * D + i] * x[i];
        }
        z += params[W2 + j] * a.tanh();
    }
    let softplus = z.max(0.0) + (-z.abs()).exp().ln_1p();
    softplus - y * z
}

/// The summed loss over a batch: point `k` is `xs[k * D..(k + 1) * D]` with label `ys[k]`.
#[derive_grad(wrt(params))]
fn batch_loss(params: &[f64], xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for k in 0..ys.len() {
        total += point_loss(params, &xs[k * D..(k + 1) * D], ys[k]);
    }
    total
}

/// Loss and gradient in one thread: one call over all the data.
fn serial(params: &[f64], xs: &[f64], ys: &[f64]) -> (f64, Vec<f64>) {
    let mut grad = vec![0.0; PARAMS];
    let loss = batch_loss_grad(params, &mut grad, xs, ys);
    (loss, grad)
}

/// Loss and gradient across rayon's threads: one call per chunk, each into its own buffer, the
/// buffers added pairwise.
fn parallel(params: &[f64], xs: &[f64], ys: &[f64]) -> (f64, Vec<f64>) {
    xs.par_chunks(CHUNK * D)
        .zip(ys.par_chunks(CHUNK))
        .map(|(xs, ys)| {
            let mut grad = vec![0.0; PARAMS];
            let loss = batch_loss_grad(params, &mut grad, xs, ys);
            (loss, grad)
        })
        .reduce(
            || (0.0, vec![0.0; PARAMS]),
            |(la, mut ga), (lb, gb)| {
                for (a, b) in ga.iter_mut().zip(&gb) {
                    *a += b;
                }
                (la + lb, ga)
            },
        )
}

/// The best of `runs` timings of `a` and of `b`, run alternately (so that both see the same
/// load from other processes), and their last results.
fn best_of<A, B>(
    runs: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> ((Duration, A), (Duration, B)) {
    fn timed<T>(f: &mut impl FnMut() -> T, best: &mut Duration) -> T {
        let start = Instant::now();
        let r = f();
        *best = (*best).min(start.elapsed());
        r
    }
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    let (mut out_a, mut out_b) = (timed(&mut a, &mut best_a), timed(&mut b, &mut best_b));
    for _ in 1..runs {
        out_a = timed(&mut a, &mut best_a);
        out_b = timed(&mut b, &mut best_b);
    }
    ((best_a, out_a), (best_b, out_b))
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic, no crate.
struct Lcg(u64);

impl Lcg {
    /// A uniform number in [lo, hi), from the top 53 bits.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lo + (hi - lo) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// `N` points in [-1, 1]^D, labelled by a nonlinear rule with 5% of the labels flipped.
fn data(rng: &mut Lcg) -> (Vec<f64>, Vec<f64>) {
    let mut xs = Vec::with_capacity(N * D);
    let mut ys = Vec::with_capacity(N);
    for _ in 0..N {
        let x: Vec<f64> = (0..D).map(|_| rng.range(-1.0, 1.0)).collect();
        let score = x[0] * x[1] + (2.0 * x[2]).sin() - x[3] * x[3] + 0.3;
        let flip = rng.range(0.0, 1.0) < 0.05;
        ys.push(if (score > 0.0) != flip { 1.0 } else { 0.0 });
        xs.extend(x);
    }
    (xs, ys)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|t| t * t).sum::<f64>().sqrt()
}

fn main() {
    let mut rng = Lcg(2024);
    let (xs, ys) = data(&mut rng);
    let params: Vec<f64> = (0..PARAMS).map(|_| rng.range(-0.5, 0.5)).collect();
    let threads = rayon::current_num_threads();
    println!(
        "logistic loss of a 4-5-1 tanh network: {PARAMS} parameters, {N} data points, \
         {} chunks of {CHUNK}, {threads} rayon threads\n",
        N / CHUNK
    );

    let runs = 8;
    let ((t_serial, (loss_s, grad_s)), (t_parallel, (loss_p, grad_p))) = best_of(
        runs,
        || serial(&params, &xs, &ys),
        || parallel(&params, &xs, &ys),
    );

    // The same sums, added in another order: equal to rounding.
    let diff: Vec<f64> = grad_s.iter().zip(&grad_p).map(|(a, b)| a - b).collect();
    let grad_rel = norm(&diff) / norm(&grad_s);
    let loss_rel = (loss_s - loss_p).abs() / loss_s.abs();
    println!("mean loss        {:.12}", loss_s / N as f64);
    println!("|gradient|       {:.6e}", norm(&grad_s) / N as f64);
    println!("serial against parallel: loss {loss_rel:.1e}, gradient {grad_rel:.1e} (relative)");
    assert!(
        loss_rel < 1e-12 && grad_rel < 1e-12,
        "serial and parallel gradients differ"
    );

    // Central finite differences of the (serial, primal) batch loss on a few coordinates: one
    // from each block of the layout.
    let coords = [0, 13, B1 + 2, W2 + 4, B2];
    let at = |p: &[f64]| {
        let mut q = params.clone();
        for (&k, &v) in coords.iter().zip(p) {
            q[k] = v;
        }
        batch_loss(&q, &xs, &ys)
    };
    let x0: Vec<f64> = coords.iter().map(|&k| params[k]).collect();
    let g0: Vec<f64> = coords.iter().map(|&k| grad_p[k]).collect();
    let report = ad_runtime::check::gradient(at, &x0, &g0);
    println!("parallel gradient at coordinates {coords:?} against finite differences: {report}");
    report.assert_below(1e-6);

    println!(
        "\nbest of {runs} runs: serial {:.1} ms, parallel {:.1} ms on {threads} threads: \
         speed-up {:.2}x\n(measured in this run; other processes on the machine take cores too)",
        t_serial.as_secs_f64() * 1e3,
        t_parallel.as_secs_f64() * 1e3,
        t_serial.as_secs_f64() / t_parallel.as_secs_f64()
    );
}
