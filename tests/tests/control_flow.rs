//! Control flow through both macros (SPEC §5 "Control flow"): `if` / `else if` / `else` as
//! statements and expressions, `match` on integers, bools and a fieldless enum, `return` from
//! anywhere, `for` over every range form, `while`, `loop` with `break` and `break value`,
//! `continue`, labels, nested loops with data-dependent trip counts, a convergence loop and a
//! long recurrence. Every function carries both macros and is checked three ways, by
//! `ad_tests::check` (or `check_jacobian` / `check_f32`):
//! (a) against a derivative worked out by hand (closed forms; for the two iterations, the
//!     converged limit and a hand-written forward recurrence of the sensitivities),
//! (b) against central finite differences,
//! (c) forward mode against reverse mode, to 1e-12 relative per component (SPEC §8).
//!
//! The derivative of a program with branches is the derivative of the branch taken, so every
//! piecewise function is evaluated on both sides of each switch point, and every point is far
//! (relative to the finite-difference step of 1e-6) from a switch point.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::{check, check_f32, check_fn, check_jacobian};

// ---------------------------------------------------------------------------------------------
// if / else if / else
// ---------------------------------------------------------------------------------------------

/// An `if` / `else if` / `else` chain of statements on an active condition, each branch
/// updating the same variable differently (compound assignment, plain assignment).
#[derive_tangent]
#[derive_grad]
fn if_chain_statements(x: f64, y: f64) -> f64 {
    let mut r = x * y;
    if x < -1.0 {
        r *= x;
    } else if x < 1.0 {
        r += x.sin();
    } else {
        r = y.exp() / x;
    }
    r * y
}

#[test]
fn if_else_if_else_as_statements_on_an_active_condition() {
    check_fn!(
        if_chain_statements,
        if_chain_statements_tangent,
        if_chain_statements_vjp,
        if_chain_statements_grad,
        [0, 1],
        // One point in each branch: both sides of x = -1 and of x = 1.
        &[[-2.0, 0.7], [-0.6, 1.3], [0.4, -0.9], [1.7, 0.5]],
        |[x, y]| {
            if x < -1.0 {
                // f = x² y²
                [2.0 * x * y * y, 2.0 * x * x * y]
            } else if x < 1.0 {
                // f = (x y + sin x) y
                [(y + x.cos()) * y, 2.0 * x * y + x.sin()]
            } else {
                // f = y e^y / x
                [-y * y.exp() / (x * x), (1.0 + y) * y.exp() / x]
            }
        }
    );
}

/// `if` / `else if` / `else` as an expression (bound by `let`), and an `if` expression as an
/// operand of a binary operation in the tail.
#[derive_grad]
#[derive_tangent]
fn if_expressions(x: f64, y: f64) -> f64 {
    let g = if x > 0.0 {
        x.sqrt() * y
    } else if y > 0.5 {
        -x * y * y
    } else {
        (x * y).cos()
    };
    g + if y < x { y * x } else { x - y }
}

#[test]
fn if_else_if_else_as_expressions() {
    check_fn!(
        if_expressions,
        if_expressions_tangent,
        if_expressions_vjp,
        if_expressions_grad,
        [0, 1],
        // Every branch of the chain, and both sides of y = x for the tail.
        &[[1.3, 0.4], [0.6, 2.0], [-0.8, 1.2], [-1.1, -0.3]],
        |[x, y]| {
            let g = if x > 0.0 {
                [y / (2.0 * x.sqrt()), x.sqrt()]
            } else if y > 0.5 {
                [-y * y, -2.0 * x * y]
            } else {
                let s = (x * y).sin();
                [-y * s, -x * s]
            };
            let tail = if y < x { [y, x] } else { [1.0, -1.0] };
            [g[0] + tail[0], g[1] + tail[1]]
        }
    );
}

/// `if` without `else` reassigning a variable (twice, under independent conditions).
#[derive_tangent]
#[derive_grad]
fn if_without_else(x: f64, y: f64) -> f64 {
    let mut s = x * y;
    if s > 1.0 {
        s = s.sqrt() * 3.0;
    }
    if y < 0.0 {
        s = -s;
    }
    s * x
}

#[test]
fn if_without_else_reassigns() {
    check_fn!(
        if_without_else,
        if_without_else_tangent,
        if_without_else_vjp,
        if_without_else_grad,
        [0, 1],
        // x y > 1 or not, times y < 0 or not.
        &[[2.0, 1.5], [-2.0, -1.0], [0.5, -0.8], [0.7, 0.9]],
        |[x, y]| {
            let sign = if y < 0.0 { -1.0 } else { 1.0 };
            if x * y > 1.0 {
                // f = 3 σ x sqrt(x y)
                let r = (x * y).sqrt();
                [sign * 4.5 * r, sign * 1.5 * x * x / r]
            } else {
                // f = σ x² y
                [sign * 2.0 * x * y, sign * x * x]
            }
        }
    );
}

/// Nested `if`s, the outer ones on an integer constant (`n > 0`, `n == 0`, `n % 2 == 0`), the
/// inner ones on active values.
#[derive_grad]
#[derive_tangent]
fn nested_ifs(x: f64, y: f64, n: i32) -> f64 {
    let mut r = x;
    if n > 0 {
        if x > y {
            r *= y;
        } else {
            r += y.powi(n);
        }
        if n % 2 == 0 {
            r *= r;
        }
    } else if n == 0 {
        r = x.exp() * y;
    } else {
        let t = x * x;
        if y > 0.0 {
            r = t * y.ln();
        } else {
            r -= t * y;
        }
    }
    r
}

