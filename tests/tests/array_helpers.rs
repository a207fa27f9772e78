//! Helpers over small arrays, called as people call them: `[F; N]` arguments by value (a
//! parameter, an array literal, a local `[0.0; 3]` that the loop writes again after the call),
//! array results read by element (`t[0]`) or taken apart (`let [a, b, c] = ..`) or passed on
//! whole, and a local array created in a branch and lent to a helper (`g(&w)`). Each function is
//! checked three ways by `ad_tests::check_flat`: a gradient derived by hand, central finite
//! differences, and forward against reverse (per input and along random directions).

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check_flat;

#[derive_tangent]
#[derive_grad]
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[derive_tangent]
#[derive_grad]
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[derive_tangent]
#[derive_grad]
fn scale3(v: [f64; 3], s: f64) -> [f64; 3] {
    [v[0] * s, v[1] * s, v[2] * s]
}

#[derive_tangent]
#[derive_grad]
fn norm2(v: [f64; 3]) -> f64 {
    v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
}

#[derive_tangent]
#[derive_grad]
fn sum_sq(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for t in v {
        s += t * t;
    }
    s
}

/// `|r × f|²`, the cross product read by element.
#[derive_tangent]
#[derive_grad]
fn torque_sq(r: [f64; 3], f: [f64; 3]) -> f64 {
    let t = cross(r, f);
    t[0] * t[0] + t[1] * t[1] + t[2] * t[2]
}

/// The same, the cross product taken apart by a slice pattern and passed on as a literal.
#[derive_tangent]
#[derive_grad]
fn torque_sq_dot(r: [f64; 3], f: [f64; 3]) -> f64 {
    let [tx, ty, tz] = cross(r, f);
    dot([tx, ty, tz], [tx, ty, tz])
}

/// `|s v|²` for `v = [a, b, c]`: a literal by value, and an array result passed on whole.
#[derive_tangent]
#[derive_grad]
fn scaled_norm(a: f64, b: f64, c: f64, s: f64) -> f64 {
    let q = scale3([a, b, c], s);
    norm2(q)
}

/// `Σ_i s (x_i0 + x_i1 + x_i2) + s |x_i|²` through a scratch array the loop fills, passes by
/// value, and writes again after the call.
#[derive_tangent]
#[derive_grad]
fn scratch_loop(x: &[f64], s: f64) -> f64 {
    let mut p = [0.0; 3];
    let mut e = 0.0;
    for i in 0..x.len() / 3 {
        for k in 0..3 {
            p[k] = x[3 * i + k];
        }
        let q = scale3(p, s);
        e += q[0] + q[1] + q[2] + norm2(p) * s;
        p[0] = 0.0;
    }
    e
}

/// A local array created in each branch and lent to a helper.
#[derive_tangent]
#[derive_grad]
fn branch_lent(x: f64, y: f64) -> f64 {
    if x > 0.0 {
        let w = [x * y, y, x];
        sum_sq(&w)
    } else {
        let w = [y, x * x];
        sum_sq(&w) + x
    }
}

/// A scratch array created in a branch, filled element by element and lent (its values at the
/// call are saved for the reverse sweep).
#[derive_tangent]
#[derive_grad]
fn branch_scratch(x: f64, y: f64) -> f64 {
    let mut s = x;
    if y > 0.0 {
        let mut w = [0.0; 3];
        w[0] = x * y;
        w[1] = y;
        w[2] = w[0] + x;
        s = sum_sq(&w) + norm2(w);
    }
    s
}

/// A scratch array created in each iteration, filled and lent.
#[derive_tangent]
#[derive_grad]
fn loop_scratch(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for xi in x {
        let mut scratch = [0.0; 2];
        scratch[0] = xi * 2.0;
        scratch[1] = xi * xi;
        s += sum_sq(&scratch);
    }
    s
}

