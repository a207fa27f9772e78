//! One module per GradBench eval.

pub mod hello;
pub mod lstm;
