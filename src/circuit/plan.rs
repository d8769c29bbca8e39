//! Where everything goes: the row plan of the circuit, computed from the model's geometry.
//!
//! One region spans the whole domain. Columns (see [`super::ZkmnistConfig`]):
//!
//! ```text
//! rows                 a b (lookup)        s y (phase 1)          q h g (phase 2)
//! 0 .. 3               -                   y: public inputs        -
//! 3 .. poseidon        -                   s y: algebra helpers    q h g: algebra (Freivalds sums)
//! poseidon ..          Q-block, pixels,    s: Poseidon state       q: Poseidon squares
//!   (10 x 350 rows)    byte rows           y: claims, packing      h: chains; g: dense block, T chains
//! ```
//!
//! The lookup lane (`a`, `b`, starting at `poseidon`) holds, in order:
//! - the *Q-block*: the last convolution's outputs (the dense layer's inputs, CHW order), a
//!   gap row, the 10 argmax difference rows, then each earlier convolution's outputs in the next
//!   convolution's class order (see [`ConvGeometry::classes`]);
//! - the 784 pixels in the first convolution's class order;
//! - the high bytes of every Q-block value (`d1` rows below it), then the low bytes (`d2`).
//!
//! Everything aligned with lookup rows reads them at rotation 0, `d1` or `d2`; the rest is wired
//! by copy constraints.

use crate::commitment::CALLS;
use crate::model::plan::{ConvGeometry, conv_geometries};
use crate::model::spec::{CLASSES, IMAGE_PIXELS, ModelError, ModelSpec};
use std::ops::Range;

/// Rows one Poseidon permutation takes: 69 rounds of 5 rows, then the 5-row output state.
pub const PERMUTATION_ROWS: usize =
    5 * (crate::commitment::FULL_ROUNDS + crate::commitment::PARTIAL_ROUNDS + 1);
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
    /// Free rows for the phase-2 algebra and small helpers.
    pub algebra: Range<usize>,
    /// First row of the Poseidon chain (permutation `i` starts at `poseidon + 350 i`).
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
    /// Rows of each convolution's full-correlation claims.
    pub claims: Vec<Range<usize>>,
    /// Rows of the claims chain (every byte row and every claim; its gap row is the next).
    pub claims_region: Range<usize>,
    /// Rows of the byte checks (high then low bytes).
    pub bytes: Range<usize>,
    /// Rows of the dense layer's weight block in `g` (10 blocks of the input length).
    pub dense_block: Range<usize>,
}

fn no_fit(what: &str, need: usize, have: usize) -> ModelError {
    ModelError::Invalid(format!(
        "the model does not fit the circuit: {what} needs {need} rows, {have} are available"
    ))
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
        let d2 = d1 + q_block.len();
        let bytes = q_block.start + d1..q_block.end + d2;
        let mut claims = Vec::new();
        let mut at = bytes.start;
        for c in &convs {
            claims.push(at..at + c.full_outputs());
            at += c.full_outputs();
        }
        let claims_region = bytes.start..bytes.end.max(at);
        // The chain's gap row follows the region.
        if claims_region.end + 1 > usable {
            return Err(no_fit(
                "the lookup lane and the claims",
                claims_region.end + 1 - poseidon,
                usable - poseidon,
            ));
        }
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
            algebra: PUBLIC_ROWS..poseidon,
            poseidon,
            q_dense,
            arg,
            q_conv,
            q_block,
            pixels,
            d1,
            d2,
            claims,
            claims_region,
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
