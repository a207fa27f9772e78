use ad_runtime::derive_grad;

// `enumerate` after `filter` numbers only the items kept: the chain is refused with the
// reason, at the chain.
#[derive_grad]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().filter(|v| **v > 0.0).enumerate() {
        s += v * i as f64;
    }
    s
}

// `max_by` gives an `Option`: without `.unwrap()` there is no float to differentiate.
#[derive_grad]
fn g(x: &[f64]) -> f64 {
    let m = x.iter().copied().max_by(|a, b| a.total_cmp(b));
    m.unwrap_or(0.0)
}

fn main() {}
