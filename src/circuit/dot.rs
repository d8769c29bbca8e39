//! Dot products with constant weights, in chains of rows of `LANES` products.
//!
//! Weights are fixed columns (part of the verifying key: the key identifies the model); inputs
//! are advice cells copied from where the values were produced.
//!
//! | row    | x_0 .. x_8     | w_0 .. w_8 (fixed) | bias (fixed) | acc                         |
//! |--------|----------------|--------------------|--------------|-----------------------------|
//! | t      | inputs 0..9    | weights 0..9       | 0            | acc[t+1] + sum w*x (result) |
//! | t+1    | inputs 9..18   | weights 9..18      | 0            | acc[t+2] + sum w*x          |
//! | ...    |                |                    |              |                             |
//! | t+n-1  | last inputs    | last weights       | bias         | bias + sum w*x              |
//!
//! Sums run from the last row up, so every gate looks at rotations 0 and +1 only (the
//! Poseidon rows need +1 anyway, so this adds no query). Unused lanes of the last row hold
//! weight 0, so their inputs do not matter.

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
    running: Selector,
    last: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct DotChip {
    config: DotConfig,
}

impl DotChip {
    /// Declares the gates "dot running sum" and "dot last row".
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        lanes: [Column<Advice>; LANES],
        weights: [Column<Fixed>; LANES],
        bias: Column<Fixed>,
        acc: Column<Advice>,
    ) -> DotConfig {
        let (running, last) = (meta.selector(), meta.selector());
        let row_sum = |m: &mut halo2_proofs::plonk::VirtualCells<Fr>| -> Expression<Fr> {
            lanes
                .iter()
                .zip(&weights)
                .fold(m.query_fixed(bias, Rotation::cur()), |sum, (x, w)| {
                    sum + m.query_fixed(*w, Rotation::cur()) * m.query_advice(*x, Rotation::cur())
                })
        };
        meta.create_gate("dot running sum", |m| {
            let s = m.query_selector(running);
            let below = m.query_advice(acc, Rotation::next());
            let acc = m.query_advice(acc, Rotation::cur());
            let sum = row_sum(m);
            vec![s * (acc - below - sum)]
        });
        meta.create_gate("dot last row", |m| {
            let s = m.query_selector(last);
            let acc = m.query_advice(acc, Rotation::cur());
            let sum = row_sum(m);
            vec![s * (acc - sum)]
        });
        DotConfig {
            lanes,
            weights,
            bias,
            acc,
            running,
            last,
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
        let n = Self::rows(inputs.len());
        // Partial sums from the last row up: sums[i] = (bias if last) + sum of rows i..n.
        let mut sums = vec![Value::known(Fr::ZERO); n + 1];
        for i in (0..n).rev() {
            let mut s = sums[i + 1];
            if i + 1 == n {
                s = s.map(|v| v + bias);
            }
            for (w, x) in weights.iter().zip(inputs).skip(i * LANES).take(LANES) {
                s = s.zip(x.value).map(|(a, v)| a + *w * v);
            }
            sums[i] = s;
        }
        let mut result = None;
        for (i, sum) in sums.iter().take(n).enumerate() {
            let offset = *row + i;
            if i + 1 == n {
                c.last.enable(region, offset)?;
                region.assign_fixed(c.bias, offset, bias);
            } else {
                c.running.enable(region, offset)?;
            }
            for (lane, (w, x)) in weights
                .iter()
                .zip(inputs)
                .skip(i * LANES)
                .take(LANES)
                .enumerate()
            {
                region.assign_fixed(c.weights[lane], offset, *w);
                let copy = Wire::assign(region, c.lanes[lane], offset, x.value);
                region.constrain_equal(copy.cell, x.cell);
            }
            let acc = Wire::assign(region, c.acc, offset, *sum);
            if i == 0 {
                result = Some(acc);
            }
        }
        *row += n;
        result.ok_or(Error::Synthesis)
    }
}
