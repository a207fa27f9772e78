use ad_runtime::derive_tangent;

macro_rules! twice {
    ($e:expr) => {
        $e + $e
    };
}

#[derive_tangent]
fn f(x: f64) -> f64 {
    let y = twice!(x);
    y * x
}

fn main() {}
