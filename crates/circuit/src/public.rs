//! The statement's public inputs, typed: what the instance column holds, in its order.

use crate::PUBLIC_INPUTS;
use halo2curves::bn256::Fr;

/// The public inputs of the statement, in the circuit's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicInputs {
    /// Poseidon commitment to the image and a salt.
    pub image_commitment: Fr,
    /// The digit the model reads (0..=9).
    pub digit: u8,
    /// A value the proof is bound to (an Ethereum address, a nonce, 0).
    pub context: Fr,
}

impl PublicInputs {
    /// As the circuit's instance column (and the verifier contract's first 96 bytes) holds them:
    /// `[image_commitment, digit, context]`.
    pub fn fields(&self) -> [Fr; PUBLIC_INPUTS] {
        [
            self.image_commitment,
            Fr::from(u64::from(self.digit)),
            self.context,
        ]
    }

    /// From the instance column's order; `None` unless the digit is one of 0..=9.
    pub fn from_fields(fields: &[Fr; PUBLIC_INPUTS]) -> Option<Self> {
        let digit = (0u8..10).find(|d| Fr::from(u64::from(*d)) == fields[1])?;
        Some(PublicInputs {
            image_commitment: fields[0],
            digit,
            context: fields[2],
        })
    }
}
