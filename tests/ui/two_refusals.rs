use ad_runtime::derive_grad;

// Two refusals in one body, the closure on a later line reading the first one's result: both
// are reported (the refused value counts as differentiated, so the closure is refused too).
#[derive_grad]
fn f(x: f64, w: &[f64]) -> f64 {
    let a = x.rem_euclid(2.0);
    let mut s = a;
    for i in 0..w.len() {
        s += w[i];
    }
    let g = |t: f64| t * a;
    s + apply(g, 2.0)
}

fn apply(g: impl Fn(f64) -> f64, t: f64) -> f64 {
    g(t)
}

fn main() {}
