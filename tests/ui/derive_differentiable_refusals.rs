use std::rc::Rc;

use ad_runtime::Differentiable;

// A shared pointer: its float cannot get an adjoint of its own.
#[derive(Differentiable, Clone)]
struct Shared {
    x: f64,
    scale: Rc<f64>,
}

// A boxed closure: not a value made of floats.
#[derive(Differentiable)]
struct WithClosure {
    x: f64,
    activation: Box<dyn Fn(f64) -> f64>,
}

// An enum: which variant holds the floats is a run-time fact.
#[derive(Differentiable, Clone, Copy)]
enum Shape {
    Circle { r: f64 },
    Square { side: f64 },
}

// No float at all: nothing to differentiate.
#[derive(Differentiable, Clone, Copy)]
struct Counts {
    rows: usize,
    columns: usize,
}

fn main() {}
