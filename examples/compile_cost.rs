//! What the macros cost in compile time: `cargo build` of a crate holding a generated function
//! of 1000 statements, as written (the primal) and with `#[derive_tangent]` and `#[derive_grad]`
//! on it, in the debug and release profiles.
//!
//! ```sh
//! cargo run -p ad-tests --release --example compile_cost [-- REPEATS]
//! ```
//!
//! The crates are generated under `target/compile_cost/` (the function is the one the expansion
//! benchmark uses, `ad-macros/benches/support/big_fn.rs`), each its own workspace depending on
//! this workspace's `ad-runtime` by path, all sharing `target/compile_cost/target` so that the
//! dependencies are built once, before any timing, and other builds in the workspace's target
//! directory neither wait for these nor disturb them. Each timed build rebuilds only the crate
//! itself (its source is rewritten first), from scratch (`CARGO_INCREMENTAL=0`: an incremental
//! rebuild of unchanged code would reuse the previous build's machine code and time only the
//! front end); the time reported is the median of `REPEATS` builds
//! (3 by default). Results go to `target/compile_cost/results.json`, which `bench_report` reads.
//!
//! A function of thousands of `let`s nests as many lexical scopes in its debug info, and LLVM
//! recurses once per scope when it writes them: with debug info, rustc's default 8 MiB stack
//! overflowed on the generated derivatives until `emit/scopes.rs` gathered long runs of `let`s
//! into blocks. The untimed first build of each crate uses the default stack and records
//! whether it compiled; the timed builds run with `RUST_MIN_STACK` at 256 MiB, primal and
//! derivative alike, so that a regression shows in that column rather than as a failure.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

include!("../ad-macros/benches/support/big_fn.rs");

/// Statements in the generated function.
const STATEMENTS: usize = 1000;

/// rustc's stack for the timed builds (`RUST_MIN_STACK`), in bytes.
const BIG_STACK: &str = "268435456";

fn main() -> Result<(), Box<dyn Error>> {
    let repeats: usize = match std::env::args().nth(1) {
        Some(r) => r.parse()?,
        None => 3,
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()?;
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target"),
    };
    let work = target.join("compile_cost");
    let shared_target = work.join("target");
    std::fs::create_dir_all(&work)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    let shapes = [
        ("straight-line", big_fn_straight("big", STATEMENTS)),
        ("loop", big_fn_looped("big", STATEMENTS)),
    ];
    let mut crates = Vec::new();
    for (shape, source) in &shapes {
        for derived in [false, true] {
            let name = format!(
                "{}_{}",
                if derived { "derived" } else { "primal" },
                shape.replace('-', "_")
            );
            let dir = work.join(&name);
            write_crate(&root, &dir, &name, source, derived)?;
            crates.push((*shape, derived, dir));
        }
    }

    let mut results = Vec::new();
    for profile in ["debug", "release"] {
        // Dependencies first, untimed, with rustc's default stack: does each crate compile so?
        let mut default_stack = Vec::new();
        for (_, _, dir) in &crates {
            default_stack.push(probe(&cargo, dir, &shared_target, profile)?);
        }
        for (shape, _) in &shapes {
            let mut times = [0.0; 2];
            let mut compiles = [true; 2];
            for ((s, derived, dir), ok) in crates.iter().zip(&default_stack) {
                if s != shape {
                    continue;
                }
                compiles[usize::from(*derived)] = *ok;
                let mut runs = Vec::new();
                for _ in 0..repeats {
                    // Rewrite the source so that cargo rebuilds the crate (and only it).
                    let lib = dir.join("src/lib.rs");
                    let text = std::fs::read_to_string(&lib)?;
                    std::fs::write(&lib, text)?;
                    runs.push(build(&cargo, dir, &shared_target, profile)?);
                }
                runs.sort_by(f64::total_cmp);
                times[usize::from(*derived)] = runs[runs.len() / 2];
            }
            println!(
                "{shape:>13} {profile:>7}: primal {:6.2} s, with both macros {:6.2} s, ratio {:5.1}{}",
                times[0],
                times[1],
                times[1] / times[0],
                if compiles[1] {
                    ""
                } else {
                    " (rustc's default stack overflows on the derivative)"
                }
            );
            results.push(serde_json::json!({
                "shape": shape,
                "profile": profile,
                "primal_s": times[0],
                "derived_s": times[1],
                "ratio": times[1] / times[0],
                "primal_default_stack": compiles[0],
                "derived_default_stack": compiles[1],
            }));
        }
    }
    let out = serde_json::json!({
        "statements": STATEMENTS,
        "repeats": repeats,
        "results": results,
    });
    let path = work.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out)?)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Writes the crate `name` in `dir`: its own workspace, depending on `ad-runtime` by path, with
/// `source` as a public function (annotated with both macros when `derived`).
fn write_crate(
    root: &Path,
    dir: &Path,
    name: &str,
    source: &str,
    derived: bool,
) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir.join("src"))?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nad-runtime = {{ path = \"{}\" }}\n\n[workspace]\n",
        root.join("ad-runtime").display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    // The workspace's lock file: the same dependency versions, no resolution needed.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    let attrs = if derived {
        "#[ad_runtime::derive_tangent]\n#[ad_runtime::derive_grad]\n"
    } else {
        ""
    };
    let lib = format!(
        "//! Generated by `examples/compile_cost.rs`.\n#![allow(clippy::all, unused)]\n\n\
         {attrs}pub {source}"
    );
    std::fs::write(dir.join("src/lib.rs"), lib)?;
    Ok(())
}

/// `cargo build` of the crate in `dir` into `target`, not incremental, without the caller's
/// rustc flags.
fn cargo_build(cargo: &str, dir: &Path, target: &Path, profile: &str) -> Command {
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if profile == "release" {
        cmd.arg("--release");
    }
    cmd
}

/// Builds the crate in `dir` (and its dependencies) with rustc's default stack: whether it
/// compiled, or false if rustc overflowed its stack; any other failure is an error.
fn probe(cargo: &str, dir: &Path, target: &Path, profile: &str) -> Result<bool, Box<dyn Error>> {
    let mut cmd = cargo_build(cargo, dir, target, profile);
    cmd.env_remove("RUST_MIN_STACK");
    let out = cmd.output()?;
    if out.status.success() {
        return Ok(true);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("overflowed its stack") {
        println!(
            "{} ({profile}): rustc overflowed its default stack",
            dir.display()
        );
        return Ok(false);
    }
    eprintln!("{stderr}");
    Err(format!("cargo build of {} failed", dir.display()).into())
}

/// Runs `cargo build` on the crate in `dir`, rustc with a [`BIG_STACK`] stack, and returns its
/// wall time in seconds.
fn build(cargo: &str, dir: &Path, target: &Path, profile: &str) -> Result<f64, Box<dyn Error>> {
    let mut cmd = cargo_build(cargo, dir, target, profile);
    cmd.env("RUST_MIN_STACK", BIG_STACK);
    let start = Instant::now();
    let status = cmd.status()?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("cargo build of {} failed", dir.display()).into());
    }
    Ok(seconds)
}
