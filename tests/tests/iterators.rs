//! Real code, unchanged (issue 16, SPEC §5): iterator chains as people write them (`zip`,
//! `enumerate`, `(0..n).map`, `windows`, `chunks`, `rev`/`skip`/`step_by`/`take`, `filter`,
//! `fold(f64::NEG_INFINITY, f64::max)`, `max_by`, `for_each`, `collect`), local closures and
//! local `fn` items capturing differentiated values, sub-slices (`&x[a..b]`, `split_at`,
//! `first`/`last`), and chains over array literals held in variables.
//!
//! Every function carries both macros and is checked three ways: against a gradient worked out
//! by hand, against central finite differences, and forward mode against reverse mode (one
//! tangent per unit vector, and the dot-product test along a general direction: the tangent
//! along `v` equals `<grad, v>`).

use ad_runtime::{derive_grad, derive_jacobian, derive_tangent};
use ad_tests::{At, HAND, MODES, Tol, check_flat, fd_gradient};

/// [`check_flat`] for a function of two slices of lengths `n` and `x.len() - n`.
fn check_pair(
    name: &str,
    x: &[f64],
    n: usize,
    f: impl Fn(&[f64], &[f64]) -> f64,
    tangent: impl Fn(&[f64], &[f64], &[f64], &[f64]) -> (f64, f64),
    grad: impl Fn(&[f64], &mut [f64], &[f64], &mut [f64]) -> f64,
    analytic: impl Fn(&[f64], &[f64]) -> Vec<f64>,
) {
    check_flat(
        name,
        x,
        |z| f(&z[..n], &z[n..]),
        |z, d| tangent(&z[..n], &d[..n], &z[n..], &d[n..]),
        |z, g| {
            let (g1, g2) = g.split_at_mut(n);
            grad(&z[..n], g1, &z[n..], g2)
        },
        |z| analytic(&z[..n], &z[n..]),
    );
}

fn data(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.3 + 0.45 * (1.7 * i as f64).sin())
        .collect()
}

// ---- sources and adaptors --------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

#[derive_tangent]
#[derive_grad]
fn triple(x: &[f64], y: &[f64], z: &[f64]) -> f64 {
    x.iter()
        .zip(y.iter())
        .zip(z)
        .map(|((a, b), c)| a * b * c)
        .sum::<f64>()
}

#[derive_tangent]
#[derive_grad]
fn ramp(x: &[f64]) -> f64 {
    (0..x.len()).map(|i| x[i] * (i + 1) as f64).sum()
}

#[derive_tangent]
#[derive_grad]
fn indexed(x: &[f64]) -> f64 {
    x.iter()
        .enumerate()
        .map(|(i, v)| v * v * i as f64)
        .sum::<f64>()
}

#[derive_tangent]
#[derive_grad]
fn total_variation(x: &[f64]) -> f64 {
    x.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum()
}

#[derive_tangent]
#[derive_grad]
fn pair_products(x: &[f64]) -> f64 {
    x.chunks(2).map(|c| c.iter().product::<f64>()).sum()
}

#[derive_tangent]
#[derive_grad]
fn triples(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for c in x.chunks_exact(3) {
        s += c[0] * c[1] - c[2];
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn strided(x: &[f64]) -> f64 {
    x.iter()
        .rev()
        .skip(1)
        .step_by(2)
        .take(3)
        .map(|v| v.exp())
        .sum::<f64>()
}

#[derive_tangent]
#[derive_grad]
fn even_squares(x: &[f64]) -> f64 {
    x.iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, v)| v * v)
        .sum()
}

#[derive_tangent]
#[derive_grad]
fn positives_times_last(x: &[f64]) -> f64 {
    let n = x.iter().filter(|v| **v > 0.0).count();
    let any_big = x.iter().any(|&v| v > 10.0);
    let last = x.iter().copied().last().unwrap();
    let first = *x.first().unwrap();
    if any_big {
        0.0
    } else {
        last * n as f64 + first * x.last().unwrap()
    }
}

#[derive_tangent]
#[derive_grad]
fn for_each_sin(x: &[f64]) -> f64 {
    let mut s = 0.0;
    x.iter().for_each(|v| s += v.sin() * v);
    s
}

#[derive_tangent]
#[derive_grad]
fn fold_recurrence(x: &[f64]) -> f64 {
    x.iter().fold(1.0, |acc, &v| acc * 0.5 + v * acc)
}

