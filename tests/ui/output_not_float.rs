use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: f64) -> String {
    format!("{x}")
}

fn main() {}
