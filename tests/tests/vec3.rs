//! Small vector types with operator impls (issue 17): a `Vec3` with `Add`, `Sub`, `Mul<f64>`,
//! `f64 * Vec3`, `Neg`, `Div<f64>`, `AddAssign`, `SubAssign` and the methods `dot`, `cross`,
//! `norm`, `normalize`, written as a physics code writes them, used in differentiated functions
//! over `Vec3` values, `&Vec3`, `&[Vec3]` and `Vec3` results. The macro inlines the operators
//! and methods it reads in this file. Each function is checked against a gradient derived by
//! hand, central finite differences, and forward against reverse (`check_flat`).

use std::ops::{Add, AddAssign, Div, Index, Mul, Neg, Sub, SubAssign};

// The trait `Differentiable` is not imported: its `dot` and `scale` would be picked before the
// inherent `Vec3::dot(self, ..)` for a `&Vec3` receiver. The derive is named by its path.
use ad_runtime::{Float, derive_grad, derive_tangent};
use ad_tests::check_flat;

#[derive(ad_runtime::Differentiable, Clone, Copy, Debug, PartialEq)]
struct Vec3 {
    x: f64,
    y: f64,
    z: f64,
}

impl Vec3 {
    fn new(x: f64, y: f64, z: f64) -> Self {
        Vec3 { x, y, z }
    }
    fn zero() -> Self {
        Self::new(0.0, 0.0, 0.0)
    }
    fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    fn norm_squared(&self) -> f64 {
        self.dot(*self)
    }
    fn norm(self) -> f64 {
        self.norm_squared().sqrt()
    }
    fn normalize(self) -> Vec3 {
        let n = self.norm();
        self / n
    }
    fn cross(self, o: Vec3) -> Vec3 {
        Vec3::new(
            self.y * o.z - self.z * o.y,
            self.z * o.x - self.x * o.z,
            self.x * o.y - self.y * o.x,
        )
    }
    fn scale(&mut self, s: f64) {
        self.x *= s;
        self.y *= s;
        self.z *= s;
    }
}

impl Add for Vec3 {
    type Output = Vec3;
    fn add(self, o: Vec3) -> Vec3 {
        Vec3::new(self.x + o.x, self.y + o.y, self.z + o.z)
    }
}

impl Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3 {
            x: self.x - o.x,
            y: self.y - o.y,
            z: self.z - o.z,
        }
    }
}

impl Mul<f64> for Vec3 {
    type Output = Vec3;
    fn mul(self, s: f64) -> Vec3 {
        Vec3::new(self.x * s, self.y * s, self.z * s)
    }
}

impl Mul<Vec3> for f64 {
    type Output = Vec3;
    fn mul(self, v: Vec3) -> Vec3 {
        v * self
    }
}

impl Div<f64> for Vec3 {
    type Output = Vec3;
    fn div(self, s: f64) -> Vec3 {
        self * (1.0 / s)
    }
}

impl Neg for Vec3 {
    type Output = Vec3;
    fn neg(self) -> Vec3 {
        Vec3::new(-self.x, -self.y, -self.z)
    }
}

impl AddAssign for Vec3 {
    fn add_assign(&mut self, o: Vec3) {
        self.x += o.x;
        self.y += o.y;
        self.z += o.z;
    }
}

impl SubAssign for Vec3 {
    fn sub_assign(&mut self, o: Vec3) {
        *self = *self - o;
    }
}

impl Index<usize> for Vec3 {
    type Output = f64;
    fn index(&self, i: usize) -> &f64 {
        match i {
            0 => &self.x,
            1 => &self.y,
            _ => &self.z,
        }
    }
}

fn v(p: &[f64]) -> Vec3 {
    Vec3::new(p[0], p[1], p[2])
}

fn flat(vs: &[Vec3]) -> Vec<f64> {
    ad_runtime::flat_elements(vs)
}

fn vecs(p: &[f64]) -> Vec<Vec3> {
    p.chunks(3).map(v).collect()
}

/// A spring between two points, by value: `0.5 k (|a - b| - rest)^2`.
#[derive_tangent(wrt(a, b))]
#[derive_grad(wrt(a, b))]
fn spring(a: Vec3, b: Vec3, k: f64, rest: f64) -> f64 {
    let d = a - b;
    let stretch = d.norm() - rest;
    0.5 * k * stretch * stretch
}

