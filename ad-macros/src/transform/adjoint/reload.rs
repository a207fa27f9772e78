//! Values the reverse sweep reads again from memory instead of storing them: a result the body
//! of a top-level `for` loop over a range writes to memory at the loop's index, where nothing
//! writes afterwards, is still there when the reverse sweep gets to its iteration. Storing it
//! would keep the same value twice (the MLP's hidden activations, `hidden[j] = a.tanh()`).
//!
//! Input:  `for j in 0..32 { ..; let h = a.tanh(); hidden[j] = h; } ..reads of hidden..`
//! Output (replay of iteration `k`): `let j = nth(&it, k); let h = hidden[j];` (no stack)
//!
//! Conditions: the store is a statement of the loop's body itself (not in a branch), plain
//! (`=`, not `+=`), indexed by the loop's variable alone; the loop is at the top level and its
//! iterator a range, so no two iterations write one element; the array is in scope for the
//! whole reverse sweep (a parameter or a top-level local); and nothing else writes the array
//! from the loop on (no other store or push, no call lent it to write, no statement that merely
//! mentions it, which might change it in place).

use proc_macro2::TokenTree;

use super::*;

impl Adjoint<'_> {
    /// Where the needed value `v`, defined in the body of a top-level loop of `stmts`, can be
    /// read again: the array and the index (the loop's variable).
    pub(super) fn kept_in_memory(
        &self,
        stmts: &[Stmt],
        defs: &HashMap<VarId, &Rhs>,
        v: VarId,
    ) -> Option<(VarId, VarId)> {
        let body = self.plan.loop_bodies.get(&self.plan.region[v]);
        let (from, l) = stmts.iter().enumerate().find_map(|(at, s)| match s {
            Stmt::Loop(l) if body == Some(&key(l)) => Some((at, l)),
            _ => None,
        })?;
        let LoopKind::For { iter, bound, .. } = &l.kind else {
            return None;
        };
        if !ranges(defs.get(iter)) {
            return None;
        }
        let (store, array, index) = l.body.iter().find_map(|s| match s {
            Stmt::Store {
                array,
                index,
                value: Operand::Var(x),
                add: false,
            } if *x == v => match index.as_slice() {
                [Operand::Var(i)] if bound.contains(i) => Some((s, *array, *i)),
                _ => None,
            },
            _ => None,
        })?;
        let in_scope = self.live(array) || self.plan.origin[array] == Origin::Param;
        (in_scope && !writes(&stmts[from..], array, store)).then_some((array, index))
    }
}

/// Whether the loop iterator defined by `def` is a range (`a..b`, `a..=b`), which yields no
/// value twice: `::core::iter::IntoIterator::into_iter(a..b)`, a `..` at the top of the group.
fn ranges(def: Option<&&Rhs>) -> bool {
    let Some(Rhs::Inert { tokens, .. }) = def else {
        return false;
    };
    let Some(TokenTree::Group(g)) = tokens.clone().into_iter().last() else {
        return false;
    };
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    inner.windows(2).any(|w| {
        matches!((&w[0], &w[1]), (TokenTree::Punct(a), TokenTree::Punct(b))
            if a.as_char() == '.' && b.as_char() == '.')
    })
}

/// Whether anything in `stmts` other than `except` writes `array`, or mentions it where it
/// might change it in place.
fn writes(stmts: &[Stmt], array: VarId, except: &Stmt) -> bool {
    stmts.iter().any(|s| match s {
        _ if std::ptr::eq(s, except) => false,
        Stmt::Store { array: a, .. } | Stmt::Push { array: a, .. } => *a == array,
        Stmt::Def { rhs, .. } => match rhs {
            Rhs::Call { .. } => rhs.written().contains(&array),
            Rhs::Inert { uses, .. } => uses.contains(&array),
            _ => false,
        },
        Stmt::Inert { uses, .. } => uses.contains(&array),
        Stmt::If(i) => writes(&i.then, array, except) || writes(&i.els, array, except),
        Stmt::Loop(l) => {
            writes(&l.body, array, except)
                || matches!(&l.kind, LoopKind::While { cond_stmts, .. }
                    if writes(cond_stmts, array, except))
        }
    })
}
