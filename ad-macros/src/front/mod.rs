//! The front of the pipeline: which macro runs ([`Mode`]), the attribute's arguments (`attr`),
//! the function's signature (`sig`), and the item parsed as a function and checked (`parse`).

pub mod attr;
pub mod dynamic;
pub mod impls;
pub mod nalgebra;
pub mod parse;
pub mod sig;
pub mod struct_exprs;
pub mod struct_inline;
pub mod struct_memory;
pub mod struct_result;
pub mod struct_types;
pub mod struct_values;
pub mod structs;
pub mod syntax;

/// Which macro is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `#[derive_tangent]`: forward mode.
    Tangent,
    /// `#[derive_grad]`: reverse mode.
    Grad,
    /// `#[custom_tangent(rule)]`: forward mode by a user rule.
    CustomTangent,
    /// `#[custom_grad(rule)]`: reverse mode by a user rule.
    CustomGrad,
    /// `#[derive_jacobian]`: full Jacobians by vector forward or reverse mode.
    Jacobian,
}

impl Mode {
    /// The attribute as the user writes it, for messages.
    pub fn attribute(self) -> &'static str {
        match self {
            Mode::Tangent => "#[derive_tangent]",
            Mode::Grad => "#[derive_grad]",
            Mode::CustomTangent => "#[custom_tangent]",
            Mode::CustomGrad => "#[custom_grad]",
            Mode::Jacobian => "#[derive_jacobian]",
        }
    }
}
