//! Selection loops: a running minimum or maximum (`best = best.min(d)`, or
//! `.fold(f64::INFINITY, f64::min)`, or `if d < best { best = d; }`) whose reverse sweep runs only the iteration that the result
//! came from (and, at a tie, the ones tied with it), storing nothing per iteration. Each function is written as a user writes it and checked against its
//! gradient by hand, central finite differences and forward mode; ties and NaN against forward
//! mode, whose partials split a tie in halves as reverse mode's do; a counting allocator shows
//! that the gradients store nothing.

#![allow(clippy::needless_range_loop)] // index loops are what is under test

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::alloc::measure;
use ad_tests::check_flat;

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

/// The k-means cost of a point cloud against centroids `c` (`k` rows of 2): for each point the
/// squared distance to its nearest centroid, by a running minimum from infinity.
#[derive_tangent]
#[derive_grad]
fn nearest_cost(points: &[[f64; 2]], c: &[f64]) -> f64 {
    let k = c.len() / 2;
    let mut cost = 0.0;
    for p in points {
        let mut best = f64::INFINITY;
        for j in 0..k {
            let mut d2 = 0.0;
            for l in 0..2 {
                let diff = p[l] - c[2 * j + l];
                d2 += diff * diff;
            }
            best = best.min(d2);
        }
        cost += best;
    }
    cost
}

/// The largest entry, the running value on the right of `max`.
#[derive_tangent]
#[derive_grad]
fn largest(x: &[f64]) -> f64 {
    let mut m = x[0];
    for i in 1..x.len() {
        m = x[i].max(m);
    }
    m
}

/// LogSumExp, stabilised by the largest entry (GradBench's `lse`).
#[derive_tangent]
#[derive_grad]
fn log_sum_exp(x: &[f64]) -> f64 {
    let mut a = x[0];
    for v in &x[1..] {
        a = a.max(*v);
    }
    let mut s = 0.0;
    for v in x {
        s += (v - a).exp();
    }
    s.ln() + a
}

/// The smallest of a nonlinear score over a slice, the score computed in the body, scaled by a
/// parameter read before the loop.
#[derive_tangent]
#[derive_grad]
fn smallest_score(x: &[f64], w: f64) -> f64 {
    let mut best = f64::MAX;
    for i in 0..x.len() {
        let score = (w * x[i]).sin() + x[i] * x[i];
        best = f64::min(best, score);
    }
    best * w
}

/// Nearest distances inside a loop that is not fused (the square root after it reads the sum):
/// the inner running minimum is reversed the usual way, storing per iteration.
#[derive_tangent]
#[derive_grad]
fn nearest_norm(points: &[f64], c: &[f64]) -> f64 {
    let mut s = 0.0;
    for &p in points {
        let mut best = f64::INFINITY;
        for &cj in c {
            best = best.min((p - cj) * (p - cj));
        }
        s += best;
    }
    s.sqrt()
}

/// The one-sided Chamfer distance from a point cloud to a template, written with iterator
/// chains: the nearest template point by `fold(f64::INFINITY, f64::min)`, the mean over the cloud.
#[derive_tangent]
#[derive_grad]
fn chamfer(cloud: &[[f64; 2]], template: &[f64]) -> f64 {
    cloud
        .iter()
        .map(|p| {
            template
                .chunks(2)
                .map(|q| (0..2).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>())
                .fold(f64::INFINITY, f64::min)
        })
        .sum::<f64>()
        / cloud.len() as f64
}

/// The k-means cost with the nearest distance kept by a branch, as it is often written.
#[derive_tangent]
#[derive_grad]
fn nearest_cost_branch(points: &[[f64; 2]], c: &[f64]) -> f64 {
    let k = c.len() / 2;
    let mut cost = 0.0;
    for p in points {
        let mut best = f64::INFINITY;
        for j in 0..k {
            let dx = p[0] - c[2 * j];
            let dy = p[1] - c[2 * j + 1];
            let d2 = dx * dx + dy * dy;
            if d2 < best {
                best = d2;
            }
        }
        cost += best;
    }
    cost
}

/// The largest entry by an `if` expression, the new value in the else branch.
#[derive_tangent]
#[derive_grad]
fn largest_branch(x: &[f64]) -> f64 {
    let mut m = x[0];
    for i in 1..x.len() {
        m = if x[i] <= m { m } else { x[i] };
    }
    m
}

fn sample(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (seed * (i as f64 + 1.0)).sin() * 2.0 + 0.05 * i as f64)
        .collect()
}

