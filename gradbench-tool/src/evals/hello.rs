//! `hello`: `square(x) = x * x`, and `double(x) = 2x` computed as the derivative of `square`.

use crate::protocol::{Runs, Timed, measure, parse};
use ad_runtime::derive_grad;
use serde_json::Value;

/// The square of `x`.
#[derive_grad]
pub fn square(x: f64) -> f64 {
    x * x
}

/// Runs `square` or `double` (the gradient of `square`) on one float.
pub fn run(function: &str, input: Value, runs: &Runs) -> Result<Timed, String> {
    let x: f64 = parse(input)?;
    let (output, nanoseconds) = match function {
        "square" => measure(runs, || square(x)),
        "double" => measure(runs, || square_grad(x).1),
        _ => return Err(format!("hello has no function `{function}`")),
    };
    Ok(Timed {
        output: output.into(),
        nanoseconds,
    })
}
