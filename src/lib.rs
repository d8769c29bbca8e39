//! zkmnist: prove in zero knowledge that a hidden 28x28 image is classified as digit `d` by a
//! published quantized CNN.
//!
//! This package is the command line (`src/main.rs`, `src/cli/`) and the server
//! ([`serve`]); the pipeline lives in the workspace's crates, one per stage, re-exported here
//! under the names the tests, benches and examples use:
//! [`model`] (`zkmnist-model`: spec, integer reference, fit, [`preprocess`], the native
//! [`commitment`], [`data`], [`files`]) -> [`train`] (`zkmnist-train`) -> [`circuit`]
//! (`zkmnist-circuit`, with [`field`]) -> [`prover`], [`proof_file`], [`statement`] and [`evm`]
//! (`zkmnist-core`) -> the CLI, the server, and `crates/wasm` (the page).
#![deny(missing_docs)]

pub use zkmnist_circuit as circuit;
pub use zkmnist_circuit::{commitment, field};
pub use zkmnist_core::{evm, proof_file, prover, statement};
pub use zkmnist_model as model;
pub use zkmnist_model::{data, files, preprocess};
pub use zkmnist_train as train;

pub mod serve;
