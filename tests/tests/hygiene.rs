//! Generated names never collide with the user's (SPEC §7): parameters and locals spelled like
//! the names the macros invent (`dx`, `d_x`, `dy`, `seed`, `x_bar`, `_t0`, `_t1`, `__ad0`, `y_1`,
//! `s_2`, `x_partials`, `_arg`, ...) work in both modes, and a user item named `ad_runtime` does
//! not capture the generated `::ad_runtime::..` paths. Every function is checked against its
//! derivative worked out by hand.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::{At, HAND, MODES, unit};

/// Checks the tangent (unit seeds), the gradient and the vjp (seed -1.5) of a scalar function
/// against the hand-derived gradient, and the value of each against the function. (Lighter than
/// `ad_tests::check`: no finite differences, which the `f32` round trip in
/// `shadowed_runtime::f` would defeat.)
fn check<const N: usize>(
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
        let (gv, g) = grad(p);
        let (vv, b) = vjp(p, -1.5);
        assert_eq!(gv, value, "{name} at {p:?}: value of _grad");
        assert_eq!(vv, value, "{name} at {p:?}: value of _vjp");
        let at = At(name, &p);
        for i in 0..N {
            let (tv, t) = tangent(p, unit(i));
            assert_eq!(tv, value, "{name} at {p:?}: value of _tangent");
            at.close("_tangent vs hand", i, t, by_hand[i], HAND);
            at.close("_grad vs hand", i, g[i], by_hand[i], HAND);
            at.close("_vjp vs hand", i, b[i], -1.5 * by_hand[i], HAND);
            at.close("forward vs reverse", i, t, g[i], MODES);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A parameter named like the tangent of another: `dx` next to `x`.
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn param_dx(x: f64, dx: f64) -> f64 {
    x * dx + dx.sin()
}

#[test]
fn parameter_named_dx() {
    check(
        "param_dx",
        &[[0.5, 1.5], [-2.0, 0.3]],
        |[x, dx]| param_dx(x, dx),
        // Positional: x, its tangent, `dx`, its tangent.
        |[x, dx], [tx, tdx]| param_dx_tangent(x, tx, dx, tdx),
        |[x, dx], s| {
            let (v, (a, b)) = param_dx_vjp(x, dx, s);
            (v, [a, b])
        },
        |[x, dx]| {
            let (v, (a, b)) = param_dx_grad(x, dx);
            (v, [a, b])
        },
        |[x, dx]| [dx, x + dx.cos()],
    );
}

// ---------------------------------------------------------------------------------------------
// Parameters `seed` and `d_x`; locals `x_bar` and `dy`.
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
fn param_seed(seed: f64, d_x: f64) -> f64 {
    let x_bar = seed * d_x;
    let dy = x_bar.exp();
    dy + seed * seed
}

#[test]
fn parameter_named_seed() {
    check(
        "param_seed",
        &[[0.5, 1.5], [-2.0, 0.3], [1.2, -0.8]],
        |[s, d]| param_seed(s, d),
        |[s, d], [ts, td]| param_seed_tangent(s, ts, d, td),
        |[s, d], w| {
            // `seed` the parameter first, then the generated seed.
            let (v, (a, b)) = param_seed_vjp(s, d, w);
            (v, [a, b])
        },
        |[s, d]| {
            let (v, (a, b)) = param_seed_grad(s, d);
            (v, [a, b])
        },
        // f = e^(seed d_x) + seed²
        |[s, d]| [d * (s * d).exp() + 2.0 * s, s * (s * d).exp()],
    );
}

/// A single parameter called `seed`: `_grad` must not overwrite it with its own seed of 1.
#[derive_tangent]
#[derive_grad]
fn only_seed(seed: f64) -> f64 {
    seed * seed * seed
}

#[test]
fn single_parameter_named_seed() {
    check(
        "only_seed",
        &[[0.5], [-2.0], [3.0]],
        |[s]| only_seed(s),
        |[s], [t]| only_seed_tangent(s, t),
        |[s], w| {
            let (v, a) = only_seed_vjp(s, w);
            (v, [a])
        },
        |[s]| {
            let (v, a) = only_seed_grad(s);
            (v, [a])
        },
        |[s]| [3.0 * s * s],
    );
}

/// A local called `seed`.
#[derive_tangent]
#[derive_grad]
fn local_seed(x: f64) -> f64 {
    let seed = x * x;
    seed.sqrt() + seed
}

#[test]
fn local_named_seed() {
    check(
        "local_seed",
        &[[0.5], [2.0], [3.5]],
        |[x]| local_seed(x),
        |[x], [t]| local_seed_tangent(x, t),
        |[x], w| {
            let (v, a) = local_seed_vjp(x, w);
            (v, [a])
        },
        |[x]| {
            let (v, a) = local_seed_grad(x);
            (v, [a])
        },
        // sqrt(x²) + x² = x + x² for x > 0
        |[x]| [1.0 + 2.0 * x],
    );
}

// ---------------------------------------------------------------------------------------------
// A parameter named like the adjoint of another: `x_bar` next to `x`; locals `x_partials`,
// `_arg`.
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
fn param_x_bar(x: f64, x_bar: f64) -> f64 {
    let x_partials = x.sin() * x_bar;
    let _arg = x_partials.exp();
    _arg + x_bar * x_bar
}

#[test]
fn parameter_named_x_bar() {
    check(
        "param_x_bar",
        &[[0.5, 1.5], [-2.0, 0.3], [1.2, -0.8]],
        |[x, xb]| param_x_bar(x, xb),
        |[x, xb], [tx, txb]| param_x_bar_tangent(x, tx, xb, txb),
        |[x, xb], s| {
            let (v, (a, b)) = param_x_bar_vjp(x, xb, s);
            (v, [a, b])
        },
        |[x, xb]| {
            let (v, (a, b)) = param_x_bar_grad(x, xb);
            (v, [a, b])
        },
        // f = e^(sin x · x_bar) + x_bar²
        |[x, xb]| {
            let e = (x.sin() * xb).exp();
            [e * x.cos() * xb, e * x.sin() + 2.0 * xb]
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Locals named like temporaries, their tangents, adjoints and partials.
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn temporaries(x: f64, y: f64) -> f64 {
    let _t0 = x * y;
    let _t1 = _t0.sin();
    let __ad0 = _t1 + x;
    let _t0_bar = __ad0 * y;
    let d_t0 = _t0_bar.exp();
    let _t1_partials = d_t0 + _t0;
    _t1_partials * 1.0
}

#[test]
fn locals_named_like_temporaries() {
    check(
        "temporaries",
        &[[0.5, 1.5], [-2.0, 0.3], [1.2, -0.8]],
        |[x, y]| temporaries(x, y),
        |[x, y], [dx, dy]| temporaries_tangent(x, dx, y, dy),
        |[x, y], s| {
            let (v, (a, b)) = temporaries_vjp(x, y, s);
            (v, [a, b])
        },
        |[x, y]| {
            let (v, (a, b)) = temporaries_grad(x, y);
            (v, [a, b])
        },
        // u = (sin(x y) + x) y;  f = e^u + x y
        |[x, y]| {
            let e = ((x * y).sin() + x).mul_add(y, 0.0).exp();
            let c = (x * y).cos();
            [
                e * y * (y * c + 1.0) + y,
                e * ((x * y).sin() + x + x * y * c) + x,
            ]
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Locals named like the versions the macro gives reassigned and shadowed variables (`s_1`,
// `s_2`, `y_1`), mixed with real reassignment and shadowing of `s`.
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
#[allow(clippy::assign_op_pattern)] // written out on purpose: this is what is under test
fn versions(x: f64, y: f64) -> f64 {
    let y_1 = x + 1.0;
    let mut s = x * y;
    s = s * y_1;
    let s_1 = s + y;
    let s_2 = s_1 * s;
    let s = s_2 + s_1;
    s * y_1
}

#[test]
fn locals_named_like_versions() {
    check(
        "versions",
        &[[0.5, 1.5], [-2.0, 0.3], [1.2, -0.8]],
        |[x, y]| versions(x, y),
        |[x, y], [dx, dy]| versions_tangent(x, dx, y, dy),
        |[x, y], s| {
            let (v, (a, b)) = versions_vjp(x, y, s);
            (v, [a, b])
        },
        |[x, y]| {
            let (v, (a, b)) = versions_grad(x, y);
            (v, [a, b])
        },
        // A = x y (x + 1), B = A + y, f = B (A + 1)(x + 1).
        |[x, y]| {
            let a = x * y * (x + 1.0);
            let b = a + y;
            let (a_x, a_y) = (y * (2.0 * x + 1.0), x * (x + 1.0));
            let (b_x, b_y) = (a_x, a_y + 1.0);
            [
                b_x * (a + 1.0) * (x + 1.0) + b * a_x * (x + 1.0) + b * (a + 1.0),
                b_y * (a + 1.0) * (x + 1.0) + b * a_y * (x + 1.0),
            ]
        },
    );
}

/// A `mut` parameter, reassigned, next to locals spelled like its versions.
#[derive_tangent]
#[derive_grad]
#[allow(clippy::assign_op_pattern)] // written out on purpose: this is what is under test
fn mut_param(x: f64, mut y: f64) -> f64 {
    let y_1 = y * 2.0;
    y = y * x;
    y += y_1;
    let y_2 = y.sin();
    y_2 + y_1 * y
}

#[test]
fn mut_parameter_and_version_names() {
    check(
        "mut_param",
        &[[0.5, 1.5], [-2.5, 0.3], [1.2, -0.8]],
        |[x, y]| mut_param(x, y),
        |[x, y], [dx, dy]| mut_param_tangent(x, dx, y, dy),
        |[x, y], s| {
            let (v, (a, b)) = mut_param_vjp(x, y, s);
            (v, [a, b])
        },
        |[x, y]| {
            let (v, (a, b)) = mut_param_grad(x, y);
            (v, [a, b])
        },
        // Y = y (x + 2), f = sin Y + 2 y Y
        |[x, y]| {
            let c = (y * (x + 2.0)).cos();
            [c * y + 2.0 * y * y, c * (x + 2.0) + 4.0 * y * (x + 2.0)]
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Locals `dx`, `d_dx` and parameters `d_x`, `dy`.
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn tangent_names(x: f64, d_x: f64, dy: f64) -> f64 {
    let dx = x * d_x;
    let d_dx = dx * dy;
    d_dx.cos() + dx
}

#[test]
fn locals_and_parameters_named_like_tangents() {
    check(
        "tangent_names",
        &[[0.5, 1.5, -0.3], [-2.0, 0.3, 1.1], [1.2, -0.8, 0.6]],
        |[x, a, b]| tangent_names(x, a, b),
        |[x, a, b], [tx, ta, tb]| tangent_names_tangent(x, tx, a, ta, b, tb),
        |[x, a, b], s| {
            let (v, (gx, ga, gb)) = tangent_names_vjp(x, a, b, s);
            (v, [gx, ga, gb])
        },
        |[x, a, b]| {
            let (v, (gx, ga, gb)) = tangent_names_grad(x, a, b);
            (v, [gx, ga, gb])
        },
        // p = x d_x dy, f = cos p + x d_x
        |[x, a, b]| {
            let s = (x * a * b).sin();
            [-s * a * b + a, -s * x * b + x, -s * x * a]
        },
    );
}

// ---------------------------------------------------------------------------------------------
// A tuple output whose parameter is called `seed` (the generated seed is a tuple there).
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn tuple_seed(seed: f64, x: f64) -> (f64, f64) {
    (seed * x, seed.exp() - x)
}

#[test]
fn tuple_output_with_parameter_named_seed() {
    for [s, x] in [[0.5, 1.5], [-2.0, 0.3]] {
        let value = tuple_seed(s, x);
        // Jacobian by hand: [[x, s], [e^s, -1]].
        let jac = [[x, s], [s.exp(), -1.0]];
        let (v1, t1) = tuple_seed_tangent(s, 1.0, x, 0.0);
        let (v2, t2) = tuple_seed_tangent(s, 0.0, x, 1.0);
        assert_eq!((v1, v2), (value, value));
        let p = [s, x];
        let at = At("tuple_seed", &p);
        at.close("d/dseed", 0, t1.0, jac[0][0], HAND);
        at.close("d/dseed", 1, t1.1, jac[1][0], HAND);
        at.close("d/dx", 0, t2.0, jac[0][1], HAND);
        at.close("d/dx", 1, t2.1, jac[1][1], HAND);
        let (w0, w1) = (0.7, -1.3);
        let (v3, (gs, gx)) = tuple_seed_vjp(s, x, (w0, w1));
        assert_eq!(v3, value);
        at.close("vjp", 0, gs, w0 * jac[0][0] + w1 * jac[1][0], HAND);
        at.close("vjp", 1, gx, w0 * jac[0][1] + w1 * jac[1][1], HAND);
    }
}

// ---------------------------------------------------------------------------------------------
// `_` parameters (the macro names them `_arg`), alone and next to a user parameter `_arg`.
// ---------------------------------------------------------------------------------------------

#[derive_grad]
#[derive_tangent]
fn underscore(_: f64, x: f64, _: f64) -> f64 {
    x * x.exp()
}

#[test]
fn underscore_parameters() {
    check(
        "underscore",
        &[[9.0, 1.5, 7.0], [9.0, -0.3, 7.0]],
        |[u, x, w]| underscore(u, x, w),
        |[u, x, w], [tu, tx, tw]| underscore_tangent(u, tu, x, tx, w, tw),
        |[u, x, w], s| {
            let (v, (gu, gx, gw)) = underscore_vjp(u, x, w, s);
            (v, [gu, gx, gw])
        },
        |[u, x, w]| {
            let (v, (gu, gx, gw)) = underscore_grad(u, x, w);
            (v, [gu, gx, gw])
        },
        |[_, x, _]| [0.0, (1.0 + x) * x.exp(), 0.0],
    );
}

/// `_` after a user parameter `_arg`. The other order (`_` first) is fine.
#[derive_grad]
#[derive_tangent]
fn underscore_after_arg(_arg: f64, _: f64, x: f64) -> f64 {
    _arg * x.exp()
}

#[test]
fn underscore_parameter_after_user_arg() {
    check(
        "underscore_after_arg",
        &[[0.5, 9.0, 1.5], [-2.0, 9.0, 0.3]],
        |[a, u, x]| underscore_after_arg(a, u, x),
        |[a, u, x], [ta, tu, tx]| underscore_after_arg_tangent(a, ta, u, tu, x, tx),
        |[a, u, x], s| {
            let (v, (ga, gu, gx)) = underscore_after_arg_vjp(a, u, x, s);
            (v, [ga, gu, gx])
        },
        |[a, u, x]| {
            let (v, (ga, gu, gx)) = underscore_after_arg_grad(a, u, x);
            (v, [ga, gu, gx])
        },
        |[a, _, x]| [x.exp(), 0.0, a * x.exp()],
    );
}

// ---------------------------------------------------------------------------------------------
// A user item named `ad_runtime` (and others named like runtime items) in scope of the
// annotated function: the generated `::ad_runtime::..` paths must still reach the real crate.
// ---------------------------------------------------------------------------------------------

mod shadowed_runtime {
    #![allow(dead_code)]

    mod ad_runtime {}
    mod rules {}
    struct Float;
    fn one() {}
    fn zero() {}
    fn zero_like() {}
    fn cast_like() {}
    fn sin_partial() {}

    use ::ad_runtime::{derive_grad, derive_tangent};

    #[derive_tangent]
    #[derive_grad]
    pub fn f(x: f64, y: f64) -> f64 {
        let (s, c) = x.sin_cos();
        s * y.exp() + c * x.hypot(y) + (x as f32) as f64 * y
    }

    /// Reverse mode only, with one active parameter.
    #[derive_grad]
    pub fn g(x: f64) -> f64 {
        x.sin().powi(2) / x.clamp(0.1, 10.0)
    }
}

#[test]
fn local_mod_ad_runtime_does_not_capture() {
    use shadowed_runtime::{f, f_grad, f_tangent, f_vjp, g, g_grad, g_vjp};
    check(
        "shadowed_runtime::f",
        // x and y exact in f32, so that the round trip of x through f32 is exact in both modes.
        &[[0.5, 1.5], [-2.0, 0.25]],
        |[x, y]| f(x, y),
        |[x, y], [dx, dy]| f_tangent(x, dx, y, dy),
        |[x, y], s| {
            let (v, (a, b)) = f_vjp(x, y, s);
            (v, [a, b])
        },
        |[x, y]| {
            let (v, (a, b)) = f_grad(x, y);
            (v, [a, b])
        },
        // f = sin x e^y + cos x hypot(x, y) + x y  (x is exactly representable in f32 here)
        |[x, y]| {
            let r = x.hypot(y);
            [
                x.cos() * y.exp() - x.sin() * r + x.cos() * x / r + y,
                x.sin() * y.exp() + x.cos() * y / r + x,
            ]
        },
    );
    for x in [0.5, 2.0] {
        let (v, gx) = g_grad(x);
        assert_eq!(v, g(x));
        // g = sin² x / x inside the clamp.
        let want = 2.0 * x.sin() * x.cos() / x - x.sin().powi(2) / (x * x);
        let at = At("shadowed_runtime::g", &[x]);
        at.close("grad", 0, gx, want, HAND);
        let (_, bx) = g_vjp(x, 3.0);
        at.close("vjp", 0, bx, 3.0 * want, HAND);
    }
}

// ---------------------------------------------------------------------------------------------
// Raw identifiers, shadowed and reassigned, next to a local spelled like a generated version
// of one of them (MACRO BUG 9: the macros built `Ident::new("r#type")` and panicked).
// ---------------------------------------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
#[allow(clippy::assign_op_pattern, clippy::let_and_return)] // written out on purpose
fn raw_identifiers(x: f64, y: f64) -> f64 {
    let r#type = x * y;
    let type_1 = r#type + 1.0;
    let mut r#match = r#type.sin();
    r#match = r#match * type_1;
    let r#type = r#match + type_1;
    r#type
}

#[test]
fn raw_identifiers_in_the_body() {
    // u = x y: f = sin(u) (u + 1) + u + 1, df/du = cos(u) (u + 1) + sin(u) + 1.
    ad_tests::check_fn!(
        raw_identifiers,
        raw_identifiers_tangent,
        raw_identifiers_vjp,
        raw_identifiers_grad,
        [0, 1],
        &[[0.5, 1.5], [-2.0, 0.3], [1.2, -0.8]],
        |[x, y]| {
            let u = x * y;
            let df = u.cos() * (u + 1.0) + u.sin() + 1.0;
            [df * y, df * x]
        }
    );
}

/// Variables whose tangents would be spelled like keywords (`do`, `dyn`).
#[ad_runtime::derive_tangent]
#[ad_runtime::derive_grad]
fn keyword_tangents(o: f64, yn: f64) -> f64 {
    let r#do = o * yn;
    r#do + o.sin()
}

#[test]
fn tangents_named_like_keywords() {
    let (o, yn) = (0.4_f64, -1.3_f64);
    let (v, d) = keyword_tangents_tangent(o, 1.0, yn, 0.0);
    assert_eq!(v, keyword_tangents(o, yn));
    assert!((d - (yn + o.cos())).abs() < 1e-15);
    let (_, (go, gy)) = keyword_tangents_grad(o, yn);
    assert_eq!((go, gy), (d, o));
}
