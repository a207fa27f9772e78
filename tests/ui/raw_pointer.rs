use ad_runtime::{derive_grad, derive_tangent};

// A raw pointer to floats could alias a differentiated value behind the macro's back.
#[derive_grad]
fn f(x: f64, p: *const f64) -> f64 {
    x * unsafe { *p }
}

#[derive_tangent]
fn g(x: &mut [f64], out: *mut f64) -> f64 {
    let _ = out;
    x[0]
}

fn main() {}
