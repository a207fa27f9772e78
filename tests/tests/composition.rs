//! Composition (issue: calls, methods, generics, user rules), both modes: every function here
//! is checked against a derivative worked out by hand, central finite differences, and forward
//! against reverse mode (`ad_tests::check_fn!`).

use ad_runtime::{Float, custom_grad, custom_tangent, derive_grad, derive_tangent};
use ad_tests::{check_f32, check_fn};

// ---- a 3-deep call chain, across modules, by name and by path ------------------------------

mod chain {
    use ad_runtime::{derive_grad, derive_tangent};

    /// Depth 3.
    #[derive_tangent]
    #[derive_grad]
    pub fn c(x: f64) -> f64 {
        x.exp() * x
    }

    /// Depth 2: calls `c` in its own module by name.
    #[derive_tangent]
    #[derive_grad]
    pub fn b(x: f64, y: f64) -> f64 {
        c(x * y) + y.sin()
    }
}

/// Depth 1: calls `b` by path, twice, with a constant argument once.
#[derive_tangent]
#[derive_grad]
fn a(x: f64, y: f64) -> f64 {
    chain::b(x, y) * crate::chain::b(y, 0.5)
}

#[test]
fn three_deep_call_chain() {
    // c(t) = t e^t, c'(t) = (1 + t) e^t; b(x, y) = c(xy) + sin y.
    // a = b(x, y) · b(y, 1/2).
    let dc = |t: f64| (1.0 + t) * t.exp();
    let b = |x: f64, y: f64| x * y * (x * y).exp() + y.sin();
    check_fn!(
        a,
        a_tangent,
        a_vjp,
        a_grad,
        [0, 1],
        &[[0.3, -0.4], [-0.7, 0.9], [1.1, 0.2]],
        |[x, y]| {
            let (b1, b2) = (b(x, y), b(y, 0.5));
            let db1 = [y * dc(x * y), x * dc(x * y) + y.cos()];
            let db2_dy = 0.5 * dc(0.5 * y) + 0.5f64.cos() * 0.0;
            [db1[0] * b2, db1[1] * b2 + b1 * db2_dy]
        }
    );
}

// ---- a callee brought in by `use m::g`, and nothing else ---------------------------------------

mod imported {
    /// Brought in by `use` below; `d` is its only derivative-carrying import.
    pub mod shapes {
        use ad_runtime::{derive_grad, derive_tangent};

        #[derive_tangent]
        #[derive_grad]
        pub fn d(x: f64, y: f64) -> f64 {
            x.hypot(y)
        }

        /// A free function with the same name as an associated one elsewhere in the file.
        #[derive_tangent]
        #[derive_grad]
        pub fn scale(x: f64) -> f64 {
            3.0 * x
        }
    }

    use self::shapes::d;
    use self::shapes::d as distance;
    use super::shapes_alias::scale;
    use ad_runtime::{derive_grad, derive_tangent};

    /// Calls `d` and `scale` by the names `use` gave them (`distance` is `d` renamed), in a loop.
    #[derive_tangent]
    #[derive_grad]
    pub fn uses_imports(x: f64, y: f64) -> f64 {
        let mut s = 0.0;
        for k in 1..3 {
            s += d(x * k as f64, y) + scale(x * y);
        }
        s + distance(3.0 * x, y) + scale(x * y)
    }
}

/// A re-export: `use` of a `pub use` reaches the anchor too.
mod shapes_alias {
    pub use super::imported::shapes::scale;
}

/// An associated function without a receiver, named like the free `scale` above: it gets no
/// anchor (an `impl` cannot hold one) and is called by path.
struct Scaler;

impl Scaler {
    #[derive_tangent]
    #[derive_grad]
    fn scale(x: f64) -> f64 {
        x * x
    }

    #[derive_tangent]
    #[derive_grad]
    fn twice(x: f64) -> f64 {
        Self::scale(x) + Scaler::scale(2.0 * x)
    }
}

