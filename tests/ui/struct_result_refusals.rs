use ad_runtime::{Differentiable, derive_grad};

#[derive(Differentiable, Clone, Copy)]
struct State {
    x: f64,
    v: f64,
}

#[derive(Differentiable, Clone)]
struct Tagged {
    x: f64,
    id: usize,
}

// The result is a variable, not a struct literal at the end of the body.
#[derive_grad]
fn named_result(s: State, dt: f64) -> State {
    let out = State { x: s.x + s.v * dt, v: s.v };
    out
}

// A returned struct with a constant field.
#[derive_grad]
fn tagged(x: f64) -> Tagged {
    Tagged { x: 2.0 * x, id: 3 }
}

fn main() {}
