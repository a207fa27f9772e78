//! `#[derive_jacobian]`: full Jacobians by vector forward mode and by reverse mode, checked
//! three ways: against Jacobians by hand, against central finite differences, and forward
//! against reverse (the full matrices, so `<J v, w> == <v, J^T w>` for every `v`, `w`).

// Index loops read like the matrices they fill, and the functions differentiated index memory.
#![allow(clippy::needless_range_loop)]

use ad_runtime::{Jacobian, derive_jacobian};
use ad_tests::{At, HAND, MODES, Tol, central_difference};

/// Checks a Jacobian given as entry functions (forward, reverse, by hand) at point `p` of a
/// function `f` whose outputs are flattened to a `Vec`.
fn check(
    name: &str,
    p: &[f64],
    m: usize,
    f: impl Fn(&[f64]) -> Vec<f64>,
    fwd: impl Fn(usize, usize) -> f64,
    rev: impl Fn(usize, usize) -> f64,
    hand: impl Fn(usize, usize) -> f64,
) {
    let at = At(name, p);
    let value = f(p);
    assert_eq!(value.len(), m, "{name}: output count");
    for i in 0..m {
        for j in 0..p.len() {
            let k = i * p.len() + j;
            let fd = central_difference(|q: &[f64]| f(q)[i], p, j);
            at.close("forward vs hand", k, fwd(i, j), hand(i, j), HAND);
            at.close("reverse vs hand", k, rev(i, j), hand(i, j), HAND);
            at.close("forward vs fd", k, fwd(i, j), fd, Tol::fd(value[i]));
            at.close("forward vs reverse", k, fwd(i, j), rev(i, j), MODES);
        }
    }
}

fn arr<const M: usize, const N: usize>(j: [[f64; N]; M]) -> impl Fn(usize, usize) -> f64 {
    move |i, k| j[i][k]
}

fn dynamic(j: Jacobian<f64>) -> impl Fn(usize, usize) -> f64 {
    move |i, k| j[(i, k)]
}

// ---------------------------------------------------------------------------------------------
// Shapes known at compile time: [F; N] -> [F; M]
// ---------------------------------------------------------------------------------------------

/// All three macros on one function, in any order.
#[ad_runtime::derive_tangent]
#[derive_jacobian]
#[ad_runtime::derive_grad]
fn polar(p: [f64; 2]) -> [f64; 2] {
    [p[0] * p[1].cos(), p[0] * p[1].sin()]
}

#[test]
fn square_arrays() {
    for p in [[2.0, 0.5], [0.3, -1.2], [1.5, 3.0]] {
        let (v1, fwd) = polar_jacfwd(p);
        let (v2, rev) = polar_jacrev(p);
        let (v3, picked) = polar_jacobian(p);
        assert_eq!((v1, v2, v3), (polar(p), polar(p), polar(p)));
        assert_eq!(picked, fwd, "N <= M picks forward mode, bit for bit");
        // Row 1 by `_vjp`, column 0 by `_tangent`: the same numbers.
        assert_eq!(polar_vjp(p, [0.0, 1.0]).1, rev[1]);
        assert_eq!(polar_tangent(p, [1.0, 0.0]).1, [fwd[0][0], fwd[1][0]]);
        let (r, t) = (p[0], p[1]);
        let hand = [[t.cos(), -r * t.sin()], [t.sin(), r * t.cos()]];
        check(
            "polar",
            &p,
            2,
            |q| polar([q[0], q[1]]).to_vec(),
            arr(fwd),
            arr(rev),
            arr(hand),
        );
    }
}

/// A tuple output: a float and an array, three outputs in order.
#[derive_jacobian]
fn tuple_out(x: [f64; 2]) -> (f64, [f64; 2]) {
    (x[0] * x[1], [x[0].sin(), x[1] + 2.0 * x[0]])
}

/// A tuple output with a slice input: the Jacobian is a runtime `Jacobian`.
#[derive_jacobian]
fn tuple_from_slice(x: &[f64]) -> (f64, f64, f64) {
    let s: f64 = x.iter().sum();
    (s * s, x[0] * x[1], (x[1] - x[0]).exp())
}

