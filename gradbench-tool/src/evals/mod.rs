//! One module per GradBench eval.

pub mod gmm;
pub mod hello;
pub mod kmeans;
pub mod lse;
