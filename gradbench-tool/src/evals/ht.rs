//! `ht`: ADBench's hand tracking.
//!
//! A hand model (bones with parents, base transforms, skinning weights over mesh vertices) is
//! posed by 26 parameters `theta` (global rotation, global translation, finger angles); the
//! objective is, for each data point `i`, the 3 coordinates of `points[i]` minus the posed
//! vertex `correspondences[i]` ("simple" variant, `us` empty), or minus the point of triangle
//! `correspondences[i]` at barycentric coordinates `(u0, u1, 1 - u0 - u1)` ("complicated"
//! variant, `us` holds `(u0, u1)` per point).
//!
//! The primal is written as the C++ reference (`cpp/gradbench/evals/ht.hpp`) writes it, over
//! column-major flat matrices: `to_pose_params`, Euler angles and angle-axis to rotation
//! matrices (helpers returning `[f64; 9]`), posed relatives, relatives to absolutes along the
//! bone tree (4 x 4 products by the helper [`mat_mult4`]), linear blend skinning, the global
//! transform, then the residuals.
//!
//! The Jacobian (`3 npts` rows; columns: for the complicated variant first `d/du0` and `d/du1`
//! of each point's own `u`, then the 26 `theta`) is produced by our macros only:
//! - the 26 `theta` columns by [`objective_jacfwd`], written by
//!   `#[derive_jacobian(forward, lanes = 13, wrt(theta, err))]` (vector forward mode, 13
//!   tangents a pass, so two passes; on hand1 of the big model 2.4 times faster than the
//!   default 4 lanes, whose 7 passes each recompute the primal);
//! - the two `u` columns by [`objective_tangent`], written by `#[derive_tangent(wrt(us))]`, with
//!   the seeds "every `u0` = 1" and "every `u1` = 1": residual `i` depends only on point `i`'s
//!   `u`, so each pass gives one column of the reference's compressed Jacobian exactly.

// Index loops, as the C++ reference writes them (and as the macros differentiate them).
#![allow(clippy::needless_range_loop)]

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::{Jacobian, derive_jacobian, derive_tangent};
use serde::Deserialize;
use serde_json::Value;

/// The hand model as the eval sends it.
#[derive(Deserialize, Debug, Clone)]
pub struct ModelInput {
    /// Names of the bones (only their count matters).
    pub bone_names: Vec<String>,
    /// Parent of each bone, -1 for the root; parents come before their children.
    pub parents: Vec<i64>,
    /// Per bone, its 4 x 4 transform relative to its parent, by rows.
    pub base_relatives: Vec<Vec<Vec<f64>>>,
    /// Per bone, the inverse of its 4 x 4 absolute base transform, by rows.
    pub inverse_base_absolutes: Vec<Vec<Vec<f64>>>,
    /// Per vertex, its homogeneous base position (4 numbers).
    pub base_positions: Vec<Vec<f64>>,
    /// Per vertex, its weight for each bone.
    pub weights: Vec<Vec<f64>>,
    /// Vertex indices of each triangle.
    pub triangles: Vec<Vec<usize>>,
    /// Whether the model is mirrored in x.
    pub is_mirrored: bool,
}

/// The model and the data points as the eval sends them.
#[derive(Deserialize, Debug, Clone)]
pub struct DataInput {
    /// The hand model.
    pub model: ModelInput,
    /// Per data point, its vertex (simple) or triangle (complicated).
    pub correspondences: Vec<usize>,
    /// Per data point, its 3 coordinates.
    pub points: Vec<Vec<f64>>,
}

/// The eval's input.
#[derive(Deserialize, Debug, Clone)]
pub struct Input {
    /// The 26 pose parameters.
    pub theta: Vec<f64>,
    /// The model and data.
    pub data: DataInput,
    /// Per data point, its barycentric `(u0, u1)`; empty for the simple variant.
    #[serde(default)]
    pub us: Vec<Vec<f64>>,
}

/// The model in the reference's layout: column-major flat matrices.
#[derive(Debug, Clone)]
pub struct Model {
    /// Number of bones.
    pub n_bones: usize,
    /// Number of vertices.
    pub n_verts: usize,
    /// Parent of each bone, -1 for the root.
    pub parents: Vec<i64>,
    /// 16 per bone, column-major 4 x 4.
    pub base_relatives: Vec<f64>,
    /// 16 per bone, column-major 4 x 4.
    pub inverse_base_absolutes: Vec<f64>,
    /// 4 x `n_verts`, column-major (4 per vertex).
    pub base_positions: Vec<f64>,
    /// `n_bones` x `n_verts`, column-major (`n_bones` per vertex).
    pub weights: Vec<f64>,
    /// 3 vertex indices per triangle.
    pub triangles: Vec<usize>,
    /// Whether the model is mirrored in x.
    pub is_mirrored: bool,
}

