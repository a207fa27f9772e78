//! Straight-line functions through both macros, checked three ways:
//! (a) against a derivative worked out by hand (written explicitly for every function),
//! (b) against central finite differences,
//! (c) forward mode against reverse mode, to 1e-12 relative per component (SPEC §8).
//!
//! Between them the functions use every operator and every float method of SPEC §5, each
//! method in method form (`x.sin()`) and in path form (`f64::sin(x)`). The checking machinery
//! (`check`, `check_fn!`, the tolerances) is shared, in the `ad_tests` library.

use std::f64::consts::{LN_2, LN_10, PI};

use ad_runtime::{Float, derive_grad, derive_tangent};
use ad_tests::{
    At, F32_FD, F32_HAND, F32_MODES, Flat, HAND, MODES, Tol, check, check_f32, check_fn,
    check_jacobian, fd_f32, unit,
};

/// `1 / cos²(x)`.
fn sec2(x: f64) -> f64 {
    1.0 / (x.cos() * x.cos())
}

/// `1 / cosh²(x)`.
fn sech2(x: f64) -> f64 {
    1.0 / (x.cosh() * x.cosh())
}

// ---------------------------------------------------------------------------------------------
// Trigonometric and hyperbolic
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn trig(x: f64, y: f64) -> f64 {
    x.sin() * f64::cos(y) + (x * y).tan() - f64::sin(y) * x.cos() + f64::tan(x)
}

#[test]
fn trig_derivatives() {
    check_fn!(
        trig,
        trig_tangent,
        trig_vjp,
        trig_grad,
        [0, 1],
        &[[0.3, 0.7], [-0.5, 1.1], [1.2, -0.4]],
        |[x, y]| [
            x.cos() * y.cos() + y * sec2(x * y) + y.sin() * x.sin() + sec2(x),
            -x.sin() * y.sin() + x * sec2(x * y) - y.cos() * x.cos(),
        ]
    );
}

// The other order of the two attributes.
#[derive_grad]
#[derive_tangent]
fn inverse_trig(x: f64, y: f64) -> f64 {
    x.asin() + 2.0 * f64::acos(y) + (x * y).atan() - f64::atan(x) + y.acos() + f64::asin(0.5 * y)
}

#[test]
fn inverse_trig_derivatives() {
    check_fn!(
        inverse_trig,
        inverse_trig_tangent,
        inverse_trig_vjp,
        inverse_trig_grad,
        [0, 1],
        &[[0.3, 0.5], [-0.6, 0.2], [0.8, -0.7]],
        |[x, y]| {
            let q = 1.0 + x * x * y * y;
            [
                1.0 / (1.0 - x * x).sqrt() + y / q - 1.0 / (1.0 + x * x),
                -3.0 / (1.0 - y * y).sqrt() + x / q + 0.5 / (1.0 - 0.25 * y * y).sqrt(),
            ]
        }
    );
}

#[derive_tangent]
#[derive_grad]
fn hyperbolic(x: f64, y: f64) -> f64 {
    x.sinh() * y.cosh() + f64::tanh(x - y) + f64::sinh(y) - f64::cosh(x) * 0.5 + (x * y).tanh()
}

#[test]
fn hyperbolic_derivatives() {
    check_fn!(
        hyperbolic,
        hyperbolic_tangent,
        hyperbolic_vjp,
        hyperbolic_grad,
        [0, 1],
        &[[0.3, -0.2], [1.1, 0.6], [-0.8, 1.4]],
        |[x, y]| [
            x.cosh() * y.cosh() + sech2(x - y) - 0.5 * x.sinh() + y * sech2(x * y),
            x.sinh() * y.sinh() - sech2(x - y) + y.cosh() + x * sech2(x * y),
        ]
    );
}

#[derive_grad]
#[derive_tangent]
fn inverse_hyperbolic(x: f64, y: f64) -> f64 {
    2.0 * x.asinh() + y.acosh() + (x / y).atanh() - f64::asinh(y)
        + f64::atanh(0.5 * x)
        + f64::acosh(y + 1.0)
}

#[test]
fn inverse_hyperbolic_derivatives() {
    check_fn!(
        inverse_hyperbolic,
        inverse_hyperbolic_tangent,
        inverse_hyperbolic_vjp,
        inverse_hyperbolic_grad,
        [0, 1],
        &[[0.3, 1.5], [-0.7, 2.2], [0.9, 1.2]],
        |[x, y]| [
            2.0 / (1.0 + x * x).sqrt() + y / (y * y - x * x) + 0.5 / (1.0 - 0.25 * x * x),
            1.0 / (y * y - 1.0).sqrt() - x / (y * y - x * x) - 1.0 / (1.0 + y * y).sqrt()
                + 1.0 / ((y + 1.0) * (y + 1.0) - 1.0).sqrt(),
        ]
    );
}

#[derive_tangent]
#[derive_grad]
fn sin_cos_pairs(x: f64, y: f64) -> f64 {
    let (s, c) = x.sin_cos();
    let (sy, cy) = f64::sin_cos(x * y);
    s * c + sy * y - cy * cy
}

