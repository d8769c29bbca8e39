//! The gates, one per kind of row. A row kind constrains every column it uses at once, so
//! the circuit needs few selectors: for example a pixel row is a byte check, a step of the image
//! row's packing and a step of the first convolution's input chain. Chains end on a *gap row*
//! whose cell is copy-constrained to zero, or on an "end" row kind.
//!
//! Notation: `x[+k]` is column `x` at rotation `k`; `z` is the challenge drawn after phase 1;
//! `C` is the reading convolution's output channel count, `f` its full-correlation side, `hp`
//! its class side; `bytes = 2^16 a + 256 a[+d1] + a[+d2]`.
//!
//! | gate                | rows                                | constraints |
//! |---------------------|-------------------------------------|-------------|
//! | pixel               | pixels inside a segment             | `a = b`; `y = R y[+1] + a` (`R = 256^s`); `h = z^C h[+1] + b` |
//! | pixel gap           | last pixel of a segment             | `a = b`; `y = a`; `h = z^(C (f - hp + 1)) h[+1] + b` |
//! | pixel end           | last pixel of a class               | `a = b`; `y = a`; `h = b` |
//! | conv input          | a convolution's outputs, read by the next | requant; `h = z^C h[+1] + b` |
//! | conv input gap      | last of a segment                   | requant; `h = z^(C (f - hp + 1)) h[+1] + b` |
//! | conv input end      | last of a class                     | requant; `h = b` |
//! | dense input         | the last convolution's outputs      | requant; `h = h[+1] + b g` |
//! | argmax difference   | argmax rows of the Q-block          | `a = b`; `h = bytes` |
//! | claim               | claims, byte and ladder rows        | `a = b`; `h = z h[+1] + y` |
//! | dense weights       | dense block, all but the last block | `g = z g[+N] + w` |
//! | dense weights end   | last block                          | `g = w` |
//! | weight chain        | weight chains                       | `g = z g[+1] + w` |
//! | algebra             | algebra rows                        | `h = h[+1] + q g`; `s = y + 256 y[+1]` |
//! | public              | rows 0..3                           | `y = instance`; `q = z`; `g = 1`; `h = 0` |
//! | argmax              | argmax rows                         | see [`super::argmax`] |
//!
//! The "algebra" kind holds both a multiply-accumulate and the packing of an image row: on a
//! row used for one, the other's cells are unused, so its constraint only asks the prover to
//! fill them consistently (zeros do). Likewise every public row carries the constants `z`, 1
//! and 0 (row 0's cells are the ones copied from).
//!
//! **Slack cells.** Where two uses share a row kind's gate, the cells of the use a row does not
//! serve are constrained only to agree with one another, and nothing is copied from them. They
//! are harmless while that stays so; a copy constraint that ever *reads* one of these cells
//! reads a value the prover chose freely, and is a soundness bug:
//! - an algebra row used for a multiply-accumulate: `s`, `y`, `y[+1]` (the packing's cells:
//!   `s = y + 256 y[+1]` holds for any `y`s and the matching `s`);
//! - an algebra row used for packing an image row: `h`, `h[+1]`, `q`, `g` (the product's cells:
//!   `h = h[+1] + q g` holds for any `q`, `g` and the matching `h`s);
//! - the argmax gate's extra row ("class -1", [`super::argmax`]): `y` (its logit) and `h` (its
//!   difference: `h = m - y - lt` holds for any `y`, and the extra row's difference is not
//!   copied to the lookup lane).
//!
//! Requant of a layer with shift `s`: `2^(16 - s) y + 2^15 = bytes`, i.e. with `acc = y`,
//! `2^(16-s)(acc + 2^(s-1)) = 2^16 q + R` with `R` two bytes and `q = a` in the table's range.
//! The last convolution's rows drop the low byte (`R = 256 a[+d1]`) when its shift is at most 8:
//! `R` is then a multiple of 256 anyway ([`super::plan::one_byte_remainder`]).
//!
//! Selectors are created in an order (see [`RowKinds::new`]) that lets halo2's selector
//! compression fold rows kinds that never share a row into one fixed column each.

use halo2_proofs::plonk::{
    Advice, Challenge, Column, ConstraintSystem, Expression, Fixed, Instance, Selector,
    VirtualCells,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;

/// What the gates need to know about the model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateParams {
    /// Requantization shift of each convolution.
    pub shifts: Vec<u32>,
    /// Output channels of each convolution.
    pub c_outs: Vec<usize>,
    /// `C (f - hp + 1)` of each convolution: the multiplier's exponent across a segment end.
    pub row_gaps: Vec<usize>,
    /// Inputs of the dense layer (the dense weight block's stride).
    pub dense_inputs: usize,
    /// Distance from a Q-block row to its high byte.
    pub d1: usize,
    /// Distance from a Q-block row to its low byte.
    pub d2: usize,
    /// Whether the last convolution's remainders are one byte (no low byte).
    pub dense_one_byte: bool,
    /// log2 of the pixel packing radix (`8 * stride` of the first convolution).
    pub pack_radix_log2: u32,
}

