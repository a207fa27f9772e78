//! Nested containers as parameters (SPEC §3, §4): `&[[f64; 3]]` point clouds, `&mut [[f64; 3]]`
//! outputs, `&[Vec<f64>]` and `&Vec<Vec<T>>` rows, iterated as `for q in p { q[0] .. }`,
//! `for row in r { for v in row { .. } }` and `for i in 0..r.len() { for j in 0..r[i].len() }`;
//! constant nested containers and constant structs with `Vec` fields read through untouched;
//! type aliases of floats.
//!
//! The shadows have the parameter's shape: `p: &[[f64; 3]]` gets `dp: &[[f64; 3]]` (forward)
//! and `dp: &mut [[f64; 3]]` (reverse, added into); `r: &Vec<Vec<f64>>` gets `&[Vec<f64>]` /
//! `&mut [Vec<f64>]`.
//!
//! Every function is checked three ways on its floats flattened into one vector: against a
//! gradient worked out by hand, against central finite differences, and forward mode (one
//! `_tangent` per component, and along random directions) against reverse mode.

use ad_runtime::{Float, derive_grad, derive_jacobian, derive_tangent};
use ad_tests::r#gen::Rng;
use ad_tests::{At, HAND, MODES, Tol, central_difference, check_flat};

// ---------------------------------------------------------------------------------------------
// Machinery: a scalar function of flattened floats, checked three ways
// ---------------------------------------------------------------------------------------------

