//! The runtime rules checked against central finite differences of the primal operations, and
//! against the exact values documented for the non-differentiable points.

use ad_runtime::rules::*;
use approx::relative_eq;

/// A unary rule at `f64`.
type Unary = fn(f64, f64) -> f64;
/// A binary rule at `f64`.
type Binary = fn(f64, f64, f64) -> (f64, f64);
/// A ternary rule at `f64`.
type Ternary = fn(f64, f64, f64, f64) -> (f64, f64, f64);

/// Central finite difference of `f` at `x`, with a step scaled to `|x|`.
fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// Relative tolerance 1e-6, absolute 1e-7 near zero.
#[track_caller]
fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        relative_eq!(got, want, epsilon = 1e-7, max_relative = 1e-6),
        "{what}: rule gave {got}, finite difference {want}"
    );
}

/// Checks a unary rule against the finite difference of `f` at every point.
#[track_caller]
fn check_unary(name: &str, f: fn(f64) -> f64, rule: Unary, points: &[f64]) {
    assert!(points.len() >= 4);
    for &x in points {
        let y = f(x);
        assert_close(rule(x, y), fd(f, x), &format!("{name}'({x})"));
    }
}

/// Checks both partials of a binary rule against finite differences in each argument.
#[track_caller]
fn check_binary(name: &str, f: fn(f64, f64) -> f64, rule: Binary, points: &[(f64, f64)]) {
    assert!(points.len() >= 4);
    for &(a, b) in points {
        let (da, db) = rule(a, b, f(a, b));
        assert_close(da, fd(|t| f(t, b), a), &format!("d{name}/da at ({a}, {b})"));
        assert_close(db, fd(|t| f(a, t), b), &format!("d{name}/db at ({a}, {b})"));
    }
}

