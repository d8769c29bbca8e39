//! The one lookup table of the circuit, and the chip that range-checks and activates through it.
//!
//! Every row of the *lookup lane* (advice `a`, `b`, fixed `tag`) must appear in the table:
//!
//! | tag                 | a (input)                | b (output)          |
//! |---------------------|--------------------------|---------------------|
//! | `0` (row unused)    | 0                        | 0                   |
//! | `RANGE8`            | `0..=255`                | 0                   |
//! | `range_tag(l)`      | `0..2^shift_l`           | 0                   |
//! | `relu_tag(l)`       | every `q` layer `l` can produce | `Requant::activate(q)` |
//!
//! The table is filled by [`Requant::activate`](crate::model::spec::Requant::activate), the very
//! function the integer reference uses, over the quotient range derived from
//! [`bounds`](crate::model::bounds), so any honest value is in it and nothing else is.

use super::Wire;
use crate::field::fe;
use crate::model::spec::{ModelSpec, Requant};
use crate::model::{LayerBounds, bounds};
use halo2_proofs::circuit::{Layouter, Region, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, TableColumn};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;

/// Tag of the 8-bit range rows (pixels, argmax limbs).
pub const RANGE8: u64 = 1;

/// Tag of the remainder range rows of hidden layer `l`.
pub fn range_tag(l: usize) -> u64 {
    2 + 2 * l as u64
}

/// Tag of the fused ReLU/clamp rows of hidden layer `l`.
pub fn relu_tag(l: usize) -> u64 {
    3 + 2 * l as u64
}

/// What the table holds for one hidden layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivationRange {
    /// The layer's requantization.
    pub requant: Requant,
    /// Smallest quotient the layer can produce.
    pub q_min: i64,
    /// Largest quotient the layer can produce.
    pub q_max: i64,
}

impl ActivationRange {
    fn new(requant: Requant, b: &LayerBounds) -> Self {
        ActivationRange {
            requant,
            q_min: requant.round_shift(b.acc_min),
            q_max: requant.round_shift(b.acc_max),
        }
    }
}

/// Activation ranges of every hidden layer, in order.
pub fn activation_ranges(spec: &ModelSpec) -> Vec<ActivationRange> {
    spec.layers
        .iter()
        .zip(bounds(spec))
        .filter_map(|(layer, b)| layer.parts().2.map(|r| ActivationRange::new(r, &b)))
        .collect()
}

/// Every `(tag, a, b)` row of the table.
pub fn table_rows(ranges: &[ActivationRange]) -> Vec<(u64, i64, i64)> {
    let mut rows = vec![(0, 0, 0)];
    rows.extend((0..256).map(|v| (RANGE8, v, 0)));
    for (l, r) in ranges.iter().enumerate() {
        rows.extend((0..1i64 << r.requant.shift).map(|v| (range_tag(l), v, 0)));
        rows.extend((r.q_min..=r.q_max).map(|q| (relu_tag(l), q, r.requant.activate(q))));
    }
    rows
}

/// Range checks and activations through the table.
pub trait LookupInstructions {
    /// Places `value` (which must be in `0..=255`) in a fresh lookup row tagged [`RANGE8`].
    fn range8(&self, region: &mut Region<Fr>, row: usize, value: Value<Fr>) -> Wire;
}

/// Columns of the lookup lane and of the table.
#[derive(Clone, Copy, Debug)]
pub struct TableConfig {
    /// Lookup lane input.
    pub a: Column<Advice>,
    /// Lookup lane output.
    pub b: Column<Advice>,
    /// Lookup lane tag (fixed per row).
    pub tag: Column<Fixed>,
    table_tag: TableColumn,
    table_a: TableColumn,
    table_b: TableColumn,
}

/// The lookup chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub struct TableChip {
    config: TableConfig,
}

impl TableChip {
    /// Declares the table and the lookup `(tag, a, b) in table`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        a: Column<Advice>,
        b: Column<Advice>,
        tag: Column<Fixed>,
    ) -> TableConfig {
        let (table_tag, table_a, table_b) = (
            meta.lookup_table_column(),
            meta.lookup_table_column(),
            meta.lookup_table_column(),
        );
        meta.lookup("range/activation table", |m| {
            vec![
                (m.query_fixed(tag, Rotation::cur()), table_tag),
                (m.query_advice(a, Rotation::cur()), table_a),
                (m.query_advice(b, Rotation::cur()), table_b),
            ]
        });
        TableConfig {
            a,
            b,
            tag,
            table_tag,
            table_a,
            table_b,
        }
    }

    /// The chip.
    pub fn construct(config: TableConfig) -> Self {
        TableChip { config }
    }

    /// The config.
    pub fn config(&self) -> &TableConfig {
        &self.config
    }

    /// Fills the table.
    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fr>,
        rows: &[(u64, i64, i64)],
    ) -> Result<(), Error> {
        let c = self.config;
        layouter.assign_table(
            || "range/activation table",
            |mut table| {
                for (i, (tag, a, b)) in rows.iter().enumerate() {
                    table.assign_cell(|| "tag", c.table_tag, i, || Value::known(Fr::from(*tag)))?;
                    table.assign_cell(|| "a", c.table_a, i, || Value::known(fe(*a)))?;
                    table.assign_cell(|| "b", c.table_b, i, || Value::known(fe(*b)))?;
                }
                Ok(())
            },
        )
    }
}

impl LookupInstructions for TableChip {
    fn range8(&self, region: &mut Region<Fr>, row: usize, value: Value<Fr>) -> Wire {
        region.assign_fixed(self.config.tag, row, Fr::from(RANGE8));
        Wire::assign(region, self.config.a, row, value)
    }
}
