//! Local arrays and aggregates as full citizens (issue 16): arrays `[e; N]` of a
//! differentiated value, local arrays lent to annotated callees, arrays lent and written again
//! afterwards. Every function is checked three ways, in both modes: against a gradient worked
//! out by hand, against central finite differences, and forward against reverse mode (plus the
//! seed scaling of `_vjp` and a tangent along a general direction).

// Index loops are the shapes under test.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::alloc::allocations_in;
use ad_tests::{At, HAND, MODES, Tol, VALUE, central_difference};

/// Counts the measuring thread's allocations only (see `alloc_free.rs`).
#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

/// Every check of a scalar function of one flat vector `p`, at each point: `_grad` against
/// the hand gradient and finite differences, one `_tangent` pass per component against both
/// and against `_grad`, `_vjp` at other seeds against seed times `_grad`, and the tangent along
/// a general direction against the gradient dotted with it.
///
/// - `tangent(p, dp)`: (value, directional derivative);
/// - `vjp(p, seed)`: (value, adjoint of `p`).
fn check_flat(
    name: &str,
    points: &[Vec<f64>],
    f: impl Fn(&[f64]) -> f64,
    tangent: impl Fn(&[f64], &[f64]) -> (f64, f64),
    vjp: impl Fn(&[f64], f64) -> (f64, Vec<f64>),
    analytic: impl Fn(&[f64]) -> Vec<f64>,
) {
    for p in points {
        let n = p.len();
        let at = At(name, p);
        let value = f(p);
        let by_hand = analytic(p);
        let (v, reverse) = vjp(p, 1.0);
        at.close("value of _vjp", 0, v, value, VALUE);
        let fd_tol = Tol::fd(value);
        let mut e = vec![0.0; n];
        for i in 0..n {
            e[i] = 1.0;
            let (v, t) = tangent(p, &e);
            e[i] = 0.0;
            at.close("value of _tangent", i, v, value, VALUE);
            let fd = central_difference(&f, p, i);
            at.close("_tangent vs hand", i, t, by_hand[i], HAND);
            at.close("_grad vs hand", i, reverse[i], by_hand[i], HAND);
            at.close("_tangent vs finite differences", i, t, fd, fd_tol);
            at.close("_grad vs finite differences", i, reverse[i], fd, fd_tol);
            at.close("forward vs reverse", i, t, reverse[i], MODES);
        }
        for seed in [-0.75, 2.5] {
            let (_, adj) = vjp(p, seed);
            for i in 0..n {
                at.close("_vjp vs seed * _grad", i, adj[i], seed * reverse[i], MODES);
            }
        }
        let dir: Vec<f64> = (0..n).map(|i| 0.3 + 0.17 * i as f64).collect();
        let (_, t) = tangent(p, &dir);
        let want: f64 = (0..n).map(|i| by_hand[i] * dir[i]).sum();
        at.close("_tangent along a direction", 0, t, want, Tol::fd(want));
    }
}

// ---- an array lent to a callee, then written again (GMM's shape) -----------------------------

/// `out = a - b`.
#[derive_tangent]
#[derive_grad]
fn subtract(a: &[f64], b: &[f64], out: &mut [f64]) {
    for i in 0..out.len() {
        out[i] = a[i] - b[i];
    }
}

/// `|v|²`.
#[derive_tangent]
#[derive_grad]
fn sqnorm(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * v[i];
    }
    s
}

/// `Σ_j w_j |x - mu_j|²`: `xc` is lent to `sqnorm`, then rewritten by `subtract` in the next
/// iteration, so the reverse pass of `sqnorm` needs the values it had at each call.
#[derive_tangent]
#[derive_grad]
fn lend_then_rewrite(x: &[f64], mu: &[f64], k: usize) -> f64 {
    let d = x.len();
    let mut xc = vec![0.0; d];
    let mut s = 0.0;
    for j in 0..k {
        subtract(x, &mu[j * d..(j + 1) * d], &mut xc);
        s += (j as f64 + 1.0) * sqnorm(&xc);
    }
    s
}

#[test]
fn array_lent_then_rewritten() {
    let (d, k) = (3, 4);
    let points: Vec<Vec<f64>> = (0..3)
        .map(|s| {
            (0..d + d * k)
                .map(|i| ((i * 7 + s * 3) % 11) as f64 * 0.31 - 1.4)
                .collect()
        })
        .collect();
    check_flat(
        "lend_then_rewrite",
        &points,
        |p| lend_then_rewrite(&p[..d], &p[d..], k),
        |p, dp| lend_then_rewrite_tangent(&p[..d], &dp[..d], &p[d..], &dp[d..], k),
        |p, seed| {
            let mut adj = vec![0.0; p.len()];
            let (ax, am) = adj.split_at_mut(d);
            let v = lend_then_rewrite_vjp(&p[..d], ax, &p[d..], am, k, seed);
            (v, adj)
        },
        |p| {
            // d/dx = Σ_j 2 w_j (x - mu_j), d/dmu_j = -2 w_j (x - mu_j), w_j = j + 1.
            let mut g = vec![0.0; p.len()];
            for j in 0..k {
                let w = j as f64 + 1.0;
                for i in 0..d {
                    let r = p[i] - p[d + j * d + i];
                    g[i] += 2.0 * w * r;
                    g[d + j * d + i] -= 2.0 * w * r;
                }
            }
            g
        },
    );
}

