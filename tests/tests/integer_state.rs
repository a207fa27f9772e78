//! Integer state that steers the computation (issue 14, SPEC §7, §8): index lists mutated and
//! restored around calls, integer arrays copied by value and written, permutations rewritten
//! inside loops. Every sweep that re-runs or reverses code must see the integers the forward
//! sweep saw. Each function is checked against an analytic derivative (computed without the
//! macros), central finite differences, and forward against reverse mode.

use ad_runtime::{derive_grad, derive_tangent};
use ad_tests::{Tol, fd_gradient};

const TOL: Tol = Tol {
    rel: 1e-7,
    abs: 1e-9,
};

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: Tol) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            tol.accepts(*g, *w),
            "{what}[{i}]: got {g}, want {w}\n got:  {got:?}\n want: {want:?}"
        );
    }
}

// ---- the determinant by expansion in minors, in place (GradBench's `det`) -------------------

/// The determinant of the `m × m` minor of the `n × n` row-major matrix `a` whose rows and
/// columns are the linked lists `r` and `c` (`r[n]` is the first row, `r[i]` the row after
/// `i`), as GradBench's C++ reference writes it: a column is removed by relinking `c`, the
/// minor is expanded recursively, and the link is restored.
#[derive_tangent]
#[derive_grad]
fn det_of_minor(a: &[f64], n: usize, m: usize, r: &mut [usize], c: &mut [usize]) -> f64 {
    let r0 = r[n];
    let mut cj = c[n];
    let mut cj1 = n;
    if m == 1 {
        return a[r0 * n + cj];
    }
    let mut det = 0.0;
    let mut sign = 1;
    r[n] = r[r0];
    for _ in 0..m {
        let m0j = a[r0 * n + cj];
        c[cj1] = c[cj];
        let sub = det_of_minor(a, n, m - 1, r, c);
        c[cj1] = cj;
        if sign > 0 {
            det += m0j * sub;
        } else {
            det -= m0j * sub;
        }
        cj1 = cj;
        cj = c[cj];
        sign = -sign;
    }
    r[n] = r0;
    det
}

/// The determinant of the whole matrix: builds the linked lists and lends them (as
/// `&mut Vec<usize>`) to [`det_of_minor`].
#[derive_tangent]
#[derive_grad]
fn det(a: &[f64], n: usize) -> f64 {
    let mut r: Vec<usize> = vec![0; n + 1];
    let mut c: Vec<usize> = vec![0; n + 1];
    for i in 0..n {
        r[i] = i + 1;
        c[i] = i + 1;
    }
    r[n] = 0;
    c[n] = 0;
    det_of_minor(a, n, n, &mut r, &mut c)
}

// ---- the same determinant with index arrays by value ------------------------------------------

/// The determinant of the minor of `a` on the first `m` entries of `rows` and `cols`, by
/// value: each minor's index arrays are copies, written before the recursive call (element by
/// element, as the C++ reference does).
#[allow(clippy::manual_memcpy)]
#[derive_tangent]
#[derive_grad]
fn det_by_value(a: &[f64], n: usize, rows: [usize; 6], cols: [usize; 6], m: usize) -> f64 {
    if m == 1 {
        return a[rows[0] * n + cols[0]];
    }
    let mut sub_rows = rows;
    for k in 0..m - 1 {
        sub_rows[k] = rows[k + 1];
    }
    let mut det = 0.0;
    let mut sign = 1.0;
    for j in 0..m {
        let mut sub_cols = cols;
        for k in j..m - 1 {
            sub_cols[k] = cols[k + 1];
        }
        det += sign * a[rows[0] * n + cols[j]] * det_by_value(a, n, sub_rows, sub_cols, m - 1);
        sign = -sign;
    }
    det
}

/// The determinant of a whole matrix (n <= 6) through [`det_by_value`].
#[derive_tangent]
#[derive_grad]
fn det_value(a: &[f64], n: usize) -> f64 {
    let idx = [0, 1, 2, 3, 4, 5];
    det_by_value(a, n, idx, idx, n)
}