#[test]
fn nested_ifs_on_integer_and_active_conditions() {
    for n in [2, 3, 0, -1] {
        check_fn!(
            nested_ifs,
            nested_ifs_tangent,
            nested_ifs_vjp,
            nested_ifs_grad,
            [0, 1],
            const [n],
            // x > y with y > 0, x < y with y > 0, x > y with y < 0.
            &[[1.5, 0.5], [0.3, 1.2], [0.8, -0.6]],
            |[x, y]| {
                if n > 0 {
                    let nf = f64::from(n);
                    let (r1, d1) = if x > y {
                        (x * y, [y, x])
                    } else {
                        (x + y.powi(n), [1.0, nf * y.powi(n - 1)])
                    };
                    if n % 2 == 0 {
                        // f = r1²
                        [2.0 * r1 * d1[0], 2.0 * r1 * d1[1]]
                    } else {
                        d1
                    }
                } else if n == 0 {
                    // f = e^x y
                    [x.exp() * y, x.exp()]
                } else if y > 0.0 {
                    // f = x² ln y
                    [2.0 * x * y.ln(), x * x / y]
                } else {
                    // f = x - x² y
                    [1.0 - 2.0 * x * y, -x * x]
                }
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// match
// ---------------------------------------------------------------------------------------------

/// `match` on an integer constant as an expression: a literal arm, an or-pattern, an inclusive
/// range, a guard binding the value, and `_`.
#[derive_tangent]
#[derive_grad]
fn match_integer(x: f64, y: f64, n: u32) -> f64 {
    let s = match n {
        0 => x,
        1 | 2 => x * y,
        3..=5 => x.sin() * y.powi(n as i32),
        m if m > 7 => x / y * m as f64,
        _ => x.exp() - y * y,
    };
    s + y
}

#[test]
fn match_on_an_integer_literal_or_range_guard_wildcard() {
    // Both members of the or-pattern, both ends of the range, both sides of the guard.
    for n in [0u32, 1, 2, 3, 5, 6, 7, 8, 12] {
        check_fn!(
            match_integer,
            match_integer_tangent,
            match_integer_vjp,
            match_integer_grad,
            [0, 1],
            const [n],
            &[[0.7, 1.3], [-1.2, 0.6]],
            |[x, y]| {
                let nf = f64::from(n);
                match n {
                    // f = x + y
                    0 => [1.0, 1.0],
                    // f = x y + y
                    1 | 2 => [y, x + 1.0],
                    // f = sin x yⁿ + y
                    3..=5 => {
                        let k = n as i32;
                        [x.cos() * y.powi(k), nf * x.sin() * y.powi(k - 1) + 1.0]
                    }
                    // f = n x / y + y
                    8.. => [nf / y, -nf * x / (y * y) + 1.0],
                    // f = e^x - y² + y
                    _ => [x.exp(), 1.0 - 2.0 * y],
                }
            }
        );
    }
}

/// `match` on a bool constant as a statement (arms are blocks of assignments), and as an
/// expression.
#[derive_grad]
#[derive_tangent]
fn match_bool(x: f64, y: f64, flag: bool) -> f64 {
    let mut r = x * y;
    match flag {
        true => {
            r += x.cos();
        }
        false => {
            r *= r;
        }
    }
    let w = match flag {
        true => x,
        false => y,
    };
    r * w
}

#[test]
fn match_on_bools() {
    for flag in [true, false] {
        check_fn!(
            match_bool,
            match_bool_tangent,
            match_bool_vjp,
            match_bool_grad,
            [0, 1],
            const [flag],
            &[[1.1, 0.4], [-0.5, 0.9], [2.0, -1.5]],
            |[x, y]| {
                if flag {
                    // f = (x y + cos x) x
                    [(y - x.sin()) * x + x * y + x.cos(), x * x]
                } else {
                    // f = x² y² y = x² y³
                    [2.0 * x * y * y * y, 3.0 * x * x * y * y]
                }
            }
        );
    }
}

/// `match` on a bool computed from active values, with arms that are bare assignment
/// expressions (no block).
#[derive_tangent]
#[derive_grad]
fn match_on_a_comparison(x: f64, y: f64) -> f64 {
    let mut r = x * y;
    match x > y {
        true => r += x.cos(),
        false => r *= y,
    }
    r
}

#[test]
fn match_on_a_comparison_with_assignment_arms() {
    check_fn!(
        match_on_a_comparison,
        match_on_a_comparison_tangent,
        match_on_a_comparison_vjp,
        match_on_a_comparison_grad,
        [0, 1],
        // x > y twice, x < y once.
        &[[1.1, 0.4], [-0.5, 0.9], [2.0, -1.5]],
        |[x, y]| {
            if x > y {
                // f = x y + cos x
                [y - x.sin(), x]
            } else {
                // f = x y²
                [y * y, 2.0 * x * y]
            }
        }
    );
}

/// A fieldless enum passed as a constant parameter.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    A,
    B,
    C,
}

/// `match` on an enum constant, and an `if` comparing it with `==`.
#[derive_tangent]
#[derive_grad]
fn match_enum(x: f64, y: f64, mode: Mode) -> f64 {
    let base = x * y;
    let r = match mode {
        Mode::A => base + x,
        Mode::B => base.sin(),
        Mode::C => base * y.exp(),
    };
    if mode == Mode::C { r * x } else { r }
}

#[test]
fn match_on_a_fieldless_enum() {
    for mode in [Mode::A, Mode::B, Mode::C] {
        check_fn!(
            match_enum,
            match_enum_tangent,
            match_enum_vjp,
            match_enum_grad,
            [0, 1],
            const [mode],
            &[[0.6, 1.4], [-1.3, 0.5], [2.1, -0.8]],
            |[x, y]| match mode {
                // f = x y + x
                Mode::A => [y + 1.0, x],
                // f = sin(x y)
                Mode::B => {
                    let c = (x * y).cos();
                    [y * c, x * c]
                }
                // f = x² y e^y
                Mode::C => [2.0 * x * y * y.exp(), x * x * (1.0 + y) * y.exp()],
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// return
// ---------------------------------------------------------------------------------------------

/// Early `return`s from inside two `if`s, then a tail expression.
#[derive_grad]
#[derive_tangent]
fn return_from_if(x: f64, y: f64) -> f64 {
    if x < 0.0 {
        return x * y;
    }
    let t = x.sqrt();
    if t > y {
        return t - y;
    }
    t * y + x
}

#[test]
fn early_return_from_inside_an_if() {
    check_fn!(
        return_from_if,
        return_from_if_tangent,
        return_from_if_vjp,
        return_from_if_grad,
        [0, 1],
        // Each of the three exits.
        &[[-0.7, 1.3], [2.0, 0.5], [0.5, 1.5]],
        |[x, y]| {
            if x < 0.0 {
                [y, x]
            } else if x.sqrt() > y {
                // f = sqrt x - y
                [0.5 / x.sqrt(), -1.0]
            } else {
                // f = sqrt x y + x
                [0.5 * y / x.sqrt() + 1.0, x.sqrt()]
            }
        }
    );
}

/// `return` from inside a `for` loop as soon as a partial sum exceeds `limit`; `-s` when it
/// never does.
#[derive_tangent]
#[derive_grad]
fn return_from_loop(x: f64, limit: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..n {
        s += (x + k as f64).exp();
        if s > limit {
            return s / limit;
        }
    }
    -s
}

#[test]
fn early_return_from_inside_a_loop() {
    for n in [5usize, 8] {
        check_fn!(
            return_from_loop,
            return_from_loop_tangent,
            return_from_loop_vjp,
            return_from_loop_grad,
            [0, 1],
            const [n],
            // The partial sums are S_k = e^x (e^(k+1) - 1) / (e - 1): at x = 0.3 they are 1.35,
            // 5.02, 15.0, ... (crossing 10 at k = 2); at x = -1 they are 0.37, 1.37, 4.09,
            // 11.5, 31.6, ... (crossing 20 at k = 4, the last step when n = 5); at x = -2 they
            // reach 50 only at k = 6 (never when n = 5).
            &[[0.3, 10.0], [-1.0, 20.0], [-2.0, 50.0]],
            |[x, limit]| {
                let e = std::f64::consts::E;
                let partial = |k: usize| x.exp() * (e.powi(k as i32 + 1) - 1.0) / (e - 1.0);
                match (0..n).find(|&k| partial(k) > limit) {
                    // f = S_m / limit, and dS_m/dx = S_m (every term is e^(x + k)).
                    Some(m) => {
                        let s = partial(m);
                        [s / limit, -s / (limit * limit)]
                    }
                    // f = -S_(n-1)
                    None => [-partial(n - 1), 0.0],
                }
            }
        );
    }
}

/// A `loop` left only by `return` as the body's tail (its type is `!`): Newton's iteration for
/// the cube root of `a`, started at `x0`, returning the first iterate whose step is below 1e-13
/// (or the 60th). This is how a solver is written; it used to expand to code that did not
/// compile.
#[derive_tangent]
#[derive_grad]
fn cube_root_newton(a: f64, x0: f64) -> f64 {
    let mut x = x0;
    let mut k = 0;
    loop {
        let step = (x * x * x - a) / (3.0 * x * x);
        x -= step;
        k += 1;
        if step.abs() < 1e-13 {
            return x;
        }
        if k == 60 {
            return x;
        }
    }
}

#[test]
fn loop_left_only_by_return_as_the_tail() {
    check(
        "cube_root_newton",
        &[[8.0, 1.5], [2.0, 1.0], [30.0, 4.0]],
        |[a, x0]| cube_root_newton(a, x0),
        |[a, x0], [da, dx0]| cube_root_newton_tangent(a, da, x0, dx0),
        |[a, x0], s| {
            let (v, (ga, gx0)) = cube_root_newton_vjp(a, x0, s);
            (v, [ga, gx0])
        },
        |[a, x0]| {
            let (v, (ga, gx0)) = cube_root_newton_grad(a, x0);
            (v, [ga, gx0])
        },
        // Converged: x = a^(1/3), dx/da = 1 / (3 a^(2/3)); the start point drops out (the
        // derivative of the iteration with respect to x0 contracts quadratically to 0).
        |[a, _x0]| [1.0 / (3.0 * a.powf(2.0 / 3.0)), 0.0],
    );
}

/// A `return` statement as the last statement (and one inside an `if` before it).
#[derive_grad]
#[derive_tangent]
#[allow(clippy::needless_return)] // written out on purpose: this is what is under test
fn return_at_end(x: f64, y: f64) -> f64 {
    let z = x * y;
    if z > 1.0 {
        return z.ln();
    }
    return z.sin() + x;
}

#[test]
fn return_as_the_last_statement() {
    check_fn!(
        return_at_end,
        return_at_end_tangent,
        return_at_end_vjp,
        return_at_end_grad,
        [0, 1],
        &[[1.5, 2.0], [0.4, 1.1], [-0.9, 0.7]],
        |[x, y]| {
            if x * y > 1.0 {
                // f = ln x + ln y
                [1.0 / x, 1.0 / y]
            } else {
                let c = (x * y).cos();
                [y * c + 1.0, x * c]
            }
        }
    );
}

// ---------------------------------------------------------------------------------------------
// for over ranges
// ---------------------------------------------------------------------------------------------

/// `for k in 0..n`: Horner's scheme, s = y xⁿ + Σ_(k<n) k x^(n-1-k).
#[derive_tangent]
#[derive_grad]
fn for_range(x: f64, y: f64, n: usize) -> f64 {
    let mut s = y;
    for k in 0..n {
        s = s * x + k as f64;
    }
    s
}

#[test]
fn for_over_an_exclusive_range() {
    // n = 0: no iteration.
    for n in [0usize, 1, 6] {
        check_fn!(
            for_range,
            for_range_tangent,
            for_range_vjp,
            for_range_grad,
            [0, 1],
            const [n],
            &[[0.7, 1.3], [-1.4, 0.5], [1.2, -2.0]],
            |[x, y]| {
                let nf = n as f64;
                // d/dx of y xⁿ, then of each k x^(n-1-k).
                let mut dx = if n == 0 { 0.0 } else { nf * y * x.powi(n as i32 - 1) };
                for k in 0..n {
                    let e = (n - 1 - k) as i32;
                    if e > 0 {
                        dx += k as f64 * f64::from(e) * x.powi(e - 1);
                    }
                }
                [dx, x.powi(n as i32)]
            }
        );
    }
}

/// `for k in a..=b` over `i32` bounds: p = y Π_(k=a..=b) (x + k).
#[derive_grad]
#[derive_tangent]
fn for_inclusive_range(x: f64, y: f64, a: i32, b: i32) -> f64 {
    let mut p = y;
    for k in a..=b {
        p *= x + k as f64;
    }
    p
}

#[test]
fn for_over_an_inclusive_range() {
    // (3, 1) is empty; (2, 2) has one element.
    for (a, b) in [(-1, 2), (2, 2), (3, 1)] {
        check_fn!(
            for_inclusive_range,
            for_inclusive_range_tangent,
            for_inclusive_range_vjp,
            for_inclusive_range_grad,
            [0, 1],
            const [a, b],
            // Away from the roots x = -k.
            &[[0.5, 1.5], [1.7, -0.8], [-0.4, 2.0]],
            |[x, y]| {
                let product: f64 = (a..=b).map(|k| x + f64::from(k)).product();
                let log_derivative: f64 = (a..=b).map(|k| 1.0 / (x + f64::from(k))).sum();
                [y * product * log_derivative, product]
            }
        );
    }
}

/// `for k in (0..n).rev()`: Horner in the other order, s = y xⁿ + Σ_(m<n) m x^m.
#[derive_tangent]
#[derive_grad]
fn for_reversed(x: f64, y: f64, n: usize) -> f64 {
    let mut s = y;
    for k in (0..n).rev() {
        s = s * x + k as f64;
    }
    s
}

#[test]
fn for_over_a_reversed_range() {
    for n in [1usize, 5] {
        check_fn!(
            for_reversed,
            for_reversed_tangent,
            for_reversed_vjp,
            for_reversed_grad,
            [0, 1],
            const [n],
            &[[0.7, 1.3], [-1.4, 0.5], [1.2, -2.0]],
            |[x, y]| {
                let nf = n as f64;
                let mut dx = nf * y * x.powi(n as i32 - 1);
                for m in 1..n {
                    dx += (m * m) as f64 * x.powi(m as i32 - 1);
                }
                [dx, x.powi(n as i32)]
            }
        );
    }
}

/// `for i in (0..n).step_by(k)`: s = y (1 + Σ_(i = 0, k, 2k, .. < n) sin((i + 1) x)).
#[derive_grad]
#[derive_tangent]
fn for_step_by(x: f64, y: f64, n: usize, k: usize) -> f64 {
    let mut s = y;
    for i in (0..n).step_by(k) {
        s += (x * (i + 1) as f64).sin() * y;
    }
    s
}

#[test]
fn for_over_a_stepped_range() {
    // i = 0, 3, 6, 9; i = 0, 2, 4, 6; i = 0 only.
    for (n, k) in [(10usize, 3usize), (7, 2), (5, 7)] {
        check_fn!(
            for_step_by,
            for_step_by_tangent,
            for_step_by_vjp,
            for_step_by_grad,
            [0, 1],
            const [n, k],
            &[[0.3, 1.2], [-0.8, 0.6], [1.1, -1.5]],
            |[x, y]| {
                let (mut sum_sin, mut sum_cos) = (0.0, 0.0);
                let mut i = 0;
                while i < n {
                    let w = (i + 1) as f64;
                    sum_sin += (w * x).sin();
                    sum_cos += w * (w * x).cos();
                    i += k;
                }
                [y * sum_cos, 1.0 + sum_sin]
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// while, loop, break, continue, labels
// ---------------------------------------------------------------------------------------------

/// `while` on an integer counter: s = xⁿ + y Σ_(j<n) x^j.
#[derive_tangent]
#[derive_grad]
fn while_counter(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 1.0;
    let mut k = 0;
    while k < n {
        s *= x;
        s += y;
        k += 1;
    }
    s
}

#[test]
fn while_loop_on_an_integer_counter() {
    for n in [0usize, 1, 7] {
        check_fn!(
            while_counter,
            while_counter_tangent,
            while_counter_vjp,
            while_counter_grad,
            [0, 1],
            const [n],
            &[[0.7, 1.3], [-1.4, 0.5], [1.2, -2.0]],
            |[x, y]| {
                let nf = n as f64;
                let mut dx = if n == 0 { 0.0 } else { nf * x.powi(n as i32 - 1) };
                let mut dy = 0.0;
                for j in 0..n {
                    dy += x.powi(j as i32);
                    if j > 0 {
                        dx += y * j as f64 * x.powi(j as i32 - 1);
                    }
                }
                [dx, dy]
            }
        );
    }
}

/// `loop` with a plain `break` under a condition mixing an active value and an integer:
/// s = y x^m, where m is the first m >= 1 with y x^m > 10, or 20.
#[derive_grad]
#[derive_tangent]
fn loop_break(x: f64, y: f64) -> f64 {
    let mut s = y;
    let mut k = 0;
    loop {
        s *= x;
        k += 1;
        if s > 10.0 || k >= 20 {
            break;
        }
    }
    s
}

#[test]
fn loop_with_break() {
    check_fn!(
        loop_break,
        loop_break_tangent,
        loop_break_vjp,
        loop_break_grad,
        [0, 1],
        // m = 6 (1.5⁵ = 7.6, 1.5⁶ = 11.4); m = 4 (0.7 · 2.3⁴ = 19.6, 0.7 · 2.3³ = 8.5);
        // m = 20 (the cap: 2 · 0.9^m never exceeds 10).
        &[[1.5, 1.0], [2.3, 0.7], [0.9, 2.0]],
        |[x, y]| {
            let m = if x == 1.5 {
                6
            } else if x == 2.3 {
                4
            } else {
                20
            };
            [f64::from(m) * y * x.powi(m - 1), x.powi(m)]
        }
    );
}

/// `loop` with `break value`, from two places: t_k = 1.5 t_(k-1) + y from t_0 = x; the loop's
/// value is x ln t_m at the first m with t_m > 4, or -t_30 when that never happens.
#[derive_tangent]
#[derive_grad]
fn loop_break_value(x: f64, y: f64) -> f64 {
    let mut t = x;
    let mut k = 0;
    let r = loop {
        k += 1;
        t = t * 1.5 + y;
        if t > 4.0 {
            break t.ln() * x;
        }
        if k >= 30 {
            break -t;
        }
    };
    r + y
}

#[test]
fn loop_with_break_value() {
    check_fn!(
        loop_break_value,
        loop_break_value_tangent,
        loop_break_value_vjp,
        loop_break_value_grad,
        [0, 1],
        // t_k = 1.5^k (x + 2y) - 2y: m = 4 (t = 2.13, 3.59, 5.78 at k = 2, 3, 4); m = 1
        // (t_1 = 5.5); never (x + 2y < 0: t decreases), so the cap k = 30.
        &[[0.5, 0.4], [3.0, 1.0], [-1.0, 0.3]],
        |[x, y]| {
            let (m, capped) = if x == 0.5 {
                (4, false)
            } else if x == 3.0 {
                (1, false)
            } else {
                (30, true)
            };
            let g = 1.5f64.powi(m);
            let (t, dt_dx, dt_dy) = (g * x + 2.0 * y * (g - 1.0), g, 2.0 * (g - 1.0));
            if capped {
                // f = -t_30 + y
                [-dt_dx, -dt_dy + 1.0]
            } else {
                // f = x ln t_m + y
                [t.ln() + x * dt_dx / t, x * dt_dy / t + 1.0]
            }
        }
    );
}

/// `continue` on an integer condition and on an active one: s = y Σ sin(k x) over the k < n
/// with k % 3 != 1 and sin(k x) >= 0.
#[derive_grad]
#[derive_tangent]
fn skip_with_continue(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..n {
        if k % 3 == 1 {
            continue;
        }
        let t = (x * k as f64).sin();
        if t < 0.0 {
            continue;
        }
        s += t * y;
    }
    s
}

#[test]
fn continue_on_integer_and_active_conditions() {
    check_fn!(
        skip_with_continue,
        skip_with_continue_tangent,
        skip_with_continue_vjp,
        skip_with_continue_grad,
        [0, 1],
        const [9usize],
        // k x is at least 0.05 away from every multiple of π for the k that matter.
        &[[0.7, 1.3], [1.9, -0.6], [-0.45, 2.0]],
        |[x, y]| {
            let (mut sum_sin, mut sum_cos) = (0.0, 0.0);
            for k in (0..9).filter(|k| k % 3 != 1) {
                let kf = f64::from(k);
                if (kf * x).sin() >= 0.0 {
                    sum_sin += (kf * x).sin();
                    sum_cos += kf * (kf * x).cos();
                }
            }
            [y * sum_cos, sum_sin]
        }
    );
}

/// Labelled `continue 'rows` (on an integer condition and on an active one) and labelled
/// `break 'rows` out of nested loops: s = Σ x^i y^j over the pairs (i, j) visited.
#[derive_tangent]
#[derive_grad]
fn labelled_loops(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..n {
        for j in 0..n {
            if j > i {
                continue 'rows;
            }
            if i * j >= 12 {
                break 'rows;
            }
            let term = x.powi(i as i32) * y.powi(j as i32);
            if term > 20.0 {
                continue 'rows;
            }
            s += term;
        }
    }
    s
}

#[test]
fn labelled_break_and_continue_in_nested_loops() {
    // n = 3: no `break 'rows`; n = 6: it stops the loops at (i, j) = (4, 3), unless row 4 was
    // cut short before (at (2.6, 1.2), where 2.6⁴ > 20 already).
    for n in [3usize, 6] {
        check_fn!(
            labelled_loops,
            labelled_loops_tangent,
            labelled_loops_vjp,
            labelled_loops_grad,
            [0, 1],
            const [n],
            // (1.3, 1.6) and (2.6, 1.2) have rows cut short by `term > 20`; no term is within
            // 5 % of 20 at any of the points.
            &[[1.3, 1.6], [2.6, 1.2], [0.7, -0.8]],
            |[x, y]| {
                let mut g = [0.0, 0.0];
                // The pairs visited, by the rules of the loop; the derivative of each term.
                'rows: for i in 0..n {
                    for j in 0..=i {
                        if i * j >= 12 {
                            break 'rows;
                        }
                        let (ii, jj) = (i as i32, j as i32);
                        if x.powi(ii) * y.powi(jj) > 20.0 {
                            continue 'rows;
                        }
                        g[0] += f64::from(ii) * x.powi(ii - 1) * y.powi(jj);
                        g[1] += f64::from(jj) * x.powi(ii) * y.powi(jj - 1);
                    }
                }
                g
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Nested loops with data-dependent trip counts
// ---------------------------------------------------------------------------------------------

/// The inner bound depends on the outer index: row_i = Σ_(j<i) x / (j + 1) y^(i-1-j),
/// s = x Σ_i row_i = x² C(y).
#[derive_grad]
#[derive_tangent]
fn triangular_loops(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let mut row = 0.0;
        for j in 0..i {
            row = row * y + x / (j + 1) as f64;
        }
        s += row * x;
    }
    s
}

#[test]
fn nested_loops_with_inner_bound_from_the_outer_index() {
    // n = 2: one inner iteration in all.
    for n in [2usize, 6] {
        check_fn!(
            triangular_loops,
            triangular_loops_tangent,
            triangular_loops_vjp,
            triangular_loops_grad,
            [0, 1],
            const [n],
            &[[0.7, 1.3], [-1.4, 0.5], [1.2, -0.9]],
            |[x, y]| {
                // C(y) = Σ_i Σ_(j<i) y^(i-1-j) / (j + 1), and C'(y).
                let (mut c, mut dc) = (0.0, 0.0);
                for i in 0..n {
                    for j in 0..i {
                        let e = (i - 1 - j) as i32;
                        let w = 1.0 / (j + 1) as f64;
                        c += w * y.powi(e);
                        if e > 0 {
                            dc += w * f64::from(e) * y.powi(e - 1);
                        }
                    }
                }
                [2.0 * x * c, x * x * dc]
            }
        );
    }
}

/// An inner `while` whose trip count depends on an active value: t = x (i + 1) is halved
/// while t > 1, m_i times; s = Σ_i sin(t_i y) + m_i.
#[derive_tangent]
#[derive_grad]
fn halving_while(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let mut t = x * (i + 1) as f64;
        let mut halvings = 0;
        while t > 1.0 {
            t *= 0.5;
            halvings += 1;
        }
        s += (t * y).sin() + halvings as f64;
    }
    s
}

#[test]
fn inner_while_with_an_active_trip_count() {
    check_fn!(
        halving_while,
        halving_while_tangent,
        halving_while_vjp,
        halving_while_grad,
        [0, 1],
        const [4usize],
        // x (i + 1) for i < 4: 0.7, 1.4, 2.1, 2.8; 1.3, 2.6, 3.9, 5.2; 3.1, 6.2, 9.3, 12.4: no
        // power of two (a switch point) among them.
        &[[0.7, 1.1], [1.3, -0.6], [3.1, 2.0]],
        |[x, y]| {
            let mut g = [0.0, 0.0];
            for i in 0..4 {
                let w = f64::from(i + 1);
                // m_i halvings: t_i = x w / 2^(m_i), dt_i/dx = w / 2^(m_i).
                let mut scale = 1.0;
                while x * w * scale > 1.0 {
                    scale *= 0.5;
                }
                let t = x * w * scale;
                let c = (t * y).cos();
                g[0] += c * y * w * scale;
                g[1] += c * t;
            }
            g
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Iterations: a convergence loop and a long recurrence
// ---------------------------------------------------------------------------------------------

/// Newton's iteration for sqrt(a), until the residual is below 1e-14 a (at most 100 steps).
/// The derivative of the iterate converges to d sqrt(a) / da too (quadratically, like the
/// iterate), except at a = 1 exactly, where the start x = a already passes the test, no step
/// runs, and the program's derivative is that of x = a: 1, not 1/2.
#[derive_grad]
#[derive_tangent]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    let mut k = 0;
    while (x * x - a).abs() >= 1e-14 * a && k < 100 {
        x = 0.5 * (x + a / x);
        k += 1;
    }
    x
}

#[test]
fn newton_iteration_converges_in_value_and_derivative() {
    check_fn!(
        newton_sqrt,
        newton_sqrt_tangent,
        newton_sqrt_vjp,
        newton_sqrt_grad,
        [0],
        &[[2.0], [0.3], [150.0]],
        |[a]| [0.5 / a.sqrt()]
    );
}

/// A 1000-step explicit Euler recurrence for x' = p sin x on [0, 1].
#[derive_tangent]
#[derive_grad]
#[allow(clippy::assign_op_pattern)] // written out on purpose: this is what is under test
fn euler_recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let h = 1.0 / n as f64;
    let mut x = x0;
    for _ in 0..n {
        x = x + h * x.sin() * p;
    }
    x
}

#[test]
fn long_recurrence_against_hand_propagated_sensitivities() {
    for n in [1000usize, 3] {
        check_fn!(
            euler_recurrence,
            euler_recurrence_tangent,
            euler_recurrence_vjp,
            euler_recurrence_grad,
            [0, 1],
            const [n],
            &[[0.5, 1.2], [2.0, -0.7], [-1.0, 2.5]],
            |[x0, p]| {
                // u = dx/dx0 and v = dx/dp, carried along x by hand:
                // x' = x + h p sin x,  u' = (1 + h p cos x) u,  v' = (1 + h p cos x) v + h sin x.
                let h = 1.0 / n as f64;
                let (mut x, mut u, mut v) = (x0, 1.0, 0.0);
                for _ in 0..n {
                    let a = 1.0 + h * p * x.cos();
                    v = a * v + h * x.sin();
                    u *= a;
                    x += h * x.sin() * p;
                }
                [u, v]
            }
        );
    }
}

/// A reduction over an index: s = Σ_(i<n) sin(i x + y) / (1 + (i x)²).
#[derive_grad]
#[derive_tangent]
fn reduction(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let t = i as f64 * x;
        s += (t + y).sin() / (1.0 + t * t);
    }
    s
}

#[test]
fn reduction_over_an_index() {
    check_fn!(
        reduction,
        reduction_tangent,
        reduction_vjp,
        reduction_grad,
        [0, 1],
        const [50usize],
        &[[0.3, 0.4], [-0.8, 1.1], [0.05, -0.7]],
        |[x, y]| {
            let mut g = [0.0, 0.0];
            for i in 0..50 {
                let w = f64::from(i);
                let t = w * x;
                let q = 1.0 + t * t;
                let (s, c) = (t + y).sin_cos();
                g[0] += w * (c * q - 2.0 * t * s) / (q * q);
                g[1] += c / q;
            }
            g
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Other outputs and precisions
// ---------------------------------------------------------------------------------------------

/// A tuple output through a loop with `continue` and an early `return (a, b)`: (a, b) is
/// (r, 0) rotated by theta at each k < n with k % 3 != 2, returned as is right after step
/// `stop`, or with b negated when the loop ends.
#[derive_tangent]
#[derive_grad]
fn rotations(r: f64, theta: f64, n: usize, stop: usize) -> (f64, f64) {
    let (s, c) = theta.sin_cos();
    let mut a = r;
    let mut b = 0.0;
    for k in 0..n {
        if k % 3 == 2 {
            continue;
        }
        let a_next = a * c - b * s;
        b = a * s + b * c;
        a = a_next;
        if k == stop {
            return (a, b);
        }
    }
    (a, -b)
}

#[test]
fn tuple_output_with_loop_continue_and_early_return() {
    // (n, stop, m rotations, sign of b): returns after k = 0, 1, 3, 4; `stop` = 5 is skipped
    // by `continue` before it is tested (k = 0, 1, 3, 4, 6, 7, 9); `stop` past the end
    // (k = 0, 1, 3, 4, 6).
    for (n, stop, m, sign) in [
        (10usize, 4usize, 4.0, 1.0),
        (10, 5, 7.0, -1.0),
        (7, 100, 5.0, -1.0),
    ] {
        check_jacobian(
            &format!("rotations with n = {n}, stop = {stop}"),
            &[[1.5, 0.3], [0.8, -1.1], [2.0, 2.4]],
            |[r, theta]| {
                let (a, b) = rotations(r, theta, n, stop);
                [a, b]
            },
            |[r, theta], [dr, dtheta]| {
                let ((a, b), (da, db)) = rotations_tangent(r, dr, theta, dtheta, n, stop);
                ([a, b], [da, db])
            },
            |[r, theta], [wa, wb]| {
                let ((a, b), (gr, gtheta)) = rotations_vjp(r, theta, n, stop, (wa, wb));
                ([a, b], [gr, gtheta])
            },
            // (r cos mθ, σ r sin mθ)
            |[r, theta]| {
                let (s, c) = (m * theta).sin_cos();
                [[c, -r * m * s], [sign * s, sign * r * m * c]]
            },
        );
    }
}

/// `f32`: a `while` computing xⁿ, then an `if` expression on the result.
#[derive_grad]
#[derive_tangent]
fn power_f32(x: f32, y: f32, n: i32) -> f32 {
    let mut p = 1.0;
    let mut k = 0;
    while k < n {
        p *= x;
        k += 1;
    }
    if p > 2.0 { p.sqrt() * y } else { p * y }
}

#[test]
fn single_precision_loop_and_branch() {
    for n in [3, 0] {
        check_f32(
            &format!("power_f32 with n = {n}"),
            // xⁿ > 2 or not (far from 2 for the f32 step of 1e-2).
            &[[1.5, 0.8], [1.1, -0.6], [0.5, 2.0]],
            |[x, y]| power_f32(x, y, n),
            |[x, y], [dx, dy]| power_f32_tangent(x, dx, y, dy, n),
            |[x, y], s| {
                let (v, (gx, gy)) = power_f32_vjp(x, y, n, s);
                (v, [gx, gy])
            },
            |[x, y]| {
                let (v, (gx, gy)) = power_f32_grad(x, y, n);
                (v, [gx, gy])
            },
            |[x, y]| {
                let nf = f64::from(n);
                if x.powi(n) > 2.0 {
                    // f = y x^(n/2)
                    [y * 0.5 * nf * x.powf(0.5 * nf - 1.0), x.powf(0.5 * nf)]
                } else {
                    // f = y xⁿ
                    [y * nf * x.powi(n - 1), x.powi(n)]
                }
            },
        );
    }
}

/// `check` used directly, for a function whose constant sits between active parameters.
#[derive_tangent]
#[derive_grad]
fn constant_in_the_middle(x: f64, n: usize, y: f64) -> f64 {
    let mut s = x;
    for _ in 0..n {
        s = if s > y { s - y } else { s * x };
    }
    s
}

#[test]
fn branch_inside_a_loop_with_a_constant_between_active_parameters() {
    // s: x, then s - y while s > y, else s x. At (2.5, 0.7): 1.8, 1.1, 0.4, 1.0 (0.4 · 2.5),
    // 0.3, 0.75 (six steps). At (0.6, 0.9): 0.36, 0.216, ... (always s x: s = x^(n+1)).
    let n = 6;
    check(
        "constant_in_the_middle",
        &[[2.5, 0.7], [0.6, 0.9]],
        |[x, y]| constant_in_the_middle(x, n, y),
        |[x, y], [dx, dy]| constant_in_the_middle_tangent(x, dx, n, y, dy),
        |[x, y], s| {
            let (v, (gx, gy)) = constant_in_the_middle_vjp(x, n, y, s);
            (v, [gx, gy])
        },
        |[x, y]| {
            let (v, (gx, gy)) = constant_in_the_middle_grad(x, n, y);
            (v, [gx, gy])
        },
        |[x, y]| {
            if x > 1.0 {
                // Steps -y, -y, -y, ·x, -y, ·x: s = ((x - 3y) x - y) x = x³ - 3x² y - x y.
                [3.0 * x * x - 6.0 * x * y - y, -3.0 * x * x - x]
            } else {
                // s = x^(n+1)
                [7.0 * x.powi(6), 0.0]
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: constructs the macros once mishandled inside loops and regions
// ---------------------------------------------------------------------------------------------

/// `i != k` inside loops, the loop variable used nowhere else (MACRO BUG 1: `i` before `!=` was
/// taken for a macro name `i!`, so the reverse sweep replayed the comparison without binding `i`,
/// and the second loop's renamed `i` was not renamed in the comparison).
#[derive_tangent]
#[derive_grad]
fn not_equal_in_loops(x: f64, y: f64, n: usize) -> f64 {
    let mut s = y;
    for i in 0..n {
        if i != 2 {
            s *= x;
        }
    }
    for i in 0..n {
        if 1 != i {
            s += x * y;
        }
    }
    s
}

#[test]
fn not_equal_on_a_loop_variable() {
    // n = 5: the first loop multiplies by x four times (all i but 2), the second adds x y four
    // times (all i but 1): f = y x⁴ + 4 x y.
    check_fn!(
        not_equal_in_loops,
        not_equal_in_loops_tangent,
        not_equal_in_loops_vjp,
        not_equal_in_loops_grad,
        [0, 1],
        const [5],
        &[[0.7, 1.3], [-1.2, 0.4], [1.5, -0.9]],
        |[x, y]| [4.0 * y * x.powi(3) + 4.0 * y, x.powi(4) + 4.0 * x]
    );
}

/// A float variable reassigned a bare float literal, which alone has the ambiguous type
/// `{float}` (MACRO BUG 3: the new version `z_1 = 2.0` made `z_1.sin()` fail with E0689), also
/// negated and inside a loop, and the first assignment of a `let q: f64;`.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_late_init)] // the late initialisation is what is under test
fn literal_reassignment(x: f64, y: f64) -> f64 {
    let mut z = x * 3.0;
    let w = z * y;
    z = 2.0;
    let mut a = z.sin() * w;
    for _ in 0..2 {
        z = -0.5;
        a += z.exp() * x;
    }
    let q: f64;
    q = 0.25;
    a + q.sqrt() * y
}

#[test]
fn float_variable_reassigned_a_literal() {
    // f = sin(2) · 3 x y + 2 e^(-1/2) x + y / 2.
    check_fn!(
        literal_reassignment,
        literal_reassignment_tangent,
        literal_reassignment_vjp,
        literal_reassignment_grad,
        [0, 1],
        &[[0.7, 1.3], [-1.2, 0.4], [1.5, -0.9]],
        |[x, y]| {
            let s2 = 2.0_f64.sin();
            [3.0 * s2 * y + 2.0 * (-0.5_f64).exp(), 3.0 * s2 * x + 0.5]
        }
    );
}

/// Loop-carried variables whose value after the loop is dead, the first use of whose adjoint in
/// the reverse sweep is a negation (MACRO BUG 4: the adjoint started as an untyped
/// `ad_runtime::zero()` and rustc failed with E0282), at the top level and in a loop nested in
/// another one.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::assign_op_pattern)] // written out on purpose: this is what is under test
fn dead_cells_after_loops(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    let mut k = x;
    for _ in 0..n {
        s = s + k * y;
        k = k * x;
        k = -k;
    }
    let mut t = 0.0;
    for j in 0..2 {
        let mut m = y + j as f64;
        for _ in 0..2 {
            t = t + m * x;
            m = m * y;
            m = -m;
        }
    }
    s + t
}

#[test]
fn loop_carried_variables_dead_after_the_loop() {
    // k takes x, -x², x³: with n = 3, s = y (x - x² + x³). For j = 0, 1, m takes y + j, then
    // -(y + j) y: t = Σ_j x (y + j)(1 - y) = x (1 - y)(2y + 1) = x (1 + y - 2y²).
    check_fn!(
        dead_cells_after_loops,
        dead_cells_after_loops_tangent,
        dead_cells_after_loops_vjp,
        dead_cells_after_loops_grad,
        [0, 1],
        const [3],
        &[[0.7, 1.3], [-1.2, 0.4], [1.5, -0.9]],
        |[x, y]| {
            [
                y * (1.0 - 2.0 * x + 3.0 * x * x) + 1.0 + y - 2.0 * y * y,
                x - x * x + x * x * x + x * (1.0 - 4.0 * y),
            ]
        }
    );
}

/// A copy `b = y` inside a loop, where `b` already held `y`'s value before the loop, so that the
/// trial lowering of the body saw no change to `b` (MACRO BUG 5: `b` was not carried, and after
/// the loop it named the loop-local version of `y`: E0425).
#[derive_tangent]
#[derive_grad]
fn copy_escapes_its_loop(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut b = y;
    for _ in 0..n {
        b = y;
        y *= x;
    }
    b * y + b
}

#[test]
fn copy_inside_a_loop_read_after_it() {
    // Each step: b = y, then y = y x. After n = 3 steps b = x³, y = x⁴: f = x⁷ + x³.
    check_fn!(
        copy_escapes_its_loop,
        copy_escapes_its_loop_tangent,
        copy_escapes_its_loop_vjp,
        copy_escapes_its_loop_grad,
        [0],
        const [3],
        &[[0.7], [-1.2], [1.1]],
        |[x]| [7.0 * x.powi(6) + 3.0 * x * x]
    );
}

/// Tuple `let`s of constants only inside a loop body and after an early `return`, regions that
/// the reverse sweep replays (MACRO BUG 6: the destructuring was copied as one statement that
/// the replay did not repeat: "cannot find value `t`").
#[derive_tangent]
#[derive_grad]
fn constant_tuples_in_regions(x: f64, n: usize) -> f64 {
    let mut s = x;
    for _ in 0..n {
        let (a, t) = (0.25, 2.0);
        s = s * a + t * x;
    }
    if n > 5 {
        return s;
    }
    let (c, d): (f64, f64) = (3.0, 0.5);
    s * c + d * x * x
}

#[test]
fn tuples_of_constants_in_a_loop_and_after_a_return() {
    // s_(k+1) = s_k / 4 + 2x from s_0 = x: s_n = x (1/4ⁿ + 2 Σ_(i<n) 1/4ⁱ). For n ≤ 5 the
    // function goes on to 3 s_n + x² / 2; for n = 7 it returns s_n.
    let slope = |n: i32| 0.25_f64.powi(n) + 2.0 * (0..n).map(|i| 0.25_f64.powi(i)).sum::<f64>();
    check_fn!(
        constant_tuples_in_regions,
        constant_tuples_in_regions_tangent,
        constant_tuples_in_regions_vjp,
        constant_tuples_in_regions_grad,
        [0],
        const [3],
        &[[0.7], [-1.2], [1.1]],
        |[x]| [3.0 * slope(3) + x]
    );
    check_fn!(
        constant_tuples_in_regions,
        constant_tuples_in_regions_tangent,
        constant_tuples_in_regions_vjp,
        constant_tuples_in_regions_grad,
        [0],
        const [7],
        &[[0.7], [-1.2], [1.1]],
        |[_x]| [slope(7)]
    );
}

/// Adjoints reached from loops they are not defined in: `a` (a parameter) and `c` (the top
/// level) from the inner loop's branches, `b` (the outer loop's body) from the inner loop. The
/// reverse sweep sums each in a local of the loop and adds it in after the loop, nested twice
/// for `a` and `c`.
#[allow(clippy::needless_range_loop)] // index loops, as users write them
#[derive_tangent]
#[derive_grad]
fn shared_scalars(x: &[f64], a: f64) -> f64 {
    let n = x.len();
    let c = a * a;
    let mut s = 0.0;
    for i in 0..n {
        let b = x[i] * a;
        let mut t = 0.0;
        for j in 0..n {
            if x[j] > 0.0 {
                t += b * x[j] * c;
            } else {
                t -= b * x[j];
            }
        }
        s = s * 0.5 + t.sin();
    }
    s
}

/// By hand: with `w_j = a²` where `x_j > 0` and `-1` elsewhere, `W = Σ x_j w_j`, `t_i = x_i a W`
/// and `s = Σ_i 0.5^(n-1-i) sin t_i`; `g_i = 0.5^(n-1-i) cos t_i`, `G = Σ g_i x_i`:
/// `∂s/∂x_k = g_k a W + a w_k G`, `∂s/∂a = G (W + 2a² Σ_{x_j > 0} x_j)`.
fn shared_scalars_by_hand(x: &[f64], a: f64) -> (Vec<f64>, f64) {
    let n = x.len();
    let w: Vec<f64> = x
        .iter()
        .map(|&v| if v > 0.0 { a * a } else { -1.0 })
        .collect();
    let big_w: f64 = x.iter().zip(&w).map(|(v, w)| v * w).sum();
    let g: Vec<f64> = (0..n)
        .map(|i| 0.5f64.powi((n - 1 - i) as i32) * (x[i] * a * big_w).cos())
        .collect();
    let big_g: f64 = g.iter().zip(x).map(|(g, v)| g * v).sum();
    let dx = (0..n)
        .map(|k| g[k] * a * big_w + a * w[k] * big_g)
        .collect();
    let positive: f64 = x.iter().filter(|&&v| v > 0.0).sum();
    (dx, big_g * (big_w + 2.0 * a * a * positive))
}

#[test]
fn adjoints_summed_across_nested_loops() {
    let mut rng = ad_tests::r#gen::Rng(0x5u64);
    for n in [1, 2, 5] {
        let mut p = rng.vec(n + 1, -0.8, 0.8);
        p[0] = -p[0].abs() - 0.1; // both branches taken
        let split = |p: &[f64]| (p[..n].to_vec(), p[n]);
        ad_tests::check_flat(
            "shared_scalars",
            &p,
            |p| {
                let (x, a) = split(p);
                shared_scalars(&x, a)
            },
            |p, d| {
                let ((x, a), (dx, da)) = (split(p), split(d));
                shared_scalars_tangent(&x, &dx, a, da)
            },
            |p, g| {
                let (x, a) = split(p);
                let mut dx = g[..n].to_vec();
                let (v, da) = shared_scalars_grad(&x, &mut dx, a);
                g[..n].copy_from_slice(&dx);
                g[n] += da;
                v
            },
            |p| {
                let (x, a) = split(p);
                let (mut dx, da) = shared_scalars_by_hand(&x, a);
                dx.push(da);
                dx
            },
        );
    }
}