#[test]
fn a_callee_imported_by_use() {
    use imported::{uses_imports, uses_imports_grad, uses_imports_tangent, uses_imports_vjp};
    // d(x, y) = |(x, y)|; s = sum_k d(kx, y) + 3xy.
    check_fn!(
        uses_imports,
        uses_imports_tangent,
        uses_imports_vjp,
        uses_imports_grad,
        [0, 1],
        &[[0.3, -0.4], [-0.7, 0.9], [1.1, 0.2]],
        |[x, y]| {
            let mut g = [0.0, 0.0];
            for k in 1..4 {
                let k = k as f64;
                let r = (k * x).hypot(y);
                g[0] += k * k * x / r + 3.0 * y;
                g[1] += y / r + 3.0 * x;
            }
            g
        }
    );
    // twice(x) = x^2 + 4x^2.
    let (v, g) = Scaler::twice_grad(0.7);
    assert_eq!(v, Scaler::twice(0.7));
    assert!((g - 10.0 * 0.7).abs() < 1e-14);
    assert_eq!(Scaler::twice_tangent(0.7, 1.0).1, g);
}

// ---- calls inside a loop and a branch, in reverse mode ----------------------------------------

#[derive_tangent]
#[derive_grad]
fn bump(t: f64, k: usize) -> f64 {
    (t * k as f64).tanh()
}

#[derive_tangent]
#[derive_grad]
fn looped_calls(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for k in 0..n {
        if k % 2 == 0 {
            s += bump(x * y, k);
        } else {
            s += bump(s, k) * y;
        }
    }
    s
}

/// `looped_calls` unrolled by hand, with its partials propagated alongside.
fn looped_calls_by_hand(x: f64, y: f64, n: usize) -> [f64; 2] {
    let (mut s, mut ds) = (0.0, [0.0, 0.0]);
    for k in 0..n {
        let kf = k as f64;
        if k % 2 == 0 {
            let t = x * y;
            let sech2 = 1.0 - (t * kf).tanh().powi(2);
            s += (t * kf).tanh();
            ds = [ds[0] + sech2 * kf * y, ds[1] + sech2 * kf * x];
        } else {
            let th = (s * kf).tanh();
            let sech2 = 1.0 - th * th;
            let new = s + th * y;
            ds = [
                ds[0] + sech2 * kf * ds[0] * y,
                ds[1] + sech2 * kf * ds[1] * y + th,
            ];
            s = new;
        }
    }
    ds
}

#[test]
fn calls_inside_a_loop_and_branches_in_reverse_mode() {
    check_fn!(
        looped_calls,
        looped_calls_tangent,
        looped_calls_vjp,
        looped_calls_grad,
        [0, 1],
        const [7],
        &[[0.3, 0.8], [-0.5, 0.4], [0.9, -0.6]],
        |[x, y]| looped_calls_by_hand(x, y, 7)
    );
}

// ---- generic callee at f32 and f64 -------------------------------------------------------------

#[derive_tangent]
#[derive_grad]
fn softplus<T: Float>(x: T) -> T {
    (T::one() + x.exp()).ln()
}

#[derive_tangent]
#[derive_grad]
fn generic_caller<T: Float>(x: T, y: T) -> T {
    softplus(x * y) - softplus(y) * T::from(0.5).unwrap()
}

fn generic_caller_by_hand([x, y]: [f64; 2]) -> [f64; 2] {
    let sig = |t: f64| 1.0 / (1.0 + (-t).exp());
    [y * sig(x * y), x * sig(x * y) - 0.5 * sig(y)]
}

#[test]
fn generic_callee_at_f64() {
    check_fn!(
        generic_caller,
        generic_caller_tangent,
        generic_caller_vjp,
        generic_caller_grad,
        [0, 1],
        &[[0.4, -1.1], [-0.9, 0.3]],
        generic_caller_by_hand
    );
}

#[test]
fn generic_callee_at_f32() {
    check_f32(
        "generic_caller::<f32>",
        &[[0.4_f32, -1.1], [-0.9, 0.3]],
        |[x, y]| generic_caller(x, y),
        |[x, y], [dx, dy]| generic_caller_tangent(x, dx, y, dy),
        |[x, y], s| {
            let (v, (gx, gy)) = generic_caller_vjp(x, y, s);
            (v, [gx, gy])
        },
        |[x, y]| {
            let (v, (gx, gy)) = generic_caller_grad(x, y);
            (v, [gx, gy])
        },
        generic_caller_by_hand,
    );
}

// ---- methods: a chain of self calls ------------------------------------------------------------

struct Spring {
    k: f64,
    rest: f64,
}

impl Spring {
    #[derive_tangent]
    #[derive_grad]
    fn stretch(&self, x: f64, y: f64) -> f64 {
        x.hypot(y) - self.rest
    }