// ---- max, log-sum-exp ------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn log_sum_exp(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = x.iter().map(|v| (v - m).exp()).sum();
    m + s.ln()
}

#[derive_tangent]
#[derive_grad]
fn largest(x: &[f64]) -> f64 {
    x.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap()
}

#[derive_tangent]
#[derive_grad]
fn smallest_squared(x: &[f64]) -> f64 {
    let m = x
        .iter()
        .map(|v| v * v)
        .min_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap();
    m * 3.0
}

// ---- collect, iter_mut -----------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn collected(x: &[f64]) -> f64 {
    let s: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let t = x.iter().map(|v| v * 2.0).collect::<Vec<_>>();
    s.iter().zip(&t).map(|(a, b)| a * b).sum()
}

#[derive_tangent]
#[derive_grad]
fn written_through(x: &[f64]) -> f64 {
    let mut v = vec![0.0; x.len()];
    for (o, xi) in v.iter_mut().zip(x) {
        *o = xi * xi;
    }
    v.iter().map(|a| a.sqrt() + a).sum()
}

// ---- closures and local functions ------------------------------------------------------------

fn model(t: f64, a: f64, b: f64) -> f64 {
    a * (b * t).exp()
}

#[derive_tangent]
#[derive_grad]
fn least_squares(t: &[f64], y: &[f64], a: f64, b: f64) -> f64 {
    let residual = |i: usize| y[i] - a * (b * t[i]).exp();
    let sq = |r: f64| r * r;
    let mut s = 0.0;
    for i in 0..t.len() {
        s += sq(residual(i));
    }
    0.5 * s
}

#[derive_tangent]
#[derive_grad]
fn huber_loss(x: &[f64], delta: f64) -> f64 {
    fn huber(r: f64, d: f64) -> f64 {
        if r.abs() <= d {
            0.5 * r * r
        } else {
            d * (r.abs() - 0.5 * d)
        }
    }
    x.iter().map(|&r| huber(r, delta)).sum()
}

#[derive_tangent]
#[derive_grad]
fn mapped_by_name(x: &[f64]) -> f64 {
    let soft = |v: f64| (1.0 + v.exp()).ln();
    x.iter().copied().map(soft).sum::<f64>() + x.iter().copied().map(f64::exp).sum::<f64>()
}

// ---- views -----------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn halves(x: &[f64]) -> f64 {
    let (head, tail) = x.split_at(2);
    let inner = &x[1..x.len() - 1];
    head[0] * tail[0] + tail.iter().sum::<f64>() * head.len() as f64 + sqnorm(inner)
}

#[derive_tangent]
#[derive_grad]
fn sqnorm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum()
}

// ---- array literals held in variables --------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn literal_chain(x: f64, y: f64) -> f64 {
    let v = [x, y, x * y];
    let w = [1.0, 2.0, 3.0];
    let mut s: f64 = v.iter().zip(w.iter()).map(|(a, b)| a.sin() * b).sum();
    for (i, a) in v.iter().enumerate() {
        s += a * i as f64;
    }
    s
}

