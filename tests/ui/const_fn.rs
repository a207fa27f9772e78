use ad_runtime::derive_grad;

#[derive_grad]
const fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
