// Source text of large generated functions, for measuring what the macros cost: the expansion
// benchmark (`ad-macros/benches/expand.rs`) times the pipeline on it, and
// `examples/compile_cost.rs` (in `ad-tests`, which includes this file) times `cargo build` of a
// crate holding it. Included with `include!`, so no inner doc comments here.

/// One statement `let v{i} = ..;` over the earlier ones and the inputs `x, y, z`: a mix of
/// products, quotients and float methods, bounded so that the values stay finite.
fn big_fn_statement(i: usize, out: &mut String) {
    let v = |k: usize| {
        if i >= k {
            format!("v{}", i - k)
        } else {
            ["x", "y", "z"][k % 3].to_string()
        }
    };
    let (a, b, c) = (v(1), v(2), v(3));
    let rhs = match i % 6 {
        0 => format!("{a} * x + {b}.sin()"),
        1 => format!("({a} - y) / (1.0 + {c} * {c})"),
        2 => format!("{a}.tanh() + 0.5 * {b}"),
        3 => format!("{a}.cos() * z - {b} * {c}"),
        4 => format!("{a}.hypot({b}) * 0.25 + x"),
        _ => format!("({a} * {a} + 1.0).sqrt().ln() - {c}.atan()"),
    };
    out.push_str(&format!("    let v{i} = {rhs};\n"));
}

/// A function `NAME(x: f64, y: f64, z: f64) -> f64` of `statements` statements: `statements -
/// 1` `let`s and the tail expression.
pub fn big_fn_straight(name: &str, statements: usize) -> String {
    let mut s = format!("fn {name}(x: f64, y: f64, z: f64) -> f64 {{\n");
    for i in 0..statements - 1 {
        big_fn_statement(i, &mut s);
    }
    s.push_str(&format!("    v{}\n}}\n", statements - 2));
    s
}

/// A function `NAME(x: f64, y: f64, z: f64, n: usize) -> f64` of `statements` statements, almost
/// all of them in the body of a `for` loop of `n` iterations that carries `x` from one
/// iteration to the next.
pub fn big_fn_looped(name: &str, statements: usize) -> String {
    let body = statements - 4;
    let mut s = format!(
        "fn {name}(x: f64, y: f64, z: f64, n: usize) -> f64 {{\n    let mut x = x;\n    for _ in 0..n {{\n"
    );
    for i in 0..body {
        big_fn_statement(i, &mut s);
    }
    s.push_str(&format!("    x = 0.5 * v{}.tanh();\n    }}\n    x\n}}\n", body - 1));
    s
}
