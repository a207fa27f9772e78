//! `#[derive_grad(hessian)]` over structs and nalgebra's fixed-size types (issue 20): `NAME_hvp`
//! takes a direction of the struct's type and returns the gradient and `H v` as structs;
//! `NAME_hessian` orders the struct's floats as `Differentiable::to_flat` does. Each Hessian is
//! checked against one by hand, against central finite differences of the generated `_grad`
//! (through `to_flat` / `with_flat`), for symmetry, and each `H v` against the Hessian times `v`.
//! Floats and arrays behind `&` (what a struct's fields become) are tested the same way.

// Index loops read like the matrices they fill.
#![allow(clippy::needless_range_loop)]

use ad_runtime::{Differentiable, Jacobian, derive_grad};
use ad_tests::{At, MODES, check_hessian};
use nalgebra::{Matrix2, Vector2, Vector3};

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Params {
    k: f64,
    c: [f64; 2],
    n: usize,
    w: Vec<f64>,
}

/// A float field, an array field, a constant and a `Vec` field, beside a float parameter.
#[derive_grad(hessian)]
fn energy(p: &Params, x: f64) -> f64 {
    let mut s = p.k * x * x + p.c[0] * p.c[1] * x;
    for i in 0..p.n {
        s += (p.w[i] * x).sin() * p.k;
    }
    s
}

/// `energy`'s Hessian by hand over `(k, c0, c1, w.., x)`.
fn energy_by_hand(p: &Params, x: f64) -> Vec<Vec<f64>> {
    let m = p.w.len();
    let n = 4 + m;
    let ix = n - 1;
    let mut h = vec![vec![0.0; n]; n];
    let mut set = |i: usize, j: usize, v: f64| {
        h[i][j] = v;
        h[j][i] = v;
    };
    let sum_wcos: f64 = p.w.iter().map(|w| w * (w * x).cos()).sum();
    let sum_w2sin: f64 = p.w.iter().map(|w| w * w * (w * x).sin()).sum();
    set(0, ix, 2.0 * x + sum_wcos);
    set(1, 2, x);
    set(1, ix, p.c[1]);
    set(2, ix, p.c[0]);
    for (i, &w) in p.w.iter().enumerate() {
        set(0, 3 + i, x * (w * x).cos());
        set(3 + i, 3 + i, -p.k * x * x * (w * x).sin());
        set(3 + i, ix, p.k * ((w * x).cos() - w * x * (w * x).sin()));
    }
    set(ix, ix, 2.0 * p.k - p.k * sum_w2sin);
    h
}

/// Checks `H v` against the Hessian times `v` (flat directions).
fn check_hvp(name: &str, at: &[f64], h: &Jacobian<f64>, v: &[f64], hv: &[f64]) {
    let at = At(name, at);
    for i in 0..v.len() {
        let want: f64 = (0..v.len()).map(|j| h[(i, j)] * v[j]).sum();
        at.close("H v vs H times v", i, hv[i], want, MODES);
    }
}