#[test]
fn sin_cos_derivatives() {
    check_fn!(
        sin_cos_pairs,
        sin_cos_pairs_tangent,
        sin_cos_pairs_vjp,
        sin_cos_pairs_grad,
        [0, 1],
        &[[0.4, 1.3], [-1.2, 0.5], [2.0, -0.8]],
        |[x, y]| {
            let (s, c) = (x.sin(), x.cos());
            let (sxy, cxy) = ((x * y).sin(), (x * y).cos());
            [
                c * c - s * s + y * y * cxy + 2.0 * y * sxy * cxy,
                sxy + x * y * cxy + 2.0 * x * sxy * cxy,
            ]
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Exponentials, logarithms, powers, roots
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn exponentials(x: f64, y: f64) -> f64 {
    x.exp() * f64::exp2(y) + (x * y).exp_m1() + f64::exp(-y) + y.exp2() - f64::exp_m1(x)
}

#[test]
fn exponentials_derivatives() {
    check_fn!(
        exponentials,
        exponentials_tangent,
        exponentials_vjp,
        exponentials_grad,
        [0, 1],
        &[[0.3, -0.4], [1e-3, 0.5], [-1.2, 0.9]],
        |[x, y]| [
            x.exp() * 2f64.powf(y) + y * (x * y).exp() - x.exp(),
            x.exp() * 2f64.powf(y) * LN_2 + x * (x * y).exp() - (-y).exp() + 2f64.powf(y) * LN_2,
        ]
    );
}

#[derive_grad]
#[derive_tangent]
fn logarithms(x: f64, y: f64) -> f64 {
    x.ln() + f64::log2(y) + (x * y).log10() + f64::ln(x + y) + y.log2() * x - f64::log10(x * x)
}

#[test]
fn logarithms_derivatives() {
    check_fn!(
        logarithms,
        logarithms_tangent,
        logarithms_vjp,
        logarithms_grad,
        [0, 1],
        &[[0.7, 1.3], [2.5, 0.4], [1.1, 3.0]],
        |[x, y]| [
            1.0 / x + 1.0 / (x * LN_10) + 1.0 / (x + y) + y.ln() / LN_2 - 2.0 / (x * LN_10),
            1.0 / (y * LN_2) + 1.0 / (y * LN_10) + 1.0 / (x + y) + x / (y * LN_2),
        ]
    );
}

#[derive_tangent]
#[derive_grad]
fn log_base(x: f64, y: f64) -> f64 {
    x.log(y) + f64::log(y, 3.0) + x.ln_1p() * y + f64::ln_1p(x * y)
}

#[test]
fn log_base_derivatives() {
    check_fn!(
        log_base,
        log_base_tangent,
        log_base_vjp,
        log_base_grad,
        [0, 1],
        &[[0.5, 2.5], [3.0, 0.4], [1.7, 5.0]],
        |[x, y]| [
            1.0 / (x * y.ln()) + y / (1.0 + x) + y / (1.0 + x * y),
            -x.ln() / (y * y.ln() * y.ln())
                + 1.0 / (y * 3f64.ln())
                + (1.0 + x).ln()
                + x / (1.0 + x * y),
        ]
    );
}

/// `n` is an `i32` parameter: a constant, passed through unchanged.
#[derive_tangent]
#[derive_grad]
fn powers(x: f64, y: f64, n: i32) -> f64 {
    x.powi(n) + f64::powi(y, -3) + x.powf(y) + f64::powf(y, 1.5) + x.sqrt() * 3.0 + f64::sqrt(x * y)
}

#[test]
fn powers_derivatives() {
    for n in [3, -2, 0, 1] {
        check(
            "powers",
            &[[0.8, 1.3], [2.1, 0.6], [1.4, 2.2]],
            |[x, y]| powers(x, y, n),
            |[x, y], [dx, dy]| powers_tangent(x, dx, y, dy, n),
            |[x, y], s| {
                let (v, (gx, gy)) = powers_vjp(x, y, n, s);
                (v, [gx, gy])
            },
            |[x, y]| {
                let (v, (gx, gy)) = powers_grad(x, y, n);
                (v, [gx, gy])
            },
            |[x, y]| {
                let nf = f64::from(n);
                [
                    nf * x.powf(nf - 1.0)
                        + y * x.powf(y - 1.0)
                        + 1.5 / x.sqrt()
                        + y / (2.0 * (x * y).sqrt()),
                    -3.0 / (y * y * y * y)
                        + x.powf(y) * x.ln()
                        + 1.5 * y.sqrt()
                        + x / (2.0 * (x * y).sqrt()),
                ]
            },
        );
    }
}

#[derive_tangent]
#[derive_grad]
fn roots_and_reciprocals(x: f64, y: f64) -> f64 {
    x.cbrt() + f64::cbrt(y) * x + x.recip() + f64::recip(x + y)
}

#[test]
fn roots_and_reciprocals_derivatives() {
    check_fn!(
        roots_and_reciprocals,
        roots_and_reciprocals_tangent,
        roots_and_reciprocals_vjp,
        roots_and_reciprocals_grad,
        [0, 1],
        &[[0.8, 2.0], [-1.5, 3.0], [2.7, -0.6]],
        |[x, y]| {
            // d/dx x^(1/3) = 1 / (3 x^(2/3)), also for negative x.
            let cx2 = x.cbrt() * x.cbrt();
            let cy2 = y.cbrt() * y.cbrt();
            let s2 = (x + y) * (x + y);
            [
                1.0 / (3.0 * cx2) + y.cbrt() - 1.0 / (x * x) - 1.0 / s2,
                x / (3.0 * cy2) - 1.0 / s2,
            ]
        }
    );
}

/// Crate-level constant and static (SPEC §5).
const SCALE: f64 = 1.5;
static OFFSET: f64 = 0.25;

/// Constants in every spelling, and one active parameter: `_grad` returns `(value, x_bar)`.
#[derive_grad]
#[derive_tangent]
fn constants(x: f64) -> f64 {
    PI * x.sin()
        + std::f64::consts::E.powf(x)
        + core::f64::consts::LN_2 * x
        + SCALE * x
        + 1e-3 * x * x
        + 2. * x
        + 2.0_f64 * OFFSET
}

#[test]
fn constants_derivatives() {
    check_fn!(
        constants,
        constants_tangent,
        constants_vjp,
        constants_grad,
        [0],
        &[[0.4], [-1.3], [2.2]],
        |[x]| [PI * x.cos() + std::f64::consts::E.powf(x) + LN_2 + 1.5 + 2e-3 * x + 2.0]
    );
}

/// A longer chain of compositions: (1 + sin x)^(x/2).
#[derive_tangent]
#[derive_grad]
fn chain(x: f64) -> f64 {
    ((x.sin() + 1.0).ln() * x * 0.5).exp()
}

#[test]
fn chain_derivatives() {
    check_fn!(
        chain,
        chain_tangent,
        chain_vjp,
        chain_grad,
        [0],
        &[[0.4], [1.3], [-0.5]],
        |[x]| {
            let base = 1.0 + x.sin();
            let f = base.powf(0.5 * x);
            [f * 0.5 * (base.ln() + x * x.cos() / base)]
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Piecewise operations: abs, signum, rounding, min / max / clamp, operators
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn abs_signum(x: f64, y: f64) -> f64 {
    x.abs() * y + f64::abs(y) + x.signum() * y * y + f64::signum(y) * x
}

#[test]
fn abs_signum_derivatives() {
    check_fn!(
        abs_signum,
        abs_signum_tangent,
        abs_signum_vjp,
        abs_signum_grad,
        [0, 1],
        &[[0.7, -1.3], [-2.0, 0.4], [-0.3, -0.9]],
        |[x, y]| {
            let (sx, sy) = (
                if x > 0.0 { 1.0 } else { -1.0 },
                if y > 0.0 { 1.0 } else { -1.0 },
            );
            // signum is piecewise constant: no derivative flows through it.
            [sx * y + sy, x.abs() + sy + 2.0 * sx * y]
        }
    );
}

#[derive_grad]
#[derive_tangent]
fn rounding(x: f64, y: f64) -> f64 {
    x.floor()
        + f64::ceil(y) * x
        + (x * y).round()
        + f64::trunc(y) * y
        + x.fract()
        + f64::fract(y) * x
        + f64::floor(y)
        + y.ceil()
        + x.trunc()
        + f64::round(x)
}

#[test]
fn rounding_derivatives() {
    check_fn!(
        rounding,
        rounding_tangent,
        rounding_vjp,
        rounding_grad,
        [0, 1],
        &[[1.3, 2.6], [-0.45, 1.7], [2.2, -1.4]],
        // floor, ceil, round, trunc have derivative 0, fract has derivative 1.
        |[x, y]| [y.ceil() + 1.0 + y.fract(), y.trunc() + x]
    );
}

#[derive_tangent]
#[derive_grad]
fn min_max_clamp(x: f64, y: f64, z: f64) -> f64 {
    x.max(y) * z + f64::min(x, z) + y.clamp(-1.0, 1.0) * x + f64::max(y, 0.5) - z.min(2.0)
        + f64::clamp(x * z, -3.0, 3.0)
}

#[test]
fn min_max_clamp_derivatives() {
    check_fn!(
        min_max_clamp,
        min_max_clamp_tangent,
        min_max_clamp_vjp,
        min_max_clamp_grad,
        [0, 1, 2],
        &[
            [0.3, 0.8, 1.5],
            [1.2, -0.4, 2.4],
            [-0.9, 1.6, -1.1],
            [2.0, 0.1, 1.8]
        ],
        |[x, y, z]| {
            let mut g = [0.0; 3];
            // max(x, y) * z
            g[2] += x.max(y);
            if x > y {
                g[0] += z
            } else {
                g[1] += z
            }
            // min(x, z)
            if x < z {
                g[0] += 1.0
            } else {
                g[2] += 1.0
            }
            // clamp(y, -1, 1) * x
            g[0] += y.clamp(-1.0, 1.0);
            if -1.0 < y && y < 1.0 {
                g[1] += x
            }
            // max(y, 0.5)
            if y > 0.5 {
                g[1] += 1.0
            }
            // -min(z, 2)
            if z < 2.0 {
                g[2] -= 1.0
            }
            // clamp(x z, -3, 3)
            if -3.0 < x * z && x * z < 3.0 {
                g[0] += z;
                g[2] += x;
            }
            g
        }
    );
}

/// `clamp` with active bounds, inside and outside the interval.
#[derive_grad]
#[derive_tangent]
fn clamp_active_bounds(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi) * hi + f64::clamp(lo * hi, x, 10.0)
}

#[test]
fn clamp_active_bounds_derivatives() {
    check_fn!(
        clamp_active_bounds,
        clamp_active_bounds_tangent,
        clamp_active_bounds_vjp,
        clamp_active_bounds_grad,
        [0, 1, 2],
        &[[0.5, -1.0, 2.0], [3.0, -1.0, 2.0], [-0.5, 0.4, 3.0]],
        |[x, lo, hi]| {
            // c1 = clamp(x, lo, hi): derivative 1 to whichever of x, lo, hi it returns.
            let c1 = x.clamp(lo, hi);
            let (c1_x, c1_lo, c1_hi) = if x < lo {
                (0.0, 1.0, 0.0)
            } else if x > hi {
                (0.0, 0.0, 1.0)
            } else {
                (1.0, 0.0, 0.0)
            };
            // c2 = clamp(lo hi, x, 10).
            let p = lo * hi;
            let (c2_x, c2_lo, c2_hi) = if p < x {
                (1.0, 0.0, 0.0)
            } else if p > 10.0 {
                (0.0, 0.0, 0.0)
            } else {
                (0.0, hi, lo)
            };
            [
                hi * c1_x + c2_x,
                hi * c1_lo + c2_lo,
                hi * c1_hi + c1 + c2_hi,
            ]
        }
    );
}

#[derive_tangent]
#[derive_grad]
fn fused(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c) + f64::mul_add(c, c, a) * b
}

#[test]
fn fused_derivatives() {
    check_fn!(
        fused,
        fused_tangent,
        fused_vjp,
        fused_grad,
        [0, 1, 2],
        &[[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [-2.0, 1.1, 0.4]],
        |[a, b, c]| [2.0 * b, 2.0 * a + c * c, 1.0 + 2.0 * c * b]
    );
}

#[derive_tangent]
#[derive_grad]
fn hypot_atan2(x: f64, y: f64) -> f64 {
    x.hypot(y) + f64::atan2(y, x) * x.hypot(1.0) + f64::hypot(x, 2.0 * y) + y.atan2(x + 1.0)
}

#[test]
fn hypot_atan2_derivatives() {
    check_fn!(
        hypot_atan2,
        hypot_atan2_tangent,
        hypot_atan2_vjp,
        hypot_atan2_grad,
        [0, 1],
        &[[1.0, 0.5], [-0.7, 1.2], [0.4, -2.0]],
        |[x, y]| {
            let r2 = x * x + y * y;
            let r = r2.sqrt();
            let theta = y.atan2(x);
            let s = (x * x + 1.0).sqrt();
            let h = (x * x + 4.0 * y * y).sqrt();
            let q = (x + 1.0) * (x + 1.0) + y * y;
            [
                x / r - y / r2 * s + theta * x / s + x / h - y / q,
                y / r + x / r2 * s + 4.0 * y / h + (x + 1.0) / q,
            ]
        }
    );
}

#[derive_tangent]
#[derive_grad]
fn angles(x: f64, y: f64) -> f64 {
    x.to_degrees() * y.to_radians() + f64::to_degrees(y) - f64::to_radians(x * x)
}

#[test]
fn angles_derivatives() {
    let deg = 180.0 / PI;
    let rad = PI / 180.0;
    check_fn!(
        angles,
        angles_tangent,
        angles_vjp,
        angles_grad,
        [0, 1],
        &[[0.3, 1.2], [-2.0, 0.5], [1.7, -0.9]],
        |[x, y]| [deg * rad * y - 2.0 * rad * x, deg * rad * x + deg]
    );
}

/// Every operator: `+ - * / %` and unary `-` (also on a parenthesised expression).
#[derive_grad]
#[derive_tangent]
fn operators(x: f64, y: f64) -> f64 {
    -x + y * x - x / y + (x % y) * 2.0 + (y % 0.75) * x - -(y - x)
}

#[test]
fn operators_derivatives() {
    check_fn!(
        operators,
        operators_tangent,
        operators_vjp,
        operators_grad,
        [0, 1],
        &[[5.3, 1.7], [-4.1, 1.6], [2.5, -0.8]],
        |[x, y]| {
            // a % b = a - trunc(a / b) b: partials 1 and -trunc(a / b).
            let q = (x / y).trunc();
            [
                -1.0 + y - 1.0 / y + 2.0 + y % 0.75 - 1.0,
                x + x / (y * y) - 2.0 * q + x + 1.0,
            ]
        }
    );
}

/// Non-differentiable points (SPEC §8): both modes must follow the same documented convention
/// (the table in `ad_runtime::rules`): `abs` has partial 0 at 0; `max` / `min` give ½ to each
/// argument at a tie; `clamp` gives 1 to `x` at either bound; `floor` and `signum` have partial
/// 0 and `fract` partial 1 at their jumps; `hypot` and `atan2` have partials (0, 0) at the
/// origin. Finite differences do not apply at these points.
#[derive_tangent]
#[derive_grad]
fn kinks(x: f64, y: f64) -> f64 {
    x.abs()
        + 2.0 * x.max(y)
        + 3.0 * f64::min(x, y)
        + 5.0 * x.clamp(-1.0, 1.0)
        + x.floor() * y
        + x.fract()
        + f64::signum(x)
        + x.hypot(y)
        + y.atan2(x)
}

#[test]
fn non_differentiable_points_follow_the_convention_in_both_modes() {
    let r2 = std::f64::consts::FRAC_1_SQRT_2;
    let r5 = 1.0 / 5f64.sqrt();
    let cases = [
        // At the origin: abs, max/min tie, clamp inside, floor(0) = 0, hypot/atan2 at the origin.
        ([0.0, 0.0], [0.0 + 1.0 + 1.5 + 5.0 + 1.0, 1.0 + 1.5]),
        // x == y == 1: max/min tie, clamp at its upper bound, floor jump at 1.
        (
            [1.0, 1.0],
            [
                1.0 + 1.0 + 1.5 + 5.0 + 1.0 + r2 - 0.5,
                1.0 + 1.5 + 1.0 + r2 + 0.5,
            ],
        ),
        // x == -1: clamp at its lower bound, floor jump at -1; max = y, min = x.
        (
            [-1.0, 2.0],
            [
                -1.0 + 3.0 + 5.0 + 1.0 - r5 - 0.4,
                2.0 - 1.0 + 2.0 * r5 - 0.2,
            ],
        ),
    ];
    for ([x, y], want) in cases {
        let p = [x, y];
        let at = At("kinks", &p);
        let (value, g) = kinks_grad(x, y);
        assert_eq!(value, kinks(x, y));
        let g = g.flat();
        for (i, want_i) in want.into_iter().enumerate() {
            let e: [f64; 2] = unit(i);
            let (v, t) = kinks_tangent(x, e[0], y, e[1]);
            assert_eq!(v, value);
            at.close("_tangent vs convention", i, t, want_i, HAND);
            at.close("_grad vs convention", i, g[i], want_i, HAND);
            at.close("forward vs reverse", i, t, g[i], MODES);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Statements: reassignment, compound assignment, shadowing, blocks, patterns
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
#[allow(clippy::assign_op_pattern)] // written out on purpose: this is what is under test
fn assignments(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    s += x;
    s *= y;
    s -= 1.0;
    s /= x;
    let s = s * s;
    let mut t = s;
    t = t + y;
    t = t * x;
    t
}

#[test]
fn assignments_derivatives() {
    check_fn!(
        assignments,
        assignments_tangent,
        assignments_vjp,
        assignments_grad,
        [0, 1],
        &[[0.7, 1.3], [-1.4, 0.5], [2.0, -0.8]],
        // s = (x y² + x y - 1) / x = y² + y - 1/x =: g,  f = (g² + y) x.
        |[x, y]| {
            let g = y * y + y - 1.0 / x;
            [g * g + 2.0 * g / x + y, 2.0 * x * g * (2.0 * y + 1.0) + x]
        }
    );
}

/// Compound assignment with an active right-hand side, and shadowing by a block.
#[derive_grad]
#[derive_tangent]
#[allow(clippy::let_and_return)] // written out on purpose: this is what is under test
fn compound_active(x: f64, y: f64) -> f64 {
    let mut a = x;
    a += y.sin();
    a -= x * y;
    a *= y.exp();
    a /= x + 2.0;
    let a = {
        let b = a * a;
        b + a
    };
    a
}

#[test]
fn compound_active_derivatives() {
    check_fn!(
        compound_active,
        compound_active_tangent,
        compound_active_vjp,
        compound_active_grad,
        [0, 1],
        &[[0.5, 0.3], [-1.2, 1.1], [1.5, -0.6]],
        |[x, y]| {
            // a = (x + sin y - x y) e^y / (x + 2);  f = a² + a.
            let u = x + y.sin() - x * y;
            let a = u * y.exp() / (x + 2.0);
            let a_x = (1.0 - y) * y.exp() / (x + 2.0) - u * y.exp() / ((x + 2.0) * (x + 2.0));
            let a_y = (y.cos() - x + u) * y.exp() / (x + 2.0);
            [(2.0 * a + 1.0) * a_x, (2.0 * a + 1.0) * a_y]
        }
    );
}

#[derive_tangent]
#[derive_grad]
fn blocks_and_patterns(x: f64, y: f64, z: f64) -> f64 {
    let (a, b) = (x * y, y + z);
    let [c, d, e] = [a.sin(), b * b, z];
    let w = {
        let u = c + d;
        u * e
    };
    let (p, q) = (w * x, 2.0);
    p + q
}

#[test]
fn blocks_and_patterns_derivatives() {
    check_fn!(
        blocks_and_patterns,
        blocks_and_patterns_tangent,
        blocks_and_patterns_vjp,
        blocks_and_patterns_grad,
        [0, 1, 2],
        &[[0.5, 1.2, -0.3], [-1.1, 0.4, 0.9], [0.8, -0.6, 1.7]],
        // f = (sin(x y) + (y + z)²) z x + 2
        |[x, y, z]| {
            let u = (x * y).sin() + (y + z) * (y + z);
            [
                y * (x * y).cos() * z * x + u * z,
                (x * (x * y).cos() + 2.0 * (y + z)) * z * x,
                2.0 * (y + z) * z * x + u * x,
            ]
        }
    );
}

/// Typed lets, nested and wildcard patterns.
#[derive_grad]
#[derive_tangent]
fn nested_patterns(x: f64, y: f64) -> f64 {
    let a: f64 = x * y;
    let (p, (q, _)) = (a, (x + y, 3.0));
    let [r, _, t] = [p * q, a, y];
    r - t
}

#[test]
fn nested_patterns_derivatives() {
    check_fn!(
        nested_patterns,
        nested_patterns_tangent,
        nested_patterns_vjp,
        nested_patterns_grad,
        [0, 1],
        &[[0.5, 1.5], [-2.0, 0.3], [1.1, -0.7]],
        // f = x y (x + y) - y
        |[x, y]| [2.0 * x * y + y * y, x * x + 2.0 * x * y - 1.0]
    );
}

// ---------------------------------------------------------------------------------------------
// Activity: wrt(..) and constant parameters
// ---------------------------------------------------------------------------------------------

#[derive_tangent(wrt(x, z))]
#[derive_grad(wrt(x, z))]
fn selected(x: f64, y: f64, z: f64) -> f64 {
    x * y.sin() + z.exp() * y - x * z
}

#[test]
fn wrt_two_of_three() {
    for y in [0.4, -1.3] {
        check(
            "selected",
            &[[0.5, 1.5], [-2.0, 0.3], [1.1, -0.7]],
            |[x, z]| selected(x, y, z),
            |[x, z], [dx, dz]| selected_tangent(x, dx, y, z, dz),
            |[x, z], s| {
                let (v, (gx, gz)) = selected_vjp(x, y, z, s);
                (v, [gx, gz])
            },
            |[x, z]| {
                let (v, (gx, gz)) = selected_grad(x, y, z);
                (v, [gx, gz])
            },
            |[x, z]| [y.sin() - z, z.exp() * y - x],
        );
    }
}

#[derive_grad(wrt(y))]
#[derive_tangent(wrt(y))]
fn only_y(x: f64, y: f64) -> f64 {
    (x * y).sin() / y
}

#[test]
fn wrt_one() {
    for x in [0.7, -2.1] {
        check(
            "only_y",
            &[[0.5], [1.9], [-0.8]],
            |[y]| only_y(x, y),
            |[y], [dy]| only_y_tangent(x, y, dy),
            |[y], s| {
                // One active parameter: the adjoint is returned bare, not in a tuple.
                let (v, gy): (f64, f64) = only_y_vjp(x, y, s);
                (v, [gy])
            },
            |[y]| {
                let (v, gy): (f64, f64) = only_y_grad(x, y);
                (v, [gy])
            },
            |[y]| [x * (x * y).cos() / y - (x * y).sin() / (y * y)],
        );
    }
}

/// `usize`, `i32` and `bool` parameters are constants; casting them to a float gives a constant.
#[derive_tangent]
#[derive_grad]
fn constant_params(x: f64, y: f64, n: usize, k: i32, flag: bool) -> f64 {
    let m = n as f64;
    let b = flag as u8 as f64;
    m * x.powi(k) + (k as f64) * y + b * x * y
}

#[test]
fn constant_params_derivatives() {
    for (n, k, flag) in [(3, 2, true), (1, -1, false), (4, 5, true)] {
        check(
            "constant_params",
            &[[0.5, 1.5], [-2.0, 0.3], [1.1, -0.7]],
            |[x, y]| constant_params(x, y, n, k, flag),
            |[x, y], [dx, dy]| constant_params_tangent(x, dx, y, dy, n, k, flag),
            |[x, y], s| {
                let (v, (gx, gy)) = constant_params_vjp(x, y, n, k, flag, s);
                (v, [gx, gy])
            },
            |[x, y]| {
                let (v, (gx, gy)) = constant_params_grad(x, y, n, k, flag);
                (v, [gx, gy])
            },
            |[x, y]| {
                let (m, kf, b) = (n as f64, f64::from(k), if flag { 1.0 } else { 0.0 });
                [m * kf * x.powi(k - 1) + b * y, kf + b * x]
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Single precision, mixed precision, generic floats
// ---------------------------------------------------------------------------------------------

/// `f32` derivatives against `f64` central differences with a step of 1e-2.
const F32_FD_STEP: Tol = Tol {
    rel: 1e-3,
    abs: 1e-3,
};
/// An `f32` adjoint against the `f64` derivative it is the rounding of.
const F32_ROUNDED: Tol = Tol {
    rel: 1e-7,
    abs: 0.0,
};

#[derive_tangent]
#[derive_grad]
fn single_precision(x: f32, y: f32) -> f32 {
    x.sin() * y + f32::sqrt(x * x + y * y) + x.powi(-2) - std::f32::consts::PI * y
}

#[test]
fn single_precision_derivatives() {
    check_f32(
        "single_precision",
        &[[0.7, 1.2], [-1.3, 0.4], [2.0, -0.9]],
        |[x, y]| single_precision(x, y),
        |[x, y], [dx, dy]| single_precision_tangent(x, dx, y, dy),
        |[x, y], s| {
            let (v, (gx, gy)) = single_precision_vjp(x, y, s);
            (v, [gx, gy])
        },
        |[x, y]| {
            let (v, (gx, gy)) = single_precision_grad(x, y);
            (v, [gx, gy])
        },
        |[x, y]| {
            let r = (x * x + y * y).sqrt();
            [
                x.cos() * y + x / r - 2.0 / (x * x * x),
                x.sin() + y / r - PI,
            ]
        },
    );
}

/// An `f32` input of an `f64` computation gets an `f32` adjoint and tangent (SPEC §4).
#[derive_grad]
#[derive_tangent]
fn mixed_precision(x: f32, y: f64) -> f64 {
    let wide = x as f64;
    let narrow = y as f32 * x;
    wide * y.exp() + narrow as f64
}

#[test]
fn mixed_precision_derivatives() {
    for (x, y) in [(0.7f32, 1.2f64), (-1.3, 0.4), (2.0, -0.9)] {
        let xf = f64::from(x);
        // f = x e^y + x y (up to the f32 rounding of y and of the product).
        let (fx, fy) = (y.exp() + y, xf * y.exp() + xf);
        let value = mixed_precision(x, y);
        let p = [xf, y];
        let at = At("mixed_precision", &p);

        let (v1, t_x): (f64, f64) = mixed_precision_tangent(x, 1.0f32, y, 0.0f64);
        let (v2, t_y): (f64, f64) = mixed_precision_tangent(x, 0.0f32, y, 1.0f64);
        let (v3, (g_x, g_y)): (f64, (f32, f64)) = mixed_precision_grad(x, y);
        let (v4, (b_x, b_y)): (f64, (f32, f64)) = mixed_precision_vjp(x, y, 2.0);
        for v in [v1, v2, v3, v4] {
            assert_eq!(v, value);
        }
        at.close("tangent x vs hand", 0, t_x, fx, F32_HAND);
        at.close("tangent y vs hand", 1, t_y, fy, F32_HAND);
        at.close("grad x vs hand", 0, f64::from(g_x), fx, F32_HAND);
        at.close("grad y vs hand", 1, g_y, fy, F32_HAND);
        // The f32 adjoint is the f64 adjoint rounded to f32.
        at.close("forward vs reverse", 0, f64::from(g_x), t_x, F32_ROUNDED);
        at.close("forward vs reverse", 1, g_y, t_y, MODES);
        at.close(
            "vjp x",
            0,
            f64::from(b_x),
            2.0 * f64::from(g_x),
            F32_ROUNDED,
        );
        at.close("vjp y", 1, b_y, 2.0 * g_y, MODES);
        // Finite differences with an f32-sized step (y is rounded to f32 inside).
        let h = 1e-2;
        let fd_x =
            (mixed_precision(x + h, y) - mixed_precision(x - h, y)) / f64::from((x + h) - (x - h));
        let fd_y = (mixed_precision(x, y + 1e-2) - mixed_precision(x, y - 1e-2)) / 2e-2;
        at.close("grad x vs fd", 0, f64::from(g_x), fd_x, F32_FD_STEP);
        at.close("grad y vs fd", 1, g_y, fd_y, F32_FD_STEP);
    }
}

/// Generic over `T: Float`, literals through `T::from(..).unwrap()`, `T::one()`, `T::zero()`.
#[derive_tangent]
#[derive_grad]
fn generic_float<T: Float>(x: T, y: T) -> T {
    let two = T::from(2.0).unwrap();
    let half = T::one() / two;
    two * x.sin() * y + T::cos(x * y) + T::one() + x.powi(3) + T::exp(y) * half - T::zero() * x
}

/// The same with an extra bound: bounds carry over to the generated functions.
#[derive_grad]
#[derive_tangent]
fn generic_float_add_assign<T: Float + std::ops::AddAssign>(x: T, y: T) -> T {
    let two = T::from(2.0).unwrap();
    let half = T::one() / two;
    two * x.sin() * y + T::cos(x * y) + T::one() + x.powi(3) + T::exp(y) * half - T::zero() * x
}

/// By hand: f = 2 y sin x + cos(x y) + 1 + x³ + e^y / 2.
fn generic_float_by_hand([x, y]: [f64; 2]) -> [f64; 2] {
    [
        2.0 * y * x.cos() - y * (x * y).sin() + 3.0 * x * x,
        2.0 * x.sin() - x * (x * y).sin() + 0.5 * y.exp(),
    ]
}

const GENERIC_POINTS: [[f64; 2]; 3] = [[0.3, 0.8], [-1.4, 0.2], [2.1, -0.5]];

#[test]
fn generic_float_at_f64() {
    check(
        "generic_float_add_assign::<f64>",
        &GENERIC_POINTS,
        |[x, y]| generic_float_add_assign::<f64>(x, y),
        |[x, y], [dx, dy]| generic_float_add_assign_tangent::<f64>(x, dx, y, dy),
        |[x, y], s| {
            let (v, (gx, gy)) = generic_float_add_assign_vjp::<f64>(x, y, s);
            (v, [gx, gy])
        },
        |[x, y]| {
            let (v, (gx, gy)) = generic_float_add_assign_grad::<f64>(x, y);
            (v, [gx, gy])
        },
        generic_float_by_hand,
    );
    // The `T: Float` version in forward mode: against the hand derivative, finite differences,
    // and its own reverse mode.
    for p in GENERIC_POINTS {
        let [x, y] = p;
        let by_hand = generic_float_by_hand(p);
        let fd = ad_tests::fd_gradient(|q: &[f64]| generic_float::<f64>(q[0], q[1]), &p);
        let (_, reverse) = generic_float_grad::<f64>(x, y);
        let reverse = reverse.flat();
        let at = At("generic_float::<f64>", &p);
        for i in 0..2 {
            let e: [f64; 2] = unit(i);
            let (v, t) = generic_float_tangent::<f64>(x, e[0], y, e[1]);
            assert_eq!(v, generic_float::<f64>(x, y));
            at.close("_tangent vs hand", i, t, by_hand[i], HAND);
            at.close("_tangent vs finite differences", i, t, fd[i], Tol::fd(1.0));
            at.close("forward vs reverse", i, t, reverse[i], MODES);
        }
    }
}

#[test]
fn generic_float_at_f32() {
    let points = GENERIC_POINTS.map(|p| p.map(|c| c as f32));
    check_f32(
        "generic_float_add_assign::<f32>",
        &points,
        |[x, y]| generic_float_add_assign::<f32>(x, y),
        |[x, y], [dx, dy]| generic_float_add_assign_tangent::<f32>(x, dx, y, dy),
        |[x, y], s| {
            let (v, (gx, gy)) = generic_float_add_assign_vjp::<f32>(x, y, s);
            (v, [gx, gy])
        },
        |[x, y]| {
            let (v, (gx, gy)) = generic_float_add_assign_grad::<f32>(x, y);
            (v, [gx, gy])
        },
        generic_float_by_hand,
    );
    for p in points {
        let [x, y] = p;
        let p64 = p.map(f64::from);
        let by_hand = generic_float_by_hand(p64);
        let (_, (gx, gy)) = generic_float_add_assign_grad::<f32>(x, y);
        let at = At("generic_float::<f32>", &p64);
        for (i, (e, g)) in [([1.0, 0.0], gx), ([0.0, 1.0], gy)].into_iter().enumerate() {
            let (v, t) = generic_float_tangent::<f32>(x, e[0], y, e[1]);
            assert_eq!(v, generic_float::<f32>(x, y));
            let fd = fd_f32(|[a, b]| generic_float::<f32>(a, b), p, i);
            let (t, g) = (f64::from(t), f64::from(g));
            at.close("f32 _tangent vs hand", i, t, by_hand[i], F32_HAND);
            at.close("f32 _tangent vs finite differences", i, t, fd, F32_FD);
            at.close("f32 forward vs reverse", i, t, g, F32_MODES);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Vector outputs: a tuple and an array literal
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn tuple_output(x: f64, y: f64) -> (f64, f64) {
    let a = x * y + y.sin();
    (a, x / y)
}

#[test]
fn tuple_output_jacobian() {
    check_jacobian(
        "tuple_output",
        &[[0.5, 1.5], [-2.0, 0.3], [1.1, -0.7]],
        |[x, y]| {
            let (a, b) = tuple_output(x, y);
            [a, b]
        },
        |[x, y], [dx, dy]| {
            let ((a, b), (da, db)) = tuple_output_tangent(x, dx, y, dy);
            ([a, b], [da, db])
        },
        |[x, y], [s0, s1]| {
            let ((a, b), (gx, gy)) = tuple_output_vjp(x, y, (s0, s1));
            ([a, b], [gx, gy])
        },
        |[x, y]| [[y, x + y.cos()], [1.0 / y, -x / (y * y)]],
    );
}

#[derive_grad]
#[derive_tangent]
fn array_output(x: f64, y: f64, z: f64) -> [f64; 3] {
    [x * y * z, x.exp() - z, (y * z).cos()]
}

#[test]
fn array_output_jacobian() {
    check_jacobian(
        "array_output",
        &[[0.5, 1.5, -0.4], [-2.0, 0.3, 1.2], [1.1, -0.7, 0.9]],
        |[x, y, z]| array_output(x, y, z),
        |[x, y, z], [dx, dy, dz]| array_output_tangent(x, dx, y, dy, z, dz),
        |[x, y, z], seed| {
            let (v, (gx, gy, gz)) = array_output_vjp(x, y, z, seed);
            (v, [gx, gy, gz])
        },
        |[x, y, z]| {
            let s = (y * z).sin();
            [
                [y * z, x * z, x * y],
                [x.exp(), 0.0, -1.0],
                [0.0, -z * s, -y * s],
            ]
        },
    );
}
