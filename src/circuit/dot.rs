//! Dot products with constant weights, in chains of rows of `LANES` products.
//!
//! Weights are fixed columns (part of the verifying key: the key identifies the model); inputs
//! are advice cells copied from where the values were produced.
//!
//! | row | x_0 .. x_8        | w_0 .. w_8 (fixed) | bias (fixed) | acc                           |
//! |-----|-------------------|--------------------|--------------|-------------------------------|
//! | t   | inputs 0..9       | weights 0..9       | bias         | bias + sum w*x       (first)  |
//! | t+1 | inputs 9..18      | weights 9..18      | 0            | acc[t] + sum w*x     (next)   |
//! | ... |                   |                    |              | the last acc is the result    |
//!
//! Unused lanes of the last row hold weight 0, so their inputs do not matter.

use super::{LANES, Wire};
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// What the dot-product chip offers.
pub trait DotInstructions {
    /// `bias + sum(weights[i] * inputs[i])` from row `*row` on; advances `*row` past the chain.
    fn dot(
        &self,
        region: &mut Region<Fr>,
        row: &mut usize,
        inputs: &[Wire],
        weights: &[Fr],
        bias: Fr,
    ) -> Result<Wire, Error>;
}

/// Columns and selectors of the chip.
#[derive(Clone, Copy, Debug)]
pub struct DotConfig {
    /// Input lanes.
    pub lanes: [Column<Advice>; LANES],
    /// Weight lanes.
    pub weights: [Column<Fixed>; LANES],
    /// Bias of the first row of a chain.
    pub bias: Column<Fixed>,
    /// Running sum.
    pub acc: Column<Advice>,
    first: Selector,
    next: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct DotChip {
    config: DotConfig,
}

impl DotChip {
    /// Declares the gates "dot first row" and "dot next row".
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        lanes: [Column<Advice>; LANES],
        weights: [Column<Fixed>; LANES],
        bias: Column<Fixed>,
        acc: Column<Advice>,
    ) -> DotConfig {
        let (first, next) = (meta.selector(), meta.selector());
        let row_sum = |m: &mut halo2_proofs::plonk::VirtualCells<Fr>| -> Expression<Fr> {
            lanes
                .iter()
                .zip(&weights)
                .fold(m.query_fixed(bias, Rotation::cur()), |sum, (x, w)| {
                    sum + m.query_fixed(*w, Rotation::cur()) * m.query_advice(*x, Rotation::cur())
                })
        };
        meta.create_gate("dot first row", |m| {
            let s = m.query_selector(first);
            let acc = m.query_advice(acc, Rotation::cur());
            let sum = row_sum(m);
            vec![s * (acc - sum)]
        });
        meta.create_gate("dot next row", |m| {
            let s = m.query_selector(next);
            let acc_prev = m.query_advice(acc, Rotation::prev());
            let acc = m.query_advice(acc, Rotation::cur());
            let sum = row_sum(m);
            vec![s * (acc - acc_prev - sum)]
        });
        DotConfig {
            lanes,
            weights,
            bias,
            acc,
            first,
            next,
        }
    }

    /// The chip.
    pub fn construct(config: DotConfig) -> Self {
        DotChip { config }
    }

    /// Rows a dot product of `n` terms takes.
    pub fn rows(n: usize) -> usize {
        n.div_ceil(LANES).max(1)
    }
}

impl DotInstructions for DotChip {
    fn dot(
        &self,
        region: &mut Region<Fr>,
        row: &mut usize,
        inputs: &[Wire],
        weights: &[Fr],
        bias: Fr,
    ) -> Result<Wire, Error> {
        let c = &self.config;
        let mut acc = Value::known(Fr::ZERO);
        let mut last = None;
        for (i, chunk) in (0..Self::rows(inputs.len())).map(|r| (r, r * LANES)) {
            let offset = *row + i;
            if i == 0 {
                c.first.enable(region, offset)?;
                region.assign_fixed(c.bias, offset, bias);
                acc = acc.map(|a| a + bias);
            } else {
                c.next.enable(region, offset)?;
                region.assign_fixed(c.bias, offset, Fr::ZERO);
            }
            for lane in 0..LANES {
                let (w, x) = match (weights.get(chunk + lane), inputs.get(chunk + lane)) {
                    (Some(w), Some(x)) => (*w, x),
                    _ => break,
                };
                region.assign_fixed(c.weights[lane], offset, w);
                let copy = Wire::assign(region, c.lanes[lane], offset, x.value);
                region.constrain_equal(copy.cell, x.cell);
                acc = acc.zip(x.value).map(|(a, v)| a + w * v);
            }
            last = Some(Wire::assign(region, c.acc, offset, acc));
        }
        *row += Self::rows(inputs.len());
        last.ok_or(Error::Synthesis)
    }
}
