//! `saddle`: each generated piece against finite differences, forward against reverse, and
//! the four variants against GradBench's expected answer.

use ad_gradbench::evals::saddle::*;
use ad_gradbench::protocol::Runs;
use approx::assert_relative_eq;
use serde_json::json;

const P1: [f64; 2] = [0.7, -0.3];
const P2: [f64; 2] = [0.4, 1.1];

#[test]
fn inner_gradients_match_finite_differences() {
    for g in [grad_p2_r(P1, P2), grad_p2_f(P1, P2)] {
        ad_runtime::check::gradient(|p: &[f64]| objective([P1[0], P1[1], p[0], p[1]]), &P2, &g)
            .assert_below(1e-8);
    }
}

#[test]
fn rules_match_finite_differences_and_each_other() {
    let (dp1, dp2) = ([0.3, -0.7], [0.2, 0.5]);
    let h = 1e-5;
    let at = |t: f64| {
        grad_p2_r(
            [P1[0] + t * dp1[0], P1[1] + t * dp1[1]],
            [P2[0] + t * dp2[0], P2[1] + t * dp2[1]],
        )
    };
    let (p, m) = (at(h), at(-h));
    for (value, tangent) in [
        grad_p2_r_tangent(P1, dp1, P2, dp2),
        grad_p2_f_tangent(P1, dp1, P2, dp2),
    ] {
        assert_relative_eq!(value[1], grad_p2_r(P1, P2)[1], max_relative = 1e-12);
        for k in 0..2 {
            assert_relative_eq!(tangent[k], (p[k] - m[k]) / (2.0 * h), max_relative = 1e-6);
        }
    }
    // <J v, s> == <v, Jᵀ s>
    let s = [0.9, -0.4];
    let (_, jv) = grad_p2_r_tangent(P1, dp1, P2, dp2);
    for (_, (a1, a2)) in [grad_p2_r_vjp(P1, P2, s), grad_p2_f_vjp(P1, P2, s)] {
        let lhs = jv[0] * s[0] + jv[1] * s[1];
        let rhs = a1[0] * dp1[0] + a1[1] * dp1[1] + a2[0] * dp2[0] + a2[1] * dp2[1];
        assert_relative_eq!(lhs, rhs, max_relative = 1e-12);
    }
}

#[test]
fn outer_derivatives_match_finite_differences_and_each_other() {
    let start = [1.0, 1.0];
    let rr = derivative("rr", P1, start).unwrap();
    ad_runtime::check::gradient(|p: &[f64]| max_primal_r([p[0], p[1]], start), &P1, &rr)
        .assert_below(1e-6);
    for v in ["rf", "fr", "ff"] {
        let d = derivative(v, P1, start).unwrap();
        assert_relative_eq!(d[0], rr[0], max_relative = 1e-12);
        assert_relative_eq!(d[1], rr[1], max_relative = 1e-12);
    }
}

#[test]
fn every_variant_finds_the_expected_point() {
    let want = 8.246324826140356e-06;
    for v in ["rr", "rf", "fr", "ff"] {
        let out = run(v, json!({"start": [1.0, 1.0]}), &Runs::ONCE).unwrap();
        let got: Vec<f64> = serde_json::from_value(out.output).unwrap();
        assert_eq!(got.len(), 4);
        for g in got {
            // GradBench allows 1e-4 absolute here; the descent should land on the same point.
            assert_relative_eq!(g, want, max_relative = 1e-9);
        }
    }
    assert!(run("xx", json!({"start": [1.0, 1.0]}), &Runs::ONCE).is_err());
}