/// `a[0] + a[1]`.
#[derive_tangent]
#[derive_grad]
fn pair_sum(a: &[f64]) -> f64 {
    a[0] + a[1]
}

/// Loop-free: `v` is lent to `pair_sum`, then written. `s = x0`, result `x0 + x0 x1`.
#[derive_tangent]
#[derive_grad]
fn written_after_call(x: &[f64]) -> f64 {
    let mut v = vec![0.0; 2];
    v[0] = x[0];
    let s = pair_sum(&v);
    v[1] = s * x[1];
    v[0] = 3.0;
    s + v[1] + pair_sum(&v)
}

#[test]
fn array_written_after_a_call_in_straight_line_code() {
    let points = [vec![0.4, -1.3], vec![-2.0, 0.7]];
    check_flat(
        "written_after_call",
        &points,
        written_after_call,
        written_after_call_tangent,
        |p, seed| {
            let mut adj = vec![0.0; 2];
            let v = written_after_call_vjp(p, &mut adj, seed);
            (v, adj)
        },
        // x0 + 2 x0 x1 + 3.
        |p| vec![1.0 + 2.0 * p[1], 2.0 * p[0]],
    );
}

// ---- `[e; N]` and `vec![e; n]` of a differentiated value ----------------------------------

/// The example: `v = [2x, 2x, 2x]`, `v0 v1 + v2 = 4x² + 2x`.
#[derive_tangent]
#[derive_grad]
fn repeat_array(x: f64) -> f64 {
    let v = [x * 2.0; 3];
    v[0] * v[1] + v[2]
}

/// A filled `Vec`, then written: `w = [y, .., y]` (n of them), `w[0] = x w[0]`,
/// `Σ w_i sin(i) ... `: result `x y sin(1)·0 + ..`; see the hand gradient.
#[derive_tangent]
#[derive_grad]
fn repeat_vec(x: f64, y: f64, n: usize) -> f64 {
    let mut w = vec![y.sin(); n];
    w[0] *= x;
    let mut s = 0.0;
    for i in 0..w.len() {
        s += (i as f64 + 1.0) * w[i];
    }
    s
}

/// The element a path call (found by the random programs: `[f64::tanh(b); 3]` was taken for a
/// constant array, a silently zero derivative).
#[derive_tangent]
#[derive_grad]
fn repeat_call(x: f64) -> f64 {
    let v = [f64::tanh(x); 2];
    v[0] * v[1]
}

#[test]
fn repeated_differentiated_element() {
    let points = [vec![0.7], vec![-1.3]];
    check_flat(
        "repeat_call",
        &points,
        |p| repeat_call(p[0]),
        |p, d| repeat_call_tangent(p[0], d[0]),
        |p, seed| {
            let (v, g) = repeat_call_vjp(p[0], seed);
            (v, vec![g])
        },
        |p| {
            let t = p[0].tanh();
            vec![2.0 * t * (1.0 - t * t)]
        },
    );
    let points = [vec![0.7], vec![-1.3]];
    check_flat(
        "repeat_array",
        &points,
        |p| repeat_array(p[0]),
        |p, d| repeat_array_tangent(p[0], d[0]),
        |p, seed| {
            let (v, g) = repeat_array_vjp(p[0], seed);
            (v, vec![g])
        },
        |p| vec![8.0 * p[0] + 2.0],
    );
    let n = 4;
    let points = [vec![0.7, 0.4], vec![-1.3, 2.1]];
    check_flat(
        "repeat_vec",
        &points,
        |p| repeat_vec(p[0], p[1], n),
        |p, d| repeat_vec_tangent(p[0], d[0], p[1], d[1], n),
        |p, seed| {
            let (v, (gx, gy)) = repeat_vec_vjp(p[0], p[1], n, seed);
            (v, vec![gx, gy])
        },
        // f = x sin y + (2 + 3 + 4) sin y.
        |p| vec![p[1].sin(), (p[0] + 9.0) * p[1].cos()],
    );
}

// ---- array literals stay allocation-free ---------------------------------------------------

