//! zkmnist's core, over the circuit: the trusted setup, keys, proving and verifying
//! ([`prover`]), the files users exchange ([`proof_file`]), the statement API every front end
//! calls ([`statement`]: the CLI, the server, the page's wasm and the npm package only
//! translate), and the EVM: the Solidity verifier's generator and the embedded EVM that runs it
//! ([`evm`]).
#![deny(missing_docs)]

pub mod evm;
pub mod proof_file;
pub mod prover;
pub mod statement;