#[test]
fn spring_between_points() {
    let (k, rest) = (3.0, 0.8);
    check_flat(
        "spring",
        &[1.0, 2.0, 0.5, -0.3, 0.7, 1.1],
        |p| spring(v(&p[..3]), v(&p[3..]), k, rest),
        |p, d| spring_tangent(v(&p[..3]), v(&d[..3]), v(&p[3..]), v(&d[3..]), k, rest),
        |p, g| {
            let (value, (ga, gb)) = spring_grad(v(&p[..3]), v(&p[3..]), k, rest);
            for (gi, x) in g.iter_mut().zip(flat(&[ga, gb])) {
                *gi += x;
            }
            value
        },
        |p| {
            // dE/da = k (|d| - rest) d / |d|, dE/db = -dE/da.
            let d = v(&p[..3]) - v(&p[3..]);
            let n = (d.x * d.x + d.y * d.y + d.z * d.z).sqrt();
            let s = k * (n - rest) / n;
            vec![s * d.x, s * d.y, s * d.z, -s * d.x, -s * d.y, -s * d.z]
        },
    );
}

/// The triple product `a . (b x c)` over borrowed vectors, with a negation and `f64 * Vec3`.
#[derive_tangent]
#[derive_grad]
fn triple(a: &Vec3, b: &Vec3, c: &Vec3) -> f64 {
    let bc = b.cross(*c);
    -(2.0 * a.dot(-bc)) * 0.5
}

#[test]
fn triple_product() {
    check_flat(
        "triple",
        &[1.0, 2.0, 0.5, -0.3, 0.7, 1.1, 0.4, -1.2, 0.9],
        |p| triple(&v(&p[..3]), &v(&p[3..6]), &v(&p[6..])),
        |p, d| {
            let (a, b, c) = (v(&p[..3]), v(&p[3..6]), v(&p[6..]));
            let (da, db, dc) = (v(&d[..3]), v(&d[3..6]), v(&d[6..]));
            triple_tangent(&a, &da, &b, &db, &c, &dc)
        },
        |p, g| {
            let (a, b, c) = (v(&p[..3]), v(&p[3..6]), v(&p[6..]));
            let mut d = vecs(g);
            let value = {
                let (da, rest) = d.split_at_mut(1);
                let (db, dc) = rest.split_at_mut(1);
                triple_grad(&a, &mut da[0], &b, &mut db[0], &c, &mut dc[0])
            };
            g.copy_from_slice(&flat(&d));
            value
        },
        |p| {
            // d/da = b x c, d/db = c x a, d/dc = a x b.
            let (a, b, c) = (v(&p[..3]), v(&p[3..6]), v(&p[6..]));
            flat(&[b.cross(c), c.cross(a), a.cross(b)])
        },
    );
}

/// Gravitational potential of point masses over a slice of positions: `-sum m_i m_j / r_ij`.
#[derive_tangent(wrt(pos))]
#[derive_grad(wrt(pos))]
fn potential(pos: &[Vec3], mass: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..pos.len() {
        for j in (i + 1)..pos.len() {
            let r = (pos[i] - pos[j]).norm();
            e -= mass[i] * mass[j] / r;
        }
    }
    e
}

fn potential_gradient(pos: &[Vec3], mass: &[f64]) -> Vec<Vec3> {
    // dE/dr_i = sum_j m_i m_j (r_i - r_j) / |r_i - r_j|^3.
    let mut g = vec![Vec3::zero(); pos.len()];
    for i in 0..pos.len() {
        for j in 0..pos.len() {
            if i != j {
                let d = pos[i] - pos[j];
                let r = d.norm();
                g[i] += d * (mass[i] * mass[j] / (r * r * r));
            }
        }
    }
    g
}

const POINTS: [f64; 12] = [
    1.0, 0.2, -0.4, -0.8, 0.5, 0.3, 0.1, -1.1, 0.6, 0.7, 0.9, 1.2,
];
const MASSES: [f64; 4] = [1.0, 2.0, 0.5, 1.5];

#[test]
fn potential_of_point_masses() {
    check_flat(
        "potential",
        &POINTS,
        |p| potential(&vecs(p), &MASSES),
        |p, d| potential_tangent(&vecs(p), &vecs(d), &MASSES),
        |p, g| {
            let mut d = vecs(g);
            let value = potential_grad(&vecs(p), &mut d, &MASSES);
            g.copy_from_slice(&flat(&d));
            value
        },
        |p| flat(&potential_gradient(&vecs(p), &MASSES)),
    );
}

