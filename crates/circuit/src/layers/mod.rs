//! The statement assembled from the chips, in two phases: everything the prover claims
//! (phase 1: pixels, packing, the Poseidon chain, requantized outputs, full-correlation claims,
//! logits, argmax bits), then, after the challenge `z` is drawn, the chains and sums that check
//! the claims (phase 2).

pub mod commit;
pub mod conv;
pub mod dense;

use super::algebra::Algebra;
use super::plan::PUBLIC_ROWS;
use super::{Chips, Wire, ZkmnistCircuit, ZkmnistConfig};
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;
use std::ops::Range;
use zkmnist_model::plan::ConvGeometry;
use zkmnist_model::spec::{Conv2d, Layer};

/// What a witness fixes, per convolution: its input, its full-correlation accumulators.
#[derive(Clone, Debug)]
pub(crate) struct ConvData {
    /// Input activations, CHW.
    pub input: Vec<i64>,
    /// Full-correlation accumulators `[o][I][J]` (bias included).
    pub full: Vec<i64>,
    /// Valid accumulators `[o][i][j]` (the reference's).
    pub acc: Vec<i64>,
}

/// The full correlation of a convolution (see [`ConvGeometry`]): output `(o, I, J)` is the
/// bias plus every kernel tap whose input lies in the image, for `I, J < f`.
pub(crate) fn full_correlation(g: &ConvGeometry, layer: &Conv2d, input: &[i64]) -> Vec<i64> {
    let mut out = vec![0i64; g.full_outputs()];
    for o in 0..g.c_out {
        for big_i in 0..g.f {
            for big_j in 0..g.f {
                let mut acc = layer.bias[o];
                for c in 0..g.c_in {
                    for ky in 0..g.k {
                        for kx in 0..g.k {
                            let y = (g.s * big_i + ky) as i64 - (g.s * g.extra) as i64;
                            let x = (g.s * big_j + kx) as i64 - (g.s * g.extra) as i64;
                            if (0..g.h as i64).contains(&y) && (0..g.h as i64).contains(&x) {
                                let w = layer.weights[((o * g.c_in + c) * g.k + ky) * g.k + kx];
                                acc += w * input[g.input_index(c, y as usize, x as usize)];
                            }
                        }
                    }
                }
                out[(o * g.f + big_i) * g.f + big_j] = acc;
            }
        }
    }
    out
}

/// The convolution layers of the model with their geometry.
pub(crate) fn conv_layers(c: &ZkmnistCircuit) -> Vec<(&Conv2d, ConvGeometry)> {
    c.spec()
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Conv2d(conv) => Some(conv),
            Layer::Dense(_) => None,
        })
        .zip(c.plan().convs.iter().copied())
        .collect()
}

/// Witness data of every convolution (unknown during key generation).
pub(crate) fn conv_data(c: &ZkmnistCircuit) -> Vec<Value<ConvData>> {
    conv_layers(c)
        .into_iter()
        .enumerate()
        .map(|(l, (layer, g))| {
            match c.witness() {
                Some(w) => {
                    let input = if l == 0 {
                        w.trace.input.clone()
                    } else {
                        w.trace.layers[l - 1].output.clone()
                    };
                    // The valid outputs of the full correlation are the accumulators the
                    // reference computed (the same numbers, honestly): the claims are exactly
                    // what the prover states, and the Freivalds identity is what checks them.
                    let acc = w.trace.layers[l].acc.clone();
                    let mut full = full_correlation(&g, layer, &input);
                    for o in 0..g.c_out {
                        for i in 0..g.oh {
                            for j in 0..g.oh {
                                full[(o * g.f + g.extra + i) * g.f + g.extra + j] =
                                    acc[(o * g.oh + i) * g.oh + j];
                            }
                        }
                    }
                    Value::known(ConvData { full, acc, input })
                }
                None => Value::unknown(),
            }
        })
        .collect()
}

/// Rows of `g` for weight chains: the rows after the dense block, then the image packing's
/// algebra rows (a weight chain uses only `g` and `w`; there `h` and `q` stay zero, so the
/// algebra gate's product is zero), then the rest of the algebra region.
pub(crate) struct ChainRows {
    rows: Range<usize>,
    packing: Range<usize>,
}

impl ChainRows {
    /// `n` consecutive rows.
    pub fn take(&mut self, algebra: &mut Algebra, n: usize) -> Result<usize, Error> {
        for free in [&mut self.rows, &mut self.packing] {
            if free.len() >= n {
                let start = free.start;
                free.start += n;
                return Ok(start);
            }
        }
        algebra.take(n)
    }
}

/// Assigns the whole circuit.
pub(crate) fn assign(
    c: &ZkmnistCircuit,
    config: &ZkmnistConfig,
    region: &mut Region<Fr>,
) -> Result<(), Error> {
    let chips: Chips = config.chips();
    let plan = c.plan();
    let data = conv_data(c);
    let mut algebra = Algebra::new(chips.cols, chips.kinds, plan.algebra.clone());

    // Phase 1: everything the prover claims.
    let pixels = commit::assign_pixels(c, &chips, region)?;
    let perms = commit::assign_chain_start(c, &chips, region)?;
    let commitment = commit::assign_commitment(c, &chips, region, &mut algebra, &pixels, &perms)?;
    let mut zeros = commitment.zeros;
    let claims = conv::assign_claims(c, &chips, region, &data)?;
    zeros.extend(claims.ladder_zeros.iter().copied());
    let dense = dense::assign_phase1(c, &chips, region, &mut algebra)?;
    zeros.extend(dense.argmax.zeros.iter().copied());
    public_rows(c, &chips, region, commitment.wire, dense.argmax.digit)?;

    region.next_phase();
    let z = region.get_challenge(chips.cols.z);

    // Phase 2: the chains and sums that check the claims.
    let constants = algebra.assign_constants(region, z)?;
    algebra.zero_all(region, &zeros)?;
    region.constrain_equal(claims.ladder_one, constants.one.cell);
    commit::assign_squares(c, &chips, region, &perms);
    let mut chain_rows = ChainRows {
        rows: plan.chain_rows(),
        packing: commitment.packing,
    };
    conv::assign_checks(
        c,
        &chips,
        region,
        &mut algebra,
        &mut chain_rows,
        &data,
        &claims.layers,
        z,
    )?;
    dense::assign_phase2(c, &chips, region, &mut algebra, &mut chain_rows, &dense, z)?;
    Ok(())
}

fn public_rows(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    commitment: Wire,
    digit: Wire,
) -> Result<(), Error> {
    let y = chips.cols.y;
    let context = c.witness().map(|w| w.context);
    let values = [
        commitment.value,
        digit.value,
        context.map_or(Value::unknown(), Value::known),
    ];
    for (row, v) in values.into_iter().enumerate() {
        chips.kinds.public.enable(region, row)?;
        let cell = region.assign_advice(y, row, v).cell();
        match row {
            0 => region.constrain_equal(cell, commitment.cell),
            1 => region.constrain_equal(cell, digit.cell),
            _ => {}
        }
    }
    debug_assert_eq!(values.len(), PUBLIC_ROWS);
    Ok(())
}