#[test]
fn sources_and_adaptors() {
    let x = data(7);
    check_pair("dot", &x, 4, dot, dot_tangent, dot_grad, |a, b| {
        let m = a.len().min(b.len());
        let mut g = vec![0.0; a.len() + b.len()];
        for i in 0..m {
            g[i] = b[i];
            g[a.len() + i] = a[i];
        }
        g
    });
    let x = data(9);
    check_flat(
        "triple",
        &x,
        |z| triple(&z[..3], &z[3..6], &z[6..]),
        |z, d| triple_tangent(&z[..3], &d[..3], &z[3..6], &d[3..6], &z[6..], &d[6..]),
        |z, g| {
            let (g1, rest) = g.split_at_mut(3);
            let (g2, g3) = rest.split_at_mut(3);
            triple_grad(&z[..3], g1, &z[3..6], g2, &z[6..], g3)
        },
        |z| {
            let (a, b, c) = (&z[..3], &z[3..6], &z[6..]);
            let mut g = vec![0.0; 9];
            for i in 0..3 {
                g[i] = b[i] * c[i];
                g[3 + i] = a[i] * c[i];
                g[6 + i] = a[i] * b[i];
            }
            g
        },
    );
    for n in [1, 2, 5, 8] {
        let x = data(n);
        check_flat("ramp", &x, ramp, ramp_tangent, ramp_grad, |x| {
            (0..x.len()).map(|i| (i + 1) as f64).collect()
        });
        check_flat("indexed", &x, indexed, indexed_tangent, indexed_grad, |x| {
            (0..x.len()).map(|i| 2.0 * x[i] * i as f64).collect()
        });
        check_flat(
            "total_variation",
            &x,
            total_variation,
            total_variation_tangent,
            total_variation_grad,
            |x| {
                let mut g = vec![0.0; x.len()];
                for i in 1..x.len() {
                    let d = 2.0 * (x[i] - x[i - 1]);
                    g[i] += d;
                    g[i - 1] -= d;
                }
                g
            },
        );
        check_flat(
            "pair_products",
            &x,
            pair_products,
            pair_products_tangent,
            pair_products_grad,
            |x| {
                let mut g = vec![1.0; x.len()];
                for c in (0..x.len()).step_by(2) {
                    if c + 1 < x.len() {
                        g[c] = x[c + 1];
                        g[c + 1] = x[c];
                    }
                }
                g
            },
        );
        check_flat("triples", &x, triples, triples_tangent, triples_grad, |x| {
            let mut g = vec![0.0; x.len()];
            for c in 0..x.len() / 3 {
                g[3 * c] = x[3 * c + 1];
                g[3 * c + 1] = x[3 * c];
                g[3 * c + 2] = -1.0;
            }
            g
        });
        check_flat("strided", &x, strided, strided_tangent, strided_grad, |x| {
            let mut g = vec![0.0; x.len()];
            // Reversed, the first skipped, every second one, at most three: n-2, n-4, n-6.
            for k in [2, 4, 6] {
                if k <= x.len() {
                    g[x.len() - k] = x[x.len() - k].exp();
                }
            }
            g
        });
        check_flat(
            "even_squares",
            &x,
            even_squares,
            even_squares_tangent,
            even_squares_grad,
            |x| {
                (0..x.len())
                    .map(|i| if i % 2 == 0 { 2.0 * x[i] } else { 0.0 })
                    .collect()
            },
        );
        check_flat(
            "for_each_sin",
            &x,
            for_each_sin,
            for_each_sin_tangent,
            for_each_sin_grad,
            |x| x.iter().map(|v| v.sin() + v * v.cos()).collect(),
        );
        check_flat(
            "fold_recurrence",
            &x,
            fold_recurrence,
            fold_recurrence_tangent,
            fold_recurrence_grad,
            |x| {
                // acc_k = acc_{k-1} (0.5 + x_k): the product of the factors.
                let factors: Vec<f64> = x.iter().map(|v| 0.5 + v).collect();
                let total: f64 = factors.iter().product();
                factors.iter().map(|f| total / f).collect()
            },
        );
    }
}

#[test]
fn counting_and_ends() {
    for x in [data(5), vec![-0.5, 0.25, 1.5, -2.0]] {
        check_flat(
            "positives_times_last",
            &x,
            positives_times_last,
            positives_times_last_tangent,
            positives_times_last_grad,
            |x| {
                let n = x.iter().filter(|v| **v > 0.0).count() as f64;
                let k = x.len() - 1;
                let mut g = vec![0.0; x.len()];
                g[k] += n + x[0];
                g[0] += x[k];
                g
            },
        );
    }
}

#[test]
fn maxima() {
    for x in [data(6), vec![0.5, -1.0, 2.0, 0.3]] {
        let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = x.iter().map(|v| (v - m).exp()).sum();
        let softmax: Vec<f64> = x.iter().map(|v| (v - m).exp() / z).collect();
        check_flat(
            "log_sum_exp",
            &x,
            log_sum_exp,
            log_sum_exp_tangent,
            log_sum_exp_grad,
            |_| softmax.clone(),
        );
        check_flat("largest", &x, largest, largest_tangent, largest_grad, |x| {
            let k = (0..x.len()).fold(0, |b, i| if x[i] >= x[b] { i } else { b });
            (0..x.len())
                .map(|i| if i == k { 1.0 } else { 0.0 })
                .collect()
        });
        check_flat(
            "smallest_squared",
            &x,
            smallest_squared,
            smallest_squared_tangent,
            smallest_squared_grad,
            |x| {
                let k = (0..x.len()).fold(0, |b, i| if x[i] * x[i] < x[b] * x[b] { i } else { b });
                (0..x.len())
                    .map(|i| if i == k { 6.0 * x[i] } else { 0.0 })
                    .collect()
            },
        );
    }
}

