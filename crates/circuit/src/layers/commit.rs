//! The image commitment: the pixels (range-checked), each image row packed into one field
//! element, and ten chained circom `Poseidon(4)` calls starting from the salt (see
//! [`crate::commitment`]).
//!
//! Pixels stream through the lookup lane in the first convolution's class order: class `(p, q)`,
//! then its rows `u`, each a *segment* of `hp` pixels `x[s u + p][s v + q]`. A pixel row packs
//! its segment from the bottom up (`y = 2^(8s) y[+1] + a`, restarting at the segment's end), so
//! the segment's top holds `P[r][q] = sum_v x[r][s v + q] 256^(s v)`, and an image row is
//! `row_r = sum_q 256^q P[r][q]` (one "image row" gate for stride 2).

use super::super::algebra::Algebra;
use super::super::plan::PERMUTATION_ROWS;
use super::super::poseidon::{Permutation, PoseidonChip, ROUNDS};
use super::super::{Chips, Wire, ZkmnistCircuit};
use crate::commitment::{self, CALLS, RATE, ROWS_PER_CALL, State};
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::Error;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use std::ops::Range;
use zkmnist_model::spec::IMAGE_SIDE;

/// The pixel rows' cells later stages need.
pub(crate) struct PixelCells {
    /// `P[r][q]`: the packing at the top of each segment, by image row and column parity.
    pub packed: Vec<Vec<Wire>>,
}

/// Assigns the pixel rows (phase 1): lookups, byte checks, packing.
pub(crate) fn assign_pixels(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
) -> Result<PixelCells, Error> {
    let plan = c.plan();
    let g = plan.convs[0];
    let k = &chips.cols;
    let radix = Fr::from(1u64 << (8 * g.s));
    let pixels = c.witness().map(|w| w.pixels);
    let mut packed = vec![vec![None; g.s]; IMAGE_SIDE];
    let mut row = plan.pixels.start;
    for (_, p, q) in g.classes() {
        for u in 0..g.hp {
            let r = g.s * u + p;
            let values: Vec<Value<Fr>> = (0..g.hp)
                .map(|v| match pixels {
                    Some(px) => Value::known(Fr::from(u64::from(px[r * IMAGE_SIDE + g.s * v + q]))),
                    None => Value::unknown(),
                })
                .collect();
            // Suffix packing from the segment's end.
            let mut pack = vec![Value::known(Fr::ZERO); g.hp + 1];
            for v in (0..g.hp).rev() {
                pack[v] = pack[v + 1].map(|x| x * radix) + values[v];
            }
            for v in 0..g.hp {
                let t = row + v;
                match (v + 1 == g.hp, u + 1 == g.hp) {
                    (false, _) => chips.kinds.pixel.enable(region, t)?,
                    (true, false) => chips.kinds.pixel_gap.enable(region, t)?,
                    (true, true) => chips.kinds.pixel_end.enable(region, t)?,
                }
                region.assign_advice(k.a, t, values[v]);
                region.assign_advice(k.b, t, values[v]);
                let w = Wire::assign(region, k.y, t, pack[v]);
                if v == 0 {
                    packed[r][q] = Some(w);
                }
            }
            row += g.hp;
        }
    }
    let packed = packed
        .into_iter()
        .map(|r| r.into_iter().collect::<Option<Vec<_>>>())
        .collect::<Option<Vec<_>>>()
        .ok_or(Error::Synthesis)?;
    Ok(PixelCells { packed })
}

/// The ten permutations' states and cells.
pub struct Permutations {
    /// The permutations, in chain order.
    pub perms: Vec<Permutation>,
    /// Their states (for the squares, in phase 2).
    pub states: Vec<Value<Vec<State>>>,
    /// The packed image rows, by row.
    pub rows: Value<[Fr; IMAGE_SIDE]>,
}

