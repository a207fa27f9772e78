use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in x.iter().skip(1) {
        s += v * v;
    }
    s
}

fn main() {}
