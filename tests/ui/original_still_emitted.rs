use ad_runtime::derive_grad;

fn apply(f: impl Fn(f64) -> f64, t: f64) -> f64 {
    f(t)
}

// The macro refuses `f`, but still emits it unchanged: `main` compiles, and the only error is
// the macro's own, not a cascade.
#[derive_grad]
fn f(x: f64) -> f64 {
    let scale = |t: f64| t * x;
    apply(scale, x)
}

fn main() {
    let value: f64 = f(2.0);
    assert_eq!(value, 4.0);
}
