use ad_runtime::custom_grad;

#[custom_grad]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
