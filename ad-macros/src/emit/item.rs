//! A generated function as an item: its attributes, its documentation with the generated code
//! in it, and small pieces of tokens the modes share.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{Attribute, ItemFn, Type};

use crate::front::attr::is_ours;
use crate::ir::Generated;
use crate::names;

/// The attributes that carry over to generated functions: everything but docs and this crate's
/// own macros (so that `#[derive_tangent] #[derive_grad]` on one function works in either order).
pub fn carried_attrs(f: &ItemFn) -> Vec<&Attribute> {
    f.attrs.iter().filter(|a| !is_ours(a, true)).collect()
}

/// What a generated function's signature changes from the user function's: its name, whether
/// it keeps the receiver first (a method's), its other parameters, its result, and predicates
/// added to the `where` clause.
pub struct Signature<'a> {
    pub ident: &'a Ident,
    pub receiver: bool,
    pub params: &'a [TokenStream],
    pub ret: &'a TokenStream,
    pub bounds: &'a [TokenStream],
}

/// A generated function: the user function's visibility, carried attributes and generics, the
/// doc comment, `#[inline]` when `inline`, and the lints generated code allows. Every mode
/// writes its functions through this.
pub fn function_item(
    f: &ItemFn,
    sig: &Signature,
    body: &TokenStream,
    doc: &str,
    inline: bool,
) -> TokenStream {
    let (vis, attrs, generics) = (&f.vis, carried_attrs(f), &f.sig.generics);
    let mut where_clause = generics.where_clause.clone();
    if !sig.bounds.is_empty() {
        let w = where_clause.get_or_insert_with(|| syn::parse_quote!(where));
        for b in sig.bounds {
            w.predicates.push(syn::parse_quote!(#b));
        }
    }
    let receiver = f
        .sig
        .receiver()
        .filter(|_| sig.receiver)
        .map(|r| quote!(#r,));
    let (ident, params, ret) = (sig.ident, sig.params, sig.ret);
    let inline = inline.then(|| quote!(#[inline]));
    quote! {
        #[doc = #doc]
        #(#attrs)*
        #inline
        #[allow(unused_mut, unused_variables, unused_parens, non_snake_case, clippy::all, clippy::pedantic)]
        #vis fn #ident #generics(#receiver #(#params),*) -> #ret #where_clause {
            #body
        }
    }
}

pub fn wrap(f: &ItemFn, suffix: &str, g: Generated, doc: String) -> TokenStream {
    let ident = names::function(&f.sig.ident, suffix);
    let generics = &f.sig.generics;
    let where_clause = &generics.where_clause;
    let receiver = f.sig.receiver().map(|r| quote!(#r,));
    let Generated {
        params, ret, body, ..
    } = g;
    let (body, size) = super::scopes::shallow_sized(&body);
    let doc = if size <= DOC_STATEMENTS {
        let code = pretty(
            &quote!(fn #ident #generics(#receiver #(#params),*) -> #ret #where_clause { #body }),
        );
        format!("{doc}\n\n# Generated code\n\n```text\n{code}```")
    } else {
        // Printing it would cost more than the rest of the expansion, for a page nobody reads.
        format!(
            "{doc}\n\n# Generated code\n\n{size} statements, too many to show here; \
             `cargo expand` prints them."
        )
    };
    // A small body is offered for inlining across crates: the wrappers that call it
    // (`call_generated`) and callers in other crates then see through the call.
    let inline = size <= INLINE_STATEMENTS && !f.attrs.iter().any(|a| a.path().is_ident("inline"));
    let sig = Signature {
        ident: &ident,
        receiver: true,
        params: &params,
        ret: &ret,
        bounds: &[],
    };
    function_item(f, &sig, &body, &doc, inline)
}

/// Generated bodies of at most this many statements show in their documentation.
const DOC_STATEMENTS: usize = 400;

/// Generated bodies of at most this many statements are `#[inline]`.
const INLINE_STATEMENTS: usize = 64;

/// The identifiers of a generated parameter list (`x: f64`, `dx: f64`, ..), as arguments of a
/// call that passes them on; `None` when one is not a plain identifier.
pub fn param_idents(params: &[TokenStream]) -> Option<Vec<Ident>> {
    params
        .iter()
        .map(|p| match syn::parse2::<syn::FnArg>(p.clone()).ok()? {
            syn::FnArg::Typed(t) => match *t.pat {
                syn::Pat::Ident(i) if i.subpat.is_none() => Some(i.ident),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// A call of the generated function `NAME_suffix` from a function written beside it:
/// `NAME_suffix(args..)` beside a free function, `Self::NAME_suffix(args..)` in an `impl`
/// (`Self::NAME_suffix(self, args..)` for a method), with the function's type and const
/// parameters spelled out unless a parameter is `impl Trait` (which forbids them).
///
/// The derivative's body is written once, in `NAME_vjp` or `NAME_tangent`; `NAME_grad` and the
/// companions call it (what rustc checks and compiles is then one copy, not three).
pub fn call_generated(f: &ItemFn, suffix: &str, args: &[TokenStream]) -> TokenStream {
    let ident = names::function(&f.sig.ident, suffix);
    let impl_trait = f.sig.inputs.iter().any(|a| {
        matches!(a, syn::FnArg::Typed(t) if t.ty.to_token_stream().into_iter().any(
            |t| matches!(&t, TokenTree::Ident(i) if i == "impl")))
    });
    let generics: Vec<TokenStream> = f
        .sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(t.ident.to_token_stream()),
            syn::GenericParam::Const(c) => Some(c.ident.to_token_stream()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let turbofish = (!generics.is_empty() && !impl_trait).then(|| quote!(::<#(#generics),*>));
    let receiver = f.sig.receiver().map(|_| quote!(self,));
    if crate::emit::anchor::is_free(f) {
        quote!(#ident #turbofish(#(#args),*))
    } else {
        quote!(Self::#ident #turbofish(#receiver #(#args),*))
    }
}

/// `let mut name = |params| -> ret { body };`: generated code as a closure, which (unlike a
/// helper function) needs no `Self::` inside an `impl`.
pub fn closure(name: &Ident, g: &Generated) -> TokenStream {
    let (params, ret, body) = (&g.params, &g.ret, &g.body);
    quote!(let mut #name = |#(#params),*| -> #ret { #body };)
}

/// A parameter passed on: `&mut` memory is reborrowed so that it can be passed again.
pub fn reborrow(p: &crate::ir::Param) -> TokenStream {
    let ident = &p.ident;
    match &p.ty {
        Type::Reference(r) if r.mutability.is_some() => quote!(&mut *#ident),
        _ => quote!(#ident),
    }
}

/// The generated code, formatted for reading. Hygiene marks are invisible in text, so a
/// generated `dx` and a user's `dx` print alike; rustc keeps them apart.
pub fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) if printable(&file) => prettyplease::unparse(&file),
        _ => tokens.to_string(),
    }
}

/// Whether `prettyplease` can print a file: it panics ("not implemented") on the nodes syn keeps
/// as verbatim tokens (`type T;` or `fn g();` in a body, for instance) and on `macro_rules!`
/// whose rules are not `(..) => {..};` in sequence. Those print as plain tokens instead.
fn printable(file: &syn::File) -> bool {
    use syn::visit::Visit;
    struct Check(bool);
    impl<'ast> Visit<'ast> for Check {
        fn visit_item(&mut self, i: &'ast syn::Item) {
            match i {
                syn::Item::Verbatim(_) => self.0 = false,
                syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") && m.ident.is_some() => {
                    self.0 &= macro_rules_printable(&m.mac.tokens);
                }
                _ => {}
            }
            syn::visit::visit_item(self, i);
        }
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            self.0 &= !matches!(e, syn::Expr::Verbatim(_));
            syn::visit::visit_expr(self, e);
        }
        fn visit_pat(&mut self, p: &'ast syn::Pat) {
            self.0 &= !matches!(p, syn::Pat::Verbatim(_));
            syn::visit::visit_pat(self, p);
        }
        fn visit_type(&mut self, t: &'ast syn::Type) {
            self.0 &= !matches!(t, syn::Type::Verbatim(_));
            syn::visit::visit_type(self, t);
        }
        fn visit_type_param_bound(&mut self, b: &'ast syn::TypeParamBound) {
            self.0 &= !matches!(b, syn::TypeParamBound::Verbatim(_));
            syn::visit::visit_type_param_bound(self, b);
        }
        fn visit_foreign_item(&mut self, i: &'ast syn::ForeignItem) {
            self.0 &= !matches!(i, syn::ForeignItem::Verbatim(_));
            syn::visit::visit_foreign_item(self, i);
        }
        fn visit_trait_item(&mut self, i: &'ast syn::TraitItem) {
            self.0 &= !matches!(i, syn::TraitItem::Verbatim(_));
            syn::visit::visit_trait_item(self, i);
        }
        fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
            self.0 &= !matches!(i, syn::ImplItem::Verbatim(_));
            syn::visit::visit_impl_item(self, i);
        }
    }
    let mut check = Check(true);
    check.visit_file(file);
    check.0
}

/// Whether `macro_rules!` rules have the shape `prettyplease` prints: `(matcher) => {body}`,
/// separated by `;`.
fn macro_rules_printable(rules: &TokenStream) -> bool {
    use proc_macro2::{Spacing, TokenTree};
    let mut state = 0;
    for tt in rules.clone() {
        state = match (state, &tt) {
            (0, TokenTree::Group(_)) => 1,
            (1, TokenTree::Punct(p)) if p.as_char() == '=' && p.spacing() == Spacing::Joint => 2,
            (2, TokenTree::Punct(p)) if p.as_char() == '>' && p.spacing() == Spacing::Alone => 3,
            (3, TokenTree::Group(_)) => 4,
            (4, TokenTree::Punct(p)) if p.as_char() == ';' && p.spacing() == Spacing::Alone => 0,
            _ => return false,
        };
    }
    true
}
