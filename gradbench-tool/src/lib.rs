//! A [GradBench](https://github.com/gradbench/gradbench) tool whose every derivative is written by
//! this workspace's macros.
//!
//! Each module under [`evals`] holds one eval: its input as the eval sends it, its primal written
//! as ordinary Rust the way the eval's C++ reference is written (loops over flat slices, small
//! local arrays, helper functions), the derivative functions our macros generate from it, and the
//! conversion of the results into the JSON shape the eval validates. The binary `ad-gradbench`
//! speaks the protocol ([`protocol`]) on stdin and stdout.

pub mod evals;
pub mod protocol;

/// Every eval this tool defines; `define` answers false for any other module.
pub const EVALS: &[protocol::Eval] = &[
    protocol::Eval {
        module: "hello",
        run: evals::hello::run,
    },
    protocol::Eval {
        module: "ba",
        run: evals::ba::run,
    },
    protocol::Eval {
        module: "ht",
        run: evals::ht::run,
    },
];
