//! Runs GradBench's evals against our tool (`ad-gradbench`) and the hand-written C++ reference
//! (`manual`) in one go, and writes the comparison: `docs/gradbench.md` (every workload),
//! `docs/gradbench.svg` (the chart) and the GradBench section of `docs/benchmarks.md`.
//!
//! Needs a local GradBench built by `../shared/gradbench/setup.sh` (default `/tmp/gradbench`, or
//! `--gradbench DIR`). Builds `ad-gradbench` in release first.
//!
//! ```text
//! cargo run --release -p ad-tests --example gradbench_report -- [--gradbench DIR]
//!     [--evals gmm,ba,...] [--min-seconds S] [--quick]
//! ```
//!
//! For each eval and tool it runs `gradbench run`, streams its line per evaluation as progress,
//! and reads the log: how many evaluations the eval judged valid, and per workload the fastest
//! run of the primal and of the derivative. The ratio GradBench reports is derivative time /
//! primal time of the same tool; the table also gives our derivative time / manual's.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The evals in report order, with the arguments of a full run and of a `--quick` one. The full
/// run is GradBench's default sizes except ba (up to ba10: ba11..14 take minutes per evaluation
/// to read), ht (hand12's data file is not in the snapshot) and det (up to ell = 10: 11 costs
/// eleven times as much).
const EVALS: [(&str, &str, &str); 11] = [
    ("gmm", "", "-d 2 10 -k 5 10 -n 1000"),
    ("ba", "--max 10", "--max 3"),
    ("ht", "--max 11", "--max 3"),
    ("lstm", "", "-l 2 -c 1024"),
    ("kmeans", "", "-k 10 100 -n 1000 -d 8"),
    ("llsq", "", "-n 16 128 1024"),
    ("lse", "", ""),
    ("ode", "", "-n 1000 -s 1 10"),
    ("det", "-l 5 6 7 8 9 10", "-l 5 6 7 8"),
    ("particle", "", ""),
    ("saddle", "", ""),
];

/// The function names GradBench treats as the primal of an eval (the rest are derivatives).
const PRIMAL: [&str; 3] = ["objective", "primal", "cost"];

/// Published tools shown beside ours (their figures come from GradBench's nightly run).
const PUBLISHED: [&str; 4] = ["manual", "tapenade", "enzyme", "jax"];

const BEGIN: &str = "<!-- gradbench: written by gradbench_report -->";
const END: &str = "<!-- /gradbench -->";

