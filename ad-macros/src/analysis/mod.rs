//! Analyses of the IR: which values need derivatives.

pub mod activity;
pub mod overwritten;
