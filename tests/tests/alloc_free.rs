//! Straight-line derivatives allocate nothing (SPEC §1: no tape, no graph; intermediates live in
//! locals). A counting global allocator wraps the system allocator; every generated function is
//! called in a loop between two readings of the counter, which must be equal.
//!
//! The allocator (`ad_tests::alloc`) counts only the measuring thread's allocations; all
//! measurements are in the one test function below, so parallel tests of this binary cannot
//! interfere.

use std::hint::black_box;

use ad_runtime::{Differentiable, Float, derive_grad, derive_tangent};
use ad_tests::alloc::allocations_in;
use nalgebra::{Matrix3, Vector3};

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

const ROUNDS: usize = 1000;

// ---------------------------------------------------------------------------------------------
// Functions under test
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Helpers over small arrays, as bundle adjustment writes them: an array literal built in a
/// branch and passed by value, array results read by element and by a slice pattern.
#[derive_tangent]
#[derive_grad]
fn array_helpers(r: [f64; 3], s: f64) -> f64 {
    let t = cross(r, [0.0, s, 1.0]);
    let (t0, t1, t2) = (t[0], t[1], t[2]);
    if s > 0.0 {
        let w = [r[0] * s, r[1], t2];
        let [a, b, c] = cross(w, r);
        a * b + c + t0
    } else {
        t1
    }
}

#[derive_tangent]
#[derive_grad]
fn scalar(x: f64, y: f64) -> f64 {
    let mut s = x.sin() * y.exp() + x.hypot(y);
    s *= x.atan2(y);
    let (a, b) = f64::sin_cos(s);
    let t = a.mul_add(b, x.powi(-2)) + y.clamp(-1.0, 1.0) + (x % y);
    t.ln_1p().abs() + x.powf(1.5).max(y.tanh())
}

#[derive_grad]
#[derive_tangent]
fn tuple_out(x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let r = (x * x + y * y + z * z).sqrt();
    (r, (z / r).acos(), y.atan2(x))
}

#[derive_tangent]
#[derive_grad]
fn array_out(x: f64, y: f64) -> [f64; 3] {
    [x * y, x.exp() - y, (x / y).cbrt()]
}

/// Twenty inputs: reverse mode returns a 20-tuple of adjoints.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::too_many_arguments)]
fn twenty(
    a0: f64,
    a1: f64,
    a2: f64,
    a3: f64,
    a4: f64,
    a5: f64,
    a6: f64,
    a7: f64,
    a8: f64,
    a9: f64,
    a10: f64,
    a11: f64,
    a12: f64,
    a13: f64,
    a14: f64,
    a15: f64,
    a16: f64,
    a17: f64,
    a18: f64,
    a19: f64,
) -> f64 {
    let s0 = a0 * a1 + a2.sin() * a3 - a4 / a5;
    let s1 = (a6 * a7).exp() + a8.sqrt() * a9.cos();
    let s2 = a10.hypot(a11) + a12.tanh() * a13 + a14.powi(3);
    let s3 = a15.atan2(a16) * a17 + a18.ln() - a19.recip();
    (s0 * s1 + s2 * s3).sin() + s0 + s1 + s2 + s3
}

#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn with_constants(x: f64, y: f64, n: usize, k: i32) -> f64 {
    let m = n as f64;
    x.powi(k) * m + y * x
}

/// Forward mode only: `#[derive_grad]` on a `T: Float` function does not compile yet (macro
/// bug: it emits `+=` on `T`; see `straight_line.rs`).
#[derive_tangent]
fn generic<T: Float>(x: T, y: T) -> T {
    x.sin() * y + T::from(2.0).unwrap() * x
}

#[derive_tangent]
#[derive_grad]
fn single(x: f32, y: f32) -> f32 {
    x.sin() * y + f32::sqrt(x * x + y * y)
}

/// A `Copy` struct by value: its tangent comes in as a `Spring`, its adjoint comes back as one.
#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Spring {
    k: f64,
    rest: f64,
}

#[derive_tangent]
#[derive_grad]
fn spring_energy(s: Spring, x: f64) -> f64 {
    0.5 * s.k * (x - s.rest).powi(2)
}

/// Nested `Copy` structs with an array field: a mass between two springs.
#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Bridge {
    left: Spring,
    right: Spring,
    anchors: [f64; 2],
}

#[derive_tangent]
#[derive_grad]
fn bridge_energy(b: Bridge, x: f64) -> f64 {
    let l = x - b.anchors[0] - b.left.rest;
    let r = b.anchors[1] - x - b.right.rest;
    0.5 * b.left.k * l * l + 0.5 * b.right.k * r * r
}

