//! One module per GradBench eval.

pub mod det;
pub mod gd;
pub mod hello;
pub mod llsq;
pub mod lstm;
pub mod ode;
pub mod particle;
pub mod saddle;
