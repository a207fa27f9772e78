//! Arrays taken apart by a pattern and assigned whole, as code over small fixed-size state is
//! written: `let [x, y, z] = p;` of an array parameter, `= *p` behind a reference, `=
//! points[i]` of a row, `for &[x, y, z] in points` and `|&[x, y, z]|` over a point cloud,
//! `let mut s = s0;` then `s = [..]` in a loop, `*out = [..]` into a `&mut [F; N]`, and arrays
//! built by `[F; N]::map` and `std::array::from_fn`. Every
//! function is checked against a gradient (or Jacobian) worked out by hand, central finite
//! differences, and forward against reverse mode (`ad_tests::check_flat`).

use ad_runtime::{derive_grad, derive_jacobian, derive_tangent};
use ad_tests::{At, HAND, MODES, Tol, central_difference, check_flat};

// ---- one array, three ways of holding it -----------------------------------------------------

/// `x y + x sin z`, from an array by value.
#[derive_tangent]
#[derive_grad]
fn bond(p: [f64; 3]) -> f64 {
    let [x, y, z] = p;
    x * y + x * z.sin()
}

/// The same, from an array behind a reference.
#[derive_tangent]
#[derive_grad]
fn bond_ref(p: &[f64; 3]) -> f64 {
    let [x, y, z] = *p;
    x * y + x * z.sin()
}

fn bond_by_hand(p: &[f64]) -> Vec<f64> {
    let [x, y, z] = [p[0], p[1], p[2]];
    vec![y + z.sin(), x, x * z.cos()]
}

fn arr3(p: &[f64]) -> [f64; 3] {
    [p[0], p[1], p[2]]
}

#[test]
fn an_array_by_value_and_by_reference() {
    for p in [[0.5, -1.25, 2.0], [3.0, 0.25, -0.75]] {
        check_flat(
            "bond",
            &p,
            |q| bond(arr3(q)),
            |q, v| bond_tangent(arr3(q), arr3(v)),
            |q, g| {
                let (value, d) = bond_grad(arr3(q));
                for i in 0..3 {
                    g[i] += d[i];
                }
                value
            },
            bond_by_hand,
        );
        check_flat(
            "bond_ref",
            &p,
            |q| bond_ref(&arr3(q)),
            |q, v| bond_ref_tangent(&arr3(q), &arr3(v)),
            |q, g| {
                let mut d = [g[0], g[1], g[2]];
                let value = bond_ref_grad(&arr3(q), &mut d);
                g.copy_from_slice(&d);
                value
            },
            bond_by_hand,
        );
    }
}

/// The determinant of a 2 x 2 matrix behind a reference, taken apart by a nested pattern.
#[derive_tangent]
#[derive_grad]
fn det2(m: &[[f64; 2]; 2]) -> f64 {
    let [[a, b], [c, d]] = *m;
    a * d - b * c
}

fn mat2(q: &[f64]) -> [[f64; 2]; 2] {
    [[q[0], q[1]], [q[2], q[3]]]
}

#[test]
fn a_nested_pattern() {
    check_flat(
        "det2",
        &[1.5, -2.0, 0.75, 3.0],
        |q| det2(&mat2(q)),
        |q, v| det2_tangent(&mat2(q), &mat2(v)),
        |q, g| {
            let mut d = mat2(g);
            let value = det2_grad(&mat2(q), &mut d);
            g.copy_from_slice(&[d[0][0], d[0][1], d[1][0], d[1][1]]);
            value
        },
        // d(ad - bc) = (d, -c, -b, a)
        |q| vec![q[3], -q[2], -q[1], q[0]],
    );
}

// ---- a point cloud, as it is written -----------------------------------------------------------

/// `sum_i w x_i y_i + z_i^2` over rows indexed and taken apart.
#[allow(clippy::needless_range_loop)] // the indexed form is the shape under test
#[derive_tangent]
#[derive_grad]
fn cloud_indexed(points: &[[f64; 3]], w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..points.len() {
        let [x, y, z] = points[i];
        s += w * x * y + z * z;
    }
    s
}

/// The same, each row taken apart by the `for` loop's pattern.
#[derive_tangent]
#[derive_grad]
fn cloud_for(points: &[[f64; 3]], w: f64) -> f64 {
    let mut s = 0.0;
    for &[x, y, z] in points {
        s += w * x * y + z * z;
    }
    s
}

