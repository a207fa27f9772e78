//! ADBench's bundle-adjustment reprojection error (issue 16, "Must show"), written as its C++
//! reference writes it: helpers on `[f64; 3]` (`sqsum`, `dot`, `cross`), the Rodrigues rotation
//! with its small-angle branch holding `[f64; 3]` locals, radial distortion, and the residual of
//! one observation. Reverse mode (`_vjp` with each unit cotangent, so the whole 2 x 15
//! Jacobian) and forward mode (`_tangent` per input) are checked against central finite
//! differences and against each other.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::{At, MODES, Tol, central_difference};

#[derive_tangent]
#[derive_grad]
fn sqsum(x: [f64; 3]) -> f64 {
    x[0] * x[0] + x[1] * x[1] + x[2] * x[2]
}

#[derive_tangent]
#[derive_grad]
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[derive_tangent]
#[derive_grad]
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[derive_tangent]
#[derive_grad]
fn rodrigues_rotate_point(rot: [f64; 3], pt: [f64; 3]) -> [f64; 3] {
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

#[derive_tangent]
#[derive_grad]
fn radial_distort(rad_params: [f64; 2], proj: [f64; 2]) -> [f64; 2] {
    let rsq = proj[0] * proj[0] + proj[1] * proj[1];
    let l = 1.0 + rad_params[0] * rsq + rad_params[1] * rsq * rsq;
    [proj[0] * l, proj[1] * l]
}

/// The camera is `[rotation (3), center (3), focal, principal point (2), distortion (2)]`.
#[derive_tangent]
#[derive_grad]
fn project(cam: [f64; 11], x: [f64; 3]) -> [f64; 2] {
    let xcam = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
    let xo = rodrigues_rotate_point([cam[0], cam[1], cam[2]], xcam);
    let proj = [xo[0] / xo[2], xo[1] / xo[2]];
    let distorted = radial_distort([cam[9], cam[10]], proj);
    [
        distorted[0] * cam[6] + cam[7],
        distorted[1] * cam[6] + cam[8],
    ]
}

#[derive_tangent]
#[derive_grad]
fn compute_reproj_error(cam: [f64; 11], x: [f64; 3], w: f64, feat: [f64; 2]) -> [f64; 2] {
    let proj = project(cam, x);
    [w * (proj[0] - feat[0]), w * (proj[1] - feat[1])]
}

fn split(p: &[f64]) -> ([f64; 11], [f64; 3], f64) {
    (
        std::array::from_fn(|i| p[i]),
        std::array::from_fn(|i| p[11 + i]),
        p[14],
    )
}

#[test]
fn reprojection_error_three_ways() {
    let feat = [-0.3, 0.4];
    let cameras = [
        // A general rotation, and the exactly zero rotation of the small-angle branch.
        [
            0.1, -0.2, 0.3, 0.5, -0.1, -4.0, 1.2, 0.05, -0.02, 0.01, -0.002,
        ],
        [0.0, 0.0, 0.0, 0.2, 0.1, -3.5, 0.9, 0.0, 0.01, 0.03, 0.001],
    ];
    for cam in cameras {
        let mut p: Vec<f64> = cam.to_vec();
        p.extend([0.3, -0.7, 1.9, 0.8]);
        let (c, x, w) = split(&p);
        let value = compute_reproj_error(c, x, w, feat);
        let at = At("compute_reproj_error", &p);
        for out in 0..2 {
            let mut seed = [0.0; 2];
            seed[out] = 1.0;
            let (v, (gc, gx, gw, _)) = compute_reproj_error_vjp(c, x, w, feat, seed);
            assert_eq!(v, value);
            let mut reverse: Vec<f64> = gc.to_vec();
            reverse.extend(gx);
            reverse.push(gw);
            for (i, r) in reverse.iter().enumerate() {
                let fd = central_difference(
                    |q| {
                        let (c, x, w) = split(q);
                        compute_reproj_error(c, x, w, feat)[out]
                    },
                    &p,
                    i,
                );
                // A zero rotation is where the small-angle branch is taken; finite differences
                // there step into the other branch, whose derivative agrees to first order.
                let tol = Tol {
                    rel: 1e-5,
                    abs: 1e-6 * value[out].abs().max(1.0),
                };
                at.close("_vjp vs finite differences", i, *r, fd, tol);
                let mut d = vec![0.0; 15];
                d[i] = 1.0;
                let (dc, dx, dw) = split(&d);
                let (tv, t) = compute_reproj_error_tangent(c, dc, x, dx, w, dw, feat, [0.0; 2]);
                assert_eq!(tv, value);
                at.close("_tangent vs _vjp", i, t[out], *r, MODES);
            }
        }
    }
}
