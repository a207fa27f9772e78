use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: f64) -> f64 {
    match x {
        v if v > 0.0 => v,
        _ => -x,
    }
}

fn main() {}