/// The same, the row dereferenced in the loop's body.
#[derive_tangent]
#[derive_grad]
fn cloud_deref(points: &[[f64; 3]], w: f64) -> f64 {
    let mut s = 0.0;
    for p in points {
        let [x, y, z] = *p;
        s += w * x * y + z * z;
    }
    s
}

/// The same, as an iterator chain whose closure takes the row apart.
#[derive_tangent]
#[derive_grad]
fn cloud_map(points: &[[f64; 3]], w: f64) -> f64 {
    points.iter().map(|&[x, y, z]| w * x * y + z * z).sum()
}

type Cloud = fn(&[[f64; 3]], f64) -> f64;
type CloudTangent = fn(&[[f64; 3]], &[[f64; 3]], f64, f64) -> (f64, f64);
type CloudGrad = fn(&[[f64; 3]], &mut [[f64; 3]], f64) -> (f64, f64);

/// Splits `q` into the rows and `w` (last).
fn rows(q: &[f64]) -> (Vec<[f64; 3]>, f64) {
    let n = (q.len() - 1) / 3;
    ((0..n).map(|i| arr3(&q[3 * i..])).collect(), q[3 * n])
}

#[test]
fn a_point_cloud_taken_apart_four_ways() {
    let forms: [(&str, Cloud, CloudTangent, CloudGrad); 4] = [
        (
            "cloud_indexed",
            cloud_indexed,
            cloud_indexed_tangent,
            cloud_indexed_grad,
        ),
        ("cloud_for", cloud_for, cloud_for_tangent, cloud_for_grad),
        (
            "cloud_deref",
            cloud_deref,
            cloud_deref_tangent,
            cloud_deref_grad,
        ),
        ("cloud_map", cloud_map, cloud_map_tangent, cloud_map_grad),
    ];
    let p = [0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -2.0, 0.75, 1.25, 0.8];
    for (name, f, tangent, grad) in forms {
        check_flat(
            name,
            &p,
            |q| {
                let (pts, w) = rows(q);
                f(&pts, w)
            },
            |q, v| {
                let ((pts, w), (dpts, dw)) = (rows(q), rows(v));
                tangent(&pts, &dpts, w, dw)
            },
            |q, g| {
                let (pts, w) = rows(q);
                let (mut dpts, _) = rows(g);
                let (value, dw) = grad(&pts, &mut dpts, w);
                for (i, d) in dpts.iter().enumerate() {
                    g[3 * i..3 * i + 3].copy_from_slice(d);
                }
                g[3 * pts.len()] += dw;
                value
            },
            |q| {
                let (pts, w) = rows(q);
                let mut g = Vec::new();
                let mut dw = 0.0;
                for &[x, y, z] in &pts {
                    g.extend([w * y, w * x, 2.0 * z]);
                    dw += x * y;
                }
                g.push(dw);
                g
            },
        );
    }
}

/// `sum_i a_i b_i c_i`, the rows bound by reference (`a: &f64`), as Rust's binding modes do.
#[derive_tangent]
#[derive_grad]
fn cloud_by_reference(points: &[[f64; 3]]) -> f64 {
    let mut s = 0.0;
    for [a, b, c] in points {
        s += *a * b * c;
    }
    s
}

/// A row of a matrix by value copied into a local, then read by element.
#[derive_tangent]
#[derive_grad]
fn row_copy(m: [[f64; 3]; 2]) -> f64 {
    let r = m[1];
    r[0] * m[0][2] + r[2].sin()
}

