//! The image commitment: pack each image row into one field element, then chain four
//! circom `Poseidon(8)` calls starting from the salt (see [`crate::commitment`]).

use super::{Chips, Cursor};
use crate::circuit::Wire;
use crate::circuit::dot::DotInstructions;
use crate::circuit::poseidon::PoseidonInstructions;
use crate::commitment::{CALLS, RATE};
use crate::model::spec::IMAGE_SIDE;
use halo2_proofs::circuit::Region;
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// `Poseidon` chain over the packed rows of `pixels` (range-checked cells) and `salt`.
pub fn commit(
    chips: &Chips,
    region: &mut Region<Fr>,
    at: &mut Cursor,
    pixels: &[Wire],
    salt: Wire,
) -> Result<Wire, Error> {
    let powers: Vec<Fr> = (0..IMAGE_SIDE)
        .scan(Fr::ONE, |p, _| {
            let cur = *p;
            *p *= Fr::from(256);
            Some(cur)
        })
        .collect();
    let rows = pixels
        .chunks_exact(IMAGE_SIDE)
        .map(|row| chips.dot.dot(region, &mut at.lane, row, &powers, Fr::ZERO))
        .collect::<Result<Vec<_>, _>>()?;
    let per_call = RATE - 1;
    let mut h = salt;
    for call in 0..CALLS {
        let mut inputs = [h; RATE];
        inputs[1..].copy_from_slice(&rows[call * per_call..(call + 1) * per_call]);
        h = chips.poseidon.hash(region, &mut at.lane, &inputs)?;
    }
    Ok(h)
}
