//! nalgebra's fixed-size vectors, matrices and points in differentiated functions (issue 19,
//! SPEC §10): parameters by value and by reference, slices of them, results of their type, and
//! the operations robotics and geometry code calls (`+ - *` with scalars, matrix-vector and
//! matrix-matrix products, `dot`, `cross`, `norm`, `normalize`, `transpose`, `determinant`,
//! `trace`, `v[i]`, `m[(i, j)]`, points and their differences). Each function is checked three
//! ways: against a gradient derived by hand (computed here with nalgebra), central finite
//! differences, and forward against reverse (`check_flat`, which also runs the dot-product
//! test along random directions).

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check_flat;
use nalgebra::{Matrix2x3, Matrix3, Point3, SVector, Vector3};

fn v3(p: &[f64]) -> Vector3<f64> {
    Vector3::from_column_slice(&p[..3])
}

fn m3(p: &[f64]) -> Matrix3<f64> {
    Matrix3::from_column_slice(&p[..9])
}

/// The floats of nalgebra values one after another, as `check_flat` wants a gradient.
fn flat(parts: &[&[f64]]) -> Vec<f64> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// A spring between two points: its energy by value.
#[derive_tangent]
#[derive_grad]
fn spring(a: Vector3<f64>, b: Vector3<f64>, k: f64) -> f64 {
    let stretch = (a - b).norm() - 1.5;
    0.5 * k * stretch * stretch
}

#[test]
fn spring_between_two_vectors() {
    let p = [0.3, -1.2, 2.0, 1.1, 0.4, -0.7, 3.0];
    check_flat(
        "spring",
        &p,
        |p| spring(v3(p), v3(&p[3..]), p[6]),
        |p, d| spring_tangent(v3(p), v3(d), v3(&p[3..]), v3(&d[3..]), p[6], d[6]),
        |p, g| {
            let (value, (ga, gb, gk)) = spring_grad(v3(p), v3(&p[3..]), p[6]);
            for (g, a) in g
                .iter_mut()
                .zip(flat(&[ga.as_slice(), gb.as_slice(), &[gk]]))
            {
                *g += a;
            }
            value
        },
        |p| {
            let (a, b, k) = (v3(p), v3(&p[3..]), p[6]);
            let d = a - b;
            let s = d.norm() - 1.5;
            let ga = d * (k * s / d.norm());
            flat(&[ga.as_slice(), (-ga).as_slice(), &[0.5 * s * s]])
        },
    );
}

/// Rigid alignment: the squared residuals of rotated and shifted points against their targets,
/// over slices of vectors, by reference, with shadows of the parameters' types.
#[derive_tangent]
#[derive_grad]
fn alignment(r: &Matrix3<f64>, t: &Vector3<f64>, p: &[Vector3<f64>], q: &[Vector3<f64>]) -> f64 {
    let mut s = 0.0;
    for i in 0..p.len() {
        s += (r * p[i] + t - q[i]).norm_squared();
    }
    s
}

#[test]
fn alignment_of_point_sets() {
    let n = 3;
    let mut p: Vec<f64> = (0..12 + 6 * n)
        .map(|k| ((k * 7 % 11) as f64 - 5.0) / 4.0)
        .collect();
    p[0] += 1.0;
    let unpack = |p: &[f64]| {
        let pts = |at: usize| (0..n).map(|i| v3(&p[at + 3 * i..])).collect::<Vec<_>>();
        (m3(p), v3(&p[9..]), pts(12), pts(12 + 3 * n))
    };
    check_flat(
        "alignment",
        &p,
        |p| {
            let (r, t, a, b) = unpack(p);
            alignment(&r, &t, &a, &b)
        },
        |p, d| {
            let (r, t, a, b) = unpack(p);
            let (dr, dt, da, db) = unpack(d);
            alignment_tangent(&r, &dr, &t, &dt, &a, &da, &b, &db)
        },
        |p, g| {
            let (r, t, a, b) = unpack(p);
            let (mut dr, mut dt, mut da, mut db) = unpack(g);
            let value = alignment_grad(&r, &mut dr, &t, &mut dt, &a, &mut da, &b, &mut db);
            let pieces: Vec<&[f64]> = [dr.as_slice(), dt.as_slice()]
                .into_iter()
                .chain(da.iter().map(|v| v.as_slice()))
                .chain(db.iter().map(|v| v.as_slice()))
                .collect();
            g.copy_from_slice(&flat(&pieces));
            value
        },
        |p| {
            let (r, t, a, b) = unpack(p);
            let mut gr = Matrix3::zeros();
            let mut gt = Vector3::zeros();
            let (mut ga, mut gb) = (Vec::new(), Vec::new());
            for (pi, qi) in a.iter().zip(&b) {
                let e = r * pi + t - qi;
                gr += 2.0 * e * pi.transpose();
                gt += 2.0 * e;
                ga.push(2.0 * r.transpose() * e);
                gb.push(-2.0 * e);
            }
            let pieces: Vec<&[f64]> = [gr.as_slice(), gt.as_slice()]
                .into_iter()
                .chain(ga.iter().map(|v| v.as_slice()))
                .chain(gb.iter().map(|v| v.as_slice()))
                .collect();
            flat(&pieces)
        },
    );
}

