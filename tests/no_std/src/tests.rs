//! The derivatives of the `no_std` functions, each checked three ways: against a formula derived
//! by hand, against central finite differences, and forward mode against reverse mode (the
//! dot-product test `<J v, u> == <v, J^T u>`). The test harness needs std; the library code above
//! is compiled `#![no_std]` all the same.

extern crate std;

use std::vec;
use std::vec::Vec;

use ad_runtime::Float;

use super::stored::*;
use super::*;

/// `|got - want| <= tol * max(1, |want|)`, with the values in the message.
#[track_caller]
fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

#[track_caller]
fn all_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(&std::format!("{what}[{i}]"), *g, *w, tol);
    }
}

/// The central difference of `f` at `x` along coordinate `i`.
fn fd(f: &impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * x[i].abs().max(1.0);
    let (mut up, mut down) = (x.to_vec(), x.to_vec());
    up[i] += h;
    down[i] -= h;
    (f(&up) - f(&down)) / (up[i] - down[i])
}

fn fd_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len()).map(|i| fd(&f, x, i)).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Finite-difference tolerance (relative, at least absolute).
const FD: f64 = 1e-6;
/// Forward against reverse, and against formulas: equal but for rounding.
const EXACT: f64 = 1e-12;

#[test]
fn straight_line() {
    let (x, y) = (2.0, 3.0);
    let hand = [y + x.cos(), x];
    let (v, tx) = straight_tangent(x, 1.0, y, 0.0);
    let (_, ty) = straight_tangent(x, 0.0, y, 1.0);
    let (v2, (gx, gy)) = straight_grad(x, y);
    assert_eq!(v, v2);
    close("value", v, x * y + x.sin(), EXACT);
    all_close("tangent", &[tx, ty], &hand, EXACT);
    all_close("gradient", &[gx, gy], &hand, EXACT);
    all_close(
        "fd",
        &[gx, gy],
        &fd_gradient(|p| straight(p[0], p[1]), &[x, y]),
        FD,
    );
    // Seed 0.5: half the gradient.
    let (_, (vx, vy)) = straight_vjp(x, y, 0.5);
    all_close("vjp", &[vx, vy], &[0.5 * gx, 0.5 * gy], EXACT);
}

#[test]
fn recurrence_stores_values() {
    let (x0, p, n) = (0.3, 1.7, 50);
    // The sensitivities by hand: x' = x + h sin(x) p, so dx'/dx = 1 + h p cos x and
    // dx'/dp = (1 + h p cos x) dx/dp + h sin x.
    let (mut x, mut dx0, mut dp) = (x0, 1.0, 0.0);
    for _ in 0..n {
        let grow = 1.0 + 0.1 * p * x.cos();
        dp = grow * dp + 0.1 * x.sin();
        dx0 *= grow;
        x = x + 0.1 * x.sin() * p;
    }
    let (v, (g0, gp)) = recurrence_grad(x0, p, n);
    close("value", v, x, EXACT);
    all_close("gradient", &[g0, gp], &[dx0, dp], 1e-10);
    let (_, t0) = recurrence_tangent(x0, 1.0, p, 0.0, n);
    let (_, tp) = recurrence_tangent(x0, 0.0, p, 1.0, n);
    all_close("tangent", &[t0, tp], &[g0, gp], 1e-10);
    all_close(
        "fd",
        &[g0, gp],
        &fd_gradient(|q| recurrence(q[0], q[1], n), &[x0, p]),
        FD,
    );
}

#[test]
fn checkpointing_gives_the_same_gradient() {
    let (x0, p, n) = (0.2, 0.9, 400);
    let (mut x, mut dx0, mut dp) = (x0, 1.0, 0.0);
    for _ in 0..n {
        // x' = x + h cos(x p): dx'/dx = 1 - h p sin(x p), dx'/dp = .. - h x sin(x p).
        let s = (x * p).sin();
        dp = (1.0 - 0.01 * p * s) * dp - 0.01 * x * s;
        dx0 *= 1.0 - 0.01 * p * s;
        x = x + 0.01 * (x * p).cos();
    }
    let (v, (g0, gp)) = checkpointed_grad(x0, p, n);
    close("value", v, x, EXACT);
    all_close("gradient", &[g0, gp], &[dx0, dp], 1e-10);
    all_close(
        "fd",
        &[g0, gp],
        &fd_gradient(|q| checkpointed(q[0], q[1], n), &[x0, p]),
        FD,
    );
}

