//! A `#![no_std]` crate that uses the macros: the generated code must compile with only `core`
//! and what `ad_runtime` re-exports. The crate root has no `extern crate alloc;`, and the module
//! [`stored`] names `alloc` only by paths (`alloc::vec![..]`), importing nothing: any `Vec`,
//! `vec!` or `ToOwned` the macros add must reach `alloc` through `ad_runtime`.
//!
//! `x.sin()` on an `f64` needs a trait in scope without std: [`Float`] (num-traits' `Float`,
//! implemented with libm when std is off) is that trait.

#![no_std]

pub mod stored;

use ad_runtime::{
    Float, custom_grad, custom_tangent, derive_grad, derive_jacobian, derive_tangent,
};

/// Straight-line code: `x y + sin x`.
#[derive_tangent]
#[derive_grad]
pub fn straight(x: f64, y: f64) -> f64 {
    x * y + x.sin()
}

/// A recurrence: reverse mode stores one float per step on a value stack (an `alloc` `Vec`
/// inside `ad_runtime::Stack`).
#[derive_tangent]
#[derive_grad]
pub fn recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.1 * x.sin() * p;
    }
    x
}

/// Slices in, a slice out: `y[i] = w[i] exp(y[i]) + w[i - 1]`; the shadow of `y` is a `&mut`.
#[derive_tangent]
#[derive_grad]
pub fn slices(w: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        let prev = if i > 0 { w[i - 1] } else { 0.0 };
        y[i] = w[i] * y[i].exp() + prev;
    }
}

/// A weighted sum of squares over slices, returned.
#[derive_tangent]
#[derive_grad]
pub fn weighted(w: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += w[i] * (x[i] * x[i]).sqrt().ln_1p();
    }
    s
}

/// Generic over the float type.
#[derive_tangent]
#[derive_grad]
pub fn softplus<T: Float>(x: T) -> T {
    (T::one() + x.exp()).ln()
}

/// A Jacobian of a map between arrays.
#[derive_jacobian]
pub fn polar(p: [f64; 2]) -> [f64; 2] {
    [p[0] * p[1].cos(), p[0] * p[1].sin()]
}

/// A Jacobian over slices (an `ad_runtime::Jacobian`, stored in an `alloc` `Vec`).
#[derive_jacobian]
pub fn cumulative(x: &[f64], y: &mut [f64]) {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
        y[i] = s.sqrt();
    }
}

/// Second order: `hvp` and `hessian` of a function of a slice (Vec results).
#[derive_grad(hessian)]
pub fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

/// Checkpointing of a long loop.
#[derive_grad(checkpoint)]
pub fn checkpointed(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x + 0.01 * (x * p).cos();
    }
    x
}

#[cfg(test)]
mod tests;

/// `log(e^a + e^b)` without overflow, differentiated by user rules.
#[custom_tangent(lse_tangent)]
#[custom_grad(lse_vjp)]
pub fn lse(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// The forward rule of [`lse`].
pub fn lse_tangent(a: f64, da: f64, b: f64, db: f64) -> (f64, f64) {
    let v = lse(a, b);
    (v, (a - v).exp() * da + (b - v).exp() * db)
}

/// The reverse rule of [`lse`].
pub fn lse_vjp(a: f64, b: f64, seed: f64) -> (f64, (f64, f64)) {
    let v = lse(a, b);
    (v, (seed * (a - v).exp(), seed * (b - v).exp()))
}

/// A function calling [`lse`], differentiated through its rules: `lse(x, 2x) x`.
#[derive_tangent]
#[derive_grad]
pub fn uses_lse(x: f64) -> f64 {
    lse(x, 2.0 * x) * x
}

/// With the feature `prove-no-std`, this crate defines the panic handler, as a `no_std` binary
/// must: rustc refuses it ("duplicate lang item `panic_impl`") if `std` is anywhere in the crate
/// graph, so `cargo build -p ad-no-std-tests --features prove-no-std` succeeds only when neither
/// `ad-runtime` nor anything it depends on links std. (Not in test builds: the harness links std.)
#[cfg(all(feature = "prove-no-std", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