/// The triple product `a · (b × c)`, by reference.
#[derive_tangent]
#[derive_grad]
fn triple(a: &Vector3<f64>, b: &Vector3<f64>, c: &Vector3<f64>) -> f64 {
    a.dot(&b.cross(c))
}

#[test]
fn triple_product() {
    let p = [1.0, 0.5, -0.3, 0.2, 2.0, 0.7, -1.1, 0.4, 1.3];
    check_flat(
        "triple",
        &p,
        |p| triple(&v3(p), &v3(&p[3..]), &v3(&p[6..])),
        |p, d| {
            triple_tangent(
                &v3(p),
                &v3(d),
                &v3(&p[3..]),
                &v3(&d[3..]),
                &v3(&p[6..]),
                &v3(&d[6..]),
            )
        },
        |p, g| {
            let (mut ga, mut gb, mut gc) = (v3(g), v3(&g[3..]), v3(&g[6..]));
            let value = triple_grad(
                &v3(p),
                &mut ga,
                &v3(&p[3..]),
                &mut gb,
                &v3(&p[6..]),
                &mut gc,
            );
            g.copy_from_slice(&flat(&[ga.as_slice(), gb.as_slice(), gc.as_slice()]));
            value
        },
        |p| {
            let (a, b, c) = (v3(p), v3(&p[3..]), v3(&p[6..]));
            flat(&[
                b.cross(&c).as_slice(),
                c.cross(&a).as_slice(),
                a.cross(&b).as_slice(),
            ])
        },
    );
}

/// Rotation of `p` by the axis-angle vector `w` (Rodrigues' formula), a vector result.
#[derive_tangent]
#[derive_grad]
fn rotate(w: Vector3<f64>, p: Vector3<f64>) -> Vector3<f64> {
    let theta = w.norm();
    let k = w / theta;
    p * theta.cos() + k.cross(&p) * theta.sin() + k * (k.dot(&p) * (1.0 - theta.cos()))
}

#[test]
fn rodrigues_rotation_as_a_vector_result() {
    let (w, p) = (Vector3::new(0.3, -0.5, 0.8), Vector3::new(1.0, 2.0, -0.5));
    // Against nalgebra's own rotation.
    let want = nalgebra::Rotation3::new(w) * p;
    assert!((rotate(w, p) - want).norm() < 1e-14);
    // The dot-product test: <J v, u> = <v, Jᵀ u> for random v, u (v over w and p together).
    let (vw, vp, u) = (
        Vector3::new(0.2, -0.7, 0.4),
        Vector3::new(-0.3, 0.1, 0.9),
        Vector3::new(0.5, 0.6, -0.8),
    );
    let (value, jv) = rotate_tangent(w, vw, p, vp);
    assert_eq!(value, rotate(w, p));
    let (value, (gw, gp)) = rotate_vjp(w, p, u);
    assert_eq!(value, rotate(w, p));
    let left = jv.dot(&u);
    let right = vw.dot(&gw) + vp.dot(&gp);
    assert!(
        (left - right).abs() < 1e-13 * left.abs().max(1.0),
        "{left} vs {right}"
    );
    // Each output against central finite differences along v.
    let h = 1e-6;
    let fd = (rotate(w + vw * h, p + vp * h) - rotate(w - vw * h, p - vp * h)) / (2.0 * h);
    assert!((fd - jv).norm() < 1e-8, "{fd} vs {jv}");
    // By hand: with p along the axis, the rotation leaves p alone, so d/dp is the identity
    // along w and the value is p.
    let along = w * 2.0;
    let (v, jv) = rotate_tangent(w, Vector3::zeros(), along, w);
    assert!((v - along).norm() < 1e-14 && (jv - w).norm() < 1e-14);
}