#[test]
fn array_literals_do_not_allocate() {
    let n = allocations_in(|| {
        for i in 0..100 {
            let x = black_box(0.1 * i as f64);
            black_box(repeat_array(x));
            black_box(repeat_array_tangent(x, 1.0));
            black_box(repeat_array_grad(x));
            black_box(repeat_array_vjp(x, 0.5));
        }
    });
    assert_eq!(n, 0, "[e; N]: {n} allocations");
    let n = allocations_in(|| {
        for i in 0..100 {
            let (x, y) = (black_box(0.1 * i as f64), black_box(0.3));
            black_box(lend_literal(x, y));
            black_box(lend_literal_tangent(x, 1.0, y, 0.5));
            black_box(lend_literal_grad(x, y));
        }
    });
    assert_eq!(n, 0, "an array literal lent to a callee: {n} allocations");
    let n = allocations_in(|| {
        for i in 0..100 {
            let (x, v, k) = (black_box(0.1 * i as f64), black_box(0.3), black_box(1.2));
            black_box(tuple_destructured(x, v, k));
            black_box(tuple_destructured_tangent(x, 1.0, v, 0.5, k, 0.0));
            black_box(tuple_destructured_vjp(x, v, k, 1.0));
        }
    });
    assert_eq!(n, 0, "a helper's tuple destructured: {n} allocations");
}

// ---- array literals lent to annotated callees ----------------------------------------------

/// `v[0] *= s; v[1] *= s`: writes what it is lent.
#[derive_tangent]
#[derive_grad]
fn scale_in_place(v: &mut [f64], s: f64) {
    for i in 0..v.len() {
        v[i] *= s;
    }
}

/// The example: `|[x, 2x]|² = 5x²`, plus a literal lent in place: `sqnorm(&[x, y])`.
#[derive_tangent]
#[derive_grad]
fn lend_literal(x: f64, y: f64) -> f64 {
    let v = [x, 2.0 * x];
    sqnorm(&v) + sqnorm(&[x, y * x])
}

/// A literal lent to be written, then read: `w = [x, y] * (x + y)`, result `w0 + w1 y`.
#[derive_tangent]
#[derive_grad]
fn lend_literal_mut(x: f64, y: f64) -> f64 {
    let mut w = [x, y];
    scale_in_place(&mut w, x + y);
    w[0] + w[1] * y
}

#[test]
fn array_literals_lent_to_callees() {
    let points = [vec![0.7, 0.4], vec![-1.3, 2.1]];
    check_flat(
        "lend_literal",
        &points,
        |p| lend_literal(p[0], p[1]),
        |p, d| lend_literal_tangent(p[0], d[0], p[1], d[1]),
        |p, seed| {
            let (v, (gx, gy)) = lend_literal_vjp(p[0], p[1], seed);
            (v, vec![gx, gy])
        },
        // 5x² + x² + x² y².
        |p| {
            let (x, y) = (p[0], p[1]);
            vec![12.0 * x + 2.0 * x * y * y, 2.0 * x * x * y]
        },
    );
    check_flat(
        "lend_literal_mut",
        &points,
        |p| lend_literal_mut(p[0], p[1]),
        |p, d| lend_literal_mut_tangent(p[0], d[0], p[1], d[1]),
        |p, seed| {
            let (v, (gx, gy)) = lend_literal_mut_vjp(p[0], p[1], seed);
            (v, vec![gx, gy])
        },
        // (x + y)(x + y²): d/dx = x + y² + x + y, d/dy = x + y² + (x + y) 2y.
        |p| {
            let (x, y) = (p[0], p[1]);
            vec![2.0 * x + y * y + y, x + y * y + 2.0 * y * (x + y)]
        },
    );
}

// ---- tuple results of annotated helpers ----------------------------------------------------

/// The right-hand side of an oscillator: `(v, -k x)`.
#[derive_tangent]
#[derive_grad]
fn rhs(x: f64, v: f64, k: f64) -> (f64, f64) {
    (v, -k * x)
}

/// Destructured: `a b = -k v x`, plus a field of a second call.
#[derive_tangent]
#[derive_grad]
fn tuple_destructured(x: f64, v: f64, k: f64) -> f64 {
    let (a, b) = rhs(x, v, k);
    let t = rhs(a, b, 2.0);
    a * b + t.1
}

/// One step of explicit Euler in a loop, through the helper's tuple:
/// `(x, v) += h (v, -k x)`, n steps; the result `x² + v`.
#[derive_tangent]
#[derive_grad]
fn tuple_in_loop(x: f64, v: f64, k: f64, n: usize) -> f64 {
    let (mut x, mut v) = (x, v);
    for _ in 0..n {
        let (dx, dv) = rhs(x, v, k);
        x += 0.1 * dx;
        v += 0.1 * dv;
    }
    x * x + v
}

