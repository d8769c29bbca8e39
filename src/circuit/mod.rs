//! The Halo2 circuit: "the hidden image with this commitment is classified as `digit` by the
//! model", with `context` bound in.
//!
//! Public inputs, one instance column, in order: `image_commitment`, `digit`, `context`.
//! Private: the pixels, the salt and every intermediate value.
//!
//! Layout: one region with two lanes side by side. The *lanes* (`x_0..x_8`, `acc`; fixed
//! `w_0..w_8`, `bias`) hold dot products, Poseidon rounds and argmax rows; the *lookup lane*
//! (`a`, `b`, `c`; fixed `tag`, `pow`) holds every range-checked or activated value (pixels,
//! requantization quotients and remainders, argmax bytes) with the single lookup table.
//! Weights and biases sit in fixed columns, so the verifying key identifies the model.

pub mod argmax;
pub mod dot;
pub mod layers;
pub mod poseidon;
pub mod requant;
pub mod table;

use crate::commitment;
use crate::model::spec::{CLASSES, IMAGE_PIXELS, IMAGE_SIDE, Layer, ModelError, ModelSpec};
use crate::model::{Trace, bounds};
use argmax::{ArgmaxChip, ArgmaxConfig, ArgmaxInstructions, DIFF_BYTES};
use dot::{DotChip, DotConfig};
use halo2_proofs::circuit::{Cell, Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};
use halo2curves::bn256::Fr;
use layers::{Chips, Cursor};
use poseidon::{HASH_ROWS, PoseidonChip, PoseidonConfig};
use requant::{RequantChip, RequantConfig};
use std::sync::Arc;
use table::{ActivationRange, LookupInstructions, TableChip, TableConfig};

/// Lanes per row (dot-product width; the Poseidon state and its squares also fit in a row).
pub const LANES: usize = 9;
/// Rows kept free at the end of the domain for halo2's blinding factors.
pub const RESERVED_ROWS: usize = 10;
/// Number of public inputs.
pub const PUBLIC_INPUTS: usize = 3;

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
    pub fn assign(
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
    /// The public inputs this witness proves: `[image_commitment, digit, context]`.
    pub fn public_inputs(&self) -> [Fr; PUBLIC_INPUTS] {
        [
            commitment::commit(&self.pixels, self.salt),
            Fr::from(self.trace.digit as u64),
            self.context,
        ]
    }
}

/// Every column and chip config.
#[derive(Clone, Debug)]
pub struct ZkmnistConfig {
    /// Lanes, weights, bias and accumulator.
    pub dot: DotConfig,
    requant: RequantConfig,
    /// The lookup lane and the table.
    pub table: TableConfig,
    argmax: ArgmaxConfig,
    poseidon: PoseidonConfig,
    salt: Column<Advice>,
    instance: Column<Instance>,
}

/// The circuit for a model; with a witness to prove, without one for key generation.
#[derive(Clone, Debug)]
pub struct ZkmnistCircuit {
    spec: Arc<ModelSpec>,
    ranges: Vec<ActivationRange>,
    witness: Option<Witness>,
    tamper: Option<Tamper>,
}

/// One advice cell overwritten after honest assignment: how negative tests show that a single
/// wrong witness value breaks a named constraint. A tampered circuit never proves.
#[derive(Clone, Copy, Debug)]
pub struct Tamper {
    /// The column.
    pub column: Column<Advice>,
    /// The row (the whole circuit is one region starting at row 0).
    pub row: usize,
    /// The value written instead.
    pub value: Fr,
}

/// How many rows the circuit uses, and the smallest domain that holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimensions {
    /// Rows used by the lanes.
    pub lane_rows: usize,
    /// Rows used by the lookup lane.
    pub lookup_rows: usize,
    /// Rows of the lookup table.
    pub table_rows: usize,
    /// log2 of the domain size.
    pub k: u32,
}

impl ZkmnistCircuit {
    /// A circuit for key generation (no witness). Fails if the model cannot be proven soundly
    /// by this circuit (for example, logits too large for the argmax range checks).
    pub fn new(spec: Arc<ModelSpec>) -> Result<Self, ModelError> {
        let ranges = table::activation_ranges(&spec);
        let logit_bound = bounds(&spec).last().map_or(0, |b| b.acc_abs_max());
        if 2 * logit_bound + 1 >= 1 << (8 * DIFF_BYTES) {
            return Err(ModelError::Invalid(format!(
                "logits up to {logit_bound} in magnitude exceed the argmax range check"
            )));
        }
        Ok(ZkmnistCircuit {
            spec,
            ranges,
            witness: None,
            tamper: None,
        })
    }

    /// The same circuit with a witness to prove.
    pub fn with_witness(&self, witness: Witness) -> Self {
        ZkmnistCircuit {
            witness: Some(witness),
            ..self.clone()
        }
    }

