//! Random programs (SPEC §8), part 2 of 2: `tests/build.rs` writes the programs in two
//! halves so that the two test binaries compile in parallel; `random/mod.rs` holds the checks.

// Index loops over outputs and inputs read better than zips of three arrays here.
#![allow(clippy::needless_range_loop)]

mod random;

#[allow(
    unused,
    unused_parens,
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    non_snake_case,
    unreachable_code,
    unused_comparisons
)]
mod generated {
    use ad_tests::r#gen::Compiled;
    include!(concat!(env!("OUT_DIR"), "/random_programs_2of2.rs"));
}

const PART: usize = 1;

#[test]
fn random_programs_agree_three_ways() {
    random::agree_three_ways(generated::PROGRAMS, PART);
}

#[test]
fn the_table_has_every_program() {
    random::table_has_every_program(generated::PROGRAMS, PART);
}

#[test]
fn the_generator_reproduces_the_table() {
    random::generator_reproduces_the_table(generated::PROGRAMS, PART);
}
