//! `DVector` / `DMatrix`: an operation without a rule, and a dynamic result, are refused where
//! they are written.
use ad_runtime::derive_grad;
use nalgebra::DVector;

#[derive_grad]
fn unknown(x: &DVector<f64>) -> f64 {
    let y = x.normalize();
    y[0]
}

#[derive_grad]
fn returned(x: &DVector<f64>) -> DVector<f64> {
    x * 2.0
}

fn main() {}
