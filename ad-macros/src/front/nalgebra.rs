//! nalgebra's fixed-size vectors, points and matrices, known to the macro as structs of floats.
//!
//! A file that uses nalgebra (it names the crate: `use nalgebra::Vector3;`, `use nalgebra as na;`)
//! gets, next to its own structs, a prelude written here as Rust text: a struct with named float
//! fields for each shape the file mentions (`Vector3` is `{ x, y, z }`, `Matrix3` is `{ m11, m21,
//! m31, m12, .. }`, column-major as nalgebra stores it, with nalgebra's own coordinate names),
//! and the `impl`s of the operations users call on them (`+ - *` with scalars, vectors and
//! matrices, `dot`, `cross`, `norm`, `normalize`, `transpose`, `v[i]`, `m[(i, j)]`, ..). The
//! struct machinery then does the rest as for a struct of the user's: parameters are passed as
//! their floats (the wrappers read `v.x`, `m.m12` through nalgebra's `Deref`), bodies are taken
//! apart and the operations inlined, so the derivative of `(r * p - q).norm()` is the scalar
//! arithmetic a hand-written gradient of a 3-vector expression does: no loops, no temporaries,
//! no allocation. `ad_runtime`'s `nalgebra` feature gives the types the runtime's
//! `Differentiable` (zero, accumulate, flatten in the same order as the fields here).
//!
//! Input:  a file with `use nalgebra::{Matrix3, Vector3};` and `fn f(r: &Matrix3<f64>, v: Vector3<f64>)`
//! Output: `struct Vector3<T> { x: T, y: T, z: T }`, `impl Mul<Vector3<T>> for Matrix3<T>`, ..
//!         (text, read by `front/structs.rs` like the file's own structs).
//!
//! `SVector<T, 3>`, `SMatrix<T, 2, 3>` and `Point<T, 3>` are the same types under other names:
//! [`canonical`] maps them to `Vector3`, `Matrix2x3`, `Point3`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use syn::visit::Visit;

/// Why a method of a nalgebra type is refused: what the prelude has instead.
pub const UNKNOWN_METHOD: &str = "the macro differentiates nalgebra's fixed-size vectors, \
     points and matrices through these operations: `+ - *` (by scalars, matrix-vector, \
     matrix-matrix), `/` by a scalar, `-v`, `+= -= *= /=`, `new`, `zeros`, `identity`, `dot`, \
     `cross`, `norm`, `norm_squared`, `magnitude`, `normalize`, `sum`, `scale`, `abs`, \
     `component_mul`, `component_div`, `max`, `min`, `transpose`, `trace`, `determinant` (2x2, \
     3x3), `v[i]`, `m[(i, j)]`, `v.x`, `m.m12`; write the rest from these (or compute it outside \
     the differentiated function)";

/// The components of a vector or point of dimension 1..6, as nalgebra names them.
const COMPONENTS: [&str; 6] = ["x", "y", "z", "w", "a", "b"];

/// Whether a file uses nalgebra: it names the crate somewhere (a `use`, an `extern crate`, a
/// path).
pub fn uses_nalgebra(file: &syn::File) -> bool {
    names_crate(file, "nalgebra")
}

/// Whether a file names the crate `name` anywhere.
pub fn names_crate(file: &syn::File, name: &str) -> bool {
    struct Find<'n>(&'n str, bool);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.1 |= i == self.0;
        }
    }
    let mut find = Find(name, false);
    find.visit_file(file);
    find.1
}

