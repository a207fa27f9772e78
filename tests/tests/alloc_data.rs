//! What derivatives of array, slice and `Vec` code allocate (issue: "a slice gradient allocates
//! nothing unless the user's own code creates a Vec"), measured with a counting allocator:
//!
//! - Extended Rosenbrock on a slice and on an array, and reductions over iterators (`map(..)`
//!   with `sum`, `fold`, `zip`): `_grad`, `_vjp` and `_tangent` allocate nothing, for n up to
//!   10 000.
//! - Calls that pass a slice the caller does not differentiate (`fit`, `wrt(w)`, two calls deep)
//!   allocate nothing in either mode: the callees add its adjoint into a sink and read zeros for
//!   its tangent.
//! - A function whose own body creates `vec![0.0; n]`: the primal allocates once (n floats);
//!   `_grad` / `_vjp` allocate twice (the `Vec` and its adjoint) and `_tangent` twice (the `Vec`
//!   and its tangent), each of n floats: the peak is 2 n floats.
//! - Forward mode of a dense layer written into `&mut [f64]` and of an MLP loss with a local
//!   `[0.0; 32]` allocates nothing. What their reverse mode allocates (a value stack for a loop
//!   that overwrites what the reverse sweep needs, SPEC §1) is printed, not pinned.
//!
//! The allocator (`ad_tests::alloc`) counts only the measuring thread's allocations, and all
//! measurements are in one test function, so parallel tests of this binary cannot interfere.

use std::hint::black_box;

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::alloc::measure;
use ad_tests::models::*;

#[global_allocator]
static GLOBAL: ad_tests::alloc::Counting = ad_tests::alloc::Counting;

#[derive_tangent]
#[derive_grad]
fn rosenbrock_4(x: [f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = 1.0 - x[i];
        s += 100.0 * t * t + u * u;
    }
    s
}

/// Reductions over iterators: `map(|v| ..)` and `map(|&v| ..)` with `sum`, `fold`, and a `for`
/// over `zip`.
#[derive_tangent]
#[derive_grad]
fn reductions(xs: &[f64], ys: &[f64]) -> f64 {
    let a = xs.iter().map(|v| v * v).sum::<f64>();
    let b = ys.iter().map(|&v| v.sin()).sum::<f64>();
    let c = xs.iter().fold(0.0, |acc, v| acc + v * v);
    let mut d = 0.0;
    for (x, y) in xs.iter().zip(ys.iter()) {
        d += *x * (*y).cos();
    }
    a * b + c.sqrt() + d
}

/// The user's own `vec![0.0; n]`, written then read.
#[derive_tangent]
#[derive_grad]
fn vec_cyclic(x: &[f64]) -> f64 {
    let n = x.len();
    let mut v = vec![0.0; n];
    for i in 0..n {
        v[i] = x[i].sin() * x[(i + 1) % n];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += v[i] * v[(i + 1) % n];
    }
    s
}

#[derive_tangent]
#[derive_grad]
fn dense(w: &[f64], x: &[f64], b: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..y.len() {
        let mut a = b[i];
        for j in 0..n {
            a += w[i * n + j] * x[j];
        }
        y[i] = a.tanh();
    }
}

/// `n` values in [-1, 1), deterministic.
fn values(n: usize, k: f64) -> Vec<f64> {
    (0..n).map(|i| (k * (i as f64 + 1.0)).sin()).collect()
}