/// Assigns the Poseidon chain's states (phase 1).
pub(crate) fn assign_chain_start(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
) -> Result<Permutations, Error> {
    let plan = c.plan();
    let rows = match c.witness() {
        Some(w) => Value::known(commitment::pack_rows(&w.pixels)),
        None => Value::unknown(),
    };
    let mut chain = match c.witness() {
        Some(w) => Value::known(w.salt),
        None => Value::unknown(),
    };
    let mut perms = Vec::with_capacity(CALLS);
    let mut states = Vec::with_capacity(CALLS);
    for call in 0..CALLS {
        let inputs: Value<[Fr; RATE]> = rows
            .zip(chain)
            .map(|(rows, h)| commitment::call_inputs(&rows, call, h));
        let st = PoseidonChip::states(inputs);
        let perm = chips
            .poseidon
            .assign_state(region, plan.permutation(call), &st)?;
        chain = st.as_ref().map(|s| s[ROUNDS][0]);
        perms.push(perm);
        states.push(st);
    }
    debug_assert_eq!(ROUNDS * 5 + 5, PERMUTATION_ROWS);
    Ok(Permutations {
        perms,
        states,
        rows,
    })
}

/// What the commitment's assignment leaves to the rest of the circuit.
pub struct Commitment {
    /// The commitment cell.
    pub wire: Wire,
    /// Cells to constrain to zero.
    pub zeros: Vec<Cell>,
    /// The packing rows: algebra rows whose `h`, `q` stay zero, so weight chains (which use
    /// only `g`) may share them.
    pub packing: Range<usize>,
}

/// Packs the image rows (algebra rows) and wires the chain: each permutation's inputs are
/// zero, the previous output and three packed rows.
pub(crate) fn assign_commitment(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    algebra: &mut Algebra,
    pixels: &PixelCells,
    perms: &Permutations,
) -> Result<Commitment, Error> {
    let g = c.plan().convs[0];
    let k = &chips.cols;
    let mut row_cells = Vec::with_capacity(IMAGE_SIDE);
    let mut packing: Option<Range<usize>> = None;
    for (r, parts) in pixels.packed.iter().enumerate() {
        match g.s {
            1 => row_cells.push(parts[0]),
            _ => {
                let t = algebra.take(2)?;
                packing = Some(packing.map_or(t..t + 2, |p| p.start..t + 2));
                chips.kinds.algebra.enable(region, t)?;
                for (i, part) in parts.iter().enumerate() {
                    let cell = region.assign_advice(k.y, t + i, part.value).cell();
                    region.constrain_equal(cell, part.cell);
                }
                let v = perms.rows.map(|rows| rows[r]);
                row_cells.push(Wire::assign(region, k.s, t, v));
            }
        }
    }
    let mut zeros = Vec::new();
    for (call, perm) in perms.perms.iter().enumerate() {
        zeros.push(perm.capacity);
        if call > 0 {
            region.constrain_equal(perm.inputs[0], perms.perms[call - 1].output);
        }
        for i in 1..RATE {
            match row_cells.get(call * ROWS_PER_CALL + i - 1) {
                Some(w) => region.constrain_equal(perm.inputs[i], w.cell),
                None => zeros.push(perm.inputs[i]),
            }
        }
    }
    let last = perms.perms[CALLS - 1];
    let value = perms.states[CALLS - 1].as_ref().map(|s| s[ROUNDS][0]);
    Ok(Commitment {
        wire: Wire {
            cell: last.output,
            value,
        },
        zeros,
        packing: packing.unwrap_or(0..0),
    })
}

/// The squares of the S-box inputs (phase 2).
pub fn assign_squares(
    c: &ZkmnistCircuit,
    chips: &Chips,
    region: &mut Region<Fr>,
    perms: &Permutations,
) {
    for (call, st) in perms.states.iter().enumerate() {
        chips
            .poseidon
            .assign_squares(region, c.plan().permutation(call), st);
    }
}
