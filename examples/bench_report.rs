//! Writes `docs/benchmarks.md` and `docs/benchmarks.svg` from criterion's results.
//!
//! One command runs every measurement and then writes the report (about 6 minutes on two
//! cores once built):
//!
//! ```sh
//! cargo run -p ad-tests --release --example bench_report -- --run
//! ```
//!
//! which is, step by step (each step can be run alone; without `--run` the report is written
//! from whatever results exist):
//!
//! ```sh
//! cargo bench -p ad-tests --features peers --bench peers   # ours against the peers
//! cargo bench -p ad-macros --bench expand                  # the macro's expansion, optimised
//! CARGO_PROFILE_BENCH_OPT_LEVEL=0 CARGO_PROFILE_BENCH_DEBUG_ASSERTIONS=true \
//!     cargo bench -p ad-macros --bench expand              # ... as cargo builds proc macros
//! cargo run -p ad-tests --release --example compile_cost   # compile-time cost
//! cargo run -p ad-tests --release --example bench_report
//! ```
//!
//! It reads `target/criterion/peers_manifest.json` (written by the `peers` benchmark: the cases,
//! the columns, what a peer cannot express), each `target/criterion/<group>/<bench>/new/
//! estimates.json` (the median time), `target/criterion/expand_1000/..` and
//! `target/compile_cost/results.json` when they exist, and the peers' versions from
//! `Cargo.lock`. It needs none of the peer crates to compile.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The goals of issue 18: `_grad` within this factor of the tuned hand-written gradient...
const HAND_GOAL: f64 = 1.15;
/// ...and faster than the fastest peer (this many times), on every row.
const PEER_GOAL: f64 = 1.0;
/// The expansion of a 1000-statement function should take less than this (seconds).
const EXPAND_GOAL: f64 = 0.5;

/// Columns that are ours (the rest, after `hand`, are peers).
const OURS: [&str; 4] = ["primal", "hand", "ours_grad", "ours_tangent"];

/// The peer crates, as named in `Cargo.lock`.
const PEER_CRATES: [&str; 4] = ["num-dual", "autodiff", "ad_trait", "reverse"];

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target"),
    };
    let criterion = target.join("criterion");
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("--run") => run_all(&root)?,
        // Only the nalgebra section, from `cargo bench -p ad-tests --bench linalg`.
        Some("--linalg") => {
            let path = root.join("docs/benchmarks.md");
            let md = std::fs::read_to_string(&path)?;
            std::fs::write(&path, with_linalg(&md, &criterion))?;
            println!("updated the nalgebra section of {}", path.display());
            return Ok(());
        }
        // Only the sparse section, from `cargo bench -p ad-tests --bench sparse`.
        Some("--sparse") => {
            let path = root.join("docs/benchmarks.md");
            let md = std::fs::read_to_string(&path)?;
            std::fs::write(&path, with_sparse(&md, &criterion))?;
            println!("updated the sparse section of {}", path.display());
            return Ok(());
        }
        Some(other) => {
            return Err(
                format!("unknown argument {other}: expected --run, --linalg or --sparse").into(),
            );
        }
    }
    let manifest_path = criterion.join("peers_manifest.json");
    let manifest: Value = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(e) => {
            return Err(format!(
                "cannot read {} ({e}): run `cargo bench -p ad-tests --features peers --bench \
                 peers` first",
                manifest_path.display()
            )
            .into());
        }
    };
    let columns: Vec<(String, String)> = manifest["columns"]
        .as_array()
        .ok_or("the manifest has no columns")?
        .iter()
        .map(|c| (str_of(&c["id"]), str_of(&c["label"])))
        .collect();
    let mut cases = Vec::new();
    for c in manifest["cases"]
        .as_array()
        .ok_or("the manifest has no cases")?
    {
        let group = str_of(&c["group"]);
        let cannot: BTreeMap<String, String> = c["cannot_express"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), str_of(v))).collect())
            .unwrap_or_default();
        let times = columns
            .iter()
            .map(|(id, _)| median_ns(&criterion.join(&group).join(id)))
            .collect();
        cases.push(Case {
            title: str_of(&c["title"]),
            inputs: c["inputs"].as_u64().unwrap_or(0) as usize,
            cannot,
            times,
            group,
        });
    }

    let md = with_linalg(&report(&root, &target, &columns, &cases)?, &criterion);
    let md = with_sparse(&md, &criterion);
    let docs = root.join("docs");
    let md = keep_gradbench(
        &md,
        &std::fs::read_to_string(docs.join("benchmarks.md")).unwrap_or_default(),
    );
    std::fs::create_dir_all(&docs)?;
    std::fs::write(docs.join("benchmarks.md"), md)?;
    chart(&docs.join("benchmarks.svg"), &columns, &cases)?;
    println!(
        "wrote {} and {}",
        docs.join("benchmarks.md").display(),
        docs.join("benchmarks.svg").display()
    );
    Ok(())
}

