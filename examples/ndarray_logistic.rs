//! Logistic regression with ndarray: the loss is written over `ArrayView2` / `ArrayView1` as a
//! data scientist writes it (`x.dot(&w)`, a loop over samples), `#[derive_grad(wrt(w))]` gives
//! its gradient (the matrix-vector product differentiated per operation: `Xᵀ (σ(z) - y)`), and
//! plain gradient descent fits a separable data set.
//!
//! Run with `cargo run --example ndarray_logistic`.

use ad_runtime::derive_grad;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Mean logistic loss of the weights `w` on samples `x` (one per row) with labels `y` in {0, 1}.
#[derive_grad(wrt(w))]
fn loss(w: ArrayView1<f64>, x: ArrayView2<f64>, y: ArrayView1<f64>) -> f64 {
    let z = x.dot(&w);
    let mut s = 0.0;
    for i in 0..y.len() {
        // -[y ln σ(z) + (1 - y) ln(1 - σ(z))], written stably.
        s += (1.0 + (-z[i]).exp()).ln() + (1.0 - y[i]) * z[i];
    }
    s / y.len() as f64
}

fn main() {
    // 200 points in the plane with a bias column, labelled by the line 2 a - b + 0.5 = 0.
    let n = 200;
    let x = Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => ((i * 37 % 101) as f64 / 50.0) - 1.0,
        1 => ((i * 59 % 103) as f64 / 51.0) - 1.0,
        _ => 1.0,
    });
    let y = Array1::from_shape_fn(n, |i| f64::from(2.0 * x[[i, 0]] - x[[i, 1]] + 0.5 > 0.0));

    let mut w = Array1::zeros(3);
    // The gradient at the start, against central finite differences.
    let mut g = Array1::zeros(3);
    loss_grad(w.view(), g.view_mut(), x.view(), y.view());
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    for k in 0..3 {
        let (mut up, mut down) = (w.clone(), w.clone());
        up[k] += h;
        down[k] -= h;
        let fd = (loss(up.view(), x.view(), y.view()) - loss(down.view(), x.view(), y.view()))
            / (2.0 * h);
        worst = worst.max((fd - g[k]).abs());
    }
    println!("gradient at w = 0 against finite differences: worst difference {worst:.1e}");
    assert!(worst < 1e-8);

    println!("gradient descent (step 2.0): iteration, loss, |gradient|");
    let mut last = f64::INFINITY;
    for it in 0..=400 {
        g.fill(0.0);
        let value = loss_grad(w.view(), g.view_mut(), x.view(), y.view());
        if it % 100 == 0 {
            println!("  {it:>3}  {value:.5}  {:.2e}", g.dot(&g).sqrt());
        }
        assert!(value <= last + 1e-12, "the loss went up");
        last = value;
        w.scaled_add(-2.0, &g);
    }
    let z = x.dot(&w);
    let right = z
        .iter()
        .zip(&y)
        .filter(|(z, y)| (**z > 0.0) == (**y > 0.5))
        .count();
    println!(
        "weights ({:.3}, {:.3}, {:.3}): {right} of {n} points classified right",
        w[0], w[1], w[2]
    );
    assert!(right as f64 >= 0.97 * n as f64);
}