/// The index of the first smallest of `v`.
fn argmin(v: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, x) in v.enumerate() {
        if x < best.1 {
            best = (i, x);
        }
    }
    best.0
}

const POINTS: usize = 9;
const K: usize = 3;

fn cloud(p: &[f64]) -> Vec<[f64; 2]> {
    p.chunks(2).map(|c| [c[0], c[1]]).collect()
}

type Cost = fn(&[[f64; 2]], &[f64]) -> f64;
type CostTangent = fn(&[[f64; 2]], &[[f64; 2]], &[f64], &[f64]) -> (f64, f64);
type CostGrad = fn(&[[f64; 2]], &mut [[f64; 2]], &[f64], &mut [f64]) -> f64;

/// A k-means cost of `POINTS` points and `K` centroids, checked three ways at one point.
fn check_nearest(name: &str, f: Cost, tangent: CostTangent, grad: CostGrad) {
    // p = [points (2 POINTS), centroids (2 K)].
    let p = sample(2 * POINTS + 2 * K, 0.7);
    let split = 2 * POINTS;
    let value = |p: &[f64]| f(&cloud(&p[..split]), &p[split..]);
    let tangent = |p: &[f64], d: &[f64]| {
        tangent(
            &cloud(&p[..split]),
            &cloud(&d[..split]),
            &p[split..],
            &d[split..],
        )
    };
    let grad = |p: &[f64], g: &mut [f64]| {
        let (mut gp, mut gc) = (cloud(&g[..split]), g[split..].to_vec());
        let v = grad(&cloud(&p[..split]), &mut gp, &p[split..], &mut gc);
        let flat: Vec<f64> = gp.iter().flatten().copied().collect();
        g[..split].copy_from_slice(&flat);
        g[split..].copy_from_slice(&gc);
        v
    };
    // cost = Σ_i |p_i - c_j(i)|², j(i) the nearest centroid: 2 (p - c) to the point, the
    // opposite to its centroid.
    let hand = |p: &[f64]| {
        let (pts, c) = (cloud(&p[..split]), &p[split..]);
        let mut g = vec![0.0; p.len()];
        for (i, q) in pts.iter().enumerate() {
            let dist = |j: usize| (0..2).map(|l| (q[l] - c[2 * j + l]).powi(2)).sum::<f64>();
            let j = argmin((0..K).map(dist));
            for l in 0..2 {
                let r = 2.0 * (q[l] - c[2 * j + l]);
                g[2 * i + l] += r;
                g[split + 2 * j + l] -= r;
            }
        }
        g
    };
    check_flat(name, &p, value, tangent, grad, hand);
}

#[test]
fn nearest_cost_three_ways() {
    check_nearest(
        "nearest_cost",
        nearest_cost,
        nearest_cost_tangent,
        nearest_cost_grad,
    );
}

#[test]
fn branch_forms_three_ways() {
    check_nearest(
        "nearest_cost_branch",
        nearest_cost_branch,
        nearest_cost_branch_tangent,
        nearest_cost_branch_grad,
    );

    let x = sample(12, 1.3);
    // d max / d x_j: 1 at the first largest entry.
    let hand = |x: &[f64]| {
        let mut g = vec![0.0; x.len()];
        g[argmin(x.iter().map(|v| -v))] = 1.0;
        g
    };
    check_flat(
        "largest_branch",
        &x,
        largest_branch,
        largest_branch_tangent,
        largest_branch_grad,
        hand,
    );
    // A branch has no ties: the first of equal entries keeps the value, in both modes.
    let g = against_forward(
        &[1.0, 3.0, 2.0, 3.0],
        largest_branch_tangent,
        largest_branch_grad,
    );
    assert_eq!(g, [0.0, 1.0, 0.0, 0.0]);
    let g = against_forward(
        &[3.0, 1.0, 3.0],
        largest_branch_tangent,
        largest_branch_grad,
    );
    assert_eq!(g, [1.0, 0.0, 0.0]);
    let g = against_forward(&[5.0], largest_branch_tangent, largest_branch_grad);
    assert_eq!(g, [1.0]);
}