/// Iterator chains over a slice of structs: `zip` with a float slice, `enumerate`, closures
/// with `|(v, &m)|` patterns, a running `Vec3` sum with `+=`, a method with `&mut self`.
#[derive_tangent(wrt(vel))]
#[derive_grad(wrt(vel))]
fn kinetic(vel: &[Vec3], mass: &[f64]) -> f64 {
    let t: f64 = vel
        .iter()
        .zip(mass)
        .map(|(v, &m)| 0.5 * m * v.norm_squared())
        .sum();
    let mut total = Vec3::zero();
    for (i, v) in vel.iter().enumerate() {
        total += *v * mass[i];
    }
    total.scale(0.5);
    t + total.dot(total)
}

#[test]
fn kinetic_energy_and_momentum() {
    check_flat(
        "kinetic",
        &POINTS,
        |p| kinetic(&vecs(p), &MASSES),
        |p, d| kinetic_tangent(&vecs(p), &vecs(d), &MASSES),
        |p, g| {
            let mut d = vecs(g);
            let value = kinetic_grad(&vecs(p), &mut d, &MASSES);
            g.copy_from_slice(&flat(&d));
            value
        },
        |p| {
            // T = sum m |v|^2 / 2 + |P / 2|^2 with P = sum m v: dT/dv_i = m v_i + m P / 2.
            let vs = vecs(p);
            let mut mom = Vec3::zero();
            for (v, m) in vs.iter().zip(MASSES) {
                mom += *v * m;
            }
            let g: Vec<Vec3> = vs
                .iter()
                .zip(MASSES)
                .map(|(v, m)| *v * m + mom * (0.5 * m))
                .collect();
            flat(&g)
        },
    );
}

/// A drift step on a copy of the positions (struct memory created from a slice), written
/// element by element with `+=`, then a branch and a `match` that yield vectors.
#[derive_tangent]
#[derive_grad]
fn drifted(pos: &[Vec3], vel: &[Vec3], dt: f64) -> f64 {
    let mut p = pos.to_vec();
    for i in 0..p.len() {
        p[i] += vel[i] * dt;
    }
    let mut s = 0.0;
    for (k, q) in p.iter().enumerate() {
        let w = if q.x > 0.0 { *q } else { -*q };
        let u = match k % 2 {
            0 => w,
            _ => w * 2.0,
        };
        s += u.dot(w);
    }
    s
}

#[test]
fn drift_on_a_copy() {
    let point = [
        POINTS.as_slice(),
        POINTS.map(|x| 0.5 - x).as_slice(),
        &[0.1],
    ]
    .concat();
    check_flat(
        "drifted",
        &point,
        |p| drifted(&vecs(&p[..12]), &vecs(&p[12..24]), p[24]),
        |p, d| {
            drifted_tangent(
                &vecs(&p[..12]),
                &vecs(&d[..12]),
                &vecs(&p[12..24]),
                &vecs(&d[12..24]),
                p[24],
                d[24],
            )
        },
        |p, g| {
            let (mut dp, mut dv) = (vecs(&g[..12]), vecs(&g[12..24]));
            let (value, ddt) =
                drifted_grad(&vecs(&p[..12]), &mut dp, &vecs(&p[12..24]), &mut dv, p[24]);
            g[..12].copy_from_slice(&flat(&dp));
            g[12..24].copy_from_slice(&flat(&dv));
            g[24] += ddt;
            value
        },
        |p| {
            // s = sum c_k |q_k|^2, q_k = p_k + dt v_k, c_k = 1 or 2 (the sign flip squares away).
            let (ps, vs, dt) = (vecs(&p[..12]), vecs(&p[12..24]), p[24]);
            let mut g = vec![0.0; 25];
            for k in 0..ps.len() {
                let c = if k % 2 == 0 { 1.0 } else { 2.0 };
                let q = ps[k] + vs[k] * dt;
                let dq = flat(&[q * (2.0 * c)]);
                for j in 0..3 {
                    g[3 * k + j] = dq[j];
                    g[12 + 3 * k + j] = dq[j] * dt;
                }
                g[24] += (q * (2.0 * c)).dot(vs[k]);
            }
            g
        },
    );
}

/// A struct result computed by operators and methods: the unit vector from `a` to `b`, scaled.
#[derive_tangent]
#[derive_grad]
fn direction(a: Vec3, b: Vec3, s: f64) -> Vec3 {
    (b - a).normalize() * s
}

