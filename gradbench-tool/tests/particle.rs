//! `particle`: each generated piece against finite differences, forward against reverse, and
//! the four variants against GradBench's expected answer.

use ad_gradbench::evals::particle::*;
use ad_gradbench::protocol::Runs;
use approx::assert_relative_eq;
use serde_json::json;

const Z: [f64; 6] = [1.3, 7.2, 10.0, 9.6, 10.0, 0.0];

fn split(z: &[f64]) -> ([f64; 2], [f64; 4]) {
    ([z[0], z[1]], [z[2], z[3], z[4], z[5]])
}

#[test]
fn inner_gradients_match_finite_differences() {
    let (x, c) = split(&Z);
    for g in [grad_x_r(x, c), grad_x_f(x, c)] {
        let report = ad_runtime::check::gradient(
            |p: &[f64]| accel([p[0], p[1], c[0], c[1], c[2], c[3]]),
            &x,
            &g,
        );
        report.assert_below(1e-8);
    }
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
        grad_x_r(x, c)
    };
    let (p, m) = (at(h), at(-h));
    let fd = [(p[0] - m[0]) / (2.0 * h), (p[1] - m[1]) / (2.0 * h)];
    for (value, tangent) in [
        grad_x_r_tangent(x, dx, c, dc),
        grad_x_f_tangent(x, dx, c, dc),
    ] {
        assert_relative_eq!(value[0], grad_x_r(x, c)[0], max_relative = 1e-12);
        assert_relative_eq!(tangent[0], fd[0], max_relative = 1e-6);
        assert_relative_eq!(tangent[1], fd[1], max_relative = 1e-6);
    }
    // Dot-product test: <J v, s> == <v, Jᵀ s> for both reverse rules.
    let s = [0.9, -0.4];
    let (_, jv) = grad_x_r_tangent(x, dx, c, dc);
    for (_, (ax, ac)) in [grad_x_r_vjp(x, c, s), grad_x_f_vjp(x, c, s)] {
        let lhs = jv[0] * s[0] + jv[1] * s[1];
        let rhs: f64 = ax.iter().chain(&ac).zip(&v).map(|(a, b)| a * b).sum();
        assert_relative_eq!(lhs, rhs, max_relative = 1e-12);
    }
}

#[test]
fn outer_derivatives_match_finite_differences_and_each_other() {
    for w in [0.0, 0.15] {
        let h = 1e-6;
        let fd = (naive_euler_r(w + h) - naive_euler_r(w - h)) / (2.0 * h);
        assert_relative_eq!(naive_euler_r(w), naive_euler_f(w), max_relative = 1e-12);
        let rr = derivative("rr", w).unwrap();
        assert_relative_eq!(rr, fd, max_relative = 1e-5);
        for v in ["rf", "fr", "ff"] {
            assert_relative_eq!(derivative(v, w).unwrap(), rr, max_relative = 1e-10);
        }
    }
}

#[test]
fn every_variant_finds_the_expected_w() {
    for v in ["rr", "rf", "fr", "ff"] {
        let out = run(v, json!({"w": 0.0}), &Runs::ONCE).unwrap();
        let w = out.output.as_f64().unwrap();
        assert!(
            (w - 0.2071918746486116).abs() <= 1e-4 * (1.0 + w.abs()),
            "{v}: {w}"
        );
    }
    assert!(run("xx", json!({"w": 0.0}), &Runs::ONCE).is_err());
}
