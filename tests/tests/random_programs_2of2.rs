//! Random programs (SPEC §8), part 2 of 2: `tests/build.rs` writes the programs in two
//! halves so that the two test binaries compile in parallel; `random/mod.rs` holds the checks.

// Index loops over outputs and inputs read better than zips of three arrays here.
#![allow(clippy::needless_range_loop)]

#[macro_use]
mod random;

part!(1, "random_programs_2of2.rs");