/// The same by reference: the adjoint is added into a caller's shadow `&mut Bridge`.
#[derive_tangent(wrt(b))]
#[derive_grad(wrt(b))]
fn bridge_energy_ref(b: &Bridge, x: f64) -> f64 {
    let l = x - b.anchors[0] - b.left.rest;
    let r = b.anchors[1] - x - b.right.rest;
    0.5 * b.left.k * l * l + 0.5 * b.right.k * r * r
}

/// A small vector type with operator impls and methods (inlined by the macro).
#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct V3 {
    x: f64,
    y: f64,
    z: f64,
}

impl std::ops::Sub for V3 {
    type Output = V3;
    fn sub(self, o: V3) -> V3 {
        V3 {
            x: self.x - o.x,
            y: self.y - o.y,
            z: self.z - o.z,
        }
    }
}

impl std::ops::Mul<f64> for V3 {
    type Output = V3;
    fn mul(self, s: f64) -> V3 {
        V3 {
            x: self.x * s,
            y: self.y * s,
            z: self.z * s,
        }
    }
}

impl V3 {
    fn norm(self) -> f64 {
        (self.x * self.x + self.y * self.y + self.z * self.z).sqrt()
    }
}

#[derive_tangent]
#[derive_grad]
fn v3_spring(a: V3, b: V3, k: f64) -> f64 {
    let d = (a - b) * 0.5;
    k * d.norm().powi(2)
}

/// nalgebra's fixed-size types by value and by reference, with a vector result (issue 19).
#[derive_tangent]
#[derive_grad]
fn na_placed(r: &Matrix3<f64>, t: &Vector3<f64>, p: Vector3<f64>) -> f64 {
    (r * p + t).norm_squared()
}

#[derive_tangent]
#[derive_grad]
fn na_moved(r: &Matrix3<f64>, p: Vector3<f64>) -> Vector3<f64> {
    r.transpose() * p.cross(&Vector3::new(0.0, 0.0, 1.0))
}

fn bridge(i: usize) -> Bridge {
    Bridge {
        left: Spring {
            k: 2.0 + i as f64 * 1e-4,
            rest: 0.5,
        },
        right: Spring { k: 3.0, rest: 0.4 },
        anchors: [-1.0, 1.0],
    }
}

// ---------------------------------------------------------------------------------------------
// The measurement
// ---------------------------------------------------------------------------------------------

