//! The Halo2 circuit: "the hidden image with this commitment is classified as `digit` by the
//! model", with `context` bound in.
//!
//! Public inputs, one instance column, in order: `image_commitment`, `digit`, `context`.
//! Private: the pixels, the salt and every intermediate value.
//!
//! The circuit is built for the verifier's cost: few columns, long ones. Convolutions are not
//! laid out multiply by multiply; the prover *claims* every accumulator (committed in phase 1)
//! and the circuit checks all of them at once with a random linear combination (Freivalds),
//! drawn as a challenge `z` after the claims are committed: a polynomial identity in `z` per
//! layer (see [`layers::conv`]). Weights and biases sit in fixed columns, so the verifying key
//! identifies the model. The row plan is in [`plan`], the gates in [`rows`].

#![deny(missing_docs)]

pub mod algebra;
pub mod argmax;
pub mod commitment;
pub mod field;
pub mod layers;
pub mod plan;
pub mod poseidon;
pub mod public;
pub mod rows;
pub mod table;

use argmax::{ArgmaxChip, ArgmaxConfig, DIFF_BYTES};
use halo2_proofs::circuit::{Cell, Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Error, FirstPhase, SecondPhase,
};
use halo2curves::bn256::Fr;
use plan::Plan;
use poseidon::{PoseidonChip, PoseidonConfig};
pub use public::PublicInputs;
use rows::{Columns, GateParams, RowKinds};
use std::sync::Arc;
use table::{TableChip, TableConfig};
use zkmnist_model::plan::{CIRCUIT_ROWS, MAX_SHIFT, quotient_range};
use zkmnist_model::spec::{IMAGE_PIXELS, ModelError, ModelSpec, PIXEL_MAX, Unsupported};
use zkmnist_model::{Trace, bounds};

/// Number of public inputs.
pub const PUBLIC_INPUTS: usize = 3;
/// Blinding rows halo2 reserves for this circuit (the Poseidon state column is queried at ten
/// rotations: `max(3, 10) + 1 + 1`); checked against the constraint system by a test.
pub const BLINDING_ROWS: usize = 12;

/// An assigned cell and its value.
#[derive(Clone, Copy, Debug)]
pub struct Wire {
    /// Where it is.
    pub cell: Cell,
    /// Its value (unknown during key generation).
    pub value: Value<Fr>,
}

impl Wire {
    /// Assigns `value` to an advice cell.
    pub(crate) fn assign(
        region: &mut Region<Fr>,
        column: Column<Advice>,
        row: usize,
        value: Value<Fr>,
    ) -> Wire {
        let cell = region.assign_advice(column, row, value).cell();
        Wire { cell, value }
    }
}

/// The private inputs of one proof.
#[derive(Clone, Debug)]
pub struct Witness {
    /// The image.
    pub pixels: [u8; IMAGE_PIXELS],
    /// The commitment's salt.
    pub salt: Fr,
    /// The value bound into the proof.
    pub context: Fr,
    /// The integer reference's evaluation of the image.
    pub trace: Trace,
}

impl Witness {
    /// What this witness proves, typed.
    pub fn statement(&self) -> PublicInputs {
        PublicInputs {
            image_commitment: commitment::commit(&self.pixels, self.salt),
            // The argmax of a validated spec's CLASSES (10) logits.
            digit: self.trace.digit as u8,
            context: self.context,
        }
    }

    /// The public inputs as the instance column holds them: `[image_commitment, digit,
    /// context]`.
    pub fn public_inputs(&self) -> [Fr; PUBLIC_INPUTS] {
        self.statement().fields()
    }
}

/// Every column and chip config.
#[derive(Clone, Debug)]
pub struct ZkmnistConfig {
    /// The columns and the challenge.
    pub cols: Columns,
    /// The gates.
    pub kinds: RowKinds,
    /// The lookup lane and table.
    pub table: TableConfig,
    poseidon: PoseidonConfig,
    argmax: ArgmaxConfig,
}

/// The circuit for a model; with a witness to prove, without one for key generation.
#[derive(Clone, Debug)]
pub struct ZkmnistCircuit {
    spec: Arc<ModelSpec>,
    plan: Arc<Plan>,
    params: GateParams,
    witness: Option<Witness>,
}

/// How the circuit uses its domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimensions {
    /// log2 of the domain size.
    pub k: u32,
    /// Rows before halo2's blinding rows.
    pub usable_rows: usize,
    /// Rows of the lookup lane in use (Q-block, pixels, bytes, claims; the ladder not counted).
    pub lookup_rows: usize,
    /// Rows of the activation table.
    pub table_rows: usize,
    /// Rows of the Poseidon chain.
    pub poseidon_rows: usize,
}

