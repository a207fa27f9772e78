//! The seed's rule of thumb, measured: forward mode costs one pass per input (here `K = 4`
//! inputs per pass), reverse mode one pass per output. For `f: Rⁿ → R` reverse mode wins as `n`
//! grows; for `g: R → Rᵐ` forward mode wins as `m` grows.
//!
//! For n, m from 1 to 1000, this times the full Jacobian of each by `_jacfwd` and `_jacrev`
//! (both written by `#[derive_jacobian]`), prints the table, and writes it to `docs/modes.md`
//! and as a chart to `docs/modes.svg`. Run it optimised:
//!
//! ```sh
//! cargo run --release --example modes
//! ```

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ad_runtime::derive_jacobian;

/// Many inputs, one output: a chain of couplings, `Σ sin(x_i) x_(i+1) + x_i² / 2`.
#[derive_jacobian]
fn f(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let next = if i + 1 < n { x[i + 1] } else { x[0] };
        s += x[i].sin() * next + 0.5 * x[i] * x[i];
    }
    s
}

/// One input, many outputs: a damped oscillation sampled at `m` rates, `y_i = sin(c_i t) e^(-c_i t / 10)`.
#[derive_jacobian]
fn g(t: f64, y: &mut [f64]) {
    for (i, yi) in y.iter_mut().enumerate() {
        let c = 1.0 + 0.01 * i as f64;
        *yi = (c * t).sin() * (-0.1 * c * t).exp();
    }
}

/// Seconds per call of `run`: the best of 5 batches, each at least 10 ms long.
fn time(mut run: impl FnMut()) -> f64 {
    run();
    let mut reps = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..reps {
            run();
        }
        if start.elapsed() >= Duration::from_millis(10) {
            break;
        }
        reps *= 2;
    }
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                run();
            }
            start.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

struct Row {
    dim: usize,
    f_fwd: f64,
    f_rev: f64,
    g_fwd: f64,
    g_rev: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dims = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000];
    let mut rows = Vec::new();
    for &d in &dims {
        let x: Vec<f64> = (0..d).map(|i| 0.1 + 0.37 * (i % 7) as f64).collect();
        let t = 0.8;
        let mut y = vec![0.0; d];

        // The two modes agree before they are timed.
        let (vf, jf) = f_jacfwd(&x);
        let (vr, jr) = f_jacrev(&x);
        assert_eq!((vf, vr), (f(&x), f(&x)));
        let gf = g_jacfwd(t, &mut y);
        let gr = g_jacrev(t, &mut y);
        let mut want = vec![0.0; d];
        g(t, &mut want);
        assert_eq!(y, want, "the output parameter holds g's value");
        for (a, b) in jf.as_slice().iter().zip(jr.as_slice()) {
            assert!(
                (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                "f: modes disagree"
            );
        }
        for (a, b) in gf.as_slice().iter().zip(gr.as_slice()) {
            assert!(
                (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                "g: modes disagree"
            );
        }

        rows.push(Row {
            dim: d,
            f_fwd: time(|| {
                black_box(f_jacfwd(black_box(&x)));
            }),
            f_rev: time(|| {
                black_box(f_jacrev(black_box(&x)));
            }),
            g_fwd: time(|| {
                black_box(g_jacfwd(black_box(t), &mut y));
            }),
            g_rev: time(|| {
                black_box(g_jacrev(black_box(t), &mut y));
            }),
        });
    }

    let mut table = String::from(
        "| n or m | f: Rⁿ→R forward | f: reverse | f: forward / reverse | g: R→Rᵐ forward | g: reverse | g: reverse / forward |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &rows {
        table.push_str(&format!(
            "| {} | {} | {} | {:.1}× | {} | {} | {:.1}× |\n",
            r.dim,
            micros(r.f_fwd),
            micros(r.f_rev),
            r.f_fwd / r.f_rev,
            micros(r.g_fwd),
            micros(r.g_rev),
            r.g_rev / r.g_fwd,
        ));
    }
    println!("Full Jacobian, time per call (forward mode: 4 tangents per pass)\n");
    println!("{table}");
    let last = rows.last().expect("dims is not empty");
    println!(
        "At n = m = {}: reverse mode is {:.0}× faster for f (many inputs, one output), forward \
         mode {:.0}× faster for g (one input, many outputs).",
        last.dim,
        last.f_fwd / last.f_rev,
        last.g_rev / last.g_fwd
    );

    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    std::fs::create_dir_all(&docs)?;
    let profile = if cfg!(debug_assertions) {
        "a debug build (run with --release for representative numbers)"
    } else {
        "a release build"
    };
    std::fs::write(
        docs.join("modes.md"),
        format!(
            "# Forward against reverse mode, measured\n\n\
             Written by `cargo run --release --example modes` ({profile}). Time per full \
             Jacobian; forward mode carries 4 tangents per pass, so `f` takes `ceil(n / 4)` forward \
             passes against 1 reverse pass, and `g` 1 forward pass against `m` reverse passes.\n\n\
             {table}\n![forward against reverse mode](modes.svg)\n"
        ),
    )?;
    let series = |pick: fn(&Row) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|r| (r.dim as f64, pick(r))).collect()
    };
    ad_tests::plot::line_chart(
        &docs.join("modes.svg"),
        "Full Jacobian: forward against reverse mode",
        "inputs n of f: Rⁿ → R, outputs m of g: R → Rᵐ",
        "seconds per Jacobian",
        &[
            ("f: Rⁿ → R, forward", series(|r| r.f_fwd)),
            ("f: Rⁿ → R, reverse", series(|r| r.f_rev)),
            ("g: R → Rᵐ, forward", series(|r| r.g_fwd)),
            ("g: R → Rᵐ, reverse", series(|r| r.g_rev)),
        ],
        true,
        true,
    )?;
    println!("\nwrote docs/modes.md and docs/modes.svg");
    Ok(())
}

fn micros(seconds: f64) -> String {
    format!("{:.2} µs", seconds * 1e6)
}
