//! A small vector type with operator impls in the random programs (issue 17): in a share of the
//! programs, float expressions may be computed through `V3`, a `#[derive(Differentiable)]`
//! struct emitted in the program's module with `Add`, `Sub`, `Mul<f64>`, `f64 * V3`, `Neg`
//! and the methods `new`, `dot`, `len1` (`sqrt(v.v + 1)`) and `cross`, which the macros inline.
//! Vector expressions nest operators, methods, struct literals and `if` branches that yield
//! vectors; the float read from one is a dot product, a length or a component. Drawn from a
//! generator of their own, so other programs are unchanged; `AD_GEN_V3=0` turns them off.
//!
//! In a share of those programs the vectors are nalgebra's `Vector3<f64>` (issue 19): the same
//! expressions printed as nalgebra spells them (`Vector3::new`, `a.dot(&b)`, `a.cross(&b)`,
//! `(a.norm_squared() + 1.0).sqrt()` for `len1`), which the macros differentiate through their
//! nalgebra prelude.

use std::fmt::Write as _;

use super::{Cond, Expr, Gen, Machine, Rng, atom, show, show_c};

/// Share of the programs that use `V3`.
pub const SHARE: f64 = 0.3;

/// Share of those whose vectors are nalgebra's `Vector3<f64>`.
pub const NALGEBRA_SHARE: f64 = 0.5;

