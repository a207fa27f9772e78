//! Exits from inside a value: `return` in a closure or local `fn` (which leaves the closure,
//! not the function being differentiated), and `break 'l v` or `return v` whose value `v`
//! itself jumps out. Each once gave a silently wrong value and gradient (the closure's `return`
//! was taken for the function's; the outer jump overwrote the inner one's value). Every function
//! is checked against a gradient by hand, central finite differences, and forward against
//! reverse mode (`ad_tests::check`), on both sides of each branch.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::check;

/// `t²` for `t > 0`, else `-t`, and its derivative.
fn kinked(t: f64) -> (f64, f64) {
    if t > 0.0 {
        (t * t, 2.0 * t)
    } else {
        (-t, -1.0)
    }
}

/// Points on both sides of the kinks at `x = 0` and `y = 1`.
const POINTS: [[f64; 2]; 4] = [[0.7, 1.6], [-0.4, 1.3], [1.2, 0.2], [-0.9, -0.5]];

/// A closure returning early, called twice: `2 f(x) + y f(y - 1)`.
#[derive_tangent]
#[derive_grad]
fn closure_return(p: [f64; 2]) -> f64 {
    let [x, y] = p;
    let f = |t: f64| {
        if t > 0.0 {
            return t * t;
        }
        -t
    };
    f(x) * 2.0 + y * f(y - 1.0)
}

fn closure_return_by_hand(p: [f64; 2]) -> [f64; 2] {
    let [x, y] = p;
    let ((_, dfx), (fy, dfy)) = (kinked(x), kinked(y - 1.0));
    [2.0 * dfx, fy + y * dfy]
}

/// A local `fn` returning early from inside a loop of its own, called in a loop.
#[derive_tangent]
#[derive_grad]
fn local_fn_return(p: [f64; 2]) -> f64 {
    fn first_above(t: f64, steps: usize) -> f64 {
        let mut v = t;
        for _ in 0..steps {
            if v > 2.0 {
                return v * 0.5;
            }
            v = v * 1.5 + 0.25;
        }
        v
    }
    let [x, y] = p;
    let mut s = 0.0;
    for k in 0..3 {
        s += first_above(x + y * k as f64, 4);
    }
    s
}

/// `first_above` and its derivative in `t`, by hand: each step multiplies the derivative by
/// 1.5, the early return by 0.5.
fn first_above_by_hand(t: f64, steps: usize) -> (f64, f64) {
    let (mut v, mut dv) = (t, 1.0);
    for _ in 0..steps {
        if v > 2.0 {
            return (v * 0.5, dv * 0.5);
        }
        v = v * 1.5 + 0.25;
        dv *= 1.5;
    }
    (v, dv)
}

fn local_fn_return_by_hand(p: [f64; 2]) -> [f64; 2] {
    let [x, y] = p;
    let mut g = [0.0; 2];
    for k in 0..3 {
        let (_, d) = first_above_by_hand(x + y * k as f64, 4);
        g[0] += d;
        g[1] += d * k as f64;
    }
    g
}

/// `break 'l v` whose value breaks out of the same loop first.
#[allow(clippy::never_loop)] // the shape under test
#[derive_tangent]
#[derive_grad]
fn break_in_break_value(p: [f64; 2]) -> f64 {
    let [x, y] = p;
    let v = 'l: loop {
        break 'l ({
            if x > 0.0 {
                break 'l x * x;
            }
            -x
        });
    };
    v * 2.0 + y * (y - 1.0)
}

/// `return v` whose value returns first.
#[derive_tangent]
#[derive_grad]
fn return_in_return_value(p: [f64; 2]) -> f64 {
    let [x, y] = p;
    #[allow(clippy::needless_return)]
    return {
        if y - 1.0 > 0.0 {
            return x * 2.0 + y * (y - 1.0) * (y - 1.0);
        }
        x * 2.0 - y * (y - 1.0)
    };
}

fn both_kinks_by_hand(p: [f64; 2]) -> [f64; 2] {
    let [x, y] = p;
    let ((_, dfx), (fy, dfy)) = (kinked(x), kinked(y - 1.0));
    [2.0 * dfx, fy + y * dfy]
}

#[test]
fn return_inside_a_closure_or_local_fn() {
    check(
        "closure_return",
        &POINTS,
        closure_return,
        closure_return_tangent,
        closure_return_vjp,
        closure_return_grad,
        closure_return_by_hand,
    );
    check(
        "local_fn_return",
        &[[0.3, 0.2], [1.1, 0.7], [-0.5, 1.4], [2.5, 0.1]],
        local_fn_return,
        local_fn_return_tangent,
        local_fn_return_vjp,
        local_fn_return_grad,
        local_fn_return_by_hand,
    );
}

#[test]
fn a_jump_inside_the_value_of_a_jump() {
    check(
        "break_in_break_value",
        &POINTS,
        break_in_break_value,
        break_in_break_value_tangent,
        break_in_break_value_vjp,
        break_in_break_value_grad,
        // 2 f(x) + y (y - 1): d/dy = 2 y - 1
        |p| [both_kinks_by_hand(p)[0], 2.0 * p[1] - 1.0],
    );
    check(
        "return_in_return_value",
        &POINTS,
        return_in_return_value,
        return_in_return_value_tangent,
        return_in_return_value_vjp,
        return_in_return_value_grad,
        // 2 x + y f(y - 1) with f as above (t² for t > 0, else -t)
        |p| [2.0, both_kinks_by_hand(p)[1]],
    );
}
