//! The modes built on the transforms: Jacobians, Hessians, and user rules.

pub mod custom;
pub mod differentiable;
pub mod hessian;
mod hessian_many;
pub mod jacobian;