#[test]
fn rows_bound_by_reference_and_copied() {
    let p = [0.5, -1.0, 2.0, 1.5, 0.25, -0.5];
    check_flat(
        "cloud_by_reference",
        &p,
        |q| cloud_by_reference(&rows(&[q, &[0.0]].concat()).0),
        |q, v| {
            let (pts, dpts) = (rows(&[q, &[0.0]].concat()).0, rows(&[v, &[0.0]].concat()).0);
            cloud_by_reference_tangent(&pts, &dpts)
        },
        |q, g| {
            let pts = rows(&[q, &[0.0]].concat()).0;
            let mut dpts = rows(&[&*g, &[0.0]].concat()).0;
            let value = cloud_by_reference_grad(&pts, &mut dpts);
            g.copy_from_slice(dpts.as_flattened());
            value
        },
        |q| {
            let mut g = Vec::new();
            for r in q.chunks(3) {
                g.extend([r[1] * r[2], r[0] * r[2], r[0] * r[1]]);
            }
            g
        },
    );
    let mat = |q: &[f64]| [arr3(q), arr3(&q[3..])];
    check_flat(
        "row_copy",
        &p,
        |q| row_copy(mat(q)),
        |q, v| row_copy_tangent(mat(q), mat(v)),
        |q, g| {
            let (value, d) = row_copy_grad(mat(q));
            for (gi, di) in g.iter_mut().zip(d.as_flattened()) {
                *gi += di;
            }
            value
        },
        // r = m[1]: d/dm10 = m02, d/dm02 = m10, d/dm12 = cos(m12)
        |q| vec![0.0, 0.0, q[3], q[2], 0.0, q[5].cos()],
    );
}

// ---- state carried through a loop as an array --------------------------------------------------

/// `n` explicit Euler steps of the oscillator `x'' = -k x` from `s0 = [x, v]`, the state copied
/// into a local array, taken apart and assigned whole each step; the final position.
#[derive_tangent(wrt(s0, k))]
#[derive_grad(wrt(s0, k))]
fn euler(s0: [f64; 2], k: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut s = s0;
    for _ in 0..n {
        let [x, v] = s;
        s = [x + h * v, v - h * k * x];
    }
    s[0]
}

/// The gradient of `euler` by hand: each step is the matrix `A = [[1, h], [-h k, 1]]`, so the
/// final state is `A^n s0`; `d/ds0` is the first row of `A^n` and `d/dk` is `e0ᵀ (d A^n/dk) s0`
/// with `d A^n/dk = sum_j A^j (dA/dk) A^(n-1-j)`, `dA/dk = [[0, 0], [-h, 0]]`.
fn euler_by_hand(q: &[f64], n: usize) -> Vec<f64> {
    type M = [[f64; 2]; 2];
    let mul = |a: M, b: M| -> M {
        let mut c = [[0.0; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
            }
        }
        c
    };
    let (h, k) = (0.01, q[2]);
    let a: M = [[1.0, h], [-h * k, 1.0]];
    let da: M = [[0.0, 0.0], [-h, 0.0]];
    let mut powers = vec![[[1.0, 0.0], [0.0, 1.0]]];
    for j in 0..n {
        powers.push(mul(powers[j], a));
    }
    let mut d_an = [[0.0; 2]; 2];
    for j in 0..n {
        let term = mul(mul(powers[j], da), powers[n - 1 - j]);
        for r in 0..2 {
            for c in 0..2 {
                d_an[r][c] += term[r][c];
            }
        }
    }
    let an = powers[n];
    vec![an[0][0], an[0][1], d_an[0][0] * q[0] + d_an[0][1] * q[1]]
}

#[test]
fn state_assigned_whole_in_a_loop() {
    for n in [0, 1, 40] {
        for p in [[1.0, 0.0, 4.0], [-0.5, 2.0, 0.3]] {
            check_flat(
                "euler",
                &p,
                |q| euler([q[0], q[1]], q[2], n),
                |q, v| euler_tangent([q[0], q[1]], [v[0], v[1]], q[2], v[2], n),
                |q, g| {
                    let (value, (ds, dk)) = euler_grad([q[0], q[1]], q[2], n);
                    g[0] += ds[0];
                    g[1] += ds[1];
                    g[2] += dk;
                    value
                },
                |q| euler_by_hand(q, n),
            );
        }
    }
}

// ---- arrays built by closures: `[F; N]::map` and `std::array::from_fn` -------------------------

/// `|a - b|` of two points, the difference built by `from_fn`, plus the squares by `map`.
#[derive_tangent]
#[derive_grad]
fn built_by_closures(p: [f64; 4]) -> f64 {
    let d: [f64; 2] = std::array::from_fn(|i| p[i] - p[i + 2]);
    let sq = d.map(|t| t * t);
    let w = std::array::from_fn::<f64, 2, _>(|k| (k as f64 + 1.0) * p[k]);
    let s = w.map(f64::sin);
    (sq[0] + sq[1]).sqrt() + s[0] * s[1]
}

