use ad_runtime::derive_grad;

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

fn main() {}