/// Runs every measurement the report reads, in order, each as its own cargo command.
fn run_all(root: &Path) -> Result<(), Box<dyn Error>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let unoptimised = [
        ("CARGO_PROFILE_BENCH_OPT_LEVEL", "0"),
        ("CARGO_PROFILE_BENCH_DEBUG_ASSERTIONS", "true"),
    ];
    type Step<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let steps: [Step; 6] = [
        (&["bench", "-p", "ad-tests", "--bench", "linalg"], &[]),
        (&["bench", "-p", "ad-tests", "--bench", "sparse"], &[]),
        (
            &[
                "bench",
                "-p",
                "ad-tests",
                "--features",
                "peers",
                "--bench",
                "peers",
            ],
            &[],
        ),
        (&["bench", "-p", "ad-macros", "--bench", "expand"], &[]),
        (
            &["bench", "-p", "ad-macros", "--bench", "expand"],
            &unoptimised,
        ),
        (
            &[
                "run",
                "-p",
                "ad-tests",
                "--release",
                "--example",
                "compile_cost",
            ],
            &[],
        ),
    ];
    for (args, env) in steps {
        let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("==> {} cargo {}", shown.join(" "), args.join(" "));
        let status = std::process::Command::new(&cargo)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(root)
            .status()?;
        if !status.success() {
            return Err(format!("`cargo {}` failed", args.join(" ")).into());
        }
    }
    Ok(())
}

/// The markers around the nalgebra section of `docs/benchmarks.md`.
const LINALG_BEGIN: &str = "<!-- linalg: written by bench_report from the linalg benchmark -->";
const LINALG_END: &str = "<!-- /linalg -->";

/// `md` with its nalgebra section (between the markers, or appended) written from the results
/// of `cargo bench -p ad-tests --bench linalg`.
fn with_linalg(md: &str, criterion: &Path) -> String {
    let t = |group: &str, id: &str| median_ns(&criterion.join(group).join(id));
    let rows = [
        (
            "0.5 ‖A x - b‖², 200 x 200 `DMatrix`, gradient in x",
            "least_squares_200",
            "grad_x",
            "hand_x",
        ),
        (
            "0.5 ‖A x - b‖², 200 x 200 `DMatrix`, gradient in (A, x, b)",
            "least_squares_200",
            "grad_all",
            "hand_all",
        ),
        (
            "Σ ‖R p + t - q‖², 100 pairs of `Vector3`, gradient in (R, t)",
            "alignment_100",
            "grad",
            "hand",
        ),
    ];
    let mut out = format!(
        "{LINALG_BEGIN}\n## nalgebra\n\n`cargo bench -p ad-tests --bench linalg`: ours against the gradient \
         an engineer writes with nalgebra (`r = A x - b`, then `Aᵀ r` by `tr_mul_to`, `r xᵀ` by \
         `ger`; for the alignment, `2 e pᵀ` and `2 e` in the primal's loop), both checked equal \
         before timing. Medians of one run.\n\n| function | primal | hand-written | ours | ours / \
         hand-written | ours / primal |\n|---|---:|---:|---:|---:|---:|\n"
    );
    for (title, group, ours, hand) in rows {
        let (p, h, o) = (t(group, "primal"), t(group, hand), t(group, ours));
        let _ = writeln!(
            out,
            "| {title} | {} | {} | {} | {} | {} |",
            time_or_dash(p),
            time_or_dash(h),
            time_or_dash(o),
            ratio_or_dash(o, h),
            ratio_or_dash(o, p)
        );
    }
    with_section(md, LINALG_BEGIN, LINALG_END, out)
}

