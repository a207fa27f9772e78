//! `ba`: ADBench's bundle adjustment.
//!
//! The objective is, for each of `p` observations `i` of point `X[pt]` by camera `cams[cam]`,
//! the weighted reprojection error `w[i] * (project(cam, X) - feat[i])` (two numbers), and for
//! each weight the error `1 - w[i]^2`. The camera is `[rotation (3, angle-axis), center (3),
//! focal, principal point (2), radial distortion (2)]`.
//!
//! The primal is written as the C++ reference (`cpp/gradbench/evals/ba.hpp`) writes it: small
//! helpers on `[f64; 3]` (`sqsum`, `dot`, `cross`), the Rodrigues rotation with its
//! small-angle branch, radial distortion, projection, and the residual of one observation
//! ([`compute_reproj_error`]), applied in a loop over the observations.
//!
//! The Jacobian is the sparse `(3p) x (11n + 3m + p)` matrix the reference assembles
//! ([`SparseMat`], compressed rows): per observation a 2 x 15 block (11 camera parameters,
//! 3 point coordinates, 1 weight) from two passes of [`compute_reproj_error_vjp`], written by
//! `#[derive_grad]` (the seeds `[1, 0]` and `[0, 1]` give the two rows; each pass goes through
//! the `#[derive_grad]` companions of the helpers), and per weight the 1 x 1 block from
//! [`compute_zach_weight_error_grad`], written by `#[derive_grad]`. No derivative arithmetic is
//! written by hand.

// Index loops, as the C++ reference writes them (and as the macros differentiate them).
#![allow(clippy::needless_range_loop)]

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{derive_grad, derive_jacobian, derive_tangent};
use serde::Deserialize;
use serde_json::{Value, json};

/// Camera parameters per camera.
pub const BA_NCAMPARAMS: usize = 11;

/// The eval's input: one camera, point, weight and feature, to be duplicated `n`, `m`, `p` and
/// `p` times.
#[derive(Deserialize, Debug, Clone)]
pub struct Input {
    /// Number of cameras.
    pub n: usize,
    /// Number of points.
    pub m: usize,
    /// Number of observations.
    pub p: usize,
    /// One camera (11 parameters).
    pub cam: Vec<f64>,
    /// One point (3 coordinates).
    pub x: Vec<f64>,
    /// One weight.
    pub w: f64,
    /// One feature (2 coordinates).
    pub feat: Vec<f64>,
}

/// The duplicated problem, as the reference's `from_json` builds it.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Number of cameras.
    pub n: usize,
    /// Number of points.
    pub m: usize,
    /// Number of observations.
    pub p: usize,
    /// `11 n` camera parameters.
    pub cams: Vec<f64>,
    /// `3 m` point coordinates.
    pub x: Vec<f64>,
    /// `p` weights.
    pub w: Vec<f64>,
    /// `2 p` observation indices (camera, point).
    pub obs: Vec<usize>,
    /// `2 p` features.
    pub feats: Vec<f64>,
}

impl Problem {
    /// Duplicates the input as the reference does (observation `i` sees camera `i % n` and
    /// point `i % m`).
    pub fn from_input(input: &Input) -> Result<Problem, String> {
        if input.cam.len() != BA_NCAMPARAMS || input.x.len() != 3 || input.feat.len() != 2 {
            return Err("ba: cam, x and feat must have 11, 3 and 2 entries".into());
        }
        if input.n == 0 || input.m == 0 {
            return Err("ba: n and m must be positive".into());
        }
        let (n, m, p) = (input.n, input.m, input.p);
        let mut obs = Vec::with_capacity(2 * p);
        for i in 0..p {
            obs.push(i % n);
            obs.push(i % m);
        }
        Ok(Problem {
            n,
            m,
            p,
            cams: input.cam.repeat(n),
            x: input.x.repeat(m),
            w: vec![input.w; p],
            obs,
            feats: input.feat.repeat(p),
        })
    }
}

