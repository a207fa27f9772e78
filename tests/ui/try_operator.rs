use ad_runtime::derive_grad;

fn checked(x: f64) -> Option<f64> {
    (x > 0.0).then_some(x)
}

#[derive_grad]
fn f(x: f64) -> Option<f64> {
    let y = checked(x)?;
    Some(y * x)
}

fn main() {}
