//! Shared machinery of the integration tests: finite differences, tolerances, and the checks
//! that compare a generated derivative three ways (SPEC §8):
//!
//! - against a derivative worked out by hand,
//! - against central finite differences,
//! - forward mode against reverse mode, to 1e-12 relative per component.
//!
//! [`check`] (and [`check_fn!`] on top of it) does all three for a scalar `f64` function,
//! [`check_f32`] for an `f32` one, [`check_jacobian`] for a function with several outputs.

#![warn(missing_docs)]

pub mod alloc;
pub mod r#gen;
pub mod models;
pub mod plot;

/// The examples of the published crates' READMEs, run as doctests (`cargo test --doc -p
/// ad-tests`), so that what crates.io shows compiles and is right.
#[cfg(doctest)]
#[doc = include_str!("../../ad-runtime/README.md")]
pub struct ReadmeAdRuntime;

/// See [`ReadmeAdRuntime`].
#[cfg(doctest)]
#[doc = include_str!("../../ad-macros/README.md")]
pub struct ReadmeAdMacros;

/// Central finite difference of `f` at `x` along coordinate `i`.
pub fn central_difference(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * x[i].abs().max(1.0);
    let mut plus = x.to_vec();
    let mut minus = x.to_vec();
    plus[i] += h;
    minus[i] -= h;
    (f(&plus) - f(&minus)) / (plus[i] - minus[i])
}

/// The gradient of `f` at `x` by central finite differences.
pub fn fd_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len()).map(|i| central_difference(&f, x, i)).collect()
}

/// Central finite difference of an `f32` function at `p` along coordinate `i`, with a step of
/// 1e-2 (scaled by `|p[i]|` when that exceeds 1): `f32` arithmetic needs a much larger step than
/// [`central_difference`]'s 1e-6.
pub fn fd_f32<const N: usize>(f: impl Fn([f32; N]) -> f32, p: [f32; N], i: usize) -> f64 {
    let h = 1e-2 * p[i].abs().max(1.0);
    let (mut plus, mut minus) = (p, p);
    plus[i] += h;
    minus[i] -= h;
    f64::from(f(plus) - f(minus)) / f64::from(plus[i] - minus[i])
}

// ---------------------------------------------------------------------------------------------
// Tolerances
// ---------------------------------------------------------------------------------------------

/// A tolerance: relative, with an absolute floor for values near zero.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    /// Largest accepted difference, relative to the larger magnitude of the two values.
    pub rel: f64,
    /// Largest difference always accepted, whatever the magnitudes.
    pub abs: f64,
}

impl Tol {
    /// Generated derivatives against central finite differences (h = 1e-6 scale) of a function
    /// whose value is `value`.
    pub fn fd(value: f64) -> Tol {
        Tol {
            rel: 1e-6,
            abs: 1e-6 * value.abs().max(1.0),
        }
    }

    /// Whether `got` and `want` agree: equal (also as infinities of one sign), or differing by at
    /// most `abs`, or by at most `rel` times the larger magnitude. NaN agrees with nothing. (The
    /// semantics of `approx::relative_eq!`.)
    pub fn accepts(self, got: f64, want: f64) -> bool {
        if got == want {
            return true;
        }
        if got.is_infinite() || want.is_infinite() {
            return false;
        }
        let difference = (got - want).abs();
        difference <= self.abs || difference <= self.rel * got.abs().max(want.abs())
    }
}

/// A generated value against the original function's value.
pub const VALUE: Tol = Tol {
    rel: 1e-15,
    abs: 0.0,
};
/// Generated derivatives against the ones worked out by hand.
pub const HAND: Tol = Tol {
    rel: 1e-10,
    abs: 1e-12,
};
/// Forward mode against reverse mode (SPEC §8).
pub const MODES: Tol = Tol {
    rel: 1e-12,
    abs: 1e-14,
};
/// A tangent along a general direction against the dot product of the hand gradient with it.
pub const DIRECTION: Tol = Tol {
    rel: 1e-9,
    abs: 1e-11,
};
/// `f32` derivatives against derivatives by hand evaluated in `f64`.
pub const F32_HAND: Tol = Tol {
    rel: 2e-5,
    abs: 2e-5,
};
/// `f32` derivatives against `f32` central differences with a step of 1e-2 ([`fd_f32`]).
pub const F32_FD: Tol = Tol {
    rel: 1e-2,
    abs: 1e-2,
};
/// Forward mode against reverse mode in `f32`.
pub const F32_MODES: Tol = Tol {
    rel: 1e-6,
    abs: 1e-6,
};
/// An `f32` `_vjp` against its seed times the `f32` `_grad`.
pub const F32_VJP: Tol = Tol {
    rel: 1e-6,
    abs: 1e-7,
};

