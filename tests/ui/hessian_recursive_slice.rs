use ad_runtime::derive_grad;

#[derive_grad]
fn tail_sum(v: &[f64], k: usize) -> f64 {
    if k == 0 {
        return v[0] * v[0];
    }
    v[k] * v[k] + tail_sum(v, k - 1)
}

// A recursive function given a slice: its body is inlined into the Hessian's code once, and
// its call to itself, which cannot be, is refused.
#[derive_grad(hessian)]
fn calls_recursion_with_a_slice(x: &[f64]) -> f64 {
    tail_sum(x, 2) * x[0]
}

fn main() {}
