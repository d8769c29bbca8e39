//! Requantization with fused ReLU/clamp, fully constrained:
//!
//! | row | a (lookup in)  | b (lookup out)   | c                 | tag (fixed)   | pow (fixed) |
//! |-----|----------------|------------------|-------------------|---------------|-------------|
//! | u   | q              | out              | acc (copy)        | relu_tag(l)   | 2^s         |
//! | u+1 | r              | 0                | -                 | range_tag(l)  | -           |
//!
//! Gate "requantize" at row u: `acc + 2^(s-1) = q * 2^s + r`. The table forces `0 <= r < 2^s`,
//! `q` within the layer's quotient range and `out = clamp(q, 0, max)`. Every quantity is far
//! below the field size, so the equation holds over the integers and `q` is exactly
//! `floor((acc + 2^(s-1)) / 2^s)`: a prover has no freedom in the rounding or the ReLU.

use super::Wire;
use super::table::{ActivationRange, range_tag, relu_tag};
use crate::field::fe;
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;

/// What the requantization chip offers.
pub trait RequantInstructions {
    /// Requantizes the accumulator cell `acc` of hidden layer `layer` at lookup rows `*row` and
    /// `*row + 1`. `reference` is the reference trace's (accumulator, output) for this value.
    /// Returns the activation cell.
    fn requant(
        &self,
        region: &mut Region<Fr>,
        row: &mut usize,
        acc: &Wire,
        layer: usize,
        range: &ActivationRange,
        reference: Value<(i64, i64)>,
    ) -> Result<Wire, Error>;
}

/// Columns and selector of the chip.
#[derive(Clone, Copy, Debug)]
pub struct RequantConfig {
    a: Column<Advice>,
    b: Column<Advice>,
    c: Column<Advice>,
    tag: Column<Fixed>,
    pow: Column<Fixed>,
    selector: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct RequantChip {
    config: RequantConfig,
}

impl RequantChip {
    /// Declares the gate "requantize" on the lookup lane.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        a: Column<Advice>,
        b: Column<Advice>,
        c: Column<Advice>,
        tag: Column<Fixed>,
        pow: Column<Fixed>,
    ) -> RequantConfig {
        let selector = meta.selector();
        meta.create_gate("requantize", |m| {
            let s = m.query_selector(selector);
            let q = m.query_advice(a, Rotation::cur());
            let r = m.query_advice(a, Rotation::next());
            let acc = m.query_advice(c, Rotation::cur());
            let pow = m.query_fixed(pow, Rotation::cur());
            let half = pow.clone() * Expression::Constant(Fr::TWO_INV);
            vec![s * (acc + half - pow * q - r)]
        });
        RequantConfig {
            a,
            b,
            c,
            tag,
            pow,
            selector,
        }
    }

    /// The chip.
    pub fn construct(config: RequantConfig) -> Self {
        RequantChip { config }
    }
}

impl RequantInstructions for RequantChip {
    fn requant(
        &self,
        region: &mut Region<Fr>,
        row: &mut usize,
        acc: &Wire,
        layer: usize,
        range: &ActivationRange,
        reference: Value<(i64, i64)>,
    ) -> Result<Wire, Error> {
        let c = &self.config;
        let (u, shift) = (*row, range.requant.shift);
        c.selector.enable(region, u)?;
        region.assign_fixed(c.tag, u, Fr::from(relu_tag(layer)));
        region.assign_fixed(c.pow, u, Fr::from(1u64 << shift));
        region.assign_fixed(c.tag, u + 1, Fr::from(range_tag(layer)));
        // The accumulator as the reference computed it; the copy constraint ties it to the
        // circuit's own dot product.
        let copy = Wire::assign(region, c.c, u, reference.map(|(a, _)| fe(a)));
        region.constrain_equal(copy.cell, acc.cell);
        let q = reference.map(|(a, _)| range.requant.round_shift(a));
        let r = reference
            .zip(q)
            .map(|((a, _), q)| a + (1i64 << (shift - 1)) - (q << shift));
        Wire::assign(region, c.a, u, q.map(fe));
        Wire::assign(region, c.a, u + 1, r.map(fe));
        let out = Wire::assign(region, c.b, u, reference.map(|(_, o)| fe(o)));
        *row += 2;
        Ok(out)
    }
}
