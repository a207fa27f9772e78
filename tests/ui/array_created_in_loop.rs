use ad_runtime::derive_grad;

#[derive_grad]
fn sum(a: &[f64]) -> f64 {
    a[0] + a[1]
}

// A local array created in a loop body is fine in reverse mode, also lent to a call when its
// length is fixed (`[0.0; 2]`); a `Vec` of run-time length lent to a call is not, yet.
#[derive_grad]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let mut scratch = vec![0.0; 2];
        scratch[0] = x[i] * 2.0;
        s += sum(&scratch);
    }
    s
}

fn main() {}
