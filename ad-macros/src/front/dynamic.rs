//! nalgebra's dynamically sized `DVector` and `DMatrix`, and ndarray's arrays and views, as
//! slices of floats with derivative rules per operation.
//!
//! A parameter `x: &DVector<F>` (or `&mut`) becomes `x: &[F]` in the flat function, and
//! `a: &DMatrix<F>` becomes `a: &[F]` (column-major) with a constant `a__rows: usize`; the wrappers
//! pass `x.as_slice()` and `a.nrows()` (`emit/structs.rs`). The body is rewritten over those
//! slices before anything else reads it:
//!
//! - products go to the runtime's kernels, which carry their own rules (`ad_runtime::dense`:
//!   `a * x` is `matvec`, `a.transpose() * y` and `a.tr_mul(&y)` are `tr_matvec`, `a * b` is
//!   `matmul`, `a.transpose()` is `transpose`), each writing a fresh local `Vec`;
//! - element-wise operations (`u + v`, `u - v`, `u * s`, `s * u`, `u / s`, `-u`,
//!   `component_mul`, `map`, ..) become iterator chains that `collect` into a fresh `Vec`, and
//!   reductions (`norm_squared`, `norm`, `dot`, `sum`, `mean`, `max`, `min`) chains that
//!   reduce, which the lowering differentiates like any other chain;
//! - `v[i]` stays, `m[(i, j)]` is `m[i + m__rows * j]`, `nrows()` / `ncols()` / `len()` read the
//!   sizes.
//!
//! ndarray's `Array1` / `Array2` (by reference) and `ArrayView1` / `ArrayView2` /
//! `ArrayViewMut1` (by value) take the same path ([`Lib::Ndarray`]). Its matrices are row-major,
//! so the slice of an `r x c` matrix is the column-major slice of its transpose, with
//! `a__rows = c`: `a.dot(&x)` is `tr_matvec`, `a.t().dot(&y)` is `matvec`, `a[[i, j]]` is
//! `a[j + a__rows * i]`, and `*` between arrays is element by element.
//!
//! Input:  `0.5 * (a * x - b).norm_squared()` with `a: &DMatrix<f64>`, `x, b: &DVector<f64>`
//! Output: `let mut __dn1: Vec<f64> = ::ad_runtime::__alloc::vec![0.0; a__rows]; ::ad_runtime::dense::matvec(a, a__rows,
//!         x, &mut __dn1); let __dn2: Vec<f64> = __dn1.iter().zip(b.iter()).map(|(&p, &q)| p -
//!         q).collect::<Vec<f64>>(); 0.5 * __dn2.iter().map(|&t| t * t).sum::<f64>()`

use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Block, Expr, Stmt, Type};

use crate::errors::Errors;

/// Why an operation on a `DVector` / `DMatrix` is refused: what is supported instead.
const UNKNOWN: &str = "the macro differentiates nalgebra's `DVector` / `DMatrix` and ndarray's \
     arrays through these operations: products (`a * x`, `a.transpose() * y`, `a.tr_mul(&y)`, \
     `a * b`; ndarray's `a.dot(&x)`, `a.t().dot(&y)`, `a.dot(&b)`), `transpose()` / `t()`, \
     `u + v`, `u - v`, `u * s`, `s * u`, `u / s`, `-u` (and ndarray's element-wise `u * v`), \
     `component_mul`, `component_div`, `map` / `mapv`, `scale`, `abs`, `norm_squared`, `norm`, \
     `dot`, `sum`, `mean`, `max`, `min`, `len`, `nrows`, `ncols`, `v[i]`, `m[(i, j)]` / \
     `a[[i, j]]`, `iter()`, `clone()`, `DVector::zeros(n)`, `DVector::from_element(n, v)`, \
     `Array1::zeros(n)`, `Array1::from_elem(n, v)`; write the rest from these, or over `v[i]` in \
     a loop";

