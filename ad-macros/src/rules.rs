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
}

use Partial::*;

const fn unary(name: &'static str, runtime: &'static str) -> Rule {
    Rule {
        name,
        arity: 1,
        partials: &[Runtime(0)],
        runtime: Some((runtime, false)),
    }
}

const fn binary(name: &'static str, runtime: &'static str) -> Rule {
    Rule {
        name,
        arity: 2,
        partials: &[Runtime(0), Runtime(1)],
        runtime: Some((runtime, true)),
    }
}

const fn constant(name: &'static str, partials: &'static [Partial]) -> Rule {
    Rule {
        name,
        arity: partials.len(),
        partials,
        runtime: None,
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
    },
    Rule {
        name: "rem",
        arity: 2,
        partials: &[One, Runtime(1)],
        runtime: Some(("rem_partials", true)),
    },
    constant("neg", &[MinusOne]),
];

/// Float methods, callable as `x.name(..)` or `f64::name(x, ..)` / `T::name(x, ..)`.
pub static METHODS: &[Rule] = &[
    unary("sin", "sin_partial"),
    unary("cos", "cos_partial"),
    unary("tan", "tan_partial"),
    unary("asin", "asin_partial"),
    unary("acos", "acos_partial"),
    unary("atan", "atan_partial"),
    unary("sinh", "sinh_partial"),
    unary("cosh", "cosh_partial"),
    unary("tanh", "tanh_partial"),
    unary("asinh", "asinh_partial"),
    unary("acosh", "acosh_partial"),
    unary("atanh", "atanh_partial"),
    unary("exp", "exp_partial"),
    unary("exp2", "exp2_partial"),
    unary("exp_m1", "exp_m1_partial"),
    unary("ln", "ln_partial"),
    unary("log2", "log2_partial"),
    unary("log10", "log10_partial"),
    unary("ln_1p", "ln_1p_partial"),
    unary("sqrt", "sqrt_partial"),
    unary("cbrt", "cbrt_partial"),
    unary("abs", "abs_partial"),
    unary("recip", "recip_partial"),
    unary("to_degrees", "to_degrees_partial"),
    unary("to_radians", "to_radians_partial"),
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
    },
    binary("powf", "powf_partials"),
    binary("atan2", "atan2_partials"),
    binary("hypot", "hypot_partials"),
    binary("log", "log_partials"),
    binary("max", "max_partials"),
    binary("min", "min_partials"),
    Rule {
        name: "mul_add",
        arity: 3,
        partials: &[Runtime(0), Runtime(1), Runtime(2)],
        runtime: Some(("mul_add_partials", true)),
    },
    Rule {
        name: "clamp",
        arity: 3,
        partials: &[Runtime(0), Runtime(1), Runtime(2)],
        runtime: Some(("clamp_partials", true)),
    },
];

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

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = METHODS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }
}
