//! Argmax with the lowest index winning ties, every comparison range-checked.
//!
//! One row per class `j` (rows `t .. t+10`); sums run from the last row up so every gate looks
//! at rotations 0 and +1 only:
//!
//! | x_0 | x_1   | x_2                  | x_3  | x_4  | x_5 x_6 x_7       | acc                  | w_0 |
//! |-----|-------|----------------------|------|------|-------------------|----------------------|-----|
//! | m   | lt_j  | sum_{k>=j} k b_k     | b_j  | l_j  | bytes of `diff_j` | sum_{k>=j} b_k l_k   | j   |
//!
//! - `b` is one-hot: every `b_j` is boolean and `lt_0 + b_0 = 1` where `lt_j = sum_{k>j} b_k`
//!   (`lt_9 = 0`, `lt_j = lt_{j+1} + b_{j+1}`), so exactly one `b_d = 1`;
//! - `m` is the same on every row and equals `sum b_k l_k = l_d` (row 0's `acc`); the digit is
//!   row 0's `x_2 = sum k b_k = d`;
//! - `diff_j = m - l_j - lt_j` is the sum of three bytes, each checked by the 8-bit table, so
//!   `0 <= diff_j < 2^24`. Logits are below 2^21 in magnitude, so a negative difference would
//!   wrap to nearly the field size and cannot be written with three bytes. Hence `l_d >= l_j`
//!   for every `j`, and `l_d > l_j` for `j < d` (there `lt_j = 1`): `d` is the first maximum.

use super::table::LookupInstructions;
use super::{LANES, Wire};
use crate::field::fe;
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Bytes per difference (2^24 > twice the largest logit magnitude).
pub const DIFF_BYTES: usize = 3;
const MAX: usize = 0;
const LT: usize = 1;
const DIGIT: usize = 2;
const BIT: usize = 3;
const LOGIT: usize = 4;
const BYTES: usize = 5;

/// What the argmax chip offers.
pub trait ArgmaxInstructions {
    /// Constrains `digit` to be the first maximum of `logits`; returns the digit cell.
    /// Uses lane rows from `*lane_row` and lookup rows from `*lookup_row`.
    #[allow(clippy::too_many_arguments)]
    fn argmax(
        &self,
        region: &mut Region<Fr>,
        lookup: &impl LookupInstructions,
        lane_row: &mut usize,
        lookup_row: &mut usize,
        logits: &[Wire],
        logit_values: Value<Vec<i64>>,
        digit: Value<usize>,
    ) -> Result<Wire, Error>;
}

/// Columns and selectors of the chip.
#[derive(Clone, Copy, Debug)]
pub struct ArgmaxConfig {
    lanes: [Column<Advice>; LANES],
    acc: Column<Advice>,
    index: Column<Fixed>,
    every: Selector,
    first: Selector,
    chain: Selector,
    last: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct ArgmaxChip {
    config: ArgmaxConfig,
}

impl ArgmaxChip {
    /// Declares the argmax gates.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        lanes: [Column<Advice>; LANES],
        acc: Column<Advice>,
        index: Column<Fixed>,
    ) -> ArgmaxConfig {
        let (every, first, chain, last) = (
            meta.selector(),
            meta.selector(),
            meta.selector(),
            meta.selector(),
        );
        let q =
            |m: &mut VirtualCells<Fr>, lane: usize, rot: Rotation| m.query_advice(lanes[lane], rot);
        let one = Expression::Constant(Fr::ONE);
        meta.create_gate("argmax bit is boolean", |m| {
            let s = m.query_selector(every);
            let b = q(m, BIT, Rotation::cur());
            vec![s * b.clone() * (one.clone() - b)]
        });
        meta.create_gate("argmax difference is non-negative", |m| {
            let s = m.query_selector(every);
            let (mx, lt, l) = (
                q(m, MAX, Rotation::cur()),
                q(m, LT, Rotation::cur()),
                q(m, LOGIT, Rotation::cur()),
            );
            let bytes = (0..DIFF_BYTES)
                .rev()
                .fold(Expression::Constant(Fr::ZERO), |acc, i| {
                    acc * Expression::Constant(Fr::from(256)) + q(m, BYTES + i, Rotation::cur())
                });
            vec![s * (mx - l - lt - bytes)]
        });
        meta.create_gate("argmax first row", |m| {
            let s = m.query_selector(first);
            let (mx, lt, b) = (
                q(m, MAX, Rotation::cur()),
                q(m, LT, Rotation::cur()),
                q(m, BIT, Rotation::cur()),
            );
            let sum = m.query_advice(acc, Rotation::cur());
            vec![s.clone() * (lt + b - one.clone()), s * (mx - sum)]
        });
        meta.create_gate("argmax next row", |m| {
            let s = m.query_selector(chain);
            let (mx, lt, d, b, l) = (
                q(m, MAX, Rotation::cur()),
                q(m, LT, Rotation::cur()),
                q(m, DIGIT, Rotation::cur()),
                q(m, BIT, Rotation::cur()),
                q(m, LOGIT, Rotation::cur()),
            );
            let (mx_next, lt_next, d_next, b_next) = (
                q(m, MAX, Rotation::next()),
                q(m, LT, Rotation::next()),
                q(m, DIGIT, Rotation::next()),
                q(m, BIT, Rotation::next()),
            );
            let (sum, sum_next) = (
                m.query_advice(acc, Rotation::cur()),
                m.query_advice(acc, Rotation::next()),
            );
            let j = m.query_fixed(index, Rotation::cur());
            vec![
                s.clone() * (sum - sum_next - b.clone() * l),
                s.clone() * (d - d_next - j * b),
                s.clone() * (lt - lt_next - b_next),
                s * (mx - mx_next),
            ]
        });
        meta.create_gate("argmax last row", |m| {
            let s = m.query_selector(last);
            let (lt, d, b, l) = (
                q(m, LT, Rotation::cur()),
                q(m, DIGIT, Rotation::cur()),
                q(m, BIT, Rotation::cur()),
                q(m, LOGIT, Rotation::cur()),
            );
            let sum = m.query_advice(acc, Rotation::cur());
            let j = m.query_fixed(index, Rotation::cur());
            vec![
                s.clone() * lt,
                s.clone() * (sum - b.clone() * l),
                s * (d - j * b),
            ]
        });
        ArgmaxConfig {
            lanes,
            acc,
            index,
            every,
            first,
            chain,
            last,
        }
    }

