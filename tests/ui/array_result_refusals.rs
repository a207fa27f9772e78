use ad_runtime::derive_grad;

// A helper's array result is taken apart where the call is when the macro can see, in this
// file, what the helper returns. Here it cannot: two functions are named `scale3`, with
// arrays of different lengths, so these refusals are what a helper it cannot see gets.
#[allow(dead_code)]
mod planar {
    pub fn scale3(v: [f64; 2], s: f64) -> [f64; 2] {
        [v[0] * s, v[1] * s]
    }
}

#[derive_grad]
fn scale3(v: [f64; 3], s: f64) -> [f64; 3] {
    [v[0] * s, v[1] * s, v[2] * s]
}

#[derive_grad]
fn norm2(v: [f64; 3]) -> f64 {
    v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
}

// An element of a call's array result is read at a literal index.
#[derive_grad]
fn at_index(x: f64, k: usize) -> f64 {
    let q = scale3([x, 1.0, 2.0], x);
    q[k]
}

// Read by element and passed on whole: take it apart and pass the literal instead.
#[derive_grad]
fn mixed(x: f64) -> f64 {
    let q = scale3([x, 1.0, 2.0], x);
    q[0] + norm2(q)
}

// Read inside a branch the call is outside of: take it apart where the call is.
#[derive_grad]
fn in_branch(x: f64) -> f64 {
    let q = scale3([x, 1.0, 2.0], x);
    if x > 0.0 { q[1] } else { x }
}

// Turned from an array literal into a call's result by a loop.
#[derive_grad]
fn in_loop(x: f64) -> f64 {
    let mut q = [x, 1.0, 2.0];
    for _ in 0..2 {
        q = scale3(q, x);
    }
    norm2(q)
}

fn main() {}