#[test]
fn chamfer_three_ways() {
    // p = [cloud (2 POINTS), template (2 K)].
    let p = sample(2 * POINTS + 2 * K, 1.3);
    let split = 2 * POINTS;
    let f = |p: &[f64]| chamfer(&cloud(&p[..split]), &p[split..]);
    let tangent = |p: &[f64], d: &[f64]| {
        chamfer_tangent(
            &cloud(&p[..split]),
            &cloud(&d[..split]),
            &p[split..],
            &d[split..],
        )
    };
    let grad = |p: &[f64], g: &mut [f64]| {
        let (mut gp, mut gt) = (cloud(&g[..split]), g[split..].to_vec());
        let v = chamfer_grad(&cloud(&p[..split]), &mut gp, &p[split..], &mut gt);
        let flat: Vec<f64> = gp.iter().flatten().copied().collect();
        g[..split].copy_from_slice(&flat);
        g[split..].copy_from_slice(&gt);
        v
    };
    // The nearest cost's gradient, divided by the number of points.
    let hand = |p: &[f64]| {
        let (pts, t) = (cloud(&p[..split]), &p[split..]);
        let mut g = vec![0.0; p.len()];
        for (i, q) in pts.iter().enumerate() {
            let dist = |j: usize| (0..2).map(|l| (q[l] - t[2 * j + l]).powi(2)).sum::<f64>();
            let j = argmin((0..K).map(dist));
            for l in 0..2 {
                let r = 2.0 * (q[l] - t[2 * j + l]) / POINTS as f64;
                g[2 * i + l] += r;
                g[split + 2 * j + l] -= r;
            }
        }
        g
    };
    check_flat("chamfer", &p, f, tangent, grad, hand);
}

#[test]
fn largest_and_log_sum_exp_three_ways() {
    let x = sample(11, 1.9);
    let hand_largest = |x: &[f64]| {
        let mut g = vec![0.0; x.len()];
        g[argmin(x.iter().map(|v| -v))] = 1.0;
        g
    };
    check_flat(
        "largest",
        &x,
        largest,
        largest_tangent,
        largest_grad,
        hand_largest,
    );
    // The softmax.
    let hand_lse = |x: &[f64]| {
        let s: f64 = x.iter().map(|v| v.exp()).sum();
        x.iter().map(|v| v.exp() / s).collect()
    };
    check_flat(
        "log_sum_exp",
        &x,
        log_sum_exp,
        log_sum_exp_tangent,
        log_sum_exp_grad,
        hand_lse,
    );
}

#[test]
fn smallest_score_and_an_unfused_outer_loop_three_ways() {
    // p = [x (8), w].
    let p = sample(9, 0.45);
    let n = 8;
    let f = |p: &[f64]| smallest_score(&p[..n], p[n]);
    let tangent = |p: &[f64], d: &[f64]| smallest_score_tangent(&p[..n], &d[..n], p[n], d[n]);
    let grad = |p: &[f64], g: &mut [f64]| {
        let (v, gw) = smallest_score_grad(&p[..n], &mut g[..n], p[n]);
        g[n] += gw;
        v
    };
    // f = w s(x_i*, w), s = sin(w x) + x²: ∂/∂x_i* = w (w cos(w x) + 2x),
    // ∂/∂w = s + w x cos(w x).
    let hand = |p: &[f64]| {
        let (x, w) = (&p[..n], p[n]);
        let i = argmin(x.iter().map(|v| (w * v).sin() + v * v));
        let mut g = vec![0.0; n + 1];
        g[i] = w * (w * (w * x[i]).cos() + 2.0 * x[i]);
        g[n] = (w * x[i]).sin() + x[i] * x[i] + w * x[i] * (w * x[i]).cos();
        g
    };
    check_flat("smallest_score", &p, f, tangent, grad, hand);

    // p = [points (6), centroids (3)].
    let p = sample(9, 1.1);
    let f = |p: &[f64]| nearest_norm(&p[..6], &p[6..]);
    let tangent = |p: &[f64], d: &[f64]| nearest_norm_tangent(&p[..6], &d[..6], &p[6..], &d[6..]);
    let grad = |p: &[f64], g: &mut [f64]| {
        let (gp, gc) = g.split_at_mut(6);
        nearest_norm_grad(&p[..6], gp, &p[6..], gc)
    };
    let hand = |p: &[f64]| {
        let (pts, c) = (&p[..6], &p[6..]);
        let norm = nearest_norm(pts, c);
        let mut g = vec![0.0; 9];
        for (i, q) in pts.iter().enumerate() {
            let j = argmin(c.iter().map(|cj| (q - cj) * (q - cj)));
            let r = (q - c[j]) / norm;
            g[i] += r;
            g[6 + j] -= r;
        }
        g
    };
    check_flat("nearest_norm", &p, f, tangent, grad, hand);
}