#[test]
fn ties_follow_the_standard_library() {
    // `max_by` keeps the later of equal items, `min_by` the earlier: the derivative goes to it.
    let x = [1.0, 3.0, 3.0, 0.5];
    let mut g = [0.0; 4];
    largest_grad(&x, &mut g);
    assert_eq!(g, [0.0, 0.0, 1.0, 0.0]);
    let x = [2.0, -1.0, 1.0, 3.0];
    let mut g = [0.0; 4];
    smallest_squared_grad(&x, &mut g);
    assert_eq!(g, [0.0, -6.0, 0.0, 0.0]);
}

#[test]
fn collect_and_iter_mut() {
    for n in [1, 4, 7] {
        let x = data(n);
        check_flat(
            "collected",
            &x,
            collected,
            collected_tangent,
            collected_grad,
            |x| {
                x.iter()
                    .map(|v| 2.0 * v.sin() + 2.0 * v * v.cos())
                    .collect()
            },
        );
        check_flat(
            "written_through",
            &x,
            written_through,
            written_through_tangent,
            written_through_grad,
            |x| x.iter().map(|v| v.signum() + 2.0 * v).collect(),
        );
    }
}

#[test]
fn closures_and_local_functions() {
    let t = data(6);
    let y: Vec<f64> = t.iter().map(|v| 1.3 * (0.4 * v).exp() + 0.1 * v).collect();
    for (a, b) in [(1.0, 0.3), (1.5, -0.2)] {
        let mut z = t.clone();
        z.extend(&y);
        z.extend([a, b]);
        let n = t.len();
        check_flat(
            "least_squares",
            &z,
            |z| least_squares(&z[..n], &z[n..2 * n], z[2 * n], z[2 * n + 1]),
            |z, d| {
                least_squares_tangent(
                    &z[..n],
                    &d[..n],
                    &z[n..2 * n],
                    &d[n..2 * n],
                    z[2 * n],
                    d[2 * n],
                    z[2 * n + 1],
                    d[2 * n + 1],
                )
            },
            |z, g| {
                let (gt, rest) = g.split_at_mut(n);
                let (gy, gab) = rest.split_at_mut(n);
                let (v, (ga, gb)) =
                    least_squares_grad(&z[..n], gt, &z[n..2 * n], gy, z[2 * n], z[2 * n + 1]);
                gab[0] += ga;
                gab[1] += gb;
                v
            },
            |z| {
                let (t, y, a, b) = (&z[..n], &z[n..2 * n], z[2 * n], z[2 * n + 1]);
                let mut g = vec![0.0; 2 * n + 2];
                for i in 0..n {
                    let r = y[i] - model(t[i], a, b);
                    let e = (b * t[i]).exp();
                    g[i] = -r * a * b * e;
                    g[n + i] = r;
                    g[2 * n] += -r * e;
                    g[2 * n + 1] += -r * a * t[i] * e;
                }
                g
            },
        );
    }
    let x = vec![0.2, -1.5, 0.7, 3.0, -0.1];
    for delta in [0.5, 1.0] {
        check_flat(
            "huber_loss",
            &x,
            |x| huber_loss(x, delta),
            |x, d| huber_loss_tangent(x, d, delta, 0.0),
            |x, g| huber_loss_grad(x, g, delta).0,
            |x| {
                x.iter()
                    .map(|&r| {
                        if r.abs() <= delta {
                            r
                        } else {
                            delta * r.signum()
                        }
                    })
                    .collect()
            },
        );
    }
    check_flat(
        "mapped_by_name",
        &x,
        mapped_by_name,
        mapped_by_name_tangent,
        mapped_by_name_grad,
        |x| {
            x.iter()
                .map(|v| 1.0 / (1.0 + (-v).exp()) + v.exp())
                .collect()
        },
    );
}