    #[derive_tangent]
    #[derive_grad]
    fn energy(&self, x: f64, y: f64) -> f64 {
        let s = self.stretch(x, y);
        0.5 * self.k * s * s
    }

    #[derive_tangent]
    #[derive_grad]
    fn total(&self, x: f64, y: f64) -> f64 {
        self.energy(x, y) + self.energy(y, 2.0 * x)
    }
}

#[test]
fn a_chain_of_methods() {
    let sp = Spring { k: 3.0, rest: 0.7 };
    // energy'(x, y) = k (r - rest) (x, y) / r with r = |(x, y)|.
    let de = |x: f64, y: f64| {
        let r = x.hypot(y);
        let c = sp.k * (r - sp.rest) / r;
        [c * x, c * y]
    };
    check_fn!(
        total,
        total_tangent,
        total_vjp,
        total_grad,
        [0, 1],
        &[[0.5, 0.9], [-1.2, 0.4]],
        |[x, y]| {
            let (e1, e2) = (de(x, y), de(y, 2.0 * x));
            [e1[0] + 2.0 * e2[1], e1[1] + e2[0]]
        }
    );
    // The macro-free way to call the methods above, for check_fn!.
    fn total(x: f64, y: f64) -> f64 {
        SPRING.total(x, y)
    }
    fn total_tangent(x: f64, dx: f64, y: f64, dy: f64) -> (f64, f64) {
        SPRING.total_tangent(x, dx, y, dy)
    }
    fn total_vjp(x: f64, y: f64, s: f64) -> (f64, (f64, f64)) {
        SPRING.total_vjp(x, y, s)
    }
    fn total_grad(x: f64, y: f64) -> (f64, (f64, f64)) {
        SPRING.total_grad(x, y)
    }
}

const SPRING: Spring = Spring { k: 3.0, rest: 0.7 };

// ---- a user rule, called inside a loop in reverse mode -----------------------------------------

