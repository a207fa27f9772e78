//! One module per GradBench eval.

pub mod det;
pub mod hello;
pub mod llsq;
pub mod ode;