/// Matrix operations: determinant, trace, entries by `m[(i, j)]`, entries of a const-generic
/// vector by `a[i]`, a transpose times a vector, a rectangular matrix times a vector and times a
/// matrix, and the Frobenius `dot`.
#[derive_tangent]
#[derive_grad]
fn matrices(a: SVector<f64, 3>, m: &Matrix3<f64>, n: &Matrix2x3<f64>) -> f64 {
    let mut s = m.determinant() + m.trace();
    for i in 0..3 {
        s += a[i] * m[(i, 0)];
    }
    s + (m.transpose() * a).sum() + (n * a).norm_squared() + (n * m).dot(n)
}

#[test]
fn matrix_operations() {
    let p: Vec<f64> = (0..18).map(|k| ((k * 5 % 13) as f64 - 6.0) / 5.0).collect();
    let unpack = |p: &[f64]| (v3(p), m3(&p[3..]), Matrix2x3::from_column_slice(&p[12..18]));
    check_flat(
        "matrices",
        &p,
        |p| {
            let (a, m, n) = unpack(p);
            matrices(a, &m, &n)
        },
        |p, d| {
            let (a, m, n) = unpack(p);
            let (da, dm, dn) = unpack(d);
            matrices_tangent(a, da, &m, &dm, &n, &dn)
        },
        |p, g| {
            let (a, m, n) = unpack(p);
            let (_, mut gm, mut gn) = unpack(g);
            let (value, ga) = matrices_grad(a, &m, &mut gm, &n, &mut gn);
            let ga = ga + v3(g);
            g.copy_from_slice(&flat(&[ga.as_slice(), gm.as_slice(), gn.as_slice()]));
            value
        },
        |p| {
            let (a, m, n) = unpack(p);
            let inv_t = m.try_inverse().unwrap().transpose();
            let mut gm = inv_t * m.determinant() + Matrix3::identity();
            let mut ga = Vector3::zeros();
            for i in 0..3 {
                ga[i] += m[(i, 0)];
                gm[(i, 0)] += a[i];
                for j in 0..3 {
                    ga[i] += m[(i, j)];
                    gm[(i, j)] += a[i];
                }
            }
            let na = n * a;
            ga += 2.0 * n.transpose() * na;
            let gn = 2.0 * na * a.transpose() + n * m.transpose() + n * m;
            gm += n.transpose() * n;
            flat(&[ga.as_slice(), gm.as_slice(), gn.as_slice()])
        },
    );
}

/// Points: a rotated point's distance to a target, and a point moved by a vector.
#[derive_tangent]
#[derive_grad]
fn points(p: Point3<f64>, q: &Point3<f64>, r: &Matrix3<f64>) -> f64 {
    let moved = p + Vector3::new(0.5, 0.0, -1.0);
    (r * p - q).norm() + moved.x * moved.z
}

#[test]
fn points_and_rotations() {
    let p = [
        0.4, -1.0, 2.0, 1.5, 0.2, 0.3, 0.9, 0.1, -0.2, 0.3, 1.1, 0.4, -0.5, 0.2, 0.8,
    ];
    let pt = |p: &[f64]| Point3::new(p[0], p[1], p[2]);
    check_flat(
        "points",
        &p,
        |p| points(pt(p), &pt(&p[3..]), &m3(&p[6..])),
        |p, d| {
            points_tangent(
                pt(p),
                pt(d),
                &pt(&p[3..]),
                &pt(&d[3..]),
                &m3(&p[6..]),
                &m3(&d[6..]),
            )
        },
        |p, g| {
            let (mut gq, mut gr) = (pt(&g[3..]), m3(&g[6..]));
            let (value, gp) = points_grad(pt(p), &pt(&p[3..]), &mut gq, &m3(&p[6..]), &mut gr);
            let gp = gp.coords + v3(g);
            g.copy_from_slice(&flat(&[gp.as_slice(), gq.coords.as_slice(), gr.as_slice()]));
            value
        },
        |p| {
            let (a, q, r) = (pt(p), pt(&p[3..]), m3(&p[6..]));
            let e = r * a - q;
            let u = e / e.norm();
            let mut gp = r.transpose() * u;
            gp.x += a.z - 1.0;
            gp.z += a.x + 0.5;
            let gr = u * a.coords.transpose();
            flat(&[gp.as_slice(), (-u).as_slice(), gr.as_slice()])
        },
    );
}

/// The spread of a point cloud about a centre, through an iterator chain over `&[Vector3]`.
#[derive_tangent]
#[derive_grad]
fn spread(pts: &[Vector3<f64>], c: &Vector3<f64>) -> f64 {
    pts.iter().map(|p| (p - c).norm_squared()).sum::<f64>() / pts.len() as f64
}

