//! The model's layers and the image commitment, each written as its math over the chips.

pub mod commit;
pub mod conv;
pub mod dense;

use super::argmax::ArgmaxChip;
use super::dot::DotChip;
use super::poseidon::PoseidonChip;
use super::requant::RequantChip;
use super::table::TableChip;

/// The chips a layer is built from.
pub struct Chips {
    /// Dot products.
    pub dot: DotChip,
    /// Requantize + ReLU.
    pub requant: RequantChip,
    /// Range checks.
    pub table: TableChip,
    /// Argmax.
    pub argmax: ArgmaxChip,
    /// Poseidon.
    pub poseidon: PoseidonChip,
}

/// Next free row of the lane columns and of the lookup lane (they run side by side).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Next free row of the lanes / accumulator.
    pub lane: usize,
    /// Next free row of the lookup lane.
    pub lookup: usize,
}
