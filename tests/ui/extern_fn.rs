use ad_runtime::derive_grad;

#[derive_grad]
extern "C" fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