#[test]
fn tuple_outputs() {
    for p in [[2.0, 0.5], [0.3, -1.2]] {
        let (v1, fwd) = tuple_out_jacfwd(p);
        let (v2, rev) = tuple_out_jacrev(p);
        let (v3, picked) = tuple_out_jacobian(p);
        assert_eq!((v1, v2, v3), (tuple_out(p), tuple_out(p), tuple_out(p)));
        // N = 2 <= M = 3: forward mode.
        assert_eq!(picked, fwd);
        let hand = [[p[1], p[0]], [p[0].cos(), 0.0], [2.0, 1.0]];
        let flat = |q: &[f64]| {
            let (a, [b, c]) = tuple_out([q[0], q[1]]);
            vec![a, b, c]
        };
        check("tuple_out", &p, 3, flat, arr(fwd), arr(rev), arr(hand));
    }
    let x = [0.4, -0.3, 1.1];
    let (value, j) = tuple_from_slice_jacrev(&x);
    assert_eq!(value, tuple_from_slice(&x));
    let (value_fwd, fwd) = tuple_from_slice_jacfwd(&x);
    assert_eq!(value_fwd, value);
    assert_eq!((j.rows(), j.cols()), (3, 3));
    let s: f64 = x.iter().sum();
    let e = (x[1] - x[0]).exp();
    let hand = [[2.0 * s; 3], [x[1], x[0], 0.0], [-e, e, 0.0]];
    let flat = |q: &[f64]| {
        let (a, b, c) = tuple_from_slice(q);
        vec![a, b, c]
    };
    check(
        "tuple_from_slice",
        &x,
        3,
        flat,
        dynamic(fwd),
        dynamic(j),
        arr(hand),
    );
}

/// Five inputs, three outputs, a loop and a branch: 2 forward passes of 4 lanes (the second
/// with 3 unused lanes) against 3 reverse passes.
#[derive_jacobian]
fn mixer(x: [f64; 5]) -> [f64; 3] {
    let mut s = 0.0;
    let mut p = 1.0;
    for i in 0..5 {
        s += x[i] * x[i];
        if x[i] > 0.0 {
            p *= x[i];
        } else {
            p *= 1.0 - x[i];
        }
    }
    [s.sqrt(), p, (x[0] - x[4]).exp() * x[2]]
}

#[test]
fn wide_arrays_with_control_flow() {
    let x = [0.7, -0.4, 1.3, 0.9, -1.1];
    let (v, fwd) = mixer_jacfwd(x);
    let (_, rev) = mixer_jacrev(x);
    let (_, picked) = mixer_jacobian(x);
    assert_eq!(v, mixer(x));
    assert_eq!(picked, rev, "N > M picks reverse mode");
    let s: f64 = x.iter().map(|a| a * a).sum();
    let factor = |a: f64| if a > 0.0 { a } else { 1.0 - a };
    let p: f64 = x.iter().map(|&a| factor(a)).product();
    let e = (x[0] - x[4]).exp();
    let hand: [[f64; 5]; 3] = std::array::from_fn(|i| {
        std::array::from_fn(|j| match i {
            0 => x[j] / s.sqrt(),
            1 => p / factor(x[j]) * if x[j] > 0.0 { 1.0 } else { -1.0 },
            _ => match j {
                0 => e * x[2],
                2 => e,
                4 => -e * x[2],
                _ => 0.0,
            },
        })
    });
    check(
        "mixer",
        &x,
        3,
        |q| mixer(q.try_into().unwrap()).to_vec(),
        arr(fwd),
        arr(rev),
        arr(hand),
    );
}

/// R -> R^4: forward mode, one pass.
#[derive_jacobian]
fn curve(t: f64) -> [f64; 4] {
    [t.cos(), t.sin(), t * t, (2.0 * t).tanh()]
}

