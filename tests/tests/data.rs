//! Arrays, slices, `Vec` and iterators through both macros (SPEC §3, §4, §5 "Indexing and
//! data"): `x[i]`, `x[i][j]`, `x.len()`, local `vec![0.0; n]`, `[0.0; N]`, `Vec::new()` and
//! `Vec::with_capacity(n)` with `push`, element writes `v[i] = ..` and `v[i] += ..` in loops,
//! `for v in xs.iter()`, `for &v in xs`, `.enumerate()`, `.zip(..)`, `sum`, `map(..).sum`,
//! `product`, `fold`, array outputs built in a local array; parameters `&[f64]`, `&Vec<f64>`,
//! `&mut [f64]`, `&mut Vec<f64>`, `[f64; N]`, `[[f64; 3]; 2]`, mixed with `f64` and integers.
//!
//! Every function carries both macros and is checked three ways:
//! (a) against a derivative worked out by hand (closed forms per component),
//! (b) against central finite differences,
//! (c) forward mode against reverse mode, to 1e-12 relative per component (SPEC §8). For a
//!     slice, the full forward gradient is built from `_tangent` with one unit tangent vector
//!     per component and compared with the `_grad` shadow.
//!
//! The generated signatures assumed (SPEC §4): a slice `x: &[f64]` gets a tangent `dx: &[f64]`
//! and a reverse shadow `dx: &mut [f64]` right after it, into which the adjoint is ADDED; the
//! reverse functions return the value alone when no by-value parameter is active, else
//! `(value, adjoint)`. An array `[f64; N]` gets its tangent by value and its adjoint returned. A
//! `&mut [f64]` / `&mut Vec<f64>` output `y` gets a shadow `dy: &mut [f64]` holding the tangent
//! (entry on entry, exit on exit) in `_tangent`, and the cotangent of the exit values on entry /
//! the adjoint of the entry values on exit in `_vjp`.
//!
//! Also here: Extended Rosenbrock for n = 2, 10, 1000 (slice) and n = 2, 4, 10, 1000 (array);
//! a dense layer `y = tanh(W x + b)` written into `&mut [f64]` (Jacobian by hand, finite
//! differences, the dot-product test `<J v, u> = <v, J^T u>`); the loss of a 16-32-1 tanh MLP
//! (577 parameters) against finite differences on every parameter; a pre-filled shadow receiving
//! `+=`.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::r#gen::Rng;
use ad_tests::models::*;
use ad_tests::{At, HAND, MODES, Tol, VALUE, central_difference, check, check_jacobian};

// ---------------------------------------------------------------------------------------------
// Machinery for slices
// ---------------------------------------------------------------------------------------------

/// `n` floats of magnitude in [lo, hi) and random sign (away from zero).
fn vec_signed(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let m = rng.range(lo, hi);
            if rng.chance(0.5) { -m } else { m }
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The sum of the magnitudes of the terms of `dot(a, b)`: the scale of its rounding error.
fn dot_scale(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum()
}

/// `shadow += g`, for the adjoint of a by-value parameter that `_grad` returns.
fn add_into(shadow: &mut [f64], g: &[f64]) {
    assert_eq!(shadow.len(), g.len());
    for (s, g) in shadow.iter_mut().zip(g) {
        *s += g;
    }
}

/// Known nonzero (and some zero) values to pre-fill a shadow with.
fn prefill(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 - 0.25 * (i % 7) as f64).collect()
}

/// `shadow == prefilled + g`, up to the rounding of adding the contributions one at a time.
fn accumulated(prefilled: f64, g: f64) -> Tol {
    Tol {
        rel: 1e-12,
        abs: 1e-12 * (prefilled.abs() + g.abs()),
    }
}

/// `got` against the dot product whose terms have magnitudes summing to `scale`.
fn dot_tol(rel: f64, scale: f64) -> Tol {
    Tol {
        rel,
        abs: rel * scale.max(1e-300),
    }
}

/// Which components [`check_slices`] differentiates one at a time by forward mode (one
/// `_tangent` pass each) and by finite differences.
#[derive(Clone, Copy)]
enum Components<'a> {
    All,
    Only(&'a [usize]),
}

/// Every check of a scalar function of slices (all active inputs flattened into one vector
/// `p`), at each point:
///
/// - the values of the generated functions against `f` ([`VALUE`]);
/// - the `_grad` shadow (zeroed) against the hand gradient ([`HAND`]), every component;
/// - for the chosen components: `_tangent` along the unit vector against the hand gradient
///   ([`HAND`]), both modes against central finite differences ([`Tol::fd`]), forward against
///   reverse ([`MODES`]);
/// - `_vjp` at other seeds against seed times `_grad` ([`MODES`]);
/// - a shadow pre-filled with known values receives `+=`: prefill + gradient;
/// - `_tangent` along random directions against the hand gradient dotted with them, and against
///   the `_grad` shadow dotted with them (forward against reverse, 1e-12 of the terms' scale).
///
/// The closures split `p` (and the tangent / shadow) into the function's parameters:
/// - `tangent(p, dp)`: `NAME_tangent`: (value, directional derivative);
/// - `vjp(p, shadow, seed)`: `NAME_vjp`, adding seed times the gradient into `shadow` (the
///   closure adds the adjoints of by-value parameters, which `_vjp` returns, into their slots);
/// - `grad(p, shadow)`: `NAME_grad`, likewise;
/// - `analytic(p)`: the gradient by hand.
#[allow(clippy::too_many_arguments)]
fn check_slices(
    name: &str,
    points: &[Vec<f64>],
    components: Components,
    f: impl Fn(&[f64]) -> f64,
    tangent: impl Fn(&[f64], &[f64]) -> (f64, f64),
    vjp: impl Fn(&[f64], &mut [f64], f64) -> f64,
    grad: impl Fn(&[f64], &mut [f64]) -> f64,
    analytic: impl Fn(&[f64]) -> Vec<f64>,
) {
    let mut rng = Rng(0x5eed);
    for p in points {
        let n = p.len();
        let name = format!("{name} (n = {n})");
        // Failure messages show the first few coordinates of the point.
        let at = At(&name, &p[..n.min(8)]);
        let value = f(p);
        let by_hand = analytic(p);
        assert_eq!(by_hand.len(), n, "{name}: length of the hand gradient");

        // Reverse mode into a zeroed shadow: the whole gradient in one pass.
        let mut reverse = vec![0.0; n];
        let v = grad(p, &mut reverse);
        at.close("value of _grad", 0, v, value, VALUE);
        for i in 0..n {
            at.close("_grad vs hand", i, reverse[i], by_hand[i], HAND);
        }

        // Forward mode, one unit tangent vector per component, and finite differences.
        let which: Vec<usize> = match components {
            Components::All => (0..n).collect(),
            Components::Only(c) => c.to_vec(),
        };
        let fd_tol = Tol::fd(value);
        let mut e = vec![0.0; n];
        for &i in &which {
            e[i] = 1.0;
            let (v, t) = tangent(p, &e);
            e[i] = 0.0;
            at.close("value of _tangent", i, v, value, VALUE);
            at.close("_tangent vs hand", i, t, by_hand[i], HAND);
            let fd = central_difference(&f, p, i);
            at.close("_tangent vs finite differences", i, t, fd, fd_tol);
            at.close("_grad vs finite differences", i, reverse[i], fd, fd_tol);
            at.close("forward vs reverse", i, t, reverse[i], MODES);
        }

        // Other seeds scale the adjoints; seed 1 is `_grad`.
        for seed in [1.0, -0.75, 2.5] {
            let mut adj = vec![0.0; n];
            let v = vjp(p, &mut adj, seed);
            at.close("value of _vjp", 0, v, value, VALUE);
            for i in 0..n {
                at.close("_vjp vs seed * _grad", i, adj[i], seed * reverse[i], MODES);
            }
        }

        // A pre-filled shadow receives +=.
        let before = prefill(n);
        let mut shadow = before.clone();
        grad(p, &mut shadow);
        for i in 0..n {
            let want = before[i] + reverse[i];
            let tol = accumulated(before[i], reverse[i]);
            at.close("pre-filled shadow += gradient", i, shadow[i], want, tol);
        }

        // Random directions: the tangent is the gradient dotted with the direction.
        for _ in 0..3 {
            let dir = rng.vec(n, -1.0, 1.0);
            let (_, t) = tangent(p, &dir);
            let want = dot(&by_hand, &dir);
            let tol = dot_tol(1e-9, dot_scale(&by_hand, &dir));
            at.close("_tangent along a direction vs hand", 0, t, want, tol);
            let want = dot(&reverse, &dir);
            let tol = dot_tol(1e-12, dot_scale(&reverse, &dir));
            at.close("_tangent along a direction vs _grad", 0, t, want, tol);
        }
    }
}

