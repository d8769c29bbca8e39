//! The integration tests, as one binary: the workspace is linked once, not once per file (on
//! the 2-core machine that was most of the test build). Each file is a module; run one with
//! `cargo test --release --test integration evm::` (the module name is the file's).

mod common;

mod circuit;
mod cli;
mod commitment;
mod evm;
mod idx;
mod msm;
mod parsers;
mod poseidon_chip;
mod preprocess;
mod prover;
mod reference;
mod serve;
mod srs;
mod training;