/// R^6 -> R: reverse mode, one pass.
#[derive_jacobian(lanes = 2)]
fn energy(q: [f64; 6]) -> f64 {
    let mut e = 0.0;
    for i in 0..5 {
        let d = q[i + 1] - q[i];
        e += d * d * 0.5 + (q[i] * 0.3).cos();
    }
    e
}

#[test]
fn scalar_input_and_scalar_output() {
    let t = 0.8;
    let (v, fwd) = curve_jacfwd(t);
    let (_, rev) = curve_jacrev(t);
    let (_, picked) = curve_jacobian(t);
    assert_eq!(v, curve(t));
    assert_eq!(picked, fwd);
    let c2 = (2.0 * t).cosh();
    let hand = [[-t.sin()], [t.cos()], [2.0 * t], [2.0 / (c2 * c2)]];
    check(
        "curve",
        &[t],
        4,
        |q| curve(q[0]).to_vec(),
        arr(fwd),
        arr(rev),
        arr(hand),
    );

    let q = [0.1, 0.5, -0.3, 0.9, 1.4, -0.7];
    let (v, fwd) = energy_jacfwd(q);
    let (_, rev) = energy_jacrev(q);
    let (_, picked) = energy_jacobian(q);
    assert_eq!(v, energy(q));
    assert_eq!(picked, rev);
    let mut g = [0.0; 6];
    for i in 0..5 {
        let d = q[i + 1] - q[i];
        g[i + 1] += d;
        g[i] += -d - 0.3 * (q[i] * 0.3).sin();
    }
    check(
        "energy",
        &q,
        1,
        |p| vec![energy(p.try_into().unwrap())],
        arr(fwd),
        arr(rev),
        arr([g]),
    );
}

/// Lanes 1, 3 (not dividing N), 8 (more than N) give the same Jacobian.
#[test]
fn lane_counts_agree() {
    #[derive_jacobian(lanes = 3)]
    fn f3(x: [f64; 5]) -> [f64; 2] {
        [x[0] * x[1] * x[2], (x[3] - x[4]).sin() + x[0]]
    }
    #[derive_jacobian(lanes = 8, forward)]
    fn f8(x: [f64; 5]) -> [f64; 2] {
        [x[0] * x[1] * x[2], (x[3] - x[4]).sin() + x[0]]
    }
    #[derive_jacobian(lanes = 1)]
    fn f1(x: [f64; 5]) -> [f64; 2] {
        [x[0] * x[1] * x[2], (x[3] - x[4]).sin() + x[0]]
    }
    let x = [0.3, 1.7, -0.6, 2.0, 0.25];
    let (_, j3) = f3_jacfwd(x);
    let (_, j8) = f8_jacfwd(x);
    let (_, j8b) = f8_jacobian(x);
    let (_, j1) = f1_jacfwd(x);
    let (_, r) = f1_jacrev(x);
    assert_eq!(j3, j1);
    assert_eq!(j8, j1);
    assert_eq!(j8b, j8, "`forward` makes _jacobian forward mode");
    assert_eq!((f8_jacfwd(x).0, f1_jacrev(x).0), (f8(x), f1(x)));
    let c = (x[3] - x[4]).cos();
    let hand = [
        [x[1] * x[2], x[0] * x[2], x[0] * x[1], 0.0, 0.0],
        [1.0, 0.0, 0.0, c, -c],
    ];
    check(
        "f3",
        &x,
        2,
        |q| f3(q.try_into().unwrap()).to_vec(),
        arr(j3),
        arr(r),
        arr(hand),
    );
}

// ---------------------------------------------------------------------------------------------
// Arrays by reference: `&[F; N]` in, `&mut [F; M]` written (an ODE's right-hand side)
// ---------------------------------------------------------------------------------------------