/// `n` points of `R^3` from the flat vector `p`.
fn points(p: &[f64]) -> Vec<[f64; 3]> {
    p.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// Rows of the given lengths from the flat vector `p`.
fn rows(p: &[f64], lens: &[usize]) -> Vec<Vec<f64>> {
    let mut at = 0;
    lens.iter()
        .map(|&l| {
            at += l;
            p[at - l..at].to_vec()
        })
        .collect()
}

fn flatten<R: AsRef<[f64]>>(rows: &[R]) -> Vec<f64> {
    rows.iter().flat_map(|r| r.as_ref().to_vec()).collect()
}

// ---------------------------------------------------------------------------------------------
// Point clouds: `&[[f64; 3]]`
// ---------------------------------------------------------------------------------------------

/// The Coulomb energy of a point cloud, each unordered pair counted twice.
#[derive_tangent]
#[derive_grad]
fn coulomb(p: &[[f64; 3]]) -> f64 {
    let mut e = 0.0;
    for i in 0..p.len() {
        for j in 0..p.len() {
            if i != j {
                let dx = p[i][0] - p[j][0];
                let dy = p[i][1] - p[j][1];
                let dz = p[i][2] - p[j][2];
                e += 1.0 / (dx * dx + dy * dy + dz * dz).sqrt();
            }
        }
    }
    e
}

fn coulomb_by_hand(p: &[[f64; 3]]) -> Vec<f64> {
    let mut g = vec![0.0; 3 * p.len()];
    for i in 0..p.len() {
        for j in 0..p.len() {
            if i != j {
                let d: Vec<f64> = (0..3).map(|c| p[i][c] - p[j][c]).collect();
                let r = d.iter().map(|x| x * x).sum::<f64>().sqrt();
                for c in 0..3 {
                    // d(2/r)/dp_i = -2 d / r^3 (the pair appears as (i, j) and (j, i)).
                    g[3 * i + c] -= 2.0 * d[c] / (r * r * r);
                }
            }
        }
    }
    g
}

#[test]
fn point_cloud_energy() {
    let mut rng = Rng(0xc0c0);
    for n in [2, 3, 7] {
        let flat = rng.vec(3 * n, -2.0, 2.0);
        check_flat(
            "coulomb",
            &flat,
            |x| coulomb(&points(x)),
            |x, d| coulomb_tangent(&points(x), &points(d)),
            |x, g| {
                let mut dp = points(g);
                let v = coulomb_grad(&points(x), &mut dp);
                g.copy_from_slice(&flatten(&dp));
                v
            },
            |x| coulomb_by_hand(&points(x)),
        );
    }
}

/// Springs to the centroid and a weight per point, iterating the rows: `for q in p`, and
/// `p.iter().enumerate()` with the row indexed as `q[j]`.
#[derive_tangent]
#[derive_grad]
fn springs(p: &[[f64; 3]], k: f64) -> f64 {
    let mut c = [0.0; 3];
    for q in p {
        for j in 0..q.len() {
            c[j] += q[j] / p.len() as f64;
        }
    }
    let mut e = 0.0;
    for (i, q) in p.iter().enumerate() {
        let w = 1.0 + i as f64;
        e += 0.5 * k * w * ((q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2) + (q[2] - c[2]).powi(2));
        e += q[2].exp() * 0.1;
    }
    e
}

fn springs_by_hand(p: &[[f64; 3]], k: f64) -> Vec<f64> {
    let n = p.len();
    let c: Vec<f64> = (0..3)
        .map(|j| p.iter().map(|q| q[j]).sum::<f64>() / n as f64)
        .collect();
    // e = Σ_i w_i k/2 |q_i - c|² + Σ 0.1 exp(q_i2); dc/dq_mj = 1/n.
    let mut g = vec![0.0; 3 * n + 1];
    for (i, q) in p.iter().enumerate() {
        let w = 1.0 + i as f64;
        for j in 0..3 {
            let d = q[j] - c[j];
            g[3 * i + j] += k * w * d;
            // Through the centroid: -Σ_m k w_m (q_mj - c_j) / n, which is zero at any point
            // only when all w are equal; here it is kept.
            for (m, qm) in p.iter().enumerate() {
                g[3 * i + j] -= k * (1.0 + m as f64) * (qm[j] - c[j]) / n as f64;
            }
            g[3 * n] += 0.5 * w * d * d;
        }
        g[3 * i + 2] += 0.1 * q[2].exp();
    }
    g
}

#[test]
fn point_cloud_rows_iterated() {
    let mut rng = Rng(0x5e1f);
    for n in [1, 4] {
        let flat = rng.vec(3 * n + 1, -1.5, 1.5);
        let split = |x: &[f64]| (points(&x[..3 * n]), x[3 * n]);
        check_flat(
            "springs",
            &flat,
            |x| {
                let (p, k) = split(x);
                springs(&p, k)
            },
            |x, d| {
                let ((p, k), (dp, dk)) = (split(x), split(d));
                springs_tangent(&p, &dp, k, dk)
            },
            |x, g| {
                let (p, k) = split(x);
                let mut dp = points(&g[..3 * n]);
                let (v, dk) = springs_grad(&p, &mut dp, k);
                g[..3 * n].copy_from_slice(&flatten(&dp));
                g[3 * n] += dk;
                v
            },
            |x| {
                let (p, k) = split(x);
                springs_by_hand(&p, k)
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rows: `&[Vec<f64>]`, `&Vec<Vec<T>>`, jagged
// ---------------------------------------------------------------------------------------------

/// A 2-D computation over jagged rows, three ways of walking them.
#[allow(clippy::needless_range_loop)] // the indexed loop is a shape under test
#[derive_tangent]
#[derive_grad]
fn rows_energy(r: &[Vec<f64>], w: f64) -> f64 {
    let mut s = 0.0;
    for row in r {
        for v in row {
            s += (v * w).sin();
        }
    }
    for i in 0..r.len() {
        for j in 0..r[i].len() {
            s += r[i][j] * r[i][j];
        }
    }
    for row in r.iter() {
        s += row.iter().map(|v| v * v * v).sum::<f64>();
    }
    s
}

#[test]
fn rows_two_dimensional() {
    let lens = [3, 1, 4, 2];
    let total: usize = lens.iter().sum();
    let mut rng = Rng(0x2d2d);
    let flat = rng.vec(total + 1, -1.2, 1.2);
    let split = |x: &[f64]| (rows(&x[..total], &lens), x[total]);
    check_flat(
        "rows_energy",
        &flat,
        |x| {
            let (r, w) = split(x);
            rows_energy(&r, w)
        },
        |x, d| {
            let ((r, w), (dr, dw)) = (split(x), split(d));
            rows_energy_tangent(&r, &dr, w, dw)
        },
        |x, g| {
            let (r, w) = split(x);
            let mut dr = rows(&g[..total], &lens);
            let (v, dw) = rows_energy_grad(&r, &mut dr, w);
            g[..total].copy_from_slice(&flatten(&dr));
            g[total] += dw;
            v
        },
        |x| {
            let (r, w) = split(x);
            let mut g: Vec<f64> = flatten(&r)
                .iter()
                .map(|v| w * (v * w).cos() + 2.0 * v + 3.0 * v * v)
                .collect();
            g.push(flatten(&r).iter().map(|v| v * (v * w).cos()).sum());
            g
        },
    );
}

/// Generic rows in, rows out: `out[i][j] = sin r[i][j]`, returning `Σ r[i][j] sin r[i][j]`.
#[allow(clippy::ptr_arg)] // `&Vec<Vec<T>>` is the parameter type under test
#[derive_tangent]
#[derive_grad]
fn sin_rows<T: Float>(r: &Vec<Vec<T>>, out: &mut Vec<Vec<T>>) -> T {
    let mut s = T::zero();
    for i in 0..r.len() {
        for j in 0..r[i].len() {
            out[i][j] = r[i][j].sin();
            s = s + r[i][j] * out[i][j];
        }
    }
    s
}

/// `&mut Vec<Vec<T>>` outputs, for f64 and f32: the tangent of each output against its
/// derivative by hand, and the dot-product test `<J v, u> = <v, Jᵀ u>` between the modes.
#[test]
fn rows_written_generic() {
    fn run<T: Float + std::fmt::Debug>(tol: f64) {
        let c = |x: f64| T::from(x).unwrap();
        let back = |x: T| x.to_f64().unwrap();
        let r: Vec<Vec<T>> = vec![
            vec![c(0.3), c(-1.1)],
            vec![c(0.7)],
            vec![c(1.4), c(0.2), c(-0.5)],
        ];
        let v: Vec<Vec<T>> = vec![
            vec![c(1.0), c(-0.5)],
            vec![c(0.25)],
            vec![c(-2.0), c(0.5), c(1.5)],
        ];
        let u: Vec<Vec<T>> = vec![
            vec![c(0.5), c(2.0)],
            vec![c(-1.0)],
            vec![c(0.75), c(-0.25), c(1.0)],
        ];
        let zeros = || -> Vec<Vec<T>> { r.iter().map(|x| vec![c(0.0); x.len()]).collect() };
        // Forward: entry tangent of `out` is irrelevant (written before read).
        let (mut out, mut dout) = (zeros(), zeros());
        let (s, ds) = sin_rows_tangent(&r, &v, &mut out, &mut dout);
        let mut want_s = 0.0;
        let mut want_ds = 0.0;
        for i in 0..r.len() {
            for j in 0..r[i].len() {
                let (x, dx) = (back(r[i][j]), back(v[i][j]));
                assert!((back(out[i][j]) - x.sin()).abs() <= tol);
                assert!(
                    (back(dout[i][j]) - x.cos() * dx).abs() <= tol,
                    "dout[{i}][{j}]"
                );
                want_s += x * x.sin();
                want_ds += (x.sin() + x * x.cos()) * dx;
            }
        }
        assert!((back(s) - want_s).abs() <= tol && (back(ds) - want_ds).abs() <= tol);
        let mut out0 = zeros();
        assert_eq!(back(sin_rows(&r, &mut out0)), back(s));
        // Reverse with seed 1 on `s` and cotangent `u` on `out`.
        let mut out2 = zeros();
        let mut dr = zeros();
        let mut du = u.clone();
        let s2 = sin_rows_vjp(&r, &mut dr, &mut out2, &mut du, c(1.0));
        assert!((back(s2) - want_s).abs() <= tol);
        // <J v, (1, u)> against <v, Jᵀ (1, u)>, and the pure output's shadow is zero on exit.
        let mut lhs = back(ds);
        let mut rhs = 0.0;
        for i in 0..r.len() {
            for j in 0..r[i].len() {
                lhs += back(dout[i][j]) * back(u[i][j]);
                rhs += back(v[i][j]) * back(dr[i][j]);
                assert_eq!(back(du[i][j]), 0.0);
            }
        }
        assert!(
            (lhs - rhs).abs() <= tol * lhs.abs().max(1.0),
            "{lhs} vs {rhs}"
        );
    }
    run::<f64>(1e-12);
    run::<f32>(1e-5);
}

// ---------------------------------------------------------------------------------------------
// `&mut [[f64; 3]]` outputs
// ---------------------------------------------------------------------------------------------

/// `out[i] = a p[i]² (elementwise) + out[i]`: reads and writes the output rows.
#[derive_tangent]
#[derive_grad]
fn scale_points(p: &[[f64; 3]], out: &mut [[f64; 3]], a: f64) {
    for (i, q) in p.iter().enumerate() {
        for j in 0..3 {
            out[i][j] = a * q[j] * q[j] + out[i][j].sin();
        }
    }
}

/// The Jacobian of `(p, out_in, a) ↦ out_out` by finite differences, by forward mode (one
/// column per input) and by reverse mode (one row per output), all three agreeing.
#[test]
fn point_cloud_written() {
    let p = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
    let o = [[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]];
    let a = 1.3;
    let n_in = 13;
    let eval = |x: &[f64]| -> Vec<f64> {
        let mut out = points(&x[6..12]);
        scale_points(&points(&x[..6]), &mut out, x[12]);
        flatten(&out)
    };
    let mut x0 = flatten(&p);
    x0.extend(flatten(&o));
    x0.push(a);
    for k in 0..n_in {
        // Column k by forward mode.
        let mut e = vec![0.0; n_in];
        e[k] = 1.0;
        let mut out = o;
        let mut dout = points(&e[6..12]);
        scale_points_tangent(&p, &points(&e[..6]), &mut out, &mut dout, a, e[12]);
        let col = flatten(&dout);
        for m in 0..6 {
            let fd = central_difference(|x| eval(x)[m], &x0, k);
            // By hand: ∂out_m/∂p_m = 2 a p_m, ∂out_m/∂o_m = cos o_m, ∂out_m/∂a = p_m².
            let hand = if k < 6 {
                if k == m { 2.0 * a * x0[m] } else { 0.0 }
            } else if k < 12 {
                if k - 6 == m { x0[k].cos() } else { 0.0 }
            } else {
                x0[m] * x0[m]
            };
            let at = At("scale_points", &x0);
            at.close("forward vs hand", m, col[m], hand, HAND);
            at.close("forward vs finite differences", m, col[m], fd, Tol::fd(1.0));
            // Row m by reverse mode, entry k.
            let mut out = o;
            let mut dp = [[0.0; 3]; 2];
            let mut u = [[0.0; 3]; 2];
            u[m / 3][m % 3] = 1.0;
            let da = scale_points_vjp(&p, &mut dp, &mut out, &mut u, a);
            let mut row = flatten(&dp);
            row.extend(flatten(&u));
            row.push(da);
            at.close("forward vs reverse", m, col[m], row[k], MODES);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Constants pass through untouched
// ---------------------------------------------------------------------------------------------

/// A struct without the derive: constant, its fields read as written.
pub struct Params {
    pub w: Vec<f64>,
    pub rows: Vec<Vec<f64>>,
    pub c: f64,
}

#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn constant_rows(x: &[f64], r: &[Vec<f64>]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * r[i][0];
    }
    s
}

#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn constant_struct(x: &[f64], p: &Params, pts: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * p.w[i] + p.rows[i][1] * x[i].sin() * p.c + pts[i][2] * x[i] * x[i];
    }
    s
}

#[test]
fn constants_pass_through() {
    let r = vec![vec![0.5, 9.0], vec![-1.5], vec![2.0, 1.0, 3.0]];
    let p = Params {
        w: vec![0.1, -0.2, 0.3],
        rows: vec![vec![0.0, 1.5], vec![0.0, -0.5], vec![0.0, 2.5]],
        c: 0.75,
    };
    let pts = [[0.0, 0.0, 1.0], [0.0, 0.0, -2.0], [0.0, 0.0, 0.5]];
    let x0 = [0.3, -0.8, 1.1];
    check_flat(
        "constant_rows",
        &x0,
        |x| constant_rows(x, &r),
        |x, d| constant_rows_tangent(x, d, &r),
        |x, g| constant_rows_grad(x, g, &r),
        |_| r.iter().map(|row| row[0]).collect(),
    );
    check_flat(
        "constant_struct",
        &x0,
        |x| constant_struct(x, &p, &pts),
        |x, d| constant_struct_tangent(x, d, &p, &pts),
        |x, g| constant_struct_grad(x, g, &p, &pts),
        |x| {
            (0..3)
                .map(|i| p.w[i] + p.rows[i][1] * x[i].cos() * p.c + 2.0 * pts[i][2] * x[i])
                .collect()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Type aliases of floats
// ---------------------------------------------------------------------------------------------

type Real = f64;
type Single = f32;

mod m {
    pub type Real = f64;
    pub mod inner {
        pub type Wide = super::Real;
    }
}

/// Aliases in parameters, the output, a `let` type and a cast.
#[derive_tangent]
#[derive_grad]
fn alias_scalar(x: Real, w: &[Real], pts: &[[Real; 3]]) -> Real {
    let y: Real = x * 2.0;
    let n = w.len() as Real;
    y.sin() * n + w[0] * x + pts[0][1] * Real::cos(x)
}

/// An alias defined in a module, named by its path; a chain of aliases; an `f32` alias.
#[derive_tangent]
#[derive_grad]
fn alias_paths(x: m::Real, y: m::inner::Wide, s: Single) -> m::Real {
    x * (y + s as m::Real).exp()
}

#[test]
fn aliases_of_floats() {
    let w = [0.5, 2.0];
    let pts = [[1.0, -0.5, 0.0]];
    let x0 = [0.7, 0.3, -1.2, 0.9];
    let g_hand = |x: &[f64]| {
        let (a, w0, w1, p) = (x[0], x[1], x[2], x[3]);
        let _ = w1;
        vec![
            2.0 * (2.0 * a).cos() * 2.0 + w0 - p * a.sin(),
            a,
            0.0,
            a.cos(),
        ]
    };
    check_flat(
        "alias_scalar",
        &x0,
        |x| alias_scalar(x[0], &x[1..3], &[[pts[0][0], x[3], pts[0][2]]]),
        |x, d| {
            let p = [[pts[0][0], x[3], pts[0][2]]];
            let dp = [[0.0, d[3], 0.0]];
            alias_scalar_tangent(x[0], d[0], &x[1..3], &d[1..3], &p, &dp)
        },
        |x, g| {
            let p = [[pts[0][0], x[3], pts[0][2]]];
            let mut dp = [[0.0, g[3], 0.0]];
            let (v, dx) = alias_scalar_grad(x[0], &x[1..3], &mut g[1..3], &p, &mut dp);
            g[0] += dx;
            g[3] = dp[0][1];
            v
        },
        g_hand,
    );
    assert_eq!(
        alias_scalar(0.7, &w, &pts),
        alias_scalar_tangent(0.7, 0.0, &w, &[0.0; 2], &pts, &[[0.0; 3]]).0
    );

    // alias_paths: the f32 parameter's adjoint is an f32 (its own type).
    let (x, y, s) = (0.4, -0.3, 0.25_f32);
    let e = (y + s as f64).exp();
    let (v, (gx, gy, gs)) = alias_paths_grad(x, y, s);
    assert_eq!(v, alias_paths(x, y, s));
    let at = At("alias_paths", &[x, y]);
    at.close("d/dx", 0, gx, e, HAND);
    at.close("d/dy", 1, gy, x * e, HAND);
    at.close(
        "d/ds",
        2,
        f64::from(gs),
        x * e,
        Tol {
            rel: 1e-6,
            abs: 1e-6,
        },
    );
    let fd = central_difference(|p| alias_paths(p[0], p[1], s), &[x, y], 1);
    at.close("d/dy vs finite differences", 1, gy, fd, Tol::fd(v));
    for (k, want) in [(0, gx), (1, gy)] {
        let mut d = [0.0; 2];
        d[k] = 1.0;
        let (_, t) = alias_paths_tangent(x, d[0], y, d[1], s, 0.0);
        at.close("forward vs reverse", k, t, want, MODES);
    }
}

// An alias the source file does not show (a macro writes it): listing the parameter in `wrt(..)`
// makes its type a float (SPEC §3), output included.
macro_rules! hidden_alias {
    () => {
        type Hidden = f64;
    };
}
hidden_alias!();

#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn alias_vouched_by_wrt(x: Hidden, n: usize) -> Hidden {
    let mut y: Hidden = 1.0;
    for _ in 0..n {
        y *= x;
    }
    y
}

#[test]
fn alias_vouched_by_wrt_is_a_float() {
    let x0 = [1.3];
    check_flat(
        "alias_vouched_by_wrt",
        &x0,
        |x| alias_vouched_by_wrt(x[0], 3),
        |x, d| alias_vouched_by_wrt_tangent(x[0], d[0], 3),
        |x, g| {
            let (v, dx) = alias_vouched_by_wrt_grad(x[0], 3);
            g[0] += dx;
            v
        },
        |x| vec![3.0 * x[0] * x[0]],
    );
}

// ---------------------------------------------------------------------------------------------
// Composition: an annotated helper taking rows
// ---------------------------------------------------------------------------------------------

/// The squared distance of point `i` to point `j`.
#[allow(clippy::needless_range_loop)] // the indexed loop is a shape under test
#[derive_tangent]
#[derive_grad]
fn dist2(p: &[[f64; 3]], i: usize, j: usize) -> f64 {
    let mut s = 0.0;
    for c in 0..3 {
        s += (p[i][c] - p[j][c]) * (p[i][c] - p[j][c]);
    }
    s
}

/// `Σ a[i][0] b[i][1]`: a helper taking two clouds.
#[derive_tangent]
#[derive_grad]
fn cross(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for (i, q) in a.iter().enumerate() {
        s += q[0] * b[i][1];
    }
    s
}

/// A pair potential through the helper, the rows passed on (also twice to one call, and a
/// constant cloud to the same helper).
#[derive_tangent]
#[derive_grad]
fn pair_energy(p: &[[f64; 3]], fixed: &[[f64; 3]], w: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            e += w / (1.0 + dist2(p, i, j));
        }
    }
    e + dist2(fixed, 0, 1) * w + 0.1 * cross(p, p)
}

#[derive_tangent(wrt(w))]
#[derive_grad(wrt(w))]
fn constant_cloud_through_helper(p: &[[f64; 3]], w: f64) -> f64 {
    w * dist2(p, 0, 1)
}

#[test]
fn composition_through_a_rows_helper() {
    let fixed = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]];
    let f2 = fixed
        .iter()
        .zip(&fixed[1..])
        .map(|(a, b)| (0..3).map(|c| (a[c] - b[c]).powi(2)).sum::<f64>())
        .sum::<f64>();
    let mut rng = Rng(0xabc);
    let n = 4;
    let flat = rng.vec(3 * n + 1, -1.0, 1.0);
    let split = |x: &[f64]| (points(&x[..3 * n]), x[3 * n]);
    check_flat(
        "pair_energy",
        &flat,
        |x| {
            let (p, w) = split(x);
            pair_energy(&p, &fixed, w)
        },
        |x, d| {
            let ((p, w), (dp, dw)) = (split(x), split(d));
            pair_energy_tangent(&p, &dp, &fixed, &[[0.0; 3]; 2], w, dw)
        },
        |x, g| {
            let (p, w) = split(x);
            let mut dp = points(&g[..3 * n]);
            let mut dfixed = [[0.0; 3]; 2];
            let (v, dw) = pair_energy_grad(&p, &mut dp, &fixed, &mut dfixed, w);
            g[..3 * n].copy_from_slice(&flatten(&dp));
            g[3 * n] += dw;
            // d/dfixed of w |f0 - f1|²: ±2 w (f0 - f1).
            for c in 0..3 {
                let want = 2.0 * w * (fixed[0][c] - fixed[1][c]);
                At("pair_energy", x).close("d/dfixed", c, dfixed[0][c], want, HAND);
                At("pair_energy", x).close("d/dfixed", c, dfixed[1][c], -want, HAND);
            }
            v
        },
        |x| {
            let (p, w) = split(x);
            let mut g = vec![0.0; 3 * n + 1];
            for i in 0..n {
                for j in i + 1..n {
                    let d2: f64 = (0..3).map(|c| (p[i][c] - p[j][c]).powi(2)).sum();
                    let s = 1.0 + d2;
                    g[3 * n] += 1.0 / s;
                    for c in 0..3 {
                        let t = -w / (s * s) * 2.0 * (p[i][c] - p[j][c]);
                        g[3 * i + c] += t;
                        g[3 * j + c] -= t;
                    }
                }
            }
            g[3 * n] += f2;
            for i in 0..n {
                g[3 * i] += 0.1 * p[i][1];
                g[3 * i + 1] += 0.1 * p[i][0];
            }
            g
        },
    );
    // The helper reached with a constant cloud (its shadow and tangent are `Zero`).
    let p = points(&flat[..3 * n]);
    let d01 = dist2(&p, 0, 1);
    let (v, t) = constant_cloud_through_helper_tangent(&p, 0.5, 1.0);
    let (v2, g) = constant_cloud_through_helper_grad(&p, 0.5);
    assert_eq!((v, v2), (0.5 * d01, 0.5 * d01));
    assert_eq!(constant_cloud_through_helper(&p, 0.5), v);
    let at = At("constant_cloud_through_helper", &[0.5]);
    at.close("tangent", 0, t, d01, HAND);
    at.close("gradient", 0, g, d01, HAND);
}

// ---------------------------------------------------------------------------------------------
// Second order and Jacobians with constant rows
// ---------------------------------------------------------------------------------------------

/// `Σ x_i² r_i0 + x_0 x_1 pts[0][2]`, with constant rows beside the input.
#[derive_grad(hessian, wrt(x))]
fn weighted_squares(x: &[f64], r: &[Vec<f64>], pts: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i] * r[i][0];
    }
    s + x[0] * x[1] * pts[0][2]
}

