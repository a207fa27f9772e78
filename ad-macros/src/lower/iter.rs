//! Helpers of the rewritings into syntax the lowering knows (`chain.rs`, `consume.rs`,
//! `view.rs`): synthetic names, reparsing, `&v` patterns and `*v` of items bound by value.

use super::*;

impl Lowerer<'_> {
    /// A fresh name for a variable the desugaring of an iterator introduces.
    pub(super) fn synthetic(&mut self, base: &str) -> Ident {
        self.desugared += 1;
        let key = format!("__ad_{base}{}", self.desugared);
        let hygienic = self.namer.fresh(base);
        self.base_idents.insert(key.clone(), hygienic);
        Ident::new(&key, Span::mixed_site())
    }

    /// Parses code a desugaring built from the user's pieces. It should always parse; if it does
    /// not, that is a spanned error at the user's code, never a panic.
    pub(super) fn reparse<T: syn::parse::Parse>(
        &mut self,
        tokens: TokenStream,
        node: &impl ToTokens,
    ) -> Option<T> {
        match syn::parse2(tokens) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.errors.spanned(
                    node,
                    format!(
                        "{}: this iterator could not be rewritten as a loop ({e}). Write the loop \
                         out with `for`",
                        self.mode
                    ),
                );
                None
            }
        }
    }
}

/// `&v` patterns become `v`: the desugared loop binds elements by value (with `let`, so the
/// pattern is also made fit for one by [`let_pattern`]).
pub(super) fn strip_ref_patterns(pat: &mut Pat) {
    struct Strip;
    impl VisitMut for Strip {
        fn visit_pat_mut(&mut self, p: &mut Pat) {
            if let Pat::Reference(r) = p {
                *p = (*r.pat).clone();
            }
            syn::visit_mut::visit_pat_mut(self, p);
        }
    }
    Strip.visit_pat_mut(pat);
    let_pattern(pat);
}

pub(super) struct StripDerefs<'n>(&'n [String]);

impl VisitMut for StripDerefs<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        // `*v` and `**v` (a reference to a reference, in `filter`) of an element bound by
        // value are `v`.
        while let Expr::Unary(u) = e
            && matches!(u.op, UnOp::Deref(_))
            && derefs_of(&u.expr).is_some_and(|i| self.0.contains(&i.to_string()))
        {
            *e = (*u.expr).clone();
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
}

/// `*v` of an element bound by value becomes `v`.
pub(super) fn strip_derefs(block: &mut syn::Block, names: &[String]) {
    StripDerefs(names).visit_block_mut(block);
}

pub(super) fn strip_derefs_expr(e: &mut Expr, names: &[String]) {
    StripDerefs(names).visit_expr_mut(e);
}

/// The name under any number of `*`: `v` of `v`, `*v`, `**v`.
fn derefs_of(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => derefs_of(&u.expr),
        other => path_ident(other),
    }
}
