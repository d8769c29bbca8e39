//! zkmnist: prove in zero knowledge that a hidden 28x28 image is classified as digit `d` by a
//! published quantized CNN.
//!
//! The pipeline, one module per stage: [`data`] (datasets) -> [`train`] (float training and
//! quantization) -> [`model`] (the integer spec and its exact reference) -> [`preprocess`]
//! (any picture to an MNIST-style 28x28 image) -> [`commitment`] (Poseidon image commitment)
//! -> [`circuit`] (chips and layers) -> [`prover`] (setup, keys, prove, verify) ->
//! [`proof_file`] (the files users exchange) -> [`statement`] (the one API the CLI, the wasm
//! bindings, the server and the npm package call); [`files`] writes every file atomically.
#![deny(missing_docs)]

pub mod circuit;
pub mod commitment;
pub mod data;
pub mod evm;
pub mod field;
pub mod files;
pub mod model;
pub mod preprocess;
pub mod proof_file;
pub mod prover;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
pub mod statement;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
