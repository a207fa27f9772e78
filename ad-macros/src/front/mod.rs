//! The front of the pipeline: the attribute's arguments and the function's signature.

pub mod attr;
pub mod sig;