/// The model, correspondences and points in the reference's layout.
#[derive(Debug, Clone)]
pub struct Data {
    /// The hand model.
    pub model: Model,
    /// Per data point, its vertex (simple) or triangle (complicated).
    pub correspondences: Vec<usize>,
    /// 3 x `npts`, column-major (3 per point).
    pub points: Vec<f64>,
}

fn col_major_4x4(rows: &[Vec<f64>], out: &mut Vec<f64>) -> Result<(), String> {
    if rows.len() != 4 || rows.iter().any(|r| r.len() != 4) {
        return Err("ht: a bone transform is not 4 x 4".into());
    }
    for c in 0..4 {
        for r in rows {
            out.push(r[c]);
        }
    }
    Ok(())
}

impl Data {
    /// Converts the eval's input into the reference's layout, checking the shapes.
    pub fn from_input(d: &DataInput) -> Result<Data, String> {
        let m = &d.model;
        let n_bones = m.parents.len();
        let n_verts = m.base_positions.len();
        if m.base_relatives.len() != n_bones || m.inverse_base_absolutes.len() != n_bones {
            return Err("ht: one base transform per bone is needed".into());
        }
        if n_bones != 22 {
            // to_pose_params writes 5 fingers of 4 bones after the wrist: 22 bones in all.
            return Err(format!("ht: the model needs 22 bones, it has {n_bones}"));
        }
        let mut base_relatives = Vec::with_capacity(16 * n_bones);
        let mut inverse_base_absolutes = Vec::with_capacity(16 * n_bones);
        for b in 0..n_bones {
            col_major_4x4(&m.base_relatives[b], &mut base_relatives)?;
            col_major_4x4(&m.inverse_base_absolutes[b], &mut inverse_base_absolutes)?;
        }
        for (b, &p) in m.parents.iter().enumerate() {
            if p >= b as i64 || p < -1 {
                return Err("ht: a bone's parent must come before it".into());
            }
        }
        let mut base_positions = Vec::with_capacity(4 * n_verts);
        for v in &m.base_positions {
            if v.len() != 4 {
                return Err("ht: base positions must be homogeneous (4 numbers)".into());
            }
            base_positions.extend_from_slice(v);
        }
        if m.weights.len() != n_verts || m.weights.iter().any(|w| w.len() != n_bones) {
            return Err("ht: one weight per bone and vertex is needed".into());
        }
        let weights = m.weights.concat();
        let mut triangles = Vec::with_capacity(3 * m.triangles.len());
        for t in &m.triangles {
            if t.len() != 3 || t.iter().any(|&v| v >= n_verts) {
                return Err("ht: a triangle has not 3 vertices of the model".into());
            }
            triangles.extend_from_slice(t);
        }
        if d.points.len() != d.correspondences.len() || d.points.iter().any(|p| p.len() != 3) {
            return Err("ht: one 3-d point per correspondence is needed".into());
        }
        Ok(Data {
            model: Model {
                n_bones,
                n_verts,
                parents: m.parents.clone(),
                base_relatives,
                inverse_base_absolutes,
                base_positions,
                weights,
                triangles,
                is_mirrored: m.is_mirrored,
            },
            correspondences: d.correspondences.clone(),
            points: d.points.concat(),
        })
    }
}

/// The product of two column-major 3 x 3 matrices.
#[derive_tangent]
pub fn mat_mult3(lhs: [f64; 9], rhs: [f64; 9]) -> [f64; 9] {
    let mut out = [0.0; 9];
    for i in 0..3 {
        for k in 0..3 {
            let mut s = lhs[i] * rhs[3 * k];
            for j in 1..3 {
                s += lhs[3 * j + i] * rhs[3 * k + j];
            }
            out[3 * k + i] = s;
        }
    }
    out
}

/// The product of two column-major 4 x 4 matrices.
#[derive_tangent]
pub fn mat_mult4(lhs: [f64; 16], rhs: [f64; 16]) -> [f64; 16] {
    let mut out = [0.0; 16];
    for i in 0..4 {
        for k in 0..4 {
            let mut s = lhs[i] * rhs[4 * k];
            for j in 1..4 {
                s += lhs[4 * j + i] * rhs[4 * k + j];
            }
            out[4 * k + i] = s;
        }
    }
    out
}

