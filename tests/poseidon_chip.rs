//! The Poseidon chip alone, in a small circuit, against light-poseidon on fixed vectors.

use ark_ff::{BigInteger, PrimeField as _};
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};
use halo2curves::bn256::Fr;
use halo2curves::ff::PrimeField;
use light_poseidon::{Poseidon, PoseidonHasher};
use zkmnist::circuit::poseidon::{PoseidonChip, PoseidonConfig, PoseidonInstructions};
use zkmnist::circuit::{LANES, Wire};
use zkmnist::commitment::RATE;

#[derive(Clone, Default)]
struct HashCircuit {
    inputs: [Fr; RATE],
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

fn reference(inputs: &[Fr; RATE]) -> Fr {
    let mut p = Poseidon::<ark_bn254::Fr>::new_circom(RATE).unwrap();
    let ark: Vec<ark_bn254::Fr> = inputs
        .iter()
        .map(|x| ark_bn254::Fr::from_le_bytes_mod_order(x.to_repr().as_ref()))
        .collect();
    let h = p.hash(&ark).unwrap();
    Fr::from_repr(h.into_bigint().to_bytes_le().try_into().unwrap()).unwrap()
}

#[test]
fn chip_hash_equals_light_poseidon() {
    for v in [[0u64, 0, 0, 0], [1, 2, 3, 4], [u64::MAX, 7, 1 << 33, 99]] {
        let inputs = v.map(Fr::from);
        let expected = reference(&inputs);
        let prover = MockProver::run(8, &HashCircuit { inputs }, vec![vec![expected]]).unwrap();
        assert_eq!(prover.verify(), Ok(()), "{v:?}");
        let wrong = MockProver::run(
            8,
            &HashCircuit { inputs },
            vec![vec![expected + Fr::from(1)]],
        )
        .unwrap();
        assert!(wrong.verify().is_err());
    }
}