#[test]
fn spread_of_a_point_cloud_through_a_chain() {
    let p = [1.0, 2.0, 0.5, -0.4, 0.3, 1.2, 0.7, -0.9, 0.1, 0.2, 0.2, 0.2];
    let cloud = |p: &[f64]| (0..3).map(|i| v3(&p[3 * i..])).collect::<Vec<_>>();
    check_flat(
        "spread",
        &p,
        |p| spread(&cloud(p), &v3(&p[9..])),
        |p, d| spread_tangent(&cloud(p), &cloud(d), &v3(&p[9..]), &v3(&d[9..])),
        |p, g| {
            let (mut gp, mut gc) = (cloud(g), v3(&g[9..]));
            let value = spread_grad(&cloud(p), &mut gp, &v3(&p[9..]), &mut gc);
            let mut pieces: Vec<&[f64]> = gp.iter().map(|v| v.as_slice()).collect();
            pieces.push(gc.as_slice());
            g.copy_from_slice(&flat(&pieces));
            value
        },
        |p| {
            let (pts, c) = (cloud(p), v3(&p[9..]));
            let gp: Vec<Vector3<f64>> = pts.iter().map(|q| (q - c) * (2.0 / 3.0)).collect();
            let gc: Vector3<f64> = gp.iter().map(|g| -g).sum();
            let mut pieces: Vec<&[f64]> = gp.iter().map(|v| v.as_slice()).collect();
            pieces.push(gc.as_slice());
            flat(&pieces)
        },
    );
}

/// The same spring in `f32`.
#[derive_grad]
fn spring32(a: Vector3<f32>, b: Vector3<f32>) -> f32 {
    let stretch = (a - b).norm() - 1.5;
    0.5 * stretch * stretch
}

#[test]
fn f32_vectors_agree_with_f64() {
    let (a, b) = (Vector3::new(0.3, -1.2, 2.0), Vector3::new(1.1, 0.4, -0.7));
    let (_, (ga, gb, _)) = spring_grad(a, b, 1.0);
    let (v32, (ga32, gb32)) = spring32_grad(a.cast::<f32>(), b.cast::<f32>());
    assert_eq!(v32, spring32(a.cast::<f32>(), b.cast::<f32>()));
    assert!((ga32.cast::<f64>() - ga).norm() < 1e-5 * ga.norm());
    assert!((gb32.cast::<f64>() - gb).norm() < 1e-5 * gb.norm());
}

/// A vector updated in place through `&mut`: one explicit Euler step of `v' = a v`.
#[derive_tangent]
#[derive_grad]
fn step(a: &Matrix3<f64>, v: &mut Vector3<f64>, dt: f64) {
    *v = *v + a * *v * dt;
}

#[test]
fn in_place_update_of_a_mut_vector() {
    let (a, v0, dt) = (
        Matrix3::new(0.1, -0.4, 0.2, 0.3, 0.0, -0.1, 0.5, 0.2, -0.3),
        Vector3::new(1.0, -2.0, 0.5),
        0.1,
    );
    let want = (Matrix3::identity() + a * dt) * v0;
    let mut v = v0;
    step(&a, &mut v, dt);
    assert!((v - want).norm() < 1e-15);
    // Dot-product test over (a, v): <J x, u> = <x, Jᵀ u>.
    let (da, dv, u) = (
        Matrix3::from_fn(|i, j| ((i * 3 + j) as f64 - 4.0) / 7.0),
        Vector3::new(0.3, 0.1, -0.6),
        Vector3::new(-0.2, 0.9, 0.4),
    );
    let (mut v_t, mut t) = (v0, dv);
    step_tangent(&a, &da, &mut v_t, &mut t, dt, 0.0);
    assert!((v_t - want).norm() < 1e-15);
    // By hand: the tangent is (I + a dt) dv + da v0 dt.
    let by_hand = (Matrix3::identity() + a * dt) * dv + da * v0 * dt;
    assert!((t - by_hand).norm() < 1e-15);
    let (mut v_r, mut shadow, mut ga) = (v0, u, Matrix3::zeros());
    let gdt = step_vjp(&a, &mut ga, &mut v_r, &mut shadow, dt);
    let left = t.dot(&u);
    let right = da.dot(&ga) + dv.dot(&shadow);
    assert!((left - right).abs() < 1e-14, "{left} vs {right}");
    assert!((gdt - (a * v0).dot(&u)).abs() < 1e-14);
}