/// Where a comparison happens: the function's name and the point.
pub struct At<'a>(pub &'a str, pub &'a [f64]);

impl At<'_> {
    /// Panics with context unless `got` and `want` agree within `tol` ([`Tol::accepts`]); `what`
    /// names the comparison and `i` the component.
    #[track_caller]
    pub fn close(&self, what: &str, i: usize, got: f64, want: f64, tol: Tol) {
        let At(name, p) = self;
        assert!(
            tol.accepts(got, want),
            "{name} at {p:?}, component {i}: {what}: got {got:e}, want {want:e} \
             (difference {:e}, relative tolerance {:e})",
            got - want,
            tol.rel,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

/// Flattens the adjoint part of a generated `_grad` / `_vjp` result (a float or a tuple of
/// floats, in parameter order) into an array.
pub trait Flat<T, const N: usize> {
    /// The components, in order.
    fn flat(self) -> [T; N];
}
impl<T> Flat<T, 1> for T {
    fn flat(self) -> [T; 1] {
        [self]
    }
}
impl<T> Flat<T, 2> for (T, T) {
    fn flat(self) -> [T; 2] {
        [self.0, self.1]
    }
}
impl<T> Flat<T, 3> for (T, T, T) {
    fn flat(self) -> [T; 3] {
        [self.0, self.1, self.2]
    }
}

/// The `i`-th unit vector of `R^N`.
pub fn unit<const N: usize>(i: usize) -> [f64; N] {
    let mut e = [0.0; N];
    e[i] = 1.0;
    e
}

/// A fixed direction with no zero component, to check that the tangent is linear in it.
pub fn direction<const N: usize>() -> [f64; N] {
    std::array::from_fn(|i| 0.75 - 0.6 * i as f64 + 0.1 * (i * i) as f64)
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Every check of one scalar-output `f64` function at each point: values of the generated
/// functions against `f` ([`VALUE`]); `_tangent` (one pass per unit vector) and `_grad` against
/// the hand gradient ([`HAND`]) and finite differences ([`Tol::fd`]); forward against reverse
/// ([`MODES`]); `_vjp` at other seeds against seed times `_grad`; and the tangent along a
/// general direction against the hand gradient dotted with it ([`DIRECTION`]).
///
/// - `f`: the original function;
/// - `tangent(p, v)`: `NAME_tangent` at `p` along `v` (value, directional derivative);
/// - `vjp(p, seed)`: `NAME_vjp` (value, adjoints);
/// - `grad(p)`: `NAME_grad` (value, gradient);
/// - `analytic(p)`: the gradient by hand.
#[allow(clippy::too_many_arguments)]
pub fn check<const N: usize>(
    name: &str,
    points: &[[f64; N]],
    f: impl Fn([f64; N]) -> f64,
    tangent: impl Fn([f64; N], [f64; N]) -> (f64, f64),
    vjp: impl Fn([f64; N], f64) -> (f64, [f64; N]),
    grad: impl Fn([f64; N]) -> (f64, [f64; N]),
    analytic: impl Fn([f64; N]) -> [f64; N],
) {
    for p in points {
        let p = *p;
        let value = f(p);
        let by_hand = analytic(p);
        let fd = fd_gradient(|q: &[f64]| f(q.try_into().unwrap()), &p);
        let (grad_value, reverse) = grad(p);
        let at = At(name, &p);
        at.close("value of _grad", 0, grad_value, value, VALUE);

        // Forward mode: one pass per unit vector.
        let forward: [f64; N] = std::array::from_fn(|i| {
            let (v, t) = tangent(p, unit(i));
            at.close("value of _tangent", i, v, value, VALUE);
            t
        });

        for i in 0..N {
            at.close("_tangent vs hand", i, forward[i], by_hand[i], HAND);
            at.close("_grad vs hand", i, reverse[i], by_hand[i], HAND);
            let fd_tol = Tol::fd(value);
            at.close(
                "_tangent vs finite differences",
                i,
                forward[i],
                fd[i],
                fd_tol,
            );
            at.close("_grad vs finite differences", i, reverse[i], fd[i], fd_tol);
            at.close("forward vs reverse", i, forward[i], reverse[i], MODES);
        }

        // Reverse mode with other seeds: the seed scales the adjoints; seed 1 is `_grad`.
        for seed in [1.0, -0.75, 2.5] {
            let (v, adj) = vjp(p, seed);
            at.close("value of _vjp", 0, v, value, VALUE);
            for i in 0..N {
                let want = seed * reverse[i];
                at.close("_vjp vs seed * _grad", i, adj[i], want, MODES);
            }
        }

        // The tangent along a general direction is the dot product with the gradient.
        let v = direction::<N>();
        let (_, t) = tangent(p, v);
        let want: f64 = (0..N).map(|i| by_hand[i] * v[i]).sum();
        at.close("_tangent along a direction", 0, t, want, DIRECTION);
    }
}

/// [`check`] for a scalar `f64` function whose active parameters are all `f64` and come first,
/// followed by constant parameters, if any:
///
/// ```text
/// check_fn!(f, f_tangent, f_vjp, f_grad, [0, 1], points, analytic);
/// check_fn!(g, g_tangent, g_vjp, g_grad, [0, 1], const [n, flag], points, analytic);
/// ```
///
/// The indices list the active parameters in order (as positions in the points); the constants
/// (expressions evaluated in each call, `Debug` for the failure message) are passed after them.
#[macro_export]
macro_rules! check_fn {
    // The arm with constants first: a `const` where `$points:expr` is expected would be a hard
    // parse error, not a mismatch that falls through to the next arm.
    ($f:ident, $tangent:ident, $vjp:ident, $grad:ident, [$($i:tt),+], const [$($c:expr),+ $(,)?],
     $points:expr, $analytic:expr $(,)?) => {
        $crate::check(
            &::std::format!("{} with constants {:?}", stringify!($f), ($($c,)+)),
            $points,
            |p| $f($(p[$i],)+ $($c),+),
            |p, d| $tangent($(p[$i], d[$i],)+ $($c),+),
            |p, s| {
                let (v, g) = $vjp($(p[$i],)+ $($c,)+ s);
                (v, $crate::Flat::flat(g))
            },
            |p| {
                let (v, g) = $grad($(p[$i],)+ $($c),+);
                (v, $crate::Flat::flat(g))
            },
            $analytic,
        )
    };
    ($f:ident, $tangent:ident, $vjp:ident, $grad:ident, [$($i:tt),+],
     $points:expr, $analytic:expr $(,)?) => {
        $crate::check(
            stringify!($f),
            $points,
            |p| $f($(p[$i]),+),
            |p, d| $tangent($(p[$i], d[$i]),+),
            |p, s| {
                let (v, g) = $vjp($(p[$i],)+ s);
                (v, $crate::Flat::flat(g))
            },
            |p| {
                let (v, g) = $grad($(p[$i]),+);
                (v, $crate::Flat::flat(g))
            },
            $analytic,
        )
    };
}

/// The `f32` counterpart of [`check`], with `f32` tolerances: the hand gradient is evaluated
/// in `f64` at the `f32` point, finite differences are [`fd_f32`], and the values of the
/// generated functions must equal the original's exactly.
#[allow(clippy::too_many_arguments)]
pub fn check_f32<const N: usize>(
    name: &str,
    points: &[[f32; N]],
    f: impl Fn([f32; N]) -> f32,
    tangent: impl Fn([f32; N], [f32; N]) -> (f32, f32),
    vjp: impl Fn([f32; N], f32) -> (f32, [f32; N]),
    grad: impl Fn([f32; N]) -> (f32, [f32; N]),
    analytic: impl Fn([f64; N]) -> [f64; N],
) {
    for p in points {
        let p = *p;
        let p64 = p.map(f64::from);
        let value = f(p);
        let by_hand = analytic(p64);
        let (gv, reverse) = grad(p);
        assert_eq!(gv, value, "{name} at {p:?}: value of _grad");
        let at = At(name, &p64);
        for i in 0..N {
            let mut e = [0.0f32; N];
            e[i] = 1.0;
            let (tv, t) = tangent(p, e);
            assert_eq!(tv, value, "{name} at {p:?}: value of _tangent");
            let (t, r) = (f64::from(t), f64::from(reverse[i]));
            at.close("f32 _tangent vs hand", i, t, by_hand[i], F32_HAND);
            at.close("f32 _grad vs hand", i, r, by_hand[i], F32_HAND);
            let fd = fd_f32(&f, p, i);
            at.close("f32 _grad vs finite differences", i, r, fd, F32_FD);
            at.close("f32 forward vs reverse", i, t, r, F32_MODES);
            let (vv, adj) = vjp(p, -0.5);
            assert_eq!(vv, value, "{name} at {p:?}: value of _vjp");
            at.close("f32 _vjp", i, f64::from(adj[i]), -0.5 * r, F32_VJP);
        }
    }
}

/// Checks the Jacobian of an `R^N -> R^M` function: columns by `_tangent` (unit tangents), rows
/// by `_vjp` (unit seeds), against the Jacobian by hand ([`HAND`]), finite differences
/// ([`Tol::fd`]) and each other ([`MODES`]). Values must equal the original's exactly.
///
/// - `f(p)`: the original function, output flattened to an array;
/// - `tangent(p, v)`: `(value, J v)`; `vjp(p, w)`: `(value, J^T w)`;
/// - `analytic(p)`: the Jacobian by hand, one row per output.
pub fn check_jacobian<const N: usize, const M: usize>(
    name: &str,
    points: &[[f64; N]],
    f: impl Fn([f64; N]) -> [f64; M],
    tangent: impl Fn([f64; N], [f64; N]) -> ([f64; M], [f64; M]),
    vjp: impl Fn([f64; N], [f64; M]) -> ([f64; M], [f64; N]),
    analytic: impl Fn([f64; N]) -> [[f64; N]; M],
) {
    for p in points {
        let p = *p;
        let value = f(p);
        let by_hand = analytic(p);
        let columns: [[f64; M]; N] = std::array::from_fn(|j| {
            let (v, t) = tangent(p, unit(j));
            assert_eq!(v, value, "{name} at {p:?}: value of _tangent");
            t
        });
        let rows: [[f64; N]; M] = std::array::from_fn(|i| {
            let (v, g) = vjp(p, unit(i));
            assert_eq!(v, value, "{name} at {p:?}: value of _vjp");
            g
        });
        let at = At(name, &p);
        for i in 0..M {
            let fd = fd_gradient(|q: &[f64]| f(q.try_into().unwrap())[i], &p);
            for j in 0..N {
                let (fwd, rev, hand) = (columns[j][i], rows[i][j], by_hand[i][j]);
                let k = i * N + j;
                at.close("J by _tangent vs hand", k, fwd, hand, HAND);
                at.close("J by _vjp vs hand", k, rev, hand, HAND);
                at.close("J by _tangent vs fd", k, fwd, fd[j], Tol::fd(value[i]));
                at.close("J forward vs reverse", k, fwd, rev, MODES);
            }
        }
    }
}

/// `f`, `_tangent` (value, directional derivative), `_grad` (value, gradient added into the
/// shadow) and the hand gradient of one function of the flat vector `p`, compared per
/// component, against finite differences, forward against reverse, a pre-filled shadow
/// receiving `+=`, and along random directions (the dot-product test).
pub fn check_flat(
    name: &str,
    p: &[f64],
    f: impl Fn(&[f64]) -> f64,
    tangent: impl Fn(&[f64], &[f64]) -> (f64, f64),
    grad: impl Fn(&[f64], &mut [f64]) -> f64,
    analytic: impl Fn(&[f64]) -> Vec<f64>,
) {
    let n = p.len();
    let at = At(name, &p[..n.min(8)]);
    let value = f(p);
    let by_hand = analytic(p);
    let mut reverse = vec![0.0; n];
    at.close("value of _grad", 0, grad(p, &mut reverse), value, VALUE);
    let fd_tol = Tol::fd(value);
    let mut e = vec![0.0; n];
    for i in 0..n {
        e[i] = 1.0;
        let (v, t) = tangent(p, &e);
        e[i] = 0.0;
        at.close("value of _tangent", i, v, value, VALUE);
        at.close("_tangent vs hand", i, t, by_hand[i], HAND);
        at.close("_grad vs hand", i, reverse[i], by_hand[i], HAND);
        let fd = central_difference(&f, p, i);
        at.close("_tangent vs finite differences", i, t, fd, fd_tol);
        at.close("_grad vs finite differences", i, reverse[i], fd, fd_tol);
        at.close("forward vs reverse", i, t, reverse[i], MODES);
    }
    // A pre-filled shadow receives +=.
    let mut shadow = vec![1.0; n];
    grad(p, &mut shadow);
    for i in 0..n {
        at.close("pre-filled shadow", i, shadow[i], 1.0 + reverse[i], MODES);
    }
    let mut rng = r#gen::Rng(0x9e57);
    for _ in 0..3 {
        let dir = rng.vec(n, -1.0, 1.0);
        let (_, t) = tangent(p, &dir);
        let want: f64 = reverse.iter().zip(&dir).map(|(g, d)| g * d).sum();
        let scale: f64 = reverse.iter().zip(&dir).map(|(g, d)| (g * d).abs()).sum();
        let tol = Tol {
            rel: 1e-12,
            abs: 1e-12 * scale.max(1e-300),
        };
        at.close("_tangent along a direction vs _grad", 0, t, want, tol);
    }
}

/// Checks an `n` × `n` Hessian `h` at `p` against one by hand (if any), against central finite
/// differences of the gradient `grad`, and for symmetry.
pub fn check_hessian(
    name: &str,
    p: &[f64],
    h: impl Fn(usize, usize) -> f64,
    hand: Option<&dyn Fn(usize, usize) -> f64>,
    grad: impl Fn(&[f64]) -> Vec<f64>,
) {
    let at = At(name, p);
    let n = p.len();
    for i in 0..n {
        for j in 0..n {
            let k = i * n + j;
            if let Some(hand) = hand {
                at.close("H vs hand", k, h(i, j), hand(i, j), HAND);
            }
            let fd = central_difference(|q: &[f64]| grad(q)[i], p, j);
            at.close("H vs fd of the gradient", k, h(i, j), fd, Tol::fd(h(i, j)));
            at.close("H symmetric", k, h(i, j), h(j, i), MODES);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_accept_what_they_should() {
        let tol = Tol {
            rel: 1e-6,
            abs: 1e-9,
        };
        assert!(tol.accepts(1.0, 1.0 + 5e-7));
        assert!(!tol.accepts(1.0, 1.0 + 2e-6));
        assert!(tol.accepts(0.0, 5e-10));
        assert!(!tol.accepts(0.0, 2e-9));
        assert!(tol.accepts(f64::INFINITY, f64::INFINITY));
        assert!(!tol.accepts(f64::INFINITY, f64::MAX));
        assert!(!tol.accepts(f64::NAN, f64::NAN));
        assert!(!tol.accepts(1.0, f64::NAN));
    }

    #[test]
    fn flat_and_unit() {
        assert_eq!(Flat::<f64, 1>::flat(2.0), [2.0]);
        assert_eq!((1.0, 2.0, 3.0).flat(), [1.0, 2.0, 3.0]);
        assert_eq!(unit::<3>(1), [0.0, 1.0, 0.0]);
        assert!(direction::<4>().iter().all(|&d| d != 0.0));
    }
}
