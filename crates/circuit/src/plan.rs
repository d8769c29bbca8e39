//! Where everything goes: the row plan of the circuit, computed from the model's geometry.
//!
//! One region spans the whole domain. Columns (see [`super::ZkmnistConfig`]):
//!
//! ```text
//! rows                 a b (lookup)        s y (phase 1)          q h g (phase 2)
//! 0 .. 3               -                   y: public inputs        -
//! 3 .. poseidon        -                   s y: algebra helpers    q h g: algebra (Freivalds sums)
//! poseidon ..          Q-block, pixels,    s: Poseidon state       q: Poseidon squares
//!   (10 x 345 rows)    byte rows           y: claims, packing      h: chains; g: dense block, T chains
//! ```
//!
//! The lookup lane (`a`, `b`, starting at `poseidon`) holds, in order:
//! - the *Q-block*: the last convolution's outputs (the dense layer's inputs, CHW order), a
//!   gap row, the 10 argmax difference rows, then each earlier convolution's outputs in the next
//!   convolution's class order (see [`ConvGeometry::classes`]);
//! - the 784 pixels in the first convolution's class order;
//! - the high bytes of every Q-block value (`d1` rows below it), then the low bytes (`d2`) of
//!   the rows from [`Plan::low_bytes_from`] on: the last convolution's remainders need no low
//!   byte when its shift is at most 8 (see [`one_byte_remainder`]), so the low bytes start at
//!   the gap row after its outputs;
//! - beside the bytes, in `y`, every convolution's full-correlation claims, summed by the claims
//!   chain in `h`; the chain runs on below bytes and claims as the *ladder*, whose `h` holds the
//!   powers `z^0, z^1, ...` the Freivalds sums use, up to the last usable row but one.
//!
//! Everything aligned with lookup rows reads them at rotation 0, `d1` or `d2`; the rest is wired
//! by copy constraints.

use crate::commitment::CALLS;
use std::ops::Range;
use zkmnist_model::plan::{ConvGeometry, conv_geometries};
use zkmnist_model::spec::{CLASSES, IMAGE_PIXELS, Layer, ModelError, ModelSpec};

/// Rows one Poseidon permutation takes: 68 rounds of 5 rows, then the 5-row output state (345).
pub const PERMUTATION_ROWS: usize =
    5 * (crate::commitment::FULL_ROUNDS + crate::commitment::PARTIAL_ROUNDS + 1);
/// Fewest rows of the ladder of powers of `z` (it holds `z^0 .. z^(len - 1)`).
pub(crate) const MIN_LADDER: usize = 2;
/// Rows of public inputs at the top (`image_commitment`, `digit`, `context`).
pub const PUBLIC_ROWS: usize = 3;

/// The row plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// log2 of the domain size.
    pub k: u32,
    /// Rows before halo2's blinding rows.
    pub usable: usize,
    /// The convolutions.
    pub convs: Vec<ConvGeometry>,
    /// The requantization shift of each convolution.
    pub shifts: Vec<u32>,
    /// Free rows for the phase-2 algebra and small helpers.
    pub algebra: Range<usize>,
    /// First row of the Poseidon chain (permutation `i` starts at `poseidon + 345 i`).
    pub poseidon: usize,
    /// Rows of the last convolution's outputs (the dense layer's inputs).
    pub q_dense: Range<usize>,
    /// Rows of the argmax differences.
    pub arg: Range<usize>,
    /// Rows of convolution `l`'s outputs for every convolution but the last, in order.
    pub q_conv: Vec<Range<usize>>,
    /// Rows of the Q-block (all of the above, gap included).
    pub q_block: Range<usize>,
    /// Rows of the pixels.
    pub pixels: Range<usize>,
    /// Distance from a Q-block row to its high byte.
    pub d1: usize,
    /// Distance from a Q-block row to its low byte.
    pub d2: usize,
    /// First Q-block row with a low byte (the rows before it have only a high byte).
    pub low_bytes_from: usize,
    /// Rows of each convolution's full-correlation claims.
    pub claims: Vec<Range<usize>>,
    /// Rows of the claims chain (every byte row, every claim and the ladder; its gap row is
    /// the next).
    pub claims_region: Range<usize>,
    /// Rows of the ladder of powers at the end of the claims chain: `y` is 0 but 1 on the last
    /// row (copy-constrained), so the chain's `h` is `z^k` on row `ladder.end - 1 - k`.
    pub ladder: Range<usize>,
    /// Rows of the byte checks (high then low bytes).
    pub bytes: Range<usize>,
    /// Rows of the dense layer's weight block in `g` (10 blocks of the input length).
    pub dense_block: Range<usize>,
}

