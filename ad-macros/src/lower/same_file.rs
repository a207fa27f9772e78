//! Functions of the same file inlined into a Hessian's code. Second-order companions take
//! floats and small arrays and return one float, so a Hessian's first pass (and the function's
//! own second-order companions) inline a call given a slice, or returning an array or a tuple,
//! when the callee is a function of this file without generics but a float type parameter
//! (written for the caller's float type first): its text is read from the source file
//! (`crate::source`) and inlined like a local `fn` (`closure.rs::inline_call`).
//!
//! A name resolves as rustc resolves it from the caller: a function of that name in the
//! caller's module, else the only function of that name in the file.

use std::rc::Rc;

use super::closure::LocalFn;
use super::*;
use crate::front::structs::FLAT_SUFFIX;

impl Lowerer<'_> {
    /// The callee of `g(..)` to inline (`Context::inline_calls` names the caller), or `None`.
    /// Its other names resolve where it is inlined as where it is written: parameters, its own
    /// locals, and the file's constants and functions.
    pub(super) fn same_file_callee(&self, c: &syn::ExprCall) -> Option<Rc<LocalFn>> {
        let caller = self.inline_calls.as_ref()?;
        let name = path_ident(&c.func)?;
        // Not into itself: a recursive callee goes through its companions (or is refused).
        // Nor a call of constants only.
        if self.inlined.contains(&name.to_string())
            || !c
                .args
                .iter()
                .any(|a| self.mentions_active(a.to_token_stream()))
        {
            return None;
        }
        let item = self.monomorphic(callee_item(caller, &name.to_string())?)?;
        // A slice of floats that may carry a derivative: lent (`&x[..]`, `x`), or a view; not
        // integer state (`&mut idx`).
        let lent = |a: &Expr| {
            let mut root = super::view::strip_parens(a);
            loop {
                root = match root {
                    Expr::Reference(r) => super::view::strip_parens(&r.expr),
                    Expr::Index(i) if matches!(&*i.index, Expr::Range(_)) => {
                        super::view::strip_parens(&i.expr)
                    }
                    _ => break,
                };
            }
            let floats = match self.memory_of(root) {
                Some(m) => self.vars[m].depth > Some(0) && !self.integers.contains(&m),
                None => self.view_named(root).is_some(),
            };
            floats && self.mentions_active(a.to_token_stream())
        };
        let aggregate = matches!(
            &item.sig.output,
            syn::ReturnType::Type(_, t) if matches!(**t, syn::Type::Array(_) | syn::Type::Tuple(_))
        );
        if !aggregate && !c.args.iter().any(lent) {
            return None;
        }
        Some(Rc::new(LocalFn::of_item(&item)))
    }

    /// A callee generic over one float type `T` (`fn norm2<T: Float>(v: &[T]) -> T`) written
    /// for this function's float type: `T` replaced by it in types and paths. For a concrete
    /// float type, `T::zero()` and `T::one()` become the runtime's `zero::<f64>()` and
    /// `one::<f64>()`; any other `T::..` would need its trait imported, and the callee is not
    /// inlined (`None`). `None` too when the float type is not one name.
    fn monomorphic(&self, mut item: syn::ItemFn) -> Option<syn::ItemFn> {
        let Some(t) = item
            .sig
            .generics
            .type_params()
            .next()
            .map(|p| p.ident.clone())
        else {
            return Some(item);
        };
        let float: Ident = syn::parse2(self.float_ty.clone()?).ok()?;
        let concrete = ["f32", "f64"].contains(&float.to_string().as_str());
        struct Substitute {
            from: Ident,
            to: Ident,
            concrete: bool,
            refused: bool,
        }
        impl syn::visit_mut::VisitMut for Substitute {
            fn visit_expr_mut(&mut self, e: &mut Expr) {
                // `T::zero()` / `T::one()` of a concrete float: the runtime's functions.
                if self.concrete
                    && let Expr::Call(c) = e
                    && c.args.is_empty()
                    && let Expr::Path(p) = &*c.func
                    && p.qself.is_none()
                    && let [first, second] = &p.path.segments.iter().collect::<Vec<_>>()[..]
                    && first.ident == self.from
                    && (second.ident == "zero" || second.ident == "one")
                {
                    let (f, to) = (&second.ident, &self.to);
                    *e = syn::parse_quote!(::ad_runtime::#f::<#to>());
                    return;
                }
                syn::visit_mut::visit_expr_mut(self, e);
            }
            fn visit_path_mut(&mut self, p: &mut syn::Path) {
                let long = p.segments.len() > 1;
                if p.leading_colon.is_none()
                    && let Some(first) = p.segments.first_mut()
                    && first.ident == self.from
                {
                    self.refused |= long && self.concrete;
                    first.ident = self.to.clone();
                }
                syn::visit_mut::visit_path_mut(self, p);
            }
        }
        let mut sub = Substitute {
            from: t,
            to: float,
            concrete,
            refused: false,
        };
        syn::visit_mut::visit_block_mut(&mut sub, &mut item.block);
        for input in item.sig.inputs.iter_mut() {
            syn::visit_mut::visit_fn_arg_mut(&mut sub, input);
        }
        syn::visit_mut::visit_return_type_mut(&mut sub, &mut item.sig.output);
        if sub.refused {
            return None;
        }
        item.sig.generics = syn::Generics::default();
        Some(item)
    }
}

