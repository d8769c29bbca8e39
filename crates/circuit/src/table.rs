//! The one lookup table, and the lookup lane that every row of the circuit feeds it.
//!
//! Every row's `(a, b)` must be a row `(x, clamp(x, 0, 255))` of the table, for `x` in the
//! model's quotient range (which contains `0..=255`):
//!
//! | table: a                          | table: b                  |
//! |-----------------------------------|---------------------------|
//! | `q_min ..= q_max`                 | `Requant::activate(q)`    |
//!
//! The table is filled by [`Requant::activate`](zkmnist_model::spec::Requant::activate), the very
//! function the integer reference uses, so any honest value is in it and nothing else is.
//! Two uses of one table:
//! - requantization rows look up `(q, out)`: `q` is in range and `out = clamp(q)`;
//! - byte rows also constrain `a = b`, and the only table rows with `a = b` are `0..=255`,
//!   so `a` is a byte. Unused rows hold `(0, 0)`.

use crate::field::fe;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, TableColumn};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use zkmnist_model::spec::Requant;

/// Columns of the lookup lane and of the table.
#[derive(Clone, Copy, Debug)]
pub struct TableConfig {
    /// Lookup lane input.
    pub a: Column<Advice>,
    /// Lookup lane output.
    pub b: Column<Advice>,
    table_a: TableColumn,
    table_b: TableColumn,
}

/// The lookup chip: holds only its config.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TableChip {
    config: TableConfig,
}

/// The clamp every requantization shares (upper bound 255).
pub(crate) const CLAMP: Requant = Requant { shift: 1, max: 255 };

impl TableChip {
    /// Declares the table and the lookup `(a, b) in table`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        a: Column<Advice>,
        b: Column<Advice>,
    ) -> TableConfig {
        let (table_a, table_b) = (meta.lookup_table_column(), meta.lookup_table_column());
        meta.lookup("activation table", |m| {
            vec![
                (m.query_advice(a, Rotation::cur()), table_a),
                (m.query_advice(b, Rotation::cur()), table_b),
            ]
        });
        TableConfig {
            a,
            b,
            table_a,
            table_b,
        }
    }

    /// The chip.
    pub fn construct(config: TableConfig) -> Self {
        TableChip { config }
    }

    /// Fills the table with `(x, clamp(x))` for `x` in `lo..=hi`.
    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fr>,
        (lo, hi): (i64, i64),
    ) -> Result<(), Error> {
        let c = self.config;
        layouter.assign_table(
            || "activation table",
            |mut table| {
                for (i, x) in (lo..=hi).enumerate() {
                    table.assign_cell(|| "a", c.table_a, i, || Value::known(fe(x)))?;
                    table.assign_cell(
                        || "b",
                        c.table_b,
                        i,
                        || Value::known(fe(CLAMP.activate(x))),
                    )?;
                }
                Ok(())
            },
        )
    }
}
