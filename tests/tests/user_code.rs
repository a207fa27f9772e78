//! Two functions written the way their users write them, outside the shapes of the other
//! suites: an ML engineer's logistic loss (a closure, a zip of constant rows with labels, an
//! inner dot product by `zip`/`map`/`sum`, `wrt`), and a physicist's chain of springs over a
//! point cloud (`windows(2)` over `&[[f64; 3]]`, a closure taking `&[f64; 3]` rows). The loss
//! is checked against its gradient by hand (mean of `(p - y) x`) and forward mode against
//! reverse; the springs against central finite differences and `dE/dk = E / k`.

use ad_runtime::{derive_grad, derive_tangent};

#[derive_tangent(wrt(w, b))]
#[derive_grad(wrt(w, b))]
fn logistic_loss(w: &[f64], b: f64, xs: &[Vec<f64>], ys: &[f64]) -> f64 {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    xs.iter()
        .zip(ys)
        .map(|(x, &y)| {
            let z: f64 = x.iter().zip(w).map(|(xi, wi)| xi * wi).sum::<f64>() + b;
            let p = sigmoid(z);
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / ys.len() as f64
}

#[derive_tangent]
#[derive_grad]
fn spring_energy(pos: &[[f64; 3]], k: f64) -> f64 {
    let dist = |a: &[f64; 3], b: &[f64; 3]| {
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    };
    pos.windows(2)
        .map(|p| {
            let d = dist(&p[0], &p[1]) - 1.0;
            0.5 * k * d * d
        })
        .sum()
}

#[test]
fn user_functions() {
    let xs = vec![vec![0.5, -1.0], vec![1.5, 0.3], vec![-0.2, 0.8]];
    let ys = [1.0, 0.0, 1.0];
    let w = [0.3, -0.4];
    let b = 0.1;
    let mut gw = [0.0; 2];
    let (v, gb) = logistic_loss_grad(&w, &mut gw, b, &xs, &ys);
    assert!((v - logistic_loss(&w, b, &xs, &ys)).abs() < 1e-14);
    // Hand gradient: mean of (p - y) x and (p - y).
    let mut hw = [0.0; 2];
    let mut hb = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let p = 1.0 / (1.0 + (-(x[0] * w[0] + x[1] * w[1] + b)).exp());
        hw[0] += (p - y) * x[0] / 3.0;
        hw[1] += (p - y) * x[1] / 3.0;
        hb += (p - y) / 3.0;
    }
    assert!(
        (gb - hb).abs() < 1e-12 && (gw[0] - hw[0]).abs() < 1e-12 && (gw[1] - hw[1]).abs() < 1e-12
    );
    let (_, t) = logistic_loss_tangent(&w, &[1.0, 0.0], b, 0.0, &xs, &ys);
    assert!((t - gw[0]).abs() < 1e-12);

    let pos = [[0.0, 0.0, 0.0], [1.2, 0.1, 0.0], [2.0, 0.9, 0.3]];
    let mut gp = [[0.0; 3]; 3];
    let (e, gk) = spring_energy_grad(&pos, &mut gp, 2.0);
    assert!((e - spring_energy(&pos, 2.0)).abs() < 1e-14);
    assert!((gk - e / 2.0).abs() < 1e-12);
    for i in 0..3 {
        for j in 0..3 {
            let h = 1e-6;
            let (mut p1, mut p2) = (pos, pos);
            p1[i][j] += h;
            p2[i][j] -= h;
            let fd = (spring_energy(&p1, 2.0) - spring_energy(&p2, 2.0)) / (2.0 * h);
            assert!(
                (gp[i][j] - fd).abs() < 1e-6,
                "{i} {j}: {} vs {fd}",
                gp[i][j]
            );
        }
    }
}