// ---- independent reference: Gaussian elimination and cofactors --------------------------------

fn det_lu(a: &[f64], n: usize) -> f64 {
    let mut m = a.to_vec();
    let mut d = 1.0;
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs()))
            .unwrap();
        if p != k {
            for j in 0..n {
                m.swap(k * n + j, p * n + j);
            }
            d = -d;
        }
        let piv = m[k * n + k];
        if piv == 0.0 {
            return 0.0;
        }
        d *= piv;
        for i in k + 1..n {
            let f = m[i * n + k] / piv;
            for j in k..n {
                m[i * n + j] -= f * m[k * n + j];
            }
        }
    }
    d
}

/// d det / d a_ij = (-1)^(i+j) det(minor_ij): the cofactor matrix.
fn cofactors(a: &[f64], n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![1.0];
    }
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut minor = Vec::with_capacity((n - 1) * (n - 1));
            for r in (0..n).filter(|&r| r != i) {
                for c in (0..n).filter(|&c| c != j) {
                    minor.push(a[r * n + c]);
                }
            }
            let sign = if (i + j) % 2 == 0 { 1.0 } else { -1.0 };
            out[i * n + j] = sign * det_lu(&minor, n - 1);
        }
    }
    out
}

fn matrix(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ad_tests::r#gen::Rng(seed);
    rng.vec(n * n, -1.0, 1.0)
}

/// Checks a determinant's value, gradient (reverse), tangents (forward, one per column of the
/// identity) against the cofactors, finite differences, and each other.
fn check_det(
    name: &str,
    f: impl Fn(&[f64], usize) -> f64,
    grad: impl Fn(&[f64], usize, &mut [f64]) -> f64,
    tangent: impl Fn(&[f64], &[f64], usize) -> (f64, f64),
) {
    for n in 1..=6 {
        for seed in 0..2 {
            let a = matrix(n, 1000 * n as u64 + seed);
            let want = cofactors(&a, n);
            assert!(TOL.accepts(f(&a, n), det_lu(&a, n)), "{name} value n = {n}");
            let mut g = vec![0.0; n * n];
            let v = grad(&a, n, &mut g);
            assert!(TOL.accepts(v, det_lu(&a, n)), "{name}_grad value n = {n}");
            assert_close(&format!("{name}_grad n = {n} vs cofactors"), &g, &want, TOL);
            let fd = fd_gradient(|x| f(x, n), &a);
            assert_close(
                &format!("{name}_grad n = {n} vs fd"),
                &g,
                &fd,
                Tol {
                    rel: 1e-6,
                    abs: 1e-8,
                },
            );
            // Forward mode, column by column, against the reverse gradient.
            let mut e = vec![0.0; n * n];
            for k in 0..n * n {
                e[k] = 1.0;
                let (v, t) = tangent(&a, &e, n);
                e[k] = 0.0;
                assert!(TOL.accepts(v, det_lu(&a, n)), "{name}_tangent value");
                assert!(
                    TOL.accepts(t, g[k]),
                    "{name}_tangent n = {n} [{k}]: {t} vs {}",
                    g[k]
                );
            }
        }
    }
}

#[test]
fn determinant_by_minors_in_place() {
    check_det("det", det, |a, n, g| det_grad(a, g, n), det_tangent);
}

#[test]
fn determinant_by_minors_in_place_called_directly() {
    // The recursive function itself, with the lists lent by the test (a `&mut [usize]` the
    // caller keeps): the lists come back restored from every mode.
    for n in 1..=5 {
        let a = matrix(n, 77 + n as u64);
        let lists = || {
            let mut l: Vec<usize> = (1..=n).collect();
            l.push(0);
            l
        };
        let (mut r, mut c) = (lists(), lists());
        let mut g = vec![0.0; n * n];
        let v = det_of_minor_grad(&a, &mut g, n, n, &mut r, &mut c);
        assert_eq!((&r, &c), (&lists(), &lists()), "lists restored by _grad");
        assert!(TOL.accepts(v, det_lu(&a, n)));
        assert_close("det_of_minor_grad", &g, &cofactors(&a, n), TOL);
    }
}