thread_local! {
    /// Whether the program being printed spells its vectors as nalgebra's.
    pub static NALGEBRA: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A vector-valued expression.
#[derive(Clone, Debug)]
pub enum V3 {
    /// `V3::new(a, b, c)`.
    New(Box<[Expr; 3]>),
    /// `V3 { x: a, y: b, z: c }`.
    Lit(Box<[Expr; 3]>),
    /// `(a + b)`.
    Add(Box<V3>, Box<V3>),
    /// `(a - b)`.
    Sub(Box<V3>, Box<V3>),
    /// `(a * s)`.
    Scale(Box<V3>, Box<Expr>),
    /// `(s * a)`.
    LScale(Box<Expr>, Box<V3>),
    /// `(-a)`.
    Neg(Box<V3>),
    /// `a.cross(b)`.
    Cross(Box<V3>, Box<V3>),
    /// `(if c { a } else { b })`.
    Sel(Box<Cond>, Box<V3>, Box<V3>),
}

/// A float read from a vector expression.
#[derive(Clone, Debug)]
pub enum Scalar {
    /// `a.dot(b)`.
    Dot(V3, V3),
    /// `a.len1()`.
    Len(V3),
    /// `a.x`, `a.y`, `a.z`.
    Comp(V3, usize),
}

/// The type and its impls, emitted once in the module of a program that uses it.
pub const SOURCE: &str = "#[allow(dead_code)]
#[derive(ad_runtime::Differentiable, Clone, Copy, Debug)]
pub struct V3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

#[allow(dead_code)]
impl V3 {
    pub fn new(x: f64, y: f64, z: f64) -> V3 {
        V3 { x, y, z }
    }
    pub fn dot(self, o: V3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    pub fn len1(self) -> f64 {
        (self.dot(self) + 1.0).sqrt()
    }
    pub fn cross(self, o: V3) -> V3 {
        V3::new(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }
}

impl std::ops::Add for V3 {
    type Output = V3;
    fn add(self, o: V3) -> V3 {
        V3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}

impl std::ops::Sub for V3 {
    type Output = V3;
    fn sub(self, o: V3) -> V3 {
        V3 { x: self.x - o.x, y: self.y - o.y, z: self.z - o.z }
    }
}

impl std::ops::Mul<f64> for V3 {
    type Output = V3;
    fn mul(self, s: f64) -> V3 {
        V3::new(self.x * s, self.y * s, self.z * s)
    }
}

impl std::ops::Mul<V3> for f64 {
    type Output = V3;
    fn mul(self, v: V3) -> V3 {
        v * self
    }
}

impl std::ops::Neg for V3 {
    type Output = V3;
    fn neg(self) -> V3 {
        V3::new(-self.x, -self.y, -self.z)
    }
}
";

impl Gen {
    fn vr(&mut self) -> &mut Rng {
        self.v3.as_mut().expect("V3 is on")
    }

    /// Whether the next float expression is read from a vector expression.
    pub(super) fn v3_turn(&mut self) -> bool {
        self.v3.as_mut().is_some_and(|r| r.chance(0.06))
    }

    /// A vector expression of depth at most `depth`, and a bound of its components.
    fn v3(&mut self, depth: u32) -> (V3, f64) {
        let pick = if depth == 0 { 0 } else { self.vr().below(9) };
        let d = depth.saturating_sub(1);
        match pick {
            0 | 1 => {
                let mut es = Vec::new();
                let mut b: f64 = 0.0;
                for _ in 0..3 {
                    let (e, eb) = self.bounded(1, 1.0);
                    b = b.max(eb);
                    es.push(e);
                }
                let es: [Expr; 3] = es.try_into().expect("three");
                let v = if pick == 0 {
                    V3::New(Box::new(es))
                } else {
                    V3::Lit(Box::new(es))
                };
                (v, b)
            }
            2 | 3 => {
                let (a, ba) = self.v3(d);
                let (c, bc) = self.v3(d);
                if pick == 2 {
                    (V3::Add(Box::new(a), Box::new(c)), ba + bc)
                } else {
                    (V3::Sub(Box::new(a), Box::new(c)), ba + bc)
                }
            }
            4 => {
                let (a, ba) = self.v3(d);
                let (s, sb) = self.bounded(1, 1.0);
                if self.vr().chance(0.5) {
                    (V3::Scale(Box::new(a), Box::new(s)), ba * sb)
                } else {
                    (V3::LScale(Box::new(s), Box::new(a)), ba * sb)
                }
            }
            5 => {
                let (a, ba) = self.v3(d);
                (V3::Neg(Box::new(a)), ba)
            }
            6 | 7 => {
                let (a, ba) = self.v3(d);
                let (c, bc) = self.v3(d);
                (V3::Cross(Box::new(a), Box::new(c)), 2.0 * ba * bc)
            }
            _ => {
                let c = self.cond();
                let (a, ba) = self.v3(d);
                let (e, be) = self.v3(d);
                (V3::Sel(Box::new(c), Box::new(a), Box::new(e)), ba.max(be))
            }
        }
    }

    /// A float read from a vector expression, squashed when its bound passes `CAP`.
    pub(super) fn v3_scalar(&mut self) -> (Expr, f64) {
        let (e, b) = match self.vr().below(3) {
            0 => {
                let (a, ba) = self.v3(2);
                let (c, bc) = self.v3(1);
                (Scalar::Dot(a, c), 3.0 * ba * bc)
            }
            1 => {
                let (a, ba) = self.v3(2);
                (Scalar::Len(a), (3.0 * ba * ba + 1.0).sqrt())
            }
            _ => {
                let (a, ba) = self.v3(2);
                let k = self.vr().below(3);
                (Scalar::Comp(a, k), ba)
            }
        };
        self.v3_used = true;
        let e = Expr::V3(Box::new(e));
        if b > super::CAP {
            self.squash(e)
        } else {
            (e, b)
        }
    }
}

/// Every float expression inside, for the walks over [`Expr`].
pub fn any(s: &Scalar, f: &impl Fn(&Expr) -> bool) -> bool {
    fn vec(v: &V3, f: &impl Fn(&Expr) -> bool) -> bool {
        match v {
            V3::New(es) | V3::Lit(es) => es.iter().any(f),
            V3::Add(a, b) | V3::Sub(a, b) | V3::Cross(a, b) => vec(a, f) || vec(b, f),
            V3::Scale(a, s) | V3::LScale(s, a) => vec(a, f) || f(s),
            V3::Neg(a) => vec(a, f),
            // The condition's floats are conservatively counted in by the caller's walk.
            V3::Sel(_, a, b) => vec(a, f) || vec(b, f),
        }
    }
    match s {
        Scalar::Dot(a, b) => vec(a, f) || vec(b, f),
        Scalar::Len(a) | Scalar::Comp(a, _) => vec(a, f),
    }
}

fn show_v(v: &V3) -> String {
    let na = NALGEBRA.get();
    match v {
        V3::New(es) | V3::Lit(es) if na => format!(
            "Vector3::new({}, {}, {})",
            show(&es[0]),
            show(&es[1]),
            show(&es[2])
        ),
        V3::Cross(a, b) if na => format!("{}.cross(&{})", show_v(a), show_v(b)),
        V3::New(es) => format!(
            "V3::new({}, {}, {})",
            show(&es[0]),
            show(&es[1]),
            show(&es[2])
        ),
        // In parentheses: a struct literal is not allowed bare in an `if` condition.
        V3::Lit(es) => format!(
            "(V3 {{ x: {}, y: {}, z: {} }})",
            show(&es[0]),
            show(&es[1]),
            show(&es[2])
        ),
        V3::Add(a, b) => format!("({} + {})", show_v(a), show_v(b)),
        V3::Sub(a, b) => format!("({} - {})", show_v(a), show_v(b)),
        V3::Scale(a, s) => format!("({} * {})", show_v(a), atom(s)),
        V3::LScale(s, a) => format!("({} * {})", atom(s), show_v(a)),
        V3::Neg(a) => format!("(-{})", show_v(a)),
        V3::Cross(a, b) => format!("{}.cross({})", show_v(a), show_v(b)),
        V3::Sel(c, a, b) => {
            let mut out = String::new();
            let _ = write!(
                out,
                "(if {} {{ {} }} else {{ {} }})",
                show_c(c),
                show_v(a),
                show_v(b)
            );
            out
        }
    }
}

/// The source of a float read from a vector.
pub fn show_scalar(s: &Scalar) -> String {
    let na = NALGEBRA.get();
    match s {
        Scalar::Dot(a, b) if na => format!("{}.dot(&{})", show_v(a), show_v(b)),
        Scalar::Len(a) if na => format!("({}.norm_squared() + 1.0).sqrt()", show_v(a)),
        Scalar::Dot(a, b) => format!("{}.dot({})", show_v(a), show_v(b)),
        Scalar::Len(a) => format!("{}.len1()", show_v(a)),
        Scalar::Comp(a, k) => format!("{}.{}", show_v(a), ["x", "y", "z"][*k]),
    }
}

impl<'a> Machine<'a> {
    fn v3(&mut self, v: &'a V3) -> [f64; 3] {
        let r = match v {
            V3::New(es) | V3::Lit(es) => [self.expr(&es[0]), self.expr(&es[1]), self.expr(&es[2])],
            V3::Add(a, b) => {
                let (a, b) = (self.v3(a), self.v3(b));
                [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
            }
            V3::Sub(a, b) => {
                let (a, b) = (self.v3(a), self.v3(b));
                [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
            }
            V3::Scale(a, s) => {
                let a = self.v3(a);
                let s = self.expr(s);
                [a[0] * s, a[1] * s, a[2] * s]
            }
            V3::LScale(s, a) => {
                let s = self.expr(s);
                let a = self.v3(a);
                [a[0] * s, a[1] * s, a[2] * s]
            }
            V3::Neg(a) => {
                let a = self.v3(a);
                [-a[0], -a[1], -a[2]]
            }
            V3::Cross(a, b) => {
                let (a, b) = (self.v3(a), self.v3(b));
                [
                    a[1] * b[2] - a[2] * b[1],
                    a[2] * b[0] - a[0] * b[2],
                    a[0] * b[1] - a[1] * b[0],
                ]
            }
            V3::Sel(c, a, b) => {
                if self.cond(c) {
                    self.v3(a)
                } else {
                    self.v3(b)
                }
            }
        };
        r.map(|x| self.float(x))
    }

    /// The value of a float read from a vector.
    pub(super) fn v3_scalar(&mut self, s: &'a Scalar) -> f64 {
        match s {
            Scalar::Dot(a, b) => {
                let (a, b) = (self.v3(a), self.v3(b));
                a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
            }
            Scalar::Len(a) => {
                let a = self.v3(a);
                (a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + 1.0).sqrt()
            }
            Scalar::Comp(a, k) => self.v3(a)[*k],
        }
    }
}
