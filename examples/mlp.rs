//! Training a small neural network with gradients written by `#[derive_grad]`.
//!
//! A one-hidden-layer tanh network (1 input, 32 hidden units, 1 output: 97 parameters) learns
//! `y = sin(3x)` on [-1, 1] from 64 samples. The loss is an ordinary function over a flat
//! parameter slice; reverse mode gives its gradient with respect to all 97 parameters in one
//! pass, and Adam (written out below, a few lines) uses it. No random-number crate: the samples
//! and the initial weights come from a small deterministic generator, so every run prints the
//! same numbers.
//!
//! Run with `cargo run --example mlp` (about a second in debug; `--release` is faster).

use ad_runtime::derive_grad;

/// Hidden units.
const HIDDEN: usize = 32;
/// Layout of the parameters: `[w1 (HIDDEN), b1 (HIDDEN), w2 (HIDDEN), b2]`.
const B1: usize = HIDDEN;
const W2: usize = 2 * HIDDEN;
const B2: usize = 3 * HIDDEN;
const PARAMS: usize = 3 * HIDDEN + 1;

/// The network's output at one input `x`. It carries the macro too, so that `loss` can call it
/// with differentiated arguments (the call then goes through `predict`'s own reverse pass).
#[derive_grad]
fn predict(params: &[f64], x: f64) -> f64 {
    let mut out = params[B2];
    for j in 0..HIDDEN {
        out += params[W2 + j] * (params[j] * x + params[B1 + j]).tanh();
    }
    out
}

/// The mean squared error of the network over the samples `(xs[k], ys[k])`.
///
/// `wrt(params)`: only the parameters are differentiated; the data are constants (without it,
/// the two data slices would get gradients too, which training does not need).
#[derive_grad(wrt(params))]
fn loss(params: &[f64], xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for k in 0..xs.len() {
        let e = predict(params, xs[k]) - ys[k];
        total += e * e;
    }
    total / xs.len() as f64
}

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic, no crate.
struct Lcg(u64);

impl Lcg {
    /// A uniform number in [0, 1), from the top 53 bits.
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform number in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Adam (Kingma and Ba, 2015): per-parameter step sizes from running moments of the gradient.
struct Adam {
    rate: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(n: usize, rate: f64) -> Self {
        Adam {
            rate,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        let (b1, b2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
        self.t += 1;
        let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
        for i in 0..params.len() {
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * grad[i];
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * grad[i] * grad[i];
            params[i] -= self.rate * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + eps);
        }
    }
}

fn main() {
    let mut rng = Lcg(2024);

    // 64 training samples of y = sin(3x), x uniform on [-1, 1].
    let xs: Vec<f64> = (0..64).map(|_| rng.range(-1.0, 1.0)).collect();
    let ys: Vec<f64> = xs.iter().map(|x| (3.0 * x).sin()).collect();

    // Initial weights: input weights and biases uniform on [-1, 1], output weights scaled by
    // 1/sqrt(HIDDEN), output bias 0.
    let mut params = vec![0.0; PARAMS];
    for p in &mut params[..W2] {
        *p = rng.range(-1.0, 1.0);
    }
    let scale = 1.0 / (HIDDEN as f64).sqrt();
    for p in &mut params[W2..B2] {
        *p = rng.range(-scale, scale);
    }

    // Check the generated gradient once against central finite differences, before trusting it.
    let mut grad = vec![0.0; PARAMS];
    loss_grad(&params, &mut grad, &xs, &ys);
    let report = ad_runtime::check::gradient(|p: &[f64]| loss(p, &xs, &ys), &params, &grad);
    println!("gradient of the loss ({PARAMS} parameters) against finite differences: {report}");
    report.assert_below(1e-6);

    let epochs = 3000;
    let mut adam = Adam::new(PARAMS, 0.01);
    let mut first = f64::NAN;
    let mut last = f64::NAN;
    println!("\n{:>6} {:>12}", "epoch", "loss (MSE)");
    for epoch in 0..=epochs {
        // `_grad` adds into the shadow: reset it each step.
        grad.fill(0.0);
        let value = loss_grad(&params, &mut grad, &xs, &ys);
        if epoch == 0 {
            first = value;
        }
        last = value;
        if epoch % 300 == 0 {
            println!("{epoch:>6} {value:>12.3e}");
        }
        if epoch < epochs {
            // Halve the step size every 600 epochs: Adam's steps stay large near a minimum.
            adam.rate = 0.01 * 0.5_f64.powi(epoch / 600);
            adam.step(&mut params, &grad);
        }
    }

    println!("\nthe trained network against sin(3x):");
    println!("{:>6} {:>10} {:>10}", "x", "network", "sin(3x)");
    for i in 0..=8 {
        let x = -1.0 + 0.25 * i as f64;
        println!(
            "{x:>6.2} {:>10.4} {:>10.4}",
            predict(&params, x),
            (3.0 * x).sin()
        );
    }
    let worst = (0..=200)
        .map(|i| {
            let x = -1.0 + 0.01 * i as f64;
            (predict(&params, x) - (3.0 * x).sin()).abs()
        })
        .fold(0.0, f64::max);
    println!("\nworst error on a grid of 201 points in [-1, 1]: {worst:.2e}");
    println!(
        "loss: {first:.3e} -> {last:.3e} ({:.0}x lower)",
        first / last
    );
    assert!(
        last < first / 100.0 && last < 1e-3,
        "training did not converge: loss {first:e} -> {last:e}"
    );
    assert!(worst < 0.02, "the network is off sin(3x) by {worst}");
}
