//! Forces of an N-body system from the gradient of its potential energy, written with a `Vec3`
//! type and operator impls, then a symplectic integrator driven by those forces.
//!
//! The potential `V = -sum_{i<j} G m_i m_j / |r_i - r_j|` is an ordinary function over
//! `&[Vec3]`, using `a - b`, `.norm()` and `f64 * Vec3` from this file's `impl`s. `#[derive_grad]`
//! inlines those operators and writes `potential_grad(&pos, &mut dpos, &mass)`, whose adjoint
//! `dpos` is `dV/dr_i`, so the force on body `i` is `-dpos[i]`. The forces are checked against
//! Newton's law of gravitation written by hand, the directional derivative from
//! `potential_tangent` against the gradient, and then a velocity Verlet integrator (symplectic)
//! runs 1000 steps of a sun with four planets; the relative energy drift is printed and must
//! stay small.
//!
//! Run with `cargo run --example nbody`.

use std::ops::{Add, AddAssign, Mul, Sub};

use ad_runtime::{derive_grad, derive_tangent};

/// A point or a vector in space.
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
        Vec3::new(0.0, 0.0, 0.0)
    }

    fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }

    fn norm(self) -> f64 {
        self.dot(self).sqrt()
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
        Vec3::new(self.x - o.x, self.y - o.y, self.z - o.z)
    }
}

impl Mul<Vec3> for f64 {
    type Output = Vec3;
    fn mul(self, v: Vec3) -> Vec3 {
        Vec3::new(self * v.x, self * v.y, self * v.z)
    }
}

impl AddAssign for Vec3 {
    fn add_assign(&mut self, o: Vec3) {
        self.x += o.x;
        self.y += o.y;
        self.z += o.z;
    }
}

/// Gravitational constant in the units of the example (the sun's mass 1, `G = 1`).
const G: f64 = 1.0;

/// The potential energy of point masses.
#[derive_tangent(wrt(pos))]
#[derive_grad(wrt(pos))]
fn potential(pos: &[Vec3], mass: &[f64]) -> f64 {
    let mut v = 0.0;
    for i in 0..pos.len() {
        for j in (i + 1)..pos.len() {
            let r = (pos[i] - pos[j]).norm();
            v -= G * mass[i] * mass[j] / r;
        }
    }
    v
}

/// Newton's law of gravitation, by hand: `F_i = -sum_j G m_i m_j (r_i - r_j) / |r_i - r_j|^3`.
fn forces_by_hand(pos: &[Vec3], mass: &[f64]) -> Vec<Vec3> {
    let mut f = vec![Vec3::zero(); pos.len()];
    for i in 0..pos.len() {
        for j in 0..pos.len() {
            if i != j {
                let d = pos[i] - pos[j];
                let r = d.norm();
                f[i] += (-G * mass[i] * mass[j] / (r * r * r)) * d;
            }
        }
    }
    f
}

/// Forces from the generated gradient: `F = -dV/dr`.
fn forces(pos: &[Vec3], mass: &[f64], out: &mut [Vec3]) -> f64 {
    out.fill(Vec3::zero());
    let v = potential_grad(pos, out, mass);
    for f in out.iter_mut() {
        *f = -1.0 * *f;
    }
    v
}

fn kinetic(vel: &[Vec3], mass: &[f64]) -> f64 {
    vel.iter().zip(mass).map(|(v, m)| 0.5 * m * v.dot(*v)).sum()
}

fn main() {
    // A sun and four planets on near-circular orbits in a plane tilted a little out of z = 0.
    let mut mass = vec![1.0];
    let mut pos = vec![Vec3::zero()];
    let mut vel = vec![Vec3::zero()];
    for (k, radius) in [1.0_f64, 1.6, 2.3, 3.1].into_iter().enumerate() {
        let phase = 1.3 * k as f64;
        let speed = (G / radius).sqrt();
        mass.push(1e-3 * (k + 1) as f64);
        pos.push(Vec3::new(
            radius * phase.cos(),
            radius * phase.sin(),
            0.02 * radius,
        ));
        vel.push(Vec3::new(-speed * phase.sin(), speed * phase.cos(), 0.0));
    }
    let n = pos.len();

    // The forces from the gradient against Newton's law.
    let mut f = vec![Vec3::zero(); n];
    let v = forces(&pos, &mass, &mut f);
    assert_eq!(
        v,
        potential(&pos, &mass),
        "the gradient's value is the potential"
    );
    let by_hand = forces_by_hand(&pos, &mass);
    let mut worst = 0.0_f64;
    for (a, b) in f.iter().zip(&by_hand) {
        worst = worst.max((*a - *b).norm() / b.norm());
    }
    println!("forces from potential_grad vs Newton's law: worst relative error {worst:.1e}");
    assert!(
        worst < 1e-12,
        "forces differ from the analytic ones: {worst}"
    );

    // Forward mode along a direction equals the gradient's projection on it.
    let direction: Vec<Vec3> = (0..n)
        .map(|i| Vec3::new(0.3 - 0.1 * i as f64, 0.2, -0.5 + 0.07 * i as f64))
        .collect();
    let (_, along) = potential_tangent(&pos, &direction, &mass);
    let projected: f64 = f.iter().zip(&direction).map(|(f, d)| -f.dot(*d)).sum();
    println!("directional derivative: tangent {along:.15} vs gradient {projected:.15}");
    assert!((along - projected).abs() < 1e-13 * projected.abs().max(1.0));

    // Velocity Verlet: kick half a step, drift, recompute the forces, kick half a step.
    let dt = 1e-3;
    let steps = 1000;
    let mut v_pot = forces(&pos, &mass, &mut f);
    let e0 = kinetic(&vel, &mass) + v_pot;
    let mut worst_drift = 0.0_f64;
    for step in 1..=steps {
        for i in 0..n {
            vel[i] += (0.5 * dt / mass[i]) * f[i];
            pos[i] += dt * vel[i];
        }
        v_pot = forces(&pos, &mass, &mut f);
        for i in 0..n {
            vel[i] += (0.5 * dt / mass[i]) * f[i];
        }
        let e = kinetic(&vel, &mass) + v_pot;
        worst_drift = worst_drift.max(((e - e0) / e0).abs());
        if step % 250 == 0 {
            println!(
                "step {step:4}: energy {e:.12}, relative drift {:.2e}",
                ((e - e0) / e0).abs()
            );
        }
    }
    println!("{steps} Verlet steps of {n} bodies: largest relative energy drift {worst_drift:.2e}");
    assert!(worst_drift < 1e-6, "energy drift {worst_drift}");
}