/// The Lorenz system's right-hand side, written as ODE code writes it: the state by reference,
/// the derivative into an output array.
#[derive_jacobian(sparse, wrt(u, du))]
fn lorenz(u: &[f64; 3], sigma: f64, rho: f64, beta: f64, du: &mut [f64; 3]) {
    du[0] = sigma * (u[1] - u[0]);
    du[1] = u[0] * (rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - beta * u[2];
}

#[test]
fn array_reference_in_array_written_out() {
    let (sigma, rho, beta) = (10.0, 28.0, 8.0 / 3.0);
    for u in [[1.0, 2.0, 3.0], [-0.5, 0.7, 20.0]] {
        let mut want = [0.0; 3];
        lorenz(&u, sigma, rho, beta, &mut want);
        let mut du = [9.0; 3];
        let fwd: [[f64; 3]; 3] = lorenz_jacfwd(&u, sigma, rho, beta, &mut du);
        assert_eq!(
            du, want,
            "the output holds the function's value after the Jacobian"
        );
        let mut du = [9.0; 3];
        let rev = lorenz_jacrev(&u, sigma, rho, beta, &mut du);
        assert_eq!(du, want);
        let picked = lorenz_jacobian(&u, sigma, rho, beta, &mut du);
        assert_eq!(picked, fwd, "N <= M picks forward mode");
        let hand = [
            [-sigma, sigma, 0.0],
            [rho - u[2], -1.0, -u[0]],
            [u[1], u[0], -beta],
        ];
        let f = |q: &[f64]| {
            let mut out = [0.0; 3];
            lorenz(&[q[0], q[1], q[2]], sigma, rho, beta, &mut out);
            out.to_vec()
        };
        check("lorenz", &u, 3, f, arr(fwd), arr(rev), arr(hand));
        // Sparse: 8 non-zeros (only du0 does not read u2), the same entries.
        let sparsity = lorenz_sparsity(&u, sigma, rho, beta, &mut du);
        let sparse = lorenz_jacsparse(&u, sigma, rho, beta, &mut du, &sparsity);
        assert_eq!(du, want);
        assert_eq!(sparse.nnz(), 8);
        for i in 0..3 {
            for j in 0..3 {
                let entry = sparse.get(i, j).copied().unwrap_or(0.0);
                assert_eq!(entry, fwd[i][j], "({i}, {j})");
            }
        }
    }
}

/// `&[F; N]` in, an array returned: reverse mode picked (N > M).
#[derive_jacobian]
fn moments(x: &[f64; 4]) -> [f64; 2] {
    let mean = (x[0] + x[1] + x[2] + x[3]) / 4.0;
    let mut square = 0.0;
    for v in x {
        square += (v - mean) * (v - mean);
    }
    [mean, square / 4.0]
}

#[test]
fn array_reference_in_array_returned() {
    let x = [0.3, -1.2, 2.5, 0.8];
    let (v1, fwd) = moments_jacfwd(&x);
    let (v2, rev) = moments_jacrev(&x);
    let (v3, picked) = moments_jacobian(&x);
    assert_eq!((v1, v2, v3), (moments(&x), moments(&x), moments(&x)));
    assert_eq!(picked, rev, "N > M picks reverse mode");
    let mean = x.iter().sum::<f64>() / 4.0;
    // d mean / dx_j = 1/4; d var / dx_j = 2 (x_j - mean) / 4 (the mean's own terms sum to 0).
    let hand = [[0.25; 4], x.map(|v| 0.5 * (v - mean))];
    let f = |q: &[f64]| moments(&[q[0], q[1], q[2], q[3]]).to_vec();
    check("moments", &x, 2, f, arr(fwd), arr(rev), arr(hand));
}

// ---------------------------------------------------------------------------------------------
// Slices: lengths known at run time
// ---------------------------------------------------------------------------------------------

/// The extended Rosenbrock function: R^n -> R, so reverse mode (one pass) is picked.
#[derive_jacobian]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * t;
    }
    g
}

#[test]
fn slice_input_scalar_output() {
    for n in [2, 4, 7, 9] {
        let x: Vec<f64> = (0..n)
            .map(|i| 0.3 + 0.17 * i as f64 - 0.05 * (i * i) as f64)
            .collect();
        let (v, fwd) = rosenbrock_jacfwd(&x);
        let (_, rev) = rosenbrock_jacrev(&x);
        let (_, picked) = rosenbrock_jacobian(&x);
        assert_eq!(v, rosenbrock(&x));
        assert_eq!((fwd.rows(), fwd.cols()), (1, n));
        assert_eq!(picked, rev, "n > 1 output picks reverse mode");
        let g = rosenbrock_gradient(&x);
        check(
            "rosenbrock",
            &x,
            1,
            |q| vec![rosenbrock(q)],
            dynamic(fwd),
            dynamic(rev),
            |_, j| g[j],
        );
    }
}

