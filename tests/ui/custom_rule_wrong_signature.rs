use ad_runtime::custom_grad;

// The rule must have the signature `_vjp` would have: `(x, seed) -> (value, adjoint)`.
#[custom_grad(f_rule)]
fn f(x: f64) -> f64 {
    x * x
}

fn f_rule(x: f64) -> f64 {
    2.0 * x
}

fn main() {}
