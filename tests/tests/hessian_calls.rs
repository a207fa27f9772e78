//! Hessians through calls: `#[derive_grad(hessian)]` on a function that calls other
//! `#[derive_grad(hessian)]` functions, which write the second-order companions the caller's
//! forward-over-reverse code runs. Each Hessian is checked against one by hand, against central
//! finite differences of the generated gradient, for symmetry, and against the Hessian of the
//! same function written without calls.

#![allow(clippy::needless_range_loop)]

use ad_runtime::{Float, derive_grad};
use ad_tests::{At, HAND, MODES, Tol, central_difference, check_hessian};

/// Checks an `n` × `n` Hessian at `p` against one by hand (if any), finite differences of the
/// gradient `grad` and symmetry (`ad_tests::check_hessian`), and against `inline` (if any: the
/// function written without calls).
fn check(
    name: &str,
    p: &[f64],
    h: impl Fn(usize, usize) -> f64,
    hand: Option<&dyn Fn(usize, usize) -> f64>,
    inline: Option<&dyn Fn(usize, usize) -> f64>,
    grad: impl Fn(&[f64]) -> Vec<f64>,
) {
    check_hessian(name, p, &h, hand, grad);
    if let Some(inline) = inline {
        let (at, n) = (At(name, p), p.len());
        for i in 0..n {
            for j in 0..n {
                at.close(
                    "H vs without calls",
                    i * n + j,
                    h(i, j),
                    inline(i, j),
                    MODES,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A call chain three deep: f → g → h → k
// ---------------------------------------------------------------------------------------------

#[derive_grad(hessian)]
fn k(u: f64) -> f64 {
    u.exp()
}

#[derive_grad(hessian)]
fn h(u: f64, w: f64) -> f64 {
    k(u * w) + u * u
}

#[derive_grad(hessian)]
fn g(x: f64, y: f64) -> f64 {
    h(x, y) * y
}

/// `sin(G)`, `G = (e^{xy} + x²) y`, through three calls.
#[derive_grad(hessian)]
fn chain(p: [f64; 2]) -> f64 {
    g(p[0], p[1]).sin()
}

/// The same function, no calls.
#[derive_grad(hessian)]
fn chain_inline(p: [f64; 2]) -> f64 {
    let (x, y) = (p[0], p[1]);
    (((x * y).exp() + x * x) * y).sin()
}

/// The Hessian of `sin(G)` by hand: `cos G · ∂²G − sin G · ∇G ∇Gᵀ`.
fn chain_by_hand(p: [f64; 2]) -> [[f64; 2]; 2] {
    let [x, y] = p;
    let e = (x * y).exp();
    let big = (e + x * x) * y;
    let gx = y * y * e + 2.0 * x * y;
    let gy = e + x * y * e + x * x;
    let gxx = y * y * y * e + 2.0 * y;
    let gxy = 2.0 * y * e + x * y * y * e + 2.0 * x;
    let gyy = 2.0 * x * e + x * x * y * e;
    let (c, s) = (big.cos(), big.sin());
    [
        [c * gxx - s * gx * gx, c * gxy - s * gx * gy],
        [c * gxy - s * gx * gy, c * gyy - s * gy * gy],
    ]
}

#[test]
fn a_call_chain_three_deep() {
    for p in [[0.3, 0.7], [-0.5, 1.1], [1.2, -0.4]] {
        let (value, grad, hess) = chain_hessian(p);
        let (value_inline, _, hess_inline) = chain_inline_hessian(p);
        let at = At("chain value", &p);
        at.close("value", 0, value, chain(p), MODES);
        at.close("value", 0, value_inline, chain_inline(p), MODES);
        let (_, grad_inline) = chain_inline_grad(p);
        for i in 0..2 {
            at.close("gradient", i, grad[i], grad_inline[i], MODES);
        }
        let hand = chain_by_hand(p);
        check(
            "chain",
            &p,
            |i, j| hess[i][j],
            Some(&|i, j| hand[i][j]),
            Some(&|i, j| hess_inline[i][j]),
            |q| chain_grad([q[0], q[1]]).1.to_vec(),
        );
        // One Hessian-vector product, against H v by hand.
        let v = [0.25, -1.5];
        let (_, _, hv) = chain_hvp(p, v);
        for i in 0..2 {
            let want = hand[i][0] * v[0] + hand[i][1] * v[1];
            at.close("H v", i, hv[i], want, HAND);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A loop with a call: a chain of springs over a slice
// ---------------------------------------------------------------------------------------------

/// One spring between neighbours `a` and `b`, of stiffness `s` and rest length 1 (a constant
/// argument), with a bending term. With `chain_energy`, the guide's example ("Second order").
#[derive_grad(second_order, wrt(a, b))]
fn spring(a: f64, b: f64, s: f64) -> f64 {
    let d = b - a - 1.0;
    0.5 * s * d * d + 0.1 * (a * b).cos()
}

#[derive_grad(hessian)]
fn chain_energy(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += spring(x[i], x[i + 1], 2.0 + i as f64);
    }
    e
}

#[derive_grad(hessian)]
fn chain_energy_inline(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        let s = 2.0 + i as f64;
        let d = x[i + 1] - x[i] - 1.0;
        e += 0.5 * s * d * d + 0.1 * (x[i] * x[i + 1]).cos();
    }
    e
}

/// The chain's Hessian by hand: spring `i` adds `s_i [1 -1; -1 1]` and the Hessian of
/// `0.1 cos(ab)`, `-0.1 [b² cos + 0, sin + ab cos; .., a² cos]` (with `sin`, `cos` of `ab`),
/// to the block of rows and columns `i`, `i + 1`.
fn chain_energy_by_hand(x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n - 1 {
        let (a, b, s) = (x[i], x[i + 1], 2.0 + i as f64);
        let (sn, cs) = ((a * b).sin(), (a * b).cos());
        h[i][i] += s - 0.1 * b * b * cs;
        h[i + 1][i + 1] += s - 0.1 * a * a * cs;
        let off = -s - 0.1 * (sn + a * b * cs);
        h[i][i + 1] += off;
        h[i + 1][i] += off;
    }
    h
}

#[test]
fn a_loop_with_a_call() {
    let x = [0.1, 1.3, 2.0, 3.4, 4.1, 5.5];
    let (value, grad, hess) = chain_energy_hessian(&x);
    let (value_inline, grad_inline, hess_inline) = chain_energy_inline_hessian(&x);
    let at = At("springs", &x);
    at.close("value", 0, value, chain_energy(&x), MODES);
    at.close("value", 0, value_inline, chain_energy_inline(&x), MODES);
    for i in 0..x.len() {
        at.close("gradient", i, grad[i], grad_inline[i], MODES);
    }
    let hand = chain_energy_by_hand(&x);
    check(
        "springs",
        &x,
        |i, j| hess[(i, j)],
        Some(&|i, j| hand[i][j]),
        Some(&|i, j| hess_inline[(i, j)]),
        |q| {
            let mut g = vec![0.0; q.len()];
            chain_energy_grad(q, &mut g);
            g
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Generic callees, a constant slice argument, a callee that branches, several calls to one
// ---------------------------------------------------------------------------------------------

#[derive_grad(hessian)]
fn soft_abs<T: Float>(x: T) -> T {
    if x > T::one() {
        x - T::from(0.5).unwrap()
    } else {
        T::from(0.5).unwrap() * x * x
    }
}

/// A weighted distance to data: the data slice is a constant argument of the call.
#[derive_grad(hessian, wrt(c))]
fn misfit(c: f64, data: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for &d in data {
        s += soft_abs(c - d) * w;
    }
    s
}

#[derive_grad(hessian)]
fn fit<T: Float>(p: [T; 2]) -> T {
    soft_abs(p[0] * p[1]) + soft_abs(p[1] - p[0]) * p[0]
}

#[test]
fn generic_callee_with_a_branch_and_constant_data() {
    let data = [0.0, 0.4, 2.0, -1.5];
    // misfit(c) = w Σ soft_abs(c - d): second derivative w per point in the quadratic part.
    let c = 0.3;
    let (value, _, hess) = misfit_hessian(c, &data, 2.0);
    At("misfit", &[c]).close("value", 0, value, misfit(c, &data, 2.0), MODES);
    let quadratic = data.iter().filter(|&&d| c - d <= 1.0).count() as f64;
    At("misfit", &[c]).close("H vs hand", 0, hess, 2.0 * quadratic, HAND);
    let fd = central_difference(|q: &[f64]| misfit_grad(q[0], &data, 2.0).1, &[c], 0);
    At("misfit", &[c]).close("H vs fd", 0, hess, fd, Tol::fd(hess));

    for p in [[0.5, 0.8], [1.5, 1.2], [-0.3, 2.5]] {
        let (value, _, hess) = fit_hessian(p);
        At("fit", &p).close("value", 0, value, fit(p), MODES);
        // fit = s(xy) + t(y - x) x with s = t: u²/2 below 1 and u - 1/2 above, so s' = s1,
        // s'' = s2 at xy and t' = t1, t'' = t2 at y - x.
        let [x, y] = p;
        let (u, w) = (x * y, y - x);
        let (s1, s2) = if u > 1.0 { (1.0, 0.0) } else { (u, 1.0) };
        let (t1, t2) = if w > 1.0 { (1.0, 0.0) } else { (w, 1.0) };
        let hand = [
            [
                s2 * y * y + t2 * x - 2.0 * t1,
                s1 + s2 * x * y + t1 - t2 * x,
            ],
            [s1 + s2 * x * y + t1 - t2 * x, s2 * x * x + t2 * x],
        ];
        check(
            "fit",
            &p,
            |i, j| hess[i][j],
            Some(&|i, j| hand[i][j]),
            None,
            |q| fit_grad([q[0], q[1]]).1.to_vec(),
        );
        // At f32, the same Hessian to f32 precision.
        let (_, _, h32) = fit_hessian([p[0] as f32, p[1] as f32]);
        for i in 0..2 {
            for j in 0..2 {
                At("fit f32", &p).close(
                    "H f32 vs hand",
                    i * 2 + j,
                    h32[i][j] as f64,
                    hand[i][j],
                    ad_tests::F32_HAND,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Several differentiated parameters, a sparse Hessian, methods and associated functions
// ---------------------------------------------------------------------------------------------

/// `g(a, b0) b1 + a²`: a scalar and an array, through the chain above.
#[derive_grad(hessian)]
fn two_params(a: f64, b: [f64; 2]) -> f64 {
    g(a, b[0]) * b[1] + a * a
}

#[test]
fn several_parameters_through_a_call() {
    let (a, b) = (0.4, [0.6, -1.3]);
    let (value, _, hess) = two_params_hessian(a, b);
    At("two_params", &[a, b[0], b[1]]).close("value", 0, value, two_params(a, b), MODES);
    // By hand: G(x, y) = (e^{xy} + x²) y as in `chain_by_hand`, f = G(a, b0) b1 + a².
    let (x, y) = (a, b[0]);
    let e = (x * y).exp();
    let gx = y * y * e + 2.0 * x * y;
    let gy = e + x * y * e + x * x;
    let gxx = y * y * y * e + 2.0 * y;
    let gxy = 2.0 * y * e + x * y * y * e + 2.0 * x;
    let gyy = 2.0 * x * e + x * x * y * e;
    let hand = [
        [gxx * b[1] + 2.0, gxy * b[1], gx],
        [gxy * b[1], gyy * b[1], gy],
        [gx, gy, 0.0],
    ];
    check(
        "two_params",
        &[a, b[0], b[1]],
        |i, j| hess[(i, j)],
        Some(&|i, j| hand[i][j]),
        None,
        |q| {
            let (_, (ga, gb)) = two_params_grad(q[0], [q[1], q[2]]);
            vec![ga, gb[0], gb[1]]
        },
    );
}

/// The spring chain's Hessian, sparse: tridiagonal, three products.
#[derive_grad(hessian, sparse)]
fn chain_energy_sparse(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() - 1 {
        e += spring(x[i], x[i + 1], 2.0 + i as f64);
    }
    e
}

#[test]
fn sparse_hessian_through_a_loop_with_a_call() {
    let x: Vec<f64> = (0..40)
        .map(|i| i as f64 * 1.1 + 0.05 * (i as f64).sin())
        .collect();
    let sparsity = chain_energy_sparse_hessian_sparsity(&x);
    assert_eq!(sparsity.colours(), 3);
    let (value, _, h) = chain_energy_sparse_hessian_sparse(&x, &sparsity);
    At("sparse springs", &x).close("value", 0, value, chain_energy_sparse(&x), MODES);
    let hand = chain_energy_by_hand(&x);
    let at = At("sparse springs", &x);
    let n = x.len();
    for i in 0..n {
        for j in 0..n {
            let got = h.get(i, j).copied().unwrap_or(0.0);
            at.close("sparse H vs hand", i * n + j, got, hand[i][j], HAND);
        }
    }
}

/// A model whose energy calls a method and an associated function.
struct Chain {
    k: f64,
}

impl Chain {
    #[derive_grad(hessian, wrt(d))]
    fn bond(&self, d: f64) -> f64 {
        0.5 * self.k * d * d + Self::quartic(d)
    }

    #[derive_grad(second_order)]
    fn quartic(d: f64) -> f64 {
        0.1 * d * d * d * d
    }

    #[derive_grad(hessian, wrt(q))]
    fn energy(&self, q: &[f64]) -> f64 {
        let mut e = 0.0;
        let mut prev = 0.0;
        for &qi in q {
            e += self.bond(qi - prev);
            prev = qi;
        }
        e
    }
}

#[test]
fn methods_and_associated_functions() {
    let c = Chain { k: 3.0 };
    let q = [0.2, -0.1, 0.4, 0.3];
    let (value, _, h) = c.energy_hessian(&q);
    At("chain", &q).close("value", 0, value, c.energy(&q), MODES);
    // Bond i between q[i-1] (or 0) and q[i]: b''(d) = k + 1.2 d².
    let n = q.len();
    let mut hand = vec![vec![0.0; n]; n];
    for i in 0..n {
        let d = q[i] - if i > 0 { q[i - 1] } else { 0.0 };
        let b2 = c.k + 1.2 * d * d;
        hand[i][i] += b2;
        if i > 0 {
            hand[i - 1][i - 1] += b2;
            hand[i - 1][i] -= b2;
            hand[i][i - 1] -= b2;
        }
    }
    check(
        "chain",
        &q,
        |i, j| h[(i, j)],
        Some(&|i, j| hand[i][j]),
        None,
        |p| {
            let mut g = vec![0.0; p.len()];
            c.energy_vjp(p, &mut g, 1.0);
            g
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Arrays `[F; N]` passed by value to a call
// ---------------------------------------------------------------------------------------------

#[derive_grad(second_order)]
fn sq_dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// A triangle of springs of rest length 1 between its corners, each spring a call with two
/// arrays, the corners taken from the flat coordinates.
#[derive_grad(hessian)]
fn triangle(p: [f64; 9]) -> f64 {
    let a = [p[0], p[1], p[2]];
    let b = [p[3], p[4], p[5]];
    let c = [p[6], p[7], p[8]];
    let ab = sq_dist(a, b).sqrt() - 1.0;
    let bc = sq_dist(b, c).sqrt() - 1.0;
    let ca = sq_dist(c, a).sqrt() - 1.0;
    ab * ab + bc * bc + ca * ca
}

#[derive_grad(hessian)]
fn triangle_inline(p: [f64; 9]) -> f64 {
    let mut e = 0.0;
    for (i, j) in [(0, 3), (3, 6), (6, 0)] {
        let (dx, dy, dz) = (p[i] - p[j], p[i + 1] - p[j + 1], p[i + 2] - p[j + 2]);
        let l = (dx * dx + dy * dy + dz * dz).sqrt() - 1.0;
        e += l * l;
    }
    e
}

#[test]
fn arrays_by_value_through_a_call() {
    let p = [0.1, 0.2, -0.3, 1.1, 0.0, 0.4, 0.3, 0.9, 0.2];
    let (value, _, hess) = triangle_hessian(p);
    let (value_inline, _, hess_inline) = triangle_inline_hessian(p);
    let at = At("triangle", &p);
    at.close("value", 0, value, triangle(p), MODES);
    at.close("value", 0, value_inline, triangle_inline(p), MODES);
    // By hand: a spring between corners u and v adds, with d = u - v, l = |d|,
    // e = (l - 1)², the block ±K with K = 2 (d dᵀ / l² + (l - 1) / l (I - d dᵀ / l²)).
    let mut hand = [[0.0; 9]; 9];
    for (u, v) in [(0, 3), (3, 6), (6, 0)] {
        let d: Vec<f64> = (0..3).map(|k| p[u + k] - p[v + k]).collect();
        let l = d.iter().map(|x| x * x).sum::<f64>().sqrt();
        for r in 0..3 {
            for s in 0..3 {
                let dd = d[r] * d[s] / (l * l);
                let id = if r == s { 1.0 } else { 0.0 };
                let k = 2.0 * (dd + (l - 1.0) / l * (id - dd));
                hand[u + r][u + s] += k;
                hand[v + r][v + s] += k;
                hand[u + r][v + s] -= k;
                hand[v + r][u + s] -= k;
            }
        }
    }
    check(
        "triangle",
        &p,
        |i, j| hess[i][j],
        Some(&|i, j| hand[i][j]),
        Some(&|i, j| hess_inline[i][j]),
        |q| {
            let q: [f64; 9] = q.try_into().expect("nine coordinates");
            triangle_grad(q).1.to_vec()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// A callee given sub-slices (k-means' `euclid_dist_2`, a bond between two points): inlined into
// the Hessian's code, since second-order companions take no slices
// ---------------------------------------------------------------------------------------------

/// The energy of a bond between two points of the plane, rest length 1: `(|a - b| - 1)²`.
#[derive_grad]
fn bond(a: &[f64], b: &[f64]) -> f64 {
    let dx = a[0] - b[0];
    let dy = a[1] - b[1];
    let r = (dx * dx + dy * dy).sqrt();
    if r < 1e-12 {
        return 0.0;
    }
    (r - 1.0) * (r - 1.0)
}

/// A chain of points `x = [x0, y0, x1, y1, ..]` joined by bonds, each bond a call given two
/// sub-slices; plus a closure over sub-slices for the bond of the two ends.
#[derive_grad(hessian)]
fn chain_2d(x: &[f64]) -> f64 {
    let n = x.len() / 2;
    let mut e = 0.0;
    for i in 0..n - 1 {
        e += bond(&x[2 * i..2 * i + 2], &x[2 * i + 2..2 * i + 4]);
    }
    let cross = |a: &[f64], b: &[f64]| a[0] * b[1] - a[1] * b[0];
    e + 0.1 * cross(&x[0..2], &x[2 * n - 2..])
}

/// The same energy written without calls or closures.
#[derive_grad(hessian)]
fn chain_2d_inline(x: &[f64]) -> f64 {
    let n = x.len() / 2;
    let mut e = 0.0;
    for i in 0..n - 1 {
        let dx = x[2 * i] - x[2 * i + 2];
        let dy = x[2 * i + 1] - x[2 * i + 3];
        let r = (dx * dx + dy * dy).sqrt();
        e += (r - 1.0) * (r - 1.0);
    }
    e + 0.1 * (x[0] * x[2 * n - 1] - x[1] * x[2 * n - 2])
}

#[test]
fn a_callee_given_sub_slices() {
    let x = [0.0, 0.1, 1.2, -0.2, 1.9, 0.7, 3.1, 0.4];
    let (value, grad, hess) = chain_2d_hessian(&x);
    let (value_inline, grad_inline, hess_inline) = chain_2d_inline_hessian(&x);
    let at = At("chain_2d", &x);
    at.close("value", 0, value, chain_2d(&x), MODES);
    at.close("value", 0, value_inline, chain_2d_inline(&x), MODES);
    for i in 0..x.len() {
        at.close("gradient", i, grad[i], grad_inline[i], MODES);
    }
    // H v against the columns of the Hessian.
    let v: Vec<f64> = (0..x.len()).map(|i| 0.5 - 0.1 * i as f64).collect();
    let (_, _, hv) = chain_2d_hvp(&x, &v);
    for i in 0..x.len() {
        let want: f64 = (0..x.len()).map(|j| hess[(i, j)] * v[j]).sum();
        at.close("H v", i, hv[i], want, MODES);
    }
    check(
        "chain_2d",
        &x,
        |i, j| hess[(i, j)],
        None,
        Some(&|i, j| hess_inline[(i, j)]),
        |q| {
            let mut g = vec![0.0; q.len()];
            chain_2d_grad(q, &mut g);
            g
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Callees returning an array or a tuple: inlined into the Hessian's code too
// ---------------------------------------------------------------------------------------------

/// `a` turned by `s` about the third axis, the third component sheared.
#[derive_grad]
fn turn(a: [f64; 3], s: f64) -> [f64; 3] {
    let [a0, a1, a2] = a;
    let (c, t) = (s.cos(), s.sin());
    [a0 * c - a1 * t, a0 * t + a1 * c, a2 + 0.5 * s * a0]
}

/// Polar coordinates of `(x, y)`.
#[derive_grad]
fn to_polar(x: f64, y: f64) -> (f64, f64) {
    ((x * x + y * y).sqrt(), y.atan2(x))
}

#[derive_grad(hessian)]
fn turned_energy(p: [f64; 3]) -> f64 {
    let [a, b, c] = turn(p, p[2]);
    let (r, th) = to_polar(a, b);
    r * th + c * c
}

#[derive_grad(hessian)]
fn turned_energy_inline(p: [f64; 3]) -> f64 {
    let (c, t) = (p[2].cos(), p[2].sin());
    let (a, b) = (p[0] * c - p[1] * t, p[0] * t + p[1] * c);
    let c3 = p[2] + 0.5 * p[2] * p[0];
    let (r, th) = ((a * a + b * b).sqrt(), b.atan2(a));
    r * th + c3 * c3
}

/// A caller of `turned_energy`, through its second-order companions.
#[derive_grad(hessian)]
fn turned_outer(q: [f64; 2]) -> f64 {
    turned_energy([q[0], q[1], q[0] * q[1]]) * 0.5
}

#[test]
fn callees_returning_an_array_or_a_tuple() {
    for p in [[0.3, 0.7, -0.2], [1.1, -0.4, 0.9]] {
        let (value, grad, hess) = turned_energy_hessian(p);
        let (value_inline, grad_inline, hess_inline) = turned_energy_inline_hessian(p);
        let at = At("turned_energy", &p);
        at.close("value", 0, value, turned_energy(p), MODES);
        at.close("value", 0, value_inline, turned_energy_inline(p), MODES);
        for i in 0..3 {
            at.close("gradient", i, grad[i], grad_inline[i], MODES);
        }
        check(
            "turned_energy",
            &p,
            |i, j| hess[i][j],
            None,
            Some(&|i, j| hess_inline[i][j]),
            |q| turned_energy_grad([q[0], q[1], q[2]]).1.to_vec(),
        );
    }
    let q = [0.6, -0.8];
    let (value, _, hess) = turned_outer_hessian(q);
    At("turned_outer", &q).close("value", 0, value, turned_outer(q), MODES);
    check(
        "turned_outer",
        &q,
        |i, j| hess[i][j],
        None,
        None,
        |q| turned_outer_grad([q[0], q[1]]).1.to_vec(),
    );
}

// ---------------------------------------------------------------------------------------------
// GMM's shape: a scratch slice lent to a callee that writes it, written again each iteration,
// then lent to another callee that reads it
// ---------------------------------------------------------------------------------------------

#[derive_grad]
fn subtract_into(a: &[f64], b: &[f64], out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = a[i] - b[i];
    }
}

#[derive_grad]
fn squared_norm(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in v {
        s += x * x;
    }
    s
}

/// The sum of the distances of the points `x` (rows of `mu.len()`) to `mu`.
#[derive_grad(hessian)]
fn spread(mu: &[f64], x: &[f64]) -> f64 {
    let d = mu.len();
    let mut xc = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..x.len() / d {
        subtract_into(&x[i * d..(i + 1) * d], mu, &mut xc);
        total += squared_norm(&xc).sqrt();
    }
    total
}

#[derive_grad(hessian)]
fn spread_inline(mu: &[f64], x: &[f64]) -> f64 {
    let d = mu.len();
    let mut total = 0.0;
    for i in 0..x.len() / d {
        let mut s = 0.0;
        for k in 0..d {
            let t = x[i * d + k] - mu[k];
            s += t * t;
        }
        total += s.sqrt();
    }
    total
}

#[test]
fn a_scratch_slice_written_by_one_callee_and_read_by_another() {
    let (mu, x) = ([0.3, -0.2], [1.0, 2.0, -0.5, 0.7, 0.2, 0.9]);
    let (value, _, hess) = spread_hessian(&mu, &x);
    let (value_inline, _, hess_inline) = spread_inline_hessian(&mu, &x);
    let p: Vec<f64> = mu.iter().chain(&x).copied().collect();
    let at = At("spread", &p);
    at.close("value", 0, value, spread(&mu, &x), MODES);
    at.close("value", 0, value_inline, spread_inline(&mu, &x), MODES);
    check(
        "spread",
        &p,
        |i, j| hess[(i, j)],
        None,
        Some(&|i, j| hess_inline[(i, j)]),
        |q| {
            let (mut gm, mut gx) = (vec![0.0; 2], vec![0.0; 6]);
            spread_grad(&q[..2], &mut gm, &q[2..], &mut gx);
            gm.into_iter().chain(gx).collect()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Generic callees given slices: written for the caller's float type, then inlined
// ---------------------------------------------------------------------------------------------

/// A generic squared norm, as a library of helpers writes it (`T::zero()`, a loop).
#[derive_grad]
fn norm_sq<T: Float>(v: &[T]) -> T {
    let mut s = T::zero();
    for x in v {
        s = s + *x * *x;
    }
    s
}

/// A generic helper with a float argument beside the slice.
#[derive_grad]
fn tilt<T: ad_runtime::Float>(v: &[T], k: T) -> T {
    v[0] * k + (v[1] * v[1]).sin()
}

/// Calls the generic helpers with a sub-slice and the whole slice, from a concrete caller.
#[derive_grad(hessian)]
fn through_generic(x: &[f64]) -> f64 {
    norm_sq(&x[1..]) * x[0] + tilt(x, 0.5)
}

/// The same from a caller generic over another name for its float type.
#[derive_grad(hessian)]
fn through_generic_g<U: Float>(x: &[U]) -> U {
    norm_sq(&x[1..]) * x[0] + tilt(x, U::one() / (U::one() + U::one()))
}

#[test]
fn generic_callees_given_slices() {
    for x in [[0.7, -1.2, 0.4], [-0.3, 0.5, 1.1]] {
        let (value, grad, h) = through_generic_hessian(&x);
        let (vg, gg, hg) = through_generic_g_hessian(&x);
        assert_eq!(value, through_generic(&x));
        assert_eq!(vg, through_generic_g(&x));
        let mut g2 = [0.0; 3];
        assert_eq!(value, through_generic_grad(&x, &mut g2));
        assert_eq!(grad, g2);
        // f = x0 (x1² + x2²) + x0 / 2 + sin(x1²).
        let c = (x[1] * x[1]).cos();
        let s = (x[1] * x[1]).sin();
        let hand = [
            [0.0, 2.0 * x[1], 2.0 * x[2]],
            [
                2.0 * x[1],
                2.0 * x[0] + 2.0 * c - 4.0 * x[1] * x[1] * s,
                0.0,
            ],
            [2.0 * x[2], 0.0, 2.0 * x[0]],
        ];
        let at = At("through_generic", &x);
        at.close("value, generic caller", 0, vg, value, MODES);
        for i in 0..3 {
            at.close("gradient, generic caller", i, gg[i], grad[i], MODES);
            for j in 0..3 {
                at.close("H, generic caller", 3 * i + j, hg[(i, j)], h[(i, j)], MODES);
            }
        }
        check_hessian(
            "through_generic",
            &x,
            |i, j| h[(i, j)],
            Some(&|i, j| hand[i][j]),
            |q| {
                let mut g = vec![0.0; q.len()];
                through_generic_grad(q, &mut g);
                g
            },
        );
    }
}
