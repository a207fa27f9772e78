//! Tests that drive the whole pipeline.

mod fuzz;
mod golden;
