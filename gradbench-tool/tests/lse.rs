//! lse: the generated gradient against the softmax, central finite differences and forward
//! mode (`<grad, v> == primal_tangent(x, v)`), and the protocol's JSON shape.

use ad_gradbench::evals::lse::{gradient, primal, primal_tangent, run};
use ad_gradbench::protocol::Runs;
use approx::assert_abs_diff_eq;
use serde_json::json;

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i as f64) * 1.37).sin() * 3.0).collect()
}

#[test]
fn primal_is_logsumexp() {
    let x = point(7);
    let direct: f64 = x.iter().map(|v| v.exp()).sum::<f64>().ln();
    assert_abs_diff_eq!(primal(7, &x), direct, epsilon = 1e-12);
    // Stable where the direct formula overflows.
    assert_abs_diff_eq!(primal(2, &[1000.0, 1000.0]), 1000.0 + 2f64.ln());
}

#[test]
fn gradient_is_softmax_and_matches_finite_differences() {
    let x = point(9);
    let g = gradient(&x);
    let z: f64 = x.iter().map(|v| v.exp()).sum();
    let h = 1e-6;
    for i in 0..x.len() {
        assert_abs_diff_eq!(g[i], x[i].exp() / z, epsilon = 1e-14);
        let (mut up, mut down) = (x.clone(), x.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (primal(9, &up) - primal(9, &down)) / (2.0 * h);
        assert_abs_diff_eq!(g[i], fd, epsilon = 1e-8);
    }
}

#[test]
fn reverse_agrees_with_forward() {
    let x = point(12);
    let v: Vec<f64> = (0..12).map(|i| (i as f64 * 0.71).cos()).collect();
    let g = gradient(&x);
    let (value, jv) = primal_tangent(12, &x, &v);
    assert_abs_diff_eq!(value, primal(12, &x), epsilon = 1e-14);
    let gv: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_abs_diff_eq!(gv, jv, epsilon = 1e-13);
}

#[test]
fn json_shapes() {
    let x = point(5);
    let p = run("primal", json!({ "x": x }), &Runs::ONCE).unwrap();
    assert!(p.output.is_f64());
    let g = run("gradient", json!({ "x": x }), &Runs::ONCE).unwrap();
    assert_eq!(g.output.as_array().unwrap().len(), 5);
    assert!(run("hessian", json!({ "x": x }), &Runs::ONCE).is_err());
}