/// The dimension of a const generic argument written as an integer literal.
fn dim(a: &syn::GenericArgument) -> Option<usize> {
    match a {
        syn::GenericArgument::Const(syn::Expr::Lit(l)) => match &l.lit {
            syn::Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        // `SVector<f64, 3>` parses the `3` as a type-or-const; syn reads it as a const.
        _ => None,
    }
}

/// The name the prelude knows a nalgebra type by: `SVector<T, 3>` is `Vector3`, `SMatrix<T, 2,
/// 3>` is `Matrix2x3`, `Point<T, 3>` is `Point3`; any other segment keeps its name.
pub fn canonical(seg: &syn::PathSegment) -> String {
    let name = seg.ident.to_string();
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return name;
    };
    let dims: Vec<usize> = args.args.iter().filter_map(dim).collect();
    match (name.as_str(), dims.as_slice()) {
        ("SVector", [n]) | ("Point", [n]) if (1..=6).contains(n) => {
            let base = if name == "Point" { "Point" } else { "Vector" };
            format!("{base}{n}")
        }
        ("SMatrix", [r, c]) if (1..=6).contains(r) && (1..=6).contains(c) => {
            if *c == 1 {
                format!("Vector{r}")
            } else {
                format!("Matrix{r}x{c}")
            }
        }
        _ => name,
    }
}

/// What a prelude name stands for: `(rows, columns, point)`.
fn shape_of(name: &str) -> Option<(usize, usize, bool)> {
    let small = |s: &str| s.parse::<usize>().ok().filter(|n| (2..=6).contains(n));
    if let Some(n) = name.strip_prefix("Vector") {
        return small(n).map(|n| (n, 1, false));
    }
    if let Some(n) = name.strip_prefix("Point") {
        return small(n).map(|n| (n, 1, true));
    }
    let rest = name.strip_prefix("Matrix")?;
    match rest.split_once('x') {
        Some((r, c)) => Some((small(r)?, small(c)?, false)),
        None => small(rest).map(|n| (n, n, false)),
    }
}

/// The prelude for the nalgebra types `file` mentions (and the shapes their products,
/// transposes and matrix-vector products give), or `None` when the file does not use nalgebra.
pub fn prelude(file: &syn::File) -> Option<syn::File> {
    if !uses_nalgebra(file) {
        return None;
    }
    struct Names(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            let name = canonical(s);
            if shape_of(&name).is_some() {
                self.0.insert(name);
            }
            syn::visit::visit_path_segment(self, s);
        }
    }
    let mut names = Names(BTreeSet::new());
    names.visit_file(file);
    let text = Prelude::new(names.0).text();
    syn::parse_file(&text).ok()
}

/// The shapes (`(rows, columns)`, a column vector has one column) and points of a prelude.
struct Prelude {
    shapes: BTreeSet<(usize, usize)>,
    points: BTreeSet<usize>,
}

impl Prelude {
    /// The prelude of the mentioned names, closed under transposes and products.
    fn new(mentioned: BTreeSet<String>) -> Prelude {
        let mut shapes = BTreeSet::new();
        let mut points = BTreeSet::new();
        for name in &mentioned {
            match shape_of(name) {
                Some((n, _, true)) => {
                    points.insert(n);
                    shapes.insert((n, 1));
                    // A point is rotated by a square matrix: `r * p`.
                }
                Some((r, c, false)) => {
                    shapes.insert((r, c));
                }
                None => {}
            }
        }
        loop {
            let before = shapes.len();
            let now: Vec<_> = shapes.iter().copied().collect();
            for &(r, c) in &now {
                if c > 1 {
                    shapes.insert((c, r));
                    // A matrix times a vector, and the vectors of its rows and columns.
                    shapes.insert((r, 1));
                    shapes.insert((c, 1));
                }
                for &(k, c2) in &now {
                    if k == c && c > 1 {
                        shapes.insert((r, c2));
                    }
                }
            }
            if shapes.len() == before {
                break;
            }
        }
        Prelude { shapes, points }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for &(r, c) in &self.shapes {
            for name in names(r, c) {
                self.matrix(&mut out, &name, r, c);
            }
        }
        for &n in &self.points {
            point(&mut out, n);
        }
        out
    }

