//! Argmax with the lowest index winning ties, every comparison range-checked.
//!
//! Two rows per class `j` (rows `t + 2(j + 1)`, `t + 2(j + 1) + 1`), below one extra row pair
//! for "class -1"; sums run from the last class up, so the gate looks at rotations 0..3 only.
//! The fixed column `c` holds `j` on each class's first row.
//!
//! | row      | y (logit) | s                          | q                      | g   | h        |
//! |----------|-----------|----------------------------|------------------------|-----|----------|
//! | class j  | `l_j`     | `b_j`                      | `lt_j = sum_{k>j} b_k` | `m` | `diff_j` |
//! | + 1      |           | `d_j = sum_{k>=j} k b_k`   |                        |     |          |
//!
//! The gate holds on every class row and on the extra row, where `b_{-1}` is copied from zero
//! and `lt_{-1}` from one; the rows after the last class are copied from zero.
//! - `b_j` is boolean and `lt_{-1} = sum_j b_j = 1`, so exactly one `b_d = 1`;
//! - `b_j (m - l_j) = 0`, so `m = l_d` (every row's `m` is one copied cell);
//! - `diff_j = m - l_j - lt_j` is copied to an argmax difference row of the lookup lane, which
//!   writes it as three range-checked bytes: `0 <= diff_j < 2^24`. Logits are below 2^22 in
//!   magnitude, so a negative difference would wrap to nearly the field size and cannot be
//!   written with three bytes. Hence `l_d >= l_j` for every `j`, and `l_d > l_j` for `j < d`
//!   (there `lt_j = 1`): `d` is the first maximum;
//! - the digit is `d_0 = sum_k k b_k = d`.

use super::Wire;
use super::rows::Columns;
use crate::field::fe;
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Rows the chip uses for `classes` classes, the extra and the zero rows included.
pub fn rows(classes: usize) -> usize {
    2 * (classes + 1) + 2
}

/// Bytes per difference (2^24 > twice the largest logit magnitude).
pub(crate) const DIFF_BYTES: usize = 3;

/// Columns and selector of the chip.
#[derive(Clone, Copy, Debug)]
pub struct ArgmaxConfig {
    cols: Columns,
    selector: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct ArgmaxChip {
    config: ArgmaxConfig,
}

/// Phase-1 cells a caller wires.
#[derive(Clone, Debug)]
pub(crate) struct ArgmaxPhase1 {
    /// Logit inputs (copy from the claims).
    pub logits: Vec<Cell>,
    /// The digit.
    pub digit: Wire,
    /// Cells that must be zero.
    pub zeros: Vec<Cell>,
}

/// Phase-2 cells a caller wires.
#[derive(Clone, Debug)]
pub(crate) struct ArgmaxPhase2 {
    /// The differences, by class (copy to the lookup lane).
    pub differences: Vec<Cell>,
    /// The maximum on every row (copy together).
    pub maxima: Vec<Cell>,
    /// Cells that must be zero.
    pub zeros: Vec<Cell>,
    /// The cell that must be one.
    pub one: Cell,
}

impl ArgmaxChip {
    /// Declares the gate "argmax" on `selector`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        cols: Columns,
        selector: Selector,
    ) -> ArgmaxConfig {
        let k = cols;
        meta.create_gate("argmax", |m| {
            let s = m.query_selector(selector);
            let one = Expression::Constant(Fr::ONE);
            let (l, b, lt, mx, diff) = (
                m.query_advice(k.y, Rotation::cur()),
                m.query_advice(k.s, Rotation::cur()),
                m.query_advice(k.q, Rotation::cur()),
                m.query_advice(k.g, Rotation::cur()),
                m.query_advice(k.h, Rotation::cur()),
            );
            let (lt_next, b_next) = (
                m.query_advice(k.q, Rotation(2)),
                m.query_advice(k.s, Rotation(2)),
            );
            let (d, d_next) = (
                m.query_advice(k.s, Rotation(1)),
                m.query_advice(k.s, Rotation(3)),
            );
            let j = m.query_fixed(k.c, Rotation::cur());
            vec![
                s.clone() * b.clone() * (one - b.clone()),
                s.clone() * b.clone() * (mx.clone() - l.clone()),
                s.clone() * (lt.clone() - lt_next - b_next),
                s.clone() * (diff - (mx - l - lt)),
                s * (d - d_next - j * b),
            ]
        });
        ArgmaxConfig { cols, selector }
    }