/// `x[0]^2 + x[1]^2 + x[2]^2`.
#[derive_tangent]
#[derive_grad]
pub fn sqsum(x: [f64; 3]) -> f64 {
    x[0] * x[0] + x[1] * x[1] + x[2] * x[2]
}

/// The dot product of two 3-vectors.
#[derive_tangent]
#[derive_grad]
pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The cross product of two 3-vectors.
#[derive_tangent]
#[derive_grad]
pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Rotates `pt` by the angle-axis rotation `rot` (Rodrigues' formula, with the reference's
/// first-order branch at a zero angle).
#[derive_tangent]
#[derive_grad]
pub fn rodrigues_rotate_point(rot: [f64; 3], pt: [f64; 3]) -> [f64; 3] {
    let sqtheta = sqsum(rot);
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let theta_inverse = 1.0 / theta;
        let w = [
            rot[0] * theta_inverse,
            rot[1] * theta_inverse,
            rot[2] * theta_inverse,
        ];
        let w_cross_pt = cross(w, pt);
        let tmp = dot(w, pt) * (1.0 - costheta);
        [
            pt[0] * costheta + w_cross_pt[0] * sintheta + w[0] * tmp,
            pt[1] * costheta + w_cross_pt[1] * sintheta + w[1] * tmp,
            pt[2] * costheta + w_cross_pt[2] * sintheta + w[2] * tmp,
        ]
    } else {
        let rot_cross_pt = cross(rot, pt);
        [
            pt[0] + rot_cross_pt[0],
            pt[1] + rot_cross_pt[1],
            pt[2] + rot_cross_pt[2],
        ]
    }
}

/// Radial distortion of a projected point.
#[derive_tangent]
#[derive_grad]
pub fn radial_distort(rad_params: [f64; 2], proj: [f64; 2]) -> [f64; 2] {
    let rsq = proj[0] * proj[0] + proj[1] * proj[1];
    let l = 1.0 + rad_params[0] * rsq + rad_params[1] * rsq * rsq;
    [proj[0] * l, proj[1] * l]
}

/// Projects point `x` with camera `cam`.
#[derive_tangent]
#[derive_grad]
pub fn project(cam: [f64; 11], x: [f64; 3]) -> [f64; 2] {
    let xo = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
    let xcam = rodrigues_rotate_point([cam[0], cam[1], cam[2]], xo);
    let proj = [xcam[0] / xcam[2], xcam[1] / xcam[2]];
    let distorted = radial_distort([cam[9], cam[10]], proj);
    [
        distorted[0] * cam[6] + cam[7],
        distorted[1] * cam[6] + cam[8],
    ]
}

/// The weighted reprojection error of one observation.
#[derive_tangent(wrt(cam, x, w))]
#[derive_grad(wrt(cam, x, w))]
pub fn compute_reproj_error(cam: [f64; 11], x: [f64; 3], w: f64, feat: [f64; 2]) -> [f64; 2] {
    let proj = project(cam, x);
    [w * (proj[0] - feat[0]), w * (proj[1] - feat[1])]
}

/// The weight error `1 - w^2`.
#[derive_grad]
pub fn compute_zach_weight_error(w: f64) -> f64 {
    1.0 - w * w
}

/// [`compute_reproj_error`] of the 15 parameters of one block, `[cam (11), x (3), w]`: the
/// function whose Jacobian is the block (the reference's `J`, here by rows). Its
/// `#[derive_jacobian(reverse)]` companion [`reproj_block_jacrev`] gives the same block as the
/// two `_vjp` passes [`jacobian`] makes; the tests check one against the other.
#[derive_jacobian(reverse, wrt(q))]
pub fn reproj_block(q: [f64; 15], feat: [f64; 2]) -> [f64; 2] {
    compute_reproj_error(
        [
            q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10],
        ],
        [q[11], q[12], q[13]],
        q[14],
        feat,
    )
}