/// The methods that read a float or a size off a dynamic value (`dot` of two vectors too).
const REDUCERS: &[&str] = &[
    "norm_squared",
    "norm",
    "magnitude",
    "magnitude_squared",
    "sum",
    "mean",
    "max",
    "min",
    "len",
    "nrows",
    "ncols",
];

/// A dynamic vector (its length) or matrix (its number of rows; the columns are `len / rows`).
#[derive(Clone)]
pub enum Shape {
    Vector,
    Matrix { rows: Ident },
}

/// Which crate a dynamic parameter's type is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lib {
    Nalgebra,
    /// ndarray: matrices are row-major, so the flat slice of an `r x c` matrix is the
    /// column-major slice of its transpose, whose row count (`a__rows`) is `c`.
    Ndarray,
}

/// A dynamic vector or matrix parameter's type: nalgebra's `&DVector<F>`, `&DMatrix<F>` (and
/// `&mut`), ndarray's `&Array1<F>`, `&Array2<F>`, `&mut Array1<F>`, `ArrayView1<F>`,
/// `ArrayView2<F>`, `ArrayViewMut1<F>`.
#[derive(Clone, Debug)]
pub struct DynType {
    pub lib: Lib,
    pub matrix: bool,
    pub elem: Type,
    pub mutable: bool,
    /// An ndarray view passed by value (`ArrayView1<F>`), not a reference.
    pub view: bool,
}

/// The [`DynType`] of `ty`, when it is one.
pub fn dynamic_type(ty: &Type) -> Option<DynType> {
    let (inner, mutable, reference) = match ty {
        Type::Reference(r) => (&*r.elem, r.mutability.is_some(), true),
        other => (other, false, false),
    };
    let Type::Path(p) = inner else { return None };
    let last = p.path.segments.last()?;
    let (lib, matrix, view_mut) = match last.ident.to_string().as_str() {
        "DVector" if reference => (Lib::Nalgebra, false, false),
        "DMatrix" if reference => (Lib::Nalgebra, true, false),
        "Array1" if reference => (Lib::Ndarray, false, false),
        "Array2" if reference => (Lib::Ndarray, true, false),
        "ArrayView1" if !reference => (Lib::Ndarray, false, false),
        "ArrayView2" if !reference => (Lib::Ndarray, true, false),
        "ArrayViewMut1" if !reference => (Lib::Ndarray, false, true),
        _ => return None,
    };
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    let elem = a.args.iter().find_map(|g| match g {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })?;
    Some(DynType {
        lib,
        matrix,
        elem,
        mutable: mutable || view_mut,
        view: !reference,
    })
}

/// The name of a matrix parameter's row count in the flat function: `a__rows`.
pub fn rows_ident(base: &Ident) -> Ident {
    format_ident!("{}__rows", base)
}

/// The rewrite of a body over dynamic vectors and matrices.
pub struct Dynamic<'e> {
    shapes: HashMap<String, Shape>,
    /// The parameters outside `wrt`: a product with one of them as the matrix calls the
    /// kernel that has no adjoint for it (`const_matvec`).
    constant: Vec<String>,
    /// Row-major matrices (ndarray) or column-major ones (nalgebra).
    lib: Lib,
    elem: Type,
    fresh: usize,
    errors: &'e mut Errors,
}

impl<'e> Dynamic<'e> {
    /// A rewrite knowing the dynamic parameters (`(name, shape)`) of float type `elem`, and
    /// which of them are constants.
    pub fn new(
        params: Vec<(Ident, Shape)>,
        constant: Vec<String>,
        lib: Lib,
        elem: Type,
        errors: &'e mut Errors,
    ) -> Self {
        Dynamic {
            shapes: params
                .into_iter()
                .map(|(n, s)| (n.to_string(), s))
                .collect(),
            constant,
            lib,
            elem,
            fresh: 0,
            errors,
        }
    }

    fn fresh(&mut self) -> Ident {
        self.fresh += 1;
        Ident::new(&format!("__dn{}", self.fresh), Span::mixed_site())
    }

