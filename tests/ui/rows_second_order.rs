use ad_runtime::{derive_grad, derive_jacobian};

// Rows as the differentiated input of a Jacobian or a Hessian: refused (flatten them into one
// slice `&[F]`); constant rows beside the input are fine (tests/tests/nested.rs).
#[derive_jacobian]
fn jac(p: &[[f64; 3]]) -> [f64; 2] {
    [p[0][0], p[0][1] * p[0][2]]
}

#[derive_grad(hessian)]
fn hess(p: &[Vec<f64>]) -> f64 {
    p[0][0] * p[0][0]
}

fn main() {}
