// A one-hidden-layer tanh network's squared error (the benchmark's MLP, 4-8-1 here): the hidden
// loop is reversed backwards; its `tanh` values are stored (a push each) rather than computed
// again, and tanh's partial reads only them: `tanh_partial(y, y)`. The output loop and each
// unit's inner product are reversed in order, storing nothing.
#[derive_grad]
fn mlp_loss(params: &[f64], x: &[f64], target: f64) -> f64 {
    let mut hidden = [0.0; 8];
    for j in 0..8 {
        let mut a = params[32 + j];
        for k in 0..4 {
            a += params[j * 4 + k] * x[k];
        }
        hidden[j] = a.tanh();
    }
    let mut out = params[48];
    for j in 0..8 {
        out += params[40 + j] * hidden[j];
    }
    let e = out - target;
    e * e
}

// A mean squared error over a point cloud: the loop over points is fused with its reverse
// sweep, inner loop included; `xs.len() as f64`, which the reverse sweep of the division needs,
// is computed before the loop.
#[derive_grad(wrt(w))]
fn affine_mse(w: &[f64], xs: &[[f64; 3]], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in xs.iter().zip(ys) {
        let mut pred = w[3];
        for k in 0..3 {
            pred += w[k] * x[k];
        }
        let r = pred - y;
        s += r * r;
    }
    s / xs.len() as f64
}

// The k-means cost: the running minimum over centroids is a selection loop. Its forward sweep
// keeps the index of the centroid that last took the minimum (`takes`), and its reverse sweep
// runs that iteration again and reverses it (`order`): one centroid's work per point, nothing
// stored. The loop over points is fused.
#[derive_grad(wrt(c))]
fn nearest_cost(points: &[[f64; 2]], c: &[[f64; 2]]) -> f64 {
    let mut cost = 0.0;
    for p in points {
        let mut best = f64::INFINITY;
        for j in 0..c.len() {
            let dx = p[0] - c[j][0];
            let dy = p[1] - c[j][1];
            best = best.min(dx * dx + dy * dy);
        }
        cost += best;
    }
    cost
}
