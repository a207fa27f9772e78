//! Minimising the Rosenbrock function with L-BFGS from the `argmin` crate, the gradient written
//! by `#[derive_grad]`.
//!
//! The function is ordinary Rust over a slice; the macro writes `rosenbrock_grad` next to it,
//! and `argmin` only sees two trait implementations: a cost and a gradient. Reverse mode is the
//! right mode for an optimiser: one output (the cost), any number of inputs, one pass.
//!
//! Run with `cargo run --example rosenbrock_argmin`.

use ad_runtime::derive_grad;
use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

/// The extended Rosenbrock function, `Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])²`, minimal (0) at
/// `x = (1, 1, ..)`. Nothing in it is written for the macro.
#[derive_grad]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

/// The problem as `argmin` sees it.
struct Rosenbrock;

impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(rosenbrock(x))
    }
}

impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        // `_grad` ADDS the gradient into the shadow `g`, so start from zeros.
        let mut g = vec![0.0; x.len()];
        rosenbrock_grad(x, &mut g);
        Ok(g)
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn main() -> Result<(), Error> {
    let start = vec![-1.2, 1.0];

    // The generated gradient against the one worked out by hand, at the start.
    let (value, g0) = {
        let mut g = vec![0.0; 2];
        let v = rosenbrock_grad(&start, &mut g);
        (v, g)
    };
    let (x, y) = (start[0], start[1]);
    let by_hand = [
        -400.0 * x * (y - x * x) - 2.0 * (1.0 - x),
        200.0 * (y - x * x),
    ];
    println!("Rosenbrock at ({x}, {y}): f = {value}");
    println!(
        "  gradient, generated: ({:.6}, {:.6})   by hand: ({:.6}, {:.6})",
        g0[0], g0[1], by_hand[0], by_hand[1]
    );
    assert!((g0[0] - by_hand[0]).abs() < 1e-9 && (g0[1] - by_hand[1]).abs() < 1e-9);

    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)?
        .with_tolerance_cost(0.0)?;
    let result = Executor::new(Rosenbrock, solver)
        .configure(|state| state.param(start.clone()).max_iters(200).counting(true))
        .run()?;

    let state = result.state();
    let best = state
        .get_best_param()
        .expect("L-BFGS keeps its best point")
        .clone();
    let mut grad = vec![0.0; best.len()];
    let f_best = rosenbrock_grad(&best, &mut grad);
    let counts = state.get_func_counts();

    println!("\nL-BFGS (memory 7, More-Thuente line search) from (-1.2, 1):");
    println!("  stopped:          {}", state.get_termination_status());
    println!("  iterations:       {}", state.get_iter());
    println!(
        "  evaluations:      {} costs, {} gradients",
        counts.get("cost_count").copied().unwrap_or(0),
        counts.get("gradient_count").copied().unwrap_or(0)
    );
    println!("  final point:      ({:.12}, {:.12})", best[0], best[1]);
    println!("  final f:          {f_best:.3e}");
    println!("  final |gradient|: {:.3e}", norm(&grad));

    assert!(
        (best[0] - 1.0).abs() < 1e-6 && (best[1] - 1.0).abs() < 1e-6,
        "L-BFGS did not reach (1, 1): {best:?}"
    );
    assert!(norm(&grad) < 1e-6, "gradient norm {:e}", norm(&grad));

    // The same generated gradient serves any dimension: the extended function in 100 variables,
    // from (-1.2, 1, -1.2, 1, ...).
    let n = 100;
    let start: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)?
        .with_tolerance_cost(0.0)?;
    let result = Executor::new(Rosenbrock, solver)
        .configure(|state| state.param(start).max_iters(1000))
        .run()?;
    let state = result.state();
    let best = state.get_best_param().expect("a best point").clone();
    let mut grad = vec![0.0; n];
    let f_best = rosenbrock_grad(&best, &mut grad);
    let worst = best.iter().map(|v| (v - 1.0).abs()).fold(0.0, f64::max);
    println!("\nThe same, n = {n}:");
    println!("  iterations:       {}", state.get_iter());
    println!("  max |x_i - 1|:    {worst:.3e}");
    println!("  final f:          {f_best:.3e}");
    println!("  final |gradient|: {:.3e}", norm(&grad));
    assert!(worst < 1e-6, "n = {n}: max |x_i - 1| = {worst:e}");
    Ok(())
}
