//! The dot-product test of forward against reverse mode: for `f: R^n -> R^m` with Jacobian `J`,
//! `<J v, w> = <v, J^T w>` for every `v` in R^n and `w` in R^m. `J v` comes from `NAME_tangent`
//! (tangent `v`), `J^T w` from `NAME_vjp` (seed `w`). Both sides must agree to 1e-12 relative
//! (SPEC §8). As a guard against both modes being wrong the same way, `J v` is also compared with
//! a central finite difference along `v`.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::Tol;
use ad_tests::r#gen::Rng;

fn dot<const K: usize>(a: [f64; K], b: [f64; K]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Runs the dot-product test of one function at `points`, with `trials` random `(v, w)` pairs
/// per point.
///
/// - `f(p)`: the original function, output flattened to an array;
/// - `jvp(p, v)`: from `NAME_tangent`: `(value, J v)`;
/// - `vjp(p, w)`: from `NAME_vjp` with seed `w`: `(value, J^T w)`.
fn dot_product_test<const N: usize, const M: usize>(
    name: &str,
    seed: u64,
    points: &[[f64; N]],
    f: impl Fn([f64; N]) -> [f64; M],
    jvp: impl Fn([f64; N], [f64; N]) -> ([f64; M], [f64; M]),
    vjp: impl Fn([f64; N], [f64; M]) -> ([f64; M], [f64; N]),
) {
    assert!(
        M > 1,
        "the dot-product test is about functions with several outputs"
    );
    let mut rng = Rng(seed);
    let trials = 8;
    for p in points {
        let p = *p;
        let value = f(p);
        for trial in 0..trials {
            let v: [f64; N] = std::array::from_fn(|_| rng.signed());
            let w: [f64; M] = std::array::from_fn(|_| rng.signed());
            let (value_fwd, jv) = jvp(p, v);
            let (value_rev, jtw) = vjp(p, w);
            assert_eq!(value_fwd, value, "{name} at {p:?}: value of _tangent");
            assert_eq!(value_rev, value, "{name} at {p:?}: value of _vjp");

            let lhs = dot(jv, w);
            let rhs = dot(v, jtw);
            // The scale of the terms summed, for the rare case where the sum cancels to ~0.
            let scale = jv.iter().zip(w).map(|(a, b)| (a * b).abs()).sum::<f64>();
            let tol = Tol {
                rel: 1e-12,
                abs: 1e-14 * scale.max(1.0),
            };
            assert!(
                tol.accepts(lhs, rhs),
                "{name} at {p:?}, trial {trial}: <J v, w> = {lhs:e} but <v, J^T w> = {rhs:e} \
                 (v = {v:?}, w = {w:?})"
            );

            // J v against a central difference along v, one output component at a time.
            for (i, &jv_i) in jv.iter().enumerate() {
                let along = |t: &[f64]| f(std::array::from_fn(|j| p[j] + t[0] * v[j]))[i];
                let fd = ad_tests::central_difference(along, &[0.0], 0);
                assert!(
                    Tol::fd(value[i]).accepts(jv_i, fd),
                    "{name} at {p:?}, trial {trial}: (J v)[{i}] = {jv_i:e}, finite differences \
                     give {fd:e}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// R^2 -> R^2, tuple output: polar coordinates.
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn polar(x: f64, y: f64) -> (f64, f64) {
    let r = x.hypot(y);
    let theta = f64::atan2(y, x);
    (r, theta)
}

#[test]
fn polar_coordinates() {
    dot_product_test(
        "polar",
        1,
        &[[1.0, 0.5], [-0.7, 1.2], [0.4, -2.0], [-3.0, -0.1]],
        |[x, y]| {
            let (r, t) = polar(x, y);
            [r, t]
        },
        |[x, y], [dx, dy]| {
            let ((r, t), (dr, dt)) = polar_tangent(x, dx, y, dy);
            ([r, t], [dr, dt])
        },
        |[x, y], [wr, wt]| {
            let ((r, t), (gx, gy)) = polar_vjp(x, y, (wr, wt));
            ([r, t], [gx, gy])
        },
    );
}

// ---------------------------------------------------------------------------------------------
// R^3 -> R^2, tuple output: range and apex height of a projectile launched at speed `v`,
// angle `theta`, under gravity `g`.
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
fn projectile(v: f64, theta: f64, g: f64) -> (f64, f64) {
    let v2 = v * v;
    let range = v2 * (2.0 * theta).sin() / g;
    let vy = v * theta.sin();
    let height = vy.powi(2) / (2.0 * g);
    (range, height)
}

#[test]
fn projectile_range_and_height() {
    dot_product_test(
        "projectile",
        2,
        &[[10.0, 0.6, 9.81], [3.5, 1.1, 1.62], [25.0, 0.2, 24.8]],
        |[v, t, g]| {
            let (a, b) = projectile(v, t, g);
            [a, b]
        },
        |[v, t, g], [dv, dt, dg]| {
            let ((a, b), (da, db)) = projectile_tangent(v, dv, t, dt, g, dg);
            ([a, b], [da, db])
        },
        |[v, t, g], [w0, w1]| {
            let ((a, b), (gv, gt, gg)) = projectile_vjp(v, t, g, (w0, w1));
            ([a, b], [gv, gt, gg])
        },
    );
}

// ---------------------------------------------------------------------------------------------
// R^4 -> R^3, array-literal output: spherical coordinates, scaled.
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn spherical(r: f64, theta: f64, phi: f64, s: f64) -> [f64; 3] {
    let (st, ct) = theta.sin_cos();
    let rs = r * st;
    [rs * phi.cos() * s, rs * f64::sin(phi), r * ct + s * s]
}

#[test]
fn spherical_coordinates() {
    dot_product_test(
        "spherical",
        3,
        &[
            [1.0, 0.5, 0.3, 2.0],
            [2.5, 2.0, -1.0, 0.5],
            [0.7, 1.2, 4.0, -1.5],
        ],
        |[r, t, p, s]| spherical(r, t, p, s),
        |[r, t, p, s], [dr, dt, dp, ds]| spherical_tangent(r, dr, t, dt, p, dp, s, ds),
        |[r, t, p, s], w| {
            let (v, (gr, gt, gp, gs)) = spherical_vjp(r, t, p, s, w);
            (v, [gr, gt, gp, gs])
        },
    );
}

// ---------------------------------------------------------------------------------------------
// R^3 -> R^3, tuple of three, with many operations.
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
fn mixed(x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let mut a = x * y * z;
    a += (x - z).tanh();
    let b = x.exp() * y.sin() - f64::ln_1p(z * z);
    let c = z.powi(3) / x + y.mul_add(z, x).cbrt();
    (a, b, c)
}

#[test]
fn mixed_three_outputs() {
    dot_product_test(
        "mixed",
        4,
        &[[0.5, 1.5, -0.4], [-2.0, 0.3, 1.2], [1.1, -0.7, 0.9]],
        |[x, y, z]| {
            let (a, b, c) = mixed(x, y, z);
            [a, b, c]
        },
        |[x, y, z], [dx, dy, dz]| {
            let ((a, b, c), (da, db, dc)) = mixed_tangent(x, dx, y, dy, z, dz);
            ([a, b, c], [da, db, dc])
        },
        |[x, y, z], [w0, w1, w2]| {
            let ((a, b, c), (gx, gy, gz)) = mixed_vjp(x, y, z, (w0, w1, w2));
            ([a, b, c], [gx, gy, gz])
        },
    );
}

// ---------------------------------------------------------------------------------------------
// R^2 -> R^4, array-literal output (more outputs than inputs), with a constant parameter.
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn widen(x: f64, y: f64, k: i32) -> [f64; 4] {
    [x + y, x * y, x / y, (x - y).exp() * y.powi(k)]
}

#[test]
fn widen_four_outputs() {
    for k in [2i32, -1] {
        dot_product_test(
            "widen",
            5 + u64::from(k.unsigned_abs()),
            &[[0.5, 1.5], [-2.0, 0.3], [1.1, -0.7]],
            |[x, y]| widen(x, y, k),
            |[x, y], [dx, dy]| widen_tangent(x, dx, y, dy, k),
            |[x, y], w| {
                let (v, (gx, gy)) = widen_vjp(x, y, k, w);
                (v, [gx, gy])
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// wrt(..): R^2 -> R^2 rotation by an angle that is held constant.
// ---------------------------------------------------------------------------------------------

#[derive_tangent(wrt(x, y))]
#[derive_grad(wrt(x, y))]
fn rotate(x: f64, y: f64, angle: f64) -> [f64; 2] {
    let (s, c) = angle.sin_cos();
    [c * x - s * y, s * x + c * y]
}

#[test]
fn rotation_with_constant_angle() {
    for angle in [0.3, -2.0] {
        dot_product_test(
            "rotate",
            7,
            &[[1.0, 0.5], [-0.7, 1.2]],
            |[x, y]| rotate(x, y, angle),
            |[x, y], [dx, dy]| rotate_tangent(x, dx, y, dy, angle),
            |[x, y], w| {
                let (v, (gx, gy)) = rotate_vjp(x, y, angle, w);
                (v, [gx, gy])
            },
        );
    }
}