#[test]
fn determinant_by_minors_by_value() {
    check_det(
        "det_value",
        det_value,
        |a, n, g| det_value_grad(a, g, n),
        det_value_tangent,
    );
}

// ---- a rotation copied by value and written before the call ----------------------------------

/// Rotates its index array by one place at each level of the recursion; the call sits after an
/// early return, so in reverse mode it is in a region the reverse sweep replays.
#[derive_tangent]
#[derive_grad]
fn rotations(x: f64, w: &[f64], idx: [usize; 4], depth: usize) -> f64 {
    if depth == 0 {
        return w[idx[0]] * x.sin();
    }
    let mut rot = idx;
    rot[0] = idx[3];
    rot[1] = idx[0];
    rot[2] = idx[1];
    rot[3] = idx[2];
    w[idx[0]] * x + w[idx[1]] * rotations(x * w[idx[2]], w, rot, depth - 1)
}

/// The same function by hand, as a value and its derivatives in `x` and `w`.
fn rotations_by_hand(x: f64, w: &[f64], idx: [usize; 4], depth: usize) -> (f64, f64, Vec<f64>) {
    let mut dw = vec![0.0; w.len()];
    if depth == 0 {
        dw[idx[0]] += x.sin();
        return (w[idx[0]] * x.sin(), w[idx[0]] * x.cos(), dw);
    }
    let rot = [idx[3], idx[0], idx[1], idx[2]];
    let inner_x = x * w[idx[2]];
    let (v, dv_dx, dv_dw) = rotations_by_hand(inner_x, w, rot, depth - 1);
    let value = w[idx[0]] * x + w[idx[1]] * v;
    let d_x = w[idx[0]] + w[idx[1]] * dv_dx * w[idx[2]];
    for (d, e) in dw.iter_mut().zip(&dv_dw) {
        *d += w[idx[1]] * e;
    }
    dw[idx[0]] += x;
    dw[idx[1]] += v;
    dw[idx[2]] += w[idx[1]] * dv_dx * x;
    (value, d_x, dw)
}

#[test]
fn rotation_copied_by_value() {
    let w = [0.7, -0.4, 1.3, 0.25, -0.9];
    let idx = [1, 4, 0, 2];
    for depth in 0..=5 {
        for x in [0.3, -1.1] {
            let (v, dx, dw) = rotations_by_hand(x, &w, idx, depth);
            let mut gw = [0.0; 5];
            let (value, gx) = rotations_grad(x, &w, &mut gw, idx, depth);
            assert!(TOL.accepts(value, v));
            assert!(TOL.accepts(gx, dx), "depth {depth}: d/dx {gx} vs {dx}");
            assert_close(&format!("rotations depth {depth} d/dw"), &gw, &dw, TOL);
            // Finite differences over (x, w).
            let mut p = vec![x];
            p.extend_from_slice(&w);
            let fd = fd_gradient(|q| rotations(q[0], &q[1..], idx, depth), &p);
            let mut all = vec![gx];
            all.extend_from_slice(&gw);
            assert_close(
                "rotations vs fd",
                &all,
                &fd,
                Tol {
                    rel: 1e-6,
                    abs: 1e-8,
                },
            );
            // Forward mode along x, then along each w.
            let (_, t) = rotations_tangent(x, 1.0, &w, &[0.0; 5], idx, depth);
            assert!(TOL.accepts(t, gx));
            for k in 0..5 {
                let mut e = [0.0; 5];
                e[k] = 1.0;
                let (_, t) = rotations_tangent(x, 0.0, &w, &e, idx, depth);
                assert!(TOL.accepts(t, gw[k]), "tangent w[{k}]");
            }
        }
    }
}

// ---- a permutation rewritten inside the loop that reads through it -----------------------------

