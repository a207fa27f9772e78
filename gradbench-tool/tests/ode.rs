//! ode: the generated gradient of the last output against central finite differences, against
//! forward mode, and against the closed form where Runge-Kutta 4 is exact (n <= 4).

use ad_gradbench::evals::ode::{gradient, primal_tangent, solve};
use approx::assert_relative_eq;

fn coefficients(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.6 + 0.9 * ((i * 5 + 2) % 7) as f64 / 7.0)
        .collect()
}

#[test]
fn exact_for_four_coefficients() {
    // y_3(t) = x0 x1 x2 x3 t^4 / 4! is a polynomial of degree 4: RK4 integrates it exactly, so
    // y_3(2) = x0 x1 x2 x3 * 16 / 24 and its gradient is y_3(2) / x_i.
    let x = [0.7, 1.3, 0.4, 1.9];
    for s in [1, 3] {
        let y = solve(&x, s);
        let exact = x.iter().product::<f64>() * 16.0 / 24.0;
        assert_relative_eq!(y[3], exact, max_relative = 1e-13);
        let g = gradient(&x, s);
        for i in 0..4 {
            assert_relative_eq!(g[i], exact / x[i], max_relative = 1e-13);
        }
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let (n, s) = (12, 5);
    let x = coefficients(n);
    let g = gradient(&x, s);
    let h = 1e-6;
    for i in 0..n {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[i] += h;
        xm[i] -= h;
        let fd = (solve(&xp, s)[n - 1] - solve(&xm, s)[n - 1]) / (2.0 * h);
        assert_relative_eq!(g[i], fd, epsilon = 1e-8, max_relative = 1e-6);
    }
}

#[test]
fn gradient_matches_forward_mode() {
    let (n, s) = (10, 7);
    let x = coefficients(n);
    let g = gradient(&x, s);
    let v: Vec<f64> = (0..n).map(|i| 1.0 - 0.15 * i as f64).collect();
    let mut y = vec![0.0; n];
    let mut dy = vec![0.0; n];
    primal_tangent(n, &x, &v, s, &mut y, &mut dy);
    assert_eq!(y, solve(&x, s));
    let gv: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_relative_eq!(dy[n - 1], gv, epsilon = 1e-13, max_relative = 1e-12);
}