/// The rotation matrix (column-major) of an angle-axis vector; the identity below 1e-4.
#[derive_tangent]
pub fn angle_axis_to_rotation_matrix(angle_axis: [f64; 3]) -> [f64; 9] {
    let norm = (angle_axis[0] * angle_axis[0]
        + angle_axis[1] * angle_axis[1]
        + angle_axis[2] * angle_axis[2])
        .sqrt();
    // gap: the reference's early `return` of the identity is refused next to the array
    // returned at the end, and so is an `if`/`else` whose arms are both array literals ("a
    // tuple or array on one side and a single value on the other"); written as the identity
    // overwritten element by element when the angle is not small.
    let mut r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    if norm >= 0.0001 {
        let x = angle_axis[0] / norm;
        let y = angle_axis[1] / norm;
        let z = angle_axis[2] / norm;
        let s = norm.sin();
        let c = norm.cos();
        // Column-major: R(i, j) is element 3 j + i.
        r[0] = x * x + (1.0 - x * x) * c; // R(0, 0)
        r[1] = x * y * (1.0 - c) + z * s; // R(1, 0)
        r[2] = x * z * (1.0 - c) - y * s; // R(2, 0)
        r[3] = x * y * (1.0 - c) - z * s; // R(0, 1)
        r[4] = y * y + (1.0 - y * y) * c; // R(1, 1)
        r[5] = z * y * (1.0 - c) + x * s; // R(2, 1)
        r[6] = x * z * (1.0 - c) + y * s; // R(0, 2)
        r[7] = y * z * (1.0 - c) - x * s; // R(1, 2)
        r[8] = z * z + (1.0 - z * z) * c; // R(2, 2)
    }
    r
}

/// The rotation matrix (column-major) of Euler angles given in the order x, z, y: `Rz Ry Rx`.
#[derive_tangent]
pub fn euler_angles_to_rotation_matrix(xzy: [f64; 3]) -> [f64; 9] {
    let tx = xzy[0];
    let ty = xzy[2];
    let tz = xzy[1];
    let mut rx = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    rx[4] = tx.cos(); // Rx(1, 1)
    rx[5] = tx.sin(); // Rx(2, 1)
    rx[7] = -rx[5]; // Rx(1, 2)
    rx[8] = rx[4]; // Rx(2, 2)
    let mut ry = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    ry[0] = ty.cos(); // Ry(0, 0)
    ry[6] = ty.sin(); // Ry(0, 2)
    ry[2] = -ry[6]; // Ry(2, 0)
    ry[8] = ry[0]; // Ry(2, 2)
    let mut rz = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    rz[0] = tz.cos(); // Rz(0, 0)
    rz[1] = tz.sin(); // Rz(1, 0)
    rz[3] = -rz[1]; // Rz(0, 1)
    rz[4] = rz[0]; // Rz(1, 1)
    let tmp = mat_mult3(rz, ry);
    mat_mult3(tmp, rx)
}