/// A recurrence that reads its inputs through a permutation it rewrites every step; stamped
/// out under each reverse-mode option, so the same body is checked plain, checkpointed, and
/// to second order.
macro_rules! permuted_fn {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        fn $name(x: &[f64], steps: usize) -> f64 {
            let mut p = [0usize, 1, 2, 3];
            let mut s = 0.0;
            for k in 0..steps {
                let v = x[p[0]] * x[p[1]].sin();
                s = s * x[p[2]].cos() + v;
                p.swap(k % 4, (k + 1) % 4);
                if p[0] > p[3] {
                    p[3] = (p[3] + 1) % 4;
                }
            }
            s
        }
    };
}

permuted_fn!(
    #[derive_tangent]
    #[derive_grad]
    permuted
);
permuted_fn!(
    #[derive_grad(checkpoint)]
    permuted_ck
);
permuted_fn!(
    #[derive_grad(hessian)]
    permuted_h
);

/// The same by hand: values and gradient of the recurrence.
fn permuted_by_hand(x: &[f64], steps: usize) -> (f64, Vec<f64>) {
    let mut p = [0usize, 1, 2, 3];
    let mut s = 0.0;
    let mut ds = vec![0.0; x.len()];
    for k in 0..steps {
        let (a, b, c) = (p[0], p[1], p[2]);
        let v = x[a] * x[b].sin();
        let cosc = x[c].cos();
        let mut next: Vec<f64> = ds.iter().map(|d| d * cosc).collect();
        next[c] += s * -x[c].sin();
        next[a] += x[b].sin();
        next[b] += x[a] * x[b].cos();
        s = s * cosc + v;
        ds = next;
        p.swap(k % 4, (k + 1) % 4);
        if p[0] > p[3] {
            p[3] = (p[3] + 1) % 4;
        }
    }
    (s, ds)
}

#[test]
fn permutation_rewritten_in_loop() {
    let x = [0.4, -0.8, 1.2, 0.6];
    for steps in [1, 2, 5, 13] {
        let (v, want) = permuted_by_hand(&x, steps);
        let mut g = [0.0; 4];
        let value = permuted_grad(&x, &mut g, steps);
        assert!(TOL.accepts(value, v));
        assert_close(&format!("permuted steps {steps}"), &g, &want, TOL);
        let fd = fd_gradient(|q| permuted(q, steps), &x);
        assert_close(
            "permuted vs fd",
            &g,
            &fd,
            Tol {
                rel: 1e-6,
                abs: 1e-8,
            },
        );
        for k in 0..4 {
            let mut e = [0.0; 4];
            e[k] = 1.0;
            let (_, t) = permuted_tangent(&x, &e, steps);
            assert!(TOL.accepts(t, g[k]));
        }
        // Checkpointed: the loop rewrites integer state, which a segment run again from a
        // checkpoint would not see as it was; the gradient must be the plain one, bit for bit.
        let mut g_ck = [0.0; 4];
        assert_eq!(permuted_ck(&x, steps), value);
        assert_eq!(permuted_ck_grad(&x, &mut g_ck, steps), value);
        assert_eq!(g_ck, g, "checkpointed gradient, steps {steps}");
        // Second order: H v against central differences of the gradient along v.
        let v = [0.3, -0.5, 0.2, 0.9];
        let (vh, gh, hv) = permuted_h_hvp(&x, &v, steps);
        assert_eq!(vh, permuted_h(&x, steps));
        assert_close("permuted_h gradient", &gh, &g, TOL);
        let h = 1e-5;
        let at = |t: f64| {
            let q: Vec<f64> = x.iter().zip(&v).map(|(a, d)| a + t * d).collect();
            let mut g = [0.0; 4];
            permuted_grad(&q, &mut g, steps);
            g
        };
        let (gp, gm) = (at(h), at(-h));
        let fd: Vec<f64> = (0..4).map(|i| (gp[i] - gm[i]) / (2.0 * h)).collect();
        assert_close(
            &format!("permuted H v, steps {steps}"),
            &hv,
            &fd,
            Tol {
                rel: 1e-6,
                abs: 1e-7,
            },
        );
    }
}

