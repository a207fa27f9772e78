//! One module per GradBench eval.

pub mod ba;
pub mod hello;
pub mod ht;
