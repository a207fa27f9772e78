//! Pose estimation with nalgebra: find the rotation and translation that carry a model's points
//! onto their observations, by Gauss–Newton on the residuals, with the Jacobian from forward
//! mode.
//!
//! The residual of one point is written as robotics code writes it, over nalgebra's
//! `Vector3<f64>`: the model point rotated by an axis-angle vector (Rodrigues' formula), shifted,
//! minus the observation. `#[derive_tangent(wrt(w, t))]` gives its directional derivative; six
//! directions give the 3x6 block of each point, and the blocks stack into the Jacobian that
//! Gauss–Newton needs. The Jacobian is checked against finite differences and against reverse
//! mode (the dot-product test) before the solve.
//!
//! Run with `cargo run --example pose_estimation`.

use ad_runtime::{derive_grad, derive_tangent};
use nalgebra::{DMatrix, DVector, Rotation3, Vector3};

/// The residual of one point: `p` rotated by the axis-angle vector `w`, shifted by `t`, minus
/// its observation `q`.
#[derive_tangent(wrt(w, t))]
#[derive_grad(wrt(w, t))]
fn residual(w: Vector3<f64>, t: Vector3<f64>, p: &Vector3<f64>, q: &Vector3<f64>) -> Vector3<f64> {
    let theta = w.norm();
    let k = w / theta;
    let rotated = p * theta.cos() + k.cross(p) * theta.sin() + k * (k.dot(p) * (1.0 - theta.cos()));
    rotated + t - q
}

/// The unit vector `e_i` of the six pose coordinates `(w, t)`, split.
fn direction(i: usize) -> (Vector3<f64>, Vector3<f64>) {
    let mut d = [0.0; 6];
    d[i] = 1.0;
    (
        Vector3::new(d[0], d[1], d[2]),
        Vector3::new(d[3], d[4], d[5]),
    )
}

/// The stacked residuals and their Jacobian (3n x 6) at the pose `(w, t)`.
fn residuals_and_jacobian(
    w: Vector3<f64>,
    t: Vector3<f64>,
    model: &[Vector3<f64>],
    seen: &[Vector3<f64>],
) -> (DVector<f64>, DMatrix<f64>) {
    let n = model.len();
    let mut r = DVector::zeros(3 * n);
    let mut j = DMatrix::zeros(3 * n, 6);
    for (k, (p, q)) in model.iter().zip(seen).enumerate() {
        for col in 0..6 {
            let (dw, dt) = direction(col);
            let (value, column) = residual_tangent(w, dw, t, dt, p, q);
            r.fixed_rows_mut::<3>(3 * k).copy_from(&value);
            j.fixed_view_mut::<3, 1>(3 * k, col).copy_from(&column);
        }
    }
    (r, j)
}

fn main() {
    // A model of 12 points, and its observation under a known pose with a little noise.
    let model: Vec<Vector3<f64>> = (0..12)
        .map(|i| {
            let a = i as f64 * 0.7;
            Vector3::new(a.cos() * 2.0, (1.3 * a).sin(), 0.25 * i as f64 - 1.5)
        })
        .collect();
    let (w_true, t_true) = (Vector3::new(0.4, -0.3, 0.6), Vector3::new(0.5, -1.0, 2.0));
    let rotation = Rotation3::new(w_true);
    let seen: Vec<Vector3<f64>> = model
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let noise = Vector3::new(
                (i as f64 * 12.9898).sin(),
                (i as f64 * 78.233).sin(),
                (i as f64 * 37.719).sin(),
            ) * 1e-3;
            rotation * p + t_true + noise
        })
        .collect();

    let (mut w, mut t) = (Vector3::new(0.01, 0.0, 0.0), Vector3::zeros());

    // The Jacobian at the start, checked two ways before it is trusted.
    let (_, jac) = residuals_and_jacobian(w, t, &model, &seen);
    let h = 1e-6;
    let mut worst_fd: f64 = 0.0;
    for col in 0..6 {
        let (dw, dt) = direction(col);
        for (k, (p, q)) in model.iter().zip(&seen).enumerate() {
            let fd = (residual(w + dw * h, t + dt * h, p, q)
                - residual(w - dw * h, t - dt * h, p, q))
                / (2.0 * h);
            for row in 0..3 {
                worst_fd = worst_fd.max((fd[row] - jac[(3 * k + row, col)]).abs());
            }
        }
    }
    // Dot-product test: reverse mode gives Jᵀ u for one point; forward mode gave J.
    let u = Vector3::new(0.3, -0.8, 0.5);
    let (_, (gw, gt)) = residual_vjp(w, t, &model[0], &seen[0], u);
    let jt_u = jac.view((0, 0), (3, 6)).transpose() * u;
    let worst_dot = (0..3)
        .map(|i| (jt_u[i] - gw[i]).abs().max((jt_u[i + 3] - gt[i]).abs()))
        .fold(0.0, f64::max);
    println!("Jacobian (36 x 6) from forward mode at the start:");
    println!("  worst difference to central finite differences: {worst_fd:.1e}");
    println!("  worst difference of its transpose to reverse mode: {worst_dot:.1e}");
    assert!(worst_fd < 1e-7 && worst_dot < 1e-12);

    println!("\nGauss–Newton: iteration, cost 0.5 |r|^2, step length");
    for it in 0..20 {
        let (r, j) = residuals_and_jacobian(w, t, &model, &seen);
        let cost = 0.5 * r.norm_squared();
        let normal = j.transpose() * &j;
        let step = normal
            .cholesky()
            .expect("JᵀJ is positive definite for 12 points in general position")
            .solve(&(-(j.transpose() * &r)));
        w += Vector3::new(step[0], step[1], step[2]);
        t += Vector3::new(step[3], step[4], step[5]);
        println!("  {it:>2}  {cost:.6e}  {:.2e}", step.norm());
        if step.norm() < 1e-12 {
            break;
        }
    }
    let angle_error = (Rotation3::new(w) * Rotation3::new(w_true).inverse()).angle();
    let show = |v: Vector3<f64>| format!("({:.5}, {:.5}, {:.5})", v.x, v.y, v.z);
    println!(
        "\nrecovered rotation {} (true {}), angle error {angle_error:.1e} rad",
        show(w),
        show(w_true)
    );
    println!(
        "recovered translation {} (true {}), error {:.1e}",
        show(t),
        show(t_true),
        (t - t_true).norm()
    );
    assert!(angle_error < 1e-2 && (t - t_true).norm() < 1e-2);
}