/// The residuals of the hand model posed by `theta` (26) against the data points, into `err`
/// (3 per point): the simple variant when `us` is empty, the complicated one otherwise (`us`
/// holds `(u0, u1)` per point). Written as the reference's two `objective`s.
#[derive_jacobian(forward, lanes = 13, wrt(theta, err))]
#[derive_tangent(wrt(us, err))]
pub fn objective(theta: &[f64], us: &[f64], data: &Data, err: &mut [f64]) {
    let model = &data.model;
    let n_bones = model.n_bones;
    let n_verts = model.n_verts;

    // to_pose_params: 3 x (n_bones + 3), column-major.
    let mut pose_params = vec![0.0; 3 * (n_bones + 3)];
    for i in 0..3 {
        pose_params[i] = theta[i]; // column 0: global rotation
        pose_params[3 + i] = 1.0; // column 1: scale
        pose_params[6 + i] = theta[3 + i]; // column 2: global translation
    }
    let mut i_theta = 6;
    let mut i_pose_params = 5;
    for _finger in 0..5 {
        for i in 2..5 {
            pose_params[3 * i_pose_params] = theta[i_theta];
            i_theta += 1;
            if i == 2 {
                pose_params[3 * i_pose_params + 1] = theta[i_theta];
                i_theta += 1;
            }
            i_pose_params += 1;
        }
        i_pose_params += 1;
    }

    // get_posed_relatives: relatives[i] = base_relatives[i] * [R 0; 0 1].
    let mut relatives = vec![0.0; 16 * n_bones];
    let mut base = [0.0; 16];
    let mut tr = [0.0; 16];
    for i in 0..n_bones {
        let c = 3 * (i + 3);
        let r = euler_angles_to_rotation_matrix([
            pose_params[c],
            pose_params[c + 1],
            pose_params[c + 2],
        ]);
        for k in 0..16 {
            tr[k] = 0.0;
            base[k] = model.base_relatives[16 * i + k];
        }
        tr[15] = 1.0;
        for col in 0..3 {
            for row in 0..3 {
                tr[4 * col + row] = r[3 * col + row];
            }
        }
        let rel = mat_mult4(base, tr);
        for k in 0..16 {
            relatives[16 * i + k] = rel[k];
        }
    }

    // relatives_to_absolutes, along the tree (parents first).
    let mut absolutes = vec![0.0; 16 * n_bones];
    let mut parent = [0.0; 16];
    let mut relative = [0.0; 16];
    for i in 0..n_bones {
        if model.parents[i] == -1 {
            for k in 0..16 {
                absolutes[16 * i + k] = relatives[16 * i + k];
            }
        } else {
            let p = model.parents[i] as usize;
            for k in 0..16 {
                parent[k] = absolutes[16 * p + k];
                relative[k] = relatives[16 * i + k];
            }
            let a = mat_mult4(parent, relative);
            for k in 0..16 {
                absolutes[16 * i + k] = a[k];
            }
        }
    }

    // Bone transforms: absolutes[i] * inverse_base_absolutes[i].
    let mut transforms = vec![0.0; 16 * n_bones];
    let mut inv = [0.0; 16];
    for i in 0..n_bones {
        for k in 0..16 {
            parent[k] = absolutes[16 * i + k];
            inv[k] = model.inverse_base_absolutes[16 * i + k];
        }
        let t = mat_mult4(parent, inv);
        for k in 0..16 {
            transforms[16 * i + k] = t[k];
        }
    }

    // Linear blend skinning: positions (3 x n_verts) += weight * (transform * base position).
    let mut positions = vec![0.0; 3 * n_verts];
    for i_bone in 0..n_bones {
        let t = 16 * i_bone;
        for i_vert in 0..n_verts {
            let b = 4 * i_vert;
            let weight = model.weights[n_bones * i_vert + i_bone];
            for i in 0..3 {
                let mut curr = transforms[t + i] * model.base_positions[b];
                for j in 1..4 {
                    curr += transforms[t + 4 * j + i] * model.base_positions[b + j];
                }
                positions[3 * i_vert + i] += curr * weight;
            }
        }
    }
    if model.is_mirrored {
        for i_vert in 0..n_verts {
            positions[3 * i_vert] *= -1.0;
        }
    }

    // apply_global_transform: positions = R diag(scale) positions + translation.
    let mut rot = angle_axis_to_rotation_matrix([pose_params[0], pose_params[1], pose_params[2]]);
    for i in 0..3 {
        for row in 0..3 {
            rot[3 * i + row] *= pose_params[3 + i];
        }
    }
    for j in 0..n_verts {
        let x0 = positions[3 * j];
        let x1 = positions[3 * j + 1];
        let x2 = positions[3 * j + 2];
        for i in 0..3 {
            positions[3 * j + i] =
                rot[i] * x0 + rot[3 + i] * x1 + rot[6 + i] * x2 + pose_params[6 + i];
        }
    }

    // The residuals.
    let npts = data.correspondences.len();
    if us.is_empty() {
        for i in 0..npts {
            let v = data.correspondences[i];
            for j in 0..3 {
                err[3 * i + j] = data.points[3 * i + j] - positions[3 * v + j];
            }
        }
    } else {
        for i in 0..npts {
            let tri = 3 * data.correspondences[i];
            let v0 = model.triangles[tri];
            let v1 = model.triangles[tri + 1];
            let v2 = model.triangles[tri + 2];
            let u0 = us[2 * i];
            let u1 = us[2 * i + 1];
            for j in 0..3 {
                let hand_point_coord = u0 * positions[3 * v0 + j]
                    + u1 * positions[3 * v1 + j]
                    + (1.0 - u0 - u1) * positions[3 * v2 + j];
                err[3 * i + j] = data.points[3 * i + j] - hand_point_coord;
            }
        }
    }
}

