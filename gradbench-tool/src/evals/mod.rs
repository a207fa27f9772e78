//! One module per GradBench eval.

pub mod ba;
pub mod det;
pub mod gd;
pub mod gmm;
pub mod hello;
pub mod ht;
pub mod kmeans;
pub mod llsq;
pub mod lse;
pub mod lstm;
pub mod ode;
pub mod particle;
pub mod saddle;

/// Why a nested variant of particle or saddle other than `fr` is not offered: the error `run`
/// answers for `rr`, `rf` and `ff` (`None` for any other name).
///
/// ```
/// let why = ad_gradbench::evals::not_offered("particle", "rr").unwrap();
/// assert!(why.contains("reverse over reverse"));
/// assert!(ad_gradbench::evals::not_offered("saddle", "fr").is_none());
/// ```
pub fn not_offered(eval: &str, variant: &str) -> Option<String> {
    let nesting = match variant {
        "rr" => "reverse over reverse",
        "rf" => "reverse over forward",
        "ff" => "forward over forward",
        _ => return None,
    };
    Some(format!(
        "{eval} `{variant}` needs {nesting}; our macros write second derivatives only as \
         forward over reverse (`_hvp`), and a generated `_grad`/`_tangent` cannot be called \
         inside an annotated function, so this variant is not offered"
    ))
}
