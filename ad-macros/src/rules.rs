//! The table of differentiable primitives: one row per operation.
//!
//! A row says how the operation is written (operator, method name, arity) and what its local
//! partial derivatives are. Both transforms read only this table: the tangent is
//! `sum_i partial_i * d_arg_i`, the adjoint contribution to argument `i` is `partial_i * bar`.
//! Adding an operation is one row here plus, when a partial needs computing, one function named
//! in `runtime` in `ad_runtime::rules`.

/// How one argument's partial derivative is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partial {
    /// No derivative flows to this argument (an integer exponent, or a piecewise-constant op).
    Zero,
    /// The partial is 1.
    One,
    /// The partial is -1.
    MinusOne,
    /// The partial is the value of argument `j` (as for `a * b`).
    Arg(usize),
    /// The partial is the reciprocal of argument `j` (as for `a / b` with respect to `a`): it
    /// reads only `b`, so dividing by a constant stores nothing. When the row's runtime partials
    /// are computed anyway, their component for this argument is used instead.
    Recip(usize),
    /// The partial is computed by the runtime function of the row: component `k` of its result
    /// when the function returns a tuple, the result itself otherwise.
    Runtime(usize),
}

/// What a row's runtime function reads of `(args..., result)`: the reverse sweep needs those
/// values only, and the others are not kept or computed again for it. An unread parameter is
/// passed a read value of the same type (`tanh_partial(y, y)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// The arguments and the result.
    All,
    /// The arguments only (`sin_partial(x, _y) = cos x`).
    Args,
    /// The result only (`tanh_partial(_x, y) = (1 - y)(1 + y)`).
    Result,
}

