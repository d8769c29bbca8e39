//! The image commitment: pack each image row into one field element, then chain ten
//! circom `Poseidon(4)` calls starting from the salt (see [`crate::commitment`]).

use super::{Chips, Cursor};
use crate::circuit::Wire;
use crate::circuit::dot::DotInstructions;
use crate::circuit::poseidon::PoseidonInstructions;
use crate::commitment::{CALLS, RATE, ROWS_PER_CALL};
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
    // Rows past the image are zero: an empty dot product is a cell constrained to 0.
    let zero = chips.dot.dot(region, &mut at.lane, &[], &[], Fr::ZERO)?;
    let mut h = salt;
    for call in 0..CALLS {
        let inputs: [Wire; RATE] = std::array::from_fn(|i| match i {
            0 => h,
            _ => rows
                .get(call * ROWS_PER_CALL + i - 1)
                .copied()
                .unwrap_or(zero),
        });
        h = chips.poseidon.hash(region, &mut at.lane, &inputs)?;
    }
    Ok(h)
}
