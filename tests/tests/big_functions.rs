//! Large functions, built in the test profile (debug info on, rustc's default stack): one of
//! 1000 statements and one of 400 in a loop's body, the functions the compile-cost benchmark
//! uses (`ad-macros/benches/support/big_fn.rs`, written into `OUT_DIR` by `build.rs`). Their
//! derivatives hold thousands of `let`s; before `emit/scopes.rs` gathered them into blocks, the
//! nested scopes overflowed rustc's stack in a debug build. Checked against central finite
//! differences and forward against reverse mode (the dot-product test).
//!
//! Not linted: clippy's walk over these thousands of generated statements (every lint allowed
//! on them) takes minutes of CI; `cargo test` builds and runs them.
#![cfg(not(clippy))]

use ad_runtime::{derive_grad, derive_tangent};

include!(concat!(env!("OUT_DIR"), "/big_functions.rs"));

/// Central differences of `f` at `p`, one component per input.
fn central(f: impl Fn([f64; 3]) -> f64, p: [f64; 3]) -> [f64; 3] {
    let h = 1e-6;
    std::array::from_fn(|i| {
        let (mut a, mut b) = (p, p);
        a[i] += h;
        b[i] -= h;
        (f(a) - f(b)) / (2.0 * h)
    })
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn a_function_of_1000_statements() {
    let p = [0.3, -0.7, 1.1];
    let (value, g) = big_straight_grad(p[0], p[1], p[2]);
    assert_eq!(value, big_straight(p[0], p[1], p[2]));
    let g = [g.0, g.1, g.2];
    let fd = central(|q| big_straight(q[0], q[1], q[2]), p);
    for i in 0..3 {
        assert!(close(g[i], fd[i], 1e-6), "d/d{i}: {} vs {}", g[i], fd[i]);
    }
    // <J v, w> == <v, J^T w>
    let (v, w) = ([0.4, -1.3, 0.8], 0.7);
    let (_, jv) = big_straight_tangent(p[0], v[0], p[1], v[1], p[2], v[2]);
    let (_, jtw) = big_straight_vjp(p[0], p[1], p[2], w);
    let rhs = v[0] * jtw.0 + v[1] * jtw.1 + v[2] * jtw.2;
    assert!(close(jv * w, rhs, 1e-12), "{} vs {rhs}", jv * w);
}

#[test]
fn a_loop_of_400_statements() {
    let p = [0.3, -0.7, 1.1];
    for n in [0, 1, 4] {
        let (value, g) = big_looped_grad(p[0], p[1], p[2], n);
        assert_eq!(value, big_looped(p[0], p[1], p[2], n));
        let g = [g.0, g.1, g.2];
        let fd = central(|q| big_looped(q[0], q[1], q[2], n), p);
        for i in 0..3 {
            assert!(
                close(g[i], fd[i], 1e-6),
                "n = {n}, d/d{i}: {} vs {}",
                g[i],
                fd[i]
            );
        }
        let (v, w) = ([0.4, -1.3, 0.8], 0.7);
        let (_, jv) = big_looped_tangent(p[0], v[0], p[1], v[1], p[2], v[2], n);
        let (_, jtw) = big_looped_vjp(p[0], p[1], p[2], n, w);
        let rhs = v[0] * jtw.0 + v[1] * jtw.1 + v[2] * jtw.2;
        assert!(close(jv * w, rhs, 1e-12), "n = {n}: {} vs {rhs}", jv * w);
    }
}
