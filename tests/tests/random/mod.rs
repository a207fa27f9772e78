//! Random-program differential testing (SPEC §8).
//!
//! `tests/build.rs` writes `AD_RANDOM_PROGRAMS` random functions (default 1000; see
//! `ad_tests::r#gen` for the grammar and how the evaluation points are chosen), each carrying both
//! `#[derive_tangent]` and `#[derive_grad]`, into `OUT_DIR/random_programs_{1,2}of2.rs`: two
//! halves that compile in parallel, each included by its test file (`random_programs_1of2.rs`,
//! `random_programs_2of2.rs`), which runs the checks below on it.
//!
//! Inputs and outputs are flat vectors of floats: a struct parameter (issue 17) is its floats in
//! the order of `to_flat`, a `&mut` struct's floats after the call and a struct result are
//! outputs; the generated wrappers move between the two. At each of its 3 points every program
//! is checked:
//!
//! - the compiled function against the generator's interpreter (a check of the generator);
//! - forward against reverse: the Jacobian by `_tangent` with unit tangents (columns) against
//!   the one by `_vjp` with unit seeds (rows), to 1e-10 relative (absolute floor 1e-12); `_grad`
//!   against `_vjp` with seed 1, and `_vjp` with another seed against that seed times it;
//! - both against five-point central finite differences (step 1e-4), to 1e-5 relative with an
//!   absolute floor of 1e-7 times the output's magnitude (at least 1);
//! - the dot-product test `<J v, w> = <v, J^T w>` along random `v`, `w`;
//! - the values of the generated functions against the original function's.
//!
//! A mismatch prints the program's source and the point. `AD_RANDOM_PROGRAM=p0042` checks one
//! program only.
//!
//! Debug and release must give the same derivatives to the bit (SPEC §9): each run writes the
//! bits of every value and Jacobian entry to `target/tmp/random_programs_PART.PROFILE.bits`.
//! Compare them with
//!
//! ```text
//! cargo test -p ad-tests --test 'random_programs_*'
//! cargo test -p ad-tests --test 'random_programs_*' --release
//! cmp target/tmp/random_programs_1of2.debug.bits target/tmp/random_programs_1of2.release.bits
//! cmp target/tmp/random_programs_2of2.debug.bits target/tmp/random_programs_2of2.release.bits
//! ```

/// One part's test binary: the part's generated programs (file `$file` of `OUT_DIR`) and the
/// three tests below run on them.
macro_rules! part {
    ($part:expr, $file:literal) => {
        #[allow(
            unused,
            unused_parens,
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            non_snake_case,
            unreachable_code,
            unused_comparisons
        )]
        mod generated {
            use ad_tests::r#gen::Compiled;
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }

        #[test]
        fn random_programs_agree_three_ways() {
            random::agree_three_ways(generated::PROGRAMS, $part);
        }

        #[test]
        fn the_table_has_every_program() {
            random::table_has_every_program(generated::PROGRAMS, $part);
        }

        #[test]
        fn the_generator_reproduces_the_table() {
            random::generator_reproduces_the_table(generated::PROGRAMS, $part);
        }
    };
}

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ad_tests::Tol;
use ad_tests::r#gen::{Compiled, DEFAULT_COUNT, PARTS, Rng, five_point, part_range};

/// Forward against reverse mode.
const MODES: Tol = Tol {
    rel: 1e-10,
    abs: 1e-12,
};
/// The compiled function against the generator's interpreter.
const INTERPRETER: Tol = Tol {
    rel: 1e-13,
    abs: 1e-13,
};

/// Against five-point central differences, for an output of magnitude `value`.
fn fd_tol(value: f64) -> Tol {
    Tol {
        rel: 1e-5,
        abs: 1e-7 * value.abs().max(1.0),
    }
}

/// The derivatives of one program at one point.
struct Derivatives {
    value: Vec<f64>,
    /// `forward[j][i]`: output `i` along unit tangent `j`.
    forward: Vec<Vec<f64>>,
    /// `reverse[i][j]`: adjoint of input `j` for unit seed `i`.
    reverse: Vec<Vec<f64>>,
}

