//! Poseidon permutation (circom parameters, width 5) in one row per round, degree 4.
//!
//! | row | x_0 .. x_4                          | x_5 .. x_8, acc                    | w_0 .. w_4 (fixed) |
//! |-----|-------------------------------------|------------------------------------|--------------------|
//! | i   | state s before round i              | squares (s_k + c_k)^2 (full: all k; partial: k = 0) | round constants c_i |
//! | i+1 | state after round i: MDS * sbox(s + c) |                                 |                    |
//!
//! The S-box `y^5` is written `(y^2)^2 * y` with `y^2` in the squares cells, so no gate exceeds
//! degree 4 and only rotations 0 and +1 are queried. The first row of a hash holds
//! `[0, inputs...]` (gate "poseidon capacity is zero"); the first word of the last row is the
//! circom `Poseidon(4)` hash.

use super::{LANES, Wire};
use crate::commitment::{self, FULL_ROUNDS, PARTIAL_ROUNDS, RATE, State, WIDTH, is_full_round};
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Rows one hash takes.
pub const HASH_ROWS: usize = FULL_ROUNDS + PARTIAL_ROUNDS + 1;

/// What the Poseidon chip offers.
pub trait PoseidonInstructions {
    /// circom `Poseidon(4)` of the inputs, from lane row `*row`; advances `*row`.
    fn hash(
        &self,
        region: &mut Region<Fr>,
        row: &mut usize,
        inputs: &[Wire; RATE],
    ) -> Result<Wire, Error>;
}

/// Columns and selectors of the chip.
#[derive(Clone, Copy, Debug)]
pub struct PoseidonConfig {
    state: [Column<Advice>; WIDTH],
    squares: [Column<Advice>; WIDTH],
    constants: [Column<Fixed>; WIDTH],
    init: Selector,
    full: Selector,
    partial: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct PoseidonChip {
    config: PoseidonConfig,
}

impl PoseidonChip {
    /// Declares the round gates: state in the first `WIDTH` lanes, squares in the other lanes
    /// and the accumulator, round constants in the first `WIDTH` weight columns.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        lanes: [Column<Advice>; LANES],
        acc: Column<Advice>,
        weights: [Column<Fixed>; LANES],
    ) -> PoseidonConfig {
        let state: [Column<Advice>; WIDTH] = std::array::from_fn(|i| lanes[i]);
        let squares: [Column<Advice>; WIDTH] = std::array::from_fn(|i| {
            if WIDTH + i < LANES {
                lanes[WIDTH + i]
            } else {
                acc
            }
        });
        let constants: [Column<Fixed>; WIDTH] = std::array::from_fn(|i| weights[i]);
        let (init, full, partial) = (meta.selector(), meta.selector(), meta.selector());
        let mds = commitment::spec().mds;
        let y = |m: &mut VirtualCells<Fr>, k: usize| -> Expression<Fr> {
            m.query_advice(state[k], Rotation::cur()) + m.query_fixed(constants[k], Rotation::cur())
        };
        let sq = |m: &mut VirtualCells<Fr>, k: usize| m.query_advice(squares[k], Rotation::cur());
        let out = |m: &mut VirtualCells<Fr>, k: usize| m.query_advice(state[k], Rotation::next());
        meta.create_gate("poseidon capacity is zero", |m| {
            let s = m.query_selector(init);
            vec![s * m.query_advice(state[0], Rotation::cur())]
        });
        meta.create_gate("poseidon full round", |m| {
            let s = m.query_selector(full);
            let mut constraints = Vec::with_capacity(2 * WIDTH);
            for k in 0..WIDTH {
                constraints.push(s.clone() * (sq(m, k) - y(m, k) * y(m, k)));
            }
            for (i, row) in mds.iter().enumerate() {
                let mixed = (0..WIDTH).fold(Expression::Constant(Fr::ZERO), |acc, k| {
                    acc + Expression::Constant(row[k]) * sq(m, k) * sq(m, k) * y(m, k)
                });
                constraints.push(s.clone() * (out(m, i) - mixed));
            }
            constraints
        });
        meta.create_gate("poseidon partial round", |m| {
            let s = m.query_selector(partial);
            let mut constraints = vec![s.clone() * (sq(m, 0) - y(m, 0) * y(m, 0))];
            for (i, row) in mds.iter().enumerate() {
                let mixed = (1..WIDTH).fold(
                    Expression::Constant(row[0]) * sq(m, 0) * sq(m, 0) * y(m, 0),
                    |acc, k| acc + Expression::Constant(row[k]) * y(m, k),
                );
                constraints.push(s.clone() * (out(m, i) - mixed));
            }
            constraints
        });
        PoseidonConfig {
            state,
            squares,
            constants,
            init,
            full,
            partial,
        }
    }

    /// The chip.
    pub fn construct(config: PoseidonConfig) -> Self {
        PoseidonChip { config }
    }
}

impl PoseidonInstructions for PoseidonChip {
    fn hash(
        &self,
        region: &mut Region<Fr>,
        row: &mut usize,
        inputs: &[Wire; RATE],
    ) -> Result<Wire, Error> {
        let c = &self.config;
        let start = *row;
        c.init.enable(region, start)?;
        let mut state: Value<State> = Value::known([Fr::ZERO; WIDTH]);
        Wire::assign(region, c.state[0], start, Value::known(Fr::ZERO));
        for (k, input) in inputs.iter().enumerate() {
            let copy = Wire::assign(region, c.state[k + 1], start, input.value);
            region.constrain_equal(copy.cell, input.cell);
            state = state.zip(input.value).map(|(mut s, v)| {
                s[k + 1] = v;
                s
            });
        }
        let spec = commitment::spec();
        let mut first_word = None;
        for r in 0..FULL_ROUNDS + PARTIAL_ROUNDS {
            let at = start + r;
            let full = is_full_round(r);
            if full {
                c.full.enable(region, at)?
            } else {
                c.partial.enable(region, at)?
            }
            let rc = spec.round_constants[r];
            for k in 0..WIDTH {
                region.assign_fixed(c.constants[k], at, rc[k]);
                if full || k == 0 {
                    let square = state.map(|s| (s[k] + rc[k]).square());
                    Wire::assign(region, c.squares[k], at, square);
                }
            }
            state = state.map(|s| commitment::round(&s, r));
            for k in 0..WIDTH {
                let w = Wire::assign(region, c.state[k], at + 1, state.map(|s| s[k]));
                if k == 0 {
                    first_word = Some(w);
                }
            }
        }
        *row += HASH_ROWS;
        first_word.ok_or(Error::Synthesis)
    }
}
