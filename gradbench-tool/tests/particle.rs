//! `particle`: each generated piece against finite differences, the outer forward derivative
//! (`fr`) against finite differences and against reverse mode, `fr` against GradBench's
//! expected answer, and `rr`, `rf`, `ff` refused.

use ad_gradbench::evals::particle::*;
use ad_gradbench::protocol::Runs;
use approx::assert_relative_eq;
use serde_json::json;

const Z: [f64; 6] = [1.3, 7.2, 10.0, 9.6, 10.0, 0.0];

fn split(z: &[f64]) -> ([f64; 2], [f64; 4]) {
    ([z[0], z[1]], [z[2], z[3], z[4], z[5]])
}

#[test]
fn inner_gradient_matches_finite_differences() {
    let (x, c) = split(&Z);
    let report = ad_runtime::check::gradient(
        |p: &[f64]| accel([p[0], p[1], c[0], c[1], c[2], c[3]]),
        &x,
        &grad_x(x, c),
    );
    report.assert_below(1e-8);
}

#[test]
fn rules_match_finite_differences_of_the_inner_gradient() {
    let (x, c) = split(&Z);
    let v = [0.3, -0.7, 0.2, 0.5, -0.1, 0.4];
    let (dx, dc) = split(&v);
    let h = 1e-5;
    let at = |t: f64| {
        let z: Vec<f64> = Z.iter().zip(&v).map(|(a, b)| a + t * b).collect();
        let (x, c) = split(&z);
        grad_x(x, c)
    };
    let (p, m) = (at(h), at(-h));
    let (value, tangent) = grad_x_tangent(x, dx, c, dc);
    assert_relative_eq!(value[0], grad_x(x, c)[0], max_relative = 1e-12);
    assert_relative_eq!(value[1], grad_x(x, c)[1], max_relative = 1e-12);
    assert_relative_eq!(tangent[0], (p[0] - m[0]) / (2.0 * h), max_relative = 1e-6);
    assert_relative_eq!(tangent[1], (p[1] - m[1]) / (2.0 * h), max_relative = 1e-6);
    // Dot-product test of the reverse rule: <J v, s> == <v, Jᵀ s>.
    let s = [0.9, -0.4];
    let (_, (ax, ac)) = grad_x_vjp(x, c, s);
    let lhs = tangent[0] * s[0] + tangent[1] * s[1];
    let rhs: f64 = ax.iter().chain(&ac).zip(&v).map(|(a, b)| a * b).sum();
    assert_relative_eq!(lhs, rhs, max_relative = 1e-12);
}

#[test]
fn fr_matches_finite_differences_and_reverse_mode() {
    for w in [0.0, 0.15] {
        let h = 1e-6;
        let fd = (naive_euler(w + h) - naive_euler(w - h)) / (2.0 * h);
        let fr = fr_derivative(w);
        assert_relative_eq!(fr, fd, max_relative = 1e-5);
        let (value, reverse) = naive_euler_grad(w);
        assert_relative_eq!(value, naive_euler(w), max_relative = 1e-15);
        assert_relative_eq!(fr, reverse, max_relative = 1e-10);
    }
}

#[test]
fn fr_finds_the_expected_w() {
    let out = run("fr", json!({"w": 0.0}), &Runs::ONCE).unwrap();
    let w = out.output.as_f64().unwrap();
    assert!(
        (w - 0.2071918746486116).abs() <= 1e-4 * (1.0 + w.abs()),
        "{w}"
    );
}

#[test]
fn other_variants_are_refused_with_a_reason() {
    for (v, nesting) in [
        ("rr", "reverse over reverse"),
        ("rf", "reverse over forward"),
        ("ff", "forward over forward"),
    ] {
        let Err(why) = run(v, json!({"w": 0.0}), &Runs::ONCE) else {
            panic!("{v} answered a value");
        };
        assert!(
            why.contains(nesting) && why.contains("not offered"),
            "{why}"
        );
    }
    assert!(run("xx", json!({"w": 0.0}), &Runs::ONCE).is_err());
}
