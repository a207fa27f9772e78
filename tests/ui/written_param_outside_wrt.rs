use ad_runtime::derive_grad;

#[derive_grad]
fn fill(x: f64, y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] = x * (i as f64 + 1.0);
    }
}

/// `scratch` is written with values that depend on `x`, but `wrt(x)` leaves it out.
#[derive_grad(wrt(x))]
fn stores_into_it(x: f64, scratch: &mut [f64]) -> f64 {
    scratch[0] = x * 2.0;
    scratch[0] * x
}

/// The same through a call that writes it.
#[derive_grad(wrt(x))]
fn lends_it(x: f64, scratch: &mut [f64]) -> f64 {
    fill(x, scratch);
    scratch[1] * x
}

fn main() {}
