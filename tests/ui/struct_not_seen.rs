use ad_runtime::{Differentiable, derive_grad};

#[derive(Differentiable, Clone, Copy)]
pub struct Spring {
    k: f64,
    rest: f64,
}

// The macro sees `Alias`, not the struct behind it: without `wrt`, it would take `s` for a
// constant and the gradient would miss it. A compile-time check says so instead.
type Alias = Spring;

#[derive_grad]
fn energy(s: Alias, x: f64) -> f64 {
    0.5 * s.k * (x - s.rest) * (x - s.rest)
}

fn main() {}
