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
        module: "gmm",
        run: evals::gmm::run,
    },
    protocol::Eval {
        module: "ba",
        run: evals::ba::run,
    },
    protocol::Eval {
        module: "ht",
        run: evals::ht::run,
    },
    protocol::Eval {
        module: "lstm",
        run: evals::lstm::run,
    },
    protocol::Eval {
        module: "kmeans",
        run: evals::kmeans::run,
    },
    protocol::Eval {
        module: "llsq",
        run: evals::llsq::run,
    },
    protocol::Eval {
        module: "lse",
        run: evals::lse::run,
    },
    protocol::Eval {
        module: "ode",
        run: evals::ode::run,
    },
    protocol::Eval {
        module: "det",
        run: evals::det::run,
    },
    protocol::Eval {
        module: "particle",
        run: evals::particle::run,
    },
    protocol::Eval {
        module: "saddle",
        run: evals::saddle::run,
    },
];
