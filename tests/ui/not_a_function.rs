use ad_runtime::derive_grad;

#[derive_grad]
struct Point {
    x: f64,
}

fn main() {}