/// Whether a requantization with this shift is checked with one byte: the remainder of
/// `2^(16-s) (acc + 2^(s-1)) = 2^16 q + R` is a multiple of `2^(16-s)`, so for `s <= 8` its low
/// byte is zero and `R = 256 hi` with one looked-up byte `hi` says `0 <= R < 2^16`.
pub fn one_byte_remainder(shift: u32) -> bool {
    shift <= 8
}

fn no_fit(what: &str, need: usize, have: usize) -> ModelError {
    zkmnist_model::spec::Unsupported::Rows {
        what: what.into(),
        need,
        have,
    }
    .into()
}

impl Plan {
    /// The plan for `spec` in a domain of `2^k` rows with `blinding` blinding rows.
    pub fn new(spec: &ModelSpec, k: u32, blinding: usize) -> Result<Self, ModelError> {
        let n = 1usize << k;
        let usable = n - blinding - 1;
        let convs = conv_geometries(spec)?;
        let poseidon_rows = CALLS * PERMUTATION_ROWS;
        if poseidon_rows + PUBLIC_ROWS > usable {
            return Err(no_fit("the commitment", poseidon_rows, usable));
        }
        let poseidon = usable - poseidon_rows;
        let last = convs[convs.len() - 1];
        let mut row = poseidon;
        let q_dense = row..row + last.outputs();
        row = q_dense.end + 1; // a gap row ends the dense dot chain
        let arg = row..row + CLASSES;
        row = arg.end;
        let mut q_conv = Vec::new();
        for l in 0..convs.len() - 1 {
            let next = &convs[l + 1];
            q_conv.push(row..row + next.c_in * next.h * next.h);
            row += next.c_in * next.h * next.h;
        }
        let q_block = poseidon..row;
        let pixels = row..row + IMAGE_PIXELS;
        let d1 = pixels.end - q_block.start;
        let shifts: Vec<u32> = spec
            .layers
            .iter()
            .filter_map(|l| match l {
                Layer::Conv2d(c) => Some(c.requant.shift),
                Layer::Dense(_) => None,
            })
            .collect();
        let low_bytes_from = if one_byte_remainder(shifts.last().copied().unwrap_or(0)) {
            q_dense.end
        } else {
            q_dense.start
        };
        // The low bytes follow the high bytes: row `low_bytes_from`'s is at `q_block.end + d1`.
        let d2 = d1 + q_block.end - low_bytes_from;
        let bytes = q_block.start + d1..q_block.end + d2;
        let mut claims = Vec::new();
        let mut at = bytes.start;
        for c in &convs {
            claims.push(at..at + c.full_outputs());
            at += c.full_outputs();
        }
        // The claims chain runs on to the last usable row but one (its gap row is the last):
        // below the claims and bytes it is the ladder of powers of `z`.
        let lane_end = bytes.end.max(at);
        if lane_end + MIN_LADDER + 1 > usable {
            return Err(no_fit(
                "the lookup lane and the claims",
                lane_end + MIN_LADDER + 1 - poseidon,
                usable - poseidon,
            ));
        }
        let ladder = lane_end..usable - 1;
        let claims_region = bytes.start..ladder.end;
        let dense_block = q_dense.start..q_dense.start + CLASSES * q_dense.len();
        if dense_block.end > usable {
            return Err(no_fit(
                "the dense layer's weights",
                dense_block.len(),
                usable - q_dense.start,
            ));
        }
        Ok(Plan {
            k,
            usable,
            convs,
            shifts,
            algebra: PUBLIC_ROWS..poseidon,
            poseidon,
            q_dense,
            arg,
            q_conv,
            q_block,
            pixels,
            d1,
            d2,
            low_bytes_from,
            claims,
            claims_region,
            ladder,
            bytes,
            dense_block,
        })
    }

    /// First row of Poseidon permutation `i`.
    pub fn permutation(&self, i: usize) -> usize {
        self.poseidon + i * PERMUTATION_ROWS
    }

    /// Rows of `g` free for weight chains after the dense block.
    pub fn chain_rows(&self) -> Range<usize> {
        self.dense_block.end..self.usable
    }
}