#[test]
fn views() {
    for n in [3, 4, 7] {
        let x = data(n);
        check_flat("halves", &x, halves, halves_tangent, halves_grad, |x| {
            let n = x.len();
            let mut g = vec![0.0; n];
            g[0] += x[2];
            g[2] += x[0];
            for gi in &mut g[2..] {
                *gi += 2.0;
            }
            for i in 1..n - 1 {
                g[i] += 2.0 * x[i];
            }
            g
        });
    }
}

#[test]
fn array_literals() {
    for (x, y) in [(0.4, -1.2), (2.0, 0.3)] {
        let p = [x, y];
        let value = literal_chain(x, y);
        let (_, (gx, gy)) = literal_chain_grad(x, y);
        let (_, tx) = literal_chain_tangent(x, 1.0, y, 0.0);
        let (_, ty) = literal_chain_tangent(x, 0.0, y, 1.0);
        let hand = [
            x.cos() + 3.0 * (x * y).cos() * y + 2.0 * y,
            2.0 * y.cos() + 3.0 * (x * y).cos() * x + 1.0 + 2.0 * x,
        ];
        let fd = fd_gradient(|q| literal_chain(q[0], q[1]), &p);
        let at = At("literal_chain", &p);
        for (i, g) in [gx, gy].into_iter().enumerate() {
            at.close("_grad vs hand", i, g, hand[i], HAND);
            at.close("_grad vs fd", i, g, fd[i], Tol::fd(value));
        }
        at.close("forward vs reverse", 0, tx, gx, MODES);
        at.close("forward vs reverse", 1, ty, gy, MODES);
    }
}

// ---- Jacobians and second order --------------------------------------------------------------

#[derive_jacobian]
fn moments(x: [f64; 4]) -> [f64; 2] {
    let m = x.iter().sum::<f64>() / 4.0;
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / 4.0;
    [m, v]
}

#[test]
fn jacobian_of_chains() {
    let x = [0.3, -1.1, 2.0, 0.7];
    let (v1, fwd) = moments_jacfwd(x);
    let (v2, rev) = moments_jacrev(x);
    assert_eq!(v1, moments(x));
    assert_eq!(v2, moments(x));
    let m = x.iter().sum::<f64>() / 4.0;
    for j in 0..4 {
        let hand = [0.25, 0.5 * (x[j] - m)];
        for i in 0..2 {
            At("moments", &x).close("jacfwd vs hand", i, fwd[i][j], hand[i], HAND);
            At("moments", &x).close("jacrev vs jacfwd", i, rev[i][j], fwd[i][j], MODES);
        }
    }
}

/// Its own `_grad` is not called: the Hessian-vector product is the test.
#[allow(dead_code)]
#[derive_grad(hessian)]
fn chain_energy(x: &[f64]) -> f64 {
    x.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>()
        + x.iter().map(|v| v.powi(4)).sum::<f64>()
}

#[test]
fn hessian_of_chains() {
    let x = data(5);
    let n = x.len();
    let mut hand = vec![vec![0.0; n]; n];
    for i in 0..n {
        hand[i][i] += 12.0 * x[i] * x[i];
    }
    for i in 1..n {
        hand[i][i] += 2.0;
        hand[i - 1][i - 1] += 2.0;
        hand[i][i - 1] -= 2.0;
        hand[i - 1][i] -= 2.0;
    }
    let dir: Vec<f64> = (0..n).map(|i| 1.0 - 0.3 * i as f64).collect();
    let (_, _, hv) = chain_energy_hvp(&x, &dir);
    for i in 0..n {
        let want: f64 = (0..n).map(|j| hand[i][j] * dir[j]).sum();
        At("chain_energy hvp", &x).close("Hv vs hand", i, hv[i], want, HAND);
    }
}

// ---- `reduce`, and `unwrap_or` after an `Option` consumer ------------------------------------

/// The largest entry by `reduce`, plus the product of the others' squares by `reduce` with a
/// closure, an empty tail giving 1 by `unwrap_or`.
#[derive_tangent]
#[derive_grad]
fn reduced(x: &[f64]) -> f64 {
    let largest = x.iter().copied().reduce(f64::max).unwrap();
    let tail = x[1..]
        .iter()
        .map(|v| v * v)
        .reduce(|a, b| a * b)
        .unwrap_or(1.0);
    let last = x.iter().copied().last().unwrap_or(0.0);
    largest + tail + last
}