/// The objective's two outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjOutput {
    /// `2 p` reprojection errors.
    pub reproj_err: Vec<f64>,
    /// `p` weight errors.
    pub w_err: Vec<f64>,
}

fn cam_of(cams: &[f64], i: usize) -> [f64; 11] {
    std::array::from_fn(|k| cams[BA_NCAMPARAMS * i + k])
}

fn point_of(x: &[f64], i: usize) -> [f64; 3] {
    [x[3 * i], x[3 * i + 1], x[3 * i + 2]]
}

/// The objective, as the reference's `ba::objective`: a loop over observations, then a loop
/// over weights.
pub fn objective(pr: &Problem) -> ObjOutput {
    let mut reproj_err = vec![0.0; 2 * pr.p];
    let mut w_err = vec![0.0; pr.p];
    for i in 0..pr.p {
        let cam_idx = pr.obs[2 * i];
        let pt_idx = pr.obs[2 * i + 1];
        let e = compute_reproj_error(
            cam_of(&pr.cams, cam_idx),
            point_of(&pr.x, pt_idx),
            pr.w[i],
            [pr.feats[2 * i], pr.feats[2 * i + 1]],
        );
        reproj_err[2 * i] = e[0];
        reproj_err[2 * i + 1] = e[1];
    }
    for i in 0..pr.p {
        w_err[i] = compute_zach_weight_error(pr.w[i]);
    }
    ObjOutput { reproj_err, w_err }
}

/// The reference's sparse Jacobian in compressed rows: `rows` has `nrows + 1` entries, row `r`
/// holds `cols[rows[r]..rows[r + 1]]` and `vals[..]` alike.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseMat {
    /// Number of cameras.
    pub n: usize,
    /// Number of points.
    pub m: usize,
    /// Number of observations.
    pub p: usize,
    /// Row starts, `3p + 1` of them when complete.
    pub rows: Vec<usize>,
    /// Column of each nonzero.
    pub cols: Vec<usize>,
    /// Value of each nonzero.
    pub vals: Vec<f64>,
}

impl SparseMat {
    /// An empty matrix with room for every nonzero.
    pub fn new(n: usize, m: usize, p: usize) -> SparseMat {
        let nrows = 3 * p;
        let nnonzero = (BA_NCAMPARAMS + 3 + 1) * 2 * p + p;
        let mut rows = Vec::with_capacity(nrows + 1);
        rows.push(0);
        SparseMat {
            n,
            m,
            p,
            rows,
            cols: Vec::with_capacity(nnonzero),
            vals: Vec::with_capacity(nnonzero),
        }
    }

    /// Appends the two rows of observation `obs_idx`; `j[r][k]` is the derivative of residual
    /// `r` by parameter `k` of `[cam (11), x (3), w]`.
    pub fn insert_reproj_err_block(
        &mut self,
        obs_idx: usize,
        cam_idx: usize,
        pt_idx: usize,
        j: &[[f64; 15]; 2],
    ) {
        let n_new_cols = BA_NCAMPARAMS + 3 + 1;
        let last = *self.rows.last().unwrap();
        self.rows.push(last + n_new_cols);
        self.rows.push(last + 2 * n_new_cols);
        for row in j {
            for (i, v) in row.iter().enumerate().take(BA_NCAMPARAMS) {
                self.cols.push(BA_NCAMPARAMS * cam_idx + i);
                self.vals.push(*v);
            }
            let col_offset = BA_NCAMPARAMS * self.n;
            for i in 0..3 {
                self.cols.push(col_offset + 3 * pt_idx + i);
                self.vals.push(row[BA_NCAMPARAMS + i]);
            }
            self.cols.push(col_offset + 3 * self.m + obs_idx);
            self.vals.push(row[14]);
        }
    }