#[test]
fn struct_result_from_operators() {
    let (a, b, s) = (Vec3::new(1.0, 2.0, 0.5), Vec3::new(-0.3, 0.7, 1.1), 1.7);
    let seed = Vec3::new(0.3, -0.2, 0.9);
    // <seed, d(direction)> = dot test of the tangent against the vjp, per input direction.
    let (value, (ga, gb, gs)) = direction_vjp(a, b, s, seed);
    assert_eq!(value, direction(a, b, s));
    let dirs = [
        (Vec3::new(0.2, 0.1, -0.4), Vec3::new(0.5, -0.3, 0.2), 0.7),
        (Vec3::new(-1.0, 0.0, 0.3), Vec3::zero(), 0.0),
    ];
    for (da, db, ds) in dirs {
        let (_, t) = direction_tangent(a, da, b, db, s, ds);
        let forward = seed.dot(t);
        let reverse = ga.dot(da) + gb.dot(db) + gs * ds;
        assert!((forward - reverse).abs() < 1e-12, "{forward} vs {reverse}");
        // Finite differences of <seed, direction>.
        let h = 1e-6;
        let f = |t: f64| seed.dot(direction(a + da * t, b + db * t, s + ds * t));
        let fd = (f(h) - f(-h)) / (2.0 * h);
        assert!((forward - fd).abs() < 1e-7, "{forward} vs {fd}");
    }
    // By hand: d/ds = unit vector; <seed, d/ds> = seed . u.
    let u = (b - a).normalize();
    assert!((gs - seed.dot(u)).abs() < 1e-12);
}

#[derive(ad_runtime::Differentiable, Clone, Copy, Debug, PartialEq)]
struct V2<T: Float> {
    x: T,
    y: T,
}

impl<T: Float> Sub for V2<T> {
    type Output = V2<T>;
    fn sub(self, o: V2<T>) -> V2<T> {
        V2 {
            x: self.x - o.x,
            y: self.y - o.y,
        }
    }
}

impl<T: Float> V2<T> {
    fn len(self) -> T {
        (self.x * self.x + self.y * self.y).sqrt()
    }
}

/// A generic vector type in `f32` and `f64`: the perimeter of a polygon.
#[derive_tangent]
#[derive_grad]
fn perimeter<T: Float>(pts: &[V2<T>]) -> T {
    let mut s = T::zero();
    for i in 0..pts.len() {
        let j = (i + 1) % pts.len();
        s = s + (pts[j] - pts[i]).len();
    }
    s
}

#[test]
fn generic_vector_type_in_f32_and_f64() {
    let square = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
    let pts =
        |p: &[f64]| -> Vec<V2<f64>> { p.chunks(2).map(|c| V2 { x: c[0], y: c[1] }).collect() };
    check_flat(
        "perimeter",
        &[0.1, -0.2, 1.3, 0.1, 0.9, 1.2, -0.2, 0.8],
        |p| perimeter(&pts(p)),
        |p, d| perimeter_tangent(&pts(p), &pts(d)),
        |p, g| {
            let mut d = pts(g);
            let value = perimeter_grad(&pts(p), &mut d);
            g.copy_from_slice(&ad_runtime::flat_elements(&d));
            value
        },
        |p| {
            // d/dp_i = (p_i - p_{i-1}) / |..| - (p_{i+1} - p_i) / |..|.
            let q = pts(p);
            let n = q.len();
            let mut g = vec![0.0; 2 * n];
            for i in 0..n {
                let j = (i + 1) % n;
                let d = q[j] - q[i];
                let l = d.len();
                g[2 * j] += d.x / l;
                g[2 * j + 1] += d.y / l;
                g[2 * i] -= d.x / l;
                g[2 * i + 1] -= d.y / l;
            }
            g
        },
    );
    // f32: the unit square's perimeter is 4; moving the corner (1, 1) along (1, 1) lengthens
    // both of its edges at rate 1 each, so the gradient's components there sum to 2.
    let sq32: Vec<V2<f32>> = square
        .chunks(2)
        .map(|c| V2 {
            x: c[0] as f32,
            y: c[1] as f32,
        })
        .collect();
    let mut d = vec![V2 { x: 0.0f32, y: 0.0 }; 4];
    let value = perimeter_grad(&sq32, &mut d);
    assert!((value - 4.0).abs() < 1e-6);
    let outwards = d[2].x + d[2].y;
    assert!((outwards - 2.0).abs() < 1e-6, "{outwards}");
}