#[test]
fn generated_functions_do_not_allocate() {
    // The counter works: an allocation on this thread is seen.
    let seen = allocations_in(|| {
        black_box(Vec::<f64>::with_capacity(black_box(16)));
    });
    assert_eq!(seen, 1, "the counting allocator must see one allocation");

    // Warm up once outside the measured regions (nothing lazy should be left to initialise).
    let a: [f64; 20] = std::array::from_fn(|i| 0.5 + 0.05 * i as f64);
    let warm = twenty_grad(
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
        a[14], a[15], a[16], a[17], a[18], a[19],
    );
    assert!(warm.0.is_finite());

    let mut sink = 0.0f64;

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let d = i as f64 * 1e-4;
            let (x, y) = (black_box(0.7 + d), black_box(1.3 - d));
            let (v, t) = scalar_tangent(x, 1.0, y, 0.5);
            let (w, (gx, gy)) = scalar_vjp(x, y, 0.25);
            let (u, (hx, hy)) = scalar_grad(x, y);
            sink += v + t + w + gx + gy + u + hx + hy;
        }
    });
    assert_eq!(n, 0, "scalar: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let d = i as f64 * 1e-4;
            let (x, y, z) = (black_box(0.7 + d), black_box(-1.3), black_box(0.4));
            let ((r, t, p), (dr, dt, dp)) = tuple_out_tangent(x, 1.0, y, -0.5, z, 2.0);
            let ((r2, _, _), (gx, gy, gz)) = tuple_out_vjp(x, y, z, (1.0, -2.0, 0.5));
            sink += r + t + p + dr + dt + dp + r2 + gx + gy + gz;
        }
    });
    assert_eq!(n, 0, "tuple output: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let d = i as f64 * 1e-4;
            let (x, y) = (black_box(0.7 + d), black_box(1.3));
            let (v, t) = array_out_tangent(x, 1.0, y, 0.5);
            let (w, (gx, gy)) = array_out_vjp(x, y, [1.0, -2.0, 0.5]);
            sink += v[0] + t[1] + w[2] + gx + gy;
        }
    });
    assert_eq!(n, 0, "array output: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let d = i as f64 * 1e-5;
            let a: [f64; 20] = black_box(std::array::from_fn(|k| 0.5 + 0.05 * k as f64 + d));
            let t: [f64; 20] = std::array::from_fn(|k| (k % 3) as f64 - 1.0);
            let (v, dv) = twenty_tangent(
                a[0], t[0], a[1], t[1], a[2], t[2], a[3], t[3], a[4], t[4], a[5], t[5], a[6], t[6],
                a[7], t[7], a[8], t[8], a[9], t[9], a[10], t[10], a[11], t[11], a[12], t[12],
                a[13], t[13], a[14], t[14], a[15], t[15], a[16], t[16], a[17], t[17], a[18], t[18],
                a[19], t[19],
            );
            let (w, g) = twenty_grad(
                a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12],
                a[13], a[14], a[15], a[16], a[17], a[18], a[19],
            );
            let (u, b) = twenty_vjp(
                a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12],
                a[13], a[14], a[15], a[16], a[17], a[18], a[19], -0.5,
            );
            sink += v + dv + w + u + g.0 + g.7 + g.19 + b.3 + b.12 + b.19;
        }
    });
    assert_eq!(n, 0, "20 inputs: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let x = black_box(0.7 + i as f64 * 1e-4);
            let (v, t) = with_constants_tangent(x, 1.0, 2.0, 3, -2);
            let (w, gx) = with_constants_vjp(x, 2.0, 3, -2, 0.5);
            let (u, hx) = with_constants_grad(x, 2.0, 3, -2);
            sink += v + t + w + gx + u + hx;
        }
    });
    assert_eq!(n, 0, "constant parameters and wrt: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let x = black_box(0.7f32 + i as f32 * 1e-4);
            let (v, t) = single_tangent(x, 1.0, 1.5, 0.0);
            let (w, (gx, gy)) = single_vjp(x, 1.5, 2.0);
            let (u, (hx, hy)) = single_grad(x, 1.5);
            sink += f64::from(v + t + w + gx + gy + u + hx + hy);
        }
    });
    assert_eq!(n, 0, "f32: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let x = black_box(0.7 + i as f64 * 1e-4);
            let (v, t) = generic_tangent::<f64>(x, 1.0, 1.5, -1.0);
            let (w, s) = generic_tangent::<f32>(x as f32, 1.0, 1.5, -1.0);
            sink += v + t + f64::from(w + s);
        }
    });
    assert_eq!(n, 0, "generic: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let r = black_box([0.7 + i as f64 * 1e-4, -0.3, 1.1]);
            let (v, t) = array_helpers_tangent(r, [1.0, 0.0, 0.0], 0.8, 0.0);
            let (w, (g, gs)) = array_helpers_grad(r, 0.8);
            sink += v + t + w + g[0] + g[2] + gs;
        }
    });
    assert_eq!(n, 0, "array helpers: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let s = black_box(Spring {
                k: 2.0 + i as f64 * 1e-4,
                rest: 0.5,
            });
            let x = black_box(1.3);
            let (v, t) = spring_energy_tangent(s, Spring { k: 1.0, rest: -0.5 }, x, 0.25);
            let (w, (gs, gx)) = spring_energy_grad(s, x);
            let (u, (hs, hx)) = spring_energy_vjp(s, x, -0.5);
            sink += v + t + w + gs.k + gs.rest + gx + u + hs.k + hs.rest + hx;
        }
    });
    assert_eq!(n, 0, "struct by value: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let b = black_box(bridge(i));
            let x = black_box(0.1);
            let mut db = b;
            db.left.k = 1.0;
            db.anchors[1] = -0.5;
            let (v, t) = bridge_energy_tangent(b, db, x, 0.25);
            let (w, (gb, gx)) = bridge_energy_grad(b, x);
            let (u, (hb, hx)) = bridge_energy_vjp(b, x, 2.0);
            sink += v + t + w + gb.left.k + gb.right.rest + gb.anchors[1] + gx;
            sink += u + hb.left.rest + hb.right.k + hb.anchors[0] + hx;
        }
    });
    assert_eq!(n, 0, "nested struct by value: {n} allocations");

    let n = allocations_in(|| {
        for i in 0..ROUNDS {
            let a = black_box(V3 {
                x: 1.0 + i as f64 * 1e-4,
                y: 0.5,
                z: -0.2,
            });
            let b = black_box(V3 {
                x: -0.3,
                y: 0.1,
                z: 0.7,
            });
            let (v, t) = v3_spring_tangent(a, b, b, a, 2.0, 0.5);
            let (w, (ga, gb, gk)) = v3_spring_grad(a, b, 2.0);
            sink += v + t + w + ga.x + gb.z + gk + v3_spring(a, b, 2.0);
        }
    });
    assert_eq!(n, 0, "vector type with operators by value: {n} allocations");

    let n = allocations_in(|| {
        let mut shadow = bridge(0).zero_like();
        for i in 0..ROUNDS {
            let b = black_box(bridge(i));
            let x = black_box(0.1);
            let (v, t) = bridge_energy_ref_tangent(&b, &b, x);
            let w = bridge_energy_ref_grad(&b, &mut shadow, x);
            let u = bridge_energy_ref_vjp(&b, &mut shadow, x, 0.5);
            sink += v + t + w + u;
        }
        sink += shadow.left.k + shadow.right.rest + shadow.anchors[0];
    });
    assert_eq!(n, 0, "nested struct by reference: {n} allocations");

    let n = allocations_in(|| {
        let r = Matrix3::new(0.9, -0.1, 0.2, 0.1, 1.1, 0.0, -0.2, 0.3, 0.8);
        let (mut gr, mut gt) = (Matrix3::zeros(), Vector3::zeros());
        for i in 0..ROUNDS {
            let t = black_box(Vector3::new(0.1, -0.2, i as f64 * 1e-4));
            let p = black_box(Vector3::new(1.0, 0.5, -0.3));
            let (v, d) = na_placed_tangent(&r, &r, &t, &t, p, p);
            let (w, gp) = na_placed_grad(&r, &mut gr, &t, &mut gt, p);
            let (m, dm) = na_moved_tangent(&r, &r, p, t);
            let (u, gp2) = na_moved_vjp(&r, &mut gr, p, t);
            sink += v + d + w + gp.x + m.y + dm.z + u.x + gp2.z;
        }
        sink += gr.m12 + gt.y;
    });
    assert_eq!(n, 0, "nalgebra vectors and matrices: {n} allocations");

    // Keep the results observable so that nothing above is optimised away.
    assert!(black_box(sink).is_finite());
}

