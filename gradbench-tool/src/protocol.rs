//! The GradBench protocol: one JSON object per line on stdin, one answer per line on stdout.
//!
//! The eval sends `start`, `define` (does the tool know this module?), then `evaluate` messages
//! (run a function on an input, at least `min_runs` times and until `min_seconds` have passed)
//! and `analysis` messages (the eval's verdict on an earlier output); the session ends at the end
//! of input. Each answer carries the message's `id`.

use serde_json::{Value, json};
use std::time::Instant;

/// How often an evaluation is repeated: at least `min_runs` times and until `min_seconds` of
/// evaluation time have accumulated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Runs {
    /// The fewest repetitions.
    pub min_runs: usize,
    /// The least total evaluation time, in seconds.
    pub min_seconds: f64,
}

impl Runs {
    /// One run: what the tests use.
    pub const ONCE: Runs = Runs {
        min_runs: 1,
        min_seconds: 0.0,
    };

    /// The repetition fields of an `evaluate` message's input (absent fields: one run).
    pub fn of(input: &Value) -> Runs {
        Runs {
            min_runs: input
                .get("min_runs")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1) as usize,
            min_seconds: input
                .get("min_seconds")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
        }
    }
}

/// An evaluation's result: the output JSON and the nanoseconds of each timed run.
#[derive(Debug)]
pub struct Timed {
    /// The output, in the shape the eval's reference writes.
    pub output: Value,
    /// One entry per run of the timed computation (input parsing and output conversion are
    /// outside it, as in GradBench's C++ tools).
    pub nanoseconds: Vec<u128>,
}

/// Runs `compute` as `runs` asks and returns its last result with every run's time.
pub fn measure<O>(runs: &Runs, mut compute: impl FnMut() -> O) -> (O, Vec<u128>) {
    let mut times = Vec::new();
    let mut elapsed = 0.0;
    loop {
        let start = Instant::now();
        let out = std::hint::black_box(compute());
        let ns = start.elapsed().as_nanos();
        times.push(ns);
        elapsed += ns as f64 * 1e-9;
        if times.len() >= runs.min_runs && elapsed >= runs.min_seconds {
            return (out, times);
        }
    }
}

/// Parses an eval's input into its typed form.
pub fn parse<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, String> {
    serde_json::from_value(input).map_err(|e| format!("malformed input: {e}"))
}

/// One eval: its module name and the function that runs `function` on `input`.
pub struct Eval {
    /// The module name the eval sends in `define`.
    pub module: &'static str,
    /// Runs a function of the module; `Err` for an unknown function or a malformed input.
    pub run: fn(function: &str, input: Value, runs: &Runs) -> Result<Timed, String>,
}

/// Answers one protocol message; `None` for a message that needs no answer.
pub fn answer(evals: &[Eval], message: &Value) -> Value {
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let kind = message.get("kind").and_then(Value::as_str).unwrap_or("");
    let module = message.get("module").and_then(Value::as_str).unwrap_or("");
    let find = || evals.iter().find(|e| e.module == module);
    match kind {
        "start" => json!({ "id": id, "tool": "ad" }),
        "define" => json!({ "id": id, "success": find().is_some() }),
        "evaluate" => {
            let function = message
                .get("function")
                .and_then(Value::as_str)
                .unwrap_or("");
            let input = message.get("input").cloned().unwrap_or(Value::Null);
            let runs = Runs::of(&input);
            let result = match find() {
                Some(eval) => (eval.run)(function, input, &runs),
                None => Err(format!("module `{module}` is not defined")),
            };
            match result {
                Ok(timed) => {
                    let timings: Vec<Value> = timed
                        .nanoseconds
                        .iter()
                        .map(|ns| json!({ "name": "evaluate", "nanoseconds": ns }))
                        .collect();
                    json!({ "id": id, "success": true, "output": timed.output, "timings": timings })
                }
                Err(error) => json!({ "id": id, "success": false, "error": error }),
            }
        }
        _ => json!({ "id": id }),
    }
}
