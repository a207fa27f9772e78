//! `adjoint = ..` belongs to `#[custom_grad]`; any other option is unknown.
use ad_runtime::{custom_grad, custom_tangent};

#[custom_tangent(f_rule, adjoint = f_rule)]
fn f(x: f64) -> f64 {
    x
}

#[custom_grad(g_rule, reverse = g_rule)]
fn g(x: f64) -> f64 {
    x
}

fn f_rule(x: f64, dx: f64) -> (f64, f64) {
    (x, dx)
}

fn g_rule(x: f64, seed: f64) -> (f64, f64) {
    (x, seed)
}

fn main() {}