#[test]
fn tuple_results_of_helpers() {
    let points = [vec![0.7, 0.4, 1.5], vec![-1.3, 2.1, 0.6]];
    check_flat(
        "tuple_destructured",
        &points,
        |p| tuple_destructured(p[0], p[1], p[2]),
        |p, d| tuple_destructured_tangent(p[0], d[0], p[1], d[1], p[2], d[2]),
        |p, seed| {
            let (v, (a, b, c)) = tuple_destructured_vjp(p[0], p[1], p[2], seed);
            (v, vec![a, b, c])
        },
        // a = v, b = -k x; t.1 = -2 a = -2 v. f = -k x v - 2 v.
        |p| {
            let (x, v, k) = (p[0], p[1], p[2]);
            vec![-k * v, -k * x - 2.0, -x * v]
        },
    );
    // The Euler map is linear: (x, v) -> M^n (x, v) with M = [[1, h], [-h k, 1]]; its
    // derivative with respect to k follows the recurrence differentiated by hand:
    // (a, b)' = (a' + h b', b' - h a - h k a').
    let n = 5;
    let euler = |x: f64, v: f64, k: f64| {
        let (mut a, mut b, mut da, mut db) = (x, v, 0.0, 0.0);
        for _ in 0..n {
            (da, db) = (da + 0.1 * db, db - 0.1 * a - 0.1 * k * da);
            (a, b) = (a + 0.1 * b, b - 0.1 * k * a);
        }
        (a, b, da, db)
    };
    check_flat(
        "tuple_in_loop",
        &points,
        |p| tuple_in_loop(p[0], p[1], p[2], n),
        |p, d| tuple_in_loop_tangent(p[0], d[0], p[1], d[1], p[2], d[2], n),
        |p, seed| {
            let (v, (a, b, c)) = tuple_in_loop_vjp(p[0], p[1], p[2], n, seed);
            (v, vec![a, b, c])
        },
        |p| {
            let (x, v, k) = (p[0], p[1], p[2]);
            // Linear in (x, v): the columns of M^n are the images of the unit vectors.
            let (m00, m10, ..) = euler(1.0, 0.0, k);
            let (m01, m11, ..) = euler(0.0, 1.0, k);
            let (a, _, da, db) = euler(x, v, k);
            let dk = 2.0 * a * da + db;
            vec![2.0 * a * m00 + m10, 2.0 * a * m01 + m11, dk]
        },
    );
}

// ---- element operations on local arrays ----------------------------------------------------

/// A copy (`to_vec`, `clone`), `swap`, `fill` with a differentiated value, and a compound
/// assignment through `iter_mut`; `v` is written after `w` copied it.
#[derive_tangent]
#[derive_grad]
fn element_ops(x: &[f64], s: f64) -> f64 {
    let mut v = x.to_vec();
    v.swap(0, 2);
    for a in v.iter_mut() {
        *a *= s;
    }
    let w = v.clone();
    let mut z = vec![0.0; 3];
    z.fill(s * s);
    v[1] = 0.0;
    w[0] * z[1] + w[1] + v[2] * v[0] + z[2]
}

#[test]
fn element_operations() {
    let points = [vec![0.7, 0.4, 1.5, -0.8], vec![-1.3, 2.1, 0.6, 1.7]];
    check_flat(
        "element_ops",
        &points,
        |p| element_ops(&p[..3], p[3]),
        |p, d| element_ops_tangent(&p[..3], &d[..3], p[3], d[3]),
        |p, seed| {
            let mut adj = vec![0.0; 4];
            let (v, gs) = element_ops_vjp(&p[..3], &mut adj[..3], p[3], seed);
            adj[3] = gs;
            (v, adj)
        },
        // v = s [x2, x1, x0]: f = s³ x2 + s x1 + s² x0 x2 + s².
        |p| {
            let (x0, x1, x2, s) = (p[0], p[1], p[2], p[3]);
            vec![
                s * s * x2,
                s,
                s * s * s + s * s * x0,
                3.0 * s * s * x2 + x1 + 2.0 * s * x0 * x2 + 2.0 * s,
            ]
        },
    );
}

/// An array literal whose elements are assigned afterwards, by literal index.
#[derive_tangent]
#[derive_grad]
fn literal_then_assigned(x: f64, y: f64) -> f64 {
    let mut v = [0.5, 1.0];
    v[1] = x * y;
    v[0] += x;
    v[0] * v[1]
}

/// An array literal written by a computed index in a loop, reading its own elements.
#[derive_tangent]
#[derive_grad]
fn literal_written_in_loop(x: &[f64]) -> f64 {
    let mut v = [1.0, 0.0, 0.5];
    for i in 0..x.len() {
        v[i % 3] += x[i] * x[i];
    }
    v[0] * v[1] + v[2]
}