/// log(e^a + e^b) without overflow; its derivative is given by the rules below.
#[custom_tangent(lse_tangent)]
#[custom_grad(lse_vjp)]
fn lse(a: f64, b: f64) -> f64 {
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

fn lse_tangent(a: f64, da: f64, b: f64, db: f64) -> (f64, f64) {
    let v = lse(a, b);
    (v, (a - v).exp() * da + (b - v).exp() * db)
}

fn lse_vjp(a: f64, b: f64, seed: f64) -> (f64, (f64, f64)) {
    let v = lse(a, b);
    (v, (seed * (a - v).exp(), seed * (b - v).exp()))
}

#[derive_tangent]
#[derive_grad]
fn soft_max_of_line(x: f64, y: f64, n: usize) -> f64 {
    let mut acc = y;
    for i in 0..n {
        acc = lse(acc, x * i as f64);
    }
    acc
}

#[test]
fn a_user_rule_inside_a_loop_in_reverse_mode() {
    // acc = log(e^y + Σ_{i<n} e^{x i}).
    check_fn!(
        soft_max_of_line,
        soft_max_of_line_tangent,
        soft_max_of_line_vjp,
        soft_max_of_line_grad,
        [0, 1],
        const [6],
        &[[0.3, -0.2], [-0.8, 1.5], [2.0, 0.1]],
        |[x, y]| {
            let z: f64 = y.exp() + (0..6).map(|i| (x * i as f64).exp()).sum::<f64>();
            let dx: f64 = (0..6).map(|i| i as f64 * (x * i as f64).exp()).sum::<f64>();
            [dx / z, y.exp() / z]
        }
    );
    // The rule keeps e^800 from overflowing; a - v with v near 800 keeps about 13 digits.
    let (v, (ga, gb)) = lse_grad(800.0, 799.0);
    assert!(
        v.is_finite() && (ga + gb - 1.0).abs() < 1e-13,
        "{v} {ga} {gb}"
    );
}

/// A function whose body the macro could not differentiate (a closure) is fine with a rule.
#[custom_grad(opaque_vjp)]
fn opaque(x: f64) -> f64 {
    let f = |t: f64| t * t * t;
    f(x)
}

fn opaque_vjp(x: f64, seed: f64) -> (f64, f64) {
    (x * x * x, seed * 3.0 * x * x)
}

#[derive_grad]
fn uses_opaque(x: f64) -> f64 {
    opaque(x.sin())
}

#[test]
fn a_rule_covers_a_body_the_macro_cannot_see_into() {
    let x = 0.6_f64;
    let (_, g) = uses_opaque_grad(x);
    let want = 3.0 * x.sin().powi(2) * x.cos();
    assert!((g - want).abs() < 1e-15, "{g} {want}");
    let r = ad_runtime::check::gradient(|p: &[f64]| uses_opaque(p[0]), &[x], &[g]);
    r.assert_below(1e-8);
}

// ---- receivers: &mut self and self by value ----------------------------------------------------

#[derive(Clone, Copy)]
struct Counter {
    calls: u32,
    gain: f64,
}

impl Counter {
    /// `&mut self` is constant for differentiation; the method may still change it.
    #[derive_tangent]
    #[derive_grad]
    fn observe(&mut self, x: f64) -> f64 {
        self.calls += 1;
        self.gain * x.sin()
    }

    /// `self` by value.
    #[derive_tangent]
    #[derive_grad]
    fn scaled(self, x: f64, y: f64) -> f64 {
        self.gain * x * y
    }
}

#[test]
fn mut_self_and_self_receivers() {
    let mut c = Counter {
        calls: 0,
        gain: 1.5,
    };
    let (v, g) = c.observe_grad(0.4);
    assert_eq!(v, 1.5 * 0.4f64.sin());
    assert!((g - 1.5 * 0.4f64.cos()).abs() < 1e-15);
    let (_, t) = c.observe_tangent(0.4, 1.0);
    assert_eq!(t, g);
    assert_eq!(
        c.calls, 2,
        "the generated functions run the method's side effects too"
    );
    let (_, (gx, gy)) = c.scaled_grad(2.0, 3.0);
    assert_eq!((gx, gy), (1.5 * 3.0, 1.5 * 2.0));
}

// ---- read-only slices passed to annotated helpers ----------------------------------------------

#[derive_tangent]
#[derive_grad]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// Σ_k tanh(w_k · x) with rows of `w` in a local array, `x` a parameter, and a constant slice.
#[derive_tangent]
#[derive_grad]
fn layer(w: &[f64], x: &[f64], scale: f64) -> f64 {
    let n = x.len();
    let ones = [1.0, 1.0, 1.0];
    let mut row = vec![0.0; n];
    let mut total = 0.0;
    for k in 0..w.len() / n {
        let z = dot(&w[k * n..(k + 1) * n], x);
        total += (scale * z).tanh();
    }
    for i in 0..n {
        row[i] = x[i] * scale;
    }
    total + dot(&row, &ones[..n]) * 0.0 + dot(x, x)
}

fn layer_by_hand(w: &[f64], x: &[f64], scale: f64) -> (Vec<f64>, Vec<f64>, f64) {
    let n = x.len();
    let (mut gw, mut gx, mut gs) = (vec![0.0; w.len()], vec![0.0; n], 0.0);
    for k in 0..w.len() / n {
        let z: f64 = (0..n).map(|i| w[k * n + i] * x[i]).sum();
        let d = 1.0 - (scale * z).tanh().powi(2);
        for i in 0..n {
            gw[k * n + i] += d * scale * x[i];
            gx[i] += d * scale * w[k * n + i];
        }
        gs += d * z;
    }
    for i in 0..n {
        gx[i] += 2.0 * x[i];
    }
    (gw, gx, gs)
}

#[test]
fn slices_passed_to_annotated_helpers() {
    let (w, x, scale) = ([0.3, -0.2, 0.5, 0.1, 0.4, -0.6], [0.7, -0.3, 0.2], 1.3);
    let (mut gw, mut gx) = ([0.0; 6], [0.0; 3]);
    let (v, gs) = layer_grad(&w, &mut gw, &x, &mut gx, scale);
    assert_eq!(v, layer(&w, &x, scale));
    let (hw, hx, hs) = layer_by_hand(&w, &x, scale);
    for i in 0..6 {
        assert!((gw[i] - hw[i]).abs() < 1e-14, "w[{i}]");
    }
    for i in 0..3 {
        assert!((gx[i] - hx[i]).abs() < 1e-14, "x[{i}]");
    }
    assert!((gs - hs).abs() < 1e-14);
    // Forward mode along one direction in (w, x, scale) against the reverse gradient.
    let (vw, vx, vs) = ([0.1, 0.2, -0.3, 0.4, 0.5, 0.6], [1.0, -1.0, 0.5], 0.7);
    let (_, t) = layer_tangent(&w, &vw, &x, &vx, scale, vs);
    let dot_rev: f64 = (0..6).map(|i| vw[i] * gw[i]).sum::<f64>()
        + (0..3).map(|i| vx[i] * gx[i]).sum::<f64>()
        + vs * gs;
    assert!((t - dot_rev).abs() < 1e-13, "{t} {dot_rev}");
}

// ---- slices lent to callees to be written (`&mut`) ---------------------------------------------

/// A pure output: `y[i] = w[i] sin x`, written before it is read; no result.
#[derive_tangent]
#[derive_grad]
fn fill(w: &[f64], x: f64, y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] = w[i] * x.sin();
    }
}

