//! The seed example: f(x, y) = x*y + sin(x) at (2, 3), by forward and by reverse mode.
//!
//! Run with `cargo run --example quickstart`.

use ad_runtime::{derive_grad, derive_tangent};

/// The function to differentiate, written as ordinary Rust. (The two macros may stand in either
/// order; the inner one's functions come first in the expanded code, so `f_tangent` is printed
/// first below.)
#[derive_grad]
#[derive_tangent]
fn f(x: f64, y: f64) -> f64 {
    x * y + x.sin()
}

fn main() {
    let (x, y) = (2.0, 3.0);
    println!(
        "f(x, y) = x*y + sin(x) at (x, y) = ({x}, {y}); f = {:.6}\n",
        f(x, y)
    );

    // Forward mode: one pass per input direction. Seed (dx, dy) = (1, 0), then (0, 1).
    let (_, df_dx) = f_tangent(x, 1.0, y, 0.0);
    let (_, df_dy) = f_tangent(x, 0.0, y, 1.0);
    // Reverse mode: one pass gives the derivative with respect to every input.
    let (value, (gx, gy)) = f_grad(x, y);

    println!(
        "{:<28} {:>8} {:>10} {:>10}",
        "method", "passes", "df/dx", "df/dy"
    );
    println!(
        "{:<28} {:>8} {:>10.6} {:>10.6}",
        "forward (derive_tangent)", 2, df_dx, df_dy
    );
    println!(
        "{:<28} {:>8} {:>10.6} {:>10.6}",
        "reverse (derive_grad)", 1, gx, gy
    );
    println!(
        "{:<28} {:>8} {:>10.6} {:>10.6}",
        "by hand: y + cos x, x",
        "-",
        y + x.cos(),
        x
    );
    println!("\nvalue from the reverse pass: {value:.6}");

    // Any derivative can be checked against central finite differences.
    let report = ad_runtime::check::gradient(|p: &[f64]| f(p[0], p[1]), &[x, y], &[gx, gy]);
    println!("check against finite differences: {report}");
    report.assert_below(1e-7);
    println!(
        "\nReverse mode needs one pass for any number of inputs when the output is one number;\n\
         forward mode needs one pass per input. With 2 inputs that is 1 pass against 2; with a\n\
         million parameters and one loss, it is what makes gradients affordable."
    );

    println!("\nThe derivative code the macros wrote next to `f` (plain Rust, no tape):\n");
    println!("{}", GENERATED.trim_end());
    println!(
        "\nEvery generated function carries this code in its doc comment too: `cargo doc --open`\n\
         shows it under `f_tangent`, `f_vjp` and `f_grad`. After them the macros write hidden\n\
         companions (`#[doc(hidden)]`) through which other annotated functions call `f`; all of\n\
         it is in ad-macros/tests/expand/quickstart.expanded.rs."
    );
}

/// The functions the macros write for `f` that users call, in the order they write them: the
/// expansion golden test of `ad-macros` pins this text (the generated items less the hidden
/// ones and the doc comments), so it is exactly what this example compiled.
const GENERATED: &str = include_str!("../ad-macros/tests/expand/quickstart.public.rs");
