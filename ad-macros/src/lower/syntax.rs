//! Small questions about syn nodes and tokens, asked by every part of the lowering.

use super::*;

pub(super) use crate::front::syntax::{collect_idents, is_vec_macro, pattern_names};

/// `::core::clone::Clone::clone`.
pub(super) fn is_clone(f: &Expr) -> bool {
    matches!(f, Expr::Path(p) if p.path.segments.iter().map(|s| s.ident.to_string()).eq(["core", "clone", "Clone", "clone"]))
}

/// `ad_runtime::accumulate(&mut a, e)`, as generated reverse-mode code adds into an adjoint.
pub(super) fn is_accumulate(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if is_accumulate_call(c))
}

pub(super) fn is_accumulate_call(c: &syn::ExprCall) -> bool {
    matches!(&*c.func, Expr::Path(p)
        if p.path.segments.len() == 2
            && p.path.segments[0].ident == "ad_runtime"
            && p.path.segments[1].ident == "accumulate")
}

pub(super) fn is_compound(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
    )
}

/// The variable at the root of an assigned place: `y` in `y`, `y[i]`, `y.0`, `*y`.
pub(super) fn place_root(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Index(i) => place_root(&i.expr),
        Expr::Field(f) => place_root(&f.base),
        Expr::Paren(p) => place_root(&p.expr),
        Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => place_root(&u.expr),
        _ => None,
    }
}

/// Whether a token is an identifier used as a variable: not a field or method after `.`, not a
/// path segment, not a macro name, not a struct-literal field name.
pub(super) fn variable_positions(tokens: &[TokenTree]) -> Vec<bool> {
    let punct =
        |t: Option<&TokenTree>, c: char| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == c);
    (0..tokens.len())
        .map(|i| {
            let TokenTree::Ident(_) = &tokens[i] else {
                return false;
            };
            let prev = i.checked_sub(1).and_then(|j| tokens.get(j));
            let prev2 = i.checked_sub(2).and_then(|j| tokens.get(j));
            let next = tokens.get(i + 1);
            let next2 = tokens.get(i + 2);
            let after_dot = punct(prev, '.') && !punct(prev2, '.');
            let after_path = punct(prev, ':') && punct(prev2, ':');
            let before_path = punct(next, ':') && punct(next2, ':');
            let field_name = punct(next, ':') && !punct(next2, ':');
            // `name!(..)` is a macro call, but `name != ..` compares the variable `name`.
            let macro_name = punct(next, '!') && !punct(next2, '=');
            !(after_dot || after_path || before_path || field_name || macro_name)
        })
        .collect()
}

/// Whether `tokens` mention any of `names` as a variable.
pub(super) fn mentions(tokens: TokenStream, names: &HashSet<String>) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let vars = variable_positions(&tokens);
    tokens.iter().zip(vars).any(|(t, var)| match t {
        TokenTree::Ident(id) => var && names.contains(&id.to_string()),
        TokenTree::Group(g) => mentions(g.stream(), names),
        _ => false,
    })
}

pub(super) fn path_ident(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        Expr::Paren(p) => path_ident(&p.expr),
        _ => None,
    }
}

/// Whether a type is an integer (or `bool`), or an array, slice, `Vec` or reference of them.
pub(super) fn integer_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => integer_type(&r.elem),
        syn::Type::Array(a) => integer_type(&a.elem),
        syn::Type::Slice(s) => integer_type(&s.elem),
        syn::Type::Paren(p) => integer_type(&p.elem),
        syn::Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(seg) if seg.ident == "Vec" => match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .any(|g| matches!(g, syn::GenericArgument::Type(t) if integer_type(t))),
                _ => false,
            },
            _ => is_integer_like(ty),
        },
        _ => is_integer_like(ty),
    }
}

/// Whether an expression is built from unsuffixed float literals only, by arithmetic: its type
/// is the ambiguous `{float}` until something else fixes it.
pub(super) fn is_float_literal_expr(e: &Expr) -> bool {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) => f.suffix().is_empty(),
        Expr::Paren(p) => is_float_literal_expr(&p.expr),
        Expr::Group(g) => is_float_literal_expr(&g.expr),
        Expr::Unary(u) => matches!(u.op, UnOp::Neg(_)) && is_float_literal_expr(&u.expr),
        Expr::Binary(b) => {
            matches!(
                b.op,
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_)
            ) && is_float_literal_expr(&b.left)
                && is_float_literal_expr(&b.right)
        }
        _ => false,
    }
}

pub(super) fn is_literal_or_path(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Paren(p) => is_literal_or_path(&p.expr),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => matches!(&*u.expr, Expr::Lit(_)),
        _ => false,
    }
}

pub(super) fn compound_rule(op: &BinOp) -> Option<&'static rules::Rule> {
    let name = match op {
        BinOp::AddAssign(_) => "add",
        BinOp::SubAssign(_) => "sub",
        BinOp::MulAssign(_) => "mul",
        BinOp::DivAssign(_) => "div",
        BinOp::RemAssign(_) => "rem",
        _ => return None,
    };
    Some(rules::operator(name))
}

pub(super) fn pattern_ident(pat: &Pat, name: &str) -> Option<Ident> {
    struct Find<'n>(&'n str, Option<Ident>);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            if p.ident == self.0 && self.1.is_none() {
                self.1 = Some(p.ident.clone());
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    let mut f = Find(name, None);
    f.visit_pat(pat);
    f.1
}

/// Expressions lowered as control flow whatever they touch.
pub(super) fn is_control(e: &Expr) -> bool {
    match e {
        Expr::Block(b) => b.label.is_none(),
        Expr::If(_)
        | Expr::Match(_)
        | Expr::ForLoop(_)
        | Expr::While(_)
        | Expr::Loop(_)
        | Expr::Break(_)
        | Expr::Continue(_)
        | Expr::Return(_)
        | Expr::Assign(_) => true,
        Expr::Binary(b) => is_compound(&b.op),
        _ => false,
    }
}

pub(super) fn contains_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => contains_let(&b.left) || contains_let(&b.right),
        Expr::Paren(p) => contains_let(&p.expr),
        _ => false,
    }
}

/// `(pattern name, type)` of `let name` or `let name: T`.
pub(super) fn simple_pattern(pat: &Pat) -> Option<(&Ident, Option<&syn::Type>)> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => Some((&p.ident, None)),
        Pat::Type(t) => match &*t.pat {
            Pat::Ident(p) if p.subpat.is_none() && p.by_ref.is_none() => {
                Some((&p.ident, Some(&t.ty)))
            }
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn literal_index(e: &Expr) -> Option<usize> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}
