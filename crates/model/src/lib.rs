//! zkmnist's model, without any proof system: the typed spec of the quantized CNN ([`spec`]),
//! the exact integer reference that defines it ([`reference`]: every value the circuit
//! constrains), whether and how it fits the circuit ([`plan`]), any picture to an MNIST-style
//! 28x28 image ([`preprocess`]), the Poseidon image commitment computed natively
//! ([`commitment`]), the digit datasets ([`data`]) and atomic file writes ([`files`]).
#![deny(missing_docs)]

pub mod commitment;
pub mod data;
pub mod files;
pub mod plan;
pub mod preprocess;
pub mod reference;
pub mod spec;

pub use reference::{LayerBounds, Trace, bounds, forward};
pub use spec::{ModelError, ModelSpec};