/// The objective's residuals (`3 npts`).
pub fn objective_value(theta: &[f64], us: &[f64], data: &Data) -> Vec<f64> {
    let mut err = vec![0.0; 3 * data.correspondences.len()];
    objective(theta, us, data, &mut err);
    err
}

/// The Jacobian's parts as our passes produce them: the `u` columns (complicated variant) and
/// the `theta` block. [`JacobianParts::get`] reads it in the reference's layout; the output's
/// JSON is built from that after the timed computation, as the reference's `to_json` reorders
/// its column-major buffer into rows.
#[derive(Debug, Clone)]
pub struct JacobianParts {
    /// For the complicated variant, `d err / d u0` and `d err / d u1` (each `3 npts`); empty for
    /// the simple variant.
    pub u_cols: Vec<Vec<f64>>,
    /// `d err / d theta`, `3 npts` x 26.
    pub theta: Jacobian<f64>,
}

impl JacobianParts {
    /// Rows: `3 npts`.
    pub fn nrows(&self) -> usize {
        self.theta.rows()
    }

    /// Columns: the `u` columns, then the 26 `theta` columns.
    pub fn ncols(&self) -> usize {
        self.u_cols.len() + self.theta.cols()
    }

    /// Entry `(r, c)` in the reference's layout.
    pub fn get(&self, r: usize, c: usize) -> f64 {
        let nu = self.u_cols.len();
        if c < nu {
            self.u_cols[c][r]
        } else {
            self.theta[(r, c - nu)]
        }
    }
}

/// The Jacobian, in the reference's layout `3 npts` rows of (for the complicated variant)
/// `d/du0`, `d/du1` of the point's own `u`, then the 26 `d/dtheta`. The `theta` block comes
/// from [`objective_jacfwd`], the `u` columns from two [`objective_tangent`] passes (seeds:
/// every `u0`, then every `u1`).
pub fn jacobian(theta: &[f64], us: &[f64], data: &Data) -> JacobianParts {
    let nrows = 3 * data.correspondences.len();
    let mut err = vec![0.0; nrows];
    let j_theta = objective_jacfwd(theta, us, data, &mut err);
    let mut u_cols = Vec::new();
    if !us.is_empty() {
        let mut dus = vec![0.0; us.len()];
        for k in 0..2 {
            for (i, d) in dus.iter_mut().enumerate() {
                *d = if i % 2 == k { 1.0 } else { 0.0 };
            }
            let mut derr = vec![0.0; nrows];
            objective_tangent(theta, us, &dus, data, &mut err, &mut derr);
            u_cols.push(derr);
        }
    }
    JacobianParts {
        u_cols,
        theta: j_theta,
    }
}

/// The parsed input: `theta`, the flat `us` (empty for the simple variant) and the data.
pub fn problem(input: Input) -> Result<(Vec<f64>, Vec<f64>, Data), String> {
    let data = Data::from_input(&input.data)?;
    if input.theta.len() != 26 {
        return Err(format!(
            "ht: theta must have 26 entries, not {}",
            input.theta.len()
        ));
    }
    let n_verts = data.model.n_verts;
    let n_tri = data.model.triangles.len() / 3;
    if !input.us.is_empty() {
        if input.us.len() != data.correspondences.len() || input.us.iter().any(|u| u.len() != 2) {
            return Err("ht: one (u0, u1) per correspondence is needed".into());
        }
        if data.correspondences.iter().any(|&c| c >= n_tri) {
            return Err("ht: a correspondence names no triangle".into());
        }
    } else if data.correspondences.iter().any(|&c| c >= n_verts) {
        return Err("ht: a correspondence names no vertex".into());
    }
    Ok((input.theta, input.us.concat(), data))
}

/// Runs `objective` or `jacobian` on a GradBench `ht` input.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let (theta, us, data) = problem(parse(input)?)?;
    let (output, nanoseconds) = match function {
        "objective" => {
            let (err, t) = measure(runs, || objective_value(&theta, &us, &data));
            (Value::from(err), t)
        }
        "jacobian" => {
            let (jac, t) = measure(runs, || jacobian(&theta, &us, &data));
            let rows: Vec<Value> = (0..jac.nrows())
                .map(|r| {
                    Value::from(
                        (0..jac.ncols())
                            .map(|c| jac.get(r, c))
                            .collect::<Vec<f64>>(),
                    )
                })
                .collect();
            (Value::Array(rows), t)
        }
        _ => return Err(format!("ht has no function `{function}`")),
    };
    Ok(Timed {
        output,
        nanoseconds,
    })
}
