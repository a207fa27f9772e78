use ad_runtime::derive_grad;

#[derive_grad]
fn rhs(x: f64, v: f64) -> (f64, f64) {
    (v, -x)
}

// A call's tuple is read by fields (or destructured) where the call is; here `t.0` is read
// inside a loop the call is outside of.
#[derive_grad]
fn f(x: f64, n: usize) -> f64 {
    let t = rhs(x, 1.0);
    let mut s = 0.0;
    for _ in 0..n {
        s += t.1;
    }
    s
}

fn main() {}
