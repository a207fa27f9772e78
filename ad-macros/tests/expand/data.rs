// A reduction through an iterator chain: desugared into an index loop.
#[derive_grad]
#[derive_tangent]
fn sumsq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>()
}
