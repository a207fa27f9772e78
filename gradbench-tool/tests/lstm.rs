//! `lstm`: the generated gradient against central finite differences of the primal, and the
//! protocol's output shape.

use ad_gradbench::evals::lstm::{Flat, objective};
use ad_gradbench::protocol::Runs;
use approx::assert_relative_eq;
use serde_json::json;

/// Deterministic values in [0, 1), as the eval's `np.random.random`.
fn values(n: usize, seed: &mut u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

fn input(l: usize, b: usize, c: usize) -> Flat {
    let mut seed = 7;
    let sequence = values(c * b, &mut seed)
        .into_iter()
        .map(|v| if v > 0.5 { 1.0 } else { 0.0 })
        .collect();
    Flat {
        l,
        c,
        b,
        main_params: values(8 * l * b, &mut seed),
        extra_params: values(3 * b, &mut seed),
        state: values(2 * l * b, &mut seed),
        sequence,
    }
}

#[test]
fn gradient_matches_finite_differences() {
    for (l, b, c) in [(1, 2, 3), (2, 3, 5), (3, 4, 4)] {
        let f = input(l, b, c);
        let g = f.jacobian();
        assert_eq!(g.len(), 8 * l * b + 3 * b);
        let n_main = f.main_params.len();
        let x: Vec<f64> = [f.main_params.clone(), f.extra_params.clone()].concat();
        let primal =
            |p: &[f64]| objective(l, c, b, &p[..n_main], &p[n_main..], &f.state, &f.sequence);
        ad_runtime::check::gradient(primal, &x, &g).assert_below(1e-7);
    }
}

#[test]
fn value_is_independent_of_the_derivative_pass() {
    let f = input(2, 3, 6);
    let v = f.objective();
    assert!(v.is_finite() && v > 0.0);
    // objective_grad returns the same value as the primal.
    let mut dm = vec![0.0; f.main_params.len()];
    let mut de = vec![0.0; f.extra_params.len()];
    let (l, c, b) = (f.l, f.c, f.b);
    let w = ad_gradbench::evals::lstm::objective_grad(
        l,
        c,
        b,
        &f.main_params,
        &mut dm,
        &f.extra_params,
        &mut de,
        &f.state,
        &f.sequence,
    );
    assert_relative_eq!(v, w, max_relative = 1e-14);
}

#[test]
fn protocol_shapes() {
    let input = json!({
        "main_params": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]],
        "extra_params": [[0.5, 0.4], [0.3, 0.2], [0.1, 0.9]],
        "state": [[0.2, 0.3], [0.4, 0.5]],
        "sequence": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
    });
    let o = ad_gradbench::evals::lstm::run("objective", input.clone(), &Runs::ONCE).unwrap();
    assert!(o.output.is_f64());
    let j = ad_gradbench::evals::lstm::run("jacobian", input, &Runs::ONCE).unwrap();
    assert_eq!(j.output.as_array().unwrap().len(), 8 * 2 + 3 * 2);
}
