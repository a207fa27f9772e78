//! A first check of calls between annotated functions (free, by path, generic, methods).
#![allow(dead_code)]

use ad_runtime::{Float, custom_grad, custom_tangent, derive_grad, derive_tangent};

#[derive_tangent]
#[derive_grad]
fn sq(x: f64) -> f64 {
    x * x
}

mod inner {
    use ad_runtime::{derive_grad, derive_tangent};

    #[derive_tangent]
    #[derive_grad]
    pub fn scaled_sin(x: f64, k: f64, n: usize) -> f64 {
        k * x.sin() * n as f64
    }
}

// A callee brought in by `use` needs its companions too: a glob import brings them.
use inner::*;

#[derive_tangent]
#[derive_grad]
fn caller(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += sq(x * y + i as f64) + scaled_sin(y, 2.0, i) + crate::inner::scaled_sin(x, y, 2);
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn generic_sq<T: Float>(x: T) -> T {
    x * x + x.sin()
}

#[derive_tangent]
#[derive_grad]
fn calls_generic(x: f64) -> f64 {
    generic_sq(x) * 2.0
}

struct Model {
    a: f64,
}

impl Model {
    #[derive_tangent]
    #[derive_grad]
    fn energy(&self, x: f64) -> f64 {
        self.a * x * x
    }

    #[derive_tangent]
    #[derive_grad]
    fn total(&self, x: f64, y: f64) -> f64 {
        self.energy(x) + self.energy(y * x)
    }
}

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
}

#[test]
fn smoke() {
    let (x, y) = (0.4, 1.3);
    let (_, (gx, gy)) = caller_grad(x, y);
    let (_, tx) = caller_tangent(x, 1.0, y, 0.0);
    let (_, ty) = caller_tangent(x, 0.0, y, 1.0);
    assert!(
        (gx - tx).abs() < 1e-12 && (gy - ty).abs() < 1e-12,
        "{gx} {tx} {gy} {ty}"
    );
    assert!((gx - fd(|x| caller(x, y), x)).abs() < 1e-6);
    assert!((gy - fd(|y| caller(x, y), y)).abs() < 1e-6);
    let (_, g) = calls_generic_grad(x);
    assert!((g - 2.0 * (2.0 * x + x.cos())).abs() < 1e-14);
    let m = Model { a: 1.7 };
    let (_, (mx, my)) = m.total_grad(x, y);
    let (_, tx) = m.total_tangent(x, 1.0, y, 0.0);
    assert!((mx - tx).abs() < 1e-12);
    assert!((mx - fd(|x| m.total(x, y), x)).abs() < 1e-6);
    assert!((my - fd(|y| m.total(x, y), y)).abs() < 1e-6);
}

/// A numerically careful log(e^a + e^b), given its derivative by hand.
#[custom_tangent(lse_tangent_rule)]
#[custom_grad(lse_vjp_rule)]
fn lse(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

fn lse_tangent_rule(a: f64, da: f64, b: f64, db: f64) -> (f64, f64) {
    let v = lse(a, b);
    let (wa, wb) = ((a - v).exp(), (b - v).exp());
    (v, wa * da + wb * db)
}

fn lse_vjp_rule(a: f64, b: f64, seed: f64) -> (f64, (f64, f64)) {
    let v = lse(a, b);
    (v, (seed * (a - v).exp(), seed * (b - v).exp()))
}

#[derive_tangent]
#[derive_grad]
fn soft_sum(x: f64, n: usize) -> f64 {
    let mut acc = x;
    for i in 0..n {
        acc = lse(acc, x * i as f64);
    }
    acc
}

#[test]
fn user_rules() {
    let (_, g) = lse_grad(1.0, 2.0);
    let e = (1f64.exp(), 2f64.exp());
    assert!((g.0 - e.0 / (e.0 + e.1)).abs() < 1e-15 && (g.1 - e.1 / (e.0 + e.1)).abs() < 1e-15);
    for x in [0.3, -0.8] {
        let (v, g) = soft_sum_grad(x, 5);
        let (w, t) = soft_sum_tangent(x, 1.0, 5);
        assert_eq!(v, w);
        assert!((g - t).abs() < 1e-12, "{g} {t}");
        assert!((g - fd(|x| soft_sum(x, 5), x)).abs() < 1e-6);
    }
}
