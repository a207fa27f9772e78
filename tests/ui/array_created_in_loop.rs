use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let mut scratch = [0.0; 2];
        scratch[0] = x[i] * 2.0;
        s += scratch[0];
    }
    s
}

fn main() {}
