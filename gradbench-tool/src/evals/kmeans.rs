//! `kmeans`: the k-means cost `f(P, C) = sum_i min_j |C_j - P_i|^2` and its Newton direction
//! `dir = J ./ diag(H)` with respect to the centroids `C`.
//!
//! [`cost`] is the C++ reference's `objective` (`cpp/gradbench/evals/kmeans.hpp`): for each
//! point, the smallest squared distance to a centroid by a running `min` from infinity, summed.
//! `#[derive_grad(hessian, wrt(centroids))]` writes `cost_grad` (reverse mode) and
//! `cost_hvp` (forward over reverse: value, gradient `J` and `H v` in one pass).
//!
//! **Why `H 1` is the Hessian's diagonal.** Away from ties (a point at the same distance from
//! two centroids: a set of measure zero, and the eval's inputs make each centroid the unique
//! closest one of at least one point), each point `P_i` has one closest centroid `j(i)` that
//! stays closest under a small move of `C`, so locally
//! `f(C) = sum_j sum_{i: j(i) = j} sum_l (C_jl - P_il)^2`, a sum of functions of one
//! coordinate `C_jl` each. Its Hessian is therefore exactly diagonal, `H = diag(2 |S_j|)`
//! (`|S_j|` the points closest to centroid `j`), and for a diagonal matrix `H 1 = diag(H)`. So
//! one `cost_hvp` pass with `v` all ones gives both `J` and `diag(H)`, and `dir = J ./ H 1` is
//! exactly what the eval asks (`J H^-1` with `H` diagonal; the reference writes the same
//! thing in closed form, `C_j - mean(S_j)`). The `min` contributes no second derivative
//! (it is piecewise linear), which forward-over-reverse reproduces: its partials are
//! constants along the tangent.

// Index loops over flat slices, as the C++ reference writes them.
#![allow(clippy::needless_range_loop)]

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::derive_grad;
use serde::Deserialize;
use serde_json::{Value, json};

/// The eval's input (the `Runs` fields are read by the protocol).
#[derive(Deserialize)]
pub struct Input {
    /// `n` points of dimension `d`.
    pub points: Vec<Vec<f64>>,
    /// `k` centroids of dimension `d`.
    pub centroids: Vec<Vec<f64>>,
}

/// The squared distance between two points of dimension `d` (the reference's
/// `euclid_dist_2`).
#[derive_grad]
pub fn euclid_dist_2(d: usize, a: &[f64], b: &[f64]) -> f64 {
    let mut dist = 0.0;
    for l in 0..d {
        let diff = a[l] - b[l];
        dist += diff * diff;
    }
    dist
}

/// The k-means cost of `n` points (`points`, `n * d` row-major) against `k` centroids
/// (`centroids`, `k * d`). `cost_grad` calls `euclid_dist_2`'s reverse pass; the Hessian's
/// code has its body inlined (second-order companions take no slices).
#[derive_grad(hessian, wrt(centroids))]
pub fn cost(n: usize, k: usize, d: usize, points: &[f64], centroids: &[f64]) -> f64 {
    let mut cost = 0.0;
    for i in 0..n {
        let mut closest = f64::INFINITY;
        for j in 0..k {
            let a = &points[i * d..(i + 1) * d];
            let b = &centroids[j * d..(j + 1) * d];
            closest = closest.min(euclid_dist_2(d, a, b));
        }
        cost += closest;
    }
    cost
}

/// The Newton direction `J ./ diag(H)`, flat `k * d`, from one `cost_hvp` pass with `v = 1`.
pub fn dir(n: usize, k: usize, d: usize, points: &[f64], centroids: &[f64]) -> Vec<f64> {
    let ones = vec![1.0; k * d];
    let (_, j, h) = cost_hvp(n, k, d, points, centroids, &ones);
    j.iter().zip(&h).map(|(j, h)| j / h).collect()
}

/// Runs `cost` or `dir`.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    let (n, k) = (input.points.len(), input.centroids.len());
    let d = input.points.first().map_or(0, Vec::len);
    let points = input.points.concat();
    let centroids = input.centroids.concat();
    let (output, nanoseconds) = match function {
        "cost" => {
            let (v, ns) = measure(runs, || cost(n, k, d, &points, &centroids));
            (json!(v), ns)
        }
        "dir" => {
            let (v, ns) = measure(runs, || dir(n, k, d, &points, &centroids));
            let rows: Vec<&[f64]> = v.chunks(d.max(1)).collect();
            (json!(rows), ns)
        }
        _ => return Err(format!("kmeans has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