/// A point made in each iteration, passed by value with a constant literal.
#[derive_tangent]
#[derive_grad]
fn loop_points(x: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..x.len() / 3 {
        let p = [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
        let t = cross(p, [1.0, 2.0, 3.0]);
        e += t[0] * p[1] + norm2(p);
    }
    e
}

#[derive_tangent]
#[derive_grad]
fn norm_ref(v: &[f64; 3]) -> f64 {
    v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
}

/// A `&[F; N]` parameter passed on to another helper taking `&[F; N]`.
#[derive_tangent]
#[derive_grad]
fn pass_on(v: &[f64; 3], s: f64) -> f64 {
    norm_ref(v) * s + v[0]
}

/// Borrowed arrays: a parameter, and a literal holding a differentiated value.
#[derive_tangent]
#[derive_grad]
fn borrowed(r: [f64; 3], s: f64) -> f64 {
    pass_on(&r, s) + pass_on(&[1.0, 2.0, s], s)
}

fn arr(p: &[f64]) -> [f64; 3] {
    [p[0], p[1], p[2]]
}

fn c3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// With `t = r × f`: d|t|²/dr = 2 f × t and d|t|²/df = 2 t × r.
fn torque_by_hand(p: &[f64]) -> Vec<f64> {
    let (r, f) = (arr(p), arr(&p[3..]));
    let t = c3(r, f);
    let (gr, gf) = (c3(f, t), c3(t, r));
    gr.iter().chain(&gf).map(|g| 2.0 * g).collect()
}

#[test]
fn array_results_by_element_and_by_pattern() {
    let p = [0.3, -1.2, 0.7, 1.1, 0.4, -0.5];
    let add = |g: &mut [f64], gr: [f64; 3], gf: [f64; 3]| {
        for k in 0..3 {
            g[k] += gr[k];
            g[3 + k] += gf[k];
        }
    };
    check_flat(
        "torque_sq",
        &p,
        |p| torque_sq(arr(p), arr(&p[3..])),
        |p, d| torque_sq_tangent(arr(p), arr(d), arr(&p[3..]), arr(&d[3..])),
        |p, g| {
            let (v, (gr, gf)) = torque_sq_grad(arr(p), arr(&p[3..]));
            add(g, gr, gf);
            v
        },
        torque_by_hand,
    );
    check_flat(
        "torque_sq_dot",
        &p,
        |p| torque_sq_dot(arr(p), arr(&p[3..])),
        |p, d| torque_sq_dot_tangent(arr(p), arr(d), arr(&p[3..]), arr(&d[3..])),
        |p, g| {
            let (v, (gr, gf)) = torque_sq_dot_grad(arr(p), arr(&p[3..]));
            add(g, gr, gf);
            v
        },
        torque_by_hand,
    );
}

#[test]
fn literal_by_value_and_result_passed_whole() {
    // |s v|² = s² |v|²: d/dv = 2 s² v, d/ds = 2 s |v|².
    check_flat(
        "scaled_norm",
        &[0.4, -0.9, 1.3, 0.7],
        |p| scaled_norm(p[0], p[1], p[2], p[3]),
        |p, d| scaled_norm_tangent(p[0], d[0], p[1], d[1], p[2], d[2], p[3], d[3]),
        |p, g| {
            let (v, gs) = scaled_norm_grad(p[0], p[1], p[2], p[3]);
            for (gi, x) in g.iter_mut().zip([gs.0, gs.1, gs.2, gs.3]) {
                *gi += x;
            }
            v
        },
        |p| {
            let (s, n2) = (p[3], p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
            vec![
                2.0 * s * s * p[0],
                2.0 * s * s * p[1],
                2.0 * s * s * p[2],
                2.0 * s * n2,
            ]
        },
    );
}

#[test]
fn scratch_array_written_again_after_the_call() {
    // x: three points, then s.
    let p = [0.5, -0.3, 1.2, -0.8, 0.9, 0.1, 0.2, 0.6, -1.1, 1.4];
    let n = 9;
    check_flat(
        "scratch_loop",
        &p,
        |p| scratch_loop(&p[..n], p[n]),
        |p, d| scratch_loop_tangent(&p[..n], &d[..n], p[n], d[n]),
        |p, g| {
            let (head, tail) = g.split_at_mut(n);
            let (v, gs) = scratch_loop_grad(&p[..n], head, p[n]);
            tail[0] += gs;
            v
        },
        |p| {
            let s = p[n];
            let mut g: Vec<f64> = p[..n].iter().map(|x| s + 2.0 * s * x).collect();
            g.push(p[..n].iter().map(|x| x + x * x).sum());
            g
        },
    );
}

#[test]
fn array_created_in_a_branch_and_lent() {
    for p in [[0.7, -1.3], [-0.6, 0.8]] {
        check_flat(
            "branch_lent",
            &p,
            |p| branch_lent(p[0], p[1]),
            |p, d| branch_lent_tangent(p[0], d[0], p[1], d[1]),
            |p, g| {
                let (v, (gx, gy)) = branch_lent_grad(p[0], p[1]);
                g[0] += gx;
                g[1] += gy;
                v
            },
            |p| {
                let (x, y) = (p[0], p[1]);
                if x > 0.0 {
                    vec![2.0 * x * y * y + 2.0 * x, 2.0 * x * x * y + 2.0 * y]
                } else {
                    vec![4.0 * x * x * x + 1.0, 2.0 * y]
                }
            },
        );
    }
}

#[test]
fn scratch_array_in_a_branch_and_points_in_a_loop() {
    for p in [[0.7, 1.3], [-0.6, -0.8]] {
        check_flat(
            "branch_scratch",
            &p,
            |p| branch_scratch(p[0], p[1]),
            |p, d| branch_scratch_tangent(p[0], d[0], p[1], d[1]),
            |p, g| {
                let (v, (gx, gy)) = branch_scratch_grad(p[0], p[1]);
                g[0] += gx;
                g[1] += gy;
                v
            },
            |p| {
                // w = [x y, y, x y + x]; E = 2 |w|².
                let (x, y) = (p[0], p[1]);
                if y > 0.0 {
                    let w2 = x * y + x;
                    vec![
                        2.0 * (2.0 * x * y * y + 2.0 * w2 * (y + 1.0)),
                        2.0 * (2.0 * x * x * y + 2.0 * y + 2.0 * w2 * x),
                    ]
                } else {
                    vec![1.0, 0.0]
                }
            },
        );
    }
    let x = [0.5, -0.3, 1.2, -0.8, 0.9, 0.1];
    check_flat(
        "loop_scratch",
        &x,
        loop_scratch,
        loop_scratch_tangent,
        loop_scratch_grad,
        // Σ 4 x² + x⁴.
        |p| p.iter().map(|x| 8.0 * x + 4.0 * x * x * x).collect(),
    );
    check_flat(
        "loop_points",
        &x,
        loop_points,
        loop_points_tangent,
        loop_points_grad,
        |p| {
            // t0 = 3 p1 - 2 p2; e = t0 p1 + |p|² per point.
            p.chunks(3)
                .flat_map(|q| {
                    [
                        2.0 * q[0],
                        6.0 * q[1] - 2.0 * q[2] + 2.0 * q[1],
                        -2.0 * q[1] + 2.0 * q[2],
                    ]
                })
                .collect()
        },
    );
}

/// An R³ -> R³ map through both helpers: `t = r × f` for a constant `f`, `s = |r|²`.
#[ad_runtime::derive_jacobian]
fn torque_map(r: [f64; 3]) -> [f64; 3] {
    let t = cross(r, [1.0, -2.0, 0.5]);
    let s = dot(r, r);
    [t[0] * s, t[1], t[2] + s]
}

#[test]
fn jacobian_through_array_helpers() {
    ad_tests::check_jacobian(
        "torque_map",
        &[[0.7, -0.4, 1.2], [-1.1, 0.9, 0.3]],
        torque_map,
        |p, d| {
            let (v, j) = torque_map_jacfwd(p);
            (v, [0, 1, 2].map(|i| (0..3).map(|k| j[i][k] * d[k]).sum()))
        },
        |p, w| {
            let (v, j) = torque_map_jacrev(p);
            (v, [0, 1, 2].map(|k| (0..3).map(|i| j[i][k] * w[i]).sum()))
        },
        |r| {
            // With f = (1, -2, 0.5): t0 = 0.5 r1 + 2 r2, t1 = r2 - 0.5 r0, t2 = -2 r0 - r1.
            let s = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
            let t0 = 0.5 * r[1] + 2.0 * r[2];
            [
                [
                    t0 * 2.0 * r[0],
                    0.5 * s + t0 * 2.0 * r[1],
                    2.0 * s + t0 * 2.0 * r[2],
                ],
                [-0.5, 0.0, 1.0],
                [-2.0 + 2.0 * r[0], -1.0 + 2.0 * r[1], 2.0 * r[2]],
            ]
        },
    );
}

#[test]
fn arrays_lent_by_reference() {
    // |r|² s + r0 + (5 + s²) s + 1.
    check_flat(
        "borrowed",
        &[0.4, -0.7, 1.1, 0.6],
        |p| borrowed(arr(p), p[3]),
        |p, d| borrowed_tangent(arr(p), arr(d), p[3], d[3]),
        |p, g| {
            let (v, (gr, gs)) = borrowed_grad(arr(p), p[3]);
            for k in 0..3 {
                g[k] += gr[k];
            }
            g[3] += gs;
            v
        },
        |p| {
            let (r, s) = (arr(p), p[3]);
            let n2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
            vec![
                2.0 * r[0] * s + 1.0,
                2.0 * r[1] * s,
                2.0 * r[2] * s,
                n2 + 5.0 + 3.0 * s * s,
            ]
        },
    );
}

/// An array a helper returned, named once and passed whole twice.
#[derive_tangent]
#[derive_grad]
fn cross_sq(x: f64, y: f64, z: f64) -> f64 {
    let c = cross([x, y, z], [1.0, x, 2.0]);
    dot(c, c)
}

/// A point mapped again and again by a helper, passed whole inside a branch of the loop.
#[derive_tangent]
#[derive_grad]
fn iterate_map(x: f64, s: f64) -> f64 {
    let mut q = scale3([x, 1.0, x * x], s);
    let mut acc = 0.0;
    for k in 0..3 {
        if k != 1 {
            acc += dot(q, [1.0, 2.0, 3.0]);
        }
        q = scale3(q, s);
    }
    acc + norm2(q)
}

/// An array literal written element by element inside a branch, then passed by value (the
/// reverse sweep must see the values at the call, not the literal: random program p0386).
#[derive_tangent]
#[derive_grad]
fn literal_written_in_branch(x: f64, y: f64) -> f64 {
    let mut out = 2.0 * y;
    if x > 0.0 {
        let mut p = [x, 0.0, y];
        p[1] = x * y;
        p[2] = p[1] + 1.0;
        let [a, b, c] = scale3(p, y);
        out += a * b + c - y;
    }
    out
}

/// Elements of a helper's result and of an array literal read at a computed index.
#[derive_tangent]
#[derive_grad]
fn computed_index(x: f64, k: usize) -> f64 {
    let q = scale3([x, 1.0, 2.0], x);
    let v = [x, x * x, 3.0];
    q[k] + v[(k + 1) % 3] * q[0]
}

#[test]
fn array_results_passed_whole_again_and_in_regions() {
    // c = (2y - xz, z - 2x, x² - y), f = |c|².
    check_flat(
        "cross_sq",
        &[0.6, -1.2, 0.9],
        |p| cross_sq(p[0], p[1], p[2]),
        |p, d| cross_sq_tangent(p[0], d[0], p[1], d[1], p[2], d[2]),
        |p, g| {
            let (v, (gx, gy, gz)) = cross_sq_grad(p[0], p[1], p[2]);
            g[0] += gx;
            g[1] += gy;
            g[2] += gz;
            v
        },
        |p| {
            let (x, y, z) = (p[0], p[1], p[2]);
            let c = [2.0 * y - x * z, z - 2.0 * x, x * x - y];
            vec![
                -2.0 * c[0] * z - 4.0 * c[1] + 4.0 * c[2] * x,
                4.0 * c[0] - 2.0 * c[2],
                -2.0 * c[0] * x + 2.0 * c[1],
            ]
        },
    );
    // v = (x, 1, x²), w·v = x + 2 + 3x²: f = (s + s³) w·v + s⁸ |v|².
    check_flat(
        "iterate_map",
        &[0.7, 0.9],
        |p| iterate_map(p[0], p[1]),
        |p, d| iterate_map_tangent(p[0], d[0], p[1], d[1]),
        |p, g| {
            let (v, (gx, gs)) = iterate_map_grad(p[0], p[1]);
            g[0] += gx;
            g[1] += gs;
            v
        },
        |p| {
            let (x, s) = (p[0], p[1]);
            let wv = x + 2.0 + 3.0 * x * x;
            let n2 = x * x + 1.0 + x * x * x * x;
            vec![
                (s + s * s * s) * (1.0 + 6.0 * x) + s.powi(8) * (2.0 * x + 4.0 * x * x * x),
                (1.0 + 3.0 * s * s) * wv + 8.0 * s.powi(7) * n2,
            ]
        },
    );
    // x > 0: f = 2y + x²y³ + xy²; otherwise 2y.
    for p in [[0.8, -0.7], [-0.5, 1.1]] {
        check_flat(
            "literal_written_in_branch",
            &p,
            |p| literal_written_in_branch(p[0], p[1]),
            |p, d| literal_written_in_branch_tangent(p[0], d[0], p[1], d[1]),
            |p, g| {
                let (v, (gx, gy)) = literal_written_in_branch_grad(p[0], p[1]);
                g[0] += gx;
                g[1] += gy;
                v
            },
            |p| {
                let (x, y) = (p[0], p[1]);
                if x > 0.0 {
                    vec![
                        2.0 * x * y * y * y + y * y,
                        2.0 + 3.0 * x * x * y * y + 2.0 * x * y,
                    ]
                } else {
                    vec![0.0, 2.0]
                }
            },
        );
    }
    // q = (x², x, 2x), v = (x, x², 3): f = q[k] + v[(k + 1) % 3] x².
    for k in 0..3 {
        check_flat(
            "computed_index",
            &[0.7],
            |p| computed_index(p[0], k),
            |p, d| computed_index_tangent(p[0], d[0], k),
            |p, g| {
                let (v, gx) = computed_index_grad(p[0], k);
                g[0] += gx;
                v
            },
            |p| {
                let x = p[0];
                vec![[2.0 * x + 4.0 * x * x * x, 1.0 + 6.0 * x, 2.0 + 3.0 * x * x][k]]
            },
        );
    }
}