impl ZkmnistCircuit {
    /// A circuit for key generation (no witness). Fails if the model cannot be proven soundly
    /// by this circuit (its shape, shifts or logit range).
    pub fn new(spec: Arc<ModelSpec>) -> Result<Self, ModelError> {
        for (i, layer) in spec.layers.iter().enumerate() {
            if let Some(r) = layer.parts().2
                && (r.shift > MAX_SHIFT || r.max != PIXEL_MAX)
            {
                return Err(Unsupported::Requant {
                    layer: i,
                    max_shift: MAX_SHIFT,
                    shift: r.shift,
                    clamp: r.max,
                }
                .into());
            }
        }
        let logit_bound = bounds(&spec).last().map_or(0, |b| b.acc_abs_max());
        if 2 * logit_bound + 1 >= 1 << (8 * DIFF_BYTES) {
            return Err(Unsupported::LogitRange { bound: logit_bound }.into());
        }
        let k = CIRCUIT_ROWS.trailing_zeros();
        let plan = Plan::new(&spec, k, BLINDING_ROWS)?;
        let table = zkmnist_model::plan::table_rows(&spec);
        if table > plan.usable {
            return Err(Unsupported::Rows {
                what: "the activation table".into(),
                need: table,
                have: plan.usable,
            }
            .into());
        }
        let params = GateParams {
            shifts: plan.shifts.clone(),
            c_outs: plan.convs.iter().map(|c| c.c_out).collect(),
            row_gaps: plan
                .convs
                .iter()
                .map(|c| c.c_out * (c.f - c.hp + 1))
                .collect(),
            dense_inputs: plan.q_dense.len(),
            d1: plan.d1,
            d2: plan.d2,
            dense_one_byte: plan.low_bytes_from != plan.q_dense.start,
            pack_radix_log2: 8 * plan.convs[0].s as u32,
        };
        Ok(ZkmnistCircuit {
            spec,
            plan: Arc::new(plan),
            params,
            witness: None,
        })
    }

    /// The same circuit with a witness to prove.
    pub fn with_witness(&self, witness: Witness) -> Self {
        ZkmnistCircuit {
            witness: Some(witness),
            ..self.clone()
        }
    }

    /// The public inputs of the witness, if the circuit has one.
    pub fn public_inputs(&self) -> Option<[Fr; PUBLIC_INPUTS]> {
        self.witness.as_ref().map(Witness::public_inputs)
    }

    /// The model.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The row plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// How the circuit uses its domain.
    pub fn dimensions(&self) -> Result<Dimensions, ModelError> {
        let p = &self.plan;
        Ok(Dimensions {
            k: p.k,
            usable_rows: p.usable,
            lookup_rows: p.ladder.start - p.q_block.start,
            table_rows: zkmnist_model::plan::table_rows(&self.spec),
            poseidon_rows: p.usable - p.poseidon,
        })
    }
}

impl Circuit<Fr> for ZkmnistCircuit {
    type Config = ZkmnistConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = GateParams;

    fn without_witnesses(&self) -> Self {
        ZkmnistCircuit {
            witness: None,
            ..self.clone()
        }
    }

    fn params(&self) -> GateParams {
        self.params.clone()
    }

    fn configure(_: &mut ConstraintSystem<Fr>) -> ZkmnistConfig {
        unreachable!("the circuit is configured with its model's parameters")
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, params: GateParams) -> ZkmnistConfig {
        let a = meta.advice_column_in(FirstPhase);
        let b = meta.advice_column_in(FirstPhase);
        let s = meta.advice_column_in(FirstPhase);
        let y = meta.advice_column_in(FirstPhase);
        let z = meta.challenge_usable_after(FirstPhase);
        let q = meta.advice_column_in(SecondPhase);
        let h = meta.advice_column_in(SecondPhase);
        let g = meta.advice_column_in(SecondPhase);
        let c = meta.fixed_column();
        let w = meta.fixed_column();
        let instance = meta.instance_column();
        for col in [s, y, q, h, g] {
            meta.enable_equality(col);
        }
        // Degree 5 costs the prover nothing over 4 (the quotient's domain is 4n either way) and
        // lets selector compression fold more selectors, and the permutation argument take
        // three columns per product.
        meta.set_minimum_degree(5);
        let cols = Columns {
            a,
            b,
            s,
            y,
            q,
            h,
            g,
            c,
            w,
            instance,
            z,
        };
        let kinds = RowKinds::new(meta, &params);
        kinds.configure(meta, &cols, &params);
        ZkmnistConfig {
            table: TableChip::configure(meta, a, b),
            poseidon: PoseidonChip::configure(meta, s, q, c, kinds.poseidon),
            argmax: ArgmaxChip::configure(meta, cols, kinds.argmax),
            cols,
            kinds,
        }
    }

    fn synthesize(&self, config: ZkmnistConfig, layouter: impl Layouter<Fr>) -> Result<(), Error> {
        self.synthesize_then(config, layouter, |_| Ok(()))
    }
}

impl ZkmnistCircuit {
    /// Synthesizes the circuit, then calls `then` inside its one region, after every honest
    /// assignment. For circuits built around this one: the negative tests (tests/circuit.rs)
    /// overwrite a single witness cell this way to show which named constraint catches it.
    pub fn synthesize_then(
        &self,
        config: ZkmnistConfig,
        mut layouter: impl Layouter<Fr>,
        then: impl Fn(&mut Region<'_, Fr>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        TableChip::construct(config.table).load(&mut layouter, quotient_range(&self.spec))?;
        layouter.assign_region(
            || "zkmnist",
            |mut region| {
                layers::assign(self, &config, &mut region)?;
                then(&mut region)
            },
        )
    }
}

impl ZkmnistCircuit {
    /// The witness, if any.
    pub(crate) fn witness(&self) -> Option<&Witness> {
        self.witness.as_ref()
    }
}

/// Selector and column handles the layers use.
pub struct Chips<'a> {
    /// The columns.
    pub cols: Columns,
    /// The gates' selectors.
    pub kinds: &'a RowKinds,
    /// Poseidon.
    pub poseidon: PoseidonChip,
    /// Argmax.
    pub argmax: ArgmaxChip,
}

impl ZkmnistConfig {
    /// The chips.
    pub fn chips(&self) -> Chips<'_> {
        Chips {
            cols: self.cols,
            kinds: &self.kinds,
            poseidon: PoseidonChip::construct(self.poseidon),
            argmax: ArgmaxChip::construct(self.argmax),
        }
    }
}