#[test]
fn allocations_of_array_and_slice_code() {
    // Warm up anything lazily initialised in the harness before measuring.
    let _ = black_box(rosenbrock_4_grad([0.1, 0.2, 0.3, 0.4]));

    // Slices and arrays without a Vec of the user's: nothing at all.
    for n in [2usize, 10, 1000, 10_000] {
        let x = values(n, 0.7);
        let dir = values(n, 1.3);
        let mut dx = vec![0.0; n];
        let m = measure(|| {
            black_box(rosenbrock_grad(black_box(&x), &mut dx, n));
            black_box(rosenbrock_vjp(black_box(&x), &mut dx, n, 2.0));
        });
        assert_eq!(m.allocations, 0, "rosenbrock reverse, n = {n}");
        let m = measure(|| {
            black_box(rosenbrock_tangent(black_box(&x), &dir, n));
        });
        assert_eq!(m.allocations, 0, "rosenbrock forward, n = {n}");

        let y = values(n, 0.4);
        let mut dy = vec![0.0; n];
        let m = measure(|| {
            black_box(reductions_grad(black_box(&x), &mut dx, &y, &mut dy));
            black_box(reductions_vjp(black_box(&x), &mut dx, &y, &mut dy, -1.5));
            black_box(reductions_tangent(black_box(&x), &dir, &y, &dir));
        });
        assert_eq!(m.allocations, 0, "iterator reductions, n = {n}");
    }
    let m = measure(|| {
        let x = black_box([-1.2, 1.0, 0.3, 0.8]);
        black_box(rosenbrock_4_grad(x));
        black_box(rosenbrock_4_vjp(x, 0.5));
        black_box(rosenbrock_4_tangent(x, [1.0, 0.0, -1.0, 0.5]));
    });
    assert_eq!(m.allocations, 0, "rosenbrock on [f64; 4]");

    // Calls with a constant slice argument (`fit`, differentiated in `w` only, passes `x` on two
    // calls deep): the callees add x's adjoint into a sink and read zeros for its tangent, so
    // nothing is allocated.
    for n in [2usize, 10, 1000] {
        let (w, x, dir) = (values(n, 0.3), values(n, 0.8), values(n, 1.9));
        let mut dw = vec![0.0; n];
        let m = measure(|| {
            black_box(fit_grad(black_box(&w), &mut dw, &x));
            black_box(fit_vjp(black_box(&w), &mut dw, &x, 0.5));
            black_box(fit_tangent(black_box(&w), &dir, &x));
        });
        assert_eq!(m.allocations, 0, "calls with a constant slice, n = {n}");
    }

    // The user's own vec![0.0; n]: the primal allocates it once; each derivative allocates it
    // and one array of derivatives of the same size (the adjoint in reverse mode, the tangent
    // in forward mode), and nothing else.
    for n in [10usize, 1000] {
        let x = values(n, 0.9);
        let dir = values(n, 0.2);
        let mut dx = vec![0.0; n];
        let bytes = n * size_of::<f64>();

        let m = measure(|| {
            black_box(vec_cyclic(black_box(&x)));
        });
        assert_eq!(m.allocations, 1, "vec_cyclic primal, n = {n}");
        assert_eq!(m.peak_bytes, bytes, "vec_cyclic primal, n = {n}");

        for (what, m) in [
            (
                "_grad",
                measure(|| {
                    black_box(vec_cyclic_grad(black_box(&x), &mut dx));
                }),
            ),
            (
                "_vjp",
                measure(|| {
                    black_box(vec_cyclic_vjp(black_box(&x), &mut dx, 0.5));
                }),
            ),
            (
                "_tangent",
                measure(|| {
                    black_box(vec_cyclic_tangent(black_box(&x), &dir));
                }),
            ),
        ] {
            println!(
                "vec_cyclic{what} n = {n:>5}: {} allocation(s), peak {} bytes",
                m.allocations, m.peak_bytes
            );
            assert_eq!(m.allocations, 2, "vec_cyclic{what}, n = {n}");
            assert_eq!(m.peak_bytes, 2 * bytes, "vec_cyclic{what}, n = {n}");
        }
    }

    // Dense layer and MLP: forward mode allocates nothing; reverse mode is reported.
    let (m_out, n_in) = (32, 16);
    let w = values(m_out * n_in, 0.3);
    let x = values(n_in, 1.1);
    let b = values(m_out, 0.5);
    let (mut y, mut dy) = (vec![0.0; m_out], vec![0.0; m_out]);
    let (dw, dxv, db) = (
        values(m_out * n_in, 0.6),
        values(n_in, 0.8),
        values(m_out, 1.7),
    );
    let m = measure(|| {
        dense_tangent(&w, &dw, &x, &dxv, &b, &db, &mut y, &mut dy);
        black_box(&y);
    });
    assert_eq!(m.allocations, 0, "dense_tangent");
    let (mut gw, mut gx, mut gb) = (vec![0.0; w.len()], vec![0.0; n_in], vec![0.0; m_out]);
    let m = measure(|| {
        dy.fill(1.0);
        dense_vjp(&w, &mut gw, &x, &mut gx, &b, &mut gb, &mut y, &mut dy);
        black_box(&gw);
    });
    println!(
        "dense_vjp ({m_out} x {n_in}): {} allocation(s), peak {} bytes",
        m.allocations, m.peak_bytes
    );

    let params = values(PARAMS, 0.01);
    let xs = values(INPUTS, 0.3);
    let (dp, dxs) = (values(PARAMS, 0.02), values(INPUTS, 0.05));
    let m = measure(|| {
        black_box(mlp_loss_tangent(
            black_box(&params),
            &dp,
            &xs,
            &dxs,
            0.3,
            1.0,
        ));
    });
    assert_eq!(m.allocations, 0, "mlp_loss_tangent");
    let (mut gp, mut gxs) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
    let m = measure(|| {
        black_box(mlp_loss_grad(
            black_box(&params),
            &mut gp,
            &xs,
            &mut gxs,
            0.3,
        ));
    });
    println!(
        "mlp_loss_grad: {} allocation(s), peak {} bytes",
        m.allocations, m.peak_bytes
    );
}