/// One tool's run of one eval, read from its log.
#[derive(Default)]
struct Run {
    evaluations: usize,
    valid: usize,
    invalid: usize,
    failed: usize,
    defined: bool,
    /// Workload -> function -> fastest evaluate time (seconds).
    times: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Run {
    /// Workload -> (primal seconds, slowest derivative seconds), for workloads that have both.
    fn pairs(&self) -> BTreeMap<String, (f64, f64)> {
        self.times
            .iter()
            .filter_map(|(w, fs)| {
                let p = PRIMAL.iter().find_map(|k| fs.get(*k)).copied()?;
                let d = fs
                    .iter()
                    .filter(|(k, _)| !PRIMAL.contains(&k.as_str()))
                    .map(|(_, v)| *v)
                    .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))?;
                Some((w.clone(), (p, d)))
            })
            .collect()
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut gradbench = PathBuf::from("/tmp/gradbench");
    let mut only: Option<Vec<String>> = None;
    let mut min_seconds = "0.5".to_owned();
    let mut quick = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gradbench" => gradbench = args.next().ok_or("--gradbench needs a dir")?.into(),
            "--evals" => {
                let list = args.next().ok_or("--evals needs a list")?;
                only = Some(list.split(',').map(str::to_owned).collect());
            }
            "--min-seconds" => min_seconds = args.next().ok_or("--min-seconds needs S")?,
            "--quick" => quick = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if !gradbench
        .join("target/release-with-debug/gradbench")
        .exists()
    {
        return Err(format!(
            "no GradBench built at {}: run ../shared/gradbench/setup.sh first",
            gradbench.display()
        )
        .into());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--release", "-p", "ad-gradbench"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        return Err("building ad-gradbench failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let ours = std::fs::canonicalize(target.join("release/ad-gradbench"))?;
    let tools = [
        ("ad", ours.display().to_string()),
        (
            "manual",
            "python3 python/gradbench/gradbench/cpp.py manual".to_owned(),
        ),
    ];

    let mut results: Vec<(&str, String, Run, Run)> = Vec::new();
    for (eval, full, small) in EVALS {
        if only.as_ref().is_some_and(|o| !o.iter().any(|e| e == eval)) {
            continue;
        }
        let args = format!(
            "{} --min-seconds {min_seconds}",
            if quick { small } else { full }
        );
        let mut runs = tools.iter().map(|(name, command)| {
            println!("== {eval} with {name} ({args})");
            run_eval(&gradbench, eval, name, command, &args)
        });
        let a = runs.next().ok_or("no tool")??;
        let m = runs.next().ok_or("no tool")??;
        println!(
            "== {eval}: ours {}/{} valid, manual {}/{} valid",
            a.valid, a.evaluations, m.valid, m.evaluations
        );
        results.push((eval, args, a, m));
    }

    let published = published(&root)?;
    let docs = root.join("docs");
    std::fs::write(docs.join("gradbench.md"), detail(&results))?;
    chart(&docs.join("gradbench.svg"), &results, &published)?;
    let path = docs.join("benchmarks.md");
    let md = std::fs::read_to_string(&path)?;
    let section = summary(&results, &published);
    let md = match (md.find(BEGIN), md.find(END)) {
        (Some(a), Some(b)) => format!("{}{section}{}", &md[..a], &md[b + END.len() + 1..]),
        _ => format!("{md}\n{section}"),
    };
    std::fs::write(&path, md)?;
    println!(
        "wrote docs/gradbench.md, docs/gradbench.svg and the GradBench section of docs/benchmarks.md"
    );
    Ok(())
}

/// Runs one eval against one tool, printing GradBench's line per evaluation, and reads the log.
fn run_eval(
    dir: &Path,
    eval: &str,
    name: &str,
    tool: &str,
    args: &str,
) -> Result<Run, Box<dyn Error>> {
    std::fs::create_dir_all(dir.join("run"))?;
    let log = dir.join(format!("run/{eval}-{name}.jsonl"));
    let mut child = Command::new(dir.join("target/release-with-debug/gradbench"))
        .args(["run", "--timeout", "1200", "--eval"])
        .arg(format!(
            ".venv/bin/python python/gradbench/gradbench/evals/{eval}/run.py {args}"
        ))
        .args(["--tool", tool, "-o"])
        .arg(&log)
        .env("PYTHONPATH", "python/gradbench")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line?;
            if line.contains("eval ") {
                println!("  {name:6} {}", line.trim());
            }
        }
    }
    child.wait()?;
    read_log(&log)
}

/// Reads a `gradbench run` log (JSON Lines of messages and responses).
fn read_log(path: &Path) -> Result<Run, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut messages = BTreeMap::new();
    let mut responses = BTreeMap::new();
    for line in text.lines() {
        let j: Value = serde_json::from_str(line)?;
        if let Some(m) = j.get("message") {
            messages.insert(m["id"].as_u64().unwrap_or(0), m.clone());
        } else if let Some(r) = j.get("response") {
            responses.insert(r["id"].as_u64().unwrap_or(0), r.clone());
        }
    }
    let mut run = Run::default();
    for (id, m) in &messages {
        let response = responses.get(id);
        match m["kind"].as_str() {
            Some("define") => run.defined = response.is_some_and(|r| r["success"] == true),
            Some("analysis") if m["valid"] == true => run.valid += 1,
            Some("analysis") => run.invalid += 1,
            Some("evaluate") => {
                run.evaluations += 1;
                let Some(r) = response.filter(|r| r["success"] == true) else {
                    run.failed += 1;
                    continue;
                };
                let best = r["timings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|t| t["name"] == "evaluate")
                    .filter_map(|t| t["nanoseconds"].as_f64())
                    .fold(f64::INFINITY, f64::min);
                if best.is_finite() {
                    let workload = m["description"].as_str().unwrap_or("").to_owned();
                    let function = m["function"].as_str().unwrap_or("").to_owned();
                    run.times
                        .entry(workload)
                        .or_default()
                        .insert(function, best * 1e-9);
                }
            }
            _ => {}
        }
    }
    Ok(run)
}

