//! The quantized model: its typed spec and the exact integer reference that defines it.

pub mod plan;
pub mod reference;
pub mod spec;

pub use reference::{LayerBounds, Trace, bounds, forward};
pub use spec::{ModelError, ModelSpec};
