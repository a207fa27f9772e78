//! Random syntax trees: function texts from a small grammar, including what the macros refuse.

use super::*;

/// Function texts from a small grammar, driven by a tape. Option 0 of every choice is the
/// simplest, so shrinking the tape simplifies the text. In `safe` mode (most texts) only the
/// first options of each list, what the macros support or nearly, are used, so that most of
/// these texts get past the fence into activity analysis and the transforms; the other options
/// are what the macros refuse.
pub(super) struct Grammar<'a> {
    t: Tape<'a>,
    depth: usize,
    safe: bool,
}

impl<'a> Grammar<'a> {
    fn new(data: &'a [u32]) -> Self {
        let mut t = Tape::new(data);
        let safe = !t.chance(35);
        Grammar { t, depth: 0, safe }
    }

    /// One of `xs`; only the first `safe` of them in safe mode.
    fn pick(&mut self, xs: &[&'static str], safe: usize) -> &'static str {
        let n = if self.safe {
            safe.min(xs.len())
        } else {
            xs.len()
        };
        xs[self.t.choose(n)]
    }

    /// A choice in `0..all`, or in `0..safe` in safe mode.
    fn choice(&mut self, all: usize, safe: usize) -> usize {
        self.t.choose(if self.safe { safe } else { all })
    }

    /// Whether to stop growing: deep, or out of tape.
    fn leaf(&self) -> bool {
        self.depth >= 5 || self.t.exhausted()
    }

    fn function(&mut self) -> String {
        let attrs = self.pick(
            &[
                "",
                "#[inline] ",
                "#[allow(unused)] ",
                "#[doc = \"d\"] ",
                "#[derive_grad] ",
                "#[derive_tangent(wrt(x))] ",
                "#[cfg(test)] ",
                "#[must_use] ",
            ],
            4,
        );
        let vis = self.pick(&["", "pub ", "pub(crate) "], 3);
        let quals = self.pick(
            &[
                "",
                "",
                "",
                "const ",
                "async ",
                "unsafe ",
                "extern \"C\" ",
                "async unsafe ",
                "const unsafe ",
            ],
            3,
        );
        let name = self.pick(&["f", "g", "r#match", "f_grad", "energy"], 5);
        let generics = self.pick(
            &[
                "",
                "",
                "<T: Float>",
                "<const N: usize>",
                "<T: Float, const N: usize>",
                "<T>",
                "<'a>",
                "<F: Fn(f64) -> f64>",
                "<T: Float + Copy, U>",
            ],
            5,
        );
        let nparams = self.t.choose(5);
        let params: Vec<String> = (0..nparams).map(|_| self.param()).collect();
        let ret = self.pick(
            &[
                "-> f64",
                "",
                "-> (f64, f64)",
                "-> [f64; 2]",
                "-> T",
                "-> ()",
                "-> f32",
                "-> (f64, (f64, f64))",
                "-> [[f64; 2]; 2]",
                "-> (f64,)",
                "-> Option<f64>",
                "-> &f64",
                "-> impl Fn(f64) -> f64",
                "-> !",
                "-> Self",
                "-> usize",
            ],
            10,
        );
        let wh = self.pick(
            &["", "", "where T: Float", "where T: Copy, F: Fn(f64) -> f64"],
            3,
        );
        let body = self.block();
        format!(
            "{attrs}{vis}{quals}fn {name}{generics}({}) {ret} {wh} {body}",
            params.join(", ")
        )
    }

    fn ty(&mut self) -> &'static str {
        self.pick(
            &[
                "f64",
                "f32",
                "usize",
                "T",
                "&[f64]",
                "&mut [f64]",
                "[f64; 3]",
                "&f64",
                "&mut f64",
                "&Vec<f64>",
                "&mut Vec<f64>",
                "[[f64; 2]; 2]",
                "&[f64; 3]",
                "&[[f64; 3]]",
                "&[Vec<f64>]",
                "&mut [[f64; 3]]",
                "Real",
                "i32",
                "bool",
                "[T; N]",
                "Vec<f64>",
                "(f64, f64)",
                "&str",
                "S",
                "impl Fn(f64) -> f64",
                "fn(f64) -> f64",
                "Box<dyn Fn(f64) -> f64>",
                "&'a f64",
                "Option<f64>",
                "*const f64",
                "()",
            ],
            20,
        )
    }

    fn param(&mut self) -> String {
        match self.choice(10, 6) {
            0..=5 => {
                let name = self.pick(
                    &[
                        "x", "y", "n", "v", "w", "t", "dx", "seed", "x_bar", "p", "q",
                    ],
                    11,
                );
                format!("{name}: {}", self.ty())
            }
            6 => format!("mut x: {}", self.ty()),
            7 => self
                .pick(
                    &["self", "&self", "&mut self", "mut self", "self: Box<Self>"],
                    5,
                )
                .to_owned(),
            8 => self
                .pick(
                    &[
                        "(a, b): (f64, f64)",
                        "_: f64",
                        "[a, b]: [f64; 2]",
                        "S { x }: S",
                    ],
                    4,
                )
                .to_owned(),
            _ => format!("_x: {}", self.ty()),
        }
    }

    fn block(&mut self) -> String {
        self.depth += 1;
        let n = if self.leaf() { 0 } else { self.t.choose(5) };
        let mut s = String::from("{ ");
        for _ in 0..n {
            s.push_str(&self.stmt());
            s.push(' ');
        }
        if self.t.choose(4) != 3 {
            s.push_str(&self.expr());
        }
        s.push_str(" }");
        self.depth -= 1;
        s
    }

    fn pat(&mut self) -> String {
        match self.choice(12, 7) {
            0..=3 => self
                .pick(&["a", "s", "x", "dx", "_t0", "seed", "r#type"], 7)
                .to_owned(),
            4 => "mut s".to_owned(),
            5 => self.pick(&["(a, b)", "(|a, b)"], 2).to_owned(),
            6 => "[a, b]".to_owned(),
            7 => "_".to_owned(),
            8 => "&a".to_owned(),
            9 => "ref a".to_owned(),
            10 => "(mut a, [b, _])".to_owned(),
            _ => "S { x, .. }".to_owned(),
        }
    }

    fn stmt(&mut self) -> String {
        if self.leaf() {
            return format!("let a = {};", self.expr());
        }
        // Safe mode: lets, assignments, expressions, items syn keeps as tokens, assertions, loops
        // and branches, closures and local `fn` items, array results taken apart.
        const SAFE: [usize; 15] = [0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18];
        let kind = if self.safe {
            SAFE[self.t.choose(SAFE.len())]
        } else {
            self.t.choose(19)
        };
        match kind {
            0..=3 => format!("let {} = {};", self.pat(), self.expr()),
            4 => format!("let {}: {} = {};", self.pat(), self.ty(), self.expr()),
            5 => format!(
                "{} {} {};",
                self.place(),
                self.pick(&["=", "+=", "-=", "*=", "/=", "%=", "|=", "<<="], 5),
                self.expr()
            ),
            6 => format!("{};", self.expr()),
            7 => format!(
                "let Some(a) = {} else {{ return {}; }};",
                self.expr(),
                self.expr()
            ),
            8 => format!(
                "fn inner(z: f64) -> f64 {{ z * {} }}",
                self.pick(&["2.0", "x", "z"], 3)
            ),
            9 => self
                .pick(
                    &[
                        "type T;",
                        "fn h();",
                        "struct S { x: f64 }",
                        "use std::f64::consts::PI;",
                        "const K: f64 = 2.0;",
                        "static mut G: f64 = 0.0;",
                        "macro_rules! m { ($e:expr) => { $e * 2.0 }; }",
                        "impl S { fn k(&self) -> f64 { 1.0 } }",
                        "let _ = ();",
                        ";",
                    ],
                    2,
                )
                .to_owned(),
            10 => format!(
                "{}!({});",
                self.pick(
                    &[
                        "assert",
                        "debug_assert",
                        "println",
                        "dbg",
                        "m",
                        "vec",
                        "format"
                    ],
                    2
                ),
                self.expr()
            ),
            11 => format!("for {} in {} {}", self.for_pat(), self.iter(), self.block()),
            12 => format!("while {} {}", self.cond(), self.block()),
            13 => format!("if {} {} else {}", self.cond(), self.block(), self.block()),
            14 => format!("unsafe {}", self.block()),
            15 => format!(
                "'a: loop {{ if {} {{ break 'a; }} {} }}",
                self.cond(),
                self.expr()
            ),
            // A closure (or local `fn`) bound and called, as issue 16's idioms write them.
            16 => match self.t.choose(5) {
                3 => format!(
                    "let f = |t: f64| {{ if t > 0.0 {{ return t * {}; }} -t }}; s += f({});",
                    self.expr(),
                    self.expr()
                ),
                4 => format!(
                    "let d = |a: &[f64], b: &[f64]| a[0] - b[1]; s += d(&v[0..2], &w[1..]) * {};",
                    self.expr()
                ),
                0 => format!(
                    "let sq = |t: f64| t * {}; s += sq({});",
                    self.expr(),
                    self.expr()
                ),
                1 => format!(
                    "let r = |i: usize| v[i] - {}; s = r(0) * r(1);",
                    self.expr()
                ),
                _ => format!(
                    "fn inner(z: f64) -> f64 {{ z * 2.0 }} s = inner({});",
                    self.expr()
                ),
            },
            // An array literal, an array or tuple result, an array parameter or a row taken
            // apart; arrays built by closures; a whole array assigned.
            17 => format!(
                "let {} = {};",
                self.pick(&["[a, b, c]", "(a, b)", "[a, _, c]", "[[a, b], c]"], 4),
                self.pick(
                    &[
                        "g(x, [x, y, 1.0])",
                        "f(x)",
                        "[x, y, x * y]",
                        "(x, y)",
                        "*q",
                        "p[0]",
                        "q.map(|e| e * x)",
                        "std::array::from_fn(|i| v[i])",
                        "v.iter().copied().reduce(f64::max).unwrap_or(0.0)",
                    ],
                    9
                )
            ),
            18 if self.t.choose(2) == 0 => format!(
                "{} = [{}, x, 0.0];",
                self.pick(&["*q", "s", "a", "*y"], 4),
                self.expr()
            ),
            // An `Option` consumer bound by `if let`, a whole array copied, `*q` passed on.
            18 => match self.t.choose(3) {
                0 => format!(
                    "if let Some({}) = {} {{ s += {}; }} else {{ s -= x; }}",
                    self.pick(&["&e", "e", "(i, e)", "_"], 4),
                    self.pick(
                        &[
                            "v.last()",
                            "v.iter().copied().reduce(f64::max)",
                            "v.iter().max_by(|a, b| a.total_cmp(b))",
                            "q.first()",
                            "v.get(1)",
                        ],
                        5
                    ),
                    self.expr()
                ),
                1 => format!(
                    "let mut m = [0.0; 3]; m[0] = {}; {} = m; s += m.map(|e| e * 2.0)[1];",
                    self.expr(),
                    self.pick(&["*q", "a", "s", "m"], 4)
                ),
                _ => format!("s += g(*q, {}).iter().sum::<f64>();", self.expr()),
            },
            _ => format!("let t = g([x, {}, 0.0], y); s += t[0] * t[2];", self.expr()),
        }
    }

    /// An iterator chain: a source, up to three adaptors, a consumer.
    fn chain(&mut self) -> String {
        let mut c = self
            .pick(
                &[
                    "v.iter()",
                    "(0..n)",
                    "v.iter().zip(w.iter())",
                    "v.windows(2)",
                    "v.chunks(2)",
                    "p.iter()",
                    "v[1..3].iter()",
                    "v.iter_mut()",
                    "(0..=n)",
                    "v.chunks_exact(3)",
                    "std::iter::once(x)",
                ],
                10,
            )
            .to_owned();
        for _ in 0..self.t.choose(4) {
            let a = self.pick(
                &[
                    ".enumerate()",
                    ".rev()",
                    ".skip(1)",
                    ".take(2)",
                    ".step_by(2)",
                    ".copied()",
                    ".map(|a| a * x)",
                    ".filter(|a| **a > 0.0)",
                    ".zip(w)",
                    ".map(f64::exp)",
                    ".cloned()",
                    ".peekable()",
                ],
                11,
            );
            c.push_str(a);
        }
        let consumer = match self.choice(14, 13) {
            0 => ".sum::<f64>()".to_owned(),
            1 => ".product::<f64>()".to_owned(),
            2 => format!(".fold({}, |s, a| s + a)", self.expr()),
            3 => ".fold(f64::NEG_INFINITY, f64::max)".to_owned(),
            4 => ".count()".to_owned(),
            5 => ".last().unwrap()".to_owned(),
            6 => ".max_by(|a, b| a.total_cmp(b)).unwrap()".to_owned(),
            7 => format!(".for_each(|a| s += {})", self.expr()),
            8 => ".collect::<Vec<_>>()".to_owned(),
            9 => ".any(|a| a > 0.0)".to_owned(),
            10 => ".map(|a| a * a).sum()".to_owned(),
            11 => ".next().unwrap()".to_owned(),
            12 => ".min_by(|a, b| a.partial_cmp(b).unwrap()).unwrap()".to_owned(),
            _ => ".nth(1)".to_owned(),
        };
        c.push_str(&consumer);
        c
    }

    /// A `for` pattern, which may also start with `|`.
    fn for_pat(&mut self) -> String {
        match self.t.choose(4) {
            0 | 1 => self.pat(),
            2 => "| a".to_owned(),
            _ => "(|i, &a)".to_owned(),
        }
    }

    fn place(&mut self) -> String {
        match self.choice(6, 4) {
            0..=1 => self.pick(&["s", "x", "a", "dx"], 4).to_owned(),
            2 => format!("v[{}]", self.expr()),
            3 => "*y".to_owned(),
            4 => "self.k".to_owned(),
            _ => "(a, b)".to_owned(),
        }
    }

    fn iter(&mut self) -> String {
        match self.choice(11, 7) {
            0 => "0..n".to_owned(),
            1 => format!("0..{}", self.expr()),
            2 => "v.iter()".to_owned(),
            3 => "v.iter().enumerate()".to_owned(),
            4 => "(0..n).rev().step_by(2)".to_owned(),
            5 => "v.iter().zip(w)".to_owned(),
            6 => "v".to_owned(),
            7 => "p.iter().zip(v.chunks(3)).rev()".to_owned(),
            8 => "v.windows(2)".to_owned(),
            9 => "std::iter::repeat(x).take(3)".to_owned(),
            _ => format!("{}..={}", self.expr(), self.expr()),
        }
    }

    fn cond(&mut self) -> String {
        match self.choice(5, 4) {
            0..=2 => format!(
                "{} {} {}",
                self.expr(),
                self.pick(&[">", "<", "==", "!=", ">=", "<="], 6),
                self.expr()
            ),
            3 => format!("{} && {}", self.expr(), self.expr()),
            _ => format!("let Some(a) = {}", self.expr()),
        }
    }

    fn atom(&mut self) -> String {
        self.pick(
            &[
                "x",
                "y",
                "1.0",
                "2",
                "n",
                "v",
                "dx",
                "seed",
                "PI",
                "std::f64::consts::PI",
                "T::one()",
                "T::from(2.0).unwrap()",
                "1e-3",
                "K",
                "x_bar",
                "_t0",
                "r#type",
                "true",
                "2.0_f32",
                "\"s\"",
                "'c'",
                "self",
                "self.k",
                "S { x: 1.0 }",
                "()",
                "f64::MAX",
                "f64::NAN",
            ],
            18,
        )
        .to_owned()
    }

    fn expr(&mut self) -> String {
        if self.leaf() {
            return self.atom();
        }
        self.depth += 1;
        // Safe mode: no bare closures, `unsafe`, `async`, labelled blocks, `?` or macros.
        const SAFE: [usize; 25] = [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17, 18, 21, 22, 23, 24, 25, 27, 28, 29,
            30,
        ];
        let kind = if self.safe {
            SAFE[self.t.choose(SAFE.len())]
        } else {
            self.t.choose(31)
        };
        let e = match kind {
            0..=3 => self.atom(),
            4..=6 => format!(
                "{} {} {}",
                self.expr(),
                self.pick(
                    &[
                        "+", "-", "*", "/", "%", "<", "==", "&&", "&", "|", "^", "<<"
                    ],
                    4
                ),
                self.expr()
            ),
            7 => format!(
                "{}{}",
                self.pick(&["-", "!", "*", "&", "&mut "], 1),
                self.expr()
            ),
            8..=10 => format!(
                "({}).{}({})",
                self.expr(),
                self.pick(
                    &[
                        "sin", "cos", "powi", "powf", "mul_add", "max", "clamp", "abs", "sqrt",
                        "atan2", "sin_cos", "hypot", "len", "foo", "unwrap", "clone", "to_bits",
                    ],
                    12
                ),
                self.args()
            ),
            11 => format!(
                "{}({})",
                self.pick(
                    &[
                        "f64::sin", "T::exp", "f64::max", "f", "g", "Box::new", "Some", "inner"
                    ],
                    3
                ),
                self.args()
            ),
            12 => format!(
                "{} {}",
                self.pick(&["|a| a *", "move |a: f64| a +", "|&a| a -", "|| "], 4),
                self.expr()
            ),
            13 => self.block(),
            14 => format!("unsafe {}", self.block()),
            15 => format!("async {}", self.block()),
            16 => format!("if {} {} else {}", self.cond(), self.block(), self.block()),
            17 => format!(
                "match {} {{ {} => {}, {} => {}, _ => {} }}",
                self.expr(),
                self.pick(
                    &[
                        "0",
                        "1 | 2",
                        "0..=3",
                        "1.5",
                        "Some(a)",
                        "a if a > 0",
                        "S { x }"
                    ],
                    3
                ),
                self.expr(),
                self.pick(&["1", "true", "-1.0", "(a, b)", "[a, ..]", "'c'"], 2),
                self.expr(),
                self.expr()
            ),
            18 => format!("loop {{ break {}; }}", self.expr()),
            19 => format!("'b: {{ break 'b {}; }}", self.expr()),
            20 => format!("{}?", self.expr()),
            21 => format!("{} as {}", self.expr(), self.ty()),
            22 => format!("({}, {})", self.expr(), self.expr()),
            23 => format!("[{}; 3]", self.expr()),
            24 => format!("v[{}]", self.expr()),
            25 => format!("return {}", self.expr()),
            26 => format!(
                "{}!({})",
                self.pick(&["vec", "format", "m", "concat", "matches", "stringify"], 6),
                self.expr()
            ),
            // Iterator chains (issue 16), views and array literals.
            28 => self.chain(),
            29 => self
                .pick(
                    &[
                        "v.split_at(1).0[0]",
                        "[x, y, x * y][1]",
                        "*v.first().unwrap()",
                        "v[1..].len() as f64",
                        "p[0][1]",
                        "g(&v[0..2])",
                    ],
                    6,
                )
                .to_owned(),
            30 => format!("({}).sqrt()", self.chain()),
            // Closure bodies that are no block tail once desugared, and one that is no Rust.
            _ => match self.t.choose(4) {
                0 => format!("(v.iter().map(|a| a * {}).sum::<f64>())", self.expr()),
                1 => format!(
                    "(v.iter().map(|a| loop {{ break *a }} / {}).sum::<f64>())",
                    self.expr()
                ),
                2 => format!(
                    "(v.iter().fold(0.0, |s, a| loop {{ break s }} + a * {}))",
                    self.expr()
                ),
                _ => "(v.iter().map(|a| crate * a).sum::<f64>())".to_owned(),
            },
        };
        self.depth -= 1;
        e
    }

    fn args(&mut self) -> String {
        let n = self.t.choose(3);
        (0..n).map(|_| self.expr()).collect::<Vec<_>>().join(", ")
    }
}

pub(super) fn syntax_trees() -> impl Strategy<Value = (TokenStream, TokenStream)> {
    (tape(24), tape(600)).prop_map(|(a, i)| {
        let args = random_args(&mut Tape::new(&a));
        let text = Grammar::new(&i).function();
        // A text that parses is fed as syn prints it; one that does not, as raw tokens.
        let item = match syn::parse_str::<syn::ItemFn>(&text) {
            Ok(f) => f.to_token_stream(),
            Err(_) => TokenStream::from_str(&text).unwrap_or_default(),
        };
        (args, item)
    })
}

#[test]
pub(super) fn fuzz_random_syntax_trees_never_panic() {
    run("random syntax trees", syntax_trees());
}

#[test]
pub(super) fn the_grammar_mostly_parses() {
    // Most grammar outputs must parse as functions, or the property would mostly test the
    // parser's error path.
    let mut rng = Rng(7);
    let mut parsed = 0;
    for _ in 0..400 {
        let data: Vec<u32> = (0..300).map(|_| rng.next()).collect();
        let text = Grammar::new(&data).function();
        parsed += usize::from(syn::parse_str::<syn::ItemFn>(&text).is_ok());
    }
    assert!(parsed >= 200, "only {parsed} of 400 grammar outputs parse");
}

/// A small generator for the test above (SplitMix64).
pub(super) struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    }
}