/// The advice, fixed and instance columns and the challenge.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    /// Lookup lane input (phase 1).
    pub a: Column<Advice>,
    /// Lookup lane output (phase 1).
    pub b: Column<Advice>,
    /// Poseidon state and phase-1 helpers.
    pub s: Column<Advice>,
    /// Claims, packing and phase-1 values.
    pub y: Column<Advice>,
    /// Poseidon squares and algebra operands (phase 2).
    pub q: Column<Advice>,
    /// Chains (phase 2).
    pub h: Column<Advice>,
    /// Weight chains and algebra operands (phase 2).
    pub g: Column<Advice>,
    /// Poseidon round constants; small coefficients elsewhere.
    pub c: Column<Fixed>,
    /// Weights.
    pub w: Column<Fixed>,
    /// Public inputs.
    pub instance: Column<Instance>,
    /// The Freivalds challenge.
    pub z: Challenge,
}

/// One selector per kind of row (see the module documentation).
#[derive(Clone, Debug)]
pub struct RowKinds {
    /// Poseidon full and partial rounds (gates in [`super::poseidon`]).
    pub poseidon: [Selector; 2],
    /// Argmax rows (gate in [`super::argmax`]).
    pub argmax: Selector,
    /// Pixel rows inside a segment.
    pub pixel: Selector,
    /// Last pixel of a segment.
    pub pixel_gap: Selector,
    /// Last pixel of a class.
    pub pixel_end: Selector,
    /// Per convolution but the last: its outputs, read by the next convolution's chain.
    pub conv_input: Vec<Selector>,
    /// Per convolution but the last: the last output of a segment.
    pub conv_input_gap: Vec<Selector>,
    /// Per convolution but the last: the last output of a class.
    pub conv_input_end: Vec<Selector>,
    /// The last convolution's outputs.
    pub dense_input: Selector,
    /// Argmax differences.
    pub arg_difference: Selector,
    /// Claims, byte and ladder rows.
    pub claim: Selector,
    /// Dense weight block.
    pub dense_weights: Selector,
    /// Last block of the dense weights.
    pub dense_weights_end: Selector,
    /// Weight chains.
    pub weight_chain: Selector,
    /// Algebra rows: multiply-accumulate, image row packing.
    pub algebra: Selector,
    /// Public inputs and the constants `z`, 1, 0.
    pub public: Selector,
}

/// `z^e` as an expression.
pub fn power(z: &Expression<Fr>, e: usize) -> Expression<Fr> {
    match e {
        0 => Expression::Constant(Fr::ONE),
        1 => z.clone(),
        _ if e.is_multiple_of(2) => {
            let half = power(z, e / 2);
            half.clone() * half
        }
        _ => power(z, e - 1) * z.clone(),
    }
}

fn c(v: u64) -> Expression<Fr> {
    Expression::Constant(Fr::from(v))
}

impl RowKinds {
    /// Creates the selectors, in compression-friendly order: the Poseidon rounds (inner degree
    /// 3, degree 4 with the selector; two per column), the degree-2 kinds (three), then the degree-1 kinds that never share
    /// a row with one another, four per column.
    pub fn new(meta: &mut ConstraintSystem<Fr>, p: &GateParams) -> Self {
        let poseidon = [meta.selector(), meta.selector()];
        let dense_input = meta.selector();
        let algebra = meta.selector();
        let argmax = meta.selector();
        let dense_weights = meta.selector();
        let dense_weights_end = meta.selector();
        let weight_chain = meta.selector();
        let public = meta.selector();
        let pixel = meta.selector();
        let pixel_gap = meta.selector();
        let pixel_end = meta.selector();
        let convs = p.c_outs.len().saturating_sub(1);
        let conv_input: Vec<_> = (0..convs).map(|_| meta.selector()).collect();
        let conv_input_gap: Vec<_> = (0..convs).map(|_| meta.selector()).collect();
        let conv_input_end: Vec<_> = (0..convs).map(|_| meta.selector()).collect();
        RowKinds {
            poseidon,
            argmax,
            pixel,
            pixel_gap,
            pixel_end,
            conv_input,
            conv_input_gap,
            conv_input_end,
            dense_input,
            arg_difference: meta.selector(),
            claim: meta.selector(),
            dense_weights,
            dense_weights_end,
            weight_chain,
            algebra,
            public,
        }
    }