#[test]
fn slices_with_mut_shadows() {
    let w = [0.5, -1.2, 0.8, 2.0];
    let y_in = [0.1, 0.4, -0.3, 0.2];
    let n = w.len();
    // J = [dy/dw, dy/dy_in]: y_i = w_i exp(y_in_i) + w_{i-1}.
    let jacobian = |i: usize, j: usize| -> f64 {
        let mut d = 0.0;
        if j == i {
            d += y_in[i].exp();
        }
        if i > 0 && j == i - 1 {
            d += 1.0;
        }
        if j == n + i {
            d += w[i] * y_in[i].exp();
        }
        d
    };
    let v: Vec<f64> = (0..2 * n).map(|k| 0.3 + 0.17 * k as f64).collect();
    let u = [1.0, -0.5, 0.25, 2.0];

    // Forward: J v.
    let mut y = y_in;
    let mut dy = [v[4], v[5], v[6], v[7]];
    slices_tangent(&w, &v[..n], &mut y, &mut dy);
    let hand_jv: Vec<f64> = (0..n)
        .map(|i| (0..2 * n).map(|j| jacobian(i, j) * v[j]).sum())
        .collect();
    all_close("J v", &dy, &hand_jv, EXACT);
    let mut primal = y_in;
    slices(&w, &mut primal);
    assert_eq!(y, primal, "the tangent pass leaves the value in y");

    // Reverse: J^T u, with y's shadow holding u on entry and the adjoint of y_in on exit.
    let mut y = y_in;
    let mut w_bar = [0.0; 4];
    let mut y_bar = u;
    slices_vjp(&w, &mut w_bar, &mut y, &mut y_bar);
    let jt_u: Vec<f64> = w_bar.iter().chain(&y_bar).copied().collect();
    let hand_jtu: Vec<f64> = (0..2 * n)
        .map(|j| (0..n).map(|i| jacobian(i, j) * u[i]).sum())
        .collect();
    all_close("J^T u", &jt_u, &hand_jtu, EXACT);

    // The dot-product test, and finite differences of <u, y(w, y_in)>.
    close("<J v, u> = <v, J^T u>", dot(&dy, &u), dot(&v, &jt_u), EXACT);
    let uy = |q: &[f64]| {
        let mut y = [q[4], q[5], q[6], q[7]];
        slices(&q[..4], &mut y);
        dot(&y, &u)
    };
    let point: Vec<f64> = w.iter().chain(&y_in).copied().collect();
    all_close("fd", &jt_u, &fd_gradient(uy, &point), FD);
}

#[test]
fn weighted_sum_over_slices() {
    let w = [0.5, 1.5, -2.0];
    let x = [0.7, -0.4, 1.3];
    // s = sum w_i ln(1 + |x_i|).
    let hand_w: Vec<f64> = x.iter().map(|t: &f64| t.abs().ln_1p()).collect();
    let hand_x: Vec<f64> = w
        .iter()
        .zip(&x)
        .map(|(wi, xi): (&f64, &f64)| wi * xi.signum() / (1.0 + xi.abs()))
        .collect();
    let (mut gw, mut gx) = ([0.0; 3], [0.0; 3]);
    let v = weighted_grad(&w, &mut gw, &x, &mut gx);
    close("value", v, dot(&w, &hand_w), EXACT);
    all_close("d/dw", &gw, &hand_w, EXACT);
    all_close("d/dx", &gx, &hand_x, EXACT);

    let (dw, dx) = ([0.2, -0.1, 0.4], [1.0, 0.5, -0.3]);
    let (_, jv) = weighted_tangent(&w, &dw, &x, &dx);
    close("dot product", jv, dot(&gw, &dw) + dot(&gx, &dx), EXACT);
    let point = [w, x].concat();
    all_close(
        "fd",
        &[gw, gx].concat(),
        &fd_gradient(|q| weighted(&q[..3], &q[3..]), &point),
        FD,
    );
}

