//! det: the generated gradient against central finite differences, against forward mode, and
//! against the cofactor formula (the gradient of det A is its cofactor matrix).

use ad_gradbench::evals::det::{gradient, primal, primal_tangent};
use approx::assert_relative_eq;

fn matrix(ell: usize) -> Vec<f64> {
    (0..ell * ell)
        .map(|k| ((k * 7 + 3) % 11) as f64 / 11.0 + 0.1 * (k % 3) as f64)
        .collect()
}

#[test]
fn primal_small_by_hand() {
    assert_relative_eq!(primal(2, &[1.0, 2.0, 3.0, 4.0]), -2.0);
    let a = [2.0, 0.5, 1.0, -1.0, 3.0, 0.25, 0.75, -2.0, 1.5];
    let expected = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
        + a[2] * (a[3] * a[7] - a[4] * a[6]);
    assert_relative_eq!(primal(3, &a), expected, max_relative = 1e-14);
}

#[test]
fn gradient_is_cofactor_matrix() {
    // For a 3x3 matrix, d det / d a_ij is the cofactor C_ij.
    let a = [2.0, 0.5, 1.0, -1.0, 3.0, 0.25, 0.75, -2.0, 1.5];
    let g = gradient(3, &a);
    let at = |i: usize, j: usize| a[(i % 3) * 3 + (j % 3)];
    for i in 0..3 {
        for j in 0..3 {
            let cof = at(i + 1, j + 1) * at(i + 2, j + 2) - at(i + 1, j + 2) * at(i + 2, j + 1);
            assert_relative_eq!(g[i * 3 + j], cof, epsilon = 1e-14, max_relative = 1e-14);
        }
    }
}

#[test]
fn gradient_matches_finite_differences() {
    let ell = 5;
    let a = matrix(ell);
    let g = gradient(ell, &a);
    let h = 1e-6;
    for k in 0..ell * ell {
        let (mut ap, mut am) = (a.clone(), a.clone());
        ap[k] += h;
        am[k] -= h;
        let fd = (primal(ell, &ap) - primal(ell, &am)) / (2.0 * h);
        assert_relative_eq!(g[k], fd, epsilon = 1e-7, max_relative = 1e-6);
    }
}

#[test]
fn gradient_matches_forward_mode() {
    let ell = 4;
    let a = matrix(ell);
    let g = gradient(ell, &a);
    let v: Vec<f64> = (0..ell * ell).map(|k| 0.5 - 0.07 * k as f64).collect();
    let (y, dy) = primal_tangent(ell, &a, &v);
    assert_relative_eq!(y, primal(ell, &a), max_relative = 1e-14);
    let gv: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_relative_eq!(dy, gv, epsilon = 1e-12, max_relative = 1e-12);
}
