//! The examples of the guide's "Numeric Rust as you write it" section, verbatim (helpers the
//! guide leaves out are written here), so that what the guide shows compiles and is right:
//! each is checked by `ad_tests::check_flat` against a gradient by hand, central finite
//! differences, and forward against reverse.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check_flat;

#[derive_tangent]
#[derive_grad]
fn sum_sq(v: &[f64]) -> f64 {
    v.iter().map(|t| t * t).sum()
}

#[derive_tangent]
#[derive_grad]
fn sqnorm(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for t in v {
        s += t * t;
    }
    s
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
fn f(x: f64, y: f64) -> f64 {
    let v = [x, y, x * y];
    let [a, b, c] = v;
    let t = (a + b, c);
    let (p, q) = t;
    p * q + v[2]
}

#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_range_loop)] // the index loop is the point of the example
fn g(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let mut w = [0.0; 2]; // created in each iteration
        w[0] = x[i] * 2.0;
        w[1] = x[i] * x[i];
        s += sum_sq(&w); // lent to an annotated helper
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn centroid_spread(pts: &[[f64; 3]]) -> f64 {
    let n = pts.len() as f64;
    let mut c = [0.0; 3];
    for p in pts {
        for k in 0..3 {
            c[k] += p[k] / n;
        }
    }
    pts.iter()
        .map(|p| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2))
        .sum()
}

#[derive_tangent(wrt(a, b))]
#[derive_grad(wrt(a, b))]
fn sse(a: f64, b: f64, xs: &[f64], ys: &[f64]) -> f64 {
    xs.iter()
        .zip(ys)
        .map(|(x, y)| (a * x + b - y).powi(2))
        .sum::<f64>()
}

#[derive_tangent]
#[derive_grad]
fn smooth_max(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[derive_tangent(wrt(a, b))]
#[derive_grad(wrt(a, b))]
fn loss(a: f64, b: f64, x: &[f64], y: &[f64]) -> f64 {
    let model = |t: f64| a * t.exp() + b;
    let residual = |i: usize| y[i] - model(x[i]);
    (0..x.len()).map(|i| residual(i).powi(2)).sum()
}

#[derive_tangent]
#[derive_grad]
fn chain(x: &[f64]) -> f64 {
    let cross = |a: &[f64], b: &[f64]| a[0] * b[1] - a[1] * b[0];
    let huber = |r: f64| {
        if r.abs() < 1.0 {
            return 0.5 * r * r;
        }
        r.abs() - 0.5
    };
    huber(x[0] - x[1]) + cross(&x[0..2], &x[2..4])
}

#[derive_tangent]
#[derive_grad]
fn blocks(x: &[f64], d: usize) -> f64 {
    let mut s = 0.0;
    for j in 0..x.len() / d {
        s += sqnorm(&x[j * d..(j + 1) * d]);
    }
    let (head, tail) = x.split_at(d);
    s + head[0] * tail[0]
}

#[derive_tangent]
#[derive_grad]
fn torque_sq(r: [f64; 3], f: [f64; 3]) -> f64 {
    let [tx, ty, tz] = cross(r, f);
    let t = cross(r, [0.0, 0.0, 1.0]);
    tx * tx + ty * ty + tz * tz + t[0]
}

fn add(g: &mut [f64], parts: &[f64]) {
    for (gi, p) in g.iter_mut().zip(parts) {
        *gi += p;
    }
}

#[test]
fn aggregates_and_local_arrays() {
    // f = (x + y) x y + x y.
    check_flat(
        "f",
        &[0.7, -1.3],
        |p| f(p[0], p[1]),
        |p, d| f_tangent(p[0], d[0], p[1], d[1]),
        |p, g| {
            let (v, (gx, gy)) = f_grad(p[0], p[1]);
            add(g, &[gx, gy]);
            v
        },
        |p| {
            let (x, y) = (p[0], p[1]);
            vec![2.0 * x * y + y * y + y, x * x + 2.0 * x * y + x]
        },
    );
    // g = Σ 4 x² + x⁴.
    check_flat("g", &[0.5, -1.1, 0.3], g, g_tangent, g_grad, |p| {
        p.iter().map(|x| 8.0 * x + 4.0 * x * x * x).collect()
    });
}

#[test]
fn point_cloud() {
    let flat = [0.3, -0.2, 1.1, 0.9, 0.4, -0.7, -0.5, 1.2, 0.2];
    let pts = |p: &[f64]| -> Vec<[f64; 3]> { p.chunks(3).map(|c| [c[0], c[1], c[2]]).collect() };
    check_flat(
        "centroid_spread",
        &flat,
        |p| centroid_spread(&pts(p)),
        |p, d| centroid_spread_tangent(&pts(p), &pts(d)),
        |p, g| {
            let mut gp = vec![[0.0; 3]; 3];
            let v = centroid_spread_grad(&pts(p), &mut gp);
            add(g, gp.as_flattened());
            v
        },
        // Σ |p - c|² with c the mean: the gradient is 2 (p - c) (the mean's own term vanishes).
        |p| {
            let c: Vec<f64> = (0..3)
                .map(|k| (0..3).map(|i| p[3 * i + k]).sum::<f64>() / 3.0)
                .collect();
            (0..9).map(|j| 2.0 * (p[j] - c[j % 3])).collect()
        },
    );
}

#[test]
fn closures_over_slices_returning_early() {
    // huber'(r) = r inside |r| < 1, sign(r) outside; cross = x0 x3 - x1 x2.
    for p in [[0.3, -0.2, 1.5, 0.7], [2.0, -0.5, -1.0, 0.4]] {
        check_flat("chain", &p, chain, chain_tangent, chain_grad, |p| {
            let r: f64 = p[0] - p[1];
            let dh = if r.abs() < 1.0 { r } else { r.signum() };
            vec![dh + p[3], -dh - p[2], -p[1], p[0]]
        });
    }
}

#[test]
fn chains_and_closures() {
    let xs = [0.5, -1.0, 2.0, 0.25];
    let ys = [1.0, 0.3, -0.7, 0.9];
    check_flat(
        "sse",
        &[0.8, -0.3],
        |p| sse(p[0], p[1], &xs, &ys),
        |p, d| sse_tangent(p[0], d[0], p[1], d[1], &xs, &ys),
        |p, g| {
            let (v, (ga, gb)) = sse_grad(p[0], p[1], &xs, &ys);
            add(g, &[ga, gb]);
            v
        },
        |p| {
            let r: Vec<f64> = xs
                .iter()
                .zip(&ys)
                .map(|(x, y)| p[0] * x + p[1] - y)
                .collect();
            vec![
                r.iter().zip(&xs).map(|(r, x)| 2.0 * r * x).sum(),
                r.iter().map(|r| 2.0 * r).sum(),
            ]
        },
    );
    // The max's own derivative cancels: the gradient is the softmax.
    check_flat(
        "smooth_max",
        &[0.3, 1.2, -0.4, 0.9],
        smooth_max,
        smooth_max_tangent,
        smooth_max_grad,
        |p| {
            let z: f64 = p.iter().map(|v| v.exp()).sum();
            p.iter().map(|v| v.exp() / z).collect()
        },
    );
    check_flat(
        "loss",
        &[0.6, -0.2],
        |p| loss(p[0], p[1], &xs, &ys),
        |p, d| loss_tangent(p[0], d[0], p[1], d[1], &xs, &ys),
        |p, g| {
            let (v, (ga, gb)) = loss_grad(p[0], p[1], &xs, &ys);
            add(g, &[ga, gb]);
            v
        },
        // r_i = y_i - a e^{x_i} - b: d/da = Σ -2 r e^x, d/db = Σ -2 r.
        |p| {
            let r: Vec<f64> = xs
                .iter()
                .zip(&ys)
                .map(|(x, y)| y - p[0] * x.exp() - p[1])
                .collect();
            vec![
                r.iter().zip(&xs).map(|(r, x)| -2.0 * r * x.exp()).sum(),
                r.iter().map(|r| -2.0 * r).sum(),
            ]
        },
    );
}

#[test]
fn views_and_array_helpers() {
    // Σ x² over whole blocks, plus x0 x_d.
    let x = [0.4, -0.8, 1.3, 0.2, -0.6, 0.9, 0.1];
    let d = 3;
    check_flat(
        "blocks",
        &x,
        |p| blocks(p, d),
        |p, dp| blocks_tangent(p, dp, d),
        |p, g| blocks_grad(p, g, d),
        |p| {
            let mut g: Vec<f64> = p
                .iter()
                .enumerate()
                .map(|(i, v)| if i < 6 { 2.0 * v } else { 0.0 })
                .collect();
            g[0] += p[d];
            g[d] += p[0];
            g
        },
    );
    // |r × f|² + (r × e_z)_0 = |r × f|² + r1: d/dr = 2 f × t + e_1, d/df = 2 t × r.
    let c3 = |a: [f64; 3], b: [f64; 3]| cross(a, b);
    let arr = |p: &[f64]| [p[0], p[1], p[2]];
    check_flat(
        "torque_sq",
        &[0.3, -1.2, 0.7, 1.1, 0.4, -0.5],
        |p| torque_sq(arr(p), arr(&p[3..])),
        |p, d| torque_sq_tangent(arr(p), arr(d), arr(&p[3..]), arr(&d[3..])),
        |p, g| {
            let (v, (gr, gf)) = torque_sq_grad(arr(p), arr(&p[3..]));
            add(g, &gr);
            add(&mut g[3..], &gf);
            v
        },
        |p| {
            let (r, f) = (arr(p), arr(&p[3..]));
            let t = c3(r, f);
            let (gr, gf) = (c3(f, t), c3(t, r));
            let mut g: Vec<f64> = gr.iter().chain(&gf).map(|v| 2.0 * v).collect();
            g[1] += 1.0;
            g
        },
    );
}