#[test]
fn generic_float() {
    // softplus' = the logistic function.
    for x in [-2.0_f64, 0.0, 0.7] {
        let hand = 1.0 / (1.0 + (-x).exp());
        let (v, g) = softplus_grad(x);
        let (_, t) = softplus_tangent(x, 1.0);
        close("value", v, (1.0 + x.exp()).ln(), EXACT);
        close("grad", g, hand, EXACT);
        close("tangent", t, g, EXACT);
        close("fd", g, fd(&|q: &[f64]| softplus(q[0]), &[x], 0), FD);
        let (_, g32) = softplus_grad(x as f32);
        close("f32", f64::from(g32), hand, 1e-6);
    }
}

#[test]
fn jacobian_of_arrays() {
    let p = [1.5, 0.6];
    let (r, t) = (p[0], p[1]);
    let hand = [[t.cos(), -r * t.sin()], [t.sin(), r * t.cos()]];
    let (v, fwd) = polar_jacfwd(p);
    let (_, rev) = polar_jacrev(p);
    let (_, picked) = polar_jacobian(p);
    assert_eq!(v, polar(p));
    for i in 0..2 {
        all_close("forward", &fwd[i], &hand[i], EXACT);
        all_close("reverse", &rev[i], &hand[i], EXACT);
        all_close("picked", &picked[i], &hand[i], EXACT);
        let fd_row = fd_gradient(|q| polar([q[0], q[1]])[i], &p);
        all_close("fd", &rev[i], &fd_row, FD);
    }
}

#[test]
fn jacobian_of_slices() {
    let x = [0.4, -1.1, 0.8, 1.6, -0.2];
    let n = x.len();
    let mut y = [0.0; 5];
    let fwd = cumulative_jacfwd(&x, &mut y);
    let mut y2 = [0.0; 5];
    let rev = cumulative_jacrev(&x, &mut y2);
    assert_eq!(y, y2);
    // y_i = sqrt(sum_{j <= i} x_j^2): dy_i/dx_j = x_j / y_i for j <= i.
    for i in 0..n {
        let hand: Vec<f64> = (0..n)
            .map(|j| if j <= i { x[j] / y[i] } else { 0.0 })
            .collect();
        all_close("forward", fwd.row(i), &hand, EXACT);
        all_close("reverse", rev.row(i), &hand, EXACT);
        let fd_row = fd_gradient(
            |q| {
                let mut out = [0.0; 5];
                cumulative(q, &mut out);
                out[i]
            },
            &x,
        );
        all_close("fd", rev.row(i), &fd_row, FD);
    }
}

#[test]
fn hessian_and_hvp() {
    let x = [-1.2, 1.0];
    let (a, b) = (x[0], x[1]);
    // Rosenbrock in two variables, by hand.
    let hand_g = [
        -400.0 * a * (b - a * a) - 2.0 * (1.0 - a),
        200.0 * (b - a * a),
    ];
    let hand_h = [
        [1200.0 * a * a - 400.0 * b + 2.0, -400.0 * a],
        [-400.0 * a, 200.0],
    ];
    let (v, g, h) = rosen_hessian(&x);
    close("value", v, rosen(&x), EXACT);
    all_close("gradient", &g, &hand_g, EXACT);
    for (i, hand_row) in hand_h.iter().enumerate() {
        all_close("hessian", h.row(i), hand_row, EXACT);
    }
    let dir = [0.3, -0.7];
    let (_, g2, hv) = rosen_hvp(&x, &dir);
    assert_eq!(g, g2);
    let hand_hv: Vec<f64> = hand_h.iter().map(|row| dot(row, &dir)).collect();
    all_close("H v", &hv, &hand_hv, EXACT);

    // Four variables: against finite differences of the reverse-mode gradient.
    let x = [0.3, -0.5, 1.1, 0.9];
    let (_, _, h) = rosen_hessian(&x);
    for j in 0..4 {
        let column: Vec<f64> = (0..4)
            .map(|i| {
                fd(
                    &|q: &[f64]| {
                        let (_, g, _) = rosen_hvp(q, &[0.0; 4]);
                        g[i]
                    },
                    &x,
                    j,
                )
            })
            .collect();
        let row: Vec<f64> = (0..4).map(|i| h.row(i)[j]).collect();
        all_close("fd of the gradient", &row, &column, 1e-5);
    }
}

