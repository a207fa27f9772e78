//! What the reverse sweep of control flow allocates (issue: "Straight-line code and branches
//! outside loops store nothing; a reduction stores nothing; the recurrence stores one float per
//! step"), measured with a counting allocator: branches and pure reductions allocate nothing, a
//! loop that must store allocates once (its stack reserves the trip count up front), and the
//! stack's peak is one `f64` per step.

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::alloc::measure;

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

#[derive_tangent]
#[derive_grad]
fn piecewise(x: f64, y: f64) -> f64 {
    let z = if x > y { x * y.sin() } else { y - x.exp() };
    match (z * 10.0) as i64 {
        0 => z,
        1..=3 => z * z,
        _ => z.cos(),
    }
}

#[derive_tangent]
#[derive_grad]
fn reduction(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let t = i as f64 * x;
        s += t.sin() * y;
    }
    s
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

/// A linear recurrence that divides by a constant: the partial of `x / 2.0` is `1 / 2.0`, which
/// needs no stored `x`, so the loop stores nothing.
#[derive_tangent]
#[derive_grad]
fn halving(x0: f64, p: f64, n: usize) -> f64 {
    let mut x = x0;
    for _ in 0..n {
        x = x / 2.0 + p * 0.1;
    }
    x
}

/// A power series with the power carried from one step to the next, without derivative: the
/// loop's reverse sweep runs in order and computes the powers again, storing nothing (a
/// least-squares fit's inner loop, as GradBench's `llsq` writes it).
#[allow(clippy::needless_range_loop)] // written out on purpose: this is what is under test
#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn power_series(x: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    let mut p = 1.0;
    for j in 0..x.len() {
        s += x[j] * p;
        p *= t;
    }
    s * s
}

/// A packed lower triangle walked with a counter carried across both loops (GMM's `qtimesx`):
/// the inner loop recomputes the counter in order; the outer one stores it once per row.
#[allow(clippy::needless_range_loop, clippy::manual_memcpy)] // as GMM's C++ writes it
#[derive_tangent]
#[derive_grad]
fn packed_product(d: usize, l: &[f64], x: &[f64], out: &mut [f64]) {
    for i in 0..d {
        out[i] = x[i];
    }
    let mut idx = 0;
    for i in 0..d {
        for j in (i + 1)..d {
            out[j] += l[idx] * x[i];
            idx += 1;
        }
    }
}

#[test]
fn allocations_of_control_flow() {
    // Warm up anything lazily initialised in the harness before measuring.
    let _ = black_box(piecewise_grad(0.3, 0.1));

    let m = measure(|| {
        for k in 0..200 {
            let x = 0.01 * k as f64;
            black_box(piecewise_grad(black_box(x), 0.4));
            black_box(piecewise_vjp(black_box(x), 0.4, 1.5));
            black_box(piecewise_tangent(black_box(x), 1.0, 0.4, 0.0));
        }
    });
    assert_eq!(m.allocations, 0, "branches outside loops store nothing");

    chains_literals_and_closures_allocate_nothing();

    let m = measure(|| {
        black_box(reduction_grad(black_box(0.7), 1.2, 1000));
        black_box(reduction_vjp(black_box(0.7), 1.2, 1000, 2.0));
        black_box(reduction_tangent(black_box(0.7), 1.0, 1.2, 0.0, 1000));
    });
    assert_eq!(m.allocations, 0, "a reduction stores nothing");

    let m = measure(|| {
        black_box(halving_grad(black_box(0.7), 1.2, 1000));
    });
    assert_eq!(m.allocations, 0, "dividing by a constant stores nothing");

    let xs: Vec<f64> = (0..500).map(|i| 0.001 * i as f64).collect();
    let mut gx = vec![0.0; 500];
    let m = measure(|| {
        black_box(power_series_grad(black_box(&xs), &mut gx, 0.999));
    });
    assert_eq!(
        m.allocations, 0,
        "a power carried without derivative is computed again"
    );

    // The outer loop's iterations are independent (`out` is only added into, and not read in
    // it): each runs its reverse sweep right after its forward sweep, so the inner loop's trip
    // count is still in scope and nothing is stored (a counter per row was, before fusion).
    let d = 40;
    let (l, x) = (vec![0.5; d * (d - 1) / 2], vec![1.5; d]);
    let (mut gl, mut gxd, mut out, mut gout) =
        (vec![0.0; l.len()], vec![0.0; d], vec![0.0; d], vec![1.0; d]);
    let m = measure(|| {
        packed_product_vjp(d, &l, &mut gl, &x, &mut gxd, &mut out, &mut gout);
    });
    assert_eq!(
        m.allocations, 0,
        "the outer loop is fused with its reverse sweep"
    );

    // Reverse mode: one allocation per call of a loop that stores, and one f64 per step at the
    // peak.
    for n in [10usize, 100, 1000, 10_000] {
        let m = measure(|| {
            black_box(recurrence_vjp(black_box(0.3), 1.5, n, 1.0));
        });
        println!(
            "recurrence n = {n:>6}: {} allocation(s), stack peak {} bytes",
            m.allocations, m.peak_bytes
        );
        assert_eq!(m.allocations, 1, "n = {n}");
        assert_eq!(m.peak_bytes, n * size_of::<f64>(), "n = {n}");
    }
    // Forward mode stores nothing, whatever the loop; nor does `_grad`, which the mode-choice
    // rule runs in forward mode with two lanes (two inputs by value, a reverse sweep that
    // stores).
    let m = measure(|| {
        black_box(recurrence_tangent(black_box(0.3), 1.0, 1.5, 0.0, 10_000));
        black_box(recurrence_grad(black_box(0.3), 1.5, 10_000));
    });
    assert_eq!(m.allocations, 0);
}

