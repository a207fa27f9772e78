//! `ba`: the 2 x 15 reprojection block (by `#[derive_jacobian(reverse)]`) against central
//! finite differences of the primal and against forward mode (`_tangent`), the weight block
//! against its closed form, and the sparse assembly and JSON shape on a small problem.

// Index loops read like the matrices they check.
#![allow(clippy::needless_range_loop)]

use ad_gradbench::evals::ba::{
    self, Input, Problem, compute_reproj_error, compute_reproj_error_tangent,
    compute_zach_weight_error_grad, reproj_block, reproj_block_jacrev,
};
use approx::assert_relative_eq;

const CAMS: [[f64; 11]; 2] = [
    [
        0.1, -0.2, 0.3, 0.5, -0.1, -4.0, 1.2, 0.05, -0.02, 0.01, -0.002,
    ],
    // The zero rotation takes the reference's small-angle branch.
    [0.0, 0.0, 0.0, 0.2, 0.1, -3.5, 0.9, 0.0, 0.01, 0.03, 0.001],
];
const FEAT: [f64; 2] = [-0.3, 0.4];

fn params(cam: &[f64; 11]) -> [f64; 15] {
    let mut q = [0.0; 15];
    q[..11].copy_from_slice(cam);
    q[11..].copy_from_slice(&[0.3, -0.7, 1.9, 0.8]);
    q
}

#[test]
fn block_matches_finite_differences_and_forward_mode() {
    for cam in &CAMS {
        let q = params(cam);
        let (value, j) = reproj_block_jacrev(q, FEAT);
        assert_eq!(value, reproj_block(q, FEAT));
        for k in 0..15 {
            let h = 1e-6 * q[k].abs().max(1.0);
            let (mut qp, mut qm) = (q, q);
            qp[k] += h;
            qm[k] -= h;
            let (fp, fm) = (reproj_block(qp, FEAT), reproj_block(qm, FEAT));
            // Forward mode along the unit vector e_k: column k of the block.
            let mut d = [0.0; 15];
            d[k] = 1.0;
            let mut dc = [0.0; 11];
            dc.copy_from_slice(&d[..11]);
            let (tv, t) = compute_reproj_error_tangent(
                std::array::from_fn(|i| q[i]),
                dc,
                [q[11], q[12], q[13]],
                [d[11], d[12], d[13]],
                q[14],
                d[14],
                FEAT,
            );
            assert_eq!(tv, value);
            for r in 0..2 {
                let fd = (fp[r] - fm[r]) / (2.0 * h);
                assert_relative_eq!(j[r][k], fd, epsilon = 1e-6, max_relative = 1e-5);
                assert_relative_eq!(j[r][k], t[r], epsilon = 1e-12, max_relative = 1e-12);
            }
        }
    }
    // The value itself is the residual of the observation.
    let q = params(&CAMS[0]);
    let direct = compute_reproj_error(CAMS[0], [q[11], q[12], q[13]], q[14], FEAT);
    assert_eq!(direct, reproj_block(q, FEAT));
}

#[test]
fn weight_block_is_minus_two_w() {
    for w in [0.8, -1.3, 0.0] {
        let (v, d) = compute_zach_weight_error_grad(w);
        assert_eq!(v, 1.0 - w * w);
        assert_relative_eq!(d, -2.0 * w);
    }
}

#[test]
fn sparse_assembly_and_json() {
    let input = Input {
        n: 3,
        m: 4,
        p: 12,
        cam: CAMS[0].to_vec(),
        x: vec![0.3, -0.7, 1.9],
        w: 0.8,
        feat: FEAT.to_vec(),
    };
    let pr = Problem::from_input(&input).unwrap();
    let obj = ba::objective(&pr);
    assert_eq!(obj.reproj_err.len(), 24);
    let jac = ba::jacobian(&pr);
    assert_eq!(jac.rows.len(), 3 * 12 + 1);
    assert_eq!(*jac.rows.last().unwrap(), 31 * 12);
    assert_eq!(jac.cols.len(), 31 * 12);
    // Observation 5 sees camera 5 % 3 = 2 and point 5 % 4 = 1; its second row starts at 5*30+15.
    let (_, block) = reproj_block_jacrev(params(&CAMS[0]), FEAT);
    let s = 5 * 30 + 15;
    assert_eq!(jac.cols[s], 11 * 2);
    assert_eq!(jac.cols[s + 11], 33 + 3);
    assert_eq!(jac.cols[s + 14], 33 + 12 + 5);
    assert_eq!(jac.vals[s + 3], block[1][3]);
    assert_eq!(*jac.cols.last().unwrap(), 33 + 12 + 11);
    assert_relative_eq!(*jac.vals.last().unwrap(), -1.6);
    let v = ba::jacobian_json(&jac);
    assert_eq!(v["rows"].as_array().unwrap().len(), 31);
    assert_eq!(v["rows"][2], 30);
    assert_eq!(v["vals"][0], block[0][0]);
    let o = ba::objective_json(&obj);
    assert_eq!(o["reproj_error"]["repeated"], 12);
    assert_eq!(o["w_err"]["element"], 1.0 - 0.8 * 0.8);
}

#[test]
fn jacrev_block_equals_the_two_vjp_passes_of_the_eval() {
    let input = Input {
        n: 1,
        m: 1,
        p: 10,
        cam: CAMS[0].to_vec(),
        x: vec![0.3, -0.7, 1.9],
        w: 0.8,
        feat: FEAT.to_vec(),
    };
    let jac = ba::jacobian(&Problem::from_input(&input).unwrap());
    let (_, block) = reproj_block_jacrev(params(&CAMS[0]), FEAT);
    for r in 0..2 {
        for k in 0..15 {
            assert_relative_eq!(jac.vals[15 * r + k], block[r][k], max_relative = 1e-12);
        }
    }
}