fn built_by_closures_by_hand(p: [f64; 4]) -> [f64; 4] {
    let (d0, d1) = (p[0] - p[2], p[1] - p[3]);
    let r = (d0 * d0 + d1 * d1).sqrt();
    let (w0, w1) = (p[0], 2.0 * p[1]);
    [
        d0 / r + w0.cos() * w1.sin(),
        d1 / r + 2.0 * w0.sin() * w1.cos(),
        -d0 / r,
        -d1 / r,
    ]
}

#[test]
fn arrays_built_by_closures() {
    ad_tests::check(
        "built_by_closures",
        &[[1.0, 2.0, -0.5, 0.25], [0.3, -1.2, 0.8, 0.4]],
        built_by_closures,
        built_by_closures_tangent,
        built_by_closures_vjp,
        built_by_closures_grad,
        built_by_closures_by_hand,
    );
}

// ---- a right-hand side written whole -----------------------------------------------------------

/// Two coupled damped oscillators, `s = [x1, x2, v1, v2]`, as an ODE right-hand side: the
/// state taken apart and the derivative written whole.
#[derive_jacobian(wrt(s, ds))]
fn oscillators(s: &[f64; 4], k: f64, c: f64, ds: &mut [f64; 4]) {
    let [x1, x2, v1, v2] = *s;
    let a1 = -k * x1 + k * (x2 - x1) - c * v1;
    let a2 = -k * x2 - k * (x2 - x1) - c * v2;
    *ds = [v1, v2, a1, a2];
}

#[test]
fn a_right_hand_side_written_whole() {
    let (k, c) = (2.0, 0.1);
    for s in [[1.0, 2.0, 0.5, -0.5], [-0.3, 0.7, 1.5, 0.0]] {
        let mut want = [0.0; 4];
        oscillators(&s, k, c, &mut want);
        let mut ds = [9.0; 4];
        let fwd = oscillators_jacfwd(&s, k, c, &mut ds);
        assert_eq!(ds, want, "the output holds the function's value");
        let mut ds = [9.0; 4];
        let rev = oscillators_jacrev(&s, k, c, &mut ds);
        assert_eq!(ds, want);
        let hand = [
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
            [-2.0 * k, k, -c, 0.0],
            [k, -2.0 * k, 0.0, -c],
        ];
        let at = At("oscillators", &s);
        for i in 0..4 {
            let f = |q: &[f64]| {
                let mut out = [0.0; 4];
                oscillators(&[q[0], q[1], q[2], q[3]], k, c, &mut out);
                out[i]
            };
            for j in 0..4 {
                let fd = central_difference(f, &s, j);
                let n = 4 * i + j;
                at.close("J forward vs hand", n, fwd[i][j], hand[i][j], HAND);
                at.close("J reverse vs hand", n, rev[i][j], hand[i][j], HAND);
                at.close(
                    "J vs finite differences",
                    n,
                    fwd[i][j],
                    fd,
                    Tol::fd(want[i]),
                );
                at.close("J forward vs reverse", n, fwd[i][j], rev[i][j], MODES);
            }
        }
    }
}

// ---- written as users write them: a cluster's energy and a classifier's loss --------------------

/// Lennard-Jones energy of a cluster with a cutoff at 2.5 sigma: the pair term a closure
/// returning early, rows taken apart by the loops' patterns, the squared distance by `map` and
/// `iter().sum()` of an array computed in place.
#[derive_tangent]
#[derive_grad]
fn lj_energy(pos: &[[f64; 3]], sigma: f64) -> f64 {
    let s6 = sigma.powi(6);
    let pair = |r2: f64| {
        if r2 > 6.25 * sigma * sigma {
            return 0.0;
        }
        let inv6 = s6 / (r2 * r2 * r2);
        4.0 * (inv6 * inv6 - inv6)
    };
    let mut e = 0.0;
    for (i, &[xi, yi, zi]) in pos.iter().enumerate() {
        for &[xj, yj, zj] in &pos[i + 1..] {
            let d = [xi - xj, yi - yj, zi - zj];
            e += pair(d.map(|c| c * c).iter().sum());
        }
    }
    e
}

