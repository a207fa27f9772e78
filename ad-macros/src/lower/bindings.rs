//! The lowering's state: variables, their versions and bindings in scope, renaming of copied
//! code, and inert definitions (code copied as tokens, with its refusal).

use super::*;

impl Lowerer<'_> {
    pub(super) fn new_var(&mut self, ident: Ident, mutable: bool) -> VarId {
        self.vars.push(Var {
            ident,
            mutable,
            varied: false,
            useful: false,
            depth: None,
        });
        self.vars.len() - 1
    }

    /// The identifier a key's versions are named after: the user's name, or a hygienic base for
    /// the macro's own flags.
    pub(super) fn base_ident(&self, key: &str) -> Ident {
        self.base_idents
            .get(key)
            .cloned()
            .unwrap_or_else(|| crate::names::user(key))
    }

    /// A new variable for a definition of `key`: the user's name itself the first time, a
    /// hygienic `name_k` after.
    pub(super) fn named_var(&mut self, key: &str, mutable: bool) -> VarId {
        let base = self.base_ident(key);
        let k = self.versions.entry(key.to_owned()).or_insert(0);
        *k += 1;
        let ident = if *k == 1 {
            base
        } else {
            self.namer.version(&base, *k - 1)
        };
        let mutable = mutable && self.mutated.contains(key);
        self.new_var(ident, mutable)
    }

    pub(super) fn temp(&mut self) -> VarId {
        let ident = self.namer.temp();
        self.new_var(ident, false)
    }

    /// A new version of `key` holding a constant (`false`, a flag's value).
    pub(super) fn constant_var(&mut self, key: &str, tokens: TokenStream) -> Value {
        let v = self.named_var(key, false);
        self.push_def(v, None, inert_rhs(tokens, Vec::new(), true));
        Value::Scalar(Operand::Var(v))
    }

    pub(super) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The current value of a key that is certainly bound (a flag).
    pub(super) fn current(&self, key: &str) -> Value {
        match self.lookup(key) {
            Some(Binding::Value(v)) => v.clone(),
            _ => dummy(),
        }
    }

    pub(super) fn operand_of(&mut self, v: Value) -> Operand {
        match v {
            Value::Scalar(op) => op,
            _ => Operand::Const(quote!(false)),
        }
    }

    pub(super) fn bind(&mut self, name: &str, b: Binding) {
        if let Binding::Value(v) = &b {
            self.note_maybe_active(name, v);
        }
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .insert(name.to_owned(), b);
    }

    /// Keeps the by-name "maybe active" set a superset: a name bound to a computed variable may
    /// hold a derivative (the pre-pass over the original body cannot see names that desugaring
    /// introduces, such as a closure's parameter), so code mentioning it must be taken apart.
    pub(super) fn note_maybe_active(&mut self, name: &str, v: &Value) {
        if v.leaves()
            .iter()
            .any(|(_, op)| matches!(op, Operand::Var(_)))
        {
            self.maybe_active.insert(name.to_owned());
        }
    }

    /// Rebinds an existing name in the scope that owns it (an assignment).
    pub(super) fn rebind(&mut self, name: &str, value: Value) {
        self.note_maybe_active(name, &value);
        if let Some(level) = self.scopes.iter().rposition(|s| s.contains_key(name)) {
            self.scopes[level].insert(name.to_owned(), Binding::Value(value));
            self.assigned.insert((level, name.to_owned()));
        }
    }

    pub(super) fn mentions_active(&self, tokens: TokenStream) -> bool {
        mentions(tokens, &self.maybe_active)
    }

    /// "`#[derive_grad]` cannot differentiate WHAT: WHY. INSTEAD."
    pub(super) fn refusal(
        &self,
        node: impl ToTokens,
        what: &str,
        why: &str,
        instead: &str,
    ) -> syn::Error {
        syn::Error::new_spanned(
            node,
            format!(
                "{} cannot differentiate {what}: {why}. {instead}",
                self.mode
            ),
        )
    }

    /// The tokens of a value, for use inside copied code.
    pub(super) fn value_tokens(&self, v: &Value) -> TokenStream {
        match v {
            Value::Scalar(Operand::Var(id)) => self.vars[*id].ident.to_token_stream(),
            Value::Scalar(Operand::Const(t)) => quote!((#t)),
            Value::Tuple(items) => {
                let items = items.iter().map(|i| self.value_tokens(i));
                quote!((#(#items,)*))
            }
            Value::Array(items) => {
                let items = items.iter().map(|i| self.value_tokens(i));
                quote!([#(#items),*])
            }
        }
    }

    /// Copies tokens, replacing each user variable by its current IR name. Returns the variables
    /// used.
    pub(super) fn rename(&self, tokens: TokenStream) -> (TokenStream, Vec<VarId>) {
        let mut uses = Vec::new();
        let out = self.rename_into(tokens, &mut uses);
        (out, uses)
    }

    pub(super) fn rename_into(&self, tokens: TokenStream, uses: &mut Vec<VarId>) -> TokenStream {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let vars = variable_positions(&tokens);
        let mut out = TokenStream::new();
        for (t, var) in tokens.into_iter().zip(vars) {
            match t {
                TokenTree::Ident(id) if var => match self.lookup(&id.to_string()) {
                    Some(Binding::Value(v)) => {
                        for (_, op) in v.leaves() {
                            if let Operand::Var(x) = op {
                                uses.push(*x);
                            }
                        }
                        let mut replaced = self.value_tokens(v);
                        if let Value::Scalar(Operand::Var(_)) = v {
                            // Keep the user's span for error messages; the name decides hygiene.
                            let ident = self.vars[uses[uses.len() - 1]].ident.clone();
                            replaced = ident.to_token_stream();
                        }
                        out.extend(replaced);
                    }
                    _ => out.extend([TokenTree::Ident(id)]),
                },
                TokenTree::Group(g) => {
                    let mut ng = Group::new(g.delimiter(), self.rename_into(g.stream(), uses));
                    ng.set_span(g.span());
                    out.extend([TokenTree::Group(ng)]);
                }
                other => out.extend([other]),
            }
        }
        out
    }

    pub(super) fn push_def(&mut self, var: VarId, ty: Option<TokenStream>, rhs: Rhs) {
        if matches!(rhs, Rhs::Inert { refusal: None, .. }) && self.vars[var].depth.is_none() {
            self.plain_inert.insert(var);
        }
        self.stmts.push(Stmt::Def { var, ty, rhs });
    }

    /// An inert expression as an operand: literals and paths stay inline; anything else is
    /// evaluated once into a temporary, so that the reverse sweep reads the same value.
    pub(super) fn inert(&mut self, e: &Expr, refusal: Option<syn::Error>) -> Operand {
        let (tokens, uses) = self.rename(e.to_token_stream());
        let simple = uses.is_empty() && refusal.is_none() && is_literal_or_path(e);
        if simple {
            return Operand::Const(tokens);
        }
        let pure = refusal.is_none() && is_pure(e, &self.mutated);
        let t = self.temp();
        self.push_def(
            t,
            None,
            Rhs::Inert {
                tokens,
                uses,
                refusal,
                pure,
            },
        );
        Operand::Var(t)
    }

    /// The value of a name read as a whole. A variable that code here changes in place (`k` in
    /// `bump(&mut k)`, an index list written element by element) is not versioned, so its value
    /// is read into a copy at this point: an alias would see later changes, and the reverse
    /// sweep would read the value the variable has then. Floats that may carry a derivative are
    /// left as they are (changing one in place is refused where it happens).
    pub(super) fn read_state(&mut self, name: &str, value: Value) -> Value {
        let Value::Scalar(Operand::Var(v)) = value else {
            return value;
        };
        let state = self.vars[v].depth.is_none()
            && self.mutated.contains(name)
            && !self.ref_mut_params.contains(&v)
            && (self.integers.contains(&v) || !self.maybe_active.contains(name));
        if !state {
            return value;
        }
        let ident = self.vars[v].ident.clone();
        let copy = self.inert_tokens(quote!(::core::clone::Clone::clone(&#ident)), vec![v], false);
        if self.integers.contains(&v)
            && let Some(c) = Func::var_of(&copy)
        {
            self.integers.insert(c);
        }
        Value::Scalar(copy)
    }

    /// An inert definition from tokens the macro built (a flag test, a match condition).
    pub(super) fn inert_tokens(
        &mut self,
        tokens: TokenStream,
        uses: Vec<VarId>,
        pure: bool,
    ) -> Operand {
        let t = self.temp();
        self.push_def(t, None, inert_rhs(tokens, uses, pure));
        Operand::Var(t)
    }

    /// Turns constant leaves into variables, so that every output component can be named.
    pub(super) fn materialize(&mut self, v: Value) -> Value {
        match v {
            Value::Scalar(Operand::Const(tokens)) => {
                Value::Scalar(self.inert_tokens(tokens, Vec::new(), true))
            }
            Value::Scalar(op) => Value::Scalar(op),
            Value::Tuple(items) => {
                Value::Tuple(items.into_iter().map(|i| self.materialize(i)).collect())
            }
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| self.materialize(i)).collect())
            }
        }
    }

    /// The keys of the exit flags in force: `break` and `continue` of the enclosing loops, and
    /// the return flag.
    pub(super) fn flag_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .loops
            .iter()
            .flat_map(|l| [l.brk.clone(), l.cont.clone()])
            .flatten()
            .map(|(k, _)| k)
            .collect();
        if self.lookup(RETURNED).is_some() {
            keys.push(RETURNED.to_owned());
        }
        keys
    }

    pub(super) fn signature(&self, key: &str) -> String {
        match self.lookup(key) {
            Some(Binding::Value(v)) => format!("{v:?}"),
            Some(other) => format!("{other:?}"),
            None => String::new(),
        }
    }
}