#[test]
fn measured_functions_are_right() {
    // The functions measured above give the derivatives they should (finite differences).
    let fd = |f: &dyn Fn(&[f64]) -> f64, x: &[f64], i: usize| {
        let (mut p, mut m) = (x.to_vec(), x.to_vec());
        p[i] += 1e-6;
        m[i] -= 1e-6;
        (f(&p) - f(&m)) / 2e-6
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0);

    // fit (wrt w): by hand, by finite differences, and against fit_both's w-part.
    let (w, xs) = (values(20, 0.3), values(20, 0.8));
    let (mut g, mut g_hand, mut g_both, mut gx) =
        (vec![0.0; 20], vec![0.0; 20], vec![0.0; 20], vec![0.0; 20]);
    let v = fit_grad(&w, &mut g, &xs);
    assert!(close(v, fit_grad_hand(&w, &mut g_hand, &xs)));
    assert_eq!(v, fit(&w, &xs));
    fit_both_grad(&w, &mut g_both, &xs, &mut gx);
    for i in 0..20 {
        assert!(close(g[i], g_hand[i]), "fit {i}: {} vs {}", g[i], g_hand[i]);
        assert_eq!(g[i], g_both[i], "fit {i}: the sink changes nothing for w");
        assert!(close(g[i], fd(&|w| fit(w, &xs), &w, i)), "fit {i}");
    }
    let (_, t) = fit_tangent(&w, &xs, &xs);
    let dot: f64 = g.iter().zip(&xs).map(|(a, b)| a * b).sum();
    assert!(
        close(t, dot),
        "fit: tangent along xs {t} vs <grad, xs> {dot}"
    );

    let x = values(50, 0.7);
    let mut g = vec![0.0; 50];
    rosenbrock_grad(&x, &mut g, 50);
    for i in [0, 1, 25, 48, 49] {
        let want = fd(&|x| rosenbrock(x, 50), &x, i);
        assert!(close(g[i], want), "rosenbrock {i}: {} vs {want}", g[i]);
    }

    let (y, n) = (values(50, 0.4), 50);
    let (mut gx, mut gy) = (vec![0.0; n], vec![0.0; n]);
    reductions_grad(&x, &mut gx, &y, &mut gy);
    let xy: Vec<f64> = x.iter().chain(&y).copied().collect();
    let f = |p: &[f64]| reductions(&p[..n], &p[n..]);
    for i in [0, 7, 49] {
        assert!(close(gx[i], fd(&f, &xy, i)), "reductions x {i}");
        assert!(close(gy[i], fd(&f, &xy, n + i)), "reductions y {i}");
    }

    let mut g = vec![0.0; 50];
    vec_cyclic_grad(&x, &mut g);
    for i in [0, 1, 25, 49] {
        let want = fd(&|x| vec_cyclic(x), &x, i);
        assert!(close(g[i], want), "vec_cyclic {i}: {} vs {want}", g[i]);
    }

    let x4 = [-1.2, 1.0, 0.3, 0.8];
    let (v, g4) = rosenbrock_4_grad(x4);
    assert_eq!(v, rosenbrock_4(x4));
    for (i, gi) in g4.iter().enumerate() {
        let want = fd(&|x| rosenbrock_4(x.try_into().unwrap()), &x4, i);
        assert!(close(*gi, want), "rosenbrock_4 {i}: {gi} vs {want}");
    }

    // Dense layer 3 x 2: the cotangent (1, 0, 0) of y gives the gradient of y_0.
    let (w, xd, b) = (
        [0.3, -0.5, 0.8, 0.1, -0.2, 0.6],
        [0.7, -1.1],
        [0.05, -0.3, 0.2],
    );
    let y0 = |p: &[f64]| {
        let mut y = [0.0; 3];
        dense(&p[..6], &p[6..8], &p[8..], &mut y);
        y[0]
    };
    let (mut gw, mut gx, mut gb) = ([0.0; 6], [0.0; 2], [0.0; 3]);
    let (mut y, mut dy) = ([0.0; 3], [1.0, 0.0, 0.0]);
    dense_vjp(&w, &mut gw, &xd, &mut gx, &b, &mut gb, &mut y, &mut dy);
    let p: Vec<f64> = w.iter().chain(&xd).chain(&b).copied().collect();
    let g: Vec<f64> = gw.iter().chain(&gx).chain(&gb).copied().collect();
    for (i, gi) in g.iter().enumerate() {
        assert!(close(*gi, fd(&y0, &p, i)), "dense {i}");
    }

    let params = values(PARAMS, 0.01);
    let xs = values(INPUTS, 0.3);
    let (mut gp, mut gxs) = (vec![0.0; PARAMS], vec![0.0; INPUTS]);
    mlp_loss_grad(&params, &mut gp, &xs, &mut gxs, 0.3);
    for i in [0, 100, B1, W2 + 3, B2] {
        let want = fd(&|p| mlp_loss(p, &xs, 0.3), &params, i);
        assert!(close(gp[i], want), "mlp_loss {i}: {} vs {want}", gp[i]);
    }
}