#[test]
fn struct_fields_of_every_kind() {
    for (k, c, w, x) in [
        (1.5, [0.3, -0.7], vec![0.2, 0.9], 0.4),
        (-0.8, [1.1, 0.5], vec![1.3, -0.4, 2.0], -1.2),
    ] {
        let p = Params {
            k,
            c,
            n: w.len(),
            w,
        };
        let mut flat = p.to_flat();
        flat.push(x);
        let (value, (g, gx), h) = energy_hessian(&p, x);
        assert_eq!(value, energy(&p, x));
        // The gradient, as `_grad` gives it.
        let mut dp = p.zero_like();
        let (v2, dx) = energy_grad(&p, &mut dp, x);
        assert_eq!((value, gx), (v2, dx));
        assert_eq!(g.to_flat(), dp.to_flat());
        assert_eq!(g.n, p.n, "constants are kept");
        let hand = energy_by_hand(&p, x);
        let n = flat.len();
        assert_eq!((h.rows(), h.cols()), (n, n));
        check_hessian(
            "energy",
            &flat,
            |i, j| h[(i, j)],
            Some(&|i, j| hand[i][j]),
            |q| {
                let q_p = p.with_flat(q);
                let mut dq = p.zero_like();
                let (_, dx) = energy_grad(&q_p, &mut dq, q[n - 1]);
                let mut g = dq.to_flat();
                g.push(dx);
                g
            },
        );
        // `H v` for a direction of the struct's type and one for `x`.
        let vp = p.with_flat(&[0.7, -0.2, 0.4, 1.0, -0.5, 0.3][..p.flat_len()]);
        let vx = -0.6;
        let (v3, (g3, gx3), (hvp, hvx)) = energy_hvp(&p, &vp, x, vx);
        assert_eq!((v3, gx3), (value, gx));
        assert_eq!(g3, g);
        let mut v = vp.to_flat();
        v.push(vx);
        let mut hv = hvp.to_flat();
        hv.push(hvx);
        assert_eq!(hvp.n, p.n);
        check_hvp("energy", &flat, &h, &v, &hv);
    }
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Pose {
    at: Point,
    theta: f64,
}

/// A nested struct by value, alone: the gradient and `H v` are `Pose`s.
#[derive_grad(hessian)]
fn heading_cost(p: Pose) -> f64 {
    let (s, c) = p.theta.sin_cos();
    let ahead = p.at.x * c + p.at.y * s;
    ahead * ahead + 0.5 * p.theta * p.theta
}

/// `heading_cost`'s Hessian by hand over `(x, y, theta)`: with `a = x c + y s` and
/// `a' = -x s + y c`, the cost is `a² + θ²/2`.
fn heading_by_hand(q: &[f64]) -> Vec<Vec<f64>> {
    let (x, y, t) = (q[0], q[1], q[2]);
    let (s, c) = t.sin_cos();
    let a = x * c + y * s;
    let da = -x * s + y * c;
    vec![
        vec![2.0 * c * c, 2.0 * c * s, 2.0 * (-s * a + c * da)],
        vec![2.0 * c * s, 2.0 * s * s, 2.0 * (c * a + s * da)],
        vec![
            2.0 * (-s * a + c * da),
            2.0 * (c * a + s * da),
            2.0 * (da * da - a * a) + 1.0,
        ],
    ]
}

#[test]
fn nested_struct_by_value() {
    for q in [[0.4, -1.1, 0.3], [2.0, 0.5, -1.4]] {
        let pose = Pose {
            at: Point { x: q[0], y: q[1] },
            theta: q[2],
        };
        let (value, g, h) = heading_cost_hessian(pose);
        assert_eq!(value, heading_cost(pose));
        let (v2, g2) = heading_cost_grad(pose);
        assert_eq!((value, g), (v2, g2));
        let hand = heading_by_hand(&q);
        check_hessian(
            "heading_cost",
            &q,
            |i, j| h[(i, j)],
            Some(&|i, j| hand[i][j]),
            |r| heading_cost_grad(pose.with_flat(r)).1.to_flat(),
        );
        let v = Pose {
            at: Point { x: 0.3, y: -0.9 },
            theta: 1.7,
        };
        let (_, _, hv) = heading_cost_hvp(pose, v);
        check_hvp("heading_cost", &q, &h, &v.to_flat(), &hv.to_flat());
    }
}

/// Two points joined by a unit spring, plus their dot product: nalgebra's `Vector3` by
/// reference (`a - b`, `norm`, `dot`).
#[derive_grad(hessian)]
fn spring3(a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    let d = a - b;
    let r = d.norm();
    (r - 1.0) * (r - 1.0) + a.dot(b)
}

/// `spring3`'s Hessian by hand over `(a, b)`: with `K = 2 (d dᵀ / r² + (r - 1) / r (I - d dᵀ /
/// r²))` the spring's Hessian in `d`, it is `[[K, I - K], [I - K, K]]`.
fn spring3_by_hand(q: &[f64]) -> Vec<Vec<f64>> {
    let d: Vec<f64> = (0..3).map(|i| q[i] - q[3 + i]).collect();
    let r = d.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut h = vec![vec![0.0; 6]; 6];
    for i in 0..3 {
        for j in 0..3 {
            let eye = if i == j { 1.0 } else { 0.0 };
            let ddt = d[i] * d[j] / (r * r);
            let k = 2.0 * (ddt + (r - 1.0) / r * (eye - ddt));
            h[i][j] = k;
            h[3 + i][3 + j] = k;
            h[i][3 + j] = eye - k;
            h[3 + i][j] = eye - k;
        }
    }
    h
}

#[test]
fn nalgebra_vectors_by_reference() {
    for q in [
        [1.0, 0.5, -0.2, -0.3, 0.8, 0.4],
        [0.1, 0.2, 0.3, 1.5, -0.4, 0.9],
    ] {
        let a = Vector3::new(q[0], q[1], q[2]);
        let b = Vector3::new(q[3], q[4], q[5]);
        let (value, (ga, gb), h) = spring3_hessian(&a, &b);
        assert_eq!(value, spring3(&a, &b));
        let (mut da, mut db) = (Vector3::zeros(), Vector3::zeros());
        let v2 = spring3_grad(&a, &mut da, &b, &mut db);
        assert_eq!((value, ga, gb), (v2, da, db));
        let hand = spring3_by_hand(&q);
        check_hessian(
            "spring3",
            &q,
            |i, j| h[(i, j)],
            Some(&|i, j| hand[i][j]),
            |r| {
                let (a, b) = (
                    Vector3::new(r[0], r[1], r[2]),
                    Vector3::new(r[3], r[4], r[5]),
                );
                let (mut da, mut db) = (Vector3::zeros(), Vector3::zeros());
                spring3_grad(&a, &mut da, &b, &mut db);
                da.iter().chain(db.iter()).copied().collect()
            },
        );
        let (va, vb) = (Vector3::new(0.2, -1.0, 0.5), Vector3::new(0.9, 0.1, -0.3));
        let (_, _, (ha, hb)) = spring3_hvp(&a, &va, &b, &vb);
        let v: Vec<f64> = va.iter().chain(vb.iter()).copied().collect();
        let hv: Vec<f64> = ha.iter().chain(hb.iter()).copied().collect();
        check_hvp("spring3", &q, &h, &v, &hv);
    }
}

/// A quadratic form `xᵀ A x` with `A` a `Matrix2` by value: the Hessian in `x` is `A + Aᵀ`, in
/// `A` zero, and across them `∂²/∂x_i ∂A_jk = δij x_k + δik x_j` (column-major `A`, as nalgebra
/// stores it and `to_flat` lists it).
#[derive_grad(hessian)]
fn quad_form(m: Matrix2<f64>, x: &Vector2<f64>) -> f64 {
    x.dot(&(m * x))
}

#[test]
fn nalgebra_matrix_by_value() {
    let m = Matrix2::new(1.5, -0.4, 0.7, 2.0);
    let x = Vector2::new(0.3, -1.2);
    let (value, (gm, gx), h) = quad_form_hessian(m, &x);
    assert_eq!(value, quad_form(m, &x));
    let mut dx = Vector2::zeros();
    let (v2, dm) = quad_form_grad(m, &x, &mut dx);
    assert_eq!((value, gm, gx), (v2, dm, dx));
    let q: Vec<f64> = m.iter().chain(x.iter()).copied().collect();
    // By hand: flat index of `A[(r, c)]` is `r + 2 c`; of `x_i` is `4 + i`.
    let hand = |i: usize, j: usize| -> f64 {
        let (lo, hi) = (i.min(j), i.max(j));
        match (lo < 4, hi < 4) {
            (true, true) => 0.0,
            (false, false) => {
                let (a, b) = (lo - 4, hi - 4);
                m[(a, b)] + m[(b, a)]
            }
            _ => {
                let (r, c, xi) = (lo % 2, lo / 2, hi - 4);
                let d = |a: usize, b: usize| if a == b { 1.0 } else { 0.0 };
                d(xi, r) * x[c] + d(xi, c) * x[r]
            }
        }
    };
    check_hessian(
        "quad_form",
        &q,
        |i, j| h[(i, j)],
        Some(&hand),
        |r| {
            let m = Matrix2::from_column_slice(&r[..4]);
            let x = Vector2::new(r[4], r[5]);
            let mut dx = Vector2::zeros();
            let (_, dm) = quad_form_grad(m, &x, &mut dx);
            dm.iter().chain(dx.iter()).copied().collect()
        },
    );
    let (vm, vx) = (Matrix2::new(0.2, 1.0, -0.3, 0.6), Vector2::new(-0.8, 0.4));
    let (_, _, (hm, hx)) = quad_form_hvp(m, vm, &x, &vx);
    let v: Vec<f64> = vm.iter().chain(vx.iter()).copied().collect();
    let hv: Vec<f64> = hm.iter().chain(hx.iter()).copied().collect();
    check_hvp("quad_form", &q, &h, &v, &hv);
}

#[derive(Differentiable, Clone, Debug)]
struct Model {
    scale: f64,
    offsets: [f64; 3],
}

impl Model {
    /// A method over `&self`, with a float: the receiver's direction is a `Model`.
    #[derive_grad(hessian, wrt(self, t))]
    fn fit(&self, t: f64) -> f64 {
        let mut s = 0.0;
        for i in 0..3 {
            let e = self.scale * t - self.offsets[i];
            s += e * e * e / 3.0;
        }
        s
    }
}

impl Model {
    /// The same with `self` constant (the default): a Hessian in `t` alone.
    #[derive_grad(hessian)]
    fn fit_in_t(&self, t: f64) -> f64 {
        let mut s = 0.0;
        for i in 0..3 {
            let e = self.scale * t - self.offsets[i];
            s += e * e * e / 3.0;
        }
        s
    }
}

#[test]
fn method_over_self() {
    let model = Model {
        scale: 0.8,
        offsets: [0.1, -0.5, 1.2],
    };
    let t = 1.3;
    let (value, (g, gt), h) = model.fit_hessian(t);
    assert_eq!(value, model.fit(t));
    let mut d = model.zero_like();
    let (v2, dt) = model.fit_grad(&mut d, t);
    assert_eq!((value, gt), (v2, dt));
    assert_eq!(g.to_flat(), d.to_flat());
    let mut q = model.to_flat();
    q.push(t);
    // By hand: with e_i = s t - o_i, f = Σ e_i³ / 3; ∂²f = 2 e_i (∂e_i)(∂e_i)ᵀ + e_i² ∂²e_i,
    // ∂e_i = (t, -δ_i, s) over (s, o, t), ∂²e_i/∂s∂t = 1.
    let hand = |a: usize, b: usize| -> f64 {
        let (s, tt) = (model.scale, t);
        (0..3)
            .map(|i| {
                let e = s * tt - model.offsets[i];
                let de = |k: usize| match k {
                    0 => tt,
                    4 => s,
                    k if k == 1 + i => -1.0,
                    _ => 0.0,
                };
                let dde = if (a, b) == (0, 4) || (a, b) == (4, 0) {
                    1.0
                } else {
                    0.0
                };
                2.0 * e * de(a) * de(b) + e * e * dde
            })
            .sum()
    };
    check_hessian(
        "fit",
        &q,
        |i, j| h[(i, j)],
        Some(&hand),
        |r| {
            let m = model.with_flat(r);
            let mut d = model.zero_like();
            let (_, dt) = m.fit_grad(&mut d, r[4]);
            let mut g = d.to_flat();
            g.push(dt);
            g
        },
    );
    let v = Model {
        scale: -0.4,
        offsets: [1.0, 0.2, -0.7],
    };
    let (_, _, (hm, ht)) = model.fit_hvp(&v, t, 0.5);
    let mut vf = v.to_flat();
    vf.push(0.5);
    let mut hv = hm.to_flat();
    hv.push(ht);
    check_hvp("fit", &q, &h, &vf, &hv);
    // `self` constant: the Hessian in `t` is the last entry of the full one.
    let (v4, gt4, htt) = model.fit_in_t_hessian(t);
    assert_eq!((v4, gt4), (value, gt));
    At("fit_in_t", &[t]).close("H in t", 0, htt, h[(4, 4)], MODES);
}

/// A float and an array behind `&` (the flat form of a struct's fields, and a user's own).
#[derive_grad(hessian)]
fn behind_refs(a: &f64, p: &[f64; 3], x: f64) -> f64 {
    let r2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
    *a * r2 + (x * p[2]).sin() * *a
}

#[test]
fn floats_and_arrays_behind_references() {
    let q = [1.5, 0.3, -0.7, 1.1, 0.4];
    let (a, p, x) = (q[0], [q[1], q[2], q[3]], q[4]);
    let (value, (ga, gp, gx), h) = behind_refs_hessian(&a, &p, x);
    assert_eq!(value, behind_refs(&a, &p, x));
    let (mut da, mut dp) = (0.0, [0.0; 3]);
    let (v2, dx) = behind_refs_grad(&a, &mut da, &p, &mut dp, x);
    assert_eq!((value, ga, gp, gx), (v2, da, dp, dx));
    // By hand, over (a, p0, p1, p2, x): f = a r² + a sin(x p2).
    let (s, c) = (x * p[2]).sin_cos();
    let mut hand = [[0.0; 5]; 5];
    for i in 0..3 {
        hand[0][1 + i] = 2.0 * p[i];
        hand[1 + i][1 + i] = 2.0 * a;
    }
    hand[0][3] += x * c;
    hand[0][4] = p[2] * c;
    hand[3][3] += -a * x * x * s;
    hand[3][4] = a * (c - x * p[2] * s);
    hand[4][4] = -a * p[2] * p[2] * s;
    for i in 0..5 {
        for j in 0..i {
            hand[i][j] = hand[j][i];
        }
    }
    check_hessian(
        "behind_refs",
        &q,
        |i, j| h[(i, j)],
        Some(&|i, j| hand[i][j]),
        |r| {
            let (mut da, mut dp) = (0.0, [0.0; 3]);
            let (_, dx) = behind_refs_grad(&r[0], &mut da, &[r[1], r[2], r[3]], &mut dp, r[4]);
            vec![da, dp[0], dp[1], dp[2], dx]
        },
    );
    let v = [0.3, -1.0, 0.2, 0.8, -0.5];
    let (_, _, (ha, hp, hx)) = behind_refs_hvp(&a, &v[0], &p, &[v[1], v[2], v[3]], x, v[4]);
    check_hvp("behind_refs", &q, &h, &v, &[ha, hp[0], hp[1], hp[2], hx]);
}

/// A helper returning an array: a Hessian inlines it, from a struct's flat form and from a
/// method as from any function.
#[derive_grad]
fn turn(a: [f64; 2], t: f64) -> [f64; 2] {
    let (s, c) = t.sin_cos();
    [a[0] * c - a[1] * s, a[0] * s + a[1] * c]
}

#[derive(Differentiable, Clone, Debug)]
struct Arm {
    base: [f64; 2],
    angle: f64,
}

impl Arm {
    /// The squared distance of the turned base from a target.
    #[derive_grad(hessian, wrt(self, tx))]
    fn miss(&self, tx: f64) -> f64 {
        let [x, y] = turn(self.base, self.angle);
        (x - tx) * (x - tx) + y * y
    }
}

/// `Arm::miss` over the fields, the array behind `&` passed by value as `*base`.
#[derive_grad(hessian)]
fn miss_free(base: &[f64; 2], angle: f64, tx: f64) -> f64 {
    let [x, y] = turn(*base, angle);
    (x - tx) * (x - tx) + y * y
}

#[test]
fn through_a_helper_returning_an_array() {
    let arm = Arm {
        base: [1.2, -0.4],
        angle: 0.7,
    };
    let tx = 0.3;
    let (value, (g, gtx), h) = arm.miss_hessian(tx);
    assert_eq!(value, arm.miss(tx));
    let mut d = arm.zero_like();
    let (_, dtx) = arm.miss_grad(&mut d, tx);
    assert_eq!((g.to_flat(), gtx), (d.to_flat(), dtx));
    let mut q = arm.to_flat();
    q.push(tx);
    // The gradient against central differences of the value.
    let fd_at = At("miss", &q);
    let mut g_all = g.to_flat();
    g_all.push(gtx);
    for (i, gi) in g_all.iter().enumerate() {
        let fd = ad_tests::central_difference(|r| arm.with_flat(r).miss(r[3]), &q, i);
        fd_at.close("gradient vs fd", i, *gi, fd, ad_tests::Tol::fd(value));
    }
    // The same function over `&[f64; 2]`, the array passed on as `*base`.
    let (v2, (gb, ga, gt2), h2) = miss_free_hessian(&arm.base, arm.angle, tx);
    assert_eq!(v2, value);
    assert_eq!(v2, miss_free(&arm.base, arm.angle, tx));
    fd_at.close("free: d/dbase0", 0, gb[0], g_all[0], MODES);
    fd_at.close("free: d/dbase1", 1, gb[1], g_all[1], MODES);
    fd_at.close("free: d/dangle", 2, ga, g_all[2], MODES);
    fd_at.close("free: d/dtx", 3, gt2, g_all[3], MODES);
    for i in 0..4 {
        for j in 0..4 {
            fd_at.close("free: H", 4 * i + j, h2[(i, j)], h[(i, j)], MODES);
        }
    }
    // By hand: with (x, y) the turned base, f = (x - tx)² + y², |(x, y)| = |base| and
    // x = b0 c - b1 s; the Hessian over (b0, b1, angle, tx) of (x - tx)² + y² = |b|² - 2 tx x + tx².
    let (s, c) = arm.angle.sin_cos();
    let [b0, b1] = arm.base;
    let x = b0 * c - b1 * s;
    let dx = [c, -s, -b0 * s - b1 * c];
    let hand = |i: usize, j: usize| -> f64 {
        let (lo, hi) = (i.min(j), i.max(j));
        match (lo, hi) {
            (0, 0) | (1, 1) => 2.0,
            (3, 3) => 2.0,
            (k, 3) => -2.0 * dx[k],
            (0, 2) => -2.0 * tx * -s,
            (1, 2) => -2.0 * tx * -c,
            (2, 2) => -2.0 * tx * -x,
            _ => 0.0,
        }
    };
    check_hessian(
        "miss",
        &q,
        |i, j| h[(i, j)],
        Some(&hand),
        |r| {
            let a = arm.with_flat(r);
            let mut d = arm.zero_like();
            let (_, dtx) = a.miss_grad(&mut d, r[3]);
            let mut g = d.to_flat();
            g.push(dtx);
            g
        },
    );
}

#[derive(Differentiable, Clone, Debug)]
struct Linear<T: ad_runtime::Float> {
    w: Vec<T>,
    b: T,
}

/// A generic struct (`Linear<T>`, `T: Float`): the wrappers require `Linear<T>:
/// Differentiable`, which holds for `f32` and `f64`.
#[derive_grad(hessian, wrt(m))]
fn fit_loss<T: ad_runtime::Float>(m: &Linear<T>, xs: &[T], ys: &[T]) -> T {
    let mut s = T::zero();
    for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
        let r = m.w[i % m.w.len()] * x + m.b - y;
        s = s + r * r;
    }
    s
}