#[test]
fn local_vec() {
    let x = [0.3, -0.8, 1.2, 0.5];
    // s = sum_{i>=1} (v_i - v_{i-1})^2, v_i = x_i sin x_i, dv_i/dx_i = sin x_i + x_i cos x_i.
    let v: Vec<f64> = x.iter().map(|t| t * t.sin()).collect();
    let dv: Vec<f64> = x.iter().map(|t| t.sin() + t * t.cos()).collect();
    let mut hand = vec![0.0; 4];
    for i in 1..4 {
        let r = 2.0 * (v[i] - v[i - 1]);
        hand[i] += r * dv[i];
        hand[i - 1] -= r * dv[i - 1];
    }
    let mut g = [0.0; 4];
    roughness_grad(&x, &mut g);
    all_close("gradient", &g, &hand, EXACT);
    all_close("fd", &g, &fd_gradient(roughness, &x), FD);
    let dir = [1.0, -2.0, 0.5, 0.25];
    let (_, t) = roughness_tangent(&x, &dir);
    close("dot product", t, dot(&g, &dir), EXACT);
}

#[test]
fn filled_vec() {
    let x = [0.4, -0.6, 1.1];
    let n = x.len() as f64;
    // s = sum_i a (a + x_i) with a = 2 x_0: ds/dx_0 = 2 (2 n a + sum x_i) + a, ds/dx_i = a.
    let a = 2.0 * x[0];
    let sum: f64 = x.iter().sum();
    let hand = [2.0 * (2.0 * n * a + sum) + a, a, a];
    let mut g = [0.0; 3];
    let v = filled_grad(&x, &mut g);
    close("value", v, n * a * a + a * sum, EXACT);
    all_close("gradient", &g, &hand, EXACT);
    all_close("fd", &g, &fd_gradient(filled, &x), FD);
    let dir = [0.5, 1.0, -1.5];
    let (_, t) = filled_tangent(&x, &dir);
    close("dot product", t, dot(&g, &dir), EXACT);
}

#[test]
fn collected_vec() {
    let x = [0.4, -0.6, 1.1, 2.0];
    // d/dx_i sqrt(1 + x_i^2) = x_i / sqrt(1 + x_i^2).
    let hand: Vec<f64> = x.iter().map(|t| t / (1.0 + t * t).sqrt()).collect();
    let mut g = [0.0; 4];
    collected_grad(&x, &mut g);
    all_close("gradient", &g, &hand, EXACT);
    all_close("fd", &g, &fd_gradient(collected, &x), FD);
    let dir = [0.5, 1.0, -1.5, 0.1];
    let (_, t) = collected_tangent(&x, &dir);
    close("dot product", t, dot(&g, &dir), EXACT);
}

#[test]
fn determinant_with_integer_state() {
    let a = [2.0, -1.0, 0.5, 1.5, 3.0, -2.0, 0.25, 1.0, 4.0];
    // d det / d a_ij = the cofactor C_ij.
    let m = |i: usize, j: usize| a[3 * (i % 3) + j % 3];
    let cofactor =
        |i: usize, j: usize| m(i + 1, j + 1) * m(i + 2, j + 2) - m(i + 1, j + 2) * m(i + 2, j + 1);
    let hand: Vec<f64> = (0..9).map(|k| cofactor(k / 3, k % 3)).collect();
    let value: f64 = (0..3).map(|j| a[j] * cofactor(0, j)).sum();
    let mut g = [0.0; 9];
    let v = det_grad(&a, &mut g, 3);
    close("value", v, value, EXACT);
    all_close("gradient", &g, &hand, EXACT);
    all_close("fd", &g, &fd_gradient(|q| det(q, 3), &a), FD);
    let dir: Vec<f64> = (0..9).map(|k| 0.1 * k as f64 - 0.3).collect();
    let (_, t) = det_tangent(&a, &dir, 3);
    close("dot product", t, dot(&g, &dir), EXACT);
}