    /// The chip.
    pub fn construct(config: ArgmaxConfig) -> Self {
        ArgmaxChip { config }
    }
}

impl ArgmaxInstructions for ArgmaxChip {
    fn argmax(
        &self,
        region: &mut Region<Fr>,
        lookup: &impl LookupInstructions,
        lane_row: &mut usize,
        lookup_row: &mut usize,
        logits: &[Wire],
        logit_values: Value<Vec<i64>>,
        digit: Value<usize>,
    ) -> Result<Wire, Error> {
        let c = &self.config;
        let n = logits.len();
        let best = logit_values.clone().zip(digit).map(|(l, d)| l[d]);
        let mut digit_cell = None;
        for (j, logit) in logits.iter().enumerate() {
            let row = *lane_row + j;
            c.every.enable(region, row)?;
            if j == 0 {
                c.first.enable(region, row)?;
            }
            if j + 1 == n {
                c.last.enable(region, row)?;
            } else {
                c.chain.enable(region, row)?;
            }
            region.assign_fixed(c.index, row, Fr::from(j as u64));
            let copy = Wire::assign(region, c.lanes[LOGIT], row, logit.value);
            region.constrain_equal(copy.cell, logit.cell);
            let lt = digit.map(|d| i64::from(j < d));
            Wire::assign(region, c.lanes[MAX], row, best.map(fe));
            Wire::assign(region, c.lanes[LT], row, lt.map(fe));
            Wire::assign(
                region,
                c.lanes[BIT],
                row,
                digit.map(|d| fe(i64::from(d == j))),
            );
            let diff = best
                .zip(logit_values.clone())
                .zip(lt)
                .map(|((m, l), lt)| m - l[j] - lt);
            for i in 0..DIFF_BYTES {
                let byte = diff.map(|d| fe((d >> (8 * i)) & 0xff));
                let checked = lookup.range8(region, *lookup_row, byte);
                *lookup_row += 1;
                let copy = Wire::assign(region, c.lanes[BYTES + i], row, byte);
                region.constrain_equal(copy.cell, checked.cell);
            }
            // Suffix sums over k >= j.
            let partial_digit = digit.map(|d| if d >= j { d as i64 } else { 0 });
            let partial_sum = best.zip(digit).map(|(m, d)| if d >= j { m } else { 0 });
            let d_cell = Wire::assign(region, c.lanes[DIGIT], row, partial_digit.map(fe));
            if j == 0 {
                digit_cell = Some(d_cell);
            }
            Wire::assign(region, c.acc, row, partial_sum.map(fe));
        }
        *lane_row += n;
        digit_cell.ok_or(Error::Synthesis)
    }
}
