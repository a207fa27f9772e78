//! One module per GradBench eval.

pub mod hello;