#[test]
fn struct_with_a_vec_field() {
    let p = Params {
        w: vec![0.5, -0.25],
        b: 0.1,
    };
    let (xs, ys) = ([0.5, 1.0, 2.0], [1.0, 0.0, -1.0]);
    // r_i = w0 x_i + w1 x_i^2 + b - y_i; dL/dw0 = sum 2 r_i x_i, dw1: 2 r_i x_i^2, db: 2 r_i.
    let mut hand = [0.0; 3];
    for i in 0..3 {
        let r = p.w[0] * xs[i] + p.w[1] * xs[i] * xs[i] + p.b - ys[i];
        hand[0] += 2.0 * r * xs[i];
        hand[1] += 2.0 * r * xs[i] * xs[i];
        hand[2] += 2.0 * r;
    }
    let mut dp = Params {
        w: vec![0.0, 0.0],
        b: 0.0,
    };
    loss_grad(&p, &mut dp, &xs, &ys);
    let g = [dp.w[0], dp.w[1], dp.b];
    all_close("gradient", &g, &hand, EXACT);
    let of = |q: &[f64]| {
        let p = Params {
            w: q[..2].to_vec(),
            b: q[2],
        };
        loss(&p, &xs, &ys)
    };
    all_close("fd", &g, &fd_gradient(of, &[0.5, -0.25, 0.1]), FD);
    let d = Params {
        w: vec![1.0, 0.5],
        b: -2.0,
    };
    let (_, t) = loss_tangent(&p, &d, &xs, &ys);
    close("dot product", t, dot(&g, &[1.0, 0.5, -2.0]), EXACT);
}

#[test]
fn slices_of_structs() {
    let pos = [
        P2 { x: 0.0, y: 0.0 },
        P2 { x: 1.0, y: 0.5 },
        P2 { x: 2.5, y: -0.5 },
    ];
    let vel = [
        P2 { x: 0.2, y: 0.1 },
        P2 { x: -0.3, y: 0.4 },
        P2 { x: 0.1, y: -0.2 },
    ];
    let dt = 0.5;
    let flat = |ps: &[P2]| -> Vec<f64> { ps.iter().flat_map(|p| [p.x, p.y]).collect() };
    let unflat = |q: &[f64]| -> Vec<P2> { q.chunks(2).map(|c| P2 { x: c[0], y: c[1] }).collect() };
    let (mut dpos, mut dvel) = ([P2 { x: 0.0, y: 0.0 }; 3], [P2 { x: 0.0, y: 0.0 }; 3]);
    let (v, gdt) = shifted_length_grad(&pos, &mut dpos, &vel, &mut dvel, dt);
    let g: Vec<f64> = [flat(&dpos), flat(&dvel), vec![gdt]].concat();

    // By hand: the length's gradient with respect to each shifted point q_i is the sum of the
    // unit vectors of its segments, pointing into it; dq_i/dpos_i = 1, dq_i/dvel_i = dt,
    // dq_i/dt = vel_i.
    let q: Vec<P2> = pos
        .iter()
        .zip(&vel)
        .map(|(p, v)| P2 {
            x: p.x + v.x * dt,
            y: p.y + v.y * dt,
        })
        .collect();
    let mut gq = [[0.0; 2]; 3];
    let mut length = 0.0;
    for i in 1..3 {
        let (dx, dy) = (q[i].x - q[i - 1].x, q[i].y - q[i - 1].y);
        let l = (dx * dx + dy * dy).sqrt();
        length += l;
        gq[i][0] += dx / l;
        gq[i][1] += dy / l;
        gq[i - 1][0] -= dx / l;
        gq[i - 1][1] -= dy / l;
    }
    let mut hand: Vec<f64> = gq.iter().flatten().copied().collect();
    hand.extend(gq.iter().flatten().map(|d| d * dt));
    hand.push(
        (0..3)
            .map(|i| gq[i][0] * vel[i].x + gq[i][1] * vel[i].y)
            .sum(),
    );
    close("value", v, length, EXACT);
    all_close("gradient", &g, &hand, EXACT);

    let of = |z: &[f64]| shifted_length(&unflat(&z[..6]), &unflat(&z[6..12]), z[12]);
    let point: Vec<f64> = [flat(&pos), flat(&vel), vec![dt]].concat();
    all_close("fd", &g, &fd_gradient(of, &point), FD);

    let dir: Vec<f64> = (0..13).map(|k| 0.05 * k as f64 - 0.2).collect();
    let (_, t) = shifted_length_tangent(
        &pos,
        &unflat(&dir[..6]),
        &vel,
        &unflat(&dir[6..12]),
        dt,
        dir[12],
    );
    close("dot product", t, dot(&g, &dir), EXACT);
}