    /// Appends the row of weight `w_idx`.
    pub fn insert_w_err_block(&mut self, w_idx: usize, w_d: f64) {
        let last = *self.rows.last().unwrap();
        self.rows.push(last + 1);
        self.cols.push(BA_NCAMPARAMS * self.n + 3 * self.m + w_idx);
        self.vals.push(w_d);
    }
}

/// The Jacobian, assembled as the reference's manual tool does: per observation the 2 x 15
/// block by two passes of [`compute_reproj_error_vjp`] (faster here than
/// [`reproj_block_jacrev`]: 0.49 against 0.77 µs a block), per weight the 1 x 1 block by
/// [`compute_zach_weight_error_grad`].
pub fn jacobian(pr: &Problem) -> SparseMat {
    let mut out = SparseMat::new(pr.n, pr.m, pr.p);
    for i in 0..pr.p {
        let cam_idx = pr.obs[2 * i];
        let pt_idx = pr.obs[2 * i + 1];
        let cam = cam_of(&pr.cams, cam_idx);
        let x = point_of(&pr.x, pt_idx);
        let feat = [pr.feats[2 * i], pr.feats[2 * i + 1]];
        // One reverse pass per residual: row r of the block is the adjoint of the seed e_r.
        let mut j = [[0.0; 15]; 2];
        for (r, row) in j.iter_mut().enumerate() {
            let mut seed = [0.0; 2];
            seed[r] = 1.0;
            let (_, (d_cam, d_x, d_w)) = compute_reproj_error_vjp(cam, x, pr.w[i], feat, seed);
            row[..BA_NCAMPARAMS].copy_from_slice(&d_cam);
            row[BA_NCAMPARAMS..BA_NCAMPARAMS + 3].copy_from_slice(&d_x);
            row[14] = d_w;
        }
        out.insert_reproj_err_block(i, cam_idx, pt_idx, &j);
    }
    for i in 0..pr.p {
        let (_, w_d) = compute_zach_weight_error_grad(pr.w[i]);
        out.insert_w_err_block(i, w_d);
    }
    out
}

/// The objective's JSON, as the reference's `to_json` writes it (first residual pair and first
/// weight error, with the repetition counts).
pub fn objective_json(o: &ObjOutput) -> Value {
    json!({
        "reproj_error": {
            "elements": [o.reproj_err[0], o.reproj_err[1]],
            "repeated": o.reproj_err.len() / 2,
        },
        "w_err": { "element": o.w_err[0], "repeated": o.w_err.len() },
    })
}

/// The Jacobian's JSON, as the reference's `to_json` writes it: the first 30 entries of `rows`,
/// `cols` and `vals`, then the last entry of each.
pub fn jacobian_json(j: &SparseMat) -> Value {
    let k = 2 * (BA_NCAMPARAMS + 4);
    let take = |v: &[usize]| -> Vec<usize> {
        let mut out: Vec<usize> = v[..k].to_vec();
        out.push(*v.last().unwrap());
        out
    };
    let mut vals: Vec<f64> = j.vals[..k].to_vec();
    vals.push(*j.vals.last().unwrap());
    json!({ "rows": take(&j.rows), "cols": take(&j.cols), "vals": vals })
}

/// Runs `objective` or `jacobian` on a GradBench `ba` input.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let input: Input = parse(input)?;
    let pr = Problem::from_input(&input)?;
    if pr.p == 0 {
        return Err("ba: p must be positive".into());
    }
    let (output, nanoseconds) = match function {
        "objective" => {
            let (o, t) = measure(runs, || objective(&pr));
            (objective_json(&o), t)
        }
        "jacobian" => {
            if 3 * pr.p + 1 < 2 * (BA_NCAMPARAMS + 4) {
                // The reference's output reads the first 30 row starts.
                return Err("ba: the Jacobian output needs at least 10 observations".into());
            }
            let (j, t) = measure(runs, || jacobian(&pr));
            (jacobian_json(&j), t)
        }
        _ => return Err(format!("ba has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