#[test]
fn a_generic_struct() {
    let m = Linear {
        w: vec![0.5, -0.2],
        b: 0.1,
    };
    let (xs, ys) = ([1.0, 2.0, 3.0], [0.3, 0.1, 0.9]);
    let (value, g, h) = fit_loss_hessian(&m, &xs, &ys);
    assert_eq!(value, fit_loss(&m, &xs, &ys));
    let mut d = m.zero_like();
    assert_eq!(fit_loss_grad(&m, &mut d, &xs, &ys), value);
    assert_eq!(g.to_flat(), d.to_flat());
    // By hand: f = Σ r_i², r_i = w_(i mod 2) x_i + b - y_i, so H = 2 Σ g_i g_iᵀ with g_i the
    // gradient of r_i over (w0, w1, b).
    let mut hand = [[0.0; 3]; 3];
    for (i, &x) in xs.iter().enumerate() {
        let mut gi = [0.0, 0.0, 1.0];
        gi[i % 2] = x;
        for a in 0..3 {
            for b in 0..3 {
                hand[a][b] += 2.0 * gi[a] * gi[b];
            }
        }
    }
    check_hessian(
        "fit_loss",
        &m.to_flat(),
        |i, j| h[(i, j)],
        Some(&|i, j| hand[i][j]),
        |r| {
            let mut d = m.zero_like();
            fit_loss_grad(&m.with_flat(r), &mut d, &xs, &ys);
            d.to_flat()
        },
    );
}
