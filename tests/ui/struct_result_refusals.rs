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

// The result is not a struct value the macro can take apart: a function of another crate.
#[derive_grad]
fn opaque_result(s: State, dt: f64) -> State {
    std::hint::black_box(State { x: s.x + s.v * dt, v: s.v })
}

// A returned struct with a constant field.
#[derive_grad]
fn tagged(x: f64) -> Tagged {
    Tagged { x: 2.0 * x, id: 3 }
}

fn main() {}
