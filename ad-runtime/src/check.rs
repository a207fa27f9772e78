//! Checking derivatives against central finite differences (JAX's `check_grads`, Clad's
//! `numerical_diff` are the models).
//!
//! ```
//! use ad_runtime::{check, derive_grad};
//!
//! #[derive_grad]
//! fn f(x: &[f64]) -> f64 {
//!     x[0] * x[1].sin()
//! }
//!
//! let x = [0.7, -1.2];
//! let mut grad = [0.0; 2];
//! f_grad(&x, &mut grad);
//! let report = check::gradient(|p: &[f64]| f(p), &x, &grad);
//! assert!(report.worst < 1e-7, "{report}");
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::Float;

/// The result of a check: the worst relative error over the components, and where it is.
///
/// It prints as one line (`Display`), and [`Report::assert_below`] turns it into a test.
///
/// ```
/// // d/dx x³ = 3x² = 12 at x = 2; claim 12.5 to see a failing component.
/// let r = ad_runtime::check::gradient(|x: &[f64]| x[0] * x[0] * x[0], &[2.0], &[12.5]);
/// assert_eq!(r.index, 0);
/// assert_eq!(r.derivative, 12.5);
/// assert!((r.finite_difference - 12.0).abs() < 1e-6);
/// assert!((r.worst - 0.5 / 12.0).abs() < 1e-6); // relative to max(1, |fd|)
/// println!("{r}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// The worst error, relative to `max(1, |finite difference|)`.
    pub worst: f64,
    /// The component where it occurs.
    pub index: usize,
    /// The derivative checked, at that component.
    pub derivative: f64,
    /// The central finite difference there.
    pub finite_difference: f64,
}

impl Report {
    /// Panics with the report when the worst error exceeds `tolerance`.
    ///
    /// ```
    /// let r = ad_runtime::check::gradient(|x: &[f64]| x[0] * x[0], &[3.0], &[6.0]);
    /// r.assert_below(1e-6);
    /// ```
    #[track_caller]
    pub fn assert_below(&self, tolerance: f64) {
        assert!(
            self.worst <= tolerance,
            "derivative check failed: {self} (tolerance {tolerance:e})"
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "worst relative error {:.3e} at component {}: derivative {} against finite difference {}",
            self.worst, self.index, self.derivative, self.finite_difference
        )
    }
}

/// The step of a central difference at `x`: the cube root of the machine epsilon, scaled.
fn step(x: f64) -> f64 {
    Float::cbrt(f64::EPSILON) * Float::abs(x).max(1.0)
}

fn error(derivative: f64, fd: f64) -> f64 {
    if derivative.is_nan() != fd.is_nan() {
        return f64::INFINITY;
    }
    Float::abs(derivative - fd) / Float::abs(fd).max(1.0)
}

/// Checks a gradient `grad` of the scalar function `f` at `x`, component by component.
///
/// ```
/// let r = ad_runtime::check::gradient(|x: &[f64]| x[0].sin() * x[1], &[0.5, 2.0], &[2.0 * 0.5f64.cos(), 0.5f64.sin()]);
/// assert!(r.worst < 1e-8);
/// ```
pub fn gradient(f: impl Fn(&[f64]) -> f64, x: &[f64], grad: &[f64]) -> Report {
    assert_eq!(
        x.len(),
        grad.len(),
        "the gradient has one component per input"
    );
    let mut report = Report {
        worst: 0.0,
        index: 0,
        derivative: f64::NAN,
        finite_difference: f64::NAN,
    };
    let mut p = x.to_vec();
    for i in 0..x.len() {
        let h = step(x[i]);
        p[i] = x[i] + h;
        let up = f(&p);
        p[i] = x[i] - h;
        let down = f(&p);
        p[i] = x[i];
        let fd = (up - down) / (2.0 * h);
        let e = error(grad[i], fd);
        if e > report.worst || i == 0 {
            report = Report {
                worst: e,
                index: i,
                derivative: grad[i],
                finite_difference: fd,
            };
        }
    }
    report
}

/// Checks a directional derivative (a tangent, a Jacobian-vector product) of `f` at `x` along
/// `v`, output by output. `f` writes its outputs into its second argument.
///
/// ```
/// // f(x) = (x0 x1, x0 + x1), along v = (1, 2): J v = (x1 + 2 x0, 3).
/// let f = |x: &[f64], y: &mut [f64]| { y[0] = x[0] * x[1]; y[1] = x[0] + x[1]; };
/// let r = ad_runtime::check::tangent(f, &[2.0, 3.0], &[1.0, 2.0], &[3.0 + 4.0, 3.0]);
/// assert!(r.worst < 1e-8);
/// ```
pub fn tangent(f: impl Fn(&[f64], &mut [f64]), x: &[f64], v: &[f64], jv: &[f64]) -> Report {
    assert_eq!(
        x.len(),
        v.len(),
        "the direction has one component per input"
    );
    let h = x.iter().fold(0.0_f64, |m, xi| m.max(step(*xi)));
    let up: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + h * b).collect();
    let down: Vec<f64> = x.iter().zip(v).map(|(a, b)| a - h * b).collect();
    let (mut yu, mut yd) = (vec![0.0; jv.len()], vec![0.0; jv.len()]);
    f(&up, &mut yu);
    f(&down, &mut yd);
    let mut report = Report {
        worst: 0.0,
        index: 0,
        derivative: f64::NAN,
        finite_difference: f64::NAN,
    };
    for i in 0..jv.len() {
        let fd = (yu[i] - yd[i]) / (2.0 * h);
        let e = error(jv[i], fd);
        if e > report.worst || i == 0 {
            report = Report {
                worst: e,
                index: i,
                derivative: jv[i],
                finite_difference: fd,
            };
        }
    }
    report
}
