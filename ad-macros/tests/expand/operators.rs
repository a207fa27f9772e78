// A small vector type with operator impls and methods: the macro reads them in the file and
// inlines them, so the derivative is the arithmetic a hand-written one would do. A slice of
// `Vec3` is passed to the hidden flat form as flat floats, three per element.

#[derive(Differentiable, Clone, Copy)]
struct Vec3 {
    x: f64,
    y: f64,
    z: f64,
}

impl Sub for Vec3 {
    type Output = Vec3;
    fn sub(self, o: Vec3) -> Vec3 {
        Vec3 { x: self.x - o.x, y: self.y - o.y, z: self.z - o.z }
    }
}

impl Vec3 {
    fn dot(self, o: Vec3) -> f64 {
        self.x * o.x + self.y * o.y + self.z * o.z
    }
    fn norm(self) -> f64 {
        self.dot(self).sqrt()
    }
}

#[derive_grad]
fn spring(a: Vec3, b: Vec3, rest: f64) -> f64 {
    let stretch = (a - b).norm() - rest;
    stretch * stretch
}

#[derive_grad(wrt(pos))]
fn potential(pos: &[Vec3], mass: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..pos.len() {
        for j in (i + 1)..pos.len() {
            e -= mass[i] * mass[j] / (pos[i] - pos[j]).norm();
        }
    }
    e
}