#[test]
#[allow(clippy::needless_range_loop)] // the expected values, written as the C++ loops
fn measured_functions_are_right() {
    // The functions measured above give the derivatives they should (finite differences).
    let fd = |f: &dyn Fn(f64) -> f64, x: f64| (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    let (_, g) = recurrence_grad(0.3, 1.5, 1000);
    assert!((g.0 - fd(&|x| recurrence(x, 1.5, 1000), 0.3)).abs() < 1e-6);
    assert!((g.1 - fd(&|p| recurrence(0.3, p, 1000), 1.5)).abs() < 1e-6);
    // power_series: f = s^2 with s = sum x_j t^j, so df/dx_j = 2 s t^j; against finite
    // differences and forward mode (the dot-product test with a direction v).
    let xs = [0.3, -0.2, 0.5, 0.1, 0.7];
    let t: f64 = 0.9;
    let s: f64 = (0..5).map(|j| xs[j] * t.powi(j as i32)).sum();
    let mut gx = [0.0; 5];
    let v = power_series_grad(&xs, &mut gx, t);
    assert!((v - s * s).abs() < 1e-14);
    for j in 0..5 {
        assert!((gx[j] - 2.0 * s * t.powi(j as i32)).abs() < 1e-14, "{j}");
        let mut a = xs;
        let mut b = xs;
        a[j] += 1e-6;
        b[j] -= 1e-6;
        let fd = (power_series(&a, t) - power_series(&b, t)) / 2e-6;
        assert!((gx[j] - fd).abs() < 1e-8, "{j}");
    }
    let dir = [0.2, 0.4, -0.1, 0.3, -0.5];
    let (_, jv) = power_series_tangent(&xs, &dir, t);
    let vjt: f64 = (0..5).map(|j| dir[j] * gx[j]).sum();
    assert!((jv - vjt).abs() < 1e-13, "{jv} vs {vjt}");

    // packed_product: out = (I + strict lower L) x with L packed column by column; its vjp
    // against the product written out, and forward against reverse.
    let d = 4;
    let l: Vec<f64> = (0..6).map(|k| 0.1 * (k as f64 + 1.0)).collect();
    let x = [0.5, -1.0, 2.0, 0.25];
    let w = [1.0, -0.5, 0.75, 2.0];
    let mut idx = 0;
    let (mut want_l, mut want_x) = (vec![0.0; 6], w);
    for i in 0..d {
        for j in (i + 1)..d {
            want_l[idx] = w[j] * x[i];
            want_x[i] += w[j] * l[idx];
            idx += 1;
        }
    }
    let (mut gl, mut gxd, mut out, mut gout) = (vec![0.0; 6], [0.0; 4], [0.0; 4], w);
    packed_product_vjp(d, &l, &mut gl, &x, &mut gxd, &mut out, &mut gout);
    for k in 0..6 {
        assert!((gl[k] - want_l[k]).abs() < 1e-15, "l {k}");
    }
    for i in 0..d {
        assert!((gxd[i] - want_x[i]).abs() < 1e-15, "x {i}");
    }
    let (dl, dx) = ([0.3, -0.1, 0.2, 0.5, -0.4, 0.1], [0.2, 0.1, -0.3, 0.4]);
    let (mut o, mut dout) = ([0.0; 4], [0.0; 4]);
    packed_product_tangent(d, &l, &dl, &x, &dx, &mut o, &mut dout);
    let mut primal = [0.0; 4];
    packed_product(d, &l, &x, &mut primal);
    assert_eq!(o, primal, "the value written by _tangent");
    let lhs: f64 = (0..4).map(|i| dout[i] * w[i]).sum();
    let rhs: f64 =
        (0..6).map(|k| dl[k] * gl[k]).sum::<f64>() + (0..4).map(|i| dx[i] * gxd[i]).sum::<f64>();
    assert!((lhs - rhs).abs() < 1e-14, "{lhs} vs {rhs}");

    // halving: x_n = 2^-n x0 + 0.2 (1 - 2^-n) p, by hand and by finite differences.
    let (_, g) = halving_grad(0.7, 1.2, 20);
    let (_, t) = halving_tangent(0.7, 1.0, 1.2, 0.0, 20);
    assert!((g.0 - 0.5f64.powi(20)).abs() < 1e-18 && (t - g.0).abs() < 1e-18);
    assert!((g.1 - 0.2 * (1.0 - 0.5f64.powi(20))).abs() < 1e-15);
    assert!((g.1 - fd(&|p| halving(0.7, p, 20), 1.2)).abs() < 1e-8);
    let (_, g) = reduction_grad(0.7, 1.2, 50);
    assert!((g.0 - fd(&|x| reduction(x, 1.2, 50), 0.7)).abs() < 1e-5);
    for x in [0.05, 0.2, 0.6, 1.0] {
        let (_, g) = piecewise_grad(x, 0.4);
        assert!((g.0 - fd(&|x| piecewise(x, 0.4), x)).abs() < 1e-6, "{x}");
    }
}

// ---- iterator chains, array literals and closures (issue 16) ---------------------------------

#[derive_tangent]
#[derive_grad]
fn chained(x: &[f64], y: &[f64], a: f64) -> f64 {
    let weighted: f64 = (0..x.len()).map(|i| x[i] * (i + 1) as f64).sum();
    let dot = x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    let tv = x.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>();
    weighted * a + dot + tv
}

#[derive_tangent]
#[derive_grad]
fn literal_and_closure(x: f64, y: f64) -> f64 {
    let v = [x, y, x * y];
    let sq = |t: f64| t * t;
    let s: f64 = v.iter().map(|&a| sq(a.sin())).sum();
    s + sq(x - y)
}

/// Called from [`allocations_of_control_flow`]: measurements share one test function, so that
/// parallel tests of this binary cannot interfere.
fn chains_literals_and_closures_allocate_nothing() {
    let x: Vec<f64> = (0..64).map(|i| 0.1 * i as f64).collect();
    let y: Vec<f64> = (0..64).map(|i| 1.0 - 0.01 * i as f64).collect();
    let (mut gx, mut gy) = (vec![0.0; 64], vec![0.0; 64]);
    let _ = black_box(chained_grad(&x, &mut gx, &y, &mut gy, 0.5));
    let _ = black_box(chained_tangent(&x, &y, &y, &x, 0.5, 1.0));
    let m = measure(|| {
        for _ in 0..50 {
            black_box(chained_grad(black_box(&x), &mut gx, &y, &mut gy, 0.5));
        }
    });
    assert_eq!(
        m.allocations, 0,
        "reverse: (0..n).map(..).sum(), zip, windows"
    );
    let m = measure(|| {
        for _ in 0..50 {
            black_box(chained_tangent(black_box(&x), &y, &y, &x, 0.5, 1.0));
        }
    });
    assert_eq!(
        m.allocations, 0,
        "forward: (0..n).map(..).sum(), zip, windows"
    );
    let m = measure(|| {
        for k in 0..200 {
            let t = 0.01 * k as f64;
            black_box(literal_and_closure_grad(black_box(t), 0.4));
            black_box(literal_and_closure_tangent(black_box(t), 1.0, 0.4, 0.0));
        }
    });
    assert_eq!(
        m.allocations, 0,
        "array literals and closures store nothing"
    );
}

#[test]
fn chains_measured_are_right() {
    let fd = |f: &dyn Fn(f64) -> f64, x: f64| (f(x + 1e-6) - f(x - 1e-6)) / 2e-6;
    let (_, (gx, gy)) = literal_and_closure_grad(0.3, 0.4);
    assert!((gx - fd(&|t| literal_and_closure(t, 0.4), 0.3)).abs() < 1e-6);
    assert!((gy - fd(&|t| literal_and_closure(0.3, t), 0.4)).abs() < 1e-6);
    let x = [0.2, -0.5, 0.9];
    let y = [1.0, 0.3, -0.4];
    let (mut gx, mut gy) = ([0.0; 3], [0.0; 3]);
    let (_, ga) = chained_grad(&x, &mut gx, &y, &mut gy, 0.5);
    assert!((ga - fd(&|a| chained(&x, &y, a), 0.5)).abs() < 1e-6);
    for i in 0..3 {
        let fx = fd(
            &|t| {
                let mut z = x;
                z[i] = t;
                chained(&z, &y, 0.5)
            },
            x[i],
        );
        assert!((gx[i] - fx).abs() < 1e-6, "{i}");
        assert!((gy[i] - x[i]).abs() < 1e-12, "{i}");
    }
}