/// One differentiable primitive.
#[derive(Debug)]
pub struct Rule {
    /// The method name (`sin`), or the operator's name (`add`) for operators.
    pub name: &'static str,
    /// Number of arguments, counting the receiver of a method.
    pub arity: usize,
    /// One entry per argument.
    pub partials: &'static [Partial],
    /// `ad_runtime::rules::<fn>` computing the partials from `(args..., result)`, and whether it
    /// returns a tuple.
    pub runtime: Option<(&'static str, bool)>,
    /// What the runtime function reads.
    pub reads: Reads,
    /// The operation calls into libm (`sin`, `exp`, `tanh`, ..): far dearer than arithmetic, so
    /// the reverse sweep stores its result rather than computing it again (`adjoint::plan`).
    pub libm: bool,
}

use Partial::*;

const fn unary(name: &'static str, runtime: &'static str, reads: Reads, libm: bool) -> Rule {
    Rule {
        name,
        arity: 1,
        partials: &[Runtime(0)],
        runtime: Some((runtime, false)),
        reads,
        libm,
    }
}

/// A unary libm function whose partial reads its argument.
const fn of_x(name: &'static str, runtime: &'static str) -> Rule {
    unary(name, runtime, Reads::Args, true)
}

/// A unary libm function whose partial reads its result.
const fn of_y(name: &'static str, runtime: &'static str) -> Rule {
    unary(name, runtime, Reads::Result, true)
}

const fn binary(name: &'static str, runtime: &'static str, reads: Reads, libm: bool) -> Rule {
    Rule {
        name,
        arity: 2,
        partials: &[Runtime(0), Runtime(1)],
        runtime: Some((runtime, true)),
        reads,
        libm,
    }
}

const fn constant(name: &'static str, partials: &'static [Partial]) -> Rule {
    Rule {
        name,
        arity: partials.len(),
        partials,
        runtime: None,
        reads: Reads::All,
        libm: false,
    }
}

/// Operators: `+ - * / %` and unary `-`.
pub static OPERATORS: &[Rule] = &[
    constant("add", &[One, One]),
    constant("sub", &[One, MinusOne]),
    constant("mul", &[Arg(1), Arg(0)]),
    Rule {
        name: "div",
        arity: 2,
        partials: &[Recip(1), Runtime(1)],
        runtime: Some(("div_partials", true)),
        reads: Reads::All,
        libm: false,
    },
    Rule {
        name: "rem",
        arity: 2,
        partials: &[One, Runtime(1)],
        runtime: Some(("rem_partials", true)),
        reads: Reads::All,
        libm: false,
    },
    constant("neg", &[MinusOne]),
];

/// Float methods, callable as `x.name(..)` or `f64::name(x, ..)` / `T::name(x, ..)`.
pub static METHODS: &[Rule] = &[
    of_x("sin", "sin_partial"),
    of_x("cos", "cos_partial"),
    of_y("tan", "tan_partial"),
    of_x("asin", "asin_partial"),
    of_x("acos", "acos_partial"),
    of_x("atan", "atan_partial"),
    of_x("sinh", "sinh_partial"),
    of_x("cosh", "cosh_partial"),
    of_y("tanh", "tanh_partial"),
    of_x("asinh", "asinh_partial"),
    of_x("acosh", "acosh_partial"),
    of_x("atanh", "atanh_partial"),
    of_y("exp", "exp_partial"),
    of_y("exp2", "exp2_partial"),
    of_y("exp_m1", "exp_m1_partial"),
    of_x("ln", "ln_partial"),
    of_x("log2", "log2_partial"),
    of_x("log10", "log10_partial"),
    of_x("ln_1p", "ln_1p_partial"),
    unary("sqrt", "sqrt_partial", Reads::Result, false),
    of_y("cbrt", "cbrt_partial"),
    unary("abs", "abs_partial", Reads::Args, false),
    unary("recip", "recip_partial", Reads::Result, false),
    unary("to_degrees", "to_degrees_partial", Reads::All, false),
    unary("to_radians", "to_radians_partial", Reads::All, false),
    constant("signum", &[Zero]),
    constant("floor", &[Zero]),
    constant("ceil", &[Zero]),
    constant("round", &[Zero]),
    constant("trunc", &[Zero]),
    constant("fract", &[One]),
    Rule {
        name: "powi",
        arity: 2,
        partials: &[Runtime(0), Zero],
        runtime: Some(("powi_partial", false)),
        reads: Reads::Args,
        libm: false,
    },
    binary("powf", "powf_partials", Reads::All, true),
    binary("atan2", "atan2_partials", Reads::Args, true),
    binary("hypot", "hypot_partials", Reads::All, true),
    binary("log", "log_partials", Reads::Args, true),
    binary("max", "max_partials", Reads::Args, false),
    binary("min", "min_partials", Reads::Args, false),
    Rule {
        name: "mul_add",
        arity: 3,
        partials: &[Runtime(0), Runtime(1), Runtime(2)],
        runtime: Some(("mul_add_partials", true)),
        reads: Reads::Args,
        libm: false,
    },
    Rule {
        name: "clamp",
        arity: 3,
        partials: &[Runtime(0), Runtime(1), Runtime(2)],
        runtime: Some(("clamp_partials", true)),
        reads: Reads::Args,
        libm: false,
    },
];

/// The rules whose partials are piecewise constant (`min`, `max`, `abs`, `clamp`, `%`): the
/// derivative of their runtime partials is zero wherever it exists, so reverse-mode code
/// differentiated again (forward over reverse) treats those partials as constants.
pub const FLAT_PARTIALS: &[&str] = &["abs", "min", "max", "clamp", "rem"];

/// Whether `runtime` is the runtime function (`min_partials`) of a rule in [`FLAT_PARTIALS`].
pub fn flat_runtime(runtime: &str) -> bool {
    OPERATORS
        .iter()
        .chain(METHODS)
        .any(|r| FLAT_PARTIALS.contains(&r.name) && r.runtime.is_some_and(|(f, _)| f == runtime))
}

/// Methods that are lowered into other primitives rather than having a row of their own.
pub const SIN_COS: &str = "sin_cos";

/// The operator row called `name`.
pub fn operator(name: &str) -> &'static Rule {
    OPERATORS
        .iter()
        .find(|r| r.name == name)
        .expect("operator rows are fixed")
}

