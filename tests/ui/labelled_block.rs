use ad_runtime::derive_grad;

#[derive_grad]
fn f(x: f64) -> f64 {
    let y = 'found: {
        if x > 1.0 {
            break 'found x * 2.0;
        }
        x
    };
    y * x
}

fn main() {}
