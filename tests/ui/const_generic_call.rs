use ad_runtime::derive_grad;

// A function generic over a constant that no parameter's type names: it works on its own
// (`picked_grad::<2>(..)`), but a caller's derivative cannot pass the constant on yet.
#[derive_grad]
fn picked<const K: usize>(v: &[f64]) -> f64 {
    v[K] * v[0]
}

#[derive_grad]
fn caller(v: &[f64]) -> f64 {
    picked::<2>(v) * 2.0
}

fn main() {}