/// A median time, or `-` when it was not measured.
fn time_or_dash(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), time)
}

/// `a / b` as a ratio, or `-` when either was not measured.
fn ratio_or_dash(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => ratio(a / b),
        _ => "-".to_owned(),
    }
}

/// `md` with the section `body` (starting with `begin`) between the markers `begin` and `end`;
/// without them, after the nalgebra section (the GradBench section stays the file's last part),
/// or appended.
fn with_section(md: &str, begin: &str, end: &str, mut body: String) -> String {
    body.push_str(end);
    body.push('\n');
    match (md.find(begin), md.find(end), md.find(LINALG_END)) {
        (Some(a), Some(b), _) => format!("{}{body}{}", &md[..a], &md[b + end.len() + 1..]),
        (_, _, Some(l)) if begin != LINALG_BEGIN => {
            let at = l + LINALG_END.len() + 1;
            format!("{}\n{body}{}", &md[..at], &md[at..])
        }
        _ => format!("{md}\n{body}"),
    }
}

/// The markers around the sparse section of `docs/benchmarks.md`.
const SPARSE_BEGIN: &str = "<!-- sparse: written by bench_report from the sparse benchmark -->";
const SPARSE_END: &str = "<!-- /sparse -->";

/// `md` with its sparse section written from the results of `cargo bench -p ad-tests --bench
/// sparse`: each sparse derivative against the dense one of the same function.
fn with_sparse(md: &str, criterion: &Path) -> String {
    let t = |group: &str, id: &str| median_ns(&criterion.join(group).join(id));
    // (what, group, the sparse id, the dense id, the scale: the primal or the gradient)
    let rows = [
        (
            "Jacobian of a 1-D heat equation residual, n = 1000 (tridiagonal: 3 colours, one \
             pass of 4 lanes), against `_jacfwd` (250 passes of 4 lanes)",
            "tridiagonal_1000",
            "sparse",
            "dense_jacfwd",
            "primal",
        ),
        (
            "the same, against 1000 one-lane forward passes",
            "tridiagonal_1000",
            "sparse",
            "dense_1_lane",
            "primal",
        ),
        (
            "the same pattern's detection and colouring (`_sparsity`, once)",
            "tridiagonal_1000",
            "detect",
            "dense_jacfwd",
            "primal",
        ),
        (
            "Hessian of the extended Rosenbrock function, n = 1000 (tridiagonal: 3 products), \
             against `_hessian` (1000 products)",
            "rosenbrock_hessian_1000",
            "sparse",
            "dense",
            "grad",
        ),
        (
            "arrowhead Hessian, n = 1000 (star colouring: 2 products), against `_hessian`",
            "hub_hessian_1000",
            "sparse",
            "dense",
            "grad",
        ),
    ];
    let mut out = format!(
        "{SPARSE_BEGIN}\n## Sparse Jacobians and Hessians\n\n`cargo bench -p ad-tests --bench \
         sparse`: each sparse derivative (CSR) checked equal to the dense one before timing. \
         Medians of one run; the last column divides by the primal for a Jacobian and by the \
         gradient for a Hessian.\n\n| derivative | sparse | dense | dense / sparse | sparse / \
         primal or gradient |\n|---|---:|---:|---:|---:|\n"
    );
    for (title, group, sparse, dense, scale) in rows {
        let (s, d, p) = (t(group, sparse), t(group, dense), t(group, scale));
        let _ = writeln!(
            out,
            "| {title} | {} | {} | {} | {} |",
            time_or_dash(s),
            time_or_dash(d),
            ratio_or_dash(d, s),
            ratio_or_dash(s, p)
        );
    }
    with_section(md, SPARSE_BEGIN, SPARSE_END, out)
}

