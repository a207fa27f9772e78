//! `#[derive_grad(hessian)]`: Hessian-vector products and Hessians by forward over reverse (the
//! tangent transform run over the reverse transform's code), checked against Hessians by hand,
//! central finite differences of the generated gradient, and their own symmetry.

// Index loops read like the matrices they fill, and the functions differentiated index memory.
#![allow(clippy::needless_range_loop)]

use ad_runtime::{Float, derive_grad};
use ad_tests::{At, HAND, MODES, check_hessian as check};

// ---------------------------------------------------------------------------------------------
// Rosenbrock: arrays and slices, against the Hessian by hand
// ---------------------------------------------------------------------------------------------

#[derive_grad(hessian)]
fn rosen2(x: [f64; 2]) -> f64 {
    let a = 1.0 - x[0];
    let b = x[1] - x[0] * x[0];
    a * a + 100.0 * b * b
}

/// The extended Rosenbrock function over a slice.
#[derive_grad(hessian)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

/// The extended Rosenbrock Hessian by hand: tridiagonal.
fn rosenbrock_hessian_by_hand(x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n - 1 {
        h[i][i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[i + 1][i + 1] += 200.0;
        h[i][i + 1] += -400.0 * x[i];
        h[i + 1][i] += -400.0 * x[i];
    }
    h
}

#[test]
fn rosenbrock_array_and_slice() {
    for p in [[0.5, 0.3], [-1.2, 1.0], [1.0, 1.0], [2.0, -0.7]] {
        let (v, g, h) = rosen2_hessian(p);
        let (v2, g2) = rosen2_grad(p);
        assert_eq!((v, g), (v2, g2), "value and gradient equal _grad's");
        assert_eq!(v, rosen2(p));
        let hand = rosenbrock_hessian_by_hand(&p);
        check(
            "rosen2",
            &p,
            |i, j| h[i][j],
            Some(&|i, j| hand[i][j]),
            |q| rosen2_grad([q[0], q[1]]).1.to_vec(),
        );
        // One product against the matrix.
        let dir = [0.3, -1.1];
        let (_, _, hv) = rosen2_hvp(p, dir);
        for i in 0..2 {
            let want = h[i][0] * dir[0] + h[i][1] * dir[1];
            At("rosen2 hvp", &p).close("Hv vs H v", i, hv[i], want, MODES);
        }
    }
    for n in [2, 3, 6, 10] {
        let x: Vec<f64> = (0..n).map(|i| 0.4 + 0.3 * (i as f64).sin()).collect();
        let (v, g, h) = rosenbrock_hessian(&x);
        let mut g_rev = vec![0.0; n];
        assert_eq!(v, rosenbrock_vjp(&x, &mut g_rev, 1.0));
        assert_eq!(v, rosenbrock(&x));
        assert_eq!(g, g_rev);
        assert_eq!((h.rows(), h.cols()), (n, n));
        let hand = rosenbrock_hessian_by_hand(&x);
        check(
            "rosenbrock",
            &x,
            |i, j| h[(i, j)],
            Some(&|i, j| hand[i][j]),
            |q| {
                let mut g = vec![0.0; q.len()];
                rosenbrock_vjp(q, &mut g, 1.0);
                g
            },
        );
        let dir: Vec<f64> = (0..n).map(|i| 1.0 - 0.25 * i as f64).collect();
        let (_, _, hv) = rosenbrock_hvp(&x, &dir);
        for i in 0..n {
            let want: f64 = (0..n).map(|j| h[(i, j)] * dir[j]).sum();
            At("rosenbrock hvp", &x).close("Hv vs H v", i, hv[i], want, HAND);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Control flow: a recurrence whose reverse pass reads a stack, branches, early return
// ---------------------------------------------------------------------------------------------

/// The reverse pass pops `x` from a stack each step; its tangent pops from a tangent stack.
#[derive_grad(hessian)]
fn recurrence(x0: f64) -> f64 {
    let mut x = x0;
    for _ in 0..25 {
        x = x + 0.1 * x.sin() * x;
    }
    x
}

#[derive_grad(hessian)]
fn branchy(p: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        if p[i] > 0.5 {
            s += p[i] * p[i] * p[(i + 1) % 3];
        } else {
            s += (p[i] * 2.0).exp() / (1.0 + p[(i + 2) % 3] * p[(i + 2) % 3]);
        }
        if s > 10.0 {
            return s.sqrt();
        }
    }
    s
}

#[test]
fn loops_stacks_and_branches() {
    for x0 in [0.3, 1.1, -0.8] {
        let (v, g, h) = recurrence_hessian(x0);
        // `_hessian` is forward over reverse: its gradient is reverse mode's, bit for bit
        // (`_grad` itself runs in forward mode here, by the mode-choice rule).
        assert_eq!((v, g), recurrence_vjp(x0, 1.0));
        assert_eq!(v, recurrence(x0));
        check(
            "recurrence",
            &[x0],
            |_, _| h,
            None,
            |q| vec![recurrence_grad(q[0]).1],
        );
    }
    for p in [[0.2, 0.9, 0.4], [1.5, 1.2, 2.5], [0.7, 0.1, 0.45]] {
        let (v, _, h) = branchy_hessian(p);
        assert_eq!(v, branchy(p));
        check(
            "branchy",
            &p,
            |i, j| h[i][j],
            None,
            |q| branchy_grad([q[0], q[1], q[2]]).1.to_vec(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Every differentiable method: the second derivatives of the runtime's rules
// ---------------------------------------------------------------------------------------------

#[derive_grad(hessian)]
fn every_method(x: [f64; 4]) -> f64 {
    let (a, b, c, d) = (x[0], x[1], x[2], x[3]);
    let unary = a.sin()
        + a.cos() * b
        + (0.3 * a).tan()
        + (0.5 * b).asin()
        + (0.4 * c).acos()
        + a.atan() * c
        + b.sinh() * 0.1
        + c.cosh() * 0.2
        + d.tanh() * a
        + a.asinh()
        + (c + 1.5).acosh()
        + (0.5 * d).atanh()
        + (0.3 * b).exp()
        + (0.2 * a).exp2()
        + (0.1 * c).exp_m1()
        + (b + 2.0).ln()
        + (c + 2.0).log2()
        + (d + 2.0).log10()
        + a.abs().ln_1p()
        + (b * b + 1.0).sqrt()
        + (c + 3.0).cbrt()
        + (d - 3.0).abs() * a
        + (a + 2.0).recip()
        + b.to_degrees() * 0.01 * c
        + d.to_radians() * a;
    let binary = a.powi(3) * b
        + (b + 2.0).powf(c)
        + a.atan2(d + 0.5)
        + b.hypot(c)
        + (a + 2.0).log(d + 3.0)
        + a.max(b) * c
        + c.min(d) * a
        + a.mul_add(b, c) * d
        + (a * b) / (c + 2.0)
        + (a * 3.0) % 1.7
        + (c * a).clamp(-0.3, 0.5) * b
        + {
            let (s, co) = (d * a).sin_cos();
            s * co
        };
    unary + binary
}

#[test]
fn second_derivatives_of_every_rule() {
    for p in [
        [0.3, 0.7, 0.2, 0.9],
        [-0.4, 0.25, 0.6, -0.3],
        [0.8, -0.2, -0.4, 0.1],
    ] {
        let (v, g, h) = every_method_hessian(p);
        assert_eq!((v, g), every_method_grad(p));
        assert_eq!(v, every_method(p));
        check(
            "every_method",
            &p,
            |i, j| h[i][j],
            None,
            |q| every_method_grad([q[0], q[1], q[2], q[3]]).1.to_vec(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Generics, constants, methods
// ---------------------------------------------------------------------------------------------

#[derive_grad(hessian, wrt(x))]
fn generic<T: Float>(x: [T; 2], scale: T) -> T {
    scale * x[0].exp() * x[1] * x[1]
}

#[test]
fn generic_at_f32_and_f64_with_a_constant() {
    let p = [0.5_f64, -1.5];
    let (v, _, h) = generic_hessian(p, 2.0);
    assert_eq!(v, generic(p, 2.0));
    let e = 2.0 * p[0].exp();
    let hand = [[e * p[1] * p[1], 2.0 * e * p[1]], [2.0 * e * p[1], 2.0 * e]];
    check(
        "generic",
        &p,
        |i, j| h[i][j],
        Some(&|i, j| hand[i][j]),
        |q| generic_grad([q[0], q[1]], 2.0).1.to_vec(),
    );
    let (_, _, h32) = generic_hessian([0.5_f32, -1.5], 2.0);
    for i in 0..2 {
        for j in 0..2 {
            assert!((f64::from(h32[i][j]) - hand[i][j]).abs() < 1e-5 * hand[i][j].abs().max(1.0));
        }
    }
}

struct Spring {
    k: f64,
}

impl Spring {
    /// The energy of a chain of springs between fixed ends.
    #[derive_grad(hessian)]
    fn energy(&self, q: &[f64]) -> f64 {
        let mut e = 0.0;
        let mut prev = 0.0;
        for &qi in q {
            let d = qi - prev;
            e += 0.5 * self.k * d * d + 0.1 * d * d * d * d;
            prev = qi;
        }
        e
    }
}

#[test]
fn methods() {
    let s = Spring { k: 3.0 };
    let q = [0.2, -0.1, 0.4, 0.3];
    let (v, _, h) = s.energy_hessian(&q);
    assert_eq!(v, s.energy(&q));
    check(
        "spring",
        &q,
        |i, j| h[(i, j)],
        None,
        |p| {
            let mut g = vec![0.0; p.len()];
            s.energy_vjp(p, &mut g, 1.0);
            g
        },
    );
}

/// The shared model, with a constant length parameter, gives the same Hessian.
#[test]
fn shared_model_with_a_constant() {
    let x = [0.3, 0.9, -0.4, 1.2, 0.7];
    let (v, g, h) = ad_tests::models::rosenbrock_hessian(&x, x.len());
    let (v2, g2, h2) = rosenbrock_hessian(&x);
    assert_eq!((v, g), (v2, g2));
    assert_eq!(h, h2);
    // Only the first three entries take part when n = 3.
    let (_, _, h3) = ad_tests::models::rosenbrock_hessian(&x, 3);
    let (_, _, want) = rosenbrock_hessian(&x[..3]);
    for i in 0..5 {
        for j in 0..5 {
            let w = if i < 3 && j < 3 { want[(i, j)] } else { 0.0 };
            assert_eq!(h3[(i, j)], w, "({i}, {j})");
        }
    }
}

/// Several differentiated parameters of several shapes, and a constant: the Hessian is over
/// `(a, b[0], b[1], c[0], .., c[m-1])`.
#[derive_grad(hessian, wrt(a, b, c))]
fn mixed(a: f64, b: [f64; 2], c: &[f64], k: f64) -> f64 {
    let mut s = a * a * b[0] + (a * b[1]).sin();
    for i in 0..c.len() {
        s += k * (c[i] * c[i] * a + b[0] * c[i] * c[i] * c[i]);
    }
    s
}

/// Two scalars: the shape the old refusal named.
#[derive_grad(hessian)]
fn two_scalars(x: f64, y: f64) -> f64 {
    x * x * y + (x - y).exp()
}

#[test]
fn several_differentiated_parameters() {
    let k = 0.7;
    let (a, b, c) = (0.8, [1.3, -0.6], vec![0.4, -1.1, 0.9]);
    let m = c.len();
    let flat: Vec<f64> = [a, b[0], b[1]]
        .into_iter()
        .chain(c.iter().copied())
        .collect();
    let unflat = |z: &[f64]| (z[0], [z[1], z[2]], z[3..].to_vec());
    let grad = |z: &[f64]| {
        let (a, b, c) = unflat(z);
        let mut dc = vec![0.0; c.len()];
        let (_, (ga, gb)) = mixed_grad(a, b, &c, &mut dc, k);
        let mut g = vec![ga, gb[0], gb[1]];
        g.extend(dc);
        g
    };
    let (value, (ga, gb, gc), h) = mixed_hessian(a, b, &c, k);
    assert_eq!(value, mixed(a, b, &c, k));
    assert_eq!((h.rows(), h.cols()), (3 + m, 3 + m));
    let mut g = vec![ga, gb[0], gb[1]];
    g.extend(&gc);
    assert_eq!(g, grad(&flat));
    // By hand, with S2 = sum c_i^2, S3 = sum c_i^3.
    let hand = |i: usize, j: usize| -> f64 {
        let (i, j) = (i.min(j), i.max(j));
        let s = (a * b[1]).sin();
        match (i, j) {
            (0, 0) => 2.0 * b[0] - b[1] * b[1] * s,
            (0, 1) => 2.0 * a,
            (0, 2) => (a * b[1]).cos() - a * b[1] * s,
            (0, j) => 2.0 * k * c[j - 3],
            (1, j) if j >= 3 => 3.0 * k * c[j - 3] * c[j - 3],
            (2, 2) => -a * a * s,
            (i, j) if i >= 3 && i == j => k * (2.0 * a + 6.0 * b[0] * c[i - 3]),
            _ => 0.0,
        }
    };
    check("mixed", &flat, |i, j| h[(i, j)], Some(&hand), grad);
    // One Hessian-vector product along (va, vb, vc) is H times the stacked direction.
    let (va, vb, vc) = (0.5, [-1.0, 2.0], vec![0.3, 0.1, -0.7]);
    let v: Vec<f64> = [va, vb[0], vb[1]]
        .into_iter()
        .chain(vc.iter().copied())
        .collect();
    let (value2, (ga2, _, _), (ha, hb, hc)) = mixed_hvp(a, va, b, vb, &c, &vc, k);
    assert_eq!((value2, ga2), (value, ga));
    let hv: Vec<f64> = [ha, hb[0], hb[1]].into_iter().chain(hc).collect();
    let at = At("mixed_hvp", &flat);
    for i in 0..3 + m {
        let want: f64 = (0..3 + m).map(|j| hand(i, j) * v[j]).sum();
        at.close("hvp vs hand", i, hv[i], want, HAND);
    }

    let (x, y) = (0.4, 1.5);
    let (value, (gx, gy), h) = two_scalars_hessian(x, y);
    assert_eq!((value, (gx, gy)), two_scalars_grad(x, y));
    assert_eq!(value, two_scalars(x, y));
    let e = (x - y).exp();
    let hand = [[2.0 * y + e, 2.0 * x - e], [2.0 * x - e, e]];
    let g2 = |z: &[f64]| {
        let (_, (gx, gy)) = two_scalars_grad(z[0], z[1]);
        vec![gx, gy]
    };
    check(
        "two_scalars",
        &[x, y],
        |i, j| h[(i, j)],
        Some(&|i, j| hand[i][j]),
        g2,
    );
}