/// R^n -> R^n through an output parameter: a smoothing stencil whose outputs also depend on the
/// entry values of `y` (which every pass must see unchanged).
#[derive_jacobian]
fn stencil(x: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..n {
        let left = if i == 0 { x[n - 1] } else { x[i - 1] };
        y[i] = 0.5 * y[i] + x[i] * left + (x[i] * 0.5).sin();
    }
}

#[test]
fn slice_input_slice_output() {
    let x = [0.4, -1.1, 0.8, 1.6, -0.2, 0.9];
    let entry = [1.0, 2.0, -1.0, 0.5, 0.25, 3.0];
    let mut want = entry;
    stencil(&x, &mut want);
    let n = x.len();

    let mut y = entry;
    let fwd = stencil_jacfwd(&x, &mut y);
    assert_eq!(
        y, want,
        "the output holds the function's value after the Jacobian"
    );
    let mut y = entry;
    let rev = stencil_jacrev(&x, &mut y);
    assert_eq!(y, want);
    let mut y = entry;
    let picked = stencil_jacobian(&x, &mut y);
    assert_eq!(picked, fwd, "n == m picks forward mode");
    assert_eq!((fwd.rows(), fwd.cols()), (n, n));

    let hand = |i: usize, j: usize| {
        let l = (i + n - 1) % n;
        let mut d = 0.0;
        if j == i {
            d += x[l] + 0.5 * (x[i] * 0.5).cos();
        }
        if j == l {
            d += x[i];
        }
        d
    };
    check(
        "stencil",
        &x,
        n,
        |q| {
            let mut y = entry;
            stencil(q, &mut y);
            y.to_vec()
        },
        dynamic(fwd),
        dynamic(rev),
        hand,
    );
}

/// An array input with a constant parameter and a `&Vec<F>` input: wrt picks the input.
#[derive_jacobian(wrt(x))]
fn scaled(x: [f64; 3], a: f64, k: usize) -> [f64; 3] {
    [a * x[0] * x[k], a * x[1].powi(2), x[2] / a]
}

#[derive_jacobian]
#[allow(clippy::ptr_arg)] // `&Vec<F>` is a supported input; this tests it.
fn from_vec(x: &Vec<f64>) -> [f64; 2] {
    [x[0] * x[1], x[1] * x[2] * x[2]]
}

#[test]
fn constants_and_vec_inputs() {
    let x = [1.5, -0.5, 2.0];
    let (_, fwd) = scaled_jacfwd(x, 3.0, 2);
    let (_, rev) = scaled_jacrev(x, 3.0, 2);
    let hand = [
        [3.0 * x[2], 0.0, 3.0 * x[0]],
        [0.0, 6.0 * x[1], 0.0],
        [0.0, 0.0, 1.0 / 3.0],
    ];
    check(
        "scaled",
        &x,
        3,
        |q| scaled(q.try_into().unwrap(), 3.0, 2).to_vec(),
        arr(fwd),
        arr(rev),
        arr(hand),
    );

    let v = vec![0.5, 1.5, -2.0];
    let (_, fwd) = from_vec_jacfwd(&v);
    let (_, rev) = from_vec_jacrev(&v);
    let hand = [[v[1], v[0], 0.0], [0.0, v[2] * v[2], 2.0 * v[1] * v[2]]];
    check(
        "from_vec",
        &v,
        2,
        |q| from_vec(&q.to_vec()).to_vec(),
        dynamic(fwd),
        dynamic(rev),
        arr(hand),
    );
}

// ---------------------------------------------------------------------------------------------
// Generics, methods, and the mode override
// ---------------------------------------------------------------------------------------------