/// The derivatives measured above are right (a spot check, so that a cheap but wrong
/// derivative cannot pass as allocation-free).
#[test]
fn measured_functions_are_right() {
    // nalgebra: the gradient of |r p + t|² by hand is 2 e pᵀ, 2 e, 2 rᵀ e with e = r p + t.
    let r = Matrix3::new(0.9, -0.1, 0.2, 0.1, 1.1, 0.0, -0.2, 0.3, 0.8);
    let (t, p) = (Vector3::new(0.1, -0.2, 0.3), Vector3::new(1.0, 0.5, -0.3));
    let e = r * p + t;
    let (mut gr, mut gt) = (Matrix3::zeros(), Vector3::zeros());
    let (v, gp) = na_placed_grad(&r, &mut gr, &t, &mut gt, p);
    assert_eq!(v, na_placed(&r, &t, p));
    assert!((gr - 2.0 * e * p.transpose()).norm() < 1e-14);
    assert!((gt - 2.0 * e).norm() < 1e-14 && (gp - 2.0 * r.transpose() * e).norm() < 1e-14);
    let (m, dm) = na_moved_tangent(&r, &Matrix3::zeros(), p, t);
    assert_eq!(m, na_moved(&r, p));
    assert!((dm - r.transpose() * t.cross(&Vector3::z())).norm() < 1e-14);
    // Every generated function returns the value of the original.
    assert_eq!(scalar_grad(0.7, 1.3).0, scalar(0.7, 1.3));
    assert_eq!(scalar_tangent(0.7, 1.0, 1.3, 0.0).0, scalar(0.7, 1.3));
    assert_eq!(
        tuple_out_vjp(0.7, -1.3, 0.4, (1.0, 0.0, 0.0)).0,
        tuple_out(0.7, -1.3, 0.4)
    );
    assert_eq!(array_out_tangent(0.7, 1.0, 1.3, 0.0).0, array_out(0.7, 1.3));
    assert_eq!(
        with_constants_grad(0.7, 2.0, 3, -2).0,
        with_constants(0.7, 2.0, 3, -2)
    );
    assert_eq!(single_grad(0.7, 1.5).0, single(0.7, 1.5));
    assert_eq!(generic_tangent(0.7, 1.0, 1.5, 0.0).0, generic(0.7, 1.5));
    let r = [0.7, -0.3, 1.1];
    let (v, (g, _)) = array_helpers_grad(r, 0.8);
    let (w, t) = array_helpers_tangent(r, [1.0, 0.0, 0.0], 0.8, 0.0);
    assert_eq!((v, w), (array_helpers(r, 0.8), array_helpers(r, 0.8)));
    assert!((g[0] - t).abs() <= 1e-12 * t.abs().max(1.0));

    // Structs: the values are the original's; the gradients are by hand and agree with forward
    // mode along each field.
    let s = Spring { k: 2.0, rest: 0.5 };
    let (v, (gs, gx)) = spring_energy_grad(s, 1.3);
    assert_eq!(v, spring_energy(s, 1.3));
    let d = 1.3 - 0.5;
    assert!((gs.k - 0.5 * d * d).abs() <= 1e-12);
    assert!((gs.rest + 2.0 * d).abs() <= 1e-12);
    assert!((gx - 2.0 * d).abs() <= 1e-12);
    let (_, t) = spring_energy_tangent(s, Spring { k: 1.0, rest: -0.5 }, 1.3, 0.25);
    assert!((t - (gs.k - 0.5 * gs.rest + 0.25 * gx)).abs() <= 1e-12);
    let b = bridge(0);
    let (v, (gb, _)) = bridge_energy_grad(b, 0.1);
    assert_eq!(v, bridge_energy(b, 0.1));
    let mut shadow = b.zero_like();
    assert_eq!(bridge_energy_ref_grad(&b, &mut shadow, 0.1), v);
    assert_eq!(bridge_energy_ref(&b, 0.1), v);
    assert_eq!(shadow, gb);
    for i in 0..b.flat_len() {
        let mut e = vec![0.0; b.flat_len()];
        e[i] = 1.0;
        let (_, t) = bridge_energy_tangent(b, b.with_flat(&e), 0.1, 0.0);
        assert!((t - gb.to_flat()[i]).abs() <= 1e-12, "bridge field {i}");
    }

    // with_constants: x^k n + y x, d/dx = k n x^(k-1) + y.
    let (x, y) = (0.7, 2.0);
    let (_, gx) = with_constants_grad(x, y, 3, -2);
    let want = -2.0 * 3.0 * x.powi(-3) + y;
    assert!((gx - want).abs() <= 1e-12 * want.abs());

    // array_out at (x, y), seed e_2: d/dx (x / y)^(1/3) = 1 / (3 y (x/y)^(2/3)).
    let (x, y) = (0.7, 1.3);
    let (_, (gx, gy)) = array_out_vjp(x, y, [0.0, 0.0, 1.0]);
    let c2 = (x / y).cbrt().powi(2);
    assert!((gx - 1.0 / (3.0 * y * c2)).abs() <= 1e-12);
    assert!((gy + x / (3.0 * y * y * c2)).abs() <= 1e-12);

    // twenty: reverse against forward mode component by component, and against finite
    // differences.
    let a: [f64; 20] = std::array::from_fn(|i| 0.5 + 0.05 * i as f64);
    let (_, g) = twenty_grad(
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
        a[14], a[15], a[16], a[17], a[18], a[19],
    );
    let g = [
        g.0, g.1, g.2, g.3, g.4, g.5, g.6, g.7, g.8, g.9, g.10, g.11, g.12, g.13, g.14, g.15, g.16,
        g.17, g.18, g.19,
    ];
    for (k, gk) in g.iter().enumerate() {
        let t: [f64; 20] = std::array::from_fn(|i| if i == k { 1.0 } else { 0.0 });
        let (_, dk) = twenty_tangent(
            a[0], t[0], a[1], t[1], a[2], t[2], a[3], t[3], a[4], t[4], a[5], t[5], a[6], t[6],
            a[7], t[7], a[8], t[8], a[9], t[9], a[10], t[10], a[11], t[11], a[12], t[12], a[13],
            t[13], a[14], t[14], a[15], t[15], a[16], t[16], a[17], t[17], a[18], t[18], a[19],
            t[19],
        );
        assert!(
            (dk - gk).abs() <= 1e-12 * gk.abs().max(1e-3),
            "input {k}: {dk} vs {gk}"
        );
    }
    let fd = ad_tests::fd_gradient(
        |p: &[f64]| {
            twenty(
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12],
                p[13], p[14], p[15], p[16], p[17], p[18], p[19],
            )
        },
        &a,
    );
    for k in 0..20 {
        assert!(
            (fd[k] - g[k]).abs() <= 1e-6 * g[k].abs().max(1.0),
            "input {k}"
        );
    }
}

#[test]
fn generic_forward_is_right() {
    let (x, y) = (0.4f64, 1.1f64);
    let (_, t) = generic_tangent(x, 1.0, y, 0.0);
    assert!((t - (x.cos() * y + 2.0)).abs() <= 1e-12);
}