/// `Index<usize>` on the vector type, in a loop over the components.
#[derive_tangent]
#[derive_grad]
fn weighted(a: Vec3, w: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        s += w[k] * a[k] * a[k];
    }
    s + a[2]
}

#[test]
fn indexing_a_vector_type() {
    let w = [0.5, -1.5, 2.0];
    check_flat(
        "weighted",
        &[0.3, 1.2, -0.8, 0.7, 0.1, -0.4],
        |p| weighted(v(&p[..3]), &p[3..]),
        |p, d| weighted_tangent(v(&p[..3]), v(&d[..3]), &p[3..], &d[3..]),
        |p, g| {
            let (g1, g2) = g.split_at_mut(3);
            let (value, ga) = weighted_grad(v(&p[..3]), &p[3..], g2);
            g1[0] += ga.x;
            g1[1] += ga.y;
            g1[2] += ga.z;
            value
        },
        |p| {
            // d/da_k = 2 w_k a_k (+1 for k = 2), d/dw_k = a_k^2.
            vec![
                2.0 * p[3] * p[0],
                2.0 * p[4] * p[1],
                2.0 * p[5] * p[2] + 1.0,
                p[0] * p[0],
                p[1] * p[1],
                p[2] * p[2],
            ]
        },
    );
    assert_eq!(
        weighted(Vec3::new(1.0, 2.0, 3.0), &w),
        0.5 - 6.0 + 18.0 + 3.0
    );
}

/// A chain of springs under gravity, written with iterator chains over the slice (`zip` with a
/// `skip(1)` of itself) and closures whose bodies call inlined methods: the inlined temporaries
/// once took the names of the chain desugaring's own variables (`__ad_s1`), which did not
/// compile.
#[derive_tangent(wrt(pos))]
#[derive_grad(wrt(pos))]
fn hanging_chain(pos: &[Vec3], k: f64, rest: f64, g: Vec3) -> f64 {
    let springs: f64 = pos
        .iter()
        .zip(pos.iter().skip(1))
        .map(|(a, b)| {
            let stretch = (*b - *a).norm() - rest;
            0.5 * k * stretch * stretch
        })
        .sum();
    let gravity: f64 = pos.iter().map(|p| -p.dot(g)).sum();
    springs + gravity
}

#[test]
fn spring_chain_through_iterator_chains() {
    let (k, rest, g) = (3.0, 1.0, Vec3::new(0.0, 0.0, -9.8));
    check_flat(
        "hanging_chain",
        &POINTS,
        |p| hanging_chain(&vecs(p), k, rest, g),
        |p, d| hanging_chain_tangent(&vecs(p), &vecs(d), k, rest, g),
        |p, grad| {
            let mut d = vecs(grad);
            let value = hanging_chain_grad(&vecs(p), &mut d, k, rest, g);
            grad.copy_from_slice(&flat(&d));
            value
        },
        |p| {
            // Each spring pulls its ends along d = b - a by k (|d| - rest) / |d|; gravity adds -g.
            let ps = vecs(p);
            let mut out = vec![-g; ps.len()];
            for i in 0..ps.len() - 1 {
                let d = ps[i + 1] - ps[i];
                let n = d.norm();
                let f = d * (k * (n - rest) / n);
                out[i + 1] += f;
                out[i] -= f;
            }
            flat(&out)
        },
    );
}

/// `for p in pos` over a bare slice of structs, and `for p in &q` over a local `Vec` of them
/// (both once refused with an error about `.chunks_exact()`, a method the user never wrote).
#[derive_tangent]
#[derive_grad]
fn bare_loops(pos: &[Vec3]) -> f64 {
    let mut s = 0.0;
    for p in pos {
        s += p.x * p.y;
    }
    let q = pos.to_vec();
    for p in &q {
        s += p.z * p.z;
    }
    s
}

#[test]
fn for_loops_over_bare_slices_of_structs() {
    let p = [1.0, 2.0, 0.5, -0.3, 0.7, 1.5];
    check_flat(
        "bare_loops",
        &p,
        |p| bare_loops(&vecs(p)),
        |p, d| bare_loops_tangent(&vecs(p), &vecs(d)),
        |p, g| {
            let mut gv = vecs(g);
            let value = bare_loops_grad(&vecs(p), &mut gv);
            g.copy_from_slice(&flat(&gv));
            value
        },
        |p| {
            // By hand: d/dx = y, d/dy = x, d/dz = 2 z for each point.
            p.chunks(3).flat_map(|c| [c[1], c[0], 2.0 * c[2]]).collect()
        },
    );
}