    /// The same circuit with one witness cell overwritten (for negative tests).
    pub fn with_tamper(&self, tamper: Tamper) -> Self {
        ZkmnistCircuit {
            tamper: Some(tamper),
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

    /// Rows used and the domain size `k`.
    pub fn dimensions(&self) -> Result<Dimensions, ModelError> {
        let shapes = self.spec.shapes()?;
        // Packing the image rows, a zero for padding, then the Poseidon calls.
        let mut lane_rows =
            IMAGE_SIDE * DotChip::rows(IMAGE_SIDE) + 1 + commitment::CALLS * HASH_ROWS;
        let mut lookup_rows = IMAGE_PIXELS + 2; // pixels, salt, context
        for (layer, shape) in self.spec.layers.iter().zip(&shapes[1..]) {
            let fan_in = match layer {
                Layer::Conv2d(c) => c.in_channels * c.kernel * c.kernel,
                Layer::Dense(d) => d.inputs,
            };
            lane_rows += shape.len() * DotChip::rows(fan_in);
            if layer.parts().2.is_some() {
                lookup_rows += 2 * shape.len();
            }
        }
        // Argmax: one lane row and DIFF_BYTES range-checked bytes per class.
        lane_rows += CLASSES;
        lookup_rows += CLASSES * DIFF_BYTES;
        let table_rows = table::table_rows(&self.ranges).len();
        let needed = lane_rows.max(lookup_rows).max(table_rows) + RESERVED_ROWS;
        let k = needed.next_power_of_two().trailing_zeros().max(4);
        Ok(Dimensions {
            lane_rows,
            lookup_rows,
            table_rows,
            k,
        })
    }
}

impl Circuit<Fr> for ZkmnistCircuit {
    type Config = ZkmnistConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        ZkmnistCircuit {
            witness: None,
            tamper: None,
            ..self.clone()
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ZkmnistConfig {
        let lanes: [Column<Advice>; LANES] = std::array::from_fn(|_| meta.advice_column());
        let acc = meta.advice_column();
        let weights = std::array::from_fn(|_| meta.fixed_column());
        let bias = meta.fixed_column();
        let (a, b, c) = (
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
        );
        let (tag, pow) = (meta.fixed_column(), meta.fixed_column());
        let instance = meta.instance_column();
        for col in lanes.iter().chain([&acc, &a, &b, &c]) {
            meta.enable_equality(*col);
        }
        meta.enable_equality(instance);
        // Degree 5 costs the prover nothing over 4 (the quotient's domain is 4n either way) and
        // lets the permutation argument take 3 columns per product and selector compression
        // fold more selectors together: a smaller proof and a cheaper verifier.
        meta.set_minimum_degree(5);
        ZkmnistConfig {
            dot: DotChip::configure(meta, lanes, weights, bias, acc),
            requant: RequantChip::configure(meta, a, b, c, tag, pow),
            table: TableChip::configure(meta, a, b, tag),
            argmax: ArgmaxChip::configure(meta, lanes, acc, weights[0]),
            poseidon: PoseidonChip::configure(meta, lanes, acc, weights),
            salt: c,
            instance,
        }
    }

    fn synthesize(
        &self,
        config: ZkmnistConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let chips = Chips {
            dot: DotChip::construct(config.dot),
            requant: RequantChip::construct(config.requant),
            table: TableChip::construct(config.table),
            argmax: ArgmaxChip::construct(config.argmax),
            poseidon: PoseidonChip::construct(config.poseidon),
        };
        chips
            .table
            .load(&mut layouter, &table::table_rows(&self.ranges))?;
        let shapes = self.spec.shapes().map_err(|_| Error::Synthesis)?;
        let w = match &self.witness {
            Some(w) => Value::known(w),
            None => Value::unknown(),
        };
        let publics = layouter.assign_region(
            || "zkmnist",
            |mut region| {
                let mut at = Cursor::default();
                let pixels: Vec<Wire> = (0..IMAGE_PIXELS)
                    .map(|i| {
                        let v = w.map(|w| Fr::from(u64::from(w.pixels[i])));
                        let wire = chips.table.range8(&mut region, at.lookup, v);
                        at.lookup += 1;
                        wire
                    })
                    .collect();
                let salt = Wire::assign(&mut region, config.salt, at.lookup, w.map(|w| w.salt));
                at.lookup += 1;
                let image_commitment =
                    layers::commit::commit(&chips, &mut region, &mut at, &pixels, salt)?;
                let mut current = pixels;
                let mut hidden = 0;
                for (l, (layer, shape)) in self.spec.layers.iter().zip(&shapes).enumerate() {
                    let reference = w.map(|w| {
                        (
                            w.trace.layers[l].acc.as_slice(),
                            w.trace.layers[l].output.as_slice(),
                        )
                    });
                    current = match layer {
                        Layer::Conv2d(c) => {
                            let out = layers::conv::conv2d(
                                &chips,
                                &mut region,
                                &mut at,
                                c,
                                hidden,
                                &self.ranges[hidden],
                                &current,
                                *shape,
                                reference,
                            )?;
                            hidden += 1;
                            out
                        }
                        Layer::Dense(d) => {
                            let activation = d.requant.map(|_| (hidden, &self.ranges[hidden]));
                            if activation.is_some() {
                                hidden += 1;
                            }
                            layers::dense::dense(
                                &chips,
                                &mut region,
                                &mut at,
                                d,
                                activation,
                                &current,
                                reference,
                            )?
                        }
                    };
                }
                let logit_values = w.map(|w| w.trace.logits().to_vec());
                let digit = chips.argmax.argmax(
                    &mut region,
                    &chips.table,
                    &mut at.lane,
                    &mut at.lookup,
                    &current,
                    logit_values,
                    w.map(|w| w.trace.digit),
                )?;
                let context =
                    Wire::assign(&mut region, config.salt, at.lookup, w.map(|w| w.context));
                if let Some(t) = self.tamper {
                    region.assign_advice(t.column, t.row, Value::known(t.value));
                }
                Ok([image_commitment.cell, digit.cell, context.cell])
            },
        )?;
        for (row, cell) in publics.into_iter().enumerate() {
            layouter.constrain_instance(cell, config.instance, row);
        }
        Ok(())
    }
}