    /// The chip.
    pub fn construct(config: ArgmaxConfig) -> Self {
        ArgmaxChip { config }
    }

    /// Phase 1 from row `t`: logits, bits and digit sums.
    pub(crate) fn assign_phase1(
        &self,
        region: &mut Region<Fr>,
        t: usize,
        logits: Value<&[i64]>,
        classes: usize,
        digit: Value<usize>,
    ) -> Result<ArgmaxPhase1, Error> {
        let k = &self.config.cols;
        let mut logit_cells = Vec::with_capacity(classes);
        let mut zeros = Vec::new();
        // The extra row: b = 0, d_{-1} = d_0.
        self.config.selector.enable(region, t)?;
        region.assign_fixed(k.c, t, Fr::ZERO);
        zeros.push(region.assign_advice(k.s, t, Value::known(Fr::ZERO)).cell());
        let d_all = digit.map(|d| fe(d as i64));
        region.assign_advice(k.s, t + 1, d_all);
        region.assign_advice(k.y, t, Value::known(Fr::ZERO));
        let mut digit_cell = None;
        for j in 0..classes {
            let row = t + 2 * (j + 1);
            self.config.selector.enable(region, row)?;
            region.assign_fixed(k.c, row, Fr::from(j as u64));
            logit_cells.push(
                region
                    .assign_advice(k.y, row, logits.map(|l| fe(l[j])))
                    .cell(),
            );
            region.assign_advice(k.s, row, digit.map(|d| fe(i64::from(d == j))));
            let partial = digit.map(|d| fe(if d >= j { d as i64 } else { 0 }));
            let cell = region.assign_advice(k.s, row + 1, partial).cell();
            if j == 0 {
                digit_cell = Some(cell);
            }
        }
        let end = t + 2 * (classes + 1);
        zeros.push(
            region
                .assign_advice(k.s, end, Value::known(Fr::ZERO))
                .cell(),
        );
        zeros.push(
            region
                .assign_advice(k.s, end + 1, Value::known(Fr::ZERO))
                .cell(),
        );
        Ok(ArgmaxPhase1 {
            logits: logit_cells,
            digit: Wire {
                cell: digit_cell.ok_or(Error::Synthesis)?,
                value: d_all,
            },
            zeros,
        })
    }

    /// Phase 2 from row `t`: suffix counts, the maximum and the differences.
    pub(crate) fn assign_phase2(
        &self,
        region: &mut Region<Fr>,
        t: usize,
        logits: Value<&[i64]>,
        classes: usize,
        digit: Value<usize>,
    ) -> ArgmaxPhase2 {
        let k = &self.config.cols;
        let best = logits.zip(digit).map(|(l, d)| l[d]);
        let mut differences = Vec::new();
        let mut maxima = Vec::new();
        // The extra row: lt_{-1} = 1 and an unused difference.
        let one = region.assign_advice(k.q, t, Value::known(Fr::ONE)).cell();
        maxima.push(region.assign_advice(k.g, t, best.map(fe)).cell());
        region.assign_advice(k.h, t, best.map(|m| fe(m - 1)));
        for j in 0..classes {
            let row = t + 2 * (j + 1);
            let lt = digit.map(|d| i64::from(j < d));
            region.assign_advice(k.q, row, lt.map(fe));
            maxima.push(region.assign_advice(k.g, row, best.map(fe)).cell());
            let diff = best.zip(logits).zip(lt).map(|((m, l), lt)| m - l[j] - lt);
            differences.push(region.assign_advice(k.h, row, diff.map(fe)).cell());
        }
        let zero = region
            .assign_advice(k.q, t + 2 * (classes + 1), Value::known(Fr::ZERO))
            .cell();
        ArgmaxPhase2 {
            differences,
            maxima,
            zeros: vec![zero],
            one,
        }
    }
}
