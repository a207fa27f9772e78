//! Fitting a model whose parameters are a struct, with gradients written by `#[derive_grad]`.
//!
//! `Model { w: Vec<f64>, b: f64 }` derives `Differentiable`, so the loss takes `p: &Model` and
//! reads `p.w[j]` and `p.b` as a user would write them; `#[derive_grad(wrt(p))]` writes
//! `loss_grad(p, dp, xs, ys)`, which adds the gradient into a shadow `dp` of the same shape. The
//! shadow comes from `zero_like`, the descent step is `scale` plus `accumulate`, and the check
//! against finite differences sees the struct as a flat vector through `to_flat` / `with_flat`.
//!
//! The data are 100 samples of a linear function of 5 features plus a little noise, from a
//! small deterministic generator (no random-number crate, the same numbers on every run); plain
//! gradient descent recovers the weights.
//!
//! Run with `cargo run --example struct_regression` (well under a second in debug).

use ad_runtime::{Differentiable, derive_grad};

/// Features per sample.
const FEATURES: usize = 5;
/// Training samples.
const SAMPLES: usize = 100;
/// The step size of gradient descent. The loss's Hessian is about `2/3` on the weights and `2`
/// on the bias (features uniform on [-1, 1]), so any rate below about 0.9 converges.
const RATE: f64 = 0.2;
/// Steps of gradient descent.
const STEPS: usize = 100;

/// The parameters of a linear model: one weight per feature and a bias.
#[derive(Differentiable, Clone, Debug)]
struct Model {
    w: Vec<f64>,
    b: f64,
}

/// The mean squared error of the model over the samples: row `k` of `xs` (row-major, one
/// column per weight) against `ys[k]`.
///
/// `wrt(p)`: only the model is differentiated; the data are constants.
#[derive_grad(wrt(p))]
fn loss(p: &Model, xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for k in 0..ys.len() {
        let mut prediction = p.b;
        for j in 0..p.w.len() {
            prediction += p.w[j] * xs[k * p.w.len() + j];
        }
        let e = prediction - ys[k];
        total += e * e;
    }
    total / ys.len() as f64
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

fn main() {
    let truth = Model {
        w: vec![1.5, -2.0, 0.5, 0.0, 3.0],
        b: 0.7,
    };

    // Features uniform on [-1, 1]; targets from the true model plus noise uniform on ±0.01.
    let mut rng = Lcg(17);
    let xs: Vec<f64> = (0..SAMPLES * FEATURES)
        .map(|_| rng.range(-1.0, 1.0))
        .collect();
    let ys: Vec<f64> = xs
        .chunks(FEATURES)
        .map(|x| {
            let clean: f64 = truth.b + truth.w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
            clean + rng.range(-0.01, 0.01)
        })
        .collect();

    // Start away from zero, so that no component of the gradient is trivially simple.
    let mut model = Model {
        w: vec![0.1, 0.2, -0.1, 0.3, -0.2],
        b: 0.0,
    };

    // Check the generated gradient once against central finite differences, before trusting
    // it: the struct is a flat vector of 6 floats to the checker.
    let mut grad = model.zero_like();
    loss_grad(&model, &mut grad, &xs, &ys);
    let report = ad_runtime::check::gradient(
        |flat: &[f64]| loss(&model.with_flat(flat), &xs, &ys),
        &model.to_flat(),
        &grad.to_flat(),
    );
    println!(
        "gradient of the loss ({} parameters) against finite differences: {report}",
        model.flat_len()
    );
    report.assert_below(1e-7);

    let mut first = f64::NAN;
    let mut last = f64::NAN;
    println!("\n{:>5} {:>12}", "step", "loss (MSE)");
    for step in 0..=STEPS {
        // `_grad` adds into the shadow: start each step from zeros.
        let mut grad = model.zero_like();
        let value = loss_grad(&model, &mut grad, &xs, &ys);
        if step == 0 {
            first = value;
        }
        last = value;
        if step % 10 == 0 {
            println!("{step:>5} {value:>12.3e}");
        }
        if step < STEPS {
            // model -= RATE * grad, field by field.
            grad.scale(-RATE);
            model.accumulate(&grad);
        }
    }

    println!("\n{:>8} {:>9} {:>9}", "", "fitted", "true");
    for j in 0..FEATURES {
        println!(
            "{:>8} {:>9.4} {:>9.4}",
            format!("w[{j}]"),
            model.w[j],
            truth.w[j]
        );
    }
    println!("{:>8} {:>9.4} {:>9.4}", "b", model.b, truth.b);
    let worst = model
        .to_flat()
        .iter()
        .zip(truth.to_flat())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("\nworst parameter error: {worst:.2e}");
    println!(
        "loss: {first:.3e} -> {last:.3e} ({:.0}x lower)",
        first / last
    );
    assert!(
        last < first / 1e4,
        "training did not converge: loss {first:e} -> {last:e}"
    );
    assert!(
        worst < 0.01,
        "the fitted model is off the true one by {worst}"
    );
}
