//! Functions written the way a physicist and an ML engineer write them, outside the shapes the
//! other suites were built around: springs over a list of index pairs destructured in a closure
//! (`|&(i, j)|`, which once failed to compile in reverse mode: the pair's names were not
//! recomputed when the loop body was replayed), over `&[Vector3]`; ridge regression over
//! ndarray. Checked against central finite differences and a gradient by hand.

use ad_runtime::derive_grad;
use nalgebra::Vector3;
use ndarray::{Array1, ArrayView2};

#[derive_grad(wrt(pos))]
fn energy(pos: &[Vector3<f64>], k: f64) -> f64 {
    let springs = [(0usize, 1usize), (1, 2)];
    let stretch: f64 = springs
        .iter()
        .map(|&(i, j)| {
            let d = pos[j] - pos[i];
            0.5 * k * (d.norm() - 1.0).powi(2)
        })
        .sum();
    stretch + pos.iter().map(|p| 9.81 * p.z).sum::<f64>()
}

#[derive_grad(wrt(w))]
fn ridge(w: &Array1<f64>, x: ArrayView2<f64>, y: &Array1<f64>, lam: f64) -> f64 {
    let r = x.dot(w) - y;
    0.5 * r.dot(&r) + 0.5 * lam * w.iter().map(|t| t * t).sum::<f64>()
}

#[test]
fn springs_over_index_pairs_and_ridge_regression() {
    let pos = vec![
        Vector3::new(0.0, 0.0, 0.0),
        Vector3::new(1.2, 0.1, 0.3),
        Vector3::new(2.0, -0.4, 0.9),
    ];
    let mut g = vec![Vector3::zeros(); 3];
    energy_grad(&pos, &mut g, 3.0);
    let h = 1e-6;
    for i in 0..3 {
        for c in 0..3 {
            let (mut a, mut b) = (pos.clone(), pos.clone());
            a[i][c] += h;
            b[i][c] -= h;
            let fd = (energy(&a, 3.0) - energy(&b, 3.0)) / (2.0 * h);
            assert!((fd - g[i][c]).abs() < 1e-6, "{i} {c}: {fd} vs {}", g[i][c]);
        }
    }
    let x = ndarray::Array2::from_shape_fn((4, 2), |(i, j)| (i as f64 + 1.0) * (j as f64 - 0.5));
    let y = Array1::from(vec![0.1, -0.2, 0.3, 0.5]);
    let w = Array1::from(vec![0.7, -0.4]);
    let mut gw = Array1::zeros(2);
    let value = ridge_grad(&w, &mut gw, x.view(), &y, 0.1);
    assert_eq!(value, ridge(&w, x.view(), &y, 0.1));
    let want = x.t().dot(&(x.dot(&w) - &y)) + &w * 0.1;
    assert!(
        (&gw - &want).iter().all(|d| d.abs() < 1e-12),
        "{gw} vs {want}"
    );
}