/// The function `name` resolves to from `caller`'s module, when it can be inlined (no
/// generics but one type parameter, no `self`).
fn callee_item(caller: &Ident, name: &str) -> Option<syn::ItemFn> {
    let text = crate::source::with_source(caller, free_fns, |_, fns| {
        fns.resolve(&caller.to_string(), name).cloned()
    })?;
    syn::parse_str(&text).ok()
}

/// The functions of `f`'s file that a Hessian's first pass may inline into `f`: those `f`
/// names, and those they name, as tokens. Their names are reserved, so that no generated name
/// (the shadow `dx` of a parameter `x`) is spelled like one of their locals.
pub fn inlinable_callees(f: &syn::ItemFn) -> TokenStream {
    let caller = &f.sig.ident;
    let mut out = TokenStream::new();
    let mut seen = HashSet::new();
    let mut todo: Vec<String> = collect_idents(&f.block.to_token_stream())
        .into_iter()
        .collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(item) = callee_item(caller, &name) {
            let tokens = item.to_token_stream();
            todo.extend(collect_idents(&tokens));
            out.extend(tokens);
        }
    }
    out
}

/// The free functions of a source file (in any module and function body, not methods), by
/// where they are: the module path (a function body counts as a module of its own) and name.
pub struct FreeFns {
    /// `(module, name)` → the item's text, for those that can be inlined (no generics, no
    /// `self`); a name defined twice in one module is left out.
    inlinable: HashMap<(Vec<String>, String), String>,
    /// Every function's name → the modules defining one of that name.
    places: HashMap<String, Vec<Vec<String>>>,
    /// Every method's name → the modules of the `impl`s defining one: where a method calling
    /// a free function resolves it from.
    methods: HashMap<String, Vec<Vec<String>>>,
}

impl FreeFns {
    /// The inlinable function `name` as called from the function `caller`: the one of `caller`'s
    /// module, else the only one in the file.
    fn resolve(&self, caller: &str, name: &str) -> Option<&String> {
        let places = self.places.get(name)?;
        // The flat form of a function over structs resolves names from the function's place.
        let caller = caller.strip_suffix(FLAT_SUFFIX).unwrap_or(caller);
        let module = match &self
            .places
            .get(caller)
            .or_else(|| self.methods.get(caller))
            .map(Vec::as_slice)
        {
            Some([m]) if places.contains(m) => m.clone(),
            _ => match &places[..] {
                [only] => only.clone(),
                _ => return None,
            },
        };
        self.inlinable.get(&(module, name.to_owned()))
    }
}

/// Reads [`FreeFns`] from a source file.
fn free_fns(file: &syn::File) -> FreeFns {
    struct Walk {
        module: Vec<String>,
        found: Vec<(Vec<String>, String, Option<String>)>,
        methods: HashMap<String, Vec<Vec<String>>>,
    }
    impl<'ast> syn::visit::Visit<'ast> for Walk {
        fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
            self.module.push(m.ident.to_string());
            syn::visit::visit_item_mod(self, m);
            self.module.pop();
        }
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            // No generics but lifetimes and one type parameter (a float type).
            let generics = &f.sig.generics.params;
            let types = generics
                .iter()
                .filter(|p| matches!(p, syn::GenericParam::Type(_)))
                .count();
            let consts = generics
                .iter()
                .any(|p| matches!(p, syn::GenericParam::Const(_)));
            let plain = types <= 1 && !consts && f.sig.receiver().is_none();
            let name = f.sig.ident.to_string();
            let text = plain.then(|| f.to_token_stream().to_string());
            self.found.push((self.module.clone(), name.clone(), text));
            self.module.push(format!("fn {name}"));
            syn::visit::visit_item_fn(self, f);
            self.module.pop();
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            let places = self.methods.entry(f.sig.ident.to_string()).or_default();
            if !places.contains(&self.module) {
                places.push(self.module.clone());
            }
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    let mut walk = Walk {
        module: Vec::new(),
        found: Vec::new(),
        methods: HashMap::new(),
    };
    walk.visit_file(file);
    let mut fns = FreeFns {
        inlinable: HashMap::new(),
        places: HashMap::new(),
        methods: walk.methods,
    };
    let mut twice = HashSet::new();
    for (module, name, text) in walk.found {
        let places = fns.places.entry(name.clone()).or_default();
        let key = (module.clone(), name);
        if places.contains(&module) {
            twice.insert(key.clone());
        } else {
            places.push(module);
        }
        if let Some(text) = text {
            fns.inlinable.insert(key, text);
        }
    }
    for key in twice {
        fns.inlinable.remove(&key);
    }
    fns
}