/// [`check_slices`] on all components of a function of one slice, `f(x: &[f64]) -> f64`.
macro_rules! check_slice_fn {
    ($f:ident, $tangent:ident, $vjp:ident, $grad:ident, $points:expr, $analytic:expr $(,)?) => {
        check_slices(
            stringify!($f),
            $points,
            Components::All,
            |p| $f(p),
            |p, d| $tangent(p, d),
            |p, s, seed| $vjp(p, s, seed),
            |p, s| $grad(p, s),
            $analytic,
        )
    };
}

/// Points of the given lengths, coordinates in [lo, hi).
fn points(seed: u64, lengths: &[usize], lo: f64, hi: f64) -> Vec<Vec<f64>> {
    let mut rng = Rng(seed);
    lengths.iter().map(|&n| rng.vec(n, lo, hi)).collect()
}

/// A function that reads active inputs `p` (flattened) and the entry values of an output
/// `y: &mut [f64]`, and leaves its exit values in `y`: the map (p, y on entry) -> y on exit,
/// with Jacobian `J` (columns: `p`, then `y` on entry). Checks, at each point:
///
/// - the values that `_tangent` and `_vjp` write into `y` against the function's;
/// - `J` by `_tangent` (unit tangents of `p` and of `y` on entry, one pass per column) and by
///   `_vjp` (unit cotangents of `y` on exit, one pass per row) against the Jacobian by hand
///   ([`HAND`]), finite differences ([`Tol::fd`]), and each other ([`MODES`]);
/// - the dot-product test `<J v, u> = <v, J^T u>` for random `v`, `u` (1e-12 relative);
/// - a pre-filled shadow of `p` receives `+=`, while the shadow of `y` is overwritten (it holds
///   the adjoint of the entry values on exit, whatever it held before).
///
/// - `run(p, y)`: the function;
/// - `tangent(p, dp, y, dy)`: `NAME_tangent`;
/// - `vjp(p, shadow, y, dy)`: `NAME_vjp` (the closure adds the adjoints of by-value
///   parameters, which `_vjp` returns, into their slots of `shadow`);
/// - `jacobian(p, y)`: `J` by hand at (p, y on entry), one row per output.
fn check_in_out(
    name: &str,
    points: &[(Vec<f64>, Vec<f64>)],
    run: impl Fn(&[f64], &mut [f64]),
    tangent: impl Fn(&[f64], &[f64], &mut [f64], &mut [f64]),
    vjp: impl Fn(&[f64], &mut [f64], &mut [f64], &mut [f64]),
    jacobian: impl Fn(&[f64], &[f64]) -> Vec<Vec<f64>>,
) {
    let mut rng = Rng(0xd07);
    for (p, y_in) in points {
        let (np, m) = (p.len(), y_in.len());
        let name = format!("{name} ({np} inputs, {m} outputs)");
        let at = At(&name, &p[..np.min(8)]);
        let mut y_out = y_in.clone();
        run(p, &mut y_out);
        let by_hand = jacobian(p, y_in);
        assert_eq!(by_hand.len(), m, "{name}: rows of the hand Jacobian");

        // Columns by forward mode.
        let columns: Vec<Vec<f64>> = (0..np + m)
            .map(|j| {
                let mut dp = vec![0.0; np];
                let mut dy = vec![0.0; m];
                if j < np {
                    dp[j] = 1.0;
                } else {
                    dy[j - np] = 1.0;
                }
                let mut y = y_in.clone();
                tangent(p, &dp, &mut y, &mut dy);
                for i in 0..m {
                    at.close("value written by _tangent", i, y[i], y_out[i], VALUE);
                }
                dy
            })
            .collect();
        // Rows by reverse mode.
        let rows: Vec<Vec<f64>> = (0..m)
            .map(|i| {
                let mut dp = vec![0.0; np];
                let mut dy = vec![0.0; m];
                dy[i] = 1.0;
                let mut y = y_in.clone();
                vjp(p, &mut dp, &mut y, &mut dy);
                for k in 0..m {
                    at.close("value written by _vjp", k, y[k], y_out[k], VALUE);
                }
                dp.extend_from_slice(&dy);
                dp
            })
            .collect();

        let point: Vec<f64> = p.iter().chain(y_in).copied().collect();
        for i in 0..m {
            assert_eq!(
                by_hand[i].len(),
                np + m,
                "{name}: columns of the hand Jacobian"
            );
            let output_i = |q: &[f64]| {
                let mut y = q[np..].to_vec();
                run(&q[..np], &mut y);
                y[i]
            };
            for j in 0..np + m {
                let (fwd, rev, hand) = (columns[j][i], rows[i][j], by_hand[i][j]);
                let k = i * (np + m) + j;
                let fd = central_difference(output_i, &point, j);
                at.close("J by _tangent vs hand", k, fwd, hand, HAND);
                at.close("J by _vjp vs hand", k, rev, hand, HAND);
                at.close("J by _tangent vs fd", k, fwd, fd, Tol::fd(y_out[i]));
                at.close("J forward vs reverse", k, fwd, rev, MODES);
            }
        }

        // The dot-product test on random vectors.
        for trial in 0..4 {
            let v = rng.vec(np + m, -1.0, 1.0);
            let u = rng.vec(m, -1.0, 1.0);
            let mut y = y_in.clone();
            let mut jv = v[np..].to_vec(); // the tangent of y on entry
            tangent(p, &v[..np], &mut y, &mut jv);
            let mut y = y_in.clone();
            let mut jtu = vec![0.0; np];
            let mut dy = u.clone(); // overwritten by _vjp: a copy of u
            vjp(p, &mut jtu, &mut y, &mut dy);
            jtu.extend_from_slice(&dy);
            let (lhs, rhs) = (dot(&jv, &u), dot(&v, &jtu));
            let tol = dot_tol(1e-12, dot_scale(&jv, &u));
            at.close("<J v, u> vs <v, J^T u>", trial, lhs, rhs, tol);

            // Pre-filled shadow of p: +=. The shadow of y: overwritten.
            let before = prefill(np);
            let mut shadow = before.clone();
            let mut y = y_in.clone();
            let mut dy2 = u.clone();
            vjp(p, &mut shadow, &mut y, &mut dy2);
            for j in 0..np {
                let (want, tol) = (before[j] + jtu[j], accumulated(before[j], jtu[j]));
                at.close("pre-filled shadow += J^T u", j, shadow[j], want, tol);
            }
            for i in 0..m {
                at.close("shadow of y on exit", i, dy2[i], dy[i], MODES);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Extended Rosenbrock on a slice: x[i], x[i + 1], an integer parameter
// ---------------------------------------------------------------------------------------------

/// The gradient of Extended Rosenbrock on the first `n` entries, by hand, per component:
/// `df/dx_i = 200 (x_i - x_{i-1}^2) [i > 0] - 400 x_i (x_{i+1} - x_i^2) - 2 (1 - x_i) [i < n-1]`,
/// and zero for `i >= n`.
fn rosenbrock_hand(x: &[f64], n: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let mut g = 0.0;
            if i > 0 && i < n {
                g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
            }
            if i + 1 < n {
                g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
            }
            g
        })
        .collect()
}

/// Points for Rosenbrock in `n` dimensions: the classic start (-1.2, 1, -1.2, 1, ..), the
/// minimum (1, .., 1), and two random points in [-1.5, 1.5)^n.
fn rosenbrock_points(n: usize) -> Vec<Vec<f64>> {
    let mut rng = Rng(n as u64);
    vec![
        (0..n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect(),
        vec![1.0; n],
        rng.vec(n, -1.5, 1.5),
        rng.vec(n, -1.5, 1.5),
    ]
}

#[test]
fn rosenbrock_on_a_slice_n_2_and_10() {
    for n in [2, 10] {
        check_slices(
            "rosenbrock",
            &rosenbrock_points(n),
            Components::All,
            |x| rosenbrock(x, x.len()),
            |x, dx| rosenbrock_tangent(x, dx, x.len()),
            |x, dx, seed| rosenbrock_vjp(x, dx, x.len(), seed),
            |x, dx| rosenbrock_grad(x, dx, x.len()),
            |x| rosenbrock_hand(x, x.len()),
        );
    }
}

#[test]
fn rosenbrock_on_a_slice_n_1000() {
    // The whole reverse gradient against the hand gradient; forward mode and finite differences
    // on a few components at both ends and in the middle, and along random directions.
    check_slices(
        "rosenbrock",
        &rosenbrock_points(1000),
        Components::Only(&[0, 1, 2, 499, 500, 997, 998, 999]),
        |x| rosenbrock(x, x.len()),
        |x, dx| rosenbrock_tangent(x, dx, x.len()),
        |x, dx, seed| rosenbrock_vjp(x, dx, x.len(), seed),
        |x, dx| rosenbrock_grad(x, dx, x.len()),
        |x| rosenbrock_hand(x, x.len()),
    );
}

#[test]
fn a_prefilled_shadow_receives_plus_equals() {
    // Twelve entries, of which Rosenbrock uses the first ten: the last two shadow entries keep
    // their values exactly.
    let x = Rng(12).vec(12, -1.5, 1.5);
    let n = 10;
    let g = rosenbrock_hand(&x, n);
    let before: Vec<f64> = (0..12).map(|i| 3.0 - 0.5 * i as f64).collect();
    let at = At("rosenbrock, pre-filled shadow", &x);

    let mut dx = before.clone();
    let v = rosenbrock_grad(&x, &mut dx, n);
    at.close("value of _grad", 0, v, rosenbrock(&x, n), VALUE);
    for i in 0..n {
        let tol = accumulated(before[i], g[i]);
        at.close("_grad: prefill + gradient", i, dx[i], before[i] + g[i], tol);
    }
    assert_eq!(dx[10..], before[10..], "entries past n are untouched");

    // Again into the same shadow: the gradient is added a second time.
    rosenbrock_grad(&x, &mut dx, n);
    for i in 0..n {
        let want = before[i] + 2.0 * g[i];
        let tol = accumulated(before[i], 2.0 * g[i]);
        at.close("_grad twice: prefill + 2 gradient", i, dx[i], want, tol);
    }

    // `_vjp` adds seed times the gradient.
    let mut dx = before.clone();
    rosenbrock_vjp(&x, &mut dx, n, -0.5);
    for i in 0..n {
        let (want, tol) = (before[i] - 0.5 * g[i], accumulated(before[i], 0.5 * g[i]));
        at.close("_vjp: prefill + seed gradient", i, dx[i], want, tol);
    }
    assert_eq!(dx[10..], before[10..], "entries past n are untouched");

    // With a by-value parameter too: the slice's shadow accumulates, the scalar's adjoint is
    // returned alone.
    let (a, xs) = (1.3, [0.4, -0.2, 0.9]);
    let (want_x, want_a) = log_sum_exp_scaled_hand(a, &xs);
    let before = [10.0, -20.0, 0.125];
    let mut dxs = before;
    let (v, ga) = log_sum_exp_scaled_grad(a, &xs, &mut dxs);
    let at = At("log_sum_exp_scaled, pre-filled shadow", &xs);
    at.close("value of _grad", 0, v, log_sum_exp_scaled(a, &xs), VALUE);
    at.close("adjoint of a", 0, ga, want_a, HAND);
    for i in 0..3 {
        let tol = accumulated(before[i], want_x[i]);
        at.close("prefill + gradient", i, dxs[i], before[i] + want_x[i], tol);
    }
}

// ---------------------------------------------------------------------------------------------
// Extended Rosenbrock on arrays `[f64; N]`, by value: x.len()
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
fn rosenbrock_2(x: [f64; 2]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn rosenbrock_4(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

#[derive_grad]
#[derive_tangent]
fn rosenbrock_10(x: [f64; 10]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn rosenbrock_1000(x: [f64; 1000]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

fn array_points<const N: usize>() -> Vec<[f64; N]> {
    rosenbrock_points(N)
        .iter()
        .map(|p| p[..].try_into().unwrap())
        .collect()
}

/// [`rosenbrock_hand`] on an array.
fn rosenbrock_hand_array<const N: usize>(x: [f64; N]) -> [f64; N] {
    rosenbrock_hand(&x, N).try_into().unwrap()
}

#[test]
fn rosenbrock_on_arrays_n_2_4_10() {
    check(
        "rosenbrock_2",
        &array_points::<2>(),
        rosenbrock_2,
        rosenbrock_2_tangent,
        rosenbrock_2_vjp,
        rosenbrock_2_grad,
        rosenbrock_hand_array,
    );
    check(
        "rosenbrock_4",
        &array_points::<4>(),
        rosenbrock_4,
        rosenbrock_4_tangent,
        rosenbrock_4_vjp,
        rosenbrock_4_grad,
        rosenbrock_hand_array,
    );
    check(
        "rosenbrock_10",
        &array_points::<10>(),
        rosenbrock_10,
        rosenbrock_10_tangent,
        rosenbrock_10_vjp,
        rosenbrock_10_grad,
        rosenbrock_hand_array,
    );
}

#[test]
fn rosenbrock_on_an_array_n_1000() {
    let arr = |p: &[f64]| -> [f64; 1000] { p.try_into().unwrap() };
    check_slices(
        "rosenbrock_1000",
        &rosenbrock_points(1000),
        Components::Only(&[0, 1, 2, 499, 500, 997, 998, 999]),
        |x| rosenbrock_1000(arr(x)),
        |x, dx| rosenbrock_1000_tangent(arr(x), arr(dx)),
        |x, dx, seed| {
            let (v, g) = rosenbrock_1000_vjp(arr(x), seed);
            add_into(dx, &g);
            v
        },
        |x, dx| {
            let (v, g) = rosenbrock_1000_grad(arr(x));
            add_into(dx, &g);
            v
        },
        |x| rosenbrock_hand(x, x.len()),
    );
}

// ---------------------------------------------------------------------------------------------
// x[i][j] on [[f64; 3]; 2], with a [f64; 3]
// ---------------------------------------------------------------------------------------------

/// `sum_i (i + 1) sin(r_i)` with `r = M v`: nested indexing `m[i][j]`.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
fn mat_form(m: [[f64; 3]; 2], v: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        let mut r = 0.0;
        for j in 0..3 {
            r += m[i][j] * v[j];
        }
        s += (i as f64 + 1.0) * r.sin();
    }
    s
}

/// (M, v) from the flat point [m00, m01, m02, m10, m11, m12, v0, v1, v2].
fn split_mat(p: [f64; 9]) -> ([[f64; 3]; 2], [f64; 3]) {
    ([[p[0], p[1], p[2]], [p[3], p[4], p[5]]], [p[6], p[7], p[8]])
}

fn flat_mat(m: [[f64; 3]; 2], v: [f64; 3]) -> [f64; 9] {
    let [[a, b, c], [d, e, f]] = m;
    [a, b, c, d, e, f, v[0], v[1], v[2]]
}

#[test]
fn nested_indexing_on_a_two_by_three_array() {
    check(
        "mat_form",
        &[
            [0.3, -0.5, 0.8, 1.1, 0.2, -0.7, 0.9, -0.4, 0.6],
            [-1.0, 0.4, 0.25, 0.6, -0.9, 1.3, -0.3, 1.2, 0.5],
        ],
        |p| {
            let (m, v) = split_mat(p);
            mat_form(m, v)
        },
        |p, d| {
            let ((m, v), (dm, dv)) = (split_mat(p), split_mat(d));
            mat_form_tangent(m, dm, v, dv)
        },
        |p, seed| {
            let (m, v) = split_mat(p);
            let (value, (gm, gv)) = mat_form_vjp(m, v, seed);
            (value, flat_mat(gm, gv))
        },
        |p| {
            let (m, v) = split_mat(p);
            let (value, (gm, gv)) = mat_form_grad(m, v);
            (value, flat_mat(gm, gv))
        },
        |p| {
            // r_i = sum_j m_ij v_j; df/dm_ij = (i+1) cos(r_i) v_j; df/dv_j = sum_i (i+1) cos(r_i) m_ij.
            let (m, v) = split_mat(p);
            let c: [f64; 2] = std::array::from_fn(|i| {
                let r = m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2];
                (i as f64 + 1.0) * r.cos()
            });
            let gm = [c[0] * v[0], c[0] * v[1], c[0] * v[2]];
            let gm2 = [c[1] * v[0], c[1] * v[1], c[1] * v[2]];
            let gv: [f64; 3] = std::array::from_fn(|j| c[0] * m[0][j] + c[1] * m[1][j]);
            flat_mat([gm, gm2], gv)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Local Vec: vec![0.0; n] with v[i] = .., v[i] += .. in loops; Vec::with_capacity / Vec::new
// with push
// ---------------------------------------------------------------------------------------------

/// `v = vec![0.0; n]`, `v[i] = sin(x_i) x_{i+1}` (cyclic), then `sum_i v_i v_{i+1}`.
#[derive_tangent]
#[derive_grad]
fn vec_cyclic(x: &[f64]) -> f64 {
    let n = x.len();
    let mut v = vec![0.0; n];
    for i in 0..n {
        v[i] = x[i].sin() * x[(i + 1) % n];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += v[i] * v[(i + 1) % n];
    }
    s
}

/// By hand: `df/dv_k = v_{k-1} + v_{k+1}`; `v_k` depends on `x_k` through `cos(x_k) x_{k+1}` and
/// on `x_{k+1}` through `sin(x_k)` (indices mod n).
fn vec_cyclic_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let v: Vec<f64> = (0..n).map(|i| x[i].sin() * x[(i + 1) % n]).collect();
    let mut g = vec![0.0; n];
    for k in 0..n {
        let v_bar = v[(k + n - 1) % n] + v[(k + 1) % n];
        g[k] += v_bar * x[k].cos() * x[(k + 1) % n];
        g[(k + 1) % n] += v_bar * x[k].sin();
    }
    g
}

#[test]
fn local_vec_written_then_read() {
    check_slice_fn!(
        vec_cyclic,
        vec_cyclic_tangent,
        vec_cyclic_vjp,
        vec_cyclic_grad,
        &points(21, &[1, 2, 3, 8], -2.0, 2.0),
        vec_cyclic_hand,
    );
}

/// `v[k] += cos((k + 1) x_i)` over a double loop into `vec![0.0; m]`, then `sum_k v_k^2`.
#[derive_grad]
#[derive_tangent]
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
fn vec_accumulate(x: &[f64], m: usize) -> f64 {
    let mut v = vec![0.0; m];
    for i in 0..x.len() {
        for k in 0..m {
            v[k] += (x[i] * (k + 1) as f64).cos();
        }
    }
    let mut s = 0.0;
    for k in 0..m {
        s += v[k] * v[k];
    }
    s
}

/// By hand: `v_k = sum_i cos((k+1) x_i)`, `df/dx_i = sum_k 2 v_k (-(k+1) sin((k+1) x_i))`.
fn vec_accumulate_hand(x: &[f64], m: usize) -> Vec<f64> {
    let v: Vec<f64> = (1..=m)
        .map(|k| x.iter().map(|&xi| (k as f64 * xi).cos()).sum())
        .collect();
    x.iter()
        .map(|&xi| {
            (1..=m)
                .map(|k| -2.0 * v[k - 1] * k as f64 * (k as f64 * xi).sin())
                .sum()
        })
        .collect()
}

#[test]
fn local_vec_accumulated_with_plus_equals() {
    for m in [1, 4] {
        check_slices(
            &format!("vec_accumulate with m = {m}"),
            &points(22, &[1, 3, 6], -1.5, 1.5),
            Components::All,
            |x| vec_accumulate(x, m),
            |x, dx| vec_accumulate_tangent(x, dx, m),
            |x, dx, seed| vec_accumulate_vjp(x, dx, m, seed),
            |x, dx| vec_accumulate_grad(x, dx, m),
            |x| vec_accumulate_hand(x, m),
        );
    }
}

/// `Vec::with_capacity(n)` and `Vec::new()` filled by `push`, read back by index and by `iter()`:
/// `s_i = x_i^2 + 1`, `f = sum_{i >= 1} ln(s_i) s_{i-1}`.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
fn pushed(x: &[f64]) -> f64 {
    let n = x.len();
    let mut squares = Vec::with_capacity(n);
    for i in 0..n {
        squares.push(x[i] * x[i] + 1.0);
    }
    let mut terms: Vec<f64> = Vec::new();
    for i in 1..n {
        terms.push(squares[i].ln() * squares[i - 1]);
    }
    terms.iter().sum::<f64>()
}

/// By hand: `df/ds_k = s_{k-1} / s_k [k >= 1] + ln(s_{k+1}) [k + 1 < n]`, `ds_k/dx_k = 2 x_k`.
fn pushed_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let s: Vec<f64> = x.iter().map(|v| v * v + 1.0).collect();
    (0..n)
        .map(|k| {
            let mut s_bar = 0.0;
            if k >= 1 {
                s_bar += s[k - 1] / s[k];
            }
            if k + 1 < n {
                s_bar += s[k + 1].ln();
            }
            2.0 * x[k] * s_bar
        })
        .collect()
}

#[test]
fn local_vecs_filled_by_push() {
    check_slice_fn!(
        pushed,
        pushed_tangent,
        pushed_vjp,
        pushed_grad,
        &points(23, &[1, 2, 5, 9], -1.5, 1.5),
        pushed_hand,
    );
}

// ---------------------------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------------------------

/// `for v in xs.iter()` with `*v`: `sum x sin x`.
#[derive_tangent]
#[derive_grad]
fn iter_ref(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in xs.iter() {
        s += *v * (*v).sin();
    }
    s
}

#[test]
fn for_over_iter_with_deref() {
    check_slice_fn!(
        iter_ref,
        iter_ref_tangent,
        iter_ref_vjp,
        iter_ref_grad,
        &points(31, &[1, 2, 7], -2.0, 2.0),
        |x: &[f64]| x.iter().map(|&v| v.sin() + v * v.cos()).collect(),
    );
}

/// `for &v in xs`: a linear recurrence `s = s / 2 + v^2`, so `f = sum_i 2^-(n-1-i) x_i^2`.
#[derive_grad]
#[derive_tangent]
fn iter_pattern(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in xs {
        s = s * 0.5 + v * v;
    }
    s
}

#[test]
fn for_over_a_slice_with_a_reference_pattern() {
    check_slice_fn!(
        iter_pattern,
        iter_pattern_tangent,
        iter_pattern_vjp,
        iter_pattern_grad,
        &points(32, &[1, 2, 7], -2.0, 2.0),
        |x: &[f64]| {
            let n = x.len();
            (0..n)
                .map(|i| 2.0 * x[i] * 0.5f64.powi((n - 1 - i) as i32))
                .collect()
        },
    );
}

/// `for (i, v) in xs.iter().enumerate()`: `sum_i (i + 1) exp(x_i / 2)`.
#[derive_tangent]
#[derive_grad]
fn iter_enumerate(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for (i, v) in xs.iter().enumerate() {
        s += (i + 1) as f64 * (*v * 0.5).exp();
    }
    s
}

#[test]
fn for_over_enumerate() {
    check_slice_fn!(
        iter_enumerate,
        iter_enumerate_tangent,
        iter_enumerate_vjp,
        iter_enumerate_grad,
        &points(33, &[1, 2, 7], -2.0, 2.0),
        |x: &[f64]| {
            x.iter()
                .enumerate()
                .map(|(i, &v)| (i + 1) as f64 * 0.5 * (v * 0.5).exp())
                .collect()
        },
    );
}

/// `for (a, b) in xs.iter().zip(ys.iter())`: `sum (a - b)^2 a` over the shorter length.
#[derive_grad]
#[derive_tangent]
fn iter_zip(xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, b) in xs.iter().zip(ys.iter()) {
        let d = *a - *b;
        s += d * d * *a;
    }
    s
}

#[test]
fn for_over_zip_of_two_slices() {
    // Equal lengths, and each one longer: the tail of the longer one has zero gradient.
    for (nx, ny) in [(1, 1), (5, 5), (3, 6), (6, 3)] {
        let mut rng = Rng(34 + nx as u64 * 10 + ny as u64);
        let pts: Vec<Vec<f64>> = (0..2).map(|_| rng.vec(nx + ny, -2.0, 2.0)).collect();
        check_slices(
            &format!("iter_zip with lengths {nx}, {ny}"),
            &pts,
            Components::All,
            |p| iter_zip(&p[..nx], &p[nx..]),
            |p, d| iter_zip_tangent(&p[..nx], &d[..nx], &p[nx..], &d[nx..]),
            |p, s, seed| {
                let (sx, sy) = s.split_at_mut(nx);
                iter_zip_vjp(&p[..nx], sx, &p[nx..], sy, seed)
            },
            |p, s| {
                let (sx, sy) = s.split_at_mut(nx);
                iter_zip_grad(&p[..nx], sx, &p[nx..], sy)
            },
            |p| {
                // d/da = 2 (a - b) a + (a - b)^2, d/db = -2 (a - b) a, for the paired entries.
                let (x, y) = p.split_at(nx);
                let mut g = vec![0.0; nx + ny];
                for i in 0..nx.min(ny) {
                    let d = x[i] - y[i];
                    g[i] = 2.0 * d * x[i] + d * d;
                    g[nx + i] = -2.0 * d * x[i];
                }
                g
            },
        );
    }
}

/// `xs.iter().sum::<f64>()`, squared.
#[derive_tangent]
#[derive_grad]
fn iter_sum(xs: &[f64]) -> f64 {
    let s = xs.iter().sum::<f64>();
    s * s
}

#[test]
fn iter_sum_reduction() {
    check_slice_fn!(
        iter_sum,
        iter_sum_tangent,
        iter_sum_vjp,
        iter_sum_grad,
        &points(35, &[1, 2, 7], -2.0, 2.0),
        |x: &[f64]| vec![2.0 * x.iter().sum::<f64>(); x.len()],
    );
}

/// `.map(|v| v * v).sum()` and `.map(|&v| ..).sum()`: `(sum x^2) (sum sin 2x)`.
#[derive_grad]
#[derive_tangent]
fn iter_map_sum(xs: &[f64]) -> f64 {
    let a = xs.iter().map(|v| v * v).sum::<f64>();
    let b = xs.iter().map(|&v| (2.0 * v).sin()).sum::<f64>();
    a * b
}

#[test]
fn iter_map_sum_reductions() {
    check_slice_fn!(
        iter_map_sum,
        iter_map_sum_tangent,
        iter_map_sum_vjp,
        iter_map_sum_grad,
        &points(36, &[1, 2, 7], -2.0, 2.0),
        |x: &[f64]| {
            let a: f64 = x.iter().map(|v| v * v).sum();
            let b: f64 = x.iter().map(|v| (2.0 * v).sin()).sum();
            x.iter()
                .map(|&v| 2.0 * v * b + a * 2.0 * (2.0 * v).cos())
                .collect()
        },
    );
}

/// `.product::<f64>()`, plain and after `.map(|&v| ..)`: `prod x + prod (1 + x^2)`.
#[derive_tangent]
#[derive_grad]
fn iter_product(xs: &[f64]) -> f64 {
    let p = xs.iter().product::<f64>();
    let q = xs.iter().map(|&v| 1.0 + v * v).product::<f64>();
    p + q
}

#[test]
fn iter_product_reductions() {
    let mut rng = Rng(37);
    let pts: Vec<Vec<f64>> = [1, 2, 3, 7]
        .iter()
        .map(|&n| vec_signed(&mut rng, n, 0.4, 1.6))
        .collect();
    check_slice_fn!(
        iter_product,
        iter_product_tangent,
        iter_product_vjp,
        iter_product_grad,
        &pts,
        |x: &[f64]| {
            // d/dx_i: the product of the others, plus 2 x_i times the other factors 1 + x_j^2.
            (0..x.len())
                .map(|i| {
                    let others = |h: &dyn Fn(f64) -> f64| -> f64 {
                        (0..x.len()).filter(|&j| j != i).map(|j| h(x[j])).product()
                    };
                    others(&|v| v) + 2.0 * x[i] * others(&|v| 1.0 + v * v)
                })
                .collect()
        },
    );
}

/// `.fold(0.0, |acc, v| acc + v * v)`: the Euclidean norm.
#[derive_grad]
#[derive_tangent]
fn iter_fold(xs: &[f64]) -> f64 {
    xs.iter().fold(0.0, |acc, v| acc + v * v).sqrt()
}

#[test]
fn iter_fold_reduction() {
    let mut rng = Rng(38);
    let pts: Vec<Vec<f64>> = [1, 2, 7]
        .iter()
        .map(|&n| vec_signed(&mut rng, n, 0.2, 2.0))
        .collect();
    check_slice_fn!(
        iter_fold,
        iter_fold_tangent,
        iter_fold_vjp,
        iter_fold_grad,
        &pts,
        |x: &[f64]| {
            let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
            x.iter().map(|v| v / norm).collect()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Mixed parameters: a by-value f64 and a slice
// ---------------------------------------------------------------------------------------------

/// `ln(sum_i exp(a x_i)) / a`.
#[derive_tangent]
#[derive_grad]
fn log_sum_exp_scaled(a: f64, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        s += (a * v).exp();
    }
    s.ln() / a
}

/// By hand, with `e_i = exp(a x_i)`, `S = sum e_i`: `df/dx_i = e_i / S`,
/// `df/da = (sum x_i e_i / S) / a - ln(S) / a^2`. Returns (gradient of x, derivative in a).
fn log_sum_exp_scaled_hand(a: f64, x: &[f64]) -> (Vec<f64>, f64) {
    let e: Vec<f64> = x.iter().map(|&v| (a * v).exp()).collect();
    let s: f64 = e.iter().sum();
    let gx = e.iter().map(|ei| ei / s).collect();
    let xe: f64 = x.iter().zip(&e).map(|(xi, ei)| xi * ei).sum();
    (gx, xe / s / a - s.ln() / (a * a))
}

#[test]
fn a_scalar_and_a_slice() {
    // p = [a, x...]: the closures put the returned adjoint of `a` into slot 0.
    let mut rng = Rng(41);
    let pts: Vec<Vec<f64>> = [1, 2, 6]
        .iter()
        .flat_map(|&n| {
            [0.7, -1.9].map(|a| std::iter::once(a).chain(rng.vec(n, -1.5, 1.5)).collect())
        })
        .collect();
    check_slices(
        "log_sum_exp_scaled",
        &pts,
        Components::All,
        |p| log_sum_exp_scaled(p[0], &p[1..]),
        |p, d| log_sum_exp_scaled_tangent(p[0], d[0], &p[1..], &d[1..]),
        |p, s, seed| {
            let (v, ga) = log_sum_exp_scaled_vjp(p[0], &p[1..], &mut s[1..], seed);
            s[0] += ga;
            v
        },
        |p, s| {
            let (v, ga) = log_sum_exp_scaled_grad(p[0], &p[1..], &mut s[1..]);
            s[0] += ga;
            v
        },
        |p| {
            let (gx, ga) = log_sum_exp_scaled_hand(p[0], &p[1..]);
            std::iter::once(ga).chain(gx).collect()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// &Vec<f64> and &mut Vec<f64>
// ---------------------------------------------------------------------------------------------

/// The (population) variance, of a `&Vec<f64>`: `v.len()`, `v.iter().sum()`, `v[i]`.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::ptr_arg, clippy::needless_range_loop)] // on purpose: this is what is under test
fn variance(v: &Vec<f64>) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let mut s = 0.0;
    for i in 0..v.len() {
        s += (v[i] - mean) * (v[i] - mean);
    }
    s / n
}

#[test]
fn a_vec_by_shared_reference() {
    // The tangent of `&Vec<f64>` is `&[f64]`, its shadow `&mut [f64]`.
    check_slices(
        "variance",
        &points(51, &[1, 2, 5], -2.0, 3.0),
        Components::All,
        |p| variance(&p.to_vec()),
        |p, d| variance_tangent(&p.to_vec(), d),
        |p, s, seed| variance_vjp(&p.to_vec(), s, seed),
        |p, s| variance_grad(&p.to_vec(), s),
        |p| {
            // d/dx_i = 2 (x_i - mean) / n: the mean's own derivative multiplies sum (x_j - mean) = 0.
            let n = p.len() as f64;
            let mean = p.iter().sum::<f64>() / n;
            p.iter().map(|x| 2.0 * (x - mean) / n).collect()
        },
    );
}

/// In place on a `&mut Vec<f64>`, read before written: `y_i <- y_i^2 + c`.
#[derive_grad]
#[derive_tangent]
#[allow(clippy::ptr_arg, clippy::needless_range_loop)] // on purpose: this is what is under test
fn square_plus(y: &mut Vec<f64>, c: f64) {
    for i in 0..y.len() {
        y[i] = y[i] * y[i] + c;
    }
}

#[test]
fn a_vec_by_mutable_reference_in_and_out() {
    // p = [c]; the shadow of y carries the entry tangent in and the exit tangent out (forward),
    // the exit cotangent in and the entry adjoint out (reverse).
    let mut rng = Rng(52);
    let pts: Vec<(Vec<f64>, Vec<f64>)> = [1, 4]
        .iter()
        .map(|&m| (vec![rng.signed()], rng.vec(m, -2.0, 2.0)))
        .collect();
    check_in_out(
        "square_plus",
        &pts,
        |p, y| {
            let mut v = y.to_vec();
            square_plus(&mut v, p[0]);
            y.copy_from_slice(&v);
        },
        |p, dp, y, dy| {
            let mut v = y.to_vec();
            square_plus_tangent(&mut v, dy, p[0], dp[0]);
            y.copy_from_slice(&v);
        },
        |p, s, y, dy| {
            let mut v = y.to_vec();
            let gc = square_plus_vjp(&mut v, dy, p[0]);
            s[0] += gc;
            y.copy_from_slice(&v);
        },
        |_, y| {
            // dy_i/dc = 1, dy_i/dy_j (entry) = 2 y_i [i = j].
            (0..y.len())
                .map(|i| {
                    let mut row = vec![0.0; 1 + y.len()];
                    row[0] = 1.0;
                    row[1 + i] = 2.0 * y[i];
                    row
                })
                .collect()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// &mut [f64] outputs: axpy (read and written) and a dense layer (written only)
// ---------------------------------------------------------------------------------------------

/// `y += a x` on a `&mut [f64]`.
#[derive_tangent]
#[derive_grad]
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] += a * x[i];
    }
}

#[test]
fn a_mutable_slice_read_and_written() {
    // p = [a, x...]. The entry adjoint of y is its exit cotangent (y passes through).
    let mut rng = Rng(61);
    let pts: Vec<(Vec<f64>, Vec<f64>)> = [1, 5]
        .iter()
        .map(|&m| (rng.vec(1 + m, -2.0, 2.0), rng.vec(m, -2.0, 2.0)))
        .collect();
    check_in_out(
        "axpy",
        &pts,
        |p, y| axpy(p[0], &p[1..], y),
        |p, dp, y, dy| axpy_tangent(p[0], dp[0], &p[1..], &dp[1..], y, dy),
        |p, s, y, dy| {
            let (sa, sx) = s.split_at_mut(1);
            sa[0] += axpy_vjp(p[0], &p[1..], sx, y, dy);
        },
        |p, y| {
            // dy_i/da = x_i, dy_i/dx_j = a [i = j], dy_i/dy_j (entry) = [i = j].
            let m = y.len();
            (0..m)
                .map(|i| {
                    let mut row = vec![0.0; 1 + 2 * m];
                    row[0] = p[1 + i];
                    row[1 + i] = p[0];
                    row[1 + m + i] = 1.0;
                    row
                })
                .collect()
        },
    );
}

/// A dense layer `y = tanh(W x + b)`, `W` row-major `m x n` with `m = y.len()`, `n = x.len()`,
/// written into `y` (which is not read).
#[derive_tangent]
#[derive_grad]
fn dense(w: &[f64], x: &[f64], b: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..y.len() {
        let mut a = b[i];
        for j in 0..n {
            a += w[i * n + j] * x[j];
        }
        y[i] = a.tanh();
    }
}

/// The halves of `split_at_mut`, written in place: the first from `x`, the second updated from
/// its own entry values and the first half (read after it is written).
#[derive_tangent]
#[derive_grad]
fn split_update(x: &[f64], y: &mut [f64]) {
    let (lo, hi) = y.split_at_mut(2);
    for i in 0..2 {
        lo[i] = x[i] * x[i + 1];
    }
    for j in 0..hi.len() {
        hi[j] = hi[j] * lo[j % 2] + x[j].sin();
    }
}

#[test]
fn split_at_mut_halves_written_in_place() {
    let mut rng = Rng(83);
    let pts: Vec<_> = (0..3)
        .map(|_| (rng.vec(4, -1.5, 1.5), rng.vec(5, -2.0, 2.0)))
        .collect();
    check_in_out(
        "split_update",
        &pts,
        split_update,
        split_update_tangent,
        split_update_vjp,
        // Columns [x (4), y on entry (5)]. lo_i = x_i x_(i+1); hi_j = y_(2+j) lo_(j%2) + sin x_j.
        |x, y| {
            let mut rows = vec![vec![0.0; 9]; 5];
            for i in 0..2 {
                rows[i][i] += x[i + 1];
                rows[i][i + 1] += x[i];
            }
            for j in 0..3 {
                let (r, k) = (2 + j, j % 2);
                rows[r][4 + r] = x[k] * x[k + 1];
                rows[r][k] += y[r] * x[k + 1];
                rows[r][k + 1] += y[r] * x[k];
                rows[r][j] += x[j].cos();
            }
            rows
        },
    );
}

/// The layer's outputs computed directly (not through `dense`).
fn dense_direct(w: &[f64], x: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let n = x.len();
    (0..m)
        .map(|i| (b[i] + dot(&w[i * n..(i + 1) * n], x)).tanh())
        .collect()
}

/// The Jacobian of `dense` by hand, columns [W (m n), x (n), b (m), y on entry (m)]:
/// with `t_i = 1 - y_i^2`, `dy_i/dW_ij = t_i x_j`, `dy_i/dx_j = t_i W_ij`, `dy_i/db_i = t_i`,
/// and zero for y on entry.
fn dense_jacobian(p: &[f64], m: usize, n: usize) -> Vec<Vec<f64>> {
    let (w, rest) = p.split_at(m * n);
    let (x, b) = rest.split_at(n);
    let y = dense_direct(w, x, b, m);
    (0..m)
        .map(|i| {
            let t = 1.0 - y[i] * y[i];
            let mut row = vec![0.0; m * n + n + 2 * m];
            for j in 0..n {
                row[i * n + j] = t * x[j];
                row[m * n + j] = t * w[i * n + j];
            }
            row[m * n + n + i] = t;
            row
        })
        .collect()
}

/// Random layer parameters `[W, x, b]` for `m` outputs and `n` inputs, and garbage in `y` (which
/// the layer must not read).
fn dense_point(rng: &mut Rng, m: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut p = rng.vec(m * n, -0.6, 0.6);
    p.extend(rng.vec(n, -1.5, 1.5));
    p.extend(rng.vec(m, -0.5, 0.5));
    (p, rng.vec(m, 5.0, 9.0))
}

#[test]
fn dense_layer_jacobian_and_dot_product_test() {
    let mut rng = Rng(71);
    for (m, n) in [(1, 1), (3, 4), (8, 5)] {
        let pts: Vec<_> = (0..2).map(|_| dense_point(&mut rng, m, n)).collect();
        // Splits [W, x, b] (and its tangent or shadow) into the three parameters.
        let split = |p: &[f64]| -> (std::ops::Range<usize>, std::ops::Range<usize>, usize) {
            assert_eq!(p.len(), m * n + n + m);
            (0..m * n, m * n..m * n + n, m * n + n)
        };
        check_in_out(
            "dense",
            &pts,
            |p, y| {
                let (w, x, b) = split(p);
                dense(&p[w], &p[x], &p[b..], y)
            },
            |p, dp, y, dy| {
                let (w, x, b) = split(p);
                dense_tangent(
                    &p[w.clone()],
                    &dp[w],
                    &p[x.clone()],
                    &dp[x],
                    &p[b..],
                    &dp[b..],
                    y,
                    dy,
                )
            },
            |p, s, y, dy| {
                let (w, x, b) = split(p);
                let (sw, rest) = s.split_at_mut(x.start);
                let (sx, sb) = rest.split_at_mut(b - x.start);
                dense_vjp(&p[w], sw, &p[x], sx, &p[b..], sb, y, dy)
            },
            |p, _| dense_jacobian(p, m, n),
        );
    }
}

#[test]
fn dense_layer_values_and_the_shadow_of_a_pure_output() {
    let (m, n) = (6, 4);
    let mut rng = Rng(72);
    let (p, garbage) = dense_point(&mut rng, m, n);
    let (w, rest) = p.split_at(m * n);
    let (x, b) = rest.split_at(n);
    let want = dense_direct(w, x, b, m);
    let tol = Tol {
        rel: 1e-14,
        abs: 1e-15,
    };
    let at = At("dense", x);

    let mut y = garbage.clone();
    dense(w, x, b, &mut y);
    for i in 0..m {
        at.close("dense vs direct", i, y[i], want[i], tol);
    }

    // Forward: whatever y and its tangent hold on entry, the outputs and their tangents are
    // written. Tangent along W = 0, x = 0, b = 1: dy_i = 1 - y_i^2.
    let mut y = garbage.clone();
    let mut dy = vec![7.0; m];
    let (zw, zx, ones) = (vec![0.0; m * n], vec![0.0; n], vec![1.0; m]);
    dense_tangent(w, &zw, x, &zx, b, &ones, &mut y, &mut dy);
    for i in 0..m {
        at.close("y written by _tangent vs direct", i, y[i], want[i], tol);
        let t = 1.0 - want[i] * want[i];
        at.close("tangent of y along b = 1", i, dy[i], t, HAND);
    }

    // Reverse: y is written before it is read, so its shadow is zero on exit; the cotangent
    // (1, .., 1) gives db_i = 1 - y_i^2, added to what the shadows held.
    let mut y = garbage;
    let mut dy = vec![1.0; m];
    let (mut dw, mut dx, mut db) = (vec![0.0; m * n], vec![0.0; n], vec![0.25; m]);
    dense_vjp(w, &mut dw, x, &mut dx, b, &mut db, &mut y, &mut dy);
    for i in 0..m {
        at.close("y written by _vjp vs direct", i, y[i], want[i], tol);
        assert_eq!(dy[i], 0.0, "dense: shadow of a pure output is zero on exit");
        let t = 1.0 - want[i] * want[i];
        at.close("db += 1 - y^2", i, db[i], 0.25 + t, HAND);
    }
}

// ---------------------------------------------------------------------------------------------
// MLP: 16 inputs, 32 tanh hidden units, 1 linear output, squared error; a local [0.0; 32]
// ---------------------------------------------------------------------------------------------

/// The MLP loss's gradient by hand (backpropagation): with `h = tanh(W1 x + b1)`,
/// `e = w2 . h + b2 - target`: `dL/db2 = 2e`, `dL/dw2_j = 2e h_j`, `dL/db1_j = 2e w2_j (1 - h_j^2)`
/// =: `a_j`, `dL/dW1_jk = a_j x_k`, `dL/dx_k = sum_j a_j W1_jk`, `dL/dtarget = -2e`.
/// Returns (gradient of params, gradient of x, derivative in target).
fn mlp_loss_hand(params: &[f64], x: &[f64], target: f64) -> (Vec<f64>, Vec<f64>, f64) {
    let w1 = |j: usize, k: usize| params[j * INPUTS + k];
    let h: Vec<f64> = (0..HIDDEN)
        .map(|j| (params[B1 + j] + (0..INPUTS).map(|k| w1(j, k) * x[k]).sum::<f64>()).tanh())
        .collect();
    let out = params[B2] + (0..HIDDEN).map(|j| params[W2 + j] * h[j]).sum::<f64>();
    let e2 = 2.0 * (out - target);
    let mut gp = vec![0.0; PARAMS];
    let mut gx = vec![0.0; INPUTS];
    gp[B2] = e2;
    for j in 0..HIDDEN {
        gp[W2 + j] = e2 * h[j];
        let a = e2 * params[W2 + j] * (1.0 - h[j] * h[j]);
        gp[B1 + j] = a;
        for k in 0..INPUTS {
            gp[j * INPUTS + k] = a * x[k];
            gx[k] += a * w1(j, k);
        }
    }
    (gp, gx, -e2)
}

/// Parameters scaled so that the hidden pre-activations are of order one.
fn mlp_params(rng: &mut Rng) -> Vec<f64> {
    let mut p = rng.vec(B1, -0.25, 0.25);
    p.extend(rng.vec(HIDDEN, -0.5, 0.5));
    p.extend(rng.vec(HIDDEN, -0.4, 0.4));
    p.extend(rng.vec(1, -0.1, 0.1));
    assert_eq!(p.len(), 577);
    p
}

/// p = [params (577), x (16), target].
fn mlp_point(rng: &mut Rng, target: f64) -> Vec<f64> {
    let mut p = mlp_params(rng);
    p.extend(rng.vec(INPUTS, -1.0, 1.0));
    p.push(target);
    p
}

#[test]
fn mlp_loss_against_hand_and_finite_differences_on_all_parameters() {
    // Every one of the 577 parameters (and the 16 inputs and the target): the `_grad` shadow
    // against the hand gradient and against central finite differences (1e-6 relative, with an
    // absolute floor of 1e-6 times the loss), `_tangent` per component against `_grad`.
    let mut rng = Rng(81);
    let pts = vec![mlp_point(&mut rng, 0.3), mlp_point(&mut rng, -1.7)];
    let (xs, t) = (PARAMS..PARAMS + INPUTS, PARAMS + INPUTS);
    check_slices(
        "mlp_loss",
        &pts,
        Components::All,
        |p| mlp_loss(&p[..PARAMS], &p[xs.clone()], p[t]),
        |p, d| {
            mlp_loss_tangent(
                &p[..PARAMS],
                &d[..PARAMS],
                &p[xs.clone()],
                &d[xs.clone()],
                p[t],
                d[t],
            )
        },
        |p, s, seed| {
            let (sp, rest) = s.split_at_mut(PARAMS);
            let (sx, st) = rest.split_at_mut(INPUTS);
            let (v, gt) = mlp_loss_vjp(&p[..PARAMS], sp, &p[xs.clone()], sx, p[t], seed);
            st[0] += gt;
            v
        },
        |p, s| {
            let (sp, rest) = s.split_at_mut(PARAMS);
            let (sx, st) = rest.split_at_mut(INPUTS);
            let (v, gt) = mlp_loss_grad(&p[..PARAMS], sp, &p[xs.clone()], sx, p[t]);
            st[0] += gt;
            v
        },
        |p| {
            let (gp, gx, gt) = mlp_loss_hand(&p[..PARAMS], &p[xs.clone()], p[t]);
            gp.into_iter().chain(gx).chain([gt]).collect()
        },
    );
}

#[test]
fn mlp_loss_forward_vs_reverse_on_random_directions() {
    let mut rng = Rng(82);
    let p = mlp_params(&mut rng);
    let x = rng.vec(INPUTS, -1.0, 1.0);
    let target = 0.8;
    let (mut gp, mut gx) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
    let (value, gt) = mlp_loss_grad(&p, &mut gp, &x, &mut gx, target);
    let at = At("mlp_loss", &x);
    at.close("value of _grad", 0, value, mlp_loss(&p, &x, target), VALUE);
    for trial in 0..5 {
        let dp = rng.vec(PARAMS, -1.0, 1.0);
        let dx = rng.vec(INPUTS, -1.0, 1.0);
        let dt = rng.signed();
        let (v, t) = mlp_loss_tangent(&p, &dp, &x, &dx, target, dt);
        at.close("value of _tangent", trial, v, value, VALUE);
        let want = dot(&gp, &dp) + dot(&gx, &dx) + gt * dt;
        let scale = dot_scale(&gp, &dp) + dot_scale(&gx, &dx) + (gt * dt).abs();
        at.close(
            "tangent vs <grad, direction>",
            trial,
            t,
            want,
            dot_tol(1e-12, scale),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Array outputs built in a local [0.0; M]
// ---------------------------------------------------------------------------------------------

/// The first three raw moments of a slice, returned as `[f64; 3]` built in a local array.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
fn moments(x: &[f64]) -> [f64; 3] {
    let mut m = [0.0; 3];
    for &v in x {
        m[0] += v;
        m[1] += v * v;
        m[2] += v * v * v;
    }
    let n = x.len() as f64;
    for k in 0..3 {
        m[k] /= n;
    }
    m
}

#[test]
fn array_output_of_a_slice() {
    // `moments_tangent(x, dx) -> ([f64; 3], [f64; 3])`, `moments_vjp(x, dx, seed: [f64; 3]) ->
    // [f64; 3]` (the value; the adjoint went into the shadow). A returned array is a pure
    // output: the closures present it as an output slice that is written, not read.
    let mut rng = Rng(91);
    let pts: Vec<(Vec<f64>, Vec<f64>)> = [1, 2, 6]
        .iter()
        .map(|&n| (rng.vec(n, -2.0, 2.0), vec![0.0; 3]))
        .collect();
    check_in_out(
        "moments",
        &pts,
        |x, y| y.copy_from_slice(&moments(x)),
        |x, dx, y, dy| {
            let (v, t) = moments_tangent(x, dx);
            y.copy_from_slice(&v);
            dy.copy_from_slice(&t);
        },
        |x, sx, y, dy| {
            let v = moments_vjp(x, sx, [dy[0], dy[1], dy[2]]);
            y.copy_from_slice(&v);
            dy.fill(0.0);
        },
        |x, _| {
            // d m_k / d x_j = k x_j^(k-1) / n, k = 1, 2, 3.
            let n = x.len() as f64;
            (1..=3)
                .map(|k| {
                    let mut row: Vec<f64> =
                        x.iter().map(|v| k as f64 * v.powi(k - 1) / n).collect();
                    row.extend([0.0; 3]);
                    row
                })
                .collect()
        },
    );
}

/// The cross product of two `[f64; 3]`, built in a local `[0.0; 3]`.
#[derive_grad]
#[derive_tangent]
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    let mut c = [0.0; 3];
    for i in 0..3 {
        let (j, k) = ((i + 1) % 3, (i + 2) % 3);
        c[i] = a[j] * b[k] - a[k] * b[j];
    }
    c
}

#[test]
fn array_output_of_two_arrays() {
    let split = |p: [f64; 6]| ([p[0], p[1], p[2]], [p[3], p[4], p[5]]);
    check_jacobian(
        "cross",
        &[
            [1.0, 0.5, -0.3, 0.2, -1.4, 2.0],
            [-0.7, 1.2, 0.9, 1.5, 0.4, -0.6],
        ],
        |p| {
            let (a, b) = split(p);
            cross(a, b)
        },
        |p, d| {
            let ((a, b), (da, db)) = (split(p), split(d));
            cross_tangent(a, da, b, db)
        },
        |p, w| {
            let (a, b) = split(p);
            let (v, (ga, gb)) = cross_vjp(a, b, w);
            (v, [ga[0], ga[1], ga[2], gb[0], gb[1], gb[2]])
        },
        |p| {
            // c_i = a_j b_k - a_k b_j for (i, j, k) cyclic: dc_i/da_j = b_k, dc_i/da_k = -b_j,
            // dc_i/db_k = a_j, dc_i/db_j = -a_k.
            let (a, b) = split(p);
            std::array::from_fn(|i| {
                let (j, k) = ((i + 1) % 3, (i + 2) % 3);
                let mut row = [0.0; 6];
                row[j] = b[k];
                row[k] = -b[j];
                row[3 + k] = a[j];
                row[3 + j] = -a[k];
                row
            })
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Regression: adapters of ranges over an active slice's length
// ---------------------------------------------------------------------------------------------

/// `(0..w.len()).rev()` and `(0..w.len()).step_by(2)` as `for` iterators (MACRO BUG 2: the
/// adapters were refused, "cannot differentiate the method call `.rev(..)`", because the range
/// mentions the active `w`; a range of integers carries no derivative).
#[derive_tangent]
#[derive_grad]
#[allow(clippy::needless_range_loop)] // index loops are what is under test
fn reversed_and_stepped(w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..w.len()).rev() {
        s = s * w[0] + w[i];
    }
    for j in (0..w.len()).step_by(2) {
        s += w[j] * w[j];
    }
    s
}

#[test]
fn reversed_and_stepped_ranges_over_a_slice() {
    // Horner in x = w₀ from the last coefficient: p(x) = Σᵢ wᵢ xⁱ; then Σ over even j of wⱼ².
    // ∂f/∂wₖ = xᵏ (+ 2 wₖ for even k), and ∂f/∂w₀ also gets p'(x) = Σ_(i≥1) i wᵢ xⁱ⁻¹.
    check_slice_fn!(
        reversed_and_stepped,
        reversed_and_stepped_tangent,
        reversed_and_stepped_vjp,
        reversed_and_stepped_grad,
        &points(0xae5, &[1, 2, 3, 5], -1.0, 1.0),
        |w| {
            let x = w[0];
            let mut g: Vec<f64> = (0..w.len())
                .map(|k| x.powi(k as i32) + if k % 2 == 0 { 2.0 * w[k] } else { 0.0 })
                .collect();
            g[0] += (1..w.len())
                .map(|i| i as f64 * w[i] * x.powi(i as i32 - 1))
                .sum::<f64>();
            g
        },
    );
}

#[ad_runtime::derive_grad(wrt(c, out))]
#[allow(clippy::needless_range_loop)]
fn grows(c: f64, y0: f64, out: &mut [f64]) {
    let mut y = y0;
    for i in 0..out.len() {
        y += c * y;
        out[i] = y;
    }
}
/// A carried variable that starts from a constant and leaves only through a `&mut` output (its
/// adjoint once failed to get a type: E0283).
#[test]
fn carried_from_a_constant_out_through_memory() {
    let mut out = [0.0; 3];
    let mut dout = [1.0, 1.0, 1.0];
    let c_bar = grows_vjp(0.5, 1.0, &mut out, &mut dout);
    // y_k = (1+c)^k: sum_k k (1+c)^(k-1) for k = 1..3 = 1 + 2*1.5 + 3*2.25 = 10.75
    assert!((c_bar - 10.75).abs() < 1e-12, "{c_bar}");
    grows(0.5, 1.0, &mut out);
    assert_eq!(out, [1.5, 2.25, 3.375]);
}

/// Writes through `iter_mut()`: alone, enumerated, and zipped with a read-only iterator.
#[ad_runtime::derive_tangent]
#[ad_runtime::derive_grad]
fn through_iter_mut(x: &[f64], a: f64, out: &mut [f64]) {
    for (o, &xi) in out.iter_mut().zip(x.iter()) {
        *o = a * xi.sin();
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o += i as f64 * a;
    }
    for o in out.iter_mut() {
        *o *= 2.0;
    }
    let mut local = vec![0.0; out.len()];
    for (l, &o) in local.iter_mut().zip(out.iter()) {
        *l = o * o;
    }
    for (o, &l) in out.iter_mut().zip(local.iter()) {
        *o += 0.5 * l;
    }
}

#[test]
fn writes_through_iter_mut() {
    let x: [f64; 3] = [0.3, -1.2, 2.0];
    let a = 0.7;
    // out_i = y + y^2 / 2 with y = 2 (a sin x_i + i a).
    let y: Vec<f64> = (0..3)
        .map(|i| 2.0 * (a * x[i].sin() + i as f64 * a))
        .collect();
    let mut out = [0.0; 3];
    through_iter_mut(&x, a, &mut out);
    for i in 0..3 {
        assert!((out[i] - (y[i] + 0.5 * y[i] * y[i])).abs() < 1e-14);
    }
    // Forward, along da = 1: dout_i = (1 + y_i) 2 (sin x_i + i).
    let (mut out2, mut dout) = ([0.0; 3], [0.0; 3]);
    through_iter_mut_tangent(&x, &[0.0; 3], a, 1.0, &mut out2, &mut dout);
    assert_eq!(out2, out);
    for i in 0..3 {
        let want = (1.0 + y[i]) * 2.0 * (x[i].sin() + i as f64);
        assert!((dout[i] - want).abs() < 1e-13, "{i}: {} vs {want}", dout[i]);
    }
    // Reverse, with the cotangent e_2 on the outputs: d out_2 / d x_2 and d out_2 / d a.
    let (mut out3, mut dx, mut s) = ([0.0; 3], [0.0; 3], [0.0, 0.0, 1.0]);
    let a_bar = through_iter_mut_vjp(&x, &mut dx, a, &mut out3, &mut s);
    assert!((dx[2] - (1.0 + y[2]) * 2.0 * a * x[2].cos()).abs() < 1e-13);
    assert_eq!((dx[0], dx[1]), (0.0, 0.0));
    assert!((a_bar - (1.0 + y[2]) * 2.0 * (x[2].sin() + 2.0)).abs() < 1e-13);
    // And against finite differences in `a`.
    let f = |q: &[f64]| {
        let mut o = [0.0; 3];
        through_iter_mut(&x, q[0], &mut o);
        o[2]
    };
    let fd = ad_tests::central_difference(f, &[a], 0);
    assert!((a_bar - fd).abs() < 1e-6 * fd.abs().max(1.0));
}
