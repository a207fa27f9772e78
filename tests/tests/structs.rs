//! Structs as differentiated parameters (issue 17): `#[derive(Differentiable)]` structs passed
//! by reference, by value and as `&mut` outputs, nested, generic, with constant fields; each
//! checked against a gradient by hand, central finite differences (through `to_flat` /
//! `with_flat`), and forward against reverse.

use ad_runtime::{Differentiable, Float, derive_grad, derive_tangent};
use ad_tests::check_flat;

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Params {
    w: Vec<f64>,
    b: f64,
    scale: usize,
}

/// A quadratic model's squared error, its parameters in a struct.
#[derive_tangent(wrt(p))]
#[derive_grad(wrt(p))]
fn loss(p: &Params, xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = p.w[0] * xs[i] + p.w[1] * xs[i] * xs[i] + p.b - ys[i];
        s += r * r;
    }
    s / p.scale as f64
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Spring {
    k: f64,
    rest: f64,
}

/// A spring by value: its adjoint comes back as a `Spring`.
#[derive_tangent]
#[derive_grad]
fn spring_energy(s: Spring, x: f64) -> f64 {
    0.5 * s.k * (x - s.rest).powi(2)
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Link<T: Float> {
    length: T,
    angle: T,
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Arm<T: Float> {
    l1: Link<T>,
    l2: Link<T>,
    base: [T; 2],
}

/// A two-link arm's end-effector distance from the origin, squared: nested generic structs.
#[derive_tangent]
#[derive_grad]
fn reach<T: Float>(arm: &Arm<T>) -> T {
    let a1 = arm.l1.angle;
    let a2 = a1 + arm.l2.angle;
    let x = arm.base[0] + arm.l1.length * a1.cos() + arm.l2.length * a2.cos();
    let y = arm.base[1] + arm.l1.length * a1.sin() + arm.l2.length * a2.sin();
    x * x + y * y
}

fn params_of(p: &[f64]) -> Params {
    Params {
        w: vec![p[0], p[1]],
        b: p[2],
        scale: 2,
    }
}

#[test]
fn struct_by_reference() {
    let xs = [0.5, -1.0, 2.0];
    let ys = [1.0, 0.3, -0.7];
    check_flat(
        "loss",
        &[0.4, -0.2, 0.1],
        |p| loss(&params_of(p), &xs, &ys),
        |p, d| loss_tangent(&params_of(p), &params_of(d), &xs, &ys),
        |p, g| {
            let mut shadow = params_of(g);
            let v = loss_vjp(&params_of(p), &mut shadow, &xs, &ys, 1.0);
            g.copy_from_slice(&shadow.to_flat());
            v
        },
        |p| {
            let r: Vec<f64> = xs
                .iter()
                .zip(&ys)
                .map(|(x, y)| p[0] * x + p[1] * x * x + p[2] - y)
                .collect();
            vec![
                r.iter().zip(&xs).map(|(r, x)| r * x).sum(),
                r.iter().zip(&xs).map(|(r, x)| r * x * x).sum(),
                r.iter().sum(),
            ]
        },
    );
}

#[test]
fn struct_by_value() {
    check_flat(
        "spring_energy",
        &[2.0, 0.5, 1.3],
        |p| {
            spring_energy(
                Spring {
                    k: p[0],
                    rest: p[1],
                },
                p[2],
            )
        },
        |p, d| {
            spring_energy_tangent(
                Spring {
                    k: p[0],
                    rest: p[1],
                },
                Spring {
                    k: d[0],
                    rest: d[1],
                },
                p[2],
                d[2],
            )
        },
        |p, g| {
            let (v, (gs, gx)) = spring_energy_grad(
                Spring {
                    k: p[0],
                    rest: p[1],
                },
                p[2],
            );
            g[0] += gs.k;
            g[1] += gs.rest;
            g[2] += gx;
            v
        },
        |p| {
            let (k, r, x) = (p[0], p[1], p[2]);
            vec![0.5 * (x - r).powi(2), -k * (x - r), k * (x - r)]
        },
    );
}

#[test]
fn nested_generic_structs() {
    let arm = |p: &[f64]| Arm {
        l1: Link {
            length: p[0],
            angle: p[1],
        },
        l2: Link {
            length: p[2],
            angle: p[3],
        },
        base: [p[4], p[5]],
    };
    let point = [1.2, 0.4, 0.8, -0.7, 0.1, -0.3];
    check_flat(
        "reach",
        &point,
        |p| reach(&arm(p)),
        |p, d| reach_tangent(&arm(p), &arm(d)),
        |p, g| {
            let mut shadow = arm(g);
            let v = reach_grad(&arm(p), &mut shadow);
            g.copy_from_slice(&shadow.to_flat());
            v
        },
        |p| {
            let (l1, a1, l2, a2, bx, by) = (p[0], p[1], p[2], p[3], p[4], p[5]);
            let s = a1 + a2;
            let x = bx + l1 * a1.cos() + l2 * s.cos();
            let y = by + l1 * a1.sin() + l2 * s.sin();
            let (dx, dy) = (2.0 * x, 2.0 * y);
            vec![
                dx * a1.cos() + dy * a1.sin(),
                dx * (-l1 * a1.sin() - l2 * s.sin()) + dy * (l1 * a1.cos() + l2 * s.cos()),
                dx * s.cos() + dy * s.sin(),
                dx * (-l2 * s.sin()) + dy * (l2 * s.cos()),
                dx,
                dy,
            ]
        },
    );
    // The same function in f32.
    let a32 = Arm {
        l1: Link {
            length: 1.2_f32,
            angle: 0.4,
        },
        l2: Link {
            length: 0.8,
            angle: -0.7,
        },
        base: [0.1, -0.3],
    };
    let mut g32 = a32.zero_like();
    let v32 = reach_grad(&a32, &mut g32);
    let mut g64 = arm(&point).zero_like();
    let v64 = reach_grad(&arm(&point), &mut g64);
    assert!((f64::from(v32) - v64).abs() < 1e-5);
    for (a, b) in g32.to_flat().iter().zip(g64.to_flat()) {
        assert!((f64::from(*a) - b).abs() < 1e-4);
    }
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    v: f64,
}

/// One symplectic Euler step, updating the state in place (`&mut` struct: input and output).
#[derive_tangent(wrt(s, k))]
#[derive_grad(wrt(s, k))]
fn step(s: &mut State, k: f64, dt: f64) {
    s.v -= k * s.x * dt;
    s.x += s.v * dt;
}

#[test]
fn struct_updated_in_place() {
    let dt = 0.1;
    let run = |p: [f64; 3]| {
        let mut s = State { x: p[0], v: p[1] };
        step(&mut s, p[2], dt);
        [s.x, s.v]
    };
    ad_tests::check_jacobian(
        "step",
        &[[0.7, -0.4, 2.0], [-1.1, 0.9, 0.5]],
        run,
        |p, d| {
            let mut s = State { x: p[0], v: p[1] };
            let mut ds = State { x: d[0], v: d[1] };
            step_tangent(&mut s, &mut ds, p[2], d[2], dt);
            ([s.x, s.v], [ds.x, ds.v])
        },
        |p, w| {
            let mut s = State { x: p[0], v: p[1] };
            let mut ds = State { x: w[0], v: w[1] };
            let gk = step_vjp(&mut s, &mut ds, p[2], dt);
            ([s.x, s.v], [ds.x, ds.v, gk])
        },
        |p| {
            let (x, k) = (p[0], p[2]);
            [
                [1.0 - k * dt * dt, dt, -x * dt * dt],
                [-k * dt, 1.0, -x * dt],
            ]
        },
    );
}

/// One step returning the new state: a struct result built by a struct literal.
#[derive_tangent(wrt(s, k))]
#[derive_grad(wrt(s, k))]
fn step_to(s: State, k: f64, dt: f64) -> State {
    let v = s.v - k * s.x * dt;
    State { x: s.x + v * dt, v }
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Body {
    s: State,
    m: [f64; 2],
}

/// A nested struct result, by functional update (`..b.s`, `..*b`), in the arms of an `if`.
#[derive_tangent(wrt(b))]
#[derive_grad(wrt(b))]
fn kick(b: &Body, dt: f64) -> Body {
    if dt > 0.0 {
        Body {
            s: State {
                v: b.s.v + b.m[0] * dt,
                ..b.s
            },
            m: [b.m[0] * b.m[1], b.m[1]],
        }
    } else {
        Body {
            m: [b.m[1], b.m[0]],
            ..*b
        }
    }
}

#[test]
fn struct_results() {
    let dt = 0.1;
    ad_tests::check_jacobian(
        "step_to",
        &[[0.7, -0.3, 2.0], [-1.2, 0.4, 0.6]],
        |p| {
            let s = step_to(State { x: p[0], v: p[1] }, p[2], dt);
            [s.x, s.v]
        },
        |p, d| {
            let (s, ds) = step_to_tangent(
                State { x: p[0], v: p[1] },
                State { x: d[0], v: d[1] },
                p[2],
                d[2],
                dt,
            );
            ([s.x, s.v], [ds.x, ds.v])
        },
        |p, w| {
            let (s, (gs, gk)) = step_to_vjp(
                State { x: p[0], v: p[1] },
                p[2],
                dt,
                State { x: w[0], v: w[1] },
            );
            ([s.x, s.v], [gs.x, gs.v, gk])
        },
        // v' = v - k x dt, x' = x + v' dt.
        |p| {
            let (x, k) = (p[0], p[2]);
            [
                [1.0 - k * dt * dt, dt, -x * dt * dt],
                [-k * dt, 1.0, -x * dt],
            ]
        },
    );
    let body = |p: &[f64; 4]| Body {
        s: State { x: p[0], v: p[1] },
        m: [p[2], p[3]],
    };
    let flat = |b: &Body| [b.s.x, b.s.v, b.m[0], b.m[1]];
    for dt in [0.1, -0.1] {
        ad_tests::check_jacobian(
            "kick",
            &[[0.7, -0.3, 1.5, 0.5], [-0.2, 0.9, -0.4, 1.1]],
            |p| flat(&kick(&body(&p), dt)),
            |p, d| {
                let (b, db) = kick_tangent(&body(&p), &body(&d), dt);
                (flat(&b), flat(&db))
            },
            |p, w| {
                let mut db = body(&p).zero_like();
                let b = kick_vjp(&body(&p), &mut db, dt, body(&w));
                (flat(&b), flat(&db))
            },
            |p| {
                if dt > 0.0 {
                    // (x, v + m0 dt, m0 m1, m1).
                    [
                        [1.0, 0.0, 0.0, 0.0],
                        [0.0, 1.0, dt, 0.0],
                        [0.0, 0.0, p[3], p[2]],
                        [0.0, 0.0, 0.0, 1.0],
                    ]
                } else {
                    // (x, v, m1, m0).
                    [
                        [1.0, 0.0, 0.0, 0.0],
                        [0.0, 1.0, 0.0, 0.0],
                        [0.0, 0.0, 0.0, 1.0],
                        [0.0, 0.0, 1.0, 0.0],
                    ]
                }
            },
        );
    }
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Model<T: Float> {
    w: Vec<T>,
    b: T,
}

impl<T: Float> Model<T> {
    /// A method differentiated with respect to its receiver and an argument.
    #[derive_tangent(wrt(self, x))]
    #[derive_grad(wrt(self, x))]
    fn predict(&self, x: T) -> T {
        (self.w[0] * x + self.w[1] * x * x + self.b).tanh()
    }
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Osc {
    x: f64,
    v: f64,
}

impl Osc {
    /// `self` by value: its adjoint comes back as an `Osc`.
    #[derive_tangent(wrt(self))]
    #[derive_grad(wrt(self))]
    fn energy(self, k: f64) -> f64 {
        0.5 * self.v * self.v + 0.5 * k * self.x * self.x
    }

    /// `&mut self`: the state updated in place.
    #[derive_tangent(wrt(self, k))]
    #[derive_grad(wrt(self, k))]
    fn advance(&mut self, k: f64, dt: f64) {
        self.v -= k * self.x * dt;
        self.x += self.v * dt;
    }

    /// `-> Self` by functional update.
    #[derive_tangent(wrt(self))]
    #[derive_grad(wrt(self))]
    fn drifted(&self, dt: f64) -> Self {
        Osc {
            x: self.x + self.v * dt,
            ..*self
        }
    }
}

#[test]
fn methods_with_an_active_receiver() {
    let model = |p: &[f64]| Model {
        w: vec![p[0], p[1]],
        b: p[2],
    };
    check_flat(
        "predict",
        &[0.3, -0.2, 0.1, 0.7],
        |p| model(p).predict(p[3]),
        |p, d| model(p).predict_tangent(&model(d), p[3], d[3]),
        |p, g| {
            let mut dm = model(&g[..3]);
            let (v, gx) = model(p).predict_grad(&mut dm, p[3]);
            g[..3].copy_from_slice(&dm.to_flat());
            g[3] += gx;
            v
        },
        |p| {
            let (w0, w1, b, x) = (p[0], p[1], p[2], p[3]);
            let s = 1.0 - (w0 * x + w1 * x * x + b).tanh().powi(2);
            vec![s * x, s * x * x, s, s * (w0 + 2.0 * w1 * x)]
        },
    );
    // The same method in f32.
    let m32 = Model {
        w: vec![0.3_f32, -0.2],
        b: 0.1,
    };
    let mut d32 = m32.zero_like();
    let (v32, gx32) = m32.predict_grad(&mut d32, 0.7);
    let mut d64 = model(&[0.3, -0.2, 0.1]).zero_like();
    let (v64, gx64) = model(&[0.3, -0.2, 0.1]).predict_grad(&mut d64, 0.7);
    assert!((f64::from(v32) - v64).abs() < 1e-6);
    assert!((f64::from(gx32) - gx64).abs() < 1e-5);
    for (a, b) in d32.to_flat().iter().zip(d64.to_flat()) {
        assert!((f64::from(*a) - b).abs() < 1e-5);
    }

    let k = 2.0;
    check_flat(
        "energy",
        &[0.5, -1.0],
        |p| Osc { x: p[0], v: p[1] }.energy(k),
        |p, d| Osc { x: p[0], v: p[1] }.energy_tangent(Osc { x: d[0], v: d[1] }, k),
        |p, g| {
            let (v, go) = Osc { x: p[0], v: p[1] }.energy_grad(k);
            g[0] += go.x;
            g[1] += go.v;
            v
        },
        |p| vec![k * p[0], p[1]],
    );

    let dt = 0.1;
    ad_tests::check_jacobian(
        "advance",
        &[[0.7, -0.4, 2.0], [-1.1, 0.9, 0.5]],
        |p| {
            let mut o = Osc { x: p[0], v: p[1] };
            o.advance(p[2], dt);
            [o.x, o.v]
        },
        |p, d| {
            let mut o = Osc { x: p[0], v: p[1] };
            let mut dout = Osc { x: d[0], v: d[1] };
            o.advance_tangent(&mut dout, p[2], d[2], dt);
            ([o.x, o.v], [dout.x, dout.v])
        },
        |p, w| {
            let mut o = Osc { x: p[0], v: p[1] };
            let mut dout = Osc { x: w[0], v: w[1] };
            let gk = o.advance_vjp(&mut dout, p[2], dt);
            ([o.x, o.v], [dout.x, dout.v, gk])
        },
        |p| {
            let (x, k) = (p[0], p[2]);
            [
                [1.0 - k * dt * dt, dt, -x * dt * dt],
                [-k * dt, 1.0, -x * dt],
            ]
        },
    );
    ad_tests::check_jacobian(
        "drifted",
        &[[0.7, -0.4], [-1.1, 0.9]],
        |p| {
            let o = Osc { x: p[0], v: p[1] }.drifted(dt);
            [o.x, o.v]
        },
        |p, d| {
            let (o, dout) = Osc { x: p[0], v: p[1] }.drifted_tangent(&Osc { x: d[0], v: d[1] }, dt);
            ([o.x, o.v], [dout.x, dout.v])
        },
        |p, w| {
            let s = Osc { x: p[0], v: p[1] };
            let mut ds = s.zero_like();
            let o = s.drifted_vjp(&mut ds, dt, Osc { x: w[0], v: w[1] });
            ([o.x, o.v], [ds.x, ds.v])
        },
        |_| [[1.0, dt], [0.0, 1.0]],
    );
}

/// A helper of this file taking the struct (inlined where it is called).
fn bias_term(p: &Params, x: f64) -> f64 {
    p.b * x + p.w[1]
}

/// The struct passed whole to a helper, bound to another name, copied by value; a struct local
/// returned by name.
#[derive_tangent(wrt(p))]
#[derive_grad(wrt(p))]
fn used_whole(p: &Params, x: f64) -> f64 {
    let q = p;
    bias_term(q, x) * q.w[0] + bias_term(p, 2.0 * x)
}

#[allow(clippy::let_and_return)]
#[derive_tangent]
#[derive_grad]
fn named_state(s: State, dt: f64) -> State {
    let t = s;
    let out = State {
        x: t.x + t.v * dt,
        v: t.v,
    };
    out
}

#[test]
fn structs_used_whole() {
    let x = 0.7;
    check_flat(
        "used_whole",
        &[0.4, -0.2, 0.1],
        |p| used_whole(&params_of(p), x),
        |p, d| used_whole_tangent(&params_of(p), &params_of(d), x),
        |p, g| {
            let mut shadow = params_of(g);
            let v = used_whole_vjp(&params_of(p), &mut shadow, x, 1.0);
            g.copy_from_slice(&shadow.to_flat());
            v
        },
        |p| {
            // (b x + w1) w0 + 2 b x + w1.
            let (w0, w1, b) = (p[0], p[1], p[2]);
            vec![b * x + w1, w0 + 1.0, x * w0 + 2.0 * x]
        },
    );
    // x' = x + v dt: <seed, d out> against the returned adjoints.
    let s = State { x: 0.3, v: -1.2 };
    let seed = State { x: 0.5, v: 2.0 };
    let (out, (ds, ddt)) = named_state_vjp(s, 0.1, seed);
    assert_eq!(out, named_state(s, 0.1));
    assert_eq!(
        ds,
        State {
            x: 0.5,
            v: 0.5 * 0.1 + 2.0
        }
    );
    assert!((ddt - 0.5 * -1.2).abs() < 1e-15);
    let (_, t) = named_state_tangent(s, State { x: 1.0, v: 0.0 }, 0.1, 0.0);
    assert_eq!(t, State { x: 1.0, v: 0.0 });
}

#[derive(Differentiable, Clone, Copy, Debug, PartialEq)]
struct Joint {
    length: f64,
    angle: f64,
}

/// A planar chain whose links are a `Vec` of structs, read as `self.links[j].angle`.
#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Chain {
    links: Vec<Joint>,
    base: f64,
}

impl Chain {
    /// The tip's height: `base + sum_j l_j sin(a_1 + .. + a_j)`.
    #[derive_tangent(wrt(self))]
    #[derive_grad(wrt(self))]
    fn tip_y(&self) -> f64 {
        let mut angle = 0.0;
        let mut y = self.base;
        for j in 0..self.links.len() {
            angle += self.links[j].angle;
            y += self.links[j].length * angle.sin();
        }
        y
    }
}

fn chain_of(p: &[f64]) -> Chain {
    Chain {
        links: p[..p.len() - 1]
            .chunks(2)
            .map(|c| Joint {
                length: c[0],
                angle: c[1],
            })
            .collect(),
        base: p[p.len() - 1],
    }
}

#[test]
fn vec_of_structs_in_a_struct() {
    check_flat(
        "tip_y",
        &[1.0, 0.3, 0.8, -0.5, 0.6, 0.9, 0.25],
        |p| chain_of(p).tip_y(),
        |p, d| chain_of(p).tip_y_tangent(&chain_of(d)),
        |p, g| {
            let mut shadow = chain_of(g);
            let v = chain_of(p).tip_y_grad(&mut shadow);
            g.copy_from_slice(&shadow.to_flat());
            v
        },
        |p| {
            // d/dl_j = sin(A_j); d/da_j = sum_{k >= j} l_k cos(A_k); d/dbase = 1.
            let n = (p.len() - 1) / 2;
            let mut cum = vec![0.0; n];
            let mut a = 0.0;
            for j in 0..n {
                a += p[2 * j + 1];
                cum[j] = a;
            }
            let mut g = vec![0.0; p.len()];
            for j in 0..n {
                g[2 * j] = cum[j].sin();
                g[2 * j + 1] = (j..n).map(|k| p[2 * k] * cum[k].cos()).sum();
            }
            g[p.len() - 1] = 1.0;
            g
        },
    );
}

#[derive(Differentiable, Clone, Debug)]
struct Offsets {
    scale: f64,
    at: [f64; 3],
}

impl Offsets {
    /// `self` constant, an array field read inside arithmetic: the macro recursed without end
    /// on `self.at[i]` here (a stack overflow in rustc) until this was fixed.
    #[derive_grad]
    fn cubic(&self, t: f64) -> f64 {
        let mut s = 0.0;
        for i in 0..3 {
            let e = self.scale * t - self.at[i];
            s += e * e * e;
        }
        s
    }
}

#[test]
fn constant_receiver_with_an_array_field() {
    let o = Offsets {
        scale: 0.8,
        at: [0.1, -0.5, 1.2],
    };
    for t in [1.3, -0.4] {
        let (value, dt) = o.cubic_grad(t);
        assert_eq!(value, o.cubic(t));
        let hand: f64 =
            o.at.iter()
                .map(|a| 3.0 * (o.scale * t - a).powi(2) * o.scale)
                .sum();
        let fd = ad_tests::central_difference(|q| o.cubic(q[0]), &[t], 0);
        let at = ad_tests::At("cubic", &[t]);
        at.close("vs hand", 0, dt, hand, ad_tests::HAND);
        at.close("vs fd", 0, dt, fd, ad_tests::Tol::fd(hand));
    }
}