/// The geometric mean of `values` (`None` when empty).
fn geomean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v.ln(), n + 1));
    (n > 0).then(|| (sum / n as f64).exp())
}

/// Per eval: (ours d/p, manual d/p, ours derivative / manual derivative), geometric means over
/// the workloads both tools ran.
fn ratios(a: &Run, m: &Run) -> (Option<f64>, Option<f64>, Option<f64>) {
    let (pa, pm) = (a.pairs(), m.pairs());
    // (ours (primal, derivative), manual's) per workload both ran.
    let common: Vec<_> = pa
        .iter()
        .filter_map(|(w, x)| Some((*x, *pm.get(w)?)))
        .collect();
    (
        geomean(common.iter().map(|(x, _)| x.1 / x.0)),
        geomean(common.iter().map(|(_, y)| y.1 / y.0)),
        geomean(common.iter().map(|(x, y)| x.1 / y.1)),
    )
}

/// Published geometric-mean ratios: eval -> tool -> ratio (from `../shared/gradbench/published`).
fn published(root: &Path) -> Result<BTreeMap<String, BTreeMap<String, f64>>, Box<dyn Error>> {
    let dir = root.join("../shared/gradbench/published/evals");
    let mut out = BTreeMap::new();
    for (eval, _, _) in EVALS {
        let Ok(text) = std::fs::read_to_string(dir.join(eval).join("summary.json")) else {
            continue;
        };
        let s: Value = serde_json::from_str(&text)?;
        // Each workload holds the tool's `primal` and `derivative` times (the eval names them in
        // the summary's top-level `primal` and `derivative` fields).
        let secs = |v: &Value| {
            v["secs"].as_f64().unwrap_or(0.0) + v["nanos"].as_f64().unwrap_or(0.0) * 1e-9
        };
        let mut tools = BTreeMap::new();
        for tool in PUBLISHED {
            let ratio = geomean(
                s["tools"][tool]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(_, w)| Some((secs(w.get("primal")?), secs(w.get("derivative")?))))
                    .filter(|(p, _)| *p > 0.0)
                    .map(|(p, d)| d / p),
            );
            if let Some(r) = ratio {
                tools.insert(tool.to_owned(), r);
            }
        }
        out.insert(eval.to_owned(), tools);
    }
    Ok(out)
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.2}"))
}

/// The section of `docs/benchmarks.md`: one row per eval.
fn summary(
    results: &[(&str, String, Run, Run)],
    published: &BTreeMap<String, BTreeMap<String, f64>>,
) -> String {
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l[l.find(':').map_or(0, |i| i + 2)..].to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut s = format!(
        "{BEGIN}\n## GradBench\n\nGradBench's own evals run against our tool `ad-gradbench` and the \
         hand-written C++ reference `manual`, one after the other on one machine ({machine}, {cores} \
         cores), by `cargo run --release -p ad-tests --example gradbench_report`; each eval judged \
         every output of both tools. The ratio is GradBench's: derivative time / primal time of \
         the same tool, fastest of the repeated runs, geometric mean over the workloads; \
         \"ours / manual\" divides our derivative's time by manual's. Per workload: \
         [gradbench.md](gradbench.md). The last columns are GradBench's published nightly figures \
         (2026-03-14, GitHub runners: another machine).\n\n\
         | eval | args | valid (ours) | ours | manual | ours / manual (derivative time) | published manual | tapenade | enzyme | jax |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for (eval, args, a, m) in results {
        let (ra, rm, rd) = ratios(a, m);
        let p = published.get(*eval);
        let pub_ = |t: &str| fmt(p.and_then(|p| p.get(t)).copied());
        let valid = if a.defined {
            format!("{}/{}", a.valid, a.evaluations)
        } else {
            "not defined".to_owned()
        };
        let _ = writeln!(
            s,
            "| {eval} | `{}` | {valid} | {} | {} | {} | {} | {} | {} | {} |",
            args.trim(),
            fmt(ra),
            fmt(rm),
            fmt(rd),
            pub_("manual"),
            pub_("tapenade"),
            pub_("enzyme"),
            pub_("jax")
        );
    }
    s.push_str("\n![GradBench ratios](gradbench.svg)\n");
    s.push_str(END);
    s.push('\n');
    s
}