/// Checks one program at every point; returns the failures (empty if none) and appends the bits
/// of what it computed to `bits`.
fn check(c: &Compiled, bits: &mut String) -> Vec<String> {
    let mut failures = Vec::new();
    let (n, m) = (c.inputs, c.outputs);
    let mut rng = Rng(c.seed ^ 0xd07_d07);
    for (k, &p) in c.points.iter().enumerate() {
        let mut fail = |what: String| failures.push(format!("point {k} {p:?}: {what}"));
        let mut close = |what: &str, got: f64, want: f64, tol: Tol| {
            if !tol.accepts(got, want) {
                fail(format!(
                    "{what}: got {got:e}, want {want:e} (difference {:e})",
                    got - want
                ));
            }
        };
        let value = (c.eval)(p);
        assert_eq!(value.len(), m, "outputs of the function");
        for i in 0..m {
            close(
                &format!("output {i} against the generator's interpreter (a generator bug)"),
                value[i],
                c.values[k][i],
                INTERPRETER,
            );
        }

        let forward: Vec<Vec<f64>> = (0..n)
            .map(|j| {
                let mut e = vec![0.0; n];
                e[j] = 1.0;
                let (v, t) = (c.jvp)(p, &e);
                assert_eq!((v.len(), t.len()), (m, m), "outputs of _tangent");
                for i in 0..m {
                    close(
                        &format!("value {i} of _tangent"),
                        v[i],
                        value[i],
                        ad_tests::VALUE,
                    );
                }
                t
            })
            .collect();
        let reverse: Vec<Vec<f64>> = (0..m)
            .map(|i| {
                let mut s = vec![0.0; m];
                s[i] = 1.0;
                let mut g = vec![0.0; n];
                let v = (c.vjp)(p, &s, &mut g);
                assert_eq!(v.len(), m, "outputs of _vjp");
                for i in 0..m {
                    close(
                        &format!("value {i} of _vjp"),
                        v[i],
                        value[i],
                        ad_tests::VALUE,
                    );
                }
                g
            })
            .collect();

        for i in 0..m {
            let tol = fd_tol(value[i]);
            for j in 0..n {
                let fd = five_point(c.eval, p, j)[i];
                let (fwd, rev) = (forward[j][i], reverse[i][j]);
                close(
                    &format!("d out{i} / d in{j}: forward vs reverse"),
                    fwd,
                    rev,
                    MODES,
                );
                close(&format!("d out{i} / d in{j}: forward vs fd"), fwd, fd, tol);
                close(&format!("d out{i} / d in{j}: reverse vs fd"), rev, fd, tol);
            }
        }

        if let Some(grad) = c.grad {
            // Checkpointing changes what is stored, not what is computed: the same bits as
            // reverse mode seeded with 1 (`_grad` itself may run in forward mode, by the
            // mode-choice rule, where checkpointing keeps reverse mode).
            if let Some(ck) = c.grad_checkpointed {
                let (mut g, mut g_ck) = (vec![0.0; n], vec![0.0; n]);
                let (v, v_ck) = ((c.vjp)(p, &[1.0], &mut g)[0], ck(p, &mut g_ck));
                let exact = Tol { rel: 0.0, abs: 0.0 };
                close("value of the checkpointed _grad", v_ck, v, exact);
                for j in 0..n {
                    close(
                        &format!("checkpointed _grad, input {j}"),
                        g_ck[j],
                        g[j],
                        exact,
                    );
                }
            }
            // The second derivative in one input (forward over reverse) against central
            // differences of the gradient, and its value and first derivative against `_grad`.
            if let Some((j, hess)) = c.hessian {
                let [v, d1, d2] = hess(p);
                let mut g = vec![0.0; n];
                let v_grad = grad(p, &mut g);
                close("value of _hessian", v, v_grad, ad_tests::VALUE);
                close("gradient of _hessian vs _grad", d1, g[j], MODES);
                let fd = five_point(
                    |q| {
                        let mut g = vec![0.0; n];
                        grad(q, &mut g);
                        vec![g[j]]
                    },
                    p,
                    j,
                )[0];
                close(
                    "d2 out / d in^2: _hessian vs fd of _grad",
                    d2,
                    fd,
                    fd_tol(d1),
                );
            }
            let mut g = vec![0.0; n];
            let v = grad(p, &mut g);
            close("value of _grad", v, value[0], ad_tests::VALUE);
            for j in 0..n {
                close(
                    &format!("_grad vs _vjp with seed 1, input {j}"),
                    g[j],
                    reverse[0][j],
                    MODES,
                );
            }
            let mut g = vec![0.0; n];
            (c.vjp)(p, &[-0.75], &mut g);
            for j in 0..n {
                close(
                    &format!("_vjp with seed -0.75 vs -0.75 * _grad, input {j}"),
                    g[j],
                    -0.75 * reverse[0][j],
                    MODES,
                );
            }
        }

        // The dot-product test, along random directions.
        for trial in 0..2 {
            let v: Vec<f64> = (0..n).map(|_| rng.range(-1.0, 1.0)).collect();
            let w: Vec<f64> = (0..m).map(|_| rng.range(-1.0, 1.0)).collect();
            let (_, jv) = (c.jvp)(p, &v);
            let mut jtw = vec![0.0; n];
            (c.vjp)(p, &w, &mut jtw);
            let lhs: f64 = (0..m).map(|i| jv[i] * w[i]).sum();
            let rhs: f64 = (0..n).map(|j| v[j] * jtw[j]).sum();
            let scale: f64 = (0..m).map(|i| (jv[i] * w[i]).abs()).sum::<f64>()
                + (0..n).map(|j| (v[j] * jtw[j]).abs()).sum::<f64>();
            let tol = Tol {
                rel: 1e-10,
                abs: 1e-12 * scale.max(1.0),
            };
            close(
                &format!("dot-product test {trial}: <J v, w> vs <v, J^T w> (v = {v:?}, w = {w:?})"),
                lhs,
                rhs,
                tol,
            );
        }

        let d = Derivatives {
            value,
            forward,
            reverse,
        };
        let _ = write!(bits, "{} {k}", c.name);
        let all = d.value[..m]
            .iter()
            .chain(d.forward.iter().flat_map(|t| t[..m].iter()))
            .chain(d.reverse.iter().flatten());
        for x in all {
            let _ = write!(bits, " {:016x}", x.to_bits());
        }
        bits.push('\n');
    }
    failures
}