/// The Lennard-Jones gradient in the positions by hand: `dE/dr² = 4 (-6 inv6² + 3 inv6) / r²`
/// per pair inside the cutoff, times `2 d` for point `i` and `-2 d` for point `j`.
fn lj_by_hand(q: &[f64], sigma: f64) -> Vec<f64> {
    let n = q.len() / 3;
    let mut g = vec![0.0; q.len()];
    for i in 0..n {
        for j in i + 1..n {
            let d: Vec<f64> = (0..3).map(|k| q[3 * i + k] - q[3 * j + k]).collect();
            let r2: f64 = d.iter().map(|c| c * c).sum();
            if r2 > 6.25 * sigma * sigma {
                continue;
            }
            let inv6 = sigma.powi(6) / (r2 * r2 * r2);
            let de_dr2 = 4.0 * (-6.0 * inv6 * inv6 + 3.0 * inv6) / r2;
            for k in 0..3 {
                g[3 * i + k] += de_dr2 * 2.0 * d[k];
                g[3 * j + k] -= de_dr2 * 2.0 * d[k];
            }
        }
    }
    g
}

/// The cross-entropy of a three-class linear classifier on one sample: logits by `from_fn`
/// over a range chain, the largest by `reduce`, the normaliser by `map` then `iter().sum()`.
#[derive_tangent(wrt(w))]
#[derive_grad(wrt(w))]
fn softmax_loss(w: [[f64; 4]; 3], x: [f64; 4], label: usize) -> f64 {
    let logits: [f64; 3] = std::array::from_fn(|c| (0..4).map(|k| w[c][k] * x[k]).sum());
    let m = logits.iter().copied().reduce(f64::max).unwrap();
    let z: f64 = logits.map(|l| (l - m).exp()).iter().sum();
    z.ln() + m - logits[label]
}

#[test]
fn written_as_users_write_them() {
    // Four points, one pair beyond the cutoff at sigma = 0.45 (2.5 sigma = 1.125).
    let p = [0.0, 0.0, 0.0, 1.1, 0.1, 0.0, 0.5, 0.95, 0.1, 0.3, 0.4, 1.05];
    for sigma in [1.0, 0.45] {
        check_flat(
            "lj_energy",
            &p,
            |q| lj_energy(&rows(&[q, &[0.0]].concat()).0, sigma),
            |q, v| {
                let (pts, dpts) = (rows(&[q, &[0.0]].concat()).0, rows(&[v, &[0.0]].concat()).0);
                lj_energy_tangent(&pts, &dpts, sigma, 0.0)
            },
            |q, g| {
                let pts = rows(&[q, &[0.0]].concat()).0;
                let mut dpts = rows(&[&*g, &[0.0]].concat()).0;
                let (value, _) = lj_energy_grad(&pts, &mut dpts, sigma);
                g.copy_from_slice(dpts.as_flattened());
                value
            },
            |q| lj_by_hand(q, sigma),
        );
    }
    let x = [1.0, -0.5, 2.0, 0.3];
    let w = |q: &[f64]| -> [[f64; 4]; 3] {
        std::array::from_fn(|c| std::array::from_fn(|k| q[4 * c + k]))
    };
    let q0: Vec<f64> = (0..12).map(|i| 0.1 * i as f64 - 0.45).collect();
    for label in 0..3 {
        check_flat(
            "softmax_loss",
            &q0,
            |q| softmax_loss(w(q), x, label),
            |q, v| softmax_loss_tangent(w(q), w(v), x, label),
            |q, g| {
                let (value, d) = softmax_loss_grad(w(q), x, label);
                for (gi, di) in g.iter_mut().zip(d.as_flattened()) {
                    *gi += di;
                }
                value
            },
            // d/dw[c][k] = (softmax_c - [c == label]) x_k
            |q| {
                let l: Vec<f64> = (0..3)
                    .map(|c| (0..4).map(|k| q[4 * c + k] * x[k]).sum())
                    .collect();
                let z: f64 = l.iter().map(|v| v.exp()).sum();
                (0..12)
                    .map(|i| {
                        let (c, k) = (i / 4, i % 4);
                        (l[c].exp() / z - if c == label { 1.0 } else { 0.0 }) * x[k]
                    })
                    .collect()
            },
        );
    }
}