#[test]
fn array_literals_assigned_element_by_element() {
    let points = [vec![2.0, 3.0], vec![-0.7, 1.9]];
    check_flat(
        "literal_then_assigned",
        &points,
        |p| literal_then_assigned(p[0], p[1]),
        |p, d| literal_then_assigned_tangent(p[0], d[0], p[1], d[1]),
        |p, seed| {
            let (v, (gx, gy)) = literal_then_assigned_vjp(p[0], p[1], seed);
            (v, vec![gx, gy])
        },
        // f = (0.5 + x) x y.
        |p| {
            let (x, y) = (p[0], p[1]);
            vec![x * y + (0.5 + x) * y, (0.5 + x) * x]
        },
    );
    let points = [vec![0.3, -0.7, 1.1], vec![1.4, 0.2, -0.9]];
    check_flat(
        "literal_written_in_loop",
        &points,
        literal_written_in_loop,
        literal_written_in_loop_tangent,
        |p, seed| {
            let mut adj = vec![0.0; 3];
            let v = literal_written_in_loop_vjp(p, &mut adj, seed);
            (v, adj)
        },
        // v = [1 + x0², x1², 0.5 + x2²]: f = (1 + x0²) x1² + 0.5 + x2².
        |p| {
            vec![
                2.0 * p[0] * p[1] * p[1],
                2.0 * p[1] * (1.0 + p[0] * p[0]),
                2.0 * p[2],
            ]
        },
    );
}

/// A compound assignment through `iter_mut` of a `&mut [f64]` parameter.
#[derive_tangent]
#[derive_grad]
fn scale_iter(v: &mut [f64], s: f64) {
    for a in v.iter_mut() {
        *a *= s;
    }
}

/// `v = [x, 2] s` by `scale_iter`, then `v0 v1 = 2 s² x`.
#[derive_tangent]
#[derive_grad]
fn use_scale_iter(x: f64, s: f64) -> f64 {
    let mut v = [x, 2.0];
    scale_iter(&mut v, s);
    v[0] * v[1]
}

#[test]
fn compound_assignment_through_iter_mut() {
    let points = [vec![0.7, 0.4], vec![-1.3, 2.1]];
    check_flat(
        "use_scale_iter",
        &points,
        |p| use_scale_iter(p[0], p[1]),
        |p, d| use_scale_iter_tangent(p[0], d[0], p[1], d[1]),
        |p, seed| {
            let (v, (a, b)) = use_scale_iter_vjp(p[0], p[1], seed);
            (v, vec![a, b])
        },
        |p| vec![2.0 * p[1] * p[1], 4.0 * p[0] * p[1]],
    );
}

// ---- local arrays created inside branches and loop bodies, in reverse mode -----------------

/// The example: a `Vec` created in one arm, `Σ x_i²`, or `x0`.
#[derive_tangent]
#[derive_grad]
fn array_in_branch(x: &[f64], flag: bool) -> f64 {
    if flag {
        let mut v = vec![0.0; x.len()];
        for i in 0..x.len() {
            v[i] = x[i] * x[i];
        }
        v.iter().sum()
    } else {
        x[0]
    }
}

/// A `Vec` filled by `push` inside a loop body, once per iteration, then rewritten in place:
/// `Σ_k sqrt(Σ_i ((k + 1) x_i)²) + w_0` terms, see the hand gradient.
#[derive_tangent]
#[derive_grad]
fn arrays_in_loop_body(x: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..n {
        let mut w = Vec::new();
        for i in 0..x.len() {
            w.push(x[i] * (k as f64 + 1.0));
        }
        let mut t = 0.0;
        for i in 0..w.len() {
            t += w[i] * w[i];
        }
        w[0] *= t;
        s += t.sqrt() + w[0];
    }
    s
}

#[test]
fn local_arrays_inside_branches_and_loops() {
    let points = [vec![0.7, 0.4, -1.5], vec![-1.3, 2.1, 0.6]];
    for flag in [true, false] {
        check_flat(
            "array_in_branch",
            &points,
            |p| array_in_branch(p, flag),
            |p, d| array_in_branch_tangent(p, d, flag),
            |p, seed| {
                let mut adj = vec![0.0; p.len()];
                let v = array_in_branch_vjp(p, &mut adj, flag, seed);
                (v, adj)
            },
            |p| {
                if flag {
                    p.iter().map(|x| 2.0 * x).collect()
                } else {
                    vec![1.0, 0.0, 0.0]
                }
            },
        );
    }
    let n = 3;
    check_flat(
        "arrays_in_loop_body",
        &points,
        |p| arrays_in_loop_body(p, n),
        |p, d| arrays_in_loop_body_tangent(p, d, n),
        |p, seed| {
            let mut adj = vec![0.0; p.len()];
            let v = arrays_in_loop_body_vjp(p, &mut adj, n, seed);
            (v, adj)
        },
        // With c = k + 1 and r = |x|: t = c² r², sqrt t = c r, w0 = c x0 t = c³ x0 r².
        // d(c r)/dx_i = c x_i / r; d(c³ x0 r²)/dx_i = c³ (δ_i0 r² + 2 x0 x_i).
        |p| {
            let r2: f64 = p.iter().map(|x| x * x).sum();
            let r = r2.sqrt();
            let mut g = vec![0.0; p.len()];
            for k in 0..n {
                let c = k as f64 + 1.0;
                for i in 0..p.len() {
                    g[i] += c * p[i] / r + c * c * c * 2.0 * p[0] * p[i];
                }
                g[0] += c * c * c * r2;
            }
            g
        },
    );
}

