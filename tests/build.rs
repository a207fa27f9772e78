//! Writes the random programs of `tests/random/mod.rs` (SPEC §8) into
//! `OUT_DIR/random_programs_{1,2}of2.rs`: `AD_RANDOM_PROGRAMS` programs (default
//! `r#gen::DEFAULT_COUNT`) in `r#gen::PARTS` parts, each program with both macros, each part
//! with the table its test walks; and the large functions of `tests/big_functions.rs` into
//! `OUT_DIR/big_functions.rs`.

#[allow(dead_code)]
#[path = "src/gen.rs"]
mod r#gen;

// The expansion and compile-cost benchmarks' generator of large functions.
include!("../ad-macros/benches/support/big_fn.rs");

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/gen.rs");
    println!("cargo:rerun-if-changed=src/gen_v3.rs");
    println!("cargo:rerun-if-changed=../ad-macros/benches/support/big_fn.rs");
    println!("cargo:rerun-if-env-changed=AD_RANDOM_PROGRAMS");
    // Switches of the generator (`r#gen::Features`).
    println!("cargo:rerun-if-env-changed=AD_GEN_VEC_USIZE");
    println!("cargo:rerun-if-env-changed=AD_GEN_LEND_LOCAL");
    println!("cargo:rerun-if-env-changed=AD_GEN_FLOAT_ARRAYS");
    println!("cargo:rerun-if-env-changed=AD_GEN_NESTED");
    println!("cargo:rerun-if-env-changed=AD_GEN_ARRAY_HELPERS");
    println!("cargo:rerun-if-env-changed=AD_GEN_FARR_LITERAL");
    println!("cargo:rerun-if-env-changed=AD_GEN_WHOLE_AGAIN");
    println!("cargo:rerun-if-env-changed=AD_GEN_STRUCTS");
    println!("cargo:rerun-if-env-changed=AD_GEN_STRUCT_CARRY");
    println!("cargo:rerun-if-env-changed=AD_GEN_STRUCT_ARM_MIX");
    println!("cargo:rerun-if-env-changed=AD_GEN_STRUCT_IN_VEC");
    println!("cargo:rerun-if-env-changed=AD_GEN_STRUCT_VALUE_CARRY");
    println!("cargo:rerun-if-env-changed=AD_GEN_V3");
    let count = match std::env::var("AD_RANDOM_PROGRAMS") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("AD_RANDOM_PROGRAMS must be a count, not {s:?}")),
        Err(_) => r#gen::DEFAULT_COUNT,
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // One function of 1000 statements, one of 400 in a loop's body, each under both macros.
    let big = [
        big_fn_straight("big_straight", 1000),
        big_fn_looped("big_looped", 400),
    ]
    .map(|f| format!("#[derive_tangent]\n#[derive_grad]\n{f}\n"))
    .concat();
    let file = out.join("big_functions.rs");
    std::fs::write(&file, big).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    for part in 0..r#gen::PARTS {
        let file = out.join(format!("random_programs_{}of{}.rs", part + 1, r#gen::PARTS));
        std::fs::write(&file, r#gen::emit_part(part, count))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    }
}
