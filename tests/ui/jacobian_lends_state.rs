use ad_runtime::{derive_grad, derive_jacobian, derive_tangent};

/// Changes the index list it is lent, and leaves it changed.
#[derive_tangent]
#[derive_grad]
fn rotate(x: f64, idx: &mut [usize]) -> f64 {
    idx.rotate_left(1);
    x * idx[0] as f64
}

/// Vector forward mode runs a callee once per lane: an index list lent to be changed would be
/// changed once per lane.
#[derive_jacobian(forward)]
fn jacfwd_lends_an_index_list(x: [f64; 2], idx: &mut [usize]) -> [f64; 2] {
    [rotate(x[0], idx), x[1]]
}

fn main() {}
