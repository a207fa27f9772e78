//! `saddle`: each generated piece against finite differences, the outer forward derivative
//! (`fr`) against finite differences and against reverse mode, `fr` against GradBench's
//! expected answer, and `rr`, `rf`, `ff` refused.

use ad_gradbench::evals::saddle::*;
use ad_gradbench::protocol::Runs;
use approx::assert_relative_eq;
use serde_json::json;

const P1: [f64; 2] = [0.7, -0.3];
const P2: [f64; 2] = [0.4, 1.1];

#[test]
fn inner_gradient_matches_finite_differences() {
    ad_runtime::check::gradient(
        |p: &[f64]| objective([P1[0], P1[1], p[0], p[1]]),
        &P2,
        &grad_p2(P1, P2),
    )
    .assert_below(1e-8);
}

#[test]
fn rules_match_finite_differences_and_each_other() {
    let (dp1, dp2) = ([0.3, -0.7], [0.2, 0.5]);
    let h = 1e-5;
    let at = |t: f64| {
        grad_p2(
            [P1[0] + t * dp1[0], P1[1] + t * dp1[1]],
            [P2[0] + t * dp2[0], P2[1] + t * dp2[1]],
        )
    };
    let (p, m) = (at(h), at(-h));
    let (value, tangent) = grad_p2_tangent(P1, dp1, P2, dp2);
    for k in 0..2 {
        assert_relative_eq!(value[k], grad_p2(P1, P2)[k], max_relative = 1e-12);
        assert_relative_eq!(tangent[k], (p[k] - m[k]) / (2.0 * h), max_relative = 1e-6);
    }
    // <J v, s> == <v, Jᵀ s>
    let s = [0.9, -0.4];
    let (_, (a1, a2)) = grad_p2_vjp(P1, P2, s);
    let lhs = tangent[0] * s[0] + tangent[1] * s[1];
    let rhs = a1[0] * dp1[0] + a1[1] * dp1[1] + a2[0] * dp2[0] + a2[1] * dp2[1];
    assert_relative_eq!(lhs, rhs, max_relative = 1e-12);
}

#[test]
fn fr_matches_finite_differences_and_reverse_mode() {
    let start = [1.0, 1.0];
    let fr = fr_derivative(P1, start);
    ad_runtime::check::gradient(|p: &[f64]| max_primal([p[0], p[1]], start), &P1, &fr)
        .assert_below(1e-6);
    let (value, reverse) = max_primal_grad(P1, start);
    assert_relative_eq!(value, max_primal(P1, start), max_relative = 1e-15);
    assert_relative_eq!(fr[0], reverse[0], max_relative = 1e-12);
    assert_relative_eq!(fr[1], reverse[1], max_relative = 1e-12);
}

#[test]
fn fr_finds_the_expected_point() {
    let want = 8.246324826140356e-06;
    let out = run("fr", json!({"start": [1.0, 1.0]}), &Runs::ONCE).unwrap();
    let got: Vec<f64> = serde_json::from_value(out.output).unwrap();
    assert_eq!(got.len(), 4);
    for g in got {
        // GradBench allows 1e-4 absolute here; the descent should land on the same point.
        assert_relative_eq!(g, want, max_relative = 1e-9);
    }
}

#[test]
fn other_variants_are_refused_with_a_reason() {
    for (v, nesting) in [
        ("rr", "reverse over reverse"),
        ("rf", "reverse over forward"),
        ("ff", "forward over forward"),
    ] {
        let Err(why) = run(v, json!({"start": [1.0, 1.0]}), &Runs::ONCE) else {
            panic!("{v} answered a value");
        };
        assert!(
            why.contains(nesting) && why.contains("not offered"),
            "{why}"
        );
    }
    assert!(run("xx", json!({"start": [1.0, 1.0]}), &Runs::ONCE).is_err());
}