/// The method row called `name`, if the method is differentiable.
pub fn method(name: &str) -> Option<&'static Rule> {
    METHODS.iter().find(|r| r.name == name)
}

/// Whether `name` is a float method with a rule (or lowered into ones that have).
pub fn is_float_method(name: &str) -> bool {
    name == SIN_COS || method(name).is_some()
}

/// Methods that never carry a derivative, whatever their receiver: their result is constant.
pub fn is_inactive_method(name: &str) -> bool {
    matches!(
        name,
        "len"
            | "is_empty"
            | "is_nan"
            | "is_finite"
            | "is_infinite"
            | "is_normal"
            | "is_sign_positive"
            | "is_sign_negative"
            | "is_subnormal"
            | "classify"
            | "partial_cmp"
            | "total_cmp"
            | "to_bits"
            | "eq"
            | "ne"
            | "lt"
            | "le"
            | "gt"
            | "ge"
            | "saturating_sub"
            | "saturating_add"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_partials_name_rules_with_runtime_partials() {
        for name in FLAT_PARTIALS {
            let rule = OPERATORS
                .iter()
                .chain(METHODS)
                .find(|r| r.name == *name)
                .expect("a rule of the table");
            let (runtime, _) = rule.runtime.expect("runtime partials");
            assert!(flat_runtime(runtime), "{runtime}");
        }
        assert!(!flat_runtime("sin_partial") && !flat_runtime("mul_add_partials"));
    }

    #[test]
    fn every_row_is_consistent() {
        for r in OPERATORS.iter().chain(METHODS) {
            assert_eq!(r.partials.len(), r.arity, "{}", r.name);
            for p in r.partials {
                match *p {
                    Arg(j) => assert!(j < r.arity, "{}", r.name),
                    Runtime(k) => {
                        let (_, tuple) = r.runtime.expect("a Runtime partial needs a function");
                        assert!(tuple || k == 0, "{}", r.name);
                    }
                    _ => {}
                }
            }
        }
    }

    /// `reads` says what each runtime function reads: checked against the runtime's source,
    /// where an unread parameter's name starts with `_` (a value passed in its place must
    /// never be read).
    #[test]
    fn reads_match_the_runtime_functions() {
        let source = include_str!("../../ad-runtime/src/rules.rs");
        let file = syn::parse_file(source).expect("the runtime's rules parse");
        let params = |name: &str| -> Vec<String> {
            let f = file
                .items
                .iter()
                .find_map(|i| match i {
                    syn::Item::Fn(f) if f.sig.ident == name => Some(f),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("ad_runtime::rules::{name} exists"));
            f.sig
                .inputs
                .iter()
                .map(|a| match a {
                    syn::FnArg::Typed(t) => quote::quote!(#t).to_string(),
                    syn::FnArg::Receiver(_) => unreachable!("free functions"),
                })
                .collect()
        };
        for r in OPERATORS.iter().chain(METHODS) {
            let Some((name, _)) = r.runtime else {
                continue;
            };
            let ps = params(name);
            assert_eq!(
                ps.len(),
                r.arity + 1,
                "{name}: the arguments, then the result"
            );
            let read = |p: &String| !p.starts_with('_');
            let (args, result) = ps.split_at(r.arity);
            let (args_read, result_read) = (args.iter().any(read), read(&result[0]));
            match r.reads {
                Reads::All => {}
                Reads::Args => assert!(!result_read, "{name} reads its result"),
                Reads::Result => assert!(
                    r.arity == 1 && !args_read && result_read,
                    "{name}: unary, reading only its result"
                ),
            }
            // A row that could say less than `All` says it (except where reading nothing).
            if r.reads == Reads::All && args_read != result_read {
                panic!(
                    "{name} reads only its {}",
                    if args_read { "arguments" } else { "result" }
                );
            }
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = METHODS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