// ---- Jacobians and Hessians through local arrays -------------------------------------------

/// `[e; N]`, `swap`, `fill`, and a `Vec` created in a branch: an R² -> R² map.
/// `out0 = y sin x` (x > 0) or `sin x`; `out1 = x y + x y²`.
#[ad_runtime::derive_jacobian]
fn array_map(p: [f64; 2]) -> [f64; 2] {
    let mut v = [p[0] * p[1]; 3];
    v[1] = p[0].sin();
    v.swap(0, 1);
    let mut out = [0.0; 2];
    if p[0] > 0.0 {
        let mut w = vec![0.0; 2];
        w.fill(p[1]);
        out[0] = v[0] * w[0];
    } else {
        out[0] = v[0];
    }
    out[1] = v[1] + v[2] * p[1];
    out
}

#[test]
fn jacobian_through_local_arrays() {
    ad_tests::check_jacobian(
        "array_map",
        &[[0.7, -0.4], [-1.1, 0.9], [1.6, 1.3]],
        array_map,
        |p, d| {
            let (v, t) = array_map_jacfwd(p);
            let jv = [0, 1].map(|i| t[i][0] * d[0] + t[i][1] * d[1]);
            (v, jv)
        },
        |p, w| {
            let (v, j) = array_map_jacrev(p);
            let jtw = [0, 1].map(|k| j[0][k] * w[0] + j[1][k] * w[1]);
            (v, jtw)
        },
        |p| {
            let (x, y) = (p[0], p[1]);
            let row0 = if x > 0.0 {
                [y * x.cos(), x.sin()]
            } else {
                [x.cos(), 0.0]
            };
            [row0, [y + y * y, x + 2.0 * x * y]]
        },
    );
}

/// `x² y² + y sin x` through `[e; N]`.
#[derive_grad(hessian)]
fn repeat_hessian(p: [f64; 2]) -> f64 {
    let mut v = [p[0] * p[1]; 3];
    v[2] = p[0].sin();
    v[0] * v[1] + v[2] * p[1]
}

#[test]
fn hessian_through_a_repeated_element() {
    for p in [[0.7, -0.4], [-1.1, 0.9]] {
        let (x, y) = (p[0], p[1]);
        let (v, g, h) = repeat_hessian_hessian(p);
        assert_eq!(v, repeat_hessian(p));
        let at = At("repeat_hessian", &p);
        let grad = [2.0 * x * y * y + y * x.cos(), 2.0 * x * x * y + x.sin()];
        let hand = [
            [2.0 * y * y - y * x.sin(), 4.0 * x * y + x.cos()],
            [4.0 * x * y + x.cos(), 2.0 * x * x],
        ];
        for i in 0..2 {
            at.close("gradient vs hand", i, g[i], grad[i], HAND);
            for j in 0..2 {
                let fd = central_difference(|q| repeat_hessian_grad([q[0], q[1]]).1[i], &p, j);
                at.close("H vs hand", 2 * i + j, h[i][j], hand[i][j], HAND);
                at.close("H vs fd of _grad", 2 * i + j, h[i][j], fd, Tol::fd(grad[i]));
            }
        }
    }
}

/// `x² y² + y` (x > 0) through a local array created in a branch.
#[derive_grad(hessian)]
fn nested_hessian(p: [f64; 2]) -> f64 {
    let mut s = 0.0;
    if p[0] > 0.0 {
        let mut w = [0.0; 2];
        w[0] = p[0] * p[1];
        s = w[0] * w[0];
    }
    s + p[1]
}

#[test]
fn hessian_through_an_array_created_in_a_branch() {
    for p in [[0.7, -0.4], [1.1, 0.9], [-0.6, 0.5]] {
        let (x, y) = (p[0], p[1]);
        let (v, g, h) = nested_hessian_hessian(p);
        assert_eq!(v, nested_hessian(p));
        let at = At("nested_hessian", &p);
        // Outside the branch the function is `y`.
        let on = if x > 0.0 { 1.0 } else { 0.0 };
        let grad = [on * 2.0 * x * y * y, on * 2.0 * x * x * y + 1.0];
        let hand = [
            [on * 2.0 * y * y, on * 4.0 * x * y],
            [on * 4.0 * x * y, on * 2.0 * x * x],
        ];
        for i in 0..2 {
            at.close("gradient vs hand", i, g[i], grad[i], HAND);
            for j in 0..2 {
                let fd = central_difference(|q| nested_hessian_grad([q[0], q[1]]).1[i], &p, j);
                at.close("H vs hand", 2 * i + j, h[i][j], hand[i][j], HAND);
                at.close("H vs fd of _grad", 2 * i + j, h[i][j], fd, Tol::fd(grad[i]));
            }
        }
    }
}