#[derive_jacobian(wrt(x))]
fn rows_map(x: [f64; 2], r: &[Vec<f64>]) -> [f64; 2] {
    [x[0] * r[0][1] + x[1].sin(), x[0] * x[1] * r[1][0]]
}

#[test]
fn hessian_and_jacobian_with_constant_rows() {
    let r = vec![vec![1.5, 2.0], vec![-0.5], vec![3.0]];
    let pts = [[0.0, 0.0, 0.75]];
    let x = [0.3, -0.7, 1.1];
    let (v, g, h) = weighted_squares_hessian(&x, &r, &pts);
    assert_eq!(v, weighted_squares(&x, &r, &pts));
    let at = At("weighted_squares", &x);
    for i in 0..3 {
        let mut gi = 2.0 * x[i] * r[i][0];
        if i < 2 {
            gi += x[1 - i] * pts[0][2];
        }
        at.close("gradient", i, g[i], gi, HAND);
        for j in 0..3 {
            let mut hij = if i == j { 2.0 * r[i][0] } else { 0.0 };
            if i + j == 1 {
                hij += pts[0][2];
            }
            at.close("Hessian vs hand", 3 * i + j, h[(i, j)], hij, HAND);
            // Against finite differences of the generated gradient.
            let fd = central_difference(
                |q| {
                    let mut g = vec![0.0; 3];
                    weighted_squares_vjp(q, &mut g, &r, &pts, 1.0);
                    g[i]
                },
                &x,
                j,
            );
            at.close(
                "Hessian vs finite differences",
                3 * i + j,
                h[(i, j)],
                fd,
                Tol::fd(1.0),
            );
        }
    }
    let dir = [1.0, -0.5, 0.25];
    let (_, _, hv) = weighted_squares_hvp(&x, &dir, &r, &pts);
    for i in 0..3 {
        let want: f64 = (0..3).map(|j| h[(i, j)] * dir[j]).sum();
        at.close("Hv vs H v", i, hv[i], want, MODES);
    }

    let x2 = [0.4, 1.2];
    let (v, fwd) = rows_map_jacfwd(x2, &r);
    let (_, rev) = rows_map_jacrev(x2, &r);
    assert_eq!(v, rows_map(x2, &r));
    let hand = [[r[0][1], x2[1].cos()], [x2[1] * r[1][0], x2[0] * r[1][0]]];
    for i in 0..2 {
        for j in 0..2 {
            at.close(
                "Jacobian forward vs hand",
                2 * i + j,
                fwd[i][j],
                hand[i][j],
                HAND,
            );
            at.close(
                "Jacobian forward vs reverse",
                2 * i + j,
                fwd[i][j],
                rev[i][j],
                MODES,
            );
        }
    }
}
