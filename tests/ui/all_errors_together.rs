use ad_runtime::derive_grad;

fn opaque(t: f64) -> f64 {
    t
}

// Three problems in one function: each is reported, in one compilation.
#[derive_grad(wrt(x, q))]
fn f(x: f64, y: f64) -> f64 {
    let a = opaque(x);
    let b = x.rem_euclid(y);
    a * b
}

fn main() {}
