//! Tests that drive the whole pipeline.

mod anchor;
mod emitted_paths;
mod fuzz;
mod golden;
mod layering;