/// Checks every program of part `part` (0-based) three ways, and writes their bits.
pub fn agree_three_ways(programs: &[Compiled], part: usize) {
    let only = std::env::var("AD_RANDOM_PROGRAM").ok();
    let mut bits = String::new();
    let mut report = String::new();
    let (mut failed, mut checked, mut points) = (0, 0, 0);
    for c in programs {
        if only.as_deref().is_some_and(|o| o != c.name) {
            continue;
        }
        checked += 1;
        points += c.points.len();
        let failures = match catch_unwind(AssertUnwindSafe(|| check(c, &mut bits))) {
            Ok(f) => f,
            Err(e) => vec![format!(
                "panicked: {}",
                e.downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| e.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)")
            )],
        };
        if !failures.is_empty() {
            failed += 1;
            if failed <= 20 {
                let _ = writeln!(
                    report,
                    "\n=== {} (seed {:#x}), {} failure(s):\n{}",
                    c.name,
                    c.seed,
                    failures.len(),
                    c.source
                );
                for f in failures.iter().take(12) {
                    let _ = writeln!(report, "  {f}");
                }
            }
        }
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "random_programs_{}of{PARTS}.{profile}.bits",
        part + 1
    ));
    if only.is_none() {
        std::fs::write(&path, &bits).expect("cannot write the derivative bits");
    }
    println!(
        "{checked} random programs, {points} points checked; {failed} failed; bits in {}",
        path.display()
    );
    assert!(
        failed == 0,
        "{failed} of {checked} random programs failed:{report}"
    );
}

/// Part `part` holds its share of the programs, each with its three points.
pub fn table_has_every_program(programs: &[Compiled], part: usize) {
    let count = option_env!("AD_RANDOM_PROGRAMS")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_COUNT);
    assert_eq!(programs.len(), part_range(part, count).len());
    assert!(programs.iter().all(|c| c.points.len() == 3));
}

/// The generator gives the first programs of part `part` again.
pub fn generator_reproduces_the_table(programs: &[Compiled], part: usize) {
    let count = option_env!("AD_RANDOM_PROGRAMS")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_COUNT);
    for (index, c) in part_range(part, count).zip(programs).take(25) {
        let (p, points) = ad_tests::r#gen::program(index);
        assert_eq!(p.seed, c.seed);
        assert_eq!(p.source(c.name), c.source);
        assert_eq!(points.len(), c.points.len());
    }
}
