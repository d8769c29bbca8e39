//! The Poseidon permutation (circom parameters, width 5), one state word per row.
//!
//! A permutation takes 345 rows: round `r` (of 68: 8 full, 60 partial) reads its input state
//! from rows `t + 5r .. t + 5r + 5` and writes the next state to the five rows below; the
//! output is the state after the last round, at rows `t + 340 .. t + 345`. Round constants sit
//! in the fixed column `c` next to the word they are added to; the squares of the S-box inputs
//! in `q`.
//!
//! | row       | s (state)          | q (squares)            | c (fixed)        |
//! |-----------|--------------------|------------------------|------------------|
//! | t + 5r + j| word j before r    | (s + c)^2 if S-boxed   | constant r, j    |
//! | t + 340 + j| word j of the output |                     |                  |
//!
//! Gates at the first row of each round, one per kind of round (both degree 4 with the
//! selector): the S-box `y^5` is `q^2 * y` with `q = y^2` constrained in the same gate, so the
//! next word `i` is `sum_j M[i][j] * sbox_j`. A partial round S-boxes word 0 only. The caller
//! copy-constrains the capacity word to a zero cell.

use crate::commitment::{self, FULL_ROUNDS, PARTIAL_ROUNDS, RATE, State, WIDTH, is_full_round};
use halo2_proofs::circuit::{Cell, Region, Value};
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Expression, Fixed, Selector, VirtualCells,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// Rounds of one permutation.
pub(crate) const ROUNDS: usize = FULL_ROUNDS + PARTIAL_ROUNDS;

/// Columns and selectors of the chip.
#[derive(Clone, Copy, Debug)]
pub struct PoseidonConfig {
    state: Column<Advice>,
    squares: Column<Advice>,
    constants: Column<Fixed>,
    full: Selector,
    partial: Selector,
}

/// The chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct PoseidonChip {
    config: PoseidonConfig,
}

/// The cells of one permutation a caller wires: the four input words and the output.
#[derive(Clone, Copy, Debug)]
pub struct Permutation {
    /// The capacity word (the caller constrains it to zero).
    pub capacity: Cell,
    /// Input words 1..=4 (`RATE` of them).
    pub inputs: [Cell; RATE],
    /// Output word 0: the circom `Poseidon(4)` hash.
    pub output: Cell,
}

impl PoseidonChip {
    /// Declares the gates "poseidon full round" and "poseidon partial round" on the given
    /// selectors (created by the caller, whose order guides selector compression).
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        state: Column<Advice>,
        squares: Column<Advice>,
        constants: Column<Fixed>,
        [full, partial]: [Selector; 2],
    ) -> PoseidonConfig {
        let mds = commitment::spec().mds;
        let word = |m: &mut VirtualCells<Fr>, j: usize| {
            m.query_advice(state, Rotation(j as i32)) + m.query_fixed(constants, Rotation(j as i32))
        };
        let square =
            |m: &mut VirtualCells<Fr>, j: usize| m.query_advice(squares, Rotation(j as i32));
        let next = |m: &mut VirtualCells<Fr>, i: usize| {
            m.query_advice(state, Rotation((WIDTH + i) as i32))
        };
        // The constraints of a round: squares of the S-boxed words, then the five new words.
        let round = move |m: &mut VirtualCells<Fr>, sboxed: usize| -> Vec<Expression<Fr>> {
            let mut out = Vec::with_capacity(sboxed + WIDTH);
            let mut sbox = Vec::with_capacity(WIDTH);
            for j in 0..WIDTH {
                let y = word(m, j);
                if j < sboxed {
                    let sq = square(m, j);
                    out.push(sq.clone() - y.clone() * y.clone());
                    sbox.push(sq.clone() * sq * y);
                } else {
                    sbox.push(y);
                }
            }
            for (i, row) in mds.iter().enumerate() {
                let mixed = sbox
                    .iter()
                    .zip(row)
                    .fold(Expression::Constant(Fr::ZERO), |acc, (s, mij)| {
                        acc + Expression::Constant(*mij) * s.clone()
                    });
                out.push(next(m, i) - mixed);
            }
            out
        };
        meta.create_gate("poseidon full round", |m| {
            let s = m.query_selector(full);
            round(m, WIDTH)
                .into_iter()
                .map(|c| s.clone() * c)
                .collect::<Vec<_>>()
        });
        meta.create_gate("poseidon partial round", |m| {
            let s = m.query_selector(partial);
            round(m, 1)
                .into_iter()
                .map(|c| s.clone() * c)
                .collect::<Vec<_>>()
        });
        PoseidonConfig {
            state,
            squares,
            constants,
            full,
            partial,
        }
    }

    /// The chip.
    pub fn construct(config: PoseidonConfig) -> Self {
        PoseidonChip { config }
    }

    /// The states of a permutation of `[0, inputs]`: 70 states of 5 words.
    pub fn states(inputs: Value<[Fr; RATE]>) -> Value<Vec<State>> {
        inputs.map(|inputs| {
            let mut state = [Fr::ZERO; WIDTH];
            state[1..].copy_from_slice(&inputs);
            let mut states = vec![state];
            for r in 0..ROUNDS {
                state = commitment::round(&state, r);
                states.push(state);
            }
            states
        })
    }

    /// Phase 1: assigns a permutation of `[0, inputs]` from row `start` (selectors, constants,
    /// state). Returns the cells to wire.
    pub fn assign_state(
        &self,
        region: &mut Region<Fr>,
        start: usize,
        states: &Value<Vec<State>>,
    ) -> Result<Permutation, halo2_proofs::plonk::Error> {
        let c = &self.config;
        let spec = commitment::spec();
        for r in 0..ROUNDS {
            let at = start + WIDTH * r;
            if is_full_round(r) {
                c.full.enable(region, at)?;
            } else {
                c.partial.enable(region, at)?;
            }
            for j in 0..WIDTH {
                region.assign_fixed(c.constants, at + j, spec.round_constants[r][j]);
            }
        }
        let mut cells = Vec::with_capacity(WIDTH * (ROUNDS + 1));
        for r in 0..=ROUNDS {
            for j in 0..WIDTH {
                let v = states.as_ref().map(|s| s[r][j]);
                cells.push(
                    region
                        .assign_advice(c.state, start + WIDTH * r + j, v)
                        .cell(),
                );
            }
        }
        Ok(Permutation {
            capacity: cells[0],
            inputs: std::array::from_fn(|i| cells[1 + i]),
            output: cells[WIDTH * ROUNDS],
        })
    }

    /// Phase 2: the squares of the S-box inputs.
    pub fn assign_squares(
        &self,
        region: &mut Region<Fr>,
        start: usize,
        states: &Value<Vec<State>>,
    ) {
        let c = &self.config;
        let spec = commitment::spec();
        for r in 0..ROUNDS {
            let sboxed = if is_full_round(r) { WIDTH } else { 1 };
            for j in 0..sboxed {
                let rc = spec.round_constants[r][j];
                let v = states.as_ref().map(|s| (s[r][j] + rc).square());
                region.assign_advice(c.squares, start + WIDTH * r + j, v);
            }
        }
    }
}
