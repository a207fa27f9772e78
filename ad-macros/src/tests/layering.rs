//! The pipeline's layering, checked: every module of `ad-macros/src` uses only modules of its own
//! stage or of stages below it in [`STAGES`]. A lower stage that reached up (`lower` calling into
//! `transform`, a shared helper living in `expand`) would put the files back in one loop.
//!
//! Every path is checked, not only `use` items: `use crate::x::..`, a path `crate::x::f(..)` in
//! code, and `super::..` resolved against the module the file (or inline `mod`) is. Paths inside
//! macros (`quote!`) are generated code, not imports, and are not looked at.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The stages, bottom to top: a module may use its own stage and the ones listed before it.
/// Each name is a top-level module of the crate (`errors.rs` or `front/`); `lib` is the crate
/// root, `tests` the test-only modules.
pub const STAGES: &[&[&str]] = &[
    &["errors", "names", "rules", "source"],
    &["ir"],
    &["front"],
    &["lower"],
    &["analysis"],
    &["emit"],
    &["transform"],
    &["modes"],
    &["expand"],
    &["lib", "tests"],
];

fn rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| s.contains(&stage))
}

/// One path from a module to another that goes up the pipeline.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    pub file: String,
    pub from: String,
    pub to: String,
    pub path: String,
}

/// The module path of a source file: `front/sig.rs` is `[front, sig]`, `lower/mod.rs` is
/// `[lower]`, `lib.rs` is `[]`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    match file.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    parts
}

fn stage_of(module: &[String]) -> String {
    module.first().cloned().unwrap_or_else(|| "lib".to_owned())
}

/// Collects, for one file, every path that starts with `crate` or `super`, resolved to the
/// module path it names.
struct Paths {
    /// The module being visited: the file's, plus any inline `mod` entered.
    module: Vec<String>,
    found: Vec<(Vec<String>, String)>,
}

impl Paths {
    fn note(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let resolved = match first.as_str() {
            "crate" => segments[1..].to_vec(),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let mut base = self.module.clone();
                for _ in 0..ups {
                    base.pop();
                }
                base.extend(segments[ups..].iter().cloned());
                base
            }
            _ => return,
        };
        self.found.push((resolved, segments.join("::")));
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.note(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.note(&prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.note(&prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.note(&segments);
        syn::visit::visit_path(self, p);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.module.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.module.pop();
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the source directory reads")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every path in the sources under `root` that goes from a stage to a higher one. Extra
/// `(relative path, text)` files are checked as if they were there (for the test of the test).
pub fn violations(root: &Path, extra: &[(&str, &str)]) -> Vec<Violation> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("a source file reads");
            (
                f.strip_prefix(root).expect("under the root").to_path_buf(),
                text,
            )
        })
        .collect();
    sources.extend(
        extra
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned())),
    );
    let mut out = Vec::new();
    for (relative, text) in sources {
        let file = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", relative.display()));
        let module = module_of(&relative);
        let from = stage_of(&module);
        let from_rank =
            rank(&from).unwrap_or_else(|| panic!("module `{from}` is in no stage of STAGES"));
        let mut paths = Paths {
            module,
            found: Vec::new(),
        };
        paths.visit_file(&file);
        for (target, path) in paths.found {
            let to = stage_of(&target);
            let to_rank = rank(&to).unwrap_or_else(|| {
                panic!(
                    "{}: `{path}` names `{to}`, which is in no stage",
                    relative.display()
                )
            });
            if to_rank > from_rank {
                out.push(Violation {
                    file: relative.display().to_string(),
                    from: from.clone(),
                    to,
                    path,
                });
            }
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_uses_a_higher_stage() {
    let found = violations(&src(), &[]);
    let report: Vec<String> = found
        .iter()
        .map(|v| {
            format!(
                "{}: `{}` goes from `{}` up to `{}`",
                v.file, v.path, v.from, v.to
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "imports up the pipeline (order: {STAGES:?}):\n{}",
        report.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_stage() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut seen = HashMap::new();
    for f in files {
        let module = module_of(f.strip_prefix(src()).expect("under src"));
        let stage = stage_of(&module);
        seen.entry(stage.clone())
            .or_insert_with(|| rank(&stage).is_some());
    }
    let missing: Vec<_> = seen.iter().filter(|(_, ok)| !**ok).collect();
    assert!(missing.is_empty(), "modules in no stage: {missing:?}");
}

#[test]
fn an_import_up_the_pipeline_is_caught() {
    // A lower stage reaching up, in a `use`, in a path in code, and through `super`.
    let extra = [
        (
            "lower/bad.rs",
            "use crate::transform::adjoint; fn f() { adjoint::transform(); }",
        ),
        ("ir/bad.rs", "fn f() { crate::expand::generate(); }"),
        ("front/bad.rs", "use crate::{errors, modes::custom};"),
        ("analysis/bad.rs", "use super::super::emit::item::wrap;"),
        (
            "lower/fine.rs",
            "use crate::ir::Func; use super::scan::maybe_active; mod m { use super::super::x; }",
        ),
    ];
    let found = violations(&src(), &extra);
    let bad: Vec<(&str, &str, &str)> = found
        .iter()
        .filter(|v| extra.iter().any(|(file, _)| *file == v.file))
        .map(|v| (v.file.as_str(), v.from.as_str(), v.to.as_str()))
        .collect();
    assert_eq!(
        bad,
        [
            ("lower/bad.rs", "lower", "transform"),
            ("ir/bad.rs", "ir", "expand"),
            ("front/bad.rs", "front", "modes"),
            ("analysis/bad.rs", "analysis", "emit"),
        ]
    );
}
