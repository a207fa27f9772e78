//! kmeans: the generated gradient against central finite differences of the cost, `H v`
//! against finite differences of the generated gradient (and diagonal: `H e_i` has one
//! nonzero), the direction against its closed form `C_j - mean(S_j)`, and the JSON shape.

use ad_gradbench::evals::kmeans::{cost, cost_grad, cost_hvp, dir, run};
use ad_gradbench::protocol::Runs;
use approx::assert_abs_diff_eq;
use serde_json::json;

const N: usize = 12;
const K: usize = 3;
const D: usize = 2;

/// Twelve points in the plane; the centroids are the last three points, perturbed.
fn data() -> (Vec<f64>, Vec<f64>) {
    let points: Vec<f64> = (0..N * D)
        .map(|i| ((i as f64) * 2.17 + 0.3).sin().abs())
        .collect();
    let centroids: Vec<f64> = points[(N - K) * D..]
        .iter()
        .enumerate()
        .map(|(i, p)| p + 0.01 * (i as f64 + 1.0))
        .collect();
    (points, centroids)
}

fn grad(points: &[f64], c: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; K * D];
    cost_grad(N, K, D, points, c, &mut g);
    g
}

#[test]
fn gradient_matches_finite_differences() {
    let (p, c) = data();
    let g = grad(&p, &c);
    let h = 1e-6;
    for i in 0..K * D {
        let (mut up, mut down) = (c.clone(), c.clone());
        up[i] += h;
        down[i] -= h;
        let fd = (cost(N, K, D, &p, &up) - cost(N, K, D, &p, &down)) / (2.0 * h);
        assert_abs_diff_eq!(g[i], fd, epsilon = 1e-7);
    }
}

#[test]
fn hessian_is_diagonal_and_matches_finite_differences_of_the_gradient() {
    let (p, c) = data();
    let h = 1e-6;
    for col in 0..K * D {
        let mut e = vec![0.0; K * D];
        e[col] = 1.0;
        let (value, g, he) = cost_hvp(N, K, D, &p, &c, &e);
        assert_abs_diff_eq!(value, cost(N, K, D, &p, &c), epsilon = 1e-14);
        assert_abs_diff_eq!(g.as_slice(), grad(&p, &c).as_slice(), epsilon = 1e-14);
        let (mut up, mut down) = (c.clone(), c.clone());
        up[col] += h;
        down[col] -= h;
        let (gu, gd) = (grad(&p, &up), grad(&p, &down));
        for row in 0..K * D {
            let fd = (gu[row] - gd[row]) / (2.0 * h);
            assert_abs_diff_eq!(he[row], fd, epsilon = 1e-6);
            if row != col {
                assert_eq!(he[row], 0.0);
            }
        }
        assert!(he[col] > 0.0);
    }
}

#[test]
fn direction_is_centroid_minus_cluster_mean() {
    let (p, c) = data();
    let got = dir(N, K, D, &p, &c);
    let mut sums = [0.0; K * D];
    let mut sizes = [0.0; K];
    for i in 0..N {
        let dist = |j: usize| {
            (0..D)
                .map(|l| (p[i * D + l] - c[j * D + l]).powi(2))
                .sum::<f64>()
        };
        let j = (0..K).min_by(|&a, &b| dist(a).total_cmp(&dist(b))).unwrap();
        sizes[j] += 1.0;
        for l in 0..D {
            sums[j * D + l] += p[i * D + l];
        }
    }
    for j in 0..K {
        assert!(sizes[j] > 0.0);
        for l in 0..D {
            let want = c[j * D + l] - sums[j * D + l] / sizes[j];
            assert_abs_diff_eq!(got[j * D + l], want, epsilon = 1e-12);
        }
    }
}

#[test]
fn json_shapes() {
    let (p, c) = data();
    let rows = |v: &[f64]| v.chunks(D).map(<[f64]>::to_vec).collect::<Vec<_>>();
    let input = json!({ "points": rows(&p), "centroids": rows(&c) });
    let cost = run("cost", input.clone(), &Runs::ONCE).unwrap();
    assert!(cost.output.is_f64());
    let dir = run("dir", input.clone(), &Runs::ONCE).unwrap().output;
    assert_eq!(dir.as_array().unwrap().len(), K);
    assert_eq!(dir[0].as_array().unwrap().len(), D);
    assert!(run("hessian", input, &Runs::ONCE).is_err());
}
