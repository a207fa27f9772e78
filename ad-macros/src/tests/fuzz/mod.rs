//! No panics, whatever the input (SPEC §7): property tests that feed every macro mode (both
//! transforms, `#[derive_jacobian]`, and `#[derive_grad]` with `hessian`, which lowers generated
//! reverse code again, and with `checkpoint`), through [`generate`] and [`expand`], three kinds
//! of input and assert that each call returns tokens or an error and never panics
//! (`catch_unwind`):
//!
//! - **random token streams**: identifiers (keywords included), punctuation, literals,
//!   lifetimes and nested groups, on their own or spliced into a valid function in the place of
//!   its parameters, its return type, its body or one statement;
//! - **mutations of valid annotated functions** (the inputs of the expansion goldens and a
//!   corpus in `corpus.rs`), one to four each: identifiers, literals and operators replaced, whole
//!   statements deleted, duplicated or swapped (these mostly keep the function parseable, so
//!   the macros' own passes see them), tokens deleted, duplicated, swapped or inserted, groups
//!   unwrapped, re-delimited or wrapped around a range; also in the attribute's arguments;
//! - **random syntax trees**: function texts from a small grammar that includes what the macros
//!   refuse (closures, `unsafe`, `async`, references, macros, labelled blocks, nested items,
//!   `?`, `impl Trait`, lifetimes, patterns of every kind) and the idioms of real numeric code
//!   (iterator chains of a source, up to three adaptors and a consumer; closures and local
//!   `fn` items bound and called; views `&v[1..3]`, `split_at`; array literals and the array or
//!   tuple results of calls taken apart; nested-container and alias parameter types), parsed by
//!   `syn` when they parse (and fed as raw tokens when they do not).
//!
//! Attribute arguments are drawn from valid ones (`wrt(x, y)`), invalid ones and random tokens.
//! When `generate` succeeds, its output must also parse as Rust items.
//!
//! Every input is built from a tape of random numbers that proptest draws and shrinks (shorter,
//! smaller), and choice 0 is always the simplest, so a failure shrinks to a small input; it is
//! printed as tokens.
//!
//! The inputs include what once made the macros panic or emit code that does not parse: items
//! that syn keeps as verbatim tokens (`type T;`, `fn h();`) in a body, patterns with a leading
//! `|` (`for (|i, &xi) in ..`), raw identifiers (`let r#type = ..`), and `.map` / `.fold`
//! closures whose body is no block tail (`|v| loop { break *v } / 2.0`).
//!
//! `PROPTEST_CASES` sets the number of cases of each of the three properties (default 700, so
//! about 2,000 in all); `AD_FUZZ_SEED` changes the seed (default fixed, so runs repeat). A long
//! run: `PROPTEST_CASES=100000 cargo test -p ad-macros --release fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use quote::ToTokens;

use crate::expand::{expand, generate};
use crate::front::Mode;

mod corpus;
mod grammar;
mod regressions;
mod tokens;

use tokens::*;

/// Cases of each property when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 700;

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("AD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0x5eed_f022);
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (seed.rotate_left(8 * (i as u32 % 8)) as u8) ^ (i as u8);
    }
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

// =============================================================================================
// The property
// =============================================================================================

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// What the calls of one property returned: generated code, an error for an input that parses
/// as a function (a refusal), an error for one that does not.
#[derive(Default)]
struct Tally {
    generated: AtomicUsize,
    refused: AtomicUsize,
    not_a_function: AtomicUsize,
}

impl Tally {
    fn count(&self, generated: bool, item: &TokenStream) {
        let counter = if generated {
            &self.generated
        } else if syn::parse2::<syn::ItemFn>(item.clone()).is_ok() {
            &self.refused
        } else {
            &self.not_a_function
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn report(&self, name: &str) {
        eprintln!(
            "{name}: {} calls generated code, {} refused a function, {} refused a non-function",
            self.generated.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.not_a_function.load(Ordering::Relaxed),
        );
    }
}

/// Both modes, through `generate` and `expand`: tokens or an error, no panic; and generated
/// tokens parse as items.
fn never_panics(
    args: &TokenStream,
    item: &TokenStream,
    tally: &Tally,
) -> Result<(), TestCaseError> {
    // Both modes, then the Jacobians, the Hessians (forward over reverse, which lowers the
    // generated reverse code again) and checkpointed loops.
    let variants = [
        (Mode::Tangent, None),
        (Mode::Grad, None),
        (Mode::Jacobian, None),
        (Mode::Grad, Some(quote::quote!(hessian))),
        (Mode::Grad, Some(quote::quote!(checkpoint))),
    ];
    for (mode, extra) in variants {
        let args = match extra {
            Some(e) if args.is_empty() => e,
            Some(e) => quote::quote!(#e, #args),
            None => args.clone(),
        };
        let args = &args;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let generated = generate(mode, args.clone(), item.clone());
            let expanded = expand(mode, args.clone(), item.clone());
            (generated, expanded)
        }));
        match result {
            Err(payload) => {
                return Err(TestCaseError::fail(format!(
                    "{} panicked: {}\n  args: {args}\n  item: {item}",
                    mode.attribute(),
                    panic_message(&*payload)
                )));
            }
            Ok((Ok(tokens), _)) => {
                tally.count(true, item);
                if let Err(e) = syn::parse2::<syn::File>(tokens.clone()) {
                    return Err(TestCaseError::fail(format!(
                        "{} generated tokens that do not parse ({e}):\n  {tokens}\n  args: \
                         {args}\n  item: {item}",
                        mode.attribute()
                    )));
                }
            }
            Ok((Err(_), _)) => tally.count(false, item),
        }
    }
    Ok(())
}

fn run(name: &str, strategy: impl Strategy<Value = (TokenStream, TokenStream)>) {
    let mut runner = runner();
    let tally = Tally::default();
    let outcome = runner.run(&strategy.prop_map(Wrapped), |Wrapped((args, item))| {
        never_panics(&args, &item, &tally)
    });
    tally.report(name);
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

/// A `Debug` that prints the tokens as text, for proptest's failure report.
#[derive(Clone)]
struct Wrapped((TokenStream, TokenStream));

impl std::fmt::Debug for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "args: `{}`, item: `{}`", self.0.0, self.0.1)
    }
}

// =============================================================================================
// A tape of choices
// =============================================================================================

/// Choices read from a vector that proptest draws and shrinks; past its end every choice is 0.
struct Tape<'a> {
    data: &'a [u32],
    pos: usize,
}

impl<'a> Tape<'a> {
    fn new(data: &'a [u32]) -> Self {
        Tape { data, pos: 0 }
    }

    /// A choice in `0..n` (`n > 0`).
    fn choose(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v as usize % n.max(1)
    }

    /// True with probability `percent` / 100 (false past the end of the tape).
    fn chance(&mut self, percent: usize) -> bool {
        let v = self.data.get(self.pos).copied();
        self.pos += 1;
        v.is_some_and(|v| (v % 100) < percent as u32)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.choose(xs.len())]
    }

    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

fn tape(max: usize) -> impl Strategy<Value = Vec<u32>> {
    vec(any::<u32>(), 0..max)
}

// =============================================================================================
// Random tokens
// =============================================================================================

fn parse(text: &str) -> TokenStream {
    TokenStream::from_str(text).expect("fixed texts lex")
}
