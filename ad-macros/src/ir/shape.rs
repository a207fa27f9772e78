//! The shapes of parameters and of generated functions, shared by the transforms, the modes
//! and the companions: how a parameter holds its floats ([`Kind`]), what a transform produces
//! ([`Generated`]), and how a generated function is called ([`CallShape`]).

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::Type;

/// How an active parameter holds its floats, which decides its tangent and shadow (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `F`: the tangent follows it by value; its adjoint is returned.
    Scalar,
    /// `&F` or `&mut F`: memory of one float, read as `*x`.
    Ref { mutable: bool },
    /// `[F; N]` or `[[F; N]; M]` by value: the tangent is the same array; the adjoint is returned.
    Array { depth: usize },
    /// `&[F; N]` or `&mut [F; N]` (depth 1 or 2).
    ArrayRef { depth: usize, mutable: bool },
    /// `&[F]`, `&Vec<F>`, `&mut [F]`, `&mut Vec<F>`.
    Slice { mutable: bool },
    /// A nested container, rows of floats: `&[[F; N]]`, `&[Vec<F>]`, `&Vec<Vec<F>>`,
    /// `&Vec<[F; N]>`, and their `&mut` forms. Memory of depth 2; its tangent and shadow are
    /// slices of the same rows (`&[[F; N]]` / `&mut [[F; N]]`).
    Rows { mutable: bool },
}

impl Kind {
    /// Whether the parameter is memory the body indexes (everything but a scalar).
    pub fn is_memory(self) -> bool {
        self != Kind::Scalar
    }

    /// How many indices reach a float: 0 for `&F`, 1 for a slice, 2 for `[[F; N]; M]`.
    pub fn depth(self) -> usize {
        match self {
            Kind::Scalar | Kind::Ref { .. } => 0,
            Kind::Array { depth } | Kind::ArrayRef { depth, .. } => depth,
            Kind::Slice { .. } => 1,
            Kind::Rows { .. } => 2,
        }
    }

    /// Whether the function can write through it (`&mut F`, `&mut [F]`, ..): an output as well.
    pub fn writes_through(self) -> bool {
        matches!(
            self,
            Kind::Ref { mutable: true }
                | Kind::ArrayRef { mutable: true, .. }
                | Kind::Slice { mutable: true }
                | Kind::Rows { mutable: true }
        )
    }

    /// A read-only slice, or a `&[F; N]` taken like one: in a companion its tangent and shadow
    /// come as a slice or as zeros (`Zero`).
    pub fn lends_like_slice(self) -> bool {
        matches!(
            self,
            Kind::Slice { mutable: false }
                | Kind::ArrayRef {
                    depth: 1,
                    mutable: false
                }
        )
    }

    /// Whether its adjoint is returned (by-value parameters) rather than added into a shadow.
    pub fn by_value(self) -> bool {
        matches!(self, Kind::Scalar | Kind::Array { .. })
    }
}

/// The parts of a generated function that differ between the transforms.
#[derive(Clone)]
pub struct Generated {
    /// The parameter list.
    pub params: Vec<TokenStream>,
    /// The return type.
    pub ret: TokenStream,
    /// The body's statements.
    pub body: TokenStream,
    /// What the companion for calls from other annotated functions needs (see `expand`).
    pub call: CallShape,
}

/// The shape of a generated function as a callee: the primal parameters in order (binding and
/// type), the tangent each active one takes (forward), which adjoints the result returns
/// (reverse), the seed. `None` when some active parameter is memory: calls with arrays are not
/// supported yet.
#[derive(Clone, Default)]
pub struct CallShape {
    /// `(binding, type)` of each primal parameter.
    pub args: Vec<(TokenStream, TokenStream)>,
    /// The tangent parameter of each primal parameter (forward mode).
    pub tangents: Vec<Option<Ident>>,
    /// Whether each parameter's adjoint is part of the returned adjoints (reverse mode).
    pub returned: Vec<bool>,
    /// The seed parameter (reverse mode).
    pub seed: Option<Ident>,
    /// Some active parameter is memory other than a read-only slice.
    pub memory: bool,
    /// The float type of each parameter that is an active read-only slice (`&[F]`, `&Vec<F>`).
    pub slices: Vec<Option<TokenStream>>,
    /// The float type of each parameter that is an active slice the function writes (`&mut [F]`,
    /// `&mut Vec<F>`): its tangent and shadow are always slices (`&mut [F]`).
    pub written: Vec<Option<TokenStream>>,
    /// The shadow parameter of each active read-only slice (reverse mode).
    pub shadows: Vec<Option<Ident>>,
    /// The row type of each parameter that is active read-only rows (`&[[F; N]]`, `&[Vec<F>]`):
    /// its tangent and shadow come as `RowsTangent` / `RowsShadow`.
    pub rows: Vec<Option<TokenStream>>,
    /// Whether each parameter is an active array `[F; N]` by value: its tangent comes through
    /// `ArraySlot` (the caller's array or `Zero`); its adjoint is returned.
    pub arrays: Vec<bool>,
    /// The body is a user rule (`#[custom_tangent]`, `#[custom_grad]`) that takes plain slices:
    /// a constant slice's `Zero` tangent or shadow is made a slice of zeros
    /// (`SliceTangent::dense`), not read through `ZeroSlice` / `Sink`.
    pub dense: bool,
}

impl CallShape {
    /// Records how a parameter takes part in calls.
    /// `row` is the row type of a rows parameter.
    pub fn note(&mut self, active: bool, kind: Kind, elem: &Type, row: Option<TokenStream>) {
        let slice = active && kind.lends_like_slice();
        let written = active && matches!(kind, Kind::Slice { mutable: true });
        let rows = active && matches!(kind, Kind::Rows { mutable: false });
        let array = active && kind == Kind::Array { depth: 1 };
        self.memory |= active && kind.is_memory() && !slice && !written && !rows && !array;
        self.arrays.push(array);
        self.rows.push(row.filter(|_| rows));
        self.slices.push(slice.then(|| quote!(#elem)));
        self.written.push(written.then(|| quote!(#elem)));
    }
}
