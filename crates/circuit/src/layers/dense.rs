//! The dense layer (the logits) checked by Freivalds, and the argmax.
//!
//! The prover claims the ten logits `l_o` (bias included). With `u_m(z) = sum_o W[o][m] z^o`:
//!
//! ```text
//! sum_o z^o l_o  =  sum_m x_m u_m(z)  +  sum_o bias_o z^o
//! ```
//!
//! a polynomial identity of degree 9 in `z`, so a wrong logit passes with probability at most
//! `9 / |F|`. `u_m` is computed in the dense weight block: ten blocks of `g` rows, one per
//! output, `g = z g[+N] + w` (the last block `g = w`), so the first block's row `m` holds
//! `u_m`, next to the input `x_m` on the same lookup-lane row, where `h = h[+1] + x_m u_m`.

use super::super::algebra::Algebra;
use super::super::argmax::{ArgmaxPhase1, rows as argmax_rows};
use super::super::{Chips, Wire, ZkmnistCircuit};
use super::ChainRows;
use super::conv::weight_chain;
use crate::field::fe;
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use zkmnist_model::spec::{CLASSES, Dense, Layer};

/// What phase 1 leaves for phase 2.
pub(crate) struct DensePhase1 {
    /// The logit claims.
    pub logits: Vec<Wire>,
    /// First row of the argmax rows.
    pub argmax_row: usize,
    /// The argmax's phase-1 cells.
    pub argmax: ArgmaxPhase1,
}

fn dense_layer(c: &ZkmnistCircuit) -> Result<&Dense, Error> {
    match c.spec().layers.last() {
        Some(Layer::Dense(d)) => Ok(d),
        _ => Err(Error::Synthesis),
    }
}

/// `diff_j = l_d - l_j - [j < d]`, the argmax differences.
pub fn differences(logits: &[i64], digit: usize) -> Vec<i64> {
    (0..logits.len())
        .map(|j| logits[digit] - logits[j] - i64::from(j < digit))
        .collect()
}

/// Phase 1: the dense weight block (fixed), the logit claims, the argmax bits and digit, the
/// argmax difference rows of the lookup lane.
pub(crate) fn assign_phase1(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &mut Algebra,
) -> Result<DensePhase1, Error> {
    let plan = c.plan();
    let d = dense_layer(c)?;
    let k = &chips.cols;
    let n = plan.q_dense.len();
    for o in 0..d.outputs {
        for m in 0..n {
            let t = plan.dense_block.start + o * n + m;
            if o + 1 == d.outputs {
                chips.kinds.dense_weights_end.enable(region, t)?;
            } else {
                chips.kinds.dense_weights.enable(region, t)?;
            }
            region.assign_fixed(k.w, t, fe(d.weights[o * d.inputs + m]));
        }
    }
    let logit_values: Option<Vec<i64>> = c.witness().map(|w| w.trace.logits().to_vec());
    let digit = c.witness().map(|w| w.trace.digit);
    // The logit claims, then the gap row ending their chain.
    let start = algebra.take(CLASSES + 1)?;
    let mut logits = Vec::with_capacity(CLASSES);
    for o in 0..CLASSES {
        let t = start + o;
        chips.kinds.claim.enable(region, t)?;
        let v = logit_values
            .as_ref()
            .map_or(Value::unknown(), |l| Value::known(fe(l[o])));
        logits.push(Wire::assign(region, k.y, t, v));
    }
    let argmax_row = algebra.take(argmax_rows(CLASSES))?;
    let lv = match &logit_values {
        Some(l) => Value::known(l.as_slice()),
        None => Value::unknown(),
    };
    let dv = digit.map_or(Value::unknown(), Value::known);
    let argmax = chips
        .argmax
        .assign_phase1(region, argmax_row, lv, CLASSES, dv)?;
    for (cell, w) in argmax.logits.iter().zip(&logits) {
        region.constrain_equal(*cell, w.cell);
    }
    // Argmax differences as three bytes in the lookup lane.
    let diffs: Option<Vec<i64>> = logit_values
        .as_ref()
        .zip(digit)
        .map(|(l, d)| differences(l, d));
    for (j, t) in plan.arg.clone().enumerate() {
        chips.kinds.arg_difference.enable(region, t)?;
        let diff = diffs.as_ref().map(|v| v[j]);
        for (off, shift) in [(0, 16), (plan.d1, 8), (plan.d2, 0)] {
            let byte = diff.map_or(Value::unknown(), |v| Value::known(fe((v >> shift) & 0xff)));
            region.assign_advice(k.a, t + off, byte);
            region.assign_advice(k.b, t + off, byte);
        }
    }
    Ok(DensePhase1 {
        logits,
        argmax_row,
        argmax,
    })
}