/// Reads what it writes (the entry values matter): `y[i] += x y[i]`, and returns the new sum.
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
#[derive_tangent]
#[derive_grad]
fn grow(x: f64, y: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..y.len() {
        y[i] = y[i] + x * y[i];
        s += y[i];
    }
    s
}

/// Passes its own output on, whole and as a sub-slice; `grow`'s result is dropped.
#[derive_tangent]
#[derive_grad]
fn passes_output_on(w: &[f64], x: f64, y: &mut [f64]) {
    fill(w, x, y);
    grow(x, &mut y[..2]);
}

/// A local `Vec` written by calls, in a loop, through a sub-slice, and then read.
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
#[derive_tangent]
#[derive_grad]
fn writes_through_calls(w: &[f64], x: f64, z: f64) -> f64 {
    let n = w.len();
    let mut y = vec![0.0; n];
    fill(w, x, &mut y);
    let mut total = 0.0;
    for k in 0..3 {
        total += grow(z * k as f64, &mut y[1..]) * z;
    }
    let mut s = total;
    for i in 0..n {
        s += y[i] * y[i];
    }
    s
}

#[test]
fn slices_written_by_callees() {
    let w = [0.3, -0.7, 1.1, 0.4];
    let x = 0.9;
    // passes_output_on: y_i = c_i w_i sin x with c_i = 1 + x for i < 2, else 1.
    let c = |i: usize| if i < 2 { 1.0 + x } else { 1.0 };
    let mut y = [9.0; 4];
    passes_output_on(&w, x, &mut y);
    for i in 0..4 {
        assert!(
            (y[i] - c(i) * w[i] * x.sin()).abs() < 1e-15,
            "primal y[{i}]"
        );
    }
    // Reverse: the seed on y pulls back to w and x by hand; y's entry values do not matter, so
    // its shadow is zero on exit.
    let seed = [0.5, -1.0, 2.0, 0.25];
    let (mut dw, mut y, mut dy) = ([0.0; 4], [9.0; 4], seed);
    let gx = passes_output_on_vjp(&w, &mut dw, x, &mut y, &mut dy);
    let mut want_x = 0.0;
    for i in 0..4 {
        assert!((dw[i] - seed[i] * c(i) * x.sin()).abs() < 1e-15, "dw[{i}]");
        let dc = if i < 2 { 1.0 } else { 0.0 };
        want_x += seed[i] * w[i] * (c(i) * x.cos() + dc * x.sin());
    }
    assert!((gx - want_x).abs() < 1e-14, "dx {gx} vs {want_x}");
    assert_eq!(dy, [0.0; 4], "the adjoint of y's entry values");
    assert_eq!(y[0], c(0) * w[0] * x.sin(), "y holds the result after _vjp");
    // Forward against reverse (the dot-product test) over (w, x) -> y.
    let (tw, tx) = ([0.2, 0.1, -0.4, 0.3], -0.6);
    let (mut y, mut ty) = ([0.0; 4], [0.0; 4]);
    passes_output_on_tangent(&w, &tw, x, tx, &mut y, &mut ty);
    let jv_w: f64 = (0..4).map(|i| ty[i] * seed[i]).sum();
    let jtw_v: f64 = (0..4).map(|i| tw[i] * dw[i]).sum::<f64>() + tx * gx;
    assert!(
        (jv_w - jtw_v).abs() < 1e-14,
        "<J v, w> {jv_w} vs <v, J^T w> {jtw_v}"
    );

    // writes_through_calls: finite differences and forward against reverse at two points.
    for (x, z) in [(0.9, 0.4), (-0.3, 1.2)] {
        let mut dw = [0.0; 4];
        let (v, (gx, gz)) = writes_through_calls_grad(&w, &mut dw, x, z);
        assert_eq!(v, writes_through_calls(&w, x, z));
        let f = |p: &[f64]| writes_through_calls(&p[..4], p[4], p[5]);
        let p: Vec<f64> = w.iter().copied().chain([x, z]).collect();
        let grad: Vec<f64> = dw.iter().copied().chain([gx, gz]).collect();
        for (i, g) in grad.iter().enumerate() {
            let h = 1e-6;
            let (mut a, mut b) = (p.clone(), p.clone());
            a[i] += h;
            b[i] -= h;
            let fd = (f(&a) - f(&b)) / (2.0 * h);
            assert!(
                (g - fd).abs() < 1e-7 * fd.abs().max(1.0),
                "input {i}: {g} vs {fd}"
            );
        }
        let dir = [0.3, -0.2, 0.5, 0.1, -0.7, 0.4];
        let (_, t) = writes_through_calls_tangent(&w, &dir[..4], x, dir[4], z, dir[5]);
        let dot: f64 = grad.iter().zip(dir).map(|(g, d)| g * d).sum();
        assert!((t - dot).abs() < 1e-12 * dot.abs().max(1.0), "{t} vs {dot}");
    }
}

