//! A nalgebra operation the macro has no rule for is refused at the method, with the list of
//! the operations it does differentiate.
use ad_runtime::derive_grad;
use nalgebra::{Matrix3, Vector3};

#[derive_grad]
fn solve(m: &Matrix3<f64>, b: Vector3<f64>) -> f64 {
    let x = m.try_inverse().unwrap() * b;
    x.norm()
}

fn main() {}
