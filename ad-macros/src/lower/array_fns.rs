//! The standard library's functions that build a small array from a closure, unrolled into
//! array literals whose elements are the closure inlined once per index:
//! `[F; N]::map(f)` is `[f(a[0]), .., f(a[N - 1])]` and `std::array::from_fn(f)` is `[f(0), ..,
//! f(N - 1)]`, when `N` is known here (a literal in the type, an array literal, what an
//! annotated function of this file returns).
//!
//! Input:  `let q = p.map(|v| v * v);` (`p: [f64; 3]`)
//! Output: `let q = [{ let v = p[0]; v * v }, { let v = p[1]; v * v }, { let v = p[2]; v * v }];`

use super::*;

/// The longest array unrolled.
const MAX_UNROLLED: usize = 64;

impl Lowerer<'_> {
    /// `a.map(f)` of an array of known length, unrolled; `None` for any other method call.
    pub(super) fn lower_array_map(&mut self, m: &syn::ExprMethodCall) -> Option<Value> {
        if m.method != "map" || m.args.len() != 1 {
            return None;
        }
        let f = applied(&m.args[0])?;
        let n = self.known_array_len(&m.receiver)?;
        let receiver = &m.receiver;
        // A name is indexed where it is; anything else is bound first.
        let (bind, a) = match path_ident(receiver) {
            Some(name) => (quote!(), quote!(#name)),
            None => {
                let a = self.synthetic("array");
                (quote!(let #a = #receiver;), quote!(#a))
            }
        };
        let items = (0..n).map(|k| {
            let k = proc_macro2::Literal::usize_unsuffixed(k);
            f(quote!(#a[#k]))
        });
        let block: Expr = syn::parse_quote!({ #bind [#(#items),*] });
        Some(self.lower_expr(&block))
    }

    /// `let a: [T; N] = std::array::from_fn(f);` (or `from_fn::<_, N, _>`, `core::array::`,
    /// `array::`) as `let a: [T; N] = [f(0), .., f(N - 1)];`; `None` for any other `let`.
    pub(super) fn unrolled_from_fn(&mut self, local: &syn::Local) -> Option<syn::Local> {
        let init = local.init.as_ref()?;
        let Expr::Call(c) = &*init.expr else {
            return None;
        };
        let last = from_fn(c)?;
        // The length: from the `let`'s type, or the turbofish's second argument.
        let from_type = match &local.pat {
            Pat::Type(t) => match &*t.ty {
                syn::Type::Array(a) => literal_index(&a.len),
                _ => None,
            },
            _ => None,
        };
        let from_turbofish = match &last.arguments {
            syn::PathArguments::AngleBracketed(g) => match g.args.iter().nth(1) {
                Some(syn::GenericArgument::Const(e)) => literal_index(e),
                _ => None,
            },
            _ => None,
        };
        let n = from_type
            .or(from_turbofish)
            .filter(|n| *n <= MAX_UNROLLED)?;
        let f = applied(&c.args[0])?;
        let items = (0..n).map(|k| f(proc_macro2::Literal::usize_suffixed(k).to_token_stream()));
        let mut local = local.clone();
        let init = local.init.as_mut().expect("checked");
        *init.expr = syn::parse_quote!([#(#items),*]);
        Some(local)
    }

    /// `std::array::from_fn(f)` whose length this `let` does not write, with a differentiated
    /// value in `f`: the error saying to write it. `None` for any other call.
    pub(super) fn refuse_unsized_from_fn(&mut self, c: &syn::ExprCall, e: &Expr) -> Option<Value> {
        from_fn(c)?;
        if !self.mentions_active(c.args.to_token_stream()) {
            return None;
        }
        self.errors.spanned(
            e,
            format!(
                "{} cannot differentiate `{}` here: the array's length is not written, so the \
                 closure cannot be unrolled. Write it in the `let`'s type (`let a: [f64; 3] = \
                 std::array::from_fn(|i| ..);`) or as `from_fn::<_, 3, _>`",
                self.mode,
                show(&c.func)
            ),
        );
        Some(dummy())
    }

    /// The length of an array expression when it is known here: a local array literal, an
    /// array parameter `[F; N]` with a literal `N`, a literal, a call of an annotated function
    /// of this file returning `[F; N]`, or `map` of one of these.
    pub(super) fn known_array_len(&self, e: &Expr) -> Option<usize> {
        let n = match e {
            Expr::Paren(p) => return self.known_array_len(&p.expr),
            Expr::Array(a) => Some(a.elems.len()),
            // `a.map(f)` has `a`'s length.
            Expr::MethodCall(m) if m.method == "map" && m.args.len() == 1 => {
                return self.known_array_len(&m.receiver);
            }
            Expr::Call(_) => self.array_result_len(e),
            e => match self.lookup(&path_ident(e)?.to_string()) {
                Some(Binding::Value(Value::Array(items))) => Some(items.len()),
                Some(Binding::Value(Value::Scalar(Operand::Var(v)))) => {
                    self.array_lens.get(v).copied()
                }
                _ => None,
            },
        };
        n.filter(|n| *n <= MAX_UNROLLED)
    }
}

/// The last segment of `std::array::from_fn(f)` (or `core::array::`, `array::`, `from_fn`).
fn from_fn(c: &syn::ExprCall) -> Option<&syn::PathSegment> {
    let Expr::Path(p) = &*c.func else {
        return None;
    };
    let last = p.path.segments.last()?;
    let prefix: Vec<String> = p
        .path
        .segments
        .iter()
        .rev()
        .skip(1)
        .map(|s| s.ident.to_string())
        .collect();
    let array_path = matches!(
        &prefix.iter().map(String::as_str).collect::<Vec<_>>()[..],
        [] | ["array"] | ["array", "std" | "core"]
    );
    (last.ident == "from_fn" && array_path && c.args.len() == 1).then_some(last)
}

/// The function `f` applied to an element, as code: a closure `|p| body` as `{ let p = elem;
/// body }` (its body inlined, as a call of a local closure is; one that returns early is left
/// to the refusal), a path `f64::sin` as `f64::sin(elem)`.
fn applied(f: &Expr) -> Option<impl Fn(TokenStream) -> TokenStream + '_> {
    let (pat, body) = match f {
        Expr::Closure(c) if c.inputs.len() == 1 && !jumps(&c.body) => {
            (Some(&c.inputs[0]), c.body.as_ref())
        }
        Expr::Path(_) => (None, f),
        _ => return None,
    };
    Some(move |elem: TokenStream| match pat {
        Some(pat) => quote!({ let #pat = #elem; #body }),
        None => quote!(#body(#elem)),
    })
}