#[test]
fn reduce_and_unwrap_or() {
    for x in [vec![0.5, -1.5, 2.0, 0.75], vec![1.25, 0.5], vec![-0.3]] {
        check_flat("reduced", &x, reduced, reduced_tangent, reduced_grad, |x| {
            let n = x.len();
            let k = (0..n).fold(0, |k, i| if x[i] >= x[k] { i } else { k });
            let mut g = vec![0.0; n];
            g[k] += 1.0;
            // d/dx_i of prod_{j >= 1} x_j^2 = 2 x_i prod_{j >= 1, j != i} x_j^2
            for i in 1..n {
                let others: f64 = (1..n).filter(|&j| j != i).map(|j| x[j] * x[j]).product();
                g[i] += 2.0 * x[i] * others;
            }
            g[n - 1] += 1.0;
            g
        });
    }
}

// ---------------------------------------------------------------------------------------------
// `if let Some(v) = chain.last()`, a local array assigned whole, `map` of a local array
// ---------------------------------------------------------------------------------------------

/// The last element's square added when there is one, and the largest positive element's when
/// there is one: `if let` over `Option` consumers, with and without `else`.
#[derive_tangent]
#[derive_grad]
fn optional_tails(x: &[f64]) -> f64 {
    let mut t = 0.5 * x[0];
    if let Some(&v) = x.last() {
        t += v * v;
    }
    if let Some(m) = x.iter().copied().filter(|&v| v > 0.0).reduce(f64::max) {
        t += m.sin();
    } else {
        t -= x[0] * x[0];
    }
    t
}

#[test]
fn if_let_over_option_consumers() {
    // A positive element, and none (the `else` arm).
    for x in [vec![0.3, -0.8, 1.4, 0.6], vec![-0.3, -0.8, -1.4]] {
        check_flat(
            "optional_tails",
            &x,
            optional_tails,
            optional_tails_tangent,
            optional_tails_grad,
            |p| {
                let n = p.len();
                let mut g = vec![0.0; n];
                g[0] += 0.5;
                g[n - 1] += 2.0 * p[n - 1];
                let pos = (0..n)
                    .filter(|&i| p[i] > 0.0)
                    .max_by(|&a, &b| p[a].total_cmp(&p[b]));
                match pos {
                    Some(i) => g[i] += p[i].cos(),
                    None => g[0] -= 2.0 * p[0],
                }
                g
            },
        );
    }
}

/// Explicit Euler steps of `x'' = -k x`, each step's state a new local array assigned whole
/// (`s = ns;`), then squared through `map` of a local array created as `[0.0; N]`.
#[derive_tangent]
#[derive_grad]
fn euler_steps(p: &[f64]) -> f64 {
    let k = p[0];
    let mut s = [0.0; 2];
    s[0] = p[1];
    s[1] = p[2];
    for _ in 0..10 {
        let mut ns = [0.0; 2];
        ns[0] = s[0] + 0.1 * s[1];
        ns[1] = s[1] - 0.1 * k * s[0];
        s = ns;
    }
    let sq = s.map(|v| v * v);
    sq.iter().sum::<f64>() + s[0] * s[1]
}

#[test]
fn a_local_array_assigned_whole_and_mapped() {
    let p = [1.5, 0.3, 0.7];
    // By hand: the step is linear in the state, s_(k+1) = A s_k with A = [[1, h], [-h k, 1]];
    // ds/dk follows dS_(k+1) = A dS_k + dA s_k with dA = [[0, 0], [-h, 0]].
    let by_hand = |p: &[f64]| {
        let (k, h) = (p[0], 0.1);
        let (mut s, mut dk, mut d1, mut d2) = ([p[1], p[2]], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]);
        let step = |v: [f64; 2]| [v[0] + h * v[1], v[1] - h * k * v[0]];
        for _ in 0..10 {
            let a = step(dk);
            dk = [a[0], a[1] - h * s[0]];
            d1 = step(d1);
            d2 = step(d2);
            s = step(s);
        }
        // f = s0² + s1² + s0 s1.
        let df = [2.0 * s[0] + s[1], 2.0 * s[1] + s[0]];
        let dot = |d: [f64; 2]| df[0] * d[0] + df[1] * d[1];
        vec![dot(dk), dot(d1), dot(d2)]
    };
    check_flat(
        "euler_steps",
        &p,
        euler_steps,
        euler_steps_tangent,
        euler_steps_grad,
        by_hand,
    );
}
