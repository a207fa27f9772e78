use ad_runtime::{derive_grad, derive_jacobian, derive_tangent};

#[derive_grad]
fn bump(x: &mut f64, a: f64) {
    *x = *x + a;
}

#[derive_tangent]
#[derive_grad]
fn fill(x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] = x[i].sin();
    }
}

/// A float lent by `&mut`: only slices can be lent to be written.
#[derive_grad]
fn lends_a_float(a: f64) -> f64 {
    let mut x = 1.0;
    bump(&mut x, a);
    x
}

/// Vector forward mode does not go through a call that writes a slice.
#[derive_jacobian(forward)]
fn jacfwd_through_a_writer(x: &[f64], out: &mut [f64]) {
    fill(x, out);
}

fn main() {}