// ---- an integer changed in place by a call the macro does not see ------------------------------

fn bump(k: &mut usize) {
    *k += 1;
}

/// `k` is changed in place by `bump`, after `j` copied it: `x[j]` is `x[0]`, `x[k]` is `x[1]`.
#[derive_tangent]
#[derive_grad]
fn bumped(x: &[f64]) -> f64 {
    let mut k = 0;
    let j = k;
    let mut s = x[k] * x[k];
    bump(&mut k);
    s += x[k].sin() * x[j];
    s
}

#[test]
fn integer_changed_in_place_by_a_call() {
    let x: [f64; 3] = [0.7, -0.3, 0.4];
    let want_value = x[0] * x[0] + x[1].sin() * x[0];
    let want = [2.0 * x[0] + x[1].sin(), x[1].cos() * x[0], 0.0];
    assert_eq!(bumped(&x), want_value);
    let mut g = [0.0; 3];
    let value = bumped_grad(&x, &mut g);
    assert!(
        TOL.accepts(value, want_value),
        "value {value} vs {want_value}"
    );
    assert_close("bumped_grad", &g, &want, TOL);
    assert_close(
        "bumped vs fd",
        &g,
        &fd_gradient(bumped, &x),
        Tol {
            rel: 1e-6,
            abs: 1e-8,
        },
    );
    for i in 0..3 {
        let mut e = [0.0; 3];
        e[i] = 1.0;
        let (v, t) = bumped_tangent(&x, &e);
        assert!(TOL.accepts(v, want_value));
        assert!(TOL.accepts(t, want[i]), "tangent [{i}]: {t} vs {}", want[i]);
    }
}

// ---- the audit: other values a sweep could read after they changed ------------------------------

/// A constant slice read in a loop (its values are the partials of `x`), then reordered in place
/// by a method the macro copies as it is: the loop's reverse sweep must read the values as they
/// were.
#[allow(clippy::needless_range_loop)]
#[derive_tangent(wrt(x))]
#[derive_grad(wrt(x))]
fn swapped_after_reading(x: f64, w: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        s += (x * w[i]).sin();
    }
    w.swap(0, 1);
    w.reverse();
    s
}

#[test]
fn memory_reordered_in_place_after_it_was_read() {
    let x: f64 = 0.8;
    let w0: [f64; 3] = [0.3, -1.2, 0.5];
    let want: f64 = w0.iter().map(|w| w * (x * w).cos()).sum();
    let mut w = w0;
    let (v, g) = swapped_after_reading_grad(x, &mut w);
    assert_eq!(w, [0.5, 0.3, -1.2], "the primal's effect");
    assert!(TOL.accepts(g, want), "grad {g} vs {want}");
    assert!(TOL.accepts(v, w0.iter().map(|w| (x * w).sin()).sum()));
    let fd = fd_gradient(|q| swapped_after_reading(q[0], &mut w0.clone()), &[x]);
    assert!(TOL.accepts(g, fd[0]), "grad {g} vs fd {}", fd[0]);
    let mut w = w0;
    let (_, t) = swapped_after_reading_tangent(x, 1.0, &mut w);
    assert!(TOL.accepts(t, want));
}

/// A checkpointed loop reads a local array that is written after the loop: a segment run
/// again from a checkpoint must not read the new value.
#[derive_grad(checkpoint)]
fn read_then_overwritten(x: &[f64], n: usize) -> f64 {
    let mut v = vec![0.0; 2];
    v[0] = x[0];
    let mut s = x[1];
    for _ in 0..n {
        s = s * v[0].sin() + s.cos();
    }
    v[0] = 5.0 * s;
    v[0] + s
}

