//! The functions a body over structs may call and that the macro inlines: the methods of the
//! `impl`s of a source file's differentiable structs (inherent ones, operator traits such as
//! `Add`, `Mul<f64>`, `Neg`, `AddAssign`, and other traits), and its free functions that take or
//! return such structs. They are kept as text (the spans of one parse are invalid in the next
//! macro call) and parsed again where they are inlined (`front/struct_values.rs`).
//!
//! Input:  `impl Sub for Vec3 { type Output = Vec3; fn sub(self, o: Vec3) -> Vec3 { .. } }`
//! Output: the entry `(Vec3, "-", struct Vec3)` → `fn sub(self, o: Vec3) -> Vec3 { .. }`,
//!         with the `impl`'s type parameters and `Self` type.

use std::collections::HashMap;

use quote::quote;
use syn::visit::Visit;

/// A function of the file, as text, with the `impl` it belongs to.
#[derive(Clone, Debug)]
pub struct FnDef {
    /// The whole `fn` item (signature and body).
    pub item: String,
    /// The type parameters of the `impl` (`T` of `impl<T: Float> Add for Vec3<T>`).
    pub generics: Vec<String>,
    /// The `impl`'s type (`Vec3 < T >`), `None` for a free function.
    pub self_ty: Option<String>,
}

/// What stands right of an operator: a struct (by name) or anything else (a float).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    Struct(String),
    Scalar,
}

/// The inlinable functions of a file.
#[derive(Default)]
pub struct Impls {
    /// `(type name, method name)` → the method (inherent `impl`s first, then traits).
    pub methods: HashMap<(String, String), FnDef>,
    /// `(left operand, operator, right operand)` → the operator's method: `+`, `-`, `*`, `/`,
    /// `+=`, `-=`, `*=`, `/=`; `(operand, "neg", Scalar)` for `-x`, `(operand, "index",
    /// Scalar)` for `v[i]` (`Index<usize>`).
    pub operators: HashMap<(Operand, String, Operand), FnDef>,
    /// Free functions whose signature names a struct of `structs`.
    pub free: HashMap<String, FnDef>,
}

impl Impls {
    /// Adds `other`'s functions where `self` has none of that key (the file's own win).
    pub fn merge(&mut self, other: Impls) {
        for (k, v) in other.methods {
            self.methods.entry(k).or_insert(v);
        }
        for (k, v) in other.operators {
            self.operators.entry(k).or_insert(v);
        }
        for (k, v) in other.free {
            self.free.entry(k).or_insert(v);
        }
    }
}

/// The operator of a `std::ops` trait.
fn operator(trait_name: &str) -> Option<&'static str> {
    Some(match trait_name {
        "Add" => "+",
        "Sub" => "-",
        "Mul" => "*",
        "Div" => "/",
        "AddAssign" => "+=",
        "SubAssign" => "-=",
        "MulAssign" => "*=",
        "DivAssign" => "/=",
        "Neg" => "neg",
        "Index" => "index",
        _ => return None,
    })
}

/// The last name of a type path (`Vec3` of `crate::Vec3<T>`, `f64`).
pub fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(super::nalgebra::canonical),
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        _ => None,
    }
}

/// Reads the inlinable functions of `file` for the struct names `structs`.
pub fn read(file: &syn::File, structs: &[String]) -> Impls {
    struct Walk<'a> {
        structs: &'a [String],
        out: Impls,
    }
    impl Walk<'_> {
        fn operand(&self, ty: &syn::Type) -> Operand {
            match type_name(ty) {
                Some(n) if self.structs.contains(&n) => Operand::Struct(n),
                _ => Operand::Scalar,
            }
        }
        fn mentions_struct(&self, sig: &syn::Signature) -> bool {
            let text = quote!(#sig).to_string();
            text.split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| self.structs.iter().any(|s| s == w))
        }
    }
    impl<'ast> Visit<'ast> for Walk<'_> {
        fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
            let self_name = type_name(&i.self_ty);
            let on_struct = self_name.as_ref().is_some_and(|n| self.structs.contains(n));
            let generics: Vec<String> = i
                .generics
                .type_params()
                .map(|t| t.ident.to_string())
                .collect();
            let self_ty = &i.self_ty;
            let self_text = quote!(#self_ty).to_string();
            let op = i.trait_.as_ref().and_then(|(path, _)| {
                let last = path.segments.last()?;
                let op = operator(&last.ident.to_string())?;
                let rhs = match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                        syn::GenericArgument::Type(t) => Some(self.operand(t)),
                        _ => None,
                    }),
                    _ => None,
                };
                Some((op, rhs))
            });
            for item in &i.items {
                let syn::ImplItem::Fn(f) = item else { continue };
                let def = FnDef {
                    item: {
                        let (sig, block) = (&f.sig, &f.block);
                        quote!(#sig #block).to_string()
                    },
                    generics: generics.clone(),
                    self_ty: Some(self_text.clone()),
                };
                match &op {
                    Some((op, rhs)) => {
                        let left = self.operand(&i.self_ty);
                        let rhs = match (op, rhs) {
                            (&"neg" | &"index", _) => Operand::Scalar,
                            (_, Some(r)) => r.clone(),
                            // `impl Add for Vec3` is `Add<Self>`.
                            (_, None) => left.clone(),
                        };
                        let touches_struct =
                            matches!(left, Operand::Struct(_)) || matches!(rhs, Operand::Struct(_));
                        if touches_struct {
                            self.out
                                .operators
                                .insert((left, (*op).to_owned(), rhs), def);
                        }
                    }
                    None if on_struct => {
                        let key = (
                            self_name.clone().unwrap_or_default(),
                            f.sig.ident.to_string(),
                        );
                        // An inherent method wins over a trait's of the same name.
                        if i.trait_.is_none() || !self.out.methods.contains_key(&key) {
                            self.out.methods.insert(key, def);
                        }
                    }
                    None => {}
                }
            }
        }
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            if self.mentions_struct(&f.sig) {
                let (sig, block) = (&f.sig, &f.block);
                self.out.free.insert(
                    f.sig.ident.to_string(),
                    FnDef {
                        item: quote!(#sig #block).to_string(),
                        generics: Vec::new(),
                        self_ty: None,
                    },
                );
            }
            syn::visit::visit_item_fn(self, f);
        }
    }
    let mut walk = Walk {
        structs,
        out: Impls::default(),
    };
    walk.visit_file(file);
    walk.out
}
