//! The two transforms: forward mode (`tangent`) and reverse mode (`adjoint`).

pub mod adjoint;
pub mod tangent;