/// A read-only callee over `&[f64]`: the sum of squares.
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
#[derive_tangent]
#[derive_grad]
fn sum_sq(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * v[i];
    }
    s
}

/// A state updated in place and passed on, as it is, to a callee that only reads it (the
/// `&mut [f64]` goes where `&[f64]` is expected): `x <- x (1 + |x|^2 a)`, entry by entry. The
/// forward mode of this used not to compile.
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
#[derive_tangent]
#[derive_grad]
fn scale_by_norm(x: &mut [f64], a: f64) {
    let n = sum_sq(x);
    for i in 0..x.len() {
        x[i] += x[i] * n * a;
    }
}

#[test]
fn written_slice_passed_on_to_a_reading_callee() {
    let (x0, a) = ([0.3, -0.5, 0.8], 0.7);
    let n: f64 = x0.iter().map(|v| v * v).sum();
    // By hand: y_i = x_i (1 + a n), so dy_i/dx_j = delta_ij (1 + a n) + 2 a x_i x_j and
    // dy_i/da = x_i n.
    let jac = |i: usize, j: usize| {
        let d = if i == j { 1.0 + a * n } else { 0.0 };
        d + 2.0 * a * x0[i] * x0[j]
    };
    let (tx, ta) = ([0.2, -0.1, 0.4], 0.3);
    let (mut x, mut dx) = (x0, tx);
    scale_by_norm_tangent(&mut x, &mut dx, a, ta);
    for i in 0..3 {
        let want: f64 = (0..3).map(|j| jac(i, j) * tx[j]).sum::<f64>() + x0[i] * n * ta;
        assert!(
            (dx[i] - want).abs() < 1e-14,
            "tangent {i}: {} vs {want}",
            dx[i]
        );
        // Central finite differences along the same direction.
        let h = 1e-6;
        let run = |s: f64| {
            let mut y = [0.0; 3];
            for j in 0..3 {
                y[j] = x0[j] + s * tx[j];
            }
            scale_by_norm(&mut y, a + s * ta);
            y[i]
        };
        let fd = (run(h) - run(-h)) / (2.0 * h);
        assert!(
            (dx[i] - fd).abs() < 1e-8,
            "tangent {i} vs fd: {} vs {fd}",
            dx[i]
        );
    }
    // Reverse: the dot-product test <J v, w> == <v, J^T w>.
    let w = [0.5, 1.5, -0.25];
    let (mut x, mut gx) = (x0, w);
    let ga = scale_by_norm_vjp(&mut x, &mut gx, a);
    let jv_w: f64 = (0..3).map(|i| dx[i] * w[i]).sum();
    let v_jtw: f64 = (0..3).map(|j| tx[j] * gx[j]).sum::<f64>() + ta * ga;
    assert!((jv_w - v_jtw).abs() < 1e-14, "{jv_w} vs {v_jtw}");
}