#[test]
fn vec_of_structs_by_push() {
    let pos = [P2 { x: 0.5, y: -1.0 }, P2 { x: -0.25, y: 0.75 }];
    // d/dx (2x)^2 = 8x, d/dy y^4 = 4y^3.
    let hand: Vec<f64> = pos
        .iter()
        .flat_map(|p| [8.0 * p.x, 4.0 * p.y * p.y * p.y])
        .collect();
    let mut d = [P2 { x: 0.0, y: 0.0 }; 2];
    let v = pushed_grad(&pos, &mut d);
    let g: Vec<f64> = d.iter().flat_map(|p| [p.x, p.y]).collect();
    close(
        "value",
        v,
        4.0 * 0.25 + 1.0 + 4.0 * 0.0625 + 0.75_f64.powi(4),
        EXACT,
    );
    all_close("gradient", &g, &hand, EXACT);
    let of = |q: &[f64]| pushed(&[P2 { x: q[0], y: q[1] }, P2 { x: q[2], y: q[3] }]);
    all_close("fd", &g, &fd_gradient(of, &[0.5, -1.0, -0.25, 0.75]), FD);
    let dir = [P2 { x: 1.0, y: 0.5 }, P2 { x: -2.0, y: 0.25 }];
    let (_, t) = pushed_tangent(&pos, &dir);
    close("dot product", t, dot(&g, &[1.0, 0.5, -2.0, 0.25]), EXACT);
}

#[test]
fn user_rules() {
    for x in [-1.5, 0.2, 3.0] {
        // d/dx [lse(x, 2x) x] = lse(x, 2x) + x (e^x + 2 e^2x) / (e^x + e^2x).
        let l = (x.exp() + (2.0 * x).exp()).ln();
        let hand = l + x * (x.exp() + 2.0 * (2.0 * x).exp()) / (x.exp() + (2.0 * x).exp());
        let (v, g) = uses_lse_grad(x);
        let (_, t) = uses_lse_tangent(x, 1.0);
        close("value", v, l * x, EXACT);
        close("grad", g, hand, EXACT);
        close("tangent", t, g, EXACT);
        close("fd", g, fd(&|q: &[f64]| uses_lse(q[0]), &[x], 0), FD);
        let (_, (ga, gb)) = lse_grad(x, 2.0 * x);
        all_close(
            "lse_grad",
            &[ga, gb],
            &[(x - l).exp(), (2.0 * x - l).exp()],
            EXACT,
        );
    }
}

/// The runtime's own checker works in the test build too (it needs only `alloc` and `core`).
#[test]
fn runtime_check_module() {
    let x = [0.3, -0.9];
    let (_, (gx, gy)) = straight_grad(x[0], x[1]);
    ad_runtime::check::gradient(|p: &[f64]| straight(p[0], p[1]), &x, &[gx, gy]).assert_below(1e-7);
    // A wrong derivative is caught.
    let r = ad_runtime::check::gradient(|p: &[f64]| straight(p[0], p[1]), &x, &[gx + 0.1, gy]);
    assert_eq!(r.index, 0);
    assert!(r.worst > 0.05);
}

/// `Float` methods on `f64` without std: num-traits' libm implementation when ad-runtime is built
/// without `std` (as `cargo test -p ad-no-std-tests` alone builds it), std's otherwise.
#[test]
fn float_methods_through_the_trait() {
    close("sin", Float::sin(0.5_f64), 0.479_425_538_604_203, 1e-15);
    close("exp", Float::exp(1.0_f64), core::f64::consts::E, 1e-15);
}
