//! A convolution layer: for every output, a dot product of the kernel with its input patch,
//! then requantization.

use super::{Chips, Cursor};
use crate::circuit::Wire;
use crate::circuit::dot::DotInstructions;
use crate::circuit::requant::RequantInstructions;
use crate::circuit::table::ActivationRange;
use crate::field::fe;
use crate::model::reference::conv_taps;
use crate::model::spec::{Conv2d, Shape};
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;

/// `out[o][y][x] = requant(bias[o] + sum_{i,ky,kx} w[o][i][ky][kx] * in[i][y*s+ky][x*s+kx])`.
/// `reference` holds the trace's accumulators and outputs of this layer.
#[allow(clippy::too_many_arguments)]
pub fn conv2d(
    chips: &Chips,
    region: &mut Region<Fr>,
    at: &mut Cursor,
    layer: &Conv2d,
    index: usize,
    range: &ActivationRange,
    input: &[Wire],
    input_shape: Shape,
    reference: Value<(&[i64], &[i64])>,
) -> Result<Vec<Wire>, Error> {
    let (oh, ow) = (
        (input_shape.h - layer.kernel) / layer.stride + 1,
        (input_shape.w - layer.kernel) / layer.stride + 1,
    );
    let taps: Vec<_> = conv_taps(layer.in_channels, layer.kernel).collect();
    let mut out = Vec::with_capacity(layer.out_channels * oh * ow);
    for o in 0..layer.out_channels {
        let weights: Vec<Fr> = layer.weights[o * taps.len()..(o + 1) * taps.len()]
            .iter()
            .map(|w| fe(*w))
            .collect();
        for y in 0..oh {
            for x in 0..ow {
                let patch: Vec<Wire> = taps
                    .iter()
                    .map(|&(i, ky, kx)| {
                        input[(i * input_shape.h + y * layer.stride + ky) * input_shape.w
                            + x * layer.stride
                            + kx]
                    })
                    .collect();
                let acc =
                    chips
                        .dot
                        .dot(region, &mut at.lane, &patch, &weights, fe(layer.bias[o]))?;
                let k = out.len();
                let r = reference.map(|(a, v)| (a[k], v[k]));
                out.push(
                    chips
                        .requant
                        .requant(region, &mut at.lookup, &acc, index, range, r)?,
                );
            }
        }
    }
    Ok(out)
}
