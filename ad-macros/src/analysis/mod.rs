//! Analyses of the IR: which values need derivatives.

pub mod activity;