/// Checks the three partials of a ternary rule against finite differences in each argument.
#[track_caller]
fn check_ternary(
    name: &str,
    f: fn(f64, f64, f64) -> f64,
    rule: Ternary,
    points: &[(f64, f64, f64)],
) {
    assert!(points.len() >= 4);
    for &(a, b, c) in points {
        let (da, db, dc) = rule(a, b, c, f(a, b, c));
        let at = format!("at ({a}, {b}, {c})");
        assert_close(da, fd(|t| f(t, b, c), a), &format!("d{name}/d0 {at}"));
        assert_close(db, fd(|t| f(a, t, c), b), &format!("d{name}/d1 {at}"));
        assert_close(dc, fd(|t| f(a, b, t), c), &format!("d{name}/d2 {at}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Finite differences, unary rules.

#[test]
fn fd_trigonometric() {
    let pts = [-2.0, -0.3, 0.5, 1.7, 10.0];
    check_unary("sin", f64::sin, sin_partial, &pts);
    check_unary("cos", f64::cos, cos_partial, &pts);
    check_unary(
        "tan",
        f64::tan,
        tan_partial,
        &[-1.2, -0.4, 0.0, 0.3, 1.0, 1.4],
    );
}

#[test]
fn fd_inverse_trigonometric() {
    let pts = [-0.9, -0.5, 0.0, 0.3, 0.8];
    check_unary("asin", f64::asin, asin_partial, &pts);
    check_unary("acos", f64::acos, acos_partial, &pts);
    check_unary(
        "atan",
        f64::atan,
        atan_partial,
        &[-5.0, -1.0, 0.0, 0.5, 3.0, 1e4],
    );
}

#[test]
fn fd_hyperbolic() {
    let pts = [-3.0, -0.5, 0.2, 1.0, 4.0];
    check_unary("sinh", f64::sinh, sinh_partial, &pts);
    check_unary("cosh", f64::cosh, cosh_partial, &pts);
    check_unary("tanh", f64::tanh, tanh_partial, &pts);
}

#[test]
fn fd_inverse_hyperbolic() {
    check_unary(
        "asinh",
        f64::asinh,
        asinh_partial,
        &[-10.0, -1.0, 0.0, 0.5, 3.0, 1e6],
    );
    check_unary(
        "acosh",
        f64::acosh,
        acosh_partial,
        &[1.1, 1.5, 3.0, 10.0, 1e3],
    );
    check_unary(
        "atanh",
        f64::atanh,
        atanh_partial,
        &[-0.9, -0.3, 0.0, 0.4, 0.95],
    );
}

#[test]
fn fd_exponentials() {
    let pts = [-3.0, -0.5, 0.0, 1.0, 5.0];
    check_unary("exp", f64::exp, exp_partial, &pts);
    check_unary("exp2", f64::exp2, exp2_partial, &pts);
    check_unary("exp_m1", f64::exp_m1, exp_m1_partial, &pts);
}

#[test]
fn fd_logarithms() {
    let pts = [0.01, 0.5, 1.0, 3.0, 1e3];
    check_unary("ln", f64::ln, ln_partial, &pts);
    check_unary("log2", f64::log2, log2_partial, &pts);
    check_unary("log10", f64::log10, log10_partial, &pts);
    check_unary(
        "ln_1p",
        f64::ln_1p,
        ln_1p_partial,
        &[-0.9, -0.2, 0.0, 1.0, 100.0],
    );
}

#[test]
fn fd_roots() {
    check_unary(
        "sqrt",
        f64::sqrt,
        sqrt_partial,
        &[0.01, 0.5, 2.0, 100.0, 1e6],
    );
    check_unary(
        "cbrt",
        f64::cbrt,
        cbrt_partial,
        &[-8.0, -0.3, 0.2, 2.0, 1e3],
    );
}

#[test]
fn fd_abs_recip_angles() {
    check_unary("abs", f64::abs, abs_partial, &[-3.0, -0.5, 0.2, 4.0]);
    check_unary(
        "recip",
        f64::recip,
        recip_partial,
        &[-4.0, -0.5, 0.3, 2.0, 100.0],
    );
    let pts = [-100.0, -1.0, 0.0, 2.5, 1e3];
    check_unary("to_degrees", f64::to_degrees, to_degrees_partial, &pts);
    check_unary("to_radians", f64::to_radians, to_radians_partial, &pts);
}

#[test]
fn fd_powi() {
    for n in [-3, -1, 0, 1, 2, 3, 5] {
        for x in [-2.0_f64, -0.5, 0.7, 1.5] {
            let y = x.powi(n);
            assert_close(
                powi_partial(x, n, y),
                fd(|t| t.powi(n), x),
                &format!("powi'({x}, {n})"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Finite differences, binary and ternary rules.

#[test]
fn fd_div() {
    let pts = [(1.0, 2.0), (-3.0, 0.5), (0.2, -4.0), (7.0, 3.0), (0.0, 1.5)];
    check_binary("div", |a, b| a / b, div_partials, &pts);
}

#[test]
fn fd_rem() {
    // Away from the jumps: a / b is not close to an integer.
    let pts = [
        (7.3, 2.0),
        (-7.3, 2.0),
        (5.5, -1.5),
        (0.4, 3.0),
        (10.25, 0.75),
    ];
    check_binary("rem", |a, b| a % b, rem_partials, &pts);
}

#[test]
fn fd_atan2() {
    let pts = [
        (1.0, 1.0),
        (-2.0, 0.5),
        (0.3, -4.0),
        (-1.0, -1.0),
        (5.0, 0.1),
    ];
    check_binary("atan2", f64::atan2, atan2_partials, &pts);
}

#[test]
fn fd_powf() {
    let pts = [
        (2.0, 3.0),
        (0.5, -1.5),
        (3.0, 0.25),
        (1.5, 2.5),
        (10.0, 0.1),
    ];
    check_binary("powf", f64::powf, powf_partials, &pts);
}

#[test]
fn fd_hypot() {
    let pts = [
        (3.0, 4.0),
        (-1.0, 2.0),
        (0.5, -0.5),
        (1e3, 1.0),
        (-2.0, -7.0),
    ];
    check_binary("hypot", f64::hypot, hypot_partials, &pts);
}

#[test]
fn fd_log() {
    let pts = [
        (2.0, 3.0),
        (10.0, 2.0),
        (0.5, 10.0),
        (100.0, 0.5),
        (3.0, 1.5),
    ];
    check_binary("log", f64::log, log_partials, &pts);
}

#[test]
fn fd_max_min() {
    let pts = [
        (1.0, 2.0),
        (3.0, -1.0),
        (-2.0, -5.0),
        (0.5, 0.25),
        (-0.1, 0.1),
    ];
    check_binary("max", f64::max, max_partials, &pts);
    check_binary("min", f64::min, min_partials, &pts);
}

#[test]
fn fd_mul_add() {
    let pts = [
        (2.0, 3.0, 4.0),
        (-1.0, 0.5, 2.0),
        (0.3, -7.0, 1.0),
        (5.0, 5.0, -5.0),
    ];
    check_ternary("mul_add", f64::mul_add, mul_add_partials, &pts);
}

#[test]
fn fd_clamp() {
    let pts = [
        (0.5, 0.0, 1.0),  // inside
        (-2.0, 0.0, 1.0), // below
        (3.0, 0.0, 1.0),  // above
        (0.2, -1.0, 0.5), // inside
        (-7.0, -3.0, 4.0),
        (9.0, -3.0, 4.0),
    ];
    check_ternary("clamp", f64::clamp, clamp_partials, &pts);
}

// ---------------------------------------------------------------------------------------------
// Exact values at the documented conventions.

#[test]
fn abs_at_zero_and_nan() {
    assert_eq!(abs_partial(0.0, 0.0), 0.0);
    assert_eq!(abs_partial(-0.0, 0.0), 0.0);
    assert!(abs_partial(f64::NAN, f64::NAN).is_nan());
    assert_eq!(abs_partial(f64::INFINITY, f64::INFINITY), 1.0);
    assert_eq!(abs_partial(f64::NEG_INFINITY, f64::INFINITY), -1.0);
}

#[test]
fn max_min_ties() {
    assert_eq!(max_partials(2.0, 2.0, 2.0), (0.5, 0.5));
    assert_eq!(min_partials(2.0, 2.0, 2.0), (0.5, 0.5));
    // +0 and -0 compare equal: a tie.
    assert_eq!(max_partials(0.0, -0.0, 0.0), (0.5, 0.5));
    assert_eq!(min_partials(-0.0, 0.0, -0.0), (0.5, 0.5));
    assert_eq!(
        max_partials(f64::INFINITY, f64::INFINITY, f64::INFINITY),
        (0.5, 0.5)
    );
}

#[test]
fn max_min_nan() {
    let nan = f64::NAN;
    // Rust returns the non-NaN argument; it gets the whole derivative.
    assert_eq!(nan.max(1.0), 1.0);
    assert_eq!(max_partials(nan, 1.0, 1.0), (0.0, 1.0));
    assert_eq!(max_partials(1.0, nan, 1.0), (1.0, 0.0));
    assert_eq!(nan.min(1.0), 1.0);
    assert_eq!(min_partials(nan, 1.0, 1.0), (0.0, 1.0));
    assert_eq!(min_partials(1.0, nan, 1.0), (1.0, 0.0));
    let (a, b) = max_partials(nan, nan, nan);
    assert!(a.is_nan() && b.is_nan());
    let (a, b) = min_partials(nan, nan, nan);
    assert!(a.is_nan() && b.is_nan());
}

#[test]
fn clamp_at_bounds_and_nan() {
    assert_eq!(clamp_partials(0.0, 0.0, 1.0, 0.0), (1.0, 0.0, 0.0));
    assert_eq!(clamp_partials(1.0, 0.0, 1.0, 1.0), (1.0, 0.0, 0.0));
    assert_eq!(clamp_partials(-0.5, 0.0, 1.0, 0.0), (0.0, 1.0, 0.0));
    assert_eq!(clamp_partials(1.5, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0));
    assert_eq!(
        clamp_partials(f64::NAN, 0.0, 1.0, f64::NAN),
        (1.0, 0.0, 0.0)
    );
    // Degenerate interval: x equal to both bounds still counts as inside.
    assert_eq!(clamp_partials(2.0, 2.0, 2.0, 2.0), (1.0, 0.0, 0.0));
}

#[test]
fn roots_at_zero() {
    assert_eq!(sqrt_partial(0.0, 0.0), f64::INFINITY);
    assert_eq!(sqrt_partial(-0.0, (-0.0_f64).sqrt()), f64::INFINITY);
    assert_eq!(cbrt_partial(0.0, 0.0), f64::INFINITY);
    assert_eq!(cbrt_partial(-0.0, (-0.0_f64).cbrt()), f64::INFINITY);
    assert!(sqrt_partial(-1.0, (-1.0_f64).sqrt()).is_nan());
}

#[test]
fn powi_special_cases() {
    assert_eq!(powi_partial(0.0, 0, 1.0), 0.0);
    assert_eq!(powi_partial(f64::INFINITY, 0, 1.0), 0.0);
    assert_eq!(powi_partial(f64::NAN, 0, 1.0), 0.0);
    assert_eq!(powi_partial(0.0, 1, 0.0), 1.0);
    assert_eq!(powi_partial(0.0, 2, 0.0), 0.0);
    assert_eq!(powi_partial(0.0, -1, f64::INFINITY), f64::NEG_INFINITY);
    // Extreme exponents: n x^(n-1) at x = ±1 is ±n, with no overflow.
    assert_eq!(powi_partial(1.0, i32::MIN, 1.0), -2_147_483_648.0);
    assert_eq!(powi_partial(-1.0, i32::MIN, 1.0), 2_147_483_648.0);
    assert_eq!(powi_partial(1.0, i32::MAX, 1.0), 2_147_483_647.0);
    assert_eq!(powi_partial(-1.0, i32::MAX, -1.0), 2_147_483_647.0);
    assert_eq!(powi_partial(2.0, i32::MIN, 0.0), 0.0);
}

#[test]
fn powf_special_cases() {
    // b == 0: first partial exactly 0, even at a == 0 (no 0 * inf).
    assert_eq!(powf_partials(0.0, 0.0, 1.0), (0.0, 0.0));
    assert_eq!(powf_partials(2.0, 0.0, 1.0), (0.0, 2.0_f64.ln()));
    let (da, db) = powf_partials(f64::NAN, 0.0, 1.0);
    assert_eq!(da, 0.0);
    assert!(db.is_nan());
    // a == 0: second partial exactly 0, even when y is infinite.
    assert_eq!(powf_partials(0.0, 2.0, 0.0), (0.0, 0.0));
    assert_eq!(powf_partials(0.0, 1.0, 0.0), (1.0, 0.0));
    assert_eq!(powf_partials(0.0, 0.5, 0.0), (f64::INFINITY, 0.0));
    assert_eq!(
        powf_partials(0.0, -1.0, f64::INFINITY),
        (f64::NEG_INFINITY, 0.0)
    );
    assert_eq!(powf_partials(-0.0, 3.0, -0.0).1, 0.0);
    // a < 0: ln a is NaN.
    let (da, db) = powf_partials(-2.0_f64, 2.0, 4.0);
    assert_eq!(da, -4.0);
    assert!(db.is_nan());
}

#[test]
fn origin_of_hypot_and_atan2() {
    for (a, b) in [(0.0, 0.0), (-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0)] {
        assert_eq!(hypot_partials(a, b, f64::hypot(a, b)), (0.0, 0.0));
        assert_eq!(atan2_partials(a, b, f64::atan2(a, b)), (0.0, 0.0));
    }
}

#[test]
fn atan2_and_hypot_extreme_magnitudes() {
    // a² + b² would overflow or underflow; the closed forms are still representable.
    let (da, db) = atan2_partials(1e200, 1e200, std::f64::consts::FRAC_PI_4);
    assert!(relative_eq!(da, 5e-201, max_relative = 1e-12));
    assert!(relative_eq!(db, -5e-201, max_relative = 1e-12));
    let (da, db) = atan2_partials(3e-200, 4e-200, 0.6435011087932844);
    assert!(relative_eq!(da, 1.6e199, max_relative = 1e-12));
    assert!(relative_eq!(db, -1.2e199, max_relative = 1e-12));
    let (da, db) = hypot_partials(3e200, 4e200, 5e200);
    assert!(relative_eq!(da, 0.6, max_relative = 1e-15));
    assert!(relative_eq!(db, 0.8, max_relative = 1e-15));
}

#[test]
fn rem_at_jumps() {
    // At a multiple of b the remainder is 0 and the returned branch is a - (a/b)·b.
    assert_eq!(rem_partials(6.0, 2.0, 6.0 % 2.0), (1.0, -3.0));
    assert_eq!(rem_partials(-6.0, 2.0, -6.0 % 2.0), (1.0, 3.0));
    assert_eq!(rem_partials(6.0, -2.0, 6.0 % -2.0), (1.0, 3.0));
    assert_eq!(rem_partials(0.0, 5.0, 0.0 % 5.0), (1.0, -0.0));
    // 0.1 is slightly above 1/10, so 1.0 % 0.1 uses the quotient 9 (remainder ≈ 0.1), although
    // the rounded division 1.0 / 0.1 is exactly 10.0.
    let y = 1.0 % 0.1;
    assert!(y > 0.09);
    assert_eq!(1.0_f64 / 0.1, 10.0);
    assert_eq!(rem_partials(1.0, 0.1, y), (1.0, -9.0));
    // An infinite divisor returns a unchanged: quotient 0.
    let (_, db) = rem_partials(3.0, f64::INFINITY, 3.0);
    assert_eq!(db, 0.0);
}

#[test]
fn domain_edges_are_infinite() {
    let inf = f64::INFINITY;
    assert_eq!(asin_partial(1.0, 1.0_f64.asin()), inf);
    assert_eq!(asin_partial(-1.0, (-1.0_f64).asin()), inf);
    assert_eq!(acos_partial(1.0, 0.0), -inf);
    assert_eq!(acos_partial(-1.0, std::f64::consts::PI), -inf);
    assert_eq!(acosh_partial(1.0, 0.0), inf);
    assert_eq!(atanh_partial(1.0, inf), inf);
    assert_eq!(atanh_partial(-1.0, -inf), inf);
    assert_eq!(ln_partial(0.0, -inf), inf);
    assert_eq!(ln_partial(-0.0, -inf), inf);
    assert_eq!(log2_partial(0.0, -inf), inf);
    assert_eq!(log2_partial(-0.0, -inf), inf);
    assert_eq!(log10_partial(0.0, -inf), inf);
    assert_eq!(log10_partial(-0.0, -inf), inf);
    assert_eq!(ln_1p_partial(-1.0, -inf), inf);
    assert_eq!(recip_partial(0.0, inf), -inf);
    // Outside the domain the partial goes NaN where it involves a square root.
    assert!(asin_partial(1.5, f64::NAN).is_nan());
    assert!(acosh_partial(0.5, f64::NAN).is_nan());
}

#[test]
fn log_special_cases() {
    let inf = f64::INFINITY;
    // a == 0: ±inf with the sign of ln b, for both zeros.
    assert_eq!(log_partials(0.0, 2.0, -inf).0, inf);
    assert_eq!(log_partials(-0.0, 2.0, -inf).0, inf);
    assert_eq!(log_partials(0.0, 0.5, inf).0, -inf);
    // b == 1: the primal is infinite, and so are the partials.
    assert_eq!(log_partials(2.0, 1.0, inf), (inf, -inf));
}

#[test]
fn div_by_zero_follows_ieee() {
    let inf = f64::INFINITY;
    assert_eq!(div_partials(1.0, 0.0, inf), (inf, -inf));
    assert_eq!(div_partials(1.0, -0.0, -inf), (-inf, -inf));
}

#[test]
fn closed_forms_at_simple_points() {
    // Values written from the formulas in the table, not from the rules.
    assert_eq!(tan_partial(0.5, 2.0), 5.0);
    assert_eq!(tanh_partial(0.5, 0.5), 0.75);
    assert_eq!(exp_partial(3.0, 20.0), 20.0);
    assert_eq!(exp_m1_partial(3.0, 19.0), 20.0);
    assert_eq!(recip_partial(-4.0, -0.25), -0.0625);
    assert_eq!(mul_add_partials(2.0, 3.0, 4.0, 10.0), (3.0, 2.0, 1.0));
    assert_eq!(hypot_partials(-3.0, 4.0, 5.0), (-0.6, 0.8));
    assert_eq!(to_degrees_partial(1.0, 0.0), 180.0 / std::f64::consts::PI);
    assert_eq!(to_radians_partial(1.0, 0.0), std::f64::consts::PI / 180.0);
    assert_eq!(exp2_partial(1.0, 2.0), 2.0 * std::f64::consts::LN_2);
}

#[test]
fn infinite_partial_times_zero_is_nan() {
    // The documented consequence: a zero tangent through an infinite partial gives NaN.
    let d = sqrt_partial(0.0_f64, 0.0);
    assert!(d.is_infinite());
    assert!((d * 0.0).is_nan());
}

// ---------------------------------------------------------------------------------------------
// Non-finite inputs.

#[test]
fn nan_and_infinity_never_panic() {
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1.0,
        -1.0,
    ];
    let unary: [(&str, Unary); 25] = [
        ("sin", sin_partial),
        ("cos", cos_partial),
        ("tan", tan_partial),
        ("asin", asin_partial),
        ("acos", acos_partial),
        ("atan", atan_partial),
        ("sinh", sinh_partial),
        ("cosh", cosh_partial),
        ("tanh", tanh_partial),
        ("asinh", asinh_partial),
        ("acosh", acosh_partial),
        ("atanh", atanh_partial),
        ("exp", exp_partial),
        ("exp2", exp2_partial),
        ("exp_m1", exp_m1_partial),
        ("ln", ln_partial),
        ("log2", log2_partial),
        ("log10", log10_partial),
        ("ln_1p", ln_1p_partial),
        ("sqrt", sqrt_partial),
        ("cbrt", cbrt_partial),
        ("abs", abs_partial),
        ("recip", recip_partial),
        ("to_degrees", to_degrees_partial),
        ("to_radians", to_radians_partial),
    ];
    let binary: [Binary; 8] = [
        div_partials,
        rem_partials,
        atan2_partials,
        powf_partials,
        hypot_partials,
        log_partials,
        max_partials,
        min_partials,
    ];
    let mut calls = 0_usize;
    for &x in &specials {
        for &y in &specials {
            for &(_, rule) in &unary {
                let _ = rule(x, y);
                calls += 1;
            }
            for n in [i32::MIN, -2, -1, 0, 1, 2, i32::MAX] {
                let _ = powi_partial(x, n, y);
                calls += 1;
            }
            for &z in &specials {
                for rule in binary {
                    let _ = rule(x, y, z);
                    calls += 1;
                }
                for &w in &specials {
                    let _ = mul_add_partials(x, y, z, w);
                    let _ = clamp_partials(x, y, z, w);
                    calls += 2;
                }
            }
        }
    }
    assert!(calls > 0);
    // NaN in gives NaN out, except for the constant rules.
    for &(name, rule) in &unary {
        let d = rule(f64::NAN, f64::NAN);
        if name.starts_with("to_") {
            assert!(!d.is_nan(), "{name}");
        } else {
            assert!(d.is_nan(), "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// f32.

#[test]
fn f32_smoke() {
    #[track_caller]
    fn close(got: f32, want: f64) {
        assert!(
            relative_eq!(f64::from(got), want, epsilon = 1e-6, max_relative = 1e-5),
            "{got} vs {want}"
        );
    }
    let x = 0.7_f32;
    let xd = f64::from(x);
    close(sin_partial(x, x.sin()), xd.cos());
    close(cos_partial(x, x.cos()), -xd.sin());
    close(tan_partial(x, x.tan()), 1.0 / xd.cos().powi(2));
    close(asin_partial(x, x.asin()), 1.0 / (1.0 - xd * xd).sqrt());
    close(
        acosh_partial(1.0 + x, (1.0 + x).acosh()),
        1.0 / ((1.0 + xd).powi(2) - 1.0).sqrt(),
    );
    close(atanh_partial(x, x.atanh()), 1.0 / (1.0 - xd * xd));
    close(exp_partial(x, x.exp()), xd.exp());
    close(
        exp2_partial(x, x.exp2()),
        xd.exp2() * std::f64::consts::LN_2,
    );
    close(
        log2_partial(x, x.log2()),
        1.0 / (xd * std::f64::consts::LN_2),
    );
    close(
        log10_partial(x, x.log10()),
        1.0 / (xd * std::f64::consts::LN_10),
    );
    close(sqrt_partial(x, x.sqrt()), 0.5 / xd.sqrt());
    close(cbrt_partial(x, x.cbrt()), 1.0 / (3.0 * xd.cbrt().powi(2)));
    close(to_degrees_partial(x, 0.0), 180.0 / std::f64::consts::PI);
    close(to_radians_partial(x, 0.0), std::f64::consts::PI / 180.0);
    close(powi_partial(x, 3, x.powi(3)), 3.0 * xd * xd);
    let (a, b) = (1.5_f32, 2.5_f32);
    let (ad, bd) = (f64::from(a), f64::from(b));
    let (da, db) = powf_partials(a, b, a.powf(b));
    close(da, bd * ad.powf(bd - 1.0));
    close(db, ad.powf(bd) * ad.ln());
    let (da, db) = atan2_partials(a, b, a.atan2(b));
    close(da, bd / (ad * ad + bd * bd));
    close(db, -ad / (ad * ad + bd * bd));
    let (da, db) = log_partials(a, b, a.log(b));
    close(da, 1.0 / (ad * bd.ln()));
    close(db, -ad.ln() / (bd * bd.ln().powi(2)));
    assert_eq!(max_partials(1.0_f32, 1.0, 1.0), (0.5, 0.5));
    assert_eq!(abs_partial(-0.0_f32, 0.0), 0.0);
    assert_eq!(sqrt_partial(0.0_f32, 0.0), f32::INFINITY);
    assert_eq!(clamp_partials(2.0_f32, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0));
    assert_eq!(rem_partials(7.5_f32, 2.0, 1.5), (1.0, -3.0));
}