/// `docs/gradbench.md`: every workload of every eval.
fn detail(results: &[(&str, String, Run, Run)]) -> String {
    let mut s = String::from(
        "# GradBench, per workload\n\nWritten by `cargo run --release -p ad-tests --example \
         gradbench_report`; the summary is in [benchmarks.md](benchmarks.md#gradbench). Times are the \
         fastest evaluate run, in milliseconds; ratios are derivative / primal of the same tool.\n",
    );
    for (eval, args, a, m) in results {
        let _ = write!(
            s,
            "\n## {eval}\n\n`{}`: ours {} of {} evaluations valid ({} invalid, {} failed), manual {} of {}.\n\n\
             | workload | ours primal | ours derivative | ours ratio | manual primal | manual derivative | manual ratio | ours / manual |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n",
            args.trim(),
            a.valid,
            a.evaluations,
            a.invalid,
            a.failed,
            m.valid,
            m.evaluations
        );
        let (pa, pm) = (a.pairs(), m.pairs());
        if pa.is_empty() {
            // No primal to divide by (particle, saddle): the times of what ran.
            for (w, fs) in &a.times {
                for (f, t) in fs {
                    let _ = writeln!(
                        s,
                        "| {w} ({f}, no primal) | - | {:.4} | - | - | - | - | - |",
                        t * 1e3
                    );
                }
            }
        }
        for (w, (p, d)) in pa {
            let (mp, md) = pm
                .get(&w)
                .map_or((None, None), |(p, d)| (Some(*p), Some(*d)));
            let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.4}", v * 1e3));
            let _ = writeln!(
                s,
                "| {w} | {} | {} | {:.2} | {} | {} | {} | {} |",
                ms(Some(p)),
                ms(Some(d)),
                d / p,
                ms(mp),
                ms(md),
                fmt(mp.zip(md).map(|(p, d)| d / p)),
                fmt(md.map(|md| d / md))
            );
        }
    }
    s
}

/// Grouped bars per eval: our ratio and manual's (this machine), published manual and enzyme.
fn chart(
    path: &Path,
    results: &[(&str, String, Run, Run)],
    published: &BTreeMap<String, BTreeMap<String, f64>>,
) -> Result<(), Box<dyn Error>> {
    let groups: Vec<&str> = results.iter().map(|r| r.0).collect();
    let mine: Vec<(Option<f64>, Option<f64>)> = results
        .iter()
        .map(|(_, _, a, m)| {
            let (ra, rm, _) = ratios(a, m);
            (ra, rm)
        })
        .collect();
    let from = |t: &str| -> Vec<Option<f64>> {
        groups
            .iter()
            .map(|e| published.get(*e).and_then(|p| p.get(t)).copied())
            .collect()
    };
    let series = [
        ("ours (this machine)", mine.iter().map(|r| r.0).collect()),
        ("manual (this machine)", mine.iter().map(|r| r.1).collect()),
        ("manual (published)", from("manual")),
        ("enzyme (published)", from("enzyme")),
        ("tapenade (published)", from("tapenade")),
    ];
    ad_tests::plot::grouped_bars(
        path,
        "GradBench: derivative time / primal time, geometric mean (log scale, lower is better)",
        "derivative / primal",
        &groups,
        &series,
        true,
    )
}
