//! The modes built on the transforms: Jacobians, Hessians, and user rules.

pub mod custom;
pub mod differentiable;
pub mod hessian;
pub mod hessian_calls;
mod hessian_many;
pub mod jacobian;
pub mod lanes_grad;