/// `md` followed by the GradBench section of `old` (written by the `gradbench_report` example
/// from its own, much longer, run) and the commentary after it, when `old` has one: the
/// section is the last part of the file.
fn keep_gradbench(md: &str, old: &str) -> String {
    const BEGIN: &str = "<!-- gradbench: written by gradbench_report -->";
    match old.find(BEGIN) {
        Some(a) => format!("{md}\n{}", &old[a..]),
        None => md.to_owned(),
    }
}

/// One function of the peers benchmark, with its median times (ns) in column order.
struct Case {
    group: String,
    title: String,
    inputs: usize,
    cannot: BTreeMap<String, String>,
    times: Vec<Option<f64>>,
}

impl Case {
    fn time(&self, columns: &[(String, String)], id: &str) -> Option<f64> {
        let i = columns.iter().position(|(c, _)| c == id)?;
        self.times[i]
    }

    /// The fastest peer: (column id, time).
    fn fastest_peer(&self, columns: &[(String, String)]) -> Option<(String, f64)> {
        columns
            .iter()
            .zip(&self.times)
            .filter(|((id, _), _)| !OURS.contains(&id.as_str()))
            .filter_map(|((id, _), t)| t.map(|t| (id.clone(), t)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// A short name for the chart.
    fn short(&self) -> String {
        let g = self.group.trim_start_matches("peers_");
        match g.strip_prefix("rosenbrock_") {
            Some(n) => format!("Rosenbrock {n}"),
            None if g == "mlp" => format!("MLP ({})", self.inputs),
            None if g == "recurrence" => "recurrence 1000".into(),
            None if g == "lsq" => "least squares 10 000".into(),
            None if g == "f" => "f(x, y)".into(),
            None => g.into(),
        }
    }
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The median of a criterion benchmark, in nanoseconds, if it was run.
fn median_ns(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("new/estimates.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// The cell of `column` in `case`: `num / den`, or why there is none.
fn cell(case: &Case, column: &str, num: Option<f64>, den: Option<f64>) -> String {
    if let Some(why) = case.cannot.get(column) {
        return format!("cannot express ({why})");
    }
    match (num, den) {
        (Some(a), Some(b)) => ratio(a / b),
        _ => "not measured".into(),
    }
}

fn report(
    root: &Path,
    target: &Path,
    columns: &[(String, String)],
    cases: &[Case],
) -> Result<String, Box<dyn Error>> {
    let mut md = String::new();
    let peers: Vec<&(String, String)> = columns
        .iter()
        .filter(|(id, _)| !OURS.contains(&id.as_str()))
        .collect();
    let versions = lock_versions(&root.join("Cargo.lock"));

    writeln!(md, "# Benchmarks\n")?;
    writeln!(
        md,
        "Generated by `cargo run -p ad-tests --release --example bench_report -- --run`, which \
         runs `cargo bench -p ad-tests --features peers --bench peers`, `cargo bench -p \
         ad-macros --bench expand` (optimised, then as cargo builds proc macros) and `cargo run \
         -p ad-tests --release --example compile_cost`, then writes this file and \
         [benchmarks.svg](benchmarks.svg) from their results. Do not edit by hand: rerun it.\n"
    )?;
    writeln!(md, "{}\n", machine_line())?;
    writeln!(
        md,
        "Every time is criterion's median over one run (release profile, 1 s of measurement per \
         benchmark), all columns of a table in the same run on the same inputs. Before timing, \
         each peer's gradient is checked against ours (1e-9 relative), so every column \
         computes the same value and gradient. What each column runs:\n"
    )?;
    for (id, label) in columns {
        writeln!(md, "- **{label}** (`{id}`): {}", describe(id, &versions))?;
    }
    writeln!(md)?;
    let cannot: Vec<String> = cases
        .iter()
        .flat_map(|c| {
            c.cannot
                .iter()
                .map(|(id, why)| format!("{} on {} ({why})", label_of(columns, id), c.title))
        })
        .collect();
    if cannot.is_empty() {
        writeln!(
            md,
            "Every peer expressed every function (a function a peer could not express would \
             show *cannot express* in its cells, not be left out).\n"
        )?;
    } else {
        writeln!(md, "Cannot express: {}.\n", cannot.join("; "))?;
    }
    writeln!(
        md,
        "Times vary by a few percent from run to run (more on a machine doing other work); \
         compare ratios within one run.\n"
    )?;

    // The summary: ratios.
    writeln!(md, "## Ratios\n")?;
    writeln!(
        md,
        "`ours` is our `_grad`. A ratio `peer / ours` above 1 means the peer is slower.\n"
    )?;
    let mut head = "| function | n | ours / primal | ours / hand-written | our `_tangent` / ours |"
        .to_string();
    let mut rule = "|---|---:|---:|---:|---:|".to_string();
    for (_, label) in &peers {
        write!(head, " {label} / ours |")?;
        rule.push_str("---:|");
    }
    head.push_str(" fastest peer / ours |");
    rule.push_str("---:|");
    writeln!(md, "{head}\n{rule}")?;
    for case in cases {
        let ours = case.time(columns, "ours_grad");
        let mut row = format!(
            "| {} | {} | {} | {} | {} |",
            case.title,
            case.inputs,
            cell(case, "ours_grad", ours, case.time(columns, "primal")),
            cell(case, "ours_grad", ours, case.time(columns, "hand")),
            cell(
                case,
                "ours_tangent",
                case.time(columns, "ours_tangent"),
                ours
            ),
        );
        for (id, _) in &peers {
            write!(row, " {} |", cell(case, id, case.time(columns, id), ours))?;
        }
        match case.fastest_peer(columns) {
            Some((id, t)) => write!(
                row,
                " {} ({}) |",
                cell(case, &id, Some(t), ours),
                label_of(columns, &id)
            )?,
            None => row.push_str(" none measured |"),
        }
        writeln!(md, "{row}")?;
    }
    writeln!(md)?;
    writeln!(
        md,
        "![gradient time relative to the primal, per function and method](benchmarks.svg)\n"
    )?;

    // The goals.
    writeln!(md, "## The goals of issue 18\n")?;
    writeln!(
        md,
        "`_grad` at most {HAND_GOAL}× the tuned hand-written gradient, and faster than every \
         peer, on every row:\n"
    )?;
    writeln!(
        md,
        "| function | n | ours / hand-written | ≤ {HAND_GOAL}× | fastest peer / ours | > {PEER_GOAL}× |"
    )?;
    writeln!(md, "|---|---:|---:|:-:|---:|:-:|")?;
    let mut all_met = true;
    for case in cases {
        let ours = case.time(columns, "ours_grad");
        let hand = case.time(columns, "hand");
        let peer = case.fastest_peer(columns);
        let (hand_ratio, hand_ok) = match (ours, hand) {
            (Some(o), Some(h)) => (ratio(o / h), o / h <= HAND_GOAL),
            _ => ("not measured".into(), false),
        };
        let (peer_ratio, peer_ok) = match (ours, &peer) {
            (Some(o), Some((id, t))) => (
                format!("{} ({})", ratio(t / o), label_of(columns, id)),
                t / o > PEER_GOAL,
            ),
            _ => ("not measured".into(), false),
        };
        all_met &= hand_ok && peer_ok;
        writeln!(
            md,
            "| {} | {} | {hand_ratio} | {} | {peer_ratio} | {} |",
            case.title,
            case.inputs,
            yes_no(hand_ok),
            yes_no(peer_ok)
        )?;
    }
    writeln!(
        md,
        "\n**{}**\n",
        if all_met {
            "All goals met in this run."
        } else {
            "Not all goals are met in this run: see the rows marked no."
        }
    )?;

    // Absolute times.
    writeln!(md, "## Times\n")?;
    for case in cases {
        let ours = case.time(columns, "ours_grad");
        let primal = case.time(columns, "primal");
        writeln!(md, "### {} ({} inputs)\n", case.title, case.inputs)?;
        writeln!(md, "| method | median time | / primal | / ours |")?;
        writeln!(md, "|---|---:|---:|---:|")?;
        for ((id, label), t) in columns.iter().zip(&case.times) {
            let shown = match (case.cannot.get(id), t) {
                (Some(why), _) => format!("cannot express ({why})"),
                (None, Some(t)) => time(*t),
                (None, None) => "not measured".into(),
            };
            writeln!(
                md,
                "| {label} | {shown} | {} | {} |",
                cell(case, id, *t, primal),
                cell(case, id, *t, ours)
            )?;
        }
        writeln!(md)?;
    }

    macro_cost(&mut md, target)?;
    Ok(md)
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "no" }
}

fn label_of(columns: &[(String, String)], id: &str) -> String {
    columns
        .iter()
        .find(|(c, _)| c == id)
        .map(|(_, l)| l.clone())
        .unwrap_or_else(|| id.to_string())
}

/// What a column runs, with the peer's version.
fn describe(id: &str, versions: &BTreeMap<String, String>) -> String {
    let v = |name: &str| {
        versions
            .get(name)
            .map(|v| format!("{name} {v}"))
            .unwrap_or_else(|| format!("{name} (version unknown)"))
    };
    match id {
        "primal" => "the function itself, no derivative".into(),
        "hand" => "the gradient an expert writes by hand: in the primal's one pass where \
                   possible (Rosenbrock fused, least squares with its sums in registers), the \
                   MLP's backpropagation storing the hidden activations once, the recurrence's \
                   two forward sensitivities with `sin_cos`"
            .into(),
        "ours_grad" => "our `NAME_grad` (`#[derive_grad]`): reverse mode, or vector forward mode \
                        with one lane per input where the mode-choice rule picks it (the \
                        recurrence: two inputs by value, a reverse sweep that stores)"
            .into(),
        "ours_tangent" => "our forward mode, `NAME_tangent` (`#[derive_tangent]`), once per \
                           input along each unit vector: the full gradient in n passes"
            .into(),
        "num_dual" => format!(
            "{}: `num_dual::gradient`, one pass with dual numbers that carry all n partials \
             (statically sized `DualSVec64<n>` for n ≤ 100, `DualDVec64` above)",
            v("num-dual")
        ),
        "autodiff" => format!(
            "{}: `autodiff::grad`, forward mode with one dual number per pass (n passes)",
            v("autodiff")
        ),
        "ad_trait_forward" => format!(
            "{}: `FunctionEngine` with `ForwardAD` (`adfn<1>`, n passes)",
            v("ad_trait")
        ),
        "ad_trait_reverse" => format!(
            "{}: `FunctionEngine` with `ReverseAD` (`adr`, a global computation graph)",
            v("ad_trait")
        ),
        "reverse" => format!(
            "{}: a `Tape` of `Var`s (cleared, not reallocated, between calls), then \
             `grad().wrt(..)`",
            v("reverse")
        ),
        _ => String::new(),
    }
}

/// The versions of the peer crates in `Cargo.lock`.
fn lock_versions(lock: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let mut out = BTreeMap::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && PEER_CRATES.contains(&n.as_str())
        {
            // Several versions of one crate may be locked (as dependencies of others): the
            // newest is the one the benchmark names in the workspace.
            let v = v.trim_matches('"').to_string();
            let newer = out
                .get(&n)
                .is_none_or(|old: &String| version_key(&v) > version_key(old));
            if newer {
                out.insert(n, v);
            }
        }
    }
    out
}

fn version_key(v: &str) -> Vec<u64> {
    v.split(['.', '-', '+'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// "Measured on <cpu> (<cores> cores), <os>, <date>, <rustc>".
fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let os = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|r| format!("Linux {}", r.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (version unknown)".into());
    format!(
        "Measured on {cpu} ({cores} cores), {os}, on {} (UTC), with {rustc}.",
        today()
    )
}

/// Today's date, `YYYY-MM-DD`, in UTC.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The macro's own cost: expansion time and compile time, where measured.
fn macro_cost(md: &mut String, target: &Path) -> Result<(), Box<dyn Error>> {
    writeln!(md, "## What the macro costs at compile time\n")?;
    writeln!(md, "### Expansion\n")?;
    let optimised = target.join("criterion/expand_1000");
    let unoptimised = target.join("criterion/expand_1000_unoptimized");
    let runs: Vec<(&str, Option<f64>, Option<f64>)> = [
        ("straight_tangent", "straight-line, `#[derive_tangent]`"),
        ("straight_grad", "straight-line, `#[derive_grad]`"),
        ("loop_tangent", "in a `for` loop, `#[derive_tangent]`"),
        ("loop_grad", "in a `for` loop, `#[derive_grad]`"),
    ]
    .iter()
    .map(|(id, label)| {
        let (a, b) = (
            median_ns(&optimised.join(id)),
            median_ns(&unoptimised.join(id)),
        );
        (*label, a, b)
    })
    .collect();
    if runs.iter().all(|(_, a, b)| a.is_none() && b.is_none()) {
        writeln!(
            md,
            "Not measured in this run: `cargo bench -p ad-macros --bench expand`, then rerun \
             the report.\n"
        )?;
    } else {
        writeln!(
            md,
            "The macro's whole pipeline (parse, lower, analyse, transform, emit, and the doc \
             comment's pretty-printed code) on a generated function of 1000 statements, from \
             `cargo bench -p ad-macros --bench expand` (goal: under {EXPAND_GOAL} s). Cargo \
             builds proc macros without optimisation by default, in debug and release builds \
             alike, so the column *as cargo builds it* (the same benchmark with \
             `CARGO_PROFILE_BENCH_OPT_LEVEL=0 CARGO_PROFILE_BENCH_DEBUG_ASSERTIONS=true`) is \
             what a user's build pays; *optimised* is what it pays with \
             `[profile.dev.build-override] opt-level = 3`. The benchmark drives the pipeline over \
             `proc_macro2`'s own token implementation, compiled like the rest, where rustc \
             serves tokens from its own optimised code, so the unoptimised column somewhat \
             overstates what a build spends expanding; the compile-time table below is the \
             whole cost as a build pays it.\n"
        )?;
        writeln!(
            md,
            "| 1000 statements | optimised | as cargo builds it (opt-level 0) | under {EXPAND_GOAL} s |"
        )?;
        writeln!(md, "|---|---:|---:|:-:|")?;
        for (label, a, b) in runs {
            let show = |t: Option<f64>| t.map(time).unwrap_or_else(|| "not measured".into());
            let goal = match (a, b) {
                (_, Some(t)) | (Some(t), None) => yes_no(t < EXPAND_GOAL * 1e9),
                (None, None) => "",
            };
            writeln!(md, "| {label} | {} | {} | {goal} |", show(a), show(b))?;
        }
        writeln!(
            md,
            "\n(The goal column judges the unoptimised time where it was measured.)\n"
        )?;
    }

    writeln!(md, "### Compile time\n")?;
    let path = target.join("compile_cost/results.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        writeln!(
            md,
            "Not measured in this run: `cargo run -p ad-tests --release --example compile_cost`, \
             then rerun the report.\n"
        )?;
        return Ok(());
    };
    let v: Value = serde_json::from_str(&text)?;
    writeln!(
        md,
        "`cargo build` of a crate holding one generated 1000-statement function, as written \
         (primal) and with `#[derive_tangent]` and `#[derive_grad]` on it (which adds \
         `_tangent`, `_vjp`, `_grad` and the call companions), from `cargo run -p ad-tests \
         --release --example compile_cost`. Only the crate itself is rebuilt, from scratch \
         (its dependencies are built once before; no incremental compilation); each time is \
         the median of {} builds.\n",
        v["repeats"].as_u64().unwrap_or(0)
    )?;
    writeln!(
        md,
        "| function | profile | primal | with both macros | ratio | compiles with rustc's default stack |"
    )?;
    writeln!(md, "|---|---|---:|---:|---:|:-:|")?;
    let mut overflow = false;
    for r in v["results"].as_array().into_iter().flatten() {
        let (p, d) = (
            r["primal_s"].as_f64().unwrap_or(f64::NAN),
            r["derived_s"].as_f64().unwrap_or(f64::NAN),
        );
        let stack = |key: &str| r[key].as_bool().unwrap_or(true);
        let (sp, sd) = (
            stack("primal_default_stack"),
            stack("derived_default_stack"),
        );
        overflow |= !(sp && sd);
        let shown = match (sp, sd) {
            (true, true) => "yes".to_string(),
            (true, false) => "**no**: the derivative overflows it".to_string(),
            (false, _) => "**no**: even the primal overflows it".to_string(),
        };
        writeln!(
            md,
            "| {} | {} | {:.2} s | {:.2} s | {} | {shown} |",
            str_of(&r["shape"]),
            str_of(&r["profile"]),
            p,
            d,
            ratio(d / p)
        )?;
    }
    writeln!(md)?;
    if overflow {
        writeln!(
            md,
            "Where rustc's default stack (8 MiB) overflows: a function of thousands of `let`s \
             nests as many lexical scopes in its debug info, and LLVM recurses once per scope \
             when it writes them (`DwarfCompileUnit::createAndAddScopeChildren`). The \
             derivatives of a 1000-statement function hold several thousand `let`s, so with full \
             debug info (the dev profile) rustc overflows; the timed builds above ran with \
             `RUST_MIN_STACK=268435456`, and so must a user's debug build of such a function, \
             or build it without debug info (`debug = false`; `\"line-tables-only\"` still \
             overflows).\n"
        )?;
    }
    writeln!(md)?;
    Ok(())
}

/// The bar chart: each method's time relative to the primal, per function, on a log scale.
fn chart(path: &Path, columns: &[(String, String)], cases: &[Case]) -> Result<(), Box<dyn Error>> {
    let names: Vec<String> = cases.iter().map(Case::short).collect();
    let groups: Vec<&str> = names.iter().map(String::as_str).collect();
    let series: Vec<(&str, Vec<Option<f64>>)> = columns
        .iter()
        .enumerate()
        .filter(|(_, (id, _))| id != "primal")
        .map(|(i, (id, label))| {
            let values = cases
                .iter()
                .map(|c| {
                    if c.cannot.contains_key(id) {
                        return None;
                    }
                    Some(c.times[i]? / c.time(columns, "primal")?)
                })
                .collect();
            (label.as_str(), values)
        })
        .collect();
    // Markdown code marks mean nothing in SVG.
    let series: Vec<(String, Vec<Option<f64>>)> = series
        .into_iter()
        .map(|(l, v)| (l.replace('`', ""), v))
        .collect();
    let series: Vec<(&str, Vec<Option<f64>>)> = series
        .iter()
        .map(|(l, v)| (l.as_str(), v.clone()))
        .collect();
    ad_tests::plot::grouped_bars(
        path,
        "Gradient time / primal time (log scale, lower is better)",
        "time / primal",
        &groups,
        &series,
        true,
    )
}
