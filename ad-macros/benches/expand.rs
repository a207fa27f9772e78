//! What the macros cost at compile time: the whole pipeline (parse, lower, analyse, transform,
//! emit, and the doc comments' pretty-printing) on a generated function of 1000 statements,
//! straight-line and in a loop, in each mode.
//!
//! Run with `cargo bench -p ad-macros --bench expand`. A proc-macro crate exports only its
//! macros, so this benchmark compiles the pipeline's modules itself (the `#[path]` modules
//! below mirror `src/lib.rs`; a module added there must be added here too) and drives it over
//! `proc_macro2` tokens, as the unit tests do. The goal (issue 9) is under 0.5 s per expansion.
//!
//! Cargo builds proc macros without optimisation by default, in debug and release builds alike
//! (`build-override`), while `cargo bench` optimises: to time the macro as a user's build runs
//! it, run
//!
//! ```sh
//! CARGO_PROFILE_BENCH_OPT_LEVEL=0 CARGO_PROFILE_BENCH_DEBUG_ASSERTIONS=true \
//!     cargo bench -p ad-macros --bench expand
//! ```
//!
//! which reports under `expand_1000_unoptimized` (told apart by its debug assertions) instead of
//! `expand_1000`.

#![allow(dead_code, unused_imports)]

extern crate proc_macro;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use proc_macro2::TokenStream;

#[path = "../src/analysis/mod.rs"]
mod analysis;
#[path = "../src/emit/mod.rs"]
mod emit;
#[path = "../src/errors.rs"]
mod errors;
#[path = "../src/expand.rs"]
mod expand;
#[path = "../src/front/mod.rs"]
mod front;
#[path = "../src/ir/mod.rs"]
mod ir;
#[path = "../src/lower/mod.rs"]
mod lower;
#[path = "../src/modes/mod.rs"]
mod modes;
#[path = "../src/names.rs"]
mod names;
#[path = "../src/rules.rs"]
mod rules;
#[path = "../src/source.rs"]
mod source;
#[path = "../src/transform/mod.rs"]
mod transform;

include!("support/big_fn.rs");

use front::Mode;

/// Statements in each generated function.
const STATEMENTS: usize = 1000;

/// Expands `source` once in `mode`, panicking if the macro refuses it (the benchmark would
/// otherwise time an error path).
fn expand_once(mode: Mode, source: &TokenStream) -> TokenStream {
    let out = expand::generate(mode, TokenStream::new(), source.clone())
        .unwrap_or_else(|e| panic!("{mode:?} refused the generated function: {e}"));
    black_box(out)
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("straight", big_fn_straight("big", STATEMENTS)),
        ("loop", big_fn_looped("big", STATEMENTS)),
    ];
    let build = if cfg!(debug_assertions) {
        "_unoptimized"
    } else {
        ""
    };
    let mut grp = c.benchmark_group(format!("expand_{STATEMENTS}{build}"));
    grp.sampling_mode(SamplingMode::Flat);
    for (shape, source) in &cases {
        let tokens: TokenStream = source.parse().expect("the generated source lexes");
        for (mode, label) in [(Mode::Tangent, "tangent"), (Mode::Grad, "grad")] {
            // Once outside the timing: the generated code must at least parse as Rust.
            let out = expand_once(mode, &tokens);
            syn::parse2::<syn::File>(out).expect("the generated code parses");
            grp.bench_function(format!("{shape}_{label}"), |b| {
                b.iter(|| expand_once(mode, &tokens))
            });
        }
    }
    grp.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