/// Calls that write a slice every step of a loop, with checkpointing asked for: that loop is not
/// checkpointed (its calls write memory), so the gradient is exactly the plain one.
#[derive_grad(checkpoint)]
#[allow(dead_code)] // only its gradient is called
fn writer_loop_checkpointed(w: &[f64], x: f64) -> f64 {
    let mut y = vec![0.0; w.len()];
    let mut s = 0.0;
    for k in 0..20 {
        fill(w, x + 0.1 * k as f64, &mut y);
        s += grow(0.01 * s, &mut y[..]);
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn writer_loop(w: &[f64], x: f64) -> f64 {
    let mut y = vec![0.0; w.len()];
    let mut s = 0.0;
    for k in 0..20 {
        fill(w, x + 0.1 * k as f64, &mut y);
        s += grow(0.01 * s, &mut y[..]);
    }
    s
}

#[test]
fn slices_written_by_callees_in_a_loop() {
    let (w, x) = ([0.3, -0.7, 1.1], 0.4);
    let (mut dw, mut dw_c) = ([0.0; 3], [0.0; 3]);
    let (v, gx) = writer_loop_grad(&w, &mut dw, x);
    let (v_c, gx_c) = writer_loop_checkpointed_grad(&w, &mut dw_c, x);
    assert_eq!((v, gx, dw), (v_c, gx_c, dw_c));
    // Finite differences, and forward against reverse.
    let f = |p: &[f64]| writer_loop(&p[..3], p[3]);
    let p = [w[0], w[1], w[2], x];
    let grad = [dw[0], dw[1], dw[2], gx];
    for i in 0..4 {
        let h = 1e-6;
        let (mut a, mut b) = (p, p);
        a[i] += h;
        b[i] -= h;
        let fd = (f(&a) - f(&b)) / (2.0 * h);
        assert!(
            (grad[i] - fd).abs() < 1e-7 * fd.abs().max(1.0),
            "input {i}: {} vs {fd}",
            grad[i]
        );
    }
    let dir = [0.5, -0.25, 0.75, 1.5];
    let (_, t) = writer_loop_tangent(&w, &dir[..3], x, dir[3]);
    let dot: f64 = grad.iter().zip(dir).map(|(g, d)| g * d).sum();
    assert!((t - dot).abs() < 1e-12 * dot.abs().max(1.0), "{t} vs {dot}");
}

/// A generic writer, and a method that lends `self`'s callee a slice of its own.
#[derive_tangent]
#[derive_grad]
fn axpy<T: Float>(a: T, x: &[T], y: &mut [T]) {
    for i in 0..y.len() {
        y[i] = y[i] + a * x[i];
    }
}

#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
#[derive_tangent]
#[derive_grad]
fn generic_writer_caller<T: Float>(a: T, x: &[T]) -> T {
    let mut y = vec![T::one(); x.len()];
    axpy(a, x, &mut y);
    axpy(a * a, x, &mut y);
    let mut s = T::zero();
    for i in 0..y.len() {
        s = s + y[i] * y[i];
    }
    s
}

struct Layer {
    gain: f64,
}

impl Layer {
    #[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
    #[derive_tangent]
    #[derive_grad]
    fn act(&self, z: &mut [f64]) {
        for i in 0..z.len() {
            z[i] = (self.gain * z[i]).tanh();
        }
    }

    #[ad_runtime::derive_jacobian(reverse)]
    #[derive_tangent]
    #[derive_grad]
    fn forward(&self, x: &[f64], out: &mut [f64]) {
        for i in 0..out.len() {
            out[i] = x[i] + x[(i + 1) % x.len()];
        }
        self.act(out);
    }
}

#[test]
fn writers_generic_and_methods() {
    // s = sum_i (1 + (a + a^2) x_i)^2, ds/da = sum_i 2 (1 + (a + a^2) x_i) (1 + 2a) x_i.
    let x = [0.5, -1.5, 2.0];
    let by_hand = |a: f64| -> f64 {
        x.iter()
            .map(|&xi| 2.0 * (1.0 + (a + a * a) * xi) * (1.0 + 2.0 * a) * xi)
            .sum()
    };
    for a in [0.3, -0.8] {
        let mut dx = [0.0; 3];
        let (v, ga) = generic_writer_caller_grad(a, &x, &mut dx);
        assert_eq!(v, generic_writer_caller(a, &x));
        assert!(
            (ga - by_hand(a)).abs() < 1e-12,
            "f64: {ga} vs {}",
            by_hand(a)
        );
        let (_, t) = generic_writer_caller_tangent(a, 1.0, &x, &[0.0; 3]);
        assert!((t - ga).abs() < 1e-12);
        let x32 = x.map(|v| v as f32);
        let mut dx32 = [0.0f32; 3];
        let (_, ga32) = generic_writer_caller_grad(a as f32, &x32, &mut dx32);
        assert!((ga32 as f64 - by_hand(a)).abs() < 1e-3 * by_hand(a).abs().max(1.0));
    }

    // The layer's Jacobian in reverse mode against forward mode, column by column, and against
    // the closed form: out_i = tanh(g (x_i + x_{i+1})).
    let layer = Layer { gain: 0.7 };
    let x = [0.2, -0.4, 0.9];
    let mut out = [0.0; 3];
    let jac = layer.forward_jacobian(&x, &mut out);
    for j in 0..3 {
        let mut e = [0.0; 3];
        e[j] = 1.0;
        let (mut out, mut dout) = ([0.0; 3], [0.0; 3]);
        layer.forward_tangent(&x, &e, &mut out, &mut dout);
        for i in 0..3 {
            let z = x[i] + x[(i + 1) % 3];
            let dz = if j == i { 1.0 } else { 0.0 } + if j == (i + 1) % 3 { 1.0 } else { 0.0 };
            let want = (1.0 - (0.7 * z).tanh().powi(2)) * 0.7 * dz;
            assert!((dout[i] - want).abs() < 1e-15, "tangent ({i}, {j})");
            assert!((jac[(i, j)] - want).abs() < 1e-15, "jacobian ({i}, {j})");
        }
    }
}

/// A fixed-size local array lent to be written.
#[derive_tangent]
#[derive_grad]
fn lends_a_local_array(w: &[f64], x: f64) -> f64 {
    let mut y = [0.0; 3];
    fill(w, x, &mut y);
    grow(x, &mut y[1..]) + y[0] * y[2]
}

#[test]
fn a_local_array_lent_to_be_written() {
    let (w, x) = ([0.3, -0.7, 1.1], 0.4);
    let mut dw = [0.0; 3];
    let (v, gx) = lends_a_local_array_grad(&w, &mut dw, x);
    assert_eq!(v, lends_a_local_array(&w, x));
    // y = w sin x; grow scales y[1..] by (1 + x) and returns their sum; then y0 * y2.
    // v = (1 + x) sin x (w1 + w2) + (1 + x) w0 w2 sin^2 x.
    let (s, c) = (x.sin(), x.cos());
    let want_w = [
        (1.0 + x) * w[2] * s * s,
        (1.0 + x) * s,
        (1.0 + x) * s + (1.0 + x) * w[0] * s * s,
    ];
    let want_x =
        (s + (1.0 + x) * c) * (w[1] + w[2]) + w[0] * w[2] * (s * s + (1.0 + x) * 2.0 * s * c);
    for i in 0..3 {
        assert!(
            (dw[i] - want_w[i]).abs() < 1e-14,
            "w[{i}]: {} vs {}",
            dw[i],
            want_w[i]
        );
    }
    assert!((gx - want_x).abs() < 1e-14, "x: {gx} vs {want_x}");
    let (_, t) = lends_a_local_array_tangent(&w, &[0.0; 3], x, 1.0);
    assert!((t - gx).abs() < 1e-14);
}

/// Generic over a constant no parameter's type names: called with a turbofish
/// (`picked_grad::<2>(..)`), its companions with the constant passed on.
#[derive_tangent]
#[derive_grad]
fn picked<const K: usize>(v: &[f64]) -> f64 {
    v[K] * v[0] + (v[K] * 0.5).sin()
}

#[test]
fn a_constant_generic_parameter_named_by_no_type() {
    let v = [0.4, -1.1, 0.9];
    let mut g = [0.0; 3];
    let value = picked_grad::<2>(&v, &mut g);
    assert_eq!(value, picked::<2>(&v));
    let hand = [v[2], 0.0, v[0] + 0.5 * (0.5 * v[2]).cos()];
    let at = ad_tests::At("picked", &v);
    for i in 0..3 {
        let fd = ad_tests::central_difference(picked::<2>, &v, i);
        at.close("vs hand", i, g[i], hand[i], ad_tests::HAND);
        at.close("vs fd", i, g[i], fd, ad_tests::Tol::fd(value));
        let mut d = [0.0; 3];
        d[i] = 1.0;
        let (_, t) = picked_tangent::<2>(&v, &d);
        at.close("forward vs reverse", i, t, g[i], ad_tests::MODES);
    }
}