/// The same without checkpointing, by hand: `s_{k+1} = s_k sin(a) + cos(s_k)`, `f = 6 s_n`.
fn read_then_overwritten_by_hand(x: &[f64], n: usize) -> Vec<f64> {
    let (a, mut s) = (x[0], x[1]);
    let (mut ds_da, mut ds_ds0) = (0.0, 1.0);
    for _ in 0..n {
        let d = a.sin() - s.sin();
        ds_da = d * ds_da + s * a.cos();
        ds_ds0 *= d;
        s = s * a.sin() + s.cos();
    }
    vec![6.0 * ds_da, 6.0 * ds_ds0]
}

#[test]
fn checkpointed_loop_reading_memory_written_later() {
    let x = [0.6, 0.4];
    for n in [1, 4, 30] {
        let mut g = [0.0; 2];
        let v = read_then_overwritten_grad(&x, &mut g, n);
        assert_eq!(v, read_then_overwritten(&x, n));
        let want = read_then_overwritten_by_hand(&x, n);
        assert_close(&format!("read_then_overwritten n = {n}"), &g, &want, TOL);
        let fd = fd_gradient(|q| read_then_overwritten(q, n), &x);
        assert_close(
            "read_then_overwritten vs fd",
            &g,
            &fd,
            Tol {
                rel: 1e-6,
                abs: 1e-8,
            },
        );
    }
}

/// Moves the index list on and reads through it (a helper that changes integer state it is
/// lent).
#[derive_tangent]
#[derive_grad]
fn bump_read(x: f64, w: &[f64], ix: &mut [usize]) -> f64 {
    ix[0] = (ix[0] + 1) % 3;
    w[ix[0]] * x.tanh()
}

/// An index list read inside a branch, then passed on by name (a `&mut` parameter, no `&mut`
/// at the call) to a helper that changes it: the branch's reverse sweep must read the index as
/// the forward sweep did (random program p0463 of issue 17's vector generator; the reverse
/// gradient read the changed index).
#[derive_tangent]
#[derive_grad]
fn read_then_passed_on(x: f64, y: f64, w: &[f64], iw: &mut [usize]) -> f64 {
    let mut x = x;
    let q = if y < 0.0 { 1.0 } else { w[iw[0]] * y };
    x *= q;
    x += bump_read(x, w, iw);
    x
}

#[test]
fn index_read_in_a_branch_then_passed_on() {
    let w = [0.7, -1.3, 0.4];
    let p = [0.6, 0.9];
    let f = |p: &[f64]| read_then_passed_on(p[0], p[1], &w, &mut [2, 1, 0]);
    let mut dw = [0.0; 3];
    let (value, (gx, gy)) = read_then_passed_on_grad(p[0], p[1], &w, &mut dw, &mut [2, 1, 0]);
    assert_eq!(value, f(&p));
    // By hand: iw[0] = 2 in the branch, then bump_read reads w[0]:
    // x1 = x w2 y, out = x1 + w0 tanh(x1).
    let x1 = p[0] * w[2] * p[1];
    let dout = 1.0 + w[0] * (1.0 - x1.tanh().powi(2));
    let by_hand = [dout * w[2] * p[1], dout * p[0] * w[2]];
    assert_close("gradient vs hand", &[gx, gy], &by_hand, Tol::fd(value));
    assert_close(
        "gradient vs fd",
        &[gx, gy],
        &fd_gradient(f, &p),
        Tol::fd(value),
    );
    let (_, tx) = read_then_passed_on_tangent(p[0], 1.0, p[1], 0.0, &w, &[0.0; 3], &mut [2, 1, 0]);
    let (_, ty) = read_then_passed_on_tangent(p[0], 0.0, p[1], 1.0, &w, &[0.0; 3], &mut [2, 1, 0]);
    assert_close("forward vs reverse", &[tx, ty], &[gx, gy], Tol::fd(value));
    // d/dw: w2 through the branch, w0 through the helper.
    let dw_hand = [x1.tanh(), 0.0, dout * p[0] * p[1]];
    assert_close("dw vs hand", &dw, &dw_hand, Tol::fd(value));
}
