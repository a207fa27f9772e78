use ad_runtime::derive_grad;

#[derive_grad(with_respect_to(x))]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
