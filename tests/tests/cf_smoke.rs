use ad_runtime::{derive_grad, derive_tangent};

#[derive_tangent]
#[derive_grad]
fn piecewise(x: f64) -> f64 {
    if x > 1.0 { x * x } else { 2.0 * x - 1.0 }
}

#[derive_tangent]
#[derive_grad]
fn recurrence(x0: f64, p: f64, n: usize) -> f64 {
    let h = 0.01;
    let mut x = x0;
    for _ in 0..n {
        x = x + h * x.sin() * p;
    }
    x
}

#[derive_tangent]
#[derive_grad]
fn reduction(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let t = i as f64 * x;
        s += t.sin();
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    let mut k = 0;
    while (x * x - a).abs() > 1e-14 * a && k < 100 {
        x = 0.5 * (x + a / x);
        k += 1;
    }
    x
}

#[derive_tangent]
#[derive_grad]
fn early(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += x * (i as f64);
        if s > 10.0 {
            return s * 2.0;
        }
    }
    s
}

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[test]
fn smoke() {
    for x in [0.5, 1.7] {
        let (_, d) = piecewise_tangent(x, 1.0);
        let (_, g) = piecewise_grad(x);
        assert!((d - fd(piecewise, x)).abs() < 1e-6, "{x} {d}");
        assert!((d - g).abs() < 1e-12);
    }
    let (_, d0) = recurrence_tangent(0.3, 1.0, 1.5, 0.0, 1000);
    let (_, (g0, gp)) = recurrence_grad(0.3, 1.5, 1000);
    let (_, dp) = recurrence_tangent(0.3, 0.0, 1.5, 1.0, 1000);
    assert!(
        (d0 - fd(|x| recurrence(x, 1.5, 1000), 0.3)).abs() < 1e-5,
        "{d0}"
    );
    assert!((d0 - g0).abs() < 1e-10 * d0.abs(), "{d0} {g0}");
    assert!((dp - gp).abs() < 1e-10 * dp.abs(), "{dp} {gp}");
    let (_, d) = reduction_tangent(0.7, 1.0, 10);
    let (_, g) = reduction_grad(0.7, 10);
    assert!((d - fd(|x| reduction(x, 10), 0.7)).abs() < 1e-5);
    assert!((d - g).abs() < 1e-12);
    let (v, d) = newton_sqrt_tangent(2.0, 1.0);
    let (_, g) = newton_sqrt_grad(2.0);
    assert!((v - 2f64.sqrt()).abs() < 1e-14);
    assert!((d - 0.5 / 2f64.sqrt()).abs() < 1e-10, "{d}");
    assert!((d - g).abs() < 1e-12, "{d} {g}");
    for x in [0.1, 0.9] {
        let (_, d) = early_tangent(x, 1.0, 10);
        let (_, g) = early_grad(x, 10);
        assert!((d - fd(|x| early(x, 10), x)).abs() < 1e-5, "{x} {d}");
        assert!((d - g).abs() < 1e-12, "{d} {g}");
    }
}