    /// Rewrites a block's statements, hoisting the operations' temporaries before the statement
    /// that uses them.
    pub fn block(&mut self, b: &mut Block) {
        let stmts = std::mem::take(&mut b.stmts);
        for mut s in stmts {
            let mut pre = Vec::new();
            self.stmt(&mut s, &mut pre);
            b.stmts.extend(pre);
            b.stmts.push(s);
        }
    }

    fn stmt(&mut self, s: &mut Stmt, pre: &mut Vec<Stmt>) {
        match s {
            Stmt::Local(l) => {
                let Some(init) = &mut l.init else { return };
                if let Some((name, shape)) = self.value(&init.expr, pre) {
                    *init.expr = syn::parse_quote!(#name);
                    if let syn::Pat::Ident(pi) = &l.pat {
                        self.shapes.insert(pi.ident.to_string(), shape);
                    } else if let syn::Pat::Type(pt) = &l.pat
                        && let syn::Pat::Ident(pi) = &*pt.pat
                    {
                        self.shapes.insert(pi.ident.to_string(), shape);
                        l.pat = syn::Pat::Ident(pi.clone());
                    }
                    return;
                }
                self.expr(&mut init.expr, pre);
                if let Some((_, diverge)) = &mut init.diverge {
                    self.expr(diverge, pre);
                }
            }
            Stmt::Expr(e, _) => {
                if let Some(assign) = self.assign(e, pre) {
                    *e = assign;
                    return;
                }
                self.expr(e, pre);
            }
            Stmt::Macro(_) | Stmt::Item(_) => {}
        }
    }

    /// `*y = expr`, `y.copy_from(&expr)` (nalgebra), `y.assign(&expr)` (ndarray), `v += &w`,
    /// `v -= &w` on dynamic values: element loops.
    fn assign(&mut self, e: &Expr, pre: &mut Vec<Stmt>) -> Option<Expr> {
        let (target, value, op) = match e {
            Expr::Assign(a) => (strip(&a.left), &*a.right, quote!(=)),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::AddAssign(_)) => {
                (strip(&b.left), &*b.right, quote!(+=))
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::SubAssign(_)) => {
                (strip(&b.left), &*b.right, quote!(-=))
            }
            Expr::MethodCall(m)
                if (m.method == "copy_from" || m.method == "assign") && m.args.len() == 1 =>
            {
                (strip(&m.receiver), &m.args[0], quote!(=))
            }
            _ => return None,
        };
        let Expr::Path(p) = target else { return None };
        let name = p.path.get_ident()?;
        self.shapes.get(&name.to_string())?;
        let (v, _) = self.value(value, pre)?;
        let k = Ident::new("__dn_k", Span::mixed_site());
        Some(syn::parse_quote!(for #k in 0..#name.len() { #name[#k] #op #v[#k]; }))
    }

    /// Rewrites the dynamic operations inside `e`, in place.
    fn expr(&mut self, e: &mut Expr, pre: &mut Vec<Stmt>) {
        if let Some(scalar) = self.scalar(e, pre) {
            *e = scalar;
            return;
        }
        if let Some((name, _)) = self.value(e, pre) {
            *e = syn::parse_quote!(#name);
            return;
        }
        match e {
            // Bodies of blocks, branches and loops hoist into themselves.
            Expr::Block(b) => self.block(&mut b.block),
            Expr::If(i) => {
                self.expr(&mut i.cond, pre);
                self.block(&mut i.then_branch);
                if let Some((_, els)) = &mut i.else_branch {
                    let mut inner = Vec::new();
                    self.expr(els, &mut inner);
                    pre.extend(inner);
                }
            }
            Expr::ForLoop(f) => {
                self.expr(&mut f.expr, pre);
                self.block(&mut f.body);
            }
            Expr::While(w) => self.block(&mut w.body),
            Expr::Loop(l) => self.block(&mut l.body),
            Expr::Unsafe(u) => self.block(&mut u.block),
            // A closure's body cannot hoist before the statement: it is left as written (a
            // dynamic operation inside fails to compile over slices, so it is refused).
            // A closure's body is rewritten in place (`a[(i, 0)]`, `x.len()`), but an operation
            // that needs a temporary cannot hoist out of it: that is refused.
            Expr::Closure(c) => {
                let mut inner = Vec::new();
                self.expr(&mut c.body, &mut inner);
                if !inner.is_empty() {
                    self.errors.spanned(
                        &*c.body,
                        "an operation that builds a new vector or matrix (a product, an \
                         element-wise operation) inside a closure is not supported yet: compute \
                         it before the closure",
                    );
                }
            }
            _ => {
                let mut v = Sub(self, pre);
                syn::visit_mut::visit_expr_mut(&mut v, e);
            }
        }
    }

    /// The shape of a name or a reference to one.
    fn named(&self, e: &Expr) -> Option<(Ident, Shape)> {
        match strip(e) {
            Expr::Path(p) => {
                let id = p.path.get_ident()?;
                Some((id.clone(), self.shapes.get(&id.to_string())?.clone()))
            }
            _ => None,
        }
    }

    /// Whether `e` is a dynamic vector or matrix (not an element of one): a name of one, an
    /// operation on one that yields one, or a constructor.
    fn is_dynamic(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::Binary(b) => self.is_dynamic(&b.left) || self.is_dynamic(&b.right),
            Expr::Unary(u) => self.is_dynamic(&u.expr),
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                !REDUCERS.contains(&name.as_str())
                    && (name != "dot" || self.is_matrix(&m.receiver))
                    && self.is_dynamic(&m.receiver)
            }
            Expr::Call(c) => matches!(&*c.func, Expr::Path(p) if p.path.segments.iter()
                .any(|s| s.ident == "DVector" || s.ident == "Array1")),
            other => self.named(other).is_some(),
        }
    }

    /// Whether `e` is a matrix: a named one, a transpose (`a.t()`, `a.transpose()`) or a
    /// product of them, judged without taking anything apart.
    fn is_matrix(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "t" | "transpose") => {
                self.is_matrix(&m.receiver)
            }
            Expr::MethodCall(m) if m.method == "dot" => {
                self.is_matrix(&m.receiver) && m.args.first().is_some_and(|a| self.is_matrix(a))
            }
            other => matches!(self.named(other), Some((_, Shape::Matrix { .. }))),
        }
    }

    /// The rows of a matrix shape, as an expression.
    fn rows(shape: &Shape) -> TokenStream {
        match shape {
            Shape::Matrix { rows } => quote!(#rows),
            Shape::Vector => quote!(1usize),
        }
    }

    /// A float- or integer-valued expression over dynamic values (`v.norm()`, `m[(i, j)]`,
    /// `m.nrows()`), rewritten over the slices.
    fn scalar(&mut self, e: &Expr, pre: &mut Vec<Stmt>) -> Option<Expr> {
        let elem = self.elem.clone();
        match e {
            Expr::Index(ix) => {
                let (base, shape) = self.named(&ix.expr).or_else(|| self.value(&ix.expr, pre))?;
                let mut index = (*ix.index).clone();
                self.expr(&mut index, pre);
                match (&shape, &index) {
                    (Shape::Matrix { rows }, Expr::Tuple(t)) if t.elems.len() == 2 => {
                        let (i, j) = (&t.elems[0], &t.elems[1]);
                        Some(syn::parse_quote!(#base[(#i) + #rows * (#j)]))
                    }
                    // ndarray's `a[[i, j]]`: entry (j, i) of the stored transpose.
                    (Shape::Matrix { rows }, Expr::Array(t)) if t.elems.len() == 2 => {
                        let (i, j) = (&t.elems[0], &t.elems[1]);
                        Some(syn::parse_quote!(#base[(#j) + #rows * (#i)]))
                    }
                    _ => Some(syn::parse_quote!(#base[#index])),
                }
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let reducer = REDUCERS.contains(&name.as_str()) || name == "dot";
                if !reducer {
                    return None;
                }
                // A matrix's `dot` (ndarray) is a product: `value` takes it.
                if name == "dot" && self.is_matrix(&m.receiver) {
                    return None;
                }
                let (v, shape) = self
                    .named(&m.receiver)
                    .or_else(|| self.value(&m.receiver, pre))?;
                let rows = Self::rows(&shape);
                let t = Ident::new("__dn_t", Span::mixed_site());
                Some(match name.as_str() {
                    "norm_squared" | "magnitude_squared" => {
                        syn::parse_quote!(#v.iter().map(|&#t| #t * #t).sum::<#elem>())
                    }
                    "norm" | "magnitude" => {
                        syn::parse_quote!(#v.iter().map(|&#t| #t * #t).sum::<#elem>().sqrt())
                    }
                    "sum" => syn::parse_quote!(#v.iter().map(|&#t| #t).sum::<#elem>()),
                    "mean" => syn::parse_quote!(
                        (#v.iter().map(|&#t| #t).sum::<#elem>() / (#v.len() as #elem))
                    ),
                    "max" | "min" => {
                        let f = format_ident!("{}", name);
                        syn::parse_quote!(
                            #v.iter().skip(1).fold(#v[0], |__dn_a, &#t| __dn_a.#f(#t))
                        )
                    }
                    "len" => syn::parse_quote!(#v.len()),
                    "nrows" if self.lib == Lib::Ndarray => syn::parse_quote!((#v.len() / #rows)),
                    "ncols" if self.lib == Lib::Ndarray => syn::parse_quote!(#rows),
                    "nrows" => syn::parse_quote!(#rows),
                    "ncols" => syn::parse_quote!((#v.len() / #rows)),
                    _ => {
                        let arg = m.args.first()?;
                        let (w, _) = self.named(arg).or_else(|| self.value(arg, pre))?;
                        let u = Ident::new("__dn_u", Span::mixed_site());
                        syn::parse_quote!(
                            #v.iter().zip(#w.iter()).map(|(&#t, &#u)| #t * #u).sum::<#elem>()
                        )
                    }
                })
            }
            _ => None,
        }
    }

    /// A dynamic vector or matrix built by `e`: the name holding it (a parameter, a local, or
    /// a fresh local whose statements go to `pre`) and its shape. `None` for anything else.
    fn value(&mut self, e: &Expr, pre: &mut Vec<Stmt>) -> Option<(Ident, Shape)> {
        if let Some(named) = self.named(e) {
            return Some(named);
        }
        let elem = self.elem.clone();
        let t = Ident::new("__dn_t", Span::mixed_site());
        let u = Ident::new("__dn_u", Span::mixed_site());
        match strip(e) {
            Expr::Binary(b) => {
                // `a.transpose() * y`: one pass over `a`, no transposed copy.
                if let (syn::BinOp::Mul(_), Expr::MethodCall(m)) = (&b.op, strip(&b.left))
                    && m.method == "transpose"
                    && let Some((a, Shape::Matrix { rows })) = self.named(&m.receiver)
                    && let Some((y, Shape::Vector)) = self.value(&b.right, pre)
                {
                    let out = self.fresh();
                    pre.push(
                        syn::parse_quote!(let mut #out: ::ad_runtime::__alloc::vec::Vec<#elem> = ::ad_runtime::__alloc::vec![0.0; #a.len() / #rows];),
                    );
                    pre.push(self.product("tr_matvec", &a, &rows, &y, &out));
                    return Some((out, Shape::Vector));
                }
                let l = self.value(&b.left, pre);
                let r = self.value(&b.right, pre);
                let (lv, rv) = (l.as_ref(), r.as_ref());
                match (&b.op, lv, rv) {
                    // ndarray's `*` between arrays is element by element.
                    (syn::BinOp::Mul(_), Some((x, shape)), Some((y, _)))
                        if self.lib == Lib::Ndarray =>
                    {
                        let shape = shape.clone();
                        Some(self.collect(
                            quote!(#x.iter().zip(#y.iter()).map(|(&#t, &#u)| #t * #u)),
                            shape,
                            pre,
                        ))
                    }
                    (syn::BinOp::Mul(_), Some((a, Shape::Matrix { rows })), Some((x, s))) => {
                        let out = self.fresh();
                        match s {
                            Shape::Vector => {
                                pre.push(
                                    syn::parse_quote!(let mut #out: ::ad_runtime::__alloc::vec::Vec<#elem> = ::ad_runtime::__alloc::vec![0.0; #rows];),
                                );
                                pre.push(self.product("matvec", a, rows, x, &out));
                                Some((out, Shape::Vector))
                            }
                            Shape::Matrix { rows: inner } => {
                                let r = rows_ident(&out);
                                pre.push(syn::parse_quote!(let #r: usize = #rows;));
                                pre.push(syn::parse_quote!(let mut #out: ::ad_runtime::__alloc::vec::Vec<#elem> = ::ad_runtime::__alloc::vec![0.0; #rows * (#x.len() / #inner)];));
                                pre.push(syn::parse_quote!(::ad_runtime::dense::matmul(&#a[..], #rows, &#x[..], #inner, &mut #out);));
                                Some((out, Shape::Matrix { rows: r }))
                            }
                        }
                    }
                    (syn::BinOp::Add(_) | syn::BinOp::Sub(_), Some((x, shape)), Some((y, _))) => {
                        let op = &b.op;
                        let shape = shape.clone();
                        Some(self.collect(
                            quote!(#x.iter().zip(#y.iter()).map(|(&#t, &#u)| #t #op #u)),
                            shape,
                            pre,
                        ))
                    }
                    (syn::BinOp::Mul(_) | syn::BinOp::Div(_), Some((x, shape)), None) => {
                        let (op, s) = (&b.op, &b.right);
                        let shape = shape.clone();
                        Some(self.collect(quote!(#x.iter().map(|&#t| #t #op (#s))), shape, pre))
                    }
                    (syn::BinOp::Mul(_), None, Some((x, shape))) => {
                        let s = &b.left;
                        let shape = shape.clone();
                        Some(self.collect(quote!(#x.iter().map(|&#t| (#s) * #t)), shape, pre))
                    }
                    _ => None,
                }
            }
            Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Neg(_),
                expr,
                ..
            }) => {
                let (x, shape) = self.value(expr, pre)?;
                Some(self.collect(quote!(#x.iter().map(|&#t| -#t)), shape, pre))
            }
            Expr::MethodCall(m) if m.method == "dot" && self.is_matrix(&m.receiver) => {
                self.nd_dot(m, pre)
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                const VALUES: &[&str] = &[
                    "clone",
                    "into_owned",
                    "to_owned",
                    "transpose",
                    "t",
                    "mapv",
                    "tr_mul",
                    "component_mul",
                    "component_div",
                    "scale",
                    "abs",
                    "map",
                ];
                // Read by `scalar` (reductions, sizes) or left as written (`iter`).
                const OTHERS: &[&str] = &["iter", "as_slice", "dot"];
                if OTHERS.contains(&name.as_str())
                    || REDUCERS.contains(&name.as_str())
                    || !self.is_dynamic(&m.receiver)
                {
                    return None;
                }
                if !VALUES.contains(&name.as_str()) {
                    self.errors.spanned(
                        &m.method,
                        format!("`{name}` on a dynamic vector or matrix: {UNKNOWN}"),
                    );
                    return None;
                }
                let (x, shape) = self.value(&m.receiver, pre)?;
                let arg = m.args.first();
                match (name.as_str(), &shape) {
                    ("clone" | "into_owned" | "to_owned", _) => {
                        Some(self.collect(quote!(#x.iter().copied()), shape, pre))
                    }
                    ("transpose" | "t", Shape::Matrix { rows }) => {
                        let out = self.fresh();
                        let r = rows_ident(&out);
                        pre.push(syn::parse_quote!(let #r: usize = #x.len() / #rows;));
                        pre.push(
                            syn::parse_quote!(let mut #out: ::ad_runtime::__alloc::vec::Vec<#elem> = ::ad_runtime::__alloc::vec![0.0; #x.len()];),
                        );
                        pre.push(syn::parse_quote!(::ad_runtime::dense::transpose(&#x[..], #rows, &mut #out);));
                        Some((out, Shape::Matrix { rows: r }))
                    }
                    ("tr_mul", Shape::Matrix { rows }) => {
                        let (y, _) = self.value(arg?, pre)?;
                        let out = self.fresh();
                        pre.push(syn::parse_quote!(let mut #out: ::ad_runtime::__alloc::vec::Vec<#elem> = ::ad_runtime::__alloc::vec![0.0; #x.len() / #rows];));
                        pre.push(self.product("tr_matvec", &x, rows, &y, &out));
                        Some((out, Shape::Vector))
                    }
                    ("component_mul" | "component_div", _) => {
                        let (y, _) = self.value(arg?, pre)?;
                        let op = if name == "component_mul" {
                            quote!(*)
                        } else {
                            quote!(/)
                        };
                        Some(self.collect(
                            quote!(#x.iter().zip(#y.iter()).map(|(&#t, &#u)| #t #op #u)),
                            shape,
                            pre,
                        ))
                    }
                    ("scale", _) => {
                        let s = arg?;
                        Some(self.collect(quote!(#x.iter().map(|&#t| #t * (#s))), shape, pre))
                    }
                    ("abs", _) => {
                        Some(self.collect(quote!(#x.iter().map(|&#t| #t.abs())), shape, pre))
                    }
                    ("map" | "mapv", _) => {
                        // `v.map(|t| body)`: the closure's body over each element.
                        let chain = match strip(arg?) {
                            Expr::Closure(c) if c.inputs.len() == 1 => {
                                let p = match &c.inputs[0] {
                                    syn::Pat::Type(pt) => (*pt.pat).clone(),
                                    other => other.clone(),
                                };
                                let body = &c.body;
                                quote!(#x.iter().map(|&#p| #body))
                            }
                            f => quote!(#x.iter().map(|&#t| (#f)(#t))),
                        };
                        Some(self.collect(chain, shape, pre))
                    }
                    _ => None,
                }
            }
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else { return None };
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                let [.., ty, f] = segs.as_slice() else {
                    return None;
                };
                if ty != "DVector" && ty != "Array1" {
                    return None;
                }
                let out = self.fresh();
                let args: Vec<&Expr> = c.args.iter().collect();
                let init: Expr = match (f.as_str(), args.as_slice()) {
                    ("zeros", [n]) => syn::parse_quote!(::ad_runtime::__alloc::vec![0.0; #n]),
                    ("from_element" | "from_elem", [n, v]) => {
                        syn::parse_quote!(::ad_runtime::__alloc::vec![#v; #n])
                    }
                    ("from_vec", [v]) => syn::parse_quote!(#v),
                    _ => {
                        self.errors.spanned(c, format!("`DVector::{f}`: {UNKNOWN}"));
                        return None;
                    }
                };
                pre.push(syn::parse_quote!(let mut #out: ::ad_runtime::__alloc::vec::Vec<#elem> = #init;));
                Some((out, Shape::Vector))
            }
            _ => None,
        }
    }

    /// ndarray's `a.dot(&x)`, `a.t().dot(&y)` and `a.dot(&b)` for a matrix `a`. The flat
    /// slice of a row-major `a` is the column-major slice of `aᵀ`: `a x` is `tr_matvec` of it,
    /// `aᵀ y` is `matvec`, and `a b` is `(bᵀ aᵀ)ᵀ`, `matmul` of the two slices swapped.
    fn nd_dot(&mut self, m: &syn::ExprMethodCall, pre: &mut Vec<Stmt>) -> Option<(Ident, Shape)> {
        let elem = self.elem.clone();
        let arg = m.args.first()?;
        let transposed = match strip(&m.receiver) {
            Expr::MethodCall(t) if t.method == "t" || t.method == "transpose" => {
                self.named(&t.receiver)
            }
            _ => None,
        };
        let (y, yshape) = self.value(arg, pre)?;
        let out = self.fresh();
        let vec_ty = quote!(::ad_runtime::__alloc::vec::Vec<#elem>);
        match (transposed, yshape) {
            (Some((a, Shape::Matrix { rows })), Shape::Vector) => {
                pre.push(syn::parse_quote!(let mut #out: #vec_ty = ::ad_runtime::__alloc::vec![0.0; #rows];));
                pre.push(self.product("matvec", &a, &rows, &y, &out));
                Some((out, Shape::Vector))
            }
            (_, Shape::Vector) => {
                let (a, shape) = self.value(&m.receiver, pre)?;
                let Shape::Matrix { rows } = shape else {
                    return None;
                };
                pre.push(syn::parse_quote!(let mut #out: #vec_ty = ::ad_runtime::__alloc::vec![0.0; #a.len() / #rows];));
                pre.push(self.product("tr_matvec", &a, &rows, &y, &out));
                Some((out, Shape::Vector))
            }
            (_, Shape::Matrix { rows: brows }) => {
                let (a, shape) = self.value(&m.receiver, pre)?;
                let Shape::Matrix { rows: arows } = shape else {
                    return None;
                };
                let r = rows_ident(&out);
                pre.push(syn::parse_quote!(let #r: usize = #brows;));
                pre.push(syn::parse_quote!(let mut #out: #vec_ty = ::ad_runtime::__alloc::vec![0.0; #brows * (#a.len() / #arows)];));
                pre.push(syn::parse_quote!(::ad_runtime::dense::matmul(&#y[..], #brows, &#a[..], #arows, &mut #out);));
                Some((out, Shape::Matrix { rows: r }))
            }
        }
    }

    /// `dense::KERNEL(&a[..], rows, &x[..], &mut out);`, or the `const_` kernel, without an
    /// adjoint for the matrix, when `a` is a parameter outside `wrt`.
    fn product(&self, kernel: &str, a: &Ident, rows: &Ident, x: &Ident, out: &Ident) -> Stmt {
        if self.constant.contains(&a.to_string()) {
            let k = format_ident!("const_{}", kernel);
            syn::parse_quote!(
                ::ad_runtime::dense::#k(::ad_runtime::dense::Const(&#a[..]), #rows, &#x[..], &mut #out);
            )
        } else {
            let k = format_ident!("{}", kernel);
            syn::parse_quote!(::ad_runtime::dense::#k(&#a[..], #rows, &#x[..], &mut #out);)
        }
    }

    /// `let __dnK: Vec<F> = chain.collect::<Vec<F>>();`, of the given shape.
    fn collect(&mut self, chain: TokenStream, shape: Shape, pre: &mut Vec<Stmt>) -> (Ident, Shape) {
        let elem = self.elem.clone();
        let out = self.fresh();
        pre.push(syn::parse_quote!(let #out: ::ad_runtime::__alloc::vec::Vec<#elem> = #chain.collect::<::ad_runtime::__alloc::vec::Vec<#elem>>();));
        (out, shape)
    }
}

/// Parentheses, references and derefs around an operand.
fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => strip(&p.expr),
        Expr::Reference(r) => strip(&r.expr),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Deref(_),
            expr,
            ..
        }) => strip(expr),
        other => other,
    }
}

/// The visitor that rewrites sub-expressions of an expression the walk does not take apart.
struct Sub<'a, 'e, 'p>(&'a mut Dynamic<'e>, &'p mut Vec<Stmt>);

impl syn::visit_mut::VisitMut for Sub<'_, '_, '_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        self.0.expr(e, self.1);
    }
}