    /// Declares the gates of every kind but Poseidon's and argmax's.
    pub fn configure(&self, meta: &mut ConstraintSystem<Fr>, k: &Columns, p: &GateParams) {
        let cur = Rotation::cur;
        let adv = |m: &mut VirtualCells<Fr>, col: Column<Advice>, r: i32| {
            m.query_advice(col, Rotation(r))
        };
        let diag =
            |m: &mut VirtualCells<Fr>| m.query_advice(k.a, cur()) - m.query_advice(k.b, cur());
        let bytes = |m: &mut VirtualCells<Fr>| {
            adv(m, k.a, 0) * c(1 << 16)
                + adv(m, k.a, p.d1 as i32) * c(256)
                + adv(m, k.a, p.d2 as i32)
        };
        // With one byte (shift <= 8, see `plan::one_byte_remainder`) the low byte is omitted.
        let requant = move |m: &mut VirtualCells<Fr>, shift: u32, one_byte: bool| {
            let r = if one_byte {
                adv(m, k.a, 0) * c(1 << 16) + adv(m, k.a, p.d1 as i32) * c(256)
            } else {
                bytes(m)
            };
            adv(m, k.y, 0) * c(1 << (16 - shift)) + c(1 << 15) - r
        };
        let zc = |m: &mut VirtualCells<Fr>| m.query_challenge(k.z);
        // `h = mult h[+1] + b`, or `h = b` without a multiplier.
        let chain = move |m: &mut VirtualCells<Fr>, mult: Option<usize>| match mult {
            Some(e) => adv(m, k.h, 0) - power(&zc(m), e) * adv(m, k.h, 1) - adv(m, k.b, 0),
            None => adv(m, k.h, 0) - adv(m, k.b, 0),
        };
        let gate = |meta: &mut ConstraintSystem<Fr>,
                    name: &'static str,
                    sel: Selector,
                    f: &dyn Fn(&mut VirtualCells<Fr>) -> Vec<Expression<Fr>>| {
            meta.create_gate(name, |m| {
                let s = m.query_selector(sel);
                f(m).into_iter().map(|e| s.clone() * e).collect::<Vec<_>>()
            });
        };

        let (c1, gap1) = (p.c_outs[0], p.row_gaps[0]);
        let radix = Expression::Constant(Fr::from(2).pow_vartime([u64::from(p.pack_radix_log2)]));
        gate(meta, "pixel", self.pixel, &|m| {
            vec![
                diag(m),
                adv(m, k.y, 0) - radix.clone() * adv(m, k.y, 1) - adv(m, k.a, 0),
                chain(m, Some(c1)),
            ]
        });
        gate(meta, "pixel gap", self.pixel_gap, &|m| {
            vec![
                diag(m),
                adv(m, k.y, 0) - adv(m, k.a, 0),
                chain(m, Some(gap1)),
            ]
        });
        gate(meta, "pixel end", self.pixel_end, &|m| {
            vec![diag(m), adv(m, k.y, 0) - adv(m, k.a, 0), chain(m, None)]
        });
        for l in 0..self.conv_input.len() {
            let (shift, next_c, next_gap) = (p.shifts[l], p.c_outs[l + 1], p.row_gaps[l + 1]);
            gate(meta, "conv input", self.conv_input[l], &|m| {
                vec![requant(m, shift, false), chain(m, Some(next_c))]
            });
            gate(meta, "conv input gap", self.conv_input_gap[l], &|m| {
                vec![requant(m, shift, false), chain(m, Some(next_gap))]
            });
            gate(meta, "conv input end", self.conv_input_end[l], &|m| {
                vec![requant(m, shift, false), chain(m, None)]
            });
        }
        let last_shift = p.shifts.last().copied().unwrap_or(1);
        gate(meta, "dense input", self.dense_input, &|m| {
            vec![
                requant(m, last_shift, p.dense_one_byte),
                adv(m, k.h, 0) - adv(m, k.h, 1) - adv(m, k.b, 0) * adv(m, k.g, 0),
            ]
        });
        gate(meta, "argmax difference", self.arg_difference, &|m| {
            vec![diag(m), adv(m, k.h, 0) - bytes(m)]
        });
        gate(meta, "claim", self.claim, &|m| {
            vec![
                diag(m),
                adv(m, k.h, 0) - zc(m) * adv(m, k.h, 1) - adv(m, k.y, 0),
            ]
        });

        let wq = |m: &mut VirtualCells<Fr>| m.query_fixed(k.w, cur());
        let stride = p.dense_inputs as i32;
        gate(meta, "dense weights", self.dense_weights, &|m| {
            vec![adv(m, k.g, 0) - zc(m) * adv(m, k.g, stride) - wq(m)]
        });
        gate(meta, "dense weights end", self.dense_weights_end, &|m| {
            vec![adv(m, k.g, 0) - wq(m)]
        });
        gate(meta, "weight chain", self.weight_chain, &|m| {
            vec![adv(m, k.g, 0) - zc(m) * adv(m, k.g, 1) - wq(m)]
        });
        gate(meta, "algebra", self.algebra, &|m| {
            vec![
                adv(m, k.h, 0) - adv(m, k.h, 1) - adv(m, k.q, 0) * adv(m, k.g, 0),
                adv(m, k.s, 0) - adv(m, k.y, 0) - c(256) * adv(m, k.y, 1),
            ]
        });
        gate(meta, "public", self.public, &|m| {
            vec![
                adv(m, k.y, 0) - m.query_instance(k.instance, cur()),
                adv(m, k.q, 0) - zc(m),
                adv(m, k.g, 0) - c(1),
                adv(m, k.h, 0),
            ]
        });
    }
}
