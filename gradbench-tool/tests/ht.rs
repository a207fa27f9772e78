//! `ht`: the Jacobian's `theta` block (by `#[derive_jacobian(forward)]`) and `u` columns (by
//! `#[derive_tangent]`) against central finite differences of the primal, on a small synthetic
//! 22-bone hand, for both variants; and the layout of the output.

// Index loops read like the matrices they check.
#![allow(clippy::needless_range_loop)]

use ad_gradbench::evals::ht::{self, Data, DataInput, Input, ModelInput};
use approx::assert_relative_eq;

/// A small deterministic generator (an LCG), uniform in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

fn transform(rng: &mut Rng) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = (0..3)
        .map(|_| (0..4).map(|_| rng.next()).collect())
        .collect();
    m.push(vec![0.0, 0.0, 0.0, 1.0]);
    m
}

fn input(complicated: bool) -> Input {
    let mut rng = Rng(7);
    let n_bones = 22;
    let n_verts = 8;
    let npts = 5;
    // Wrist (root), then 5 fingers of 4 bones each, then the forearm.
    let mut parents = vec![-1i64];
    for f in 0..5 {
        parents.push(0);
        for k in 1..4 {
            parents.push((1 + 4 * f + k - 1) as i64);
        }
    }
    parents.push(0);
    let model = ModelInput {
        bone_names: (0..n_bones).map(|i| format!("b{i}")).collect(),
        parents,
        base_relatives: (0..n_bones).map(|_| transform(&mut rng)).collect(),
        inverse_base_absolutes: (0..n_bones).map(|_| transform(&mut rng)).collect(),
        base_positions: (0..n_verts)
            .map(|_| vec![rng.next(), rng.next(), rng.next(), 1.0])
            .collect(),
        weights: (0..n_verts)
            .map(|_| (0..n_bones).map(|_| 0.5 * (rng.next() + 1.0)).collect())
            .collect(),
        triangles: vec![vec![0, 1, 2], vec![3, 4, 5], vec![5, 6, 7], vec![7, 0, 3]],
        is_mirrored: false,
    };
    let correspondences = if complicated {
        vec![0, 1, 2, 3, 1]
    } else {
        vec![0, 7, 3, 5, 2]
    };
    Input {
        theta: (0..26).map(|_| 0.5 * rng.next()).collect(),
        data: DataInput {
            model,
            correspondences,
            points: (0..npts)
                .map(|_| vec![rng.next(), rng.next(), rng.next()])
                .collect(),
        },
        us: if complicated {
            (0..npts)
                .map(|_| vec![0.3 + 0.2 * rng.next(), 0.3 + 0.2 * rng.next()])
                .collect()
        } else {
            Vec::new()
        },
    }
}

fn check(complicated: bool) {
    let (theta, us, data): (Vec<f64>, Vec<f64>, Data) = ht::problem(input(complicated)).unwrap();
    let nrows = 15;
    let parts = ht::jacobian(&theta, &us, &data);
    let nu = if complicated { 2 } else { 0 };
    let ncols = parts.ncols();
    assert_eq!(ncols, nu + 26);
    assert_eq!(parts.nrows(), nrows);
    let jac: Vec<f64> = (0..nrows)
        .flat_map(|r| (0..ncols).map(move |c| (r, c)))
        .map(|(r, c)| parts.get(r, c))
        .collect();
    let fd = |f: &dyn Fn(f64) -> Vec<f64>, h: f64| -> Vec<f64> {
        let (p, m) = (f(h), f(-h));
        p.iter().zip(&m).map(|(a, b)| (a - b) / (2.0 * h)).collect()
    };
    let h = 1e-6;
    for k in 0..26 {
        let col = fd(
            &|e| {
                let mut t = theta.clone();
                t[k] += e;
                ht::objective_value(&t, &us, &data)
            },
            h,
        );
        for r in 0..nrows {
            assert_relative_eq!(
                jac[r * ncols + nu + k],
                col[r],
                epsilon = 1e-6,
                max_relative = 1e-5
            );
        }
    }
    // The u columns: moving every point's u0 (or u1) at once, since residual i sees only u_i.
    for k in 0..nu {
        let col = fd(
            &|e| {
                let mut u = us.clone();
                for i in 0..u.len() / 2 {
                    u[2 * i + k] += e;
                }
                ht::objective_value(&theta, &u, &data)
            },
            h,
        );
        for r in 0..nrows {
            assert_relative_eq!(
                jac[r * ncols + k],
                col[r],
                epsilon = 1e-6,
                max_relative = 1e-5
            );
        }
    }
    // A nonzero Jacobian: the checks above cannot pass on zeros.
    assert!(jac.iter().map(|v| v.abs()).sum::<f64>() > 1e-3);
}

#[test]
fn simple_jacobian_matches_finite_differences() {
    check(false);
}

#[test]
fn complicated_jacobian_matches_finite_differences() {
    check(true);
}

#[test]
fn run_answers_in_the_reference_shape() {
    let value = serde_json::to_value(InputJson(input(true))).unwrap();
    let runs = ad_gradbench::protocol::Runs::ONCE;
    let obj = ht::run("objective", value.clone(), &runs).unwrap().output;
    assert_eq!(obj.as_array().unwrap().len(), 15);
    let jac = ht::run("jacobian", value, &runs).unwrap().output;
    let rows = jac.as_array().unwrap();
    assert_eq!(rows.len(), 15);
    assert_eq!(rows[0].as_array().unwrap().len(), 28);
}

/// The input back as the eval's JSON.
struct InputJson(Input);
impl serde::Serialize for InputJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = &self.0;
        let m = &i.data.model;
        serde_json::json!({
            "theta": i.theta,
            "us": i.us,
            "data": {
                "model": {
                    "bone_count": m.parents.len(),
                    "bone_names": m.bone_names,
                    "parents": m.parents,
                    "base_relatives": m.base_relatives,
                    "inverse_base_absolutes": m.inverse_base_absolutes,
                    "base_positions": m.base_positions,
                    "weights": m.weights,
                    "triangles": m.triangles,
                    "is_mirrored": m.is_mirrored,
                },
                "correspondences": i.data.correspondences,
                "points": i.data.points,
            },
        })
        .serialize(s)
    }
}
