//! Tests that drive the whole pipeline.

mod anchor;
mod fuzz;
mod golden;
mod layering;