/// Phase 2: the weight block, the dot product, the identity, the argmax's sums and
/// differences.
pub(crate) fn assign_phase2(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &mut Algebra,
    chain_rows: &mut ChainRows,
    p1: &DensePhase1,
    z: Value<Fr>,
) -> Result<(), Error> {
    let plan = c.plan();
    let d = dense_layer(c)?;
    let k = &chips.cols;
    let n = plan.q_dense.len();
    // u_m in the first block.
    let mut below: Vec<Value<Fr>> = vec![Value::known(Fr::ZERO); n];
    for o in (0..d.outputs).rev() {
        for (m, b) in below.iter_mut().enumerate() {
            let t = plan.dense_block.start + o * n + m;
            let v = *b * z + Value::known(fe(d.weights[o * d.inputs + m]));
            region.assign_advice(k.g, t, v);
            *b = v;
        }
    }
    // sum_m x_m u_m up the dense input rows, ending on the gap row below them.
    let inputs: Option<Vec<i64>> = c.witness().map(|w| {
        let l = w.trace.layers.len();
        w.trace.layers[l - 2].output.clone()
    });
    let gap = region
        .assign_advice(k.h, plan.q_dense.end, Value::known(Fr::ZERO))
        .cell();
    algebra.zero_all(region, &[gap])?;
    let mut acc = Value::known(Fr::ZERO);
    let mut dot = None;
    for m in (0..n).rev() {
        let x = inputs
            .as_ref()
            .map_or(Value::unknown(), |v| Value::known(fe(v[m])));
        acc = acc + x * below[m];
        dot = Some(Wire::assign(region, k.h, plan.q_dense.start + m, acc));
    }
    let dot = dot.ok_or(Error::Synthesis)?;
    let lhs = logits_chain(chips, region, algebra, &p1.logits, z)?;
    let start = chain_rows.take(algebra, d.outputs + 1)?;
    let bias = weight_chain(chips, region, algebra, start, &d.bias, z)?;
    let one = algebra.constants()?.one;
    let rhs = algebra.dot(region, &[dot, bias], &[one, one])?;
    region.constrain_equal(rhs.cell, lhs.cell);

    // Argmax: sums, maximum, differences copied to the lookup lane.
    let logit_values: Option<Vec<i64>> = c.witness().map(|w| w.trace.logits().to_vec());
    let digit = c.witness().map(|w| w.trace.digit);
    let lv = match &logit_values {
        Some(l) => Value::known(l.as_slice()),
        None => Value::unknown(),
    };
    let dv = digit.map_or(Value::unknown(), Value::known);
    let p2 = chips
        .argmax
        .assign_phase2(region, p1.argmax_row, lv, CLASSES, dv);
    for m in &p2.maxima[1..] {
        region.constrain_equal(*m, p2.maxima[0]);
    }
    algebra.zero_all(region, &p2.zeros)?;
    region.constrain_equal(p2.one, one.cell);
    let diffs = p2.differences;
    let diff_values: Option<Vec<i64>> = logit_values
        .as_ref()
        .zip(digit)
        .map(|(l, d)| differences(l, d));
    for (j, (t, cell)) in plan.arg.clone().zip(diffs).enumerate() {
        let v = diff_values
            .as_ref()
            .map_or(Value::unknown(), |v| Value::known(fe(v[j])));
        let h = region.assign_advice(k.h, t, v).cell();
        region.constrain_equal(h, cell);
    }
    Ok(())
}

/// The chain `h = z h[+1] + y` over the logit claims, ending on a gap row; returns the top,
/// `sum_o z^o l_o`.
fn logits_chain(
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &Algebra,
    logits: &[Wire],
    z: Value<Fr>,
) -> Result<Wire, Error> {
    let last = logits.last().ok_or(Error::Synthesis)?.cell.row_offset;
    let gap = region
        .assign_advice(chips.cols.h, last + 1, Value::known(Fr::ZERO))
        .cell();
    algebra.zero_all(region, &[gap])?;
    let mut below = Value::known(Fr::ZERO);
    let mut top = None;
    for w in logits.iter().rev() {
        let v = below * z + w.value;
        top = Some(Wire::assign(region, chips.cols.h, w.cell.row_offset, v));
        below = v;
    }
    top.ok_or(Error::Synthesis)
}
