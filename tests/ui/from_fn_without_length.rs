use ad_runtime::derive_grad;

// `std::array::from_fn` is unrolled when the array's length is written; here it is inferred.
#[derive_grad]
fn f(a: [f64; 3]) -> f64 {
    let d = std::array::from_fn(|i| a[i] * 2.0);
    let [x, y, z] = d;
    x * y * z
}

fn main() {}