    /// A vector (`c == 1`) or matrix type and its operations.
    fn matrix(&self, out: &mut String, name: &str, r: usize, c: usize) {
        let fields = fields(r, c);
        let ty = format!("{name}<T>");
        struct_item(out, name, &fields);
        elementwise(out, name, &fields);
        let each = |f: &dyn Fn(&str) -> String| -> String {
            fields
                .iter()
                .map(|x| format!("{x}: {}", f(x)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sum = |f: &dyn Fn(&str) -> String| -> String {
            fields.iter().map(|x| f(x)).collect::<Vec<_>>().join(" + ")
        };
        let mut methods = String::new();
        let w = &mut methods;
        // `new` takes the entries row by row, as nalgebra's does.
        let by_rows: Vec<String> = (1..=r)
            .flat_map(|i| (1..=c).map(move |j| entry(r, c, i, j)))
            .collect();
        let params: Vec<String> = by_rows.iter().map(|x| format!("{x}: T")).collect();
        let _ = writeln!(
            w,
            "pub fn new({}) -> Self {{ {name} {{ {} }} }}",
            params.join(", "),
            fields.join(", ")
        );
        let _ = writeln!(
            w,
            "pub fn zeros() -> Self {{ {name} {{ {} }} }}",
            each(&|_| "0.0".into())
        );
        if r == c {
            let _ = writeln!(
                w,
                "pub fn identity() -> Self {{ {name} {{ {} }} }}",
                each(&|x| if x.as_bytes()[1] == x.as_bytes()[2] {
                    "1.0".into()
                } else {
                    "0.0".into()
                })
            );
            let trace: Vec<String> = (1..=r).map(|i| format!("self.m{i}{i}")).collect();
            let _ = writeln!(w, "pub fn trace(&self) -> T {{ {} }}", trace.join(" + "));
            if let Some(det) = determinant(r) {
                let _ = writeln!(w, "pub fn determinant(&self) -> T {{ {det} }}");
            }
        }
        let _ = writeln!(
            w,
            "pub fn dot(&self, o: &{ty}) -> T {{ {} }}",
            sum(&|x| format!("self.{x} * o.{x}"))
        );
        let _ = writeln!(
            w,
            "pub fn norm_squared(&self) -> T {{ {} }}",
            sum(&|x| format!("self.{x} * self.{x}"))
        );
        let _ = writeln!(
            w,
            "pub fn magnitude_squared(&self) -> T {{ self.norm_squared() }}"
        );
        let _ = writeln!(
            w,
            "pub fn norm(&self) -> T {{ self.norm_squared().sqrt() }}"
        );
        let _ = writeln!(w, "pub fn magnitude(&self) -> T {{ self.norm() }}");
        let _ = writeln!(
            w,
            "pub fn normalize(&self) -> {ty} {{ let n = self.norm(); {name} {{ {} }} }}",
            each(&|x| format!("self.{x} / n"))
        );
        let _ = writeln!(
            w,
            "pub fn sum(&self) -> T {{ {} }}",
            sum(&|x| format!("self.{x}"))
        );
        let _ = writeln!(
            w,
            "pub fn scale(&self, s: T) -> {ty} {{ {name} {{ {} }} }}",
            each(&|x| format!("self.{x} * s"))
        );
        let _ = writeln!(
            w,
            "pub fn abs(&self) -> {ty} {{ {name} {{ {} }} }}",
            each(&|x| format!("self.{x}.abs()"))
        );
        for (method, op) in [("component_mul", "*"), ("component_div", "/")] {
            let _ = writeln!(
                w,
                "pub fn {method}(&self, o: &{ty}) -> {ty} {{ {name} {{ {} }} }}",
                each(&|x| format!("self.{x} {op} o.{x}"))
            );
        }
        for (method, f) in [("max", "max"), ("min", "min")] {
            let first = format!("self.{}", fields[0]);
            let folded = fields[1..]
                .iter()
                .fold(first, |acc, x| format!("{acc}.{f}(self.{x})"));
            let _ = writeln!(w, "pub fn {method}(&self) -> T {{ {folded} }}");
        }
        if c > 1 {
            let t = canonical_name(c, r);
            let _ = writeln!(
                w,
                "pub fn transpose(&self) -> {t}<T> {{ {t} {{ {} }} }}",
                self::fields(c, r)
                    .iter()
                    .map(|x| format!("{x}: self.m{}{}", &x[2..3], &x[1..2]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if c == 1 && r == 3 {
            let _ = writeln!(
                w,
                "pub fn cross(&self, o: &{ty}) -> {ty} {{ {name} {{ x: self.y * o.z - self.z * \
                 o.y, y: self.z * o.x - self.x * o.z, z: self.x * o.y - self.y * o.x }} }}"
            );
        }
        let _ = writeln!(out, "impl<T: Float> {ty} {{ {methods} }}");
        // Indexing: `v[i]` for vectors, `m[(i, j)]` for matrices (an out-of-range index reads
        // the last entry; nalgebra's panics).
        if c == 1 {
            index_impl(out, &ty, &fields, "usize", &|k| k.to_string());
        } else {
            index_impl(out, &ty, &fields, "(usize, usize)", &|k| {
                format!("({}, {})", k % r, k / r)
            });
        }
        // Products with the vectors and matrices of the prelude.
        if c > 1 {
            for &(k, c2) in &self.shapes {
                if k != c {
                    continue;
                }
                for rhs in names(k, c2) {
                    let res = canonical_name(r, c2);
                    let entries: Vec<String> = fields_of(r, c2)
                        .into_iter()
                        .map(|(f, i, j)| {
                            let terms: Vec<String> = (1..=c)
                                .map(|l| {
                                    format!("self.{} * o.{}", entry(r, c, i, l), entry(k, c2, l, j))
                                })
                                .collect();
                            format!("{f}: {}", terms.join(" + "))
                        })
                        .collect();
                    let _ = writeln!(
                        out,
                        "impl<T: Float> Mul<{rhs}<T>> for {ty} {{ type Output = {res}<T>; fn \
                         mul(self, o: {rhs}<T>) -> {res}<T> {{ {res} {{ {} }} }} }}",
                        entries.join(", ")
                    );
                }
            }
            if r == c && self.points.contains(&r) {
                let entries: Vec<String> = (1..=r)
                    .map(|i| {
                        let terms: Vec<String> = (1..=c)
                            .map(|l| {
                                format!("self.{} * o.{}", entry(r, c, i, l), COMPONENTS[l - 1])
                            })
                            .collect();
                        format!("{}: {}", COMPONENTS[i - 1], terms.join(" + "))
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "impl<T: Float> Mul<Point{r}<T>> for {ty} {{ type Output = Point{r}<T>; fn \
                     mul(self, o: Point{r}<T>) -> Point{r}<T> {{ Point{r} {{ {} }} }} }}",
                    entries.join(", ")
                );
            }
        }
    }
}

/// The names of a shape: `Vector3`; `Matrix3` and `Matrix3x3`; `Matrix2x3`.
fn names(r: usize, c: usize) -> Vec<String> {
    match (r, c) {
        (r, 1) => vec![format!("Vector{r}")],
        (r, c) if r == c => vec![format!("Matrix{r}"), format!("Matrix{r}x{r}")],
        (r, c) => vec![format!("Matrix{r}x{c}")],
    }
}

/// The name the prelude gives the result of an operation of shape `(r, c)`.
fn canonical_name(r: usize, c: usize) -> String {
    if c == 1 {
        format!("Vector{r}")
    } else {
        format!("Matrix{r}x{c}")
    }
}

/// The field of entry `(i, j)` (1-based) of an `r x c` shape: `z` of a vector, `m23` of a matrix.
fn entry(r: usize, c: usize, i: usize, j: usize) -> String {
    let _ = r;
    if c == 1 {
        COMPONENTS[i - 1].to_owned()
    } else {
        format!("m{i}{j}")
    }
}

/// The fields of an `r x c` shape in storage order (column-major) with their entries.
fn fields_of(r: usize, c: usize) -> Vec<(String, usize, usize)> {
    (1..=c)
        .flat_map(|j| (1..=r).map(move |i| (entry(r, c, i, j), i, j)))
        .collect()
}

fn fields(r: usize, c: usize) -> Vec<String> {
    fields_of(r, c).into_iter().map(|(f, _, _)| f).collect()
}

/// `#[derive(Differentiable)] pub struct NAME<T> { .. }`.
fn struct_item(out: &mut String, name: &str, fields: &[String]) {
    let fields: Vec<String> = fields.iter().map(|x| format!("pub {x}: T")).collect();
    let _ = writeln!(
        out,
        "#[derive(Differentiable)] pub struct {name}<T> {{ {} }}",
        fields.join(", ")
    );
}

/// `+ - ` between values of one type, `-v`, `+= -=`, and `* /` (also `*= /=`) by a scalar on
/// either side.
fn elementwise(out: &mut String, name: &str, fields: &[String]) {
    let ty = format!("{name}<T>");
    let each = |f: &dyn Fn(&str) -> String, sep: &str| -> String {
        fields.iter().map(|x| f(x)).collect::<Vec<_>>().join(sep)
    };
    for (tr, method, op) in [("Add", "add", "+"), ("Sub", "sub", "-")] {
        let _ = writeln!(
            out,
            "impl<T: Float> {tr} for {ty} {{ type Output = {ty}; fn {method}(self, o: {ty}) -> \
             {ty} {{ {name} {{ {} }} }} }}",
            each(&|x| format!("{x}: self.{x} {op} o.{x}"), ", ")
        );
        let _ = writeln!(
            out,
            "impl<T: Float> {tr}Assign for {ty} {{ fn {method}_assign(&mut self, o: {ty}) {{ {} }} }}",
            each(&|x| format!("self.{x} {op}= o.{x};"), " ")
        );
    }
    let _ = writeln!(
        out,
        "impl<T: Float> Neg for {ty} {{ type Output = {ty}; fn neg(self) -> {ty} {{ {name} {{ {} }} }} }}",
        each(&|x| format!("{x}: -self.{x}"), ", ")
    );
    for (tr, method, op) in [("Mul", "mul", "*"), ("Div", "div", "/")] {
        let _ = writeln!(
            out,
            "impl<T: Float> {tr}<T> for {ty} {{ type Output = {ty}; fn {method}(self, s: T) -> \
             {ty} {{ {name} {{ {} }} }} }}",
            each(&|x| format!("{x}: self.{x} {op} s"), ", ")
        );
        let _ = writeln!(
            out,
            "impl<T: Float> {tr}Assign<T> for {ty} {{ fn {method}_assign(&mut self, s: T) {{ {} }} }}",
            each(&|x| format!("self.{x} {op}= s;"), " ")
        );
    }
    // `2.0 * v`: the body does not name the float type, so one impl serves f32 and f64.
    let _ = writeln!(
        out,
        "impl Mul<{name}<f64>> for f64 {{ type Output = {name}<f64>; fn mul(self, o: {name}<f64>) \
         -> {name}<f64> {{ {name} {{ {} }} }} }}",
        each(&|x| format!("{x}: self * o.{x}"), ", ")
    );
}

/// A point of dimension `n`: `p - q` is a vector, `p + v` and `p - v` points.
fn point(out: &mut String, n: usize) {
    let name = format!("Point{n}");
    let v = format!("Vector{n}<T>");
    let fields: Vec<String> = COMPONENTS[..n].iter().map(|s| (*s).to_owned()).collect();
    struct_item(out, &name, &fields);
    let each = |f: &dyn Fn(&str) -> String| -> String {
        fields.iter().map(|x| f(x)).collect::<Vec<_>>().join(", ")
    };
    let params: Vec<String> = fields.iter().map(|x| format!("{x}: T")).collect();
    let _ = writeln!(
        out,
        "impl<T: Float> {name}<T> {{ pub fn new({}) -> Self {{ {name} {{ {} }} }} pub fn \
         origin() -> Self {{ {name} {{ {} }} }} }}",
        params.join(", "),
        fields.join(", "),
        each(&|x| format!("{x}: 0.0"))
    );
    let _ = writeln!(
        out,
        "impl<T: Float> Sub for {name}<T> {{ type Output = {v}; fn sub(self, o: {name}<T>) -> {v} \
         {{ Vector{n} {{ {} }} }} }}",
        each(&|x| format!("{x}: self.{x} - o.{x}"))
    );
    for (tr, method, op) in [("Add", "add", "+"), ("Sub", "sub", "-")] {
        let _ = writeln!(
            out,
            "impl<T: Float> {tr}<{v}> for {name}<T> {{ type Output = {name}<T>; fn {method}(self, \
             o: {v}) -> {name}<T> {{ {name} {{ {} }} }} }}",
            each(&|x| format!("{x}: self.{x} {op} o.{x}"))
        );
    }
    index_impl(out, &format!("{name}<T>"), &fields, "usize", &|k| {
        k.to_string()
    });
}

/// `impl Index<KEY> for TY`: a `match` over the fields, the `k`-th under the pattern `key(k)`
/// and the last under `_` (an out-of-range index reads the last entry; nalgebra's panics).
fn index_impl(
    out: &mut String,
    ty: &str,
    fields: &[String],
    key_ty: &str,
    key: &dyn Fn(usize) -> String,
) {
    let arms: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(k, x)| {
            if k + 1 == fields.len() {
                format!("_ => &self.{x}")
            } else {
                format!("{} => &self.{x}", key(k))
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "impl<T: Float> Index<{key_ty}> for {ty} {{ type Output = T; fn index(&self, k: {key_ty}) \
         -> &T {{ match k {{ {} }} }} }}",
        arms.join(", ")
    );
}

/// The determinant of a 2x2 or 3x3 matrix by its formula (cofactors along the first row).
fn determinant(n: usize) -> Option<String> {
    match n {
        2 => Some("self.m11 * self.m22 - self.m12 * self.m21".to_owned()),
        3 => Some(
            "self.m11 * (self.m22 * self.m33 - self.m23 * self.m32) - self.m12 * (self.m21 * \
             self.m33 - self.m23 * self.m31) + self.m13 * (self.m21 * self.m32 - self.m22 * \
             self.m31)"
                .to_owned(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> syn::File {
        syn::parse_file(text).unwrap()
    }

    #[test]
    fn only_files_naming_nalgebra_get_a_prelude() {
        assert!(prelude(&file("struct Vector3 { x: f64 }")).is_none());
        let p = prelude(&file("use nalgebra::Vector3; fn f(v: Vector3<f64>) {}")).unwrap();
        let text = quote::quote!(#p).to_string();
        assert!(text.contains("pub struct Vector3 < T >"));
        assert!(text.contains("fn cross"));
        assert!(!text.contains("Matrix"));
    }

    #[test]
    fn const_generic_names_are_the_aliases() {
        let seg = |t: &str| syn::parse_str::<syn::Path>(t).unwrap().segments[0].clone();
        assert_eq!(canonical(&seg("SVector<f64, 3>")), "Vector3");
        assert_eq!(canonical(&seg("SMatrix<f32, 2, 3>")), "Matrix2x3");
        assert_eq!(canonical(&seg("SMatrix<f32, 4, 1>")), "Vector4");
        assert_eq!(canonical(&seg("Point<f64, 2>")), "Point2");
        assert_eq!(canonical(&seg("Point<f64>")), "Point");
    }

    #[test]
    fn products_close_the_shapes() {
        // A 2x3 matrix brings its transpose, its row and column vectors and both products.
        let p = Prelude::new(["Matrix2x3".to_owned()].into());
        let shapes: Vec<_> = p.shapes.iter().copied().collect();
        assert_eq!(shapes, [(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (3, 3)]);
        let text = p.text();
        assert!(text.contains("impl<T: Float> Mul<Vector3<T>> for Matrix2x3<T>"));
        assert!(text.contains("fn transpose(&self) -> Matrix3x2<T>"));
        // Column-major fields, row-major `new`.
        assert!(text.contains("pub struct Matrix2x3<T> { pub m11: T, pub m21: T, pub m12: T"));
        assert!(text.contains("pub fn new(m11: T, m12: T, m13: T, m21: T"));
        syn::parse_file(&text).unwrap();
    }
}
