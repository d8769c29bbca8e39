//! The image commitment over BN254's scalar field: the model crate's Poseidon
//! ([`zkmnist_model::commitment`]), instantiated once with `Fr` for the circuit, the prover and
//! the statement.

use halo2curves::bn256::Fr;
use std::sync::OnceLock;
use zkmnist_model::spec::{IMAGE_PIXELS, IMAGE_SIDE};

pub use zkmnist_model::commitment::{
    CALLS, FULL_ROUNDS, PARTIAL_ROUNDS, Poseidon, RATE, ROWS_PER_CALL, WIDTH, is_full_round, sbox,
};

/// A Poseidon state.
pub type State = [Fr; WIDTH];

/// circom's constants in `Fr`, converted once.
pub fn spec() -> &'static Poseidon<Fr> {
    static SPEC: OnceLock<Poseidon<Fr>> = OnceLock::new();
    SPEC.get_or_init(Poseidon::circom)
}

/// One round of the permutation.
pub fn round(state: &State, r: usize) -> State {
    spec().round(state, r)
}

/// circom `Poseidon(4)`.
pub fn hash(inputs: &[Fr; RATE]) -> Fr {
    spec().hash(inputs)
}

/// One field element per image row.
pub fn pack_rows(pixels: &[u8; IMAGE_PIXELS]) -> [Fr; IMAGE_SIDE] {
    zkmnist_model::commitment::pack_rows(pixels)
}

/// The inputs of Poseidon call `call`.
pub fn call_inputs(rows: &[Fr; IMAGE_SIDE], call: usize, previous: Fr) -> [Fr; RATE] {
    zkmnist_model::commitment::call_inputs(rows, call, previous)
}

/// The commitment to an image with a salt.
pub fn commit(pixels: &[u8; IMAGE_PIXELS], salt: Fr) -> Fr {
    spec().commit(pixels, salt)
}

/// A fresh, uniformly random salt.
pub fn random_salt() -> Result<Fr, getrandom::Error> {
    zkmnist_model::commitment::random_salt()
}
