use ad_runtime::derive_grad;

// Three problems in one function: each is reported, in one compilation.
#[derive_grad(wrt(x, q))]
fn f(x: f64, y: f64) -> f64 {
    let a = unsafe { std::ptr::read(&x) };
    let b = x.rem_euclid(y);
    a * b
}

fn main() {}
