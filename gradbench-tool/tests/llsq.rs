//! llsq: the generated gradient against central finite differences and against forward mode.

use ad_gradbench::evals::llsq::{gradient, primal, primal_tangent};
use approx::assert_relative_eq;

fn coefficients(m: usize) -> Vec<f64> {
    (0..m)
        .map(|j| 0.3 + 0.17 * j as f64 - 0.05 * (j * j) as f64)
        .collect()
}

#[test]
fn gradient_matches_finite_differences() {
    let (n, m) = (9, 5);
    let x = coefficients(m);
    let g = gradient(n, &x);
    let h = 1e-6;
    for j in 0..m {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[j] += h;
        xm[j] -= h;
        let fd = (primal(n, m, &xp) - primal(n, m, &xm)) / (2.0 * h);
        assert_relative_eq!(g[j], fd, epsilon = 1e-6, max_relative = 1e-6);
    }
}

#[test]
fn gradient_matches_forward_mode() {
    let (n, m) = (16, 6);
    let x = coefficients(m);
    let g = gradient(n, &x);
    let v: Vec<f64> = (0..m).map(|j| 1.0 - 0.3 * j as f64).collect();
    let (y, dy) = primal_tangent(n, m, &x, &v);
    assert_relative_eq!(y, primal(n, m, &x), max_relative = 1e-14);
    let gv: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_relative_eq!(dy, gv, epsilon = 1e-12, max_relative = 1e-12);
}

#[test]
fn primal_by_hand() {
    // n = 3: t = (-1, 0, 1), s = (-1, 0, 1); x = (a, b): residuals -1-a+b, -a, 1-a-b.
    let (a, b) = (0.5_f64, 0.25_f64);
    let expected = 0.5 * ((-1.0 - a + b).powi(2) + a * a + (1.0 - a - b).powi(2));
    assert_relative_eq!(primal(3, 2, &[a, b]), expected, max_relative = 1e-15);
    // gradient: d/da = (1+a-b) + a + (-(1-a-b)), d/db = (-1-a+b) - (1-a-b)... by the chain rule.
    let g = gradient(3, &[a, b]);
    assert_relative_eq!(
        g[0],
        -(-1.0 - a + b) + a - (1.0 - a - b),
        max_relative = 1e-15
    );
    assert_relative_eq!(g[1], (-1.0 - a + b) - (1.0 - a - b), max_relative = 1e-15);
}
