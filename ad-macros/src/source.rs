//! The source file a function is written in, read and parsed once and cached: what the macros
//! need to know that the function's own tokens do not show. Its readers: where the function
//! stands (free or in an `impl`, `emit/anchor.rs`), the type aliases of floats
//! (`type Real = f64;`, `front/sig.rs`), the structs with `#[derive(Differentiable)]`
//! (`front/structs.rs`) and the functions returning `[F; N]` (`lower/calls.rs`).
//!
//! Only a real compilation has a file: for code another macro wrote, or a file that does not
//! parse, the answer is `None`; in unit tests (`proc_macro` unavailable) it is `None` too, unless
//! the test gives the text (`with_text_in_tests`, as the goldens do).

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use proc_macro2::Ident;
use syn::visit::Visit;

/// A source file as last read: its path, length and modification time (to tell when it changed),
/// its text, and what each reader derived from its syntax tree. The tree itself is not kept: its
/// spans belong to the macro call that parsed it, and are invalid in the next one.
struct Source {
    path: PathBuf,
    stamp: (u64, Option<std::time::SystemTime>),
    text: String,
    derived: HashMap<TypeId, Box<dyn Any>>,
}

thread_local! {
    /// The last file read: the functions of one file are expanded one after another, so this
    /// saves reading and parsing it again for each of them.
    static LAST_FILE: RefCell<Option<Source>> = const { RefCell::new(None) };
    /// Outside a compilation (unit tests, goldens), the text that stands for every source file.
    static TEXT_IN_TESTS: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with `text` standing for the source file of every function, where no compiler is
/// there to say which file a function is in (the goldens expand a whole file this way).
#[cfg(test)]
pub fn with_text_in_tests<R>(text: &str, f: impl FnOnce() -> R) -> R {
    TEXT_IN_TESTS.with(|cell| *cell.borrow_mut() = Some(text.to_owned()));
    let out = f();
    TEXT_IN_TESTS.with(|cell| *cell.borrow_mut() = None);
    out
}

/// Calls `with` on the text of the source file `ident` is written in and on what `derive` finds
/// in its syntax tree (plain data, of a type of the reader's own), and returns its answer. The
/// file is read once, and parsed once per reader, while it does not change.
pub fn with_source<T: 'static, R>(
    ident: &Ident,
    derive: fn(&syn::File) -> T,
    with: impl FnOnce(&str, &T) -> Option<R>,
) -> Option<R> {
    if !proc_macro::is_available() {
        return TEXT_IN_TESTS.with(|cell| {
            let text = cell.borrow().clone()?;
            let file = syn::parse_file(&text).ok()?;
            with(&text, &derive(&file))
        });
    }
    let path = ident.span().unwrap().local_file()?;
    let meta = std::fs::metadata(&path).ok()?;
    let stamp = (meta.len(), meta.modified().ok());
    LAST_FILE.with(|cell| {
        let mut last = cell.borrow_mut();
        if !matches!(&*last, Some(s) if s.path == path && s.stamp == stamp) {
            let text = std::fs::read_to_string(&path).ok()?;
            *last = Some(Source {
                path,
                stamp,
                text,
                derived: HashMap::new(),
            });
        }
        let source = last.as_mut()?;
        let key = TypeId::of::<T>();
        if !source.derived.contains_key(&key) {
            let file = syn::parse_file(&source.text).ok()?;
            source.derived.insert(key, Box::new(derive(&file)));
        }
        let data = source.derived.get(&key)?.downcast_ref::<T>()?;
        with(&source.text, data)
    })
}

/// The type aliases of floats a file defines, at any depth of inline modules (and in function
/// bodies): `type Real = f64;` maps `Real` to `f64`; chains (`type R = Real;`) are followed. A
/// name defined twice with different floats is left out: the macro cannot tell which one a
/// signature means.
pub fn float_aliases(file: &syn::File) -> FloatAliases {
    struct Walk(Vec<(String, String)>);
    impl<'ast> Visit<'ast> for Walk {
        fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
            if t.generics.params.is_empty()
                && let syn::Type::Path(p) = &*t.ty
                && p.qself.is_none()
                && let Some(last) = p.path.segments.last()
                && last.arguments.is_none()
            {
                self.0.push((t.ident.to_string(), last.ident.to_string()));
            }
        }
    }
    let mut walk = Walk(Vec::new());
    walk.visit_file(file);
    let mut out: HashMap<String, String> = HashMap::new();
    let mut ambiguous = Vec::new();
    // Each round resolves one more link of a chain; as many rounds as there are aliases.
    for _ in 0..walk.0.len() {
        for (name, target) in &walk.0 {
            let float = match target.as_str() {
                "f32" | "f64" => Some(target.clone()),
                other => out.get(other).cloned(),
            };
            if let Some(float) = float {
                match out.get(name) {
                    Some(known) if *known != float => ambiguous.push(name.clone()),
                    _ => {
                        out.insert(name.clone(), float);
                    }
                }
            }
        }
    }
    for name in ambiguous {
        out.remove(&name);
    }
    FloatAliases(out)
}

/// The float aliases of a file: alias name → `f32` or `f64`.
pub struct FloatAliases(pub HashMap<String, String>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_of_floats_in_nested_modules_and_chains() {
        let file = syn::parse_file(
            "type Real = f64;
             mod m { pub type Single = f32; pub mod n { pub type R = super::Single; } }
             type Idx = usize;
             type Gen<T> = T;
             mod a { type Both = f64; }
             mod b { type Both = f32; }
             fn f() { type Local = f64; }",
        )
        .unwrap();
        let a = float_aliases(&file).0;
        assert_eq!(a.get("Real").map(String::as_str), Some("f64"));
        assert_eq!(a.get("Single").map(String::as_str), Some("f32"));
        assert_eq!(a.get("R").map(String::as_str), Some("f32"));
        assert_eq!(a.get("Local").map(String::as_str), Some("f64"));
        assert!(!a.contains_key("Idx") && !a.contains_key("Gen"));
        assert!(!a.contains_key("Both"), "defined as two different floats");
    }
}
