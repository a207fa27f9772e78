//! `#[derive(Differentiable)]`: a struct as the vector of its floats (`ad_runtime::Differentiable`).
//!
//! Input:  `struct Params<T: Float> { w: Vec<T>, b: T, n: usize }`
//! Output: `impl<T: Float> Differentiable for Params<T> where Vec<T>: Differentiable, T:
//!         Differentiable<Scalar = <Vec<T> as Differentiable>::Scalar> { type Scalar = ..;
//!         fn zero_like(&self) -> Self { Params { w: zero_like(&self.w), b: .., n: self.n.clone() } } .. }`
//!
//! A field takes part when it can hold floats; integers, `bool`, `char`, `String`, `&str`,
//! `PhantomData` and fields marked `#[ad(constant)]` are constants (copied by `zero_like`, skipped
//! by everything else). Shared or type-erased fields (`Rc`, `Arc`, `RefCell`, `Cell`, `dyn`
//! traits, pointers, function pointers) are refused at the field: their floats could not be
//! given a shadow of the same shape.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Member, Type};

use crate::errors::Errors;
use crate::front::structs::{constant_type, marked_constant, refused_type};

/// What a field is to the derive.
enum Role {
    Float,
    Constant,
}

/// Expands `#[derive(Differentiable)]` on `input`.
pub fn derive(input: TokenStream) -> TokenStream {
    let item: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    match expand(&item) {
        Ok(t) => t,
        Err(errors) => errors
            .finish()
            .err()
            .map(|e| e.to_compile_error())
            .unwrap_or_default(),
    }
}

fn expand(item: &DeriveInput) -> Result<TokenStream, Errors> {
    let mut errors = Errors::default();
    let Data::Struct(data) = &item.data else {
        errors.spanned(
            &item.ident,
            "#[derive(Differentiable)] is for structs: an enum or union has no fixed set of floats \
             to take as a vector",
        );
        return Err(errors);
    };
    let mut floats = Vec::new();
    let mut constants = Vec::new();
    for (k, field) in data.fields.iter().enumerate() {
        let member = match &field.ident {
            Some(id) => Member::Named(id.clone()),
            None => Member::Unnamed(syn::Index::from(k)),
        };
        match role(field, &mut errors) {
            Role::Float => floats.push((member, field.ty.clone())),
            Role::Constant => constants.push(member),
        }
    }
    let refused_any = !errors.is_empty();
    if floats.is_empty() && !refused_any {
        errors.spanned(
            &item.ident,
            "#[derive(Differentiable)]: this struct holds no float (every field is a constant); \
             give it a float field, or leave the derive out",
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let tr = quote!(::ad_runtime::Differentiable);
    let first = &floats[0].1;
    let scalar = quote!(<#first as #tr>::Scalar);
    let mut bounds: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    // Bounds for the field types that mention a type parameter (`T`, `Vec<T>`); concrete ones
    // are checked where the impl uses them (a bound on them could make rustc's solver cycle).
    let params: Vec<String> = item
        .generics
        .type_params()
        .map(|t| t.ident.to_string())
        .collect();
    let mut bounded: Vec<String> = Vec::new();
    for (i, (_, ty)) in floats.iter().enumerate() {
        let key = quote!(#ty).to_string();
        if !mentions(ty, &params) || bounded.contains(&key) {
            continue;
        }
        bounded.push(key);
        bounds.push(if i == 0 {
            quote_spanned!(ty.span()=> #ty: #tr)
        } else {
            quote_spanned!(ty.span()=> #ty: #tr<Scalar = #scalar>)
        });
    }
    let fm: Vec<&Member> = floats.iter().map(|(m, _)| m).collect();
    let zero_fields = fm.iter().map(|m| quote!(#m: #tr::zero_like(&self.#m)));
    let kept = constants
        .iter()
        .map(|m| quote!(#m: ::core::clone::Clone::clone(&self.#m)));
    let (other, s, out, src, k) = (
        format_ident!("__ad_other", span = Span::mixed_site()),
        format_ident!("__ad_s", span = Span::mixed_site()),
        format_ident!("__ad_out", span = Span::mixed_site()),
        format_ident!("__ad_src", span = Span::mixed_site()),
        format_ident!("__ad_k", span = Span::mixed_site()),
    );
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #tr for #name #ty_generics where #(#bounds,)* {
            type Scalar = #scalar;
            fn zero_like(&self) -> Self {
                #name { #(#zero_fields,)* #(#kept,)* }
            }
            fn accumulate(&mut self, #other: &Self) {
                #(#tr::accumulate(&mut self.#fm, &#other.#fm);)*
            }
            fn scale(&mut self, #s: Self::Scalar) {
                #(#tr::scale(&mut self.#fm, #s);)*
            }
            fn dot(&self, #other: &Self) -> Self::Scalar {
                ::ad_runtime::zero::<Self::Scalar>() #(+ #tr::dot(&self.#fm, &#other.#fm))*
            }
            fn flat_len(&self) -> usize {
                0 #(+ #tr::flat_len(&self.#fm))*
            }
            fn flatten_into(&self, #out: &mut ::ad_runtime::__alloc::vec::Vec<Self::Scalar>) {
                #(#tr::flatten_into(&self.#fm, #out);)*
            }
            fn unflatten_from(&mut self, #src: &[Self::Scalar]) -> usize {
                let mut #k = 0;
                #(#k += #tr::unflatten_from(&mut self.#fm, &#src[#k..]);)*
                #k
            }
        }
        #[automatically_derived]
        impl #impl_generics ::ad_runtime::DerivedDifferentiable for #name #ty_generics
        where #(#bounds,)* {}
    })
}

/// Whether a field takes part, is a constant, or is refused (recorded in `errors`, taken as a
/// constant so the rest is still checked). The rule is `front::structs`', which functions over
/// structs flatten by.
fn role(field: &syn::Field, errors: &mut Errors) -> Role {
    if marked_constant(field, errors) {
        return Role::Constant;
    }
    if let Some(wrapper) = refused_type(&field.ty) {
        errors.spanned(
            &field.ty,
            format!(
                "#[derive(Differentiable)] cannot take the floats of a field of type `{wrapper}`: \
                 a derivative needs a shadow of the same shape, which shared or type-erased \
                 values do not have. Hold the floats in the struct itself, or mark the field \
                 `#[ad(constant)]` if it carries no derivative"
            ),
        );
        return Role::Constant;
    }
    if constant_type(&field.ty) {
        Role::Constant
    } else {
        Role::Float
    }
}

/// Whether `ty` names one of the type parameters `params`.
fn mentions(ty: &Type, params: &[String]) -> bool {
    fn walk(tokens: TokenStream, params: &[String]) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(id) => params.contains(&id.to_string()),
            proc_macro2::TokenTree::Group(g) => walk(g.stream(), params),
            _ => false,
        })
    }
    walk(quote!(#ty), params)
}