// ---- a branch building a tuple or array from parts on one side, of constants on the other ----
//
// An array or tuple literal that carries no derivative (`[1.0, 2.0]`, `[(n as f64).cos(), 2.0]`)
// is one inert value; where a branch or a loop builds the same value from differentiated parts,
// it is taken apart element by element.

/// `[x y, sin x]` or `[1, 2]`; `r₀ y + r₁`.
#[derive_tangent]
#[derive_grad]
fn branch_array_of_constants(x: f64, y: f64) -> f64 {
    let r = if x > 0.0 {
        [x * y, x.sin()]
    } else {
        [1.0, 2.0]
    };
    r[0] * y + r[1]
}

/// `[x y, sin x]` or `[cos n, 2]`: an inert element that is not a literal.
#[derive_tangent]
#[derive_grad]
fn branch_array_of_inert_values(x: f64, y: f64, n: usize) -> f64 {
    let r = if x > 0.0 {
        [x * y, x.sin()]
    } else {
        [(n as f64).cos(), 2.0]
    };
    r[0] * y + r[1]
}

/// The tuple counterpart: `(x y, sin x)` or `(1, √n)`.
#[derive_tangent]
#[derive_grad]
fn branch_tuple_of_constants(x: f64, y: f64, n: usize) -> f64 {
    let r = if x > 0.0 {
        (x * y, x.sin())
    } else {
        (1.0, (n as f64).sqrt())
    };
    r.0 * y + r.1
}

/// A `match` whose arms nest an array in a tuple, built from parts or from constants.
#[derive_tangent]
#[derive_grad]
fn match_nested_aggregates(x: f64, y: f64, n: usize) -> f64 {
    let r = match n % 3 {
        0 => ([x * y, y.cos()], x),
        1 => ([0.5, (n as f64).sqrt()], 2.0),
        _ => ([1.0, 0.0], y * y),
    };
    r.0[0] * r.1 + r.0[1] * y
}

/// Constants first, in an `else if` chain whose inner `if` is all constants.
#[derive_tangent]
#[derive_grad]
fn else_if_constants_first(x: f64, y: f64, n: usize) -> f64 {
    let r = if x < -1.0 {
        [1.0, 2.0]
    } else if x > 1.0 {
        [3.0, (n as f64).ln_1p()]
    } else {
        [x * y, y.exp()]
    };
    r[0] + r[1] * x
}

/// A variable holding constants, assigned parts in one branch.
#[derive_tangent]
#[derive_grad]
fn assigned_in_a_branch(x: f64, y: f64) -> f64 {
    let mut r = [0.0, 0.5];
    if x > 0.0 {
        r = [x, y * y];
    }
    r[0] * r[1] + y
}

#[derive(ad_runtime::Differentiable, Clone, Copy)]
struct Out {
    r: [f64; 2],
    o: f64,
}

/// A struct literal in both arms whose array field is inert in one.
#[derive_tangent]
#[derive_grad]
fn branch_struct_with_inert_array(x: f64, y: f64, n: usize) -> f64 {
    let o = if x > 0.0 {
        Out {
            r: [x * 2.0, x.sin()],
            o: x,
        }
    } else {
        Out {
            r: [(n as f64).cos(), 2.0],
            o: x * x,
        }
    };
    o.r[0] * y + o.r[1] + o.o * y
}

/// Carried by a loop from constants, rebuilt from parts, reset to constants in a branch.
#[derive_tangent]
#[derive_grad]
fn loop_carried_from_constants(x: f64, y: f64, n: usize) -> f64 {
    let mut r = [0.0, 1.0];
    for i in 0..n {
        if i % 3 == 2 {
            r = [0.25, 1.0];
        } else {
            r = [r[0] * 0.5 + x * y, r[1] * x.sin()];
        }
    }
    r[0] + r[1]
}

/// Carried by a loop from parts, set to constants at the end of each iteration.
#[derive_tangent]
#[derive_grad]
fn loop_carried_to_constants(x: f64, y: f64, n: usize) -> f64 {
    let mut r = [x, y];
    let mut s = 0.0;
    for _ in 0..n {
        s += r[0] * r[1];
        r = [0.5, 0.25];
    }
    s + r[0]
}

