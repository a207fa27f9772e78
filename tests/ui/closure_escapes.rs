use ad_runtime::derive_grad;

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    0.5 * (b - a) * (f(a) + f(b))
}

// A closure is inlined where it is called; one handed to code the macro cannot see leaves the
// function, and the error points at the closure.
#[derive_grad]
fn f(x: f64) -> f64 {
    let scale = |t: f64| t * x;
    integrate(scale, 0.0, 1.0)
}

// A local function that calls itself cannot be inlined.
#[derive_grad]
fn g(x: f64) -> f64 {
    fn power(t: f64, n: u32) -> f64 {
        if n == 0 { 1.0 } else { t * power(t, n - 1) }
    }
    power(x, 3)
}

fn main() {}