/// `_grad` against forward mode, component by component, where finite differences do not apply.
fn against_forward(
    x: &[f64],
    tangent: impl Fn(&[f64], &[f64]) -> (f64, f64),
    grad: impl Fn(&[f64], &mut [f64]) -> f64,
) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    grad(x, &mut g);
    for i in 0..x.len() {
        let mut e = vec![0.0; x.len()];
        e[i] = 1.0;
        let (_, t) = tangent(x, &e);
        assert!(
            t == g[i] || (t.is_nan() && g[i].is_nan()),
            "component {i} of {x:?}: forward {t}, reverse {}",
            g[i]
        );
    }
    g
}

#[test]
fn ties_split_the_adjoint_as_forward_mode_does() {
    // A tie after the maximum is taken: half each.
    let g = against_forward(&[1.0, 3.0, 2.0, 3.0], largest_tangent, largest_grad);
    assert_eq!(g, [0.0, 0.5, 0.0, 0.5]);
    // A tie with the starting value: half to it.
    let g = against_forward(&[3.0, 1.0, 3.0], largest_tangent, largest_grad);
    assert_eq!(g, [0.5, 0.0, 0.5]);
    // Three equal: the later tie halves what the earlier ones get.
    let g = against_forward(&[2.0, 2.0, 2.0], largest_tangent, largest_grad);
    assert_eq!(g, [0.25, 0.25, 0.5]);
    // A tie before the maximum does not matter.
    let g = against_forward(&[1.0, 1.0, 4.0, 0.0], largest_tangent, largest_grad);
    assert_eq!(g, [0.0, 0.0, 1.0, 0.0]);
    // One entry: no iteration runs, the gradient is the start's.
    let g = against_forward(&[5.0], largest_tangent, largest_grad);
    assert_eq!(g, [1.0]);
    // Two points equally far from two centroids.
    let pts = [[0.0, 0.0], [2.0, 0.0]];
    let c = [1.0, 0.0, 1.0, 0.0];
    let mut gc = [0.0; 4];
    nearest_cost_grad(&pts, &mut [[0.0; 2]; 2], &c, &mut gc);
    for i in 0..4 {
        let mut e = [0.0; 4];
        e[i] = 1.0;
        let (_, t) = nearest_cost_tangent(&pts, &[[0.0; 2]; 2], &c, &e);
        assert_eq!(t, gc[i], "centroid component {i}");
    }
}

#[test]
fn nan_follows_the_partials_of_max() {
    // `max` skips a NaN; a NaN start is replaced by the first number.
    let g = against_forward(&[1.0, f64::NAN, 2.0], largest_tangent, largest_grad);
    assert_eq!(g, [0.0, 0.0, 1.0]);
    let g = against_forward(&[f64::NAN, 2.0, 1.0], largest_tangent, largest_grad);
    assert_eq!(g, [0.0, 1.0, 0.0]);
    // All NaN: the partials are NaN.
    let g = against_forward(&[f64::NAN, f64::NAN], largest_tangent, largest_grad);
    assert!(g.iter().all(|v| v.is_nan()));
}

#[test]
fn selection_loops_store_nothing() {
    let pts: Vec<[f64; 2]> = (0..500)
        .map(|i| [(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()])
        .collect();
    let c = sample(20, 0.3);
    let (mut gp, mut gc) = (vec![[0.0; 2]; pts.len()], vec![0.0; c.len()]);
    let m = measure(|| {
        black_box(nearest_cost_grad(&pts, &mut gp, &c, &mut gc));
    });
    assert_eq!(m.allocations, 0, "nearest_cost: nothing stored per point");
    let t = sample(20, 0.6);
    let mut gt = vec![0.0; t.len()];
    let m = measure(|| {
        black_box(chamfer_grad(&pts, &mut gp, &t, &mut gt));
    });
    assert_eq!(m.allocations, 0, "chamfer: nothing stored per point");
    let x = sample(1000, 0.9);
    let mut g = vec![0.0; x.len()];
    let m = measure(|| {
        black_box(largest_grad(&x, &mut g));
        black_box(smallest_score_grad(&x, &mut g, 0.4));
    });
    assert_eq!(m.allocations, 0, "largest, smallest_score: nothing stored");
    let m = measure(|| {
        black_box(nearest_cost_branch_grad(&pts, &mut gp, &c, &mut gc));
        black_box(largest_branch_grad(&x, &mut g));
    });
    assert_eq!(m.allocations, 0, "the branch forms: nothing stored");
    // The log-sum-exp's maximum stores nothing; its sum of exponentials (not fused: the
    // logarithm after it reads the sum) keeps one stack of `exp` values rather than call `exp`
    // again.
    let m = measure(|| {
        black_box(log_sum_exp_grad(&x, &mut g));
    });
    assert_eq!(m.allocations, 1, "log_sum_exp: one stack");
}