const BRANCH_POINTS: [[f64; 2]; 5] = [
    [0.7, -0.4],
    [1.6, 0.9],
    [-0.6, 0.5],
    [-1.8, 1.2],
    [0.3, 2.1],
];

#[test]
fn branches_of_constants_against_parts() {
    use ad_tests::check_fn;
    let points = &BRANCH_POINTS;
    check_fn!(
        branch_array_of_constants,
        branch_array_of_constants_tangent,
        branch_array_of_constants_vjp,
        branch_array_of_constants_grad,
        [0, 1],
        points,
        |[x, y]| if x > 0.0 {
            [y * y + x.cos(), 2.0 * x * y]
        } else {
            [0.0, 1.0]
        },
    );
    check_fn!(
        assigned_in_a_branch,
        assigned_in_a_branch_tangent,
        assigned_in_a_branch_vjp,
        assigned_in_a_branch_grad,
        [0, 1],
        points,
        |[x, y]| if x > 0.0 {
            [y * y, 2.0 * x * y + 1.0]
        } else {
            [0.0, 1.0]
        },
    );
    for n in [0usize, 1, 2, 3, 4, 5] {
        let nf = n as f64;
        check_fn!(
            branch_array_of_inert_values,
            branch_array_of_inert_values_tangent,
            branch_array_of_inert_values_vjp,
            branch_array_of_inert_values_grad,
            [0, 1],
            const [n],
            points,
            |[x, y]| if x > 0.0 {
                [y * y + x.cos(), 2.0 * x * y]
            } else {
                [0.0, nf.cos()]
            },
        );
        check_fn!(
            branch_tuple_of_constants,
            branch_tuple_of_constants_tangent,
            branch_tuple_of_constants_vjp,
            branch_tuple_of_constants_grad,
            [0, 1],
            const [n],
            points,
            |[x, y]| if x > 0.0 {
                [y * y + x.cos(), 2.0 * x * y]
            } else {
                [0.0, 1.0]
            },
        );
        check_fn!(
            match_nested_aggregates,
            match_nested_aggregates_tangent,
            match_nested_aggregates_vjp,
            match_nested_aggregates_grad,
            [0, 1],
            const [n],
            points,
            |[x, y]| match n % 3 {
                // x y x + y cos y
                0 => [2.0 * x * y, x * x + y.cos() - y * y.sin()],
                // 0.5·2 + √n y
                1 => [0.0, nf.sqrt()],
                // y²
                _ => [0.0, 2.0 * y],
            },
        );
        check_fn!(
            else_if_constants_first,
            else_if_constants_first_tangent,
            else_if_constants_first_vjp,
            else_if_constants_first_grad,
            [0, 1],
            const [n],
            points,
            |[x, y]| if x < -1.0 {
                [2.0, 0.0]
            } else if x > 1.0 {
                [nf.ln_1p(), 0.0]
            } else {
                [y + y.exp(), x + x * y.exp()]
            },
        );
        check_fn!(
            branch_struct_with_inert_array,
            branch_struct_with_inert_array_tangent,
            branch_struct_with_inert_array_vjp,
            branch_struct_with_inert_array_grad,
            [0, 1],
            const [n],
            points,
            // 2 x y + sin x + x y, or cos n y + 2 + x² y.
            |[x, y]| if x > 0.0 {
                [3.0 * y + x.cos(), 3.0 * x]
            } else {
                [2.0 * x * y, nf.cos() + x * x]
            },
        );
        check_fn!(
            loop_carried_from_constants,
            loop_carried_from_constants_tangent,
            loop_carried_from_constants_vjp,
            loop_carried_from_constants_grad,
            [0, 1],
            const [n],
            points,
            |[x, y]| {
                // (value, ∂/∂x, ∂/∂y) of each element, iterated by hand.
                let (mut a, mut b) = ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0]);
                for i in 0..n {
                    if i % 3 == 2 {
                        (a, b) = ([0.25, 0.0, 0.0], [1.0, 0.0, 0.0]);
                    } else {
                        let s = x.sin();
                        a = [
                            a[0] * 0.5 + x * y,
                            a[1] * 0.5 + y,
                            a[2] * 0.5 + x,
                        ];
                        b = [b[0] * s, b[1] * s + b[0] * x.cos(), b[2] * s];
                    }
                }
                [a[1] + b[1], a[2] + b[2]]
            },
        );
        check_fn!(
            loop_carried_to_constants,
            loop_carried_to_constants_tangent,
            loop_carried_to_constants_vjp,
            loop_carried_to_constants_grad,
            [0, 1],
            const [n],
            points,
            // x y + (n - 1)/8 + 1/2 after a first iteration; x before any.
            |[x, y]| if n == 0 { [1.0, 0.0] } else { [y, x] },
        );
    }
}
