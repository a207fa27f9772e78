//! One module per GradBench eval.

pub mod gd;
pub mod hello;
pub mod lstm;
pub mod particle;
pub mod saddle;