#[derive_jacobian]
fn generic<T: ad_runtime::Float>(x: [T; 2]) -> [T; 2] {
    [x[0].exp() * x[1], x[0] - x[1].sin()]
}

#[test]
fn generic_at_f32_and_f64() {
    let (v, j64) = generic_jacobian([0.5_f64, 1.0]);
    assert_eq!(v, generic([0.5, 1.0]));
    let (_, j32) = generic_jacrev([0.5_f32, 1.0]);
    let hand = [[0.5_f64.exp(), 0.5_f64.exp()], [1.0, -1.0_f64.cos()]];
    for i in 0..2 {
        for j in 0..2 {
            assert!((j64[i][j] - hand[i][j]).abs() < 1e-14);
            assert!((f64::from(j32[i][j]) - hand[i][j]).abs() < 1e-6);
        }
    }
}

struct Arm {
    lengths: [f64; 2],
}

impl Arm {
    /// The tip of a two-link planar arm: the robotics Jacobian.
    #[derive_jacobian(reverse)]
    fn tip(&self, q: [f64; 2]) -> [f64; 2] {
        let a = q[0] + q[1];
        [
            self.lengths[0] * q[0].cos() + self.lengths[1] * a.cos(),
            self.lengths[0] * q[0].sin() + self.lengths[1] * a.sin(),
        ]
    }
}

#[test]
fn methods_and_the_reverse_override() {
    let arm = Arm {
        lengths: [1.0, 0.7],
    };
    let q = [0.4, 1.1];
    let (v, j) = arm.tip_jacobian(q);
    let (_, r) = arm.tip_jacrev(q);
    assert_eq!(v, arm.tip(q));
    assert_eq!(j, r);
    let (l1, l2, a) = (arm.lengths[0], arm.lengths[1], q[0] + q[1]);
    let hand = [
        [-l1 * q[0].sin() - l2 * a.sin(), -l2 * a.sin()],
        [l1 * q[0].cos() + l2 * a.cos(), l2 * a.cos()],
    ];
    check(
        "tip",
        &q,
        2,
        |p| arm.tip(p.try_into().unwrap()).to_vec(),
        arr(j),
        arr(r),
        arr(hand),
    );
}

// ---------------------------------------------------------------------------------------------
// Calls: in vector forward mode, the callee's scalar forward mode once per lane
// ---------------------------------------------------------------------------------------------

#[ad_runtime::derive_tangent]
#[ad_runtime::derive_grad]
fn soft(a: f64, b: f64) -> f64 {
    (a.exp() + b.exp()).ln()
}

#[ad_runtime::derive_tangent]
#[ad_runtime::derive_grad]
fn weighted(w: &[f64], s: f64) -> f64 {
    let mut t = 0.0;
    for i in 0..w.len() {
        t += w[i] * w[i] * s;
    }
    t
}

#[derive_jacobian(lanes = 2)]
fn through_calls(x: [f64; 3]) -> [f64; 2] {
    [
        soft(x[0], x[1] * x[2]),
        weighted(&x, x[0]) + soft(x[2], 1.0),
    ]
}

#[test]
fn calls_in_both_modes() {
    let x = [0.3, -0.8, 1.4];
    let (v, fwd) = through_calls_jacfwd(x);
    let (_, rev) = through_calls_jacrev(x);
    assert_eq!(v, through_calls(x));
    let (e0, e1) = (x[0].exp(), (x[1] * x[2]).exp());
    let s0 = e0 + e1;
    let q: f64 = x.iter().map(|a| a * a).sum();
    let e2 = x[2].exp();
    let s2 = e2 + 1.0_f64.exp();
    let hand = [
        [e0 / s0, e1 / s0 * x[2], e1 / s0 * x[1]],
        [
            2.0 * x[0] * x[0] + q,
            2.0 * x[1] * x[0],
            2.0 * x[2] * x[0] + e2 / s2,
        ],
    ];
    check(
        "through_calls",
        &x,
        2,
        |p| through_calls(p.try_into().unwrap()).to_vec(),
        arr(fwd),
        arr(rev),
        arr(hand),
    );
}

