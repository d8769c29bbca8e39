//! A dense layer: one dot product per output, then requantization (hidden layers) or nothing
//! (the logits).

use super::{Chips, Cursor};
use crate::circuit::Wire;
use crate::circuit::dot::DotInstructions;
use crate::circuit::requant::RequantInstructions;
use crate::circuit::table::ActivationRange;
use crate::field::fe;
use crate::model::spec::Dense;
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;

/// `out[o] = bias[o] + sum_i w[o][i] * in[i]`, requantized when `activation` is given
/// (`(hidden layer index, its range)`).
pub fn dense(
    chips: &Chips,
    region: &mut Region<Fr>,
    at: &mut Cursor,
    layer: &Dense,
    activation: Option<(usize, &ActivationRange)>,
    input: &[Wire],
    reference: Value<(&[i64], &[i64])>,
) -> Result<Vec<Wire>, Error> {
    let mut out = Vec::with_capacity(layer.outputs);
    for o in 0..layer.outputs {
        let weights: Vec<Fr> = layer.weights[o * layer.inputs..(o + 1) * layer.inputs]
            .iter()
            .map(|w| fe(*w))
            .collect();
        let acc = chips
            .dot
            .dot(region, &mut at.lane, input, &weights, fe(layer.bias[o]))?;
        out.push(match activation {
            Some((index, range)) => {
                let r = reference.map(|(a, v)| (a[o], v[o]));
                chips
                    .requant
                    .requant(region, &mut at.lookup, &acc, index, range, r)?
            }
            None => acc,
        });
    }
    Ok(out)
}
