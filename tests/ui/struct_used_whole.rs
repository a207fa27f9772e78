use ad_runtime::{Differentiable, derive_grad, derive_jacobian};
use std::ops::Sub;

#[derive(Differentiable, Clone, Debug)]
struct Params {
    w: Vec<f64>,
    b: f64,
}

#[derive(Differentiable, Clone, Copy)]
struct Spring {
    k: f64,
    rest: f64,
}

impl Sub for Spring {
    type Output = Spring;
    fn sub(self, o: Spring) -> Spring {
        Spring { k: self.k - o.k, rest: self.rest - o.rest }
    }
}

// A method every `Copy` type gets from a blanket impl: not one of `Spring`'s own impls.
trait Stiff {
    fn stiffness(&self) -> f64;
}

impl<T: Copy> Stiff for T {
    fn stiffness(&self) -> f64 {
        1.0
    }
}

fn describe<T: std::fmt::Debug>(t: &T) -> f64 {
    format!("{t:?}").len() as f64
}

// The struct passed whole to a generic function the macro cannot take apart.
#[derive_grad]
fn passed_on(p: &Params, x: f64) -> f64 {
    describe(p) * x + p.w[0]
}

// A slice of structs copied by a method the macro does not know, a method of a blanket impl.
#[derive_grad]
fn undefined(springs: &[Spring], a: Spring, b: Spring) -> f64 {
    let n = springs.to_owned();
    a.stiffness() + (a - b).k + n.len() as f64
}

#[derive(Differentiable, Clone)]
struct Chain {
    links: Vec<Spring>,
}

// A struct holding a `Vec` of structs, by value.
#[derive_grad]
fn chain_by_value(c: Chain) -> f64 {
    c.links[0].k
}

// A Jacobian over a struct parameter.
#[derive_jacobian]
fn forces(s: Spring) -> [f64; 2] {
    [s.k * s.rest, s.k - s.rest]
}

// Hessians over structs: a slice of structs and a struct behind `&mut` are not taken yet.
#[derive_grad(hessian)]
fn energy(springs: &[Spring], s: &mut Spring) -> f64 {
    s.k = 2.0;
    springs[0].k * s.rest * s.rest
}

// A sparse Hessian over a struct.
#[derive_grad(hessian, sparse)]
fn sparse_energy(s: &Spring) -> f64 {
    0.5 * s.k * s.rest * s.rest
}

fn main() {}