/// Two outputs written through `&mut`, a fixed array and a slice: their outputs one after the
/// other, rows 0-1 then 2-4.
#[derive_jacobian(wrt(s, pos, vel), sparse)]
fn split_outputs(s: &[f64; 3], k: f64, pos: &mut [f64; 2], vel: &mut [f64]) {
    let [x, v, c] = *s;
    *pos = [x + 0.1 * v, x * v];
    vel[0] = v - 0.1 * (k * x + c * v);
    vel[1] = (x * c).sin();
    vel[2] = c * c;
}

/// Two fixed arrays written: the Jacobian is `[[f64; 2]; 4]`.
#[derive_jacobian(wrt(u, a, b))]
fn two_arrays(u: &[f64; 2], a: &mut [f64; 3], b: &mut [f64; 1]) {
    a[0] = u[0] * u[1];
    a[1] = u[0].exp();
    a[2] = u[1] * u[1];
    b[0] = u[0] - u[1];
}

#[test]
fn several_outputs_written_through_mut() {
    let k = 2.0;
    for s in [[0.5, -1.0, 0.3], [-0.2, 0.4, 1.1]] {
        let [x, v, c] = s;
        let (mut pos, mut vel) = ([9.0; 2], vec![9.0; 3]);
        let fwd = split_outputs_jacfwd(&s, k, &mut pos, &mut vel);
        let (mut want_pos, mut want_vel) = ([0.0; 2], vec![0.0; 3]);
        split_outputs(&s, k, &mut want_pos, &mut want_vel);
        assert_eq!(
            (pos, &vel),
            (want_pos, &want_vel),
            "the outputs hold the value"
        );
        let rev = split_outputs_jacrev(&s, k, &mut pos, &mut vel);
        assert_eq!((pos, &vel), (want_pos, &want_vel));
        let hand = [
            [1.0, 0.1, 0.0],
            [v, x, 0.0],
            [-0.1 * k, 1.0 - 0.1 * c, -0.1 * v],
            [c * (x * c).cos(), 0.0, x * (x * c).cos()],
            [0.0, 0.0, 2.0 * c],
        ];
        let f = |q: &[f64]| {
            let (mut p, mut w) = ([0.0; 2], vec![0.0; 3]);
            split_outputs(&[q[0], q[1], q[2]], k, &mut p, &mut w);
            p.iter().chain(&w).copied().collect()
        };
        check(
            "split_outputs",
            &s,
            5,
            f,
            |i, j| fwd[(i, j)],
            |i, j| rev[(i, j)],
            arr(hand),
        );
        let pattern = split_outputs_sparsity(&s, k, &mut pos, &mut vel);
        let sparse = split_outputs_jacsparse(&s, k, &mut pos, &mut vel, &pattern);
        assert_eq!(sparse.nnz(), 10);
        for i in 0..5 {
            for j in 0..3 {
                assert_eq!(sparse.get(i, j).copied().unwrap_or(0.0), fwd[(i, j)]);
            }
        }
    }
    let u = [0.7, -0.4];
    let (mut a, mut b) = ([0.0; 3], [0.0; 1]);
    let fwd: [[f64; 2]; 4] = two_arrays_jacfwd(&u, &mut a, &mut b);
    let rev = two_arrays_jacrev(&u, &mut a, &mut b);
    let picked = two_arrays_jacobian(&u, &mut a, &mut b);
    assert_eq!(picked, fwd, "N <= M picks forward mode");
    let hand = [
        [u[1], u[0]],
        [u[0].exp(), 0.0],
        [0.0, 2.0 * u[1]],
        [1.0, -1.0],
    ];
    let f = |q: &[f64]| {
        let (mut a, mut b) = ([0.0; 3], [0.0; 1]);
        two_arrays(&[q[0], q[1]], &mut a, &mut b);
        a.iter().chain(&b).copied().collect()
    };
    check("two_arrays", &u, 4, f, arr(fwd), arr(rev), arr(hand));
}
